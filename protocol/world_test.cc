#include "protocol/world.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/test_support.h"
#include "protocol/test_world.h"

namespace regauth::protocol {
namespace {

constexpr int64_t kNow = 1749988800;  // 2025-06-15T12:00:00Z

WorldContext Context(std::map<std::string, std::string> env = {}) {
  WorldContext ctx;
  ctx.now_unix = kNow;
  ctx.env = [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return ctx;
}

std::string ReadDefaultWorld() {
  return testing_support::ReadSourceFile("cases/worlds/gitlab-default.json");
}

// A small valid world that the error cases below modify.
const char kBase[] = R"({
  "name": "t",
  "users": [{"username": "alice", "email": "alice@example.test"},
            {"username": "bob"}],
  "groups": [{"path": "acme", "id": 10, "visibility": "public",
              "members": [{"user": "alice", "role": "developer"}]},
             {"path": "acme/sub", "id": 11, "visibility": "internal"}],
  "projects": [{"id": 1, "path": "acme/app", "visibility": "private",
                "members": [{"user": "bob", "role": "reporter"}],
                "job_token_scope": {"allowlist": ["acme/sub/lib", "group:acme"]}},
               {"id": 2, "path": "acme/sub/lib", "visibility": "internal",
                "container_registry_access_level": "private"},
               {"id": 3, "path": "bob/personal", "visibility": "public"}],
  "jobs": [{"id": 7, "project": "acme/app", "user": "alice", "status": "running"},
           {"id": 8, "project": "acme/app", "user": null, "status": "success"}],
  "credentials": [
    {"id": "alice-pw", "kind": "password", "user": "alice", "secret": "pw-a"},
    {"id": "alice-pat", "kind": "personal_access_token", "user": "ALICE", "secret": "glpat-a",
     "scopes": ["read_registry"], "expires_at": "+1d"},
    {"id": "app-bot", "kind": "project_access_token", "project": "acme/app", "role": "developer",
     "secret": "glpat-bot", "scopes": ["read_registry", "write_registry"]},
    {"id": "acme-bot", "kind": "group_access_token", "group": "acme", "role": "maintainer",
     "secret": "glpat-gbot", "scopes": ["api"], "bot_username": "acme-robot"},
    {"id": "app-deploy", "kind": "deploy_token", "project": "acme/app", "name": "d",
     "secret": "gldt-a", "scopes": ["read_registry"]},
    {"id": "acme-deploy", "kind": "group_deploy_token", "group": "acme",
     "name": "gitlab-deploy-token", "username": "acme+ci", "secret": "gldt-g", "scopes": []},
    {"id": "job-7", "kind": "job_token", "job": 7, "secret": "glcbt-7"},
    {"id": "job-8", "kind": "job_token", "job": 8, "secret": "glcbt-8"},
    {"id": "oauth", "kind": "oauth_token", "user": "bob", "secret": "o", "scopes": ["openid"],
     "revoked": true}
  ]
})";

// Replace returns kBase with `from` replaced by `to` (exactly one occurrence required).
std::string Replace(std::string_view from, std::string_view to) {
  std::string s = kBase;
  const std::size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(s.find(from, at + 1), std::string::npos) << "ambiguous: " << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(World, BaseWorldLoadsWithDerivedFacts) {
  auto w = ParseWorld(kBase, Context());
  ASSERT_TRUE(w.has_value()) << DescribeWorldError(w.error());
  EXPECT_EQ(w->name(), "t");
  EXPECT_EQ(w->instance().service, "container_registry");  // default
  EXPECT_EQ(w->Users().size(), 4u);                        // 2 people + 2 bots
  EXPECT_EQ(w->today(), (CivilDate{2025, 6, 15}));

  // Bot users: default name project_<id>_bot_<n>, explicit bot_username; direct members.
  const User* bot = w->FindUser("project_1_bot_1");
  ASSERT_NE(bot, nullptr);
  EXPECT_TRUE(bot->bot);
  EXPECT_EQ(bot->bot_credential, "app-bot");
  EXPECT_EQ(w->DirectMembership("project_1_bot_1", "acme/app"), Role::kDeveloper);
  EXPECT_EQ(w->DirectMembership("acme-robot", "acme"), Role::kMaintainer);
  EXPECT_EQ(w->FindCredential("app-bot")->login_username, "project_1_bot_1");
  EXPECT_EQ(w->UserOf(*w->FindCredential("acme-bot"))->username, "acme-robot");

  // Login usernames and owners.
  EXPECT_EQ(w->FindCredential("alice-pat")->login_username, "alice");  // canonical spelling
  EXPECT_EQ(w->FindCredential("app-deploy")->login_username, "gitlab+deploy-token-1");
  EXPECT_EQ(w->FindCredential("acme-deploy")->login_username, "acme+ci");
  EXPECT_EQ(w->UserOf(*w->FindCredential("app-deploy")), nullptr);
  EXPECT_EQ(w->ProjectOf(*w->FindCredential("app-deploy"))->id, 1);
  EXPECT_EQ(w->GroupOf(*w->FindCredential("acme-deploy"))->id, 10);
  const Credential* job7 = w->FindCredential("job-7");
  EXPECT_EQ(job7->login_username, "gitlab-ci-token");
  EXPECT_EQ(job7->project, "acme/app");
  EXPECT_EQ(w->JobOf(*job7)->status, JobStatus::kRunning);
  EXPECT_EQ(w->UserOf(*job7)->username, "alice");
  EXPECT_EQ(w->UserOf(*w->FindCredential("job-8")), nullptr);  // job without a user

  // States and dates.
  EXPECT_EQ(w->FindCredential("alice-pat")->expires_at, (CivilDate{2025, 6, 16}));
  EXPECT_EQ(w->FindCredential("alice-pat")->state, CredentialState::kActive);
  EXPECT_EQ(w->FindCredential("oauth")->state, CredentialState::kRevoked);

  // Lookups: names case-insensitive, ids and secrets exact.
  EXPECT_EQ(w->FindProject("ACME/App")->id, 1);
  EXPECT_EQ(w->FindProjectById(2)->path, "acme/sub/lib");
  EXPECT_EQ(w->FindGroupById(11)->parent, "acme");
  EXPECT_EQ(w->FindUserByEmail("Alice@Example.TEST")->username, "alice");
  EXPECT_EQ(w->FindCredentialBySecret("glpat-a")->id, "alice-pat");
  EXPECT_EQ(w->FindCredentialBySecret("GLPAT-A"), nullptr);
  EXPECT_EQ(w->FindCredential("ALICE-PW"), nullptr);
  EXPECT_EQ(w->FindJob(9), nullptr);

  // Namespaces and ancestry.
  const Project* personal = w->FindProject("bob/personal");
  EXPECT_TRUE(personal->personal);
  EXPECT_EQ(personal->namespace_path, "bob");
  std::vector<std::string> ancestors;
  for (const Group* g : w->AncestorGroups("acme/sub/lib/image")) ancestors.push_back(g->path);
  EXPECT_EQ(ancestors, (std::vector<std::string>{"acme", "acme/sub"}));
  EXPECT_TRUE(w->AncestorGroups("bob/personal").empty());
  std::vector<std::string> under;
  for (const Project* p : w->ProjectsUnder("acme")) under.push_back(p->path);
  EXPECT_EQ(under, (std::vector<std::string>{"acme/app", "acme/sub/lib"}));
  EXPECT_EQ(w->ProjectsUnder("acme/sub").size(), 1u);
  EXPECT_TRUE(w->ProjectsUnder("nope").empty());

  // Memberships are direct only.
  EXPECT_EQ(w->DirectMembership("alice", "acme"), Role::kDeveloper);
  EXPECT_EQ(w->DirectMembership("alice", "acme/app"), std::nullopt);
  EXPECT_EQ(w->DirectMembership("BOB", "acme/app"), Role::kReporter);

  // Job token scope: default on; entries resolved.
  const auto& scope = w->FindProject("acme/app")->job_token_scope;
  EXPECT_TRUE(scope.inbound_enabled);
  ASSERT_EQ(scope.allowlist.size(), 2u);
  EXPECT_EQ(scope.allowlist[0].kind, AllowlistEntry::Kind::kProject);
  EXPECT_EQ(scope.allowlist[1], (AllowlistEntry{AllowlistEntry::Kind::kGroup, "acme"}));
  EXPECT_EQ(w->FindProject("acme/sub/lib")->container_registry_access_level,
            RegistryAccessLevel::kPrivate);
}

// A copied World keeps working lookups (indices, not pointers).
// users[].namespace_id is optional: the personal namespace's id when the world knows it.
TEST(World, UserNamespaceIdIsOptional) {
  std::string text = kBase;
  const std::string from = R"({"username": "bob"})";
  text.replace(text.find(from), from.size(), R"({"username": "bob", "namespace_id": 9})");
  auto w = ParseWorld(text, Context());
  ASSERT_TRUE(w.has_value()) << DescribeWorldError(w.error());
  EXPECT_EQ(w->FindUser("bob")->namespace_id, std::optional<int64_t>(9));
  EXPECT_EQ(w->FindUser("alice")->namespace_id, std::nullopt);
}

// container_protection_rules and instance.protected_containers load as written.
TEST(World, LoadsContainerProtectionRules) {
  std::string text = kBase;
  const std::string from = R"({"id": 2, "path": "acme/sub/lib", "visibility": "internal",)";
  text.replace(text.find(from), from.size(),
               R"({"id": 2, "path": "acme/sub/lib", "visibility": "internal",
                   "container_protection_rules": [
                     {"repository_path_pattern": "ACME/sub/lib/*",
                      "minimum_access_level_for_push": "admin",
                      "minimum_access_level_for_delete": "owner"}],)");
  const std::string name = R"("name": "t",)";
  text.replace(text.find(name), name.size(),
               R"("name": "t", "instance": {"protected_containers": "feature_flag"},)");
  auto w = ParseWorld(text, Context());
  ASSERT_TRUE(w.has_value()) << DescribeWorldError(w.error());
  EXPECT_EQ(w->instance().protected_containers, ProtectedContainers::kFeatureFlag);
  const Project* lib = w->FindProject("acme/sub/lib");
  ASSERT_EQ(lib->container_protection_rules.size(), 1u);
  EXPECT_EQ(lib->container_protection_rules[0].repository_path_pattern, "ACME/sub/lib/*");
  EXPECT_EQ(lib->container_protection_rules[0].minimum_access_level_for_push,
            ProtectionLevel::kAdmin);
  EXPECT_EQ(lib->container_protection_rules[0].minimum_access_level_for_delete,
            ProtectionLevel::kOwner);
  EXPECT_TRUE(w->FindProject("acme/app")->container_protection_rules.empty());
  auto plain = ParseWorld(kBase, Context());
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->instance().protected_containers, ProtectedContainers::kOff);
}

// users[].password_expired and user_type, and a project's outbound job token scope.
TEST(World, LoadsPasswordExpiryServiceAccountsAndOutboundScope) {
  std::string text = Replace(R"({"username": "bob"})",
                             R"({"username": "bob", "password_expired": true},
            {"username": "svc", "user_type": "service_account", "state": "blocked"})");
  const std::string scope = R"("job_token_scope": {"allowlist": ["acme/sub/lib", "group:acme"]})";
  text.replace(text.find(scope), scope.size(),
               R"("job_token_scope": {"allowlist": ["acme/sub/lib", "group:acme"],
                   "outbound_enabled": true, "outbound_allowlist": ["ACME/sub/lib"]})");
  auto w = ParseWorld(text, Context());
  ASSERT_TRUE(w.has_value()) << DescribeWorldError(w.error());
  EXPECT_TRUE(w->FindUser("bob")->password_expired);
  EXPECT_FALSE(w->FindUser("bob")->bot);
  EXPECT_TRUE(w->FindUser("svc")->bot);
  EXPECT_TRUE(w->FindUser("svc")->service_account);
  EXPECT_TRUE(w->FindUser("svc")->bot_credential.empty());
  const JobTokenScope& s = w->FindProject("acme/app")->job_token_scope;
  EXPECT_TRUE(s.outbound_enabled);
  EXPECT_EQ(s.outbound_allowlist, std::vector<std::string>{"acme/sub/lib"});  // canonical
  EXPECT_FALSE(w->FindProject("acme/sub/lib")->job_token_scope.outbound_enabled);

