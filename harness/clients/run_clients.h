// run_clients.h — `regauth clients`: load the client descriptions, select scenarios, run the
// grid (grid.h), print the client × scenario table, write results.json, junit.xml and
// report.html (layer "client"), and decide the exit code as `regauth run` does.
//
// Clients: without --client, every description of <cases>/clients/*.json plus regauth's own
// HTTP client; each --client is a description file (a path) or the name of a built-in one
// ("skopeo", "regauth"). Scenarios: every one, or those matching a --scenario glob.
//
// Exit codes (harness/execute/runner.h): 0 every cell PASS, INFORMATIONAL or SKIP; 1 a FAIL or
// an ERROR; 2 a usage error (an unreadable or invalid description, a --client that names
// nothing, a selection without scenarios, an unusable --out).
//
// Usage (cli/clients.cc):
//   ClientsOptions o;  o.clients = {"skopeo"};  o.scenarios = {"redirect-*"};
//   return RunClients(o, MakeScenarioLauncher(), std::cout, std::cerr);
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "harness/clients/scenario_host.h"

namespace regauth::harness::clients {

struct ClientsOptions {
  std::vector<std::string> clients;    // --client FILE|NAME (empty: the built-ins)
  std::vector<std::string> scenarios;  // --scenario GLOB (empty: all)
  std::string cases_dir;               // --cases (default: harness/suite/load.h DefaultCasesDir)
  std::string out_dir;                 // --out (default reports/out/<timestamp>)
  std::chrono::milliseconds timeout{20000};    // --timeout: per client command
  std::chrono::milliseconds slow_delay{3000};  // --slow-delay: realm-slow's hold
  int jobs = 2;                                // --jobs: clients in parallel
  bool list = false;                           // --list: the scenarios, then exit 0
  std::string list_format = "text";            // --format text|json (with --list)
  bool progress = true;
  std::vector<std::string> argv;  // the command line (for results.json)
};

int RunClients(const ClientsOptions& options, const ScenarioLauncher& launcher, std::ostream& out,
               std::ostream& err);

}  // namespace regauth::harness::clients
