// results_json.h — builds the run document `results.json` (reports/results-schema.md, schema
// "regauth-results/1") from the executed cases, and the spellings of the harness enums used in
// it.
//
// Everything that goes in was redacted at capture time (harness/execute/steps.h); this module adds
// no secret: the config records "«provided»" for a signing key, never the key, and argv is passed
// through the run's Redactor by the caller. reports/results-schema.md documents every member it
// writes (which are always present, which optional); the ctest results_schema_doc_matches_results
// fails when a member written here is missing there. A check's "message" is written when the
// check failed or is an INFO observation (for a passed check it is the rule's fixed text).
//
// Usage:
//   RunRecord run;  run.started_at_ms = ...;  run.target = &info;  run.profile = "gitlab"; ...
//   nlohmann::json doc = BuildResults(run, outcome.cases);
//   reports::WriteRunReports(doc, dir);       // validates, then writes junit.xml, report.html
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/execute/executor.h"
#include "harness/suite/case.h"

namespace regauth::harness {

// Spellings of results-schema.md (case.h declares the same mapping; these are what this module
// writes).
std::string_view VerdictText(Verdict v);    // "PASS", "INFORMATIONAL", "NON-STRICT", ...
std::string_view LayerText(Layer layer);    // "token-endpoint", "registry", "flow"
std::string_view SeverityText(Severity s);  // "MUST", "SHOULD", "INFO"

// kSuiteVersion / kGitCommit: the project version and the commit the binary was built from
// ("unknown" when git was not available at configure time).
std::string_view SuiteVersion();
std::string_view GitCommit();

// RunRecord is the run-level part of the document.
struct RunRecord {
  int64_t started_at_ms = 0;  // Unix time, milliseconds
  int64_t finished_at_ms = 0;
  std::vector<std::string> argv;  // already redacted
  int jobs = 1;
  nlohmann::json selection = nlohmann::json::object();  // filter, exclude, tags, shard, listed
  const TargetInfo* target = nullptr;                   // may be null (the probe failed)
  std::string target_kind;                              // used when target is null
  nlohmann::json fingerprint = nlohmann::json::object();
  std::string profile;
  nlohmann::json config = nlohmann::json::object();  // redacted run configuration
  int exit_code = 0;
  std::optional<std::string> error;      // why the run stopped early (probe failure, IP ban)
  std::size_t not_run = 0;               // selected cases that never started (abort)
  std::vector<std::string> not_run_ids;  // their ids ("run.not_run_ids"), sorted
};

// Rfc3339Utc renders Unix milliseconds as "2026-11-25T13:17:41Z" (seconds precision).
std::string Rfc3339Utc(int64_t unix_ms);

// CaseJson renders one executed case as an element of "cases".
nlohmann::json CaseJson(const ExecutedCase& e);

// SummaryJson counts the cases: total, by_verdict, by_layer, by_family, executed_by_layer,
// executed_by_family, unexpected, stale_baseline (and exit_code from `exit_code`).
nlohmann::json SummaryJson(const std::vector<ExecutedCase>& cases, int exit_code);

// BuildResults assembles the whole document; cases keep the given order (the executor sorts
// them by id). A case whose `rendered` element is already built (ExecutorOptions::render) is
// copied from it instead of being rendered again.
nlohmann::json BuildResults(const RunRecord& run, const std::vector<ExecutedCase>& cases);
// BuildResults (rvalue): the same, moving each case's `rendered` element into the document.
nlohmann::json BuildResults(const RunRecord& run, std::vector<ExecutedCase>&& cases);

}  // namespace regauth::harness