  auto bad_type = ParseWorld(
      Replace(R"({"username": "bob"})", R"({"username": "bob", "user_type": "project_bot"})"),
      Context());
  ASSERT_FALSE(bad_type.has_value());
  EXPECT_EQ(bad_type.error().code, WorldErrorCode::kBadEnumValue);
  EXPECT_EQ(bad_type.error().pointer, "/users/1/user_type");
  auto group_entry = ParseWorld(
      Replace(scope, R"("job_token_scope": {"outbound_allowlist": ["group:acme"]})"), Context());
  ASSERT_FALSE(group_entry.has_value());
  EXPECT_EQ(group_entry.error().code, WorldErrorCode::kDanglingReference);
  EXPECT_EQ(group_entry.error().pointer, "/projects/0/job_token_scope/outbound_allowlist/0");
}

// jobs' tokens may be JWT-format tokens past their `exp` (jwt_expired): state expired.
TEST(World, LoadsExpiredJwtJobTokens) {
  auto w =
      ParseWorld(Replace(R"({"id": "job-8", "kind": "job_token", "job": 8, "secret": "glcbt-8"})",
                         R"({"id": "job-8", "kind": "job_token", "job": 8, "secret": "glcbt-8",
                  "jwt_expired": true})"),
                 Context());
  ASSERT_TRUE(w.has_value()) << DescribeWorldError(w.error());
  EXPECT_TRUE(w->FindCredential("job-8")->jwt_expired);
  EXPECT_EQ(w->FindCredential("job-8")->state, CredentialState::kExpired);
  EXPECT_FALSE(w->FindCredential("job-7")->jwt_expired);
  EXPECT_EQ(w->FindCredential("job-7")->state, CredentialState::kActive);
  auto bad =
      ParseWorld(Replace(R"({"id": "job-8", "kind": "job_token", "job": 8, "secret": "glcbt-8"})",
                         R"({"id": "job-8", "kind": "job_token", "job": 8, "secret": "glcbt-8",
                  "jwt_expired": "yes"})"),
                 Context());
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, WorldErrorCode::kWrongType);
}

