#include "harness/execute/steps.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "harness/suite/refs.h"
#include "net/process.h"
#include "protocol/ascii.h"
#include "protocol/base64.h"
#include "protocol/challenge.h"
#include "protocol/credentials.h"
#include "protocol/json.h"
#include "protocol/jws.h"
#include "protocol/token_response.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;
using protocol::Unexpected;
using Clock = std::chrono::steady_clock;

// ---- small helpers ---------------------------------------------------------------------------

std::optional<std::string> HeaderOf(const std::vector<std::pair<std::string, std::string>>& h,
                                    std::string_view name) {
  for (const auto& [k, v] : h) {
    if (protocol::EqualsIgnoreAsciiCase(k, name)) return v;
  }
  return std::nullopt;
}

std::string ContentTypeOf(const std::vector<std::pair<std::string, std::string>>& headers) {
  return HeaderOf(headers, "Content-Type").value_or("");
}

// OurTransportFailure: failures of the suite's setup or the network, not of the target.
bool OurTransportFailure(net::ClientErrorCode code) {
  switch (code) {
    case net::ClientErrorCode::kInvalidRequest:
    case net::ClientErrorCode::kResolve:
    case net::ClientErrorCode::kConnect:
    case net::ClientErrorCode::kTls:
    case net::ClientErrorCode::kInternal:
      return true;
    default:
      return false;
  }
}

std::string WithQuery(const std::string& base, const std::vector<std::string>& params) {
  if (params.empty()) return base;
  std::string out = base;
  out += base.find('?') == std::string::npos ? '?' : '&';
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out += '&';
    out += params[i];
  }
  return out;
}

