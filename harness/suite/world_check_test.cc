#include "harness/suite/world_check.h"

#include <gtest/gtest.h>

#include "harness/suite/case_loader.h"
#include "harness/testing/world.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

// One developer of group g with a read_registry PAT; a private and a public project.
constexpr const char* kWorld = R"({
  "name": "tiny",
  "users": [{"username": "ann", "email": "ann@x.test"}],
  "groups": [{"path": "g", "id": 1, "visibility": "public",
              "members": [{"user": "ann", "role": "developer"}]}],
  "projects": [
    {"id": 1, "path": "g/priv", "visibility": "private", "container_registry_access_level": "enabled"},
    {"id": 2, "path": "g/pub", "visibility": "public", "container_registry_access_level": "enabled"}],
  "credentials": [
    {"id": "ann-pat", "kind": "personal_access_token", "user": "ann", "secret": "glpat-ann",
     "scopes": ["read_registry"]}]
})";

// Reporters pull (decisive: the developer pulls g/priv, anonymous does not); maintainers push
// (never decisive here: nobody is a maintainer, so flipping role_at_least: maintainer would
// grant push to ann — that IS decisive); external users are refused (never decisive: no
// external user in the world, and flipping it for ann makes her forbidden — decisive too).
// The rule `user_bot: true` on public projects grants delete: flipping it grants ann delete on
// g/pub only when she asks delete, which the matrix never does — no witness.
const Json kMatrix = Json::parse(R"({
  "name": "tiny", "id_prefix": "gitlab", "layer": "token-endpoint", "profiles": ["gitlab"],
  "subjects": {"anonymous": true, "credentials": true},
  "requests": {"actions": ["pull", "pull,push"]},
  "abilities": {"by_kind": {"anonymous": ["read_container_image"]},
                "by_scope": {"read_registry": ["read_container_image"]}},
  "gates": [{"when": {"user_external": true}, "outcome": "forbidden", "requirement": "r", "source": "s"}],
  "grants": [
    {"when": {"role_at_least": "reporter"}, "actions": ["pull"], "requirement": "r", "source": "s"},
    {"when": {"visibility": "public"}, "actions": ["pull"], "requirement": "r", "source": "s"},
    {"when": {"role_at_least": "maintainer"}, "actions": ["push"], "requirement": "r", "source": "s"},
    {"when": {"user_bot": true}, "actions": ["delete"], "requirement": "r", "source": "s"}],
  "after_grants": [{"when": {"kind": "anonymous", "access_empty": true}, "outcome": "forbidden",
                    "requirement": "r", "source": "s"}],
  "denied": {"requirement": "r", "source": "s"}
})");

const ConditionWitness* Find(const WorldCheckReport& r, std::string_view condition) {
  for (const auto& w : r.conditions) {
    if (w.condition == condition) return &w;
  }
  return nullptr;
}

// A condition is covered when flipping it alone changes some case's expected answer.
TEST(CheckWorld, RuleConditionsWithAndWithoutWitness) {
  const auto world = test_support::WorldFromText(kWorld);
  auto m = ParseMatrix(kMatrix, "tiny.json");
  ASSERT_TRUE(m.has_value()) << DescribeLoadError(m.error());
  const WorldCheckReport r = CheckWorld(world, {*m}, {});
  ASSERT_NE(Find(r, "role_at_least: reporter"), nullptr);
  EXPECT_NE(Find(r, "role_at_least: reporter")->witness, "");
  EXPECT_NE(Find(r, "user_external: true")->witness, "");
  EXPECT_NE(Find(r, "role_at_least: maintainer")->witness, "");
  const ConditionWitness* bot = Find(r, "user_bot: true");
  ASSERT_NE(bot, nullptr);
  EXPECT_EQ(bot->witness, "") << "delete is never requested, so the rule is never decisive";
  EXPECT_LT(r.ConditionPercent(), 100.0);
  EXPECT_FALSE(MeetsCoverage(r, 100.0));
}

