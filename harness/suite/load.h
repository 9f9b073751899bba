// load.h — loading the suite's inputs the same way for every subcommand: the world file (secrets
// from the environment, states at the current clock), the matrices expanded over it and the
// hand-written cases bound to it (harness/suite/bind.h). `regauth run` and `regauth world check`
// both use it, so a world that one accepts the other accepts.
//
// Usage:
//   auto world = LoadWorldFile(path);                    // Expected<World, std::string>
//   auto cases = LoadCases(cases_dir, *world);           // matrices expanded, cases bound
//   std::string dir = DefaultCasesDir();
//   std::string world = DefaultWorldFile(dir);
#pragma once

#include <string>
#include <vector>

#include "harness/case.h"
#include "protocol/result.h"
#include "protocol/world.h"

namespace regauth::harness {

// DefaultCasesDir is ./cases when the working directory holds the suite's data (./cases/profiles
// exists), else the source tree's cases/ directory. It is the one data-directory rule of the
// binary: `run` and `world check` use it for --cases, and the composition root
// (harness/cli/main.cc) hands DefaultWorldFile(DefaultCasesDir()) to the reference server's
// subcommands (serve, credentials, ci-env, distribution-config) as their --world default.
std::string DefaultCasesDir();

// DefaultWorldFile is the world read when --world is not given: <cases_dir>/worlds/
// gitlab-default.json.
std::string DefaultWorldFile(const std::string& cases_dir);

// LoadCases returns every case of the suite over `world`: the matrices of <cases_dir>/matrix
// expanded, then the hand-written cases of <cases_dir>/cases bound to it (suite/bind.h); either
// directory may be absent. The error names the file and JSON pointer, or the id defined twice.
// `regauth run` and `regauth show` both load the suite through it.
protocol::Expected<std::vector<Case>, std::string> LoadCases(const std::string& cases_dir,
                                                             const protocol::World& world);

// LoadWorldFile reads and validates a world file at the current clock, resolving ${VAR} secrets
// from the environment. The error names the file and the JSON pointer (never a secret).
protocol::Expected<protocol::World, std::string> LoadWorldFile(const std::string& path);

}  // namespace regauth::harness
