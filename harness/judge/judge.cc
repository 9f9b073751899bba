#include "harness/judge/judge.h"

#include <algorithm>

#include "harness/judge/checks.h"
#include "harness/suite/refs.h"

namespace regauth::harness {
namespace {

bool IsBase32(char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); }

bool IsBase64Url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

bool IsLibtrustKeyId(std::string_view kid) {
  if (kid.size() != 59) return false;  // 12 × 4 + 11 separators
  for (std::size_t i = 0; i < kid.size(); ++i) {
    if (i % 5 == 4) {
      if (kid[i] != ':') return false;
    } else if (!IsBase32(kid[i])) {
      return false;
    }
  }
  return true;
}

bool IsJwkThumbprint(std::string_view kid) {
  return kid.size() == 43 && std::all_of(kid.begin(), kid.end(), IsBase64Url);
}

std::string Substitute(std::string_view text, const TargetInfo* target,
                       const protocol::World* world) {
  // Only the values the target announced (and the world's instance) resolve here; every other
  // reference is kept as written.
  auto resolve =
      [&](std::string_view name) -> protocol::Expected<std::optional<std::string>, std::string> {
    if (target != nullptr) {
      if (name == "registry") return std::optional(target->registry_url);
      if (name == "registry_host") return std::optional(target->registry_host);
      if (name == "realm") return std::optional(target->realm);
      if (name == "service" && !target->service.empty()) return std::optional(target->service);
      if (name == "issuer" && !target->issuer.empty()) return std::optional(target->issuer);
    }
    if (world != nullptr) {
      if (name == "service") return std::optional(world->instance().service);
      if (name == "issuer") return std::optional(world->instance().issuer);
    }
    return std::optional<std::string>();
  };
  return *ExpandRefs<std::string>(text, resolve);
}

std::vector<CheckResult> Judge(const Case& c, const Profile& profile, const JudgeContext& ctx,
                               const std::vector<StepOutput>& outputs) {
  judging::Checks checks(profile, ctx.strict);
  // The typed expectation was parsed when the case was loaded (and again after binding).
  const Expectation& e = c.expectation;
  switch (c.layer) {
    case Layer::kTokenEndpoint:
      judging::JudgeTokenEndpoint(checks, c, e, profile, ctx, outputs);
      break;
    case Layer::kRegistry:
      judging::JudgeRegistry(checks, c, e, profile, ctx, outputs);
      break;
    case Layer::kFlow:
      judging::JudgeFlow(checks, c, e, outputs);
      break;
    case Layer::kClient:  // judged by the hostile stage (harness/clients/), never here
      break;
  }
  return checks.Take();
}

}  // namespace regauth::harness
