#include "harness/suite/grid.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "harness/suite/case_loader.h"
#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

std::string Source(const char* rel) { return std::string(REGAUTH_SOURCE_DIR) + "/" + rel; }

const Requirements& Known() {
  static const Requirements kKnown = {{"registry.methods", {"Methods need access.", "§1.8"}}};
  return kKnown;
}

// A small grid: four accesses × four requests, one rule per implementation-defined key.
Json SmallGrid() {
  return Json::parse(R"json({
    "id_prefix": "registry/g",
    "repository_prefix": "regauth/g",
    "tags": ["registry"],
    "requirement": {"ref": "registry.methods"},
    "needs": ["signing_key"],
    "token": {"claims": {"iss": "${issuer}", "sub": "regauth"}},
    "accesses": [
      {"name": "none", "actions": [], "title": "access []", "dimension": "none"},
      {"name": "pull", "actions": ["pull"]},
      {"name": "push", "actions": ["push"]},
      {"name": "star", "actions": ["*"]}
    ],
    "requests": [
      {"name": "base", "title": "GET /v2/", "requires": [],
       "request": {"path": "/v2/"}, "authorized": {"status": 200}},
      {"name": "head", "title": "HEAD manifest", "requires": [{"type": "repository", "actions": ["pull"]}],
       "request": {"method": "HEAD", "path": "/v2/${grid.repository}/manifests/x"},
       "authorized": {"status": [404]}},
      {"name": "post", "title": "POST upload",
       "requires": [{"type": "repository", "actions": ["pull", "push"]}],
       "setup_token": ["pull"],
       "setup": [{"step": "registry_request", "path": "/v2/${grid.repository}/tags/list",
                  "token": "setup", "save_as": "probe"}],
       "request": {"method": "POST", "path": "/v2/${grid.repository}/blobs/uploads/"},
       "authorized": {"status": [202]}},
      {"name": "catalog", "title": "GET /v2/_catalog",
       "requires": [{"type": "registry", "name": "catalog", "actions": ["*"]}],
       "request": {"path": "/v2/_catalog"}, "authorized": {"status": [200]}}
    ],
    "rules": {
      "refused": {"status": {"profile": "registry.insufficient_scope_status"},
                  "challenge": {"error": "insufficient_scope"}, "error_code": "UNAUTHORIZED"},
      "implementation_defined": [
        {"when": {"granted": ["push"], "requires": ["pull", "push"]},
         "key": "registry.push_requires_pull", "by_value": {"true": "refused", "false": "authorized"},
         "base": "true", "title": "refused (push needs pull)"},
        {"when": {"granted": ["*"], "resource": "repository"},
         "key": "registry.star_wildcard", "by_value": {"true": "authorized", "false": "refused"},
         "base": "true", "title": "${grid.status} where * is a wildcard", "tags": ["star-wildcard"]}
      ]
    },
    "cells": {"pull/post": {"tags": ["catches:x"]}}
  })json");
}

std::map<std::string, Case> ById(const std::vector<Case>& cases) {
  std::map<std::string, Case> out;
  for (const Case& c : cases) out.emplace(c.id, c);
  return out;
}

LoadResult<std::vector<Case>> Expand(const Json& doc) {
  auto g = ParseGrid(doc, "g.json", Known());
  if (!g) return protocol::Unexpected<LoadError>(g.error());
  return ExpandGrid(*g);
}

