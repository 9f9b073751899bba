#include "harness/suite/bind.h"

#include <gtest/gtest.h>

#include "harness/suite/case_loader.h"
#include "harness/testing/world.h"
#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;
using test_support::DefaultWorld;
using test_support::WorldFromText;

// A small world: one group, a public and a private project, a developer with a PAT, a job.
constexpr const char* kSmallWorld = R"({
  "name": "small",
  "users": [{"username": "ann", "email": "ann@x.test"}, {"username": "bo", "email": "bo@x.test"}],
  "groups": [{"path": "g", "id": 1, "visibility": "public",
              "members": [{"user": "ann", "role": "developer"}]}],
  "projects": [
    {"id": 1, "path": "g/pub", "visibility": "public", "container_registry_access_level": "enabled"},
    {"id": 2, "path": "g/priv", "visibility": "private", "container_registry_access_level": "enabled",
     "job_token_scope": {"inbound_enabled": true, "allowlist": ["g/ci"]}},
    {"id": 3, "path": "g/ci", "visibility": "private", "container_registry_access_level": "enabled"}],
  "jobs": [{"id": 7, "project": "g/ci", "user": "ann", "status": "running"}],
  "credentials": [
    {"id": "bo-pw", "kind": "password", "user": "bo", "secret": "bo-secret-1"},
    {"id": "ann-pat", "kind": "personal_access_token", "user": "ann", "secret": "glpat-ann",
     "scopes": ["read_registry", "write_registry"]},
    {"id": "job-7", "kind": "job_token", "job": 7, "secret": "glcbt-7"}]
})";

Case LoadOne(const Json& doc) {
  auto cases = ParseCaseFile(doc, "t.json");
  EXPECT_TRUE(cases.has_value()) << (cases ? "" : DescribeLoadError(cases.error()));
  return cases && !cases->empty() ? (*cases)[0] : Case{};
}

Json PullCase(const Json& bind) {
  return Json{{"cases",
               {{{"id", "t/bind/pull"},
                 {"title", "${dev.id} pulls ${p.path}"},
                 {"layer", "token-endpoint"},
                 {"requirement", "r"},
                 {"source", "s"},
                 {"bind", bind},
                 {"steps",
                  {{{"step", "token_request"},
                    {"credential", "${dev.id}"},
                    {"scopes", {"repository:${p.path}:pull"}},
                    {"query", {{"account", "${dev.username}"}}}}}},
                 {"expect",
                  {{"outcome", "granted"},
                   {"access",
                    {{{"type", "repository"}, {"name", "${p.path}"}, {"actions", {"pull"}}}}}}}}}}};
}

const Json kDevOnPrivate = {
    {"p", {{"project", {{"visibility", "private"}}}, {"description", "a private project"}}},
    {"dev",
     {{"credential", {{"kind", "personal_access_token"}, {"state", "active"}}},
      {"with", {{"p", {{"role_at_least", "developer"}}}}},
      {"description", "a PAT of a developer of it"}}}};

// Bindings are substituted everywhere a case holds text; secrets stay run-time references.
TEST(BindCase, SubstitutesTitleStepsAndExpectation) {
  const auto world = WorldFromText(kSmallWorld);
  Case c = LoadOne(PullCase(kDevOnPrivate));
  BindCase(world, &c);
  EXPECT_EQ(c.unmet, "");
  EXPECT_EQ(c.title, "ann-pat pulls g/priv");
  EXPECT_EQ(*c.steps[0].As<TokenRequestStep>().credential, "ann-pat");
  EXPECT_EQ(c.steps[0].As<TokenRequestStep>().scopes[0], "repository:g/priv:pull");
  EXPECT_EQ(c.steps[0].As<TokenRequestStep>().query.at("account"), "${cred:ann-pat.username}");
  EXPECT_EQ(c.expect["access"][0]["name"], "g/priv");
  ASSERT_EQ(c.bound.size(), 2u);
  // In name order: a parsed JSON object keeps its members sorted.
  EXPECT_EQ(c.bound[0], (std::pair<std::string, std::string>{"dev", "ann-pat"}));
  EXPECT_EQ(c.bound[1], (std::pair<std::string, std::string>{"p", "g/priv"}));
}

// path_upper is the ASCII upper-cased path; basic becomes the run-time Basic pair reference.
TEST(BindCase, UpperPathAndBasicAttributes) {
  const auto world = WorldFromText(kSmallWorld);
  Json doc = PullCase(kDevOnPrivate);
  doc["cases"][0]["title"] = "${p.path_upper} ${dev.basic} ${p.root} ${p.name} ${p.namespace}";
  Case c = LoadOne(doc);
  BindCase(world, &c);
  EXPECT_EQ(c.title, "G/PRIV ${cred:ann-pat.basic} g priv g");
}

// A world without the fact makes the case SKIP with the selector's description, not FAIL.
TEST(BindCase, UnmetSelectorNamesTheMissingFact) {
  const auto world = WorldFromText(kSmallWorld);
  Json bind = kDevOnPrivate;
  bind["dev"]["with"]["p"] = {{"role_at_least", "maintainer"}};
  Case c = LoadOne(PullCase(bind));
  BindCase(world, &c);
  EXPECT_EQ(c.unmet, "needs: a PAT of a developer of it");
  EXPECT_EQ(*c.steps[0].As<TokenRequestStep>().credential, "${dev.id}");  // left unbound
}

