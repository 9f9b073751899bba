// load.h — loading the suite's inputs the same way for every subcommand: the world file (secrets
// from the environment, states at the current clock), the matrices expanded over it and the
// hand-written cases bound to it (harness/suite/bind.h). `regauth run` and `regauth world check`
// both use it, so a world that one accepts the other accepts.
//
// Usage:
//   auto world = LoadWorldFile(path);                    // Expected<World, std::string>
//   auto matrices = LoadMatrixDir(cases_dir + "/matrix");
//   std::string dir = DefaultCasesDir();
#pragma once

#include <string>

#include "protocol/result.h"
#include "protocol/world.h"

namespace regauth::harness {

// DefaultCasesDir is ./cases when the working directory holds the suite's data, else the source
// tree's cases/ directory.
std::string DefaultCasesDir();

// LoadWorldFile reads and validates a world file at the current clock, resolving ${VAR} secrets
// from the environment. The error names the file and the JSON pointer (never a secret).
protocol::Expected<protocol::World, std::string> LoadWorldFile(const std::string& path);

}  // namespace regauth::harness
