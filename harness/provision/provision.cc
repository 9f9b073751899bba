// provision.cc — see provision.h.
#include "harness/provision/provision.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

namespace regauth::harness::provision {
namespace {

using nlohmann::json;
using protocol::Credential;
using protocol::CredentialKind;
using protocol::CredentialState;
using protocol::Expected;
using protocol::Group;
using protocol::Project;
using protocol::User;
using protocol::World;

constexpr std::string_view kApi = "/api/v4";

protocol::Unexpected<std::string> Err(std::string message) {
  return protocol::Unexpected<std::string>(std::move(message));
}

// EncodePath percent-encodes everything but RFC 3986 unreserved characters ('/' → %2F): the
// `:id` of a project or group given as its full path.
std::string EncodePath(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string DateString(const protocol::CivilDate& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(d.year), d.month,
                d.day);
  return buf;
}

json Masked(const json& body) {
  if (body.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : body.items()) {
      out[k] = (k == "password" || k == "token") ? json("[masked]") : Masked(v);
    }
    return out;
  }
  if (body.is_array()) {
    json out = json::array();
    for (const json& v : body) out.push_back(Masked(v));
    return out;
  }
  return body;
}

std::string Message(const json& body) {
  if (body.is_object()) {
    for (const char* k : {"message", "error"}) {
      if (auto it = body.find(k); it != body.end()) {
        return it->is_string() ? it->get<std::string>() : it->dump();
      }
    }
  }
  return body.is_null() ? "" : body.dump();
}

int64_t IdOf(const json& body, const char* key = "id") {
  if (body.is_object()) {
    if (auto it = body.find(key); it != body.end() && it->is_number_integer()) {
      return it->get<int64_t>();
    }
  }
  return 0;
}

std::string_view LevelName(protocol::ProtectionLevel l) { return protocol::Name(l); }

// Run holds one provisioning pass: the ids the instance gave, what was skipped.
class Run {
 public:
  Run(const World& world, const Transport& transport, const Options& options)
      : w_(world), t_(transport), o_(options) {}

  Expected<Outcome, std::string> Provision();
  Expected<int, std::string> Deprovision();

 private:
  // Call makes one API call and accepts the listed statuses; anything else is an error naming
  // the call and GitLab's message.
  Expected<ApiResponse, std::string> Call(std::string method, std::string path, json body,
                                          std::initializer_list<int> ok) {
    ApiRequest r{std::move(method), std::string(kApi) + path, std::move(body)};
    ++out_.calls;
    auto res = t_(r);
    if (!res) return Err(r.method + " " + r.path + ": " + res.error());
    if (std::find(ok.begin(), ok.end(), res->status) == ok.end()) {
      return Err(r.method + " " + r.path + ": HTTP " + std::to_string(res->status) +
                 (res->body.is_null() ? "" : " " + Message(res->body)));
    }
    return std::move(*res);
  }

  std::string Name(std::string_view username_or_path) const {
    return o_.prefix + std::string(username_or_path);
  }
  void Skip(std::string what) { out_.skipped.push_back(std::move(what)); }

  Expected<void, std::string> Users();
  Expected<void, std::string> Groups();
  Expected<void, std::string> Projects();
  Expected<void, std::string> ProjectSettings(const Project& p, json& pj);
  Expected<void, std::string> Credentials();
  Expected<void, std::string> Token(const Credential& c, json& cj);
  Expected<void, std::string> Finish();
  Expected<void, std::string> Members(const std::string& base, const std::string& what,
                                      const std::vector<protocol::Member>& members, json& out);
  json InstanceJson() const;

