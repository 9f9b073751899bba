// facts.h — the facts of a (subject, resource) pair, computed from a world's raw facts, on which
// the matrix rules (harness/suite/rules.h, cases/matrix/*.json) decide GitLab's expected answer.
//
// This is the harness's own reading of the world (protocol/world.h), deliberately independent of
// reference_server/: the rules exist once as server code and once as data here, and a mistake
// in either shows up as a disagreement (ARCHITECTURE.md). Nothing here decides access; it only
// says who the caller is and how it relates to the project (cases/README.md "Facts"):
//   - effective role = the highest of the acting user's direct membership of the project and of
//     every ancestor group (World::AncestorGroups, DirectMembership); job tokens act as the
//     job's user; admins keep their role and carry user_admin;
//   - relation: deploy and access tokens own / group / other; job tokens own / allowlisted /
//     not-allowlisted / inbound-disabled (token-auth.md §3.7, §9: a "group:" allowlist entry
//     counts when it is the job project's group or an ancestor of it); users member /
//     non-member; anonymous none;
//   - state: the credential's state from the world, then blocked_user (owner blocked; a blocked
//     bot's access tokens, and its jobs on projects it can read, still log in) or
//     expired_password (a person whose password expired),
//     finished_job (job not running/canceling, or erased: token-auth.md §9), or the mutation
//     (wrong_secret / wrong_username).
// Abilities are not facts of the world: the rules engine fills Facts::abilities from its
// matrix's ability table.
//
// Usage:
//   Subject s = Subject::Of(*world.FindCredential("job-101"));
//   Facts f = ComputeFacts(world, s, world.FindProject("acme/private-enabled"));
//   if (f.relation == "allowlisted") ...
//   std::optional<FactValue> v = f.Get("visibility");        // generic access for rules
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/world.h"

namespace regauth::harness {

// Mutation changes a credential the way a wrong login does (cases/README.md token_request
// "mutate"): kWrongSecret sends the secret with its last character changed, kWrongUsername sends
// a username that is not the credential's login username.
enum class Mutation { kNone, kWrongSecret, kWrongUsername };
std::string_view MutationName(Mutation m);  // "", "wrong_secret", "wrong_username"
std::optional<Mutation> ParseMutation(std::string_view name);

// Subject is who asks for a token: a world credential (possibly mutated) or nobody.
struct Subject {
  const protocol::Credential* credential = nullptr;  // nullptr: anonymous
  Mutation mutation = Mutation::kNone;

  static Subject Anonymous() { return {}; }
  static Subject Of(const protocol::Credential& c, Mutation m = Mutation::kNone) { return {&c, m}; }
  bool anonymous() const { return credential == nullptr; }
  // Name is "anonymous", the credential id, or "<credential id>~<mutation>".
  std::string Name() const;
};

// FactValue is one fact as the rules engine sees it: a flag, an enum string, or a set of
// strings (scopes, abilities), sorted and unique.
using FactValue = std::variant<bool, std::string, std::vector<std::string>>;

// FactType classifies a fact for condition validation.
enum class FactType { kBool, kEnum, kSet };

// FactSpec describes one fact: its name, type and (enums, sets) the values it can take. An empty
// `values` for a set means "any string" (scopes are whatever a world uses).
struct FactSpec {
  std::string_view name;
  FactType type;
  std::vector<std::string_view> values;
};

// FactSchema lists every fact, in the order cases/README.md documents them.
const std::vector<FactSpec>& FactSchema();
// FindFact returns the spec of `name`, or nullptr.
const FactSpec* FindFact(std::string_view name);

// kRoleNames orders the roles: "none" < guest < planner < reporter < developer < maintainer <
// owner. RoleRank returns the index, or -1 for an unknown name.
const std::vector<std::string_view>& RoleNames();
int RoleRank(std::string_view role);

// Facts is the typed record. String members hold the enum spellings of FactSchema; "n/a" marks a
// project fact of the catalog resource (which has no project).
struct Facts {
  // Subject.
  std::string kind = "anonymous";      // protocol::Name(CredentialKind) or "anonymous"
  std::string state = "active";        // active|expires_today|expired|revoked|blocked_user|
                                       // expired_password|
                                       // finished_job|wrong_secret|wrong_username
  std::vector<std::string> scopes;     // the credential's token scopes, sorted, unique
  std::vector<std::string> abilities;  // filled by the rules engine, sorted, unique
  bool user_admin = false;             // the acting user (job tokens: the job's user)
  bool user_external = false;
  bool user_two_factor = false;
  bool user_bot = false;
  bool job_has_user = false;
  bool job_project_builds_enabled = true;
  bool job_project_pending_delete = false;
  // Instance.
  bool registry_enabled = true;
  bool password_authentication_enabled_for_git = true;
  std::string protected_containers = "off";  // off|feature_flag|ga (instance.protected_containers)
  // Resource.
  std::string resource = "repository";  // repository|catalog
  std::string role = "none";            // effective role of the acting user on the project
  std::string visibility = "n/a";       // public|internal|private|n/a
  std::string registry_access = "n/a";  // enabled|private|disabled|n/a
  bool archived = false;
  bool builds_enabled = true;
  bool repository_enabled = true;
  bool pending_delete = false;
  // The highest minimum_access_level_for_push among the project's container protection rules
  // whose pattern matches the project's own path (none|maintainer|owner|admin; "n/a" for the
  // catalog). A fact of the world: whether it stops anyone is the rules' business.
  std::string push_protection = "none";
  // tag_rules: the project has container protection tag rules and the instance sends them
  // (instance.protected_tags), so tokens carry tag_deny_access_patterns. False for the catalog.
  bool tag_rules = false;
  std::string relation = "none";  // see the header comment; "n/a" for the catalog

  // Get returns the fact called `name` (FactSchema spelling), or nullopt for an unknown name.
  std::optional<FactValue> Get(std::string_view name) const;
};

// ComputeFacts returns the facts of `subject` asking about `project` (nullptr: the registry
// catalog, resource "catalog"). The subject's credential must belong to `world`.
Facts ComputeFacts(const protocol::World& world, const Subject& subject,
                   const protocol::Project* project);

// EffectiveRole returns the highest role `username` holds on `project_path` directly or through
// any ancestor group, or nullopt; the owner of a personal namespace is `owner` of its projects
// (GitLab's project authorizations, issue 8 item 12).
std::optional<protocol::Role> EffectiveRole(const protocol::World& world, std::string_view username,
                                            std::string_view project_path);

// ActingUser returns the user a credential acts as: the owner (password, PAT, OAuth), the bot
// (access tokens), the job's user (job tokens), or nullptr (deploy tokens, jobs without user).
const protocol::User* ActingUser(const protocol::World& world, const protocol::Credential& c);

}  // namespace regauth::harness
