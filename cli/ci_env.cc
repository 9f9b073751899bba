// `regauth ci-env [--world W] [--job ID] [--registry HOST:PORT]` — thin flag parsing around
// server::BuildCiEnv and server::FormatExports (reference_server/ci_env.h).
#include "reference_server/ci_env.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/server_commands.h"
#include "reference_server/server.h"

namespace regauth::cli {
namespace {

struct CiEnvFlags {
  std::string world;
  int64_t job = 0;
  bool job_given = false;
  std::string registry = "127.0.0.1:5000";
};

int RunCiEnv(const CiEnvFlags& f) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto world = server::LoadWorldFile(f.world, now);
  if (!world) {
    std::cerr << "regauth ci-env: " << world.error() << "\n";
    return 2;
  }
  server::CiEnvOptions o;
  if (f.job_given) o.job_id = f.job;
  o.registry = f.registry;
  auto env = server::BuildCiEnv(*world, o);
  if (!env) {
    std::cerr << "regauth ci-env: " << env.error().message << "\n";
    return 2;
  }
  auto text = server::FormatExports(*env);
  if (!text) {
    std::cerr << "regauth ci-env: " << text.error() << "\n";
    return 2;
  }
  std::cout << *text;
  return 0;
}

}  // namespace

void AddCiEnvCommand(CLI::App& app, int& exit_code, const std::string& default_world) {
  auto f = std::make_shared<CiEnvFlags>();
  f->world = default_world;
  CLI::App* cmd = app.add_subcommand(
      "ci-env",
      "Print `export` lines of the registry variables GitLab CI sets for a job of the world "
      "(CI_REGISTRY, CI_REGISTRY_IMAGE, CI_PROJECT_PATH, CI_REGISTRY_USER, CI_REGISTRY_PASSWORD, "
      "CI_JOB_TOKEN, CI_DEPLOY_USER, CI_DEPLOY_PASSWORD); use with eval \"$(regauth ci-env)\"");
  cmd->footer("Exit codes:\n  0  printed\n  2  usage or configuration error: a bad flag or world");
  cmd->add_option("--world", f->world, "World file")->capture_default_str();
  cmd->add_option_function<int64_t>(
      "--job",
      [f](const int64_t& id) {
        f->job = id;
        f->job_given = true;
      },
      "Job id (default: the first running job whose project has a gitlab-deploy-token, else "
      "the first running job)");
  cmd->add_option("--registry", f->registry, "CI_REGISTRY: the registry's HOST:PORT")
      ->capture_default_str();
  cmd->callback([f, &exit_code] { exit_code = RunCiEnv(*f); });
}

}  // namespace regauth::cli
