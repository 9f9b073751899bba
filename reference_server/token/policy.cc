#include "reference_server/token/policy.h"

#include <algorithm>
#include <array>
#include <utility>

#include "protocol/ascii.h"
#include "protocol/repository_name.h"
#include "protocol/scope.h"

namespace regauth::server {
namespace {

using protocol::Credential;
using protocol::CredentialKind;
using protocol::CredentialState;
using protocol::Expected;
using protocol::Job;
using protocol::JobStatus;
using protocol::Project;
using protocol::RegistryAccessLevel;
using protocol::Role;
using protocol::Unexpected;
using protocol::User;
using protocol::UserState;
using protocol::Visibility;
using protocol::World;

// Gitlab::Auth::CI_JOB_USER: the only username a job token is accepted with (§3.2 #2).
constexpr std::string_view kCiJobUser = "gitlab-ci-token";

// The scopes GitLab accepts for login: `valid_scoped_token?(token, all_available_scopes)` in
// personal_access_token_check and deploy_token_check (gitlabhq lib/gitlab/auth.rb
// `all_available_scopes` = non_admin_available_scopes + ADMIN_SCOPES; read at
// 0x73746F70626F74686572696E676D65/gitlab-fork@0961072f (GitLab 17.x) and
// pavankalisetti009/gitlab@4f778ed3 (17.8+), the same in both for what follows). Two parts
// depend on the instance:
//   - `registry_scopes` is `[] unless Gitlab.config.registry.enabled` (issue 8 item 5): with the
//     registry off, read_registry/write_registry do not count, and a token with only those fails
//     authentication (401) before the service's 404;
//   - `virtual_registry_scopes` is `[] unless Gitlab.config.dependency_proxy.enabled` (newer
//     versions; the world format has no dependency-proxy switch, so they always count).
// `ai_workflows` is in AI_WORKFLOW_SCOPES, which only `optional_scopes` (Doorkeeper's OAuth
// scopes) adds: a PAT or access token whose only scope is ai_workflows fails login (item 6).
// `self_rotate` joined API_SCOPES in later versions (SELF_ROTATE_SCOPE); a world that gives a
// token that scope describes such a version, so it counts.
// clang-format off
constexpr std::string_view kAccessTokenLoginScopes[] = {
    "api", "read_api", "read_user", "read_repository", "write_repository",
    "read_virtual_registry", "write_virtual_registry", "sudo", "admin_mode", "create_runner",
    "manage_runner", "k8s_proxy", "ai_features", "read_service_ping", "self_rotate",
    "read_observability", "write_observability"};
// clang-format on
// registry_scopes: login scopes only while the registry is enabled (item 5).
constexpr std::string_view kRegistryLoginScopes[] = {"read_registry", "write_registry"};
// OAuth tokens are checked against Doorkeeper's configured scopes (`valid_oauth_token?`:
// Doorkeeper.configuration.scopes = DEFAULT_SCOPES + optional_scopes): the above plus OpenID's,
// the profile scopes and AI_WORKFLOW_SCOPES.
constexpr std::string_view kOAuthOnlyScopes[] = {"openid", "profile", "email", "ai_workflows"};

// GitLab: lib/gitlab/auth.rb#valid_scoped_token? (AccessTokenValidationService#include_any_scope?) @ gitlab-fork@0961072f
template <std::size_t N>
bool AnyScopeIn(const std::vector<std::string>& scopes, const std::string_view (&allowed)[N]) {
  for (const std::string& s : scopes) {
    if (std::find(std::begin(allowed), std::end(allowed), s) != std::end(allowed)) return true;
  }
  return false;
}

// HasLoginScope is valid_scoped_token? for `c` on this instance (gitlabhq lib/gitlab/auth.rb
// personal_access_token_check, deploy_token_check: all_available_scopes; oauth_access_token_check:
// Doorkeeper's scopes). Deploy tokens go through the same all_available_scopes check; their
// package-registry scopes are not in it, so a deploy token with only those fails login (401,
// token-auth.md §9).
// GitLab: lib/gitlab/auth.rb#valid_scoped_token?(token, all_available_scopes) @ gitlab-fork@0961072f
// GitLab: lib/gitlab/auth.rb#optional_scopes (Doorkeeper scopes, AI_WORKFLOW_SCOPES) @ pavankalisetti009@d4d72811
bool HasLoginScope(const World& world, const Credential& c, bool oauth) {
  if (AnyScopeIn(c.scopes, kAccessTokenLoginScopes)) return true;
  if (world.instance().registry_enabled && AnyScopeIn(c.scopes, kRegistryLoginScopes)) return true;
  return oauth && AnyScopeIn(c.scopes, kOAuthOnlyScopes);
}

// GitLab: lib/gitlab/auth.rb#abilities_for_scopes (token.scopes) @ gitlab-fork@0961072f
bool HasScope(const Credential& c, std::string_view scope) {
  return std::find(c.scopes.begin(), c.scopes.end(), scope) != c.scopes.end();
}

using protocol::AsciiLower;
using protocol::EqualsIgnoreAsciiCase;

// InGroup: the project lives in group `group_path` or one of its subgroups (paths compare
// case-insensitively, as GitLab routes do). Personal projects live in no group.
// GitLab: lib/gitlab/project_authorizations.rb#recursive_cte (sub groups of any group the user is a member of) @ gitlabhq@08bc32af
bool InGroup(const Project& project, std::string_view group_path) {
  if (project.personal || project.path.size() <= group_path.size() + 1) return false;
  return EqualsIgnoreAsciiCase(std::string_view(project.path).substr(0, group_path.size()),
                               group_path) &&
         project.path[group_path.size()] == '/';
}

// GitLab: app/services/auth/container_registry_authentication_service.rb#build_can_pull? (`requested_project == project`) @ gitlabhq@de09f039
bool SameProject(const Project* a, const Project& b) { return a != nullptr && a->id == b.id; }

// Level is the access level of an effective role, 0 for none (GitLab's NO_ACCESS).
// GitLab: app/policies/project_policy.rb#team_access_level (`-1` for nobody; Gitlab::Access levels) @ gitlab-fork@431c9f73
int Level(std::optional<Role> role) { return role ? static_cast<int>(*role) : 0; }

// GitLab: app/policies/project_policy.rb#condition(:reporter) (`team_access_level >= Gitlab::Access::REPORTER`) @ gitlab-fork@431c9f73
bool AtLeast(std::optional<Role> role, Role min) { return Level(role) >= static_cast<int>(min); }

// ---------------------------------------------------------------------------------------------
// Authentication (§3.2)
// ---------------------------------------------------------------------------------------------

// Check is one find_for_git_client check's verdict: it authenticated (`result`), it recognised
// the secret but refused it (`rejected`; GitLab's check returns nil and the next one runs), or
// the secret is not its kind (neither).
struct Check {
  std::optional<AuthResult> result;
  std::optional<AuthFailure> rejected;
};

// GitLab: lib/gitlab/auth.rb#find_for_git_client (a check returning nil: the next check runs) @ gitlab-fork@0961072f
Check Rejected(AuthFailure f) { return Check{std::nullopt, f}; }
// GitLab: lib/gitlab/auth.rb#find_for_git_client (the first check returning a Result wins) @ gitlab-fork@0961072f
Check Matched(AuthResult r) { return Check{std::move(r), std::nullopt}; }

// InactiveReason: why a token is not `active` today (revoked; past its expiry date; expiring
// today counts as expired — GitLab's spec "a token that expires today" → 401, §3.2 #5, §4.4).
// Misbehaviour accept-expired-credentials is consulted here and nowhere else.
// GitLab: lib/gitlab/auth.rb#personal_access_token_check (`state: 'active'`) @ gitlab-fork@0961072f
// GitLab: lib/gitlab/auth.rb#deploy_token_check (`DeployToken.active`) @ gitlab-fork@0961072f
std::optional<AuthFailure> InactiveReason(const Credential& c, const AuthContext& ctx) {
  const CredentialState state = StateAt(c, ctx.today);
  if (state == CredentialState::kActive) return std::nullopt;
  // NEGATIVE CONTROL accept-expired-credentials: expired, expiring-today and revoked tokens
  // authenticate.
  if (ctx.misbehaviours.Has(Misbehaviour::kAcceptExpiredCredentials)) return std::nullopt;
  return state == CredentialState::kRevoked ? AuthFailure::kRevoked : AuthFailure::kExpired;
}

// CanLogInWithNonExpiredPassword: `can?(:log_in) && !password_expired_if_applicable?` — not
// blocked, and no expired password (bots are exempt from expiry).
// GitLab: app/models/user.rb#can_log_in_with_non_expired_password? @ gitlab-fork@57ff0d23
// GitLab: app/models/user.rb#password_expired_if_applicable? (`return false if bot?`) @ gitlab-fork@57ff0d23
bool CanLogInWithNonExpiredPassword(const User& user) {
  if (user.state != UserState::kActive) return false;
  return !(user.password_expired && !user.bot);
}

// CanReadProject is ProjectPolicy read_project for a signed-in user: public projects, internal
// ones for non-external users, and any project the user is a member of (guest+, inherited from
// groups, the personal namespace's owner). `rule { blocked }` prevents only create_pipeline, so
// a blocked user keeps read_project.
// GitLab: app/policies/project_policy.rb#rule { guest | public_user_access | internal_access } (read_project) @ gitlab-fork@431c9f73
// GitLab: app/policies/project_policy.rb#rule { blocked }.policy (prevent :create_pipeline) @ gitlab-fork@431c9f73
bool CanReadProject(const World& world, const User& user, const Project& project) {
  if (project.visibility == Visibility::kPublic) return true;
  if (project.visibility == Visibility::kInternal && !user.external) return true;
  return EffectiveRole(world, user, project).has_value();
}

// BotUserCanReadProject: a project bot or service account who can read the project.
// GitLab: lib/gitlab/auth.rb#bot_user_can_read_project? @ gitlab-fork@0961072f
bool BotUserCanReadProject(const World& world, const User& user, const Project& project) {
  return user.bot && CanReadProject(world, user, project);
}

// LogInFailure names why CanLogInWithNonExpiredPassword is false (GitLab gives no reason: the
// check returns nil and the login fails with 401; the code is for logs and tests).
// GitLab: app/models/user.rb#can_log_in_with_non_expired_password? (`can?(:log_in)`: blocked; `password_expired_if_applicable?`) @ gitlab-fork@57ff0d23
AuthFailure LogInFailure(const User& user) {
  return user.state != UserState::kActive ? AuthFailure::kUserBlocked
                                          : AuthFailure::kPasswordExpired;
}

// #2 build_access_token_check: login must be exactly `gitlab-ci-token`; the job must be running or
// canceling (§9), not erased, its project not pending deletion and with CI enabled; a job user
// must be able to log in with a non-expired password, or be a bot who can read the job's project
// (a blocked project bot or service account still runs its jobs); a job without a user
// authenticates as `ci`.
// GitLab: lib/gitlab/auth.rb#build_access_token_check @ gitlab-fork@0961072f
// GitLab: app/finders/ci/auth_job_finder.rb#validate_job! @ gitlabhq@01afc4b8
// An expired JWT-format job token finds no job (`Ci::JobToken::Jwt.decode` rescues
// JWT::DecodeError, ExpiredSignature included, and the database lookup of the JWT text finds
// nothing), so the check returns nil and the login fails with 401 while the job still runs.
// GitLab: app/finders/ci/auth_job_finder.rb#find_job_by_token @ gitlabhq@01afc4b8
// GitLab: lib/ci/job_token/jwt.rb#decode, #expire_time @ gitlabhq@0aa1eeb2
// GitLab: lib/authn/tokens/jwt.rb#rsa_decode (`rescue JWT::DecodeError`) @ gitlabhq@017a6c12
Check BuildAccessTokenCheck(const World& world, std::string_view login, const Credential* found,
                            const AuthContext& ctx) {
  if (found == nullptr || found->kind != CredentialKind::kJobToken) return {};
  // NEGATIVE CONTROL ignore-job-token-username: any username works with a job token.
  if (login != kCiJobUser && !ctx.misbehaviours.Has(Misbehaviour::kIgnoreJobTokenUsername)) {
    return Rejected(AuthFailure::kWrongUsername);
  }
  if (auto why = InactiveReason(*found, ctx)) return Rejected(*why);
  const Job* job = world.JobOf(*found);
  if (job == nullptr) return Rejected(AuthFailure::kUnknownSecret);
  const bool active = job->status == JobStatus::kRunning || job->status == JobStatus::kCanceling;
  const bool finished = job->status == JobStatus::kSuccess || job->status == JobStatus::kFailed ||
                        job->status == JobStatus::kCanceled;
  // NEGATIVE CONTROL accept-finished-job-token: a finished job's token authenticates.
  if (!active && !(finished && ctx.misbehaviours.Has(Misbehaviour::kAcceptFinishedJobToken))) {
    return Rejected(AuthFailure::kJobNotRunning);
  }
  if (job->erased) return Rejected(AuthFailure::kJobErased);
  const Project* project = world.FindProject(job->project);
  if (project == nullptr || project->pending_delete) {
    return Rejected(AuthFailure::kJobProjectPendingDelete);
  }
  if (!project->builds_enabled) return Rejected(AuthFailure::kBuildsDisabled);

  AuthResult r;
  r.credential = found;
  r.project = project;
  r.job = job;
  r.abilities = BuildAuthenticationAbilities();
  if (!job->user) {
    r.type = AuthType::kCi;  // Result.new(nil, build.project, :ci, ...)
    return Matched(r);
  }
  const User* user = world.FindUser(*job->user);
  if (user == nullptr) return Rejected(AuthFailure::kUnknownSecret);
  if (!CanLogInWithNonExpiredPassword(*user) && !BotUserCanReadProject(world, *user, *project)) {
    return Rejected(LogInFailure(*user));
  }
  r.type = AuthType::kBuild;
  r.user = user;
  return Matched(r);
}

// #4 oauth_access_token_check: username ignored; the token must be accessible (not revoked or
// expired) with some Doorkeeper scope, and its user able to log in.
// GitLab: lib/gitlab/auth.rb#oauth_access_token_check @ gitlab-fork@0961072f
Check OAuthAccessTokenCheck(const World& world, const Credential* found, const AuthContext& ctx) {
  if (found == nullptr || found->kind != CredentialKind::kOAuthToken) return {};
  if (auto inactive = InactiveReason(*found, ctx)) return Rejected(*inactive);
  if (!HasLoginScope(world, *found, /*oauth=*/true)) return Rejected(AuthFailure::kNoValidScope);
  const User* user = world.UserOf(*found);
  if (user == nullptr) return Rejected(AuthFailure::kUnknownSecret);
  if (!CanLogInWithNonExpiredPassword(*user)) return Rejected(LogInFailure(*user));
  AuthResult r;
  r.type = AuthType::kOAuth;
  r.credential = found;
  r.user = user;
  r.abilities = AbilitiesForScopes(found->scopes, ctx.misbehaviours);
  return Matched(r);
}

// #5 personal_access_token_check: PATs and project/group access tokens (PATs of bot users);
// username ignored; active; some valid scope; the owner can log in (not blocked) or is a bot.
// GitLab: lib/gitlab/auth.rb#personal_access_token_check @ gitlab-fork@0961072f
Check PersonalAccessTokenCheck(const World& world, const Credential* found,
                               const AuthContext& ctx) {
  if (found == nullptr || (found->kind != CredentialKind::kPersonalAccessToken &&
                           found->kind != CredentialKind::kProjectAccessToken &&
                           found->kind != CredentialKind::kGroupAccessToken)) {
    return {};
  }
  if (auto inactive = InactiveReason(*found, ctx)) return Rejected(*inactive);
  if (!HasLoginScope(world, *found, /*oauth=*/false)) return Rejected(AuthFailure::kNoValidScope);
  const User* user = world.UserOf(*found);
  if (user == nullptr) return Rejected(AuthFailure::kUnknownSecret);
  if (!CanLogInWithNonExpiredPassword(*user) && !user->bot) return Rejected(LogInFailure(*user));
  AuthResult r;
  r.type = AuthType::kPersonalAccessToken;
  r.credential = found;
  r.user = user;
  r.abilities = AbilitiesForScopes(found->scopes, ctx.misbehaviours);
  return Matched(r);
}

// #6 deploy_token_check: DeployToken.active (not revoked, not expired); the login must equal the
// token's username exactly; some valid scope (package-registry-only tokens fail, §9).
// GitLab: lib/gitlab/auth.rb#deploy_token_check @ gitlab-fork@0961072f
Check DeployTokenCheck(const World& world, std::string_view login, const Credential* found,
                       const AuthContext& ctx) {
  if (found == nullptr || (found->kind != CredentialKind::kDeployToken &&
                           found->kind != CredentialKind::kGroupDeployToken)) {
    return {};
  }
  if (auto inactive = InactiveReason(*found, ctx)) return Rejected(*inactive);
  // NEGATIVE CONTROL ignore-deploy-token-username: any username works with a deploy token.
  if (login != found->login_username &&
      !ctx.misbehaviours.Has(Misbehaviour::kIgnoreDeployTokenUsername)) {
    return Rejected(AuthFailure::kWrongUsername);
  }
  if (!HasLoginScope(world, *found, /*oauth=*/false)) return Rejected(AuthFailure::kNoValidScope);
  AuthResult r;
  r.type = AuthType::kDeployToken;
  r.credential = found;
  r.deploy_token = found;
  r.abilities = AbilitiesForScopes(found->scopes, ctx.misbehaviours);
  return Matched(r);
}

// #7 user_with_password_for_git: login is a username or an email (case-insensitive); only when
// password authentication for Git is enabled; a blocked user fails; a 2FA user raises
// MissingPersonalAccessTokenError, which the controller renders as 401 at once.
// GitLab: lib/gitlab/auth.rb#user_with_password_for_git @ gitlab-fork@0961072f
// GitLab: lib/gitlab/auth.rb#find_with_user_password @ gitlab-fork@0961072f
Expected<Check, AuthFailure> PasswordCheck(const World& world, std::string_view login,
                                           const Credential* found, const AuthContext& ctx) {
  if (found == nullptr || found->kind != CredentialKind::kPassword || login.empty()) {
    return Check{};
  }
  if (!world.instance().password_authentication_enabled_for_git) {
    return Rejected(AuthFailure::kPasswordAuthDisabled);
  }
  const User* user = world.FindUser(login);
  if (user == nullptr) user = world.FindUserByEmail(login);
  if (user == nullptr || !EqualsIgnoreAsciiCase(user->username, found->user)) {
    return Rejected(AuthFailure::kWrongUsername);
  }
  if (!CanLogInWithNonExpiredPassword(*user)) return Rejected(LogInFailure(*user));
  // NEGATIVE CONTROL accept-password-with-2fa: a 2FA user's password authenticates.
  if (user->two_factor && !ctx.misbehaviours.Has(Misbehaviour::kAcceptPasswordWith2fa)) {
    return Unexpected<AuthFailure>(AuthFailure::kTwoFactorRequired);
  }
  AuthResult r;
  r.type = AuthType::kGitLabOrLdap;
  r.credential = found;
  r.user = user;
  r.abilities = FullAuthenticationAbilities();
  return Matched(r);
}

// ---------------------------------------------------------------------------------------------
// Policy facts (§3.7, §9)
// ---------------------------------------------------------------------------------------------

// RegistryLevel is the project's container_registry_access_level.
// NEGATIVE CONTROL ignore-registry-access-level: every project's registry counts as ENABLED.
// GitLab: app/policies/project_policy.rb#access_allowed_to? (project_feature.access_level(:container_registry)) @ gitlab-fork@431c9f73
RegistryAccessLevel RegistryLevel(const Project& project, const Misbehaviours& m) {
  if (m.Has(Misbehaviour::kIgnoreRegistryAccessLevel)) return RegistryAccessLevel::kEnabled;
  return project.container_registry_access_level;
}

// ArchivedBlocksWrites: archived projects refuse create/update/destroy/admin of container images
// to users and deploy tokens (push and delete; pull still works) (§9). Job tokens push to their
// own project without a policy check, so archiving does not stop them.
// NEGATIVE CONTROL ignore-archived: archived projects accept pushes (and deletes).
// GitLab: app/policies/project_policy.rb#rule { archived }.policy (prevent(*archived_abilities)) @ gitlab-fork@431c9f73
bool ArchivedBlocksWrites(const Project& project, const Misbehaviours& m) {
  return project.archived && !m.Has(Misbehaviour::kIgnoreArchived);
}

// MinAdminRole: admin_container_image (delete, `*`) needs maintainer+ (§3.7).
// NEGATIVE CONTROL grant-delete-to-developers: developers get it too.
// GitLab: app/policies/project_policy.rb#rule { can?(:maintainer_access) }.policy (enable :admin_container_image) @ gitlab-fork@431c9f73
Role MinAdminRole(const Misbehaviours& m) {
  return m.Has(Misbehaviour::kGrantDeleteToDevelopers) ? Role::kDeveloper : Role::kMaintainer;
}

// UserCanReadImages is ProjectPolicy read_container_image for a user, or for nobody (`user` null:
// anonymous callers, and deploy tokens through the public rule):
//   - admins always (admin mode is bypassed at /jwt/auth, §3.9);
//   - registry PRIVATE: reporter+ (PRIVATE_FEATURES_MIN_ACCESS_LEVEL, §9), whatever the
//     visibility;
//   - registry ENABLED: public → anyone; internal → any signed-in non-external user, or an
//     external member (guest+, the `~private_project & guest & external_user` rule); private →
//     reporter+ (a guest cannot pull, §3.7).
// GitLab: app/policies/project_policy.rb#rule { can?(:public_access) }.policy (enable :read_container_image) @ gitlab-fork@431c9f73
// GitLab: app/policies/project_policy.rb#rule { ~private_project & guest & external_user }.enable :read_container_image @ gitlab-fork@431c9f73
// GitLab: app/policies/project_policy.rb#condition(:container_registry_disabled) @ gitlab-fork@431c9f73
bool UserCanReadImages(const World& world, const User* user, const Project& project,
                       const Misbehaviours& m) {
  if (user != nullptr && user->admin) return true;
  const int level = user != nullptr ? Level(EffectiveRole(world, *user, project)) : 0;
  const int reporter = static_cast<int>(Role::kReporter);
  if (RegistryLevel(project, m) == RegistryAccessLevel::kPrivate) return level >= reporter;
  switch (project.visibility) {
    case Visibility::kPublic:
      return true;
    case Visibility::kInternal:
      return user != nullptr && (!user->external || level >= static_cast<int>(Role::kGuest));
    case Visibility::kPrivate:
      return level >= reporter;
  }
  return false;
}

// JobTokenAllowlisted is Ci::JobToken::Scope#accessible?: the job runs in the target itself;
// or both directions admit it — outbound: the job project's outbound setting is off, the target
// is not private, or the job project's outbound allowlist names it; inbound: the target's
// setting is off (every project counts as allowed, §9), or its allowlist names the job's
// project or a group containing it.
// NEGATIVE CONTROL ignore-job-token-allowlist: both allowlists are skipped.
// GitLab: app/models/ci/job_token/scope.rb#accessible? / inbound_accessible? @ gitlabhq@039951a8
// GitLab: app/models/ci/job_token/scope.rb#outbound_accessible? @ gitlabhq@039951a8
bool JobTokenAllowlisted(const Project& source, const Project& target, const Misbehaviours& m) {
  if (m.Has(Misbehaviour::kIgnoreJobTokenAllowlist) || source.id == target.id) return true;
  if (source.job_token_scope.outbound_enabled && target.visibility == Visibility::kPrivate) {
    const auto& out = source.job_token_scope.outbound_allowlist;
    const bool listed = std::any_of(out.begin(), out.end(), [&](const std::string& path) {
      return EqualsIgnoreAsciiCase(path, target.path);
    });
    if (!listed) return false;
  }
  if (!target.job_token_scope.inbound_enabled) return true;
  for (const protocol::AllowlistEntry& e : target.job_token_scope.allowlist) {
    if (e.kind == protocol::AllowlistEntry::Kind::kProject &&
        EqualsIgnoreAsciiCase(e.path, source.path)) {
      return true;
    }
    if (e.kind == protocol::AllowlistEntry::Kind::kGroup && InGroup(source, e.path)) return true;
  }
  return false;
}

// BuildCanReadImages is ProjectPolicy build_read_container_image on a project other than the
// job's own, as the service asks it (build_can_pull?: `can?(current_user,
// :build_read_container_image, requested_project)`). Source: gitlabhq app/policies/
// project_policy.rb, read at 0x73746F70626F74686572696E676D65/gitlab-fork@431c9f73 (GitLab 17.x,
// `~public_project & ~internal_access & ~project_allowed_for_job_token`) and at the 17.8+ copy
// of the file (`~project_allowed_for_job_token` with `public_project? || internal_access? ||
// project_allowed_for_job_token_by_scope?`): the same rules in both. S below is
// `@user.ci_job_token_scope.accessible?(project)` (JobTokenAllowlisted).
//   - A job without a user (`:ci`, item 2): `job_token_access_allowed_to?` starts with `return
//     false unless @user&.from_ci_job_token?` and `public_user_access` needs `~anonymous`; the
//     anonymous public_access gives read_container_image, never build_read_container_image. So
//     such a job reads only its own project (the service's `requested_project == project`).
//   - `rule { ~project_allowed_for_job_token }.prevent_all`: a private target without S, and an
//     internal one without S for an external job user (`internal_access` is
//     `project.internal? && !user.external?`, item 3), give nothing at all.
//   - `rule { public_or_internal & job_token_container_registry }` enables
//     build_read_container_image; `job_token_access_allowed_to?(:container_registry)` is true for
//     ENABLED and S for PRIVATE — no role (item 1). `container_registry_disabled` prevents
//     create/read/update/admin/destroy_container_image, not build_read_container_image.
//   - Otherwise `rule { guest & can?(:read_container_image) }`: a member (any role, `guest` is
//     team_member?) who can read images: reporter_access (prevented by `public_or_internal &
//     ~project_allowed_for_job_token_by_scope`), or `~private_project & guest & external_user`;
//     read_container_image is prevented by container_registry_disabled (PRIVATE below reporter).
//     Admin status does not count ("not allowed to admins that are not members"; newer
//     BasePolicy `admin` is false for job-token users outright).
// GitLab: app/policies/project_policy.rb#rule { public_or_internal & job_token_container_registry }.policy @ gitlab-fork@431c9f73
// GitLab: app/policies/project_policy.rb#rule { ~public_project & ~internal_access & ~project_allowed_for_job_token }.prevent_all @ gitlab-fork@431c9f73
// GitLab: app/policies/project_policy.rb#rule { guest & can?(:read_container_image) }.enable :build_read_container_image @ gitlab-fork@431c9f73
// GitLab: app/policies/project_policy.rb#job_token_access_allowed_to? @ gitlab-fork@431c9f73
bool BuildCanReadImages(const World& world, const AuthResult& auth, const Project& project,
                        const Misbehaviours& m) {
  if (auth.user == nullptr || auth.project == nullptr) return false;  // `:ci`: own project only
  const bool allowlisted = JobTokenAllowlisted(*auth.project, project, m);
  const bool is_public = project.visibility == Visibility::kPublic;
  const bool is_internal = project.visibility == Visibility::kInternal;
  const bool external = auth.user->external;
  if (!is_public && !(is_internal && !external) && !allowlisted) return false;  // prevent_all
  const bool enabled = RegistryLevel(project, m) == RegistryAccessLevel::kEnabled;
  if ((is_public || is_internal) && (enabled || allowlisted)) return true;
  // Left: a private project with S, or a public/internal one with a PRIVATE registry without S.
  const std::optional<Role> role = EffectiveRole(world, *auth.user, project);
  if (!role) return false;                                        // `guest` (team_member?) fails
  if (!enabled && !AtLeast(role, Role::kReporter)) return false;  // container_registry_disabled
  if (project.visibility == Visibility::kPrivate) return AtLeast(role, Role::kReporter);
  return external;  // reporter_access prevented; `~private_project & guest & external_user`
}

// DeployTokenHasAccessTo: a project deploy token covers its project; a group deploy token every
// project in the group and its subgroups (§3.7, §9).
// GitLab: app/policies/project_policy.rb#condition(:read_container_image_deploy_token) (`user.has_access_to?(project)`) @ gitlab-fork@431c9f73
bool DeployTokenHasAccessTo(const Credential& token, const Project& project) {
  if (token.kind == CredentialKind::kDeployToken)
    return EqualsIgnoreAsciiCase(token.project, project.path);
  if (token.kind == CredentialKind::kGroupDeployToken) return InGroup(project, token.group);
  return false;
}

// DeployTokenCanReadImages is ProjectPolicy read_container_image for a deploy token (item 4).
// Source: gitlabhq app/policies/project_policy.rb (both copies named at BuildCanReadImages) and
// app/models/concerns/policy_actor.rb (`external?` is false, DeployToken includes PolicyActor):
//   - `read_container_image_deploy_token` (`has_access_to?(project) && read_registry?`);
//   - or public_access: a DeployToken is neither anonymous nor external, so
//     `(~anonymous & public_project) | internal_access` enables public_user_access → public_access
//     → read_container_image on public AND internal projects;
//   - `container_registry_disabled` for a DeployToken is `(!read_registry? && !write_registry?)
//     || revoked? || !project.container_registry_enabled?`: a PRIVATE registry does not block.
// So a foreign read_registry deploy token pulls every public and internal project whose registry
// is not DISABLED. GitLab's RSpec ('when deploy token is not related to the project') only uses a
// token without read_registry (it pulls public-ENABLED as an anonymous caller), so it does not
// contradict this.
// GitLab: app/policies/project_policy.rb#condition(:read_container_image_deploy_token) @ gitlab-fork@431c9f73
// GitLab: app/policies/project_policy.rb#rule { (~anonymous & public_project) | internal_access }.policy @ gitlab-fork@431c9f73
// GitLab: app/policies/project_policy.rb#condition(:container_registry_disabled) (DeployToken branch) @ gitlab-fork@431c9f73
bool DeployTokenCanReadImages(const Credential& token, const Project& project) {
  if (!HasScope(token, "read_registry")) return false;
  if (DeployTokenHasAccessTo(token, project)) return true;
  return project.visibility == Visibility::kPublic || project.visibility == Visibility::kInternal;
}

// ---------------------------------------------------------------------------------------------
// Per-action decision (§3.6)
// ---------------------------------------------------------------------------------------------

// GitLab: app/services/auth/container_registry_authentication_service.rb#build_can_push? (`requested_project == project`) @ gitlabhq@de09f039
bool IsJobProject(const AuthResult& auth, const Project& project) {
  return (auth.type == AuthType::kBuild || auth.type == AuthType::kCi) &&
         SameProject(auth.project, project);
}

// build_can_pull?: its own project always; others per BuildCanReadImages.
// GitLab: app/services/auth/container_registry_authentication_service.rb#build_can_pull? @ gitlabhq@de09f039
bool BuildCanPull(const World& world, const AuthResult& auth, const Project& project,
                  const Misbehaviours& m) {
  return auth.abilities.Has(Ability::kBuildReadContainerImage) &&
         (IsJobProject(auth, project) || BuildCanReadImages(world, auth, project, m));
}

// build_can_push?: only the job's own project, never cross-project (§3.6).
// NEGATIVE CONTROL job-token-cross-project-push: any project the job can pull from.
// GitLab: app/services/auth/container_registry_authentication_service.rb#build_can_push? @ gitlabhq@de09f039
bool BuildCanPush(const World& world, const AuthResult& auth, const Project& project,
                  const Misbehaviours& m) {
  if (!auth.abilities.Has(Ability::kBuildCreateContainerImage)) return false;
  if (IsJobProject(auth, project)) return true;
  return m.Has(Misbehaviour::kJobTokenCrossProjectPush) &&
         BuildCanReadImages(world, auth, project, m);
}

// build_can_delete?: only the job's own project.
// GitLab: app/services/auth/container_registry_authentication_service.rb#build_can_delete? @ gitlabhq@de09f039
bool BuildCanDelete(const AuthResult& auth, const Project& project) {
  return auth.abilities.Has(Ability::kBuildDestroyContainerImage) && IsJobProject(auth, project);
}

// user_can_pull?: read_container_image ability and policy. Evaluated with current_user, which is
// nil for anonymous callers and deploy tokens (so they get the public rule).
// NEGATIVE CONTROL anonymous-private-pull: anonymous callers may pull every project.
// GitLab: app/services/auth/container_registry_authentication_service.rb#user_can_pull? @ gitlabhq@de09f039
bool UserCanPull(const World& world, const AuthResult& auth, const Project& project,
                 const Misbehaviours& m) {
  if (!auth.abilities.Has(Ability::kReadContainerImage)) return false;
  if (auth.anonymous() && m.Has(Misbehaviour::kAnonymousPrivatePull)) return true;
  return UserCanReadImages(world, auth.user, project, m);
}

// user_can_push?: create_container_image ability and policy (developer+, or admin; not archived).
// GitLab: app/services/auth/container_registry_authentication_service.rb#user_can_push? @ gitlabhq@de09f039
// GitLab: app/policies/project_policy.rb#rule { can?(:developer_access) }.policy (enable :create_container_image) @ gitlab-fork@431c9f73
bool UserCanPush(const World& world, const AuthResult& auth, const Project& project,
                 const Misbehaviours& m) {
  if (!auth.abilities.Has(Ability::kCreateContainerImage) || auth.user == nullptr) return false;
  if (ArchivedBlocksWrites(project, m)) return false;
  return auth.user->admin || AtLeast(EffectiveRole(world, *auth.user, project), Role::kDeveloper);
}

// user_can_admin?: admin_container_image ability and policy (maintainer+, or admin; not
// archived).
// GitLab: app/services/auth/container_registry_authentication_service.rb#user_can_admin? @ gitlabhq@de09f039
bool UserCanAdmin(const World& world, const AuthResult& auth, const Project& project,
                  const Misbehaviours& m) {
  if (!auth.abilities.Has(Ability::kAdminContainerImage) || auth.user == nullptr) return false;
  if (ArchivedBlocksWrites(project, m)) return false;
  return auth.user->admin || AtLeast(EffectiveRole(world, *auth.user, project), MinAdminRole(m));
}

// deploy_token_can_pull?
// GitLab: app/services/auth/container_registry_authentication_service.rb#deploy_token_can_pull? @ gitlabhq@de09f039
bool DeployTokenCanPull(const AuthResult& auth, const Project& project) {
  return auth.abilities.Has(Ability::kReadContainerImage) && auth.deploy_token != nullptr &&
         DeployTokenCanReadImages(*auth.deploy_token, project);
}

// deploy_token_can_push?: write_registry and access to the project; not archived.
// GitLab: app/services/auth/container_registry_authentication_service.rb#deploy_token_can_push? @ gitlabhq@de09f039
// GitLab: app/policies/project_policy.rb#condition(:create_container_image_deploy_token) @ gitlab-fork@431c9f73
bool DeployTokenCanPush(const AuthResult& auth, const Project& project, const Misbehaviours& m) {
  return auth.abilities.Has(Ability::kCreateContainerImage) && auth.deploy_token != nullptr &&
         HasScope(*auth.deploy_token, "write_registry") &&
         DeployTokenHasAccessTo(*auth.deploy_token, project) && !ArchivedBlocksWrites(project, m);
}

// ---------------------------------------------------------------------------------------------
// Scope processing (§3.5)
// ---------------------------------------------------------------------------------------------

// The reference server's own bounds on one scope (GitLab has none). They are far above anything
// a client sends, so they only stop abuse; a scope over them is dropped (kTooLarge).
constexpr std::size_t kMaxScopeBytes = 8192;
constexpr std::size_t kMaxScopeActions = 1024;

// process_registry_access: only an admin's `registry:catalog:*` exactly (actions == ['*']).
// NEGATIVE CONTROL catalog-for-everyone: every authenticated caller qualifies.
// GitLab: app/services/auth/container_registry_authentication_service.rb#process_registry_access @ gitlabhq@de09f039
bool CatalogAllowed(const AuthResult& auth, std::string_view name,
                    const std::vector<std::string>& actions, const Misbehaviours& m) {
  if (name != "catalog" || actions != std::vector<std::string>{"*"}) return false;
  if (m.Has(Misbehaviour::kCatalogForEveryone)) return !auth.anonymous();
  return auth.user != nullptr && auth.user->admin;
}

// RepositoryProject is ContainerRegistry::Path#repository_project: among the path's three
// longest prefixes (the path itself and its two parents: LEVELS_SUPPORTED = 3, so an image sits
// at most two levels below its project), the longest that is a project.
// GitLab: lib/container_registry/path.rb#repository_project (`Project.where_full_path_in(components.first(3))`) @ gitlabhq@003a51d1
const Project* RepositoryProject(const World& world, std::string_view path) {
  std::string_view node = path;
  for (int level = 0; level < 3; ++level) {
    if (const Project* p = world.FindProject(node)) return p;
    const std::size_t slash = node.rfind('/');
    if (slash == std::string_view::npos) return nullptr;
    node = node.substr(0, slash);
  }
  return nullptr;
}

// GitLab: app/services/auth/container_registry_authentication_service.rb#process_scope / process_repository_access @ gitlabhq@de09f039
ScopeDecision ProcessScope(const World& world, const AuthResult& auth, const std::string& scope,
                           const Misbehaviours& m) {
  ScopeDecision d;
  d.scope = scope;
  // `type, name, actions = scope.split(':', 3); actions = actions.split(',')`.
  protocol::ScopeOptions options;
  options.dialect = protocol::ScopeDialect::kGitLab;
  options.limits.max_scope_length = kMaxScopeBytes;
  options.limits.max_actions = kMaxScopeActions;
  auto parsed = protocol::ParseScope(scope, options);
  if (!parsed) {
    // Fewer than two ':' leave `actions` nil and GitLab raises NoMethodError: gitlabhq
    // app/services/auth/container_registry_authentication_service.rb @de09f039 process_scope
    // (`actions = actions.split(',')`), rescued neither there nor in JwtController#auth → 500
    // (issue 8 item 8). DIVERGENCE, recorded by token-spec/scope/fewer-than-two-colons and
    // no-colon (any_but_5xx): the reference server does what a hardened GitLab should and drops
    // the scope, so one bad scope neither crashes the request nor spoils the others.
    d.outcome = parsed.error().code == protocol::ScopeError::kGitLabWouldRaise
                    ? ScopeOutcome::kMissingActions
                    : ScopeOutcome::kTooLarge;
    return d;
  }
  d.type = parsed->type;
  d.name = parsed->name;
  d.requested_actions = parsed->actions;

  if (d.type == "registry") {
    if (CatalogAllowed(auth, d.name, d.requested_actions, m)) {
      d.granted_actions = {"*"};
      d.outcome = ScopeOutcome::kGranted;
    } else {
      d.outcome = ScopeOutcome::kCatalogDenied;
    }
    return d;
  }
  if (d.type != "repository") {
    d.outcome = ScopeOutcome::kUnknownType;  // `case type` has no branch: nil
    return d;
  }
  // ContainerRegistry::Path: downcased, regex, ≥ 2 and < 20 components.
  auto path = protocol::ParseGitLabPath(d.name);
  if (!path) {
    d.outcome = ScopeOutcome::kInvalidPath;
    return d;
  }
  d.name = *path;
  d.project = RepositoryProject(world, d.name);
  if (d.project == nullptr) {
    d.outcome = ScopeOutcome::kNoProject;
    return d;
  }
  // `actions.select { |action| can_access?(requested_project, action) }`: request order,
  // duplicates kept, unknown actions dropped.
  for (const std::string& action : d.requested_actions) {
    if (CanAccess(world, auth, *d.project, action, m)) d.granted_actions.push_back(action);
  }
  d.ensures_repository = std::find(d.granted_actions.begin(), d.granted_actions.end(), "push") !=
                         d.granted_actions.end();
  d.outcome = d.granted_actions.empty() ? ScopeOutcome::kNothingGranted : ScopeOutcome::kGranted;
  return d;
}

// GlobMatchesIgnoreCase is `:repository_path ILIKE Gitlab::SQL::Glob.to_like(pattern)`: `*`
// matches any run of characters (slashes included), everything else itself, ASCII case ignored.
// GitLab: app/models/container_registry/protection/rule.rb#for_repository_path (ILIKE Gitlab::SQL::Glob.to_like) @ gitlab-fork@4606b5ef
bool GlobMatchesIgnoreCase(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && AsciiLower(pattern[p]) == AsciiLower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// PushProtected is the service's repository_path_push_protected? (gate 4). Source: gitlabhq
// app/services/auth/container_registry_authentication_service.rb — the feature-flag copy
// joolstorrentecalo/gitlab-foss@60c6064f (`return false if
// Feature.disabled?(:container_registry_protected_containers, project)`, no admin exemption) and
// @de09f039 (17.8+, GA: `return false if current_user&.can_admin_all_resources?`) — and
// app/models/container_registry/protection/rule.rb `for_push_exists?` (`return false if
// access_level.blank? || repository_path.blank?`; `:access_level < minimum_access_level_for_push`
// over the rules whose pattern ILIKE-matches the path). It looks at the processed scopes, i.e.
// at the actions already granted: a scope granted `push` or `*` on a path protected above
// `current_user&.max_member_access_for_project` makes the whole answer 403. Without a
// current_user (deploy tokens, jobs without a user) the access level is nil and nothing is
// protected; a user without membership has level 0 (NO_ACCESS).
// GitLab: app/services/auth/container_registry_authentication_service.rb#repository_path_push_protected? @ gitlabhq@de09f039
// GitLab: app/services/auth/container_registry_authentication_service.rb#repository_path_push_protected? (feature-flag era) @ gitlab-foss@60c6064f
// GitLab: app/models/container_registry/protection/rule.rb#for_push_exists? @ gitlab-fork@4606b5ef
bool PushProtected(const World& world, const AuthResult& auth,
                   const std::vector<ScopeDecision>& decisions) {
  const protocol::ProtectedContainers mode = world.instance().protected_containers;
  if (mode == protocol::ProtectedContainers::kOff) return false;
  if (auth.user == nullptr) return false;  // access_level nil: for_push_exists? is false
  if (mode == protocol::ProtectedContainers::kGa && auth.user->admin) return false;
  for (const ScopeDecision& d : decisions) {
    if (d.outcome != ScopeOutcome::kGranted || d.project == nullptr) continue;
    const bool pushes = std::find(d.granted_actions.begin(), d.granted_actions.end(), "push") !=
                            d.granted_actions.end() ||
                        std::find(d.granted_actions.begin(), d.granted_actions.end(), "*") !=
                            d.granted_actions.end();
    if (!pushes) continue;
    const int level = Level(EffectiveRole(world, *auth.user, *d.project));
    for (const protocol::ContainerProtectionRule& rule : d.project->container_protection_rules) {
      if (rule.minimum_access_level_for_push &&
          level < static_cast<int>(*rule.minimum_access_level_for_push) &&
          GlobMatchesIgnoreCase(rule.repository_path_pattern, d.name)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

// Protected container tags (GitLab 17.9+ behind container_registry_protected_tags): `*` expands
// to push and delete, pull is not covered; admins (can_admin_all_resources?, admin mode does not
// apply at /jwt/auth) get an empty list per action; otherwise a rule denies its pattern for an
// action whose minimum level (maintainer 40, owner 50, admin 60) is above the caller's project
// authorization level (max_member_access_for_project: 0 without one).
// GitLab: app/services/auth/container_registry_authentication_service.rb#tag_deny_access_patterns @ gitlabhq@de09f039
// GitLab: app/models/container_registry/protection/tag_rule.rb#push_restricted? / delete_restricted? @ gitlabhq@9df378cb
std::optional<TagDenyPatterns> TagDenyAccessPatterns(const World& world, const AuthResult& auth,
                                                     const Project& project,
                                                     const std::vector<std::string>& actions) {
  if (auth.user == nullptr || !world.instance().protected_tags ||
      project.container_protection_tag_rules.empty()) {
    return std::nullopt;
  }
  std::vector<std::string> check;
  const bool star = std::find(actions.begin(), actions.end(), "*") != actions.end();
  for (const std::string& a : star ? std::vector<std::string>{"push", "delete"} : actions) {
    if (a != "pull" && std::find(check.begin(), check.end(), a) == check.end()) check.push_back(a);
  }
  TagDenyPatterns out;
  for (const std::string& a : check) out.emplace_back(a, std::vector<std::string>{});
  if (auth.user->admin) return out;
  const int level = Level(EffectiveRole(world, *auth.user, project));
  for (const protocol::ContainerProtectionTagRule& rule : project.container_protection_tag_rules) {
    for (auto& [action, patterns] : out) {
      const protocol::ProtectionLevel min = action == "push" ? rule.minimum_access_level_for_push
                                            : action == "delete"
                                                ? rule.minimum_access_level_for_delete
                                                : protocol::ProtectionLevel::kMaintainer;
      if ((action == "push" || action == "delete") && static_cast<int>(min) > level) {
        patterns.push_back(rule.tag_name_pattern);
      }
    }
  }
  return out;
}

// GitLab: app/controllers/jwt_controller.rb#additional_params (`auth_type: @authentication_result.type`) @ skratsch-solutions@47e1c312
std::string_view AuthTypeName(AuthType type) {
  switch (type) {
    case AuthType::kNone:
      return "none";
    case AuthType::kGitLabOrLdap:
      return "gitlab_or_ldap";
    case AuthType::kPersonalAccessToken:
      return "personal_access_token";
    case AuthType::kDeployToken:
      return "deploy_token";
    case AuthType::kBuild:
      return "build";
    case AuthType::kCi:
      return "ci";
    case AuthType::kOAuth:
      return "oauth";
  }
  return "unknown";
}

// GitLab: lib/gitlab/auth.rb#build_authentication_abilities / full_authentication_abilities (ability symbols) @ gitlab-fork@0961072f
std::string_view AbilityName(Ability ability) {
  switch (ability) {
    case Ability::kReadProject:
      return "read_project";
    case Ability::kDownloadCode:
      return "download_code";
    case Ability::kPushCode:
      return "push_code";
    case Ability::kReadContainerImage:
      return "read_container_image";
    case Ability::kCreateContainerImage:
      return "create_container_image";
    case Ability::kAdminContainerImage:
      return "admin_container_image";
    case Ability::kBuildDownloadCode:
      return "build_download_code";
    case Ability::kBuildPushCode:
      return "build_push_code";
    case Ability::kBuildReadContainerImage:
      return "build_read_container_image";
    case Ability::kBuildCreateContainerImage:
      return "build_create_container_image";
    case Ability::kBuildDestroyContainerImage:
      return "build_destroy_container_image";
  }
  return "unknown";
}

// GitLab: app/services/auth/container_registry_authentication_service.rb#has_registry_ability? (REGISTRY_LOGIN_ABILITIES) @ gitlabhq@de09f039
bool Abilities::HasRegistryAbility() const {
  return Has(Ability::kReadContainerImage) || Has(Ability::kCreateContainerImage) ||
         Has(Ability::kAdminContainerImage) || Has(Ability::kBuildReadContainerImage) ||
         Has(Ability::kBuildCreateContainerImage) || Has(Ability::kBuildDestroyContainerImage);
}

// GitLab: lib/gitlab/auth.rb#full_authentication_abilities (ability symbols) @ gitlab-fork@0961072f
std::vector<std::string_view> Abilities::Names() const {
  std::vector<std::string_view> out;
  for (unsigned i = 0; i <= static_cast<unsigned>(Ability::kBuildDestroyContainerImage); ++i) {
    if (Has(static_cast<Ability>(i))) out.push_back(AbilityName(static_cast<Ability>(i)));
  }
  return out;
}

// GitLab: lib/gitlab/auth.rb#read_only_authentication_abilities @ gitlab-fork@0961072f
Abilities ReadOnlyAuthenticationAbilities() {
  return {Ability::kReadProject, Ability::kDownloadCode, Ability::kReadContainerImage};
}

// GitLab: lib/gitlab/auth.rb#full_authentication_abilities @ gitlab-fork@0961072f
Abilities FullAuthenticationAbilities() {
  Abilities a = ReadOnlyAuthenticationAbilities();
  a |= {Ability::kPushCode, Ability::kCreateContainerImage, Ability::kAdminContainerImage};
  return a;
}

// GitLab: lib/gitlab/auth.rb#build_authentication_abilities @ pavankalisetti009@d4d72811
Abilities BuildAuthenticationAbilities() {
  return {Ability::kReadProject,
          Ability::kBuildDownloadCode,
          Ability::kBuildPushCode,
          Ability::kBuildReadContainerImage,
          Ability::kBuildCreateContainerImage,
          Ability::kBuildDestroyContainerImage};
}

// GitLab: lib/gitlab/auth.rb#abilities_for_scopes @ pavankalisetti009@d4d72811
Abilities AbilitiesForScopes(const std::vector<std::string>& scopes, const Misbehaviours& m) {
  Abilities a;
  for (const std::string& scope : scopes) {
    if (scope == "api") {
      a |= FullAuthenticationAbilities();
    } else if (scope == "read_api") {
      a |= ReadOnlyAuthenticationAbilities();
    } else if (scope == "read_registry") {
      a |= {Ability::kReadContainerImage};
      // NEGATIVE CONTROL grant-push-with-read-registry: read_registry alone grants push (to
      // PATs, access tokens and OAuth tokens; a deploy token's policy still wants write_registry).
      if (m.Has(Misbehaviour::kGrantPushWithReadRegistry)) a |= {Ability::kCreateContainerImage};
    } else if (scope == "write_registry") {
      a |= {Ability::kCreateContainerImage};
    } else if (scope == "read_repository") {
      a |= {Ability::kDownloadCode};
    } else if (scope == "write_repository") {
      a |= {Ability::kDownloadCode, Ability::kPushCode};
    }
  }
  return a;
}

// GitLab: app/controllers/jwt_controller.rb#authenticate_project_or_user (`Result.new(nil, nil, :none, read_only_authentication_abilities)`) @ skratsch-solutions@47e1c312
AuthResult AnonymousResult() {
  AuthResult r;
  r.type = AuthType::kNone;
  r.abilities = ReadOnlyAuthenticationAbilities();
  return r;
}

// GitLab: app/controllers/jwt_controller.rb#authenticate_project_or_user (every failure is render_access_denied, 401) @ skratsch-solutions@47e1c312
std::string_view CodeName(AuthFailure code) {
  switch (code) {
    case AuthFailure::kMalformedBasic:
      return "malformed_basic";
    case AuthFailure::kUnknownSecret:
      return "unknown_secret";
    case AuthFailure::kWrongUsername:
      return "wrong_username";
    case AuthFailure::kExpired:
      return "expired";
    case AuthFailure::kRevoked:
      return "revoked";
    case AuthFailure::kNoValidScope:
      return "no_valid_scope";
    case AuthFailure::kUserBlocked:
      return "user_blocked";
    case AuthFailure::kJobNotRunning:
      return "job_not_running";
    case AuthFailure::kJobErased:
      return "job_erased";
    case AuthFailure::kJobProjectPendingDelete:
      return "job_project_pending_delete";
    case AuthFailure::kBuildsDisabled:
      return "builds_disabled";
    case AuthFailure::kPasswordAuthDisabled:
      return "password_auth_disabled";
    case AuthFailure::kTwoFactorRequired:
      return "two_factor_required";
    case AuthFailure::kPasswordExpired:
      return "password_expired";
  }
  return "unknown";
}

// GitLab: lib/gitlab/auth.rb#personal_access_token_check (`state: 'active'`: not revoked, not expired) @ gitlab-fork@0961072f
protocol::CredentialState StateAt(const Credential& credential, protocol::CivilDate today) {
  if (credential.revoked) return CredentialState::kRevoked;
  if (credential.jwt_expired) return CredentialState::kExpired;
  if (!credential.expires_at) return CredentialState::kActive;
  if (*credential.expires_at < today) return CredentialState::kExpired;
  if (*credential.expires_at == today) return CredentialState::kExpiresToday;
  return CredentialState::kActive;
}

// GitLab: lib/gitlab/auth.rb#find_for_git_client @ gitlab-fork@0961072f
// GitLab: app/controllers/jwt_controller.rb#authenticate_project_or_user @ skratsch-solutions@47e1c312
Expected<AuthResult, AuthFailure> Authenticate(
    const World& world, const std::optional<protocol::BasicCredentials>& basic,
    const AuthContext& ctx) {
  // No Basic credentials: the controller's default result, anonymous with read-only abilities.
  if (!basic) return AnonymousResult();
  const std::string_view login = basic->username;
  // Every check starts with `return unless password.present?`; the index never matches "".
  const Credential* found =
      ctx.credentials != nullptr ? ctx.credentials->FindBySecret(basic->password) : nullptr;

  std::optional<AuthFailure> first_rejection;
  const auto consider = [&first_rejection](Check c) -> std::optional<AuthResult> {
    if (c.rejected && !first_rejection) first_rejection = c.rejected;
    return std::move(c.result);
  };
  // #1 service_request_check needs a project; /jwt/auth passes none. #3 lfs_token_check applies
  // to Git LFS paths only.
  if (auto r = consider(BuildAccessTokenCheck(world, login, found, ctx))) return *r;  // #2
  if (auto r = consider(OAuthAccessTokenCheck(world, found, ctx))) return *r;         // #4
  if (auto r = consider(PersonalAccessTokenCheck(world, found, ctx))) return *r;      // #5
  if (auto r = consider(DeployTokenCheck(world, login, found, ctx))) return *r;       // #6
  auto password = PasswordCheck(world, login, found, ctx);                            // #7
  if (!password) return Unexpected<AuthFailure>(password.error());
  if (auto r = consider(std::move(*password))) return *r;
  // Result::EMPTY: failed → 401.
  return Unexpected<AuthFailure>(first_rejection.value_or(AuthFailure::kUnknownSecret));
}

// GitLab: app/controllers/jwt_controller.rb#scopes_param (`scopes.flat_map(&:split)`) @ skratsch-solutions@47e1c312
std::vector<std::string> SplitScopeParams(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  };
  for (const std::string& v : values) {
    std::size_t i = 0;
    while (i < v.size()) {
      if (is_space(v[i])) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < v.size() && !is_space(v[j])) ++j;
      out.emplace_back(v.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

// GitLab: lib/gitlab/project_authorizations.rb#relations (personal projects at OWNER; inherited group levels) @ gitlabhq@08bc32af
// GitLab: app/policies/project_policy.rb#condition :owner (`project.owner == @user`) @ gitlab-fork@431c9f73
std::optional<Role> EffectiveRole(const World& world, const User& user, const Project& project) {
  std::optional<Role> best = world.DirectMembership(user.username, project.path);
  for (const protocol::Group* g : world.AncestorGroups(project.path)) {
    const std::optional<Role> r = world.DirectMembership(user.username, g->path);
    if (r && (!best || static_cast<int>(*r) > static_cast<int>(*best))) best = r;
  }
  // The owner of a personal namespace owns its projects (item 12): Gitlab::ProjectAuthorizations
  // #relations has `user.personal_projects.select_project_owner_for_project_authorization`
  // (gitlabhq lib/gitlab/project_authorizations.rb @08bc32af), and ProjectPolicy's `owner`
  // condition is `project.owner == @user` for them. GitLab's RSpec 'build authorized as user' →
  // 'when you are owner' (create(:project, namespace: current_user.namespace), no membership
  // added) expects the owner's job to pull its private personal project.
  if (project.personal && EqualsIgnoreAsciiCase(project.namespace_path, user.username)) {
    best = Role::kOwner;
  }
  return best;
}

// GitLab: app/services/auth/container_registry_authentication_service.rb#execute (error('UNAVAILABLE'/'DENIED', …)) @ gitlabhq@de09f039
std::string_view CodeName(Gate gate) {
  switch (gate) {
    case Gate::kPassed:
      return "passed";
    case Gate::kRegistryDisabled:
      return "registry_disabled";
    case Gate::kNoRegistryAbility:
      return "no_registry_ability";
    case Gate::kAnonymousNoScope:
      return "anonymous_no_scope";
    case Gate::kProtectedPath:
      return "protected_path";
  }
  return "unknown";
}

// GitLab: app/services/auth/container_registry_authentication_service.rb#process_scope / process_repository_access (the ways a scope yields nil) @ gitlabhq@de09f039
std::string_view CodeName(ScopeOutcome outcome) {
  switch (outcome) {
    case ScopeOutcome::kGranted:
      return "granted";
    case ScopeOutcome::kMissingActions:
      return "missing_actions";
    case ScopeOutcome::kTooLarge:
      return "too_large";
    case ScopeOutcome::kUnknownType:
      return "unknown_type";
    case ScopeOutcome::kInvalidPath:
      return "invalid_path";
    case ScopeOutcome::kNoProject:
      return "no_project";
    case ScopeOutcome::kCatalogDenied:
      return "catalog_denied";
    case ScopeOutcome::kNothingGranted:
      return "nothing_granted";
  }
  return "unknown";
}

// GitLab: app/services/auth/container_registry_authentication_service.rb#can_access? @ gitlabhq@de09f039
bool CanAccess(const World& world, const AuthResult& auth, const Project& project,
               std::string_view action, const Misbehaviours& m) {
  // `return false unless requested_project.container_registry_enabled?` (DISABLED).
  if (RegistryLevel(project, m) == RegistryAccessLevel::kDisabled) return false;
  if (action == "pull") {
    return BuildCanPull(world, auth, project, m) || UserCanPull(world, auth, project, m) ||
           DeployTokenCanPull(auth, project);
  }
  if (action == "push") {
    return BuildCanPush(world, auth, project, m) || UserCanPush(world, auth, project, m) ||
           DeployTokenCanPush(auth, project, m);
  }
  if (action == "delete") {
    return BuildCanDelete(auth, project) || UserCanAdmin(world, auth, project, m);
  }
  if (action == "*") return UserCanAdmin(world, auth, project, m);
  return false;
}

// GitLab: app/services/auth/container_registry_authentication_service.rb#execute @ gitlabhq@de09f039
Authorization Authorize(const World& world, const AuthResult& auth,
                        const std::vector<std::string>& scopes, const Misbehaviours& m) {
  Authorization out;
  // Gate 1: `registry.enabled` (gitlab.yml) → 404 UNAVAILABLE.
  if (!world.instance().registry_enabled) {
    out.gate = Gate::kRegistryDisabled;
    return out;
  }
  // Gate 2: has_registry_ability? → 403 DENIED "access forbidden".
  if (!auth.abilities.HasRegistryAbility()) {
    out.gate = Gate::kNoRegistryAbility;
    return out;
  }
  // NEGATIVE CONTROL keep-denied-resources: a repository of a known project, or the catalog,
  // that was granted nothing stays in `access` with `actions: []` (docker_auth's shape, §6.2).
  const bool keep_denied = m.Has(Misbehaviour::kKeepDeniedResources);
  for (const std::string& scope : scopes) {
    ScopeDecision d = ProcessScope(world, auth, scope, m);
    const bool denied = d.outcome == ScopeOutcome::kNothingGranted ||
                        (d.outcome == ScopeOutcome::kCatalogDenied && d.name == "catalog");
    if (d.outcome == ScopeOutcome::kGranted || (keep_denied && denied)) {
      out.access.push_back({d.type, d.name, d.granted_actions, d.project});
    }
    out.decisions.push_back(std::move(d));
  }
  // Gate 3: `unless scopes.any? || current_user || deploy_token || project` → 403: the anonymous
  // caller left with no usable scope (no scope, invalid, private, push-only, catalog).
  if (out.access.empty() && auth.user == nullptr && auth.deploy_token == nullptr &&
      auth.project == nullptr) {
    out.gate = Gate::kAnonymousNoScope;
  }
  // Gate 4: repository_path_push_protected? → 403 "Pushing to protected repository path
  // forbidden". The EE gates (storage limit, maintenance mode) are not modelled.
  if (out.gate == Gate::kPassed && PushProtected(world, auth, out.decisions)) {
    out.gate = Gate::kProtectedPath;
    out.access.clear();
  }
  return out;
}

}  // namespace regauth::server