// Dimension values the world never reaches are listed as missing.
TEST(CheckWorld, DimensionsListMissingValues) {
  const auto world = test_support::WorldFromText(kWorld);
  auto m = ParseMatrix(kMatrix, "tiny.json");
  ASSERT_TRUE(m.has_value());
  const WorldCheckReport r = CheckWorld(world, {*m}, {});
  const auto kind =
      std::find_if(r.dimensions.begin(), r.dimensions.end(),
                   [](const DimensionCoverage& d) { return d.name == "credential kind"; });
  ASSERT_NE(kind, r.dimensions.end());
  EXPECT_EQ(kind->covered, (std::vector<std::string>{"anonymous", "personal_access_token"}));
  EXPECT_NE(std::find(kind->missing.begin(), kind->missing.end(), "job_token"),
            kind->missing.end());
  EXPECT_EQ(r.matrix_cases, 2u * 2u * 2u);  // anonymous and the PAT x 2 projects x 2 actions
}

// Hand-written cases the world cannot bind are listed with the missing fact.
TEST(CheckWorld, UnexercisedCasesNameTheFact) {
  const auto world = test_support::WorldFromText(kWorld);
  const Json doc = Json::parse(R"({"cases": [
    {"id": "t/x/job", "title": "t", "layer": "token-endpoint", "requirement": "r", "source": "s",
     "bind": {"j": {"credential": {"kind": "job_token"}, "description": "a job token"}},
     "steps": [{"step": "token_request", "credential": "${j.id}"}], "expect": {"outcome": "granted"}},
    {"id": "t/x/pat", "title": "t", "layer": "token-endpoint", "requirement": "r", "source": "s",
     "bind": {"c": {"credential": {"kind": "personal_access_token"}, "description": "a PAT"}},
     "steps": [{"step": "token_request", "credential": "${c.id}"}], "expect": {"outcome": "granted"}}]})");
  auto cases = ParseCaseFile(doc, "t.json");
  ASSERT_TRUE(cases.has_value()) << DescribeLoadError(cases.error());
  const WorldCheckReport r = CheckWorld(world, {}, *cases);
  ASSERT_EQ(r.unexercised.size(), 1u);
  EXPECT_EQ(r.unexercised[0].first, "t/x/job");
  EXPECT_EQ(r.unexercised[0].second, "needs: a job token");
  EXPECT_DOUBLE_EQ(r.CasePercent(), 50.0);
  const std::string text = RenderWorldCheck(r);
  EXPECT_NE(text.find("[ ] a job token"), std::string::npos) << text;
  EXPECT_NE(text.find("[x] a PAT  (1 cases; e.g. ann-pat)"), std::string::npos) << text;
}

// Worlds together: a condition one world cannot tell apart is covered when another world
// witnesses it (an instance-wide setting has one value per world); a case counts as unexercised
// only when no world runs it.
TEST(CombineWorldChecks, CoverageOfSeveralWorlds) {
  WorldCheckReport a, b;
  a.world_name = "a";
  b.world_name = "b";
  a.hand_written = b.hand_written = 2;
  a.unexercised = {{"t/x/one", "needs: x"}, {"t/x/two", "needs: y"}};
  b.unexercised = {{"t/x/two", "needs: y"}};
  a.dimensions = {{"visibility", {"public"}, {"private"}}};
  b.dimensions = {{"visibility", {"private"}, {"public"}}};
  a.conditions = {{"m.json", "/authentication/8", "kind: password", "", ""},
                  {"m.json", "/grants/0", "role: owner", "gitlab/x", "forbidden → granted"}};
  b.conditions = {
      {"m.json", "/authentication/8", "kind: password", "gitlab/y", "granted → unauthorized"},
      {"m.json", "/grants/0", "role: owner", "", ""}};
  const WorldCheckReport all = CombineWorldChecks({a, b});
  EXPECT_EQ(all.world_name, "a + b");
  ASSERT_EQ(all.unexercised.size(), 1u);
  EXPECT_EQ(all.unexercised[0].first, "t/x/two");
  EXPECT_EQ(all.dimensions[0].covered, (std::vector<std::string>{"public", "private"}));
  EXPECT_TRUE(all.dimensions[0].missing.empty());
  EXPECT_EQ(all.conditions[0].witness, "gitlab/y (b)");
  EXPECT_EQ(all.conditions[1].witness, "gitlab/x (a)");
  EXPECT_DOUBLE_EQ(all.ConditionPercent(), 100.0);
  EXPECT_FALSE(MeetsCoverage(all, 100.0));  // t/x/two runs in neither world
  EXPECT_TRUE(MeetsCoverage(all, 50.0));
}

}  // namespace
}  // namespace regauth::harness
