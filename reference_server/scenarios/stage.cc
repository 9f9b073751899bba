#include "reference_server/scenarios/stage.h"

#include <openssl/rand.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "protocol/ascii.h"
#include "protocol/base64.h"
#include "protocol/credentials.h"
#include "protocol/rfc3339.h"

namespace regauth::server::scenarios {
namespace {

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    // OpenSSL's DRBG does not fail on a working system; fall back to the clock rather than
    // issuing an all-zero token that two stages would share.
    const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    for (std::size_t i = 0; i < bytes; ++i) raw[i] = static_cast<char>((t >> ((i % 8) * 8)) ^ i);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

// FormValue returns the first value of `name` in an application/x-www-form-urlencoded body.
std::optional<std::string> FormValue(std::string_view body, std::string_view name) {
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (net::PercentDecode(pair.substr(0, eq), true) != name) continue;
    return eq == std::string_view::npos ? std::string()
                                        : net::PercentDecode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

net::HttpResponse RegistryError(int status, std::string_view code, std::string_view message) {
  nlohmann::json body = {
      {"errors", nlohmann::json::array({{{"code", code}, {"message", message}, {"detail", {}}}})}};
  net::HttpResponse res = net::HttpResponse::Json(status, body.dump());
  res.AddHeader("Docker-Distribution-API-Version", "registry/2.0");
  return res;
}

net::HttpResponse Unauthorized(const Stage& stage, std::string_view scope) {
  net::HttpResponse res = RegistryError(401, "UNAUTHORIZED", "authentication required");
  res.AddHeader("WWW-Authenticate", stage.BearerChallenge(scope));
  return res;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRegistry:
      return "registry";
    case Role::kRealm:
      return "realm";
    case Role::kOtherHost:
      return "other-host";
    case Role::kOtherPort:
      return "other-port";
  }
  return "unknown";
}

Stage::Stage(std::string password, std::array<std::string, 4> base_urls, std::string scratch_dir)
    : password_(std::move(password)),
      urls_(std::move(base_urls)),
      announced_realm_(urls_[static_cast<int>(Role::kRealm)] + "/token"),
      scratch_dir_(std::move(scratch_dir)),
      image_(net::BuildTinyImage("regauth-client-conformance")) {}

std::string Stage::IssueToken(Role issuer, bool refresh, std::size_t size) {
  std::string token = (refresh ? "rgr-" : "rgt-") + RandomHex(24);
  if (size > token.size()) token.append(size - token.size(), 'A');
  std::lock_guard<std::mutex> lock(mu_);
  TokenInfo info;
  info.issuer = issuer;
  info.refresh = refresh;
  info.label = (refresh ? "refresh-token#" : "token#") + std::to_string(tokens_.size() + 1);
  tokens_.emplace(token, std::move(info));
  return token;
}

void Stage::NoteToken(std::string_view token, std::string note) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(token);
  if (it != tokens_.end()) it->second.note = std::move(note);
}

std::optional<TokenInfo> Stage::FindToken(std::string_view token) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, TokenInfo>> Stage::Tokens() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {tokens_.begin(), tokens_.end()};
}

int Stage::Count(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counters_.find(name);
  if (it == counters_.end()) it = counters_.emplace(std::string(name), 0).first;
  return ++it->second;
}

std::string Stage::BearerChallenge(std::string_view scope) const {
  std::string c =
      "Bearer realm=\"" + announced_realm_ + "\",service=\"" + std::string(kService) + "\"";
  if (!scope.empty()) c += ",scope=\"" + std::string(scope) + "\"";
  return c;
}

bool Stage::Authorized(const net::HttpRequest& req) const {
  auto header = req.Header("authorization");
  if (!header) return false;
  auto creds = protocol::ParseCredentials(*header);
  if (!creds) return false;
  const auto* bearer = std::get_if<protocol::BearerCredentials>(&creds->value);
  if (bearer == nullptr) return false;
  auto info = FindToken(bearer->token);
  return info && info->issuer == Role::kRealm && !info->refresh;
}

bool Stage::BasicMatches(const net::HttpRequest& req) const {
  auto header = req.Header("authorization");
  if (!header) return false;
  auto creds = protocol::ParseCredentials(*header);
  if (!creds) return false;
  const auto* basic = std::get_if<protocol::BasicCredentials>(&creds->value);
  return basic != nullptr && basic->username == kUsername && basic->password == password_;
}

net::HttpResponse Stage::Default(Role role, const net::HttpRequest& req) {
  switch (role) {
    case Role::kRegistry:
      return DefaultRegistry(req);
    case Role::kRealm:
      return DefaultRealm(req);
    case Role::kOtherHost:
    case Role::kOtherPort:
      break;
  }
  return net::HttpResponse::Text(404, "not found\n");
}

