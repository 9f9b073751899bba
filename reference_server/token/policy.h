// policy.h — GitLab's container-registry authentication and authorization rules, as one plain
// module a reviewer can check line by line against token-auth.md §3.2–§3.7 and §9 (the
// corrections in §9 override §3).
//
// Two steps, as GitLab's JwtController runs them:
//   1. Authenticate (lib/gitlab/auth.rb `find_for_git_client`, §3.2): the Basic credentials (or
//      none: anonymous) become an AuthResult — the auth type (`gitlab_or_ldap`,
//      `personal_access_token`, `deploy_token`, `build`, `ci`, `oauth`, `none`), the actor (user,
//      deploy token, job + project) and the authentication abilities (§3.3). A failure is always
//      HTTP 401; AuthFailure says why, for logs and tests.
//   2. Authorize (ContainerRegistryAuthenticationService#execute, §3.4–§3.7): the gates (404
//      registry disabled, 403 no registry ability, 403 anonymous with nothing usable), then each
//      requested scope through GitLab's split, path rule and per-action decision (§3.6) over the
//      project policy facts (§3.7). Denied actions are dropped; a resource with none is omitted.
//      Last, gate 4: a granted push on a protected container repository path (the world's
//      instance.protected_containers and projects' container_protection_rules) → 403.
//
// Pure: no clock (the caller passes `today`), no I/O, no randomness. The World holds facts only
// (protocol/world.h); every rule lives here. Negative controls (reference_server/misbehaviour.h)
// whose component is "token-service" and that concern authentication or policy are consulted
// here, each at exactly one point, documented there.
//
// Usage:
//   CredentialIndex index(world);
//   AuthContext ctx{&index, world.today(), {}};
//   auto auth = Authenticate(world, basic, ctx);          // basic: optional<BasicCredentials>
//   if (!auth) return Http401(CodeName(auth.error()));
//   auto scopes = SplitScopeParams(request.QueryParams("scope"));
//   Authorization az = Authorize(world, *auth, scopes, misbehaviours);
//   if (az.gate != Gate::kPassed) return ErrorFor(az.gate);
//   for (const AccessEntry& a : az.access) claims["access"].push_back(...);
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/credentials.h"
#include "protocol/result.h"
#include "protocol/rfc3339.h"
#include "protocol/world.h"
#include "reference_server/misbehaviour.h"
#include "reference_server/token/credential_index.h"

namespace regauth::server {

// AuthType is Gitlab::Auth::Result#type, spelled as GitLab puts it in the token's `auth_type`
// claim and the nested user_info.token_type (§3.8).
enum class AuthType {
  kNone,                 // "none": anonymous (no Basic credentials)
  kGitLabOrLdap,         // "gitlab_or_ldap": username or email + account password
  kPersonalAccessToken,  // "personal_access_token": PAT, project or group access token
  kDeployToken,          // "deploy_token": project or group deploy token
  kBuild,                // "build": CI job token of a job with a user
  kCi,                   // "ci": CI job token of a job without a user (legacy)
  kOAuth,                // "oauth": OAuth access token
};

// AuthTypeName returns the spelling above ("personal_access_token", ...).
std::string_view AuthTypeName(AuthType type);

// Ability is one of GitLab's authentication abilities that matter to the container registry
// (§3.3). GitLab's REGISTRY_LOGIN_ABILITIES also lists destroy_/update_container_image, which no
// credential at /jwt/auth ever carries, so they are not modelled.
enum class Ability : uint8_t {
  kReadProject,
  kDownloadCode,
  kPushCode,
  kReadContainerImage,
  kCreateContainerImage,
  kAdminContainerImage,
  kBuildDownloadCode,
  kBuildPushCode,
  kBuildReadContainerImage,
  kBuildCreateContainerImage,
  kBuildDestroyContainerImage,
};

// AbilityName returns GitLab's symbol name ("read_container_image", ...).
std::string_view AbilityName(Ability ability);

// Abilities is a set of Ability.
class Abilities {
 public:
  constexpr Abilities() = default;
  constexpr Abilities(std::initializer_list<Ability> list) {
    for (Ability a : list) bits_ |= Bit(a);
  }
  constexpr bool Has(Ability a) const { return (bits_ & Bit(a)) != 0; }
  constexpr Abilities& operator|=(Abilities other) {
    bits_ |= other.bits_;
    return *this;
  }
  constexpr bool empty() const { return bits_ == 0; }
  // HasRegistryAbility is GitLab's has_registry_ability?: any of REGISTRY_LOGIN_ABILITIES
  // (read/create/admin_container_image and the three build_* container abilities) (§3.4 gate 2).
  bool HasRegistryAbility() const;
  // Names lists the members in enum order, as AbilityName spells them.
  std::vector<std::string_view> Names() const;
  friend constexpr bool operator==(Abilities, Abilities) = default;

