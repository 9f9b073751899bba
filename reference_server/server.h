// server.h — the reference server as one unit: the GitLab-compatible token service
// (token_service.h) and the reference registry (registry.h) on two net::HttpServer listeners
// (http_server.h), with their keys, TLS identity, storage and world loaded from disk. This is the
// public start/stop API that `regauth serve` and the runner's in-process `--target reference`
// (cli/reference_launcher.cc) both use (ARCHITECTURE.md "A token request through the
// reference server"; token-auth.md §3.1 for the token endpoint, §2 for the registry).
//
// What Start does, in order:
//   1. the world: `world` if given, else the file `world_path` parsed with ParseWorld at clock()
//      with `getenv` resolving ${VAR} secrets (protocol/ does no I/O: the file and the
//      environment are read here);
//   2. the signing key and its certificate (see "State directory" below);
//   3. the TLS identity, when asked for (PEM given, or a self-signed CA and leaf);
//   4. the token service, validated (ValidateTokenServiceConfig), on the token listener;
//   5. the store (in memory, or <state_dir>/registry) and the registry, whose challenge realm is
//      the token listener's URL + "/jwt/auth" and which trusts the signing certificate chain
//      the way a distribution registry trusts its rootcertbundle, on the registry listener.
// Any failure stops what was started and returns a message that never holds key material or a
// world secret.
//
// State directory (`state_dir`; "" keeps everything in memory), created with mode 0700 when
// missing:
//   signing.key.pem   the generated signing key (PKCS#8, mode 0600), created on first start when
//                     no signing_key_pem is given and reused on every restart
//   signing.crt.pem   the certificate chain in use for the signing key (self-signed, 10 years,
//                     unless signing_cert_pem is given): what a registry's `rootcertbundle`
//                     points at; rewritten only when it does not carry the key in use
//   ca.key.pem        tls_self_signed only: the CA key (mode 0600), reused on restart
//   ca.crt.pem        tls_self_signed only: the CA certificate clients trust (curl --cacert,
//                     /etc/docker/certs.d/HOST:PORT/ca.crt, skopeo --cert-dir)
//   tls.crt.pem       tls_self_signed only: the serving chain (leaf, CA), regenerated each start
//   tls.key.pem       tls_self_signed only: the leaf key (mode 0600)
//   registry/         the registry's blobs and manifests (distribution's filesystem layout),
//                     unless in_memory_store
//
// Hardening (the adapter enforces it; these are the values set here): token listener body
// ≤ 64 KiB, registry listener body ≤ the store's max blob size, 16 KiB of headers, the adapter's
// per-phase timeouts (header section a total; body and response writes idle times), a connection
// cap per listener with eviction of waiting connections. Access logs carry the listener, method,
// path without the query, status, duration, sizes and peer address — never a header, a query or a
// body.
//
// Usage:
//   ReferenceServerConfig c;
//   c.world_path = "cases/worlds/gitlab-default.json";
//   c.state_dir = "/var/tmp/regauth";
//   auto server = ReferenceServer::Start(std::move(c));
//   if (!server) { std::cerr << server.error() << "\n"; return 1; }
//   std::string realm = (*server)->realm();           // "http://127.0.0.1:41234/jwt/auth"
//   std::string registry = (*server)->registry_url();  // "http://127.0.0.1:41235"
//   (*server)->Stop();                                // or let the unique_ptr go
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_server.h"
#include "protocol/jws.h"
#include "protocol/keys.h"
#include "protocol/result.h"
#include "protocol/world.h"
#include "reference_server/misbehaviour.h"
#include "reference_server/registry/store.h"
#include "reference_server/token/token_service.h"

