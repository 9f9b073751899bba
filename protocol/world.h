// world.h — the world model: who exists on the GitLab instance under test (users, groups,
// projects, CI jobs, credentials), parsed from a world file (cases/worlds/*.json, format in
// cases/worlds/README.md). The reference server answers like GitLab for this world; the scenario
// runner reads the same world to know which credentials to try against which projects.
//
// FACTS ONLY. Nothing here decides whether a credential may pull or push: that is GitLab policy,
// stated once in reference_server/ (code) and once in cases/ (data). The model exposes the raw
// facts those rules need: a credential's derived state (active / expires today / expired /
// revoked, at the load-time clock), its owner (UserOf: blocked? admin? 2FA?), its job
// (JobOf: running? erased?), direct memberships, group ancestry, project settings.
//
// Sans-I/O: the caller passes the file's text and a WorldContext carrying the clock and an
// environment lookup (secrets may be written "${ENV_VAR}", resolved at load).
//
// Loading validates everything and fails on the first problem with a WorldError naming the
// place (RFC 6901 JSON pointer) and what was expected; a message never contains a secret.
// Checked: JSON syntax and limits; unknown members (typos must not be silently ignored; only the
// annotations "$schema" and "$comment" are allowed in every object, with any value); member
// types; enum values (the message lists the allowed ones); path and username syntax (a simple
// check of GitLab's path characters — full container-repository-name validation is left to the
// users of the model); dangling references (a member naming an unknown user, a credential naming
// an unknown project/group/job, a subgroup whose parent is missing); duplicates (usernames,
// emails, paths — case-insensitively, as GitLab routes are —, ids, credential ids, secrets);
// GitLab data-model constraints (a project or subgroup may not be more visible than its group);
// missing or empty ${ENV} variables.
//
// Derived at load:
//   - bot users: each project/group access token implies a bot user (`bot_username`, default
//     project_<project id>_bot_<n> / group_<group id>_bot_<n>, n counting that project's or
//     group's access tokens from 1 in file order), a User with bot = true who is a direct member
//     of the project/group with the token's role;
//   - Credential::login_username: the owner's username (password, PAT, OAuth), the bot's (access
//     tokens: GitLab ignores the username for these, but a client must send one), the deploy
//     token's username (default gitlab+deploy-token-<n>, n counting deploy tokens from 1), or
//     gitlab-ci-token (job tokens, Gitlab::Auth::CI_JOB_USER);
//   - Credential::expires_at from absolute or relative dates, and Credential::state.
//
// Usage:
//   WorldContext ctx{now_unix, [](std::string_view name) { return LookupEnv(name); }};
//   auto world = ParseWorld(text, ctx);
//   if (!world) { std::cerr << DescribeWorldError(world.error()); return 2; }
//   for (const Credential& c : world->Credentials()) {
//     const User* owner = world->UserOf(c);       // nullptr for deploy tokens
//     if (c.state == CredentialState::kActive && owner && owner->state == UserState::kBlocked) ...
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/result.h"
#include "protocol/rfc3339.h"

