#include "harness/suite/facts.h"

#include <gtest/gtest.h>

#include <string>

#include "harness/suite/data_file.h"
#include "harness/testing/world.h"
#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using test_support::DefaultWorld;
using test_support::kNow;

Facts FactsOf(std::string_view credential, std::string_view project, Mutation m = Mutation::kNone) {
  const auto& w = DefaultWorld();
  Subject s =
      credential.empty() ? Subject::Anonymous() : Subject::Of(*w.FindCredential(credential), m);
  return ComputeFacts(w, s, project.empty() ? nullptr : w.FindProject(project));
}

struct FactCase {
  const char* label;
  const char* credential;  // "" = anonymous
  const char* project;     // "" = catalog
  Mutation mutation;
  const char* fact;
  FactValue want;
};
REGAUTH_PRINT_LABEL(FactCase)

class FactsTable : public ::testing::TestWithParam<FactCase> {};

// cases/README.md "Facts": each fact of a (subject, project) pair, computed from the world.
TEST_P(FactsTable, ComputesFactFromWorld) {
  const FactCase& c = GetParam();
  Facts f = FactsOf(c.credential, c.project, c.mutation);
  auto got = f.Get(c.fact);
  ASSERT_TRUE(got.has_value()) << c.fact;
  EXPECT_EQ(*got, c.want);
}

using M = Mutation;
using S = std::string;

