#include "harness/inspect/inspect.h"

#include <algorithm>
#include <chrono>
#include <variant>

#include "protocol/challenge.h"
#include "protocol/credentials.h"
#include "protocol/error_body.h"
#include "protocol/jws.h"
#include "protocol/jwt.h"
#include "protocol/keys.h"
#include "protocol/repository_name.h"
#include "protocol/rfc3339.h"
#include "protocol/scope.h"
#include "protocol/token_response.h"

namespace regauth::harness {
namespace {

namespace p = regauth::protocol;
using nlohmann::json;

InspectOutcome Usage(const InspectRequest& req, std::string message) {
  return {json{{"ok", false}, {"kind", req.kind}, {"usage_error", std::move(message)}}, 2};
}

template <typename Code>
InspectOutcome ParseFailure(const InspectRequest& req, const p::Error<Code>& e,
                            std::string_view where = {}) {
  json err{{"code", std::string(CodeName(e.code))},
           {"offset", e.offset},
           {"message", std::string(e.reason)}};
  if (!where.empty()) err["where"] = std::string(where);
  return {json{{"ok", false}, {"kind", req.kind}, {"error", err}}, 1};
}

bool HasMode(const InspectRequest& req, std::string_view mode) {
  return std::find(req.lenient.begin(), req.lenient.end(), mode) != req.lenient.end();
}

// SplitLines splits on '\n', dropping a '\r' before it and a final empty line.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

json ScopeJson(const p::ResourceScope& s) {
  return json{
      {"type", s.type}, {"class", s.resource_class}, {"name", s.name}, {"actions", s.actions}};
}

InspectOutcome InspectChallenge(const InspectRequest& req) {
  p::ChallengeOptions options;
  if (HasMode(req, "distribution-client")) {
    options.leniency = p::ChallengeLeniency::kDistributionClient;
  }
  const std::vector<std::string_view> lines = SplitLines(req.input);
  auto parsed = lines.size() == 1 ? p::ParseChallenges(lines[0], options)
                                  : p::ParseChallengeHeaders(lines, options);
  if (!parsed) return ParseFailure(req, parsed.error());
  json challenges = json::array();
  json bearer;
  for (const p::Challenge& c : *parsed) {
    json params = json::object();
    for (const p::AuthParam& param : c.params) params[param.name] = param.value;
    json entry{{"scheme", c.scheme}, {"params", params}};
    if (c.token68) entry["token68"] = *c.token68;
    challenges.push_back(entry);
    if (bearer.is_null()) {
      if (auto b = p::ToBearerChallenge(c)) {
        bearer = json{{"realm", b->realm}, {"scopes", b->ScopeList()}};
        if (b->service) bearer["service"] = *b->service;
        if (b->scope) bearer["scope"] = *b->scope;
        if (b->error) bearer["error"] = *b->error;
      }
    }
  }
  json out{{"ok", true}, {"kind", req.kind}, {"challenges", challenges}};
  if (!bearer.is_null()) out["bearer"] = bearer;
  return {out, 0};
}

InspectOutcome InspectAuthorization(const InspectRequest& req) {
  p::CredentialsOptions options;
  options.allow_lenient_whitespace = HasMode(req, "whitespace");
  options.allow_unpadded_basic = HasMode(req, "unpadded-basic");
  options.allow_non_canonical_basic = HasMode(req, "non-canonical-basic");
  options.allow_control_characters = HasMode(req, "control-characters");
  auto parsed = p::ParseCredentials(req.input, options);
  if (!parsed) return ParseFailure(req, parsed.error());
  json out{{"ok", true}, {"kind", req.kind}, {"scheme", parsed->scheme}};
  if (const auto* basic = std::get_if<p::BasicCredentials>(&parsed->value)) {
    out["type"] = "basic";
    out["username"] = basic->username;
    out["password"] = basic->password;
  } else if (const auto* bearer = std::get_if<p::BearerCredentials>(&parsed->value)) {
    out["type"] = "bearer";
    out["token"] = bearer->token;
  } else {
    const auto& other = std::get<p::OtherCredentials>(parsed->value);
    out["type"] = "other";
    if (other.token68) out["token68"] = *other.token68;
    json params = json::object();
    for (const p::AuthParam& param : other.params) params[param.name] = param.value;
    out["params"] = params;
  }
  const p::WhitespaceForm& f = parsed->form;
  out["whitespace"] = json{{"canonical", f.Canonical()},
                           {"leading", f.leading},
                           {"separator_spaces", f.separator_spaces},
                           {"separator_tabs", f.separator_tabs},
                           {"trailing", f.trailing}};
  out["distribution_v28_accepts_bearer"] = p::AcceptedByDistributionV28(req.input);
  out["distribution_v3_accepts_bearer"] = p::AcceptedByDistributionV3(req.input);
  return {out, 0};
}

InspectOutcome InspectScope(const InspectRequest& req) {
  p::ScopeOptions options;
  if (HasMode(req, "gitlab")) options.dialect = p::ScopeDialect::kGitLab;
  if (HasMode(req, "docker-auth")) options.dialect = p::ScopeDialect::kDockerAuth;
  if (HasMode(req, "containers-image")) options.dialect = p::ScopeDialect::kContainersImage;
  p::NameError name_error{};
  auto parsed = p::ParseScopeList(req.input, options, &name_error);
  if (!parsed) {
    InspectOutcome out = ParseFailure(req, parsed.error());
    if (parsed.error().code == p::ScopeError::kBadName) {
      out.json["error"]["name_error"] = std::string(CodeName(name_error));
    }
    return out;
  }
  json scopes = json::array();
  for (const p::ResourceScope& s : *parsed) scopes.push_back(ScopeJson(s));
  return {json{{"ok", true}, {"kind", req.kind}, {"scopes", scopes}}, 0};
}

InspectOutcome InspectRepository(const InspectRequest& req) {
  if (HasMode(req, "gitlab")) {
    auto path = p::ParseGitLabPath(req.input);
    if (!path) return ParseFailure(req, path.error());
    json components = json::array();
    std::string_view rest = *path;
    while (true) {
      const std::size_t slash = rest.find('/');
      components.push_back(std::string(rest.substr(0, slash)));
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
    return {json{{"ok", true},
                 {"kind", req.kind},
                 {"rule", "gitlab"},
                 {"path", *path},
                 {"components", components}},
            0};
  }
  p::NameOptions options;
  if (HasMode(req, "reference-grammar")) options.domain_rule = p::DomainRule::kReferenceGrammar;
  auto name = p::ParseRepositoryName(req.input, options);
  if (!name) return ParseFailure(req, name.error());
  return {json{{"ok", true},
               {"kind", req.kind},
               {"rule", "distribution"},
               {"domain", name->domain},
               {"path", name->path},
               {"components", name->Components()}},
          0};
}

json TimeJson(std::optional<int64_t> t) {
  if (!t) return nullptr;
  return json{{"unix", *t}, {"utc", p::FormatRfc3339Utc(*t)}};
}

InspectOutcome InspectJwt(const InspectRequest& req) {
  const bool v28 = HasMode(req, "distribution-v28");
  p::JwsOptions jws_options;
  p::ClaimsParseOptions claims_options;
  p::JsonOptions json_options;
  if (v28) {
    jws_options.base64 = p::JwsBase64::kDistributionV28;
    jws_options.allow_duplicate_members = true;
    jws_options.go_struct_decoding = true;
    claims_options.go_struct_decoding = true;
    json_options.allow_duplicate_keys = true;
  }
  // Trailing whitespace from a pasted token is not part of it.
  std::string_view token = req.input;
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  auto jws = p::ParseCompactJws(token, jws_options);
  if (!jws) return ParseFailure(req, jws.error(), "jws");
  auto claims = p::ParseClaims(jws->payload, claims_options, json_options);
  if (!claims) return ParseFailure(req, claims.error(), "claims");

  json out{{"ok", true},
           {"kind", req.kind},
           {"header", jws->header.raw},
           {"claims", claims->raw},
           {"alg", jws->header.alg_name},
           {"signature_bytes", jws->signature.size()}};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  out["times"] = json{{"now", TimeJson(now)},
                      {"iat", TimeJson(claims->iat)},
                      {"nbf", TimeJson(claims->nbf)},
                      {"exp", TimeJson(claims->exp)}};
  if (claims->exp) out["times"]["expired"] = now > *claims->exp;

  if (req.key_pem) {
    auto key = p::LoadPublicKeyPem(*req.key_pem);
    if (!key) {
      return Usage(req, "--key: not a PEM public key or certificate (" +
                            std::string(CodeName(key.error().code)) + ")");
    }
    const std::string libtrust = p::LibtrustKeyId(*key);
    const std::string thumbprint = p::JwkThumbprint(*key);
    out["kid_libtrust"] = libtrust;
    out["kid_thumbprint"] = thumbprint;
    if (jws->header.kid) {
      out["kid_matches"] = *jws->header.kid == libtrust || *jws->header.kid == thumbprint;
    }
    auto verified = p::VerifySignature(*jws, *key, p::AlgPolicy::AllAsymmetric());
    out["verified"] = verified.has_value();
    if (!verified) {
      out["verify_error"] = std::string(CodeName(verified.error().code));
      return {out, 1};  // a key was given to verify with: failing that is a rejection
    }
  }
  return {out, 0};
}

InspectOutcome InspectTokenResponse(const InspectRequest& req) {
  p::TokenResponseForm form;
  if (req.form == "get") {
    form = p::TokenResponseForm::kGet;
  } else if (req.form == "oauth2") {
    form = p::TokenResponseForm::kOAuth2;
  } else {
    return Usage(req, "--form must be get or oauth2");
  }
  const p::TokenResponseOptions options =
      HasMode(req, "go-client") ? p::TokenResponseOptions::GoClient() : p::TokenResponseOptions{};
  auto parsed = p::ParseTokenResponse(req.input, form, options);
  if (!parsed) return ParseFailure(req, parsed.error());
  json out{{"ok", true},
           {"kind", req.kind},
           {"form", req.form},
           {"effective_token_present", !parsed->EffectiveToken().empty()},
           {"effective_expires_in", parsed->EffectiveExpiresIn()}};
  for (const char* member : {"token", "access_token", "refresh_token", "scope", "issued_at"}) {
    out[member] = parsed->raw.contains(member) ? parsed->raw[member] : json(nullptr);
  }
  out["expires_in"] = parsed->expires_in ? json(*parsed->expires_in) : json(nullptr);
  if (parsed->issued_at_unix) out["issued_at_unix"] = *parsed->issued_at_unix;
  json findings = json::array();
  for (const auto& f : p::CheckTokenResponse(*parsed, form)) {
    findings.push_back(json{{"code", std::string(CodeName(f.code))},
                            {"severity", std::string(SeverityName(f.severity))},
                            {"message", std::string(f.message)}});
  }
  out["findings"] = findings;
  return {out, 0};
}

InspectOutcome InspectErrorBody(const InspectRequest& req) {
  p::JsonOptions options;
  options.allow_duplicate_keys = HasMode(req, "duplicate-keys");
  auto parsed = p::ParseErrorBody(req.input, options);
  if (!parsed) return ParseFailure(req, parsed.error());
  json errors = json::array();
  for (const p::RegistryError& e : parsed->errors) {
    json entry{{"code", e.code}};
    entry["message"] = e.message ? json(*e.message) : json(nullptr);
    if (e.detail) entry["detail"] = json::parse(e.detail->dump());
    if (const p::ErrorCodeInfo* info = p::LookupErrorCode(e.code)) {
      entry["known"] =
          json{{"http_status", info->http_status}, {"message", std::string(info->message)}};
    } else {
      entry["known"] = nullptr;
    }
    errors.push_back(entry);
  }
  json out{{"ok", true}, {"kind", req.kind}, {"errors", errors}};
  if (parsed->http_status) out["http_status"] = *parsed->http_status;
  return {out, 0};
}

}  // namespace

const std::vector<InspectKind>& InspectKinds() {
  static const std::vector<InspectKind> kKinds = {
      {"challenge",
       "WWW-Authenticate value (each input line is one header field)",
       {"distribution-client"}},
      {"authorization",
       "Authorization value (Basic, Bearer or another scheme)",
       {"whitespace", "unpadded-basic", "non-canonical-basic", "control-characters"}},
      {"scope",
       "one resource scope or a space-separated list",
       {"gitlab", "docker-auth", "containers-image"}},
      {"repository",
       "repository name (distribution reference grammar)",
       {"reference-grammar", "gitlab"}},
      {"jwt", "compact JWS/JWT (with --key PEM: verify the signature)", {"distribution-v28"}},
      {"token-response", "token endpoint response body (--form get|oauth2)", {"go-client"}},
      {"error-body", "registry error envelope {\"errors\":[...]}", {"duplicate-keys"}},
  };
  return kKinds;
}

InspectOutcome Inspect(const InspectRequest& request) {
  const InspectKind* kind = nullptr;
  for (const InspectKind& k : InspectKinds()) {
    if (k.name == request.kind) kind = &k;
  }
  if (kind == nullptr) {
    std::string known;
    for (const InspectKind& k : InspectKinds())
      known += (known.empty() ? "" : ", ") + std::string(k.name);
    return Usage(request, "unknown kind '" + request.kind + "'; one of: " + known);
  }
  for (const std::string& mode : request.lenient) {
    if (std::find(kind->lenient_modes.begin(), kind->lenient_modes.end(), mode) ==
        kind->lenient_modes.end()) {
      std::string known;
      for (std::string_view m : kind->lenient_modes)
        known += (known.empty() ? "" : ", ") + std::string(m);
      return Usage(request, "unknown --lenient mode '" + mode + "' for " + request.kind +
                                "; one of: " + known);
    }
  }
  if (request.key_pem && request.kind != "jwt") return Usage(request, "--key applies to jwt only");
  if (request.kind == "challenge") return InspectChallenge(request);
  if (request.kind == "authorization") return InspectAuthorization(request);
  if (request.kind == "scope") return InspectScope(request);
  if (request.kind == "repository") return InspectRepository(request);
  if (request.kind == "jwt") return InspectJwt(request);
  if (request.kind == "token-response") return InspectTokenResponse(request);
  return InspectErrorBody(request);
}

}  // namespace regauth::harness
