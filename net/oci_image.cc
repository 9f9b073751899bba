#include "net/oci_image.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

namespace regauth::net {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

// Octal writes `value` as `width - 1` octal digits and a NUL into `field` (tar numeric fields).
void Octal(char* field, std::size_t width, unsigned long long value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), value);
}

Json DescriptorJson(const OciBlob& b) {
  Json d;
  d["mediaType"] = b.media_type;
  d["digest"] = b.digest;
  d["size"] = b.content.size();
  return d;
}

protocol::Expected<void, std::string> WriteFile(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return protocol::Unexpected<std::string>("write " + path.string() + " failed");
  return {};
}

}  // namespace

const OciBlob* OciImage::Blob(std::string_view name) const {
  for (const auto& b : blobs) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

std::string Sha256Digest(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

std::string TarSingleFile(std::string_view name, std::string_view content) {
  std::string header(512, '\0');
  char* h = header.data();
  const std::size_t n = std::min<std::size_t>(name.size(), 99);
  name.copy(h, n);
  Octal(h + 100, 8, 0644);             // mode
  Octal(h + 108, 8, 0);                // uid
  Octal(h + 116, 8, 0);                // gid
  Octal(h + 124, 12, content.size());  // size
  Octal(h + 136, 12, 0);               // mtime
  std::memset(h + 148, ' ', 8);        // checksum field counts as spaces
  h[156] = '0';                        // typeflag: regular file
  std::memcpy(h + 257,
              "ustar\0"
              "00",
              8);  // magic + version (POSIX ustar)
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);  // six digits, NUL, then the space already there
  h[155] = ' ';
  std::string out = header;
  out.append(content);
  out.append((512 - content.size() % 512) % 512, '\0');
  out.append(1024, '\0');  // end-of-archive: two zero blocks
  return out;
}

OciImage BuildTinyImage(std::string_view label) {
  OciImage image;
  OciBlob layer;
  layer.name = "layer";
  layer.media_type = std::string(kOciLayerMediaType);
  layer.content = TarSingleFile("regauth.txt", "regauth test image: " + std::string(label) + "\n");
  layer.digest = Sha256Digest(layer.content);

  OciBlob config;
  config.name = "config";
  config.media_type = std::string(kOciConfigMediaType);
  Json cfg;
  cfg["architecture"] = "amd64";
  cfg["os"] = "linux";
  cfg["config"] = Json::object();
  cfg["rootfs"] = {{"type", "layers"}, {"diff_ids", Json::array({layer.digest})}};
  config.content = cfg.dump();
  config.digest = Sha256Digest(config.content);

  OciBlob manifest;
  manifest.name = "manifest";
  manifest.media_type = std::string(kOciManifestMediaType);
  Json m;
  m["schemaVersion"] = 2;
  m["mediaType"] = manifest.media_type;
  m["config"] = DescriptorJson(config);
  m["layers"] = Json::array({DescriptorJson(layer)});
  manifest.content = m.dump();
  manifest.digest = Sha256Digest(manifest.content);

  image.blobs = {std::move(layer), std::move(config), std::move(manifest)};
  return image;
}

protocol::Expected<void, std::string> WriteOciLayout(const OciImage& image, const std::string& dir,
                                                     std::string_view tag) {
  std::error_code ec;
  const fs::path root(dir);
  fs::create_directories(root / "blobs" / "sha256", ec);
  if (ec) return protocol::Unexpected<std::string>("mkdir " + dir + ": " + ec.message());
  for (const auto& b : image.blobs) {
    const std::string hex = b.digest.substr(std::string_view("sha256:").size());
    if (auto s = WriteFile(root / "blobs" / "sha256" / hex, b.content); !s) return s;
  }
  if (auto s = WriteFile(root / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"); !s) return s;
  const OciBlob* manifest = image.Blob("manifest");
  if (manifest == nullptr) return protocol::Unexpected<std::string>("image has no manifest");
  Json index;
  index["schemaVersion"] = 2;
  Json d = DescriptorJson(*manifest);
  d["annotations"] = {{"org.opencontainers.image.ref.name", std::string(tag)}};
  index["manifests"] = Json::array({d});
  return WriteFile(root / "index.json", index.dump());
}

}  // namespace regauth::net
