#include "harness/suite/matrix.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <unordered_set>

#include "harness/suite/case_loader.h"
#include "harness/suite/step_fields.h"
#include "harness/testing/world.h"
#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

using test_support::DefaultWorld;
using test_support::kNow;
using test_support::Source;

const Matrix& GitLabMatrix() {
  static const Matrix m = [] {
    auto r = LoadMatrixFile(Source("cases/matrix/gitlab-token-endpoint.json"));
    EXPECT_TRUE(r.has_value()) << (r ? "" : DescribeLoadError(r.error()));
    return std::move(*r);
  }();
  return m;
}

const std::vector<Case>& DefaultCases() {
  static const std::vector<Case> cases = [] {
    auto r = ExpandMatrix(GitLabMatrix(), DefaultWorld());
    EXPECT_TRUE(r.has_value()) << (r ? "" : DescribeLoadError(r.error()));
    return std::move(*r);
  }();
  return cases;
}

const Case* FindCase(std::string_view id) {
  for (const Case& c : DefaultCases()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

// Summary renders an expectation as "outcome|name:actions name:actions|i:name:action".
std::string Summary(const Json& expect) {
  std::string out = expect["outcome"].get<std::string>();
  out += "|";
  if (auto a = expect.find("access"); a != expect.end()) {
    bool first = true;
    for (const auto& e : *a) {
      if (!first) out += " ";
      first = false;
      out += e["name"].get<std::string>() + ":";
      bool fa = true;
      for (const auto& act : e["actions"]) {
        if (!fa) out += ",";
        fa = false;
        out += act.get<std::string>();
      }
    }
  }
  if (auto i = expect.find("informational"); i != expect.end()) {
    for (const auto& e : *i) {
      out += "|i:" + e["name"].get<std::string>() + ":" + e["action"].get<std::string>();
    }
  }
  return out;
}

// The whole default expansion: size, unique ids, and what every case must carry.
TEST(MatrixExpansion, DefaultWorldGivesThousandsOfUniqueWellFormedCases) {
  const auto& cases = DefaultCases();
  EXPECT_GE(cases.size(), 2000u);
  std::unordered_set<std::string> ids;
  for (const Case& c : cases) {
    EXPECT_TRUE(ids.insert(c.id).second) << "duplicate id " << c.id;
    EXPECT_TRUE(c.id.starts_with("gitlab/")) << c.id;
    EXPECT_EQ(c.id.find('*'), std::string::npos) << c.id;
    EXPECT_FALSE(c.title.empty()) << c.id;
    EXPECT_FALSE(c.requirement.empty()) << c.id;
    EXPECT_FALSE(c.source.empty()) << c.id;
    EXPECT_EQ(c.layer, Layer::kTokenEndpoint);
    EXPECT_NE(std::find(c.tags.begin(), c.tags.end(), "matrix"), c.tags.end()) << c.id;
    ASSERT_EQ(c.steps.size(), 1u) << c.id;
    EXPECT_EQ(c.steps[0].kind, StepKind::kTokenRequest);
    EXPECT_FALSE(c.dims.credential_kind.empty()) << c.id;
    const bool bad = std::find(c.tags.begin(), c.tags.end(), "bad-credentials") != c.tags.end();
    const std::string outcome = c.expect["outcome"].get<std::string>();
    if (outcome == "unauthorized") {
      EXPECT_TRUE(bad) << c.id;
    }
    if (c.dims.credential_state != "active") {
      EXPECT_TRUE(bad) << c.id;
    }
    // The expectation is valid for the judge, and the case survives a JSON round trip.
    auto e = ParseExpectation(c.expect, c.layer, "matrix", "/expect");
    EXPECT_TRUE(e.has_value()) << c.id;
    auto back = CaseFromJson(CaseToJson(c), "roundtrip", "");
    ASSERT_TRUE(back.has_value()) << c.id << ": " << DescribeLoadError(back.error());
    EXPECT_EQ(back->id, c.id);
    EXPECT_EQ(back->expect, c.expect);
  }
}

// Expansion is deterministic: the same world and matrix give the same cases in the same order.
TEST(MatrixExpansion, IsDeterministic) {
  auto again = ExpandMatrix(GitLabMatrix(), DefaultWorld());
  ASSERT_TRUE(again.has_value());
  ASSERT_EQ(again->size(), DefaultCases().size());
  for (std::size_t i = 0; i < again->size(); ++i) {
    EXPECT_EQ((*again)[i].id, DefaultCases()[i].id);
    EXPECT_EQ((*again)[i].expect, DefaultCases()[i].expect);
  }
}

// Counts per family, pinned so that a change of the matrix or world is noticed and documented.
TEST(MatrixExpansion, CountsPerFamily) {
  std::map<std::string, int> families;
  for (const Case& c : DefaultCases()) {
    const auto a = c.id.find('/');
    families[c.id.substr(0, c.id.find('/', a + 1))]++;
  }
  const std::map<std::string, int> want = {
      {"gitlab/anonymous", 291},           {"gitlab/deploy_token", 1490},
      {"gitlab/group_access_token", 594},  {"gitlab/group_deploy_token", 597},
      {"gitlab/job_token", 4706},          {"gitlab/oauth_token", 609},
      {"gitlab/password", 3517},           {"gitlab/personal_access_token", 7919},
      {"gitlab/project_access_token", 594}};
  EXPECT_EQ(families, want);
  EXPECT_EQ(DefaultCases().size(), 20317u);
}

struct Cell {
  const char* label;
  const char* id;
  const char* want;  // Summary()
};
REGAUTH_PRINT_LABEL(Cell)

class MatrixCells : public ::testing::TestWithParam<Cell> {};

// token-auth.md §3.11 outcome table (corrected by §9), cell by cell over the default world.
TEST_P(MatrixCells, ExpectsGitLabOutcome) {
  const Case* c = FindCase(GetParam().id);
  ASSERT_NE(c, nullptr) << GetParam().id;
  EXPECT_EQ(Summary(c->expect), GetParam().want) << c->title;
}

#define G "gitlab/"
const Cell kCells[] = {
    // Anonymous (§3.11 row 1; §3.4 gate 3).
    {"anon public pull", G "anonymous/anonymous/acme/public-enabled/pull",
     "granted|acme/public-enabled:pull"},
    {"anon public push", G "anonymous/anonymous/acme/public-enabled/push", "forbidden|"},
    {"anon public pull,push", G "anonymous/anonymous/acme/public-enabled/pull,push",
     "granted|acme/public-enabled:pull"},
    {"anon public pull,pull", G "anonymous/anonymous/acme/public-enabled/pull,pull",
     "granted|acme/public-enabled:pull,pull"},
    {"anon public star", G "anonymous/anonymous/acme/public-enabled/star", "forbidden|"},
    {"anon public-private", G "anonymous/anonymous/acme/public-private/pull", "forbidden|"},
    {"anon internal", G "anonymous/anonymous/acme/internal-enabled/pull", "forbidden|"},
    {"anon private", G "anonymous/anonymous/acme/private-enabled/pull", "forbidden|"},
    {"anon catalog", G "anonymous/anonymous/registry-catalog", "forbidden|"},
    {"anon two resources",
     G "anonymous/anonymous/acme/private-enabled/pull,push/and-pull-space_joined",
     "granted|acme/public-enabled:pull"},
    // PATs by role (§3.6, §3.7).
    {"developer read pat pulls private",
     G "personal_access_token/dana-pat-read-registry/acme/private-enabled/pull",
     "granted|acme/private-enabled:pull"},
    {"read pat never pushes",
     G "personal_access_token/dana-pat-read-registry/acme/private-enabled/push", "granted|"},
    {"reporter rw pat pulls only",
     G "personal_access_token/rita-pat-read-write-registry/acme/private-enabled/pull,push",
     "granted|acme/private-enabled:pull"},
    {"push,pull order kept",
     G "personal_access_token/dana-pat-read-write-registry/acme/private-enabled/push,pull",
     "granted|acme/private-enabled:push,pull"},
    {"guest cannot pull private",
     G "personal_access_token/gus-pat-read-registry/acme/private-enabled/pull", "granted|"},
    {"planner cannot pull private",
     G "personal_access_token/pia-pat-read-registry/acme/private-enabled/pull", "granted|"},
    {"guest pulls public", G "personal_access_token/gus-pat-read-registry/acme/public-enabled/pull",
     "granted|acme/public-enabled:pull"},
    {"non-member pulls internal",
     G "personal_access_token/nora-pat-read-registry/acme/internal-enabled/pull",
     "granted|acme/internal-enabled:pull"},
    {"non-member not public-private",
     G "personal_access_token/nora-pat-read-registry/acme/public-private/pull", "granted|"},
    {"external non-member not internal",
     G "personal_access_token/eve-pat-read-registry/acme/internal-private/pull", "granted|"},
    {"external member pulls internal",
     G "personal_access_token/eve-pat-read-registry/acme/internal-enabled/pull",
     "granted|acme/internal-enabled:pull"},
    {"rw pat no delete",
     G "personal_access_token/dana-pat-read-write-registry/acme/private-enabled/delete",
     "granted|"},
    {"rw pat no star",
     G "personal_access_token/dana-pat-read-write-registry/acme/private-enabled/star", "granted|"},
    {"developer api no star", G "personal_access_token/dana-pat-api/acme/private-enabled/star",
     "granted|"},
    {"maintainer api delete", G "personal_access_token/max-pat-api/acme/private-enabled/delete",
     "granted|acme/private-enabled:delete"},
    {"maintainer api star", G "personal_access_token/max-pat-api/acme/private-enabled/star",
     "granted|acme/private-enabled:*"},
    {"write-only pat pushes without pull",
     G "personal_access_token/dana-pat-write-registry/acme/private-enabled/pull,push",
     "granted|acme/private-enabled:push"},
    {"read_api pulls", G "personal_access_token/dana-pat-read-api/acme/private-enabled/pull,push",
     "granted|acme/private-enabled:pull"},
    {"registry disabled", G "personal_access_token/dana-pat-api/acme/private-disabled/pull",
     "granted|"},
    {"private registry reporter+",
     G "personal_access_token/rita-pat-read-write-registry/acme/public-private/pull",
     "granted|acme/public-private:pull"},
    {"direct project reporter",
     G "personal_access_token/pete-pat-read-registry/acme/private-enabled/pull",
     "granted|acme/private-enabled:pull"},
    {"subgroup project inherits", G "personal_access_token/olga-pat-api/acme/platform/lib/star",
     "granted|acme/platform/lib:*"},
    {"unknown action dropped", G "personal_access_token/max-pat-api/acme/private-enabled/foo",
     "granted|"},
    // Gates and authentication (§3.2, §3.4, §9).
    {"read_repository pat 403",
     G "personal_access_token/dana-pat-read-repository/acme/private-enabled/pull", "forbidden|"},
    {"read_user pat 403", G "personal_access_token/dana-pat-read-user/acme/public-enabled/pull",
     "forbidden|"},
    {"admin_mode pat 403", G "personal_access_token/ada-pat-admin-mode/registry-catalog",
     "forbidden|"},
    {"oauth read_user 403", G "oauth_token/dana-oauth-read-user/acme/public-enabled/pull",
     "forbidden|"},
    {"expired pat 401", G "personal_access_token/dana-pat-expired/acme/public-enabled/pull",
     "unauthorized|"},
    {"expires today 401", G "personal_access_token/dana-pat-expires-today/acme/public-enabled/pull",
     "unauthorized|"},
    {"revoked pat 401", G "personal_access_token/dana-pat-revoked/acme/public-enabled/pull",
     "unauthorized|"},
    {"blocked user pat 401",
     G "personal_access_token/bob-pat-read-write-registry/acme/public-enabled/pull",
     "unauthorized|"},
    {"blocked user password 401", G "password/bob-blocked-password/acme/public-enabled/pull",
     "unauthorized|"},
    {"2fa password 401", G "password/tom-twofactor-password/acme/public-enabled/pull",
     "unauthorized|"},
    {"2fa pat works",
     G "personal_access_token/tom-pat-read-write-registry/acme/private-enabled/pull,push",
     "granted|acme/private-enabled:pull,push"},
    {"wrong secret 401",
     G "personal_access_token/dana-pat-read-registry~wrong_secret/acme/public-enabled/pull",
     "unauthorized|"},
    {"pat username ignored",
     G "personal_access_token/dana-pat-read-registry~wrong_username/acme/private-enabled/pull",
     "granted|acme/private-enabled:pull"},
    {"access token username ignored",
     G "project_access_token/private-enabled-bot-developer~wrong_username/acme/private-enabled/"
       "pull,push",
     "granted|acme/private-enabled:pull,push"},
    {"oauth username ignored",
     G "oauth_token/dana-oauth-api~wrong_username/acme/private-enabled/push",
     "granted|acme/private-enabled:push"},
    {"password wrong username 401",
     G "password/gus-guest-password~wrong_username/acme/public-enabled/pull", "unauthorized|"},
    {"deploy wrong username 401",
     G "deploy_token/private-enabled-deploy-read~wrong_username/acme/public-enabled/pull",
     "unauthorized|"},
    {"job wrong username 401", G "job_token/job-101~wrong_username/acme/public-enabled/pull",
     "unauthorized|"},
    // Admins (§3.9; push from `rule { owner | admin }.enable :owner_access`).
    {"admin read pat pulls private",
     G "personal_access_token/ada-pat-read-registry/acme/private-private/pull",
     "granted|acme/private-private:pull"},
    {"admin rw pat pushes",
     G "personal_access_token/ada-pat-read-write-registry/acme/private-enabled/push",
     "granted|acme/private-enabled:push"},
    {"admin api star", G "personal_access_token/ada-pat-api/acme/private-enabled/star",
     "granted|acme/private-enabled:*"},
    {"admin archived no star", G "personal_access_token/ada-pat-api/acme/archived/star",
     "granted|"},
    {"admin archived pull", G "personal_access_token/ada-pat-api/acme/archived/pull",
     "granted|acme/archived:pull"},
    {"admin catalog", G "personal_access_token/ada-pat-read-registry/registry-catalog",
     "granted|catalog:*"},
    {"admin oauth catalog", G "oauth_token/ada-oauth-api/registry-catalog", "granted|catalog:*"},
    {"non-admin catalog empty", G "personal_access_token/dana-pat-api/registry-catalog",
     "granted|"},
    // Archived (§9).
    {"archived push denied",
     G "personal_access_token/dana-pat-read-write-registry/acme/archived/pull,push",
     "granted|acme/archived:pull"},
    {"owner archived no delete", G "password/olga-owner-password/acme/archived/delete", "granted|"},
    {"owner password star", G "password/olga-owner-password/acme/private-enabled/star",
     "granted|acme/private-enabled:*"},
    // Access tokens (bots).
    {"project bot reporter",
     G "project_access_token/private-enabled-bot-reporter/acme/private-enabled/pull,push",
     "granted|acme/private-enabled:pull"},
    {"project bot other project",
     G "project_access_token/private-enabled-bot-developer/acme/private-private/pull", "granted|"},
    {"group bot maintainer star",
     G "group_access_token/acme-bot-maintainer-api/acme/platform/lib/star",
     "granted|acme/platform/lib:*"},
    // Deploy tokens (§3.6, §3.7, §3.11, §9).
    {"deploy rw own",
     G "deploy_token/private-enabled-deploy-read-write/acme/private-enabled/pull,push",
     "granted|acme/private-enabled:pull,push"},
    {"deploy never delete",
     G "deploy_token/private-enabled-deploy-read-write/acme/private-enabled/delete", "granted|"},
    {"deploy never star",
     G "deploy_token/private-enabled-deploy-read-write/acme/private-enabled/star", "granted|"},
    {"deploy write only",
     G "deploy_token/private-enabled-deploy-write/acme/private-enabled/pull,push",
     "granted|acme/private-enabled:push"},
    {"deploy foreign public", G "deploy_token/private-enabled-deploy-read/acme/public-enabled/pull",
     "granted|acme/public-enabled:pull"},
    // Issue 8 item 4: a foreign read_registry deploy token pulls public and internal projects,
    // PRIVATE registries included (public_access; container_registry_disabled ignores PRIVATE).
    {"deploy foreign internal",
     G "deploy_token/private-enabled-deploy-read/acme/internal-enabled/pull",
     "granted|acme/internal-enabled:pull"},
    {"deploy foreign public-private",
     G "deploy_token/private-enabled-deploy-read/acme/public-private/pull",
     "granted|acme/public-private:pull"},
    {"deploy foreign internal-private allowlist project",
     G "deploy_token/private-enabled-deploy-read/acme/internal-allowlist/pull",
     "granted|acme/internal-allowlist:pull"},
    {"deploy foreign private",
     G "deploy_token/public-private-deploy-read/acme/private-enabled/pull", "granted|"},
    {"deploy virtual registry only 403",
     G "deploy_token/private-enabled-deploy-virtual-registry/acme/private-enabled/pull",
     "forbidden|"},
    {"deploy own bypasses PRIVATE",
     G "deploy_token/public-private-deploy-read/acme/public-private/pull",
     "granted|acme/public-private:pull"},
    {"deploy read_repository 403",
     G "deploy_token/private-enabled-deploy-read-repository/acme/private-enabled/pull",
     "forbidden|"},
    {"deploy package only 401",
     G "deploy_token/private-enabled-deploy-read-package/acme/private-enabled/pull",
     "unauthorized|"},
    {"deploy expired 401",
     G "deploy_token/private-enabled-deploy-expired/acme/private-enabled/pull", "unauthorized|"},
    {"group deploy subgroup", G "group_deploy_token/acme-group-deploy-read/acme/platform/lib/pull",
     "granted|acme/platform/lib:pull"},
    {"group deploy archived push",
     G "group_deploy_token/acme-group-deploy-gitlab-deploy-token/acme/archived/pull,push",
     "granted|acme/archived:pull"},
    {"group deploy revoked",
     G "group_deploy_token/acme-group-deploy-revoked/acme/private-enabled/pull", "unauthorized|"},
    {"deploy catalog empty", G "deploy_token/private-enabled-deploy-read/registry-catalog",
     "granted|"},
    // Job tokens (§3.6, §3.7, §9).
    {"job own pull,push", G "job_token/job-101/acme/app-ci/pull,push",
     "granted|acme/app-ci:pull,push"},
    {"job own delete", G "job_token/job-101/acme/app-ci/delete", "granted|acme/app-ci:delete"},
    {"job never star", G "job_token/job-101/acme/app-ci/star", "granted|"},
    {"job allowlisted private pull only", G "job_token/job-101/acme/private-enabled/pull,push",
     "granted|acme/private-enabled:pull"},
    {"job not allowlisted private", G "job_token/job-106/acme/private-enabled/pull", "granted|"},
    {"job public without allowlist", G "job_token/job-106/acme/public-enabled/pull",
     "granted|acme/public-enabled:pull"},
    {"job internal without allowlist", G "job_token/job-106/acme/internal-enabled/pull",
     "granted|acme/internal-enabled:pull"},
    {"job reporter allowlisted private-private", G "job_token/job-104/acme/private-private/pull",
     "granted|acme/private-private:pull"},
    {"job guest allowlisted private", G "job_token/job-113/acme/private-enabled/pull", "granted|"},
    // Issue 8 item 1: PRIVATE registry on a public/internal project, allowlisted: any role.
    {"job guest public-private", G "job_token/job-113/acme/public-private/pull",
     "granted|acme/public-private:pull"},
    {"job guest internal-private allowlisted", G "job_token/job-113/acme/internal-allowlist/pull",
     "granted|acme/internal-allowlist:pull"},
    {"job internal-private not allowlisted", G "job_token/job-106/acme/internal-allowlist/pull",
     "granted|"},
    // Issue 8 item 3: an external user's job on internal projects needs the allowlist.
    {"external job internal not allowlisted", G "job_token/job-117/acme/internal-enabled/pull",
     "granted|"},
    {"external job internal member not allowlisted",
     G "job_token/job-117/acme/internal-members/pull", "granted|"},
    {"external job internal allowlisted", G "job_token/job-117/acme/internal-ext-allowlisted/pull",
     "granted|acme/internal-ext-allowlisted:pull"},
    {"external job internal-private allowlisted",
     G "job_token/job-117/acme/internal-allowlist/pull", "granted|acme/internal-allowlist:pull"},
    {"external job public", G "job_token/job-117/acme/public-enabled/pull",
     "granted|acme/public-enabled:pull"},
    {"external reporter job public-private not allowlisted",
     G "job_token/job-117/acme/public-private/pull,push", "granted|acme/public-private:pull"},
    {"admin job catalog", G "job_token/job-118/registry-catalog", "granted|catalog:*"},
    {"admin job private not member", G "job_token/job-118/acme/private-enabled/pull", "granted|"},
    {"non-external job internal", G "job_token/job-101/acme/internal-members/pull",
     "granted|acme/internal-members:pull"},
    // Issue 8 item 12: the personal namespace's owner owns the project.
    {"owner pat personal", G "personal_access_token/dana-pat-api/dana-developer/tools/star",
     "granted|dana-developer/tools:*"},
    {"owner job personal allowlisted", G "job_token/job-101/dana-developer/tools/pull,push",
     "granted|dana-developer/tools:pull"},
    {"other job personal allowlisted", G "job_token/job-104/dana-developer/tools/pull", "granted|"},
    {"other user personal", G "personal_access_token/rita-pat-api/dana-developer/tools/pull",
     "granted|"},
    // Protected container repositories (gate 4; the default world runs the 17.8 behaviour).
    {"developer push maintainer-protected",
     G "personal_access_token/dana-pat-read-write-registry/acme/protected-maintainer/pull,push",
     "forbidden|"},
    {"developer pull maintainer-protected",
     G "personal_access_token/dana-pat-read-write-registry/acme/protected-maintainer/pull",
     "granted|acme/protected-maintainer:pull"},
    {"reporter asking push is not granted push",
     G "personal_access_token/rita-pat-read-write-registry/acme/protected-maintainer/push",
     "granted|"},
    {"maintainer push maintainer-protected",
     G "personal_access_token/max-pat-read-write-registry/acme/protected-maintainer/pull,push",
     "granted|acme/protected-maintainer:pull,push"},
    {"maintainer push owner-protected",
     G "personal_access_token/max-pat-read-write-registry/acme/protected-owner/pull,push",
     "forbidden|"},
    {"owner push owner-protected",
     G "personal_access_token/olga-pat-read-write-registry/acme/protected-owner/push",
     "granted|acme/protected-owner:push"},
    {"owner push admin-protected",
     G "personal_access_token/olga-pat-read-write-registry/acme/protected-admin/push",
     "forbidden|"},
    {"admin exempt",
     G "personal_access_token/ada-pat-read-write-registry/acme/protected-admin/push",
     "granted|acme/protected-admin:push"},
    {"group deploy token never stopped",
     G
     "group_deploy_token/acme-group-deploy-gitlab-deploy-token/acme/protected-maintainer/pull,push",
     "granted|acme/protected-maintainer:pull,push"},
    {"developer job own protected push", G "job_token/job-119/acme/protected-maintainer/pull,push",
     "forbidden|"},
    {"developer job own protected pull", G "job_token/job-119/acme/protected-maintainer/pull",
     "granted|acme/protected-maintainer:pull"},
    // Issue 8 item 6: ai_workflows.
    {"pat ai_workflows 401",
     G "personal_access_token/dana-pat-ai-workflows/acme/public-enabled/pull", "unauthorized|"},
    {"oauth ai_workflows 403", G "oauth_token/dana-oauth-ai-workflows/acme/public-enabled/pull",
     "forbidden|"},
    {"job reporter public-private", G "job_token/job-104/acme/public-private/pull",
     "granted|acme/public-private:pull"},
    {"job not allowlisted public-private", G "job_token/job-106/acme/public-private/pull",
     "granted|"},
    {"job group allowlist but not member", G "job_token/job-112/acme/private-private/pull",
     "granted|"},
    {"job inbound scope off", G "job_token/job-101/acme/platform/lib/pull",
     "granted|acme/platform/lib:pull"},
    {"job own archived push", G "job_token/job-114/acme/archived/pull,push",
     "granted|acme/archived:pull,push"},
    {"job own project of target", G "job_token/job-108/acme/private-enabled/pull,push",
     "granted|acme/private-enabled:pull,push"},
    {"job CVE-2019-12825", G "job_token/job-101/globex/private-app/pull,push", "granted|"},
    {"job canceling works", G "job_token/job-102/acme/app-ci/pull", "granted|acme/app-ci:pull"},
    {"job succeeded 401", G "job_token/job-103/acme/public-enabled/pull", "unauthorized|"},
    {"job builds disabled 401", G "job_token/job-107/acme/public-enabled/pull", "unauthorized|"},
    {"job erased 401", G "job_token/job-109/acme/public-enabled/pull", "unauthorized|"},
    {"job pending delete 401", G "job_token/job-110/acme/public-enabled/pull", "unauthorized|"},
    {"job pending 401", G "job_token/job-111/acme/public-enabled/pull", "unauthorized|"},
    {"job without user own", G "job_token/job-105/acme/app-ci/pull,push",
     "granted|acme/app-ci:pull,push"},
    // Issue 8 item 2: a job without a user reads only its own project.
    {"job without user public", G "job_token/job-105/acme/public-enabled/pull", "granted|"},
    {"job without user in public project, own", G "job_token/job-115/acme/public-enabled/pull,push",
     "granted|acme/public-enabled:pull,push"},
    {"job without user in public project, other public",
     G "job_token/job-115/globex/public-app/pull", "granted|"},
    {"job without user in internal project, other internal",
     G "job_token/job-116/acme/internal-members/pull", "granted|"},
    {"job catalog empty", G "job_token/job-101/registry-catalog", "granted|"},
    // Uncertain rows.
    {"pending delete informational",
     G "personal_access_token/dana-pat-read-write-registry/acme/pending-delete/pull",
     "granted||i:acme/pending-delete:pull"},
};
#undef G

INSTANTIATE_TEST_SUITE_P(Default, MatrixCells, ::testing::ValuesIn(kCells),
                         testing_support::LabelName());

// Issue 8 item 5: with the registry disabled instance-wide, registry_scopes is [] (gitlabhq
// lib/gitlab/auth.rb), so a token whose only scopes are read_registry/write_registry fails login
// (401) while one with another login scope reaches the service's 404.
TEST(MatrixExpansion, RegistryDisabledMakesRegistryOnlyTokensUnauthorized) {
  auto text = ReadTextFile(Source("cases/worlds/gitlab-default.json"));
  ASSERT_TRUE(text.has_value());
  const std::string from = R"("registry_enabled": true)";
  const std::size_t at = text->find(from);
  ASSERT_NE(at, std::string::npos);
  text->replace(at, from.size(), R"("registry_enabled": false)");
  auto world = protocol::ParseWorld(*text, protocol::WorldContext{kNow, nullptr});
  ASSERT_TRUE(world.has_value());
  auto cases = ExpandMatrix(GitLabMatrix(), *world);
  ASSERT_TRUE(cases.has_value());
  std::map<std::string, std::string> got;
  for (const Case& c : *cases) got[c.id] = c.expect["outcome"].get<std::string>();
  const std::map<std::string, std::string> want = {
      {"gitlab/personal_access_token/dana-pat-read-write-registry/acme/public-enabled/pull",
       "unauthorized"},
      {"gitlab/deploy_token/private-enabled-deploy-read/acme/public-enabled/pull", "unauthorized"},
      {"gitlab/project_access_token/private-enabled-bot-developer/acme/public-enabled/pull",
       "unauthorized"},
      {"gitlab/personal_access_token/dana-pat-api/acme/public-enabled/pull", "not_found"},
      {"gitlab/oauth_token/dana-oauth-api/acme/public-enabled/pull", "not_found"},
      {"gitlab/password/dana-developer-password/acme/public-enabled/pull", "not_found"},
      {"gitlab/job_token/job-101/acme/public-enabled/pull", "not_found"},
      {"gitlab/anonymous/anonymous/acme/public-enabled/pull", "not_found"},
  };
  for (const auto& [id, outcome] : want) {
    ASSERT_TRUE(got.count(id)) << id;
    EXPECT_EQ(got[id], outcome) << id;
  }
}

// The reduce section: dead credentials get two projects × two action lists + the catalog.
TEST(MatrixExpansion, DeadCredentialsGetTheReducedSubset) {
  std::vector<std::string> ids;
  for (const Case& c : DefaultCases()) {
    if (c.id.starts_with("gitlab/personal_access_token/dana-pat-revoked/")) ids.push_back(c.id);
  }
  const std::vector<std::string> want = {
      "gitlab/personal_access_token/dana-pat-revoked/acme/public-enabled/pull",
      "gitlab/personal_access_token/dana-pat-revoked/acme/public-enabled/pull,push",
      "gitlab/personal_access_token/dana-pat-revoked/acme/private-enabled/pull",
      "gitlab/personal_access_token/dana-pat-revoked/acme/private-enabled/pull,push",
      "gitlab/personal_access_token/dana-pat-revoked/registry-catalog"};
  EXPECT_EQ(ids, want);
}

// The generated step is what cases/README.md "token_request" documents.
TEST(MatrixExpansion, StepAndDimensions) {
  const Case* c = FindCase(
      "gitlab/personal_access_token/dana-pat-read-registry~wrong_username/acme/private-enabled/"
      "pull");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(StepParamsToJson(c->steps[0].params),
            Json::parse(R"({"credential": "dana-pat-read-registry", "mutate": "wrong_username",
                            "scopes": ["repository:acme/private-enabled:pull"]})"));
  EXPECT_EQ(c->dims.credential_kind, "personal_access_token");
  EXPECT_EQ(c->dims.credential_state, "wrong_username");
  EXPECT_EQ(c->dims.scopes, "read_registry");
  EXPECT_EQ(c->dims.role, "developer");
  EXPECT_EQ(c->dims.visibility, "private");
  EXPECT_EQ(c->dims.registry_access, "enabled");
  EXPECT_EQ(c->dims.relation, "member");
  EXPECT_EQ(c->dims.actions, "pull");
  const Case* two =
      FindCase("gitlab/anonymous/anonymous/acme/public-enabled/pull,push/and-pull-space_joined");
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(StepParamsToJson(two->steps[0].params),
            Json::parse(R"({"scope_encoding": "space_joined",
                            "scopes": ["repository:acme/public-enabled:pull,push",
                                       "repository:globex/public-app:pull"]})"));
  const Case* admin = FindCase("gitlab/personal_access_token/ada-pat-api/registry-catalog");
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->dims.role, "admin");
  EXPECT_EQ(admin->steps[0].As<TokenRequestStep>().scopes,
            std::vector<std::string>{"registry:catalog:*"});
}

// Rule citations reach the case: every grant and denial names its source.
TEST(MatrixExpansion, CitesDecidingRules) {
  const Case* c = FindCase(
      "gitlab/personal_access_token/rita-pat-read-write-registry/acme/private-enabled/pull,push");
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->source.find("token-auth.md §3.6"), std::string::npos) << c->source;
  EXPECT_NE(c->requirement.find("partial grants are not an error"), std::string::npos);
  const Case* u = FindCase("gitlab/job_token/job-103/acme/public-enabled/pull");
  ASSERT_NE(u, nullptr);
  EXPECT_NE(u->source.find("§9"), std::string::npos) << u->source;
}

