// step_client_tool.cc — the client_tool step: a real client (docker CLI, skopeo) run against the
// target in a scratch environment, its argv, exit code and output recorded.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "harness/execute/step_support.h"
#include "harness/suite/refs.h"
#include "net/process.h"
#include "protocol/ascii.h"
#include "protocol/base64.h"
#include "protocol/challenge.h"
#include "protocol/credentials.h"
#include "protocol/json.h"
#include "protocol/jws.h"
#include "protocol/token_response.h"

namespace regauth::harness::stepping {

using Json = nlohmann::json;
using protocol::Unexpected;
using Clock = std::chrono::steady_clock;

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

}  // namespace regauth::harness::stepping
