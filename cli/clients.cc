// `regauth clients` — thin flag parsing around harness::clients::RunClients
// (harness/clients/run_clients.h): registry clients against the hostile registry's scenarios.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/usage.h"
#include "harness/clients/run_clients.h"
#include "harness/execute/runner.h"

namespace regauth::cli {
namespace {

std::string ExitCodeHelp() {
  std::ostringstream s;
  s << "Exit codes:\n"
    << "  0  every cell PASS, INFORMATIONAL or SKIP\n"
    << "  1  a FAIL (a credential left for an origin it was not meant for, or a secret sent in "
       "clear) or an ERROR\n"
    << "  2  usage or configuration error (a bad flag, an invalid client description, no "
       "scenario selected, an unusable --out)";
  return s.str();
}

}  // namespace

void AddClientsCommand(CLI::App& app, int& exit_code, harness::clients::ScenarioLauncher launcher) {
  auto o = std::make_shared<harness::clients::ClientsOptions>();
  auto timeout_ms = std::make_shared<int>(20000);
  auto slow_ms = std::make_shared<int>(3000);
  auto no_progress = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "clients",
      "Drive registry clients (docker, skopeo, podman, buildah, ctr, npm libraries, regauth's "
      "own) against a hostile registry and judge what each sends where");
  cmd->footer(ExitCodeHelp());
  cmd->add_option("--client", o->clients,
                  "A client description file, or the name of a built-in one (<cases>/clients/"
                  "*.json, or regauth); repeatable. Default: every built-in and regauth");
  cmd->add_option("--scenario", o->scenarios,
                  "Keep scenarios whose name matches this glob (repeatable; default all)");
  cmd->add_option("--cases", o->cases_dir,
                  "The suite's data directory (default ./cases, else the source tree's cases/)");
  cmd->add_option("--out", o->out_dir, "Output directory (default reports/out/<timestamp>)");
  cmd->add_option("--timeout", *timeout_ms, "Per client command, in ms (default 20000)");
  cmd->add_option("--slow-delay", *slow_ms,
                  "How long the realm-slow scenario holds its answer, in ms (default 3000)");
  cmd->add_option("--jobs", o->jobs, "Clients run in parallel (default 2)");
  cmd->add_flag("--list", o->list, "Print the selected scenarios and exit 0");
  cmd->add_option("--format", o->list_format,
                  "With --list: text (default; name, operation, title) or json (name, operation, "
                  "title, safe, source)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--no-progress", *no_progress, "No progress line on stderr");
  cmd->callback([o, timeout_ms, slow_ms, no_progress, launcher, &exit_code] {
    o->timeout = std::chrono::milliseconds(*timeout_ms);
    if (*slow_ms < 0 || *slow_ms > 60000) {
      std::cerr << "regauth clients: --slow-delay must be within 0..60000 ms\n";
      exit_code = harness::kExitUsage;
      return;
    }
    o->slow_delay = std::chrono::milliseconds(*slow_ms);
    o->progress = !*no_progress && isatty(STDERR_FILENO) != 0;
    o->argv = CommandLine();
    exit_code = harness::clients::RunClients(*o, launcher, std::cout, std::cerr);
  });
}

}  // namespace regauth::cli