namespace regauth::protocol {

// Visibility uses GitLab's Gitlab::VisibilityLevel values.
enum class Visibility { kPrivate = 0, kInternal = 10, kPublic = 20 };
// RegistryAccessLevel is the project's container_registry_access_level (ProjectFeature values).
enum class RegistryAccessLevel { kDisabled = 0, kPrivate = 10, kEnabled = 20 };
// Role uses GitLab's Gitlab::Access levels; static_cast<int>(role) is the level.
enum class Role {
  kGuest = 10,
  kPlanner = 15,
  kReporter = 20,
  kDeveloper = 30,
  kMaintainer = 40,
  kOwner = 50
};
enum class CredentialKind {
  kPassword,
  kPersonalAccessToken,
  kProjectAccessToken,
  kGroupAccessToken,
  kOAuthToken,
  kDeployToken,
  kGroupDeployToken,
  kJobToken,
};
// CredentialState is derived from `revoked` and `expires_at` at the load-time clock. Whether an
// expires-today token is accepted is policy (GitLab: a PAT expiring today is rejected).
enum class CredentialState { kActive, kExpiresToday, kExpired, kRevoked };
enum class JobStatus { kPending, kRunning, kCanceling, kSuccess, kFailed, kCanceled };
enum class UserState { kActive, kBlocked };
// ProtectionLevel is a protection rule's minimum access level (Gitlab::Access values; admin is
// GitLab's ADMIN = 60, above every membership).
enum class ProtectionLevel { kMaintainer = 40, kOwner = 50, kAdmin = 60 };
// ProtectedContainers says which GitLab enforces protected container repositories at /jwt/auth
// (the service's repository_path_push_protected?): kOff — GitLab 17.6 as shipped (feature flag
// container_registry_protected_containers off), rules are ignored; kFeatureFlag — 17.6 with the
// flag on, rules enforced for every user; kGa — 17.8 and later, enforced, instance admins exempt.
enum class ProtectedContainers { kOff, kFeatureFlag, kGa };

// Name returns the world-file spelling of a value ("private", "container_registry" levels
// "enabled|private|disabled", "developer", "personal_access_token", "expires_today", ...).
std::string_view Name(Visibility v);
std::string_view Name(RegistryAccessLevel v);
std::string_view Name(Role v);
std::string_view Name(CredentialKind v);
std::string_view Name(CredentialState v);
std::string_view Name(JobStatus v);
std::string_view Name(UserState v);
std::string_view Name(ProtectionLevel v);
std::string_view Name(ProtectedContainers v);

// Parse… accept exactly the spellings Name returns (case-sensitive), else nullopt.
std::optional<Visibility> ParseVisibility(std::string_view s);
std::optional<RegistryAccessLevel> ParseRegistryAccessLevel(std::string_view s);
std::optional<Role> ParseRole(std::string_view s);
std::optional<CredentialKind> ParseCredentialKind(std::string_view s);
std::optional<CredentialState> ParseCredentialState(std::string_view s);
std::optional<JobStatus> ParseJobStatus(std::string_view s);
std::optional<UserState> ParseUserState(std::string_view s);

// Instance: instance-wide settings. Every member is optional in the file; defaults are GitLab's.
struct Instance {
  std::string issuer = "gitlab-issuer";        // registry auth token issuer (gitlab.yml)
  std::string service = "container_registry";  // the only `service` the token endpoint knows
  bool admin_mode = false;                     // application setting admin_mode
  int64_t token_expire_delay_minutes = 5;      // container_registry_token_expire_delay
  bool password_authentication_enabled_for_git = true;
  bool registry_enabled = true;  // gitlab.yml registry.enabled
  ProtectedContainers protected_containers = ProtectedContainers::kOff;
  // protected_tags: the feature flag container_registry_protected_tags (GitLab 17.9+, off by
  // default): with it, a token's access[].meta carries tag_deny_access_patterns for projects with
  // tag protection rules.
  bool protected_tags = false;
};

struct User {
  std::string username;
  std::string email;  // "" when not given
  bool admin = false;
  bool external = false;
  UserState state = UserState::kActive;
  bool two_factor = false;
  // password_expired: the user's password_expires_at is in the past and the expiry applies
  // (GitLab User#password_expired_if_applicable?: not for bots, not for passwords GitLab set
  // itself). Such a user cannot log in with the password, a PAT, an OAuth token or a job.
  bool password_expired = false;
  // The id of the user's personal namespace (GitLab's namespaces table, shared with groups):
  // root_namespace_id in access[].meta for the user's personal projects. nullopt: not known.
  std::optional<int64_t> namespace_id;
  // bot: generated for a project/group access token (GitLab user_type project_bot), or a user
  // written with "user_type": "service_account" (GitLab's service accounts, Premium/Ultimate).
  bool bot = false;
  bool service_account = false;  // written as a service account (bot is true too)
  std::string bot_credential;    // the generating token's credential id ("" otherwise)
  std::string description;
};

struct Member {
  std::string user;  // username as written in the world (bots: as generated)
  Role role = Role::kGuest;

