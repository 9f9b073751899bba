#include "harness/clients/grid.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "harness/clients/own_client.h"
#include "harness/judge/baseline.h"
#include "harness/report/results_json.h"
#include "harness/select/selection.h"
#include "net/process.h"

namespace regauth::harness::clients {
namespace {

using Clock = std::chrono::steady_clock;

struct Cell {
  std::size_t client = 0;  // index into GridOutcome::clients
  std::size_t scenario = 0;
  Case* c = nullptr;
};

Case MakeCase(const std::string& client, const std::string& version, const ScenarioSummary& s) {
  Case c;
  c.id = "client/" + client + "/" + s.name;
  c.title = client + (version.empty() ? "" : " (" + version + ")") + ": " + s.title;
  c.layer = Layer::kClient;
  c.tags = {"client", s.operation};
  if (s.slow) c.tags.push_back("slow");
  c.requirement = s.safe;
  c.source = s.source;
  c.dims.client = client;
  c.dims.scenario = s.name;
  return c;
}

ExecutedCase RunCell(const ScenarioLauncher& launcher, const GridOptions& options,
                     const ClientSpec* spec, const std::string& client,
                     const ScenarioSummary& scenario, const Case& c) {
  ExecutedCase e;
  e.result.c = &c;
  const auto begin = Clock::now();
  auto finish = [&](Verdict v) {
    e.result.verdict = v;
    e.result.unexpected = v == Verdict::kError;
    e.result.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin).count();
    return std::move(e);
  };
  if (spec != nullptr) {
    if (auto why = Unavailable(*spec)) {
      if (options.ci) {
        e.result.error = "CI=true and " + client + " cannot run: " + *why;
        return finish(Verdict::kError);
      }
      e.result.skip_reason = *why;
      return finish(Verdict::kSkip);
    }
    if (spec->Operation(scenario.operation) == nullptr) {
      auto why = spec->unsupported.find(scenario.operation);
      e.result.skip_reason = client + " has no " + scenario.operation + " command" +
                             (why != spec->unsupported.end() ? ": " + why->second : "");
      return finish(Verdict::kSkip);
    }
  }
  auto scratch = net::ScratchDir::Create("regauth-client-");
  if (!scratch) {
    e.result.error = "scratch directory: " + scratch.error();
    return finish(Verdict::kError);
  }
  const std::string stage_dir = (*scratch)->path() + "/stage";
  const std::string work_dir = (*scratch)->path() + "/client";
  std::error_code ec;
  std::filesystem::create_directories(stage_dir, ec);
  std::filesystem::create_directories(work_dir, ec);
  auto stage = launcher.start(scenario.name, stage_dir, options.slow_delay);
  if (!stage) {
    e.result.error = "the hostile stage did not start: " + stage.error();
    return finish(Verdict::kError);
  }
  const StageInstance& st = **stage;
  RedactFn redact = [&st](std::string_view text) { return st.Redact(text); };
  DriverResult run = spec != nullptr
                         ? RunDescribedClient(*spec, scenario.operation, st.endpoints(), work_dir,
                                              redact, options.driver)
                         : RunOwnClient(scenario.operation, st.endpoints(), redact, options.driver);
  e.tools = std::move(run.tools);
  StageJudgement j = st.Finish(run.run);
  e.result.exchanges = std::move(j.exchanges);
  if (run.skip) {
    e.result.skip_reason = *run.skip;
    return finish(Verdict::kSkip);
  }
  if (run.error) {
    e.result.error = *run.error;
    return finish(Verdict::kError);
  }
  e.result.checks = std::move(j.checks);
  const Verdict v = WorstVerdict(e.result.checks, false);
  e.result.unexpected = v == Verdict::kFail || v == Verdict::kError;
  e.result.verdict = v;
  e.result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin).count();
  return e;
}

// Short is the verdict as the terminal grid shows it (INFORMATIONAL is INFO, to keep columns
// narrow).
std::string_view Short(Verdict v) {
  return v == Verdict::kInformational ? std::string_view("INFO") : VerdictText(v);
}

}  // namespace

