// registry.cc — the registry layer: status per profile, the Bearer challenge a refusal carries and
// the registry error body.
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

// --- registry --------------------------------------------------------------------------------

std::vector<int> StatusesOf(const StatusExpectation& s, const Profile& profile, bool* known) {
  *known = true;
  if (!s.profile_key.empty()) {
    const Json* v = profile.LookupJson(s.profile_key);
    std::vector<int> out;
    if (v != nullptr && v->is_number_integer()) out.push_back(v->get<int>());
    if (v != nullptr && v->is_array()) {
      for (const auto& x : *v) {
        if (x.is_number_integer()) out.push_back(x.get<int>());
      }
    }
    if (out.empty()) *known = false;
    return out;
  }
  return s.any_of;
}

void JudgeRegistryWith(Checks& checks, const RegistryExpectation& re, const Profile& profile,
                       const JudgeContext& ctx, const StepView& sv, bool informational) {
  const StepOutput& out = *sv.out;
  const Severity must = informational ? Severity::kInfo : Severity::kMust;
  const Severity should = informational ? Severity::kInfo : Severity::kShould;
  if (re.status.present()) {
    bool known = true;
    const auto want = StatusesOf(re.status, profile, &known);
    if (!known) {
      checks.Observe("status", std::to_string(out.status), re.status.profile_key);
    } else {
      checks.Add("status", must, std::find(want.begin(), want.end(), out.status) != want.end(),
                 StatusList(want), std::to_string(out.status));
    }
  }
  const auto values = HeaderValues(out, "WWW-Authenticate");
  if (re.challenge_absent) {
    checks.Add("challenge.absent", must, values.empty(), "no WWW-Authenticate",
               values.empty() ? "absent" : std::string(values[0]));
  }
  if (re.challenge) {
    const ChallengeExpectation& ce = *re.challenge;
    if (values.empty()) {
      checks.Add("challenge.parse", must, false, "a Bearer challenge", "no WWW-Authenticate");
    } else {
      auto parsed = p::ParseChallengeHeaders(values);
      if (!parsed) {
        checks.Add("challenge.parse", must, false, "an RFC 9110 challenge", std::string(values[0]),
                   "WWW-Authenticate: " + ParseErrorText(parsed.error()));
      } else {
        std::optional<p::BearerChallenge> bearer;
        p::ChallengeError last = p::ChallengeError::kNotBearer;
        for (const auto& ch : *parsed) {
          auto b = p::ToBearerChallenge(ch);
          if (b) {
            bearer = *b;
            break;
          }
          last = b.error().code;
        }
        checks.Add("challenge.bearer", must, bearer.has_value(), "a Bearer challenge with realm",
                   bearer ? "Bearer realm=\"" + bearer->realm + "\"" : std::string(values[0]),
                   bearer ? "" : std::string(p::CodeName(last)));
        if (bearer) {
          if (ctx.target != nullptr && !ctx.target->service.empty()) {
            checks.Add("challenge.service", should,
                       bearer->service && *bearer->service == ctx.target->service,
                       ctx.target->service, bearer->service.value_or("(absent)"));
          }
          std::string want_error = ce.error;
          bool error_known = true;
          if (!ce.error_profile_key.empty()) {
            const auto v = profile.Lookup(ce.error_profile_key);
            if (!v || *v == kUnknown) {
              error_known = false;
            } else {
              want_error = *v;
            }
          }
          const std::string got_error = bearer->error.value_or("absent");
          if (!error_known) {
            checks.Observe("challenge.error", got_error, ce.error_profile_key);
          } else if (!want_error.empty()) {
            checks.Add("challenge.error", must, got_error == want_error, want_error, got_error,
                       "RFC 6750 §3.1 error codes; token-auth.md §2.5");
          }
          if (ce.scope) {
            std::vector<p::ResourceScope> want, got;
            std::string problem;
            for (const auto& s : *ce.scope) {
              auto one = p::ParseScope(Substitute(s, ctx.target, ctx.world));
              if (one) want.push_back(*one);
            }
            for (const auto& s : bearer->ScopeList()) {
              auto one = p::ParseScope(s);
              if (!one) {
                problem = "scope \"" + s + "\": " + ParseErrorText(one.error());
                break;
              }
              got.push_back(*one);
            }
            if (!problem.empty()) {
              checks.Add("challenge.scope", must, false, Render(want),
                         bearer->scope.value_or("(absent)"), problem);
            } else {
              checks.Add("challenge.scope", must, p::SameScopeSet(got, want), Render(want),
                         Render(got),
                         "compared as sets: registries emit Go-map order (token-auth.md §1.2)");
            }
          }
        }
      }
    }
  }
  if (!re.error_code.empty()) {
    auto body = p::ParseErrorBody(out.response_body);
    if (!body) {
      checks.Add("body.error_code", should, false, re.error_code, "unparsable",
                 "error body: " + ParseErrorText(body.error()));
    } else {
      const std::string got = body->errors.empty() ? "(no errors)" : body->errors[0].code;
      checks.Add("body.error_code", should, got == re.error_code, re.error_code, got);
    }
  }
  const auto api = profile.Lookup("registry.api_version_header");
  const std::string& path = sv.step->As<RegistryRequestStep>().path;
  if (api && *api != kUnknown && (path == "/v2/" || path == "/v2") &&
      (out.status == 200 || out.status == 401)) {
    const auto h = HeaderValues(out, "Docker-Distribution-API-Version");
    const std::string got = h.empty() ? "absent" : std::string(h[0]);
    checks.Add("header.api_version", should, got == *api, *api, got,
               "api.md: /v2/ answers carry Docker-Distribution-API-Version");
  }
}

void JudgeRegistry(Checks& checks, const Case& c, const Expectation& e, const Profile& profile,
                   const JudgeContext& ctx, const std::vector<StepOutput>& outputs) {
  auto sv = LastStep(c, outputs, StepKind::kRegistryRequest);
  if (!sv) {
    checks.Add("steps", Severity::kMust, false, "a registry_request step", "none");
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
  const RegistryExpectation& re = e.registry;
  if (re.impl_key.empty()) {
    JudgeRegistryWith(checks, re, profile, ctx, *sv, false);
    return;
  }
  const auto value = profile.Lookup(re.impl_key);
  auto it = value ? re.by_value.find(*value) : re.by_value.end();
  if (it == re.by_value.end()) {
    // The profile does not know: record what happened against the base expectation, as INFO.
    checks.Observe("implementation_defined", std::to_string(sv->out->status),
                   re.impl_key + " = " + value.value_or("(absent)"));
    JudgeRegistryWith(checks, re, profile, ctx, *sv, true);
    return;
  }
  RegistryExpectation merged = re;
  const RegistryExpectation& sub = it->second;
  if (sub.status.present()) merged.status = sub.status;
  if (sub.challenge) merged.challenge = sub.challenge;
  if (sub.challenge_absent) {
    merged.challenge_absent = true;
    merged.challenge.reset();
  }
  if (!sub.error_code.empty()) merged.error_code = sub.error_code;
  JudgeRegistryWith(checks, merged, profile, ctx, *sv, false);
}

}  // namespace regauth::harness::judging
