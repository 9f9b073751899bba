// admin_api.h — the subset of GitLab's REST API v4 that `regauth provision`
// (harness/provision/provision.h) uses, served by the reference token listener over its world,
// so a `regauth serve` started with an (almost) empty world can be provisioned like a GitLab.
//
// Paths, bodies and status codes follow GitLab's API documentation for 17.6 (docs.gitlab.com/
// 17.6/ee/api/<page>.html; 17.9 for the repository protection rules renamed in 17.8):
//   users.html                 GET /users?username=, GET /users/:id, POST /users (201; 409
//                              "Username/Email has already been taken"), PUT /users/:id (200),
//                              POST /users/:id/block (201 true), DELETE /users/:id (204),
//                              POST /users/:id/personal_access_tokens (201 with `token`; 400 for
//                              a scope the instance does not offer)
//   personal_access_tokens.html  DELETE /personal_access_tokens/:id (204: revoked)
//   groups.html                GET /groups/:id, POST /groups (201; 400 path taken),
//                              DELETE /groups/:id (202)
//   members.html               POST /groups/:id/members, POST /projects/:id/members (201; 409
//                              "Member already exists")
//   projects.html              GET /projects/:id, POST /projects, POST /projects/user/:user_id
//                              (201), PUT /projects/:id (200), POST /projects/:id/archive (201),
//                              DELETE /projects/:id (202)
//   project_job_token_scopes.html  PATCH /projects/:id/job_token_scope (204), POST
//                              …/job_token_scope/allowlist and …/groups_allowlist (201; 422 when
//                              already there)
//   project_container_registry_protection_rules.html (17.6) and
//   container_repository_protection_rules.html (17.9): POST /projects/:id/registry/protection/
//                              rules and …/protection/repository/rules (201; 422 pattern taken)
//   project_access_tokens.html, group_access_tokens.html: GET/POST /projects|groups/:id/
//                              access_tokens (201 with `token` and the bot's `user_id`),
//                              DELETE …/access_tokens/:token_id (204: revoked)
//   deploy_tokens.html         POST/DELETE /projects|groups/:id/deploy_tokens[/:token_id]
// `:id` of a project or group is its number or its URL-encoded full path. Every call needs
// `PRIVATE-TOKEN` (or `Authorization: Bearer`) of an active `api` PAT of an active admin: else
// 401 {"message":"401 Unauthorized"} / 403 {"message":"403 Forbidden"}; unknown ids 404
// {"message":"404 … Not Found"}; an unknown route 404 {"error":"404 Not Found"}.
//
// Model: the API edits the world document (the world file's JSON) and re-parses it with
// ParseWorld after every change; a change the world format refuses is answered 400 with the
// loader's message and undone. Ids: users are numbered as the token service numbers them (their
// position in World::Users(), people first, then access-token bots, from 1); groups and personal
// namespaces share one counter, projects another, tokens a third (each continuing after the
// largest id the document holds). Secrets the API generates are literal in the document (never
// logged); `${VAR}` secrets of the initial document stay as written.
//
// Thread-safety: Handle may run on many threads; one mutex serialises the calls.
//
// Usage:
//   AdminApi api(world_doc, ctx, [&](std::shared_ptr<const World> w) { service.SetWorld(w); });
//   if (auto r = api.Handle(request)) return *r;   // a /api/v4 path
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "net/http_types.h"
#include "protocol/world.h"

namespace regauth::server {

class AdminApi {
 public:
  using Publish = std::function<void(std::shared_ptr<const protocol::World>)>;
  // `doc` is the world document the server loaded; `ctx` its clock and ${VAR} lookup (the same
  // the server used); `publish` receives every new World after a change.
  AdminApi(nlohmann::json doc, protocol::WorldContext ctx, Publish publish);

  // Handle answers a request whose path starts with /api/v4/, else nullopt.
  std::optional<net::HttpResponse> Handle(const net::HttpRequest& request);

 private:
  struct Reply {
    int status;
    nlohmann::json body;
  };
  Reply Route(const std::string& method, const std::string& path, const nlohmann::json& body,
              const std::map<std::string, std::string>& query);
  Reply Commit(nlohmann::json next, Reply ok);  // re-parse, publish, or 400 and undo

  std::mutex mu_;
  nlohmann::json doc_;
  protocol::WorldContext ctx_;
  Publish publish_;
  std::shared_ptr<const protocol::World> world_;
};

// ParseWorldDocument is the JSON of a world file with its limits (for the server's start).
std::optional<nlohmann::json> ParseWorldDocument(const std::string& text);

}  // namespace regauth::server