const FactCase kFactCases[] = {
    // Effective role: the highest of the project membership and every ancestor group's.
    {"group role inherited", "dana-pat-api", "acme/private-enabled", M::kNone, "role",
     S("developer")},
    {"subgroup project inherits root group role", "dana-pat-api", "acme/platform/lib", M::kNone,
     "role", S("developer")},
    {"direct project member only", "pete-pat-read-registry", "acme/private-enabled", M::kNone,
     "role", S("reporter")},
    {"direct project member elsewhere none", "pete-pat-read-registry", "acme/private-private",
     M::kNone, "role", S("none")},
    {"no membership", "nora-pat-api", "acme/public-enabled", M::kNone, "role", S("none")},
    {"other group", "gil-pat-api", "acme/public-enabled", M::kNone, "role", S("none")},
    {"own group", "gil-pat-api", "globex/private-app", M::kNone, "role", S("developer")},
    {"external project member", "eve-pat-api", "acme/internal-enabled", M::kNone, "role",
     S("reporter")},
    {"admin keeps no role", "ada-pat-api", "acme/private-enabled", M::kNone, "role", S("none")},
    {"admin flag", "ada-pat-api", "acme/private-enabled", M::kNone, "user_admin", true},
    {"external flag", "eve-pat-api", "acme/public-enabled", M::kNone, "user_external", true},
    {"two factor flag", "tom-twofactor-password", "acme/public-enabled", M::kNone,
     "user_two_factor", true},
    // Access tokens act as their bot, a direct member.
    {"project bot role", "private-enabled-bot-developer", "acme/private-enabled", M::kNone, "role",
     S("developer")},
    {"project bot elsewhere", "private-enabled-bot-developer", "acme/private-private", M::kNone,
     "role", S("none")},
    {"group bot role in subgroup project", "acme-bot-maintainer-api", "acme/platform/lib", M::kNone,
     "role", S("maintainer")},
    {"bot flag", "acme-bot-maintainer-api", "acme/platform/lib", M::kNone, "user_bot", true},
    {"project token relation own", "private-enabled-bot-reporter", "acme/private-enabled", M::kNone,
     "relation", S("own")},
    {"project token relation other", "private-enabled-bot-reporter", "acme/app-ci", M::kNone,
     "relation", S("other")},
    {"group token relation group", "acme-bot-maintainer-read", "acme/platform/lib", M::kNone,
     "relation", S("group")},
    {"group token relation other", "acme-bot-maintainer-read", "globex/public-app", M::kNone,
     "relation", S("other")},
    // Deploy tokens: no user, relation own/group/other.
    {"deploy own", "private-enabled-deploy-read", "acme/private-enabled", M::kNone, "relation",
     S("own")},
    {"deploy other", "private-enabled-deploy-read", "acme/public-enabled", M::kNone, "relation",
     S("other")},
    {"group deploy covers subgroup", "acme-group-deploy-read", "acme/platform/lib", M::kNone,
     "relation", S("group")},
    {"group deploy other group", "acme-group-deploy-read", "globex/private-app", M::kNone,
     "relation", S("other")},
    {"deploy has no role", "private-enabled-deploy-read", "acme/private-enabled", M::kNone, "role",
     S("none")},
    // Job tokens (token-auth.md §3.7, §9).
    {"job own project", "job-101", "acme/app-ci", M::kNone, "relation", S("own")},
    {"job allowlisted by project entry", "job-101", "acme/private-enabled", M::kNone, "relation",
     S("allowlisted")},
    {"job allowlisted by ancestor group entry", "job-101", "acme/archived", M::kNone, "relation",
     S("allowlisted")},
    {"job allowlisted by other group entry", "job-112", "acme/private-private", M::kNone,
     "relation", S("allowlisted")},
    {"job not allowlisted", "job-106", "acme/private-enabled", M::kNone, "relation",
     S("not-allowlisted")},
    {"job inbound scope off", "job-106", "acme/platform/lib", M::kNone, "relation",
     S("inbound-disabled")},
    // The job project's outbound scope (acme/outbound-ci lists only acme/private-enabled).
    {"tag rules sent", "", "acme/protected-tags", M::kNone, "tag_rules", true},
    {"no tag rules", "", "acme/private-private", M::kNone, "tag_rules", false},
    {"job outbound listed", "job-123", "acme/private-enabled", M::kNone, "relation",
     S("allowlisted")},
    {"job outbound unlisted private", "job-123", "acme/private-private", M::kNone, "relation",
     S("not-allowlisted")},
    {"job outbound before inbound off", "job-123", "acme/platform/lib", M::kNone, "relation",
     S("not-allowlisted")},
    {"job acts as its user", "job-104", "acme/private-enabled", M::kNone, "role", S("reporter")},
    {"job has user", "job-101", "acme/app-ci", M::kNone, "job_has_user", true},
    {"job without user", "job-105", "acme/app-ci", M::kNone, "job_has_user", false},
    {"job without user has no role", "job-105", "acme/app-ci", M::kNone, "role", S("none")},
    {"job project builds disabled", "job-107", "acme/no-ci", M::kNone, "job_project_builds_enabled",
     false},
    {"job project pending delete", "job-110", "acme/app-ci", M::kNone, "job_project_pending_delete",
     true},
    // State: world state, blocked owner, finished job, mutation.
    {"active", "dana-pat-api", "acme/app-ci", M::kNone, "state", S("active")},
    {"expired", "dana-pat-expired", "acme/app-ci", M::kNone, "state", S("expired")},
    {"expires today", "dana-pat-expires-today", "acme/app-ci", M::kNone, "state",
     S("expires_today")},
    {"revoked", "dana-pat-revoked", "acme/app-ci", M::kNone, "state", S("revoked")},
    {"revoked group deploy", "acme-group-deploy-revoked", "acme/app-ci", M::kNone, "state",
     S("revoked")},
    {"blocked owner password", "bob-blocked-password", "acme/app-ci", M::kNone, "state",
     S("blocked_user")},
    {"blocked owner pat", "bob-pat-read-write-registry", "acme/app-ci", M::kNone, "state",
     S("blocked_user")},
    {"expired password", "pam-expired-password", "acme/app-ci", M::kNone, "state",
     S("expired_password")},
    {"expired password pat", "pam-pat-read-write-registry", "acme/app-ci", M::kNone, "state",
     S("expired_password")},
    {"expired password job", "job-120", "acme/app-ci", M::kNone, "state", S("expired_password")},
    {"expired JWT job token of a running job", "job-101-jwt-expired", "acme/app-ci", M::kNone,
     "state", S("expired")},
    {"blocked bot pat logs in", "svc-pat-read-write-registry", "acme/app-ci", M::kNone, "state",
     S("active")},
    {"blocked bot job, readable project", "job-121", "acme/app-ci", M::kNone, "state", S("active")},
    {"blocked bot job, unreadable project", "job-122", "acme/app-ci", M::kNone, "state",
     S("blocked_user")},
    {"canceling job is live", "job-102", "acme/app-ci", M::kNone, "state", S("active")},
    {"succeeded job", "job-103", "acme/app-ci", M::kNone, "state", S("finished_job")},
    {"erased running job", "job-109", "acme/app-ci", M::kNone, "state", S("finished_job")},
    {"pending job", "job-111", "acme/app-ci", M::kNone, "state", S("finished_job")},
    {"wrong secret", "dana-pat-api", "acme/app-ci", M::kWrongSecret, "state", S("wrong_secret")},
    {"wrong username", "job-101", "acme/app-ci", M::kWrongUsername, "state", S("wrong_username")},
    // Scopes are a sorted set.
    {"scopes sorted", "dana-pat-read-write-registry", "acme/app-ci", M::kNone, "scopes",
     std::vector<std::string>{"read_registry", "write_registry"}},
    // Anonymous and the catalog.
    {"anonymous kind", "", "acme/public-enabled", M::kNone, "kind", S("anonymous")},
    {"anonymous relation", "", "acme/public-enabled", M::kNone, "relation", S("none")},
    {"project visibility", "", "acme/internal-private", M::kNone, "visibility", S("internal")},
    {"project registry level", "", "acme/internal-private", M::kNone, "registry_access",
     S("private")},
    {"archived flag", "", "acme/archived", M::kNone, "archived", true},
    {"catalog resource", "ada-pat-api", "", M::kNone, "resource", S("catalog")},
    {"catalog visibility n/a", "ada-pat-api", "", M::kNone, "visibility", S("n/a")},
    {"catalog relation n/a", "ada-pat-api", "", M::kNone, "relation", S("n/a")},
    {"instance registry enabled", "", "", M::kNone, "registry_enabled", true},
};

