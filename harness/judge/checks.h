// checks.h — what the judge's parts share (internal to harness/judge/): the collector of graded
// checks (profile overrides and --strict applied as checks are added), access to a case's steps
// and the small renderings every part uses. judge.cc dispatches a case by layer to
// JudgeTokenEndpoint (token.cc: refusals; grant.cc: a granted token's response, JWT, claims and
// access), JudgeRegistry (registry.cc) and JudgeFlow (flow.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/judge/judge.h"
#include "protocol/ascii.h"
#include "protocol/headers.h"
#include "protocol/result.h"
#include "protocol/scope.h"

namespace regauth::harness::judging {

namespace p = protocol;

// StatusList renders statuses as "401|403".
std::string StatusList(const std::vector<int>& v);

// ParseErrorText renders a core parser's error: "<code> at byte <offset>: <reason>".
template <typename Code>
std::string ParseErrorText(const p::Error<Code>& e) {
  return std::string(CodeName(e.code)) + " at byte " + std::to_string(e.offset) + ": " +
         std::string(e.reason);
}

// HeaderValues returns every value of response header `name` (ASCII case-insensitive).
std::vector<std::string_view> HeaderValues(const StepOutput& out, std::string_view name);

// Checks collects results and applies the profile's overrides and --strict.
class Checks {
 public:
  Checks(const Profile& profile, bool strict) : profile_(profile), strict_(strict) {}

  void Add(std::string id, Severity severity, bool passed, std::string expected,
           std::string observed, std::string message = "") {
    if (auto o = profile_.SeverityFor(id)) severity = *o;
    if (strict_ && severity == Severity::kShould) severity = Severity::kMust;
    out_.push_back(CheckResult{std::move(id), severity, passed, std::move(expected),
                               std::move(observed), std::move(message)});
  }
  // Observe records an INFO check that passes: what was seen where the profile does not know.
  void Observe(std::string id, std::string observed, std::string message) {
    out_.push_back(CheckResult{std::move(id), Severity::kInfo, true, "unknown (profile)",
                               std::move(observed), std::move(message)});
  }
  std::vector<CheckResult> Take() { return std::move(out_); }

 private:
  const Profile& profile_;
  bool strict_;
  std::vector<CheckResult> out_;
};

// StepView is one step of a case with what it observed (out is null when it did not run).
struct StepView {
  const Step* step = nullptr;
  const StepOutput* out = nullptr;
  std::size_t index = 0;
};

// LastStep is the last step of `kind` in `c`, with its output when it ran.
std::optional<StepView> LastStep(const Case& c, const std::vector<StepOutput>& outputs,
                                 StepKind kind);

// StepCredentialId is the world credential a token_request or docker_login_flow step sent ("" for
// anonymous requests and other kinds); StepCredential looks it up in the world.
std::string StepCredentialId(const Step& step);
const p::Credential* StepCredential(const Step& step, const JudgeContext& ctx);
// Issuer is the issuer the target announced, else the world's.
std::string Issuer(const JudgeContext& ctx);
// ExpectedService is the `service` the step sent (nullopt when it sent none).
std::optional<std::string> ExpectedService(const Step& step, const JudgeContext& ctx);
// RefreshRequested: the token request asked for a refresh token (offline_token / access_type).
bool RefreshRequested(const Step& step);
std::vector<p::ResourceScope> ToScopes(const std::vector<AccessEntry>& entries);
// Render is a normalised scope list, "(none)" when empty.
std::string Render(const std::vector<p::ResourceScope>& scopes);

// TokenIfAny returns the token a 2xx JSON body carries, if any (token.cc).
std::optional<std::string> TokenIfAny(const StepOutput& out);

// The parts, one per layer (and the token layer's two outcomes).
void JudgeRefusal(Checks& checks, Outcome outcome, const Profile& profile, const StepOutput& out);
void JudgeGranted(Checks& checks, const TokenExpectation& te, const Profile& profile,
                  const JudgeContext& ctx, const StepView& sv);
void JudgeTokenEndpoint(Checks& checks, const Case& c, const Expectation& e, const Profile& profile,
                        const JudgeContext& ctx, const std::vector<StepOutput>& outputs);
void JudgeRegistry(Checks& checks, const Case& c, const Expectation& e, const Profile& profile,
                   const JudgeContext& ctx, const std::vector<StepOutput>& outputs);
void JudgeFlow(Checks& checks, const Case& c, const Expectation& e,
               const std::vector<StepOutput>& outputs);

}  // namespace regauth::harness::judging
