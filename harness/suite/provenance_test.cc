#include "harness/suite/provenance.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "harness/suite/load.h"
#include "harness/suite/matrix.h"
#include "harness/suite/rules.h"
#include "harness/testing/world.h"
#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;
using test_support::Source;

const std::map<std::string, GitLabSource>& Copies() {
  static const std::map<std::string, GitLabSource> copies = {
      {"gitlabhq@de09f039",
       {"", "", "gitlabhq/gitlabhq", "de09f0397694a23565d60f999bbfd074c79dc31e", "17.8+"}}};
  return copies;
}

Json Citation() {
  return {{"copy", "gitlabhq@de09f039"},
          {"file", "spec/requests/jwt_controller_spec.rb"},
          {"context", "JwtController > authenticating against container registry"},
          {"line", 42}};
}

// A well-formed citation parses, resolves against gitlab_copies and links the line at the commit.
TEST(GitLabSpecProvenance, ParsesAndResolvesACitation) {
  DataReader r("t.json");
  std::vector<GitLabSpecCitation> specs;
  ASSERT_TRUE(ParseGitLabSpecs(r, Json{{"gitlab_spec", Json::array({Citation()})}}, "", &specs));
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(ResolveGitLabSpecs(Copies(), &specs), std::nullopt);
  EXPECT_EQ(specs[0].Url(),
            "https://github.com/gitlabhq/gitlabhq/blob/de09f0397694a23565d60f999bbfd074c79dc31e/"
            "spec/requests/jwt_controller_spec.rb#L42");
  EXPECT_EQ(GitLabSpecsJson(specs)[0]["context"],
            "JwtController > authenticating against container registry");
}

// A copy that is not a key of gitlab_copies is refused, naming the citation.
TEST(GitLabSpecProvenance, RejectsUnknownCopy) {
  std::vector<GitLabSpecCitation> specs(1);
  specs[0].copy = "nobody@00000000";
  specs[0].file = "spec/x_spec.rb";
  specs[0].context = "X";
  specs[0].line = 3;
  auto why = ResolveGitLabSpecs(Copies(), &specs);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("gitlab_spec/0"), std::string::npos) << *why;
  EXPECT_NE(why->find("nobody@00000000"), std::string::npos) << *why;
}

// Files outside spec/, line 0 and unknown members are load errors with a pointer.
TEST(GitLabSpecProvenance, RejectsMalformedCitations) {
  struct Row {
    const char* label;
    Json citation;
    LoadErrorCode code;
    std::string pointer;
  };
  Json outside = Citation();
  outside["file"] = "app/services/auth/container_registry_authentication_service.rb";
  Json dotdot = Citation();
  dotdot["file"] = "spec/../app/x.rb";
  Json zero = Citation();
  zero["line"] = 0;
  Json text_line = Citation();
  text_line["line"] = "12";
  Json extra = Citation();
  extra["symbol"] = "x";
  Json no_line = Citation();
  no_line.erase("line");
  const Row rows[] = {
      {"file outside spec/", outside, LoadErrorCode::kBadValue, "/gitlab_spec/0/file"},
      {"dot-dot segment", dotdot, LoadErrorCode::kBadValue, "/gitlab_spec/0/file"},
      {"line 0", zero, LoadErrorCode::kBadValue, "/gitlab_spec/0/line"},
      {"line as text", text_line, LoadErrorCode::kWrongType, "/gitlab_spec/0/line"},
      {"unknown member", extra, LoadErrorCode::kUnknownMember, "/gitlab_spec/0/symbol"},
      {"no line", no_line, LoadErrorCode::kMissingMember, "/gitlab_spec/0/line"},
  };
  for (const Row& row : rows) {
    DataReader r("t.json");
    std::vector<GitLabSpecCitation> specs;
    EXPECT_FALSE(
        ParseGitLabSpecs(r, Json{{"gitlab_spec", Json::array({row.citation})}}, "", &specs))
        << row.label;
    ASSERT_TRUE(r.failed()) << row.label;
    EXPECT_EQ(r.error().code, row.code) << row.label << ": " << DescribeLoadError(r.error());
    EXPECT_EQ(r.error().pointer, row.pointer) << row.label;
  }
  DataReader r("t.json");
  std::vector<GitLabSpecCitation> specs;
  EXPECT_FALSE(ParseGitLabSpecs(r, Json{{"gitlab_spec", Json::array()}}, "", &specs));
  EXPECT_EQ(r.error().code, LoadErrorCode::kBadValue);
}

// A matrix rule citing a copy its file does not list fails the load at that citation.
TEST(GitLabSpecProvenance, MatrixRuleWithUnknownCopyFailsTheLoad) {
  auto text = ReadTextFile(Source("cases/matrix/gitlab-token-endpoint.json"));
  ASSERT_TRUE(text.has_value());
  auto doc = ParseDataFile(*text, "m.json");
  ASSERT_TRUE(doc.has_value());
  Json c = Citation();
  c["copy"] = "nobody@00000000";
  (*doc)["gates"][0]["gitlab_spec"] = Json::array({c});
  auto r = ParseMatrix(*doc, "m.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, LoadErrorCode::kUnknownName);
  EXPECT_EQ(r.error().pointer, "/gates/0/gitlab_spec");
}

// Every shipped citation — on matrix rules and on hand-written cases — names a copy of the
// matrix's gitlab_copies, a file under spec/ and a line > 0 (issue 8: cite the context and line).
TEST(GitLabSpecProvenance, ShippedCitationsResolve) {
  auto m = LoadMatrixFile(Source("cases/matrix/gitlab-token-endpoint.json"));
  ASSERT_TRUE(m.has_value()) << DescribeLoadError(m.error());
  std::size_t rule_citations = 0;
  for (const Rule* rule : m->rules.AllRules()) {
    for (const GitLabSpecCitation& s : rule->gitlab_specs) {
      ++rule_citations;
      EXPECT_EQ(CheckGitLabSpec(s, m->rules.gitlab_copies), std::nullopt) << rule->pointer;
      EXPECT_FALSE(s.commit.empty()) << rule->pointer;
    }
  }
  EXPECT_GT(rule_citations, 0u);
  auto cases = LoadSuiteCases(Source("cases"));
  ASSERT_TRUE(cases.has_value()) << DescribeLoadError(cases.error());
  std::size_t case_citations = 0;
  for (Case& c : *cases) {
    case_citations += c.gitlab_specs.size();
    EXPECT_EQ(ResolveGitLabSpecs(m->rules.gitlab_copies, &c.gitlab_specs), std::nullopt) << c.id;
  }
  EXPECT_GT(case_citations, 0u);
}

// Expanded matrix cases carry the citations of the rules that decided them.
TEST(GitLabSpecProvenance, MatrixCasesCarryTheirRulesCitations) {
  auto cases = LoadCases(Source("cases"), test_support::DefaultWorld());
  ASSERT_TRUE(cases.has_value()) << cases.error();
  std::size_t with = 0;
  for (const Case& c : *cases) {
    if (c.gitlab_specs.empty()) continue;
    ++with;
    for (const GitLabSpecCitation& s : c.gitlab_specs) {
      EXPECT_TRUE(s.Url().starts_with("https://github.com/")) << c.id;
      EXPECT_EQ(s.commit.size(), 40u) << c.id;
    }
  }
  EXPECT_GT(with, 0u);
}

}  // namespace
}  // namespace regauth::harness