struct MatrixError {
  const char* label;
  const char* patch;  // JSON merge-patch applied to a valid matrix
  const char* pointer;
};
REGAUTH_PRINT_LABEL(MatrixError)

class MatrixLoadErrors : public ::testing::TestWithParam<MatrixError> {};

// cases/README.md: a matrix file is validated on load with a JSON pointer.
TEST_P(MatrixLoadErrors, ReportsPointer) {
  auto text = ReadTextFile(Source("cases/matrix/gitlab-token-endpoint.json"));
  ASSERT_TRUE(text.has_value());
  Json doc = Json::parse(*text);
  doc.merge_patch(Json::parse(GetParam().patch));
  auto m = ParseMatrix(doc, "m.json");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().pointer, GetParam().pointer) << DescribeLoadError(m.error());
}

const MatrixError kMatrixErrors[] = {
    {"unknown top member", R"({"grantz": []})", "/grantz"},
    {"id prefix with slash", R"({"id_prefix": "a/b"})", "/id_prefix"},
    {"duplicate action list", R"({"requests": {"actions": ["pull", "pull"]}})",
     "/requests/actions/1"},
    {"star and star collide", R"({"requests": {"actions": ["*", "star"]}})", "/requests/actions/1"},
    {"bad mutation", R"({"subjects": {"mutations": [{"mutate": "wrong_everything"}]}})",
     "/subjects/mutations/0/mutate"},
    {"bad mutation kind",
     R"({"subjects": {"mutations": [{"mutate": "wrong_secret", "kinds": ["robot"]}]}})",
     "/subjects/mutations/0/kinds/0"},
    {"bad encoding", R"({"requests": {"two_resources": {"encodings": ["comma"]}}})",
     "/requests/two_resources/encodings/0"},
    {"reduce bad outcome",
     R"({"reduce": [{"outcomes": ["teapot"], "projects": [], "actions": ["pull"], "reason": "r"}]})",
     "/reduce/0/outcomes/0"},
    {"reduce without reason",
     R"({"reduce": [{"outcomes": ["forbidden"], "projects": [], "actions": ["pull"]}]})",
     "/reduce/0/reason"},
    {"missing requests", R"({"requests": null})", "/requests"},
    {"layer not supported", R"({"layer": "registry"})", "/layer"},
};

