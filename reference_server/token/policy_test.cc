#include "reference_server/token/policy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "protocol/test_support.h"
#include "protocol/test_world.h"

namespace regauth::server {
namespace {

using protocol::BasicCredentials;
using protocol::CivilDate;
using protocol::Credential;
using protocol::CredentialState;
using protocol::World;

constexpr int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z, protocol/testdata/README.md

World LoadWorld(const std::string& text) { return testing_support::WorldFromText(text, kNow); }

const World& DefaultWorld() { return testing_support::DefaultWorld(kNow); }

// A small world with one project per column of token-auth.md §3.11 (private, internal, public,
// public with a PRIVATE registry), a subgroup project, a CI source project in another group and a
// personal project.
constexpr const char* kSmallWorld = R"({
  "name": "small",
  "instance": {"admin_mode": true},
  "users": [
    {"username": "owner"}, {"username": "dev", "email": "dev@example.test"}, {"username": "rep"},
    {"username": "guest"}, {"username": "outsider"}, {"username": "ext", "external": true},
    {"username": "extguest", "external": true}, {"username": "root", "admin": true},
    {"username": "blocked", "state": "blocked"}, {"username": "mfa", "two_factor": true}
  ],
  "groups": [
    {"path": "g", "id": 100, "visibility": "public",
     "members": [{"user": "owner", "role": "maintainer"}, {"user": "dev", "role": "developer"},
                 {"user": "rep", "role": "reporter"}, {"user": "guest", "role": "guest"},
                 {"user": "blocked", "role": "developer"}]},
    {"path": "g/sub", "id": 101, "visibility": "public"},
    {"path": "other", "id": 200, "visibility": "public"}
  ],
  "projects": [
    {"id": 1, "path": "g/priv", "visibility": "private",
     "job_token_scope": {"inbound_enabled": true, "allowlist": ["other/ci"]}},
    {"id": 2, "path": "g/int", "visibility": "internal",
     "members": [{"user": "extguest", "role": "guest"}]},
    {"id": 3, "path": "g/pub", "visibility": "public"},
    {"id": 4, "path": "g/pubpriv", "visibility": "public",
     "container_registry_access_level": "private",
     "members": [{"user": "ext", "role": "reporter"}]},
    {"id": 5, "path": "g/sub/deep", "visibility": "private"},
    {"id": 6, "path": "other/ci", "visibility": "private"},
    {"id": 7, "path": "dev/personal", "visibility": "private"},
    {"id": 8, "path": "g/prot", "visibility": "private",
     "container_protection_rules": [
       {"repository_path_pattern": "g/prot", "minimum_access_level_for_push": "maintainer"},
       {"repository_path_pattern": "G/Prot/rel*", "minimum_access_level_for_push": "owner"},
       {"repository_path_pattern": "g/prot/keep", "minimum_access_level_for_delete": "admin"}]}
  ],
  "jobs": [
    {"id": 1, "project": "other/ci", "user": "root", "status": "running"},
    {"id": 2, "project": "g/priv", "user": "blocked", "status": "running"},
    {"id": 3, "project": "other/ci", "user": "ext", "status": "running"},
    {"id": 4, "project": "other/ci", "user": "rep", "status": "running"},
    {"id": 5, "project": "g/prot", "user": "dev", "status": "running"}
  ],
  "credentials": [
    {"id": "dev-pw", "kind": "password", "user": "dev", "secret": "pw-dev"},
    {"id": "mfa-pw", "kind": "password", "user": "mfa", "secret": "pw-mfa"},
    {"id": "mfa-pat", "kind": "personal_access_token", "user": "mfa", "secret": "s-mfa-pat",
     "scopes": ["read_registry"]},
    {"id": "out-read", "kind": "personal_access_token", "user": "outsider", "secret": "s-out",
     "scopes": ["read_registry"]},
    {"id": "rep-read", "kind": "personal_access_token", "user": "rep", "secret": "s-rep",
     "scopes": ["read_registry"]},
    {"id": "dev-rw", "kind": "personal_access_token", "user": "dev", "secret": "s-dev",
     "scopes": ["read_registry", "write_registry"], "expires_at": "+30d"},
    {"id": "owner-api", "kind": "personal_access_token", "user": "owner", "secret": "s-owner",
     "scopes": ["api"]},
    {"id": "root-read", "kind": "personal_access_token", "user": "root", "secret": "s-root",
     "scopes": ["read_registry"]},
    {"id": "ext-read", "kind": "personal_access_token", "user": "ext", "secret": "s-ext",
     "scopes": ["read_registry"]},
    {"id": "extguest-read", "kind": "personal_access_token", "user": "extguest",
     "secret": "s-extguest", "scopes": ["read_registry"]},
    {"id": "no-scope-pat", "kind": "personal_access_token", "user": "dev", "secret": "s-none",
     "scopes": []},
    {"id": "priv-deploy", "kind": "deploy_token", "project": "g/priv", "name": "d1",
     "secret": "s-priv-deploy", "scopes": ["read_registry", "write_registry"]},
    {"id": "ci-deploy", "kind": "deploy_token", "project": "other/ci", "name": "d2",
     "secret": "s-ci-deploy", "scopes": ["read_registry"]},
    {"id": "priv-deploy-repo", "kind": "deploy_token", "project": "g/priv", "name": "d3",
     "secret": "s-priv-deploy-repo", "scopes": ["read_repository"]},
    {"id": "priv-deploy-today", "kind": "deploy_token", "project": "g/priv", "name": "d4",
     "secret": "s-priv-deploy-today", "scopes": ["read_registry"], "expires_at": "today"},
    {"id": "job-root", "kind": "job_token", "job": 1, "secret": "s-job-root"},
    {"id": "job-blocked", "kind": "job_token", "job": 2, "secret": "s-job-blocked"},
    {"id": "job-ext", "kind": "job_token", "job": 3, "secret": "s-job-ext"},
    {"id": "job-rep", "kind": "job_token", "job": 4, "secret": "s-job-rep"},
    {"id": "job-dev-prot", "kind": "job_token", "job": 5, "secret": "s-job-dev-prot"},
    {"id": "prot-deploy", "kind": "deploy_token", "project": "g/prot", "name": "d5",
     "secret": "s-prot-deploy", "scopes": ["read_registry", "write_registry"]},
    {"id": "root-api", "kind": "personal_access_token", "user": "root", "secret": "s-root-api",
     "scopes": ["api"]}
  ]
})";

const World& SmallWorld() {
  static const World world = LoadWorld(kSmallWorld);
  return world;
}

World SmallWorldWith(const std::string& from, const std::string& to) {
  std::string text = kSmallWorld;
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return LoadWorld(text);
}

struct Harness {
  explicit Harness(const World& w, Misbehaviours m = {}) : world(w), index(w), misbehaviours(m) {}

  AuthContext Context() const { return AuthContext{&index, world.today(), misbehaviours}; }

  protocol::Expected<AuthResult, AuthFailure> Login(std::string username,
                                                    std::string password) const {
    return Authenticate(world, BasicCredentials{std::move(username), std::move(password)},
                        Context());
  }
  // LoginAs presents credential `id` as a client would (its login username and secret); "" is
  // anonymous.
  protocol::Expected<AuthResult, AuthFailure> LoginAs(const std::string& id) const {
    if (id.empty()) return Authenticate(world, std::nullopt, Context());
    const Credential* c = world.FindCredential(id);
    EXPECT_NE(c, nullptr) << id;
    if (c == nullptr) return protocol::Unexpected<AuthFailure>(AuthFailure::kUnknownSecret);
    return Login(c->login_username, c->secret);
  }
  Authorization Run(const std::string& id, const std::vector<std::string>& scopes) const {
    auto auth = LoginAs(id);
    EXPECT_TRUE(auth.has_value()) << id << ": " << (auth ? "" : CodeName(auth.error()));
    if (!auth) return {};
    return Authorize(world, *auth, scopes, misbehaviours);
  }

  const World& world;
  CredentialIndex index;
  Misbehaviours misbehaviours;
};

Misbehaviours With(Misbehaviour m) {
  Misbehaviours set;
  set.Enable(m);
  return set;
}

using Access = std::vector<std::pair<std::string, std::vector<std::string>>>;

Access AccessOf(const Authorization& az) {
  Access out;
  for (const AccessEntry& a : az.access) out.emplace_back(a.type + ":" + a.name, a.actions);
  return out;
}

std::string Describe(const Access& access) {
  std::string out = "[";
  for (const auto& [name, actions] : access) {
    out += " " + name + ":";
    for (const std::string& a : actions) out += a + ",";
  }
  return out + " ]";
}

// ---------------------------------------------------------------------------------------------
// Authentication (token-auth.md §3.2, §9)
// ---------------------------------------------------------------------------------------------

struct AuthCase {
  const char* label;
  std::string username;  // "@<id>" = that credential's login username
  std::string password;  // "@<id>" = that credential's secret
  std::optional<AuthType> want_type;
  AuthFailure want_failure = AuthFailure::kUnknownSecret;
  std::string want_user = "";  // AuthResult::user->username, "" = none
};
REGAUTH_PRINT_LABEL(AuthCase)

std::string Resolve(const World& world, const std::string& v, bool secret) {
  if (v.empty() || v[0] != '@') return v;
  const Credential* c = world.FindCredential(v.substr(1));
  EXPECT_NE(c, nullptr) << v;
  if (c == nullptr) return "";
  return secret ? c->secret : c->login_username;
}

