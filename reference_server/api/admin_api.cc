// admin_api.cc — see admin_api.h.
#include "reference_server/api/admin_api.h"

#include <algorithm>
#include <random>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/ascii.h"
#include "reference_server/token/credential_index.h"
#include "reference_server/token/policy.h"

namespace regauth::server {
namespace {

using nlohmann::json;
using protocol::EqualsIgnoreAsciiCase;
using protocol::World;

constexpr std::string_view kPrefix = "/api/v4/";

std::optional<int64_t> Number(std::string_view s) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<int64_t> IntMember(const json& body, const char* key) {
  if (!body.is_object() || !body.contains(key)) return std::nullopt;
  const json& v = body[key];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) return Number(v.get<std::string>());
  return std::nullopt;
}

std::string StrMember(const json& body, const char* key) {
  if (!body.is_object() || !body.contains(key) || !body[key].is_string()) return "";
  return body[key].get<std::string>();
}

std::optional<std::string> RoleName(int64_t level) {
  switch (level) {
    case 10:
      return "guest";
    case 15:
      return "planner";
    case 20:
      return "reporter";
    case 30:
      return "developer";
    case 40:
      return "maintainer";
    case 50:
      return "owner";
    default:
      return std::nullopt;
  }
}

int64_t RoleLevel(const std::string& role) {
  auto r = protocol::ParseRole(role);
  return r ? static_cast<int64_t>(*r) : 0;
}

// Secret is a token GitLab-style: prefix and 20 random characters.
std::string Secret(std::string_view prefix) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string s(prefix);
  for (int i = 0; i < 20; ++i) s += kAlphabet[rng() % 64];
  return s;
}

// Doc gives the arrays of a world document, created when missing.
json& Arr(json& doc, const char* key) {
  if (!doc.contains(key) || !doc[key].is_array()) doc[key] = json::array();
  return doc[key];
}

json* FindBy(json& arr, const char* key, std::string_view value) {
  for (json& e : arr) {
    if (e.is_object() && e.contains(key) && e[key].is_string() &&
        EqualsIgnoreAsciiCase(e[key].get<std::string>(), value)) {
      return &e;
    }
  }
  return nullptr;
}

json* FindById(json& arr, int64_t id) {
  for (json& e : arr) {
    if (e.is_object() && e.value("id", int64_t{0}) == id) return &e;
  }
  return nullptr;
}

int64_t NextNamespaceId(json& doc) {
  int64_t m = 0;
  for (const json& g : Arr(doc, "groups")) m = std::max(m, g.value("id", int64_t{0}));
  for (const json& u : Arr(doc, "users")) m = std::max(m, u.value("namespace_id", int64_t{0}));
  return m + 1;
}

int64_t NextProjectId(json& doc) {
  int64_t m = 0;
  for (const json& p : Arr(doc, "projects")) m = std::max(m, p.value("id", int64_t{0}));
  return m + 1;
}

// Token ids are kept in the credential id: "api-<n>-<kind>".
std::optional<int64_t> TokenIdOf(const json& c) {
  const std::string id = c.value("id", "");
  if (id.rfind("api-", 0) != 0) return std::nullopt;
  return Number(id.substr(4, id.find('-', 4) - 4));
}

int64_t NextTokenId(json& doc) {
  int64_t m = 0;
  for (const json& c : Arr(doc, "credentials")) m = std::max(m, TokenIdOf(c).value_or(0));
  return m + 1;
}

json* FindToken(json& doc, int64_t id, const char* kind) {
  for (json& c : Arr(doc, "credentials")) {
    if (TokenIdOf(c) == id && c.value("kind", "") == kind) return &c;
  }
  return nullptr;
}

const std::set<std::string>& PatScopes() {
  // GitLab 17.6 all_available_scopes as the world format spells them; ai_workflows is not one
  // (issue 8 item 6: a PAT cannot be created with it).
  static const std::set<std::string> s = {"api",
                                          "read_api",
                                          "read_user",
                                          "create_runner",
                                          "manage_runner",
                                          "k8s_proxy",
                                          "self_rotate",
                                          "read_repository",
                                          "write_repository",
                                          "read_registry",
                                          "write_registry",
                                          "read_virtual_registry",
                                          "write_virtual_registry",
                                          "read_observability",
                                          "write_observability",
                                          "ai_features",
                                          "sudo",
                                          "admin_mode",
                                          "read_service_ping"};
  return s;
}

