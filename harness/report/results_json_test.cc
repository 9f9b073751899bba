#include "harness/report/results_json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reports/results.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

Case MakeCase(std::string id, Layer layer) {
  Case c;
  c.id = std::move(id);
  c.title = "title of " + c.id;
  c.layer = layer;
  c.tags = {"t"};
  c.requirement = "r";
  c.source = "s";
  c.dims.credential_kind = "personal_access_token";
  c.dims.actions = "pull";
  return c;
}

ExecutedCase Executed(const Case& c, Verdict v) {
  ExecutedCase e;
  e.result.c = &c;
  e.result.verdict = v;
  e.result.duration_ms = 3;
  e.result.checks.push_back({"status", Severity::kMust, v != Verdict::kFail, "200", "401", ""});
  Exchange x;
  x.step = "token_request";
  x.request = {"GET",
               "http://127.0.0.1:1/jwt/auth?service=s",
               {{"Authorization", "Basic «redacted user=u»"}},
               ""};
  x.response = RecordedResponse{401, {{"Content-Type", "application/json"}}, "{}"};
  x.duration_ms = 1;
  e.result.exchanges.push_back(x);
  e.credentials.push_back({{"cred-1", "", "u"}});
  return e;
}

// The spellings are those of results-schema.md.
TEST(ResultsJson, EnumSpellings) {
  EXPECT_EQ(VerdictText(Verdict::kNonStrict), "NON-STRICT");
  EXPECT_EQ(VerdictText(Verdict::kInformational), "INFORMATIONAL");
  EXPECT_EQ(LayerText(Layer::kTokenEndpoint), "token-endpoint");
  EXPECT_EQ(SeverityText(Severity::kShould), "SHOULD");
  EXPECT_EQ(Rfc3339Utc(1764077861000), "2025-11-25T13:37:41Z");
  EXPECT_EQ(SuiteVersion(), "0.1.0");
  EXPECT_FALSE(GitCommit().empty());
}

