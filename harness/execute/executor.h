// executor.h — runs selected cases: each case's steps in order on its own CaseState, the judge on
// what they observed, the verdict, then the baseline; cases in parallel across worker threads
// (never within a case), results in a deterministic order.
//
// Verdict of one case (reports/results-schema.md "Verdicts"):
//   1. SKIP before anything runs when the case names a credential the world lacks, or needs
//      something this run lacks ("signing_key", "docker_cli", "skopeo"; an unknown need is a
//      SKIP naming it). A tool need unmet under CI=true is ERROR instead (CI never silently
//      passes; STYLE.md "Tests").
//   2. SKIP / ERROR from a step (harness/execute/steps.h): a missing tool, a refused credential
//   origin,
//      a case bug (unknown ${…}), a transport failure that is ours (connection refused, ...).
//   3. Otherwise the judge's checks (harness/judge/judge.h) and WorstVerdict
//   (harness/judge/baseline.h): a
//      failed MUST → FAIL, SHOULD → NON-STRICT (FAIL with --strict), INFO → INFORMATIONAL. A
//      failed "expect" check means the expectation did not parse: an engine bug, so ERROR.
//   4. ApplyBaseline sets expected_verdict, unexpected and stale_baseline.
// A step that stops the case (a token an earlier step should have obtained is missing) adds a
// failed MUST check "steps.prerequisite" and the judge sees the steps that ran.
//
// IP ban (token-auth.md §9): GitLab bans a client IP after repeated failed logins and then
// answers 403 text/plain. The first such answer from the token endpoint stops the whole run: no
// new case starts, the case that saw it is ERROR, and ExecutionOutcome::aborted is set (the
// runner exits 3). With bad_credentials_last the cases tagged "bad-credentials" run after all
// others, so a ban cannot hide the results of the rest. With fail_fast the first unexpected result
// stops the run the same way (the runner exits 1).
//
// Usage:
//   ExecutorOptions o;  o.jobs = 2;  o.profile = &profile;  o.baseline = baseline_or_null;
//   o.on_result = [&](const ExecutedCase& r, std::size_t done, std::size_t total) { ... };
//   ExecutionOutcome out = ExecuteCases(selected, run_context, o);
//   for (const ExecutedCase& e : out.cases) ...;   // sorted by case id
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/execute/steps.h"
#include "harness/judge/baseline.h"
#include "harness/judge/profile.h"
#include "harness/suite/case.h"

namespace regauth::harness {

// ExecutedCase is a CaseResult plus what results.json records beside it.
struct ExecutedCase {
  CaseResult result;
  // credentials[i]: the world credentials whose secrets result.exchanges[i] carried.
  std::vector<std::vector<CredentialUse>> credentials;
  std::vector<ToolRun> tools;
  std::string kid;      // "kid" header of the first token a token request obtained ("" none)
  bool ip_ban = false;  // this case saw the ban answer
  // rendered: the case's results.json element when ExecutorOptions::render is set (built on the
  // worker thread, so serialising 10,000 cases overlaps with waiting for the target).
  nlohmann::json rendered;
};

struct ExecutorOptions {
  int jobs = 1;  // worker threads (at least 1)
  bool strict = false;
  bool bad_credentials_last = false;
  // fail_fast: the first unexpected result (or stale baseline entry) stops the run like an IP
  // ban does — no new case starts — with ExecutionOutcome::fail_fast set.
  bool fail_fast = false;
  const Profile* profile = nullptr;    // required
  const Baseline* baseline = nullptr;  // optional
  // on_result is called once per finished case, serialised (never concurrently), with the
  // number of finished cases and the total.
  std::function<void(const ExecutedCase&, std::size_t done, std::size_t total)> on_result;
  // render, when set, runs on the worker thread right after a case finished and before
  // on_result; it returns the case's results.json element (harness/report/results_json.h CaseJson).
  std::function<nlohmann::json(const ExecutedCase&)> render;
};

struct ExecutionOutcome {
  std::vector<ExecutedCase> cases;  // every case that ran, sorted by id
  bool aborted = false;             // an IP ban (or, with fail_fast, an unexpected result) stopped
                                    // the run
  bool fail_fast = false;           // it was the fail_fast stop, not a ban
  std::string abort_reason;
  std::size_t not_run = 0;               // selected cases that never started because of the abort
  std::vector<std::string> not_run_ids;  // their ids, sorted
};

// kBadCredentialsTag is the tag of cases that send wrong credentials on purpose.
inline constexpr std::string_view kBadCredentialsTag = "bad-credentials";

// kIpBanMessage is what the runner prints when the ban answer stops a run.
inline constexpr std::string_view kIpBanMessage =
    "the target stopped answering: it looks like the client IP was banned after failed logins; "
    "exclude the tag bad-credentials or run them last (--bad-credentials-last)";

// ExecuteCase runs one case to its result (steps 1-4 above). `ctx` must outlive the call.
ExecutedCase ExecuteCase(const Case& c, const RunContext& ctx, const Profile& profile, bool strict,
                         const Baseline* baseline);

// OrderForExecution returns `cases` in execution order: as given, or, with
// bad_credentials_last, every case without the tag first (stable) and the tagged ones after.
std::vector<const Case*> OrderForExecution(const std::vector<const Case*>& cases,
                                           bool bad_credentials_last);

// ExecuteCases runs `cases` on options.jobs workers and returns the results sorted by id.
ExecutionOutcome ExecuteCases(const std::vector<const Case*>& cases, const RunContext& ctx,
                              const ExecutorOptions& options);

}  // namespace regauth::harness