// GitLab's find_for_git_client order and username rules over the default world.
const AuthCase kDefaultAuthCases[] = {
    // #7 password: username or email, case-insensitive; blocked and 2FA users fail.
    {"password by username",
     "dana-developer",
     "@dana-developer-password",
     AuthType::kGitLabOrLdap,
     {},
     "dana-developer"},
    {"password by email",
     "dana@example.test",
     "@dana-developer-password",
     AuthType::kGitLabOrLdap,
     {},
     "dana-developer"},
    {"password username case-insensitive",
     "DANA-Developer",
     "@dana-developer-password",
     AuthType::kGitLabOrLdap,
     {},
     "dana-developer"},
    {"password of another user", "rita-reporter", "@dana-developer-password", std::nullopt,
     AuthFailure::kWrongUsername},
    {"wrong password", "dana-developer", "not-the-password", std::nullopt,
     AuthFailure::kUnknownSecret},
    {"empty password", "dana-developer", "", std::nullopt, AuthFailure::kUnknownSecret},
    {"blocked user password", "bob-blocked", "@bob-blocked-password", std::nullopt,
     AuthFailure::kUserBlocked},
    {"2fa user password", "tom-twofactor", "@tom-twofactor-password", std::nullopt,
     AuthFailure::kTwoFactorRequired},
    // #5 PATs and access tokens: username ignored.
    {"2fa user pat",
     "tom-twofactor",
     "@tom-pat-read-write-registry",
     AuthType::kPersonalAccessToken,
     {},
     "tom-twofactor"},
    {"pat any username",
     "whoever",
     "@dana-pat-read-registry",
     AuthType::kPersonalAccessToken,
     {},
     "dana-developer"},
    {"pat empty username",
     "",
     "@dana-pat-read-registry",
     AuthType::kPersonalAccessToken,
     {},
     "dana-developer"},
    {"pat with gitlab-ci-token username",
     "gitlab-ci-token",
     "@dana-pat-api",
     AuthType::kPersonalAccessToken,
     {},
     "dana-developer"},
    {"pat expired", "dana-developer", "@dana-pat-expired", std::nullopt, AuthFailure::kExpired},
    {"pat expires today", "dana-developer", "@dana-pat-expires-today", std::nullopt,
     AuthFailure::kExpired},
    {"pat revoked", "dana-developer", "@dana-pat-revoked", std::nullopt, AuthFailure::kRevoked},
    {"pat of blocked user", "bob-blocked", "@bob-pat-read-write-registry", std::nullopt,
     AuthFailure::kUserBlocked},
    {"pat read_user only authenticates",
     "x",
     "@dana-pat-read-user",
     AuthType::kPersonalAccessToken,
     {},
     "dana-developer"},
    {"project access token is a bot pat",
     "x",
     "@private-enabled-bot-developer",
     AuthType::kPersonalAccessToken,
     {},
     "project_7_bot_1"},
    {"group access token is a bot pat",
     "x",
     "@acme-bot-maintainer-api",
     AuthType::kPersonalAccessToken,
     {},
     "group_10_bot_1"},
    // #4 OAuth: username ignored.
    {"oauth any username", "oauth2", "@dana-oauth-api", AuthType::kOAuth, {}, "dana-developer"},
    {"oauth read_user authenticates",
     "x",
     "@dana-oauth-read-user",
     AuthType::kOAuth,
     {},
     "dana-developer"},
    // #6 deploy tokens: username must match exactly.
    {"deploy token", "@private-enabled-deploy-read", "@private-enabled-deploy-read",
     AuthType::kDeployToken},
    {"deploy token wrong username", "dana-developer", "@private-enabled-deploy-read", std::nullopt,
     AuthFailure::kWrongUsername},
    {"deploy token username case matters", "GITLAB+DEPLOY-TOKEN-1", "@private-enabled-deploy-read",
     std::nullopt, AuthFailure::kWrongUsername},
    {"deploy token gitlab-ci-token username", "gitlab-ci-token", "@private-enabled-deploy-read",
     std::nullopt, AuthFailure::kWrongUsername},
    {"deploy token expired", "@private-enabled-deploy-expired", "@private-enabled-deploy-expired",
     std::nullopt, AuthFailure::kExpired},
    {"deploy token revoked", "@private-enabled-deploy-revoked", "@private-enabled-deploy-revoked",
     std::nullopt, AuthFailure::kRevoked},
    {"deploy token package scope only 401", "@private-enabled-deploy-read-package",
     "@private-enabled-deploy-read-package", std::nullopt, AuthFailure::kNoValidScope},
    {"deploy token read_repository authenticates", "@private-enabled-deploy-read-repository",
     "@private-enabled-deploy-read-repository", AuthType::kDeployToken},
    {"group deploy token custom username", "acme-registry-reader", "@acme-group-deploy-read",
     AuthType::kDeployToken},
    {"group deploy token revoked", "@acme-group-deploy-revoked", "@acme-group-deploy-revoked",
     std::nullopt, AuthFailure::kRevoked},
    // #2 job tokens: username must be gitlab-ci-token; running or canceling; not erased; project
    // not pending delete and with CI enabled.
    {"job running", "gitlab-ci-token", "@job-101", AuthType::kBuild, {}, "dana-developer"},
    {"job canceling", "gitlab-ci-token", "@job-102", AuthType::kBuild, {}, "dana-developer"},
    {"job wrong username", "dana-developer", "@job-101", std::nullopt, AuthFailure::kWrongUsername},
    {"job username case matters", "GITLAB-CI-TOKEN", "@job-101", std::nullopt,
     AuthFailure::kWrongUsername},
    {"job finished", "gitlab-ci-token", "@job-103", std::nullopt, AuthFailure::kJobNotRunning},
    {"job pending", "gitlab-ci-token", "@job-111", std::nullopt, AuthFailure::kJobNotRunning},
    {"job without user is ci", "gitlab-ci-token", "@job-105", AuthType::kCi},
    {"job builds disabled", "gitlab-ci-token", "@job-107", std::nullopt,
     AuthFailure::kBuildsDisabled},
    {"job erased", "gitlab-ci-token", "@job-109", std::nullopt, AuthFailure::kJobErased},
    {"job JWT-format token expired while the job runs", "gitlab-ci-token", "@job-101-jwt-expired",
     std::nullopt, AuthFailure::kExpired},
    {"job project pending delete", "gitlab-ci-token", "@job-110", std::nullopt,
     AuthFailure::kJobProjectPendingDelete},
    {"unknown secret", "dana-developer", "glpat-nope", std::nullopt, AuthFailure::kUnknownSecret},
    // Issue 8 item 6: ai_workflows is not in all_available_scopes (PATs) but is a Doorkeeper scope
    // (OAuth, optional_scopes). Item 7: virtual-registry scopes log a deploy token in.
    {"pat ai_workflows only 401", "x", "@dana-pat-ai-workflows", std::nullopt,
     AuthFailure::kNoValidScope},
    {"oauth ai_workflows authenticates",
     "x",
     "@dana-oauth-ai-workflows",
     AuthType::kOAuth,
     {},
     "dana-developer"},
    {"deploy token virtual registry only authenticates", "@private-enabled-deploy-virtual-registry",
     "@private-enabled-deploy-virtual-registry", AuthType::kDeployToken},
    {"external user's job", "gitlab-ci-token", "@job-117", AuthType::kBuild, {}, "xavi-external"},
    // A user whose password expired: password, PAT, OAuth and her job all fail (issue 8).
    {"expired password: password", "pam-expired", "@pam-expired-password", std::nullopt,
     AuthFailure::kPasswordExpired},
    {"expired password: pat", "x", "@pam-pat-read-write-registry", std::nullopt,
     AuthFailure::kPasswordExpired},
    {"expired password: oauth", "x", "@pam-oauth-api", std::nullopt, AuthFailure::kPasswordExpired},
    {"expired password: job", "gitlab-ci-token", "@job-120", std::nullopt,
     AuthFailure::kPasswordExpired},
    // A blocked service account: its PAT logs in; its job runs where it can read the project.
    {"blocked service account pat",
     "x",
     "@svc-pat-read-write-registry",
     AuthType::kPersonalAccessToken,
     {},
     "svc-blocked"},
    {"blocked service account job, readable project",
     "gitlab-ci-token",
     "@job-121",
     AuthType::kBuild,
     {},
     "svc-blocked"},
    {"blocked service account job, unreadable project", "gitlab-ci-token", "@job-122", std::nullopt,
     AuthFailure::kUserBlocked},
};

class DefaultAuthTest : public testing::TestWithParam<AuthCase> {};

TEST_P(DefaultAuthTest, AuthenticatesOrFailsWithReason) {
  const AuthCase& c = GetParam();
  Harness h(DefaultWorld());
  auto got = h.Login(Resolve(h.world, c.username, false), Resolve(h.world, c.password, true));
  if (c.want_type) {
    ASSERT_TRUE(got.has_value()) << c.label << ": " << CodeName(got.error());
    EXPECT_EQ(AuthTypeName(got->type), AuthTypeName(*c.want_type)) << c.label;
    EXPECT_EQ(got->user != nullptr ? got->user->username : "", c.want_user) << c.label;
  } else {
    ASSERT_FALSE(got.has_value()) << c.label << ": " << AuthTypeName(got->type);
    EXPECT_EQ(CodeName(got.error()), CodeName(c.want_failure)) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, DefaultAuthTest, testing::ValuesIn(kDefaultAuthCases),
                         testing_support::LabelName());

// §3.1: without Basic credentials the caller is anonymous with read-only abilities.
TEST(Authenticate, NoCredentialsIsAnonymousReadOnly) {
  Harness h(DefaultWorld());
  auto got = Authenticate(h.world, std::nullopt, h.Context());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->type, AuthType::kNone);
  EXPECT_EQ(got->user, nullptr);
  EXPECT_EQ(got->abilities, ReadOnlyAuthenticationAbilities());
}

// §3.3: each credential kind carries its documented abilities.
TEST(Authenticate, AbilitiesFollowScopes) {
  Harness h(DefaultWorld());
  const struct {
    const char* id;
    std::vector<std::string_view> want;
  } cases[] = {
      {"dana-pat-read-registry", {"read_container_image"}},
      {"dana-pat-write-registry", {"create_container_image"}},
      {"dana-pat-read-write-registry", {"read_container_image", "create_container_image"}},
      {"dana-pat-read-repository", {"download_code"}},
      {"dana-pat-read-user", {}},
      {"dana-pat-read-api", {"read_project", "download_code", "read_container_image"}},
      {"dana-pat-api",
       {"read_project", "download_code", "push_code", "read_container_image",
        "create_container_image", "admin_container_image"}},
      {"dana-developer-password",
       {"read_project", "download_code", "push_code", "read_container_image",
        "create_container_image", "admin_container_image"}},
      {"job-101",
       {"read_project", "build_download_code", "build_push_code", "build_read_container_image",
        "build_create_container_image", "build_destroy_container_image"}},
      {"private-enabled-deploy-read-write", {"read_container_image", "create_container_image"}},
  };
  for (const auto& c : cases) {
    auto got = h.LoginAs(c.id);
    ASSERT_TRUE(got.has_value()) << c.id;
    EXPECT_EQ(got->abilities.Names(), c.want) << c.id;
  }
}