// Names and ids may be "${VAR}" (GitLab's predefined CI variables), expanded before validation.
TEST(World, ExpandsVariablesInNamesAndIds) {
  const std::map<std::string, std::string> env = {{"GITLAB_USER_LOGIN", "carol"},
                                                  {"CI_PROJECT_PATH", "acme/ci-app"},
                                                  {"CI_PROJECT_ID", "77"},
                                                  {"CI_JOB_ID", "9001"},
                                                  {"CI_DEPLOY_USER", "gitlab+deploy-token-5"},
                                                  {"CI_JOB_TOKEN", "glcbt-from-env"}};
  const std::string text = R"({"name": "ci",
    "users": [{"username": "${GITLAB_USER_LOGIN}"}],
    "groups": [{"path": "acme", "id": 1, "visibility": "private",
                "members": [{"user": "${GITLAB_USER_LOGIN}", "role": "developer"}]}],
    "projects": [{"id": "${CI_PROJECT_ID}", "path": "${CI_PROJECT_PATH}", "visibility": "private"}],
    "jobs": [{"id": "${CI_JOB_ID}", "project": "${CI_PROJECT_PATH}",
              "user": "${GITLAB_USER_LOGIN}", "status": "running"}],
    "credentials": [
      {"id": "job", "kind": "job_token", "job": "${CI_JOB_ID}", "secret": "${CI_JOB_TOKEN}"},
      {"id": "deploy", "kind": "deploy_token", "project": "${CI_PROJECT_PATH}",
       "name": "gitlab-deploy-token", "username": "${CI_DEPLOY_USER}", "secret": "gldt-x",
       "scopes": ["read_registry"]}]})";
  auto w = ParseWorld(text, Context(env));
  ASSERT_TRUE(w.has_value()) << DescribeWorldError(w.error());
  ASSERT_NE(w->FindUser("carol"), nullptr);
  EXPECT_EQ(w->DirectMembership("carol", "acme"), std::optional<Role>(Role::kDeveloper));
  ASSERT_NE(w->FindProjectById(77), nullptr);
  EXPECT_EQ(w->FindProjectById(77)->path, "acme/ci-app");
  ASSERT_NE(w->FindJob(9001), nullptr);
  EXPECT_EQ(w->FindJob(9001)->user, std::optional<std::string>("carol"));
  EXPECT_EQ(w->FindCredential("job")->job, std::optional<int64_t>(9001));
  EXPECT_EQ(w->FindCredential("job")->secret, "glcbt-from-env");
  EXPECT_EQ(w->FindCredential("deploy")->login_username, "gitlab+deploy-token-5");

  // An unset variable names the member and the variable; an id that is not a number is refused;
  // an expanded value is validated like a literal.
  auto unset = env;
  unset.erase("CI_JOB_ID");
  auto missing = ParseWorld(text, Context(unset));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, WorldErrorCode::kMissingEnvVar);
  EXPECT_EQ(missing.error().pointer, "/jobs/0/id");
  EXPECT_NE(missing.error().message.find("CI_JOB_ID"), std::string::npos);
  auto wordy = env;
  wordy["CI_PROJECT_ID"] = "12abc";
  auto not_int = ParseWorld(text, Context(wordy));
  ASSERT_FALSE(not_int.has_value());
  EXPECT_EQ(not_int.error().code, WorldErrorCode::kBadValue);
  EXPECT_EQ(not_int.error().pointer, "/projects/0/id");
  auto odd = env;
  odd["CI_PROJECT_PATH"] = "acme/bad path";
  auto invalid = ParseWorld(text, Context(odd));
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().code, WorldErrorCode::kBadValue);
  EXPECT_EQ(invalid.error().pointer, "/projects/0/path");
  // A "${" that is not a whole variable stays a literal and fails validation as one.
  auto partial = ParseWorld(Replace(R"("username": "bob")", R"("username": "b${X}")"), Context());
  ASSERT_FALSE(partial.has_value());
  EXPECT_EQ(partial.error().pointer, "/users/1/username");
}

// container_protection_tag_rules: both levels, unique patterns of 1-100 characters, at most 5.
TEST(World, LoadsTagProtectionRules) {
  const std::string from = R"({"id": 3, "path": "bob/personal", "visibility": "public"})";
  auto with_rules = [&](const std::string& rules) {
    return Replace(from, R"({"id": 3, "path": "bob/personal", "visibility": "public",
                   "container_protection_tag_rules": )" +
                             rules + "}");
  };
  const std::string rule =
      R"({"tag_name_pattern": "^v1", "minimum_access_level_for_push": "maintainer",
          "minimum_access_level_for_delete": "admin"})";
  auto w = ParseWorld(with_rules("[" + rule + "]"), Context());
  ASSERT_TRUE(w.has_value()) << DescribeWorldError(w.error());
  const auto& rules = w->FindProject("bob/personal")->container_protection_tag_rules;
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].tag_name_pattern, "^v1");
  EXPECT_EQ(rules[0].minimum_access_level_for_push, ProtectionLevel::kMaintainer);
  EXPECT_EQ(rules[0].minimum_access_level_for_delete, ProtectionLevel::kAdmin);
  EXPECT_FALSE(w->instance().protected_tags);

  auto immutable = ParseWorld(with_rules(R"([{"tag_name_pattern": "x"}])"), Context());
  ASSERT_FALSE(immutable.has_value());
  EXPECT_EQ(immutable.error().code, WorldErrorCode::kMissingMember);
  auto twice = ParseWorld(with_rules("[" + rule + "," + rule + "]"), Context());
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, WorldErrorCode::kDuplicate);
  std::string six = "[";
  for (int i = 0; i < 6; ++i) {
    six +=
        std::string(i ? "," : "") + R"({"tag_name_pattern": "p)" + std::to_string(i) +
        R"(", "minimum_access_level_for_push": "owner", "minimum_access_level_for_delete": "owner"})";
  }
  auto too_many = ParseWorld(with_rules(six + "]"), Context());
  ASSERT_FALSE(too_many.has_value());
  EXPECT_EQ(too_many.error().code, WorldErrorCode::kConstraint);
  auto long_pattern = ParseWorld(
      with_rules(
          R"([{"tag_name_pattern": ")" + std::string(101, 'a') +
          R"(", "minimum_access_level_for_push": "owner", "minimum_access_level_for_delete": "owner"}])"),
      Context());
  ASSERT_FALSE(long_pattern.has_value());
  EXPECT_EQ(long_pattern.error().code, WorldErrorCode::kBadValue);
}

