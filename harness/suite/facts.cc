#include "harness/suite/facts.h"

#include <algorithm>
#include <cctype>

#include "protocol/ascii.h"

namespace regauth::harness {
namespace {

namespace p = protocol;

std::vector<std::string> SortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// InGroup reports whether `path` (a project) lies in group `group_path` or one of its
// subgroups.
bool InGroup(const p::World& world, std::string_view path, std::string_view group_path) {
  for (const p::Group* g : world.AncestorGroups(path)) {
    if (p::EqualsIgnoreAsciiCase(g->path, group_path)) return true;
  }
  return false;
}

// LogsIn: whether GitLab lets the acting user of `c` authenticate (cases/README.md "Facts",
// state). A person logs in unless blocked or their password expired (User#
// can_log_in_with_non_expired_password?; bots are exempt from expiry). Bots' access tokens
// work even when the bot is blocked (personal_access_token_check: `|| project_bot? ||
// service_account?`), and a bot's job runs when the bot can read the job's project
// (build_access_token_check: bot_user_can_read_project?; read_project is a member's, or any
// non-external user's on an internal project, or anyone's on a public one).
bool LogsIn(const p::World& world, const p::Credential& c, const p::User& user) {
  const bool can_log_in =
      user.state == p::UserState::kActive && !(user.password_expired && !user.bot);
  if (can_log_in || !user.bot) return can_log_in;
  switch (c.kind) {
    case p::CredentialKind::kPersonalAccessToken:
    case p::CredentialKind::kProjectAccessToken:
    case p::CredentialKind::kGroupAccessToken:
      return true;
    case p::CredentialKind::kJobToken: {
      const p::Project* project = world.ProjectOf(c);
      if (project == nullptr) return false;
      if (project->visibility == p::Visibility::kPublic) return true;
      if (project->visibility == p::Visibility::kInternal && !user.external) return true;
      return EffectiveRole(world, user.username, project->path).has_value();
    }
    default:
      return false;
  }
}

// JobRelation: token-auth.md §3.7 (Ci::JobToken::Scope#accessible?) and §9: own project first,
// then the target's inbound setting (off → every project counts as allowed), then the
// allowlist: the job's project itself, or a "group:" entry naming the job project's group or an
// ancestor of it.
// The job project's outbound setting (Ci::JobToken::Scope#outbound_accessible?) comes before
// the target's inbound one: a private target missing from an enabled outbound allowlist is
// "not-allowlisted" whatever the target says.
std::string JobRelation(const p::World& world, const p::Project& job_project,
                        const p::Project& target) {
  if (p::EqualsIgnoreAsciiCase(job_project.path, target.path)) return "own";
  const p::JobTokenScope& outbound = job_project.job_token_scope;
  if (outbound.outbound_enabled && target.visibility == p::Visibility::kPrivate &&
      std::none_of(
          outbound.outbound_allowlist.begin(), outbound.outbound_allowlist.end(),
          [&](const std::string& path) { return p::EqualsIgnoreAsciiCase(path, target.path); })) {
    return "not-allowlisted";
  }
  if (!target.job_token_scope.inbound_enabled) return "inbound-disabled";
  for (const auto& entry : target.job_token_scope.allowlist) {
    if (entry.kind == p::AllowlistEntry::Kind::kProject) {
      if (p::EqualsIgnoreAsciiCase(entry.path, job_project.path)) return "allowlisted";
    } else if (InGroup(world, job_project.path, entry.path)) {
      return "allowlisted";
    }
  }
  return "not-allowlisted";
}

// LikeMatch is SQL `text ILIKE pattern` for a pattern whose only wildcard is `*` (GitLab's
// Gitlab::SQL::Glob.to_like turns `*` into `%` and escapes the rest): ASCII case ignored.
bool LikeMatch(std::string_view pattern, std::string_view text) {
  // can[j]: pattern[0, i) matches text[0, j), row by row over the pattern.
  std::vector<char> can(text.size() + 1, 0);
  can[0] = 1;
  for (char pc : pattern) {
    std::vector<char> next(text.size() + 1, 0);
    for (std::size_t j = 0; j <= text.size(); ++j) {
      if (pc == '*') {
        next[j] = can[j] || (j > 0 && next[j - 1]);
      } else if (j > 0 && can[j - 1] && p::AsciiLower(pc) == p::AsciiLower(text[j - 1])) {
        next[j] = 1;
      }
    }
    can.swap(next);
  }
  return can[text.size()] != 0;
}

// PushProtection: the highest minimum_access_level_for_push of the project's rules that match
// its own path ("none" without one).
std::string PushProtection(const p::Project& project) {
  int best = 0;
  for (const p::ContainerProtectionRule& rule : project.container_protection_rules) {
    if (rule.minimum_access_level_for_push &&
        LikeMatch(rule.repository_path_pattern, project.path)) {
      best = std::max(best, static_cast<int>(*rule.minimum_access_level_for_push));
    }
  }
  if (best == 0) return "none";
  return std::string(p::Name(static_cast<p::ProtectionLevel>(best)));
}

}  // namespace

std::string_view MutationName(Mutation m) {
  switch (m) {
    case Mutation::kNone:
      return "";
    case Mutation::kWrongSecret:
      return "wrong_secret";
    case Mutation::kWrongUsername:
      return "wrong_username";
  }
  return "";
}

std::optional<Mutation> ParseMutation(std::string_view name) {
  if (name == "wrong_secret") return Mutation::kWrongSecret;
  if (name == "wrong_username") return Mutation::kWrongUsername;
  return std::nullopt;
}

std::string Subject::Name() const {
  if (credential == nullptr) return "anonymous";
  if (mutation == Mutation::kNone) return credential->id;
  return credential->id + "~" + std::string(MutationName(mutation));
}

const std::vector<std::string_view>& RoleNames() {
  static const std::vector<std::string_view> kNames = {
      "none", "guest", "planner", "reporter", "developer", "maintainer", "owner"};
  return kNames;
}

int RoleRank(std::string_view role) {
  const auto& names = RoleNames();
  auto it = std::find(names.begin(), names.end(), role);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

const std::vector<FactSpec>& FactSchema() {
  static const std::vector<FactSpec> kSchema = {
      {"kind",
       FactType::kEnum,
       {"anonymous", "password", "personal_access_token", "project_access_token",
        "group_access_token", "oauth_token", "deploy_token", "group_deploy_token", "job_token"}},
      {"state",
       FactType::kEnum,
       {"active", "expires_today", "expired", "revoked", "blocked_user", "expired_password",
        "finished_job", "wrong_secret", "wrong_username"}},
      {"scopes", FactType::kSet, {}},
      {"abilities", FactType::kSet, {}},
      {"user_admin", FactType::kBool, {}},
      {"user_external", FactType::kBool, {}},
      {"user_two_factor", FactType::kBool, {}},
      {"user_bot", FactType::kBool, {}},
      {"job_has_user", FactType::kBool, {}},
      {"job_project_builds_enabled", FactType::kBool, {}},
      {"job_project_pending_delete", FactType::kBool, {}},
      {"registry_enabled", FactType::kBool, {}},
      {"password_authentication_enabled_for_git", FactType::kBool, {}},
      {"protected_containers", FactType::kEnum, {"off", "feature_flag", "ga"}},
      {"resource", FactType::kEnum, {"repository", "catalog"}},
      {"role",
       FactType::kEnum,
       {"none", "guest", "planner", "reporter", "developer", "maintainer", "owner"}},
      {"visibility", FactType::kEnum, {"public", "internal", "private", "n/a"}},
      {"registry_access", FactType::kEnum, {"enabled", "private", "disabled", "n/a"}},
      {"archived", FactType::kBool, {}},
      {"builds_enabled", FactType::kBool, {}},
      {"repository_enabled", FactType::kBool, {}},
      {"pending_delete", FactType::kBool, {}},
      {"push_protection", FactType::kEnum, {"none", "maintainer", "owner", "admin", "n/a"}},
      {"tag_rules", FactType::kBool, {}},
      {"relation",
       FactType::kEnum,
       {"own", "group", "other", "allowlisted", "not-allowlisted", "inbound-disabled", "member",
        "non-member", "none", "n/a"}},
  };
  return kSchema;
}

const FactSpec* FindFact(std::string_view name) {
  for (const auto& spec : FactSchema()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::optional<FactValue> Facts::Get(std::string_view name) const {
  if (name == "kind") return kind;
  if (name == "state") return state;
  if (name == "scopes") return scopes;
  if (name == "abilities") return abilities;
  if (name == "user_admin") return user_admin;
  if (name == "user_external") return user_external;
  if (name == "user_two_factor") return user_two_factor;
  if (name == "user_bot") return user_bot;
  if (name == "job_has_user") return job_has_user;
  if (name == "job_project_builds_enabled") return job_project_builds_enabled;
  if (name == "job_project_pending_delete") return job_project_pending_delete;
  if (name == "registry_enabled") return registry_enabled;
  if (name == "password_authentication_enabled_for_git") {
    return password_authentication_enabled_for_git;
  }
  if (name == "resource") return resource;
  if (name == "role") return role;
  if (name == "visibility") return visibility;
  if (name == "registry_access") return registry_access;
  if (name == "archived") return archived;
  if (name == "builds_enabled") return builds_enabled;
  if (name == "repository_enabled") return repository_enabled;
  if (name == "pending_delete") return pending_delete;
  if (name == "push_protection") return push_protection;
  if (name == "tag_rules") return tag_rules;
  if (name == "protected_containers") return protected_containers;
  if (name == "relation") return relation;
  return std::nullopt;
}

std::optional<p::Role> EffectiveRole(const p::World& world, std::string_view username,
                                     std::string_view project_path) {
  std::optional<p::Role> best = world.DirectMembership(username, project_path);
  for (const p::Group* g : world.AncestorGroups(project_path)) {
    auto r = world.DirectMembership(username, g->path);
    if (r && (!best || static_cast<int>(*r) > static_cast<int>(*best))) best = r;
  }
  // The owner of a personal namespace is the owner of its projects: GitLab computes
  // project_authorizations with `user.personal_projects` at OWNER level (gitlabhq
  // lib/gitlab/project_authorizations.rb #relations) — issue 8 item 12.
  if (const p::Project* pr = world.FindProject(project_path);
      pr != nullptr && pr->personal && p::EqualsIgnoreAsciiCase(pr->namespace_path, username)) {
    best = p::Role::kOwner;
  }
  return best;
}

const p::User* ActingUser(const p::World& world, const p::Credential& c) {
  if (c.kind == p::CredentialKind::kDeployToken || c.kind == p::CredentialKind::kGroupDeployToken) {
    return nullptr;
  }
  return world.UserOf(c);
}

Facts ComputeFacts(const p::World& world, const Subject& subject, const p::Project* project) {
  Facts f;
  f.registry_enabled = world.instance().registry_enabled;
  f.password_authentication_enabled_for_git =
      world.instance().password_authentication_enabled_for_git;
  f.protected_containers = std::string(p::Name(world.instance().protected_containers));

  const p::Credential* c = subject.credential;
  const p::User* user = nullptr;
  const p::Project* job_project = nullptr;
  if (c != nullptr) {
    f.kind = std::string(p::Name(c->kind));
    f.scopes = SortedUnique(c->scopes);
    user = ActingUser(world, *c);
    if (user != nullptr) {
      f.user_admin = user->admin;
      f.user_external = user->external;
      f.user_two_factor = user->two_factor;
      f.user_bot = user->bot;
    }
    // State: a mutation decides (the secret or username sent is wrong whatever the token's
    // state), then the world's credential state, then the owner, then the job.
    if (subject.mutation != Mutation::kNone) {
      f.state = std::string(MutationName(subject.mutation));
    } else if (c->state != p::CredentialState::kActive) {
      f.state = std::string(p::Name(c->state));
    } else if (user != nullptr && !LogsIn(world, *c, *user)) {
      f.state = user->state == p::UserState::kBlocked ? "blocked_user" : "expired_password";
    }
    if (c->kind == p::CredentialKind::kJobToken) {
      const p::Job* job = world.JobOf(*c);
      job_project = world.ProjectOf(*c);
      f.job_has_user = job != nullptr && job->user.has_value();
      if (job_project != nullptr) {
        f.job_project_builds_enabled = job_project->builds_enabled;
        f.job_project_pending_delete = job_project->pending_delete;
      }
      const bool live =
          job != nullptr && !job->erased &&
          (job->status == p::JobStatus::kRunning || job->status == p::JobStatus::kCanceling);
      if (!live && f.state == "active") f.state = "finished_job";
    }
  }

  if (project == nullptr) {
    f.resource = "catalog";
    f.relation = "n/a";
    f.push_protection = "n/a";
    return f;
  }
  f.visibility = std::string(p::Name(project->visibility));
  f.registry_access = std::string(p::Name(project->container_registry_access_level));
  f.archived = project->archived;
  f.builds_enabled = project->builds_enabled;
  f.repository_enabled = project->repository_enabled;
  f.pending_delete = project->pending_delete;
  f.push_protection = PushProtection(*project);
  f.tag_rules = world.instance().protected_tags && !project->container_protection_tag_rules.empty();
  if (user != nullptr) {
    if (auto role = EffectiveRole(world, user->username, project->path)) {
      f.role = std::string(p::Name(*role));
    }
  }

  if (c == nullptr) {
    f.relation = "none";
    return f;
  }
  switch (c->kind) {
    case p::CredentialKind::kPassword:
    case p::CredentialKind::kPersonalAccessToken:
    case p::CredentialKind::kOAuthToken:
      f.relation = f.role == "none" ? "non-member" : "member";
      break;
    case p::CredentialKind::kProjectAccessToken:
    case p::CredentialKind::kDeployToken: {
      const p::Project* own = world.ProjectOf(*c);
      f.relation =
          own != nullptr && p::EqualsIgnoreAsciiCase(own->path, project->path) ? "own" : "other";
      break;
    }
    case p::CredentialKind::kGroupAccessToken:
    case p::CredentialKind::kGroupDeployToken: {
      const p::Group* group = world.GroupOf(*c);
      f.relation =
          group != nullptr && InGroup(world, project->path, group->path) ? "group" : "other";
      break;
    }
    case p::CredentialKind::kJobToken:
      f.relation =
          job_project == nullptr ? "not-allowlisted" : JobRelation(world, *job_project, *project);
      break;
  }
  return f;
}

}  // namespace regauth::harness