// §3.2 #2: the job's project is Result#project; a job without a user has no auth_user.
TEST(Authenticate, JobTokenCarriesJobAndProject) {
  Harness h(DefaultWorld());
  auto build = h.LoginAs("job-101");
  ASSERT_TRUE(build.has_value());
  ASSERT_NE(build->project, nullptr);
  EXPECT_EQ(build->project->path, "acme/app-ci");
  ASSERT_NE(build->job, nullptr);
  EXPECT_EQ(build->job->id, 101);
  auto ci = h.LoginAs("job-105");
  ASSERT_TRUE(ci.has_value());
  EXPECT_EQ(ci->type, AuthType::kCi);
  EXPECT_EQ(ci->user, nullptr);
  ASSERT_NE(ci->project, nullptr);
  EXPECT_EQ(ci->project->path, "acme/app-ci");
}

// §3.2 #6: Result#deploy_token is set and there is no auth_user.
TEST(Authenticate, DeployTokenHasNoUser) {
  Harness h(DefaultWorld());
  auto got = h.LoginAs("private-enabled-deploy-read");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->user, nullptr);
  ASSERT_NE(got->deploy_token, nullptr);
  EXPECT_EQ(got->deploy_token->id, "private-enabled-deploy-read");
}

// Small-world authentication paths that the default world does not contain.
TEST(Authenticate, SmallWorldEdgeCases) {
  Harness h(SmallWorld());
  auto blocked_job = h.LoginAs("job-blocked");
  ASSERT_FALSE(blocked_job.has_value());
  EXPECT_EQ(blocked_job.error(), AuthFailure::kUserBlocked);  // the job's user must log in
  auto no_scope = h.LoginAs("no-scope-pat");
  ASSERT_FALSE(no_scope.has_value());
  EXPECT_EQ(no_scope.error(), AuthFailure::kNoValidScope);
  auto deploy_today = h.LoginAs("priv-deploy-today");  // expires_at today: expired
  ASSERT_FALSE(deploy_today.has_value());
  EXPECT_EQ(deploy_today.error(), AuthFailure::kExpired);
  EXPECT_FALSE(h.LoginAs("mfa-pw").has_value());
  EXPECT_TRUE(h.LoginAs("mfa-pat").has_value());
  EXPECT_TRUE(h.Login("DEV@example.test", "pw-dev").has_value());
}

// §3.2 #7: passwords only work while password_authentication_enabled_for_git is on; tokens
// are unaffected.
TEST(Authenticate, PasswordAuthDisabledRefusesPasswordsOnly) {
  const World world = SmallWorldWith(R"("instance": {"admin_mode": true})",
                                     R"("instance": {"password_authentication_enabled_for_git":
                                     false})");
  Harness h(world);
  auto pw = h.LoginAs("dev-pw");
  ASSERT_FALSE(pw.has_value());
  EXPECT_EQ(pw.error(), AuthFailure::kPasswordAuthDisabled);
  EXPECT_TRUE(h.LoginAs("dev-rw").has_value());
}

// Expiry is judged on the `today` passed in, not on the world's load-time state: the server
// runs for days.
TEST(Authenticate, ExpiryUsesContextDate) {
  Harness h(SmallWorld());
  AuthContext ctx = h.Context();
  const Credential* c = h.world.FindCredential("dev-rw");  // expires_at +30d
  ASSERT_NE(c, nullptr);
  const BasicCredentials basic{"dev", c->secret};
  EXPECT_TRUE(Authenticate(h.world, basic, ctx).has_value());
  ctx.today = protocol::CivilFromDays(protocol::DaysFromCivil(ctx.today) + 30);
  auto today = Authenticate(h.world, basic, ctx);
  ASSERT_FALSE(today.has_value());
  EXPECT_EQ(today.error(), AuthFailure::kExpired);
}

TEST(StateAt, DerivesStateFromDate) {
  Credential c;
  const CivilDate today{2023, 11, 14};
  EXPECT_EQ(StateAt(c, today), CredentialState::kActive);
  c.expires_at = CivilDate{2023, 11, 15};
  EXPECT_EQ(StateAt(c, today), CredentialState::kActive);
  c.expires_at = today;
  EXPECT_EQ(StateAt(c, today), CredentialState::kExpiresToday);
  c.expires_at = CivilDate{2023, 11, 13};
  EXPECT_EQ(StateAt(c, today), CredentialState::kExpired);
  c.revoked = true;
  EXPECT_EQ(StateAt(c, today), CredentialState::kRevoked);
}

// ---------------------------------------------------------------------------------------------
// Authorization (§3.4–§3.7, §3.11 table, §9)
// ---------------------------------------------------------------------------------------------

struct AzCase {
  const char* label;
  std::string credential;  // world credential id; "" = anonymous
  std::vector<std::string> scopes;
  Gate want_gate;
  Access want_access;  // "type:name" → actions, in order
};
REGAUTH_PRINT_LABEL(AzCase)

constexpr Gate kOk = Gate::kPassed;
constexpr Gate kAnon403 = Gate::kAnonymousNoScope;
constexpr Gate kNoAbility403 = Gate::kNoRegistryAbility;

std::string R(const std::string& path, const std::string& actions) {
  return "repository:" + path + ":" + actions;
}
std::pair<std::string, std::vector<std::string>> A(const std::string& path,
                                                   std::vector<std::string> actions) {
  return {"repository:" + path, std::move(actions)};
}
const std::string kCatalog = "registry:catalog:*";
const std::pair<std::string, std::vector<std::string>> kCatalogGranted = {"registry:catalog",
                                                                          {"*"}};

const std::string kPrivEnabled = "acme/private-enabled";
const std::string kPrivPrivate = "acme/private-private";
const std::string kPrivDisabled = "acme/private-disabled";
const std::string kPubEnabled = "acme/public-enabled";
const std::string kPubPrivate = "acme/public-private";
const std::string kPubDisabled = "acme/public-disabled";
const std::string kIntEnabled = "acme/internal-enabled";
const std::string kIntPrivate = "acme/internal-private";
const std::string kArchived = "acme/archived";
const std::string kLib = "acme/platform/lib";
const std::string kAppCi = "acme/app-ci";
const std::string kTools = "acme/tools";
const std::string kGlobexPriv = "globex/private-app";
const std::string kGlobexPub = "globex/public-app";

