// load.h — loading the suite's inputs the same way for every subcommand: the world file (secrets
// from the environment, states at the current clock), the matrices expanded over it and the
// world-independent cases — hand-written case files with their requirements resolved, and the
// grids expanded — that are then bound to it (harness/suite/bind.h). `regauth run` and `regauth
// world check` both use it, so a world or a case directory that one accepts the other accepts.
//
// Usage:
//   auto world = LoadWorldFile(path);                    // Expected<World, std::string>
//   auto matrices = LoadMatrixDir(cases_dir + "/matrix");
//   auto cases = LoadSuiteCases(cases_dir);             // LoadResult<std::vector<Case>>
//   std::string dir = DefaultCasesDir();
#pragma once

#include <string>
#include <vector>

#include "harness/case.h"
#include "harness/data_file.h"
#include "protocol/result.h"
#include "protocol/world.h"

namespace regauth::harness {

// DefaultCasesDir is ./cases when the working directory holds the suite's data, else the source
// tree's cases/ directory.
std::string DefaultCasesDir();

// LoadWorldFile reads and validates a world file at the current clock, resolving ${VAR} secrets
// from the environment. The error names the file and the JSON pointer (never a secret).
protocol::Expected<protocol::World, std::string> LoadWorldFile(const std::string& path);

// LoadSuiteCases loads the cases of a suite directory that do not depend on the world, unbound:
// <cases_dir>/requirements.json (absent: no requirement can be named by reference), then every
// <cases_dir>/cases/*.json with its requirement references resolved, then the cases expanded
// from every <cases_dir>/grids/*.json (harness/suite/grid.h). A missing cases/ or grids/
// directory gives no cases. Ids must be unique across all of them (kDuplicate).
LoadResult<std::vector<Case>> LoadSuiteCases(const std::string& cases_dir);

}  // namespace regauth::harness