  friend bool operator==(const Member&, const Member&) = default;
};

struct Group {
  int64_t id = 0;
  std::string path;    // full path, e.g. "acme/platform"
  std::string parent;  // parent group's full path, "" for a top-level group
  Visibility visibility = Visibility::kPrivate;
  std::vector<Member> members;  // direct members, group access token bots included
  std::string description;
};

// AllowlistEntry: one entry of a project's inbound CI job token allowlist.
struct AllowlistEntry {
  enum class Kind { kProject, kGroup };
  Kind kind = Kind::kProject;
  std::string path;  // project or group full path (written "group:<path>" for groups)

  friend bool operator==(const AllowlistEntry&, const AllowlistEntry&) = default;
};

// JobTokenScope: the project's CI job token settings. Inbound ("Limit access to this project"):
// default on, with an empty allowlist (only the project's own jobs), as for new projects on
// current GitLab. Outbound ("Limit CI_JOB_TOKEN access", deprecated in 16.0, removed in 18.0):
// default off; when on, this project's jobs reach a *private* project only if it is on
// `outbound_allowlist` (projects only: Ci::JobToken::Scope#outbound_accessible?).
struct JobTokenScope {
  bool inbound_enabled = true;
  std::vector<AllowlistEntry> allowlist;
  bool outbound_enabled = false;
  std::vector<std::string> outbound_allowlist;  // project full paths, canonical spelling
};

// ContainerProtectionRule is one of a project's container registry protection rules
// (ContainerRegistry::Protection::Rule): a repository path pattern, starting with the project's
// path, where `*` matches any characters and the match ignores case (GitLab: ILIKE with
// Gitlab::SQL::Glob.to_like), and the minimum access level for push and for delete (at least one).
struct ContainerProtectionRule {
  std::string repository_path_pattern;
  std::optional<ProtectionLevel> minimum_access_level_for_push;
  std::optional<ProtectionLevel> minimum_access_level_for_delete;

  friend bool operator==(const ContainerProtectionRule&, const ContainerProtectionRule&) = default;
};

// ContainerProtectionTagRule is one of a project's protected container tag rules
// (ContainerRegistry::Protection::TagRule, GitLab 17.9+): a tag name pattern (an RE2 regular
// expression at GitLab, up to 100 characters; kept as text here) and the minimum access level
// to push and to delete tags matching it. Immutable rules (both levels absent, GitLab Ultimate
// 18.1+) are not modelled.
struct ContainerProtectionTagRule {
  std::string tag_name_pattern;
  ProtectionLevel minimum_access_level_for_push = ProtectionLevel::kMaintainer;
  ProtectionLevel minimum_access_level_for_delete = ProtectionLevel::kMaintainer;

