#include "harness/suite/case_loader.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "harness/suite/bind.h"
#include "harness/suite/step_fields.h"
#include "harness/testing/steps.h"
#include "harness/testing/world.h"
#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;
constexpr int64_t kNow = 1764000000;

std::string Source(const char* rel) { return std::string(REGAUTH_SOURCE_DIR) + "/" + rel; }

// A valid one-case file; tests patch it.
Json ValidFile() {
  return Json::parse(R"({
    "defaults": {"layer": "token-endpoint", "tags": ["hand-written"]},
    "cases": [{
      "id": "token-spec/login/x",
      "title": "t",
      "requirement": "r",
      "source": "s",
      "tags": ["login"],
      "steps": [{"step": "token_request", "credential": "job-101", "scopes": [],
                 "query": {"account": "${cred:job-101.username}"}, "save_as": "t"}],
      "expect": {"outcome": "granted", "access": []}
    }]
  })");
}

// The shipped hand-written cases load, have unique ids, cite sources, and bind to the default
// world with every credential they then name present.
TEST(CaseLoader, LoadsShippedTokenEndpointCases) {
  auto requirements = LoadRequirementsFile(Source("cases/requirements.json"));
  ASSERT_TRUE(requirements.has_value()) << DescribeLoadError(requirements.error());
  auto cases = LoadCaseDir(Source("cases/cases"), *requirements);
  ASSERT_TRUE(cases.has_value()) << DescribeLoadError(cases.error());
  EXPECT_GE(cases->size(), 30u);
  const protocol::World& world = test_support::DefaultWorld();
  BindCases(world, &*cases);
  for (const Case& c : *cases) {
    EXPECT_FALSE(c.requirement.empty()) << c.id;
    EXPECT_FALSE(c.source.empty()) << c.id;
    EXPECT_NE(std::find(c.tags.begin(), c.tags.end(), "hand-written"), c.tags.end()) << c.id;
    EXPECT_EQ(c.unmet, "") << c.id;
    EXPECT_TRUE(MissingCredentials(c, world).empty()) << c.id;
  }
}

// Requirements are written once (issue 7): a sentence two shipped cases share is one of
// cases/requirements.json, named by reference, never written out twice.
TEST(CaseLoader, ShippedCasesShareNoRequirementText) {
  auto requirements = LoadRequirementsFile(Source("cases/requirements.json"));
  ASSERT_TRUE(requirements.has_value()) << DescribeLoadError(requirements.error());
  auto cases = LoadCaseDir(Source("cases/cases"), *requirements);
  ASSERT_TRUE(cases.has_value()) << DescribeLoadError(cases.error());
  std::map<std::string, std::string> first_with_text;
  for (const Case& c : *cases) {
    if (!c.requirement_id.empty()) continue;
    auto [it, inserted] = first_with_text.emplace(c.requirement, c.id);
    EXPECT_TRUE(inserted) << c.id << " and " << it->second
                          << " write out the same requirement: name it in requirements.json";
  }
}

