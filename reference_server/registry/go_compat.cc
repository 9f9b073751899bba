#include "reference_server/registry/go_compat.h"

#include <openssl/crypto.h>

#include <limits>

#include "protocol/ascii.h"
#include "protocol/repository_name.h"

namespace regauth::server::registry_detail {
namespace {

constexpr std::size_t kRouteNameMax = 1 << 16;  // the route accepts any length; auth comes first

}  // namespace

using protocol::AsciiLower;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }
int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view TrimSpaceTab(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// GoUnescape is url.unescape: '%' must be followed by two hex digits (else nullopt); in query
// mode '+' is a space.
std::optional<std::string> GoUnescape(std::string_view s, bool query) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexVal(s[i + 1]);
      const int lo = HexVal(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+' && query) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// GoEscape is url.escape for encodePath (path = true) or encodeQueryComponent.
std::string GoEscape(std::string_view s, bool path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const bool unreserved = IsAlnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
    const bool path_ok = path && (c == '$' || c == '&' || c == '+' || c == ',' || c == '/' ||
                                  c == ':' || c == ';' || c == '=' || c == '@');
    if (unreserved || path_ok) {
      out.push_back(c);
    } else if (c == ' ' && !path) {
      out.push_back('+');
    } else {
      const auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

// GoQuery is url.ParseQuery (Go 1.17+): pairs split on '&'; a pair holding ';' or a bad escape is
// dropped (Go reports the error and keeps going).
GoValues ParseGoQuery(std::string_view raw) {
  GoValues out;
  while (!raw.empty()) {
    const std::size_t amp = raw.find('&');
    std::string_view pair = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
    const std::size_t eq = pair.find('=');
    auto key = GoUnescape(pair.substr(0, eq), true);
    auto value =
        GoUnescape(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) continue;
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

std::string FirstValue(const GoValues& values, std::string_view name) {
  for (const auto& [k, v] : values) {
    if (k == name) return v;
  }
  return "";
}

// GoAtoi is strconv.Atoi on a 64-bit platform.
std::optional<std::int64_t> GoAtoi(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  const std::uint64_t max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (v > max + 1) return std::nullopt;
    return v == max + 1 ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(v);
  }
  if (v > max) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

// GoCleanPath is gorilla/mux cleanPath: path.Clean, keeping a trailing slash.
std::string GoCleanPath(std::string_view p) {
  if (p.empty()) return "/";
  std::string in = p[0] == '/' ? std::string(p) : "/" + std::string(p);
  std::vector<std::string_view> parts;
  std::string_view rest(in);
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(seg);
  }
  std::string out;
  for (const std::string_view seg : parts) {
    out.push_back('/');
    out.append(seg);
  }
  if (out.empty()) out = "/";
  if (in.back() == '/' && out != "/") out.push_back('/');
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '"':
        out += "&#34;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// JsonString writes a JSON string as Go's encoding/json does for the ASCII that names, tags and
// digests can hold.
std::string JsonString(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || c == '<' || c == '>' || c == '&') {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

// MatchesGoDigestRegexp: `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`, anchored.
bool MatchesGoDigestRegexp(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  const std::string_view alg = s.substr(0, colon);
  bool need_alnum = true;
  for (const char c : alg) {
    if (IsLowerAlnum(c)) {
      need_alnum = false;
    } else if ((c == '.' || c == '+' || c == '_' || c == '-') && !need_alnum) {
      need_alnum = true;
    } else {
      return false;
    }
  }
  if (need_alnum) return false;
  for (const char c : s.substr(colon + 1)) {
    if (!(IsAlnum(c) || c == '=' || c == '_' || c == '-')) return false;
  }
  return true;
}

// GoDigestValidate is go-digest v1.0.0 Digest.Validate with sha256/384/512 available.
DigestCheck GoDigestValidate(std::string_view s) {
  const std::size_t i = s.find(':');
  if (i == std::string_view::npos || i == 0 || i + 1 == s.size()) {
    return DigestCheck::kInvalidFormat;
  }
  const std::string_view alg = s.substr(0, i);
  const std::string_view enc = s.substr(i + 1);
  std::size_t size = 0;
  if (alg == "sha256") {
    size = 32;
  } else if (alg == "sha384") {
    size = 48;
  } else if (alg == "sha512") {
    size = 64;
  } else {
    return MatchesGoDigestRegexp(s) ? DigestCheck::kUnsupported : DigestCheck::kInvalidFormat;
  }
  if (enc.size() != size * 2) return DigestCheck::kInvalidLength;
  for (const char c : enc) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return DigestCheck::kInvalidFormat;
  }
  return DigestCheck::kOk;
}

// MatchesTagRegexp: `[\w][\w.-]{0,127}`, anchored.
bool MatchesTagRegexp(std::string_view s) {
  if (s.empty() || s.size() > 128 || !IsWordChar(s[0])) return false;
  for (const char c : s) {
    if (!(IsWordChar(c) || c == '.' || c == '-')) return false;
  }
  return true;
}

// FilesystemPathSafe: the filesystem driver's PathRegexp `^(/[A-Za-z0-9._-]+)+$` per component.
// A manifest reference that is not a valid digest is a tag, and a tag holding ':', '+' or '='
// (possible through the route's DigestRegexp) fails that check in Debian's 2.8.2, whose
// storage is the filesystem driver: the InvalidPathError surfaces as a 500 UNKNOWN (measured).
bool FilesystemPathSafe(std::string_view s) {
  for (const char c : s) {
    if (!(IsAlnum(c) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string DigestPathOf(std::string_view digest) {
  const std::size_t colon = digest.find(':');
  return std::string(digest.substr(0, colon)) + "/" + std::string(digest.substr(colon + 1));
}

bool MatchesUuid(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!(IsAlnum(c) || c == '-' || c == '_' || c == '.' || c == '=')) return false;
  }
  return true;
}

// MatchesNameRegexp is reference.NameRegexp, anchored (any length).
bool MatchesNameRegexp(std::string_view name) {
  protocol::NameOptions o;
  o.max_length = kRouteNameMax;
  o.domain_rule = protocol::DomainRule::kReferenceGrammar;
  return protocol::ParseRepositoryName(name, o).has_value();
}

// MediaTypeOf is mime.ParseMediaType's type, lower-cased ("" for an empty header).
std::string MediaTypeOf(std::string_view content_type) {
  const std::string_view t = TrimSpaceTab(content_type.substr(0, content_type.find(';')));
  std::string out;
  for (const char c : t) out.push_back(AsciiLower(c));
  return out;
}

bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace regauth::server::registry_detail
