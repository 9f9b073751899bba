#include "reference_server/ci_env.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/test_support.h"
#include "protocol/test_world.h"

namespace regauth::server {
namespace {

using protocol::World;

// A world covering every rule of GitLabDeployToken and the job choice: projects with and without
// their own gitlab-deploy-token, a group token on the parent group, inactive tokens, a subgroup,
// a personal project, and jobs in every state.
constexpr const char* kWorld = R"({
  "name": "ci-env",
  "users": [{"username": "dana"}, {"username": "Pat"}],
  "groups": [
    {"path": "acme", "id": 1, "visibility": "public"},
    {"path": "acme/sub", "id": 2, "visibility": "public"},
    {"path": "solo", "id": 3, "visibility": "public"}
  ],
  "projects": [
    {"id": 1, "path": "acme/Own-Token", "visibility": "private"},
    {"id": 2, "path": "acme/group-token", "visibility": "private"},
    {"id": 3, "path": "acme/sub/nested", "visibility": "private"},
    {"id": 4, "path": "solo/revoked", "visibility": "private"},
    {"id": 5, "path": "solo/no-registry", "visibility": "private",
     "container_registry_access_level": "disabled"},
    {"id": 6, "path": "Pat/personal", "visibility": "private"},
    {"id": 7, "path": "solo/no-ci", "visibility": "private", "builds_enabled": false}
  ],
  "jobs": [
    {"id": 1, "project": "solo/revoked", "user": "dana", "status": "running"},
    {"id": 2, "project": "acme/group-token", "user": "dana", "status": "success"},
    {"id": 3, "project": "acme/sub/nested", "user": "dana", "status": "running"},
    {"id": 4, "project": "acme/group-token", "user": "dana", "status": "running", "erased": true},
    {"id": 5, "project": "acme/group-token", "user": null, "status": "running"},
    {"id": 6, "project": "acme/Own-Token", "user": "dana", "status": "running"},
    {"id": 7, "project": "solo/no-registry", "user": "dana", "status": "running"},
    {"id": 8, "project": "Pat/personal", "user": "Pat", "status": "canceling"},
    {"id": 9, "project": "solo/no-ci", "user": "dana", "status": "running"},
    {"id": 10, "project": "acme/Own-Token", "user": "dana", "status": "running"}
  ],
  "credentials": [
    {"id": "own-gdt", "kind": "deploy_token", "project": "acme/Own-Token",
     "name": "gitlab-deploy-token", "username": "own-deployer", "secret": "own-secret",
     "scopes": ["read_registry"]},
    {"id": "acme-gdt", "kind": "group_deploy_token", "group": "acme",
     "name": "gitlab-deploy-token", "secret": "acme-secret", "scopes": ["read_registry"]},
    {"id": "acme-other", "kind": "group_deploy_token", "group": "acme",
     "name": "other", "secret": "acme-other-secret", "scopes": ["read_registry"]},
    {"id": "solo-revoked", "kind": "group_deploy_token", "group": "solo",
     "name": "gitlab-deploy-token", "secret": "solo-revoked-secret",
     "scopes": ["read_registry"], "revoked": true},
    {"id": "solo-expired", "kind": "deploy_token", "project": "solo/revoked",
     "name": "gitlab-deploy-token", "secret": "solo-expired-secret",
     "scopes": ["read_registry"], "expires_at": "-1d"},
    {"id": "solo-today", "kind": "deploy_token", "project": "solo/revoked",
     "name": "gitlab-deploy-token", "secret": "solo-today-secret",
     "scopes": ["read_registry"], "expires_at": "today"},
    {"id": "job-1", "kind": "job_token", "job": 1, "secret": "job-1-secret"},
    {"id": "job-2", "kind": "job_token", "job": 2, "secret": "job-2-secret"},
    {"id": "job-3", "kind": "job_token", "job": 3, "secret": "job-3-secret"},
    {"id": "job-4", "kind": "job_token", "job": 4, "secret": "job-4-secret"},
    {"id": "job-5", "kind": "job_token", "job": 5, "secret": "job-5-secret"},
    {"id": "job-6", "kind": "job_token", "job": 6, "secret": "job-6-'quoted'"},
    {"id": "job-7", "kind": "job_token", "job": 7, "secret": "job-7-secret"},
    {"id": "job-8", "kind": "job_token", "job": 8, "secret": "job-8-secret"},
    {"id": "job-9", "kind": "job_token", "job": 9, "secret": "job-9-secret"}
  ]
})";

