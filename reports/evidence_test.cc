#include "reports/evidence.h"

#include <gtest/gtest.h>

#include "reports/junit.h"
#include "reports/report_test_support.h"
#include "reports/results.h"

namespace regauth::reports {
namespace {

using nlohmann::json;

// A document whose PASS case is a summary case (what `regauth run` writes by default).
json WithSummaryCase() {
  json doc = test_support::LoadSample();
  EvidenceTables tables;
  const json list = json::array({json::array({"status", "MUST"}), json::array({"access", "MUST"})});
  const json dims = {{"credential_kind", "job_token"}, {"actions", "pull"}};
  doc["cases"].push_back(SummaryCase("gitlab/job_token/ci/app/pull", "token-endpoint", 3,
                                     tables.CheckList(list), tables.DimensionSet(dims)));
  tables.WriteTo(doc);
  return doc;
}

// Identical lists are stored once; an empty dimensions object has no index.
TEST(EvidenceTables, InternsEqualValuesOnce) {
  EvidenceTables t;
  const json a = json::array({json::array({"status", "MUST"})});
  const json b = json::array({json::array({"status", "SHOULD"})});
  EXPECT_EQ(t.CheckList(a), 0);
  EXPECT_EQ(t.CheckList(b), 1);
  EXPECT_EQ(t.CheckList(a), 0);
  EXPECT_EQ(t.DimensionSet(json{{"actions", "pull"}}), 0);
  EXPECT_EQ(t.DimensionSet(json::object()), std::nullopt);
  json doc = json::object();
  t.WriteTo(doc);
  EXPECT_EQ(doc["check_lists"], json::array({a, b}));
  EXPECT_EQ(doc["dimension_sets"].size(), 1u);
}

// A whole case's GitLab citations are stored once per distinct list and come back with
// ExpandCase; a merge re-interns them; the validator accepts the table and checks the index.
TEST(EvidenceTables, InternsCitationsOfWholeCases) {
  json doc = test_support::LoadSample();
  const json source =
      json::array({{{"path", "lib/gitlab/auth.rb"}, {"symbol", "find_for_git_client"}}});
  const json spec = json::array({{{"file", "spec/requests/jwt_controller_spec.rb"}, {"line", 25}}});
  json a = doc["cases"][0];
  a["gitlab_source"] = source;
  a["gitlab_spec"] = spec;
  json b = a;
  b["id"] = std::string(a["id"]) + "-twin";
  json plain = doc["cases"][0];
  plain["id"] = std::string(a["id"]) + "-plain";
  EvidenceTables tables;
  for (json* c : {&a, &b, &plain}) tables.InternCitations(*c);
  EXPECT_FALSE(a.contains("gitlab_source"));
  EXPECT_EQ(a["gitlab_citations"], 0);
  EXPECT_EQ(b["gitlab_citations"], 0);  // the same list, stored once
  EXPECT_FALSE(plain.contains("gitlab_citations"));
  doc["cases"] = json::array({a, b, plain});
  tables.WriteTo(doc);
  ASSERT_EQ(doc["citation_lists"].size(), 1u);
  EXPECT_TRUE(ValidateResults(doc)) << ValidateResults(doc).error().Describe();

  const json expanded = ExpandCase(doc, doc["cases"][1]);
  EXPECT_EQ(expanded["gitlab_source"], source);
  EXPECT_EQ(expanded["gitlab_spec"], spec);
  EXPECT_FALSE(expanded.contains("gitlab_citations"));
  EXPECT_EQ(ExpandCase(doc, plain), plain);

  EvidenceTables merged;
  json again = doc["cases"][1];
  merged.Reintern(doc, again);
  EXPECT_EQ(again["gitlab_citations"], 0);

  json bad = doc;
  bad["cases"][0]["gitlab_citations"] = 7;
  EXPECT_FALSE(ValidateResults(bad));
}

// ExpandCase gives a summary case the members of a full PASS case; a full case is unchanged.
TEST(ExpandCase, FillsTheMembersOfAFullCase) {
  const json doc = WithSummaryCase();
  const json& summary = doc["cases"].back();
  ASSERT_TRUE(IsSummaryCase(summary));
  const json full = ExpandCase(doc, summary);
  EXPECT_FALSE(IsSummaryCase(full));
  EXPECT_EQ(full["family"], "gitlab/job_token");
  EXPECT_EQ(full["expected_verdict"], "PASS");
  EXPECT_EQ(full["unexpected"], false);
  EXPECT_EQ(full["exchanges"], json::array());
  EXPECT_EQ(full["dimensions"]["credential_kind"], "job_token");
  ASSERT_EQ(full["checks"].size(), 2u);
  EXPECT_EQ(full["checks"][1], (json{{"id", "access"},
                                     {"severity", "MUST"},
                                     {"result", "pass"},
                                     {"expected", ""},
                                     {"observed", ""}}));
  EXPECT_EQ(ExpandCase(doc, doc["cases"][0]), doc["cases"][0]);
}

// ValidateResults accepts summary cases and rejects dangling indices and non-PASS summaries.
TEST(ValidateResults, ChecksSummaryCases) {
  json doc = WithSummaryCase();
  EXPECT_TRUE(ValidateResults(doc)) << ValidateResults(doc).error().Describe();
  const std::size_t last = doc["cases"].size() - 1;
  const std::string where = "/cases/" + std::to_string(last);

  json bad = doc;
  bad["cases"][last]["check_list"] = 7;
  auto s = ValidateResults(bad);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().where, where + "/check_list");

  bad = doc;
  bad["cases"][last]["verdict"] = "FAIL";  // a failure always keeps its evidence
  s = ValidateResults(bad);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().where, where + "/verdict");

  bad = doc;
  bad["check_lists"][0][0] = "status";
  s = ValidateResults(bad);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().where, "/check_lists/0/0");
}

// JUnit and the summary count a summary case like the full PASS case it stands for.
TEST(SummaryCase, CountsLikeAFullCase) {
  const json doc = WithSummaryCase();
  json full = doc;
  full["cases"].back() = ExpandCase(doc, doc["cases"].back());
  EXPECT_EQ(SummaryOf(doc["cases"], 1), SummaryOf(full["cases"], 1));
  const std::string xml = RenderJUnit(doc);
  EXPECT_NE(xml.find("<testcase classname=\"gitlab/job_token\" "
                     "name=\"gitlab/job_token/ci/app/pull\" time=\"0.003\"/>"),
            std::string::npos);
}

}  // namespace
}  // namespace regauth::reports