TEST(World, CopiesStayValid) {
  auto w = ParseWorld(kBase, Context());
  ASSERT_TRUE(w.has_value());
  const World copy = *w;
  EXPECT_EQ(copy.FindProject("acme/app"), &copy.Projects()[0]);
}

struct ErrorCase {
  const char* label;
  std::string text;
  WorldErrorCode code;
  std::string pointer;
  std::string message_has;  // a substring the message must contain
};
REGAUTH_PRINT_LABEL(ErrorCase)

const ErrorCase kErrorCases[] = {
    // JSON level.
    {"syntax", "{\"name\": }", WorldErrorCode::kSyntax, "", "malformed JSON"},
    {"duplicate key", R"({"name":"a","name":"b"})", WorldErrorCode::kDuplicateKey, "", "repeats"},
    {"not an object", "[]", WorldErrorCode::kWrongType, "", "expected the world as an object"},
    // Typos are errors, at every level.
    {"unknown top-level", Replace(R"("name": "t",)", R"("name": "t", "usres": [],)"),
     WorldErrorCode::kUnknownMember, "/usres", "allowed: name, description"},
    {"unknown user member",
     Replace(R"({"username": "bob"})", R"({"username": "bob", "emial": "x"})"),
     WorldErrorCode::kUnknownMember, "/users/1/emial", "\"emial\""},
    {"password with scopes",
     Replace(R"("user": "alice", "secret": "pw-a"})",
             R"("user": "alice", "secret": "pw-a", "scopes": []})"),
     WorldErrorCode::kUnknownMember, "/credentials/0/scopes", "a password credential"},
    {"member name with slash", Replace(R"("name": "t",)", R"("name": "t", "a/b~c": 1,)"),
     WorldErrorCode::kUnknownMember, "/a~1b~0c", "unknown member"},
    // Only "$schema" and "$comment" are annotations; any other '$' member is a typo.
    {"other dollar member", Replace(R"("name": "t",)", R"("name": "t", "$id": "w",)"),
     WorldErrorCode::kUnknownMember, "/$id", "unknown member \"$id\""},
    {"dollar member in a user",
     Replace(R"({"username": "bob"})", R"({"username": "bob", "$coment": "typo"})"),
     WorldErrorCode::kUnknownMember, "/users/1/$coment", "a user"},
    // Types and required members.
    {"missing name", Replace(R"("name": "t",)", ""), WorldErrorCode::kMissingMember, "/name",
     "required"},
    {"id as string", Replace(R"("id": 10,)", R"("id": "10",)"), WorldErrorCode::kWrongType,
     "/groups/0/id", "expected an integer, got a string"},
    {"id float", Replace(R"("id": 10,)", R"("id": 10.5,)"), WorldErrorCode::kWrongType,
     "/groups/0/id", "non-integer"},
    {"id zero", Replace(R"("id": 10,)", R"("id": 0,)"), WorldErrorCode::kBadValue, "/groups/0/id",
     "positive"},
    {"bool as string", Replace(R"({"username": "bob"})", R"({"username": "bob", "admin": "yes"})"),
     WorldErrorCode::kWrongType, "/users/1/admin", "true or false"},
    {"instance array", Replace(R"("name": "t",)", R"("name": "t", "instance": [],)"),
     WorldErrorCode::kWrongType, "/instance", "expected /instance as an object, got an array"},
    {"job user missing", Replace(R"("user": null, )", ""), WorldErrorCode::kMissingMember,
     "/jobs/1/user", "null for a job without a user"},
    // Enum values list the allowed ones.
    {"bad visibility", Replace(R"("visibility": "private",)", R"("visibility": "privat",)"),
     WorldErrorCode::kBadEnumValue, "/projects/0/visibility",
     "expected one of: private, internal, public"},
    {"bad role", Replace(R"("role": "reporter")", R"("role": "admin")"),
     WorldErrorCode::kBadEnumValue, "/projects/0/members/0/role",
     "guest, planner, reporter, developer, maintainer, owner"},
    {"bad kind", Replace(R"("kind": "password")", R"("kind": "pat")"),
     WorldErrorCode::kBadEnumValue, "/credentials/0/kind", "personal_access_token"},
    {"bad job status", Replace(R"("status": "running")", R"("status": "started")"),
     WorldErrorCode::kBadEnumValue, "/jobs/0/status", "canceling"},
    {"bad registry level",
     Replace(R"("container_registry_access_level": "private")",
             R"("container_registry_access_level": "members")"),
     WorldErrorCode::kBadEnumValue, "/projects/1/container_registry_access_level",
     "enabled, private, disabled"},
    {"unknown scope", Replace(R"("scopes": ["api"])", R"("scopes": ["apii"])"),
     WorldErrorCode::kBadEnumValue, "/credentials/3/scopes/0", "unknown scope \"apii\""},
    {"deploy token with api scope",
     Replace(R"("secret": "gldt-a", "scopes": ["read_registry"])",
             R"("secret": "gldt-a", "scopes": ["api"])"),
     WorldErrorCode::kBadEnumValue, "/credentials/4/scopes/0", "read_package_registry"},
    {"duplicate scope", Replace(R"("scopes": ["api"])", R"("scopes": ["api", "api"])"),
     WorldErrorCode::kDuplicate, "/credentials/3/scopes/1", "twice"},
    // Container protection rules (ContainerRegistry::Protection::Rule validations).
    {"protection pattern outside the project",
     Replace(R"({"id": 2, "path": "acme/sub/lib", "visibility": "internal",)",
             R"({"id": 2, "path": "acme/sub/lib", "visibility": "internal",
                 "container_protection_rules": [{"repository_path_pattern": "acme/other*",
                                                 "minimum_access_level_for_push": "owner"}],)"),
     WorldErrorCode::kBadValue, "/projects/1/container_protection_rules/0/repository_path_pattern",
     "starting with the project path"},
    {"protection rule without a level",
     Replace(R"({"id": 2, "path": "acme/sub/lib", "visibility": "internal",)",
             R"({"id": 2, "path": "acme/sub/lib", "visibility": "internal",
                 "container_protection_rules": [{"repository_path_pattern": "acme/sub/lib"}],)"),
     WorldErrorCode::kMissingMember, "/projects/1/container_protection_rules/0", "minimum"},
    {"protection level developer",
     Replace(R"({"id": 2, "path": "acme/sub/lib", "visibility": "internal",)",
             R"({"id": 2, "path": "acme/sub/lib", "visibility": "internal",
                 "container_protection_rules": [{"repository_path_pattern": "acme/sub/lib",
                                                 "minimum_access_level_for_push": "developer"}],)"),
     WorldErrorCode::kBadEnumValue,
     "/projects/1/container_protection_rules/0/minimum_access_level_for_push", "maintainer"},
    {"protected_containers unknown mode",
     Replace(R"("name": "t",)", R"("name": "t", "instance": {"protected_containers": "on"},)"),
     WorldErrorCode::kBadEnumValue, "/instance/protected_containers", "feature_flag"},
    // A user's personal namespace id shares GitLab's namespaces table with group ids.
    {"namespace id of a group",
     Replace(R"({"username": "bob"})", R"({"username": "bob", "namespace_id": 10})"),
     WorldErrorCode::kDuplicate, "/groups/0/id", "namespace of user \"bob\""},
    {"namespace id twice",
     Replace(R"({"username": "bob"})",
             R"({"username": "bob", "namespace_id": 9}, {"username": "cy", "namespace_id": 9})"),
     WorldErrorCode::kDuplicate, "/users/2/namespace_id", "used twice"},
    {"namespace id not an id",
     Replace(R"({"username": "bob"})", R"({"username": "bob", "namespace_id": 0})"),
     WorldErrorCode::kBadValue, "/users/1/namespace_id", "positive"},
    // Dangling references.
    {"member unknown user", Replace(R"("user": "bob", "role")", R"("user": "carol", "role")"),
     WorldErrorCode::kDanglingReference, "/projects/0/members/0/user", "no user named \"carol\""},
    {"credential unknown project",
     Replace(R"("project": "acme/app", "role")", R"("project": "acme/nope", "role")"),
     WorldErrorCode::kDanglingReference, "/credentials/2/project", "acme/nope"},
    {"credential unknown group", Replace(R"("group": "acme", "role")", R"("group": "x", "role")"),
     WorldErrorCode::kDanglingReference, "/credentials/3/group", "no group"},
    {"job token unknown job", Replace(R"("job": 8,)", R"("job": 9,)"),
     WorldErrorCode::kDanglingReference, "/credentials/7/job", "no job with id 9"},
    {"missing parent group",
     Replace(R"("path": "acme/sub", "id": 11)", R"("path": "ac/sub", "id": 11)"),
     WorldErrorCode::kDanglingReference, "/groups/1/path", "parent group \"ac\""},
    {"unknown namespace", Replace(R"("path": "bob/personal")", R"("path": "carol/personal")"),
     WorldErrorCode::kDanglingReference, "/projects/2/path", "neither a group"},
    {"allowlist unknown project", Replace(R"(["acme/sub/lib", )", R"(["acme/lib", )"),
     WorldErrorCode::kDanglingReference, "/projects/0/job_token_scope/allowlist/0", "group:<path>"},
    {"allowlist unknown group", Replace(R"("group:acme"])", R"("group:nope"])"),
     WorldErrorCode::kDanglingReference, "/projects/0/job_token_scope/allowlist/1", "no group"},
    {"job unknown project",
     Replace(R"("id": 7, "project": "acme/app")", R"("id": 7, "project": "acme/ap")"),
     WorldErrorCode::kDanglingReference, "/jobs/0/project", "no project"},
    // Duplicates.
    {"duplicate username case", Replace(R"({"username": "bob"})", R"({"username": "ALICE"})"),
     WorldErrorCode::kDuplicate, "/users/1/username", "already taken by user \"alice\""},
    {"username vs group", Replace(R"({"username": "bob"})", R"({"username": "Acme"})"),
     WorldErrorCode::kDuplicate, "/groups/0/path", "case-insensitively"},
    {"duplicate email",
     Replace(R"({"username": "bob"})", R"({"username": "bob", "email": "ALICE@example.test"})"),
     WorldErrorCode::kDuplicate, "/users/1/email", "alice"},
    {"duplicate project id", Replace(R"("id": 2,)", R"("id": 1,)"), WorldErrorCode::kDuplicate,
     "/projects/1/id", "project id 1"},
    {"duplicate job id", Replace(R"("id": 8,)", R"("id": 7,)"), WorldErrorCode::kDuplicate,
     "/jobs/1/id", "job id 7"},
    {"duplicate credential id", Replace(R"("id": "oauth")", R"("id": "alice-pw")"),
     WorldErrorCode::kDuplicate, "/credentials/8/id", "used twice"},
    {"duplicate member",
     Replace(R"([{"user": "bob", "role": "reporter"}])", R"([{"user": "bob", "role": "reporter"},)"
                                                         R"({"user": "Bob", "role": "guest"}])"),
     WorldErrorCode::kDuplicate, "/projects/0/members/1/user", "listed twice"},
    {"second password",
     Replace(R"("kind": "oauth_token", "user": "bob", "secret": "o", "scopes": ["openid"],
     "revoked": true})",
             R"("kind": "password", "user": "alice", "secret": "o"})"),
     WorldErrorCode::kDuplicate, "/credentials/8/user", "already has a password"},
    {"bot name collides", Replace(R"("bot_username": "acme-robot")", R"("bot_username": "bob")"),
     WorldErrorCode::kDuplicate, "/credentials/3/bot_username", "already taken"},
    {"duplicate allowlist entry", Replace(R"("group:acme"])", R"("group:acme", "group:ACME"])"),
     WorldErrorCode::kDuplicate, "/projects/0/job_token_scope/allowlist/2", "twice"},
    // Values.
    {"bad username", Replace(R"({"username": "bob"})", R"({"username": "bob smith"})"),
     WorldErrorCode::kBadValue, "/users/1/username", "invalid username"},
    {"project without namespace", Replace(R"("path": "bob/personal")", R"("path": "personal")"),
     WorldErrorCode::kBadValue, "/projects/2/path", "needs a namespace"},
    {"path with dot-dot", Replace(R"("path": "bob/personal")", R"("path": "bob/..")"),
     WorldErrorCode::kBadValue, "/projects/2/path", "invalid project path"},
    {"path ending .git", Replace(R"("path": "bob/personal")", R"("path": "bob/p.git")"),
     WorldErrorCode::kBadValue, "/projects/2/path", "invalid project path"},
    {"empty credential id", Replace(R"("id": "oauth")", R"("id": "")"), WorldErrorCode::kBadValue,
     "/credentials/8/id", "invalid credential id"},
    {"bad deploy username", Replace(R"("username": "acme+ci")", R"("username": "acme ci")"),
     WorldErrorCode::kBadValue, "/credentials/5/username", "[A-Za-z0-9.+_-]+"},
    {"deploy token without name",
     Replace(R"("project": "acme/app", "name": "d",)", R"("project": "acme/app",)"),
     WorldErrorCode::kMissingMember, "/credentials/4/name", "required"},
    {"expiry bad date", Replace(R"("expires_at": "+1d")", R"("expires_at": "2025-02-30")"),
     WorldErrorCode::kBadValue, "/credentials/1/expires_at", "invalid_date"},
    {"expiry bad relative", Replace(R"("expires_at": "+1d")", R"("expires_at": "+1w")"),
     WorldErrorCode::kBadValue, "/credentials/1/expires_at", "\"+Nd\""},
    {"expiry number", Replace(R"("expires_at": "+1d")", R"("expires_at": 20250101)"),
     WorldErrorCode::kWrongType, "/credentials/1/expires_at", "got an integer"},
    {"empty secret", Replace(R"("secret": "o")", R"("secret": "")"), WorldErrorCode::kBadValue,
     "/credentials/8/secret", "non-empty"},
    {"token expire delay 0",
     Replace(R"("name": "t",)", R"("name": "t", "instance": {"token_expire_delay_minutes": 0},)"),
     WorldErrorCode::kBadValue, "/instance/token_expire_delay_minutes", "between 1"},
    // GitLab data-model constraints.
    {"project more visible than group",
     Replace(R"("path": "acme/sub/lib", "visibility": "internal")",
             R"("path": "acme/sub/lib", "visibility": "public")"),
     WorldErrorCode::kConstraint, "/projects/1/visibility", "its group \"acme/sub\" (internal)"},
    {"subgroup more visible than parent",
     Replace(R"("id": 10, "visibility": "public")", R"("id": 10, "visibility": "private")"),
     WorldErrorCode::kConstraint, "/groups/1/visibility", "its parent \"acme\""},
    // ${ENV} secrets.
    {"missing env var", Replace(R"("secret": "glpat-a")", R"("secret": "${ALICE_PAT}")"),
     WorldErrorCode::kMissingEnvVar, "/credentials/1/secret", "\"ALICE_PAT\" is not set"},
    {"empty env var", Replace(R"("secret": "glpat-a")", R"("secret": "${EMPTY}")"),
     WorldErrorCode::kMissingEnvVar, "/credentials/1/secret", "\"EMPTY\" is empty"},
    {"partial env form", Replace(R"("secret": "glpat-a")", R"("secret": "glpat-${ALICE_PAT}")"),
     WorldErrorCode::kBadValue, "/credentials/1/secret", "exactly \"${NAME}\""},
    {"bad env name", Replace(R"("secret": "glpat-a")", R"("secret": "${1X}")"),
     WorldErrorCode::kBadValue, "/credentials/1/secret", "exactly"},
    {"env duplicates literal", Replace(R"("secret": "glpat-a")", R"("secret": "${DUP}")"),
     WorldErrorCode::kDuplicate, "/credentials/1/secret", "same as credential \"alice-pw\""},
};

class WorldErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(WorldErrorTest, FailsWithPointerAndPreciseMessage) {
  const ErrorCase& c = GetParam();
  auto w = ParseWorld(c.text, Context({{"EMPTY", ""}, {"DUP", "pw-a"}}));
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(CodeName(w.error().code), CodeName(c.code)) << w.error().message;
  EXPECT_EQ(w.error().pointer, c.pointer) << w.error().message;
  EXPECT_NE(w.error().message.find(c.message_has), std::string::npos) << w.error().message;
}

INSTANTIATE_TEST_SUITE_P(Table, WorldErrorTest, testing::ValuesIn(kErrorCases),
                         testing_support::LabelName());

// "$schema" (so editors validate the file against cases/schema/world.schema.json) and "$comment"
// are allowed at the top level and in every object, with any value, and change nothing.
TEST(World, AcceptsSchemaAndCommentAnnotationsEverywhere) {
  std::string text = Replace(R"("name": "t",)", R"("$schema": "../schema/world.schema.json",
    "$comment": ["notes", {"any": 1}], "name": "t", "instance": {"$comment": "i"},)");
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {R"({"username": "bob"})", R"({"$comment": "u", "username": "bob"})"},
           {R"({"user": "alice", "role": "developer"})",
            R"({"user": "alice", "role": "developer", "$comment": 7})"},
           {R"("path": "acme", "id": 10,)", R"("path": "acme", "$comment": null, "id": 10,)"},
           {R"("job_token_scope": {"allowlist")",
            R"("job_token_scope": {"$comment": "s", "allowlist")"},
           {R"("id": 8, "project")", R"("id": 8, "$comment": "j", "project")"},
           {R"({"id": "job-7", "kind")", R"({"$schema": "x", "id": "job-7", "kind")"},
       }) {
    const std::size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  }
  auto annotated = ParseWorld(text, Context());
  ASSERT_TRUE(annotated.has_value()) << DescribeWorldError(annotated.error());
  auto plain = ParseWorld(kBase, Context());
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(annotated->Users().size(), plain->Users().size());
  EXPECT_EQ(CredentialsJson(*annotated), CredentialsJson(*plain));
  EXPECT_EQ(annotated->FindProject("acme/app")->job_token_scope.allowlist,
            plain->FindProject("acme/app")->job_token_scope.allowlist);
}

