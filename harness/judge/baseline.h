// baseline.h — expected non-PASS results of a particular target (`--baseline FILE`), with a
// required reason per entry, and their application to a CaseResult (suite-anchors.md §E4;
// reports/results-schema.md "Verdicts").
//
// Format (cases/baselines/README.md):
//   {"entries": [
//     {"id": "gitlab/…/pull", "expected": "FAIL", "reason": "GitLab 17.x bug #123"},
//     {"pattern": "registry/hostile-token/*", "expected": "INFORMATIONAL", "reason": "…"},
//     {"id": "token-spec/login/docker", "check": "claims.sub", "expected": "NON-STRICT",
//      "reason": "…"}]}
// Each entry names exactly one of `id` (exact) or `pattern` (glob, harness/select/selection.h);
// `check` makes it a per-check entry (the case's other checks are judged normally). Rejected on
// load: unknown members, a missing or empty reason, an unknown verdict, expected "PASS" (that is
// the default), two entries for one id, and — against the suite — an entry that matches no case at
// all (stale by id: the case was renamed or removed), and a case that gets both a whole-case
// and a per-check entry (ambiguous, as the OIDF/MCP suites also refuse). An entry whose cases
// exist but are outside the current selection (--filter, --shard) is fine: it is simply unused.
//
// Application (ApplyBaseline), per results-schema.md:
//   no entry:        expected PASS; unexpected = verdict ∉ {PASS, NON-STRICT (unless --strict),
//                    INFORMATIONAL, SKIP}
//   whole-case:      expected = entry; unexpected = verdict ≠ expected; an entry expecting a
//                    non-PASS verdict that got PASS is stale (and unexpected)
//   per-check:       each named check's outcome must equal its entry (a passing check is stale);
//                    the rest of the case is judged as with no entry
//
// Usage:
//   auto baseline = LoadBaselineFile(path);
//   if (auto err = CheckBaseline(*baseline, all_cases)) return 2;
//   ApplyBaseline(&*baseline, strict, &result);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/suite/case.h"
#include "harness/suite/data_file.h"

namespace regauth::harness {

struct BaselineRule {
  std::string id;       // exact case id, or
  std::string pattern;  // a glob over case ids
  std::string check;    // "" = whole case; else a check id
  Verdict expected = Verdict::kFail;
  std::string reason;
  std::string pointer;  // where the entry is in its file
};

struct Baseline {
  std::string file;
  std::vector<BaselineRule> entries;

  // WholeCaseEntry returns the whole-case entry for `case_id` (an exact id wins over a pattern;
  // among patterns the first in file order), or nullptr.
  const BaselineRule* WholeCaseEntry(std::string_view case_id) const;
  // CheckEntries returns the per-check entries that apply to `case_id`.
  std::vector<const BaselineRule*> CheckEntries(std::string_view case_id) const;
};

// ParseBaseline validates a baseline document (syntax-level rules above).
LoadResult<Baseline> ParseBaseline(const nlohmann::json& doc, const std::string& file);
LoadResult<Baseline> LoadBaselineFile(const std::string& path);

// CheckBaseline validates `baseline` against every case of the suite (not only the selected
// ones): stale entries (kStale) and whole-case/per-check conflicts (kConflict).
std::optional<LoadError> CheckBaseline(const Baseline& baseline, const std::vector<Case>& cases);

// CheckVerdict is the verdict a single failed check gives (MUST → FAIL, SHOULD → NON-STRICT or
// FAIL under strict, INFO → INFORMATIONAL); a passed check gives PASS.
Verdict CheckVerdict(const CheckResult& check, bool strict);

// WorstVerdict is the worst of the checks' verdicts in the order PASS < INFORMATIONAL <
// NON-STRICT < FAIL (results-schema.md), PASS for no checks.
Verdict WorstVerdict(const std::vector<CheckResult>& checks, bool strict);

// ExpectedWithoutBaseline reports whether `v` is acceptable when no baseline entry applies.
bool AcceptableWithoutBaseline(Verdict v, bool strict);

// ApplyBaseline sets r->expected_verdict, r->baseline, r->stale_baseline and r->unexpected from
// r->verdict and r->checks. `baseline` may be null (no --baseline). r->c must be set.
void ApplyBaseline(const Baseline* baseline, bool strict, CaseResult* r);

}  // namespace regauth::harness