net::HttpResponse Stage::DefaultRegistry(const net::HttpRequest& req) {
  if (req.method != "GET" && req.method != "HEAD") {
    return RegistryError(405, "UNSUPPORTED", "this registry only serves pulls");
  }
  if (req.path == "/v2/" || req.path == "/v2") {
    if (!Authorized(req)) return Unauthorized(*this, {});
    net::HttpResponse res = net::HttpResponse::Json(200, "{}");
    res.AddHeader("Docker-Distribution-API-Version", "registry/2.0");
    return res;
  }
  auto route = ParseRegistryRoute(req.path);
  if (!route) return RegistryError(404, "NOT_FOUND", "no such route");
  const std::string scope = "repository:" + route->name + ":pull";
  if (!Authorized(req)) return Unauthorized(*this, scope);
  if (route->name != kRepository) return RegistryError(404, "NAME_UNKNOWN", "no such repository");
  if (route->kind == "tags") {
    nlohmann::json body = {{"name", kRepository}, {"tags", {kTag}}};
    return net::HttpResponse::Json(200, body.dump());
  }
  const net::OciBlob* manifest = image_.Blob("manifest");
  const net::OciBlob* blob = nullptr;
  if (route->kind == "manifests") {
    if (route->reference == kTag || route->reference == manifest->digest) blob = manifest;
  } else {
    for (const auto& b : image_.blobs) {
      if (b.name != "manifest" && b.digest == route->reference) blob = &b;
    }
  }
  if (blob == nullptr) {
    return RegistryError(404, route->kind == "manifests" ? "MANIFEST_UNKNOWN" : "BLOB_UNKNOWN",
                         "unknown");
  }
  net::HttpResponse res;
  res.status = 200;
  res.body = blob->content;
  res.AddHeader("Content-Type",
                route->kind == "manifests" ? blob->media_type : "application/octet-stream");
  res.AddHeader("Docker-Content-Digest", blob->digest);
  res.AddHeader("Docker-Distribution-API-Version", "registry/2.0");
  return res;
}

net::HttpResponse Stage::DefaultRealm(const net::HttpRequest& req, Role issuer) {
  net::HttpResponse denied =
      net::HttpResponse::Json(401, R"({"errors":[{"code":"UNAUTHORIZED"}]})");
  denied.AddHeader("WWW-Authenticate", "Basic realm=\"hostile-realm\"");
  if (req.path != "/token") return net::HttpResponse::Text(404, "not found\n");
  if (req.method == "GET") {
    if (!BasicMatches(req)) return denied;
    return net::HttpResponse::Json(200, TokenBody(IssueToken(issuer)));
  }
  if (req.method != "POST") return net::HttpResponse::Text(405, "method not allowed\n");
  const std::string grant = FormValue(req.body, "grant_type").value_or("");
  if (grant == "password") {
    if (FormValue(req.body, "username") != std::string(kUsername) ||
        FormValue(req.body, "password") != password_) {
      return denied;
    }
  } else if (grant == "refresh_token") {
    auto info = FindToken(FormValue(req.body, "refresh_token").value_or(""));
    if (!info || !info->refresh || info->issuer != issuer) return denied;
  } else {
    return net::HttpResponse::Json(400, R"({"error":"unsupported_grant_type"})");
  }
  return net::HttpResponse::Json(200, TokenBody(IssueToken(issuer)));
}

std::string TokenBody(std::string_view token) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  nlohmann::json body = {{"token", token},
                         {"access_token", token},
                         {"expires_in", 300},
                         {"issued_at", protocol::FormatRfc3339Utc(now)}};
  return body.dump();
}

net::HttpResponse Redirect(std::string_view location, int status) {
  net::HttpResponse res;
  res.status = status;
  res.AddHeader("Location", std::string(location));
  return res;
}

std::optional<RegistryRoute> ParseRegistryRoute(std::string_view path) {
  if (!path.starts_with("/v2/")) return std::nullopt;
  std::string_view rest = path.substr(4);
  for (std::string_view kind : {"/manifests/", "/blobs/", "/tags/"}) {
    const std::size_t at = rest.rfind(kind);
    if (at == std::string_view::npos || at == 0) continue;
    RegistryRoute r;
    r.name = std::string(rest.substr(0, at));
    r.kind = std::string(kind.substr(1, kind.size() - 2));
    r.reference = std::string(rest.substr(at + kind.size()));
    if (r.kind == "tags" && r.reference != "list") continue;
    if (r.reference.empty()) continue;
    return r;
  }
  return std::nullopt;
}

}  // namespace regauth::server::scenarios
