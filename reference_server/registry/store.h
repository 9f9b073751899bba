// store.h — the reference registry's content-addressed storage: blobs by digest, per-repository
// blob links, manifests and tags per repository, upload sessions, and the repository list of the
// catalog. Modelled on distribution v2.8's storage (registry/storage/*.go, read at Debian's
// 2.8.2+ds1 sources), in memory or in a directory, thread-safe.
//
// Semantics that the registry's HTTP answers depend on (token-auth.md §1.8; suite-anchors §C2):
//   - A blob's bytes are global (content-addressed), but a blob is visible in a repository only
//     through a link made by an upload completed there or by a mount into it (distribution's
//     `_layers` links). Reading through another repository is the zot CVE-2024-39897 bug, so it
//     needs an explicit BlobScope::kAnyRepository (the registry's misbehaviour switch).
//   - Manifests are linked per repository by digest; tags map to digests. Deleting a manifest also
//     removes the tags that point at it (distribution's DeleteManifest + Untag). Deleting a blob
//     removes the repository's link only; the bytes stay (distribution leaves them to the GC).
//   - An upload session belongs to the repository it was started in (Quay CVE-2026-32589): every
//     session operation names the repository and fails with kUploadUnknown for another one, unless
//     UploadBinding::kAnyRepository (the registry's misbehaviour switch) is passed.
//   - A repository is listed by ListRepositories once a blob has been linked into it (distribution
//     lists directories holding `_layers`), and it stays listed after its links are deleted. Its
//     tag list exists once it has had a tag, and stays (empty) after the last tag goes, which is
//     what makes distribution answer `"tags":null` instead of NAME_UNKNOWN.
//
// Backends: StoreOptions::directory empty → everything in memory; otherwise a directory laid
// out as distribution lays out its filesystem driver (blobs/<alg>/<hex>, repositories/<name>/
// _layers/<alg>/<hex>, repositories/<name>/_manifests/{revisions/<alg>/<hex>,tags/<tag>}), every
// file written to tmp/, fsynced, renamed into place and its directory fsynced before the call
// returns, so an acknowledged write survives a crash and a half-written file is never visible.
// Open hashes every stored blob and drops any whose bytes do not match its digest (a file
// truncated by a power loss), and storing a digest that is already present checks the stored
// bytes and rewrites them when they do not match, so a damaged blob is repaired by a re-push.
// Blob bytes of the directory backend are read from disk on demand and streamed (ReadBlob's
// net::BodySource); metadata is kept in memory.
//
// Upload sessions keep their bytes in files (the directory backend's uploads/, or a private
// temporary directory for the memory backend), never in memory; a restart forgets them. A
// completed upload is fsynced and renamed into blobs/. Sessions are bounded per owner (the
// token's subject), per repository and in total (StoreLimits), so one user's open uploads never
// block another user's push; a session untouched for upload_session_ttl_seconds is dropped.
//
// Limits (StoreLimits) are enforced with their own error codes, never by truncation.
//
// Usage:
//   StoreOptions o;
//   o.new_upload_id = [] { return RandomUuid(); };
//   auto store = Store::Open(o);                            // in memory
//   auto up = (*store)->StartUpload("foo/bar", now);
//   auto blob = (*store)->CompleteUpload(up->id, "foo/bar", UploadBinding::kSameRepository,
//                                        bytes, "sha256:…", now);
//   auto m = (*store)->PutManifest("foo/bar", media_type, body, "latest");
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"
#include "protocol/result.h"

