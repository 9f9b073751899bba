#include "harness/judge/checks.h"

#include <utility>

#include "protocol/world.h"

namespace regauth::harness::judging {

namespace p = protocol;
using Json = nlohmann::json;
using protocol::AsciiLower;
using protocol::EqualsIgnoreAsciiCase;

std::string StatusList(const std::vector<int>& v) {
  std::string out;
  for (int s : v) {
    if (!out.empty()) out += "|";
    out += std::to_string(s);
  }
  return out;
}

std::vector<std::string_view> HeaderValues(const StepOutput& out, std::string_view name) {
  return protocol::HeaderValues(out.response_headers, name);
}

std::optional<StepView> LastStep(const Case& c, const std::vector<StepOutput>& outputs,
                                 StepKind kind) {
  for (std::size_t i = c.steps.size(); i-- > 0;) {
    if (c.steps[i].kind != kind) continue;
    StepView v;
    v.step = &c.steps[i];
    v.index = i;
    v.out = i < outputs.size() ? &outputs[i] : nullptr;
    return v;
  }
  return std::nullopt;
}

// StepCredentialId is the world credential a token_request or docker_login_flow step sent ("" for
// anonymous requests and other kinds).
std::string StepCredentialId(const Step& step) {
  if (const auto* t = std::get_if<TokenRequestStep>(&step.params)) {
    return t->credential.value_or("");
  }
  if (const auto* l = std::get_if<DockerLoginFlowStep>(&step.params)) return l->credential;
  return "";
}

const p::Credential* StepCredential(const Step& step, const JudgeContext& ctx) {
  if (ctx.world == nullptr) return nullptr;
  const std::string id = StepCredentialId(step);
  return id.empty() ? nullptr : ctx.world->FindCredential(id);
}

std::string Issuer(const JudgeContext& ctx) {
  if (ctx.target != nullptr && !ctx.target->issuer.empty()) return ctx.target->issuer;
  if (ctx.world != nullptr) return ctx.world->instance().issuer;
  return "";
}

// ExpectedService is the `service` the step sent (nullopt when it sent none).
std::optional<std::string> ExpectedService(const Step& step, const JudgeContext& ctx) {
  const auto& service = step.As<TokenRequestStep>().service;
  if (!service) return std::nullopt;
  return Substitute(*service, ctx.target, ctx.world);
}

bool RefreshRequested(const Step& step) {
  const auto& t = step.As<TokenRequestStep>();
  if (auto o = t.query.find("offline_token"); o != t.query.end() && o->second == "true") {
    return true;
  }
  if (t.form) {
    if (auto a = t.form->find("access_type"); a != t.form->end() && a->second == "offline") {
      return true;
    }
  }
  return false;
}

std::vector<p::ResourceScope> ToScopes(const std::vector<AccessEntry>& entries) {
  std::vector<p::ResourceScope> out;
  for (const auto& e : entries) out.push_back({e.type, "", e.name, e.actions});
  return out;
}

std::string Render(const std::vector<p::ResourceScope>& scopes) {
  if (scopes.empty()) return "(none)";
  return p::SerializeScopeList(p::Normalize(scopes));
}

}  // namespace regauth::harness::judging