// Secrets resolve from ${ENV} at load; no message ever contains a secret value.
TEST(World, ResolvesEnvSecretsAndNeverEchoesSecrets) {
  auto ok = ParseWorld(Replace(R"("secret": "glpat-a")", R"("secret": "${ALICE_PAT}")"),
                       Context({{"ALICE_PAT", "glpat-from-env"}}));
  ASSERT_TRUE(ok.has_value()) << DescribeWorldError(ok.error());
  EXPECT_EQ(ok->FindCredential("alice-pat")->secret, "glpat-from-env");
  EXPECT_EQ(ok->FindCredentialBySecret("glpat-from-env")->id, "alice-pat");

  // Duplicate secrets (literal and from env), over-long and malformed ones: not echoed.
  const std::string secret = "s3cr3t-value-do-not-print";
  std::string dup = Replace(R"("secret": "glpat-a")", "\"secret\": \"" + secret + "\"");
  dup.replace(dup.find(R"("secret": "o")"), 13, "\"secret\": \"" + secret + "\"");
  const std::string partial =
      Replace(R"("secret": "glpat-a")", "\"secret\": \"" + secret + "${X\"");
  const std::string long_literal =
      Replace(R"("secret": "glpat-a")", "\"secret\": \"" + secret + std::string(5000, 'x') + "\"");
  const std::string long_env = Replace(R"("secret": "glpat-a")", R"("secret": "${LONG}")");
  const std::string dup_env = Replace(R"("secret": "glpat-a")", R"("secret": "${X}")");
  std::string dup_env2 = dup_env;
  dup_env2.replace(dup_env2.find(R"("secret": "o")"), 13, R"("secret": "${X}")");
  for (const std::string& text : {dup, partial, long_literal, long_env, dup_env2}) {
    auto w = ParseWorld(text, Context({{"X", secret}, {"LONG", secret + std::string(5000, 'x')}}));
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error().message.find("s3cr3t"), std::string::npos) << w.error().message;
    EXPECT_EQ(DescribeWorldError(w.error()).find("s3cr3t"), std::string::npos);
  }
  // A world without an env function treats every variable as unset.
  WorldContext no_env;
  no_env.now_unix = kNow;
  auto missing = ParseWorld(Replace(R"("secret": "glpat-a")", R"("secret": "${A}")"), no_env);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, WorldErrorCode::kMissingEnvVar);
}

