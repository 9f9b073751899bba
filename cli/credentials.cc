// `regauth credentials [--world W]` — thin flag parsing around protocol::CredentialsJson.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/server_commands.h"
#include "protocol/world.h"
#include "reference_server/server.h"

namespace regauth::cli {
namespace {

int RunCredentials(const std::string& world_path) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto world = server::LoadWorldFile(world_path, now);
  if (!world) {
    std::cerr << "regauth credentials: " << world.error() << "\n";
    return 2;
  }
  std::cout << protocol::CredentialsJson(*world).dump(2, ' ', false,
                                                      nlohmann::json::error_handler_t::replace)
            << "\n";
  return 0;
}

}  // namespace

void AddCredentialsCommand(CLI::App& app, int& exit_code, const std::string& default_world) {
  auto world = std::make_shared<std::string>(default_world);
  CLI::App* cmd = app.add_subcommand(
      "credentials",
      "Print the world's credentials as JSON: [{id, kind, username, secret, scopes, state}] "
      "(the output holds secrets: keep it out of logs)");
  cmd->footer("Exit codes:\n  0  printed\n  2  usage or configuration error: a bad flag or world");
  cmd->add_option("--world", *world, "World file")->capture_default_str();
  cmd->callback([world, &exit_code] { exit_code = RunCredentials(*world); });
}

}  // namespace regauth::cli
