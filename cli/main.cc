// main.cc — the `regauth` binary: the composition root. It registers the subcommands of the
// runner (cli/) and of the reference server (cli/); it is the only file
// that sees both sides. Exit codes: what the subcommand returns; 2 for a command-line error (an
// unknown command or flag is named with the nearest existing one: cli/usage.h).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/reference_launcher.h"
#include "cli/server_commands.h"
#include "cli/usage.h"
#include "harness/suite/load.h"

int main(int argc, char** argv) {
  CLI::App app{
      "regauth — a conformance suite for container-registry token authentication (Docker "
      "Registry v2 token auth as GitLab and distribution implement it)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "regauth 0.1.0");
  int exit_code = 0;
  regauth::cli::AddInspectCommand(app, exit_code);
  regauth::cli::AddRunCommand(app, exit_code, regauth::cli::MakeReferenceLauncher(),
                              regauth::cli::PlantableMisbehaviours());
  regauth::cli::AddReplayCommand(app, exit_code);
  regauth::cli::AddShowCommand(app, exit_code);
  regauth::cli::AddWorldCommand(app, exit_code);
  // One data-directory rule for both sides: the server's subcommands get the runner's default.
  const std::string default_world =
      regauth::harness::DefaultWorldFile(regauth::harness::DefaultCasesDir());
  regauth::cli::AddServeCommand(app, exit_code, default_world);
  regauth::cli::AddDistributionConfigCommand(app, exit_code, default_world);
  regauth::cli::AddCredentialsCommand(app, exit_code, default_world);
  regauth::cli::AddCiEnvCommand(app, exit_code, default_world);
  if (auto why = regauth::cli::UnknownCommand(app, argc, argv)) {
    std::cerr << *why << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      if (auto why = regauth::cli::UnknownFlags(app, argc, argv)) {
        std::cerr << *why << "\n";
        return 2;
      }
    }
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
