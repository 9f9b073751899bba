#include "harness/execute/executor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "harness/judge/judge.h"
#include "harness/suite/case_loader.h"
#include "protocol/jws.h"

namespace regauth::harness {
namespace {

using Clock = std::chrono::steady_clock;

bool HasTag(const Case& c, std::string_view tag) {
  return std::find(c.tags.begin(), c.tags.end(), tag) != c.tags.end();
}

// UnmetNeed returns why the run cannot satisfy `need`, or nullopt. `tool` tells the caller the
// need is a real client (ERROR instead of SKIP under CI=true).
std::optional<std::string> UnmetNeed(const std::string& need, const RunContext& ctx, bool* tool) {
  *tool = false;
  if (need == "signing_key") {
    if (ctx.signing_key) return std::nullopt;
    return std::string(
        "needs the target's private signing key (--signing-key PEM, or the reference target)");
  }
  if (need == "docker_cli") {
    *tool = true;
    if (ctx.tools.docker) return std::nullopt;
    return std::string("needs the docker CLI, which is not installed here");
  }
  if (need == "skopeo") {
    *tool = true;
    if (ctx.tools.skopeo) return std::nullopt;
    return std::string("needs skopeo, which is not installed here");
  }
  if (need == "registry") return std::nullopt;  // every target has passed the registry probe
  return "needs '" + need + "', which this runner does not provide";
}

std::string KidOf(const std::string& token) {
  auto jws = protocol::ParseCompactJws(token);
  if (!jws || !jws->header.kid) return "";
  return *jws->header.kid;
}

void RunCase(const Case& c, const RunContext& ctx, const Profile& profile, bool strict,
             ExecutedCase& out) {
  CaseResult& r = out.result;
  if (!c.unmet.empty()) {  // the world lacks a fact the case's selectors need (suite/bind.h)
    r.verdict = Verdict::kSkip;
    r.skip_reason = c.unmet;
    return;
  }
  for (const auto& id : MissingCredentials(c, *ctx.world)) {
    r.verdict = Verdict::kSkip;
    r.skip_reason = "credential '" + id + "' is not in the world";
    return;
  }
  for (const auto& need : c.needs) {
    bool tool = false;
    if (auto why = UnmetNeed(need, ctx, &tool)) {
      if (tool && ctx.tools.ci) {
        r.verdict = Verdict::kError;
        r.error = *why + " (CI=true: a missing client is an error, never a silent pass)";
      } else {
        r.verdict = Verdict::kSkip;
        r.skip_reason = *why;
      }
      return;
    }
  }
  const int64_t now = ctx.Now();
  CaseState state(ctx.client_options);
  std::vector<StepOutput> outputs;
  std::optional<std::string> stop;
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    StepResult s = RunStep(c.steps[i], ctx, state);
    // The judge reads the raw observations, never the redacted exchanges: move them.
    for (auto& e : s.output.exchanges) r.exchanges.push_back(std::move(e));
    s.output.exchanges.clear();
    for (auto& cr : s.credentials) out.credentials.push_back(std::move(cr));
    if (s.tool) out.tools.push_back(std::move(*s.tool));
    if (out.kid.empty() && s.output.token &&
        (s.output.kind == StepKind::kTokenRequest || s.output.kind == StepKind::kDockerLoginFlow)) {
      out.kid = KidOf(*s.output.token);
    }
    if (s.ip_ban) {
      out.ip_ban = true;
      r.verdict = Verdict::kError;
      r.error = std::string(kIpBanMessage);
      return;
    }
    if (s.error) {
      r.verdict = Verdict::kError;
      r.error = "step " + std::to_string(i) + ": " + *s.error;
      return;
    }
    if (s.skip) {
      r.verdict = Verdict::kSkip;
      r.skip_reason = "step " + std::to_string(i) + ": " + *s.skip;
      return;
    }
    if (s.stop) {
      stop = "step " + std::to_string(i) + " could not run: " + *s.stop;
      break;
    }
    outputs.push_back(std::move(s.output));
  }
  JudgeContext jc;
  jc.target = ctx.target;
  jc.world = ctx.world;
  jc.now = now;
  jc.strict = strict;
  jc.signing_key = ctx.verify_key;
  jc.signing_kid_libtrust = ctx.verify_kid;
  r.checks = Judge(c, profile, jc, outputs);
  if (stop) {
    r.checks.insert(r.checks.begin(), CheckResult{"steps.prerequisite", Severity::kMust, false,
                                                  "every step runs", "stopped", *stop});
  }
  for (const auto& check : r.checks) {
    if (check.id == "expect" && !check.passed) {
      r.verdict = Verdict::kError;
      r.error = "the case's expectation does not parse: " + check.message;
      return;
    }
  }
  r.verdict = WorstVerdict(r.checks, strict);
}

}  // namespace

