// target.h — what the runner tests against, how it is started, the sanity probe that must pass
// before any case runs, and the rule that keeps credentials on the target's two origins.
//
// Three kinds of target (README "Running the suite"):
//   - reference: the reference server (token service + registry) started in-process on
//     ephemeral loopback ports through a ReferenceLauncher. harness/ never includes
//     reference_server/: the launcher is handed in by the composition root
//     (cli/main.cc), which implements it with reference_server/server.h;
//   - distribution: the reference token service (launcher, with_registry = false) in front of
//     Debian's docker-registry 2.8.2 (/usr/bin/docker-registry) configured by the instance's
//     distribution_config_yaml, on a free loopback port, every REGISTRY_* variable removed from
//     its environment (they override the config file), storage in a scratch directory, its log
//     in the run's output directory; stopped (SIGTERM, SIGKILL after a grace period) whatever
//     happens;
//   - black-box: a registry URL; nothing is started; realm and service come from the probe.
//
// Sanity probe (suite-anchors.md §E must-have 7, tlsfuzzer's sanity check): `GET <registry>/v2/`
// must answer 401 with a Bearer challenge that parses and has a realm. The strict RFC 9110
// parser runs first; if it rejects the header, distribution's client leniency is tried and the
// deviation is recorded as a finding. Every failure says exactly why (connection refused, a 200
// without authentication — every auth case would be meaningless, moby/moby#50896 —, no Bearer
// challenge, an unparsable challenge with the parser's code and byte offset) and maps to exit
// code 3.
//
// Credential safety (suite-anchors.md §C2: containerd CVE-2020-15157 "ContainerDrip", curl
// CVE-2018-1000007 / CVE-2022-27774): credentials (Basic or Bearer) go only to the registry's
// origin and the probe's realm origin. CredentialGuard::Check is consulted by every step before
// it sends an Authorization header; a refusal makes the case ERROR with the reason. Redirects
// are never followed (net/http_client.h).
//
// Usage:
//   TargetOptions o;  o.kind = TargetKind::kReference;  o.world_path = "cases/worlds/x.json";
//   auto target = StartTarget(o, launcher);              // starts, waits, probes
//   if (!target) { std::cerr << target.error().message; return 3; }
//   const TargetInfo& info = (*target)->info();          // registry_url, realm, service, ...
//   CredentialGuard guard = (*target)->guard();
//   if (auto why = guard.Check(url)) refuse(*why);
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/suite/case.h"
#include "net/http_client.h"
#include "net/process.h"
#include "protocol/challenge.h"
#include "protocol/result.h"

namespace regauth::harness {

// ---- the launcher interface (implemented by the composition root) ----------------------------

// ReferenceLaunchOptions says how to start the reference server.
struct ReferenceLaunchOptions {
  std::string world_path;  // the world file the server answers for (the runner's --world)
  std::string profile;     // the run's profile name: the server's wire dialect ("gitlab",
                           // "distribution", ...); a server may ignore names it lacks
  std::vector<std::string> misbehaviours;  // --misbehave names (negative controls, §E.10),
                                           // passed through verbatim; unknown names are the
                                           // launcher's error
  bool with_registry = true;               // false: token service only (--target distribution)
  std::string state_dir;  // a scratch directory the server may use (keys, blobs); the
                          // runner creates it and removes it after the instance is gone
};

// PlantableMisbehaviour is one negative control the reference launcher can plant (`--misbehave`):
// its name and the component it breaks, "token-service" or "registry". The composition root
// lists them from the server's table, so the runner can refuse a name before it starts anything:
// an unknown name, or a registry bug with --target distribution (docker-registry then stands
// where the reference registry would, so the bug could not be planted and the run would test
// nothing).
struct PlantableMisbehaviour {
  std::string name;
  std::string component;
};

// ReferenceInstance is a running reference server. Destroying it stops every listener and
// joins its threads; the runner destroys it after the last case (and after docker-registry,
// which depends on its token service, has been stopped). All methods are const and callable
// from any thread.
class ReferenceInstance {
 public:
  virtual ~ReferenceInstance() = default;
  // registry_url: "http://127.0.0.1:PORT" of the registry, no trailing '/' ("" when started
  // with with_registry = false).
  virtual std::string registry_url() const = 0;
  // token_url: the absolute token endpoint URL ("http://127.0.0.1:PORT/jwt/auth"), the realm its
  // registry advertises.
  virtual std::string token_url() const = 0;
  // signing_key_pem: the PEM private key the token service signs with. The runner forges
  // tokens with it (forge_token sign_with signing_key) and verifies issued tokens against its
  // public half. A secret: the runner never writes it anywhere.
  virtual std::string signing_key_pem() const = 0;
  // certificate_pem: the certificate of that key (what a registry's rootcertbundle holds).
  virtual std::string certificate_pem() const = 0;
  // distribution_config_yaml: a complete docker-registry 2.8 configuration that listens on
  // `listen_addr` ("127.0.0.1:PORT", plain HTTP), stores blobs under `storage_dir`
  // (filesystem driver, delete enabled) and trusts this token service: auth.token with realm =
  // token_url(), service and issuer of the world's instance, and rootcertbundle = a file the
  // instance wrote into its state_dir holding certificate_pem().
  virtual std::string distribution_config_yaml(const std::string& listen_addr,
                                               const std::string& storage_dir) const = 0;
  // registry_facts: limits of the instance's own registry that a profile states for the
  // registry it describes, keyed like profile keys ("registry.max_header_section_bytes" →
  // "16384"). The runner prefers them to the profile's when this registry is the target.
  virtual std::map<std::string, std::string> registry_facts() const { return {}; }
};

// ReferenceLauncher starts a reference server, or says why it could not (a message for the
// user: bad world, unknown misbehaviour, bind failure). It is called at most once per run, on
// the main thread.
using ReferenceLauncher =
    std::function<protocol::Expected<std::unique_ptr<ReferenceInstance>, std::string>(
        const ReferenceLaunchOptions&)>;

// ---- origins and the credential guard --------------------------------------------------------

// Origin is an RFC 6454 origin: lower-cased scheme and host, and an explicit port (80/443 when
// the URL has none).
struct Origin {
  std::string scheme;
  std::string host;
  int port = 0;

