#include "harness/provision/provision.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "harness/testing/world.h"

namespace regauth::harness::provision {
namespace {

using nlohmann::json;
using test_support::WorldFromText;

// A small world with one of everything provision handles and one of each thing it skips.
constexpr std::string_view kWorld = R"({
  "name": "small",
  "instance": {"protected_containers": "ga"},
  "users": [
    {"username": "dana", "email": "dana@example.test"},
    {"username": "bob", "email": "bob@example.test", "state": "blocked"},
    {"username": "tom", "email": "tom@example.test", "two_factor": true}
  ],
  "groups": [{"path": "acme", "id": 10, "visibility": "public",
              "members": [{"user": "dana", "role": "developer"}, {"user": "tom", "role": "developer"}]}],
  "projects": [
    {"id": 1, "path": "acme/app", "visibility": "private", "archived": true,
     "job_token_scope": {"inbound_enabled": true, "allowlist": ["acme/ci", "group:acme"]},
     "container_protection_rules": [{"repository_path_pattern": "acme/app/*", "minimum_access_level_for_push": "owner"}]},
    {"id": 2, "path": "acme/ci", "visibility": "private"},
    {"id": 3, "path": "acme/gone", "visibility": "private", "pending_delete": true}
  ],
  "jobs": [{"id": 7, "project": "acme/ci", "user": "dana", "status": "running"}],
  "credentials": [
    {"id": "dana-password", "kind": "password", "user": "dana", "secret": "s1"},
    {"id": "dana-pat", "kind": "personal_access_token", "user": "dana", "scopes": ["read_registry"], "secret": "s2"},
    {"id": "dana-pat-old", "kind": "personal_access_token", "user": "dana", "scopes": ["api"], "expires_at": "-3d", "secret": "s3"},
    {"id": "app-bot", "kind": "project_access_token", "project": "acme/app", "role": "maintainer", "scopes": ["api"], "revoked": true, "secret": "s4"},
    {"id": "app-deploy", "kind": "deploy_token", "project": "acme/app", "name": "d", "scopes": ["read_registry"], "secret": "s5"},
    {"id": "job-7", "kind": "job_token", "job": 7, "secret": "s6"},
    {"id": "tom-pat", "kind": "personal_access_token", "user": "tom", "scopes": ["api"], "secret": "s7"},
    {"id": "dana-oauth", "kind": "oauth_token", "user": "dana", "scopes": ["api"], "secret": "s8"}
  ]
})";

// FakeGitLab answers like an empty GitLab and records the calls.
struct FakeGitLab {
  std::vector<ApiRequest> calls;
  int64_t next = 100;
  Transport transport() {
    return [this](const ApiRequest& r) -> protocol::Expected<ApiResponse, std::string> {
      calls.push_back(r);
      if (r.method == "GET" && r.path.rfind("/api/v4/users?", 0) == 0) {
        return ApiResponse{200, json::array()};
      }
      if (r.method == "GET" && r.path.rfind("/api/v4/users/", 0) == 0) {
        return ApiResponse{200, {{"id", 5}, {"username", "project_1_bot_x"}}};
      }
      if (r.method == "GET") return ApiResponse{404, {{"message", "404 Not Found"}}};
      if (r.method == "PATCH" || r.method == "DELETE") return ApiResponse{204, nullptr};
      json body = {{"id", next++}, {"token", "tok-" + std::to_string(next)}, {"user_id", 5}};
      if (r.path.find("/projects/user/") != std::string::npos) body["namespace"] = {{"id", 77}};
      return ApiResponse{201, body};
    };
  }
  int Count(std::string_view method, std::string_view path_prefix) const {
    int n = 0;
    for (const ApiRequest& r : calls) {
      if (r.method == method && r.path.rfind(path_prefix, 0) == 0) ++n;
    }
    return n;
  }
};

Options TestOptions() {
  Options o;
  o.prefix = "t-";
  o.today = {2025, 11, 24};
  o.random_password = [] { return std::string("correct-horse-battery"); };
  return o;
}

TEST(DryRunLine, MasksPasswordsAndTokens) {
  const std::string line =
      DryRunLine({"POST",
                  "/api/v4/users",
                  {{"username", "u"}, {"password", "hunter22"}, {"x", {{"token", "t"}}}}});
  EXPECT_EQ(line.find("hunter22"), std::string::npos);
  EXPECT_EQ(line.find("\"t\""), std::string::npos);
  const json j = json::parse(line);
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["path"], "/api/v4/users");
  EXPECT_EQ(j["body"]["password"], "[masked]");
  EXPECT_EQ(j["body"]["username"], "u");
  EXPECT_TRUE(json::parse(DryRunLine({"GET", "/api/v4/groups/a", nullptr}))["body"].is_null());
}

TEST(EnvVarName, UpperCasesAndReplaces) {
  EXPECT_EQ(EnvVarName("dana-pat.read:1"), "REGAUTH_DANA_PAT_READ_1");
}

