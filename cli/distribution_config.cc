// `regauth distribution-config [flags]` — thin flag parsing around
// server::DistributionConfigYaml (reference_server/distribution_config.h).
#include "reference_server/distribution_config.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/server_commands.h"
#include "reference_server/server.h"

namespace regauth::cli {
namespace {

struct DistributionConfigFlags {
  std::string listen = "127.0.0.1:5000";
  std::string realm = "http://127.0.0.1:8080/jwt/auth";
  std::string state_dir = server::DefaultStateDir();
  std::string storage;
  std::string rootcertbundle;
  std::string world;
  std::string service;
  std::string issuer;
  std::string log_level = "info";
};

int Usage(const std::string& message) {
  std::cerr << "regauth distribution-config: " << message << "\n";
  return 2;
}

std::string Absolute(const std::string& path) {
  std::error_code ec;
  const auto p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

int RunDistributionConfig(const DistributionConfigFlags& f) {
  if (!server::ParseListenAddress(f.listen)) {
    return Usage("--listen must be HOST:PORT with an IP literal (127.0.0.1:5000, [::1]:5000)");
  }
  if (f.realm.rfind("http://", 0) != 0 && f.realm.rfind("https://", 0) != 0) {
    return Usage("--realm must be the token service's http:// or https:// /jwt/auth URL");
  }
  if (!server::ParseLogLevel(f.log_level))
    return Usage("--log-level must be error, warn, info or debug");
  server::DistributionConfigOptions o;
  o.listen_addr = f.listen;
  o.realm = f.realm;
  o.log_level = f.log_level;
  o.storage_dir = Absolute(f.storage.empty() ? f.state_dir + "/docker-registry" : f.storage);
  o.rootcertbundle =
      Absolute(f.rootcertbundle.empty() ? f.state_dir + "/signing.crt.pem" : f.rootcertbundle);
  if (f.service.empty() || f.issuer.empty()) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto world = server::LoadWorldFile(f.world, now);
    if (!world) {
      return Usage(world.error() +
                   " (the service and issuer come from the world's instance; "
                   "give --world, or --service and --issuer)");
    }
    o.service = world->instance().service;
    o.issuer = world->instance().issuer;
  }
  if (!f.service.empty()) o.service = f.service;
  if (!f.issuer.empty()) o.issuer = f.issuer;
  for (const std::string* v :
       {&o.listen_addr, &o.realm, &o.storage_dir, &o.rootcertbundle, &o.service, &o.issuer}) {
    if (!server::IsValidUtf8(*v))
      return Usage("values must be UTF-8 text (a YAML file cannot hold them)");
  }
  std::error_code ec;
  if (!std::filesystem::exists(o.rootcertbundle, ec)) {
    std::cerr << "regauth distribution-config: note: " << o.rootcertbundle
              << " does not exist yet; `regauth serve --state-dir " << f.state_dir
              << "` writes it on its first start\n";
  }
  o.overriding_env = server::RegistryEnvironmentNames();
  if (!o.overriding_env.empty()) {
    std::cerr << "regauth distribution-config: WARNING: these environment variables override "
                 "docker-registry's configuration file; unset them before starting it:";
    for (const std::string& name : o.overriding_env) std::cerr << " " << name;
    std::cerr << "\n";
  }
  std::cout << server::DistributionConfigYaml(o);
  return 0;
}

}  // namespace

void AddDistributionConfigCommand(CLI::App& app, int& exit_code, const std::string& default_world) {
  auto f = std::make_shared<DistributionConfigFlags>();
  f->world = default_world;
  CLI::App* cmd = app.add_subcommand(
      "distribution-config",
      "Print a config.yml with which Debian's docker-registry (distribution 2.8) trusts the "
      "tokens of `regauth serve` (auth.token realm/service/issuer/rootcertbundle)");
  cmd->footer("Exit codes:\n  0  printed\n  2  usage or configuration error: a bad flag or world");
  cmd->add_option("--listen", f->listen, "docker-registry's http.addr")->capture_default_str();
  cmd->add_option("--realm", f->realm, "The token endpoint of `regauth serve`")
      ->capture_default_str();
  cmd->add_option("--state-dir", f->state_dir,
                  "The --state-dir of `regauth serve` (its signing.crt.pem is the "
                  "rootcertbundle)")
      ->capture_default_str();
  cmd->add_option("--storage", f->storage,
                  "storage.filesystem.rootdirectory (default: <state-dir>/docker-registry)");
  cmd->add_option("--rootcertbundle", f->rootcertbundle,
                  "PEM certificates to trust (default: <state-dir>/signing.crt.pem)");
  cmd->add_option("--world", f->world, "World file whose instance names service and issuer")
      ->capture_default_str();
  cmd->add_option("--service", f->service, "auth.token.service (default: the world's)");
  cmd->add_option("--issuer", f->issuer, "auth.token.issuer (default: the world's)");
  cmd->add_option("--log-level", f->log_level, "log.level: error, warn, info or debug")
      ->capture_default_str();
  cmd->callback([f, &exit_code] { exit_code = RunDistributionConfig(*f); });
}

}  // namespace regauth::cli