INSTANTIATE_TEST_SUITE_P(Table, MatrixLoadErrors, ::testing::ValuesIn(kMatrixErrors),
                         testing_support::LabelName());

TEST(MatrixIds, SpellStarAndSplitActions) {
  EXPECT_EQ(ActionIdSegment("*"), "star");
  EXPECT_EQ(ActionIdSegment("pull,*"), "pull,star");
  EXPECT_EQ(SplitActions("pull,push"), (std::vector<std::string>{"pull", "push"}));
  EXPECT_EQ(SplitActions("pull,"), (std::vector<std::string>{"pull", ""}));
  EXPECT_EQ(SplitActions("*"), (std::vector<std::string>{"*"}));
}

// LoadMatrixDir finds the shipped matrix.
TEST(MatrixLoad, DirectoryHoldsTheGitLabMatrix) {
  auto all = LoadMatrixDir(Source("cases/matrix"));
  ASSERT_TRUE(all.has_value()) << DescribeLoadError(all.error());
  ASSERT_GE(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "gitlab-token-endpoint");
  EXPECT_FALSE(LoadMatrixDir(Source("cases/no-such-dir")).has_value());
}

// Provenance (issue 8): every rule of every shipped matrix file cites the GitLab code it
// follows, in a copy with a full commit, so a reader reaches the file at that commit in one click.
TEST(GitLabProvenance, EveryShippedMatrixRuleCitesGitLab) {
  auto matrices = LoadMatrixDir(Source("cases/matrix"));
  ASSERT_TRUE(matrices.has_value()) << DescribeLoadError(matrices.error());
  ASSERT_FALSE(matrices->empty());
  std::size_t rules = 0;
  for (const Matrix& m : *matrices) {
    for (const Rule* rule : m.rules.AllRules()) {
      ++rules;
      EXPECT_FALSE(rule->gitlab_sources.empty())
          << m.file << rule->pointer << ": no gitlab_source (" << rule->requirement << ")";
      for (const GitLabSource& s : rule->gitlab_sources) {
        EXPECT_EQ(s.commit.size(), 40u) << m.file << rule->pointer;
        EXPECT_FALSE(s.symbol.empty()) << m.file << rule->pointer;
        EXPECT_FALSE(s.version.empty()) << m.file << rule->pointer;
        EXPECT_TRUE(s.Url().starts_with("https://github.com/" + s.repo + "/blob/" + s.commit + "/"))
            << s.Url();
      }
    }
  }
  EXPECT_GT(rules, 20u);
}