// The search backtracks: the first private project (g/priv) has the developer, but the job's
// own project is g/ci, so the pair (job, own project) binds p to g/ci.
TEST(BindCase, BacktracksOverEarlierBindings) {
  const auto world = WorldFromText(kSmallWorld);
  const Json bind = {{"p", {{"project", {{"visibility", "private"}}}}},
                     {"dev",
                      {{"credential", {{"kind", "job_token"}, {"state", "active"}}},
                       {"with", {{"p", {{"relation", "own"}}}}}}}};
  Case c = LoadOne(PullCase(bind));
  BindCase(world, &c);
  EXPECT_EQ(c.unmet, "");
  EXPECT_EQ(c.steps[0].As<TokenRequestStep>().scopes[0], "repository:g/ci:pull");
  EXPECT_EQ(*c.steps[0].As<TokenRequestStep>().credential, "job-7");
}

// Two project bindings never bind the same project ("another private project").
TEST(Resolve, DistinctEntitiesPerType) {
  const auto world = WorldFromText(kSmallWorld);
  auto b = ParseBindings(Json{{"a", {{"project", {{"visibility", "private"}}}}},
                              {"b", {{"project", {{"visibility", "private"}}}}},
                              {"c", {{"project", {{"visibility", "private"}}}}}},
                         "t.json", "/bind");
  ASSERT_TRUE(b.has_value());
  auto two = Resolve(world, *b, {"a", "b"});
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ((*two)[0].project->path, "g/priv");
  EXPECT_EQ((*two)[1].project->path, "g/ci");
  auto three = Resolve(world, *b, {"a", "b", "c"});
  ASSERT_FALSE(three.has_value());
  EXPECT_EQ(three.error().rfind("needs: ", 0), 0u);
}

// Only referenced bindings (and their "with" partners) are resolved: an unsatisfiable
// vocabulary entry in defaults does not skip a case that does not use it.
TEST(BindCase, UnreferencedBindingsAreNotResolved) {
  const auto world = WorldFromText(kSmallWorld);
  Json doc = PullCase(kDevOnPrivate);
  doc["defaults"] = {{"bind", {{"admin", {{"credential", {{"user_admin", true}}}}}}}};
  Case c = LoadOne(doc);
  BindCase(world, &c);
  EXPECT_EQ(c.unmet, "");
}

// Deploy tokens are selected by name; an attribute the entity lacks is a SKIP reason.
TEST(BindCase, NameSelectsDeployTokenAndMissingAttributeSkips) {
  const auto& world = DefaultWorld();
  Json doc = PullCase(Json{{"p", {{"project", {{"visibility", "public"}}}}},
                           {"dev",
                            {{"credential", {{"kind", "group_deploy_token"}, {"state", "active"}}},
                             {"name", "gitlab-deploy-token"}}}});
  Case c = LoadOne(doc);
  BindCase(world, &c);
  EXPECT_EQ(*c.steps[0].As<TokenRequestStep>().credential, "acme-group-deploy-gitlab-deploy-token");
  doc["cases"][0]["title"] = "${dev.user}";
  Case d = LoadOne(doc);
  BindCase(world, &d);
  EXPECT_EQ(d.unmet, "needs: ${dev.user} (acme-group-deploy-gitlab-deploy-token has no user)");
}

struct BadBind {
  const char* label;
  Json bind;
  const char* title;
  const char* pointer;
  const char* message_part;
};
REGAUTH_PRINT_LABEL(BadBind)

class BindLoadErrors : public ::testing::TestWithParam<BadBind> {};

// Mistakes in selectors and references are load errors (exit 2) naming file and pointer.
TEST_P(BindLoadErrors, Rejected) {
  const BadBind& t = GetParam();
  Json doc = PullCase(t.bind);
  doc["cases"][0]["title"] = t.title;
  auto cases = ParseCaseFile(doc, "t.json");
  ASSERT_FALSE(cases.has_value()) << t.label;
  EXPECT_EQ(cases.error().pointer, t.pointer) << DescribeLoadError(cases.error());
  EXPECT_NE(cases.error().message.find(t.message_part), std::string::npos)
      << DescribeLoadError(cases.error());
}

INSTANTIATE_TEST_SUITE_P(
    All, BindLoadErrors,
    ::testing::Values(
        BadBind{"undeclared name", kDevOnPrivate, "${other.path}", "/cases/0",
                "'other' is not a binding"},
        BadBind{"attribute of the wrong entity", kDevOnPrivate, "${p.username}", "/cases/0",
                "a project binding has the attributes"},
        BadBind{"both entity members",
                Json{{"p", {{"project", Json::object()}, {"credential", Json::object()}}}}, "x",
                "/cases/0/bind/p", "exactly one of"},
        BadBind{"unknown fact", Json{{"p", {{"project", {{"visiblity", "public"}}}}}}, "x",
                "/cases/0/bind/p/project/visiblity", ""},
        BadBind{"bad enum value", Json{{"p", {{"project", {{"visibility", "secret"}}}}}}, "x",
                "/cases/0/bind/p/project/visibility", "public"},
        BadBind{"ability needs a matrix",
                Json{{"c", {{"credential", {{"has_ability", "read_container_image"}}}}}}, "x",
                "/cases/0/bind/c/credential/has_ability", ""},
        BadBind{"with names a missing binding",
                Json{{"c", {{"credential", Json::object()}, {"with", {{"q", Json::object()}}}}}},
                "x", "/cases/0", "'q', which is not a binding"},
        BadBind{"with pairs two credentials",
                Json{{"c", {{"credential", Json::object()}, {"with", {{"d", Json::object()}}}}},
                     {"d", {{"credential", Json::object()}}}},
                "x", "/cases/0", "relates a credential to a project"},
        BadBind{"bad binding name", Json{{"P", {{"project", Json::object()}}}}, "x",
                "/cases/0/bind/P", "[a-z][a-z0-9_]*"},
        BadBind{"name on a project", Json{{"p", {{"project", Json::object()}, {"name", "x"}}}}, "x",
                "/cases/0/bind/p/name", "projects have none"}));

}  // namespace
}  // namespace regauth::harness
