// load.h — loading the suite's inputs the same way for every subcommand: the world file (secrets
// from the environment, states at the current clock), the matrices expanded over it and the
// hand-written and grid cases bound to it (harness/suite/bind.h). `regauth run`, `show` and
// `world check` all use it, so a world that one accepts the others accept.
//
// Usage:
//   auto world = LoadWorldFile(path);                    // Expected<World, std::string>
//   auto cases = LoadCases(cases_dir, *world);           // matrices expanded, cases bound
//   auto unbound = LoadSuiteCases(cases_dir);            // hand-written and grid cases
//   std::string dir = DefaultCasesDir();
//   std::string world = DefaultWorldFile(dir);
#pragma once

#include <string>
#include <vector>

#include "harness/suite/case.h"
#include "harness/suite/data_file.h"
#include "protocol/result.h"
#include "protocol/world.h"

namespace regauth::harness {

// DefaultCasesDir is ./cases when the working directory holds the suite's data (./cases/profiles
// exists), else the source tree's cases/ directory. It is the one data-directory rule of the
// binary: `run` and `world check` use it for --cases, and the composition root
// (cli/main.cc) hands DefaultWorldFile(DefaultCasesDir()) to the reference server's
// subcommands (serve, credentials, ci-env, distribution-config) as their --world default.
std::string DefaultCasesDir();

// DefaultWorldFile is the world read when --world is not given: <cases_dir>/worlds/
// gitlab-default.json.
std::string DefaultWorldFile(const std::string& cases_dir);

// LoadSuiteCases loads the cases of a suite directory that do not depend on the world, unbound:
// <cases_dir>/requirements.json (absent: no requirement can be named by reference), then every
// <cases_dir>/cases/*.json with its requirement references resolved, then the cases expanded
// from every <cases_dir>/grids/*.json (harness/suite/grid.h). A missing cases/ or grids/
// directory gives no cases. Ids must be unique across all of them (kDuplicate).
LoadResult<std::vector<Case>> LoadSuiteCases(const std::string& cases_dir);

// LoadCases returns every case of the suite over `world`: the matrices of <cases_dir>/matrix
// expanded, then the cases of LoadSuiteCases bound to it (suite/bind.h); any directory may be
// absent. The error names the file and JSON pointer, or the id defined twice.
// `regauth run` and `regauth show` both load the suite through it.
protocol::Expected<std::vector<Case>, std::string> LoadCases(const std::string& cases_dir,
                                                             const protocol::World& world);

// LoadWorldFile reads and validates a world file at the current clock, resolving ${VAR} secrets
// from the environment. The error names the file and the JSON pointer (never a secret).
protocol::Expected<protocol::World, std::string> LoadWorldFile(const std::string& path);

}  // namespace regauth::harness