  const World& w_;
  const Transport& t_;
  const Options& o_;
  Outcome out_;
  std::map<std::string, int64_t> user_ids_;  // world username → instance user id
  std::map<std::string, std::string> user_state_;
  std::map<std::string, std::string> passwords_;  // world username → password
  std::set<std::string> skipped_users_;
  std::map<std::string, int64_t> group_ids_, project_ids_;
  std::map<std::string, bool> archived_;       // project path → already archived
  std::map<std::string, int64_t> namespaces_;  // username → personal namespace id
  json users_ = json::array(), groups_ = json::array(), projects_ = json::array(),
       credentials_ = json::array();
};

json Run::InstanceJson() const {
  const protocol::Instance& i = w_.instance();
  return {{"issuer", i.issuer},
          {"service", i.service},
          {"admin_mode", i.admin_mode},
          {"token_expire_delay_minutes", i.token_expire_delay_minutes},
          {"password_authentication_enabled_for_git", i.password_authentication_enabled_for_git},
          {"registry_enabled", i.registry_enabled},
          {"protected_containers", std::string(protocol::Name(i.protected_containers))},
          {"protected_tags", i.protected_tags}};
}

Expected<void, std::string> Run::Users() {
  for (const User& u : w_.Users()) {
    if (!u.bot_credential.empty()) continue;  // created by GitLab with their access token
    if (u.service_account) {
      skipped_users_.insert(u.username);
      Skip("user " + u.username +
           ": service accounts are created by POST /service_accounts (GitLab Premium), which "
           "provision does not use");
      continue;
    }
    if (u.password_expired) {
      skipped_users_.insert(u.username);
      Skip("user " + u.username + ": a password's expiry cannot be set through the users API");
      continue;
    }
    if (u.two_factor) {
      skipped_users_.insert(u.username);
      Skip("user " + u.username + ": two-factor authentication cannot be enabled through the API");
      continue;
    }
    const std::string name = Name(u.username);
    const std::string email = Name(u.email.empty() ? u.username + "@example.invalid" : u.email);
    // The password: an earlier run's (env file), else a fresh one.
    std::string password;
    for (const Credential& c : w_.Credentials()) {
      if (c.kind == CredentialKind::kPassword && c.user == u.username) {
        if (auto it = o_.known_secrets.find(EnvVarName(c.id)); it != o_.known_secrets.end()) {
          password = it->second;
        }
      }
    }
    const bool fresh_password = password.empty();
    if (fresh_password) password = o_.random_password();
    auto found = Call("GET", "/users?username=" + EncodePath(name), nullptr, {200});
    if (!found) return Err(found.error());
    int64_t id = 0;
    if (found->body.is_array() && !found->body.empty()) {
      id = IdOf(found->body[0]);
      if (found->body[0].contains("state") && found->body[0]["state"].is_string()) {
        user_state_[u.username] = found->body[0]["state"].get<std::string>();
      }
      if (fresh_password) {  // an existing user whose password this run does not know
        auto put = Call("PUT", "/users/" + std::to_string(id), {{"password", password}}, {200});
        if (!put) return Err(put.error());
      }
    } else {
      json body = {{"username", name},         {"name", name},     {"email", email},
                   {"password", password},     {"admin", u.admin}, {"external", u.external},
                   {"skip_confirmation", true}};
      auto made = Call("POST", "/users", body, {201});
      if (!made) return Err(made.error());
      id = IdOf(made->body);
    }
    if (id <= 0) return Err("users API gave no id for " + name);
    user_ids_[u.username] = id;
    passwords_[u.username] = password;
    json uj = {{"username", name}, {"email", email}};
    if (u.admin) uj["admin"] = true;
    if (u.external) uj["external"] = true;
    if (u.state == protocol::UserState::kBlocked) uj["state"] = "blocked";
    if (!u.description.empty()) uj["description"] = u.description;
    users_.push_back(std::move(uj));
  }
  return {};
}

Expected<void, std::string> Run::Members(const std::string& base, const std::string& what,
                                         const std::vector<protocol::Member>& members, json& out) {
  out = json::array();
  for (const protocol::Member& m : members) {
    const User* u = w_.FindUser(m.user);
    if (u == nullptr || !u->bot_credential.empty()) continue;  // bots: through their token
    if (skipped_users_.count(u->username) != 0) {
      Skip("membership of " + u->username + " in " + what + ": the user was skipped");
      continue;
    }
    auto r =
        Call("POST", base + "/members",
             {{"user_id", user_ids_.at(u->username)}, {"access_level", static_cast<int>(m.role)}},
             {201, 409});
    if (!r) return Err(r.error());
    out.push_back({{"user", Name(u->username)}, {"role", std::string(protocol::Name(m.role))}});
  }
  return {};
}

Expected<void, std::string> Run::Groups() {
  std::vector<const Group*> order;
  for (const Group& g : w_.Groups()) order.push_back(&g);
  std::stable_sort(order.begin(), order.end(), [](const Group* a, const Group* b) {
    return std::count(a->path.begin(), a->path.end(), '/') <
           std::count(b->path.begin(), b->path.end(), '/');
  });
  for (const Group* g : order) {
    const std::string path = Name(g->path);
    auto found = Call("GET", "/groups/" + EncodePath(path), nullptr, {200, 404});
    if (!found) return Err(found.error());
    int64_t id = IdOf(found->body);
    if (found->status == 404) {
      const std::string leaf = g->parent.empty() ? path : g->path.substr(g->path.rfind('/') + 1);
      json body = {{"name", leaf},
                   {"path", leaf},
                   {"visibility", std::string(protocol::Name(g->visibility))}};
      if (!g->parent.empty()) body["parent_id"] = group_ids_.at(g->parent);
      auto made = Call("POST", "/groups", body, {201});
      if (!made) return Err(made.error());
      id = IdOf(made->body);
    }
    if (id <= 0) return Err("groups API gave no id for " + path);
    group_ids_[g->path] = id;
    json gj = {
        {"path", path}, {"id", id}, {"visibility", std::string(protocol::Name(g->visibility))}};
    json members;
    if (auto m = Members("/groups/" + std::to_string(id), "group " + g->path, g->members, members);
        !m) {
      return m;
    }
    if (!members.empty()) gj["members"] = members;
    if (!g->description.empty()) gj["description"] = g->description;
    groups_.push_back(std::move(gj));
  }
  return {};
}

Expected<void, std::string> Run::Projects() {
  for (const Project& p : w_.Projects()) {
    if (p.pending_delete) {
      Skip("project " + p.path + ": pending deletion cannot be provisioned (deleting it would " +
           "remove it, or schedule it for days)");
      continue;
    }
    if (p.personal && skipped_users_.count(p.namespace_path) != 0) {
      Skip("project " + p.path + ": its owner was skipped");
      continue;
    }
    const std::string path = Name(p.path);
    const std::string leaf = p.path.substr(p.path.rfind('/') + 1);
    json settings = {{"visibility", std::string(protocol::Name(p.visibility))},
                     {"container_registry_access_level",
                      std::string(protocol::Name(p.container_registry_access_level))},
                     {"builds_access_level", p.builds_enabled ? "enabled" : "disabled"},
                     {"repository_access_level", p.repository_enabled ? "enabled" : "disabled"}};
    auto found = Call("GET", "/projects/" + EncodePath(path), nullptr, {200, 404});
    if (!found) return Err(found.error());
    int64_t id = IdOf(found->body);
    json body = found->body;
    if (found->status == 404) {
      json create = settings;
      create["name"] = leaf;
      create["path"] = leaf;
      Expected<ApiResponse, std::string> made = Err(std::string());
      if (p.personal) {
        made = Call("POST", "/projects/user/" + std::to_string(user_ids_.at(p.namespace_path)),
                    create, {201});
      } else {
        create["namespace_id"] = group_ids_.at(p.namespace_path);
        made = Call("POST", "/projects", create, {201});
      }
      if (!made) return Err(made.error());
      id = IdOf(made->body);
      body = made->body;
    } else {
      auto put = Call("PUT", "/projects/" + std::to_string(id), settings, {200});
      if (!put) return Err(put.error());
    }
    if (id <= 0) return Err("projects API gave no id for " + path);
    project_ids_[p.path] = id;
    archived_[p.path] = body.is_object() && body.value("archived", false);
    if (p.personal && body.is_object() && body.contains("namespace")) {
      namespaces_[p.namespace_path] = IdOf(body["namespace"]);
    }
    json pj = {{"id", id},
               {"path", path},
               {"visibility", settings["visibility"]},
               {"container_registry_access_level", settings["container_registry_access_level"]}};
    if (!p.builds_enabled) pj["builds_enabled"] = false;
    if (!p.repository_enabled) pj["repository_enabled"] = false;
    if (p.archived) pj["archived"] = true;
    if (!p.description.empty()) pj["description"] = p.description;
    projects_.push_back(std::move(pj));
  }
  // Settings that name other projects, once every project has an id.
  std::size_t i = 0;
  for (const Project& p : w_.Projects()) {
    if (project_ids_.count(p.path) == 0) continue;
    if (auto s = ProjectSettings(p, projects_[i++]); !s) return s;
  }
  return {};
}

Expected<void, std::string> Run::ProjectSettings(const Project& p, json& pj) {
  const std::string base = "/projects/" + std::to_string(project_ids_.at(p.path));
  json members;
  if (auto m = Members(base, "project " + p.path, p.members, members); !m) return m;
  if (!members.empty()) pj["members"] = members;

  auto scope = Call("PATCH", base + "/job_token_scope",
                    {{"enabled", p.job_token_scope.inbound_enabled}}, {204});
  if (!scope) return Err(scope.error());
  json allowlist = json::array();
  for (const protocol::AllowlistEntry& e : p.job_token_scope.allowlist) {
    if (e.kind == protocol::AllowlistEntry::Kind::kGroup) {
      auto r = Call("POST", base + "/job_token_scope/groups_allowlist",
                    {{"target_group_id", group_ids_.at(e.path)}}, {201, 409, 422});
      if (!r) return Err(r.error());
      allowlist.push_back("group:" + Name(e.path));
    } else if (auto it = project_ids_.find(e.path); it != project_ids_.end()) {
      auto r = Call("POST", base + "/job_token_scope/allowlist",
                    {{"target_project_id", it->second}}, {201, 409, 422});
      if (!r) return Err(r.error());
      allowlist.push_back(Name(e.path));
    } else {
      Skip("allowlist entry " + e.path + " of " + p.path + ": that project was skipped");
    }
  }
  pj["job_token_scope"] = {{"inbound_enabled", p.job_token_scope.inbound_enabled},
                           {"allowlist", allowlist}};
  for (const protocol::ContainerProtectionTagRule& r : p.container_protection_tag_rules) {
    Skip("tag protection rule " + r.tag_name_pattern + " of " + p.path +
         ": REST API v4 has no endpoint for it (GraphQL createContainerProtectionTagRule only)");
  }
  if (p.job_token_scope.outbound_enabled) {
    Skip("outbound job token scope of " + p.path +
         ": REST API v4 has no endpoint for it (GraphQL ciCdSettingsUpdate and "
         "ciJobTokenScopeAddProject with direction OUTBOUND only)");
  }

  json rules = json::array();
  for (const protocol::ContainerProtectionRule& r : p.container_protection_rules) {
    if (w_.instance().protected_containers == protocol::ProtectedContainers::kOff) {
      Skip("protection rule " + r.repository_path_pattern +
           ": instance.protected_containers is off (GitLab 17.6 without the feature flag has no "
           "API for it)");
      continue;
    }
    const bool ga = w_.instance().protected_containers == protocol::ProtectedContainers::kGa;
    json body = {{"repository_path_pattern", Name(r.repository_path_pattern)}};
    json rj = body;
    if (r.minimum_access_level_for_push) {
      body["minimum_access_level_for_push"] =
          std::string(LevelName(*r.minimum_access_level_for_push));
    }
    if (r.minimum_access_level_for_delete) {
      body["minimum_access_level_for_delete"] =
          std::string(LevelName(*r.minimum_access_level_for_delete));
    }
    auto made =
        Call("POST",
             base + (ga ? "/registry/protection/repository/rules" : "/registry/protection/rules"),
             body, {201, 422});
    if (!made) return Err(made.error());
    for (const char* k : {"minimum_access_level_for_push", "minimum_access_level_for_delete"}) {
      if (body.contains(k)) rj[k] = body[k];
    }
    rules.push_back(std::move(rj));
  }
  if (!rules.empty()) pj["container_protection_rules"] = rules;
  return {};
}

Expected<void, std::string> Run::Token(const Credential& c, json& cj) {
  const std::string var = EnvVarName(c.id);
  json body = {{"name", c.name.empty() ? c.id : c.name}, {"scopes", c.scopes}};
  // GitLab 17 requires an expiry on access tokens (at most a year ahead): a token without one is
  // created to expire in 364 days, and the world says so.
  const protocol::CivilDate expires =
      c.expires_at ? *c.expires_at
                   : protocol::CivilFromDays(protocol::DaysFromCivil(o_.today) + 364);
  body["expires_at"] = DateString(expires);
  cj["expires_at"] = DateString(expires);

  std::string create, revoke_base;
  int64_t owner_id = 0;
  switch (c.kind) {
    case CredentialKind::kPersonalAccessToken:
      create = "/users/" + std::to_string(user_ids_.at(c.user)) + "/personal_access_tokens";
      revoke_base = "/personal_access_tokens/";
      cj["user"] = Name(c.user);
      break;
    case CredentialKind::kProjectAccessToken:
      owner_id = project_ids_.at(c.project);
      create = "/projects/" + std::to_string(owner_id) + "/access_tokens";
      revoke_base = create + "/";
      body["access_level"] = static_cast<int>(*c.role);
      cj["project"] = Name(c.project);
      cj["role"] = std::string(protocol::Name(*c.role));
      break;
    case CredentialKind::kGroupAccessToken:
      owner_id = group_ids_.at(c.group);
      create = "/groups/" + std::to_string(owner_id) + "/access_tokens";
      revoke_base = create + "/";
      body["access_level"] = static_cast<int>(*c.role);
      cj["group"] = Name(c.group);
      cj["role"] = std::string(protocol::Name(*c.role));
      break;
    case CredentialKind::kDeployToken:
      create = "/projects/" + std::to_string(project_ids_.at(c.project)) + "/deploy_tokens";
      revoke_base = create + "/";
      body["username"] = c.login_username;
      cj["project"] = Name(c.project);
      cj["username"] = c.login_username;
      break;
    case CredentialKind::kGroupDeployToken:
      create = "/groups/" + std::to_string(group_ids_.at(c.group)) + "/deploy_tokens";
      revoke_base = create + "/";
      body["username"] = c.login_username;
      cj["group"] = Name(c.group);
      cj["username"] = c.login_username;
      break;
    default:
      return Err("not a token kind: " + c.id);
  }
  cj["name"] = body["name"];
  const bool access_token =
      c.kind == CredentialKind::kProjectAccessToken || c.kind == CredentialKind::kGroupAccessToken;
  int64_t bot_id = 0;
  if (auto it = o_.known_secrets.find(var); it != o_.known_secrets.end()) {
    out_.env.emplace_back(var, it->second);
    if (access_token) {  // the bot's username, from the token list
      auto list = Call("GET", create, nullptr, {200});
      if (!list) return Err(list.error());
      for (const json& t : list->body.is_array() ? list->body : json::array()) {
        if (t.value("name", "") == body["name"].get<std::string>()) bot_id = IdOf(t, "user_id");
      }
    }
  } else {
    auto made = Call("POST", create, body, {201, 400, 422});
    if (!made) return Err(made.error());
    if (made->status != 201 || !made->body.is_object() || !made->body.contains("token")) {
      Skip("credential " + c.id + ": the instance refused it: " + Message(made->body));
      return Err(std::string());  // skipped, not a failure
    }
    out_.env.emplace_back(var, made->body["token"].get<std::string>());
    bot_id = IdOf(made->body, "user_id");
    if (c.revoked) {
      auto del =
          Call("DELETE", revoke_base + std::to_string(IdOf(made->body)), nullptr, {204, 202});
      if (!del) return Err(del.error());
    }
  }
  if (access_token) {
    if (bot_id <= 0) return Err("access token " + c.id + ": no bot user id");
    auto bot = Call("GET", "/users/" + std::to_string(bot_id), nullptr, {200});
    if (!bot) return Err(bot.error());
    cj["bot_username"] = bot->body.value("username", "");
  }
  return {};
}

Expected<void, std::string> Run::Credentials() {
  for (const Credential& c : w_.Credentials()) {
    json cj = {{"id", c.id},
               {"kind", std::string(protocol::Name(c.kind))},
               {"secret", "${" + EnvVarName(c.id) + "}"}};
    if (!c.description.empty()) cj["description"] = c.description;
    if (c.kind == CredentialKind::kJobToken) {
      Skip("credential " + c.id + ": CI job tokens exist only while a job runs (add the job " +
           "by hand: CI_JOB_ID, CI_PROJECT_PATH, GITLAB_USER_LOGIN, secret ${CI_JOB_TOKEN})");
      continue;
    }
    if (c.kind == CredentialKind::kOAuthToken) {
      Skip("credential " + c.id + ": OAuth tokens are issued by /oauth/token, not the REST API");
      continue;
    }
    if (!c.user.empty() && skipped_users_.count(c.user) != 0) {
      Skip("credential " + c.id + ": its user was skipped");
      continue;
    }
    if ((!c.project.empty() && project_ids_.count(c.project) == 0)) {
      Skip("credential " + c.id + ": its project was skipped");
      continue;
    }
    if (c.kind == CredentialKind::kPassword) {
      cj["user"] = Name(c.user);
      out_.env.emplace_back(EnvVarName(c.id), passwords_.at(c.user));
      credentials_.push_back(std::move(cj));
      continue;
    }
    if (c.state == CredentialState::kExpired || c.state == CredentialState::kExpiresToday) {
      Skip("credential " + c.id + ": GitLab refuses to create a token that expires " +
           (c.state == CredentialState::kExpired ? "in the past" : "today"));
      continue;
    }
    cj["scopes"] = c.scopes;
    if (c.revoked) cj["revoked"] = true;
    auto made = Token(c, cj);
    if (!made) {
      if (made.error().empty()) continue;  // skipped and listed
      return made;
    }
    credentials_.push_back(std::move(cj));
  }
  return {};
}

Expected<void, std::string> Run::Finish() {
  // Block users and archive projects last: tokens are created while they are active.
  for (const User& u : w_.Users()) {
    if (!u.bot_credential.empty() || u.state != protocol::UserState::kBlocked ||
        user_ids_.count(u.username) == 0) {
      continue;
    }
    if (user_state_[u.username] == "blocked") continue;
    auto r = Call("POST", "/users/" + std::to_string(user_ids_.at(u.username)) + "/block", nullptr,
                  {201});
    if (!r) return Err(r.error());
  }
  for (const Project& p : w_.Projects()) {
    if (!p.archived || project_ids_.count(p.path) == 0 || archived_[p.path]) continue;
    auto r = Call("POST", "/projects/" + std::to_string(project_ids_.at(p.path)) + "/archive",
                  nullptr, {201});
    if (!r) return Err(r.error());
  }
  for (json& uj : users_) {
    const std::string world_name = uj["username"].get<std::string>().substr(o_.prefix.size());
    if (auto it = namespaces_.find(world_name); it != namespaces_.end() && it->second > 0) {
      uj["namespace_id"] = it->second;
    }
  }
  return {};
}

Expected<Outcome, std::string> Run::Provision() {
  for (auto step : {&Run::Users, &Run::Groups, &Run::Projects, &Run::Credentials, &Run::Finish}) {
    if (auto r = (this->*step)(); !r) return Err(r.error());
  }
  json world = {
      {"$comment",
       "Written by regauth provision (prefix \"" + o_.prefix +
           "\"). Secrets are in the env file written with it. Left out: " +
           std::to_string(out_.skipped.size()) + " entities the API cannot create (listed when " +
           "it ran). `instance` is copied from the input world: provision never changes " +
           "instance settings, check them against your GitLab."},
      {"name", w_.name() + "-provisioned"},
      {"instance", InstanceJson()},
      {"users", users_},
      {"groups", groups_},
      {"projects", projects_},
      {"jobs", json::array()},
      {"credentials", credentials_}};
  if (!w_.description().empty()) world["description"] = w_.description();
  out_.world = std::move(world);
  return std::move(out_);
}

Expected<int, std::string> Run::Deprovision() {
  for (const Group& g : w_.Groups()) {
    if (!g.parent.empty()) continue;
    auto r = Call("DELETE", "/groups/" + EncodePath(Name(g.path)), nullptr, {202, 204, 404});
    if (!r) return Err(r.error());
  }
  for (const User& u : w_.Users()) {
    if (!u.bot_credential.empty()) continue;
    auto found = Call("GET", "/users?username=" + EncodePath(Name(u.username)), nullptr, {200});
    if (!found) return Err(found.error());
    if (!found->body.is_array() || found->body.empty()) continue;
    auto r = Call("DELETE", "/users/" + std::to_string(IdOf(found->body[0])) + "?hard_delete=true",
                  nullptr, {204, 404});
    if (!r) return Err(r.error());
  }
  return out_.calls;
}

bool ValidPrefix(std::string_view p) {
  if (p.empty()) return true;
  const auto word = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (!word(p[0])) return false;
  return std::all_of(p.begin(), p.end(), [&](char c) { return word(c) || c == '-' || c == '.'; });
}

}  // namespace