// Matrix cases carry their deciding rules' sources, first cited first, without duplicates.
TEST(GitLabProvenance, CasesCarryTheDecidingRulesSources) {
  const std::vector<Case>& cases = DefaultCases();
  std::size_t with = 0;
  for (const Case& c : cases) {
    if (!c.gitlab_sources.empty()) ++with;
    for (std::size_t i = 0; i < c.gitlab_sources.size(); ++i) {
      for (std::size_t j = i + 1; j < c.gitlab_sources.size(); ++j) {
        EXPECT_FALSE(c.gitlab_sources[i] == c.gitlab_sources[j]) << c.id;
      }
    }
  }
  EXPECT_EQ(with, cases.size());
  const Case* pull = nullptr;
  for (const Case& c : cases) {
    if (c.id == "gitlab/personal_access_token/dana-pat-read-registry/acme/public-enabled/pull")
      pull = &c;
  }
  ASSERT_NE(pull, nullptr);
  ASSERT_FALSE(pull->gitlab_sources.empty());
  EXPECT_EQ(pull->gitlab_sources[0].symbol, "user_can_pull?");
  EXPECT_EQ(pull->gitlab_sources[0].Url(),
            "https://github.com/gitlabhq/gitlabhq/blob/de09f0397694a23565d60f999bbfd074c79dc31e/"
            "app/services/auth/container_registry_authentication_service.rb");
}

// A gitlab_source naming an unknown copy, or a copy without a full commit, fails the load.
TEST(GitLabProvenance, LoaderRejectsBadSources) {
  auto doc = Json::parse(*ReadTextFile(Source("cases/matrix/gitlab-token-endpoint.json")));
  Json unknown = doc;
  unknown["gates"][0]["gitlab_source"][0]["copy"] = "nobody@00000000";
  auto r = ParseMatrix(unknown, "m.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, LoadErrorCode::kUnknownName);
  EXPECT_EQ(r.error().pointer, "/gates/0/gitlab_source/0/copy");
  Json short_commit = doc;
  short_commit["gitlab_copies"]["gitlabhq@de09f039"]["commit"] = "de09f039";
  r = ParseMatrix(short_commit, "m.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, LoadErrorCode::kBadValue);
  Json empty = doc;
  empty["gates"][0]["gitlab_source"] = Json::array();
  EXPECT_FALSE(ParseMatrix(empty, "m.json").has_value());
}

}  // namespace
}  // namespace regauth::harness