namespace regauth::server {

class Registry;
class AdminApi;

// LogLevel orders log lines by importance; a configured level lets through itself and every
// more important level.
enum class LogLevel {
  kError,  // a listener failed, a handler threw
  kWarn,   // configuration that works, but probably not as meant
  kInfo,   // start/stop, and one access-log line per response
  kDebug,  // the token service's and the registry's decision lines
};

// Name returns "error", "warn", "info" or "debug"; ParseLogLevel accepts exactly those.
std::string_view Name(LogLevel level);
std::optional<LogLevel> ParseLogLevel(std::string_view name);

// ServerLogSink receives one line without a trailing newline. It is called from I/O threads and
// must be thread-safe. Lines never contain a secret.
using ServerLogSink = std::function<void(LogLevel level, std::string_view line)>;

// StderrLogSink writes "<RFC 3339 UTC time> <level> <line>\n" to stderr, one write per line
// under a mutex, so lines of concurrent requests never interleave.
ServerLogSink StderrLogSink();

// ListenAddress is where a listener binds: an IPv4/IPv6 literal and a port (0: ephemeral).
struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

// ParseListenAddress reads "HOST:PORT" ("127.0.0.1:5000", "[::1]:0", "0.0.0.0:8080"). HOST must
// be an IPv4 or bracketed IPv6 literal (names are not resolved: the listener would bind
// something other than what the user read); PORT is 0..65535 in decimal.
protocol::Expected<ListenAddress, std::string> ParseListenAddress(std::string_view text);

// RegistryVerifier is how the reference registry verifies tokens (protocol/jwt.h factories).
enum class RegistryVerifier {
  kDistributionV28,  // Debian's docker-registry 2.8.2: libtrust kids, RS*/ES*, claims first
  kDistributionV3,   // distribution v3: RFC 7638 thumbprint kids, aud arrays, wider alg list
};

// ReferenceServerConfig configures ReferenceServer::Start. Defaults in the comments.
struct ReferenceServerConfig {
  // The world: `world` when set, else the file `world_path` (read here, at most
  // WorldLimits::max_bytes).
  std::string world_path;
  std::shared_ptr<const protocol::World> world;
  // getenv resolves ${VAR} secrets of the world file; empty → the process environment.
  std::function<std::optional<std::string>(std::string_view)> getenv;

  TokenProfile profile = TokenProfile::kGitLab;
  ListenAddress token_listen;     // default 127.0.0.1:0
  ListenAddress registry_listen;  // default 127.0.0.1:0
  bool with_registry = true;      // false: the token service alone (for docker-registry)
  // realm_override replaces the realm the registry advertises (default: the token listener's
  // URL + "/jwt/auth", a wildcard listen host shown as the loopback address): for a server that
  // clients reach through another name or a proxy.
  std::string realm_override;

  // Signing key: PEM text (PKCS#8 or traditional); "" → <state_dir>/signing.key.pem, generated
  // when absent (see the file comment). signing_cert_pem: its certificate chain, leaf first;
  // "" → <state_dir>/signing.crt.pem if that carries the key, else a fresh self-signed one.
  // signing_cert_pem without signing_key_pem is an error.
  std::string signing_key_pem;
  std::string signing_cert_pem;
  std::string issuer;   // "" → the world's instance issuer
  std::string service;  // "" → the world's instance service
  KidMode kid_mode = KidMode::kLibtrust;
  // Signing algorithm; nullopt → RS256 for RSA keys (GitLab). A generated key has the type the
  // algorithm needs (RSA 2048 for RS*/PS*, P-256/P-384/P-521 for ES*, Ed25519 for EdDSA).
  std::optional<protocol::Alg> alg;
  // registry_verifier; nullopt → kDistributionV3 for KidMode::kThumbprint, else kDistributionV28.
  std::optional<RegistryVerifier> registry_verifier;

  std::string state_dir;         // "" → nothing on disk
  bool in_memory_store = false;  // true → registry storage in memory even with a state_dir
  StoreLimits store_limits;
  // registry_delete_enabled is the registry's storage.delete.enabled (true, as Debian's
  // config.yml). The misbehaviour delete-ignores-disabled (CVE-2026-41888) acts only with delete
  // disabled, so enabling it also turns delete off: that is the configuration the bug needs.
  bool registry_delete_enabled = true;

  // TLS for both listeners: PEM chain + key, or tls_self_signed (a CA and a leaf for localhost,
  // 127.0.0.1, ::1 and the listen hosts, kept in the state directory). Off by default.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  bool tls_self_signed = false;

  Misbehaviours misbehaviours;  // both components; each consults only its own switches
  int ban_after_failures = 0;   // GitLab's failed-login IP ban (IpBanConfig); 0: off

  LogLevel log_level = LogLevel::kInfo;
  ServerLogSink log;               // empty → StderrLogSink()
  std::function<int64_t()> clock;  // unix seconds; empty → the system clock
  int threads = 0;                 // I/O threads per listener; 0 → hardware concurrency (≥ 2)
  // max_connections per listener (lowered to fit the descriptor limit, which Start raises to its
  // hard maximum). When full, the connection waiting longest without a request is evicted.
  std::size_t max_connections = 4096;
};

// StartErrorKind says whose fault a failed Start was: the configuration (the world, a key or
// certificate, TLS material, the algorithm, the state directory — `regauth serve` exits 2) or the
// machine at run time (a listener that cannot bind, a store that cannot open — exit 1).
enum class StartErrorKind { kConfiguration, kRuntime };

// ReferenceServer is a running reference server: listening from a successful Start until Stop
// or destruction. All accessors are thread-safe and stay valid after Stop.
class ReferenceServer {
 public:
  // Start does what the file comment lists. The message of an error names the step and the
  // file or listener; it never contains key material or a secret of the world. When it fails and
  // `error_kind` is given, *error_kind says whose fault it was.
  static protocol::Expected<std::unique_ptr<ReferenceServer>, std::string> Start(
      ReferenceServerConfig config, StartErrorKind* error_kind = nullptr);