 private:
  static constexpr uint32_t Bit(Ability a) { return uint32_t{1} << static_cast<unsigned>(a); }
  uint32_t bits_ = 0;
};

// The ability lists of Gitlab::Auth (§3.3).
// FullAuthenticationAbilities: password login and the `api` scope.
Abilities FullAuthenticationAbilities();
// ReadOnlyAuthenticationAbilities: anonymous callers and the `read_api` scope.
Abilities ReadOnlyAuthenticationAbilities();
// BuildAuthenticationAbilities: CI job tokens (`build` and `ci`).
Abilities BuildAuthenticationAbilities();
// AbilitiesForScopes is Gitlab::Auth.abilities_for_scopes: the union over the token's scopes
// (api → full, read_api → read-only, read_registry → read_container_image, write_registry →
// create_container_image, read_repository → download_code, write_repository → download_code +
// push_code, anything else → none). Misbehaviour grant-push-with-read-registry adds
// create_container_image to read_registry.
Abilities AbilitiesForScopes(const std::vector<std::string>& scopes,
                             const Misbehaviours& misbehaviours);

// AuthResult is Gitlab::Auth::Result: who is asking. Pointers point into the World passed to
// Authenticate (valid while it lives); any of them may be null as documented.
struct AuthResult {
  AuthType type = AuthType::kNone;
  // The matched credential; nullptr when anonymous.
  const protocol::Credential* credential = nullptr;
  // Result#auth_user (GitLab's current_user): the person or bot of a password, PAT, access
  // token or OAuth token; the job's user for `build`. nullptr for anonymous, deploy tokens, `ci`.
  const protocol::User* user = nullptr;
  // Result#deploy_token: the deploy token credential (type kDeployToken), else nullptr.
  const protocol::Credential* deploy_token = nullptr;
  // Result#project: the job's project for `build` and `ci`, else nullptr.
  const protocol::Project* project = nullptr;
  // The job of a job token, else nullptr.
  const protocol::Job* job = nullptr;
  Abilities abilities;