  friend bool operator==(const ContainerProtectionTagRule&,
                         const ContainerProtectionTagRule&) = default;
};

struct Project {
  int64_t id = 0;
  std::string path;            // full path, e.g. "acme/platform/lib"
  std::string namespace_path;  // the group (or user, for a personal project) it lives in
  bool personal = false;       // namespace_path is a username (whose owner GitLab treats as the
                          // project owner: policy, reference_server/token/policy.h EffectiveRole)
  Visibility visibility = Visibility::kPrivate;
  RegistryAccessLevel container_registry_access_level = RegistryAccessLevel::kEnabled;
  bool builds_enabled = true;
  bool repository_enabled = true;
  bool archived = false;
  bool pending_delete = false;
  std::vector<Member> members;  // direct members, project access token bots included
  JobTokenScope job_token_scope;
  std::vector<ContainerProtectionRule> container_protection_rules;
  std::vector<ContainerProtectionTagRule> container_protection_tag_rules;  // at most 5
  std::string description;
};

struct Job {
  int64_t id = 0;
  std::string project;              // full path
  std::optional<std::string> user;  // nullopt: a job without a user (legacy `:ci` auth type)
  JobStatus status = JobStatus::kPending;
  bool erased = false;
  std::string description;
};

struct Credential {
  std::string id;  // unique name within the world, e.g. "alice-pat-read"
  CredentialKind kind = CredentialKind::kPassword;
  std::string secret;          // resolved (never logged)
  std::string login_username;  // the username a client sends with this secret (see above)
  std::string user;            // owner: the user (password, PAT, OAuth), the bot (access tokens),
                               // the job's user (job tokens, "" without one); "" for deploy tokens
  std::string project;         // project access/deploy token: its project; job token: the job's
  std::string group;           // group access/deploy token: its group
  std::optional<int64_t> job;  // job token
  std::optional<Role> role;    // project/group access token
  std::string name;            // token name (deploy tokens: required; "gitlab-deploy-token" is
                               // the one CI exposes as CI_DEPLOY_USER/PASSWORD)
  std::vector<std::string> scopes;  // as written, in order
  bool revoked = false;
  std::optional<CivilDate> expires_at;  // UTC calendar date; nullopt: never expires
  bool jwt_expired = false;  // job token: a JWT-format token (GitLab's `ci_job_token_jwt`) whose
                             // `exp` has passed; GitLab cannot decode it and answers 401
  CredentialState state = CredentialState::kActive;
  std::string description;
};

// WorldContext: what ParseWorld needs from outside. `env` may be empty (every ${VAR} is then
// missing).
struct WorldContext {
  int64_t now_unix = 0;
  std::function<std::optional<std::string>(std::string_view)> env;
};

struct WorldLimits {
  std::size_t max_bytes = 4 * 1024 * 1024;  // whole file
  std::size_t max_depth = 16;               // JSON nesting
  std::size_t max_entities = 10000;         // per list (users, members, scopes, allowlist, ...)
  std::size_t max_string_bytes = 4096;      // per string (secrets, paths, descriptions, ...)
};

enum class WorldErrorCode {
  kTooLarge = 1,       // file, nesting, a list or a string over WorldLimits
  kSyntax,             // not RFC 8259 JSON (WorldError::offset says where), or a number beyond
                       // double range
  kDuplicateKey,       // a JSON object repeats a member name (offset of the repeat)
  kUnknownMember,      // a member the format does not define (typo protection)
  kMissingMember,      // a required member is absent
  kWrongType,          // a member has the wrong JSON type
  kBadEnumValue,       // a string outside the allowed set (the message lists it)
  kBadValue,           // right type, invalid value (path syntax, id <= 0, date, ${...} form)
  kDanglingReference,  // names a user, group, project or job that the world does not define
  kDuplicate,          // a second user/email/path/id/credential id/secret/password/member
  kConstraint,         // violates GitLab's data model (visibility above the parent's)
  kMissingEnvVar,      // a ${VAR} secret whose variable is unset or empty
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(WorldErrorCode code);

// WorldError says where and why ParseWorld failed. `pointer` is an RFC 6901 JSON pointer into
// the file ("" for the whole document); `message` says what was expected and never contains a
// secret; `offset` is the byte offset for kSyntax/kDuplicateKey/kTooLarge(file) and 0 otherwise.
struct WorldError {
  WorldErrorCode code = WorldErrorCode::kSyntax;
  std::string pointer;
  std::string message;
  std::size_t offset = 0;
};

// DescribeWorldError renders "<pointer>: <message> (<code>)", or "byte N: ..." for syntax errors.
std::string DescribeWorldError(const WorldError& error);

class World;

// ParseWorld parses and validates a world file. See the header comment for what is checked.
Expected<World, WorldError> ParseWorld(std::string_view json_text, const WorldContext& ctx,
                                       const WorldLimits& limits = {});

// World is an immutable, validated world. Lookups return pointers into the World (valid while
// it lives, unchanged by copies of it) or nullptr. Names (usernames, emails, paths) are matched
// case-insensitively, as GitLab matches routes and logins; ids and secrets exactly.
class World {
 public:
  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  const Instance& instance() const { return instance_; }
  // now_unix is the context clock the states were derived at; today() is its UTC date.
  int64_t now_unix() const { return now_unix_; }
  CivilDate today() const;