// The document passes reports::ValidateResults, its summary counts the cases, and each case
// counts for CI as ClassifyCase says (results-schema.md "Verdicts").
TEST(ResultsJson, DocumentValidatesAndCounts) {
  const Case a = MakeCase("gitlab/pat/a", Layer::kTokenEndpoint);
  const Case b = MakeCase("gitlab/pat/b", Layer::kTokenEndpoint);
  const Case c = MakeCase("registry/hostile/c", Layer::kRegistry);
  const Case d = MakeCase("flow/docker/d", Layer::kFlow);
  Case e = MakeCase("flow/docker/e", Layer::kFlow);
  e.requirement_id = "flow.docker-login";
  std::vector<ExecutedCase> cases;
  cases.push_back(Executed(a, Verdict::kPass));
  cases.push_back(Executed(b, Verdict::kFail));
  cases.back().result.unexpected = true;
  cases.push_back(Executed(c, Verdict::kFail));
  cases.back().result.expected_verdict = Verdict::kFail;
  cases.back().result.baseline = BaselineEntry{Verdict::kFail, "known bug"};
  cases.push_back(Executed(d, Verdict::kSkip));
  cases.back().result.skip_reason = "needs the docker CLI";
  cases.push_back(Executed(e, Verdict::kPass));
  cases.back().result.expected_verdict = Verdict::kFail;
  cases.back().result.baseline = BaselineEntry{Verdict::kFail, "fixed now"};
  cases.back().result.stale_baseline = true;
  cases.back().result.unexpected = true;
  cases.back().tools.push_back({"docker", {"docker", "login"}, "«redacted»\n", 0, false, "ok", 5});

  TargetInfo info;
  info.kind = "reference";
  info.registry_url = "http://127.0.0.1:1";
  info.realm = "http://127.0.0.1:1/jwt/auth";
  info.service = "container_registry";
  RunRecord run;
  run.started_at_ms = 1764077861000;
  run.finished_at_ms = 1764077862500;
  run.argv = {"regauth", "run"};
  run.target = &info;
  run.profile = "gitlab";
  run.exit_code = 1;
  run.fingerprint = {{"challenge", "Bearer realm=\"x\""}, {"kid", nullptr}};
  const Json doc = BuildResults(run, cases);

  auto valid = reports::ValidateResults(doc);
  ASSERT_TRUE(valid.has_value()) << valid.error().Describe();
  EXPECT_EQ(doc["schema"], "regauth-results/1");
  EXPECT_EQ(doc["run"]["duration_ms"], 1500);
  EXPECT_EQ(doc["run"]["started_at"], "2025-11-25T13:37:41Z");
  const Json& s = doc["summary"];
  EXPECT_EQ(s["total"], 5);
  EXPECT_EQ(s["by_verdict"]["PASS"], 2);
  EXPECT_EQ(s["by_verdict"]["FAIL"], 2);
  EXPECT_EQ(s["by_verdict"]["SKIP"], 1);
  EXPECT_EQ(s["by_verdict"]["ERROR"], 0);
  EXPECT_EQ(s["by_layer"]["token-endpoint"]["FAIL"], 1);
  EXPECT_EQ(s["by_family"]["flow/docker"]["SKIP"], 1);
  EXPECT_EQ(s["executed_by_layer"]["flow"], 1);
  EXPECT_EQ(s["executed_by_family"]["gitlab/pat"], 2);
  EXPECT_EQ(s["unexpected"], 2);
  EXPECT_EQ(s["stale_baseline"], 1);
  EXPECT_EQ(s["exit_code"], 1);

  const Json& list = doc["cases"];
  // requirement_id: the id of a requirement named by reference, else null.
  EXPECT_EQ(list[0]["requirement_id"], nullptr);
  EXPECT_EQ(list[4]["requirement_id"], "flow.docker-login");
  EXPECT_EQ(list[4]["requirement"], "r");
  EXPECT_EQ(reports::ClassifyCase(list[0]), reports::CaseOutcome::kPassed);
  EXPECT_EQ(reports::ClassifyCase(list[1]), reports::CaseOutcome::kFailed);
  EXPECT_EQ(reports::ClassifyCase(list[2]), reports::CaseOutcome::kExpectedFailure);
  EXPECT_EQ(reports::ClassifyCase(list[3]), reports::CaseOutcome::kSkipped);
  EXPECT_EQ(reports::ClassifyCase(list[4]), reports::CaseOutcome::kStaleBaseline);
  EXPECT_EQ(list[0]["family"], "gitlab/pat");
  EXPECT_EQ(list[0]["dimensions"]["credential_kind"], "personal_access_token");
  EXPECT_EQ(list[0]["exchanges"][0]["credentials"][0]["id"], "cred-1");
  EXPECT_TRUE(list[0]["exchanges"][0]["credentials"][0]["mutation"].is_null());
  EXPECT_EQ(list[2]["baseline"]["reason"], "known bug");
  EXPECT_EQ(list[3]["skip_reason"], "needs the docker CLI");
  EXPECT_EQ(list[4]["tools"][0]["argv"][1], "login");
}

// A run stopped by the probe still writes a valid document naming the reason.
TEST(ResultsJson, ProbeFailureDocumentValidates) {
  RunRecord run;
  run.target_kind = "black-box";
  run.profile = "gitlab";
  run.exit_code = 3;
  run.error = "sanity probe: connection refused";
  const Json doc = BuildResults(run, {});
  auto valid = reports::ValidateResults(doc);
  ASSERT_TRUE(valid.has_value()) << valid.error().Describe();
  EXPECT_EQ(doc["target"]["kind"], "black-box");
  EXPECT_EQ(doc["run"]["error"], "sanity probe: connection refused");
  EXPECT_EQ(doc["summary"]["total"], 0);
}

}  // namespace
}  // namespace regauth::harness
