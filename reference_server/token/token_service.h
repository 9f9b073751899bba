// token_service.h — the reference token service: GitLab's `/jwt/auth` as code (token-auth.md
// §3.1, §3.8, with §9's corrections), plus the distribution token spec's OAuth2 POST and refresh
// tokens (§1.3–§1.6; token.md, oauth.md, jwt.md) in the `distribution` profile.
//
// Routes (HEAD is answered like GET, as Rails routes it; the HTTP adapter drops the body):
//   GET  /jwt/auth         authenticate (policy.h) → 401 GitLab JSON, no WWW-Authenticate;
//                          then `service` unknown or missing → 404, empty body; then authorize →
//                          403/404 GitLab error hash with "http_status", or 200 with a JWT.
//                          gitlab: {"token":…} only. distribution: also access_token,
//                          expires_in, issued_at, and refresh_token with offline_token=true.
//   POST /jwt/auth         gitlab: 404, empty body (GitLab's routes.rb). distribution: the OAuth2
//                          form (grant_type password | refresh_token, service, client_id,
//                          access_type, scope) → access_token, scope, expires_in, issued_at,
//                          refresh_token.
//   GET  /jwt/keys         JWKS of the signing key (kid per the kid mode)
//   GET  /jwt/certificate  PEM certificate chain for a registry's rootcertbundle (404 if none)
//   GET  /-/health         200 "GitLab OK"
//   anything else → 404; a known path with another method → 405 with Allow.
//
// The JWT (§3.8): header {"alg","kid","typ":"JWT"} (x5c mode: {"alg","typ","x5c"}); claims
// auth_type, access (with meta project_path/project_id/root_namespace_id), jti, aud (the requested
// service), sub (omitted for anonymous, deploy tokens and jobs without a user), iss, iat,
// nbf = iat − 5, exp = iat + token_expire_delay_minutes·60, and `user`: a nested JWT signed with
// the same key whose payload is {user_info, jti, iat, nbf, exp = iat + 60}.
//
// Negative controls (misbehaviour.h, component "token-service") that concern the endpoint or the
// token contents are consulted in token_service.cc, each at exactly one point; the policy ones in
// policy.cc.
//
// Thread-safety: Handle is const and may run on many threads at once. The only shared mutable
// state (the IP ban table and the refresh-token store) is mutex-guarded; the injected clock, jti
// generator and log sink must themselves be thread-safe.
//
// Usage:
//   TokenServiceConfig cfg;
//   cfg.world = std::make_shared<const World>(std::move(*world));
//   cfg.signing_key = *LoadPrivateKeyPem(pem);
//   if (auto ok = ValidateTokenServiceConfig(cfg); !ok) { std::cerr << ok.error(); return 2; }
//   TokenService service(std::move(cfg));
//   net::HttpServer::Start(opts, [&service](const net::HttpRequest& r) { return service.Handle(r);
//   });
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/http_types.h"
#include "protocol/jws.h"
#include "protocol/keys.h"
#include "protocol/result.h"
#include "protocol/world.h"
#include "reference_server/misbehaviour.h"
#include "reference_server/token/credential_index.h"
#include "reference_server/token/policy.h"

