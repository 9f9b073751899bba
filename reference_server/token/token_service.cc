#include "reference_server/token/token_service.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <random>
#include <utility>
#include <variant>

#include "protocol/base64.h"
#include "protocol/credentials.h"
#include "protocol/error_body.h"
#include "protocol/http_auth_grammar.h"
#include "protocol/jwt.h"
#include "protocol/rfc3339.h"
#include "protocol/scope.h"
#include "protocol/token_response.h"

namespace regauth::server {

// Issued is one signed token with the instants it was signed for.
struct TokenService::Issued {
  std::string token;
  int64_t iat = 0;
  int64_t exp = 0;
};

namespace {

using protocol::Alg;
using protocol::BasicCredentials;
using protocol::Unexpected;
using protocol::World;

// GitLab's JSONWebToken::Token::DEFAULT_NOT_BEFORE_TIME and DEFAULT_EXPIRE_TIME (§3.8).
constexpr int64_t kNotBeforeSeconds = 5;
constexpr int64_t kNestedJwtLifetimeSeconds = 60;
// Misbehaviour long-lived-tokens: exp = iat + 30 days.
constexpr int64_t kLongLivedSeconds = 30 * 24 * 3600;
// The reference server's bound on resource scopes in one request (GitLab has none). The HTTP
// adapter's header limit already bounds the query; this bounds the work per request.
constexpr std::size_t kMaxScopesPerRequest = 1000;
// Longest raw scope text copied into a log line.
constexpr std::size_t kMaxLoggedScopeBytes = 200;

constexpr std::string_view kTwoFactorHelpPath =
    "/help/user/profile/account/two_factor_authentication_troubleshooting.md"
    "#error-http-basic-access-denied-if-a-password-was-provided-for-git-authentication-";

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// QueryPair is one `key=value` of a query string or form; `value` is nullopt for a bare `key`.
struct QueryPair {
  std::string key;
  std::optional<std::string> value;
};

// PairSyntax: how one form parser splits and reads `key=value` pairs.
struct PairSyntax {
  std::string_view separators;  // between pairs
  bool skip_leading_spaces;     // spaces after a separator are not part of the next key
  bool keyless_value_is_nil;    // "key" (no '='): a nil value, else ""
};

// ParsePairs splits `text` into percent-decoded pairs ('+' → space), skipping empty ones.
std::vector<QueryPair> ParsePairs(std::string_view text, const PairSyntax& syntax) {
  std::vector<QueryPair> out;
  std::size_t i = 0;
  while (i <= text.size()) {
    std::size_t end = text.find_first_of(syntax.separators, i);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(i, end - i);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      QueryPair p;
      p.key = net::PercentDecode(pair.substr(0, eq), true);
      if (eq != std::string_view::npos) {
        p.value = net::PercentDecode(pair.substr(eq + 1), true);
      } else if (!syntax.keyless_value_is_nil) {
        p.value = std::string();
      }
      out.push_back(std::move(p));
    }
    if (end == text.size()) break;
    i = end + 1;
    while (syntax.skip_leading_spaces && i < text.size() && text[i] == ' ') ++i;
  }
  return out;
}

// RackParseQuery is Rack 2.2's Utils.parse_query, which GitLab's scopes_param runs on the raw
// query string (§3.1): pairs separated by '&' or ';', each separator followed by any number of
// spaces (DEFAULT_SEP = /[&;] */n); empty pairs skipped; key and value split at the first '=',
// both decoded ('+' → space, %XX). DIVERGENCE: Ruby raises on a malformed %-escape (Rails
// answers 400); here it is kept literally, as net::HttpRequest::QueryParams does.
std::vector<QueryPair> RackParseQuery(std::string_view query) {
  return ParsePairs(query, {"&;", true, true});
}

// GoParseForm is Go's url.ParseQuery on an application/x-www-form-urlencoded body (distribution
// clients): '&'-separated pairs, '+' → space, %XX decoded.
std::vector<QueryPair> GoParseForm(std::string_view body) {
  return ParsePairs(body, {"&", false, false});
}

// Values returns the non-nil values of `key`, in order.
std::vector<std::string> Values(const std::vector<QueryPair>& pairs, std::string_view key) {
  std::vector<std::string> out;
  for (const QueryPair& p : pairs) {
    if (p.key == key && p.value) out.push_back(*p.value);
  }
  return out;
}

// LastValue is what Rails' `params[key]` holds for a repeated plain key (the last one wins).
std::optional<std::string> LastValue(const std::vector<QueryPair>& pairs, std::string_view key) {
  std::optional<std::string> out;
  for (const QueryPair& p : pairs) {
    if (p.key == key) out = p.value;
  }
  return out;
}

// FirstValue is what Go's FormValue returns (the first value, "" when absent).
std::optional<std::string> FirstValue(const std::vector<QueryPair>& pairs, std::string_view key) {
  for (const QueryPair& p : pairs) {
    if (p.key == key) return p.value.value_or(std::string());
  }
  return std::nullopt;
}

bool IsRubySpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// BasicHeader is what the controller makes of an Authorization header.
struct BasicHeader {
  enum class Kind { kNone, kBasic, kMalformed } kind = Kind::kNone;
  BasicCredentials credentials;
};

// ParseBasicHeader: Rails' authenticate_with_http_basic runs only when the first
// whitespace-separated word of the header is "basic" (any case); any other scheme (Bearer, …)
// leaves the caller anonymous (§3.1). A Basic header whose payload is not base64(user ":" pass)
// is answered 401 here. (Rails' own handling of a payload without ':' is version-dependent, §8:
// it may treat it as no credentials at all; refusing is the conservative choice.) The
// whitespace and padding tolerances are Ruby's lenient Base64.decode64 and split.
BasicHeader ParseBasicHeader(std::string_view value) {
  BasicHeader out;
  std::size_t i = 0;
  while (i < value.size() && IsRubySpace(value[i])) ++i;
  std::size_t j = i;
  while (j < value.size() && !IsRubySpace(value[j])) ++j;
  if (!protocol::EqualsIgnoreAsciiCase(value.substr(i, j - i), "basic")) return out;
  protocol::CredentialsOptions options;
  options.allow_lenient_whitespace = true;
  options.allow_unpadded_basic = true;
  options.allow_non_canonical_basic = true;
  options.allow_control_characters = true;
  auto parsed = protocol::ParseCredentials(value, options);
  const BasicCredentials* basic = parsed ? std::get_if<BasicCredentials>(&parsed->value) : nullptr;
  if (basic == nullptr) {
    out.kind = BasicHeader::Kind::kMalformed;
    return out;
  }
  out.kind = BasicHeader::Kind::kBasic;
  out.credentials = *basic;
  return out;
}

// LogValue quotes a value for a log line: printable ASCII kept, '"' and '\\' escaped, anything
// else as \xNN (no log injection), long values cut with a visible marker.
std::string LogValue(std::string_view v, std::size_t max = kMaxLoggedScopeBytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  const std::size_t n = std::min(v.size(), max);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (v.size() > max) out += "...(" + std::to_string(v.size()) + " bytes)";
  out += '"';
  return out;
}

std::string JoinActions(const std::vector<std::string>& actions) {
  std::string out;
  for (const std::string& a : actions) {
    if (!out.empty()) out += ',';
    out += a;
  }
  return out;
}

// DescribeAuth is the log fields naming the caller (never a secret).
std::string DescribeAuth(const AuthResult& auth) {
  std::string out = "auth_type=" + std::string(AuthTypeName(auth.type));
  if (auth.credential != nullptr) out += " credential=" + LogValue(auth.credential->id);
  if (auth.user != nullptr) out += " user=" + LogValue(auth.user->username);
  if (auth.job != nullptr) out += " job=" + std::to_string(auth.job->id);
  return out;
}

// DescribeDecisions lists every requested scope with its fate ("Denied container registry
// permissions" is GitLab's log_if_actions_denied; here every scope is logged).
std::string DescribeDecisions(const Authorization& az) {
  std::string out;
  for (std::size_t i = 0; i < az.decisions.size(); ++i) {
    const ScopeDecision& d = az.decisions[i];
    out += " scope" + std::to_string(i) + "=" + LogValue(d.scope) + ":" +
           std::string(CodeName(d.outcome));
    if (!d.granted_actions.empty()) out += "[" + JoinActions(d.granted_actions) + "]";
    if (d.ensures_repository) out += "+ensures_repository";
  }
  return out;
}

// GitLabError renders the service's error hash as Rails does: the whole hash, so "http_status"
// sits next to "errors" (§3.1, §3.4).
net::HttpResponse GitLabError(int status, std::string_view code, std::string_view message) {
  protocol::RegistryError e;
  e.code = std::string(code);
  e.message = std::string(message);
  protocol::ErrorBodySerializeOptions options;
  options.style = protocol::ErrorBodyStyle::kGitLab;
  options.http_status = status;
  return net::HttpResponse::Json(status, protocol::SerializeErrorBody({e}, options));
}

net::HttpResponse ForGate(Gate gate) {
  switch (gate) {
    case Gate::kRegistryDisabled:
      return GitLabError(404, "UNAVAILABLE", protocol::kGitLabRegistryNotEnabled);
    case Gate::kNoRegistryAbility:
    case Gate::kAnonymousNoScope:
      return GitLabError(403, "DENIED", protocol::kGitLabAccessForbidden);
    case Gate::kProtectedPath:
      return GitLabError(403, "DENIED", protocol::kGitLabProtectedPath);
    case Gate::kPassed:
      break;
  }
  return net::HttpResponse::Text(500, "Internal Server Error");
}

net::HttpResponse EmptyResponse(int status) {
  net::HttpResponse r;
  r.status = status;
  return r;
}

net::HttpResponse MethodNotAllowed(std::string allow) {
  net::HttpResponse r = net::HttpResponse::Text(405, "Method Not Allowed");
  r.AddHeader("Allow", std::move(allow));
  return r;
}

// OAuthError is an RFC 6749 §5.2 error response (distribution profile POST only).
net::HttpResponse OAuthError(std::string_view error, std::string_view description) {
  nlohmann::ordered_json j;
  j["error"] = std::string(error);
  j["error_description"] = std::string(description);
  return net::HttpResponse::Json(400, j.dump());
}

// SafeHost keeps a Host header only if it looks like host[:port] (the 401 body echoes it).
std::string SafeHost(std::optional<std::string_view> host) {
  if (!host || host->empty() || host->size() > 255) return "localhost";
  for (char c : *host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return "localhost";
  }
  return std::string(*host);
}

std::string RandomOpaqueToken() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return "";
  return protocol::Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Names and configuration
// ---------------------------------------------------------------------------------------------

std::string_view Name(TokenProfile profile) {
  return profile == TokenProfile::kGitLab ? "gitlab" : "distribution";
}

std::string_view Name(KidMode mode) {
  switch (mode) {
    case KidMode::kLibtrust:
      return "libtrust";
    case KidMode::kThumbprint:
      return "thumbprint";
    case KidMode::kX5c:
      return "x5c";
  }
  return "unknown";
}

std::optional<TokenProfile> ParseTokenProfile(std::string_view name) {
  if (name == "gitlab") return TokenProfile::kGitLab;
  if (name == "distribution") return TokenProfile::kDistribution;
  return std::nullopt;
}

std::optional<KidMode> ParseKidMode(std::string_view name) {
  if (name == "libtrust") return KidMode::kLibtrust;
  if (name == "thumbprint") return KidMode::kThumbprint;
  if (name == "x5c") return KidMode::kX5c;
  return std::nullopt;
}

std::string RandomUuidV4() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // OpenSSL's RNG failing is near-impossible; a jti only has to be unique, so fall back.
    std::random_device rd;
    for (auto& byte : b) byte = static_cast<unsigned char>(rd());
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 9562 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

protocol::Expected<void, std::string> ValidateTokenServiceConfig(const TokenServiceConfig& c) {
  using Err = Unexpected<std::string>;
  if (!c.world) return Err("token service: no world");
  if (!c.signing_key.valid() || !c.signing_key.is_private()) {
    return Err("token service: the signing key must be a private key");
  }
  const auto type = protocol::TypeOf(c.signing_key);
  if (!type) return Err("token service: unsupported signing key type");
  const Alg alg = c.alg.value_or(protocol::DefaultAlgFor(*type));
  if (!protocol::IsAsymmetric(alg)) {
    return Err("token service: the signing algorithm must be asymmetric (RS*, PS*, ES*, EdDSA)");
  }
  if (!protocol::AlgFitsKey(alg, *type)) {
    return Err("token service: algorithm " + std::string(protocol::AlgName(alg)) +
               " does not fit a " + std::string(protocol::KeyTypeName(*type)) + " key");
  }
  if (!c.certificate_chain.empty()) {
    for (const protocol::Certificate& cert : c.certificate_chain) {
      if (!cert.valid()) return Err("token service: empty certificate in the chain");
    }
    if (!protocol::SamePublicKey(c.certificate_chain.front().PublicKey(), c.signing_key)) {
      return Err("token service: the chain's leaf certificate does not carry the signing key");
    }
  }
  if (c.kid_mode == KidMode::kX5c && c.certificate_chain.empty()) {
    return Err("token service: kid mode x5c needs a certificate chain");
  }
  if (c.ip_ban.ban_after_failures < 0) return Err("token service: ban_after_failures < 0");
  if (c.ip_ban.ban_after_failures > 0 &&
      (c.ip_ban.window_seconds <= 0 || c.ip_ban.ban_seconds <= 0 ||
       c.ip_ban.max_tracked_addresses == 0)) {
    return Err("token service: IP ban window, duration and table size must be positive");
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// TokenService
// ---------------------------------------------------------------------------------------------

TokenService::TokenService(TokenServiceConfig config) : config_(std::move(config)) {
  if (auto ok = ValidateTokenServiceConfig(config_); !ok) {
    config_error_ = ok.error();
    return;
  }
  if (!config_.clock) {
    config_.clock = [] {
      return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
    };
  }
  if (!config_.jti) config_.jti = RandomUuidV4;
  const World& world = *config_.world;
  state_ = MakeState(config_.world);
  issuer_ = config_.issuer.empty() ? world.instance().issuer : config_.issuer;
  service_ = config_.service.empty() ? world.instance().service : config_.service;
  alg_ = config_.alg.value_or(protocol::DefaultAlgFor(*protocol::TypeOf(config_.signing_key)));

  const std::string libtrust = protocol::LibtrustKeyId(config_.signing_key);
  std::string jwks_kid = libtrust;
  switch (config_.kid_mode) {
    case KidMode::kLibtrust:
      kid_ = libtrust;
      break;
    case KidMode::kThumbprint:
      kid_ = protocol::JwkThumbprint(config_.signing_key);
      jwks_kid = kid_;
      break;
    case KidMode::kX5c:
      kid_.clear();  // the chain identifies the key; a verifier ignores kid next to x5c
      break;
  }
  // NEGATIVE CONTROL wrong-kid: the tokens name a different key (libtrust format), so a registry
  // that trusts only the real key must reject them.
  if (config_.misbehaviours.Has(Misbehaviour::kWrongKid)) {
    auto other = protocol::GenerateKey(protocol::KeyType::kEcP256);
    kid_ = other ? protocol::LibtrustKeyId(*other)
                 : "AAAA:AAAA:AAAA:AAAA:AAAA:AAAA:AAAA:AAAA:AAAA:AAAA:AAAA:AAAA";
  }

  jwt_header_ = nlohmann::json::object();
  jwt_header_["typ"] = "JWT";
  if (!kid_.empty()) jwt_header_["kid"] = kid_;
  nlohmann::json x5c = nlohmann::json::array();
  for (const protocol::Certificate& cert : config_.certificate_chain) {
    x5c.push_back(protocol::Base64Encode(cert.Der()));
    certificate_pem_ += protocol::CertificatePem(cert);
  }
  if (config_.kid_mode == KidMode::kX5c) jwt_header_["x5c"] = x5c;

  nlohmann::json jwk = protocol::PublicJwk(config_.signing_key, jwks_kid);
  jwk["use"] = "sig";
  jwk["alg"] = std::string(protocol::AlgName(alg_));
  if (!x5c.empty()) jwk["x5c"] = x5c;
  jwks_body_ = nlohmann::json{{"keys", nlohmann::json::array({jwk})}}.dump();
}

namespace {
// The state the current request of this thread is answered from (TokenService::Handle pins it).
thread_local const void* pinned_state = nullptr;
}  // namespace

std::shared_ptr<const TokenService::WorldState> TokenService::MakeState(
    std::shared_ptr<const World> world) {
  auto s = std::make_shared<WorldState>();
  s->index = CredentialIndex(*world);
  // Deploy token ids: GitLab's DeployToken#id. The world has none, so the reference server
  // numbers deploy tokens (project and group) from 1 in file order — the same n as the default
  // username gitlab+deploy-token-<n>.
  int64_t n = 0;
  for (const protocol::Credential& c : world->Credentials()) {
    if (c.kind == protocol::CredentialKind::kDeployToken ||
        c.kind == protocol::CredentialKind::kGroupDeployToken) {
      s->deploy_token_ids[&c] = ++n;
    }
  }
  s->world = std::move(world);
  return s;
}

void TokenService::SetWorld(std::shared_ptr<const World> world) {
  auto next = MakeState(std::move(world));
  std::lock_guard<std::mutex> lock(state_mu_);
  state_ = std::move(next);
}

const TokenService::WorldState& TokenService::Current() const {
  if (pinned_state != nullptr) return *static_cast<const WorldState*>(pinned_state);
  std::lock_guard<std::mutex> lock(state_mu_);
  return *state_;
}

int64_t TokenService::Now() const { return config_.clock(); }

AuthContext TokenService::ContextAt(int64_t now) const {
  AuthContext ctx;
  ctx.credentials = &Current().index;
  ctx.today = protocol::CivilFromDays(FloorDiv(now, 86400));
  ctx.misbehaviours = config_.misbehaviours;
  return ctx;
}

void TokenService::Log(std::string line) const {
  if (config_.log) config_.log(line);
}

std::string TokenService::RedactedLogin(std::string_view login) const {
  // A client that swapped the fields would put a secret in the username: never log it.
  if (Current().index.FindBySecret(login) != nullptr) return "[redacted]";
  return LogValue(login, 128);
}

int64_t TokenService::UserId(const protocol::User& user) const {
  // GitLab's User#id. The world has none: the reference server numbers users from 1 in the
  // world's order (people in file order, then generated bots).
  return static_cast<int64_t>(&user - Current().world->Users().data()) + 1;
}

int64_t TokenService::DeployTokenId(const protocol::Credential& token) const {
  const auto& ids = Current().deploy_token_ids;
  auto it = ids.find(&token);
  return it == ids.end() ? 0 : it->second;
}

net::HttpResponse TokenService::Handle(const net::HttpRequest& request) const {
  // Pin the world for the whole request: SetWorld may replace it meanwhile.
  std::shared_ptr<const WorldState> state;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    state = state_;
  }
  struct Pin {
    explicit Pin(const void* s) : previous(pinned_state) { pinned_state = s; }
    ~Pin() { pinned_state = previous; }
    const void* previous;
  } pin(state.get());
  if (!config_error_.empty()) {
    Log("token_service status=500 error=" + LogValue(config_error_));
    return net::HttpResponse::Text(500, "Internal Server Error");
  }
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (request.path == "/jwt/auth") {
    if (get) return HandleGet(request);
    if (request.method == "POST") {
      // routes.rb: `post 'jwt/auth', to: proc { [404, {}, ['']] }` (§3.1).
      if (config_.profile == TokenProfile::kGitLab) return EmptyResponse(404);
      return HandlePost(request);
    }
    return MethodNotAllowed("GET, HEAD, POST");
  }
  if (request.path == "/jwt/keys") {
    if (!get) return MethodNotAllowed("GET, HEAD");
    return net::HttpResponse::Json(200, jwks_body_);
  }
  if (request.path == "/jwt/certificate") {
    if (!get) return MethodNotAllowed("GET, HEAD");
    if (certificate_pem_.empty()) return net::HttpResponse::Text(404, "no certificate configured");
    net::HttpResponse r;
    r.status = 200;
    r.body = certificate_pem_;
    r.AddHeader("Content-Type", "application/x-pem-file");
    return r;
  }
  if (request.path == "/-/health") {
    if (!get) return MethodNotAllowed("GET, HEAD");
    return net::HttpResponse::Text(200, "GitLab OK");
  }
  return net::HttpResponse::Text(404, "Not Found");
}

net::HttpResponse TokenService::Unauthorized(const net::HttpRequest& request) const {
  // JwtController#render_access_denied: a plain `render json:` with status 401, no
  // WWW-Authenticate, no "http_status" (§3.1).
  const std::string base =
      !config_.external_url.empty()
          ? config_.external_url
          : std::string(request.tls ? "https://" : "http://") + SafeHost(request.Header("host"));
  protocol::RegistryError e;
  e.code = "UNAUTHORIZED";
  e.message =
      "HTTP Basic: Access denied. If a password was provided for Git authentication, the "
      "password was incorrect or you're required to use a token instead of a password. If a "
      "token was provided, it was either incorrect, expired, or improperly scoped. See " +
      base + std::string(kTwoFactorHelpPath);
  protocol::ErrorBodySerializeOptions options;
  options.style = protocol::ErrorBodyStyle::kGitLab;
  return net::HttpResponse::Json(401, protocol::SerializeErrorBody({e}, options));
}

bool TokenService::Banned(const std::string& ip, std::string_view login, int64_t now) const {
  if (config_.ip_ban.ban_after_failures <= 0 || login == "gitlab-ci-token") return false;
  std::lock_guard<std::mutex> lock(ban_mu_);
  auto it = bans_.find(ip);
  return it != bans_.end() && it->second.banned_until > now;
}

void TokenService::RecordLogin(const std::string& ip, std::string_view login, bool ok,
                               int64_t now) const {
  const IpBanConfig& cfg = config_.ip_ban;
  if (cfg.ban_after_failures <= 0 || login == "gitlab-ci-token") return;
  std::lock_guard<std::mutex> lock(ban_mu_);
  auto it = bans_.find(ip);
  if (ok) {
    // rate_limiter.reset! on success.
    if (it != bans_.end() && it->second.banned_until <= now) bans_.erase(it);
    return;
  }
  if (it == bans_.end()) {
    if (bans_.size() >= cfg.max_tracked_addresses) {
      for (auto e = bans_.begin(); e != bans_.end();) {
        const bool idle =
            e->second.banned_until <= now && now - e->second.window_start >= cfg.window_seconds;
        e = idle ? bans_.erase(e) : std::next(e);
      }
      if (bans_.size() >= cfg.max_tracked_addresses) return;
    }
    it = bans_.emplace(ip, BanEntry{0, now, 0}).first;
  }
  BanEntry& e = it->second;
  if (now - e.window_start >= cfg.window_seconds) {
    e.window_start = now;
    e.failures = 0;
  }
  if (++e.failures >= cfg.ban_after_failures) {
    e.banned_until = now + cfg.ban_seconds;
    e.failures = 0;
  }
}

std::string TokenService::SignJwt(const nlohmann::json& claims) const {
  auto token = protocol::SignCompact(jwt_header_, claims, alg_, config_.signing_key);
  return token ? std::move(*token) : std::string();
}

std::optional<TokenService::Issued> TokenService::Issue(const AuthResult& auth,
                                                        const Authorization& az,
                                                        int64_t now) const {
  const World& world = *Current().world;
  Issued out;
  out.iat = now;
  out.exp = now + world.instance().token_expire_delay_minutes * 60;
  // NEGATIVE CONTROL long-lived-tokens: exp = iat + 30 days.
  if (config_.misbehaviours.Has(Misbehaviour::kLongLivedTokens)) out.exp = now + kLongLivedSeconds;

  nlohmann::json access = nlohmann::json::array();
  for (const AccessEntry& a : az.access) {
    nlohmann::json entry = {{"type", a.type}, {"name", a.name}, {"actions", a.actions}};
    if (a.project != nullptr) {
      // access_metadata: `project_path: project&.full_path&.downcase` (gitlabhq
      // app/services/auth/container_registry_authentication_service.rb @de09f039, issue 8 item 9).
      nlohmann::json meta = {{"project_path", protocol::AsciiLower(a.project->path)},
                             {"project_id", a.project->id}};
      // root_namespace_id: `project&.root_ancestor&.id` — the top-level group, or for a personal
      // project its owner's user namespace (issue 8 item 9); omitted only when the world does not
      // give that namespace's id (users' `namespace_id`).
      const std::vector<const protocol::Group*> groups = world.AncestorGroups(a.project->path);
      if (!groups.empty()) {
        meta["root_namespace_id"] = groups.front()->id;
      } else if (const protocol::User* owner = world.FindUser(a.project->namespace_path);
                 a.project->personal && owner != nullptr && owner->namespace_id) {
        meta["root_namespace_id"] = *owner->namespace_id;
      }
      // tag_deny_access_patterns: only with the protected-tags flag, tag rules and a user.
      // NEGATIVE CONTROL omit-tag-deny-patterns: the member is left out.
      auto deny = TagDenyAccessPatterns(world, auth, *a.project, a.actions);
      if (deny && !config_.misbehaviours.Has(Misbehaviour::kOmitTagDenyPatterns)) {
        nlohmann::json patterns = nlohmann::json::object();
        for (const auto& [action, list] : *deny) patterns[action] = list;
        meta["tag_deny_access_patterns"] = std::move(patterns);
      }
      entry["meta"] = std::move(meta);
    }
    access.push_back(std::move(entry));
  }

  nlohmann::json claims = nlohmann::json::object();
  claims["auth_type"] = std::string(AuthTypeName(auth.type));
  claims["access"] = std::move(access);
  claims["jti"] = config_.jti();
  // token.audience = params[:service] (the requested service, equal to the configured one here).
  // NEGATIVE CONTROL wrong-audience: aud = "not-" + service.
  claims["aud"] =
      config_.misbehaviours.Has(Misbehaviour::kWrongAudience) ? "not-" + service_ : service_;
  // token.subject = current_user.try(:username): compacted away when nil (§3.8).
  if (auth.user != nullptr) claims["sub"] = auth.user->username;
  claims["iss"] = issuer_;
  claims["iat"] = out.iat;
  claims["nbf"] = out.iat - kNotBeforeSeconds;
  claims["exp"] = out.exp;

  if (config_.nested_user_jwt) {
    // user_info_token: {token_type, username, user_id} for a user, {token_type, username,
    // deploy_token_id} for a deploy token, else null; a plain JSONWebToken::RSAToken with the
    // default 60 s lifetime and no iss/aud/sub.
    nlohmann::json info = nullptr;
    if (auth.user != nullptr) {
      info = {{"token_type", std::string(AuthTypeName(auth.type))},
              {"username", auth.user->username},
              {"user_id", UserId(*auth.user)}};
    } else if (auth.deploy_token != nullptr) {
      info = {{"token_type", std::string(AuthTypeName(auth.type))},
              {"username", auth.deploy_token->login_username},
              {"deploy_token_id", DeployTokenId(*auth.deploy_token)}};
    }
    nlohmann::json nested = {{"user_info", std::move(info)},
                             {"jti", config_.jti()},
                             {"iat", out.iat},
                             {"nbf", out.iat - kNotBeforeSeconds},
                             {"exp", out.iat + kNestedJwtLifetimeSeconds}};
    std::string user_jwt = SignJwt(nested);
    if (user_jwt.empty()) return std::nullopt;
    claims["user"] = std::move(user_jwt);
  }
  out.token = SignJwt(claims);
  if (out.token.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> TokenService::StoreRefreshToken(const AuthResult& auth,
                                                           std::string login) const {
  if (auth.credential == nullptr) return std::nullopt;
  std::string token = RandomOpaqueToken();
  if (token.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(refresh_mu_);
  while (!refresh_order_.empty() && refresh_order_.size() >= config_.max_refresh_tokens) {
    refresh_tokens_.erase(refresh_order_.front());
    refresh_order_.pop_front();
  }
  refresh_tokens_[token] = RefreshGrant{auth.credential->id, std::move(login)};
  refresh_order_.push_back(token);
  return token;
}

std::optional<TokenService::RefreshGrant> TokenService::FindRefreshToken(
    const std::string& token) const {
  std::lock_guard<std::mutex> lock(refresh_mu_);
  auto it = refresh_tokens_.find(token);
  if (it == refresh_tokens_.end()) return std::nullopt;
  return it->second;
}

net::HttpResponse TokenService::HandleGet(const net::HttpRequest& request) const {
  const int64_t now = Now();
  const std::string& ip = request.remote_address;
  std::string log = "jwt_auth method=" + request.method + " ip=" + LogValue(ip, 64);
  const auto finish = [&](net::HttpResponse r, std::string_view extra) {
    Log(log + " status=" + std::to_string(r.status) + std::string(extra));
    return r;
  };

  // 1. authenticate_project_or_user (§3.1): only a Basic header is looked at.
  const std::optional<std::string_view> header = request.Header("authorization");
  // NEGATIVE CONTROL server-error-on-anonymous: no Authorization → 500 (gitlab-org/gitlab#536823).
  if (!header && config_.misbehaviours.Has(Misbehaviour::kServerErrorOnAnonymous)) {
    return finish(net::HttpResponse::Text(500, "Internal Server Error"), " error=anonymous_500");
  }
  const BasicHeader basic = header ? ParseBasicHeader(*header) : BasicHeader{};
  std::optional<BasicCredentials> credentials;
  if (basic.kind == BasicHeader::Kind::kBasic) credentials = basic.credentials;
  const std::string_view login = credentials ? std::string_view(credentials->username) : "";
  if (basic.kind != BasicHeader::Kind::kNone) {
    log += " login=" + RedactedLogin(login);
    // find_for_git_client: `raise IpBlocked if !skip_rate_limit?(login:) && banned?` → 403.
    if (Banned(ip, login, now)) {
      return finish(net::HttpResponse::Text(403, "Forbidden"), " error=ip_banned");
    }
  }
  protocol::Expected<AuthResult, AuthFailure> auth =
      basic.kind == BasicHeader::Kind::kMalformed
          ? protocol::Expected<AuthResult, AuthFailure>(
                Unexpected<AuthFailure>(AuthFailure::kMalformedBasic))
          : Authenticate(*Current().world, credentials, ContextAt(now));
  if (basic.kind != BasicHeader::Kind::kNone) RecordLogin(ip, login, auth.has_value(), now);
  if (!auth) {
    // 'JWT authentication failed' → render_access_denied.
    return finish(Unauthorized(request),
                  " error=authentication_failed reason=" + std::string(CodeName(auth.error())));
  }
  log += " " + DescribeAuth(*auth);

  const std::vector<QueryPair> query = RackParseQuery(request.query);
  // scopes_param: Array(parse_query(query_string)['scope']).flat_map(&:split). DIVERGENCE: a
  // bare `scope` (no '=') among repeated ones is nil there and `nil.split` raises (a 500); here
  // it is simply no scope.
  const std::vector<std::string> scopes = SplitScopeParams(Values(query, "scope"));
  if (scopes.size() > kMaxScopesPerRequest) {
    return finish(net::HttpResponse::Text(400, "too many scopes"), " error=too_many_scopes");
  }
  // NEGATIVE CONTROL reject-empty-scope: a login without scope gets 401 (zot #1125/#2096).
  if (scopes.empty() && config_.misbehaviours.Has(Misbehaviour::kRejectEmptyScope)) {
    return finish(Unauthorized(request), " error=empty_scope_rejected");
  }

  // 2. SERVICES[params[:service]] → `head :not_found` when unknown or missing, after
  // authentication (§3.1). `account` and `client_id` are permitted but never used.
  const std::optional<std::string> service = LastValue(query, "service");
  if (!service || *service != service_) {
    return finish(EmptyResponse(404), " error=unknown_service");
  }

  // 3. The service: gates, scopes, token.
  const Authorization az = Authorize(*Current().world, *auth, scopes, config_.misbehaviours);
  log += " gate=" + std::string(CodeName(az.gate)) + DescribeDecisions(az);
  if (az.gate != Gate::kPassed) return finish(ForGate(az.gate), "");
  const std::optional<Issued> issued = Issue(*auth, az, now);
  if (!issued)
    return finish(net::HttpResponse::Text(500, "Internal Server Error"), " error=signing");

  protocol::TokenResponse body;
  body.token = issued->token;
  if (config_.profile == TokenProfile::kDistribution) {
    // token.md: access_token (equal to token), expires_in, issued_at, and with offline_token=true
    // a refresh token (for an authenticated principal only: there is nothing to refresh for an
    // anonymous caller).
    body.access_token = issued->token;
    body.expires_in = issued->exp - issued->iat;
    body.issued_at = protocol::FormatRfc3339Utc(issued->iat);
    const std::optional<std::string> offline = LastValue(query, "offline_token");
    if (offline && protocol::EqualsIgnoreAsciiCase(*offline, "true") && credentials) {
      body.refresh_token = StoreRefreshToken(*auth, credentials->username);
      if (!body.refresh_token) {
        return finish(net::HttpResponse::Text(500, "Internal Server Error"),
                      " error=refresh_token");
      }
    }
  }
  return finish(net::HttpResponse::Json(200, protocol::SerializeTokenResponse(body)), "");
}

net::HttpResponse TokenService::HandlePost(const net::HttpRequest& request) const {
  const int64_t now = Now();
  const std::string& ip = request.remote_address;
  std::string log = "jwt_auth method=POST ip=" + LogValue(ip, 64);
  const auto finish = [&](net::HttpResponse r, std::string_view extra) {
    Log(log + " status=" + std::to_string(r.status) + std::string(extra));
    return r;
  };

  // oauth.md: grant_type, service and client_id are REQUIRED; scope is one space-separated
  // value; access_type=offline asks for a refresh token.
  const std::vector<QueryPair> form = GoParseForm(request.body);
  const std::optional<std::string> grant_type = FirstValue(form, "grant_type");
  const std::optional<std::string> service = FirstValue(form, "service");
  const std::optional<std::string> client_id = FirstValue(form, "client_id");
  if (!grant_type || grant_type->empty() || !service || service->empty() || !client_id ||
      client_id->empty()) {
    return finish(OAuthError("invalid_request", "grant_type, service and client_id are required"),
                  " error=invalid_request");
  }
  log += " grant_type=" + LogValue(*grant_type, 32);

  BasicCredentials credentials;
  std::optional<std::string> reuse_refresh_token;
  if (*grant_type == "password") {
    const std::optional<std::string> username = FirstValue(form, "username");
    const std::optional<std::string> password = FirstValue(form, "password");
    if (!username || !password) {
      return finish(OAuthError("invalid_request", "username and password are required"),
                    " error=invalid_request");
    }
    credentials = {*username, *password};
  } else if (*grant_type == "refresh_token") {
    const std::optional<std::string> refresh = FirstValue(form, "refresh_token");
    if (!refresh || refresh->empty()) {
      return finish(OAuthError("invalid_request", "refresh_token is required"),
                    " error=invalid_request");
    }
    const std::optional<RefreshGrant> grant = FindRefreshToken(*refresh);
    const protocol::Credential* credential =
        grant ? Current().world->FindCredential(grant->credential_id) : nullptr;
    if (credential == nullptr) {
      return finish(Unauthorized(request), " error=unknown_refresh_token");
    }
    // Re-authenticate the stored principal against the world as it is now: a token revoked,
    // expired or blocked since stops refreshing.
    credentials = {grant->login, credential->secret};
    reuse_refresh_token = *refresh;
  } else {
    return finish(OAuthError("unsupported_grant_type",
                             "grant_type must be password or "
                             "refresh_token"),
                  " error=unsupported_grant_type");
  }

  log += " login=" + RedactedLogin(credentials.username);
  if (Banned(ip, credentials.username, now)) {
    return finish(net::HttpResponse::Text(403, "Forbidden"), " error=ip_banned");
  }
  auto auth = Authenticate(*Current().world, credentials, ContextAt(now));
  RecordLogin(ip, credentials.username, auth.has_value(), now);
  if (!auth) {
    return finish(Unauthorized(request),
                  " error=authentication_failed reason=" + std::string(CodeName(auth.error())));
  }
  log += " " + DescribeAuth(*auth);
  if (*service != service_) return finish(EmptyResponse(404), " error=unknown_service");

  const std::vector<std::string> scopes =
      SplitScopeParams({FirstValue(form, "scope").value_or(std::string())});
  if (scopes.size() > kMaxScopesPerRequest) {
    return finish(net::HttpResponse::Text(400, "too many scopes"), " error=too_many_scopes");
  }
  const Authorization az = Authorize(*Current().world, *auth, scopes, config_.misbehaviours);
  log += " gate=" + std::string(CodeName(az.gate)) + DescribeDecisions(az);
  if (az.gate != Gate::kPassed) return finish(ForGate(az.gate), "");
  const std::optional<Issued> issued = Issue(*auth, az, now);
  if (!issued)
    return finish(net::HttpResponse::Text(500, "Internal Server Error"), " error=signing");

  protocol::TokenResponse body;
  body.access_token = issued->token;
  body.expires_in = issued->exp - issued->iat;
  body.issued_at = protocol::FormatRfc3339Utc(issued->iat);
  // oauth.md: `scope` is REQUIRED and holds the granted scope.
  std::vector<protocol::ResourceScope> granted;
  for (const AccessEntry& a : az.access) granted.push_back({a.type, "", a.name, a.actions});
  body.scope = protocol::SerializeScopeList(granted);
  if (reuse_refresh_token) {
    body.refresh_token = *reuse_refresh_token;  // the same token comes back (oauth.md)
  } else if (FirstValue(form, "access_type") == std::optional<std::string>("offline")) {
    body.refresh_token = StoreRefreshToken(*auth, credentials.username);
    if (!body.refresh_token) {
      return finish(net::HttpResponse::Text(500, "Internal Server Error"), " error=refresh_token");
    }
  }
  return finish(net::HttpResponse::Json(200, protocol::SerializeTokenResponse(body)), "");
}

}  // namespace regauth::server
