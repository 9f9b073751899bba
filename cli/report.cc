// `regauth report merge DIR… --out DIR` — thin flag parsing around reports::MergeResults
// (reports/merge.h): the shards of a run (one CI job each) become one results.json, junit.xml
// and report.html, and the summary table of `regauth run` is printed for the merged run.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "harness/execute/runner.h"
#include "reports/merge.h"
#include "reports/output.h"

namespace regauth::cli {
namespace {

struct MergeFlags {
  std::vector<std::string> inputs;
  std::string out;
};

int RunMerge(const MergeFlags& f) {
  std::vector<nlohmann::json> docs;
  for (const std::string& input : f.inputs) {
    auto doc = reports::ReadResultsFile(input);
    if (!doc) {
      std::cerr << "regauth report merge: " << doc.error().Describe() << "\n";
      return harness::kExitUsage;
    }
    docs.push_back(std::move(*doc));
  }
  auto merged = reports::MergeResults(docs);
  if (!merged) {
    std::cerr << "regauth report merge: " << merged.error().Describe()
              << " (inputs are numbered in the order given)\n";
    return harness::kExitUsage;
  }
  std::error_code ec;
  std::filesystem::create_directories(f.out, ec);
  if (ec) {
    std::cerr << "regauth report merge: --out " << f.out << ": " << ec.message() << "\n";
    return harness::kExitUsage;
  }
  if (auto s = reports::WriteRunReports(*merged, f.out); !s) {
    std::cerr << "regauth report merge: writing the reports failed: " << s.error().Describe()
              << "\n";
    return harness::kExitUsage;
  }
  std::cout << harness::SummaryTable(*merged, f.out);
  return harness::kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App& app, int& exit_code) {
  CLI::App* report = app.add_subcommand("report", "Work with the reports of runs");
  report->require_subcommand(1);
  auto flags = std::make_shared<MergeFlags>();
  CLI::App* merge = report->add_subcommand(
      "merge",
      "Merge the results of the shards of a run (regauth run --shard i/n) into one results.json, "
      "junit.xml and report.html");
  merge->footer(
      "Exit codes:\n"
      "  0  the merged reports were written (the summary table's exit code is the merged run's)\n"
      "  2  usage error: an unreadable or invalid results.json, shards that overlap or come from "
      "different profiles or target kinds, an unwritable --out");
  merge->add_option("inputs", flags->inputs, "Run directories (or results.json files) to merge")
      ->required();
  merge->add_option("--out", flags->out, "Directory for the merged reports")->required();
  merge->callback([flags, &exit_code] { exit_code = RunMerge(*flags); });
}

}  // namespace regauth::cli
