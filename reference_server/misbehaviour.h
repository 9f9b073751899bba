// misbehaviour.h — the reference server's negative controls (`regauth serve --misbehave NAME`).
//
// Each Misbehaviour plants one documented bug, modelled on a real vulnerability or interop
// failure (suite-anchors.md §C2, §C3, §E10), so that the scenario runner can prove it catches
// that class of bug: a run against a misbehaving server must FAIL the cases that cover it.
// Each switch is consulted at exactly one point of the request path; grep for its enumerator to
// find that point (`Misbehaviours::Has(Misbehaviour::kAcceptAlgNone)` appears once).
//
// Usage:
//   auto set = ParseMisbehaviours({"accept-alg-none", "ignore-aud"});
//   if (!set) { std::cerr << set.error(); return 2; }
//   if (set->Has(Misbehaviour::kAcceptAlgNone)) ...
#pragma once

#include <bitset>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace regauth::server {

enum class Misbehaviour {
  // Token service (realm) — authentication.
  kAcceptExpiredCredentials,   // expired, expiring-today and revoked tokens authenticate
  kAcceptPasswordWith2fa,      // a 2FA user's password authenticates (GitLab: 401)
  kIgnoreDeployTokenUsername,  // any username works with a deploy token's secret
  kIgnoreJobTokenUsername,     // any username works with a job token (GitLab: gitlab-ci-token)
  kAcceptFinishedJobToken,     // a finished job's token authenticates
  kServerErrorOnAnonymous,     // no Authorization → 500 (gitlab-org/gitlab#536823)
  kRejectEmptyScope,           // a login without scope gets 401 (zot #1125/#2096)
  // Token service — authorization policy (token-auth.md §3.6, §3.7).
  kGrantPushWithReadRegistry,  // read_registry alone grants push
  kJobTokenCrossProjectPush,   // job tokens may push to any project they can read (CVE-2019-12825)
  kIgnoreJobTokenAllowlist,    // private projects pullable by any job token (allowlist skipped)
  kAnonymousPrivatePull,       // anonymous callers get pull on private projects (Gitea
                               // CVE-2026-27771 "ghost token")
  kCatalogForEveryone,         // registry:catalog:* granted to every authenticated caller
  kGrantDeleteToDevelopers,    // delete/* granted at developer level
  kIgnoreRegistryAccessLevel,  // container_registry_access_level disabled/private ignored
  kKeepDeniedResources,        // denied resources stay in `access` with actions: []
  kIgnoreArchived,             // archived projects accept pushes
  // Token service — token contents.
  kWrongAudience,        // aud = "not-" + service
  kLongLivedTokens,      // exp = iat + 30 days
  kWrongKid,             // kid of a different key (libtrust format)
  kOmitTagDenyPatterns,  // access[].meta without tag_deny_access_patterns (protected tags)
  // Registry (resource server) — verification (token-auth.md §2.4).
  kAcceptAlgNone,         // alg none with an empty signature verifies
  kIgnoreAudience,        // aud not checked
  kIgnoreIssuer,          // iss not checked
  kIgnoreExpiry,          // exp/nbf not checked
  kIgnoreSignature,       // signature not checked (key still selected)
  kTrustEmbeddedJwk,      // a jwk header is trusted if its kid member names a trusted key, and
                          // its own key material verifies (CVE-2025-24976)
  kAcceptHs256PublicKey,  // HS256 keyed with the trusted public key PEM verifies (alg confusion)
  // Registry — authorization and storage.
  kPushImpliesDelete,          // a push grant allows DELETE (zot GHSA-qg67-7m6v-qg25)
  kPushWithoutPull,            // POST/PUT/PATCH need only push (zot), not pull+push
  kInsufficientScope403,       // insufficient scope answered 403 (RFC 6750 §3.1 reading)
  kNoChallengeOnInvalidToken,  // invalid tokens get 401 without WWW-Authenticate (zot)
  kCrossRepoBlobRead,          // blobs readable through any repository (zot CVE-2024-39897)
  kUploadSessionAnyRepo,       // upload sessions usable from another repository (Quay
                               // CVE-2026-32589)
  kDeleteIgnoresDisabled,      // DELETE by tag works with delete disabled (CVE-2026-41888)
  kUnboundedCatalog,           // /v2/_catalog?n= not bounded (CVE-2023-2253)
};

inline constexpr std::size_t kMisbehaviourCount =
    static_cast<std::size_t>(Misbehaviour::kUnboundedCatalog) + 1;

// MisbehaviourInfo documents one switch: its CLI name, the component it lives in and what it
// breaks, with the real-world anchor.
struct MisbehaviourInfo {
  Misbehaviour id;
  std::string_view name;       // kebab-case CLI name, e.g. "accept-alg-none"
  std::string_view component;  // "token-service" or "registry"
  std::string_view summary;    // one line: the bug and its anchor
};

// AllMisbehaviours returns the table, in enum order.
const std::vector<MisbehaviourInfo>& AllMisbehaviours();

// Misbehaviours is a set of enabled switches.
class Misbehaviours {
 public:
  bool Has(Misbehaviour m) const { return bits_.test(static_cast<std::size_t>(m)); }
  void Enable(Misbehaviour m) { bits_.set(static_cast<std::size_t>(m)); }
  bool Any() const { return bits_.any(); }
  std::vector<std::string_view> Names() const;

 private:
  std::bitset<kMisbehaviourCount> bits_;
};

// ParseMisbehaviours maps CLI names to a set; an unknown name gives an error message listing the
// known names.
protocol::Expected<Misbehaviours, std::string> ParseMisbehaviours(
    const std::vector<std::string>& names);

}  // namespace regauth::server
