// commands.h — the runner-side subcommands of the `regauth` binary. Each Add…Command registers
// one subcommand on `app`; when the subcommand runs, its callback stores the process exit code
// in `exit_code`. The files in cli/ only parse flags and call library functions.
#pragma once

#include "harness/execute/target.h"

namespace CLI {
class App;
}

namespace regauth::cli {

// AddInspectCommand: `regauth inspect KIND [INPUT|-]` (harness/inspect/inspect.h).
void AddInspectCommand(CLI::App& app, int& exit_code);

// AddRunCommand: `regauth run [flags]` (harness/execute/runner.h). `launcher` starts the in-process
// reference server for --target reference/distribution; an empty one makes those targets exit 3
// with an explanation (black-box --registry runs still work). `plantable` lists what
// --misbehave accepts (RunOptions::plantable).
void AddRunCommand(CLI::App& app, int& exit_code, harness::ReferenceLauncher launcher,
                   std::vector<harness::PlantableMisbehaviour> plantable);

// AddReplayCommand: `regauth replay ID --results DIR` (harness/report/replay.h).
void AddReplayCommand(CLI::App& app, int& exit_code);

// AddShowCommand: `regauth show ID [--world W] [--cases DIR] [--format text|json]` — one case
// without running it (cli/show.cc).
void AddShowCommand(CLI::App& app, int& exit_code);

// AddWorldCommand: `regauth world check [--world W] [--cases DIR] [--min-coverage P]`
// (harness/suite/world_check.h).
void AddWorldCommand(CLI::App& app, int& exit_code);

}  // namespace regauth::cli
