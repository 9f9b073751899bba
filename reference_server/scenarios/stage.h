// stage.h — the hostile registry's stage: four loopback origins, the throwaway credential a
// client logs in with, the tokens the stage's realms issued, the image it serves, and the
// well-behaved registry and realm a scenario bends (README "Client conformance").
//
// Origins (RFC 6454: scheme, host and port), each an HttpServer of net/:
//   registry    127.0.0.1:P1  the registry the client was told to use (http, or https)
//   realm       127.0.0.1:P2  the token endpoint the registry's challenge names (http or https)
//   other-host  127.0.0.2:P3  "another origin" on another host (a storage backend, an attacker)
//   other-port  127.0.0.1:P4  another origin on the registry's host (RFC 6454: the port counts)
// Every request any origin receives is recorded (recording.h) before its answer leaves.
//
// The well-behaved defaults (DefaultRegistry, DefaultRealm) follow the distribution token flow
// (distribution docs/spec/auth/token.md): /v2/ and repository routes answer 401 with
// `Bearer realm=…,service="hostile-registry"[,scope=…]` until the client presents a token the
// realm issued; the realm issues a fresh opaque token for GET (Basic) and for the OAuth2 POST
// forms (oauth.md: grant_type=password, grant_type=refresh_token). The registry serves one tiny
// OCI image (net/oci_image.h) as `acme/app:latest`.
//
// Usage (scenario code):
//   net::HttpResponse Handle(Stage& s, Role role, const net::HttpRequest& req) {
//     if (role == Role::kRegistry && IsBlobPath(req.path))
//       return Redirect(s.Url(Role::kOtherHost) + req.path);
//     return s.Default(role, req);
//   }
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"
#include "net/oci_image.h"

namespace regauth::server::scenarios {

// Role names one of the stage's origins.
enum class Role { kRegistry, kRealm, kOtherHost, kOtherPort };
inline constexpr std::array<Role, 4> kRoles = {Role::kRegistry, Role::kRealm, Role::kOtherHost,
                                               Role::kOtherPort};
std::string_view RoleName(Role role);  // "registry", "realm", "other-host", "other-port"

// kRepository/kTag/kService: what the stage serves and names in its challenges.
inline constexpr std::string_view kRepository = "acme/app";
inline constexpr std::string_view kTag = "latest";
inline constexpr std::string_view kService = "hostile-registry";
inline constexpr std::string_view kUsername = "regauth-client";

// TokenInfo says which realm issued a token and what it is called in reports ("token#2").
struct TokenInfo {
  Role issuer = Role::kRealm;
  std::string label;
  bool refresh = false;  // a refresh token (oauth.md), not an access token
  std::string note;      // how it was handed out, when that matters ("sent as access_token")
};

// Stage holds the per-instance state every handler shares. Thread-safe: handlers run on the
// servers' I/O threads.
class Stage {
 public:
  Stage(std::string password, std::array<std::string, 4> base_urls, std::string scratch_dir);

  // Url is the origin's base URL ("http://127.0.0.1:41234", no trailing '/').
  const std::string& Url(Role role) const { return urls_[static_cast<int>(role)]; }
  // RealmUrl is the realm the registry announces: the realm origin's /token unless a scenario
  // set another (SetAnnouncedRealm, before the servers start).
  const std::string& AnnouncedRealm() const { return announced_realm_; }
  void SetAnnouncedRealm(std::string realm) { announced_realm_ = std::move(realm); }

  const std::string& password() const { return password_; }
  // scratch_dir is a directory of the instance (files a scenario points a client at).
  const std::string& scratch_dir() const { return scratch_dir_; }
  const net::OciImage& image() const { return image_; }

  // IssueToken makes a fresh opaque token (or, with `size`, one of exactly that many bytes)
  // issued by `issuer` and remembers it.
  std::string IssueToken(Role issuer, bool refresh = false, std::size_t size = 0);
  // NoteToken attaches `note` to an issued token (shown in the recording's description).
  void NoteToken(std::string_view token, std::string note);
  // FindToken returns what is known about `token`, if the stage issued it.
  std::optional<TokenInfo> FindToken(std::string_view token) const;
  // Tokens returns every issued token with its info (for scanning requests).
  std::vector<std::pair<std::string, TokenInfo>> Tokens() const;

  // slow_delay: how long a slow answer is held (HostileStage sets it from StageOptions).
  std::chrono::milliseconds slow_delay() const { return slow_delay_; }
  void set_slow_delay(std::chrono::milliseconds d) { slow_delay_ = d; }

  // Count increments and returns the named counter (1 on the first call).
  int Count(std::string_view name);

  // BearerChallenge is `Bearer realm="<announced>",service="hostile-registry"` plus
  // `,scope="<scope>"` when scope is non-empty.
  std::string BearerChallenge(std::string_view scope = {}) const;
  // Authorized: the request carries `Bearer <token>` of a token the realm role issued.
  bool Authorized(const net::HttpRequest& req) const;
  // BasicMatches: the request carries Basic credentials of kUsername and the password.
  bool BasicMatches(const net::HttpRequest& req) const;

  // Default answers as the well-behaved registry (kRegistry), realm (kRealm) or, for the other
  // origins, 404.
  net::HttpResponse Default(Role role, const net::HttpRequest& req);
  // DefaultRegistry serves /v2/, tags/list, manifests and blobs of kRepository to a request
  // with a realm token; otherwise 401 with BearerChallenge (scoped on repository routes).
  net::HttpResponse DefaultRegistry(const net::HttpRequest& req);
  // DefaultRealm issues tokens at /token: GET with matching Basic credentials, POST
  // grant_type=password with matching form credentials, POST grant_type=refresh_token with a
  // refresh token it issued. `body` builds the 200 body from the new token (default:
  // TokenBody). Anything else → 401 with `Basic realm="hostile-realm"`.
  net::HttpResponse DefaultRealm(const net::HttpRequest& req, Role issuer = Role::kRealm);

 private:
  std::string password_;
  std::array<std::string, 4> urls_;
  std::string announced_realm_;
  std::string scratch_dir_;
  std::chrono::milliseconds slow_delay_{3000};
  net::OciImage image_;
  mutable std::mutex mu_;
  std::map<std::string, TokenInfo, std::less<>> tokens_;
  std::map<std::string, int, std::less<>> counters_;
};

// TokenBody is the distribution token.md body for `token`: {"token","access_token",
// "expires_in":300,"issued_at"}.
std::string TokenBody(std::string_view token);

// Redirect builds a 307 to `location` with an empty body.
net::HttpResponse Redirect(std::string_view location, int status = 307);

// RoutePath splits a registry path "/v2/<name>/<kind>/<reference>" where kind is manifests,
// blobs or tags; nullopt for others.
struct RegistryRoute {
  std::string name;
  std::string kind;  // "manifests", "blobs", "tags"
  std::string reference;
};
std::optional<RegistryRoute> ParseRegistryRoute(std::string_view path);

}  // namespace regauth::server::scenarios
