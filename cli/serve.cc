// `regauth serve [flags]` — thin flag parsing around server::ReferenceServer
// (reference_server/server.h). Runs until SIGINT or SIGTERM, then stops cleanly (exit 0).
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/server_commands.h"
#include "protocol/jws.h"
#include "reference_server/misbehaviour.h"
#include "reference_server/server.h"

namespace regauth::cli {
namespace {

struct ServeFlags {
  std::string world;
  std::string listen = "127.0.0.1:8080";
  std::string registry_listen = "127.0.0.1:5000";
  bool no_registry = false;
  std::string profile = "gitlab";
  std::string signing_key;
  std::string signing_cert;
  std::string issuer;
  std::string service;
  std::string state_dir = server::DefaultStateDir();
  bool in_memory = false;
  std::string log_level = "info";
  std::string tls_cert;
  std::string tls_key;
  bool tls_self_signed = false;
  std::vector<std::string> misbehave;
  std::string kid_mode = "libtrust";
  std::string alg;
  int ban_after = 0;
  std::string realm;
  int threads = 0;
};

int Usage(const std::string& message) {
  std::cerr << "regauth serve: " << message << "\n";
  return 2;
}

// Configure turns flags into a configuration; an error message means exit 2.
protocol::Expected<server::ReferenceServerConfig, std::string> Configure(const ServeFlags& f) {
  using Err = protocol::Unexpected<std::string>;
  server::ReferenceServerConfig c;
  c.world_path = f.world;
  auto listen = server::ParseListenAddress(f.listen);
  if (!listen) return Err("--listen " + listen.error());
  c.token_listen = *listen;
  auto registry_listen = server::ParseListenAddress(f.registry_listen);
  if (!registry_listen) return Err("--registry-listen " + registry_listen.error());
  c.registry_listen = *registry_listen;
  c.with_registry = !f.no_registry;
  auto profile = server::ParseTokenProfile(f.profile);
  if (!profile) return Err("--profile must be gitlab or distribution");
  c.profile = *profile;
  auto kid_mode = server::ParseKidMode(f.kid_mode);
  if (!kid_mode) return Err("--kid-mode must be libtrust, thumbprint or x5c");
  c.kid_mode = *kid_mode;
  if (!f.alg.empty()) {
    const protocol::Alg alg = protocol::AlgFromName(f.alg);
    if (!protocol::KeyTypeForAlg(alg)) {
      return Err(
          "--alg must be one of RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 "
          "EdDSA");
    }
    c.alg = alg;
  }
  auto level = server::ParseLogLevel(f.log_level);
  if (!level) return Err("--log-level must be error, warn, info or debug");
  c.log_level = *level;
  auto misbehaviours = server::ParseMisbehaviours(f.misbehave);
  if (!misbehaviours) return Err("--misbehave: " + misbehaviours.error());
  c.misbehaviours = *misbehaviours;
  if (f.ban_after < 0) return Err("--ban-after must be 0 (off) or a positive count");
  c.ban_after_failures = f.ban_after;
  if (f.threads < 0) return Err("--threads must be positive");
  c.threads = f.threads;
  if (!f.realm.empty() && f.realm.rfind("http://", 0) != 0 && f.realm.rfind("https://", 0) != 0) {
    return Err("--realm must be an http:// or https:// URL");
  }
  c.realm_override = f.realm;
  for (const auto& [flag, path, out] :
       {std::tuple{"--signing-key", &f.signing_key, &c.signing_key_pem},
        std::tuple{"--signing-cert", &f.signing_cert, &c.signing_cert_pem},
        std::tuple{"--tls-cert", &f.tls_cert, &c.tls_cert_pem},
        std::tuple{"--tls-key", &f.tls_key, &c.tls_key_pem}}) {
    if (path->empty()) continue;
    auto text = server::ReadFileLimited(*path, protocol::kMaxPemBytes);
    if (!text) return Err(std::string(flag) + " " + text.error());
    *out = std::move(*text);
  }
  if (!f.signing_cert.empty() && f.signing_key.empty()) {
    return Err("--signing-cert needs --signing-key");
  }
  if (f.tls_cert.empty() != f.tls_key.empty()) return Err("--tls-cert and --tls-key go together");
  if (f.tls_self_signed && !f.tls_cert.empty()) {
    return Err("--tls-self-signed and --tls-cert/--tls-key exclude each other");
  }
  c.tls_self_signed = f.tls_self_signed;
  c.issuer = f.issuer;
  c.service = f.service;
  c.state_dir = f.state_dir;
  c.in_memory_store = f.in_memory;
  return c;
}

int RunServe(const ServeFlags& f) {
  auto config = Configure(f);
  if (!config) return Usage(config.error());
  // Block the stop signals before any I/O thread exists, so every thread inherits the mask and
  // only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A reader that closed our stdout must not kill the server.
  signal(SIGPIPE, SIG_IGN);
  server::StartErrorKind error_kind = server::StartErrorKind::kConfiguration;
  auto server = server::ReferenceServer::Start(std::move(*config), &error_kind);
  if (!server) {
    std::cerr << "regauth serve: " << server.error() << "\n";
    return error_kind == server::StartErrorKind::kRuntime ? 1
                                                          : 2;  // a world, key or TLS file: usage
  }
  std::cout << (*server)->Describe().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << std::endl;
  int received = 0;
  sigwait(&stop_signals, &received);
  (*server)->Stop();
  return 0;
}

std::string MisbehaviourHelp() {
  std::string help = "Plant a bug (negative control; repeatable):";
  for (const server::MisbehaviourInfo& m : server::AllMisbehaviours()) {
    help += "\n  " + std::string(m.name) + " [" + std::string(m.component) +
            "]: " + std::string(m.summary);
  }
  return help;
}

}  // namespace

void AddServeCommand(CLI::App& app, int& exit_code, const std::string& default_world) {
  auto f = std::make_shared<ServeFlags>();
  f->world = default_world;
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run the reference server: a GitLab-compatible token service (/jwt/auth) and a reference "
      "registry (/v2/), until SIGINT/SIGTERM. Prints one JSON line with the URLs and ports.");
  cmd->footer(
      "Exit codes:\n"
      "  0  stopped cleanly by SIGINT or SIGTERM\n"
      "  1  a listener could not bind, or the registry storage could not open\n"
      "  2  usage or configuration error: a bad flag, world, key, certificate or algorithm");
  cmd->add_option("--world", f->world, "World file (users, projects, credentials)")
      ->capture_default_str();
  cmd->add_option("--listen", f->listen, "Token service HOST:PORT (port 0: ephemeral)")
      ->capture_default_str();
  cmd->add_option("--registry-listen", f->registry_listen, "Registry HOST:PORT (port 0: ephemeral)")
      ->capture_default_str();
  cmd->add_flag("--no-registry", f->no_registry,
                "Token service only (put docker-registry behind it: regauth distribution-config)");
  cmd->add_option("--profile", f->profile,
                  "Token endpoint dialect: gitlab (GET only, {token}) or distribution (token.md "
                  "fields, OAuth2 POST, refresh tokens)")
      ->capture_default_str();
  cmd->add_option("--signing-key", f->signing_key,
                  "PEM private key to sign tokens with (default: generated into the state dir)");
  cmd->add_option("--signing-cert", f->signing_cert,
                  "PEM certificate chain of --signing-key (default: self-signed, 10 years)");
  cmd->add_option("--issuer", f->issuer, "Token iss (default: the world's instance issuer)");
  cmd->add_option("--service", f->service,
                  "The service (aud) accepted (default: the world's instance service)");
  cmd->add_option("--state-dir", f->state_dir,
                  "Keys, TLS files and registry storage live here (reused on restart)")
      ->capture_default_str();
  cmd->add_flag("--in-memory", f->in_memory, "Keep the registry's storage in memory");
  cmd->add_option("--log-level", f->log_level, "error, warn, info (access log) or debug")
      ->capture_default_str();
  cmd->add_option("--tls-cert", f->tls_cert, "PEM certificate chain for HTTPS (both listeners)");
  cmd->add_option("--tls-key", f->tls_key, "PEM private key of --tls-cert");
  cmd->add_flag("--tls-self-signed", f->tls_self_signed,
                "HTTPS with a CA generated into the state dir (ca.crt.pem: trust it in clients)");
  cmd->add_option("--misbehave", f->misbehave, MisbehaviourHelp());
  cmd->add_option("--kid-mode", f->kid_mode,
                  "How tokens name their key: libtrust (GitLab, distribution 2.x), thumbprint "
                  "(RFC 7638, distribution 3; the reference registry then verifies like v3) or "
                  "x5c (certificate chain in the header)")
      ->capture_default_str();
  cmd->add_option("--alg", f->alg,
                  "Signing algorithm (default RS256 with an RSA key; a generated key fits it)");
  cmd->add_option("--ban-after", f->ban_after,
                  "Ban an IP for an hour after N failed logins within a minute, as GitLab does "
                  "(0: off)")
      ->capture_default_str();
  cmd->add_option("--realm", f->realm,
                  "Realm URL the registry advertises (default: the token listener's URL + "
                  "/jwt/auth)");
  cmd->add_option("--threads", f->threads, "I/O threads per listener (default: one per core)");
  cmd->callback([f, &exit_code] { exit_code = RunServe(*f); });
}

}  // namespace regauth::cli
