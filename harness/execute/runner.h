// runner.h — `regauth run`: load the suite (world, matrices, hand-written cases, profiles,
// baseline), select, start and probe the target, execute, judge, write results.json /
// junit.xml / report.html, print progress and a summary, and return the CI exit code.
//
// Exit codes (README "Running the suite"; suite-anchors.md §E must-have 5):
//   0  every case as expected (PASS, NON-STRICT without --strict, INFORMATIONAL, SKIP, or the
//      verdict its baseline entry names)
//   1  unexpected results: a FAIL or ERROR not in the baseline, a verdict other than the
//      baseline's, or a stale baseline entry (the expected failure did not happen)
//   2  usage or configuration error: a bad flag, an invalid world / case / matrix / profile /
//      baseline file (the message names the file, the JSON pointer and what was expected), an
//      empty selection, an unwritable output directory
//   3  the target is unusable: unreachable, the sanity probe failed, it could not be started
//      (docker-registry missing), or it banned the client IP mid-run
//
// Terminal: on a TTY (stderr) a progress bar; always one line per unexpected result as it
// happens (stderr), then a summary table (stdout) with the counts per verdict by layer and by
// family, the executed counts, unexpected and stale counts, the wall time and the report path.
//
// Usage:
//   RunOptions o;  o.profile = "gitlab";  o.filter = {"gitlab/job_token/*"};
//   int rc = RunSuite(o, launcher, RunIo{std::cout, std::cerr, isatty(2) != 0});
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "harness/execute/executor.h"
#include "harness/execute/target.h"

namespace regauth::harness {

// Exit codes of `regauth run` (and `regauth replay`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUnexpected = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitTarget = 3;

// ExitCodeMeaning returns the one-line meaning of an exit code, for --help and the summary.
std::string_view ExitCodeMeaning(int code);

// RunOptions mirrors the command-line flags of `regauth run` (cli/run.cc).
struct RunOptions {
  std::string target;        // "" (reference unless registry_url), reference, distribution
  std::string registry_url;  // black-box target
  std::string world_path;    // "" = <cases>/worlds/gitlab-default.json
  std::string cases_dir;     // "" = ./cases if it exists, else the source tree's cases/
  std::string signing_key_path;
  std::vector<std::string> misbehaviours;
  // plantable: what --misbehave accepts, per component (the composition root fills it from the
  // reference server's table). Empty: the names go to the launcher unchecked.
  std::vector<PlantableMisbehaviour> plantable;
  std::string out_dir;  // "" = reports/out/<timestamp> with reports/out/latest
  std::string profile = "gitlab";
  bool strict = false;
  std::string baseline_path;
  std::vector<std::string> filter, exclude, tags, exclude_tags;
  std::string shard;  // "i/n" or ""
  bool list = false;
  std::string list_format = "text";  // --format with --list: "text" (one line per case) or "json"
  bool bad_credentials_last = false;
  bool fail_fast = false;  // stop at the first unexpected result (exit 1; the rest are not run)
  int jobs = 0;            // 0 = number of cores + 1
  double rate = 0;
  int timeout_ms = 10000;
  bool progress = true;  // --no-progress clears it
  std::string ca_file;
  bool insecure = false;
  std::string docker_registry = "/usr/bin/docker-registry";
  std::vector<std::string> argv;  // the command line, recorded (redacted) in results.json
  // leave_results_to_exit: the caller ends the process right after RunSuite (the CLI does), so
  // the run's in-memory results — about 750 MB of small allocations for the whole matrix — are
  // left to the OS instead of being freed one node at a time (about a second). Library callers
  // and tests keep the default.
  bool leave_results_to_exit = false;
};

// RunIo is where the runner writes. `progress_tty`: stderr is a terminal (progress bar).
struct RunIo {
  std::ostream& out;
  std::ostream& err;
  bool progress_tty = false;
};

// RunSuite performs one `regauth run` and returns its exit code. `launcher` may be empty (then
// --target reference/distribution exit 3 with an explanation).
int RunSuite(const RunOptions& options, const ReferenceLauncher& launcher, const RunIo& io);

// ExitCodeFor computes 0 or 1 from executed cases: 1 when any case is unexpected or has a stale
// baseline entry.
int ExitCodeFor(const std::vector<ExecutedCase>& cases);

// SummaryTable renders the end-of-run table from a results document's "summary" (and "run",
// "target", "profile" for the header line); `report_dir` is printed as the reports' location.
std::string SummaryTable(const nlohmann::json& results, const std::string& report_dir);

// --cases and --world default to DefaultCasesDir() and DefaultWorldFile() (harness/suite/load.h).

}  // namespace regauth::harness
