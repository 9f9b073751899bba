// `regauth provision --gitlab URL --token TOKEN --world W [--prefix NAME] [--dry-run]
// [--delete]` — thin flag parsing and file writing around harness/provision/provision.h.
#include "harness/provision/provision.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include "cli/commands.h"
#include "net/http_client.h"
#include "protocol/world.h"

namespace regauth::cli {
namespace {

namespace prov = harness::provision;
using nlohmann::json;

struct ProvisionFlags {
  std::string gitlab, token, token_env, world, prefix = "regauth-";
  std::string world_out = "provisioned-world.json", env_out = "provisioned.env";
  std::string ca_file;
  bool dry_run = false, remove = false, insecure = false;
};

std::string RandomPassword() {
  static constexpr char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 24; ++i) s += kAlphabet[rd() % (sizeof kAlphabet - 1)];
  return s;
}

// ReadEnvFile reads `NAME='value'` lines an earlier run wrote; a missing file is empty.
std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos || line.rfind('#', 0) == 0) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
    out[line.substr(0, eq)] = v;
  }
  return out;
}

// WriteSecretFile writes `text` to `path` with mode 0600 (created so, or narrowed first).
bool WriteSecretFile(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::fchmod(fd, 0600) == 0;
  for (std::size_t done = 0; ok && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0)
      ok = false;
    else
      done += static_cast<std::size_t>(n);
  }
  return ::close(fd) == 0 && ok;
}

int RunProvision(const ProvisionFlags& f) {
  std::ifstream in(f.world, std::ios::binary);
  if (!in) {
    std::cerr << "regauth provision: cannot read world " << f.world << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  // The input world's secrets are not needed (GitLab makes new ones): an unset ${VAR} loads as a
  // placeholder.
  protocol::WorldContext ctx{now, [](std::string_view name) -> std::optional<std::string> {
                               const std::string n(name);
                               if (const char* v = std::getenv(n.c_str()); v && *v) return v;
                               return "unset-" + n;
                             }};
  auto world = protocol::ParseWorld(text.str(), ctx);
  if (!world) {
    std::cerr << "regauth provision: world " << f.world << ": "
              << protocol::DescribeWorldError(world.error()) << "\n";
    return 2;
  }
  prov::Options o;
  o.prefix = f.prefix;
  o.today = world->today();
  o.random_password = RandomPassword;
  o.known_secrets = ReadEnvFile(f.env_out);

  prov::Transport transport;
  std::unique_ptr<net::HttpClient> client;
  if (f.dry_run) {
    transport = prov::DryRunTransport([](const std::string& line) { std::cout << line << "\n"; });
  } else {
    std::string token = f.token;
    if (!f.token_env.empty()) {
      const char* v = std::getenv(f.token_env.c_str());
      token = v ? v : "";
    }
    if (f.gitlab.empty() || token.empty()) {
      std::cerr << "regauth provision: --gitlab URL and --token (or --token-env VAR) are required "
                   "unless --dry-run\n";
      return 2;
    }
    net::ClientOptions co;
    co.ca_file = f.ca_file;
    co.verify_tls = !f.insecure;
    client = std::make_unique<net::HttpClient>(co);
    std::string base = f.gitlab;
    while (!base.empty() && base.back() == '/') base.pop_back();
    transport =
        [&client, base,
         token](const prov::ApiRequest& r) -> protocol::Expected<prov::ApiResponse, std::string> {
      net::ClientRequest req{r.method, base + r.path, {{"PRIVATE-TOKEN", token}}, ""};
      if (!r.body.is_null()) {
        req.headers.emplace_back("Content-Type", "application/json");
        req.body = r.body.dump();
      }
      auto res = client->Send(req);
      if (!res) {
        return protocol::Unexpected<std::string>(std::string(net::CodeName(res.error().code)) +
                                                 ": " + res.error().message);
      }
      prov::ApiResponse out{res->status, json::parse(res->body, nullptr, false)};
      if (out.body.is_discarded()) out.body = nullptr;
      return out;
    };
  }

  if (f.remove) {
    auto n = prov::Deprovision(*world, transport, o);
    if (!n) {
      std::cerr << "regauth provision --delete: " << n.error() << "\n";
      return 1;
    }
    std::cerr << "regauth provision --delete: " << *n << " API calls\n";
    return 0;
  }
  auto out = prov::Provision(*world, transport, o);
  if (!out) {
    std::cerr << "regauth provision: " << out.error() << "\n";
    return 1;
  }
  for (const std::string& s : out->skipped) std::cerr << "skipped: " << s << "\n";
  if (f.dry_run) {
    std::cerr << "regauth provision --dry-run: " << out->calls << " API calls, "
              << out->skipped.size() << " skipped; nothing written\n";
    return 0;
  }
  std::string env;
  for (const auto& [k, v] : out->env) env += k + "='" + v + "'\n";
  if (!WriteSecretFile(f.env_out, env)) {
    std::cerr << "regauth provision: cannot write " << f.env_out << "\n";
    return 1;
  }
  std::ofstream w(f.world_out, std::ios::binary | std::ios::trunc);
  w << out->world.dump(2) << "\n";
  if (!w) {
    std::cerr << "regauth provision: cannot write " << f.world_out << "\n";
    return 1;
  }
  std::cerr << "regauth provision: " << out->calls << " API calls; world " << f.world_out
            << ", secrets " << f.env_out << " (mode 0600), " << out->skipped.size() << " skipped\n";
  return 0;
}

}  // namespace

void AddProvisionCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ProvisionFlags>();
  CLI::App* cmd = app.add_subcommand(
      "provision",
      "Create a world's users, groups, projects and tokens on a GitLab through its REST API v4 "
      "(idempotent, under a prefix); write the world file and a 0600 env file with the secrets");
  cmd->footer(
      "Exit codes:\n  0  provisioned (or deleted, or the dry run printed)\n"
      "  1  an API call failed, or a file could not be written\n"
      "  2  usage or configuration error: a bad flag or world");
  cmd->add_option("--gitlab", f->gitlab, "GitLab base URL (https://gitlab.example.com)");
  cmd->add_option("--token", f->token, "An administrator's personal access token (api scope)");
  cmd->add_option("--token-env", f->token_env, "Read the token from this environment variable");
  cmd->add_option("--world", f->world, "World file to create")->required();
  cmd->add_option("--prefix", f->prefix,
                  "Prepended to usernames, emails and top-level group paths (\"\" for none)")
      ->capture_default_str();
  cmd->add_option("--world-out", f->world_out, "World file written")->capture_default_str();
  cmd->add_option("--env-out", f->env_out, "Secrets written (mode 0600); read back on a re-run")
      ->capture_default_str();
  cmd->add_option("--ca-file", f->ca_file, "PEM bundle to trust for https");
  cmd->add_flag("--insecure", f->insecure, "Do not verify the TLS certificate");
  cmd->add_flag("--dry-run", f->dry_run,
                "Print one JSON line per API call ({method, path, body}, secrets masked); "
                "contact nothing, write nothing");
  cmd->add_flag("--delete", f->remove, "Delete what an earlier run created under the prefix");
  cmd->callback([f, &exit_code] { exit_code = RunProvision(*f); });
}

}  // namespace regauth::cli