const std::set<std::string>& DeployScopes() {
  static const std::set<std::string> s = {"read_repository",        "read_registry",
                                          "write_registry",         "read_package_registry",
                                          "write_package_registry", "read_virtual_registry",
                                          "write_virtual_registry"};
  return s;
}

bool ScopesIn(const json& scopes, const std::set<std::string>& allowed) {
  if (!scopes.is_array() || scopes.empty()) return false;
  return std::all_of(scopes.begin(), scopes.end(), [&](const json& s) {
    return s.is_string() && allowed.count(s.get<std::string>()) != 0;
  });
}

// Remove helpers keep the document's references consistent (the loader refuses dangling ones).
void RemoveProject(json& doc, const std::string& path) {
  auto& projects = Arr(doc, "projects");
  projects.erase(std::remove_if(projects.begin(), projects.end(),
                                [&](const json& p) {
                                  return EqualsIgnoreAsciiCase(p.value("path", ""), path);
                                }),
                 projects.end());
  for (json& p : projects) {
    if (!p.contains("job_token_scope")) continue;
    json& list = p["job_token_scope"]["allowlist"];
    if (!list.is_array()) continue;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const json& e) {
                                return e.is_string() &&
                                       EqualsIgnoreAsciiCase(e.get<std::string>(), path);
                              }),
               list.end());
  }
  std::set<int64_t> jobs;
  auto& js = Arr(doc, "jobs");
  for (const json& j : js) {
    if (EqualsIgnoreAsciiCase(j.value("project", ""), path)) jobs.insert(j.value("id", int64_t{0}));
  }
  js.erase(std::remove_if(
               js.begin(), js.end(),
               [&](const json& j) { return EqualsIgnoreAsciiCase(j.value("project", ""), path); }),
           js.end());
  auto& creds = Arr(doc, "credentials");
  creds.erase(std::remove_if(creds.begin(), creds.end(),
                             [&](const json& c) {
                               return EqualsIgnoreAsciiCase(c.value("project", ""), path) ||
                                      (c.contains("job") && jobs.count(c.value("job", int64_t{0})));
                             }),
              creds.end());
}

bool Under(std::string_view path, std::string_view group) {
  return EqualsIgnoreAsciiCase(path, group) ||
         (path.size() > group.size() && path[group.size()] == '/' &&
          EqualsIgnoreAsciiCase(path.substr(0, group.size()), group));
}

void RemoveGroup(json& doc, const std::string& path) {
  std::vector<std::string> projects;
  for (const json& p : Arr(doc, "projects")) {
    const std::string pp = p.value("path", "");
    if (Under(pp.substr(0, pp.rfind('/')), path)) projects.push_back(pp);
  }
  for (const std::string& p : projects) RemoveProject(doc, p);
  auto& groups = Arr(doc, "groups");
  groups.erase(std::remove_if(groups.begin(), groups.end(),
                              [&](const json& g) { return Under(g.value("path", ""), path); }),
               groups.end());
  auto& creds = Arr(doc, "credentials");
  creds.erase(std::remove_if(creds.begin(), creds.end(),
                             [&](const json& c) { return Under(c.value("group", "\x01"), path); }),
              creds.end());
  for (json& p : Arr(doc, "projects")) {
    if (!p.contains("job_token_scope")) continue;
    json& list = p["job_token_scope"]["allowlist"];
    if (!list.is_array()) continue;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const json& e) {
                                return e.is_string() &&
                                       EqualsIgnoreAsciiCase(e.get<std::string>(), "group:" + path);
                              }),
               list.end());
  }
}

void RemoveUser(json& doc, const std::string& username) {
  std::vector<std::string> personal;
  for (const json& p : Arr(doc, "projects")) {
    const std::string pp = p.value("path", "");
    if (EqualsIgnoreAsciiCase(pp.substr(0, pp.rfind('/')), username)) personal.push_back(pp);
  }
  for (const std::string& p : personal) RemoveProject(doc, p);
  for (const char* key : {"groups", "projects"}) {
    for (json& e : Arr(doc, key)) {
      if (!e.contains("members")) continue;
      json& m = e["members"];
      m.erase(std::remove_if(m.begin(), m.end(),
                             [&](const json& x) {
                               return EqualsIgnoreAsciiCase(x.value("user", ""), username);
                             }),
              m.end());
    }
  }
  for (json& j : Arr(doc, "jobs")) {
    if (j.contains("user") && j["user"].is_string() &&
        EqualsIgnoreAsciiCase(j["user"].get<std::string>(), username)) {
      j["user"] = nullptr;
    }
  }
  auto& creds = Arr(doc, "credentials");
  creds.erase(std::remove_if(creds.begin(), creds.end(),
                             [&](const json& c) {
                               return EqualsIgnoreAsciiCase(c.value("user", ""), username);
                             }),
              creds.end());
  auto& users = Arr(doc, "users");
  users.erase(std::remove_if(users.begin(), users.end(),
                             [&](const json& u) {
                               return EqualsIgnoreAsciiCase(u.value("username", ""), username);
                             }),
              users.end());
}

}  // namespace