// The shipped grid generates exactly the 78 registry/methods/<access>/<request> cases that were
// written out by hand before it (harness/testdata/registry-methods-grid-expected.json, copied
// verbatim from cases/cases/registry-methods.json): same ids in the same order, and each case
// equal as CaseToJson (title, tags, requirement and source, needs, dimensions, steps, expect).
TEST(Grid, ShippedGridEqualsTheHandWrittenCases) {
  auto requirements = LoadRequirementsFile(Source("cases/requirements.json"));
  ASSERT_TRUE(requirements.has_value()) << DescribeLoadError(requirements.error());
  auto grid = LoadGridFile(Source("cases/grids/registry-methods.json"), *requirements);
  ASSERT_TRUE(grid.has_value()) << DescribeLoadError(grid.error());
  auto generated = ExpandGrid(*grid);
  ASSERT_TRUE(generated.has_value()) << DescribeLoadError(generated.error());
  auto expected = LoadCaseFile(Source("harness/testdata/registry-methods-grid-expected.json"));
  ASSERT_TRUE(expected.has_value()) << DescribeLoadError(expected.error());
  ASSERT_EQ(expected->size(), 78u);
  ASSERT_EQ(generated->size(), expected->size());
  for (std::size_t i = 0; i < expected->size(); ++i) {
    const Case& want = (*expected)[i];
    const Case& got = (*generated)[i];
    SCOPED_TRACE(want.id);
    const Json want_json = CaseToJson(want);
    const Json got_json = CaseToJson(got);
    EXPECT_EQ(got_json, want_json) << "generated:\n"
                                   << got_json.dump(2) << "\nwritten by hand:\n"
                                   << want_json.dump(2);
    EXPECT_EQ(got.requirement_id, "registry.method-access");
    EXPECT_EQ(got.layer, Layer::kRegistry);
  }
}

// The rules decide each cell: covered → authorized; a rule's `when` → implementation-defined
// with the base status of its `base` value; otherwise insufficient_scope naming what the request
// requires (no error_code on HEAD).
TEST(Grid, RulesDecideEachCell) {
  auto cases = Expand(SmallGrid());
  ASSERT_TRUE(cases.has_value()) << DescribeLoadError(cases.error());
  ASSERT_EQ(cases->size(), 16u);
  EXPECT_EQ((*cases)[0].id, "registry/g/none/base");  // accesses first, requests within
  EXPECT_EQ((*cases)[4].id, "registry/g/pull/base");
  const auto by_id = ById(*cases);
  const Json refused_pull = Json::parse(R"({"status": {"profile":
      "registry.insufficient_scope_status"}, "challenge": {"error": "insufficient_scope",
      "scope": ["repository:regauth/g/push/head:pull"]}})");
  struct Row {
    const char* id;
    const char* title_end;
    Json expect;
  };
  const Row rows[] = {
      {"registry/g/none/base", "GET /v2/ → 200 (any valid token)",
       Json::parse(R"({"status": 200})")},
      {"registry/g/pull/head", "HEAD manifest → authorized (404)",
       Json::parse(R"({"status": [404]})")},
      {"registry/g/push/head", "HEAD manifest → 401 insufficient_scope", refused_pull},
      {"registry/g/pull/post", "POST upload → 401 insufficient_scope",
       Json::parse(R"({"status": {"profile": "registry.insufficient_scope_status"},
         "challenge": {"error": "insufficient_scope", "scope": ["repository:regauth/g/pull/post:pull,push"]},
         "error_code": "UNAUTHORIZED"})")},
      {"registry/g/push/post", "POST upload → refused (push needs pull)",
       Json::parse(R"({"status": {"profile": "registry.insufficient_scope_status"},
         "implementation_defined": {"key": "registry.push_requires_pull", "by_value": {
           "true": {"status": {"profile": "registry.insufficient_scope_status"},
                    "challenge": {"error": "insufficient_scope", "scope": ["repository:regauth/g/push/post:pull,push"]},
                    "error_code": "UNAUTHORIZED"},
           "false": {"status": [202]}}}})")},
      {"registry/g/star/post", "POST upload → 202 where * is a wildcard",
       Json::parse(R"({"status": [202],
         "implementation_defined": {"key": "registry.star_wildcard", "by_value": {
           "true": {"status": [202]},
           "false": {"status": {"profile": "registry.insufficient_scope_status"},
                     "challenge": {"error": "insufficient_scope", "scope": ["repository:regauth/g/star/post:pull,push"]},
                     "error_code": "UNAUTHORIZED"}}}})")},
      // `*` on a repository never covers the catalog: a different resource.
      {"registry/g/star/catalog", "GET /v2/_catalog → 401 insufficient_scope",
       Json::parse(R"({"status": {"profile": "registry.insufficient_scope_status"},
         "challenge": {"error": "insufficient_scope", "scope": ["registry:catalog:*"]},
         "error_code": "UNAUTHORIZED"})")},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.id);
    ASSERT_EQ(by_id.count(row.id), 1u);
    const Case& c = by_id.at(row.id);
    EXPECT_TRUE(c.title.ends_with(row.title_end)) << c.title;
    EXPECT_EQ(c.expect, row.expect) << c.expect.dump();
  }
  const Case& star = by_id.at("registry/g/star/post");
  EXPECT_EQ(star.title,
            "token with * on regauth/g/star/post: POST upload → 202 where * is a wildcard");
  EXPECT_EQ(star.tags, (std::vector<std::string>{"registry", "access:star", "star-wildcard"}));
  EXPECT_EQ(star.dims.actions, "*");
  EXPECT_EQ(star.needs, (std::vector<std::string>{"signing_key"}));
  EXPECT_EQ(star.requirement, "Methods need access.");
  EXPECT_EQ(star.source, "§1.8");
  EXPECT_EQ(star.requirement_id, "registry.methods");
  EXPECT_EQ(by_id.at("registry/g/pull/post").tags,
            (std::vector<std::string>{"registry", "access:pull", "catches:x"}));
  EXPECT_EQ(by_id.at("registry/g/none/head").title,
            "token with access [] on regauth/g/none/head: HEAD manifest → 401 insufficient_scope");
  EXPECT_EQ(by_id.at("registry/g/none/head").dims.actions, "none");
}

