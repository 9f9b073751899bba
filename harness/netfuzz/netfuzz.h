// netfuzz.h — `regauth netfuzz`: fuzz a live token service and registry over the wire with
// structure-aware mutations of a world's valid exchanges, check invariants on every answer,
// minimise each finding and write it with a curl reproducer and a regression case (issue 11;
// README "regauth netfuzz").
//
// A run: load the world → start or reach the target exactly as `regauth run` does
// (harness/target.h StartTarget: the same flags, the same sanity probe) → setup and seeds
// (seeds.h) → a plan of requests drawn from --seed: first every seed as is, then a sweep of
// every mutation over the seeds it applies to, then random stacks of one to three mutations →
// send, check (invariants.h), and after every batch a liveness probe → minimise each new
// finding by dropping mutations while the same invariant still breaks → findings.json,
// report.txt, findings/*.sh, cases/ (findings.h).
//
// Exit codes: 0 no findings, 1 findings, 2 usage (bad flag, world, non-loopback target without
// --registry), 3 target unusable (as `regauth run`: unreachable, the probe failed, setup failed).
//
// Usage:
//   NetfuzzOptions o;  o.seed = 7;  o.requests = 2000;
//   int rc = RunNetfuzz(o, launcher, std::cout, std::cerr);
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/execute/target.h"
#include "harness/netfuzz/mutators.h"
#include "harness/netfuzz/seeds.h"

namespace regauth::harness::netfuzz {

// NetfuzzOptions mirrors the flags of `regauth netfuzz` (cli: netfuzz.cc).
struct NetfuzzOptions {
  std::string target;  // "" (reference unless registry_url), reference, distribution
  std::string registry_url;
  std::string world_path;  // "" = the default world
  std::string cases_dir;   // "" = DefaultCasesDir() (for the profiles the replay needs)
  std::string signing_key_path;
  std::vector<std::string> misbehaviours;
  std::vector<PlantableMisbehaviour> plantable;
  std::string profile = "gitlab";
  std::string out_dir;  // "" = reports/out/netfuzz-<timestamp>
  uint64_t seed = 1;
  int64_t requests = 10000;  // at most this many fuzz requests (setup and probes not counted)
  double duration_s = 0;     // and at most this long (0: no limit)
  double rate = 0;           // requests per second (0: unlimited)
  int timeout_ms = 5000;     // per request: the hang bound of the no-drop invariant
  int batch = 250;           // requests between liveness probes
  int max_findings = 40;     // stop recording (not fuzzing) after this many findings
  std::string docker_registry = "/usr/bin/docker-registry";
};

// PlannedRequest is one entry of the plan: a seed and the mutations applied to it.
struct PlannedRequest {
  std::size_t seed = 0;
  std::vector<Mutation> mutations;
  friend bool operator==(const PlannedRequest&, const PlannedRequest&) = default;
};

// Planner draws the request sequence from a seed: deterministic for a given seed and seed set.
class Planner {
 public:
  Planner(const std::vector<Seed>& seeds, const MutationEnv& env, uint64_t seed);
  // Next returns the next request and its mutated form.
  PlannedRequest Next(FuzzRequest* out);

 private:
  uint64_t Draw();
  const std::vector<Seed>& seeds_;
  const MutationEnv& env_;
  uint64_t state_;
  std::size_t index_ = 0;
  std::vector<PlannedRequest> sweep_;  // seeds as is, then every mutation once per family seed
};

// ApplyAll applies `ms` to a copy of `seed` in order, skipping those that do not apply.
FuzzRequest ApplyAll(const FuzzRequest& seed, const std::vector<Mutation>& ms,
                     const MutationEnv& env);

// RunNetfuzz performs one run and returns its exit code.
int RunNetfuzz(const NetfuzzOptions& options, const ReferenceLauncher& launcher, std::ostream& out,
               std::ostream& err);

}  // namespace regauth::harness::netfuzz