ExecutedCase ExecuteCase(const Case& c, const RunContext& ctx, const Profile& profile, bool strict,
                         const Baseline* baseline) {
  ExecutedCase out;
  out.result.c = &c;
  const auto start = Clock::now();
  try {
    RunCase(c, ctx, profile, strict, out);
  } catch (const std::exception& e) {
    // Never expected (parameters are validated on load); reported, never a crash of the run.
    out.result.verdict = Verdict::kError;
    out.result.error = std::string("internal error: ") + e.what();
  }
  out.result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  ApplyBaseline(baseline, strict, &out.result);
  return out;
}

std::vector<const Case*> OrderForExecution(const std::vector<const Case*>& cases,
                                           bool bad_credentials_last) {
  std::vector<const Case*> out = cases;
  if (bad_credentials_last) {
    std::stable_partition(out.begin(), out.end(),
                          [](const Case* c) { return !HasTag(*c, kBadCredentialsTag); });
  }
  return out;
}

ExecutionOutcome ExecuteCases(const std::vector<const Case*>& cases, const RunContext& ctx,
                              const ExecutorOptions& options) {
  ExecutionOutcome outcome;
  const std::vector<const Case*> order = OrderForExecution(cases, options.bad_credentials_last);
  // Phases: with bad_credentials_last the tagged cases start only after every other case has
  // finished (not merely started), so a ban they trigger cannot affect the others.
  std::size_t split = order.size();
  if (options.bad_credentials_last) {
    split = static_cast<std::size_t>(
        std::find_if(order.begin(), order.end(),
                     [](const Case* c) { return HasTag(*c, kBadCredentialsTag); }) -
        order.begin());
  }
  std::vector<std::optional<ExecutedCase>> slots(order.size());
  std::atomic<bool> abort{false};
  std::mutex mu;  // serialises on_result and the abort reason
  std::size_t done = 0;
  auto run_range = [&](std::size_t begin, std::size_t end) {
    std::atomic<std::size_t> next{begin};
    auto worker = [&] {
      while (!abort.load()) {
        const std::size_t i = next.fetch_add(1);
        if (i >= end) return;
        ExecutedCase e =
            ExecuteCase(*order[i], ctx, *options.profile, options.strict, options.baseline);
        if (options.render) e.rendered = options.render(e);
        std::lock_guard<std::mutex> lock(mu);
        if (e.ip_ban) {
          if (!abort.exchange(true)) outcome.abort_reason = std::string(kIpBanMessage);
        } else if (options.fail_fast && (e.result.unexpected || e.result.stale_baseline) &&
                   !abort.exchange(true)) {
          outcome.fail_fast = true;
          outcome.abort_reason =
              "stopped at the first unexpected result (--fail-fast): " + e.result.c->id;
        }
        ++done;
        if (options.on_result) options.on_result(e, done, order.size());
        slots[i] = std::move(e);
      }
    };
    const std::size_t count = end - begin;
    const std::size_t threads =
        std::min<std::size_t>(static_cast<std::size_t>(std::max(1, options.jobs)), count);
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    if (threads > 0) worker();
    for (auto& t : pool) t.join();
  };
  run_range(0, split);
  if (!abort.load()) run_range(split, order.size());
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (slots[i]) {
      outcome.cases.push_back(std::move(*slots[i]));
    } else {
      ++outcome.not_run;
      outcome.not_run_ids.push_back(order[i]->id);
    }
  }
  std::sort(outcome.not_run_ids.begin(), outcome.not_run_ids.end());
  std::sort(
      outcome.cases.begin(), outcome.cases.end(),
      [](const ExecutedCase& a, const ExecutedCase& b) { return a.result.c->id < b.result.c->id; });
  outcome.aborted = abort.load();
  return outcome;
}

}  // namespace regauth::harness