const World& TestWorld() {
  static const World* world = [] {
    protocol::WorldContext ctx;
    ctx.now_unix = 1700000000;
    auto w = protocol::ParseWorld(kWorld, ctx);
    if (!w) {
      ADD_FAILURE() << protocol::DescribeWorldError(w.error());
      std::abort();
    }
    return new World(std::move(*w));
  }();
  return *world;
}

std::map<std::string, std::string> Vars(const CiEnv& env) {
  std::map<std::string, std::string> m;
  for (const CiVariable& v : env.variables) m[v.name] = v.value;
  return m;
}

struct DeployTokenCase {
  const char* label;
  const char* project;
  const char* want;  // credential id, or nullptr
};
REGAUTH_PRINT_LABEL(DeployTokenCase)

// Project#gitlab_deploy_token: own active token first, then the project's own group's (≥ 15.1,
// token-auth.md §9); revoked, expired and expiring-today tokens do not count.
const DeployTokenCase kDeployTokenCases[] = {
    {"project token wins over group token", "acme/Own-Token", "own-gdt"},
    {"group token of the project's group", "acme/group-token", "acme-gdt"},
    {"parent group's token does not reach a subgroup project", "acme/sub/nested", nullptr},
    {"revoked expired and expiring-today tokens are inactive", "solo/revoked", nullptr},
    {"personal project has no group", "Pat/personal", nullptr},
};

class DeployTokenTest : public ::testing::TestWithParam<DeployTokenCase> {};

TEST_P(DeployTokenTest, FindsGitLabDeployToken) {
  const DeployTokenCase& c = GetParam();
  const protocol::Project* project = TestWorld().FindProject(c.project);
  ASSERT_NE(project, nullptr);
  const protocol::Credential* got = GitLabDeployToken(TestWorld(), *project);
  if (c.want == nullptr) {
    EXPECT_EQ(got, nullptr) << got->id;
  } else {
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(got->id, c.want);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, DeployTokenTest, ::testing::ValuesIn(kDeployTokenCases),
                         testing_support::LabelName());

struct JobChoiceCase {
  const char* label;
  std::optional<int64_t> job;
  std::optional<int64_t> want_job;  // nullopt: error
  CiEnvErrorCode want_code = {};
};
REGAUTH_PRINT_LABEL(JobChoiceCase)

// The default job: running, not erased, CI enabled, with a token, preferring one whose project
// has a gitlab-deploy-token (job 1's project has none, job 2 finished, job 3's project has none,
// job 4 erased, so job 5 in acme/group-token with the group's token).
const JobChoiceCase kJobChoiceCases[] = {
    {"default prefers a project with a deploy token", std::nullopt, 5},
    {"explicit job is taken as is even when finished", 2, 2},
    {"unknown job", 99, std::nullopt, CiEnvErrorCode::kUnknownJob},
    {"job without a job token credential", 10, std::nullopt, CiEnvErrorCode::kNoJobToken},
};

class JobChoiceTest : public ::testing::TestWithParam<JobChoiceCase> {};

TEST_P(JobChoiceTest, ChoosesTheJob) {
  const JobChoiceCase& c = GetParam();
  CiEnvOptions o;
  o.job_id = c.job;
  auto env = BuildCiEnv(TestWorld(), o);
  if (!c.want_job) {
    ASSERT_FALSE(env);
    EXPECT_EQ(env.error().code, c.want_code) << CodeName(env.error().code);
    return;
  }
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_EQ(env->job_id, *c.want_job);
}

INSTANTIATE_TEST_SUITE_P(Table, JobChoiceTest, ::testing::ValuesIn(kJobChoiceCases),
                         testing_support::LabelName());

// Ci::Build#persisted_variables + Project#container_registry_variables (token-auth.md §3.10):
// user gitlab-ci-token, password = CI_JOB_TOKEN = the job token, image path downcased.
TEST(CiEnv, SetsGitLabVariablesForAJobWithAProjectDeployToken) {
  CiEnvOptions o;
  o.job_id = 6;
  o.registry = "registry.example.test:5050";
  auto env = BuildCiEnv(TestWorld(), o);
  ASSERT_TRUE(env) << env.error().message;
  std::vector<std::string> names;
  for (const CiVariable& v : env->variables) names.push_back(v.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"CI_REGISTRY", "CI_REGISTRY_IMAGE", "CI_PROJECT_PATH",
                                      "CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD", "CI_JOB_TOKEN",
                                      "CI_DEPLOY_USER", "CI_DEPLOY_PASSWORD"}));
  auto v = Vars(*env);
  EXPECT_EQ(v["CI_REGISTRY"], "registry.example.test:5050");
  EXPECT_EQ(v["CI_REGISTRY_IMAGE"], "registry.example.test:5050/acme/own-token");
  EXPECT_EQ(v["CI_PROJECT_PATH"], "acme/Own-Token");
  EXPECT_EQ(v["CI_REGISTRY_USER"], "gitlab-ci-token");
  EXPECT_EQ(v["CI_REGISTRY_PASSWORD"], "job-6-'quoted'");
  EXPECT_EQ(v["CI_JOB_TOKEN"], "job-6-'quoted'");
  EXPECT_EQ(v["CI_DEPLOY_USER"], "own-deployer");
  EXPECT_EQ(v["CI_DEPLOY_PASSWORD"], "own-secret");
}

