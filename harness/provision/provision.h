// provision.h — `regauth provision`: create a world's users, groups, projects, memberships,
// project settings and tokens on a GitLab through its REST API v4, and write the world file that
// describes what was created (secrets as ${VAR}) with an env file holding those secrets.
//
// The API calls and the pages of GitLab's API documentation (17.6) they follow:
//   users            GET /users?username=, POST /users, POST /users/:id/block, DELETE /users/:id
//                    (docs.gitlab.com/17.6/ee/api/users.html)
//   PATs             POST /users/:id/personal_access_tokens (same page, "Create a personal
//                    access token"), DELETE /personal_access_tokens/:id (personal_access_tokens)
//   groups           GET /groups/:path, POST /groups, DELETE /groups/:path (groups.html)
//   members          POST /groups/:id/members, POST /projects/:id/members (members.html; 409 when
//                    the user is already a member: kept)
//   projects         GET /projects/:path, POST /projects, POST /projects/user/:user_id,
//                    POST /projects/:id/archive (projects.html)
//   job token scope  PATCH /projects/:id/job_token_scope, POST …/job_token_scope/allowlist,
//                    POST …/job_token_scope/groups_allowlist (project_job_token_scopes.html)
//   protection       POST /projects/:id/registry/protection/rules (17.6, feature flag:
//                    project_container_registry_protection_rules.html) or
//                    …/registry/protection/repository/rules (17.8+:
//                    container_repository_protection_rules.html), per instance.protected_containers
//   access tokens    POST/DELETE /projects/:id/access_tokens, /groups/:id/access_tokens
//                    (project_access_tokens.html, group_access_tokens.html); the bot's username
//                    from GET /users/:id
//   deploy tokens    POST/DELETE /projects/:id/deploy_tokens, /groups/:id/deploy_tokens
//                    (deploy_tokens.html)
// `:path` is the URL-encoded full path, as the API accepts for projects and groups.
//
// Idempotent: users, groups and projects are looked up first and reused; memberships answered
// 409 count as done; a token whose secret an earlier run wrote to the env file is not created
// again. Everything lives under `prefix` (prepended to usernames, emails and top-level group
// paths), so provision never touches other data; Deprovision deletes those groups (with their
// projects) and users.
//
// What the API cannot create is skipped and listed (Outcome::skipped), and left out of the world
// written: CI jobs and job tokens (GitLab creates them when a pipeline runs: a world for a CI job
// adds that job by hand from its predefined variables), OAuth tokens (issued by /oauth/token,
// not /api/v4), users with two-factor authentication, tokens already expired or expiring today,
// projects pending deletion, and protection rules while instance.protected_containers is off.
// Instance settings are never changed: the world written copies the input's `instance`.
//
// Usage:
//   provision::Options o; o.prefix = "regauth-"; o.today = world.today();
//   auto out = provision::Provision(world, transport, o);   // transport: one API call
//   if (!out) { std::cerr << out.error(); return 1; }
//   WriteEnvFile(out->env); WriteWorld(out->world);
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/result.h"
#include "protocol/rfc3339.h"
#include "protocol/world.h"

namespace regauth::harness::provision {

// ApiRequest is one REST call: `path` starts with "/api/v4/" and may carry a query; `body` is
// null for calls without one.
struct ApiRequest {
  std::string method;
  std::string path;
  nlohmann::json body;
};

// ApiResponse is the status and the parsed JSON body (null when empty or not JSON).
struct ApiResponse {
  int status = 0;
  nlohmann::json body;
};

// Transport performs one call; an error is a failed exchange (no status), its message free of
// secrets.
using Transport = std::function<protocol::Expected<ApiResponse, std::string>(const ApiRequest&)>;

// DryRunLine is the one-line JSON `{"method","path","body"}` that --dry-run prints for `r`,
// with every `password` and `token` member of the body replaced by "[masked]".
std::string DryRunLine(const ApiRequest& r);

// DryRunTransport prints DryRunLine of every call to `out` and answers as an empty GitLab would:
// lookups 404, creations 201 with ids counted from 1000 and the token "[dry-run]".
Transport DryRunTransport(std::function<void(const std::string&)> out);

// EnvVarName: "REGAUTH_" + the credential id upper-cased, every other character than A–Z and 0–9
// turned into '_' ("dana-pat-read" → "REGAUTH_DANA_PAT_READ").
std::string EnvVarName(std::string_view credential_id);

struct Options {
  std::string prefix = "regauth-";
  protocol::CivilDate today;
  // Secrets an earlier run wrote to the env file, by variable name: those tokens are kept.
  std::map<std::string, std::string> known_secrets;
  // random_password returns a fresh password for a user (GitLab's rules: at least 8 characters).
  std::function<std::string()> random_password;
};

struct Outcome {
  nlohmann::json world;                                  // the world file to write
  std::vector<std::pair<std::string, std::string>> env;  // variable, secret (for the env file)
  std::vector<std::string> skipped;                      // "<what>: <why>", one per entity
  int calls = 0;                                         // API calls made
};

// Provision creates `world` under options.prefix. Fails on the first call whose answer is not
// the documented one (the message names method, path, status and GitLab's message), except for a
// token the instance refuses (e.g. a scope it does not know), which is skipped and listed.
protocol::Expected<Outcome, std::string> Provision(const protocol::World& world,
                                                   const Transport& transport,
                                                   const Options& options);

// Deprovision deletes the prefixed top-level groups (their subgroups and projects go with them)
// and the prefixed users (with their personal projects); what does not exist is skipped. Returns
// the number of API calls.
protocol::Expected<int, std::string> Deprovision(const protocol::World& world,
                                                 const Transport& transport,
                                                 const Options& options);

}  // namespace regauth::harness::provision
