// token.cc — the token endpoint's layer: which outcome the case expects (granted, unauthorized,
// forbidden, not_found) and the checks of a refusal: status, body, WWW-Authenticate, no token.
#include <algorithm>
#include <cctype>
#include <utility>

#include "harness/judge/checks.h"
#include "harness/suite/case_loader.h"
#include "harness/suite/facts.h"
#include "harness/suite/refs.h"
#include "protocol/ascii.h"
#include "protocol/challenge.h"
#include "protocol/error_body.h"
#include "protocol/headers.h"
#include "protocol/jws.h"
#include "protocol/jwt.h"
#include "protocol/scope.h"
#include "protocol/token_response.h"

namespace regauth::harness::judging {

namespace p = protocol;
using Json = nlohmann::json;
using protocol::AsciiLower;
using protocol::EqualsIgnoreAsciiCase;

// --- refusals (unauthorized, forbidden, not_found) ------------------------------------------

void JudgeBody(Checks& checks, const OutcomeShape& shape, const StepOutput& out) {
  const std::string& body = out.response_body;
  if (shape.body == "registry_error") {
    auto parsed = p::ParseErrorBody(body);
    if (!parsed) {
      checks.Add("body.shape", Severity::kShould, false, "registry error envelope",
                 body.empty() ? "(empty body)" : "unparsable",
                 "error body: " + ParseErrorText(parsed.error()));
      return;
    }
    checks.Add("body.shape", Severity::kShould, true, "registry error envelope",
               "registry error envelope");
    if (!shape.error_code.empty()) {
      const std::string got = parsed->errors.empty() ? "(no errors)" : parsed->errors[0].code;
      checks.Add("body.error_code", Severity::kShould, got == shape.error_code, shape.error_code,
                 got);
    }
    if (shape.http_status_member) {
      const std::string got =
          parsed->http_status ? std::to_string(*parsed->http_status) : "(absent)";
      checks.Add("body.http_status", Severity::kShould, got == std::to_string(out.status),
                 std::to_string(out.status), got,
                 "GitLab renders the service hash, http_status included (token-auth.md §3.1)");
    }
  } else if (shape.body == "empty") {
    checks.Add("body.shape", Severity::kShould, body.empty(), "empty body",
               body.empty() ? "empty body" : std::to_string(body.size()) + " bytes");
  } else if (shape.body == "json") {
    auto parsed = p::ParseJson(body);
    checks.Add("body.shape", Severity::kShould, parsed.has_value(), "JSON body",
               parsed ? "JSON body" : "not JSON",
               parsed ? "" : "body: " + ParseErrorText(parsed.error()));
  } else if (shape.body == "text") {
    checks.Add("body.shape", Severity::kInfo, true, "text body",
               std::to_string(body.size()) + " bytes");
  }
}

void JudgeWwwAuthenticate(Checks& checks, const OutcomeShape& shape, const StepOutput& out) {
  const auto values = HeaderValues(out, "WWW-Authenticate");
  if (shape.www_authenticate == "absent") {
    checks.Add("www_authenticate", Severity::kShould, values.empty(), "absent",
               values.empty() ? "absent" : std::string(values[0]));
    if (values.empty()) return;
  }
  if (values.empty()) {
    if (shape.www_authenticate == "basic" || shape.www_authenticate == "bearer") {
      checks.Add("www_authenticate", Severity::kShould, false, shape.www_authenticate, "absent");
    }
    return;
  }
  // Whatever the profile says, a challenge that is sent must parse (RFC 9110 §11.6.1).
  auto parsed = p::ParseChallengeHeaders(values);
  if (!parsed) {
    checks.Add("challenge.parse", Severity::kShould, false, "RFC 9110 challenge",
               std::string(values[0]), "WWW-Authenticate: " + ParseErrorText(parsed.error()));
    return;
  }
  if (shape.www_authenticate == "basic" || shape.www_authenticate == "bearer") {
    const bool ok = !parsed->empty() && (*parsed)[0].SchemeIs(shape.www_authenticate);
    checks.Add("www_authenticate", Severity::kShould, ok, shape.www_authenticate,
               parsed->empty() ? "(none)" : (*parsed)[0].scheme);
  }
}

// TokenIfAny returns the token a 2xx JSON body carries, if any.
std::optional<std::string> TokenIfAny(const StepOutput& out) {
  if (out.token) return out.token;
  auto r = p::ParseTokenResponse(out.response_body, p::TokenResponseForm::kGet,
                                 p::TokenResponseOptions::GoClient());
  if (r && !r->EffectiveToken().empty()) return r->EffectiveToken();
  return std::nullopt;
}

// EmptyGrant reports whether a 200 answer's token grants nothing (an acceptable form of
// "forbidden" for spec-style servers, token-auth.md §6 item 2).
bool EmptyGrant(const StepOutput& out, std::string* observed) {
  auto token = TokenIfAny(out);
  if (!token) {
    *observed = "200 without a token";
    return false;
  }
  auto jws = p::ParseCompactJws(*token);
  if (!jws) {
    *observed = "unparsable token: " + ParseErrorText(jws.error());
    return false;
  }
  p::ClaimsParseOptions o;
  o.allow_aud_array = true;
  auto claims = p::ParseClaims(jws->payload, o);
  if (!claims) {
    *observed = "unparsable claims: " + ParseErrorText(claims.error());
    return false;
  }
  if (claims->access) {
    for (const auto& a : *claims->access) {
      if (!a.actions.empty()) {
        *observed = "200 granting " + a.type + ":" + a.name + ":" + Join(a.actions, ",");
        return false;
      }
    }
  }
  *observed = "200 with nothing granted";
  return true;
}

void JudgeRefusal(Checks& checks, Outcome outcome, const Profile& profile, const StepOutput& out) {
  const OutcomeShape& shape = profile.OutcomeShapeOf(OutcomeName(outcome));
  const std::string name(OutcomeName(outcome));
  if (outcome == Outcome::kForbidden && shape.accept_empty_grant && out.status == 200) {
    std::string observed;
    const bool ok = EmptyGrant(out, &observed);
    checks.Add("status", Severity::kMust, ok,
               name + " (" + StatusList(shape.status) + ") or a token granting nothing", observed,
               "token-auth.md §6 item 2: spec servers intersect instead of refusing");
    return;
  }
  if (shape.status.empty()) {
    checks.Add("status", Severity::kMust, out.status >= 400 && out.status < 500,
               name + " (4xx; exact status unknown for this profile)", std::to_string(out.status));
  } else {
    const bool ok =
        std::find(shape.status.begin(), shape.status.end(), out.status) != shape.status.end();
    checks.Add("status", Severity::kMust, ok, StatusList(shape.status), std::to_string(out.status));
  }
  const auto token = TokenIfAny(out);
  checks.Add("no_token", Severity::kMust, !token.has_value(), "no token",
             token ? "a token was issued" : "no token",
             token ? "a refused request must not yield a bearer token" : "");
  JudgeBody(checks, shape, out);
  JudgeWwwAuthenticate(checks, shape, out);
}

void JudgeTokenEndpoint(Checks& checks, const Case& c, const Expectation& e, const Profile& profile,
                        const JudgeContext& ctx, const std::vector<StepOutput>& outputs) {
  auto sv = LastStep(c, outputs, StepKind::kTokenRequest);
  if (!sv) {
    checks.Add("steps", Severity::kMust, false, "a token_request step", "none",
               "a token-endpoint case is judged on its last token_request");
    return;
  }
  if (sv->out == nullptr) {
    checks.Add("steps", Severity::kMust, false, "step " + std::to_string(sv->index) + " ran",
               "not run");
    return;
  }
  if (sv->out->transport_error) {
    checks.Add("transport", Severity::kMust, false, "an HTTP response", "transport error");
    return;
  }
  const TokenExpectation& te = e.token;
  Outcome outcome = te.outcome;
  if (!te.outcome_profile_key.empty()) {
    const auto value = profile.Lookup(te.outcome_profile_key);
    auto it = value ? te.outcome_by_value.find(*value) : te.outcome_by_value.end();
    if (it == te.outcome_by_value.end()) {
      checks.Observe("status", std::to_string(sv->out->status),
                     te.outcome_profile_key + " = " + value.value_or("(absent)"));
      return;
    }
    outcome = it->second;
  }
  switch (outcome) {
    case Outcome::kAnyBut5xx:
      checks.Add("status", Severity::kMust, sv->out->status > 0 && sv->out->status < 500, "not 5xx",
                 std::to_string(sv->out->status),
                 "hostile input must be refused, never crash the server");
      return;
    case Outcome::kGranted:
      JudgeGranted(checks, te, profile, ctx, *sv);
      return;
    case Outcome::kUnauthorized:
    case Outcome::kForbidden:
    case Outcome::kNotFound:
      JudgeRefusal(checks, outcome, profile, *sv->out);
      return;
  }
}

}  // namespace regauth::harness::judging
