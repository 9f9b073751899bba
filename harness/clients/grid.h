// grid.h — `regauth clients`: every selected client against every selected scenario, each cell
// a case of layer "client" (id client/<client>/<scenario>) judged from what the stage recorded,
// and the client × scenario table for the terminal.
//
// For each cell: a scratch directory, a fresh stage (reference_server/scenarios through the
// ScenarioLauncher), the client's operation, the stage's judgement; then the stage and the
// directory are gone. A client that cannot run here is SKIP with the reason — except under
// CI=true, where a missing client is an ERROR (the project's rule for real tools). Cells run on
// `jobs` threads; a client's own cells never overlap (containerd, podman storage).
//
// Usage (cli/clients.cc):
//   GridOptions o;  o.specs = *LoadClientSpecs("cases/clients");  o.scenario_globs = {"*"};
//   GridOutcome g = RunGrid(launcher, o);
//   std::cerr << RenderGridText(g);
//   nlohmann::json doc = BuildResults(record, g.executed);
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "harness/clients/client_spec.h"
#include "harness/clients/driver.h"
#include "harness/clients/scenario_host.h"
#include "harness/execute/executor.h"

namespace regauth::harness::clients {

struct GridOptions {
  std::vector<ClientSpec> specs;
  bool include_own = true;                  // regauth's own HTTP client
  std::vector<std::string> scenario_globs;  // empty: every scenario
  DriverOptions driver;
  std::chrono::milliseconds slow_delay{3000};
  int jobs = 2;
  bool ci = false;  // CI=true: a client that cannot run is ERROR, not SKIP
  // on_cell is called after each cell (serialised): the case, cells done, cells in all.
  std::function<void(const ExecutedCase&, std::size_t, std::size_t)> on_cell;
};

struct GridOutcome {
  std::vector<std::string> clients;             // column order: described clients, then regauth
  std::map<std::string, std::string> versions;  // client → version line ("" unknown)
  std::vector<ScenarioSummary> scenarios;       // row order
  std::deque<Case> cases;                       // owned; executed[i].result.c points here
  std::vector<ExecutedCase> executed;           // sorted by id
};

// SelectScenarios keeps the scenarios whose name matches one of `globs` (all when empty).
std::vector<ScenarioSummary> SelectScenarios(const std::vector<ScenarioSummary>& all,
                                             const std::vector<std::string>& globs);

GridOutcome RunGrid(const ScenarioLauncher& launcher, const GridOptions& options);

// RenderGridText is the terminal table: one row per scenario, one column per client, each cell
// the verdict (PASS, FAIL, INFO, SKIP, ERROR).
std::string RenderGridText(const GridOutcome& grid);

}  // namespace regauth::harness::clients