  // Entities in file order; generated bot users follow the people.
  const std::vector<User>& Users() const { return users_; }
  const std::vector<Group>& Groups() const { return groups_; }
  const std::vector<Project>& Projects() const { return projects_; }
  const std::vector<Job>& Jobs() const { return jobs_; }
  const std::vector<Credential>& Credentials() const { return credentials_; }

  const User* FindUser(std::string_view username) const;
  const User* FindUserByEmail(std::string_view email) const;
  const Group* FindGroup(std::string_view path) const;
  const Group* FindGroupById(int64_t id) const;
  const Project* FindProject(std::string_view path) const;
  const Project* FindProjectById(int64_t id) const;
  const Job* FindJob(int64_t id) const;
  const Credential* FindCredential(std::string_view id) const;
  const Credential* FindCredentialBySecret(std::string_view secret) const;

  // UserOf: the credential's owner (see Credential::user), or nullptr (deploy tokens, jobs
  // without a user). JobOf: the job token's job. ProjectOf / GroupOf: the project or group a
  // credential is bound to (access tokens, deploy tokens; ProjectOf also for job tokens).
  const User* UserOf(const Credential& c) const;
  const Job* JobOf(const Credential& c) const;
  const Project* ProjectOf(const Credential& c) const;
  const Group* GroupOf(const Credential& c) const;

  // AncestorGroups: the groups that are proper prefixes of `path` (a project, a group, or a
  // repository path below a project), root first. A personal project has none.
  std::vector<const Group*> AncestorGroups(std::string_view path) const;
  // ProjectsUnder: the projects in group `group_path` and all its subgroups, in file order.
  std::vector<const Project*> ProjectsUnder(std::string_view group_path) const;
  // DirectMembership: the role `username` holds directly on the project or group at `path`
  // (no inheritance from parent groups, no admin or visibility rules), or nullopt.
  std::optional<Role> DirectMembership(std::string_view username, std::string_view path) const;

 private:
  friend class WorldLoader;

  std::string name_;
  std::string description_;
  Instance instance_;
  int64_t now_unix_ = 0;
  std::vector<User> users_;
  std::vector<Group> groups_;
  std::vector<Project> projects_;
  std::vector<Job> jobs_;
  std::vector<Credential> credentials_;
  // Indexes into the vectors (indices, not pointers, so a copied World stays valid). Name keys
  // are ASCII-lower-cased.
  std::unordered_map<std::string, std::size_t> user_by_name_;
  std::unordered_map<std::string, std::size_t> user_by_email_;
  std::unordered_map<std::string, std::size_t> group_by_path_;
  std::unordered_map<int64_t, std::size_t> group_by_id_;
  std::unordered_map<std::string, std::size_t> project_by_path_;
  std::unordered_map<int64_t, std::size_t> project_by_id_;
  std::unordered_map<int64_t, std::size_t> job_by_id_;
  std::unordered_map<std::string, std::size_t> credential_by_id_;
  std::unordered_map<std::string, std::size_t> credential_by_secret_;
};

// CredentialsJson: what `regauth credentials` prints, in file order:
// [{"id","kind","username","secret","scopes":[...],"state"}] with `username` the login username
// and kind/state spelled as Name() does. It contains secrets: print it, never log it.
nlohmann::json CredentialsJson(const World& world);

}  // namespace regauth::protocol
