#include "reference_server/misbehaviour.h"

namespace regauth::server {

const std::vector<MisbehaviourInfo>& AllMisbehaviours() {
  static const std::vector<MisbehaviourInfo> kTable = {
      {Misbehaviour::kAcceptExpiredCredentials, "accept-expired-credentials", "token-service",
       "expired, expiring-today and revoked tokens authenticate"},
      {Misbehaviour::kAcceptPasswordWith2fa, "accept-password-with-2fa", "token-service",
       "a 2FA user's password authenticates (GitLab: 401)"},
      {Misbehaviour::kIgnoreDeployTokenUsername, "ignore-deploy-token-username", "token-service",
       "any username works with a deploy token's secret"},
      {Misbehaviour::kIgnoreJobTokenUsername, "ignore-job-token-username", "token-service",
       "any username works with a job token (GitLab: gitlab-ci-token)"},
      {Misbehaviour::kAcceptFinishedJobToken, "accept-finished-job-token", "token-service",
       "a finished job's token authenticates"},
      {Misbehaviour::kServerErrorOnAnonymous, "server-error-on-anonymous", "token-service",
       "no Authorization → 500 (gitlab-org/gitlab#536823)"},
      {Misbehaviour::kRejectEmptyScope, "reject-empty-scope", "token-service",
       "a login without scope gets 401 (zot #1125/#2096)"},
      {Misbehaviour::kGrantPushWithReadRegistry, "grant-push-with-read-registry", "token-service",
       "read_registry alone grants push"},
      {Misbehaviour::kJobTokenCrossProjectPush, "job-token-cross-project-push", "token-service",
       "job tokens may push to any project they can read (CVE-2019-12825)"},
      {Misbehaviour::kIgnoreJobTokenAllowlist, "ignore-job-token-allowlist", "token-service",
       "private projects pullable by any job token (allowlist skipped)"},
      {Misbehaviour::kAnonymousPrivatePull, "anonymous-private-pull", "token-service",
       "anonymous callers get pull on private projects (Gitea CVE-2026-27771 \"ghost token\")"},
      {Misbehaviour::kCatalogForEveryone, "catalog-for-everyone", "token-service",
       "registry:catalog:* granted to every authenticated caller"},
      {Misbehaviour::kGrantDeleteToDevelopers, "grant-delete-to-developers", "token-service",
       "delete/* granted at developer level"},
      {Misbehaviour::kIgnoreRegistryAccessLevel, "ignore-registry-access-level", "token-service",
       "container_registry_access_level disabled/private ignored"},
      {Misbehaviour::kKeepDeniedResources, "keep-denied-resources", "token-service",
       "denied resources stay in `access` with actions: []"},
      {Misbehaviour::kIgnoreArchived, "ignore-archived", "token-service",
       "archived projects accept pushes"},
      {Misbehaviour::kWrongAudience, "wrong-audience", "token-service", "aud = \"not-\" + service"},
      {Misbehaviour::kLongLivedTokens, "long-lived-tokens", "token-service", "exp = iat + 30 days"},
      {Misbehaviour::kWrongKid, "wrong-kid", "token-service",
       "kid of a different key (libtrust format)"},
      {Misbehaviour::kOmitTagDenyPatterns, "omit-tag-deny-patterns", "token-service",
       "access[].meta without tag_deny_access_patterns: protected tags writable by anyone who "
       "may push"},
      {Misbehaviour::kAcceptAlgNone, "accept-alg-none", "registry",
       "alg none with an empty signature verifies"},
      {Misbehaviour::kIgnoreAudience, "ignore-audience", "registry", "aud not checked"},
      {Misbehaviour::kIgnoreIssuer, "ignore-issuer", "registry", "iss not checked"},
      {Misbehaviour::kIgnoreExpiry, "ignore-expiry", "registry", "exp/nbf not checked"},
      {Misbehaviour::kIgnoreSignature, "ignore-signature", "registry",
       "signature not checked (key still selected)"},
      {Misbehaviour::kTrustEmbeddedJwk, "trust-embedded-jwk", "registry",
       "a jwk header is trusted if its kid member names a trusted key, and its own key material "
       "verifies (CVE-2025-24976)"},
      {Misbehaviour::kAcceptHs256PublicKey, "accept-hs256-public-key", "registry",
       "HS256 keyed with the trusted public key PEM verifies (alg confusion)"},
      {Misbehaviour::kPushImpliesDelete, "push-implies-delete", "registry",
       "a push grant allows DELETE (zot GHSA-qg67-7m6v-qg25)"},
      {Misbehaviour::kPushWithoutPull, "push-without-pull", "registry",
       "POST/PUT/PATCH need only push (zot), not pull+push"},
      {Misbehaviour::kInsufficientScope403, "insufficient-scope-403", "registry",
       "insufficient scope answered 403 (RFC 6750 §3.1 reading)"},
      {Misbehaviour::kNoChallengeOnInvalidToken, "no-challenge-on-invalid-token", "registry",
       "invalid tokens get 401 without WWW-Authenticate (zot)"},
      {Misbehaviour::kCrossRepoBlobRead, "cross-repo-blob-read", "registry",
       "blobs readable through any repository (zot CVE-2024-39897)"},
      {Misbehaviour::kUploadSessionAnyRepo, "upload-session-any-repo", "registry",
       "upload sessions usable from another repository (Quay CVE-2026-32589)"},
      {Misbehaviour::kDeleteIgnoresDisabled, "delete-ignores-disabled", "registry",
       "DELETE by tag works with delete disabled (CVE-2026-41888)"},
      {Misbehaviour::kUnboundedCatalog, "unbounded-catalog", "registry",
       "/v2/_catalog?n= not bounded (CVE-2023-2253)"},
  };
  return kTable;
}

std::vector<std::string_view> Misbehaviours::Names() const {
  std::vector<std::string_view> out;
  for (const MisbehaviourInfo& info : AllMisbehaviours()) {
    if (Has(info.id)) out.push_back(info.name);
  }
  return out;
}

protocol::Expected<Misbehaviours, std::string> ParseMisbehaviours(
    const std::vector<std::string>& names) {
  Misbehaviours set;
  for (const std::string& name : names) {
    bool found = false;
    for (const MisbehaviourInfo& info : AllMisbehaviours()) {
      if (info.name == name) {
        set.Enable(info.id);
        found = true;
        break;
      }
    }
    if (!found) {
      std::string known;
      for (const MisbehaviourInfo& info : AllMisbehaviours()) {
        if (!known.empty()) known += ", ";
        known += info.name;
      }
      return protocol::Unexpected<std::string>("unknown misbehaviour '" + name +
                                               "'; known: " + known);
    }
  }
  return set;
}

}  // namespace regauth::server