struct ExpiryCase {
  const char* label;
  std::string expires_at;  // JSON value
  std::optional<CivilDate> date;
  CredentialState state;
};
REGAUTH_PRINT_LABEL(ExpiryCase)

// expires_at is a UTC calendar date; states are derived at the context clock (2025-06-15).
const ExpiryCase kExpiryCases[] = {
    {"null", "null", std::nullopt, CredentialState::kActive},
    {"today", "\"today\"", CivilDate{2025, 6, 15}, CredentialState::kExpiresToday},
    {"+0d", "\"+0d\"", CivilDate{2025, 6, 15}, CredentialState::kExpiresToday},
    {"-1d", "\"-1d\"", CivilDate{2025, 6, 14}, CredentialState::kExpired},
    {"+1d", "\"+1d\"", CivilDate{2025, 6, 16}, CredentialState::kActive},
    {"+30d across month", "\"+30d\"", CivilDate{2025, 7, 15}, CredentialState::kActive},
    {"-366d across leap", "\"-366d\"", CivilDate{2024, 6, 14}, CredentialState::kExpired},
    {"absolute past", "\"2025-06-14\"", CivilDate{2025, 6, 14}, CredentialState::kExpired},
    {"absolute today", "\"2025-06-15\"", CivilDate{2025, 6, 15}, CredentialState::kExpiresToday},
    {"absolute future", "\"2027-01-31\"", CivilDate{2027, 1, 31}, CredentialState::kActive},
};

class WorldExpiryTest : public testing::TestWithParam<ExpiryCase> {};

TEST_P(WorldExpiryTest, DerivesDateAndState) {
  const ExpiryCase& c = GetParam();
  auto w =
      ParseWorld(Replace(R"("expires_at": "+1d")", "\"expires_at\": " + c.expires_at), Context());
  ASSERT_TRUE(w.has_value()) << DescribeWorldError(w.error());
  const Credential* pat = w->FindCredential("alice-pat");
  EXPECT_EQ(pat->expires_at, c.date);
  EXPECT_EQ(Name(pat->state), Name(c.state));
}

INSTANTIATE_TEST_SUITE_P(Table, WorldExpiryTest, testing::ValuesIn(kExpiryCases),
                         testing_support::LabelName());

// Revocation wins over expiry.
TEST(World, RevokedWinsOverExpired) {
  auto w = ParseWorld(Replace(R"("expires_at": "+1d")", R"("expires_at": "-5d", "revoked": true)"),
                      Context());
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->FindCredential("alice-pat")->state, CredentialState::kRevoked);
}

TEST(World, EnforcesLimits) {
  WorldLimits bytes;
  bytes.max_bytes = 100;
  auto big = ParseWorld(kBase, Context(), bytes);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code, WorldErrorCode::kTooLarge);
  EXPECT_EQ(big.error().offset, 100u);
  EXPECT_EQ(DescribeWorldError(big.error()).rfind("byte 100: ", 0), 0u);

  WorldLimits entities;
  entities.max_entities = 1;
  auto many = ParseWorld(kBase, Context(), entities);
  ASSERT_FALSE(many.has_value());
  EXPECT_EQ(many.error().code, WorldErrorCode::kTooLarge);
  EXPECT_EQ(many.error().pointer, "/users");

  WorldLimits depth;
  depth.max_depth = 3;
  auto deep = ParseWorld(kBase, Context(), depth);
  ASSERT_FALSE(deep.has_value());
  EXPECT_EQ(deep.error().code, WorldErrorCode::kTooLarge);
}

TEST(World, EnumNamesRoundTrip) {
  for (auto v : {Visibility::kPrivate, Visibility::kInternal, Visibility::kPublic}) {
    EXPECT_EQ(ParseVisibility(Name(v)), v);
  }
  for (auto v : {RegistryAccessLevel::kDisabled, RegistryAccessLevel::kPrivate,
                 RegistryAccessLevel::kEnabled}) {
    EXPECT_EQ(ParseRegistryAccessLevel(Name(v)), v);
  }
  for (auto v : {Role::kGuest, Role::kPlanner, Role::kReporter, Role::kDeveloper, Role::kMaintainer,
                 Role::kOwner}) {
    EXPECT_EQ(ParseRole(Name(v)), v);
  }
  for (auto v : {CredentialKind::kPassword, CredentialKind::kPersonalAccessToken,
                 CredentialKind::kProjectAccessToken, CredentialKind::kGroupAccessToken,
                 CredentialKind::kOAuthToken, CredentialKind::kDeployToken,
                 CredentialKind::kGroupDeployToken, CredentialKind::kJobToken}) {
    EXPECT_EQ(ParseCredentialKind(Name(v)), v);
  }
  for (auto v : {CredentialState::kActive, CredentialState::kExpiresToday,
                 CredentialState::kExpired, CredentialState::kRevoked}) {
    EXPECT_EQ(ParseCredentialState(Name(v)), v);
  }
  for (auto v : {JobStatus::kPending, JobStatus::kRunning, JobStatus::kCanceling,
                 JobStatus::kSuccess, JobStatus::kFailed, JobStatus::kCanceled}) {
    EXPECT_EQ(ParseJobStatus(Name(v)), v);
  }
  for (auto v : {UserState::kActive, UserState::kBlocked}) EXPECT_EQ(ParseUserState(Name(v)), v);
  // GitLab's numeric levels.
  EXPECT_EQ(static_cast<int>(Role::kPlanner), 15);
  EXPECT_EQ(static_cast<int>(Role::kOwner), 50);
  EXPECT_EQ(static_cast<int>(Visibility::kPublic), 20);
  EXPECT_EQ(ParseRole("Developer"), std::nullopt);
  EXPECT_EQ(Name(CredentialKind::kOAuthToken), "oauth_token");
}

TEST(World, CredentialsJsonIsWhatTheCliPrints) {
  auto w = ParseWorld(kBase, Context());
  ASSERT_TRUE(w.has_value());
  const nlohmann::json j = CredentialsJson(*w);
  ASSERT_EQ(j.size(), 9u);
  EXPECT_EQ(j[1], (nlohmann::json{{"id", "alice-pat"},
                                  {"kind", "personal_access_token"},
                                  {"username", "alice"},
                                  {"secret", "glpat-a"},
                                  {"scopes", {"read_registry"}},
                                  {"state", "active"}}));
  EXPECT_EQ(j[6]["username"], "gitlab-ci-token");
  EXPECT_EQ(j[6]["scopes"], nlohmann::json::array());
  EXPECT_EQ(j[8]["state"], "revoked");
}