// The §3.11 rows over the default world (cases/worlds/README.md describes who is who).
const AzCase kDefaultAzCases[] = {
    // Anonymous: public ENABLED pull only; anything else → 403 (gate 3).
    {"anon public pull", "", {R(kPubEnabled, "pull")}, kOk, {A(kPubEnabled, {"pull"})}},
    {"anon public push", "", {R(kPubEnabled, "push")}, kAnon403, {}},
    {"anon public pull,push", "", {R(kPubEnabled, "pull,push")}, kOk, {A(kPubEnabled, {"pull"})}},
    {"anon public push,pull", "", {R(kPubEnabled, "push,pull")}, kOk, {A(kPubEnabled, {"pull"})}},
    {"anon public star", "", {R(kPubEnabled, "*")}, kAnon403, {}},
    {"anon public delete", "", {R(kPubEnabled, "delete")}, kAnon403, {}},
    {"anon private pull", "", {R(kPrivEnabled, "pull")}, kAnon403, {}},
    {"anon internal pull", "", {R(kIntEnabled, "pull")}, kAnon403, {}},
    {"anon public private-registry pull", "", {R(kPubPrivate, "pull")}, kAnon403, {}},
    {"anon public disabled-registry pull", "", {R(kPubDisabled, "pull")}, kAnon403, {}},
    {"anon no scope", "", {}, kAnon403, {}},
    {"anon catalog", "", {kCatalog}, kAnon403, {}},
    {"anon invalid type", "", {"invalid:aa:bb"}, kAnon403, {}},
    {"anon multiple scopes keeps public",
     "",
     {R(kPrivEnabled, "pull"), R(kPubEnabled, "pull")},
     kOk,
     {A(kPubEnabled, {"pull"})}},
    // PAT read_registry, developer of acme.
    {"read pat private pull",
     "dana-pat-read-registry",
     {R(kPrivEnabled, "pull")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"read pat private push dropped", "dana-pat-read-registry", {R(kPrivEnabled, "push")}, kOk, {}},
    {"read pat private pull,push",
     "dana-pat-read-registry",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"read pat delete and star dropped",
     "dana-pat-read-registry",
     {R(kPrivEnabled, "delete"), R(kPrivEnabled, "*")},
     kOk,
     {}},
    {"read pat internal pull",
     "dana-pat-read-registry",
     {R(kIntEnabled, "pull")},
     kOk,
     {A(kIntEnabled, {"pull"})}},
    {"read pat public private-registry pull",
     "dana-pat-read-registry",
     {R(kPubPrivate, "pull")},
     kOk,
     {A(kPubPrivate, {"pull"})}},
    {"read pat private private-registry pull",
     "dana-pat-read-registry",
     {R(kPrivPrivate, "pull")},
     kOk,
     {A(kPrivPrivate, {"pull"})}},
    {"read pat disabled registry", "dana-pat-read-registry", {R(kPrivDisabled, "pull")}, kOk, {}},
    {"read pat other group private", "dana-pat-read-registry", {R(kGlobexPriv, "pull")}, kOk, {}},
    // Roles below reporter cannot pull private or PRIVATE registries.
    {"guest private pull", "gus-pat-read-registry", {R(kPrivEnabled, "pull")}, kOk, {}},
    {"guest public pull",
     "gus-pat-read-registry",
     {R(kPubEnabled, "pull")},
     kOk,
     {A(kPubEnabled, {"pull"})}},
    {"guest internal pull",
     "gus-pat-read-registry",
     {R(kIntEnabled, "pull")},
     kOk,
     {A(kIntEnabled, {"pull"})}},
    {"guest public private-registry", "gus-pat-read-registry", {R(kPubPrivate, "pull")}, kOk, {}},
    {"planner private pull", "pia-pat-read-registry", {R(kPrivEnabled, "pull")}, kOk, {}},
    {"direct project reporter pull",
     "pete-pat-read-registry",
     {R(kPrivEnabled, "pull")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"direct project reporter other project",
     "pete-pat-read-registry",
     {R(kPrivPrivate, "pull")},
     kOk,
     {}},
    {"non-member private", "nora-pat-read-registry", {R(kPrivEnabled, "pull")}, kOk, {}},
    {"non-member internal",
     "nora-pat-read-registry",
     {R(kIntEnabled, "pull")},
     kOk,
     {A(kIntEnabled, {"pull"})}},
    {"non-member public private-registry",
     "nora-pat-read-registry",
     {R(kPubPrivate, "pull")},
     kOk,
     {}},
    {"non-member public",
     "nora-pat-read-registry",
     {R(kPubEnabled, "pull")},
     kOk,
     {A(kPubEnabled, {"pull"})}},
    {"external member internal",
     "eve-pat-read-registry",
     {R(kIntEnabled, "pull")},
     kOk,
     {A(kIntEnabled, {"pull"})}},
    {"external non-member internal", "eve-pat-read-registry", {R(kIntPrivate, "pull")}, kOk, {}},
    {"external public",
     "eve-pat-read-registry",
     {R(kPubEnabled, "pull")},
     kOk,
     {A(kPubEnabled, {"pull"})}},
    // read_registry + write_registry.
    {"reporter rw pulls only",
     "rita-pat-read-write-registry",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"developer rw pull,push",
     "dana-pat-read-write-registry",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull", "push"})}},
    {"developer rw keeps request order",
     "dana-pat-read-write-registry",
     {R(kPrivEnabled, "push,pull")},
     kOk,
     {A(kPrivEnabled, {"push", "pull"})}},
    {"developer rw no delete or star",
     "dana-pat-read-write-registry",
     {R(kPrivEnabled, "delete,*")},
     kOk,
     {}},
    {"developer rw internal push",
     "dana-pat-read-write-registry",
     {R(kIntEnabled, "push")},
     kOk,
     {A(kIntEnabled, {"push"})}},
    {"developer rw other group public",
     "dana-pat-read-write-registry",
     {R(kGlobexPub, "pull,push")},
     kOk,
     {A(kGlobexPub, {"pull"})}},
    {"maintainer rw no delete",
     "max-pat-read-write-registry",
     {R(kPrivEnabled, "delete")},
     kOk,
     {}},
    {"write_registry only pushes without pull",
     "dana-pat-write-registry",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"push"})}},
    // Scopes without registry abilities: gate 2.
    {"read_repository pat 403",
     "dana-pat-read-repository",
     {R(kPrivEnabled, "pull")},
     kNoAbility403,
     {}},
    {"admin_mode pat 403", "dana-pat-admin-mode", {R(kPrivEnabled, "pull")}, kNoAbility403, {}},
    {"read_user pat 403", "dana-pat-read-user", {R(kPrivEnabled, "pull")}, kNoAbility403, {}},
    {"read_user oauth 403", "dana-oauth-read-user", {R(kPrivEnabled, "pull")}, kNoAbility403, {}},
    {"read_api pat reads",
     "dana-pat-read-api",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    // Full abilities (api, password, OAuth api): delete and * for maintainer+.
    {"developer api no delete",
     "dana-pat-api",
     {R(kPrivEnabled, "pull,push,delete,*")},
     kOk,
     {A(kPrivEnabled, {"pull", "push"})}},
    {"developer oauth api",
     "dana-oauth-api",
     {R(kPrivEnabled, "pull,push,delete")},
     kOk,
     {A(kPrivEnabled, {"pull", "push"})}},
    {"developer password",
     "dana-developer-password",
     {R(kPrivEnabled, "pull,push,*")},
     kOk,
     {A(kPrivEnabled, {"pull", "push"})}},
    {"maintainer api everything",
     "max-pat-api",
     {R(kPrivEnabled, "pull,push,delete,*")},
     kOk,
     {A(kPrivEnabled, {"pull", "push", "delete", "*"})}},
    {"owner api subgroup star", "olga-pat-api", {R(kLib, "*")}, kOk, {A(kLib, {"*"})}},
    {"other group developer", "gil-pat-api", {R(kPrivEnabled, "pull")}, kOk, {}},
    {"other group developer own delete",
     "gil-pat-api",
     {R(kGlobexPriv, "delete,push")},
     kOk,
     {A(kGlobexPriv, {"push"})}},
    // Admins (admin mode bypassed at /jwt/auth, §3.9).
    {"admin private pull",
     "ada-pat-read-registry",
     {R(kPrivEnabled, "pull")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"admin private-registry pull",
     "ada-pat-read-registry",
     {R(kPrivPrivate, "pull")},
     kOk,
     {A(kPrivPrivate, {"pull"})}},
    {"admin disabled registry", "ada-pat-read-registry", {R(kPrivDisabled, "pull")}, kOk, {}},
    {"admin rw push",
     "ada-pat-read-write-registry",
     {R(kPrivEnabled, "push")},
     kOk,
     {A(kPrivEnabled, {"push"})}},
    {"admin api star", "ada-pat-api", {R(kPrivEnabled, "*")}, kOk, {A(kPrivEnabled, {"*"})}},
    {"admin admin_mode pat 403", "ada-pat-admin-mode", {kCatalog}, kNoAbility403, {}},
    // Catalog: admins with exactly ['*'] only.
    {"admin catalog", "ada-pat-read-registry", {kCatalog}, kOk, {kCatalogGranted}},
    {"admin password catalog", "ada-admin-password", {kCatalog}, kOk, {kCatalogGranted}},
    {"admin catalog trailing comma",
     "ada-pat-api",
     {"registry:catalog:*,"},
     kOk,
     {kCatalogGranted}},
    {"admin catalog pull", "ada-pat-api", {"registry:catalog:pull"}, kOk, {}},
    {"admin catalog star twice", "ada-pat-api", {"registry:catalog:*,*"}, kOk, {}},
    {"admin registry other name", "ada-pat-api", {"registry:other:*"}, kOk, {}},
    {"non-admin catalog", "dana-pat-api", {kCatalog}, kOk, {}},
    // Archived: pull only, for users and deploy tokens.
    {"archived maintainer",
     "max-pat-api",
     {R(kArchived, "pull,push,delete,*")},
     kOk,
     {A(kArchived, {"pull"})}},
    {"archived admin", "ada-pat-api", {R(kArchived, "push,*")}, kOk, {}},
    {"archived group deploy token",
     "acme-group-deploy-gitlab-deploy-token",
     {R(kArchived, "pull,push")},
     kOk,
     {A(kArchived, {"pull"})}},
    // Project and group access tokens: bots with their role.
    {"project bot developer",
     "private-enabled-bot-developer",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull", "push"})}},
    {"project bot other project",
     "private-enabled-bot-developer",
     {R(kPubPrivate, "pull")},
     kOk,
     {}},
    {"project bot reporter",
     "private-enabled-bot-reporter",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"group bot api subgroup",
     "acme-bot-maintainer-api",
     {R(kLib, "delete,*")},
     kOk,
     {A(kLib, {"delete", "*"})}},
    {"group bot read other group", "acme-bot-maintainer-read", {R(kGlobexPriv, "pull")}, kOk, {}},
    {"group bot read no push",
     "acme-bot-maintainer-read",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    // Deploy tokens: own project (or group), never delete/*; foreign: public and internal (issue 8
    // item 4: project_policy.rb public_access for a DeployToken, which is neither anonymous nor
    // external; container_registry_disabled ignores PRIVATE for it).
    {"deploy read own",
     "private-enabled-deploy-read",
     {R(kPrivEnabled, "pull,push,delete,*")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"deploy rw own",
     "private-enabled-deploy-read-write",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull", "push"})}},
    {"deploy gitlab-deploy-token own",
     "private-enabled-deploy-gitlab-deploy-token",
     {R(kPrivEnabled, "push,pull")},
     kOk,
     {A(kPrivEnabled, {"push", "pull"})}},
    {"deploy foreign public",
     "private-enabled-deploy-read-write",
     {R(kPubEnabled, "pull,push")},
     kOk,
     {A(kPubEnabled, {"pull"})}},
    {"deploy foreign public private-registry",
     "private-enabled-deploy-read-write",
     {R(kPubPrivate, "pull")},
     kOk,
     {A(kPubPrivate, {"pull"})}},
    {"deploy foreign internal",
     "private-enabled-deploy-read-write",
     {R(kIntEnabled, "pull,push")},
     kOk,
     {A(kIntEnabled, {"pull"})}},
    {"deploy foreign internal private-registry",
     "private-enabled-deploy-read",
     {R(kIntPrivate, "pull")},
     kOk,
     {A(kIntPrivate, {"pull"})}},
    {"deploy foreign internal disabled registry",
     "private-enabled-deploy-read",
     {R("acme/internal-disabled", "pull")},
     kOk,
     {}},
    {"deploy write only foreign internal",
     "private-enabled-deploy-write",
     {R(kIntEnabled, "pull")},
     kOk,
     {}},
    {"deploy foreign private",
     "private-enabled-deploy-read-write",
     {R(kPrivPrivate, "pull")},
     kOk,
     {}},
    {"deploy own disabled registry",
     "private-enabled-deploy-read-write",
     {R(kPrivDisabled, "pull")},
     kOk,
     {}},
    {"deploy write only",
     "private-enabled-deploy-write",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"push"})}},
    {"deploy write only foreign public",
     "private-enabled-deploy-write",
     {R(kPubEnabled, "pull")},
     kOk,
     {}},
    {"deploy read_repository 403",
     "private-enabled-deploy-read-repository",
     {R(kPrivEnabled, "pull")},
     kNoAbility403,
     {}},
    {"deploy own public private-registry",
     "public-private-deploy-read",
     {R(kPubPrivate, "pull")},
     kOk,
     {A(kPubPrivate, {"pull"})}},
    {"deploy catalog", "private-enabled-deploy-read-write", {kCatalog}, kOk, {}},
    {"group deploy subgroup",
     "acme-group-deploy-read",
     {R(kLib, "pull")},
     kOk,
     {A(kLib, {"pull"})}},
    {"group deploy group project",
     "acme-group-deploy-read",
     {R(kPrivEnabled, "pull")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"group deploy other group private",
     "acme-group-deploy-read",
     {R(kGlobexPriv, "pull")},
     kOk,
     {}},
    {"group deploy other group public",
     "acme-group-deploy-read",
     {R(kGlobexPub, "pull")},
     kOk,
     {A(kGlobexPub, {"pull"})}},
    // Job tokens (§3.6, §3.7, §9).
    {"job own project",
     "job-108",
     {R(kPrivEnabled, "pull,push,delete,*")},
     kOk,
     {A(kPrivEnabled, {"pull", "push", "delete"})}},
    {"job own source project",
     "job-101",
     {R(kAppCi, "pull,push,delete,*")},
     kOk,
     {A(kAppCi, {"pull", "push", "delete"})}},
    {"job canceling own push", "job-102", {R(kAppCi, "push")}, kOk, {A(kAppCi, {"push"})}},
    {"job allowlisted private pull only",
     "job-101",
     {R(kPrivEnabled, "pull,push,delete")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"job allowlisted private-registry",
     "job-101",
     {R(kPrivPrivate, "pull")},
     kOk,
     {A(kPrivPrivate, {"pull"})}},
    {"job allowlisted public private-registry",
     "job-101",
     {R(kPubPrivate, "pull,push")},
     kOk,
     {A(kPubPrivate, {"pull"})}},
    {"job inbound scope off", "job-101", {R(kLib, "pull")}, kOk, {A(kLib, {"pull"})}},
    {"job group allowlist entry", "job-101", {R(kArchived, "pull")}, kOk, {A(kArchived, {"pull"})}},
    {"job not allowlisted private", "job-101", {R(kTools, "pull")}, kOk, {}},
    {"job user not member", "job-101", {R(kGlobexPriv, "pull")}, kOk, {}},
    {"job public pull no push",
     "job-101",
     {R(kPubEnabled, "pull,push")},
     kOk,
     {A(kPubEnabled, {"pull"})}},
    {"job internal pull", "job-101", {R(kIntEnabled, "pull")}, kOk, {A(kIntEnabled, {"pull"})}},
    {"job public disabled registry", "job-101", {R(kPubDisabled, "pull")}, kOk, {}},
    {"job catalog non-admin", "job-101", {kCatalog}, kOk, {}},
    {"job source allowlisted by no one", "job-106", {R(kPrivEnabled, "pull")}, kOk, {}},
    {"job source allowlisted by no one inbound off",
     "job-106",
     {R(kLib, "pull")},
     kOk,
     {A(kLib, {"pull"})}},
    {"job reporter user",
     "job-104",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"job guest user private", "job-113", {R(kPrivEnabled, "pull")}, kOk, {}},
    {"job guest user internal",
     "job-113",
     {R(kIntEnabled, "pull")},
     kOk,
     {A(kIntEnabled, {"pull"})}},
    {"job allowlisted group but user not member", "job-112", {R(kPrivPrivate, "pull")}, kOk, {}},
    {"job archived own project push",
     "job-114",
     {R(kArchived, "pull,push,delete")},
     kOk,
     {A(kArchived, {"pull", "push", "delete"})}},
    // A job without a user (`ci`, issue 8 item 2): its own project and nothing else — not even
    // public ones (job_token_access_allowed_to? needs @user&.from_ci_job_token?, public_user_access
    // needs ~anonymous); never a 403 (the job's project counts in gate 3).
    {"ci own project", "job-105", {R(kAppCi, "pull,push")}, kOk, {A(kAppCi, {"pull", "push"})}},
    {"ci public", "job-105", {R(kPubEnabled, "pull")}, kOk, {}},
    {"ci in a public project, its own",
     "job-115",
     {R(kPubEnabled, "pull,push,delete")},
     kOk,
     {A(kPubEnabled, {"pull", "push", "delete"})}},
    {"ci in a public project, another public", "job-115", {R(kGlobexPub, "pull")}, kOk, {}},
    {"ci in an internal project, another internal",
     "job-116",
     {R("acme/internal-members", "pull")},
     kOk,
     {}},
    // A PRIVATE registry on a public/internal project: the allowlist alone lets any job user pull
    // (issue 8 item 1: public_or_internal & job_token_container_registry, no role).
    {"job guest allowlisted public private-registry",
     "job-113",
     {R(kPubPrivate, "pull,push")},
     kOk,
     {A(kPubPrivate, {"pull"})}},
    {"job guest allowlisted internal private-registry",
     "job-113",
     {R("acme/internal-allowlist", "pull")},
     kOk,
     {A("acme/internal-allowlist", {"pull"})}},
    {"job not allowlisted internal private-registry",
     "job-106",
     {R("acme/internal-allowlist", "pull")},
     kOk,
     {}},
    // An external user's job (issue 8 item 3): internal targets need the allowlist, members or not.
    {"external job internal not allowlisted", "job-117", {R(kIntEnabled, "pull")}, kOk, {}},
    {"external job internal member not allowlisted",
     "job-117",
     {R("acme/internal-members", "pull")},
     kOk,
     {}},
    {"external job internal allowlisted non-member",
     "job-117",
     {R("acme/internal-ext-allowlisted", "pull,push")},
     kOk,
     {A("acme/internal-ext-allowlisted", {"pull"})}},
    {"external job internal private-registry allowlisted",
     "job-117",
     {R("acme/internal-allowlist", "pull")},
     kOk,
     {A("acme/internal-allowlist", {"pull"})}},
    {"external job public", "job-117", {R(kPubEnabled, "pull")}, kOk, {A(kPubEnabled, {"pull"})}},
    {"external reporter job public private-registry not allowlisted",
     "job-117",
     {R(kPubPrivate, "pull,push")},
     kOk,
     {A(kPubPrivate, {"pull"})}},
    {"admin job catalog", "job-118", {kCatalog}, kOk, {kCatalogGranted}},
    {"admin job private not member", "job-118", {R(kPrivEnabled, "pull")}, kOk, {}},
    {"external job own",
     "job-117",
     {R("acme/ext-ci", "pull,push")},
     kOk,
     {A("acme/ext-ci", {"pull", "push"})}},
    {"non-external job internal member project",
     "job-101",
     {R("acme/internal-members", "pull")},
     kOk,
     {A("acme/internal-members", {"pull"})}},
    {"external member pat internal",
     "xavi-pat-read-registry",
     {R("acme/internal-members", "pull")},
     kOk,
     {A("acme/internal-members", {"pull"})}},
    // A personal namespace's owner owns its projects (issue 8 item 12).
    {"owner pat personal project",
     "dana-pat-api",
     {R("dana-developer/tools", "pull,push,*")},
     kOk,
     {A("dana-developer/tools", {"pull", "push", "*"})}},
    {"owner job personal project allowlisted",
     "job-101",
     {R("dana-developer/tools", "pull,push")},
     kOk,
     {A("dana-developer/tools", {"pull"})}},
    {"non-owner job personal project allowlisted",
     "job-104",
     {R("dana-developer/tools", "pull")},
     kOk,
     {}},
    {"other user personal project", "rita-pat-api", {R("dana-developer/tools", "pull")}, kOk, {}},
    // Credentials that log in without any registry ability (items 6, 7): 403.
    {"oauth ai_workflows 403",
     "dana-oauth-ai-workflows",
     {R(kPubEnabled, "pull")},
     kNoAbility403,
     {}},
    {"deploy virtual registry only 403",
     "private-enabled-deploy-virtual-registry",
     {R(kPrivEnabled, "pull")},
     kNoAbility403,
     {}},
    // The outbound job token scope of acme/outbound-ci names only acme/private-enabled: the job
    // reaches it, not acme/private-private (whose inbound allowlist admits acme/outbound-ci),
    // and public projects are not limited by it.
    {"outbound listed private",
     "job-123",
     {R(kPrivEnabled, "pull")},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"outbound unlisted private", "job-123", {R(kPrivPrivate, "pull")}, kOk, {}},
    {"outbound public", "job-123", {R(kPubEnabled, "pull")}, kOk, {A(kPubEnabled, {"pull"})}},
    {"outbound inbound-disabled private", "job-123", {R(kLib, "pull")}, kOk, {}},
    {"blocked service account job own push",
     "job-121",
     {R(kAppCi, "pull,push")},
     kOk,
     {A(kAppCi, {"pull", "push"})}},
    {"blocked service account pat member push",
     "svc-pat-read-write-registry",
     {R(kAppCi, "pull,push")},
     kOk,
     {A(kAppCi, {"pull", "push"})}},
    {"ci internal", "job-105", {R(kIntEnabled, "pull")}, kOk, {}},
    {"ci private allowlisted", "job-105", {R(kPrivEnabled, "pull")}, kOk, {}},
    {"ci no scope", "job-105", {}, kOk, {}},
    // Authenticated callers with nothing usable get a token with empty access, not 403.
    {"authenticated no scope", "dana-pat-read-registry", {}, kOk, {}},
    {"deploy no scope", "private-enabled-deploy-read", {}, kOk, {}},
};

class DefaultAuthorizeTest : public testing::TestWithParam<AzCase> {};

void CheckAuthorization(const Harness& h, const AzCase& c) {
  const Authorization az = h.Run(c.credential, c.scopes);
  EXPECT_EQ(CodeName(az.gate), CodeName(c.want_gate)) << c.label;
  if (c.want_gate == Gate::kPassed) {
    EXPECT_EQ(Describe(AccessOf(az)), Describe(c.want_access)) << c.label;
  }
}

TEST_P(DefaultAuthorizeTest, GrantsExactlyTheTableRow) {
  CheckAuthorization(Harness(DefaultWorld()), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Table, DefaultAuthorizeTest, testing::ValuesIn(kDefaultAzCases),
                         testing_support::LabelName());

// The same §3.11 columns over the small world.
const AzCase kSmallAzCases[] = {
    {"anon private", "", {R("g/priv", "pull")}, kAnon403, {}},
    {"anon internal", "", {R("g/int", "pull")}, kAnon403, {}},
    {"anon public", "", {R("g/pub", "pull,push")}, kOk, {A("g/pub", {"pull"})}},
    {"anon public private-registry", "", {R("g/pubpriv", "pull")}, kAnon403, {}},
    {"outsider private", "out-read", {R("g/priv", "pull")}, kOk, {}},
    {"outsider internal", "out-read", {R("g/int", "pull")}, kOk, {A("g/int", {"pull"})}},
    {"outsider public", "out-read", {R("g/pub", "pull")}, kOk, {A("g/pub", {"pull"})}},
    {"outsider public private-registry", "out-read", {R("g/pubpriv", "pull")}, kOk, {}},
    {"reporter private", "rep-read", {R("g/priv", "pull,push")}, kOk, {A("g/priv", {"pull"})}},
    {"reporter public private-registry",
     "rep-read",
     {R("g/pubpriv", "pull")},
     kOk,
     {A("g/pubpriv", {"pull"})}},
    {"developer private",
     "dev-rw",
     {R("g/priv", "pull,push,delete,*")},
     kOk,
     {A("g/priv", {"pull", "push"})}},
    {"developer public private-registry",
     "dev-rw",
     {R("g/pubpriv", "push")},
     kOk,
     {A("g/pubpriv", {"push"})}},
    // Issue 8 item 12: the namespace owner owns a personal project (no membership row needed).
    {"owner of the personal namespace",
     "dev-rw",
     {R("dev/personal", "pull,push")},
     kOk,
     {A("dev/personal", {"pull", "push"})}},
    {"another user's personal project", "rep-read", {R("dev/personal", "pull")}, kOk, {}},
    {"maintainer inherited into subgroup",
     "owner-api",
     {R("g/sub/deep", "pull,push,delete,*")},
     kOk,
     {A("g/sub/deep", {"pull", "push", "delete", "*"})}},
    {"admin private", "root-read", {R("g/priv", "pull")}, kOk, {A("g/priv", {"pull"})}},
    {"admin personal",
     "root-read",
     {R("dev/personal", "pull")},
     kOk,
     {A("dev/personal", {"pull"})}},
    {"external non-member internal", "ext-read", {R("g/int", "pull")}, kOk, {}},
    {"external non-member public", "ext-read", {R("g/pub", "pull")}, kOk, {A("g/pub", {"pull"})}},
    {"external guest member internal",
     "extguest-read",
     {R("g/int", "pull")},
     kOk,
     {A("g/int", {"pull"})}},
    {"external guest not member private", "extguest-read", {R("g/priv", "pull")}, kOk, {}},
    {"deploy own",
     "priv-deploy",
     {R("g/priv", "pull,push,delete")},
     kOk,
     {A("g/priv", {"pull", "push"})}},
    {"deploy foreign internal", "priv-deploy", {R("g/int", "pull")}, kOk, {A("g/int", {"pull"})}},
    {"deploy foreign public", "ci-deploy", {R("g/pub", "pull")}, kOk, {A("g/pub", {"pull"})}},
    {"deploy foreign public private-registry (§9)",
     "ci-deploy",
     {R("g/pubpriv", "pull")},
     kOk,
     {A("g/pubpriv", {"pull"})}},
    {"deploy foreign private", "ci-deploy", {R("g/priv", "pull")}, kOk, {}},
    {"deploy without registry scope", "priv-deploy-repo", {R("g/priv", "pull")}, kNoAbility403, {}},
    // An admin job user who is not a member gets no build_read on private projects even when
    // allowlisted (§3.9), but public/internal ENABLED stay pullable; its catalog request
    // qualifies (current_user is the admin, §3.5 code-reading).
    {"admin job user allowlisted private", "job-root", {R("g/priv", "pull")}, kOk, {}},
    {"admin job user public", "job-root", {R("g/pub", "pull,push")}, kOk, {A("g/pub", {"pull"})}},
    {"admin job user internal", "job-root", {R("g/int", "pull")}, kOk, {A("g/int", {"pull"})}},
    {"admin job user own push",
     "job-root",
     {R("other/ci", "push")},
     kOk,
     {A("other/ci", {"push"})}},
    {"admin job user catalog", "job-root", {kCatalog}, kOk, {kCatalogGranted}},
    // Issue 8 items 1 and 3 at the edges: an external reporter member of a public project with a
    // PRIVATE registry pulls it with a job that is not allowlisted (`~private_project & guest &
    // external_user` enables read_container_image, reporter+ keeps it under PRIVATE, and `guest &
    // can?(:read_container_image)` gives build_read_container_image); a non-external reporter's
    // job does not (reporter_access is prevented without the allowlist).
    {"external reporter job public private-registry not allowlisted",
     "job-ext",
     {R("g/pubpriv", "pull,push")},
     kOk,
     {A("g/pubpriv", {"pull"})}},
    {"reporter job public private-registry not allowlisted",
     "job-rep",
     {R("g/pubpriv", "pull")},
     kOk,
     {}},
    {"external job internal not allowlisted (guest member elsewhere)",
     "job-ext",
     {R("g/int", "pull")},
     kOk,
     {}},
    {"reporter job private allowlisted",
     "job-rep",
     {R("g/priv", "pull")},
     kOk,
     {A("g/priv", {"pull"})}},
    {"external job private allowlisted non-member", "job-ext", {R("g/priv", "pull")}, kOk, {}},
};

class SmallAuthorizeTest : public testing::TestWithParam<AzCase> {};

TEST_P(SmallAuthorizeTest, GrantsExactlyTheTableRow) {
  CheckAuthorization(Harness(SmallWorld()), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Table, SmallAuthorizeTest, testing::ValuesIn(kSmallAzCases),
                         testing_support::LabelName());

// Issue 8 item 5: with the registry disabled, registry_scopes is [] (gitlabhq lib/gitlab/auth.rb
// `return [] unless Gitlab.config.registry.enabled`), so a token whose only scopes are
// read_registry/write_registry fails valid_scoped_token? → 401; tokens with another login scope,
// passwords and job tokens still authenticate (and then meet gate 1's 404).
TEST(Authenticate, RegistryDisabledDropsRegistryScopesFromLogin) {
  const World world = SmallWorldWith(R"("instance": {"admin_mode": true})",
                                     R"("instance": {"registry_enabled": false})");
  Harness h(world);
  for (const char* id : {"dev-rw", "rep-read", "priv-deploy", "ci-deploy"}) {
    auto r = h.LoginAs(id);
    ASSERT_FALSE(r.has_value()) << id;
    EXPECT_EQ(CodeName(r.error()), "no_valid_scope") << id;
  }
  for (const char* id : {"owner-api", "priv-deploy-repo", "dev-pw", "job-rep"}) {
    auto r = h.LoginAs(id);
    ASSERT_TRUE(r.has_value()) << id << ": " << CodeName(r.error());
    EXPECT_EQ(Authorize(world, *r, {R("g/pub", "pull")}, {}).gate, Gate::kRegistryDisabled) << id;
  }
  // The same tokens log in while the registry is enabled.
  EXPECT_TRUE(Harness(SmallWorld()).LoginAs("dev-rw").has_value());
}

// Gate 4, protected container repositories (container_registry_authentication_service.rb
// repository_path_push_protected?, protection/rule.rb for_push_exists?): a granted push or * on
// a path whose matching rule wants more than the user's project access level → 403, in the
// 17.6 feature-flag mode for everyone, from 17.8 (ga) with instance admins exempt; never
// without a current_user (deploy tokens); off (17.6 as shipped) ignores the rules.
struct ProtectionCase {
  const char* label;
  const char* mode;  // instance.protected_containers
  std::string credential;
  std::vector<std::string> scopes;
  Gate want_gate;
};
REGAUTH_PRINT_LABEL(ProtectionCase)

const ProtectionCase kProtectionCases[] = {
    {"off ignores rules", "off", "dev-rw", {R("g/prot", "push")}, Gate::kPassed},
    {"developer push below maintainer",
     "feature_flag",
     "dev-rw",
     {R("g/prot", "pull,push")},
     Gate::kProtectedPath},
    {"developer pull only is fine", "feature_flag", "dev-rw", {R("g/prot", "pull")}, Gate::kPassed},
    {"reporter asking push is not granted push",
     "feature_flag",
     "rep-read",
     {R("g/prot", "push")},
     Gate::kPassed},
    {"maintainer push", "feature_flag", "owner-api", {R("g/prot", "push,*")}, Gate::kPassed},
    {"maintainer star on owner-protected image",
     "ga",
     "owner-api",
     {R("g/prot/release", "*")},
     Gate::kProtectedPath},
    {"pattern case-insensitive, image below",
     "ga",
     "owner-api",
     {R("g/prot/REL/x", "push")},
     Gate::kProtectedPath},
    {"delete-only rule does not stop push",
     "ga",
     "owner-api",
     {R("g/prot/keep", "push")},
     Gate::kPassed},
    {"one protected scope spoils the request",
     "ga",
     "dev-rw",
     {R("g/pub", "pull"), R("g/prot", "push")},
     Gate::kProtectedPath},
    {"deploy token has no access level", "ga", "prot-deploy", {R("g/prot", "push")}, Gate::kPassed},
    {"job token through its user",
     "ga",
     "job-dev-prot",
     {R("g/prot", "push")},
     Gate::kProtectedPath},
    {"job token pull", "ga", "job-dev-prot", {R("g/prot", "pull")}, Gate::kPassed},
    {"admin not exempt under the flag",
     "feature_flag",
     "root-api",
     {R("g/prot", "push")},
     Gate::kProtectedPath},
    {"admin exempt from 17.8", "ga", "root-api", {R("g/prot", "push")}, Gate::kPassed},
};

class ProtectionTest : public testing::TestWithParam<ProtectionCase> {};

TEST_P(ProtectionTest, Gate4) {
  const ProtectionCase& c = GetParam();
  const World world =
      SmallWorldWith(R"("instance": {"admin_mode": true})",
                     R"("instance": {"admin_mode": true, "protected_containers": ")" +
                         std::string(c.mode) + "\"}");
  Harness h(world);
  const Authorization az = h.Run(c.credential, c.scopes);
  EXPECT_EQ(CodeName(az.gate), CodeName(c.want_gate));
  if (c.want_gate == Gate::kProtectedPath) {
    EXPECT_TRUE(az.access.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ProtectionTest, testing::ValuesIn(kProtectionCases),
                         testing_support::LabelName());

// §3.4 gate 1: registry disabled → 404 before anything else, even for anonymous callers.
TEST(Authorize, RegistryDisabledIsGateOne) {
  const World world = SmallWorldWith(R"("instance": {"admin_mode": true})",
                                     R"("instance": {"registry_enabled": false})");
  Harness h(world);
  EXPECT_EQ(h.Run("", {R("g/pub", "pull")}).gate, Gate::kRegistryDisabled);
  EXPECT_EQ(h.Run("priv-deploy-repo", {}).gate, Gate::kRegistryDisabled);
}

// ---------------------------------------------------------------------------------------------
// Scope processing (§3.5)
// ---------------------------------------------------------------------------------------------

struct ScopeCase {
  const char* label;
  std::string scope;
  ScopeOutcome want_outcome;
  std::string want_name;  // ScopeDecision::name
  std::vector<std::string> want_granted;
};
REGAUTH_PRINT_LABEL(ScopeCase)

const ScopeCase kScopeCases[] = {
    {"plain", R(kPrivEnabled, "pull"), ScopeOutcome::kGranted, kPrivEnabled, {"pull"}},
    {"upper case path downcased",
     "repository:ACME/Private-Enabled:pull",
     ScopeOutcome::kGranted,
     kPrivEnabled,
     {"pull"}},
    {"duplicates kept",
     R(kPrivEnabled, "push,push"),
     ScopeOutcome::kGranted,
     kPrivEnabled,
     {"push", "push"}},
    {"unknown action dropped",
     R(kPrivEnabled, "pull,foo,push"),
     ScopeOutcome::kGranted,
     kPrivEnabled,
     {"pull", "push"}},
    {"only unknown action",
     R(kPrivEnabled, "foo"),
     ScopeOutcome::kNothingGranted,
     kPrivEnabled,
     {}},
    {"upper case action is unknown",
     R(kPrivEnabled, "PULL"),
     ScopeOutcome::kNothingGranted,
     kPrivEnabled,
     {}},
    {"empty actions", R(kPrivEnabled, ""), ScopeOutcome::kNothingGranted, kPrivEnabled, {}},
    {"third colon stays in actions",
     R(kPrivEnabled, "pull:push"),
     ScopeOutcome::kNothingGranted,
     kPrivEnabled,
     {}},
    {"image below project",
     R(kPrivEnabled + "/image", "pull"),
     ScopeOutcome::kGranted,
     kPrivEnabled + "/image",
     {"pull"}},
    {"image two levels below",
     R(kPrivEnabled + "/a/b", "pull"),
     ScopeOutcome::kGranted,
     kPrivEnabled + "/a/b",
     {"pull"}},
    {"image three levels below",
     R(kPrivEnabled + "/a/b/c", "pull"),
     ScopeOutcome::kNoProject,
     kPrivEnabled + "/a/b/c",
     {}},
    {"subgroup project image",
     R(kLib + "/img", "pull"),
     ScopeOutcome::kGranted,
     kLib + "/img",
     {"pull"}},
    {"port in name dropped",
     "repository:localhost:5000/acme/private-enabled:pull",
     ScopeOutcome::kInvalidPath,
     "localhost",
     {}},
    {"fewer than two colons", "repository:" + kPrivEnabled, ScopeOutcome::kMissingActions, "", {}},
    {"no colon", "foo", ScopeOutcome::kMissingActions, "", {}},
    {"one component", "repository:acme:pull", ScopeOutcome::kInvalidPath, "acme", {}},
    {"group is not a project",
     "repository:acme/platform:pull",
     ScopeOutcome::kNoProject,
     "acme/platform",
     {}},
    {"unknown project", "repository:acme/nope:pull", ScopeOutcome::kNoProject, "acme/nope", {}},
    {"empty name", "repository::pull", ScopeOutcome::kInvalidPath, "", {}},
    {"dot segment",
     "repository:acme/../private-enabled:pull",
     ScopeOutcome::kInvalidPath,
     "acme/../private-enabled",
     {}},
    {"percent encoded",
     "repository:acme%2fprivate-enabled:pull",
     ScopeOutcome::kInvalidPath,
     "acme%2fprivate-enabled",
     {}},
    {"twenty components",
     "repository:acme/private-enabled/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r:pull",
     ScopeOutcome::kInvalidPath,
     "acme/private-enabled/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r",
     {}},
    {"resource class is an unknown type",
     "repository(plugin):acme/private-enabled:pull",
     ScopeOutcome::kUnknownType,
     kPrivEnabled,
     {}},
    {"unknown type", "invalid:aa:bb", ScopeOutcome::kUnknownType, "aa", {}},
    {"catalog for non-admin", kCatalog, ScopeOutcome::kCatalogDenied, "catalog", {}},
    {"too many actions",
     R(kPrivEnabled,
       [] {
         std::string a = "pull";
         for (int i = 0; i < 1100; ++i) a += ",pull";
         return a;
       }()),
     ScopeOutcome::kTooLarge,
     "",
     {}},
};

class ScopeTest : public testing::TestWithParam<ScopeCase> {};

TEST_P(ScopeTest, ProcessesLikeGitLab) {
  const ScopeCase& c = GetParam();
  Harness h(DefaultWorld());
  const Authorization az = h.Run("dana-pat-read-write-registry", {c.scope});
  ASSERT_EQ(az.gate, Gate::kPassed) << c.label;
  ASSERT_EQ(az.decisions.size(), 1u) << c.label;
  const ScopeDecision& d = az.decisions[0];
  EXPECT_EQ(d.scope, c.scope) << c.label;
  EXPECT_EQ(CodeName(d.outcome), CodeName(c.want_outcome)) << c.label;
  EXPECT_EQ(d.name, c.want_name) << c.label;
  EXPECT_EQ(d.granted_actions, c.want_granted) << c.label;
  EXPECT_EQ(az.access.size(), c.want_outcome == ScopeOutcome::kGranted ? 1u : 0u) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, ScopeTest, testing::ValuesIn(kScopeCases),
                         testing_support::LabelName());

// §3.5: a broken scope (GitLab: NoMethodError → 500) is dropped without spoiling the others.
TEST(Authorize, BadScopeDoesNotSpoilTheOthers) {
  Harness h(DefaultWorld());
  const Authorization az =
      h.Run("dana-pat-read-write-registry", {"foo", R(kPrivEnabled, "pull"), "repository:x"});
  EXPECT_EQ(Describe(AccessOf(az)), Describe({A(kPrivEnabled, {"pull"})}));
  ASSERT_EQ(az.decisions.size(), 3u);
  EXPECT_EQ(az.decisions[0].outcome, ScopeOutcome::kMissingActions);
  EXPECT_EQ(az.decisions[2].outcome, ScopeOutcome::kMissingActions);
}

// §3.5: each scope is its own access entry, in request order, even for the same repository.
TEST(Authorize, MultipleScopesKeepRequestOrder) {
  Harness h(DefaultWorld());
  const Authorization az =
      h.Run("dana-pat-read-write-registry",
            {R(kPubEnabled, "pull"), R(kPrivEnabled, "push"), R(kPubEnabled, "pull")});
  EXPECT_EQ(Describe(AccessOf(az)), Describe({A(kPubEnabled, {"pull"}), A(kPrivEnabled, {"push"}),
                                              A(kPubEnabled, {"pull"})}));
}

// §3.5: a granted push records that GitLab would create the repository
// (ensure_container_repository!).
TEST(Authorize, PushRecordsRepositoryCreation) {
  Harness h(DefaultWorld());
  const Authorization az =
      h.Run("dana-pat-read-write-registry",
            {R(kPrivEnabled + "/new-image", "pull,push"), R(kPrivEnabled, "pull")});
  ASSERT_EQ(az.decisions.size(), 2u);
  EXPECT_TRUE(az.decisions[0].ensures_repository);
  EXPECT_FALSE(az.decisions[1].ensures_repository);
  ASSERT_EQ(az.access.size(), 2u);
  ASSERT_NE(az.access[0].project, nullptr);
  EXPECT_EQ(az.access[0].project->path, kPrivEnabled);
}

// §3.1 scopes_param: repeated and space-joined values are one flat list.
TEST(SplitScopeParams, FlattensAndSplitsOnWhitespace) {
  EXPECT_EQ(SplitScopeParams({"a b", "c"}), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(SplitScopeParams({"  a\t\n b  "}), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitScopeParams({"", "   "}), std::vector<std::string>{});
  EXPECT_EQ(SplitScopeParams({}), std::vector<std::string>{});
  EXPECT_EQ(SplitScopeParams({"a\x0b"
                              "b\x0c"
                              "c\rd"}),
            (std::vector<std::string>{"a", "b", "c", "d"}));
}

// Effective role: the highest of the direct project role and every ancestor group's role.
TEST(EffectiveRole, TakesMaximumOverAncestors) {
  const World& w = DefaultWorld();
  const protocol::Project* lib = w.FindProject(kLib);
  const protocol::Project* priv = w.FindProject(kPrivEnabled);
  ASSERT_NE(lib, nullptr);
  ASSERT_NE(priv, nullptr);
  EXPECT_EQ(EffectiveRole(w, *w.FindUser("olga-owner"), *lib), protocol::Role::kOwner);
  EXPECT_EQ(EffectiveRole(w, *w.FindUser("pete-project"), *priv), protocol::Role::kReporter);
  EXPECT_EQ(EffectiveRole(w, *w.FindUser("pete-project"), *lib), std::nullopt);
  EXPECT_EQ(EffectiveRole(w, *w.FindUser("ada-admin"), *priv), std::nullopt);
  EXPECT_EQ(EffectiveRole(w, *w.FindUser("project_7_bot_1"), *priv), protocol::Role::kDeveloper);
}

// §3.6: CanAccess answers false for any action it does not know.
TEST(CanAccess, UnknownActionsAreFalse) {
  Harness h(DefaultWorld());
  auto auth = h.LoginAs("max-pat-api");
  ASSERT_TRUE(auth.has_value());
  const protocol::Project& p = *h.world.FindProject(kPrivEnabled);
  EXPECT_TRUE(CanAccess(h.world, *auth, p, "*", {}));
  for (const char* a : {"", "admin", "PULL", "pull ", "**"}) {
    EXPECT_FALSE(CanAccess(h.world, *auth, p, a, {})) << a;
  }
}

// ---------------------------------------------------------------------------------------------
// Negative controls consulted by the policy: each flips exactly the behaviour it names.
// ---------------------------------------------------------------------------------------------

struct AuthFlipCase {
  const char* label;
  Misbehaviour misbehaviour;
  std::string username;  // "@id" as in AuthCase
  std::string password;
};
REGAUTH_PRINT_LABEL(AuthFlipCase)

const AuthFlipCase kAuthFlips[] = {
    {"accept-expired-credentials expired", Misbehaviour::kAcceptExpiredCredentials, "x",
     "@dana-pat-expired"},
    {"accept-expired-credentials today", Misbehaviour::kAcceptExpiredCredentials, "x",
     "@dana-pat-expires-today"},
    {"accept-expired-credentials revoked", Misbehaviour::kAcceptExpiredCredentials,
     "@private-enabled-deploy-revoked", "@private-enabled-deploy-revoked"},
    {"accept-password-with-2fa", Misbehaviour::kAcceptPasswordWith2fa, "tom-twofactor",
     "@tom-twofactor-password"},
    {"ignore-deploy-token-username", Misbehaviour::kIgnoreDeployTokenUsername, "someone",
     "@private-enabled-deploy-read"},
    {"ignore-job-token-username", Misbehaviour::kIgnoreJobTokenUsername, "dana-developer",
     "@job-101"},
    {"accept-finished-job-token", Misbehaviour::kAcceptFinishedJobToken, "gitlab-ci-token",
     "@job-103"},
};

class AuthFlipTest : public testing::TestWithParam<AuthFlipCase> {};

TEST_P(AuthFlipTest, FailsNormallyAndSucceedsWithTheSwitch) {
  const AuthFlipCase& c = GetParam();
  const World& w = DefaultWorld();
  const std::string user = Resolve(w, c.username, false);
  const std::string pass = Resolve(w, c.password, true);
  EXPECT_FALSE(Harness(w).Login(user, pass).has_value()) << c.label;
  EXPECT_TRUE(Harness(w, With(c.misbehaviour)).Login(user, pass).has_value()) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, AuthFlipTest, testing::ValuesIn(kAuthFlips),
                         testing_support::LabelName());

// accept-finished-job-token is about finished jobs only: a pending job still fails.
TEST(AuthFlip, FinishedJobSwitchKeepsPendingJobsOut) {
  Harness h(DefaultWorld(), With(Misbehaviour::kAcceptFinishedJobToken));
  EXPECT_FALSE(h.LoginAs("job-111").has_value());
}

struct AzFlipCase {
  const char* label;
  Misbehaviour misbehaviour;
  std::string credential;
  std::vector<std::string> scopes;
  Gate normal_gate;
  Access normal;
  Gate flipped_gate;
  Access flipped;
};
REGAUTH_PRINT_LABEL(AzFlipCase)

const AzFlipCase kAzFlips[] = {
    {"grant-push-with-read-registry",
     Misbehaviour::kGrantPushWithReadRegistry,
     "dana-pat-read-registry",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull"})},
     kOk,
     {A(kPrivEnabled, {"pull", "push"})}},
    {"job-token-cross-project-push",
     Misbehaviour::kJobTokenCrossProjectPush,
     "job-101",
     {R(kPrivEnabled, "pull,push")},
     kOk,
     {A(kPrivEnabled, {"pull"})},
     kOk,
     {A(kPrivEnabled, {"pull", "push"})}},
    {"ignore-job-token-allowlist",
     Misbehaviour::kIgnoreJobTokenAllowlist,
     "job-106",
     {R(kPrivEnabled, "pull")},
     kOk,
     {},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"anonymous-private-pull",
     Misbehaviour::kAnonymousPrivatePull,
     "",
     {R(kPrivEnabled, "pull,push")},
     kAnon403,
     {},
     kOk,
     {A(kPrivEnabled, {"pull"})}},
    {"catalog-for-everyone",
     Misbehaviour::kCatalogForEveryone,
     "dana-pat-read-registry",
     {kCatalog},
     kOk,
     {},
     kOk,
     {kCatalogGranted}},
    {"grant-delete-to-developers",
     Misbehaviour::kGrantDeleteToDevelopers,
     "dana-pat-api",
     {R(kPrivEnabled, "delete,*")},
     kOk,
     {},
     kOk,
     {A(kPrivEnabled, {"delete", "*"})}},
    {"ignore-registry-access-level disabled",
     Misbehaviour::kIgnoreRegistryAccessLevel,
     "dana-pat-read-registry",
     {R(kPrivDisabled, "pull")},
     kOk,
     {},
     kOk,
     {A(kPrivDisabled, {"pull"})}},
    {"ignore-registry-access-level private",
     Misbehaviour::kIgnoreRegistryAccessLevel,
     "",
     {R(kPubPrivate, "pull")},
     kAnon403,
     {},
     kOk,
     {A(kPubPrivate, {"pull"})}},
    {"keep-denied-resources",
     Misbehaviour::kKeepDeniedResources,
     "nora-pat-read-registry",
     {R(kPrivEnabled, "pull"), R(kPubEnabled, "pull")},
     kOk,
     {A(kPubEnabled, {"pull"})},
     kOk,
     {A(kPrivEnabled, {}), A(kPubEnabled, {"pull"})}},
    {"keep-denied-resources catalog",
     Misbehaviour::kKeepDeniedResources,
     "dana-pat-read-registry",
     {kCatalog, "registry:other:*", "invalid:a:b", R("acme/nope", "pull")},
     kOk,
     {},
     kOk,
     {{"registry:catalog", {}}}},
    {"ignore-archived",
     Misbehaviour::kIgnoreArchived,
     "max-pat-api",
     {R(kArchived, "push")},
     kOk,
     {},
     kOk,
     {A(kArchived, {"push"})}},
};

class AzFlipTest : public testing::TestWithParam<AzFlipCase> {};

TEST_P(AzFlipTest, FlipsOnlyWhatItNames) {
  const AzFlipCase& c = GetParam();
  const Authorization normal = Harness(DefaultWorld()).Run(c.credential, c.scopes);
  EXPECT_EQ(CodeName(normal.gate), CodeName(c.normal_gate)) << c.label;
  EXPECT_EQ(Describe(AccessOf(normal)), Describe(c.normal)) << c.label;
  const Authorization flipped =
      Harness(DefaultWorld(), With(c.misbehaviour)).Run(c.credential, c.scopes);
  EXPECT_EQ(CodeName(flipped.gate), CodeName(c.flipped_gate)) << c.label;
  EXPECT_EQ(Describe(AccessOf(flipped)), Describe(c.flipped)) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, AzFlipTest, testing::ValuesIn(kAzFlips),
                         testing_support::LabelName());

// ---------------------------------------------------------------------------------------------
// Credential index
// ---------------------------------------------------------------------------------------------

// Every world secret finds its own credential; near misses and "" find nothing.
TEST(CredentialIndex, FindsEverySecretExactly) {
  const World& w = DefaultWorld();
  CredentialIndex index(w);
  EXPECT_EQ(index.size(), w.Credentials().size());
  for (const Credential& c : w.Credentials()) {
    EXPECT_EQ(index.FindBySecret(c.secret), &c) << c.id;
    EXPECT_EQ(index.FindBySecret(c.secret + "x"), nullptr) << c.id;
    EXPECT_EQ(index.FindBySecret(c.secret.substr(0, c.secret.size() - 1)), nullptr) << c.id;
  }
  EXPECT_EQ(index.FindBySecret(""), nullptr);
  EXPECT_EQ(CredentialIndex().FindBySecret("glpat-dana-api"), nullptr);
}

// access[].meta.tag_deny_access_patterns over the default world's two tag rules on
// acme/protected-tags (`^v[0-9]+\.[0-9]+\.[0-9]+$`: maintainer/maintainer; `^release-.*`:
// owner/admin) — the service's tag_deny_access_patterns at gitlabhq@de09f039.
TEST(TagDenyAccessPatterns, FollowsRulesLevelsAndActions) {
  const Harness h(DefaultWorld());
  const protocol::Project& project = *h.world.FindProject("acme/protected-tags");
  const std::string semver = "^v[0-9]+\\.[0-9]+\\.[0-9]+$";
  const std::string release = "^release-.*";
  auto deny = [&](const std::string& id, std::vector<std::string> actions) {
    auto auth = h.LoginAs(id);
    EXPECT_TRUE(auth.has_value()) << id;
    return auth ? TagDenyAccessPatterns(h.world, *auth, project, actions)
                : std::optional<TagDenyPatterns>();
  };
  using P = TagDenyPatterns;
  // A developer may write neither; pull is not covered; actions keep their order.
  EXPECT_EQ(deny("dana-pat-read-write-registry", {"pull", "push"}),
            (P{{"push", {semver, release}}}));
  EXPECT_EQ(deny("dana-pat-read-write-registry", {"pull"}), P{});
  // A maintainer pushes semantic versions, not release-*; deleting release-* needs an admin.
  EXPECT_EQ(deny("max-pat-read-write-registry", {"push", "delete"}),
            (P{{"push", {release}}, {"delete", {release}}}));
  // `*` stands for push and delete.
  EXPECT_EQ(deny("olga-pat-api", {"*"}), (P{{"push", {}}, {"delete", {release}}}));
  // Admins get empty lists; deploy tokens and user-less jobs no member at all.
  EXPECT_EQ(deny("ada-pat-api", {"*"}), (P{{"push", {}}, {"delete", {}}}));
  EXPECT_EQ(deny("private-enabled-deploy-read-write", {"pull", "push"}), std::nullopt);
  EXPECT_EQ(deny("job-105", {"pull"}), std::nullopt);
  // A job acts as its user (dana, developer).
  EXPECT_EQ(deny("job-108", {"push"}), (P{{"push", {semver, release}}}));
  // Projects without tag rules get none.
  auto dana = h.LoginAs("dana-pat-read-write-registry");
  ASSERT_TRUE(dana.has_value());
  EXPECT_EQ(TagDenyAccessPatterns(h.world, *dana, *h.world.FindProject("acme/app-ci"), {"push"}),
            std::nullopt);
}

}  // namespace
}  // namespace regauth::server