namespace regauth::server {

// StoreError is the reason a Store operation failed.
enum class StoreError {
  kInvalidName = 1,       // repository name not a distribution name of at most 255 bytes
  kInvalidDigest,         // digest malformed (go-digest Validate: format, hex, length)
  kUnsupportedDigest,     // well-formed digest whose algorithm is not sha256/sha384/sha512
  kInvalidTag,            // tag empty, over 256 bytes, starting with '.' or '-', or holding a
                          // byte outside [A-Za-z0-9_.:+=-] (what the registry's routes can carry)
  kBlobUnknown,           // blob not linked in the repository (or, kAnyRepository, absent)
  kManifestUnknown,       // no manifest with that digest in the repository
  kTagUnknown,            // no such tag in the repository
  kRepositoryUnknown,     // ListTags: the repository has never had a tag
  kUploadUnknown,         // no such upload session (expired, finished, or of another
                          // repository under kSameRepository)
  kDigestMismatch,        // CompleteUpload / PutBlob: the content does not hash to the claimed
                          // digest
  kRangeInvalid,          // AppendUpload: the range does not start at the session's offset or
                          // does not span the chunk
  kBlobTooLarge,          // an upload would exceed StoreLimits::max_blob_bytes (the session is
                          // cancelled)
  kManifestTooLarge,      // manifest body over StoreLimits::max_manifest_bytes
  kTooManyUploads,        // a session limit is reached: the owner's, the repository's or the
                          // store's (the reason says which)
  kUploadSpaceExhausted,  // the owner's or the store's open sessions hold their byte limit
  kIo,                    // the directory backend failed to read or write (reason says which)
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(StoreError code);

// StoreLimits bound what hostile or buggy clients can make the store hold.
struct StoreLimits {
  std::uint64_t max_blob_bytes = 64ull << 20;
  std::size_t max_manifest_bytes = 4u << 20;  // distribution's maxManifestBodySize
  // Open upload sessions: per owner (the subject of the token that started them), per
  // repository, and in total. The totals are far above what one owner may hold, so no single
  // user can exhaust them. 64 per owner: the old global table's size, which a whole suite run
  // (many cases of one subject leave sessions open on purpose) never exceeds; the per-owner
  // byte quota below still stops one owner from filling more than 16 sessions of 64 MiB.
  std::size_t max_upload_sessions_per_owner = 64;
  std::size_t max_upload_sessions_per_repository = 64;
  std::size_t max_upload_sessions = 1024;
  // Bytes held by open sessions (on disk): per owner and in total.
  std::uint64_t max_upload_bytes_per_owner = 1ull << 30;
  std::uint64_t max_upload_bytes_total = 16ull << 30;
  // Sessions untouched for this long are dropped with their bytes (distribution purges after
  // 168 h; an hour is plenty for a push, and bounds what abandoned sessions hold).
  std::int64_t upload_session_ttl_seconds = 3600;
};

// StoreOptions configure Open.
struct StoreOptions {
  // "" → in memory. Otherwise the root directory (created if missing; must be writable).
  std::string directory;
  StoreLimits limits;
  // upload_directory holds the files of open upload sessions. "" → <directory>/uploads for the
  // directory backend, a fresh private temporary directory (removed with the store) otherwise.
  std::string upload_directory;
  // new_upload_id returns a fresh session id (distribution: a random UUID). It must match the
  // registry's route `[a-zA-Z0-9-_.=]+`; StartUpload retries a few times on a collision or an
  // unusable id and then fails with kIo. Required (tests inject a deterministic sequence).
  std::function<std::string()> new_upload_id;
};

// BlobInfo describes a stored blob.
struct BlobInfo {
  std::string digest;  // "sha256:…" as pushed
  std::uint64_t size = 0;
};

// Blob is a blob's description and its bytes as a net::BodySource: the open file of the directory
// backend (read on demand, still readable if the blob is replaced meanwhile) or the shared bytes
// of the memory backend. Either way nothing is copied until it is read.
struct Blob {
  BlobInfo info;
  std::shared_ptr<const net::BodySource> content;
};

// ManifestRecord is a manifest of one repository: its digest (sha256 of the body), the media
// type the registry derived from it (sent as Content-Type), and the body.
struct ManifestRecord {
  std::string digest;
  std::string media_type;
  std::shared_ptr<const std::string> body;
};

// UploadInfo describes an open upload session.
struct UploadInfo {
  std::string id;
  std::string repository;
  std::uint64_t offset = 0;     // bytes received so far
  std::int64_t started_at = 0;  // unix seconds
};

// ByteRange is an inclusive byte range "first-last" (the upload Content-Range form).
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

// RepositoryPage is one page of the catalog.
struct RepositoryPage {
  std::vector<std::string> names;
  // more: the page is full and another listed repository follows. distribution's Link header
  // condition (catalog.go finishedWalk) is set only when its walk reaches a further entry after
  // filling the page, because the callback returns ErrSkipDir on the `_layers` that completes it
  // (measured on 2.8.2: exactly n repositories left → no Link).
  bool more = false;
};

// BlobScope selects where a blob must be linked to be visible.
enum class BlobScope {
  kRepository,     // linked in the named repository (distribution)
  kAnyRepository,  // present in the store at all (zot CVE-2024-39897; a misbehaviour)
};

// UploadBinding selects whether an upload session is bound to its repository.
enum class UploadBinding {
  kSameRepository,  // the session must belong to the named repository (distribution)
  kAnyRepository,   // any session id works from any repository (Quay CVE-2026-32589)
};

// Store is thread-safe: every method may be called from several threads at once.
class Store {
 public:
  // Open creates an in-memory store, or opens (creating it if needed) a directory store and loads
  // its metadata. Errors: kIo (directory unusable or unreadable, or new_upload_id missing).
  static protocol::Result<std::unique_ptr<Store>, StoreError> Open(StoreOptions options);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- Blobs ---
  // StatBlob: errors kInvalidName, kInvalidDigest, kUnsupportedDigest, kBlobUnknown.
  protocol::Result<BlobInfo, StoreError> StatBlob(std::string_view repository,
                                                  std::string_view digest,
                                                  BlobScope scope = BlobScope::kRepository) const;
  // ReadBlob is StatBlob plus the bytes (read from disk for the directory backend: kIo).
  protocol::Result<Blob, StoreError> ReadBlob(std::string_view repository, std::string_view digest,
                                              BlobScope scope = BlobScope::kRepository) const;
  // MountBlob links a blob linked in `from` into `repository` (cross-repository mount). Errors:
  // kInvalidName (either name), kInvalidDigest, kUnsupportedDigest, kBlobUnknown (not in
  // `from`), kIo.
  protocol::Result<BlobInfo, StoreError> MountBlob(std::string_view repository,
                                                   std::string_view from, std::string_view digest);
  // DeleteBlob removes the repository's link (the bytes stay). Errors: kInvalidName,
  // kInvalidDigest, kUnsupportedDigest, kBlobUnknown, kIo.
  protocol::Status<StoreError> DeleteBlob(std::string_view repository, std::string_view digest);