namespace regauth::server {

// TokenProfile selects the endpoint's shape. The policy is GitLab's in both.
enum class TokenProfile {
  kGitLab,        // GitLab exactly: GET only, {"token"} only, offline_token ignored, POST → 404
  kDistribution,  // token.md/oauth.md: GET adds access_token/expires_in/issued_at and
                  // refresh tokens; POST implements the OAuth2 password and refresh grants
};

// KidMode selects how the token names its signing key (token-auth.md §6 item 12).
enum class KidMode {
  kLibtrust,    // kid = libtrust fingerprint (GitLab, distribution v2.x)
  kThumbprint,  // kid = RFC 7638 JWK thumbprint (distribution v3)
  kX5c,         // no kid; x5c = the certificate chain, standard base64 DER, leaf first
};

// The CLI spellings: "gitlab" | "distribution"; "libtrust" | "thumbprint" | "x5c".
std::string_view Name(TokenProfile profile);
std::string_view Name(KidMode mode);
std::optional<TokenProfile> ParseTokenProfile(std::string_view name);
std::optional<KidMode> ParseKidMode(std::string_view name);

// IpBanConfig is GitLab's failed-login IP ban (Gitlab::Auth::IpRateLimiter, Rack::Attack
// Allow2Ban; token-auth.md §3.1, §9): after `ban_after_failures` failed Basic logins from one
// address within `window_seconds`, that address gets 403 text/plain "Forbidden" for
// `ban_seconds` whenever it presents Basic credentials (anonymous requests are not affected).
// The login `gitlab-ci-token` neither counts nor is refused (skip_rate_limit?). A successful
// login resets the count. Off by default.
struct IpBanConfig {
  int ban_after_failures = 0;  // 0: off
  int64_t window_seconds = 60;
  int64_t ban_seconds = 3600;
  // Addresses tracked at once; when full, expired entries are purged and, if none expired,
  // a new address is not tracked (a flood of spoofed addresses cannot grow memory).
  std::size_t max_tracked_addresses = 100000;
};

// LogSink receives one line per request. Lines never contain a secret: no password, token,
// Authorization header, refresh token or key; a login that equals a world secret is redacted.
using LogSink = std::function<void(std::string_view line)>;

// TokenServiceConfig configures a TokenService. Defaults in the comments.
struct TokenServiceConfig {
  std::shared_ptr<const protocol::World> world;  // required; shared, immutable
  TokenProfile profile = TokenProfile::kGitLab;
  protocol::Key signing_key;  // required; a private key
  // Optional certificate chain, leaf first; the leaf's key must be the signing key. Served at
  // /jwt/certificate; required for KidMode::kX5c.
  std::vector<protocol::Certificate> certificate_chain;
  KidMode kid_mode = KidMode::kLibtrust;
  // Signing algorithm; nullopt → DefaultAlgFor(key) (RS256 for RSA, as GitLab). Must fit the key.
  std::optional<protocol::Alg> alg;
  std::string issuer;   // "" → world->instance().issuer
  std::string service;  // "" → world->instance().service (the only `service` accepted)
  // Base URL for the help link in the 401 body ("http://gitlab.example"); "" → the request's
  // scheme and Host header.
  std::string external_url;
  Misbehaviours misbehaviours;
  std::function<int64_t()> clock;    // unix seconds; empty → the system clock
  std::function<std::string()> jti;  // token ids; empty → RandomUuidV4
  LogSink log;                       // empty → no logging
  // Sign the nested `user` JWT (GitLab does; two signatures per token). false omits the `user`
  // claim, for speed experiments only.
  bool nested_user_jwt = true;
  IpBanConfig ip_ban;
  // distribution profile: refresh tokens kept in memory; the oldest is forgotten beyond this.
  std::size_t max_refresh_tokens = 100000;
};

// ValidateTokenServiceConfig checks what the constructor relies on: a world; a private signing
// key; an algorithm that is asymmetric and fits the key (AlgFitsKey); a chain whose leaf
// carries the signing key (if given); a chain for KidMode::kX5c; sane IP-ban numbers. The
// message names the problem and never contains key material.
protocol::Expected<void, std::string> ValidateTokenServiceConfig(const TokenServiceConfig& config);

// RandomUuidV4 returns a random RFC 9562 version-4 UUID ("8-4-4-4-12" lower-case hex) from
// OpenSSL's RNG: the default jti generator (GitLab uses SecureRandom.uuid).
std::string RandomUuidV4();

// TokenService answers the token endpoint. See the file comment.
class TokenService {
 public:
  // TokenService takes the configuration. An invalid one (see ValidateTokenServiceConfig) makes
  // every response a 500 and config_error() non-empty; validate first to report it properly.
  explicit TokenService(TokenServiceConfig config);
  TokenService(const TokenService&) = delete;
  TokenService& operator=(const TokenService&) = delete;

  // Handle answers one request. Thread-safe.
  net::HttpResponse Handle(const net::HttpRequest& request) const;

  // config_error is "" for a valid configuration, else why it is invalid.
  const std::string& config_error() const { return config_error_; }
  // key_id is the kid the tokens carry ("" in x5c mode), misbehaviours included.
  const std::string& key_id() const { return kid_; }
  const std::string& issuer() const { return issuer_; }
  const std::string& service() const { return service_; }
  protocol::Alg alg() const { return alg_; }

 private:
  struct Issued;
  struct BanEntry {
    int failures = 0;
    int64_t window_start = 0;
    int64_t banned_until = 0;
  };
  struct RefreshGrant {
    std::string credential_id;
    std::string login;
  };

  net::HttpResponse HandleGet(const net::HttpRequest& request) const;
  net::HttpResponse HandlePost(const net::HttpRequest& request) const;
  net::HttpResponse Unauthorized(const net::HttpRequest& request) const;
  std::optional<Issued> Issue(const AuthResult& auth, const Authorization& az, int64_t now) const;
  std::string SignJwt(const nlohmann::json& claims) const;
  int64_t Now() const;
  AuthContext ContextAt(int64_t now) const;
  bool Banned(const std::string& ip, std::string_view login, int64_t now) const;
  void RecordLogin(const std::string& ip, std::string_view login, bool ok, int64_t now) const;
  std::optional<std::string> StoreRefreshToken(const AuthResult& auth, std::string login) const;
  std::optional<RefreshGrant> FindRefreshToken(const std::string& token) const;
  std::string RedactedLogin(std::string_view login) const;
  void Log(std::string line) const;
  int64_t UserId(const protocol::User& user) const;
  int64_t DeployTokenId(const protocol::Credential& token) const;

  TokenServiceConfig config_;
  std::string config_error_;
  CredentialIndex index_;
  std::string issuer_;
  std::string service_;
  std::string kid_;
  protocol::Alg alg_ = protocol::Alg::kRS256;
  nlohmann::json jwt_header_;  // without "alg" (SignCompact sets it)
  std::string jwks_body_;
  std::string certificate_pem_;
  std::unordered_map<const protocol::Credential*, int64_t> deploy_token_ids_;

  mutable std::mutex ban_mu_;
  mutable std::unordered_map<std::string, BanEntry> bans_;
  mutable std::mutex refresh_mu_;
  mutable std::unordered_map<std::string, RefreshGrant> refresh_tokens_;
  mutable std::deque<std::string> refresh_order_;
};

}  // namespace regauth::server