// NowReference parses "now", "now+N", "now-N" (the name inside ${…}).
std::optional<int64_t> NowOffset(std::string_view name) {
  if (name == "now") return 0;
  if (name.size() < 5 || !name.starts_with("now") || (name[3] != '+' && name[3] != '-')) {
    return std::nullopt;
  }
  int64_t n = 0;
  for (char c : name.substr(4)) {
    if (c < '0' || c > '9' || n > 1'000'000'000'000LL) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return name[3] == '-' ? -n : n;
}

// AttackerJwk is the attacker's RSA public JWK (the key forge_token signs with for
// sign_with attacker_key and an RS* header) carrying the TRUSTED key's libtrust kid as its "kid"
// member: the header of CVE-2025-24976, where a verifier looked the kid member up and then
// verified with the embedded key material. nullopt when the run lacks the trusted key.
std::optional<nlohmann::json> AttackerJwk(const RunContext& ctx, std::string* why) {
  if (!ctx.verify_key) {
    *why = "${attacker_jwk} needs the target's signing key (its kid is the trusted one)";
    return std::nullopt;
  }
  protocol::Key key = ctx.attacker_keys != nullptr ? ctx.attacker_keys->Get(protocol::KeyType::kRsa)
                                                   : protocol::Key();
  if (!key.valid()) {
    *why = "${attacker_jwk}: generating the attacker key failed";
    return std::nullopt;
  }
  return protocol::PublicJwk(key, ctx.VerifyKid());
}

// SplitLocation splits a saved Location into its path part and its query (without '?').
std::pair<std::string_view, std::string_view> SplitLocation(std::string_view location) {
  const std::size_t q = location.find('?');
  if (q == std::string_view::npos) return {location, {}};
  return {location.substr(0, q), location.substr(q + 1)};
}

// kMaxRepeatBytes bounds what one ${repeat:N:text} produces (4 MiB: above the 1 MiB header
// limit of Go's net/http, so a case can cross it).
constexpr std::size_t kMaxRepeatBytes = 4u << 20;

// Sender sends one request for a step and records it, redacted, into the step's output.
class Sender {
 public:
  Sender(const RunContext& ctx, CaseState& state, StepResult& result, std::string_view step)
      : ctx_(ctx), state_(state), result_(result), step_(step) {}

  // Send performs the exchange. `before_record` runs on a response before it is redacted (to
  // register the secrets it carries). Returns the response, or nullopt on a transport failure
  // (result_.error set for ours, output.transport_error for the target's).
  std::optional<net::ClientResponse> Send(
      const net::ClientRequest& req, std::vector<CredentialUse> creds,
      const std::function<void(const net::ClientResponse&)>& before_record = nullptr) {
    const Redactor& r = *ctx_.redactor;
    Exchange ex;
    ex.step = step_;
    ex.request.method = req.method;
    ex.request.url = r.RedactUrl(req.url);
    for (const auto& [name, value] : req.headers) {
      ex.request.headers.emplace_back(name, r.RedactHeaderValue(name, value));
    }
    ex.request.body = r.RedactBody(ContentTypeOf(req.headers), req.body);
    const auto start = Clock::now();
    auto res = state_.client.Send(req);
    ex.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    StepOutput& out = result_.output;
    std::optional<net::ClientResponse> response;
    if (!res) {
      const std::string message =
          std::string(CodeName(res.error().code)) + ": " + r.Redact(res.error().message);
      ex.error = message;
      out.transport_error = true;
      out.status = 0;
      out.response_headers.clear();
      out.response_body.clear();
      if (OurTransportFailure(res.error().code)) {
        result_.error = req.method + " " + ex.request.url + " failed: " + message;
      }
    } else {
      if (before_record) before_record(*res);
      RecordedResponse rec;
      rec.status = res->status;
      for (const auto& [name, value] : res->headers) {
        rec.headers.emplace_back(name, r.RedactHeaderValue(name, value));
      }
      rec.body = r.RedactBody(ContentTypeOf(res->headers), res->body);
      ex.response = std::move(rec);
      out.transport_error = false;
      out.status = res->status;
      out.response_headers = res->headers;
      out.response_body = res->body;
      response = std::move(*res);
    }
    out.exchanges.push_back(std::move(ex));
    result_.credentials.push_back(std::move(creds));
    return response;
  }

 private:
  const RunContext& ctx_;
  CaseState& state_;
  StepResult& result_;
  std::string step_;
};

// Subst resolves references, turning a failure into the step's error or stop.
class Subst {
 public:
  Subst(const RunContext& ctx, const CaseState& state, StepResult& result)
      : ctx_(ctx), state_(state), result_(result) {}

  std::optional<std::string> operator()(std::string_view text,
                                        std::vector<CredentialUse>* used = nullptr) {
    auto r = SubstituteRefs(text, ctx_, state_, used);
    if (r) return std::move(*r);
    if (!failed()) {
      if (r.error().stop) {
        result_.stop = r.error().message;
      } else {
        result_.error = r.error().message;
      }
    }
    return std::nullopt;
  }

  // Json substitutes every string of `value`; a string that is exactly ${now…} becomes a number.
  std::optional<Json> JsonValue(const Json& value) {
    if (value.is_string()) {
      const auto& s = value.get_ref<const std::string&>();
      if (s.size() > 3 && s.starts_with("${") && s.back() == '}' && s.find('}') == s.size() - 1) {
        if (auto offset = NowOffset(std::string_view(s).substr(2, s.size() - 3))) {
          return Json(ctx_.Now() + *offset);
        }
        if (s == "${attacker_jwk}") {
          std::string why;
          if (auto jwk = AttackerJwk(ctx_, &why)) return Json(std::move(*jwk));
          result_.error = why;
          return std::nullopt;
        }
      }
      auto text = (*this)(s);
      if (!text) return std::nullopt;
      return Json(*text);
    }
    if (value.is_array()) {
      Json out = Json::array();
      for (const auto& v : value) {
        auto sub = JsonValue(v);
        if (!sub) return std::nullopt;
        out.push_back(std::move(*sub));
      }
      return out;
    }
    if (value.is_object()) {
      Json out = Json::object();
      for (const auto& [k, v] : value.items()) {
        auto sub = JsonValue(v);
        if (!sub) return std::nullopt;
        out[k] = std::move(*sub);
      }
      return out;
    }
    return value;
  }

  bool failed() const { return result_.error || result_.stop; }

 private:
  const RunContext& ctx_;
  const CaseState& state_;
  StepResult& result_;
};

void SkipOrError(const RunContext& ctx, StepResult& result, std::string reason) {
  if (ctx.tools.ci) {
    result.error = reason + " (CI=true: a missing client is an error, never a silent pass)";
  } else {
    result.skip = std::move(reason);
  }
}

// TokenFromResponse parses a token endpoint answer as the Go client would and registers every
// secret it holds with the redactor.
void TakeTokens(const net::ClientResponse& res, protocol::TokenResponseForm form,
                const RunContext& ctx, std::optional<std::string>* token,
                std::optional<std::string>* refresh) {
  if (res.status != 200) return;
  auto parsed =
      protocol::ParseTokenResponse(res.body, form, protocol::TokenResponseOptions::GoClient());
  if (!parsed) {
    // Still register anything token-shaped under the usual names, best effort.
    auto doc = protocol::ParseJson(res.body, protocol::JsonOptions{{}, true});
    if (doc && doc->is_object()) {
      for (const char* name : {"token", "access_token", "refresh_token"}) {
        auto it = doc->find(name);
        if (it != doc->end() && it->is_string()) ctx.redactor->AddSecret(it->get<std::string>());
      }
    }
    return;
  }
  for (const auto* v : {&parsed->token, &parsed->access_token, &parsed->refresh_token}) {
    if (*v) ctx.redactor->AddSecret(**v);
  }
  const std::string effective = parsed->EffectiveToken();
  if (!effective.empty()) *token = effective;
  if (parsed->refresh_token && !parsed->refresh_token->empty()) *refresh = *parsed->refresh_token;
}

// ---- token_request ---------------------------------------------------------------------------

StepResult TokenRequest(const Step& step, const RunContext& ctx, CaseState& state) {
  StepResult result;
  result.output.kind = StepKind::kTokenRequest;
  Subst subst(ctx, state, result);
  const TokenRequestStep& p = step.As<TokenRequestStep>();
  std::vector<CredentialUse> creds;

  std::optional<std::string> basic;
  std::optional<CredentialUse> basic_use;
  const std::optional<std::string>& credential_id = p.credential;
  if (credential_id) {
    const protocol::Credential* c = ctx.world->FindCredential(*credential_id);
    if (c == nullptr) {
      result.skip = "credential '" + *credential_id + "' is not in the world";
      return result;
    }
    const std::string mutation = p.mutate.value_or("");
    std::string username = c->login_username;
    std::string secret = c->secret;
    if (mutation == "wrong_secret") secret = MutatedSecret(*c, *ctx.world);
    if (mutation == "wrong_username") username = MutatedUsername(*c, *ctx.world);
    auto header = protocol::SerializeBasic(username, secret);
    if (!header) {
      result.error = "credential '" + *credential_id + "' cannot be sent as Basic (" +
                     std::string(CodeName(header.error().code)) + ")";
      return result;
    }
    basic = *header;
    basic_use = CredentialUse{*credential_id, mutation, username};
  }

  std::vector<std::string> query;
  if (p.service) {
    auto v = subst(*p.service);
    if (!v) return result;
    query.push_back("service=" + QueryEscape(*v));
  }
  std::vector<std::string> scopes;
  for (const auto& scope : p.scopes) {
    auto v = subst(scope);
    if (!v) return result;
    scopes.push_back(*v);
  }
  if (p.scope_encoding == "space_joined") {
    if (!scopes.empty()) {
      std::string joined;
      for (std::size_t i = 0; i < scopes.size(); ++i) joined += (i ? " " : "") + scopes[i];
      query.push_back("scope=" + QueryEscape(joined));
    }
  } else {
    for (const auto& s : scopes) query.push_back("scope=" + QueryEscape(s));
  }
  for (const auto& [k, v] : p.query) {
    auto value = subst(v, &creds);
    if (!value) return result;
    query.push_back(QueryEscape(k) + "=" + QueryEscape(*value));
  }

  net::ClientRequest req;
  req.method = p.method;
  req.url = WithQuery(ctx.target->realm, query);
  if (p.authorization) {
    auto v = subst(*p.authorization, &creds);
    if (!v) return result;
    req.headers.emplace_back("Authorization", *v);
  } else if (basic) {
    req.headers.emplace_back("Authorization", *basic);
    creds.insert(creds.begin(), *basic_use);
  }
  if (p.form) {
    std::string body;
    for (const auto& [k, v] : *p.form) {
      auto value = subst(v, &creds);
      if (!value) return result;
      if (!body.empty()) body += '&';
      body += QueryEscape(k) + "=" + QueryEscape(*value);
    }
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = std::move(body);
  }
  if (!req.headers.empty() || !creds.empty()) {
    if (auto why = ctx.guard.Check(req.url)) {
      result.error = *why;
      return result;
    }
  }
  const auto form = req.method == "POST" ? protocol::TokenResponseForm::kOAuth2
                                         : protocol::TokenResponseForm::kGet;
  std::optional<std::string> token, refresh;
  Sender sender(ctx, state, result, "token_request");
  auto res = sender.Send(req, std::move(creds), [&](const net::ClientResponse& r) {
    TakeTokens(r, form, ctx, &token, &refresh);
  });
  if (!res) return result;
  if (IsIpBanAnswer(res->status, res->Header("Content-Type").value_or(""), res->body)) {
    result.ip_ban = true;
  }
  result.output.token = token;
  if (!step.save_as.empty()) {
    if (token) state.tokens[step.save_as] = *token;
    if (refresh) state.refresh_tokens[step.save_as] = *refresh;
  }
  return result;
}

// ---- registry_request ------------------------------------------------------------------------

StepResult RegistryRequest(const Step& step, const RunContext& ctx, CaseState& state) {
  StepResult result;
  result.output.kind = StepKind::kRegistryRequest;
  Subst subst(ctx, state, result);
  const RegistryRequestStep& p = step.As<RegistryRequestStep>();
  std::vector<CredentialUse> creds;
  net::ClientRequest req;
  req.method = p.method;
  auto path = subst(p.path);
  if (!path) return result;
  req.url = path->starts_with("http://") || path->starts_with("https://")
                ? *path
                : ctx.target->registry_url + *path;
  bool credentials = false;
  if (p.token) {
    auto it = state.tokens.find(*p.token);
    if (it == state.tokens.end()) {
      result.stop = "token '" + *p.token + "' was not obtained by an earlier step";
      return result;
    }
    req.headers.emplace_back("Authorization", "Bearer " + it->second);
    credentials = true;
  }
  if (p.authorization) {
    auto v = subst(*p.authorization, &creds);
    if (!v) return result;
    req.headers.emplace_back("Authorization", *v);
    credentials = true;
  }
  {
    for (const auto& [k, v] : p.headers) {
      auto value = subst(v, &creds);
      if (!value) return result;
      if (protocol::EqualsIgnoreAsciiCase(k, "Authorization") ||
          protocol::EqualsIgnoreAsciiCase(k, "Proxy-Authorization") ||
          protocol::EqualsIgnoreAsciiCase(k, "Cookie")) {
        credentials = true;
      }
      req.headers.emplace_back(k, *value);
    }
  }
  if (!p.body.empty()) {
    if (p.body.text) {
      auto v = subst(*p.body.text, &creds);
      if (!v) return result;
      req.body = *v;
    } else {
      const std::string& name = p.body.blob;
      const net::OciBlob* blob = ctx.image != nullptr ? ctx.image->Blob(name) : nullptr;
      if (blob == nullptr) {
        result.error = "unknown blob '" + name + "' (generated blobs: layer, config, manifest)";
        return result;
      }
      req.body = blob->content;
    }
  }
  if (credentials || !creds.empty()) {
    if (auto why = ctx.guard.Check(req.url)) {
      result.error = *why;
      return result;
    }
  }
  Sender sender(ctx, state, result, "registry_request");
  auto res = sender.Send(req, std::move(creds));
  if (!res) return result;
  if (!step.save_as.empty()) {
    if (auto loc = res->Header("Location")) {
      std::string location(*loc);
      if (location.starts_with("/")) {
        const auto origin = OriginOf(ctx.target->registry_url);
        location = (origin ? origin->scheme + "://" + HostPortOf(ctx.target->registry_url)
                           : ctx.target->registry_url) +
                   location;
      }
      state.locations[step.save_as] = location;
    }
  }
  return result;
}

// ---- forge_token -----------------------------------------------------------------------------

// AlgMember reads "alg" from a header text the way Go would (last duplicate wins); "" if none.
std::string AlgMember(std::string_view header_text) {
  protocol::JsonOptions o;
  o.allow_duplicate_keys = true;
  auto doc = protocol::ParseJson(header_text, o);
  if (!doc || !doc->is_object()) return "";
  auto it = doc->find("alg");
  return it != doc->end() && it->is_string() ? it->get<std::string>() : "";
}

std::string Encode(std::string_view bytes, bool padded) {
  return protocol::Base64Encode(bytes, protocol::Base64Alphabet::kUrl, padded);
}

StepResult ForgeToken(const Step& step, const RunContext& ctx, CaseState& state) {
  StepResult result;
  result.output.kind = StepKind::kForgeToken;
  Subst subst(ctx, state, result);
  const ForgeTokenStep& p = step.As<ForgeTokenStep>();
  const std::string& sign_with = p.sign_with;
  const std::string& variant = p.signature;
  const bool padded = p.encoding == "padded";

  if ((sign_with == "signing_key" && !ctx.signing_key) ||
      (sign_with == "hmac_with_public_pem" && !ctx.verify_key)) {
    result.skip = "forge_token sign_with " + sign_with +
                  " needs the target's signing key (--signing-key, or the reference target)";
    return result;
  }

  // Header and claims texts: verbatim (substituted) text, or the objects serialised compactly.
  std::string header_text;
  if (p.header_text) {
    auto v = subst(*p.header_text);
    if (!v) return result;
    header_text = *v;
  } else {
    Json header;
    if (p.header) {
      auto v = subst.JsonValue(*p.header);
      if (!v) return result;
      header = std::move(*v);
    } else {
      header = {{"typ", "JWT"}};
      const protocol::Key* key = sign_with == "signing_key" ? &*ctx.signing_key : nullptr;
      header["alg"] =
          key ? std::string(protocol::AlgName(protocol::DefaultAlgFor(*protocol::TypeOf(*key))))
              : std::string(sign_with == "hmac_with_public_pem" ? "HS256"
                            : sign_with == "none"               ? "none"
                                                                : "RS256");
      if (ctx.verify_key) header["kid"] = ctx.VerifyKid();
    }
    header_text = header.dump();
  }
  std::string claims_text;
  if (p.claims_text) {
    auto v = subst(*p.claims_text);
    if (!v) return result;
    claims_text = *v;
  } else {
    Json claims;
    if (p.claims) {
      auto v = subst.JsonValue(*p.claims);
      if (!v) return result;
      claims = std::move(*v);
    } else {
      const int64_t now = ctx.Now();
      claims = {{"iss", ctx.target->issuer},
                {"aud", ctx.target->service},
                {"sub", "regauth"},
                {"iat", now},
                {"nbf", now},
                {"exp", now + 300},
                {"access", Json::array()}};
    }
    claims_text = claims.dump();
  }

  const std::string signing_input = Encode(header_text, padded) + "." + Encode(claims_text, padded);
  const protocol::Alg named = protocol::AlgFromName(AlgMember(header_text));
  std::string signature;
  protocol::Alg used_alg = protocol::Alg::kNone;
  if (sign_with == "signing_key" || sign_with == "attacker_key") {
    protocol::Key key;
    protocol::Alg alg = named;
    if (sign_with == "signing_key") {
      key = *ctx.signing_key;
    } else {
      auto type = protocol::KeyTypeForAlg(named);
      if (!type) {
        type = protocol::KeyType::kRsa;
        alg = protocol::Alg::kRS256;
      }
      key = ctx.attacker_keys != nullptr ? ctx.attacker_keys->Get(*type) : protocol::Key();
      if (!key.valid()) {
        result.error = "forge_token: generating the attacker key failed";
        return result;
      }
    }
    const auto type = protocol::TypeOf(key);
    // The header may name an alg that does not sign (none, HS*, a wrong-case spelling): the
    // bytes are then signed with the key's usual algorithm, which is the attack (the verifier
    // must go by the header and reject it).
    if (!type || !protocol::IsAsymmetric(alg) || !protocol::AlgFitsKey(alg, *type)) {
      alg = protocol::DefaultAlgFor(type.value_or(protocol::KeyType::kRsa));
    }
    used_alg = alg;
    auto sig = protocol::SignBytes(alg, key, signing_input);
    if (!sig) {
      result.error =
          "forge_token: signing failed (" + std::string(CodeName(sig.error().code)) + ")";
      return result;
    }
    signature = *sig;
  } else if (sign_with == "hmac_with_public_pem") {
    protocol::Alg alg = named;
    if (alg != protocol::Alg::kHS256 && alg != protocol::Alg::kHS384 &&
        alg != protocol::Alg::kHS512) {
      alg = protocol::Alg::kHS256;
    }
    used_alg = alg;
    auto sig = protocol::SignHmac(alg, protocol::PublicKeyPem(*ctx.verify_key), signing_input);
    if (!sig) {
      result.error = "forge_token: HMAC failed (" + std::string(CodeName(sig.error().code)) + ")";
      return result;
    }
    signature = *sig;
  }

  std::string token;
  if (variant == "strip_segment") {
    token = signing_input;
  } else {
    if (variant == "empty") {
      signature.clear();
    } else if (variant == "zero_rs") {
      signature.assign(signature.empty() ? 64 : signature.size(), '\0');
    } else if (variant == "flip_bit") {
      if (signature.empty()) {
        result.error = "forge_token: signature flip_bit needs a signature (sign_with none)";
        return result;
      }
      signature[signature.size() / 2] = static_cast<char>(signature[signature.size() / 2] ^ 0x01);
    } else if (variant == "der_ecdsa") {
      auto der = DerFromRawEcdsa(signature);
      const bool ecdsa = used_alg == protocol::Alg::kES256 || used_alg == protocol::Alg::kES384 ||
                         used_alg == protocol::Alg::kES512;
      if (!der || !ecdsa) {
        result.error = "forge_token: signature der_ecdsa needs an ES* alg and an EC key";
        return result;
      }
      signature = *der;
    }
    token = signing_input + "." + Encode(signature, padded);
  }
  // Not a secret of the target: recorded whole, so `regauth replay` sends the same bytes.
  ctx.redactor->AddPublicToken(token);
  result.output.token = token;
  if (!step.save_as.empty()) state.tokens[step.save_as] = token;
  return result;
}

// ---- docker_login_flow -----------------------------------------------------------------------

StepResult DockerLoginFlow(const Step& step, const RunContext& ctx, CaseState& state) {
  StepResult result;
  result.output.kind = StepKind::kDockerLoginFlow;
  Subst subst(ctx, state, result);
  const DockerLoginFlowStep& p = step.As<DockerLoginFlowStep>();
  const std::string& id = p.credential;
  const protocol::Credential* c = ctx.world->FindCredential(id);
  if (c == nullptr) {
    result.skip = "credential '" + id + "' is not in the world";
    return result;
  }
  std::string username = c->login_username;
  if (!p.username.empty()) {
    auto v = subst(p.username);
    if (!v) return result;
    username = *v;
  }
  Sender sender(ctx, state, result, "docker_login_flow");
  // 1. Ping without credentials (docker: registry.PingV2Registry).
  auto ping = sender.Send({"GET", ctx.target->registry_url + "/v2/", {}, ""}, {});
  if (!ping || ping->status != 401) return result;  // 200: docker logs in without asking
  // 2. The challenge, read with distribution's client parser as docker does.
  protocol::ChallengeOptions lenient;
  lenient.leniency = protocol::ChallengeLeniency::kDistributionClient;
  auto challenges = protocol::ParseChallengeHeaders(ping->Headers("WWW-Authenticate"), lenient);
  std::optional<protocol::BearerChallenge> bearer;
  if (challenges) {
    for (const auto& ch : *challenges) {
      if (!ch.SchemeIs("bearer")) continue;
      if (auto b = protocol::ToBearerChallenge(ch)) {
        bearer = *b;
        break;
      }
    }
  }
  if (!bearer) return result;  // no Bearer challenge: docker cannot log in
  // 3. The realm, with exactly the query docker sends (Go's url.Values.Encode: sorted keys).
  std::vector<std::string> query = {"account=" + QueryEscape(username), "client_id=docker",
                                    "offline_token=true"};
  if (bearer->service) query.push_back("service=" + QueryEscape(*bearer->service));
  const std::string realm_url = WithQuery(bearer->realm, query);
  if (auto why = ctx.guard.Check(realm_url)) {
    result.error = *why;
    return result;
  }
  auto basic = protocol::SerializeBasic(username, c->secret);
  if (!basic) {
    result.error = "credential '" + id + "' cannot be sent as Basic";
    return result;
  }
  std::optional<std::string> token, refresh;
  auto got = sender.Send({"GET", realm_url, {{"Authorization", *basic}}, ""}, {{id, "", username}},
                         [&](const net::ClientResponse& r) {
                           TakeTokens(r, protocol::TokenResponseForm::kGet, ctx, &token, &refresh);
                         });
  if (!got) return result;
  if (IsIpBanAnswer(got->status, got->Header("Content-Type").value_or(""), got->body)) {
    result.ip_ban = true;
    return result;
  }
  if (got->status != 200) return result;
  if (!token) {
    result.output.status = 0;  // a 200 without a usable token: docker reports a failure
    return result;
  }
  result.output.token = token;
  if (!step.save_as.empty()) state.tokens[step.save_as] = *token;
  // 4. The authenticated ping: login succeeded when it answers 200.
  sender.Send(
      {"GET", ctx.target->registry_url + "/v2/", {{"Authorization", "Bearer " + *token}}, ""}, {});
  return result;
}

// ---- client_tool -----------------------------------------------------------------------------

const std::vector<std::string>& ProxyAndClientEnv() {
  static const std::vector<std::string> kDeny = {
      "http_proxy", "https_proxy", "all_proxy", "no_proxy",   "HTTP_PROXY",   "HTTPS_PROXY",
      "ALL_PROXY",  "NO_PROXY",    "DOCKER_*",  "REGISTRY_*", "CONTAINERS_*", "REGISTRY_AUTH_FILE"};
  return kDeny;
}

StepResult ClientTool(const Step& step, const RunContext& ctx, CaseState& state) {
  StepResult result;
  result.output.kind = StepKind::kClientTool;
  Subst subst(ctx, state, result);
  const ClientToolStep& p = step.As<ClientToolStep>();
  const std::string& tool = p.tool;
  const std::optional<std::string>& exe = tool == "docker" ? ctx.tools.docker : ctx.tools.skopeo;
  if (!exe) {
    SkipOrError(ctx, result, tool + " is not installed here (not found in PATH)");
    return result;
  }
  std::vector<CredentialUse> creds;
  std::vector<std::string> args;
  for (const auto& a : p.args) {
    auto v = subst(a, &creds);
    if (!v) return result;
    args.push_back(*v);
  }
  std::string stdin_text;
  if (!p.stdin_text.empty()) {
    auto v = subst(p.stdin_text, &creds);
    if (!v) return result;
    stdin_text = *v;
  }
  if (!state.tool_dir) {
    auto scratch = net::ScratchDir::Create("regauth-tool-");
    if (!scratch) {
      result.error = "client_tool: " + scratch.error();
      return result;
    }
    state.tool_dir = std::move(*scratch);
  }
  const std::string dir = state.tool_dir->path();
  net::ProcessSpec spec;
  spec.env_deny = ProxyAndClientEnv();
  spec.env_set = {{"HOME", dir}, {"XDG_RUNTIME_DIR", dir}, {"XDG_CONFIG_HOME", dir + "/config"}};
  spec.stdin_text = stdin_text;
  spec.timeout = ctx.tools.timeout;
  spec.working_dir = dir;
  const bool plain_http = ctx.target->registry_url.starts_with("http://");
  spec.argv = {*exe};
  if (tool == "docker") {
    spec.env_set.emplace_back("DOCKER_CONFIG", dir + "/docker");
    for (auto& a : args) spec.argv.push_back(a);
  } else {
    const std::string authfile = dir + "/auth.json";
    spec.env_set.emplace_back("REGISTRY_AUTH_FILE", authfile);
    const std::string sub = args.empty() ? "" : args[0];
    if (sub == "copy") spec.argv.push_back("--insecure-policy");  // no /etc policy needed
    if (!args.empty()) spec.argv.push_back(sub);
    spec.argv.push_back("--authfile=" + authfile);
    if (plain_http) {
      if (sub == "copy") {
        spec.argv.push_back("--src-tls-verify=false");
        spec.argv.push_back("--dest-tls-verify=false");
      } else if (sub == "login" || sub == "logout" || sub == "inspect" || sub == "delete") {
        spec.argv.push_back("--tls-verify=false");
      }
    }
    for (std::size_t i = 1; i < args.size(); ++i) spec.argv.push_back(args[i]);
  }
  ToolRun run;
  run.tool = tool;
  run.argv.push_back(tool);
  for (std::size_t i = 1; i < spec.argv.size(); ++i) {
    run.argv.push_back(ctx.redactor->Redact(spec.argv[i]));
  }
  run.stdin_text = ctx.redactor->Redact(stdin_text);
  auto r = net::RunProcess(spec);
  if (!r) {
    if (r.error().code == net::ProcessErrorCode::kNotFound) {
      SkipOrError(ctx, result, tool + " cannot be run here: " + r.error().message);
    } else {
      result.error = "client_tool " + tool + ": " + r.error().message;
    }
    return result;
  }
  std::string output = r->stdout_text;
  if (!r->stderr_text.empty()) output += (output.empty() ? "" : "\n") + r->stderr_text;
  if (r->stdout_truncated || r->stderr_truncated) output += "\n[output truncated]";
  run.exit_code = r->exit_code;
  run.timed_out = r->timed_out;
  run.output = ctx.redactor->Redact(output);
  run.duration_ms = r->duration.count();
  result.output.exit_code = r->timed_out ? std::nullopt : std::optional<int>(r->exit_code);
  result.output.output = run.output;
  if (tool == "docker" && r->exit_code != 0 &&
      output.find("Cannot connect to the Docker daemon") != std::string::npos) {
    SkipOrError(ctx, result, "docker needs a daemon for this command and none runs here");
  }
  result.tool = std::move(run);
  return result;
}

}  // namespace