// The default world (cases/worlds/gitlab-default.json) loads and covers every dimension of the
// conformance matrix.
TEST(DefaultWorld, LoadsAndCoversTheMatrix) {
  const std::string text = ReadDefaultWorld();
  ASSERT_FALSE(text.empty()) << "cannot read cases/worlds/gitlab-default.json";
  EXPECT_LT(text.size(), 64u * 1024) << "keep the default world usable as a fuzz seed";
  auto w = ParseWorld(text, Context());
  ASSERT_TRUE(w.has_value()) << DescribeWorldError(w.error());
  EXPECT_EQ(w->name(), "gitlab-default");
  EXPECT_TRUE(w->instance().admin_mode);
  EXPECT_EQ(w->Users().size(), 16u + 4u);  // people and a service account + access token bots
  EXPECT_EQ(w->Groups().size(), 3u);
  EXPECT_EQ(w->Projects().size(), 29u);
  EXPECT_EQ(w->Jobs().size(), 23u);
  EXPECT_EQ(w->Credentials().size(), 98u);
  EXPECT_TRUE(w->FindUser("pam-expired")->password_expired);
  EXPECT_TRUE(w->FindUser("svc-blocked")->bot);
  EXPECT_TRUE(w->FindUser("svc-blocked")->service_account);
  EXPECT_EQ(w->FindUser("svc-blocked")->state, UserState::kBlocked);
  EXPECT_TRUE(w->FindProject("acme/outbound-ci")->job_token_scope.outbound_enabled);
  EXPECT_EQ(w->instance().protected_containers, ProtectedContainers::kGa);
  EXPECT_EQ(w->FindUser("dana-developer")->namespace_id, std::optional<int64_t>(30));

  // Every visibility × registry access level combination exists in acme.
  for (auto vis : {Visibility::kPublic, Visibility::kInternal, Visibility::kPrivate}) {
    for (auto reg : {RegistryAccessLevel::kEnabled, RegistryAccessLevel::kPrivate,
                     RegistryAccessLevel::kDisabled}) {
      const std::string path = "acme/" + std::string(Name(vis)) + "-" + std::string(Name(reg));
      const Project* p = w->FindProject(path);
      ASSERT_NE(p, nullptr) << path;
      EXPECT_EQ(p->visibility, vis) << path;
      EXPECT_EQ(p->container_registry_access_level, reg) << path;
    }
  }
  EXPECT_TRUE(w->FindProject("acme/archived")->archived);
  EXPECT_TRUE(w->FindProject("acme/pending-delete")->pending_delete);
  EXPECT_FALSE(w->FindProject("acme/no-ci")->builds_enabled);
  EXPECT_FALSE(w->FindProject("acme/no-repo")->repository_enabled);
  EXPECT_FALSE(w->FindProject("acme/platform/lib")->job_token_scope.inbound_enabled);
  EXPECT_EQ(w->AncestorGroups("acme/platform/lib").size(), 2u);
  EXPECT_EQ(w->ProjectsUnder("acme").size(), 26u);
  EXPECT_EQ(w->ProjectsUnder("globex").size(), 2u);

  // One acme member per role; the special users.
  const std::pair<const char*, Role> roles[] = {
      {"gus-guest", Role::kGuest},           {"pia-planner", Role::kPlanner},
      {"rita-reporter", Role::kReporter},    {"dana-developer", Role::kDeveloper},
      {"max-maintainer", Role::kMaintainer}, {"olga-owner", Role::kOwner}};
  for (const auto& [user, role] : roles) EXPECT_EQ(w->DirectMembership(user, "acme"), role);
  EXPECT_EQ(w->DirectMembership("nora-nomember", "acme"), std::nullopt);
  EXPECT_TRUE(w->FindUser("eve-external")->external);
  EXPECT_EQ(w->DirectMembership("eve-external", "acme/internal-enabled"), Role::kReporter);
  EXPECT_TRUE(w->FindUser("ada-admin")->admin);
  EXPECT_EQ(w->FindUser("bob-blocked")->state, UserState::kBlocked);
  EXPECT_TRUE(w->FindUser("tom-twofactor")->two_factor);
  EXPECT_EQ(w->DirectMembership("gil-globex", "globex"), Role::kDeveloper);
  EXPECT_EQ(w->DirectMembership("pete-project", "acme/private-enabled"), Role::kReporter);

  // Every credential kind and state occurs; special tokens exist.
  std::set<CredentialKind> kinds;
  std::set<CredentialState> states;
  int gitlab_deploy_tokens = 0;
  for (const Credential& c : w->Credentials()) {
    kinds.insert(c.kind);
    states.insert(c.state);
    if (c.name == "gitlab-deploy-token") ++gitlab_deploy_tokens;
  }
  EXPECT_EQ(kinds.size(), 8u);
  EXPECT_EQ(states.size(), 4u);
  EXPECT_EQ(gitlab_deploy_tokens, 2);  // one project, one group deploy token
  EXPECT_EQ(w->FindCredential("dana-pat-expired")->state, CredentialState::kExpired);
  EXPECT_EQ(w->FindCredential("dana-pat-expires-today")->state, CredentialState::kExpiresToday);
  EXPECT_EQ(w->FindCredential("dana-pat-revoked")->state, CredentialState::kRevoked);
  EXPECT_EQ(w->FindCredential("private-enabled-bot-developer")->login_username, "project_7_bot_1");
  EXPECT_EQ(w->DirectMembership("group_10_bot_1", "acme"), Role::kMaintainer);

  // Jobs: allowlisted and non-allowlisted sources, a job without a user, non-running ones.
  const auto& allow = w->FindProject("acme/private-enabled")->job_token_scope.allowlist;
  ASSERT_EQ(allow.size(), 2u);
  EXPECT_EQ(allow[0].path, "acme/app-ci");
  EXPECT_EQ(allow[1].path, "acme/outbound-ci");
  EXPECT_TRUE(w->instance().protected_tags);
  EXPECT_EQ(w->FindProject("acme/protected-tags")->container_protection_tag_rules.size(), 2u);
  EXPECT_TRUE(w->FindProject("acme/private-enabled")->container_protection_tag_rules.empty());
  EXPECT_EQ(w->JobOf(*w->FindCredential("job-106"))->project, "acme/tools");
  EXPECT_EQ(w->UserOf(*w->FindCredential("job-105")), nullptr);
  EXPECT_EQ(w->JobOf(*w->FindCredential("job-102"))->status, JobStatus::kCanceling);
  EXPECT_TRUE(w->JobOf(*w->FindCredential("job-109"))->erased);

  // Secrets are unique and CredentialsJson has one entry per credential.
  EXPECT_EQ(CredentialsJson(*w).size(), 98u);
}

}  // namespace
}  // namespace regauth::protocol
