#include "harness/clients/driver.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "net/process.h"

namespace regauth::harness::clients {
namespace {

using Values = std::map<std::string, std::string, std::less<>>;

// kDenyEnv: what would change where a client sends credentials or which CA it trusts.
const std::vector<std::string>& DenyEnv() {
  static const std::vector<std::string> deny = {
      "http_proxy", "https_proxy", "all_proxy",    "no_proxy",
      "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",    "NO_PROXY",
      "DOCKER_*",   "REGISTRY_*",  "CONTAINERS_*", "REGISTRY_AUTH_FILE",
      "SSL_CERT_*", "NODE_*",      "CONTAINERD_*", "XDG_*"};
  return deny;
}

Values ValuesFor(const ClientSpec& spec, const StageEndpoints& ep, const std::string& work_dir) {
  const bool tls = ep.registry_url.starts_with("https://");
  return {{"REGISTRY", ep.registry_host},
          {"REGISTRY_URL", ep.registry_url},
          {"SCHEME", tls ? "https" : "http"},
          {"REPOSITORY", ep.repository},
          {"TAG", ep.tag},
          {"IMAGE", ep.registry_host + "/" + ep.repository + ":" + ep.tag},
          {"USERNAME", ep.username},
          {"PASSWORD", ep.password},
          {"WORK_DIR", work_dir},
          {"CA_FILE", ep.ca_file},
          {"TLS_VERIFY", tls ? "true" : "false"},
          {"PLAIN_HTTP", tls ? "false" : "true"},
          {"CLIENT_DIR", spec.dir}};
}

std::string Expand(std::string_view text, const Values& v) { return ExpandPlaceholders(text, v); }

std::vector<std::pair<std::string, std::string>> Environment(const ClientSpec& spec,
                                                             const StageEndpoints& ep,
                                                             const std::string& work_dir,
                                                             const Values& v) {
  std::vector<std::pair<std::string, std::string>> env = {{"HOME", work_dir},
                                                          {"XDG_CONFIG_HOME", work_dir + "/config"},
                                                          {"XDG_RUNTIME_DIR", work_dir + "/run"},
                                                          {"XDG_DATA_HOME", work_dir + "/data"}};
  for (const auto& [k, val] : spec.env) env.emplace_back(k, Expand(val, v));
  if (!ep.ca_file.empty()) {
    for (const auto& [k, val] : spec.ca_env) env.emplace_back(k, Expand(val, v));
  }
  return env;
}

}  // namespace

std::optional<std::string> Unavailable(const ClientSpec& spec) {
  Values v = {{"CLIENT_DIR", spec.dir}};
  const std::string exe = Expand(spec.executable, v);
  if (!net::FindExecutable(exe)) {
    return exe + " is not installed here (not found " +
           std::string(exe.find('/') == std::string::npos ? "on PATH" : "at that path") + ")";
  }
  for (const ClientRequirement& q : spec.requires_paths) {
    if (!std::filesystem::exists(Expand(q.path, v))) return q.reason;
  }
  if (spec.daemon) {
    const std::string d = Expand(spec.daemon->executable, v);
    if (!net::FindExecutable(d)) return "its daemon " + d + " is not installed here";
  }
  return std::nullopt;
}

std::string ClientVersion(const ClientSpec& spec) {
  if (spec.version_args.empty()) return "";
  Values v = {{"CLIENT_DIR", spec.dir}};
  auto exe = net::FindExecutable(Expand(spec.executable, v));
  if (!exe) return "";
  net::ProcessSpec p;
  p.argv = {*exe};
  for (const auto& a : spec.version_args) p.argv.push_back(Expand(a, v));
  p.env_deny = DenyEnv();
  p.timeout = std::chrono::milliseconds(10000);
  auto r = net::RunProcess(p);
  if (!r || r->exit_code != 0) return "";
  std::string out = r->stdout_text.empty() ? r->stderr_text : r->stdout_text;
  out = out.substr(0, out.find('\n'));
  return out.substr(0, 120);
}

DriverResult RunDescribedClient(const ClientSpec& spec, std::string_view op,
                                const StageEndpoints& ep, const std::string& work_dir,
                                const RedactFn& redact, const DriverOptions& options) {
  DriverResult out;
  const ClientCommandList* commands = spec.Operation(op);
  if (commands == nullptr) {
    auto why = spec.unsupported.find(op);
    out.skip = spec.name + " has no " + std::string(op) + " command" +
               (why != spec.unsupported.end() ? ": " + why->second : "");
    return out;
  }
  if (auto why = Unavailable(spec)) {
    out.skip = *why;
    return out;
  }
  const Values values = ValuesFor(spec, ep, work_dir);
  for (const char* sub : {"/config", "/run", "/data"}) {
    std::error_code ec;
    std::filesystem::create_directories(work_dir + sub, ec);
  }
  for (const ClientFile& f : spec.files) {
    const std::string path = Expand(f.path, values);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << Expand(f.content, values);
    if (!file.flush()) {
      out.error = "cannot write " + path;
      return out;
    }
  }
  const auto env = Environment(spec, ep, work_dir, values);
  std::unique_ptr<net::BackgroundProcess> daemon;
  if (spec.daemon) {
    net::ProcessSpec d;
    d.argv = {Expand(spec.daemon->executable, values)};
    for (const auto& a : spec.daemon->args) d.argv.push_back(Expand(a, values));
    d.env_deny = DenyEnv();
    d.env_set = env;
    d.working_dir = work_dir;
    d.output_file = work_dir + "/daemon.log";
    auto started = net::BackgroundProcess::Start(d);
    if (!started) {
      out.error = "cannot start " + d.argv[0] + ": " + started.error().message;
      return out;
    }
    daemon = std::move(*started);
    const std::string ready = Expand(spec.daemon->ready_path, values);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!std::filesystem::exists(ready) && daemon->Running() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!std::filesystem::exists(ready)) {
      out.error = d.argv[0] + " did not become ready (" + ready + " never appeared; " +
                  (daemon->Running() ? "still running" : daemon->exit_description()) + ")";
      return out;
    }
  }
  const std::string exe = *net::FindExecutable(Expand(spec.executable, values));
  for (const ClientCommand& c : *commands) {
    net::ProcessSpec p;
    p.argv = {exe};
    for (const auto& a : c.args) p.argv.push_back(Expand(a, values));
    p.env_deny = DenyEnv();
    p.env_set = env;
    p.stdin_text = Expand(c.stdin_text, values);
    p.working_dir = work_dir;
    p.timeout = options.timeout;
    p.kill_grace = std::chrono::milliseconds(1000);
    ToolRun run;
    run.tool = spec.name;
    run.argv.push_back(spec.executable);
    for (std::size_t i = 1; i < p.argv.size(); ++i) run.argv.push_back(redact(p.argv[i]));
    run.stdin_text = redact(p.stdin_text);
    auto r = net::RunProcess(p);
    if (!r) {
      out.error = spec.name + ": " + r.error().message;
      return out;
    }
    std::string output = r->stdout_text;
    if (!r->stderr_text.empty()) output += (output.empty() ? "" : "\n") + r->stderr_text;
    if (r->stdout_truncated || r->stderr_truncated) output += "\n[output truncated]";
    run.exit_code = r->exit_code;
    run.timed_out = r->timed_out;
    run.output = redact(output);
    run.duration_ms = r->duration.count();
    out.tools.push_back(std::move(run));
    out.run.exit_code = r->exit_code;
    out.run.term_signal = r->timed_out ? 0 : r->term_signal;
    out.run.timed_out = r->timed_out;
    out.run.duration_ms += r->duration.count();
    if (r->timed_out || r->term_signal != 0 || r->exit_code != 0) break;
  }
  if (daemon) daemon->Stop(std::chrono::milliseconds(2000));
  return out;
}

}  // namespace regauth::harness::clients