// Group deploy tokens get the default username gitlab+deploy-token-<n> (n = 2: second deploy
// token of the file).
TEST(CiEnv, GroupDeployTokenGivesItsDefaultUsername) {
  auto env = BuildCiEnv(TestWorld(), {});
  ASSERT_TRUE(env) << env.error().message;
  auto v = Vars(*env);
  EXPECT_EQ(v["CI_DEPLOY_USER"], "gitlab+deploy-token-2");
  EXPECT_EQ(v["CI_DEPLOY_PASSWORD"], "acme-secret");
}

// deploy_token_variables: `break variables unless gitlab_deploy_token`.
TEST(CiEnv, OmitsDeployVariablesWithoutGitLabDeployToken) {
  CiEnvOptions o;
  o.job_id = 3;
  auto env = BuildCiEnv(TestWorld(), o);
  ASSERT_TRUE(env) << env.error().message;
  auto v = Vars(*env);
  EXPECT_EQ(v.count("CI_DEPLOY_USER"), 0u);
  EXPECT_EQ(v.count("CI_DEPLOY_PASSWORD"), 0u);
  EXPECT_EQ(v["CI_JOB_TOKEN"], "job-3-secret");
  ASSERT_FALSE(env->notes.empty());
}

// container_registry_variables: CI_REGISTRY_IMAGE only `if container_registry_enabled?`.
TEST(CiEnv, OmitsImageWhenProjectRegistryDisabled) {
  CiEnvOptions o;
  o.job_id = 7;
  auto env = BuildCiEnv(TestWorld(), o);
  ASSERT_TRUE(env) << env.error().message;
  auto v = Vars(*env);
  EXPECT_EQ(v.count("CI_REGISTRY"), 1u);
  EXPECT_EQ(v.count("CI_REGISTRY_IMAGE"), 0u);
}

// A finished job still gets its variables, with a note that GitLab refuses its token (§9).
TEST(CiEnv, NotesWhenGitLabWouldRefuseTheJobToken) {
  CiEnvOptions o;
  o.job_id = 2;
  auto env = BuildCiEnv(TestWorld(), o);
  ASSERT_TRUE(env) << env.error().message;
  ASSERT_FALSE(env->notes.empty());
  EXPECT_NE(env->notes[0].find("success"), std::string::npos) << env->notes[0];
}