INSTANTIATE_TEST_SUITE_P(Default, FactsTable, ::testing::ValuesIn(kFactCases),
                         testing_support::LabelName());

// Every fact of the schema is readable through Get, and nothing else is.
TEST(FactsSchema, GetAnswersExactlyTheSchema) {
  Facts f;
  for (const FactSpec& spec : FactSchema()) {
    auto v = f.Get(spec.name);
    ASSERT_TRUE(v.has_value()) << spec.name;
    switch (spec.type) {
      case FactType::kBool:
        EXPECT_TRUE(std::holds_alternative<bool>(*v)) << spec.name;
        break;
      case FactType::kEnum:
        ASSERT_TRUE(std::holds_alternative<std::string>(*v)) << spec.name;
        EXPECT_NE(std::find(spec.values.begin(), spec.values.end(), std::get<std::string>(*v)),
                  spec.values.end())
            << spec.name << " default is not one of its values";
        break;
      case FactType::kSet:
        EXPECT_TRUE(std::holds_alternative<std::vector<std::string>>(*v)) << spec.name;
        break;
    }
  }
  EXPECT_FALSE(f.Get("no_such_fact").has_value());
  EXPECT_EQ(FindFact("nope"), nullptr);
}

// Roles are ordered as GitLab's access levels, with "none" below guest.
TEST(FactsRoles, RankFollowsGitLabLevels) {
  EXPECT_LT(RoleRank("none"), RoleRank("guest"));
  EXPECT_LT(RoleRank("guest"), RoleRank("planner"));
  EXPECT_LT(RoleRank("planner"), RoleRank("reporter"));
  EXPECT_LT(RoleRank("reporter"), RoleRank("developer"));
  EXPECT_LT(RoleRank("maintainer"), RoleRank("owner"));
  EXPECT_EQ(RoleRank("admin"), -1);
}

// Subject names are what matrix ids use.
TEST(FactsSubject, NameSpellsMutation) {
  const auto& w = DefaultWorld();
  EXPECT_EQ(Subject::Anonymous().Name(), "anonymous");
  EXPECT_EQ(Subject::Of(*w.FindCredential("job-101")).Name(), "job-101");
  EXPECT_EQ(Subject::Of(*w.FindCredential("job-101"), Mutation::kWrongSecret).Name(),
            "job-101~wrong_secret");
  EXPECT_EQ(ParseMutation("wrong_username"), Mutation::kWrongUsername);
  EXPECT_EQ(ParseMutation("wrong"), std::nullopt);
}

// The acting user: owner, bot, job user; none for deploy tokens and user-less jobs.
TEST(FactsActingUser, FollowsCredentialKind) {
  const auto& w = DefaultWorld();
  EXPECT_EQ(ActingUser(w, *w.FindCredential("job-104"))->username, "rita-reporter");
  EXPECT_EQ(ActingUser(w, *w.FindCredential("job-105")), nullptr);
  EXPECT_EQ(ActingUser(w, *w.FindCredential("private-enabled-deploy-read")), nullptr);
  EXPECT_TRUE(ActingUser(w, *w.FindCredential("acme-bot-maintainer-api"))->bot);
  EXPECT_EQ(EffectiveRole(w, "olga-owner", "acme/platform/lib"), protocol::Role::kOwner);
  EXPECT_EQ(EffectiveRole(w, "nora-nomember", "acme/platform/lib"), std::nullopt);
  // Issue 8 item 12: the personal namespace's owner owns its projects, case-insensitively.
  EXPECT_EQ(EffectiveRole(w, "dana-developer", "dana-developer/tools"), protocol::Role::kOwner);
  EXPECT_EQ(EffectiveRole(w, "DANA-Developer", "dana-developer/tools"), protocol::Role::kOwner);
  EXPECT_EQ(EffectiveRole(w, "rita-reporter", "dana-developer/tools"), std::nullopt);
}

// push_protection: the highest push level of the rules matching the project's own path
// (ILIKE glob: `*` and case ignored); protected_containers: the instance setting.
TEST(FactsProtection, ReadsRulesAndInstanceSetting) {
  const auto& w = DefaultWorld();
  const protocol::Credential& c = *w.FindCredential("dana-pat-api");
  auto of = [&](const char* path) { return ComputeFacts(w, Subject::Of(c), w.FindProject(path)); };
  EXPECT_EQ(of("acme/protected-maintainer").push_protection, "maintainer");
  EXPECT_EQ(of("acme/protected-owner").push_protection, "owner");
  EXPECT_EQ(of("acme/protected-admin").push_protection, "admin");
  EXPECT_EQ(of("acme/private-enabled").push_protection, "none");
  EXPECT_EQ(ComputeFacts(w, Subject::Of(c), nullptr).push_protection, "n/a");
  EXPECT_EQ(of("acme/private-enabled").protected_containers, "ga");
}

}  // namespace
}  // namespace regauth::harness
