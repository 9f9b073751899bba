// `regauth replay ID --results DIR` — thin flag parsing around harness::RenderReplay
// (harness/report/replay.h).
#include "harness/report/replay.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "harness/execute/runner.h"
#include "harness/suite/data_file.h"
#include "harness/suite/load.h"
#include "protocol/world.h"

namespace regauth::cli {
namespace {

struct ReplayFlags {
  std::string id;
  std::string results = "reports/out/latest";
  bool show_secrets = false;
  std::string world;
};

int RunReplay(const ReplayFlags& f) {
  auto doc = harness::LoadResults(f.results);
  if (!doc) {
    std::cerr << "regauth replay: " << doc.error() << "\n";
    return harness::kExitUsage;
  }
  std::optional<protocol::World> world;
  if (f.show_secrets) {
    if (f.world.empty()) {
      std::cerr << "regauth replay: --show-secrets needs --world FILE\n";
      return harness::kExitUsage;
    }
    auto w = harness::LoadWorldFile(f.world);
    if (!w) {
      std::cerr << "regauth replay: " << w.error() << "\n";
      return harness::kExitUsage;
    }
    world = std::move(*w);
  }
  harness::ReplayOptions o;
  o.show_secrets = f.show_secrets;
  o.world = world ? &*world : nullptr;
  auto script = harness::RenderReplay(*doc, f.id, o);
  if (!script) {
    std::cerr << "regauth replay: " << script.error() << "\n";
    return harness::kExitUsage;
  }
  std::cout << *script;
  return harness::kExitOk;
}

}  // namespace

void AddReplayCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ReplayFlags>();
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Print one case of a run as a shell script of curl commands (exit 0 printed, 2 usage)");
  cmd->footer(
      "Exit codes:\n"
      "  0  the script was printed\n"
      "  2  usage error: no such case, unreadable or invalid results, --show-secrets without a "
      "usable --world");
  cmd->add_option("id", flags->id, "The case id")->required();
  cmd->add_option("--results", flags->results,
                  "Run directory or results.json (default reports/out/latest)");
  cmd->add_flag("--show-secrets", flags->show_secrets,
                "Write the world's secrets into the script instead of variables (needs --world)");
  cmd->add_option("--world", flags->world, "World file for --show-secrets");
  cmd->callback([flags, &exit_code] { exit_code = RunReplay(*flags); });
}

}  // namespace regauth::cli
