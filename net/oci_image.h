// oci_image.h — a tiny, deterministic OCI image for push cases and for skopeo: one small
// uncompressed tar layer, its config and manifest, as in-memory blobs and as an OCI image layout
// directory (`oci:<dir>:<tag>` for `skopeo copy`).
//
// Spec: OCI image-spec v1.0 — image-layout.md (oci-layout, index.json, blobs/sha256/<hex>),
// manifest.md (schemaVersion 2, config + layers descriptors), config.md (architecture, os,
// rootfs.diff_ids), layer.md (an uncompressed tar: the diff_id equals the layer digest).
// Digests are "sha256:<hex>" computed with OpenSSL over the exact bytes written, so the layout
// passes `skopeo inspect oci:DIR` and a registry's digest verification on push.
//
// The bytes are a pure function of `label` (tar mtime 0, fixed owner and mode, compact JSON with
// a fixed member order), so two runs push identical content, and cases may name the blobs:
// "layer", "config", "manifest" (harness/execute/steps.h `${digest:<name>}`, body {"blob":
// "<name>"}).
//
// Usage:
//   OciImage image = BuildTinyImage("regauth");
//   image.Blob("layer")->digest;                       // "sha256:…"
//   auto dir = WriteOciLayout(image, "/tmp/x/layout", "latest");
//   // skopeo copy oci:/tmp/x/layout:latest docker://127.0.0.1:5000/acme/app:latest
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace regauth::net {

// kOciManifestMediaType etc. are the media types the generated descriptors use.
inline constexpr std::string_view kOciManifestMediaType =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfigMediaType = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerMediaType = "application/vnd.oci.image.layer.v1.tar";

// OciBlob is one content-addressed blob.
struct OciBlob {
  std::string name;        // "layer", "config" or "manifest"
  std::string media_type;  // one of the constants above
  std::string content;     // the exact bytes
  std::string digest;      // "sha256:<64 lower-case hex>"
};

// OciImage is the three blobs of the image; `manifest` refers to `config` and `layer` by digest
// and size.
struct OciImage {
  std::vector<OciBlob> blobs;  // layer, config, manifest (in this order)

  // Blob returns the blob called `name`, or nullptr.
  const OciBlob* Blob(std::string_view name) const;
};

// Sha256Digest returns "sha256:" + the lower-case hex SHA-256 of `bytes` (OpenSSL).
std::string Sha256Digest(std::string_view bytes);

// TarSingleFile returns a POSIX ustar archive holding one regular file `name` (≤ 99 bytes) with
// `content`, mode 0644, uid/gid 0, mtime 0, ending with the two zero blocks.
std::string TarSingleFile(std::string_view name, std::string_view content);

// BuildTinyImage builds the image; the layer holds the file "regauth.txt" whose content names
// `label` (different labels give different digests).
OciImage BuildTinyImage(std::string_view label);

// WriteOciLayout writes the image as an OCI image layout into `dir` (created if missing; it
// must be empty or absent): oci-layout, index.json (one manifest annotated
// org.opencontainers.image.ref.name = `tag`) and blobs/sha256/<hex>. Errors: a message naming
// the path and the failing call.
protocol::Expected<void, std::string> WriteOciLayout(const OciImage& image, const std::string& dir,
                                                     std::string_view tag);

}  // namespace regauth::net
