// commands.h — the runner-side subcommands of the `regauth` binary. Each Add…Command registers
// one subcommand on `app`; when the subcommand runs, its callback stores the process exit code
// in `exit_code`. The files in harness/cli/ only parse flags and call library functions.
#pragma once

namespace CLI {
class App;
}

namespace regauth::harness::cli {

// AddInspectCommand: `regauth inspect KIND [INPUT|-]` (harness/inspect.h).
void AddInspectCommand(CLI::App& app, int& exit_code);

}  // namespace regauth::harness::cli