TEST(Provision, CreatesUnderThePrefixAndSkipsWhatTheApiCannotCreate) {
  const protocol::World w = WorldFromText(kWorld);
  FakeGitLab gl;
  auto out = Provision(w, gl.transport(), TestOptions());
  ASSERT_TRUE(out.has_value()) << out.error();
  // Users: dana and bob created under the prefix, tom (2FA) skipped; bob blocked at the end.
  ASSERT_EQ(gl.Count("POST", "/api/v4/users"), 1 + 1 + 1 + 1);  // 2 users, 1 PAT, 1 block
  EXPECT_EQ(gl.calls[1].body["username"], "t-dana");
  EXPECT_EQ(gl.Count("POST", "/api/v4/groups"), 1 + 1);  // the group, dana's membership
  EXPECT_EQ(gl.Count("PATCH", "/api/v4/projects/"), 2);  // job token scope of 2 projects
  // 2 projects, 2 allowlist entries, 1 protection rule, 1 access token, 1 deploy token, 1 archive
  EXPECT_EQ(gl.Count("POST", "/api/v4/projects"), 2 + 2 + 1 + 1 + 1 + 1);
  EXPECT_EQ(gl.Count("DELETE", "/api/v4/projects/"), 1);  // the revoked access token
  // Every body is masked in a dry-run line; the protection rule uses the 17.8+ path.
  bool rule = false;
  for (const ApiRequest& r : gl.calls) {
    rule = rule || r.path.find("/registry/protection/repository/rules") != std::string::npos;
  }
  EXPECT_TRUE(rule);
  std::string skipped;
  for (const std::string& s : out->skipped) skipped += s + "\n";
  for (const char* what :
       {"user tom", "project acme/gone", "credential job-7", "credential dana-oauth",
        "credential dana-pat-old", "credential tom-pat", "membership of tom"}) {
    EXPECT_NE(skipped.find(what), std::string::npos) << what << " in\n" << skipped;
  }
  // The world written loads, with the secrets from the env entries.
  std::map<std::string, std::string> env(out->env.begin(), out->env.end());
  EXPECT_EQ(env.at("REGAUTH_DANA_PASSWORD"), "correct-horse-battery");
  auto again = protocol::ParseWorld(
      out->world.dump(),
      protocol::WorldContext{test_support::kNow,
                             [&](std::string_view n) -> std::optional<std::string> {
                               auto it = env.find(std::string(n));
                               if (it == env.end()) return std::nullopt;
                               return it->second;
                             }});
  ASSERT_TRUE(again.has_value()) << protocol::DescribeWorldError(again.error());
  EXPECT_NE(again->FindProject("t-acme/app"), nullptr);
  EXPECT_EQ(again->FindProject("t-acme/app")->job_token_scope.allowlist.size(), 2u);
  EXPECT_EQ(again->FindCredential("app-bot")->revoked, true);
  EXPECT_EQ(again->FindCredential("job-7"), nullptr);
}

TEST(Provision, KeepsTokensAnEarlierRunWrote) {
  const protocol::World w = WorldFromText(kWorld);
  FakeGitLab gl;
  Options o = TestOptions();
  o.known_secrets = {{"REGAUTH_DANA_PAT", "kept"}, {"REGAUTH_APP_DEPLOY", "kept2"}};
  auto out = Provision(w, gl.transport(), o);
  ASSERT_TRUE(out.has_value()) << out.error();
  EXPECT_EQ(gl.Count("POST", "/api/v4/users/"), 1);  // only bob's block: no PAT created
  std::map<std::string, std::string> env(out->env.begin(), out->env.end());
  EXPECT_EQ(env.at("REGAUTH_DANA_PAT"), "kept");
  EXPECT_EQ(env.at("REGAUTH_APP_DEPLOY"), "kept2");
}

TEST(Provision, FailsNamingTheCallAndGitLabsMessage) {
  const protocol::World w = WorldFromText(kWorld);
  Transport t = [](const ApiRequest& r) -> protocol::Expected<ApiResponse, std::string> {
    if (r.method == "GET") return ApiResponse{200, json::array()};
    return ApiResponse{403, {{"message", "403 Forbidden"}}};
  };
  auto out = Provision(w, t, TestOptions());
  ASSERT_FALSE(out.has_value());
  EXPECT_NE(out.error().find("POST /api/v4/users: HTTP 403 403 Forbidden"), std::string::npos)
      << out.error();
}

TEST(Provision, RefusesABadPrefix) {
  const protocol::World w = WorldFromText(kWorld);
  FakeGitLab gl;
  Options o = TestOptions();
  o.prefix = "-x";
  EXPECT_FALSE(Provision(w, gl.transport(), o).has_value());
  EXPECT_TRUE(gl.calls.empty());
}

TEST(DryRunTransport, PrintsEveryCallAndAnswersAsAnEmptyGitLab) {
  const protocol::World w = WorldFromText(kWorld);
  std::vector<std::string> lines;
  auto out = Provision(w, DryRunTransport([&](const std::string& l) { lines.push_back(l); }),
                       TestOptions());
  ASSERT_TRUE(out.has_value()) << out.error();
  EXPECT_EQ(static_cast<int>(lines.size()), out->calls);
  for (const std::string& l : lines) {
    EXPECT_EQ(l.find("correct-horse-battery"), std::string::npos) << l;
    EXPECT_TRUE(json::parse(l).contains("body"));
  }
}

}  // namespace
}  // namespace regauth::harness::provision