std::optional<json> ParseWorldDocument(const std::string& text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  return doc;
}

AdminApi::AdminApi(json doc, protocol::WorldContext ctx, Publish publish)
    : doc_(std::move(doc)), ctx_(std::move(ctx)), publish_(std::move(publish)) {
  auto w = protocol::ParseWorld(doc_.dump(), ctx_);
  if (w) world_ = std::make_shared<const World>(std::move(*w));
}

AdminApi::Reply AdminApi::Commit(json next, Reply ok) {
  auto w = protocol::ParseWorld(next.dump(), ctx_);
  if (!w) return {400, {{"message", protocol::DescribeWorldError(w.error())}}};
  doc_ = std::move(next);
  world_ = std::make_shared<const World>(std::move(*w));
  if (publish_) publish_(world_);
  return ok;
}

std::optional<net::HttpResponse> AdminApi::Handle(const net::HttpRequest& request) {
  if (request.path.rfind(kPrefix, 0) != 0) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto reply = [](int status, const json& body) {
    return net::HttpResponse::Json(status, body.is_null() ? std::string() : body.dump());
  };
  if (!world_) return reply(500, {{"message", "500 Internal Server Error"}});
  // Authentication: an active api PAT of an active admin (API::APIGuard with sudo-less admins).
  std::string token;
  if (auto h = request.Header("PRIVATE-TOKEN")) {
    token = std::string(*h);
  } else if (auto a = request.Header("Authorization"); a && a->rfind("Bearer ", 0) == 0) {
    token = std::string(a->substr(7));
  }
  const protocol::Credential* c = nullptr;
  for (const protocol::Credential& x : world_->Credentials()) {
    if (!token.empty() && x.secret == token) c = &x;
  }
  const protocol::User* user = c ? world_->FindUser(c->user) : nullptr;
  if (c == nullptr || c->kind != protocol::CredentialKind::kPersonalAccessToken ||
      StateAt(*c, world_->today()) != protocol::CredentialState::kActive || user == nullptr ||
      user->state != protocol::UserState::kActive ||
      std::find(c->scopes.begin(), c->scopes.end(), "api") == c->scopes.end()) {
    return reply(401, {{"message", "401 Unauthorized"}});
  }
  // With Admin Mode on, a token acts as an admin only with the admin_mode scope (GitLab's
  // Gitlab::Auth::CurrentUserMode for API requests).
  const bool admin_scope =
      !world_->instance().admin_mode ||
      std::find(c->scopes.begin(), c->scopes.end(), "admin_mode") != c->scopes.end();
  if (!user->admin || !admin_scope) return reply(403, {{"message", "403 Forbidden"}});

  json body;
  if (!request.body.empty()) {
    body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return reply(400, {{"error", "the body is not a JSON object"}});
    }
  }
  std::map<std::string, std::string> query;
  for (const char* k : {"username", "hard_delete"}) {
    if (auto v = request.QueryParam(k)) query[k] = *v;
  }
  Reply r = Route(request.method, request.path.substr(kPrefix.size()), body, query);
  return reply(r.status, r.body);
}

