// steps.h — the step vocabulary of cases/README.md ("Steps"), one function per kind:
// token_request, registry_request, forge_token, docker_login_flow, client_tool; the ${…}
// substitutions; and the run-wide context the steps read.
//
// Rules every step follows:
//   - A case owns its CaseState (net::HttpClient, saved tokens, Location headers): nothing is
//   shared
//     between cases, so results do not depend on the order or parallelism of execution
//     (ARCHITECTURE.md "A case through the runner").
//   - Secrets are redacted AT CAPTURE: a token is registered with the run's Redactor as soon as
//     it is parsed, before the exchange that carried it is recorded; every recorded URL, header,
//     body, argv, stdin and tool output passes through the Redactor (harness/safety/redact.h). A
//     token forge_token built is not a secret of the target: it is registered as public and
//     recorded whole, so `regauth replay` can send it again.
//   - Credentials (Basic or Bearer) go only to the registry and realm origins
//     (CredentialGuard, harness/execute/target.h); a step that would send them elsewhere is refused
//     and the case becomes ERROR. Redirects are never followed.
//   - A transport failure that is ours or the network's (connection refused, name not resolved,
//     TLS setup, an unsendable request) makes the case ERROR; one that the target caused
//     (timeout, a reset, bytes that are not HTTP, an oversized answer) is recorded as
//     StepOutput::transport_error and judged (the judge's "transport" check).
//
// Substitutions (cases/README.md table), resolved when the step runs:
//   ${registry} ${registry_host} ${realm} ${service} ${issuer}  — from the sanity probe/world
//   ${now} ${now+N} ${now-N}                                    — Unix seconds (RunContext::clock)
//   ${cred:<id>.username} ${cred:<id>.secret}                  — world credentials
//   ${token:<name>} ${refresh_token:<name>}                     — saved by an earlier step
//   ${signing_kid}                                              — libtrust kid of the signing key
//   ${digest:<blob>} ${size:<blob>}                             — the generated OCI image
//                                                                 (blobs layer, config, manifest)
//   ${location:<name>}                                          — Location saved by a
//                                                                 registry_request (absolute URL)
//   ${upload_uuid:<name>} ${location_query:<name>}              — that Location's last path
//                                                                 segment / query without '?'
//   ${attacker_jwk}                                             — the attacker's RSA public JWK
//                                                                 with the trusted kid member
//   ${repeat:N:text}                                            — text N times (at most 4 MiB;
//                                                                 text without '}')
//   ${oci_layout}                                               — the image as an OCI layout dir
// In forge_token's header/claims objects a string that is exactly one ${now…} reference becomes
// a JSON number ("iat": "${now}" → "iat": 1764000000), and exactly "${attacker_jwk}" a JSON
// object. An unknown reference or a credential the
// world lacks is an ERROR of the case (a case bug); a token or location that an earlier step
// did not obtain stops the case there (the target failed a prerequisite; the judge sees the
// steps that ran).
//
// Usage:
//   RunContext ctx = ...;                  // one per run, shared read-only by all workers
//   CaseState state(ctx.client_options);   // one per case
//   for (const Step& s : c.steps) {
//     StepResult r = RunStep(s, ctx, state);
//     if (r.error || r.skip || r.stop || r.ip_ban) break;
//     outputs.push_back(std::move(r.output));
//   }
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/execute/target.h"
#include "harness/safety/redact.h"
#include "harness/suite/case.h"
#include "net/http_client.h"
#include "net/oci_image.h"
#include "protocol/keys.h"
#include "protocol/world.h"

namespace regauth::harness {

// AttackerKeys holds the keys forge_token signs with for sign_with "attacker_key": generated
// once per run and per key type, on first use (thread-safe). They are not secrets of the target.
class AttackerKeys {
 public:
  // Get returns the key of `type`, generating it on first use; an empty Key if OpenSSL fails.
  protocol::Key Get(protocol::KeyType type);

 private:
  std::mutex mu_;
  std::map<protocol::KeyType, protocol::Key> keys_;
};

// ToolSettings says which real clients exist here and how to run them.
struct ToolSettings {
  bool ci = false;                    // CI=true: a missing or unusable tool is ERROR, not SKIP
  std::optional<std::string> docker;  // resolved path of the docker CLI, or nullopt
  std::optional<std::string> skopeo;  // resolved path of skopeo, or nullopt
  std::string oci_layout;             // the generated image's OCI layout dir ("" = none)
  std::chrono::milliseconds timeout{120000};
};

// RunContext is the run-wide, read-only state the steps use. Pointers are not owned and must
// outlive every step; Redactor and AttackerKeys are thread-safe.
struct RunContext {
  const TargetInfo* target = nullptr;
  const protocol::World* world = nullptr;
  Redactor* redactor = nullptr;
  CredentialGuard guard;
  net::ClientOptions
      client_options;  // copied into each case's net::HttpClient (rate limiter shared)
  // signing_key: a private key the target trusts (the reference key or --signing-key), for
  // forge_token sign_with signing_key. verify_key: its public half or a public key given alone
  // (hmac_with_public_pem, ${signing_kid}, and the judge's signature check).
  std::optional<protocol::Key> signing_key;
  std::optional<protocol::Key> verify_key;
  // verify_kid: verify_key's libtrust key id, computed once per run by the runner (SPKI DER +
  // SHA-256 per case cost more than the judging); "" means computed on use (unit tests).
  std::string verify_kid;
  AttackerKeys* attacker_keys = nullptr;
  const net::OciImage* image = nullptr;
  ToolSettings tools;
  // clock returns the current Unix time in seconds (tests inject a fixed one).
  std::function<int64_t()> clock;
  // profile_value returns a key of the run's profile as text (Profile::Lookup), for steps sized
  // by the target's limits (registry_request pad_header_section); unset: no profile known.
  std::function<std::optional<std::string>(std::string_view key)> profile_value;
  std::string profile_name;  // for messages

