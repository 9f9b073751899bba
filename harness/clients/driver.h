// driver.h — running one client operation against a stage: a described client as processes
// (client_spec.h), or regauth's own HTTP client in process (own_client.h). Both return a
// DriverResult: how the run ended (for the judge), the tool runs for the report (argv, stdin and
// output with the stage's secrets replaced), or why the client could not run (SKIP) or the
// driver broke (ERROR).
//
// A process run gets a fresh directory as ${WORK_DIR}, HOME, XDG_CONFIG_HOME and
// XDG_RUNTIME_DIR, so no client reads the user's credentials or caches; the environment is the
// runner's minus proxies and client settings (DOCKER_*, REGISTRY_AUTH_FILE, CONTAINERS_*,
// SSL_CERT_*, NODE_*), plus the description's `env` and, for a stage with TLS, its `ca_env`.
// Commands run in order; the first that fails (exit ≠ 0, signal, timeout) ends the operation.
//
// Usage:
//   if (auto why = Unavailable(spec)) skip(*why);
//   DriverResult r = RunDescribedClient(spec, "pull", stage.endpoints(), work_dir, redact, opts);
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/clients/client_spec.h"
#include "harness/clients/scenario_host.h"
#include "harness/execute/steps.h"

namespace regauth::harness::clients {

struct DriverOptions {
  std::chrono::milliseconds timeout{20000};  // per command
};

struct DriverResult {
  ClientRun run;
  std::vector<ToolRun> tools;
  std::optional<std::string> skip;
  std::optional<std::string> error;
};

using RedactFn = std::function<std::string(std::string_view)>;

// Unavailable says why `spec` cannot run here (executable not on PATH, a required path
// missing), or nullopt.
std::optional<std::string> Unavailable(const ClientSpec& spec);

// ClientVersion runs the executable with version_args and returns the first line of its output
// ("" when it has none or fails).
std::string ClientVersion(const ClientSpec& spec);

// RunDescribedClient runs operation `op` of `spec` against `endpoints` in `work_dir` (which
// must exist and be empty). An operation the spec lacks is a skip naming the reason.
DriverResult RunDescribedClient(const ClientSpec& spec, std::string_view op,
                                const StageEndpoints& endpoints, const std::string& work_dir,
                                const RedactFn& redact, const DriverOptions& options);

}  // namespace regauth::harness::clients