// Steps: the setup token, the setup steps, the cell's token `t` (the access's actions on the
// cell's repository), the judged request with it; ${grid.repository} is the cell's repository.
TEST(Grid, BuildsTheStepsOfACell) {
  auto cases = Expand(SmallGrid());
  ASSERT_TRUE(cases.has_value()) << DescribeLoadError(cases.error());
  const auto by_id = ById(*cases);
  const Case& c = by_id.at("registry/g/push/post");
  ASSERT_EQ(c.steps.size(), 4u);
  const Json steps = CaseToJson(c)["steps"];
  const Json want = Json::parse(R"([
    {"step": "forge_token", "save_as": "setup", "claims": {"iss": "${issuer}", "sub": "regauth",
     "access": [{"type": "repository", "name": "regauth/g/push/post", "actions": ["pull"]}]}},
    {"step": "registry_request", "path": "/v2/regauth/g/push/post/tags/list", "token": "setup",
     "save_as": "probe"},
    {"step": "forge_token", "save_as": "t", "claims": {"iss": "${issuer}", "sub": "regauth",
     "access": [{"type": "repository", "name": "regauth/g/push/post", "actions": ["push"]}]}},
    {"step": "registry_request", "method": "POST", "path": "/v2/regauth/g/push/post/blobs/uploads/",
     "token": "t"}
  ])");
  EXPECT_EQ(steps, want) << steps.dump(2);
}

// A cell that departs from the rules says so: its override replaces the expectation and the
// outcome of the title.
TEST(Grid, CellOverrideReplacesTheRules) {
  Json doc = SmallGrid();
  doc["cells"]["none/base"] = Json::parse(R"json({
    "expect": {"status": [401], "challenge": {"error": "invalid_token"}},
    "title": "401 (this registry wants a scope even on /v2/)",
    "reason": "an example"})json");
  auto cases = Expand(doc);
  ASSERT_TRUE(cases.has_value()) << DescribeLoadError(cases.error());
  const auto by_id = ById(*cases);
  const Case& c = by_id.at("registry/g/none/base");
  EXPECT_EQ(c.expect, Json::parse(R"({"status": [401], "challenge": {"error": "invalid_token"}})"));
  EXPECT_TRUE(c.title.ends_with("GET /v2/ → 401 (this registry wants a scope even on /v2/)"));
}

struct ErrorCase {
  const char* label;
  const char* pointer;  // where to write `value` in SmallGrid()
  const char* value;
  LoadErrorCode code;
  const char* want_pointer;
};
REGAUTH_PRINT_LABEL(ErrorCase)

class GridErrors : public ::testing::TestWithParam<ErrorCase> {};