AdminApi::Reply AdminApi::Route(const std::string& method, const std::string& rest,
                                const json& body, const std::map<std::string, std::string>& query) {
  std::vector<std::string> seg;
  for (std::size_t i = 0; i <= rest.size();) {
    std::size_t j = rest.find('/', i);
    if (j == std::string::npos) j = rest.size();
    seg.push_back(net::PercentDecode(std::string_view(rest).substr(i, j - i), false));
    i = j + 1;
  }
  const Reply not_found{404, {{"error", "404 Not Found"}}};
  // The world this call reads; a successful change moves it to the new one (commit below), so
  // an answer describes the entity as created.
  std::shared_ptr<const World> keep = world_;
  const World* wp = keep.get();
  auto commit = [&](json next, Reply ok) {
    Reply r = Commit(std::move(next), std::move(ok));
    keep = world_;
    wp = keep.get();
    return r;
  };
  auto user_id = [&](std::string_view username) -> int64_t {
    for (std::size_t i = 0; i < wp->Users().size(); ++i) {
      if (EqualsIgnoreAsciiCase(wp->Users()[i].username, username))
        return static_cast<int64_t>(i) + 1;
    }
    return 0;
  };
  auto user_json = [&](const protocol::User& u) {
    return json{{"id", user_id(u.username)},
                {"username", u.username},
                {"name", u.username},
                {"state", std::string(protocol::Name(u.state))},
                {"bot", u.bot},
                {"is_admin", u.admin},
                {"external", u.external}};
  };
  auto find_user = [&](const std::string& id) -> const protocol::User* {
    auto n = Number(id);
    if (!n || *n < 1 || *n > static_cast<int64_t>(wp->Users().size())) return nullptr;
    return &wp->Users()[*n - 1];
  };
  auto group_of = [&](const std::string& id) -> const protocol::Group* {
    if (auto n = Number(id)) return wp->FindGroupById(*n);
    return wp->FindGroup(id);
  };
  auto project_of = [&](const std::string& id) -> const protocol::Project* {
    if (auto n = Number(id)) return wp->FindProjectById(*n);
    return wp->FindProject(id);
  };
  auto group_json = [&](const protocol::Group& g) {
    json j = {{"id", g.id},
              {"path", g.path.substr(g.path.rfind('/') + 1)},
              {"name", g.path.substr(g.path.rfind('/') + 1)},
              {"full_path", g.path},
              {"visibility", std::string(protocol::Name(g.visibility))},
              {"parent_id", nullptr}};
    if (const protocol::Group* parent = wp->FindGroup(g.parent)) j["parent_id"] = parent->id;
    return j;
  };
  auto project_json = [&](const protocol::Project& p) {
    json ns = {{"full_path", p.namespace_path}, {"kind", p.personal ? "user" : "group"}};
    if (p.personal) {
      const protocol::User* o = wp->FindUser(p.namespace_path);
      ns["id"] = o && o->namespace_id ? json(*o->namespace_id) : json(nullptr);
    } else {
      ns["id"] = wp->FindGroup(p.namespace_path)->id;
    }
    return json{{"id", p.id},
                {"path", p.path.substr(p.path.rfind('/') + 1)},
                {"path_with_namespace", p.path},
                {"visibility", std::string(protocol::Name(p.visibility))},
                {"archived", p.archived},
                {"namespace", ns},
                {"container_registry_access_level",
                 std::string(protocol::Name(p.container_registry_access_level))},
                {"builds_access_level", p.builds_enabled ? "enabled" : "disabled"},
                {"repository_access_level", p.repository_enabled ? "enabled" : "disabled"}};
  };
  auto date_ok = [](const json& v) {
    return v.is_null() || (v.is_string() && protocol::ParseFullDate(v.get<std::string>()));
  };

  // ---- users ----
  if (seg[0] == "users") {
    if (seg.size() == 1 && method == "GET") {
      json out = json::array();
      auto it = query.find("username");
      for (const protocol::User& u : wp->Users()) {
        if (it == query.end() || EqualsIgnoreAsciiCase(u.username, it->second))
          out.push_back(user_json(u));
      }
      return {200, out};
    }
    if (seg.size() == 1 && method == "POST") {
      const std::string username = StrMember(body, "username");
      const std::string email = StrMember(body, "email");
      const std::string password = StrMember(body, "password");
      if (username.empty() || email.empty() || StrMember(body, "name").empty()) {
        return {400, {{"error", "email, name, username are missing"}}};
      }
      if (wp->FindUser(username) || wp->FindGroup(username)) {
        return {409, {{"message", "Username has already been taken"}}};
      }
      if (wp->FindUserByEmail(email)) return {409, {{"message", "Email has already been taken"}}};
      if (password.size() < 8) {
        return {400, {{"message", {{"password", {"is too short (minimum is 8 characters)"}}}}}};
      }
      json next = doc_;
      json u = {{"username", username}, {"email", email}};
      if (body.value("admin", false)) u["admin"] = true;
      if (body.value("external", false)) u["external"] = true;
      Arr(next, "users").push_back(u);
      Arr(next, "credentials")
          .push_back({{"id", "api-" + std::to_string(NextTokenId(next)) + "-password"},
                      {"kind", "password"},
                      {"user", username},
                      {"secret", password}});
      Reply ok = commit(std::move(next), {201, nullptr});
      if (ok.status != 201) return ok;
      return {201, user_json(*world_->FindUser(username))};
    }
    const protocol::User* u = seg.size() >= 2 ? find_user(seg[1]) : nullptr;
    if (u == nullptr) return {404, {{"message", "404 User Not Found"}}};
    const std::string name = u->username;
    if (seg.size() == 2 && method == "GET") return {200, user_json(*u)};
    if (seg.size() == 2 && method == "PUT") {
      json next = doc_;
      if (body.contains("password")) {
        const std::string password = StrMember(body, "password");
        if (password.size() < 8) {
          return {400, {{"message", {{"password", {"is too short (minimum is 8 characters)"}}}}}};
        }
        bool found = false;
        for (json& c : Arr(next, "credentials")) {
          if (c.value("kind", "") == "password" &&
              EqualsIgnoreAsciiCase(c.value("user", ""), name)) {
            c["secret"] = password;
            found = true;
          }
        }
        if (!found) {
          Arr(next, "credentials")
              .push_back({{"id", "api-" + std::to_string(NextTokenId(next)) + "-password"},
                          {"kind", "password"},
                          {"user", name},
                          {"secret", password}});
        }
      }
      Reply ok = commit(std::move(next), {200, nullptr});
      return ok.status == 200 ? Reply{200, user_json(*world_->FindUser(name))} : ok;
    }
    if (seg.size() == 2 && method == "DELETE") {
      json next = doc_;
      RemoveUser(next, name);
      return commit(std::move(next), {204, nullptr});
    }
    if (seg.size() == 3 && seg[2] == "block" && method == "POST") {
      if (u->bot) return {403, {{"message", "403 Forbidden - A bot user cannot be blocked"}}};
      json next = doc_;
      (*FindBy(Arr(next, "users"), "username", name))["state"] = "blocked";
      return commit(std::move(next), {201, true});
    }
    if (seg.size() == 3 && seg[2] == "personal_access_tokens" && method == "POST") {
      if (StrMember(body, "name").empty()) return {400, {{"error", "name is missing"}}};
      if (!ScopesIn(body.value("scopes", json()), PatScopes())) {
        return {400, {{"message", {{"scopes", {"can only contain available scopes"}}}}}};
      }
      if (!date_ok(body.value("expires_at", json()))) {
        return {400, {{"error", "expires_at is invalid"}}};
      }
      json next = doc_;
      const int64_t id = NextTokenId(next);
      const std::string secret = Secret("glpat-");
      json cred = {{"id", "api-" + std::to_string(id) + "-pat"},
                   {"kind", "personal_access_token"},
                   {"user", name},
                   {"name", body["name"]},
                   {"scopes", body["scopes"]},
                   {"secret", secret}};
      if (body.contains("expires_at") && body["expires_at"].is_string()) {
        cred["expires_at"] = body["expires_at"];
      }
      Arr(next, "credentials").push_back(cred);
      Reply ok = commit(std::move(next), {201, nullptr});
      if (ok.status != 201) return ok;
      return {201,
              {{"id", id},
               {"name", body["name"]},
               {"revoked", false},
               {"scopes", body["scopes"]},
               {"user_id", user_id(name)},
               {"active", true},
               {"expires_at", body.value("expires_at", json())},
               {"token", secret}}};
    }
    return not_found;
  }

  if (seg[0] == "personal_access_tokens" && seg.size() == 2 && method == "DELETE") {
    auto id = Number(seg[1]);
    json next = doc_;
    json* c = id ? FindToken(next, *id, "personal_access_token") : nullptr;
    if (c == nullptr) return {404, {{"message", "404 Personal Access Token Not Found"}}};
    (*c)["revoked"] = true;
    return commit(std::move(next), {204, nullptr});
  }

  // ---- groups and projects: /groups/:id[/...], /projects/:id[/...] ----
  const bool groups = seg[0] == "groups";
  const bool projects = seg[0] == "projects";
  if (!groups && !projects) return not_found;

  if (seg.size() == 1 && method == "POST" && groups) {
    const std::string path = StrMember(body, "path");
    const std::string vis =
        StrMember(body, "visibility").empty() ? "private" : StrMember(body, "visibility");
    if (path.empty() || StrMember(body, "name").empty()) {
      return {400, {{"error", "name, path are missing"}}};
    }
    std::string full = path;
    if (auto parent = IntMember(body, "parent_id")) {
      const protocol::Group* pg = wp->FindGroupById(*parent);
      if (pg == nullptr) return {404, {{"message", "404 Group Not Found"}}};
      full = pg->path + "/" + path;
    }
    if (wp->FindGroup(full) || wp->FindProject(full) || (full == path && wp->FindUser(full))) {
      return {400, {{"message", "Failed to save group {:path=>[\"has already been taken\"]}"}}};
    }
    json next = doc_;
    const int64_t id = NextNamespaceId(next);
    Arr(next, "groups").push_back({{"path", full}, {"id", id}, {"visibility", vis}});
    Reply ok = commit(std::move(next), {201, nullptr});
    return ok.status == 201 ? Reply{201, group_json(*world_->FindGroupById(id))} : ok;
  }
  if (seg.size() == 1 && method == "POST" && projects) {
    auto ns = IntMember(body, "namespace_id");
    const protocol::Group* g = ns ? wp->FindGroupById(*ns) : nullptr;
    if (g == nullptr) return {404, {{"message", "404 Namespace Not Found"}}};
    seg = {"projects", "user", "", g->path};  // handled below as a project in namespace g
  }
  if (projects && seg.size() >= 3 && seg[1] == "user" && method == "POST") {
    std::string ns_path = seg.size() == 4 ? seg[3] : "";
    const protocol::User* owner = nullptr;
    if (ns_path.empty()) {
      owner = find_user(seg[2]);
      if (owner == nullptr) return {404, {{"message", "404 User Not Found"}}};
      ns_path = owner->username;
    }
    const std::string path =
        StrMember(body, "path").empty() ? StrMember(body, "name") : StrMember(body, "path");
    if (path.empty()) return {400, {{"error", "name is missing"}}};
    const std::string full = ns_path + "/" + path;
    if (wp->FindProject(full) || wp->FindGroup(full)) {
      return {400, {{"message", {{"path", {"has already been taken"}}}}}};
    }
    json next = doc_;
    if (owner != nullptr) {
      json* u = FindBy(Arr(next, "users"), "username", owner->username);
      if (u != nullptr && !u->contains("namespace_id"))
        (*u)["namespace_id"] = NextNamespaceId(next);
    }
    const int64_t id = NextProjectId(next);
    json p = {{"id", id},
              {"path", full},
              {"visibility",
               StrMember(body, "visibility").empty() ? "private" : StrMember(body, "visibility")}};
    if (auto v = StrMember(body, "container_registry_access_level"); !v.empty()) {
      p["container_registry_access_level"] = v;
    }
    if (StrMember(body, "builds_access_level") == "disabled") p["builds_enabled"] = false;
    if (StrMember(body, "repository_access_level") == "disabled") p["repository_enabled"] = false;
    Arr(next, "projects").push_back(p);
    Reply ok = commit(std::move(next), {201, nullptr});
    return ok.status == 201 ? Reply{201, project_json(*world_->FindProjectById(id))} : ok;
  }

  if (seg.size() < 2) return not_found;
  const protocol::Group* g = groups ? group_of(seg[1]) : nullptr;
  const protocol::Project* p = projects ? project_of(seg[1]) : nullptr;
  if (groups && g == nullptr) return {404, {{"message", "404 Group Not Found"}}};
  if (projects && p == nullptr) return {404, {{"message", "404 Project Not Found"}}};
  const std::string path = groups ? g->path : p->path;
  auto entity = [&](json& doc) -> json& {
    return *FindBy(Arr(doc, groups ? "groups" : "projects"), "path", path);
  };

  if (seg.size() == 2) {
    if (method == "GET") return {200, groups ? group_json(*g) : project_json(*p)};
    if (method == "DELETE") {
      json next = doc_;
      if (groups) {
        RemoveGroup(next, path);
      } else {
        RemoveProject(next, path);
      }
      return commit(std::move(next), {202, {{"message", "202 Accepted"}}});
    }
    if (method == "PUT" && projects) {
      json next = doc_;
      json& e = entity(next);
      for (const char* k : {"visibility", "container_registry_access_level"}) {
        if (auto v = StrMember(body, k); !v.empty()) e[k] = v;
      }
      if (auto v = StrMember(body, "builds_access_level"); !v.empty()) {
        e["builds_enabled"] = v != "disabled";
      }
      if (auto v = StrMember(body, "repository_access_level"); !v.empty()) {
        e["repository_enabled"] = v != "disabled";
      }
      Reply ok = commit(std::move(next), {200, nullptr});
      return ok.status == 200 ? Reply{200, project_json(*world_->FindProject(path))} : ok;
    }
    return not_found;
  }

  const std::string& sub = seg[2];
  if (sub == "members" && seg.size() == 3 && method == "POST") {
    auto uid = IntMember(body, "user_id");
    auto level = IntMember(body, "access_level");
    const protocol::User* u = uid ? find_user(std::to_string(*uid)) : nullptr;
    if (u == nullptr) return {404, {{"message", "404 User Not Found"}}};
    auto role = level ? RoleName(*level) : std::nullopt;
    if (!role) return {400, {{"error", "access_level does not have a valid value"}}};
    json next = doc_;
    json& e = entity(next);
    if (!e.contains("members")) e["members"] = json::array();
    if (FindBy(e["members"], "user", u->username)) {
      return {409, {{"message", "Member already exists"}}};
    }
    e["members"].push_back({{"user", u->username}, {"role", *role}});
    Reply ok = commit(std::move(next), {201, nullptr});
    if (ok.status != 201) return ok;
    return {201,
            {{"id", user_id(u->username)}, {"username", u->username}, {"access_level", *level}}};
  }
  if (projects && sub == "archive" && seg.size() == 3 && method == "POST") {
    json next = doc_;
    entity(next)["archived"] = true;
    Reply ok = commit(std::move(next), {201, nullptr});
    return ok.status == 201 ? Reply{201, project_json(*world_->FindProject(path))} : ok;
  }
  if (projects && sub == "job_token_scope") {
    json next = doc_;
    json& e = entity(next);
    if (!e.contains("job_token_scope")) {
      e["job_token_scope"] = {{"inbound_enabled", true}, {"allowlist", json::array()}};
    }
    json& scope = e["job_token_scope"];
    if (!scope.contains("allowlist")) scope["allowlist"] = json::array();
    if (seg.size() == 3 && method == "PATCH") {
      if (!body.contains("enabled") || !body["enabled"].is_boolean()) {
        return {400, {{"error", "enabled is missing"}}};
      }
      scope["inbound_enabled"] = body["enabled"];
      return commit(std::move(next), {204, nullptr});
    }
    if (seg.size() == 4 && seg[3] == "allowlist" && method == "POST") {
      auto target = IntMember(body, "target_project_id");
      const protocol::Project* t = target ? wp->FindProjectById(*target) : nullptr;
      if (t == nullptr) return {404, {{"message", "404 Project Not Found"}}};
      for (const json& x : scope["allowlist"]) {
        if (x.is_string() && EqualsIgnoreAsciiCase(x.get<std::string>(), t->path)) {
          return {422, {{"message", "Target project is already in the job token scope"}}};
        }
      }
      scope["allowlist"].push_back(t->path);
      return commit(std::move(next),
                    {201, {{"source_project_id", p->id}, {"target_project_id", t->id}}});
    }
    if (seg.size() == 4 && seg[3] == "groups_allowlist" && method == "POST") {
      auto target = IntMember(body, "target_group_id");
      const protocol::Group* t = target ? wp->FindGroupById(*target) : nullptr;
      if (t == nullptr) return {404, {{"message", "404 Group Not Found"}}};
      for (const json& x : scope["allowlist"]) {
        if (x.is_string() && EqualsIgnoreAsciiCase(x.get<std::string>(), "group:" + t->path)) {
          return {422, {{"message", "Target group is already in the job token scope"}}};
        }
      }
      scope["allowlist"].push_back("group:" + t->path);
      return commit(std::move(next),
                    {201, {{"source_project_id", p->id}, {"target_group_id", t->id}}});
    }
    return not_found;
  }
  if (projects && sub == "registry" && method == "POST" &&
      ((seg.size() == 5 && seg[3] == "protection" && seg[4] == "rules") ||
       (seg.size() == 6 && seg[3] == "protection" && seg[4] == "repository" &&
        seg[5] == "rules"))) {
    const std::string pattern = StrMember(body, "repository_path_pattern");
    if (pattern.empty()) return {400, {{"error", "repository_path_pattern is missing"}}};
    json next = doc_;
    json& e = entity(next);
    if (!e.contains("container_protection_rules")) e["container_protection_rules"] = json::array();
    if (FindBy(e["container_protection_rules"], "repository_path_pattern", pattern)) {
      return {422, {{"message", "Repository path pattern has already been taken"}}};
    }
    json rule = {{"repository_path_pattern", pattern}};
    for (const char* k : {"minimum_access_level_for_push", "minimum_access_level_for_delete"}) {
      if (auto v = StrMember(body, k); !v.empty()) rule[k] = v;
    }
    e["container_protection_rules"].push_back(rule);
    json out = rule;
    out["project_id"] = p->id;
    out["id"] = static_cast<int64_t>(e["container_protection_rules"].size());
    return commit(std::move(next), {201, out});
  }
  if (sub == "access_tokens" || sub == "deploy_tokens") {
    const bool access = sub == "access_tokens";
    const std::string kind = access ? (groups ? "group_access_token" : "project_access_token")
                                    : (groups ? "group_deploy_token" : "deploy_token");
    const char* owner_key = groups ? "group" : "project";
    if (seg.size() == 3 && method == "GET") {
      json out = json::array();
      for (const json& c : doc_.value("credentials", json::array())) {
        if (c.value("kind", "") != kind || !EqualsIgnoreAsciiCase(c.value(owner_key, ""), path))
          continue;
        json t = {{"id", TokenIdOf(c).value_or(0)},
                  {"name", c.value("name", "")},
                  {"revoked", c.value("revoked", false)},
                  {"scopes", c.value("scopes", json::array())}};
        if (access) {
          t["user_id"] = user_id(c.value("bot_username", ""));
          t["access_level"] = RoleLevel(c.value("role", ""));
        } else {
          t["username"] = c.value("username", "");
        }
        out.push_back(t);
      }
      return {200, out};
    }
    if (seg.size() == 3 && method == "POST") {
      if (StrMember(body, "name").empty()) return {400, {{"error", "name is missing"}}};
      if (!ScopesIn(body.value("scopes", json()), access ? PatScopes() : DeployScopes())) {
        return {400, {{"message", {{"scopes", {"can only contain available scopes"}}}}}};
      }
      if (!date_ok(body.value("expires_at", json()))) {
        return {400, {{"error", "expires_at is invalid"}}};
      }
      json next = doc_;
      const int64_t id = NextTokenId(next);
      const std::string secret = Secret(access ? "glpat-" : "gldt-");
      json cred = {{"id", "api-" + std::to_string(id) + "-" + kind},
                   {"kind", kind},
                   {owner_key, path},
                   {"name", body["name"]},
                   {"scopes", body["scopes"]},
                   {"secret", secret}};
      if (body.contains("expires_at") && body["expires_at"].is_string()) {
        cred["expires_at"] = body["expires_at"];
      }
      std::string bot;
      if (access) {
        auto role = RoleName(IntMember(body, "access_level").value_or(40));
        if (!role) return {400, {{"error", "access_level does not have a valid value"}}};
        cred["role"] = *role;
        bot = std::string(groups ? "group_" : "project_") + std::to_string(groups ? g->id : p->id) +
              "_bot_" + Secret("").substr(0, 8);
        bot = protocol::AsciiLower(bot);
        std::replace(bot.begin(), bot.end(), '-', '_');
        cred["bot_username"] = bot;
      } else {
        std::string username = StrMember(body, "username");
        if (username.empty()) username = "gitlab+deploy-token-" + std::to_string(id);
        cred["username"] = username;
      }
      Arr(next, "credentials").push_back(cred);
      Reply ok = commit(std::move(next), {201, nullptr});
      if (ok.status != 201) return ok;
      json out = {{"id", id},
                  {"name", body["name"]},
                  {"revoked", false},
                  {"scopes", body["scopes"]},
                  {"expires_at", body.value("expires_at", json())},
                  {"token", secret}};
      if (access) {
        out["user_id"] = user_id(bot);
        out["access_level"] = RoleLevel(cred["role"].get<std::string>());
        out["active"] = true;
      } else {
        out["username"] = cred["username"];
        out["expired"] = false;
      }
      return {201, out};
    }
    if (seg.size() == 4 && method == "DELETE") {
      auto id = Number(seg[3]);
      json next = doc_;
      json* c = id ? FindToken(next, *id, kind.c_str()) : nullptr;
      if (c == nullptr || !EqualsIgnoreAsciiCase(c->value(owner_key, ""), path)) {
        return {404, {{"message", "404 Token Not Found"}}};
      }
      (*c)["revoked"] = true;
      return commit(std::move(next), {204, nullptr});
    }
  }
  return not_found;
}

}  // namespace regauth::server