// A requirement is a text with its source, or a reference to cases/requirements.json — in the
// case or in the file's defaults — whose source a case may extend.
TEST(CaseLoader, ResolvesRequirementReferences) {
  const Requirements known = {{"token.login-works", {"Login works.", "token-auth.md §3.10"}}};
  Json doc = ValidFile();
  doc["cases"][0]["requirement"] = {{"ref", "token.login-works"}};
  doc["cases"][0].erase("source");
  Json second = doc["cases"][0];
  second["id"] = "token-spec/login/y";
  second["source"] = "suite-anchors.md §D5a";
  Json third = doc["cases"][0];
  third["id"] = "token-spec/login/z";
  third.erase("requirement");
  third["requirement"] = "Own text.";
  third["source"] = "own source";
  Json fourth = doc["cases"][0];
  fourth["id"] = "token-spec/login/w";
  fourth.erase("requirement");
  doc["cases"].push_back(second);
  doc["cases"].push_back(third);
  doc["cases"].push_back(fourth);
  doc["defaults"]["requirement"] = {{"ref", "token.login-works"}};
  auto cases = ParseCaseFile(doc, "f.json", known);
  ASSERT_TRUE(cases.has_value()) << DescribeLoadError(cases.error());
  ASSERT_EQ(cases->size(), 4u);
  EXPECT_EQ((*cases)[0].requirement, "Login works.");
  EXPECT_EQ((*cases)[0].source, "token-auth.md §3.10");
  EXPECT_EQ((*cases)[0].requirement_id, "token.login-works");
  EXPECT_EQ((*cases)[1].source, "token-auth.md §3.10; suite-anchors.md §D5a");
  EXPECT_EQ((*cases)[2].requirement, "Own text.");
  EXPECT_EQ((*cases)[2].source, "own source");
  EXPECT_EQ((*cases)[2].requirement_id, "");
  EXPECT_EQ((*cases)[3].requirement, "Login works.");  // from the defaults
  EXPECT_EQ((*cases)[3].requirement_id, "token.login-works");
  // CaseToJson writes the requirement resolved, so the JSON stands alone.
  const Json j = CaseToJson((*cases)[1]);
  EXPECT_EQ(j["requirement"], "Login works.");
  EXPECT_EQ(j["source"], "token-auth.md §3.10; suite-anchors.md §D5a");
}

struct RequirementErrorCase {
  const char* label;
  const char* defaults;     // the defaults' requirement, or "" for none
  const char* requirement;  // the case's requirement, or "" to remove it
  const char* source;       // the case's source, or "" to remove it
  LoadErrorCode code;
  const char* want_pointer;
};
REGAUTH_PRINT_LABEL(RequirementErrorCase)

class RequirementErrors : public ::testing::TestWithParam<RequirementErrorCase> {};

// An unknown id is a load error naming the file and the JSON pointer of the reference.
TEST_P(RequirementErrors, ReportsPointerAndCode) {
  const auto& p = GetParam();
  const Requirements known = {{"token.login-works", {"Login works.", "token-auth.md §3.10"}}};
  Json doc = ValidFile();
  Json& c = doc["cases"][0];
  c.erase("requirement");
  c.erase("source");
  if (*p.defaults) doc["defaults"]["requirement"] = Json::parse(p.defaults);
  if (*p.requirement) c["requirement"] = Json::parse(p.requirement);
  if (*p.source) c["source"] = p.source;
  auto r = ParseCaseFile(doc, "f.json", known);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, p.code) << r.error().message;
  EXPECT_EQ(r.error().pointer, p.want_pointer) << r.error().message;
  EXPECT_EQ(r.error().file, "f.json");
}

const RequirementErrorCase kRequirementErrors[] = {
    {"unknown id", "", R"({"ref": "token.no-such"})", "", LoadErrorCode::kUnknownName,
     "/cases/0/requirement/ref"},
    {"unknown id in the defaults", R"({"ref": "token.no-such"})", "", "",
     LoadErrorCode::kUnknownName, "/defaults/requirement/ref"},
    {"id outside the grammar", "", R"({"ref": "Token"})", "", LoadErrorCode::kBadValue,
     "/cases/0/requirement/ref"},
    {"a typo beside ref", "", R"({"ref": "token.login-works", "text": "x"})", "",
     LoadErrorCode::kUnknownMember, "/cases/0/requirement/text"},
    {"a text without source", "", R"("Login works.")", "", LoadErrorCode::kMissingMember,
     "/cases/0/source"},
    {"no requirement at all", "", "", "s", LoadErrorCode::kMissingMember, "/cases/0/requirement"},
    {"a number", "", "1", "s", LoadErrorCode::kWrongType, "/cases/0/requirement"},
    {"a text in the defaults", R"("Login works.")", "", "s", LoadErrorCode::kWrongType,
     "/defaults/requirement"},
};

INSTANTIATE_TEST_SUITE_P(Table, RequirementErrors, ::testing::ValuesIn(kRequirementErrors),
                         testing_support::LabelName());