  bool anonymous() const { return type == AuthType::kNone; }
};

// AnonymousResult is the controller's default: Result.new(nil, nil, :none,
// read_only_authentication_abilities) (§3.1).
AuthResult AnonymousResult();

// AuthFailure says why Authenticate refused a credential. Every failure is the same HTTP 401 on
// the wire (§3.1); the code is for logs and tests only and never names a secret.
enum class AuthFailure {
  kMalformedBasic = 1,  // (token service) a Basic header that is not base64(user ":" pass)
  kUnknownSecret,       // no credential has the presented secret (or the password is empty)
  kWrongUsername,       // job token without `gitlab-ci-token`, deploy token with another
                        // username, or a password presented for another user
  kExpired,             // token past its expiry date; expiring today counts (§3.2 #5)
  kRevoked,             // token revoked
  kNoValidScope,        // token with no scope GitLab accepts for login (deploy tokens with only
                        // package-registry scopes, §9; tokens with no scope at all)
  kUserBlocked,         // owner (or job user) blocked
  kJobNotRunning,       // job neither running nor canceling (§9)
  kJobErased,           // job erased
  kJobProjectPendingDelete,  // the job's project is pending deletion
  kBuildsDisabled,           // the job's project has CI disabled (spec: 401)
  kPasswordAuthDisabled,     // password_authentication_enabled_for_git is off
  kTwoFactorRequired,        // password of a 2FA user (MissingPersonalAccessTokenError → 401)
  kPasswordExpired,          // owner (or job user) whose password expired (not a bot)
};

// CodeName returns the stable snake_case name of `code` ("wrong_username", ...).
std::string_view CodeName(AuthFailure code);

// AuthContext is what Authenticate needs besides the World: the credential index built once from
// that same World, today's UTC date (token expiry is a date, §3.2 #5, #6) and the negative
// controls.
struct AuthContext {
  const CredentialIndex* credentials = nullptr;  // required; built from the same World
  protocol::CivilDate today;
  Misbehaviours misbehaviours;
};

// StateAt derives a token's state on `today` from its revoked flag, expiry date and, for a
// JWT-format job token, its `jwt_expired` flag (the World's own `state` is frozen at load time;
// the server runs for days).
protocol::CredentialState StateAt(const protocol::Credential& credential,
                                  protocol::CivilDate today);

// Authenticate runs GitLab's find_for_git_client checks in order (§3.2; service_request_check
// and lfs_token_check never apply at /jwt/auth): build/job token, OAuth token, personal/project/
// group access token, deploy token, password. No credentials → AnonymousResult(). The first
// check that accepts the credentials wins. A check that recognises the secret but refuses it
// returns nil in GitLab and the next check runs; if none accepts, the first refusal's reason is
// the failure. A 2FA user's password ends the search at once (GitLab raises).
protocol::Expected<AuthResult, AuthFailure> Authenticate(
    const protocol::World& world, const std::optional<protocol::BasicCredentials>& basic,
    const AuthContext& ctx);

// SplitScopeParams is the controller's scopes_param: `Array(scope values).flat_map(&:split)` —
// each `scope` query value split on runs of ASCII whitespace (Ruby's String#split with no
// argument), empty pieces dropped (§3.1).
std::vector<std::string> SplitScopeParams(const std::vector<std::string>& values);

// TagDenyPatterns is access[].meta.tag_deny_access_patterns: for each granted action that tag
// protection covers (push, delete; `*` stands for both), the tag name patterns the caller may
// not write. Ordered by action as GitLab's hash is built, patterns in rule order.
using TagDenyPatterns = std::vector<std::pair<std::string, std::vector<std::string>>>;

// TagDenyAccessPatterns returns the member for a granted repository access of `project`, or
// nullopt when GitLab sends none: no current user (deploy tokens, jobs without a user), the
// instance's protected_tags flag off, or a project without tag rules. Admins get empty lists.
std::optional<TagDenyPatterns> TagDenyAccessPatterns(const protocol::World& world,
                                                     const AuthResult& auth,
                                                     const protocol::Project& project,
                                                     const std::vector<std::string>& actions);

// EffectiveRole is the user's role in the project: the highest of the direct project membership
// and the memberships of every ancestor group (membership is inherited downwards), or nullopt;
// the owner of a personal namespace is the owner of its projects (GitLab's project
// authorizations, issue 8 item 12). Admin status is not a role.
std::optional<protocol::Role> EffectiveRole(const protocol::World& world,
                                            const protocol::User& user,
                                            const protocol::Project& project);

// Gate is the outcome of the service's gates (§3.4), in order.
enum class Gate {
  kPassed,             // 200 with a token
  kRegistryDisabled,   // 404 {"errors":[{"code":"UNAVAILABLE","message":"registry not enabled"}]}
  kNoRegistryAbility,  // 403 DENIED "access forbidden": no registry ability at all
  kAnonymousNoScope,   // 403 DENIED "access forbidden": anonymous and no usable scope
  kProtectedPath,      // 403 DENIED "Pushing to protected repository path forbidden"
};

// CodeName returns "passed", "registry_disabled", "no_registry_ability", "anonymous_no_scope",
// "protected_path".
std::string_view CodeName(Gate gate);

// ScopeOutcome is what became of one requested scope.
enum class ScopeOutcome {
  kGranted,         // at least one action granted: an `access` entry
  kMissingActions,  // fewer than two ':' — GitLab raises NoMethodError (nil.split, probably a
                    // 500, §3.5, §8); the reference server drops the scope instead
  kTooLarge,        // over the reference server's own scope limits (GitLab has none)
  kUnknownType,     // type other than `repository` / `registry` (incl. `repository(plugin)`)
  kInvalidPath,     // ContainerRegistry::Path#valid? false (regex, < 2 or ≥ 20 components)
  kNoProject,       // no world project among the path's three longest prefixes
  kCatalogDenied,   // `registry` scope that is not an admin's `registry:catalog:*`
  kNothingGranted,  // a project was found but every action was denied or unknown
};

// CodeName returns the stable snake_case name of `outcome`.
std::string_view CodeName(ScopeOutcome outcome);

// ScopeDecision records the processing of one requested scope, for logs and tests.
struct ScopeDecision {
  std::string scope;  // the requested scope string
  std::string type;   // GitLab split; "" when the split failed
  std::string name;   // repository: the downcased path; otherwise as split
  ScopeOutcome outcome = ScopeOutcome::kNothingGranted;
  const protocol::Project* project = nullptr;  // the resolved project, if any
  std::vector<std::string> requested_actions;  // as split, in order, duplicates kept
  std::vector<std::string> granted_actions;    // the subset granted, same order
  // `push` was granted: GitLab's ensure_container_repository! would create the repository if it
  // did not exist (§3.5). The reference server records this instead of creating anything.
  bool ensures_repository = false;
};

// AccessEntry is one element of the token's `access` claim (§3.8). `project` is null for the
// catalog entry (which has no `meta`).
struct AccessEntry {
  std::string type;
  std::string name;
  std::vector<std::string> actions;
  const protocol::Project* project = nullptr;
};

// Authorization is the service's answer.
struct Authorization {
  Gate gate = Gate::kPassed;
  std::vector<AccessEntry> access;       // meaningful when gate == kPassed; may be empty
  std::vector<ScopeDecision> decisions;  // one per requested scope (empty if a gate stopped
                                         // processing before scopes were looked at)
};

// Authorize runs the gates, processes `scopes` (already split by SplitScopeParams) and decides
// each action (§3.4–§3.7, §9). Never fails: bad scopes are dropped and recorded in decisions.
Authorization Authorize(const protocol::World& world, const AuthResult& auth,
                        const std::vector<std::string>& scopes, const Misbehaviours& misbehaviours);

// CanAccess is the per-action decision of §3.6 (`can_access?`) for one project: `pull`, `push`,
// `delete` or `*`; any other action is false. Exposed for table tests.
bool CanAccess(const protocol::World& world, const AuthResult& auth,
               const protocol::Project& project, std::string_view action,
               const Misbehaviours& misbehaviours);

}  // namespace regauth::server