std::string DryRunLine(const ApiRequest& r) {
  json line = {{"method", r.method}, {"path", r.path}, {"body", Masked(r.body)}};
  return line.dump();
}

Transport DryRunTransport(std::function<void(const std::string&)> out) {
  auto next_id = std::make_shared<int64_t>(1000);
  return
      [out = std::move(out), next_id](const ApiRequest& r) -> Expected<ApiResponse, std::string> {
        out(DryRunLine(r));
        ApiResponse res;
        if (r.method == "GET") {
          res.status = r.path.rfind("/api/v4/users?", 0) == 0 ? 200 : 404;
          res.body = res.status == 200 ? json::array() : json{{"message", "404 Not Found"}};
          if (r.path.rfind("/api/v4/users/", 0) == 0) {
            res.status = 200;
            res.body = {{"id", 1}, {"username", "dry-run-bot"}};
          }
          return res;
        }
        if (r.method == "DELETE" || r.method == "PATCH") {
          res.status = 204;
          return res;
        }
        if (r.method == "PUT") {
          res.status = 200;
          return res;
        }
        res.status = 201;
        res.body = {{"id", (*next_id)++}, {"token", "[dry-run]"}, {"user_id", (*next_id)++}};
        return res;
      };
}

std::string EnvVarName(std::string_view credential_id) {
  std::string out = "REGAUTH_";
  for (char c : credential_id) {
    if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out += c;
    } else {
      out += '_';
    }
  }
  return out;
}

Expected<Outcome, std::string> Provision(const World& world, const Transport& transport,
                                         const Options& options) {
  if (!ValidPrefix(options.prefix)) {
    return Err("prefix \"" + options.prefix +
               "\": letters, digits, '_', '-', '.', starting with a letter, digit or '_'");
  }
  if (!options.random_password) return Err("no password generator");
  std::set<std::string> vars;
  for (const Credential& c : world.Credentials()) {
    if (!vars.insert(EnvVarName(c.id)).second) {
      return Err("credentials ids collide as environment variable " + EnvVarName(c.id));
    }
  }
  return Run(world, transport, options).Provision();
}

Expected<int, std::string> Deprovision(const World& world, const Transport& transport,
                                       const Options& options) {
  if (!ValidPrefix(options.prefix)) return Err("invalid prefix");
  return Run(world, transport, options).Deprovision();
}

}  // namespace regauth::harness::provision
