// commands.h — the reference-server subcommands of the `regauth` binary (registered by the
// composition root, cli/main.cc). Each Add…Command registers one subcommand on `app`;
// when it runs, its callback stores the process exit code in `exit_code`: 0 success, 1 the
// server failed at run time (a listener could not bind), 2 a command-line or configuration error
// (unknown flag value, unreadable world or key).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace regauth::cli {

// Every subcommand reads `default_world` when --world is not given. The composition root passes
// the runner's rule (harness/suite/load.h DefaultWorldFile(DefaultCasesDir())), so serve,
// credentials, ci-env and distribution-config find the suite's data from any working directory,
// exactly as `regauth run` does, without this side including harness/.

// AddServeCommand: `regauth serve [flags]` (reference_server/server.h) — runs until SIGINT or
// SIGTERM, then stops cleanly; prints one JSON line with the chosen URLs and ports on stdout.
void AddServeCommand(CLI::App& app, int& exit_code, const std::string& default_world);

// AddDistributionConfigCommand: `regauth distribution-config [flags]`
// (reference_server/distribution_config.h) — prints a docker-registry config.yml on stdout.
void AddDistributionConfigCommand(CLI::App& app, int& exit_code, const std::string& default_world);

// AddCredentialsCommand: `regauth credentials [--world W]` — prints the world's credentials as
// JSON (protocol::CredentialsJson). The output holds secrets.
void AddCredentialsCommand(CLI::App& app, int& exit_code, const std::string& default_world);

// AddCiEnvCommand: `regauth ci-env [--world W] [--job ID] [--registry HOST:PORT]`
// (reference_server/ci_env.h) — prints export lines of GitLab's CI registry variables.
void AddCiEnvCommand(CLI::App& app, int& exit_code, const std::string& default_world);

}  // namespace regauth::cli