  std::string ToString() const;  // "http://127.0.0.1:5000"
  friend bool operator==(const Origin&, const Origin&) = default;
};

// OriginOf parses an absolute http(s) URL (without userinfo) and returns its origin, or nullopt.
std::optional<Origin> OriginOf(std::string_view url);

// HostPortOf returns "host:port" of an absolute URL as the port was written ("127.0.0.1:5000";
// just "host" when the URL has no port), or "" — what `docker login` takes as its argument.
std::string HostPortOf(std::string_view url);

// CredentialGuard decides where credentials may be sent.
class CredentialGuard {
 public:
  CredentialGuard() = default;
  explicit CredentialGuard(std::vector<Origin> allowed) : allowed_(std::move(allowed)) {}

  // Check returns nullopt when `url`'s origin is one of the allowed ones, else the reason
  // ("credentials refused for http://evil:80: not the registry (…) or the realm (…) origin").
  std::optional<std::string> Check(std::string_view url) const;
  const std::vector<Origin>& allowed() const { return allowed_; }

 private:
  std::vector<Origin> allowed_;
};

// ---- the sanity probe ------------------------------------------------------------------------

// TargetErrorCode is why a target could not be used; every one maps to exit code 3.
enum class TargetErrorCode {
  kUnreachable = 1,   // the probe got no HTTP response (refused, timeout, TLS, resolve)
  kNoAuthRequired,    // /v2/ answered 2xx without credentials (moby/moby#50896)
  kUnexpectedStatus,  // /v2/ answered something other than 401 (or 2xx)
  kNoChallenge,       // 401 without any WWW-Authenticate header
  kBadChallenge,      // WWW-Authenticate that neither the strict nor the lenient parser reads
  kNotBearer,         // challenges parse but none is Bearer
  kNoRealm,           // the Bearer challenge has no usable realm
  kNotAvailable,      // --target reference/distribution without a launcher in this build
  kLaunchFailed,      // the launcher, a scratch directory or docker-registry failed to start
  kMissingBinary,     // /usr/bin/docker-registry (or the configured path) does not exist
  kNotReady,          // docker-registry did not answer 401 on /v2/ in time, or exited
};

std::string_view CodeName(TargetErrorCode code);

struct TargetError {
  TargetErrorCode code{};
  std::string message;  // complete sentence(s) for the user
};

// ProbeResult is what the probe learnt: TargetInfo (registry_url, registry_host, realm,
// service, challenge; kind and issuer are left to the caller), the fingerprint recorded in
// results.json ("challenge", "api_version_header", "server_header", "findings"), and findings
// (deviations that did not stop the run).
struct ProbeResult {
  TargetInfo info;
  nlohmann::json fingerprint = nlohmann::json::object();
  std::vector<std::string> findings;
};

// RegistryChallenge is what a 401's WWW-Authenticate tells a client that will follow it: the
// Bearer challenge, the realm to send credentials to (a relative realm resolved against the
// registry origin), the raw header lines and the deviations tolerated.
struct RegistryChallenge {
  protocol::BearerChallenge bearer;
  std::string realm;
  std::string raw;  // the WWW-Authenticate values joined by '\n'
  std::vector<std::string> findings;
};

// ReadBearerChallenge reads the WWW-Authenticate values of a registry's 401 as the runner (and
// harness/clients/own_client.h) trust them: the strict RFC 9110 parser, else distribution's client
// leniency (a finding); the first usable Bearer challenge; a realm that is an absolute http(s)
// URL without userinfo (RFC 9110 §4.2.4), relative ones resolved against the registry; and no
// realm that downgrades an https registry to plain http (RFC 7617 §4). Errors: kUnreachable (a
// bad registry URL), kNoChallenge, kBadChallenge, kNotBearer, kNoRealm, each with a sentence.
protocol::Expected<RegistryChallenge, TargetError> ReadBearerChallenge(
    std::string_view registry_url, const std::vector<std::string_view>& values);

// SanityProbe sends `GET <registry_url>/v2/` without credentials through `client` and checks
// the answer as described in the header comment. `registry_url` must be absolute http(s); a
// trailing '/' is removed.
protocol::Expected<ProbeResult, TargetError> SanityProbe(net::HttpClient& client,
                                                         std::string_view registry_url);

// ---- starting targets ------------------------------------------------------------------------

enum class TargetKind { kReference, kDistribution, kBlackBox };
std::string_view TargetKindName(TargetKind kind);  // "reference", "distribution", "black-box"

// ResolveTargetKind maps the target flags shared by `regauth run` and `regauth netfuzz`
// (--target reference|distribution, --registry URL, --misbehave) to a kind, or says what is
// wrong with them (a usage error: --registry with --target or --misbehave, a URL that is not
// absolute http(s) without userinfo, an unknown --target).
protocol::Expected<TargetKind, std::string> ResolveTargetKind(
    const std::string& target, const std::string& registry_url,
    const std::vector<std::string>& misbehaviours);

// CheckMisbehaviours refuses --misbehave names the launcher cannot plant on a target of `kind`:
// a name that is not in `plantable`, and a registry-side bug with --target distribution, where
// docker-registry replaces the reference registry. The message says which names apply where.
// An empty `plantable` checks nothing (the launcher then judges the names).
std::optional<std::string> CheckMisbehaviours(const std::vector<std::string>& misbehaviours,
                                              const std::vector<PlantableMisbehaviour>& plantable,
                                              TargetKind kind);

struct TargetOptions {
  TargetKind kind = TargetKind::kReference;
  std::string registry_url;  // black-box only
  std::string world_path;
  std::string profile;
  std::vector<std::string> misbehaviours;
  std::string issuer;      // the world's instance issuer (TargetInfo::issuer)
  std::string output_dir;  // where docker-registry.log goes ("" = discard the log)
  std::string docker_registry = "/usr/bin/docker-registry";
  net::ClientOptions client;  // for the probe and the readiness poll
  std::chrono::milliseconds ready_timeout{20000};
};

// RunningTarget owns whatever was started for the run. The destructor stops docker-registry
// (SIGTERM, then SIGKILL), then the reference instance, then removes the scratch directories.
class RunningTarget {
 public:
  ~RunningTarget();
  RunningTarget(const RunningTarget&) = delete;
  RunningTarget& operator=(const RunningTarget&) = delete;