// Defaults are applied: layer, and tags prepended without duplicates.
TEST(CaseLoader, AppliesDefaults) {
  auto cases = ParseCaseFile(ValidFile(), "f.json");
  ASSERT_TRUE(cases.has_value()) << DescribeLoadError(cases.error());
  ASSERT_EQ(cases->size(), 1u);
  const Case& c = (*cases)[0];
  EXPECT_EQ(c.layer, Layer::kTokenEndpoint);
  EXPECT_EQ(c.tags, (std::vector<std::string>{"hand-written", "login"}));
  ASSERT_EQ(c.steps.size(), 1u);
  EXPECT_EQ(c.steps[0].save_as, "t");
  EXPECT_FALSE(StepParamsToJson(c.steps[0].params).contains("save_as"));
  EXPECT_EQ(CredentialsUsed(c), (std::vector<std::string>{"job-101"}));
}

struct ErrorCase {
  const char* label;
  const char* pointer;  // where to write `value` in ValidFile()
  const char* value;
  LoadErrorCode code;
  const char* want_pointer;
};
REGAUTH_PRINT_LABEL(ErrorCase)

class CaseLoaderErrors : public ::testing::TestWithParam<ErrorCase> {};

// Every case file is validated on load; the error names the JSON pointer (cases/README.md).
TEST_P(CaseLoaderErrors, ReportsPointerAndCode) {
  const auto& p = GetParam();
  Json doc = ValidFile();
  doc[Json::json_pointer(p.pointer)] = Json::parse(p.value);
  auto r = ParseCaseFile(doc, "f.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, p.code) << r.error().message;
  EXPECT_EQ(r.error().pointer, p.want_pointer) << r.error().message;
}

const ErrorCase kErrors[] = {
    {"unknown case member", "/cases/0/titel", R"("x")", LoadErrorCode::kUnknownMember,
     "/cases/0/titel"},
    {"empty title", "/cases/0/title", R"("")", LoadErrorCode::kBadValue, "/cases/0/title"},
    {"glob in id", "/cases/0/id", R"("token-spec/*")", LoadErrorCode::kBadValue, "/cases/0/id"},
    {"one-segment id", "/cases/0/id", R"("single")", LoadErrorCode::kBadValue, "/cases/0/id"},
    {"bad layer", "/cases/0/layer", R"("network")", LoadErrorCode::kBadEnumValue, "/cases/0/layer"},
    {"unknown step kind", "/cases/0/steps/0/step", R"("teleport")", LoadErrorCode::kBadEnumValue,
     "/cases/0/steps/0/step"},
    {"unknown step parameter", "/cases/0/steps/0/scope", R"("x")", LoadErrorCode::kUnknownMember,
     "/cases/0/steps/0/scope"},
    {"scopes not strings", "/cases/0/steps/0/scopes", R"([1])", LoadErrorCode::kWrongType,
     "/cases/0/steps/0/scopes/0"},
    {"bad mutate", "/cases/0/steps/0/mutate", R"("wrong_everything")", LoadErrorCode::kBadEnumValue,
     "/cases/0/steps/0/mutate"},
    {"bad method", "/cases/0/steps/0/method", R"("PUT")", LoadErrorCode::kBadEnumValue,
     "/cases/0/steps/0/method"},
    {"query value not string", "/cases/0/steps/0/query", R"({"a": 1})", LoadErrorCode::kWrongType,
     "/cases/0/steps/0/query/a"},
    {"no steps", "/cases/0/steps", R"([])", LoadErrorCode::kBadValue, "/cases/0/steps"},
    {"bad outcome", "/cases/0/expect/outcome", R"("maybe")", LoadErrorCode::kBadEnumValue,
     "/cases/0/expect/outcome"},
    {"access entry without actions", "/cases/0/expect/access", R"([{"type": "repository",
     "name": "a/b"}])",
     LoadErrorCode::kMissingMember, "/cases/0/expect/access/0/actions"},
    {"informational without reason", "/cases/0/expect/informational",
     R"([{"type": "repository", "name": "a/b", "action": "pull"}])", LoadErrorCode::kMissingMember,
     "/cases/0/expect/informational/0/reason"},
    {"unknown expectation member", "/cases/0/expect/status", R"(200)",
     LoadErrorCode::kUnknownMember, "/cases/0/expect/status"},
    {"outcome by profile without map", "/cases/0/expect/outcome", R"({"profile": "x"})",
     LoadErrorCode::kMissingMember, "/cases/0/expect/outcome/by_value"},
    {"bad member expectation", "/cases/0/expect/members", R"({"token": "maybe"})",
     LoadErrorCode::kBadEnumValue, "/cases/0/expect/members/token"},
    {"defaults typo", "/defaults/tag", R"([])", LoadErrorCode::kUnknownMember, "/defaults/tag"},
};

INSTANTIATE_TEST_SUITE_P(Table, CaseLoaderErrors, ::testing::ValuesIn(kErrors),
                         testing_support::LabelName());

// Duplicate ids and duplicate save_as names are refused.
TEST(CaseLoader, RefusesDuplicates) {
  Json doc = ValidFile();
  doc["cases"].push_back(doc["cases"][0]);
  auto r = ParseCaseFile(doc, "f.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, LoadErrorCode::kDuplicate);
  EXPECT_EQ(r.error().pointer, "/cases/1/id");

  Json two_saves = ValidFile();
  two_saves["cases"][0]["steps"].push_back(two_saves["cases"][0]["steps"][0]);
  r = ParseCaseFile(two_saves, "f.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().pointer, "/cases/0/steps/1/save_as");
}

struct ExpectCase {
  const char* label;
  Layer layer;
  const char* expect;
  bool ok;
  const char* pointer;  // when !ok
};
REGAUTH_PRINT_LABEL(ExpectCase)

class Expectations : public ::testing::TestWithParam<ExpectCase> {};

// cases/README.md "Expectations", per layer.
TEST_P(Expectations, ValidatesPerLayer) {
  const auto& p = GetParam();
  auto e = ParseExpectation(Json::parse(p.expect), p.layer, "f.json", "/e", 3);
  EXPECT_EQ(e.has_value(), p.ok) << (e ? "" : DescribeLoadError(e.error()));
  if (!e && !p.ok) {
    EXPECT_EQ(e.error().pointer, p.pointer);
  }
}

const ExpectCase kExpectations[] = {
    {"registry status list", Layer::kRegistry, R"({"status": [200, 404]})", true, ""},
    {"registry status profile", Layer::kRegistry,
     R"({"status": {"profile": "registry.insufficient_scope_status"},
         "challenge": {"error": "insufficient_scope", "scope": ["repository:a/b:pull,push"]},
         "error_code": "UNAUTHORIZED"})",
     true, ""},
    {"registry challenge absent", Layer::kRegistry, R"({"status": 401, "challenge": "absent"})",
     true, ""},
    {"registry challenge error from profile", Layer::kRegistry,
     R"({"status": 401, "challenge": {"error": {"profile": "registry.bad_signature_error"}}})",
     true, ""},
    {"registry implementation defined", Layer::kRegistry,
     R"({"implementation_defined": {"key": "registry.aud_array",
         "by_value": {"rejected": {"status": 401}, "accepted": {"status": [200]}}}})",
     true, ""},
    {"registry needs status", Layer::kRegistry, R"({"error_code": "DENIED"})", false, "/e/status"},
    {"registry bad status", Layer::kRegistry, R"({"status": 99})", false, "/e/status"},
    {"registry nested implementation defined", Layer::kRegistry,
     R"({"implementation_defined": {"key": "k", "by_value": {"x": {"status": 200,
         "implementation_defined": {"key": "k", "by_value": {}}}}}})",
     false, "/e/implementation_defined/by_value/x/implementation_defined"},
    {"flow login then", Layer::kFlow,
     R"({"login": "succeeds", "then": [{"step": 2, "pull": "allowed"}]})", true, ""},
    {"flow step out of range", Layer::kFlow, R"({"then": [{"step": 3, "pull": "allowed"}]})", false,
     "/e/then/0/step"},
    {"flow two labels", Layer::kFlow,
     R"({"then": [{"step": 1, "pull": "allowed", "push": "denied"}]})", false, "/e/then/0"},
    {"flow bad login", Layer::kFlow, R"({"login": "maybe"})", false, "/e/login"},
    {"token outcome by profile", Layer::kTokenEndpoint,
     R"({"outcome": {"profile": "token_endpoint.post", "by_value": {"not_found": "not_found"}}})",
     true, ""},
    {"token outcome missing", Layer::kTokenEndpoint, R"({"access": []})", false, "/e/outcome"},
};

INSTANTIATE_TEST_SUITE_P(Table, Expectations, ::testing::ValuesIn(kExpectations),
                         testing_support::LabelName());

// Steps of every kind accept their documented parameters.
TEST(CaseLoader, AcceptsEveryDocumentedStep) {
  const char* steps[] = {
      R"({"step": "registry_request", "method": "GET", "path": "/v2/a/b/tags/list",
          "token": "t", "authorization": null, "headers": {"Accept": "x"}, "body": {"blob": "b"}})",
      R"({"step": "docker_login_flow", "credential": "job-101", "username": "u", "save_as": "l"})",
      R"({"step": "forge_token", "header": {"alg": "RS256"}, "claims": {}, "header_text": null,
          "sign_with": "attacker_key", "signature": "flip_bit", "encoding": "padded"})",
      R"({"step": "client_tool", "tool": "skopeo", "args": ["login"], "stdin": "x"})",
      R"({"step": "token_request", "method": "POST", "form": {"grant_type": "password"},
          "service": null, "authorization": "Basic Og==", "scope_encoding": "space_joined"})",
  };
  for (const char* s : steps) {
    auto step = ParseStep(Json::parse(s), "f.json", "/s");
    EXPECT_TRUE(step.has_value()) << s << ": " << (step ? "" : DescribeLoadError(step.error()));
  }
  auto bad =
      ParseStep(Json::parse(R"({"step": "forge_token", "sign_with": "moon"})"), "f.json", "/s");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().pointer, "/s/sign_with");
}

// CaseToJson/CaseFromJson round-trip every member.
TEST(CaseLoader, RoundTripsThroughJson) {
  Case c;
  c.id = "registry/x/y";
  c.title = "t";
  c.layer = Layer::kRegistry;
  c.tags = {"a", "b"};
  c.requirement = "r";
  c.source = "s";
  c.profiles = {"gitlab"};
  c.needs = {"signing_key"};
  c.dims.credential_kind = "job_token";
  c.dims.login_form = "stdin";
  c.steps.push_back(test_support::MakeStep(
      StepKind::kRegistryRequest, Json::parse(R"({"method": "GET", "path": "/v2/"})"), "r"));
  c.expect = Json::parse(R"({"status": [401]})");
  Json j = CaseToJson(c);
  auto back = CaseFromJson(j, "f.json", "");
  ASSERT_TRUE(back.has_value()) << DescribeLoadError(back.error());
  EXPECT_EQ(CaseToJson(*back), j);
  EXPECT_EQ(back->needs, c.needs);
  EXPECT_EQ(back->dims.login_form, "stdin");
  EXPECT_EQ(back->steps[0].save_as, "r");
}

// ${cred:...} references count as credentials used.
TEST(CaseLoader, FindsCredentialReferences) {
  Case c;
  c.steps.push_back(test_support::MakeStep(
      StepKind::kClientTool,
      Json::parse(
          R"({"args": ["-u", "${cred:a.username}", "x${cred:b.secret}"], "stdin": "${cred:a.secret}"})")));
  EXPECT_EQ(CredentialsUsed(c), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace regauth::harness
