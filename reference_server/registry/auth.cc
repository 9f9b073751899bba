// auth.cc — the registry's authorization (distribution's accesscontroller.go Authorized and
// app.go's handling of its result; token-auth.md §2.2–§2.5): the access each request needs, the
// token's verification (plain VerifyToken, or the planted verifier when a misbehaviour is on, each
// switch consulted at one point) and the 401/403 challenge with the UNAUTHORIZED body.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "protocol/ascii.h"
#include "protocol/challenge.h"
#include "protocol/credentials.h"
#include "protocol/json.h"
#include "protocol/jws.h"
#include "protocol/keys.h"
#include "protocol/scope.h"
#include "reference_server/registry/go_compat.h"
#include "reference_server/registry/registry.h"
#include "reference_server/registry/responses.h"
#include "reference_server/registry/routed_request.h"

namespace regauth::server {

using net::HttpResponse;

using nlohmann::ordered_json;
using protocol::Fail;
using protocol::FromClaimsError;
using protocol::Result;
using protocol::SaturatingAdd;
using protocol::Status;
using protocol::TokenError;
using registry_detail::Err;
using registry_detail::SameBytes;
using registry_detail::ServeError;
namespace registry_detail {

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

}  // namespace registry_detail

namespace {

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

}  // namespace

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
  return AuthResult{false, std::move(resp), {}};
}

}  // namespace regauth::server