  const TargetInfo& info() const { return probe_.info; }
  // registry_facts: the reference registry's own limits when it is the target (else empty).
  std::map<std::string, std::string> registry_facts() const;
  const nlohmann::json& fingerprint() const { return probe_.fingerprint; }
  const std::vector<std::string>& findings() const { return probe_.findings; }
  // signing_key_pem: the reference instance's key ("" for black-box targets: the caller adds
  // --signing-key itself). A secret.
  const std::string& signing_key_pem() const { return signing_key_pem_; }
  // guard: credentials may go to the registry origin and the probe's realm origin.
  CredentialGuard guard() const;
  // docker_registry_log: the log file path ("" unless kind is distribution).
  const std::string& docker_registry_log() const { return log_path_; }

 private:
  friend protocol::Expected<std::unique_ptr<RunningTarget>, TargetError> StartTarget(
      const TargetOptions&, const ReferenceLauncher&);
  RunningTarget() = default;

  ProbeResult probe_;
  std::string signing_key_pem_;
  std::string log_path_;
  std::unique_ptr<net::ScratchDir> state_dir_;
  std::unique_ptr<ReferenceInstance> instance_;
  std::unique_ptr<net::ScratchDir> registry_dir_;
  std::unique_ptr<net::BackgroundProcess> registry_;
};

// StartTarget starts the target described by `options` (using `launcher` for reference and
// distribution; it may be empty for black-box), waits until it is ready, runs the sanity probe
// and returns the running target. Errors: TargetError (always exit code 3).
protocol::Expected<std::unique_ptr<RunningTarget>, TargetError> StartTarget(
    const TargetOptions& options, const ReferenceLauncher& launcher);

}  // namespace regauth::harness