  // --- Upload sessions ---
  // StartUpload opens a session of `owner` (the token's subject) in `repository` at `now`.
  // Errors: kInvalidName, kTooManyUploads (a limit of the owner, the repository or the store,
  // after dropping expired sessions), kIo (no usable id, or the session file).
  protocol::Result<UploadInfo, StoreError> StartUpload(std::string_view repository,
                                                       std::int64_t now,
                                                       std::string_view owner = {});
  // GetUpload returns a session. Errors: kUploadUnknown.
  protocol::Result<UploadInfo, StoreError> GetUpload(std::string_view id,
                                                     std::string_view repository,
                                                     UploadBinding binding, std::int64_t now) const;
  // AppendUpload appends `data`; with `range`, range->first must equal the offset and the range
  // must span exactly data.size() bytes (an empty chunk needs no range). Errors: kUploadUnknown,
  // kRangeInvalid, kBlobTooLarge (session cancelled), kUploadSpaceExhausted (the owner's or the
  // store's bytes), kIo (writing the session file; session cancelled).
  protocol::Result<UploadInfo, StoreError> AppendUpload(
      std::string_view id, std::string_view repository, UploadBinding binding,
      std::string_view data, std::optional<ByteRange> range, std::int64_t now);
  // AppendUpload from a source (a request body spilled to a file): copied into the session file
  // a piece at a time, never held whole. A source that fails to read is kIo (session cancelled).
  protocol::Result<UploadInfo, StoreError> AppendUpload(
      std::string_view id, std::string_view repository, UploadBinding binding,
      const net::BodySource& data, std::optional<ByteRange> range, std::int64_t now);
  // CompleteUpload appends `final_data`, checks the whole content against `digest`, stores the
  // blob and links it into `repository` (the URL's repository), and closes the session. Errors:
  // kUploadUnknown, kInvalidName, kInvalidDigest, kUnsupportedDigest, kBlobTooLarge,
  // kDigestMismatch (the session stays, holding the appended data: 2.8's Cancel after a failed
  // commit fails, measured), kIo.
  protocol::Result<BlobInfo, StoreError> CompleteUpload(std::string_view id,
                                                        std::string_view repository,
                                                        UploadBinding binding,
                                                        std::string_view final_data,
                                                        std::string_view digest, std::int64_t now);
  // CompleteUpload with the final chunk from a source, copied a piece at a time.
  protocol::Result<BlobInfo, StoreError> CompleteUpload(std::string_view id,
                                                        std::string_view repository,
                                                        UploadBinding binding,
                                                        const net::BodySource& final_data,
                                                        std::string_view digest, std::int64_t now);
  // CancelUpload closes a session and drops its data. Errors: kUploadUnknown.
  protocol::Status<StoreError> CancelUpload(std::string_view id, std::string_view repository,
                                            UploadBinding binding);
  // PutBlob stores `data` as a blob of `repository` in one step (a monolithic upload). Errors:
  // kInvalidName, kInvalidDigest, kUnsupportedDigest, kBlobTooLarge, kDigestMismatch, kIo.
  protocol::Result<BlobInfo, StoreError> PutBlob(std::string_view repository,
                                                 std::string_view digest, std::string_view data);
  // PutBlob from a source: hashed and (directory backend) written a piece at a time.
  protocol::Result<BlobInfo, StoreError> PutBlob(std::string_view repository,
                                                 std::string_view digest,
                                                 const net::BodySource& data);

