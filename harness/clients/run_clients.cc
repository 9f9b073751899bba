#include "harness/clients/run_clients.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "harness/clients/grid.h"
#include "harness/clients/own_client.h"
#include "harness/execute/runner.h"
#include "harness/report/results_json.h"
#include "harness/suite/load.h"
#include "reports/output.h"

namespace regauth::harness::clients {
namespace {

using Json = nlohmann::json;

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int Usage(std::ostream& err, const std::string& message) {
  err << "regauth clients: " << message << "\n";
  return kExitUsage;
}

// SelectClients resolves --client values: a path loads that file, a name picks a built-in.
LoadResult<std::vector<ClientSpec>> SelectClients(const ClientsOptions& o,
                                                  const std::string& clients_dir,
                                                  bool* include_own) {
  *include_own = o.clients.empty();
  std::vector<ClientSpec> builtins;
  auto loaded = LoadClientSpecs(clients_dir);
  if (!loaded && (o.clients.empty() || loaded.error().code != LoadErrorCode::kIo)) {
    return protocol::Unexpected<LoadError>(loaded.error());
  }
  if (loaded) builtins = std::move(*loaded);
  if (o.clients.empty()) return builtins;
  std::vector<ClientSpec> out;
  for (const std::string& c : o.clients) {
    if (c == kOwnClientName) {
      *include_own = true;
      continue;
    }
    if (c.find('/') != std::string::npos || c.ends_with(".json")) {
      auto spec = LoadClientSpec(c);
      if (!spec) return protocol::Unexpected<LoadError>(spec.error());
      out.push_back(std::move(*spec));
      continue;
    }
    bool found = false;
    for (const ClientSpec& b : builtins) {
      if (b.name == c) {
        out.push_back(b);
        found = true;
      }
    }
    if (!found) {
      std::string names(kOwnClientName);
      for (const ClientSpec& b : builtins) names += ", " + b.name;
      return MakeLoadError(
          LoadErrorCode::kUnknownName, c, "",
          "--client names no description file and no built-in client (" + names + ")");
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (out[i].name == out[j].name) {
        return MakeLoadError(LoadErrorCode::kDuplicate, out[i].file, "/name",
                             "client \"" + out[i].name + "\" is selected twice");
      }
    }
  }
  return out;
}

}  // namespace

int RunClients(const ClientsOptions& o, const ScenarioLauncher& launcher, std::ostream& out,
               std::ostream& err) {
  const int64_t started_ms = UnixMillis();
  if (o.jobs < 1) return Usage(err, "--jobs must be at least 1");
  if (o.timeout.count() < 1000) return Usage(err, "--timeout must be at least 1000 ms");
  const std::vector<ScenarioSummary> scenarios = SelectScenarios(launcher.list(), o.scenarios);
  if (scenarios.empty()) return Usage(err, "no scenario matches the --scenario globs");
  if (o.list) {
    Json list = Json::array();
    for (const ScenarioSummary& s : scenarios) {
      if (o.list_format == "json") {
        list.push_back({{"name", s.name},
                        {"operation", s.operation},
                        {"title", s.title},
                        {"safe", s.safe},
                        {"source", s.source}});
      } else {
        out << s.name << "  [" << s.operation << "]  " << s.title << "\n";
      }
    }
    if (o.list_format == "json") out << list.dump(1) << "\n";
    return kExitOk;
  }
  const std::string cases_dir = o.cases_dir.empty() ? DefaultCasesDir() : o.cases_dir;
  GridOptions g;
  auto specs = SelectClients(o, cases_dir + "/clients", &g.include_own);
  if (!specs) return Usage(err, DescribeLoadError(specs.error()));
  g.specs = std::move(*specs);
  if (g.specs.empty() && !g.include_own) return Usage(err, "no client selected");
  g.scenario_globs = o.scenarios;
  g.driver.timeout = o.timeout;
  g.slow_delay = o.slow_delay;
  g.jobs = o.jobs;
  const char* ci = std::getenv("CI");
  g.ci = ci != nullptr && std::string_view(ci) == "true";
  auto dir = PrepareOutputDirectory(o.out_dir, started_ms);
  if (!dir) return Usage(err, dir.error());
  if (o.progress) {
    g.on_cell = [&err](const ExecutedCase& e, std::size_t done, std::size_t total) {
      const Verdict v = e.result.verdict;
      if (v == Verdict::kFail || v == Verdict::kError) {
        err << VerdictText(v) << " " << e.result.c->id << "\n";
      }
      err << "\r" << done << "/" << total << " cells" << (done == total ? "\n" : "") << std::flush;
    };
  }
  GridOutcome grid = RunGrid(launcher, g);

  int exit_code = kExitOk;
  for (const ExecutedCase& e : grid.executed) {
    if (e.result.verdict == Verdict::kFail || e.result.verdict == Verdict::kError) {
      exit_code = kExitUnexpected;
    }
  }
  RunRecord record;
  record.started_at_ms = started_ms;
  record.argv = o.argv;
  record.jobs = o.jobs;
  record.selection = {{"filter", o.scenarios.empty() ? std::vector<std::string>{"*"} : o.scenarios},
                      {"exclude", Json::array()},
                      {"tags", Json::array()},
                      {"exclude_tags", Json::array()},
                      {"shard", "1/1"},
                      {"listed", grid.executed.size()}};
  record.target_kind = "hostile-registry";
  record.profile = "clients";
  Json clients = Json::array();
  for (const std::string& c : grid.clients) {
    clients.push_back({{"name", c}, {"version", grid.versions[c]}});
  }
  record.config = {{"cases", cases_dir},
                   {"timeout_ms", o.timeout.count()},
                   {"slow_delay_ms", o.slow_delay.count()},
                   {"clients", clients}};
  record.exit_code = exit_code;
  record.finished_at_ms = UnixMillis();
  Json doc = BuildResults(record, grid.executed);
  auto written = reports::WriteRunReports(doc, *dir);
  out << RenderGridText(grid);
  out << "reports: " << *dir << "\n";
  if (!written) {
    err << "regauth clients: " << written.error().Describe() << "\n";
    if (exit_code == kExitOk) return kExitUsage;
  }
  return exit_code;
}

}  // namespace regauth::harness::clients