  ~ReferenceServer();  // Stop()
  ReferenceServer(const ReferenceServer&) = delete;
  ReferenceServer& operator=(const ReferenceServer&) = delete;

  // token_url: the token listener's base URL ("http://127.0.0.1:41234", no trailing '/').
  const std::string& token_url() const { return token_url_; }
  // realm: the token endpoint the registry advertises (token_url() + "/jwt/auth" by default).
  const std::string& realm() const { return realm_; }
  // registry_url: the registry listener's base URL ("" when started without a registry).
  const std::string& registry_url() const { return registry_url_; }
  std::uint16_t token_port() const { return token_port_; }
  std::uint16_t registry_port() const { return registry_port_; }
  // registry_max_header_section_bytes is the registry listener's exact header-section limit
  // (net::HttpServerOptions::max_header_bytes; 0 without a registry).
  std::size_t registry_max_header_section_bytes() const { return registry_max_header_bytes_; }

  // signing_key_pem: the PKCS#8 PEM of the signing key. A secret: never log it.
  const std::string& signing_key_pem() const { return signing_key_pem_; }
  // signing_cert_pem: the certificate chain of the signing key, leaf first (rootcertbundle).
  const std::string& signing_cert_pem() const { return signing_cert_pem_; }
  // signing_cert_path: <state_dir>/signing.crt.pem, or "" without a state directory.
  const std::string& signing_cert_path() const { return signing_cert_path_; }
  // tls_ca_pem / tls_ca_path: the certificate clients should trust for TLS ("" when TLS is off;
  // for PEM given by the caller, the last certificate of that chain).
  const std::string& tls_ca_pem() const { return tls_ca_pem_; }
  const std::string& tls_ca_path() const { return tls_ca_path_; }
  // kid: the kid the tokens carry ("" in x5c mode).
  const std::string& kid() const { return kid_; }
  const std::string& issuer() const { return issuer_; }
  const std::string& service() const { return service_; }
  const std::string& state_dir() const { return state_dir_; }
  std::shared_ptr<const protocol::World> world() const { return world_; }

  // Describe returns the start-up facts as one JSON object (what `regauth serve` prints on one
  // line): token_url, realm, token_port, registry_url and registry_port (null without a
  // registry), service, issuer, kid, alg, profile, state_dir, signing_cert, tls_ca (paths or
  // null). No secret.
  nlohmann::json Describe() const;

  // Stop closes both listeners and waits for running requests. Idempotent; not thread-safe
  // against itself (call it from one thread).
  void Stop();

  net::HttpServerStats token_stats() const;
  net::HttpServerStats registry_stats() const;

 private:
  ReferenceServer() = default;

  std::shared_ptr<const protocol::World> world_;
  std::unique_ptr<TokenService> token_service_;
  // The /api/v4 subset `regauth provision` uses (api/admin_api.h), over the world file; absent
  // when the world was given as an object.
  std::unique_ptr<AdminApi> admin_api_;
  std::unique_ptr<Registry> registry_;
  // Declared after the handlers' targets so they are destroyed first.
  std::unique_ptr<net::HttpServer> token_server_;
  std::unique_ptr<net::HttpServer> registry_server_;
  ServerLogSink log_;  // filtered by the configured level
  bool stopped_ = false;

  std::string token_url_, realm_, registry_url_;
  std::uint16_t token_port_ = 0, registry_port_ = 0;
  std::size_t registry_max_header_bytes_ = 0;
  std::string signing_key_pem_, signing_cert_pem_, signing_cert_path_;
  std::string tls_ca_pem_, tls_ca_path_;
  std::string kid_, issuer_, service_, alg_, profile_, state_dir_;
};

// LoadWorldFile reads a world file (at most WorldLimits::max_bytes) and parses it at `now_unix`
// with `getenv` (empty → the process environment). The error is "<path>: <what>" (a read error
// with strerror, or DescribeWorldError), never a secret.
protocol::Expected<protocol::World, std::string> LoadWorldFile(
    const std::string& path, int64_t now_unix,
    const std::function<std::optional<std::string>(std::string_view)>& getenv = {});

// ReadFileLimited reads a whole file of at most `max` bytes (more is an error, never a
// truncation). The error is "<path>: <strerror or what>".
protocol::Expected<std::string, std::string> ReadFileLimited(const std::string& path,
                                                             std::size_t max);

// DefaultStateDir is $XDG_STATE_HOME/regauth, else $HOME/.local/state/regauth, else
// "./regauth-state": where `regauth serve` keeps its key pair when --state-dir is not given.
std::string DefaultStateDir();

}  // namespace regauth::server
