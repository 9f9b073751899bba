#include "reference_server/distribution_config.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

extern char** environ;

namespace regauth::server {
namespace {

// Utf8SequenceLength returns the length of the valid UTF-8 sequence at s[i], or 0.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte (RFC 3629 §4)
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

}  // namespace

bool IsValidUtf8(std::string_view value) {
  for (std::size_t i = 0; i < value.size();) {
    const std::size_t n = Utf8SequenceLength(value, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string YamlQuote(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size();) {
    const unsigned char ch = static_cast<unsigned char>(value[i]);
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(ch));
      ++i;
      continue;
    }
    const std::size_t n = Utf8SequenceLength(value, i);
    if (ch < 0x20 || ch == 0x7F || n == 0) {
      out += "\\x";
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
      ++i;
      continue;
    }
    out.append(value.substr(i, n));
    i += n;
  }
  out.push_back('"');
  return out;
}

std::vector<std::string> RegistryEnvironmentNames() {
  std::vector<std::string> names;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.rfind("REGISTRY_", 0) != 0) continue;
    names.emplace_back(entry.substr(0, entry.find('=')));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string DistributionConfigYaml(const DistributionConfigOptions& o) {
  std::string y;
  y += "# docker-registry (distribution 2.8) configuration written by `regauth "
       "distribution-config`:\n";
  y += "# Debian's /etc/docker/registry/config.yml with token authentication against the regauth\n";
  y += "# token service. Start it with `docker-registry serve <this file>`.\n";
  y += "#\n";
  y +=
      "# distribution applies every REGISTRY_<SECTION>_<KEY> environment variable over this file\n";
  y += "# (REGISTRY_AUTH, REGISTRY_HTTP_ADDR, ...): start docker-registry with none set, e.g.\n";
  y += "#   env -i PATH=/usr/bin:/bin docker-registry serve FILE\n";
  if (!o.overriding_env.empty()) {
    y += "# WARNING: set in the environment this file was written in, and overriding it there:\n";
    for (const std::string& name : o.overriding_env) {
      // Names only: a value may be a secret (REGISTRY_HTTP_SECRET). A name is printed only if it
      // is a plain identifier, so nothing can end the comment line.
      const bool plain = std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
               ch == '_';
      });
      y += "#   " + (plain ? name : std::string("(a REGISTRY_ variable with an unusual name)")) +
           "\n";
    }
  }
  y += "version: 0.1\n";
  y += "log:\n";
  y += "  level: " + YamlQuote(o.log_level) + "\n";
  y += "  fields:\n";
  y += "    service: registry\n";
  y += "storage:\n";
  y += "  cache:\n";
  y += "    blobdescriptor: inmemory\n";
  y += "  filesystem:\n";
  y += "    rootdirectory: " + YamlQuote(o.storage_dir) + "\n";
  y += "  delete:\n";
  y += std::string("    enabled: ") + (o.delete_enabled ? "true" : "false") + "\n";
  y += "http:\n";
  y += "  addr: " + YamlQuote(o.listen_addr) + "\n";
  y += "  headers:\n";
  y += "    X-Content-Type-Options: [nosniff]\n";
  y += "auth:\n";
  y += "  token:\n";
  y += "    realm: " + YamlQuote(o.realm) + "\n";
  y += "    service: " + YamlQuote(o.service) + "\n";
  y += "    issuer: " + YamlQuote(o.issuer) + "\n";
  y += "    rootcertbundle: " + YamlQuote(o.rootcertbundle) + "\n";
  y += "health:\n";
  y += "  storagedriver:\n";
  y += "    enabled: true\n";
  y += "    interval: 10s\n";
  y += "    threshold: 3\n";
  return y;
}

}  // namespace regauth::server