// Every grid is validated on load; the error names the JSON pointer.
TEST_P(GridErrors, ReportsPointerAndCode) {
  const auto& p = GetParam();
  Json doc = SmallGrid();
  doc[Json::json_pointer(p.pointer)] = Json::parse(p.value);
  auto r = ParseGrid(doc, "g.json", Known());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, p.code) << r.error().message;
  EXPECT_EQ(r.error().pointer, p.want_pointer) << r.error().message;
  EXPECT_EQ(r.error().file, "g.json");
}

const ErrorCase kErrors[] = {
    {"unknown top-level member", "/cell", "{}", LoadErrorCode::kUnknownMember, "/cell"},
    {"glob in id_prefix", "/id_prefix", R"("registry/*")", LoadErrorCode::kBadValue, "/id_prefix"},
    {"unknown requirement", "/requirement", R"({"ref": "registry.nothing"})",
     LoadErrorCode::kUnknownName, "/requirement/ref"},
    {"token names its save_as", "/token/save_as", R"("t")", LoadErrorCode::kUnknownMember,
     "/token/save_as"},
    {"token with an access claim", "/token/claims/access", "[]", LoadErrorCode::kUnknownMember,
     "/token/claims/access"},
    {"token parameter typo", "/token/sign", R"("x")", LoadErrorCode::kUnknownMember, "/token/sign"},
    {"duplicate access", "/accesses/1/name", R"("none")", LoadErrorCode::kDuplicate,
     "/accesses/1/name"},
    {"access name with a slash", "/accesses/1/name", R"("pull/push")", LoadErrorCode::kBadValue,
     "/accesses/1/name"},
    {"no actions, no title", "/accesses/0", R"({"name": "none", "actions": []})",
     LoadErrorCode::kMissingMember, "/accesses/0/title"},
    {"request without authorized", "/requests/0", R"({"name": "base", "title": "t",
     "requires": [], "request": {"path": "/v2/"}})",
     LoadErrorCode::kMissingMember, "/requests/0/authorized"},
    {"resource type", "/requests/1/requires/0/type", R"("repo")", LoadErrorCode::kBadEnumValue,
     "/requests/1/requires/0/type"},
    {"judged request names a token", "/requests/1/request/token", R"("x")",
     LoadErrorCode::kUnknownMember, "/requests/1/request/token"},
    {"judged request parameter typo", "/requests/1/request/header", "{}",
     LoadErrorCode::kUnknownMember, "/requests/1/request/header"},
    {"setup step saved as t", "/requests/2/setup/0/save_as", R"("t")", LoadErrorCode::kBadValue,
     "/requests/2/setup/0/save_as"},
    {"unknown grid reference", "/requests/1/request/path", R"("/v2/${grid.repo}/x")",
     LoadErrorCode::kUnknownName, "/requests/1/request/path"},
    {"authorized status from a profile", "/requests/1/authorized/status",
     R"({"profile": "registry.x"})", LoadErrorCode::kWrongType, "/requests/1/authorized/status"},
    {"refused names a scope", "/rules/refused/challenge/scope", "[]", LoadErrorCode::kUnknownMember,
     "/rules/refused/challenge/scope"},
    {"rule base outside by_value", "/rules/implementation_defined/0/base", R"("maybe")",
     LoadErrorCode::kUnknownName, "/rules/implementation_defined/0/base"},
    {"rule outcome", "/rules/implementation_defined/0/by_value/true", R"("denied")",
     LoadErrorCode::kBadEnumValue, "/rules/implementation_defined/0/by_value/true"},
    {"empty condition", "/rules/implementation_defined/0/when", "{}", LoadErrorCode::kBadValue,
     "/rules/implementation_defined/0/when"},
    {"cell naming no access", "/cells/pul~1post", "{}", LoadErrorCode::kUnknownName,
     "/cells/pul~1post"},
    {"override without reason", "/cells/pull~1post",
     R"({"expect": {"status": [200]}, "title": "t"})", LoadErrorCode::kMissingMember,
     "/cells/pull~1post/reason"},
};

INSTANTIATE_TEST_SUITE_P(Table, GridErrors, ::testing::ValuesIn(kErrors),
                         testing_support::LabelName());

}  // namespace
}  // namespace regauth::harness
