// `regauth run` — thin flag parsing around harness::RunSuite (harness/execute/runner.h).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "harness/execute/runner.h"
#include "net/http_client.h"

namespace regauth::cli {
namespace {

// CommandLine returns this process's argv (Linux /proc), argv[0] shown as "regauth".
std::vector<std::string> CommandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> out;
  std::string arg;
  while (std::getline(in, arg, '\0')) out.push_back(arg);
  if (!out.empty()) out[0] = "regauth";
  return out;
}

std::string ExitCodeHelp() {
  std::ostringstream s;
  s << "Exit codes:\n";
  for (int code :
       {harness::kExitOk, harness::kExitUnexpected, harness::kExitUsage, harness::kExitTarget}) {
    s << "  " << code << "  " << harness::ExitCodeMeaning(code) << "\n";
  }
  s << "An empty selection is a usage error (2).";
  return s.str();
}

}  // namespace

void AddRunCommand(CLI::App& app, int& exit_code, harness::ReferenceLauncher launcher,
                   std::vector<harness::PlantableMisbehaviour> plantable) {
  auto o = std::make_shared<harness::RunOptions>();
  o->plantable = std::move(plantable);
  auto no_progress = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run the conformance suite against a target and write results.json, junit.xml and "
      "report.html");
  cmd->footer(ExitCodeHelp());
  cmd->add_option("--target", o->target,
                  "reference (default: the embedded reference server) or distribution (the "
                  "reference token service + /usr/bin/docker-registry)");
  cmd->add_option("--registry", o->registry_url,
                  "Black-box target: the registry base URL (nothing is started; realm and "
                  "service come from its /v2/ challenge)");
  cmd->add_option("--world", o->world_path,
                  "World file (default <cases>/worlds/gitlab-default.json)");
  cmd->add_option("--cases", o->cases_dir,
                  "The suite's data directory (default ./cases, else the source tree's cases/)");
  cmd->add_option("--signing-key", o->signing_key_path,
                  "PEM private key the registry trusts: enables forged-token cases (black-box)");
  cmd->add_option("--misbehave", o->misbehaviours,
                  "Reference/distribution only: a reference-server misbehaviour (repeatable; "
                  "negative controls). Registry-side ones apply to --target reference only "
                  "(regauth serve --help lists them)");
  cmd->add_option("--profile", o->profile, "Target profile in <cases>/profiles (default gitlab)");
  cmd->add_flag("--strict", o->strict, "SHOULD-level deviations fail (NON-STRICT becomes FAIL)");
  cmd->add_option("--baseline", o->baseline_path, "Expected-failure baseline file");
  cmd->add_option("--filter", o->filter, "Keep case ids matching this glob (repeatable)");
  cmd->add_option("--exclude", o->exclude, "Drop case ids matching this glob (repeatable)");
  cmd->add_option("--tag", o->tags, "Keep cases with this tag (repeatable)");
  cmd->add_option("--exclude-tag", o->exclude_tags, "Drop cases with this tag (repeatable)");
  cmd->add_option("--shard", o->shard, "Run shard i of n (\"i/n\", deterministic by case id)");
  cmd->add_flag("--list", o->list,
                "Print the selected ids (id, layer, tags, title) and exit 0 without contacting "
                "anything");
  cmd->add_option("--format", o->list_format,
                  "With --list: text (default; id, layer, tags, title per line) or json (an array "
                  "of {id, title, family, layer, tags, requirement, source, profiles, needs})")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--fail-fast", o->fail_fast,
                "Stop at the first unexpected result (exit 1); the cases not run are listed in "
                "the reports");
  cmd->add_flag("--bad-credentials-last", o->bad_credentials_last,
                "Run the cases tagged bad-credentials after all others (GitLab bans an IP after "
                "repeated failed logins)");
  cmd->add_option("--out", o->out_dir,
                  "Output directory (default reports/out/<timestamp>, linked as "
                  "reports/out/latest)");
  cmd->add_option("--jobs", o->jobs,
                  "Cases run in parallel, at least 1 (default: number of cores + 1)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--rate", o->rate, "Requests per second across all jobs (default unlimited)");
  cmd->add_option("--timeout", o->timeout_ms,
                  "Per-request timeout in milliseconds (default 10000)");
  cmd->add_flag("--no-progress", *no_progress, "No progress bar");
  cmd->add_option("--ca-file", o->ca_file, "PEM bundle to trust for https targets");
  cmd->add_flag("--insecure", o->insecure, "Do not verify TLS certificates (loud warning)");
  cmd->callback([o, no_progress, launcher, &exit_code] {
    net::InitHttpClientLibrary();
    o->progress = !*no_progress;
    o->argv = CommandLine();
    o->leave_results_to_exit = true;  // main returns right after
    exit_code = harness::RunSuite(*o, launcher,
                                  harness::RunIo{std::cout, std::cerr, isatty(STDERR_FILENO) != 0});
  });
}

}  // namespace regauth::cli