  // --- Manifests and tags ---
  // PutManifest stores `body` (digest = sha256 of the body) with its media type in `repository`,
  // and points `tag` at it when given. The caller has validated the manifest. Errors:
  // kInvalidName, kInvalidTag, kManifestTooLarge, kIo.
  protocol::Result<ManifestRecord, StoreError> PutManifest(std::string_view repository,
                                                           std::string_view media_type,
                                                           std::string_view body,
                                                           std::optional<std::string_view> tag);
  // GetManifest: errors kInvalidName, kInvalidDigest, kUnsupportedDigest, kManifestUnknown,
  // kIo.
  protocol::Result<ManifestRecord, StoreError> GetManifest(std::string_view repository,
                                                           std::string_view digest) const;
  // HasManifest reports whether `repository` links a manifest with `digest` (invalid input:
  // false).
  bool HasManifest(std::string_view repository, std::string_view digest) const;
  // ResolveTag returns the digest a tag points at. Errors: kInvalidName, kInvalidTag,
  // kTagUnknown.
  protocol::Result<std::string, StoreError> ResolveTag(std::string_view repository,
                                                       std::string_view tag) const;
  // DeleteManifest unlinks a manifest and removes every tag pointing at it. Errors:
  // kInvalidName, kInvalidDigest, kUnsupportedDigest, kManifestUnknown, kIo.
  protocol::Status<StoreError> DeleteManifest(std::string_view repository, std::string_view digest);
  // DeleteTag removes one tag (the manifest stays). Errors: kInvalidName, kInvalidTag,
  // kTagUnknown, kIo.
  protocol::Status<StoreError> DeleteTag(std::string_view repository, std::string_view tag);
  // ListTags returns the repository's tags sorted bytewise. Errors: kInvalidName,
  // kRepositoryUnknown (never tagged).
  protocol::Result<std::vector<std::string>, StoreError> ListTags(
      std::string_view repository) const;

  // --- Catalog ---
  // ListRepositories returns up to `n` listed repositories after `last` (exclusive, "" for the
  // start), in distribution's order: bytewise with '/' sorting before every other byte
  // (catalog.go lessPath).
  RepositoryPage ListRepositories(std::string_view last, std::size_t n) const;