struct RegistryCase {
  const char* label;
  const char* registry;
  bool ok;
};
REGAUTH_PRINT_LABEL(RegistryCase)

// CI_REGISTRY is Gitlab.config.registry.host_port: a host and optional port, nothing else.
const RegistryCase kRegistryCases[] = {
    {"host and port", "127.0.0.1:5000", true},
    {"name", "registry.example.test", true},
    {"ipv6", "[::1]:5000", true},
    {"empty", "", false},
    {"scheme", "http://127.0.0.1:5000", false},
    {"path", "127.0.0.1:5000/x", false},
    {"space", "a b", false},
    {"userinfo", "u@h", false},
    {"quote", "h'", false},
    {"newline", "h\n", false},
};

class RegistryOptionTest : public ::testing::TestWithParam<RegistryCase> {};

TEST_P(RegistryOptionTest, ValidatesHostPort) {
  CiEnvOptions o;
  o.job_id = 6;
  o.registry = GetParam().registry;
  auto env = BuildCiEnv(TestWorld(), o);
  EXPECT_EQ(static_cast<bool>(env), GetParam().ok);
  if (!env) {
    EXPECT_EQ(env.error().code, CiEnvErrorCode::kBadRegistry);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, RegistryOptionTest, ::testing::ValuesIn(kRegistryCases),
                         testing_support::LabelName());

struct QuoteCase {
  const char* label;
  std::string in;
  std::string want;
};
REGAUTH_PRINT_LABEL(QuoteCase)

// POSIX sh: inside single quotes every byte is literal except ', written '\''.
const QuoteCase kQuoteCases[] = {
    {"plain", "abc", "'abc'"},
    {"empty", "", "''"},
    {"single quote", "a'b", "'a'\\''b'"},
    {"expansions stay literal", "$HOME `id` $(id) \\ !", "'$HOME `id` $(id) \\ !'"},
    {"newline stays inside", "a\nb", "'a\nb'"},
};

class ShellQuoteTest : public ::testing::TestWithParam<QuoteCase> {};

TEST_P(ShellQuoteTest, QuotesForPosixShell) {
  EXPECT_EQ(ShellQuote(GetParam().in), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Table, ShellQuoteTest, ::testing::ValuesIn(kQuoteCases),
                         testing_support::LabelName());

// The export lines round-trip through a real shell: sh -c 'eval "$X"; printf %s "$V"'.
TEST(CiEnv, FormatExportsWritesCommentsAndExportLines) {
  CiEnv env;
  env.job_id = 7;
  env.project_path = "a/b";
  env.notes = {"line one\nline two"};
  env.variables = {{"CI_JOB_TOKEN", "x'y", true}};
  auto text = FormatExports(env);
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(*text,
            "# GitLab CI registry variables of job 7 (a/b)\n"
            "# line one?line two\n"
            "export CI_JOB_TOKEN='x'\\''y'\n");
}

// A NUL byte cannot live in a shell variable: refused, naming the variable only.
TEST(CiEnv, FormatExportsRefusesNulBytes) {
  CiEnv env;
  env.variables = {{"CI_JOB_TOKEN", std::string("a\0b", 3), true}};
  auto text = FormatExports(env);
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().find("CI_JOB_TOKEN"), std::string::npos);
  EXPECT_EQ(text.error().find(std::string("a\0b", 3)), std::string::npos);
}

// The default world's first usable job (101, acme/app-ci) gets the acme group's
// gitlab-deploy-token, which is how the integration tests log in with CI_DEPLOY_*.
TEST(CiEnv, DefaultWorldChoosesJob101WithTheGroupDeployToken) {
  const protocol::World& world = testing_support::DefaultWorld(1700000000);
  auto env = BuildCiEnv(world, {});
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_EQ(env->job_id, 101);
  auto v = Vars(*env);
  EXPECT_EQ(v["CI_PROJECT_PATH"], "acme/app-ci");
  EXPECT_EQ(v["CI_DEPLOY_PASSWORD"], "gldt-acme-group-gitlab-deploy-token");
}

}  // namespace
}  // namespace regauth::server
