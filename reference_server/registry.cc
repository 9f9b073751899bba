#include "reference_server/registry.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "protocol/ascii.h"
#include "protocol/base64.h"
#include "protocol/challenge.h"
#include "protocol/credentials.h"
#include "protocol/error_body.h"
#include "protocol/json.h"
#include "protocol/jws.h"
#include "protocol/keys.h"
#include "protocol/repository_name.h"
#include "protocol/rfc3339.h"
#include "protocol/scope.h"

namespace regauth::server {
namespace {

using nlohmann::ordered_json;
using protocol::Fail;
using protocol::FromClaimsError;
using protocol::RegistryError;
using protocol::Result;
using protocol::SaturatingAdd;
using protocol::Status;
using protocol::TokenError;

// Header names as Go's net/http writes them (textproto.CanonicalMIMEHeaderKey), so the wire
// bytes match distribution's.
constexpr char kApiVersionHeader[] = "Docker-Distribution-Api-Version";
constexpr char kApiVersion[] = "registry/2.0";
constexpr char kJsonType[] = "application/json; charset=utf-8";
constexpr char kTextType[] = "text/plain; charset=utf-8";

constexpr std::string_view kMediaSchema2 = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kMediaSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
constexpr std::string_view kMediaManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view kMediaOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kMediaOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kMediaForeignLayer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

constexpr std::size_t kRouteNameMax = 1 << 16;   // the route accepts any length; auth comes first
constexpr std::size_t kMaxFormBytes = 10 << 20;  // Go's ParseForm body limit

// ---------------------------------------------------------------------------------------------
// Small Go-compatible text helpers.

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
using protocol::AsciiLower;

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
using GoValues = std::vector<std::pair<std::string, std::string>>;
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

// --- go-digest ---------------------------------------------------------------------------------

enum class DigestCheck { kOk, kInvalidFormat, kUnsupported, kInvalidLength };

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

ordered_json InvalidPathDetail(const std::string& path) {
  return ordered_json{{"Path", "/docker/registry/v2/repositories/" + path},
                      {"DriverName", "filesystem"}};
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

// ---------------------------------------------------------------------------------------------
// Routing (registry/api/v2/routes.go + descriptors.go; gorilla/mux with StrictSlash(true)).

enum class Route { kBase, kTags, kManifest, kBlob, kUpload, kUploadChunk, kCatalog };

struct RouteMatch {
  Route route = Route::kBase;
  std::string name;
  std::string reference;        // manifest reference, blob digest or upload uuid
  bool template_slash = false;  // the route template ends with '/'
};

bool StripSuffix(std::string_view* s, std::string_view suffix) {
  if (s->size() < suffix.size() || s->substr(s->size() - suffix.size()) != suffix) return false;
  s->remove_suffix(suffix.size());
  return true;
}

// MatchCore matches `core` (the path with any one trailing '/' removed) against the routes in
// distribution's order; each template is compared without its trailing slash, as mux's
// StrictSlash pattern `…[/]?$` does.
std::optional<RouteMatch> MatchCore(std::string_view core) {
  if (core == "/v2") return RouteMatch{Route::kBase, "", "", true};
  constexpr std::string_view kPrefix = "/v2/";
  if (core.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const std::string_view rest = core.substr(kPrefix.size());
  {
    std::string_view name = rest;
    if (StripSuffix(&name, "/tags/list") && MatchesNameRegexp(name)) {
      return RouteMatch{Route::kTags, std::string(name), "", false};
    }
  }
  const std::size_t last_slash = rest.rfind('/');
  const std::string_view last =
      last_slash == std::string_view::npos ? std::string_view() : rest.substr(last_slash + 1);
  const std::string_view before =
      last_slash == std::string_view::npos ? std::string_view() : rest.substr(0, last_slash);
  {
    std::string_view name = before;
    if (StripSuffix(&name, "/manifests") && MatchesNameRegexp(name) &&
        (MatchesTagRegexp(last) || MatchesGoDigestRegexp(last))) {
      return RouteMatch{Route::kManifest, std::string(name), std::string(last), false};
    }
  }
  {
    std::string_view name = before;
    if (StripSuffix(&name, "/blobs") && MatchesNameRegexp(name) && MatchesGoDigestRegexp(last)) {
      return RouteMatch{Route::kBlob, std::string(name), std::string(last), false};
    }
  }
  {
    std::string_view name = rest;
    if (StripSuffix(&name, "/blobs/uploads") && MatchesNameRegexp(name)) {
      return RouteMatch{Route::kUpload, std::string(name), "", true};
    }
  }
  {
    std::string_view name = before;
    if (StripSuffix(&name, "/blobs/uploads") && MatchesNameRegexp(name) && MatchesUuid(last)) {
      return RouteMatch{Route::kUploadChunk, std::string(name), std::string(last), false};
    }
  }
  if (core == "/v2/_catalog") return RouteMatch{Route::kCatalog, "", "", false};
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Responses.

HttpResponse WithApiVersion(HttpResponse r) {
  r.headers.insert(r.headers.begin(), {kApiVersionHeader, kApiVersion});
  return r;
}

// GoHttpError is net/http.Error.
HttpResponse GoHttpError(int status, std::string_view text) {
  HttpResponse r;
  r.status = status;
  r.AddHeader("Content-Type", kTextType);
  r.AddHeader("X-Content-Type-Options", "nosniff");
  r.body = std::string(text) + "\n";
  return r;
}

// MethodNotAllowed is gorilla/handlers MethodHandler for a method it does not map.
HttpResponse MethodNotAllowed(std::string_view method, std::string_view allow) {
  if (method == "OPTIONS") {
    HttpResponse r;
    r.status = 200;
    r.AddHeader("Allow", std::string(allow));
    return r;
  }
  HttpResponse r = GoHttpError(405, "Method not allowed");  // gorilla/handlers' text
  r.AddHeader("Allow", std::string(allow));
  return r;
}

ordered_json EmptyObject() { return ordered_json::object(); }

RegistryError Err(std::string_view code, std::optional<ordered_json> detail = std::nullopt,
                  std::optional<std::string> message = std::nullopt) {
  RegistryError e;
  e.code = std::string(code);
  if (message) {
    e.message = std::move(message);
  } else if (const auto* info = protocol::LookupErrorCode(code)) {
    e.message = std::string(info->message);
  }
  e.detail = std::move(detail);
  return e;
}

// ServeErrors is errcode.ServeJSON: the status of the first error's code.
HttpResponse ServeErrors(const std::vector<RegistryError>& errors) {
  int status = 500;
  if (!errors.empty()) {
    if (const auto* info = protocol::LookupErrorCode(errors[0].code)) status = info->http_status;
  }
  return HttpResponse::Json(status, protocol::SerializeErrorBody(errors));
}

HttpResponse ServeError(RegistryError e) { return ServeErrors({std::move(e)}); }

HttpResponse Empty(int status) {
  HttpResponse r;
  r.status = status;
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

// RoutedRequest is one routed request with the values the handlers read.
struct RoutedRequest {
  const HttpRequest* http = nullptr;
  RouteMatch match;
  GoValues query;      // r.URL.Query()
  GoValues post_form;  // r.PostForm (urlencoded POST/PUT/PATCH bodies)
  std::string_view body;
  std::string base_url;  // scheme://host of NewURLBuilderFromRequest
  std::int64_t now = 0;
  std::string subject;  // the verified token's `sub` (upload sessions are counted per subject)

  const std::string& method() const { return http->method; }
  // FormValue is r.FormValue: the body's form values first, then the query's.
  std::string FormValue(std::string_view name) const {
    for (const auto& [k, v] : post_form) {
      if (k == name) return v;
    }
    return FirstValue(query, name);
  }
  std::string Header(std::string_view name) const {
    auto v = http->Header(name);
    return v ? std::string(*v) : std::string();
  }
};

// AccessRecord is one auth.Access record (Class is always "" for records the registry builds).
struct AccessRecord {
  std::string type;
  std::string name;
  std::string action;
};

struct AuthResult {
  bool ok = false;
  HttpResponse response;  // when !ok
  std::string subject;    // when ok: the token's `sub` ("" without a token)
};

namespace {

// AppendAccessRecords is app.go appendAccessRecords. The kPushWithoutPull misbehaviour is
// consulted here and only here: zot maps POST/PUT/PATCH to push alone.
void AppendAccessRecords(std::vector<AccessRecord>* records, std::string_view method,
                         const std::string& repo, const Misbehaviours& m) {
  if (method == "GET" || method == "HEAD") {
    records->push_back({"repository", repo, "pull"});
  } else if (method == "POST" || method == "PUT" || method == "PATCH") {
    if (!m.Has(Misbehaviour::kPushWithoutPull)) records->push_back({"repository", repo, "pull"});
    records->push_back({"repository", repo, "push"});
  } else if (method == "DELETE") {
    records->push_back({"repository", repo, "delete"});
  }
}

// ScopeParam is accessSet.scopeParam with a deterministic order: resources in first-seen order,
// each resource's actions in first-seen order (distribution uses Go-map order for both).
std::string ScopeParam(const std::vector<AccessRecord>& records) {
  std::vector<std::pair<std::pair<std::string, std::string>, std::vector<std::string>>> sets;
  for (const auto& a : records) {
    auto it = std::find_if(sets.begin(), sets.end(), [&](const auto& s) {
      return s.first.first == a.type && s.first.second == a.name;
    });
    if (it == sets.end()) {
      sets.push_back({{a.type, a.name}, {}});
      it = sets.end() - 1;
    }
    if (std::find(it->second.begin(), it->second.end(), a.action) == it->second.end()) {
      it->second.push_back(a.action);
    }
  }
  std::string out;
  for (const auto& [resource, actions] : sets) {
    if (!out.empty()) out.push_back(' ');
    out += resource.first + ":" + resource.second + ":";
    for (std::size_t i = 0; i < actions.size(); ++i) {
      if (i != 0) out.push_back(',');
      out += actions[i];
    }
  }
  return out;
}

std::vector<protocol::ResourceScope> GrantedScopes(const protocol::Claims& claims) {
  std::vector<protocol::ResourceScope> out;
  if (!claims.access) return out;
  out.reserve(claims.access->size());
  for (const protocol::Access& a : *claims.access) {
    out.push_back({a.type, a.resource_class.value_or(""), a.name, a.actions});
  }
  return out;
}

bool IsClaimsStageError(TokenError e) {
  switch (e) {
    case TokenError::kBadClaimsJson:
    case TokenError::kDuplicateClaim:
    case TokenError::kBadClaim:
    case TokenError::kAudienceArray:
    case TokenError::kBadNumericDate:
    case TokenError::kBadAccess:
    case TokenError::kBadIssuer:
    case TokenError::kBadAudience:
    case TokenError::kMissingExp:
    case TokenError::kExpired:
    case TokenError::kNotYetValid:
    case TokenError::kIssuedInFuture:
      return true;
    default:
      return false;
  }
}

bool Trusted(const std::vector<std::string>& set, const std::optional<std::string>& value) {
  if (!value || value->empty()) return false;
  return std::find(set.begin(), set.end(), *value) != set.end();
}

bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// --- upload _state (registry/handlers/hmac.go) ---------------------------------------------------

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
           &len) == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

struct UploadState {
  std::string name;
  std::string uuid;
  std::int64_t offset = 0;
};

std::string PackUploadState(std::string_view secret, const UploadInfo& up) {
  // json.Marshal(blobUploadState): fields in struct order; StartedAt as RFC 3339.
  std::string json = "{\"Name\":" + JsonString(up.repository) + ",\"UUID\":" + JsonString(up.id) +
                     ",\"Offset\":" + std::to_string(up.offset) +
                     ",\"StartedAt\":" + JsonString(protocol::FormatRfc3339Utc(up.started_at)) +
                     "}";
  return protocol::Base64Encode(HmacSha256(secret, json) + json, protocol::Base64Alphabet::kUrl,
                                true);
}

// UnpackUploadState returns the state, or the `detail` distribution attaches to
// BLOB_UPLOAD_INVALID: base64.CorruptInputError marshals as its offset, every other error as {}.
Result<UploadState, int> UnpackUploadState(std::string_view secret, std::string_view token,
                                           ordered_json* detail) {
  protocol::Base64Options o;
  o.alphabet = protocol::Base64Alphabet::kUrl;
  o.allow_non_canonical = true;
  o.ignore_newlines = true;
  auto raw = protocol::Base64Decode(token, o);
  if (!raw) {
    *detail = static_cast<std::int64_t>(raw.error().offset);
    return Fail(0, 0, "bad base64");
  }
  *detail = EmptyObject();
  constexpr std::size_t kMacSize = 32;
  if (raw->size() < kMacSize) return Fail(0, 0, "invalid secret");
  const std::string_view mac = std::string_view(*raw).substr(0, kMacSize);
  const std::string_view message = std::string_view(*raw).substr(kMacSize);
  if (!SameBytes(mac, HmacSha256(secret, message))) return Fail(0, 0, "invalid secret");
  protocol::JsonOptions jo;
  jo.allow_duplicate_keys = true;  // Go: last wins
  auto doc = protocol::ParseJson(message, jo);
  if (!doc || !(doc->is_object() || doc->is_null())) return Fail(0, 0, "bad json");
  UploadState s;
  if (doc->is_object()) {
    for (auto it = doc->begin(); it != doc->end(); ++it) {
      const auto& v = it.value();
      if (it.key() == "Name" && !v.is_null()) {
        if (!v.is_string()) return Fail(0, 0, "bad json");
        s.name = v.get<std::string>();
      } else if (it.key() == "UUID" && !v.is_null()) {
        if (!v.is_string()) return Fail(0, 0, "bad json");
        s.uuid = v.get<std::string>();
      } else if (it.key() == "Offset" && !v.is_null()) {
        if (!v.is_number_integer()) return Fail(0, 0, "bad json");
        s.offset = v.get<std::int64_t>();
      } else if (it.key() == "StartedAt" && !v.is_null()) {
        if (!v.is_string() || !protocol::ParseRfc3339(v.get<std::string>())) {
          return Fail(0, 0, "bad json");
        }
      }
    }
  }
  return s;
}

// ParseContentRange accepts "first-last" (the upload Content-Range of the distribution API).
std::optional<ByteRange> ParseContentRange(std::string_view v) {
  const std::size_t dash = v.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == v.size()) return std::nullopt;
  ByteRange r;
  const auto a = std::from_chars(v.data(), v.data() + dash, r.first);
  const auto b = std::from_chars(v.data() + dash + 1, v.data() + v.size(), r.last);
  if (a.ec != std::errc() || a.ptr != v.data() + dash || b.ec != std::errc() ||
      b.ptr != v.data() + v.size()) {
    return std::nullopt;
  }
  return r;
}

// MediaTypeOf is mime.ParseMediaType's type, lower-cased ("" for an empty header).
std::string MediaTypeOf(std::string_view content_type) {
  const std::string_view t = TrimSpaceTab(content_type.substr(0, content_type.find(';')));
  std::string out;
  for (const char c : t) out.push_back(AsciiLower(c));
  return out;
}

// --- manifests (manifest/{schema2,ocischema,manifestlist}; registry/storage/*handler.go) -------

// GoField reads a member as Go's struct decoding would: absent or null → nullptr; otherwise the
// value, with `ok` false on a JSON type that Go could not decode into the field.
const nlohmann::json* Member(const nlohmann::json& obj, const char* name) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

bool StringField(const nlohmann::json& obj, const char* name, std::string* out) {
  const auto* v = Member(obj, name);
  if (v == nullptr) return true;
  if (!v->is_string()) return false;
  *out = v->get<std::string>();
  return true;
}

bool IntField(const nlohmann::json& obj, const char* name, std::int64_t* out) {
  const auto* v = Member(obj, name);
  if (v == nullptr) return true;
  if (v->is_number_unsigned()) {
    if (v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return false;
    *out = static_cast<std::int64_t>(v->get<std::uint64_t>());
    return true;
  }
  if (!v->is_number_integer()) return false;
  *out = v->get<std::int64_t>();
  return true;
}

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::vector<std::string> urls;
};

bool ReadDescriptor(const nlohmann::json& v, Descriptor* d) {
  if (v.is_null()) return true;
  if (!v.is_object()) return false;
  std::int64_t size = 0;
  if (!StringField(v, "mediaType", &d->media_type) || !StringField(v, "digest", &d->digest) ||
      !IntField(v, "size", &size)) {
    return false;
  }
  if (const auto* urls = Member(v, "urls")) {
    if (!urls->is_array()) return false;
    for (const auto& u : *urls) {
      if (u.is_null()) {
        d->urls.emplace_back();
      } else if (u.is_string()) {
        d->urls.push_back(u.get<std::string>());
      } else {
        return false;
      }
    }
  }
  if (const auto* ann = Member(v, "annotations")) {
    if (!ann->is_object()) return false;
    for (const auto& a : *ann) {
      if (!a.is_string() && !a.is_null()) return false;
    }
  }
  if (const auto* platform = Member(v, "platform"); platform && !platform->is_object()) {
    return false;
  }
  return true;
}

bool ReadDescriptorList(const nlohmann::json& obj, const char* name, std::vector<Descriptor>* out) {
  const auto* list = Member(obj, name);
  if (list == nullptr) return true;
  if (!list->is_array()) return false;
  for (const auto& v : *list) {
    Descriptor d;
    if (!ReadDescriptor(v, &d)) return false;
    out->push_back(std::move(d));
  }
  return true;
}

enum class ManifestKind { kSchema2, kManifestList, kOciManifest, kOciIndex };

struct ParsedManifest {
  ManifestKind kind = ManifestKind::kSchema2;
  std::string payload_media_type;  // what GET sends as Content-Type (Payload())
  std::int64_t schema_version = 0;
  std::vector<Descriptor> references;  // config + layers, or manifests
};

// ParseManifest is distribution.UnmarshalManifest for the four registered non-schema1 types.
// Anything else would go to the schema1 handler, which only takes signed schema1 manifests;
// those are not modelled, so every other Content-Type is MANIFEST_INVALID (`detail` {}).
// `detail` receives what distribution attaches to MANIFEST_INVALID: encoding/json's SyntaxError
// marshals as {"Offset":N} (N counts the bytes read up to and including the bad one, or the
// whole input at a premature end; measured on 2.8.2). N is derived from nlohmann's error
// position, which agrees with Go's except inside a literal (`{nul}`: nlohmann stops later).
// Every other error gives {} here (2.8's UnmarshalTypeError detail is not modelled).
std::optional<ParsedManifest> ParseManifest(std::string_view content_type, std::string_view body,
                                            std::size_t max_bytes, ordered_json* detail) {
  ParsedManifest m;
  *detail = EmptyObject();
  protocol::JsonOptions jo;
  jo.allow_duplicate_keys = true;  // Go encoding/json: last wins
  jo.limits.max_bytes = max_bytes;
  jo.limits.max_depth = 128;
  const std::string type = MediaTypeOf(content_type);
  const bool registered = type == kMediaSchema2 || type == kMediaManifestList ||
                          type == kMediaOciManifest || type == kMediaOciIndex;
  auto doc = protocol::ParseJson(body, jo);
  if (!doc) {
    if (registered && doc.error().code == protocol::JsonError::kSyntax) {
      const std::size_t at = doc.error().offset;
      (*detail)["Offset"] = static_cast<std::int64_t>(at >= body.size() ? body.size() : at + 1);
    }
    return std::nullopt;
  }
  if (type == kMediaSchema2) {
    m.kind = ManifestKind::kSchema2;
  } else if (type == kMediaManifestList) {
    m.kind = ManifestKind::kManifestList;
  } else if (type == kMediaOciManifest) {
    m.kind = ManifestKind::kOciManifest;
  } else if (type == kMediaOciIndex) {
    m.kind = ManifestKind::kOciIndex;
  } else {
    return std::nullopt;
  }
  nlohmann::json obj = doc->is_null() ? nlohmann::json::object() : std::move(*doc);
  if (!obj.is_object()) return std::nullopt;
  std::string media_type;
  if (!IntField(obj, "schemaVersion", &m.schema_version) ||
      !StringField(obj, "mediaType", &media_type)) {
    return std::nullopt;
  }
  const bool has_manifests = Member(obj, "manifests") != nullptr;
  const bool has_config_or_layers =
      Member(obj, "config") != nullptr || Member(obj, "layers") != nullptr;
  switch (m.kind) {
    case ManifestKind::kSchema2:
    case ManifestKind::kOciManifest: {
      if (m.kind == ManifestKind::kSchema2 && media_type != kMediaSchema2) return std::nullopt;
      if (m.kind == ManifestKind::kOciManifest &&
          (has_manifests || (!media_type.empty() && media_type != kMediaOciManifest))) {
        return std::nullopt;
      }
      Descriptor config;
      if (const auto* c = Member(obj, "config"); c && !ReadDescriptor(*c, &config)) {
        return std::nullopt;
      }
      m.references.push_back(std::move(config));
      if (!ReadDescriptorList(obj, "layers", &m.references)) return std::nullopt;
      m.payload_media_type = m.kind == ManifestKind::kSchema2 ? kMediaSchema2 : kMediaOciManifest;
      break;
    }
    case ManifestKind::kManifestList:
    case ManifestKind::kOciIndex:
      if (m.kind == ManifestKind::kManifestList && media_type != kMediaManifestList) {
        return std::nullopt;
      }
      if (m.kind == ManifestKind::kOciIndex &&
          (has_config_or_layers || (!media_type.empty() && media_type != kMediaOciIndex))) {
        return std::nullopt;
      }
      if (!ReadDescriptorList(obj, "manifests", &m.references)) return std::nullopt;
      m.payload_media_type = media_type.empty() ? std::string(kMediaOciIndex) : media_type;
      break;
  }
  return m;
}

bool IsOciLayer(std::string_view t) {
  return t == "application/vnd.oci.image.layer.v1.tar" ||
         t == "application/vnd.oci.image.layer.v1.tar+gzip" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
}

// ReferenceErrors appends the errors PutManifest reports for one failed reference: the
// verification error (if it is not ErrBlobUnknown) mapped as PutManifest maps it, then
// MANIFEST_BLOB_UNKNOWN with the digest.
void AppendReferenceErrors(std::vector<RegistryError>* errs, DigestCheck check, bool other_error,
                           const std::string& digest) {
  if (check == DigestCheck::kInvalidFormat) {
    errs->push_back(Err("DIGEST_INVALID"));
  } else if (check != DigestCheck::kOk || other_error) {
    errs->push_back(Err("UNKNOWN"));                 // errcode.ErrorCodeUnknown
    errs->push_back(Err("UNKNOWN", EmptyObject()));  // the raw error, WithDetail(err)
  }
  errs->push_back(Err("MANIFEST_BLOB_UNKNOWN", ordered_json(digest)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Registry::Registry(RegistryConfig config)
    : config_(std::move(config)),
      profile_(config_.profile
                   ? *config_.profile
                   : protocol::VerifierProfile::DistributionV28(config_.issuer, config_.service)) {
  if (config_.upload_state_secret.empty()) {
    unsigned char secret[32];
    if (RAND_bytes(secret, sizeof secret) == 1) {
      config_.upload_state_secret.assign(reinterpret_cast<const char*>(secret), sizeof secret);
    } else {
      config_.upload_state_secret = "regauth-fallback-upload-secret";
      Log("registry: RAND_bytes failed; using a fixed upload state secret");
    }
  }
  // Any misbehaviour at all routes verification through VerifyPlanted, which accepts exactly
  // what VerifyToken accepts while its own switches are off; so each switch is named once, at the
  // point it changes, and the normal server keeps the plain VerifyToken path.
  planted_verifier_ = config_.misbehaviours.Any();
}

Registry::~Registry() = default;

void Registry::Log(std::string_view line) const {
  if (config_.log) config_.log(line);
}

// Verify is VerifyToken with the configured profile; only when a verification misbehaviour is on
// does the planted verifier run instead.
Result<protocol::Claims, TokenError> Registry::Verify(std::string_view token,
                                                      std::int64_t now) const {
  if (planted_verifier_) return VerifyPlanted(token, now);
  auto verified = protocol::VerifyToken(token, config_.trust, profile_, now);
  if (!verified) return Fail(verified.error());
  return std::move(verified->claims);
}

// VerifyPlanted is the verifier with the registry's verification misbehaviours. Each switch is
// consulted once, below; with every switch off it accepts exactly what VerifyToken accepts
// (parsing, key selection and the signature check are VerifyToken's own; only the claims checks
// are restated here so that each can be skipped on its own).
Result<protocol::Claims, TokenError> Registry::VerifyPlanted(std::string_view token,
                                                             std::int64_t now) const {
  const protocol::VerifierProfile& p = profile_;
  const Misbehaviours& m = config_.misbehaviours;
  auto jws = protocol::ParseCompactJws(token, p.jws);
  if (!jws) {
    auto real = protocol::VerifyToken(token, config_.trust, p, now);  // the same parse failure
    if (real) return std::move(real->claims);
    return Fail(real.error());
  }
  protocol::JsonOptions json;
  json.limits.max_bytes = p.jws.limits.max_payload_bytes;
  json.limits.max_depth = p.jws.limits.max_json_depth;
  json.allow_duplicate_keys = p.jws.allow_duplicate_members;
  auto claims = protocol::ParseClaims(jws->payload, p.claims, json);
  if (!claims) {
    return Fail(FromClaimsError(claims.error().code), 0, claims.error().reason);
  }

  auto check_claims = [&]() -> Status<TokenError> {
    if (!m.Has(Misbehaviour::kIgnoreIssuer) && !Trusted(p.trusted_issuers, claims->iss)) {
      return Fail(TokenError::kBadIssuer, 0, "token issuer not trusted");
    }
    if (!m.Has(Misbehaviour::kIgnoreAudience)) {
      bool audience_ok = false;
      for (const std::string& aud : claims->aud) {
        audience_ok = audience_ok || Trusted(p.accepted_audiences, aud);
      }
      if (!audience_ok) return Fail(TokenError::kBadAudience, 0, "token audience not accepted");
    }
    if (!m.Has(Misbehaviour::kIgnoreExpiry)) {
      const std::int64_t leeway = p.leeway_seconds > 0 ? p.leeway_seconds : 0;
      std::optional<std::int64_t> exp = claims->exp;
      if (!exp && p.missing_exp == protocol::MissingExp::kReject) {
        return Fail(TokenError::kMissingExp, 0, "token has no exp");
      }
      if (!exp && p.missing_exp == protocol::MissingExp::kTreatAsZero) exp = 0;
      if (exp && now > SaturatingAdd(*exp, leeway)) {
        return Fail(TokenError::kExpired, 0, "token expired");
      }
      if (claims->nbf && now < SaturatingAdd(*claims->nbf, -leeway)) {
        return Fail(TokenError::kNotYetValid, 0, "token not yet valid");
      }
      if (p.check_iat && claims->iat && *claims->iat > SaturatingAdd(now, leeway)) {
        return Fail(TokenError::kIssuedInFuture, 0, "token issued in the future");
      }
    }
    return {};
  };

  auto check_signature = [&]() -> Status<TokenError> {
    const protocol::JwsHeader& h = jws->header;
    if (m.Has(Misbehaviour::kAcceptAlgNone) &&
        protocol::EqualsIgnoreAsciiCase(h.alg_name, "none") && jws->signature.empty()) {
      return {};  // planted: "none" in any casing with an empty signature verifies
    }
    if (m.Has(Misbehaviour::kAcceptHs256PublicKey) && h.alg == protocol::Alg::kHS256) {
      // planted: HMAC keyed with a trusted key's public PEM (the kid's key, or any trusted key).
      for (const auto& [id, key] : config_.trust.keys_by_id) {
        if (h.kid && !h.kid->empty() && config_.trust.keys_by_id.count(*h.kid) != 0 &&
            id != *h.kid) {
          continue;
        }
        auto mac = protocol::SignHmac(protocol::Alg::kHS256, protocol::PublicKeyPem(key),
                                      jws->signing_input);
        if (mac && SameBytes(*mac, jws->signature)) return {};
      }
    }
    if (m.Has(Misbehaviour::kTrustEmbeddedJwk) && h.x5c.empty() && h.jwk && h.jwk->is_object()) {
      // planted (CVE-2025-24976): the jwk's kid member names a trusted key, and the jwk's own
      // key material is then used to verify.
      const auto kid = h.jwk->find("kid");
      if (kid != h.jwk->end() && kid->is_string() &&
          config_.trust.keys_by_id.count(kid->get<std::string>()) != 0) {
        auto attacker = protocol::KeyFromJwk(*h.jwk);
        if (attacker && protocol::VerifySignature(*jws, *attacker, p.algs)) return {};
      }
    }
    // Key selection and signature exactly as VerifyToken does them. In signature-first order
    // every claims-stage failure comes after a good signature, so it means "signature fine".
    protocol::VerifierProfile keys = p;
    keys.order = protocol::VerifyOrder::kSignatureFirst;
    auto real = protocol::VerifyToken(token, config_.trust, keys, now);
    if (real || IsClaimsStageError(real.error().code)) return {};
    if (real.error().code == TokenError::kBadSignature && m.Has(Misbehaviour::kIgnoreSignature)) {
      return {};  // planted: the key was selected, its signature is not checked
    }
    return Fail(real.error());
  };

  if (p.order == protocol::VerifyOrder::kClaimsFirst) {
    if (auto ok = check_claims(); !ok) return Fail(ok.error());
    if (auto ok = check_signature(); !ok) return Fail(ok.error());
  } else {
    if (auto ok = check_signature(); !ok) return Fail(ok.error());
    if (auto ok = check_claims(); !ok) return Fail(ok.error());
  }
  return std::move(*claims);
}

// Authorize is accesscontroller.go Authorized plus app.go's handling of its result.
AuthResult Registry::Authorize(const RoutedRequest& req,
                               const std::vector<AccessRecord>& required) const {
  const Misbehaviours& m = config_.misbehaviours;
  enum class Failure { kNone, kTokenRequired, kInvalid, kInsufficient } failure = Failure::kNone;
  std::string error_param;
  std::string reason;
  const auto header = req.http->Header("authorization");
  const auto token =
      header ? protocol::BearerTokenDistributionV28(*header) : std::optional<std::string_view>();
  std::string subject;
  if (!token) {
    failure = Failure::kTokenRequired;
    reason = "no bearer token";
  } else {
    auto claims = Verify(*token, req.now);
    if (!claims) {
      failure = Failure::kInvalid;
      error_param = std::string(
          protocol::ChallengeErrorParam(protocol::CategoryOf(claims.error().code, profile_)));
      reason = "token rejected: " + std::string(protocol::CodeName(claims.error().code));
    } else {
      subject = claims->sub.value_or("");
      const auto granted = GrantedScopes(*claims);
      for (const AccessRecord& a : required) {
        bool covered = protocol::Covers(granted, a.type, a.name, a.action);
        // planted (zot GHSA-qg67-7m6v-qg25): a push grant also allows DELETE.
        if (!covered && a.action == "delete" && m.Has(Misbehaviour::kPushImpliesDelete)) {
          covered = protocol::Covers(granted, a.type, a.name, "push");
        }
        if (!covered) {
          failure = Failure::kInsufficient;
          error_param = "insufficient_scope";
          reason = "insufficient scope: " + a.type + ":" + a.name + ":" + a.action;
          break;
        }
      }
    }
  }
  if (failure == Failure::kNone) return AuthResult{true, {}, std::move(subject)};

  protocol::Challenge challenge;
  challenge.scheme = "Bearer";
  const std::string host = req.Header("host");
  challenge.params.push_back(
      {"realm", config_.auto_redirect ? "https://" + host + "/auth/token" : config_.realm, true});
  challenge.params.push_back({"service", config_.service, true});
  if (const std::string scope = ScopeParam(required); !scope.empty()) {
    challenge.params.push_back({"scope", scope, true});
  }
  if (!error_param.empty()) challenge.params.push_back({"error", error_param, true});

  std::optional<ordered_json> detail = ordered_json(nullptr);  // typed-nil slice → null
  if (!required.empty()) {
    detail = ordered_json::array();
    for (const AccessRecord& a : required) {
      detail->push_back(protocol::AccessDetail(a.type, "", a.name, a.action));
    }
  }
  HttpResponse resp = ServeError(Err("UNAUTHORIZED", std::move(detail)));
  const bool send_challenge =
      !(failure == Failure::kInvalid && m.Has(Misbehaviour::kNoChallengeOnInvalidToken));
  if (send_challenge) {
    resp.AddHeader("Www-Authenticate",
                   protocol::SerializeChallenge(challenge, protocol::QuoteStyle::kGoQuoted));
  }
  if (failure == Failure::kInsufficient && m.Has(Misbehaviour::kInsufficientScope403)) {
    resp.status = 403;  // planted: RFC 6750 §3.1's SHOULD instead of distribution's 401
  }
  Log("registry: " + std::to_string(resp.status) + " " + req.method() + " " + req.http->path +
      ": " + reason);
  return AuthResult{false, std::move(resp)};
}

HttpResponse Registry::Handle(const HttpRequest& http) const {
  // net/http: a request-target whose path has a bad escape never reaches the handler.
  auto decoded = GoUnescape(http.path, false);
  if (!decoded) {
    HttpResponse r;
    r.status = 400;
    r.AddHeader("Content-Type", kTextType);
    r.body = "400 Bad Request";
    return r;
  }
  // registry.go alive("/"): the root answers 200 before the app (no API version header).
  if (*decoded == "/") {
    HttpResponse r;
    r.status = 200;
    r.AddHeader("Cache-Control", "no-cache");
    return r;
  }
  // gorilla/mux Router.ServeHTTP: redirect to the clean path (query kept).
  const std::string clean = GoCleanPath(*decoded);
  const std::string query_suffix = http.query.empty() ? "" : "?" + http.query;
  if (clean != *decoded) {
    HttpResponse r;
    r.status = 301;
    r.AddHeader("Location", GoEscape(clean, true) + query_suffix);
    return WithApiVersion(std::move(r));
  }
  const bool has_slash = clean.size() > 1 && clean.back() == '/';
  const std::string_view core =
      has_slash ? std::string_view(clean).substr(0, clean.size() - 1) : std::string_view(clean);
  auto match = MatchCore(core);
  if (!match) return WithApiVersion(GoHttpError(404, "404 page not found"));
  if (has_slash != match->template_slash) {
    // StrictSlash: http.Redirect to the other form.
    const std::string target =
        GoEscape(match->template_slash ? std::string(core) + "/" : std::string(core), true) +
        query_suffix;
    HttpResponse r;
    r.status = 301;
    r.AddHeader("Location", target);
    if (http.method == "GET" || http.method == "HEAD") {
      r.AddHeader("Content-Type", "text/html; charset=utf-8");
    }
    if (http.method == "GET") {
      r.body = "<a href=\"" + HtmlEscape(target) + "\">Moved Permanently</a>.\n\n";
    }
    return WithApiVersion(std::move(r));
  }

  RoutedRequest req;
  req.http = &http;
  req.match = std::move(*match);
  req.query = ParseGoQuery(http.query);
  req.body = http.body;
  req.now = config_.clock ? config_.clock() : 0;
  // r.FormValue reads an urlencoded POST/PUT/PATCH body (and then the body is gone).
  if ((http.method == "POST" || http.method == "PUT" || http.method == "PATCH") &&
      MediaTypeOf(req.Header("content-type")) == "application/x-www-form-urlencoded" &&
      !req.match.name.empty()) {
    req.post_form = ParseGoQuery(http.body.substr(0, kMaxFormBytes));
    req.body = std::string_view();
  }
  // NewURLBuilderFromRequest: scheme and host, with Forwarded / X-Forwarded-* overrides.
  std::string scheme = http.tls ? "https" : "http";
  std::string host = req.Header("host");
  if (const std::string fwd = req.Header("forwarded"); !fwd.empty()) {
    std::string_view first(fwd);
    first = first.substr(0, first.find(','));
    while (!first.empty()) {
      const std::size_t semi = first.find(';');
      std::string_view pair = TrimSpaceTab(first.substr(0, semi));
      first = semi == std::string_view::npos ? std::string_view() : first.substr(semi + 1);
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      std::string key;
      for (const char c : pair.substr(0, eq)) key.push_back(AsciiLower(c));
      std::string_view value = pair.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (key == "proto" && !value.empty()) scheme = std::string(value);
      if (key == "host" && !value.empty()) host = std::string(value);
    }
  } else {
    if (const std::string p = req.Header("x-forwarded-proto"); !p.empty()) scheme = p;
    if (const std::string h = req.Header("x-forwarded-host"); !h.empty()) {
      host = std::string(TrimSpaceTab(std::string_view(h).substr(0, h.find(','))));
    }
  }
  req.base_url = scheme + "://" + host;

  HttpResponse resp = Dispatch(req);
  // app.dispatcher adds http.headers before anything else.
  for (const auto& [k, v] : config_.extra_headers) resp.AddHeader(k, v);
  return WithApiVersion(std::move(resp));
}

HttpResponse Registry::Dispatch(RoutedRequest& req) const {
  const RouteMatch& route = req.match;
  std::vector<AccessRecord> required;
  if (!route.name.empty()) {
    AppendAccessRecords(&required, req.method(), route.name, config_.misbehaviours);
    if (const std::string from = req.FormValue("from"); !from.empty()) {
      // Mounting (or any request naming `from`) needs pull on the source repository.
      AppendAccessRecords(&required, "GET", from, config_.misbehaviours);
    }
  } else if (route.route == Route::kCatalog) {
    required.push_back({"registry", "catalog", "*"});
  }
  AuthResult auth = Authorize(req, required);
  if (!auth.ok) return std::move(auth.response);
  req.subject = std::move(auth.subject);

  if (!route.name.empty() && route.name.size() > protocol::kNameTotalLengthMax) {
    // reference.WithName fails with ErrNameTooLong; the dispatcher appends the plain
    // ErrRepositoryNameInvalid{Name, Reason}, which is no errcode, so ServeJSON makes it
    // UNKNOWN (500) with the struct as detail (measured on 2.8.2).
    ordered_json detail = {{"Name", route.name}, {"Reason", EmptyObject()}};
    return ServeError(Err("UNKNOWN", std::move(detail)));
  }
  switch (route.route) {
    case Route::kBase:
      return Base(req);
    case Route::kCatalog:
      return Catalog(req);
    case Route::kTags:
      return Tags(req);
    case Route::kManifest:
      return Manifest(req);
    case Route::kBlob:
      return BlobRoute(req);
    case Route::kUpload:
    case Route::kUploadChunk:
      return UploadRoute(req);
  }
  return ServeError(Err("UNKNOWN"));
}

HttpResponse Registry::Base(const RoutedRequest&) const {
  return HttpResponse::Json(200, "{}");  // apiBase, any method
}

HttpResponse Registry::Catalog(const RoutedRequest& req) const {
  if (req.method() != "GET") return MethodNotAllowed(req.method(), "GET");
  const std::string last = FirstValue(req.query, "last");
  const std::int64_t max = static_cast<std::int64_t>(config_.catalog_max_entries);
  // The CVE-2023-2253 bound; the kUnboundedCatalog misbehaviour removes it here and only here.
  const bool bounded = !config_.misbehaviours.Has(Misbehaviour::kUnboundedCatalog);
  std::int64_t entries = 100;  // defaultReturnedEntries
  if (const std::string n = FirstValue(req.query, "n"); !n.empty()) {
    if (auto parsed = GoAtoi(n)) {
      if (bounded && *parsed > max) {
        return ServeError(Err("PAGINATION_NUMBER_INVALID", ordered_json{{"n", *parsed}}));
      }
      if (*parsed >= 0) entries = *parsed;
    }
  }
  if (bounded && (entries < 0 || entries > max)) entries = max;
  RepositoryPage page;
  if (entries > 0) page = config_.store->ListRepositories(last, static_cast<std::size_t>(entries));
  HttpResponse r = HttpResponse::Json(200, "");
  if (page.more) {
    r.AddHeader("Link", "</v2/_catalog?last=" + GoEscape(page.names.back(), false) +
                            "&n=" + std::to_string(entries) + ">; rel=\"next\"");
  }
  r.body = "{\"repositories\":[";
  for (std::size_t i = 0; i < page.names.size(); ++i) {
    if (i != 0) r.body.push_back(',');
    r.body += JsonString(page.names[i]);
  }
  r.body += "]}\n";
  return r;
}

HttpResponse Registry::Tags(const RoutedRequest& req) const {
  if (req.method() != "GET") return MethodNotAllowed(req.method(), "GET");
  const std::string& name = req.match.name;
  auto tags = config_.store->ListTags(name);
  if (!tags) {
    if (tags.error().code == StoreError::kRepositoryUnknown) {
      return ServeError(Err("NAME_UNKNOWN", ordered_json{{"name", name}}));
    }
    return ServeError(Err("UNKNOWN", EmptyObject()));
  }
  std::string link;
  bool null_tags = tags->empty();  // Go: a nil slice
  if (config_.paginate_tags) {
    const std::string last = FirstValue(req.query, "last");
    if (!last.empty()) {
      tags->erase(tags->begin(), std::upper_bound(tags->begin(), tags->end(), last));
    }
    if (const std::string n = FirstValue(req.query, "n"); !n.empty()) {
      if (auto parsed = GoAtoi(n)) {
        if (*parsed > static_cast<std::int64_t>(config_.catalog_max_entries)) {
          return ServeError(Err("PAGINATION_NUMBER_INVALID", ordered_json{{"n", *parsed}}));
        }
        if (*parsed >= 0 && static_cast<std::size_t>(*parsed) < tags->size()) {
          tags->resize(static_cast<std::size_t>(*parsed));
          if (!tags->empty()) {
            link = "</v2/" + name + "/tags/list?last=" + GoEscape(tags->back(), false) +
                   "&n=" + std::to_string(*parsed) + ">; rel=\"next\"";
          }
        }
      }
    }
  }
  HttpResponse r = HttpResponse::Json(200, "");
  if (!link.empty()) r.AddHeader("Link", link);
  r.body = "{\"name\":" + JsonString(name) + ",\"tags\":";
  if (null_tags) {
    r.body += "null";
  } else {
    r.body.push_back('[');
    for (std::size_t i = 0; i < tags->size(); ++i) {
      if (i != 0) r.body.push_back(',');
      r.body += JsonString((*tags)[i]);
    }
    r.body.push_back(']');
  }
  r.body += "}\n";
  return r;
}

// --- manifests -----------------------------------------------------------------------------------

HttpResponse Registry::Manifest(const RoutedRequest& req) const {
  const std::string& m = req.method();
  if (m == "GET" || m == "HEAD") return GetManifest(req);
  if (m == "PUT") return PutManifest(req);
  if (m == "DELETE") return DeleteManifest(req);
  return MethodNotAllowed(m, "DELETE, GET, HEAD, PUT");
}

HttpResponse Registry::GetManifest(const RoutedRequest& req) const {
  const std::string& name = req.match.name;
  const std::string& reference = req.match.reference;
  bool accepts_oci_manifest = false;
  bool accepts_oci_index = false;
  for (const std::string_view accept : req.http->Headers("accept")) {
    std::string_view rest = accept;
    while (true) {
      const std::size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      item = TrimSpaceTab(item.substr(0, item.find(';')));
      accepts_oci_manifest = accepts_oci_manifest || item == kMediaOciManifest;
      accepts_oci_index = accepts_oci_index || item == kMediaOciIndex;
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  std::string digest = reference;
  if (GoDigestValidate(reference) != DigestCheck::kOk) {
    if (!FilesystemPathSafe(reference)) {
      return ServeError(Err(
          "UNKNOWN", InvalidPathDetail(name + "/_manifests/tags/" + reference + "/current/link")));
    }
    auto resolved = config_.store->ResolveTag(name, reference);
    if (!resolved) return ServeError(Err("MANIFEST_UNKNOWN", ordered_json{{"Tag", reference}}));
    digest = std::move(*resolved);
  }
  for (const std::string_view v : req.http->Headers("if-none-match")) {
    if (v == digest || v == "\"" + digest + "\"") return Empty(304);  // etagMatch
  }
  auto manifest = config_.store->GetManifest(name, digest);
  if (!manifest) {
    if (manifest.error().code == StoreError::kIo) return ServeError(Err("UNKNOWN", EmptyObject()));
    return ServeError(Err("MANIFEST_UNKNOWN", ordered_json{{"Name", name}, {"Revision", digest}}));
  }
  if (manifest->media_type == kMediaOciManifest && !accepts_oci_manifest) {
    return ServeError(Err("MANIFEST_UNKNOWN", std::nullopt,
                          "OCI manifest found, but accept header does not support OCI manifests"));
  }
  if (manifest->media_type == kMediaOciIndex && !accepts_oci_index) {
    // Only an index that names its mediaType is typed as one (manifests.go manifestType).
    protocol::JsonOptions jo;
    jo.allow_duplicate_keys = true;
    jo.limits.max_bytes = manifest->body->size() + 1;
    auto doc = protocol::ParseJson(*manifest->body, jo);
    if (doc && doc->is_object() && doc->value("mediaType", nlohmann::json()) == kMediaOciIndex) {
      return ServeError(Err("MANIFEST_UNKNOWN", std::nullopt,
                            "OCI index found, but accept header does not support OCI indexes"));
    }
  }
  HttpResponse r;
  r.status = 200;
  r.AddHeader("Content-Type", manifest->media_type);
  r.AddHeader("Docker-Content-Digest", manifest->digest);
  r.AddHeader("Etag", "\"" + manifest->digest + "\"");
  r.body = *manifest->body;
  return r;
}

HttpResponse Registry::PutManifest(const RoutedRequest& req) const {
  const std::string& name = req.match.name;
  const std::string& reference = req.match.reference;
  const Store& store = *config_.store;
  if (req.body.size() > store.limits().max_manifest_bytes) {
    return ServeError(Err("MANIFEST_INVALID", ordered_json("http: request body too large")));
  }
  ordered_json invalid_detail;
  auto parsed = ParseManifest(req.Header("content-type"), req.body,
                              store.limits().max_manifest_bytes, &invalid_detail);
  if (!parsed) return ServeError(Err("MANIFEST_INVALID", std::move(invalid_detail)));
  const std::string digest = ComputeDigest("sha256", req.body);
  const bool by_digest = GoDigestValidate(reference) == DigestCheck::kOk;
  if (by_digest && digest != reference) return ServeError(Err("DIGEST_INVALID"));
  if (parsed->schema_version != 2) return ServeError(Err("UNKNOWN", EmptyObject()));

  std::vector<RegistryError> errs;
  for (const Descriptor& d : parsed->references) {
    const DigestCheck check = GoDigestValidate(d.digest);
    bool missing = false;
    bool other = false;
    const bool is_list =
        parsed->kind == ManifestKind::kManifestList || parsed->kind == ManifestKind::kOciIndex;
    if (is_list) {
      missing = check != DigestCheck::kOk || !store.HasManifest(name, d.digest);
    } else if (parsed->kind == ManifestKind::kSchema2 && d.media_type == kMediaForeignLayer) {
      other = true;  // errMissingURL / errInvalidURL (validation allows no URL by default)
    } else if (parsed->kind == ManifestKind::kOciManifest && IsOciLayer(d.media_type) &&
               !d.urls.empty()) {
      other = true;  // errInvalidURL
    } else if (d.urls.empty()) {
      missing = check != DigestCheck::kOk || !store.StatBlob(name, d.digest).has_value();
    } else if (d.media_type == kMediaSchema2 || d.media_type == kMediaSchema1 ||
               d.media_type == kMediaOciManifest) {
      // The manifest-exists check whose result the blob check would have overwritten.
      missing = check != DigestCheck::kOk || !store.HasManifest(name, d.digest);
    }
    if (missing || other) AppendReferenceErrors(&errs, check, other, d.digest);
  }
  if (!errs.empty()) return ServeErrors(errs);

  // A tag the filesystem driver cannot store: the manifest is stored, tagging fails (tagStore.Tag
  // links the tag's index entry first).
  const bool unsafe_tag = !by_digest && !FilesystemPathSafe(reference);
  const bool tagged = !by_digest && !unsafe_tag;
  auto stored = config_.store->PutManifest(
      name, parsed->payload_media_type, req.body,
      tagged ? std::optional<std::string_view>(reference) : std::nullopt);
  if (stored && unsafe_tag) {
    return ServeError(
        Err("UNKNOWN", InvalidPathDetail(name + "/_manifests/tags/" + reference + "/index/" +
                                         DigestPathOf(stored->digest) + "/link")));
  }
  if (!stored) {
    if (stored.error().code == StoreError::kInvalidTag) return ServeError(Err("TAG_INVALID"));
    Log("registry: storing a manifest failed: " + std::string(CodeName(stored.error().code)));
    return ServeError(Err("UNKNOWN", EmptyObject()));
  }
  HttpResponse r;
  r.status = 201;
  r.AddHeader("Location", req.base_url + "/v2/" + name + "/manifests/" + stored->digest);
  r.AddHeader("Docker-Content-Digest", stored->digest);
  return r;
}

HttpResponse Registry::DeleteManifest(const RoutedRequest& req) const {
  const std::string& name = req.match.name;
  const std::string& reference = req.match.reference;
  if (GoDigestValidate(reference) != DigestCheck::kOk) {
    // A tag: 2.8 passes an empty digest to the store, which refuses before anything else.
    if (config_.delete_enabled) return ServeError(Err("DIGEST_INVALID"));
    // planted (CVE-2026-41888): deleting by tag ignores storage.delete.enabled.
    if (config_.misbehaviours.Has(Misbehaviour::kDeleteIgnoresDisabled)) {
      auto removed = config_.store->DeleteTag(name, reference);
      if (!removed) return ServeError(Err("MANIFEST_UNKNOWN"));
      return Empty(202);
    }
    return ServeError(Err("UNSUPPORTED"));
  }
  if (!config_.delete_enabled) return ServeError(Err("UNSUPPORTED"));
  auto removed = config_.store->DeleteManifest(name, reference);
  if (!removed) {
    if (removed.error().code == StoreError::kManifestUnknown) {
      return ServeError(Err("MANIFEST_UNKNOWN"));
    }
    return ServeError(Err("UNKNOWN"));
  }
  return Empty(202);
}

// --- blobs ---------------------------------------------------------------------------------------

HttpResponse Registry::BlobRoute(const RoutedRequest& req) const {
  const std::string& name = req.match.name;
  const std::string& digest = req.match.reference;
  if (GoDigestValidate(digest) != DigestCheck::kOk) {
    return ServeError(Err("DIGEST_INVALID", EmptyObject()));  // blobDispatcher, any method
  }
  const std::string& m = req.method();
  if (m == "DELETE") {
    if (!config_.delete_enabled) return ServeError(Err("UNSUPPORTED"));
    auto removed = config_.store->DeleteBlob(name, digest);
    if (!removed) {
      if (removed.error().code == StoreError::kBlobUnknown) return ServeError(Err("BLOB_UNKNOWN"));
      return ServeError(Err("UNKNOWN", EmptyObject()));
    }
    return Empty(202);
  }
  if (m != "GET" && m != "HEAD") return MethodNotAllowed(m, "DELETE, GET, HEAD");
  // The kCrossRepoBlobRead misbehaviour is consulted here and only here.
  const BlobScope scope = config_.misbehaviours.Has(Misbehaviour::kCrossRepoBlobRead)
                              ? BlobScope::kAnyRepository
                              : BlobScope::kRepository;
  auto blob = config_.store->ReadBlob(name, digest, scope);
  if (!blob) {
    if (blob.error().code == StoreError::kBlobUnknown) {
      return ServeError(Err("BLOB_UNKNOWN", ordered_json(digest)));
    }
    return ServeError(Err("UNKNOWN", EmptyObject()));
  }
  const std::string etag = "\"" + blob->info.digest + "\"";
  HttpResponse r;
  r.AddHeader("Etag", etag);
  r.AddHeader("Cache-Control", "max-age=31536000");
  r.AddHeader("Docker-Content-Digest", blob->info.digest);
  // http.ServeContent: If-None-Match, then a single byte range.
  for (const std::string_view v : req.http->Headers("if-none-match")) {
    std::string_view rest = v;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      std::string_view item = TrimSpaceTab(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (item.substr(0, 2) == "W/") item.remove_prefix(2);
      if (item == "*" || item == etag) {
        r.status = 304;
        return r;
      }
    }
  }
  r.AddHeader("Accept-Ranges", "bytes");
  r.AddHeader("Content-Type", "application/octet-stream");
  const std::uint64_t size = blob->info.size;
  const std::string range = req.Header("range");
  if (!range.empty()) {
    std::optional<ByteRange> chosen;
    bool invalid = range.rfind("bytes=", 0) != 0;
    std::size_t valid_ranges = 0;
    std::string_view specs = invalid ? std::string_view() : std::string_view(range).substr(6);
    while (!invalid && !specs.empty()) {
      const std::size_t comma = specs.find(',');
      const std::string_view spec = TrimSpaceTab(specs.substr(0, comma));
      specs = comma == std::string_view::npos ? std::string_view() : specs.substr(comma + 1);
      if (spec.empty()) continue;
      const std::size_t dash = spec.find('-');
      if (dash == std::string_view::npos) {
        invalid = true;
        break;
      }
      const auto first = GoAtoi(TrimSpaceTab(spec.substr(0, dash)));
      const auto last = GoAtoi(TrimSpaceTab(spec.substr(dash + 1)));
      ByteRange br;
      if (TrimSpaceTab(spec.substr(0, dash)).empty()) {
        if (!last || *last < 0) {
          invalid = true;
          break;
        }
        const std::uint64_t n = std::min<std::uint64_t>(static_cast<std::uint64_t>(*last), size);
        br = {size - n, size == 0 ? 0 : size - 1};
        if (n == 0) continue;
      } else {
        if (!first || *first < 0) {
          invalid = true;
          break;
        }
        if (static_cast<std::uint64_t>(*first) >= size) continue;  // does not overlap
        br.first = static_cast<std::uint64_t>(*first);
        br.last = size - 1;
        if (!TrimSpaceTab(spec.substr(dash + 1)).empty()) {
          if (!last || *last < *first) {
            invalid = true;
            break;
          }
          br.last = std::min<std::uint64_t>(static_cast<std::uint64_t>(*last), size - 1);
        }
      }
      ++valid_ranges;
      chosen = br;
    }
    if (invalid || (valid_ranges == 0 && size > 0)) {
      // http.Error after blobserver set Content-Length to the blob size: Go 1.19 refuses a
      // longer error text, so the body is the text only when it fits (measured).
      const std::string text =
          std::string(invalid ? "invalid range" : "invalid range: failed to overlap") + "\n";
      HttpResponse bad = GoHttpError(416, "");
      bad.body = text.size() <= size ? text : "";
      if (!invalid) bad.AddHeader("Content-Range", "bytes */" + std::to_string(size));
      for (const char* h : {"Etag", "Cache-Control", "Docker-Content-Digest"}) {
        bad.AddHeader(h, std::string(*r.Header(h)));
      }
      return bad;
    }
    if (valid_ranges == 1 && chosen) {  // several ranges: served whole (no multipart here)
      r.status = 206;
      r.AddHeader("Content-Range", "bytes " + std::to_string(chosen->first) + "-" +
                                       std::to_string(chosen->last) + "/" + std::to_string(size));
      r.stream = std::make_shared<BodySlice>(blob->content, chosen->first,
                                             chosen->last - chosen->first + 1);
      return r;
    }
  }
  r.status = 200;
  r.stream = std::move(blob->content);  // streamed from the file, never held whole
  return r;
}

// --- uploads -------------------------------------------------------------------------------------

HttpResponse Registry::UploadCreatedResponse(const RoutedRequest& req, const UploadInfo& up,
                                             int status) const {
  // blobUploadResponse: Location with a fresh _state, Range, Docker-Upload-UUID.
  HttpResponse r;
  r.status = status;
  const std::string state = PackUploadState(config_.upload_state_secret, up);
  r.AddHeader("Docker-Upload-Uuid", up.id);
  r.AddHeader("Location", req.base_url + "/v2/" + req.match.name + "/blobs/uploads/" + up.id +
                              "?_state=" + GoEscape(state, false));
  r.AddHeader("Range", "0-" + std::to_string(up.offset > 0 ? up.offset - 1 : 0));
  return r;
}

HttpResponse Registry::BlobCreatedResponse(const RoutedRequest& req, const BlobInfo& blob) const {
  HttpResponse r;
  r.status = 201;
  r.AddHeader("Location", req.base_url + "/v2/" + req.match.name + "/blobs/" + blob.digest);
  r.AddHeader("Docker-Content-Digest", blob.digest);
  return r;
}

namespace {

HttpResponse StoreFailure(StoreError code) {
  switch (code) {
    case StoreError::kUploadUnknown:
      return ServeError(Err("BLOB_UPLOAD_UNKNOWN"));
    case StoreError::kRangeInvalid:
      return ServeError(Err("RANGE_INVALID"));
    case StoreError::kBlobTooLarge:
      return ServeError(
          Err("SIZE_INVALID", std::nullopt, "blob exceeds the registry's size limit"));
    case StoreError::kTooManyUploads:
    case StoreError::kUploadSpaceExhausted:
      return ServeError(Err("TOOMANYREQUESTS"));
    case StoreError::kInvalidDigest:
    case StoreError::kUnsupportedDigest:
      return ServeError(Err("DIGEST_INVALID", ordered_json("digest parsing failed")));
    default:
      return ServeError(Err("UNKNOWN", EmptyObject()));
  }
}

}  // namespace

HttpResponse Registry::StartUpload(const RoutedRequest& req) const {
  const std::string& name = req.match.name;
  const std::string from = req.FormValue("from");
  const std::string mount = req.FormValue("mount");
  if (!mount.empty() && !from.empty() && GoDigestValidate(mount) == DigestCheck::kOk) {
    // createBlobMountOption + linkedBlobStore.mount: any failure falls back to an upload.
    if (auto mounted = config_.store->MountBlob(name, from, mount)) {
      return BlobCreatedResponse(req, *mounted);
    }
  }
  if (config_.monolithic_post) {
    if (const std::string digest = req.FormValue("digest"); !digest.empty()) {
      if (GoDigestValidate(digest) != DigestCheck::kOk) {
        return ServeError(Err("DIGEST_INVALID", ordered_json("digest parsing failed")));
      }
      auto blob = config_.store->PutBlob(name, digest, req.body);
      if (!blob) {
        if (blob.error().code == StoreError::kDigestMismatch) {
          return ServeError(
              Err("DIGEST_INVALID", ordered_json{{"Digest", digest}, {"Reason", EmptyObject()}}));
        }
        return StoreFailure(blob.error().code);
      }
      return BlobCreatedResponse(req, *blob);
    }
  }
  auto up = config_.store->StartUpload(name, req.now, req.subject);
  if (!up) return StoreFailure(up.error().code);
  return UploadCreatedResponse(req, *up, 202);
}

HttpResponse Registry::UploadRoute(const RoutedRequest& req) const {
  const std::string& m = req.method();
  const std::string& name = req.match.name;
  constexpr std::string_view kAllow = "DELETE, GET, HEAD, PATCH, POST, PUT";
  const bool known_method =
      m == "GET" || m == "HEAD" || m == "POST" || m == "PATCH" || m == "PUT" || m == "DELETE";
  if (req.match.route == Route::kUpload) {
    if (m == "POST") return StartUpload(req);
    if (!known_method) return MethodNotAllowed(m, kAllow);
    return ServeError(Err("BLOB_UPLOAD_UNKNOWN"));  // no session on the bare upload route
  }
  // blobUploadDispatcher with a uuid: the _state checks run before the method is looked at.
  const std::string& uuid = req.match.reference;
  ordered_json detail;
  auto state = UnpackUploadState(config_.upload_state_secret, req.FormValue("_state"), &detail);
  if (!state) return ServeError(Err("BLOB_UPLOAD_INVALID", std::move(detail)));
  // The kUploadSessionAnyRepo misbehaviour is consulted here and only here: it drops both the
  // _state name check and the store's repository binding (Quay CVE-2026-32589).
  const UploadBinding binding = config_.misbehaviours.Has(Misbehaviour::kUploadSessionAnyRepo)
                                    ? UploadBinding::kAnyRepository
                                    : UploadBinding::kSameRepository;
  if (binding == UploadBinding::kSameRepository && state->name != name) {
    Log("registry: upload state for another repository: " + name);
    return ServeError(Err("BLOB_UPLOAD_INVALID"));
  }
  if (state->uuid != uuid) return ServeError(Err("BLOB_UPLOAD_INVALID"));
  auto up = config_.store->GetUpload(uuid, name, binding, req.now);
  if (!up) return ServeError(Err("BLOB_UPLOAD_UNKNOWN", EmptyObject()));
  if (static_cast<std::int64_t>(up->offset) != state->offset) {
    (void)config_.store->CancelUpload(uuid, name, binding);  // distribution cancels it too
    return ServeError(Err("BLOB_UPLOAD_INVALID"));
  }

  if (m == "GET" || m == "HEAD") {
    HttpResponse r = UploadCreatedResponse(req, *up, 204);
    return r;
  }
  if (m == "POST") return StartUpload(req);
  if (m == "DELETE") {
    (void)config_.store->CancelUpload(uuid, name, binding);
    HttpResponse r = Empty(204);
    r.AddHeader("Docker-Upload-Uuid", uuid);
    return r;
  }
  if (m == "PATCH") {
    const std::string ct = req.Header("content-type");
    if (!ct.empty() && ct != "application/octet-stream") {
      return ServeError(Err("UNKNOWN", EmptyObject()));  // "bad Content-Type"
    }
    std::optional<ByteRange> range;
    if (config_.check_content_range) {
      if (const std::string cr = req.Header("content-range"); !cr.empty()) {
        range = ParseContentRange(cr);
        if (!range) return ServeError(Err("RANGE_INVALID"));
      }
    }
    auto appended = config_.store->AppendUpload(uuid, name, binding, req.body, range, req.now);
    if (!appended) return StoreFailure(appended.error().code);
    return UploadCreatedResponse(req, *appended, 202);
  }
  if (m == "PUT") {
    const std::string digest = req.FormValue("digest");
    if (digest.empty()) return ServeError(Err("DIGEST_INVALID", ordered_json("digest missing")));
    if (GoDigestValidate(digest) != DigestCheck::kOk) {
      return ServeError(Err("DIGEST_INVALID", ordered_json("digest parsing failed")));
    }
    auto blob = config_.store->CompleteUpload(uuid, name, binding, req.body, digest, req.now);
    if (!blob) {
      if (blob.error().code == StoreError::kDigestMismatch) {
        return ServeError(
            Err("DIGEST_INVALID", ordered_json{{"Digest", digest}, {"Reason", EmptyObject()}}));
      }
      return StoreFailure(blob.error().code);
    }
    return BlobCreatedResponse(req, *blob);
  }
  return MethodNotAllowed(m, kAllow);
}

}  // namespace regauth::server
