// flow.cc — the flow layer: a login flow's outcome and, per later step, whether it was allowed.
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

// --- flow ------------------------------------------------------------------------------------

bool StepAllowed(const Step& step, const StepOutput& out, const std::string& label,
                 std::string* observed) {
  switch (step.kind) {
    case StepKind::kClientTool:
      *observed = out.exit_code ? "exit " + std::to_string(*out.exit_code) : "no exit status";
      return out.exit_code && *out.exit_code == 0;
    case StepKind::kTokenRequest: {
      *observed = std::to_string(out.status);
      if (out.status != 200) return false;
      if (label == "outcome") return true;
      auto token = TokenIfAny(out);
      if (!token) return false;
      auto jws = p::ParseCompactJws(*token);
      if (!jws) return false;
      p::ClaimsParseOptions o;
      o.allow_aud_array = true;
      auto claims = p::ParseClaims(jws->payload, o);
      if (!claims || !claims->access) return false;
      for (const auto& a : *claims->access) {
        if (std::find(a.actions.begin(), a.actions.end(), label) != a.actions.end()) {
          *observed = "200 granting " + label;
          return true;
        }
      }
      *observed = "200 without " + label;
      return false;
    }
    default:
      *observed = std::to_string(out.status);
      // 404 after authorization (NAME_UNKNOWN, BLOB_UNKNOWN) still means access was allowed.
      return (out.status >= 200 && out.status < 300) || out.status == 404;
  }
}

void JudgeFlow(Checks& checks, const Case& c, const Expectation& e,
               const std::vector<StepOutput>& outputs) {
  const FlowExpectation& fe = e.flow;
  if (!fe.login.empty()) {
    std::optional<std::size_t> login;
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      if (c.steps[i].kind == StepKind::kDockerLoginFlow ||
          c.steps[i].kind == StepKind::kClientTool) {
        login = i;
        break;
      }
    }
    if (!login) {
      checks.Add("login", Severity::kMust, false, fe.login, "no login step");
    } else if (*login >= outputs.size()) {
      checks.Add("login", Severity::kMust, false, fe.login, "login step did not run");
    } else {
      const StepOutput& out = outputs[*login];
      bool ok = false;
      std::string observed;
      if (c.steps[*login].kind == StepKind::kClientTool) {
        ok = out.exit_code && *out.exit_code == 0;
        observed = out.exit_code ? "exit " + std::to_string(*out.exit_code) : "no exit status";
      } else {
        ok = !out.transport_error && out.status == 200;
        observed =
            out.transport_error ? "transport error" : "GET /v2/ " + std::to_string(out.status);
      }
      checks.Add("login", Severity::kMust, ok == (fe.login == "succeeds"), fe.login,
                 (ok ? "succeeded (" : "failed (") + observed + ")");
    }
  }
  for (const FlowThen& t : fe.then) {
    const std::string id = "then." + std::to_string(t.step);
    const std::string want = t.label + " " + (t.allowed ? "allowed" : "denied");
    if (t.step >= outputs.size() || t.step >= c.steps.size()) {
      checks.Add(id, Severity::kMust, false, want, "step did not run");
      continue;
    }
    if (outputs[t.step].transport_error) {
      checks.Add(id, Severity::kMust, false, want, "transport error");
      continue;
    }
    std::string observed;
    const bool allowed = StepAllowed(c.steps[t.step], outputs[t.step], t.label, &observed);
    checks.Add(id, Severity::kMust, allowed == t.allowed, want, observed);
  }
}

}  // namespace regauth::harness::judging