// ---- public ----------------------------------------------------------------------------------

protocol::Key AttackerKeys::Get(protocol::KeyType type) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(type);
  if (it != keys_.end()) return it->second;
  auto key = protocol::GenerateKey(type);
  if (!key) return protocol::Key();
  keys_.emplace(type, *key);
  return *key;
}

std::string RunContext::VerifyKid() const {
  if (!verify_kid.empty() || !verify_key) return verify_kid;
  return protocol::LibtrustKeyId(*verify_key);
}

int64_t RunContext::Now() const {
  if (clock) return clock();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StepResult RunStep(const Step& step, const RunContext& ctx, CaseState& state) {
  switch (step.kind) {
    case StepKind::kTokenRequest:
      return TokenRequest(step, ctx, state);
    case StepKind::kRegistryRequest:
      return RegistryRequest(step, ctx, state);
    case StepKind::kForgeToken:
      return ForgeToken(step, ctx, state);
    case StepKind::kDockerLoginFlow:
      return DockerLoginFlow(step, ctx, state);
    case StepKind::kClientTool:
      return ClientTool(step, ctx, state);
  }
  StepResult r;
  r.error = "unknown step kind";
  return r;
}

protocol::Expected<std::string, SubstitutionFailure> SubstituteRefs(
    std::string_view text, const RunContext& ctx, const CaseState& state,
    std::vector<CredentialUse>* used) {
  auto fail = [](bool stop, std::string message) {
    return Unexpected<SubstitutionFailure>(SubstitutionFailure{stop, std::move(message)});
  };
  if (auto at = FindUnterminatedRef(text)) {
    return fail(false, "unterminated ${ in '" + std::string(text.substr(*at, 40)) + "'");
  }
  const TargetInfo& t = *ctx.target;
  using Value = protocol::Expected<std::optional<std::string>, SubstitutionFailure>;
  return ExpandRefs<SubstitutionFailure>(text, [&](std::string_view name) -> Value {
    std::string out;
    auto prefixed = [&](std::string_view prefix) -> std::optional<std::string_view> {
      if (!name.starts_with(prefix)) return std::nullopt;
      return name.substr(prefix.size());
    };
    if (name == "registry") {
      out += t.registry_url;
    } else if (name == "registry_host") {
      out += t.registry_host;
    } else if (name == "realm") {
      out += t.realm;
    } else if (name == "service") {
      out += !t.service.empty() || ctx.world == nullptr ? t.service : ctx.world->instance().service;
    } else if (name == "issuer") {
      out += !t.issuer.empty() || ctx.world == nullptr ? t.issuer : ctx.world->instance().issuer;
    } else if (auto offset = NowOffset(name)) {
      out += std::to_string(ctx.Now() + *offset);
    } else if (name == "signing_kid") {
      if (!ctx.verify_key) return fail(false, "${signing_kid} needs the target's signing key");
      out += ctx.VerifyKid();
    } else if (name == "attacker_jwk") {
      std::string why;
      auto jwk = AttackerJwk(ctx, &why);
      if (!jwk) return fail(false, why);
      out += jwk->dump();
    } else if (name == "oci_layout") {
      if (ctx.tools.oci_layout.empty()) return fail(false, "${oci_layout}: no image was written");
      out += ctx.tools.oci_layout;
    } else if (auto cred_ref = prefixed("cred:")) {
      const std::size_t dot = cred_ref->rfind('.');
      const std::string id(cred_ref->substr(0, dot));
      const std::string_view field = dot == std::string_view::npos ? "" : cred_ref->substr(dot + 1);
      const protocol::Credential* c = ctx.world != nullptr && dot != std::string_view::npos
                                          ? ctx.world->FindCredential(id)
                                          : nullptr;
      if (c == nullptr)
        return fail(false, "${cred:" + std::string(*cred_ref) + "}: no such credential");
      if (field == "username") {
        out += c->login_username;
      } else if (field == "secret") {
        out += c->secret;
        if (used != nullptr) used->push_back({id, "", c->login_username});
      } else if (field == "basic") {
        // base64(login username ":" secret): what a Basic Authorization header carries (RFC 7617).
        out += protocol::Base64Encode(c->login_username + ":" + c->secret);
        if (used != nullptr) used->push_back({id, "", c->login_username});
      } else {
        return fail(
            false, "${cred:" + std::string(*cred_ref) + "}: expected .username, .secret or .basic");
      }
    } else if (auto token_ref = prefixed("token:")) {
      auto it = state.tokens.find(std::string(*token_ref));
      if (it == state.tokens.end()) {
        return fail(true,
                    "${token:" + std::string(*token_ref) + "}: no token was saved under that name");
      }
      out += it->second;
    } else if (auto refresh_ref = prefixed("refresh_token:")) {
      auto it = state.refresh_tokens.find(std::string(*refresh_ref));
      if (it == state.refresh_tokens.end()) {
        return fail(true, "${refresh_token:" + std::string(*refresh_ref) +
                              "}: the response saved under that name had no refresh_token");
      }
      out += it->second;
    } else if (auto location_ref = prefixed("location:")) {
      auto it = state.locations.find(std::string(*location_ref));
      if (it == state.locations.end()) {
        return fail(true, "${location:" + std::string(*location_ref) + "}: no Location was saved");
      }
      out += it->second;
    } else if (auto repeat_ref = prefixed("repeat:")) {
      // ${repeat:N:text}: text N times (text cannot contain '}'); bounded by kMaxRepeatBytes.
      const std::size_t colon = repeat_ref->find(':');
      std::size_t n = 0;
      bool number = colon != std::string_view::npos && colon > 0 && colon <= 8;
      for (std::size_t i = 0; number && i < colon; ++i) {
        const char d = (*repeat_ref)[i];
        number = d >= '0' && d <= '9';
        n = n * 10 + static_cast<std::size_t>(d - '0');
      }
      const std::string_view unit = number ? repeat_ref->substr(colon + 1) : std::string_view();
      if (!number || unit.empty() || n == 0 || n * unit.size() > kMaxRepeatBytes) {
        return fail(false, "${repeat:" + std::string(repeat_ref->substr(0, 40)) +
                               "}: expected ${repeat:N:text} with N >= 1 and at most " +
                               std::to_string(kMaxRepeatBytes) + " bytes in all");
      }
      out.reserve(out.size() + n * unit.size());
      for (std::size_t i = 0; i < n; ++i) out.append(unit);
    } else if (auto uuid_ref = prefixed("upload_uuid:")) {
      auto it = state.locations.find(std::string(*uuid_ref));
      if (it == state.locations.end()) {
        return fail(true, "${upload_uuid:" + std::string(*uuid_ref) + "}: no Location was saved");
      }
      const std::string_view path = SplitLocation(it->second).first;
      const std::size_t slash = path.rfind('/');
      if (slash == std::string_view::npos || slash + 1 == path.size()) {
        return fail(true, "${upload_uuid:" + std::string(*uuid_ref) +
                              "}: the saved Location has no last path segment");
      }
      out += path.substr(slash + 1);
    } else if (auto query_ref = prefixed("location_query:")) {
      auto it = state.locations.find(std::string(*query_ref));
      if (it == state.locations.end()) {
        return fail(true,
                    "${location_query:" + std::string(*query_ref) + "}: no Location was saved");
      }
      out += SplitLocation(it->second).second;
    } else if (auto digest_ref = prefixed("digest:")) {
      const net::OciBlob* b = ctx.image != nullptr ? ctx.image->Blob(*digest_ref) : nullptr;
      if (b == nullptr)
        return fail(false, "${digest:" + std::string(*digest_ref) + "}: no such blob");
      out += b->digest;
    } else if (auto size_ref = prefixed("size:")) {
      const net::OciBlob* b = ctx.image != nullptr ? ctx.image->Blob(*size_ref) : nullptr;
      if (b == nullptr) return fail(false, "${size:" + std::string(*size_ref) + "}: no such blob");
      out += std::to_string(b->content.size());
    } else if (name.starts_with("project:")) {
      return fail(false, "${" + std::string(name) + "} is resolved by matrix expansion only");
    } else {
      return fail(false, "unknown reference ${" + std::string(name) + "}");
    }
    return std::optional<std::string>(std::move(out));
  });
}

std::string MutatedSecret(const protocol::Credential& c, const protocol::World& world) {
  static constexpr std::string_view kAlphabet = "xyzXYZ0123456789abcdefghijklmnopqrstuvw";
  const std::string base =
      c.secret.empty() ? std::string() : c.secret.substr(0, c.secret.size() - 1);
  const char last = c.secret.empty() ? '\0' : c.secret.back();
  for (char ch : kAlphabet) {
    if (ch == last) continue;
    std::string candidate = base + ch;
    if (world.FindCredentialBySecret(candidate) == nullptr) return candidate;
  }
  return c.secret + "-wrong";
}

std::string MutatedUsername(const protocol::Credential& c, const protocol::World& world) {
  std::string candidate = c.login_username + "-wrong";
  auto taken = [&](const std::string& name) {
    if (world.FindUser(name) != nullptr || world.FindUserByEmail(name) != nullptr) return true;
    return std::any_of(world.Credentials().begin(), world.Credentials().end(),
                       [&](const protocol::Credential& o) {
                         return protocol::EqualsIgnoreAsciiCase(o.login_username, name);
                       });
  };
  while (taken(candidate)) candidate += "x";
  return candidate;
}

void RegisterWorldSecrets(const protocol::World& world, Redactor& redactor) {
  for (const auto& c : world.Credentials()) {
    const std::string wrong_secret = MutatedSecret(c, world);
    const std::string wrong_user = MutatedUsername(c, world);
    redactor.AddSecret(c.secret);
    redactor.AddBasicCredential(c.login_username, c.secret);
    redactor.AddBasicCredential(wrong_user, c.secret);
    redactor.AddSecret(wrong_secret);
    redactor.AddBasicCredential(c.login_username, wrong_secret);
  }
}

std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

bool IsIpBanAnswer(int status, std::string_view content_type, std::string_view body) {
  if (status != 403) return false;
  std::string ct(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  if (!protocol::EqualsIgnoreAsciiCase(ct, "text/plain")) return false;
  return !protocol::ParseJson(body).has_value();
}

std::optional<std::string> DerFromRawEcdsa(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 264) return std::nullopt;
  auto integer = [](std::string_view v) {
    while (v.size() > 1 && v.front() == '\0') v.remove_prefix(1);
    std::string content(v);
    if (static_cast<unsigned char>(content.front()) & 0x80) content.insert(content.begin(), '\0');
    std::string out = "\x02";
    out += static_cast<char>(content.size());
    return out + content;
  };
  const std::string body =
      integer(raw.substr(0, raw.size() / 2)) + integer(raw.substr(raw.size() / 2));
  std::string out = "\x30";
  if (body.size() >= 128) out += '\x81';
  out += static_cast<char>(body.size());
  return out + body;
}

}  // namespace regauth::harness