  const StoreLimits& limits() const { return options_.limits; }
  bool persistent() const { return !options_.directory.empty(); }

 private:
  // Repository is one repository's metadata (distribution's repositories/<name>/ tree).
  struct Repository {
    bool has_tags_dir = false;                     // _manifests/tags exists
    std::set<std::string> blob_links;              // _layers/<alg>/<hex>
    std::map<std::string, std::string> manifests;  // digest → media type
    std::map<std::string, std::string> tags;       // tag → digest
  };
  // Upload is one open session: its bytes are in the file `path`, open as `fd`. `mu` serialises
  // the session's appends and completion (taken before the store's mu_, never after); the
  // store's mu_ guards info, touched_at and the accounting. `closed` is set when the session
  // leaves uploads_ (the file is then gone or became a blob).
  struct Upload {
    UploadInfo info;
    std::string owner;
    std::string path;
    int fd = -1;
    std::int64_t touched_at = 0;
    std::mutex mu;
    bool closed = false;  // guarded by the store's mu_
    ~Upload();
  };
  struct Usage {
    std::size_t sessions = 0;
    std::uint64_t bytes = 0;
  };
  struct LessPath {
    bool operator()(const std::string& a, const std::string& b) const;
  };

  explicit Store(StoreOptions options);
  protocol::Status<StoreError> LoadDirectory();
  protocol::Status<StoreError> WriteFile(const std::string& relative, std::string_view data);
  protocol::Status<StoreError> WriteFile(const std::string& relative, const net::BodySource& data);
  protocol::Status<StoreError> RemoveFile(const std::string& relative);
  protocol::Status<StoreError> StoreBlobBytesLocked(const std::string& digest,
                                                    const net::BodySource& data);
  protocol::Status<StoreError> LinkBlobLocked(const std::string& repository,
                                              const std::string& digest);
  protocol::Result<std::shared_ptr<const std::string>, StoreError> BlobBytes(
      const std::string& digest) const;
  bool StoredBlobMatches(const std::string& digest) const;
  std::shared_ptr<Upload> FindUploadLocked(std::string_view id, std::string_view repository,
                                           UploadBinding binding, std::int64_t now) const;
  protocol::Result<UploadInfo, StoreError> AppendToSession(Upload& up, const net::BodySource& data,
                                                           std::optional<ByteRange> range,
                                                           std::int64_t now);
  protocol::Status<StoreError> AdoptUploadLocked(const std::string& digest, Upload& up);
  void EraseUploadLocked(std::string_view id);
  void DropExpiredLocked(std::int64_t now);

  StoreOptions options_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::uint64_t, std::less<>> blob_sizes_;  // digest → size
  std::map<std::string, std::shared_ptr<const std::string>, std::less<>> blob_bytes_;  // memory
  std::map<std::string, Repository, std::less<>> repositories_;
  std::set<std::string, LessPath> listed_;  // repositories with a `_layers` directory
  std::map<std::string, std::shared_ptr<Upload>, std::less<>> uploads_;
  std::map<std::string, Usage, std::less<>> usage_by_owner_;
  std::map<std::string, std::size_t, std::less<>> sessions_by_repository_;
  std::uint64_t upload_bytes_ = 0;
  std::uint64_t tmp_counter_ = 0;
  std::string upload_dir_;
  bool owns_upload_dir_ = false;  // a private temporary directory, removed with the store
};

// ComputeFileDigest is ComputeDigest over the bytes of the open file `fd` (read with pread from
// offset 0 to the end), or "" for another algorithm or a read error.
std::string ComputeFileDigest(std::string_view algorithm, int fd);

// ComputeSourceDigest is ComputeDigest over the bytes of `data`, read a piece at a time, or ""
// for another algorithm or a read error.
std::string ComputeSourceDigest(std::string_view algorithm, const net::BodySource& data);

// ComputeDigest returns "<algorithm>:<lowercase hex>" of `data` for sha256, sha384 or sha512
// (the algorithm names go-digest registers), or "" for any other algorithm.
std::string ComputeDigest(std::string_view algorithm, std::string_view data);

}  // namespace regauth::server
