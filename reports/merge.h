// merge.h — `regauth report merge`: one results document from the results.json files of the
// shards of a run (`regauth run --shard i/n`, one CI job each), so that the merged results.json,
// junit.xml and report.html show the whole run as one unsharded run would.
//
// Rules (results-schema.md "Merged documents"):
//   - every input passes ValidateResults and has the same "profile" and "target.kind"; case ids
//     never repeat across inputs (overlapping shards are an error, not a silent union);
//   - "cases" is the union, sorted by id as the runner sorts them; summary cases (evidence.h)
//     are re-indexed into the merged "check_lists" / "dimension_sets";
//   - "summary" is recounted from the merged cases (SummaryOf, results.h);
//     summary.exit_code is the worst shard's: 3 (a shard's target was unusable) over 2 over 1;
//     else 1 when a merged case is unexpected or stale, else 0;
//   - "run": started_at / finished_at span the shards, duration_ms is that span, jobs the sum,
//     selection.listed the sum and selection.shard the shards merged ("1/4,2/4,3/4,4/4", or
//     "1/1" when they are exactly the n shards of one split); errors are kept, prefixed by the
//     shard ("shard 2/4: …"), not_run / not_run_ids summed and united; run.merged_from lists
//     each input's shard and case count;
//   - "suite", "target", "config" and "profile" come from the first input; run.evidence is
//     "all" only when every input kept all evidence.
//
// Usage:
//   std::vector<nlohmann::json> shards = ...;      // each a parsed results.json
//   auto merged = MergeResults(shards);
//   if (!merged) std::cerr << merged.error().Describe() << "\n";
//   else WriteRunReports(*merged, out_dir);
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "reports/results.h"

namespace regauth::reports {

// kMaxResultsFileBytes bounds one results.json read by ReadResultsFile (a full run with
// --evidence all writes about 150 MB).
inline constexpr std::size_t kMaxResultsFileBytes = std::size_t{1} << 30;

// ReadResultsFile reads and parses `path` (a results.json or a directory holding one).
// Errors: kIo (cannot open or read; where = the path), kBadValue (larger than
// kMaxResultsFileBytes, or not JSON: detail gives the byte offset).
ReportResult<nlohmann::json> ReadResultsFile(const std::filesystem::path& path);

// MergeResults merges shard documents as described above. `inputs` must not be empty.
// Errors: those of ValidateResults (where is prefixed by "input <n>"), kBadValue (no inputs,
// or a profile / target kind differing from the first input's), kDuplicateCaseId (a case id in
// two inputs; where names both inputs).
ReportResult<nlohmann::json> MergeResults(const std::vector<nlohmann::json>& inputs);

}  // namespace regauth::reports
