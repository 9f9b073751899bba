// `regauth world check` — thin flag parsing around harness::CheckWorld
// (harness/suite/world_check.h).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "harness/suite/case_loader.h"
#include "harness/suite/load.h"
#include "harness/suite/matrix.h"
#include "harness/suite/world_check.h"

namespace regauth::cli {
namespace {

struct WorldCheckOptions {
  std::vector<std::string> world_paths;
  std::string cases_dir;
  double min_coverage = -1;
};

int RunWorldCheck(const WorldCheckOptions& o) {
  const std::string cases_dir = o.cases_dir.empty() ? harness::DefaultCasesDir() : o.cases_dir;
  std::vector<std::string> paths = o.world_paths;
  if (paths.empty()) paths.push_back(harness::DefaultWorldFile(cases_dir));
  auto matrices = harness::LoadMatrixDir(cases_dir + "/matrix");
  if (!matrices) {
    std::cerr << "regauth world check: " << harness::DescribeLoadError(matrices.error()) << "\n";
    return 2;
  }
  auto cases = harness::LoadSuiteCases(cases_dir);
  if (!cases) {
    std::cerr << "regauth world check: " << harness::DescribeLoadError(cases.error()) << "\n";
    return 2;
  }
  std::vector<harness::WorldCheckReport> reports;
  for (const std::string& path : paths) {
    auto world = harness::LoadWorldFile(path);
    if (!world) {
      std::cerr << "regauth world check: " << world.error() << "\n";
      return 2;
    }
    reports.push_back(harness::CheckWorld(*world, *matrices, *cases));
    if (reports.size() > 1) std::cout << "\n";
    std::cout << harness::RenderWorldCheck(reports.back());
  }
  const harness::WorldCheckReport combined =
      reports.size() == 1 ? reports.front() : CombineWorldChecks(reports);
  if (reports.size() > 1) {
    std::cout << "\n=== together (the suite run on each world) ===\n"
              << harness::RenderWorldCheck(combined);
  }
  if (o.min_coverage >= 0 && !harness::MeetsCoverage(combined, o.min_coverage)) {
    std::cout << "\ncoverage below --min-coverage " << o.min_coverage << " %\n";
    return 1;
  }
  return 0;
}

}  // namespace

void AddWorldCommand(CLI::App& app, int& exit_code) {
  CLI::App* world =
      app.add_subcommand("world", "Inspect a world file: what it lets the suite test");
  world->require_subcommand(1);
  auto o = std::make_shared<WorldCheckOptions>();
  CLI::App* check = world->add_subcommand(
      "check",
      "Print which case selectors the world satisfies, which cases it leaves unexercised and "
      "why, the matrix values it reaches per dimension, and the rule conditions it cannot "
      "tell apart");
  check->footer(
      "Exit codes:\n  0  the world loads (and meets --min-coverage)\n  1  coverage below "
      "--min-coverage\n  2  usage error or an invalid world, matrix or case file");
  check->add_option("--world", o->world_paths,
                    "world file, repeatable: several worlds are also judged together (default "
                    "<cases>/worlds/gitlab-default.json)");
  check->add_option("--cases", o->cases_dir,
                    "the suite's data (default ./cases, else the source tree's cases/)");
  check
      ->add_option("--min-coverage", o->min_coverage,
                   "fail (exit 1) unless exercised cases, dimension values and rule conditions "
                   "each reach this percentage")
      ->check(CLI::Range(0.0, 100.0));
  check->callback([o, &exit_code]() { exit_code = RunWorldCheck(*o); });
}

}  // namespace regauth::cli