std::vector<ScenarioSummary> SelectScenarios(const std::vector<ScenarioSummary>& all,
                                             const std::vector<std::string>& globs) {
  if (globs.empty()) return all;
  std::vector<ScenarioSummary> out;
  for (const ScenarioSummary& s : all) {
    for (const std::string& g : globs) {
      if (GlobMatch(g, s.name)) {
        out.push_back(s);
        break;
      }
    }
  }
  return out;
}

GridOutcome RunGrid(const ScenarioLauncher& launcher, const GridOptions& options) {
  GridOutcome g;
  g.scenarios = SelectScenarios(launcher.list(), options.scenario_globs);
  std::vector<const ClientSpec*> specs;
  for (const ClientSpec& s : options.specs) {
    g.clients.push_back(s.name);
    g.versions[s.name] = Unavailable(s) ? "" : ClientVersion(s);
    specs.push_back(&s);
  }
  if (options.include_own) {
    g.clients.emplace_back(kOwnClientName);
    g.versions[std::string(kOwnClientName)] = "net::HttpClient";
    specs.push_back(nullptr);
  }
  // Cells in client-major order; each client's cells form one queue so they never overlap.
  std::vector<std::vector<Cell>> queues(g.clients.size());
  for (std::size_t ci = 0; ci < g.clients.size(); ++ci) {
    for (std::size_t si = 0; si < g.scenarios.size(); ++si) {
      g.cases.push_back(MakeCase(g.clients[ci], g.versions[g.clients[ci]], g.scenarios[si]));
      queues[ci].push_back({ci, si, &g.cases.back()});
    }
  }
  const std::size_t total = g.cases.size();
  std::vector<ExecutedCase> results;
  results.reserve(total);
  std::mutex mu;
  std::atomic<std::size_t> next_queue{0};
  auto worker = [&] {
    for (;;) {
      const std::size_t q = next_queue.fetch_add(1);
      if (q >= queues.size()) return;
      for (const Cell& cell : queues[q]) {
        ExecutedCase e = RunCell(launcher, options, specs[cell.client], g.clients[cell.client],
                                 g.scenarios[cell.scenario], *cell.c);
        std::lock_guard<std::mutex> lock(mu);
        results.push_back(std::move(e));
        if (options.on_cell) options.on_cell(results.back(), results.size(), total);
      }
    }
  };
  const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(queues.size())));
  std::vector<std::thread> threads;
  for (int i = 0; i < jobs; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  std::sort(results.begin(), results.end(), [](const ExecutedCase& a, const ExecutedCase& b) {
    return a.result.c->id < b.result.c->id;
  });
  g.executed = std::move(results);
  return g;
}

std::string RenderGridText(const GridOutcome& g) {
  std::map<std::pair<std::string, std::string>, Verdict> cell;
  for (const ExecutedCase& e : g.executed) {
    cell[{e.result.c->dims.client, e.result.c->dims.scenario}] = e.result.verdict;
  }
  std::size_t first = 8;
  for (const auto& s : g.scenarios) first = std::max(first, s.name.size());
  std::vector<std::size_t> widths;
  for (const auto& c : g.clients) widths.push_back(std::max<std::size_t>(c.size(), 5));
  auto pad = [](std::string s, std::size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
  };
  std::string out = pad("scenario", first);
  for (std::size_t i = 0; i < g.clients.size(); ++i) out += "  " + pad(g.clients[i], widths[i]);
  out += "\n";
  for (const auto& s : g.scenarios) {
    std::string row = pad(s.name, first);
    for (std::size_t i = 0; i < g.clients.size(); ++i) {
      auto it = cell.find({g.clients[i], s.name});
      row += "  " + pad(it == cell.end() ? "-" : std::string(Short(it->second)), widths[i]);
    }
    while (!row.empty() && row.back() == ' ') row.pop_back();
    out += row + "\n";
  }
  return out;
}

}  // namespace regauth::harness::clients