  int64_t Now() const;
  // VerifyKid returns verify_kid, or computes it from verify_key ("" without one).
  std::string VerifyKid() const;
};

// CaseState is what one case accumulates: its HTTP client (one curl handle, reused across the
// case's requests), the products of its steps by save_as name, and the scratch directory its
// client_tool steps share (a throwaway DOCKER_CONFIG / skopeo auth file, so a login step and the
// push after it see the same credentials; removed with the CaseState).
struct CaseState {
  explicit CaseState(const net::ClientOptions& options) : client(options) {}
  net::HttpClient client;
  std::unique_ptr<net::ScratchDir> tool_dir;          // created by the first client_tool
  std::map<std::string, std::string> tokens;          // token_request, docker_login_flow, forge
  std::map<std::string, std::string> refresh_tokens;  // token_request (refresh_token member)
  std::map<std::string, std::string> locations;       // registry_request: absolute Location
};

// CredentialUse names a world credential whose secret a request carried (never the secret),
// so `regauth replay --show-secrets` can put it back.
struct CredentialUse {
  std::string id;        // world credential id
  std::string mutation;  // "", "wrong_secret", "wrong_username"
  std::string username;  // the username sent (the login username, or the mutated one)
};

// ToolRun is one client_tool execution as recorded (everything redacted).
struct ToolRun {
  std::string tool;               // "docker" | "skopeo"
  std::vector<std::string> argv;  // argv[0] is the tool name, not its path
  std::string stdin_text;
  int exit_code = -1;
  bool timed_out = false;
  std::string output;  // stdout then stderr, capped
  int64_t duration_ms = 0;
};

// StepResult is one executed step. Exactly one of skip/error/stop/ip_ban ends the case early;
// otherwise `output` is appended to the case's outputs.
struct StepResult {
  StepOutput output;
  std::vector<std::vector<CredentialUse>> credentials;  // parallel to output.exchanges
  std::optional<ToolRun> tool;
  std::optional<std::string> skip;   // the case is SKIP: what this run lacks
  std::optional<std::string> error;  // the case is ERROR: what broke (ours or the network)
  std::optional<std::string> stop;   // the case stops here (a prerequisite the target did not
                                     // deliver); the steps that ran are judged
  bool ip_ban = false;  // the token endpoint answered 403 text/plain (GitLab's ban, §9)
};

// RunStep executes `step` (its params were validated at load by harness/suite/case_loader.h).
StepResult RunStep(const Step& step, const RunContext& ctx, CaseState& state);

// SubstitutionFailure is why a ${…} reference could not be resolved.
struct SubstitutionFailure {
  bool stop = false;  // a product an earlier step did not obtain (token, location)
  std::string message;
};

// SubstituteRefs resolves every ${…} reference of `text` (table above). Credentials whose
// secret was substituted are appended to `used` (when not null). A "$" not followed by "{" is
// literal; an unterminated "${" is a failure.
protocol::Expected<std::string, SubstitutionFailure> SubstituteRefs(
    std::string_view text, const RunContext& ctx, const CaseState& state,
    std::vector<CredentialUse>* used = nullptr);

// MutatedSecret is the credential's secret with its last character changed (wrong_secret,
// harness/suite/facts.h), chosen so that it is no other world credential's secret.
std::string MutatedSecret(const protocol::Credential& c, const protocol::World& world);
// MutatedUsername is a username that is no user's, no email and no credential's login
// username ("<login>-wrong", extended until unique) (wrong_username).
std::string MutatedUsername(const protocol::Credential& c, const protocol::World& world);

// RegisterWorldSecrets registers every credential secret of `world` with `redactor`: the secret,
// the Basic pair with its login username, and the mutated variants the runner may send.
void RegisterWorldSecrets(const protocol::World& world, Redactor& redactor);

// QueryEscape percent-encodes like Go's url.QueryEscape (what docker and skopeo send): ALPHA,
// DIGIT and "-_.~" as is, SP as "+", every other byte as %XX (upper-case hex).
std::string QueryEscape(std::string_view s);

// IsIpBanAnswer reports whether a token-endpoint answer is GitLab's rate-limit ban: 403 with a
// text/plain body that is not a JSON error document (token-auth.md §9).
bool IsIpBanAnswer(int status, std::string_view content_type, std::string_view body);

// DerFromRawEcdsa converts a JWS ECDSA signature (r‖s, equal halves) to the DER
// ECDSA-Sig-Value a non-JOSE library would emit (forge_token signature "der_ecdsa"); nullopt for
// an odd or empty input.
std::optional<std::string> DerFromRawEcdsa(std::string_view raw);

}  // namespace regauth::harness
