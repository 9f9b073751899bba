#include "harness/execute/executor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "harness/execute/runner.h"
#include "harness/execute/runner_test_support.h"
#include "harness/report/results_json.h"
#include "reports/output.h"
#include "reports/results.h"

namespace regauth::harness {
namespace {

using test_support::DefaultWorld;
using test_support::FakeGitlab;
using test_support::MakeCase;
using test_support::ShippedProfile;
using test_support::TestRun;
using Json = nlohmann::json;

Json TokenCase(const std::string& id, const std::string& credential, const std::string& scope,
               Json expect, std::vector<std::string> tags = {}) {
  return {{"id", id},
          {"title", "t"},
          {"layer", "token-endpoint"},
          {"tags", tags},
          {"steps", Json::array({{{"step", "token_request"},
                                  {"credential", credential},
                                  {"scopes", Json::array({scope})}}})},
          {"expect", std::move(expect)}};
}

const Json kPullGranted = {
    {"outcome", "granted"},
    {"access",
     Json::array(
         {{{"type", "repository"}, {"name", "acme/private-enabled"}, {"actions", {"pull"}}}})}};
const Json kPullPushGranted = {{"outcome", "granted"},
                               {"access", Json::array({{{"type", "repository"},
                                                        {"name", "acme/private-enabled"},
                                                        {"actions", {"pull", "push"}}}})}};

class ExecutorTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { net::InitHttpClientLibrary(); }

  ExecutedCase Run(const Case& c, const Baseline* baseline = nullptr) {
    return ExecuteCase(c, run_.ctx, ShippedProfile("gitlab"), false, baseline);
  }
  static std::string Explain(const ExecutedCase& e) {
    std::string s = std::string(VerdictText(e.result.verdict)) + " " + e.result.error.value_or("") +
                    e.result.skip_reason.value_or("");
    for (const auto& c : e.result.checks) {
      if (!c.passed) s += "\n  " + c.id + ": expected " + c.expected + " observed " + c.observed;
    }
    return s;
  }

  FakeGitlab fake_;
  TestRun run_{fake_.Info()};
};

// A GitLab-shaped grant matching the expectation passes every check (results-schema.md).
TEST_F(ExecutorTest, PassWhenTheTargetAnswersAsExpected) {
  const Case c = MakeCase(TokenCase("gitlab/pat/pass", "dana-pat-read-registry",
                                    "repository:acme/private-enabled:pull", kPullGranted));
  const ExecutedCase e = Run(c);
  EXPECT_EQ(e.result.verdict, Verdict::kPass) << Explain(e);
  EXPECT_FALSE(e.result.unexpected);
  EXPECT_EQ(e.result.exchanges.size(), 1u);
  EXPECT_EQ(e.kid, protocol::LibtrustKeyId(test_support::TestKey()));
  EXPECT_FALSE(e.result.checks.empty());
}

// A missing action is a failed MUST check: FAIL, unexpected without a baseline; with a
// baseline entry the same FAIL is expected (suite-anchors.md §E4).
TEST_F(ExecutorTest, FailAndBaseline) {
  const Case c = MakeCase(TokenCase("gitlab/pat/fail", "dana-pat-read-registry",
                                    "repository:acme/private-enabled:pull,push", kPullPushGranted));
  ExecutedCase e = Run(c);
  EXPECT_EQ(e.result.verdict, Verdict::kFail) << Explain(e);
  EXPECT_TRUE(e.result.unexpected);
  bool access_failed = false;
  for (const auto& check : e.result.checks) access_failed |= check.id == "access" && !check.passed;
  EXPECT_TRUE(access_failed);

  auto baseline = ParseBaseline(
      Json::parse(R"({"entries":[{"id":"gitlab/pat/fail","expected":"FAIL","reason":"known"}]})"),
      "b.json");
  ASSERT_TRUE(baseline.has_value());
  e = Run(c, &*baseline);
  EXPECT_EQ(e.result.verdict, Verdict::kFail);
  EXPECT_EQ(e.result.expected_verdict, Verdict::kFail);
  EXPECT_FALSE(e.result.unexpected);
  EXPECT_EQ(ExitCodeFor({e}), kExitOk);
}

// Connection refused is the network's failure: ERROR, unexpected, exit code 1.
TEST_F(ExecutorTest, ErrorOnConnectionRefused) {
  TargetInfo dead = fake_.Info();
  dead.realm = "http://127.0.0.1:" + std::to_string(net::FreeLoopbackPort()) + "/jwt/auth";
  TestRun run(dead);
  const Case c = MakeCase(TokenCase("gitlab/pat/refused", "dana-pat-read-registry",
                                    "repository:acme/private-enabled:pull", kPullGranted));
  const ExecutedCase e = ExecuteCase(c, run.ctx, ShippedProfile("gitlab"), false, nullptr);
  EXPECT_EQ(e.result.verdict, Verdict::kError);
  ASSERT_TRUE(e.result.error.has_value());
  EXPECT_NE(e.result.error->find("connect"), std::string::npos);
  EXPECT_TRUE(e.result.unexpected);
  EXPECT_EQ(ExitCodeFor({e}), kExitUnexpected);
}

Json ToolCase(const std::string& id) {
  return {{"id", id},
          {"title", "docker login"},
          {"layer", "flow"},
          {"needs", {"docker_cli"}},
          {"steps", Json::array({{{"step", "client_tool"},
                                  {"tool", "docker"},
                                  {"args",
                                   {"login", "${registry_host}", "-u", "${cred:job-101.username}",
                                    "--password-stdin"}},
                                  {"stdin", "${cred:job-101.secret}\n"}}})},
          {"expect", {{"login", "succeeds"}}}};
}

// A missing client is SKIP (not unexpected), ERROR under CI=true; missing signing key or world
// credential is SKIP.
TEST_F(ExecutorTest, SkipWhenTheRunLacksSomething) {
  run_.ctx.tools.docker.reset();
  const Case tool = MakeCase(ToolCase("flow/docker/login"));
  ExecutedCase e = Run(tool);
  EXPECT_EQ(e.result.verdict, Verdict::kSkip);
  EXPECT_NE(e.result.skip_reason.value_or("").find("docker"), std::string::npos);
  EXPECT_FALSE(e.result.unexpected);
  run_.ctx.tools.ci = true;
  e = Run(tool);
  EXPECT_EQ(e.result.verdict, Verdict::kError);
  EXPECT_TRUE(e.result.unexpected);
  run_.ctx.tools.ci = false;

  Json needs_key =
      TokenCase("registry/x/forged", "job-101", "repository:acme/app:pull", kPullGranted);
  needs_key["needs"] = {"signing_key"};
  TestRun keyless(fake_.Info(), /*with_key=*/false);
  e = ExecuteCase(MakeCase(needs_key), keyless.ctx, ShippedProfile("gitlab"), false, nullptr);
  EXPECT_EQ(e.result.verdict, Verdict::kSkip);

  e = Run(MakeCase(
      TokenCase("gitlab/x/nobody", "no-such-credential", "repository:a/b:pull", kPullGranted)));
  EXPECT_EQ(e.result.verdict, Verdict::kSkip);
  EXPECT_TRUE(fake_.requests().empty());
}

// The docker CLI really logs in against the fake when it is installed (no daemon needed,
// suite-anchors.md §D5a).
TEST_F(ExecutorTest, RealDockerLoginFlow) {
  run_.ctx.tools.docker = net::FindExecutable("docker");
  if (!run_.ctx.tools.docker) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") FAIL() << "docker CLI required under CI=true";
    GTEST_SKIP() << "docker CLI not installed";
  }
  const ExecutedCase e = Run(MakeCase(ToolCase("flow/docker/login")));
  EXPECT_EQ(e.result.verdict, Verdict::kPass) << Explain(e) << "\n"
                                              << (e.tools.empty() ? "" : e.tools[0].output);
  ASSERT_EQ(e.tools.size(), 1u);
  EXPECT_EQ(e.tools[0].stdin_text.find("glcbt-job-101"), std::string::npos);
  bool realm_hit = false;
  for (const auto& r : fake_.requests()) {
    realm_hit |= r.target.find("/jwt/auth?account=gitlab-ci-token&client_id=docker") == 0;
  }
  EXPECT_TRUE(realm_hit);
}

// docker_login_flow is judged by the flow expectation: login succeeds.
TEST_F(ExecutorTest, DockerLoginFlowPasses) {
  const Case c = MakeCase(
      {{"id", "flow/login/job"},
       {"title", "t"},
       {"layer", "flow"},
       {"steps", Json::array({{{"step", "docker_login_flow"}, {"credential", "job-101"}}})},
       {"expect", {{"login", "succeeds"}}}});
  const ExecutedCase e = Run(c);
  EXPECT_EQ(e.result.verdict, Verdict::kPass) << Explain(e);
  EXPECT_EQ(e.result.exchanges.size(), 3u);
}

// A token the target did not deliver stops the case: FAIL with steps.prerequisite, not ERROR.
TEST_F(ExecutorTest, MissingPrerequisiteTokenFails) {
  const Case c = MakeCase({{"id", "registry/pull/with-denied-token"},
                           {"title", "t"},
                           {"layer", "registry"},
                           {"steps", Json::array({{{"step", "token_request"},
                                                   {"credential", "dana-developer-password"},
                                                   {"mutate", "wrong_secret"},
                                                   {"scopes", {"repository:acme/app:pull"}},
                                                   {"save_as", "t"}},
                                                  {{"step", "registry_request"},
                                                   {"path", "/v2/acme/app/tags/list"},
                                                   {"token", "t"}}})},
                           {"expect", {{"status", {200}}}}});
  const ExecutedCase e = Run(c);
  EXPECT_EQ(e.result.verdict, Verdict::kFail) << Explain(e);
  ASSERT_FALSE(e.result.checks.empty());
  EXPECT_EQ(e.result.checks[0].id, "steps.prerequisite");
}

// Sending a token to a Location on another origin is refused: ERROR with the reason, and the
// other server receives nothing (suite-anchors.md §C2).
TEST_F(ExecutorTest, CredentialOriginRefusalIsError) {
  FakeGitlab other;
  fake_.set_upload_location(other.base() + "/upload/1");
  const Case c = MakeCase({{"id", "registry/push/foreign-location"},
                           {"title", "t"},
                           {"layer", "registry"},
                           {"steps", Json::array({{{"step", "token_request"},
                                                   {"credential", "job-101"},
                                                   {"scopes", {"repository:acme/app:pull"}},
                                                   {"save_as", "t"}},
                                                  {{"step", "registry_request"},
                                                   {"method", "POST"},
                                                   {"path", "/v2/acme/app/blobs/uploads/"},
                                                   {"token", "t"},
                                                   {"save_as", "up"}},
                                                  {{"step", "registry_request"},
                                                   {"method", "PUT"},
                                                   {"path", "${location:up}"},
                                                   {"token", "t"},
                                                   {"body", {{"blob", "layer"}}}}})},
                           {"expect", {{"status", {201}}}}});
  const ExecutedCase e = Run(c);
  EXPECT_EQ(e.result.verdict, Verdict::kError);
  EXPECT_NE(e.result.error.value_or("").find("credentials refused"), std::string::npos);
  EXPECT_TRUE(other.requests().empty());
}

// The first 403 text/plain from the token endpoint stops the run: exit code 3 upstream, the
// remaining cases never start (token-auth.md §9). With --bad-credentials-last the tagged cases
// run after all the others.
TEST_F(ExecutorTest, IpBanStopsTheRun) {
  std::vector<Case> cases;
  for (int i = 0; i < 6; ++i) {
    cases.push_back(MakeCase(TokenCase(
        "gitlab/pat/c" + std::to_string(i), "dana-pat-read-registry",
        "repository:acme/private-enabled:pull", kPullGranted,
        i == 0 ? std::vector<std::string>{"bad-credentials"} : std::vector<std::string>{})));
  }
  std::vector<const Case*> selected;
  for (const auto& c : cases) selected.push_back(&c);

  auto order = OrderForExecution(selected, true);
  EXPECT_EQ(order.back()->id, "gitlab/pat/c0");
  EXPECT_EQ(OrderForExecution(selected, false).front()->id, "gitlab/pat/c0");

  fake_.ban_after = 2;
  ExecutorOptions o;
  o.jobs = 1;
  o.profile = &ShippedProfile("gitlab");
  const ExecutionOutcome out = ExecuteCases(selected, run_.ctx, o);
  EXPECT_TRUE(out.aborted);
  EXPECT_EQ(out.abort_reason, kIpBanMessage);
  EXPECT_EQ(out.cases.size(), 3u);
  EXPECT_EQ(out.not_run, 3u);
  int banned = 0;
  for (const auto& e : out.cases) {
    if (e.ip_ban) {
      ++banned;
      EXPECT_EQ(e.result.verdict, Verdict::kError);
    }
  }
  EXPECT_EQ(banned, 1);
}

// Results come back sorted by id whatever the parallelism, and each case ran on its own state.
TEST_F(ExecutorTest, ParallelResultsAreDeterministic) {
  std::vector<Case> cases;
  for (int i = 9; i >= 0; --i) {
    cases.push_back(MakeCase(TokenCase("gitlab/pat/p" + std::to_string(i), "dana-pat-read-registry",
                                       "repository:acme/private-enabled:pull", kPullGranted)));
  }
  std::vector<const Case*> selected;
  for (const auto& c : cases) selected.push_back(&c);
  ExecutorOptions o;
  o.jobs = 4;
  o.profile = &ShippedProfile("gitlab");
  std::size_t calls = 0;
  o.on_result = [&](const ExecutedCase&, std::size_t done, std::size_t total) {
    ++calls;
    EXPECT_EQ(done, calls);
    EXPECT_EQ(total, 10u);
  };
  const ExecutionOutcome out = ExecuteCases(selected, run_.ctx, o);
  ASSERT_EQ(out.cases.size(), 10u);
  EXPECT_EQ(calls, 10u);
  for (std::size_t i = 0; i < out.cases.size(); ++i) {
    EXPECT_EQ(out.cases[i].result.c->id, "gitlab/pat/p" + std::to_string(i));
    EXPECT_EQ(out.cases[i].result.verdict, Verdict::kPass) << Explain(out.cases[i]);
  }
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Nothing secret reaches results.json, junit.xml or report.html: no world secret, no signature
// of a token the target issued (STYLE.md; results-schema.md "Everything in it is redacted").
TEST_F(ExecutorTest, ReportsContainNoSecret) {
  std::vector<Case> cases;
  cases.push_back(MakeCase(TokenCase("gitlab/a/pass", "dana-pat-read-registry",
                                     "repository:acme/private-enabled:pull", kPullGranted)));
  cases.push_back(MakeCase(TokenCase(
      "gitlab/a/fail", "job-101", "repository:acme/private-enabled:pull,push", kPullPushGranted)));
  cases.push_back(MakeCase(
      {{"id", "gitlab/a/post"},
       {"title", "t"},
       {"layer", "token-endpoint"},
       {"steps", Json::array({{{"step", "token_request"},
                               {"credential", nullptr},
                               {"method", "POST"},
                               {"form",
                                {{"grant_type", "password"},
                                 {"username", "${cred:dana-developer-password.username}"},
                                 {"password", "${cred:dana-developer-password.secret}"}}}}})},
       {"expect", {{"outcome", "not_found"}}}}));
  cases.push_back(MakeCase({{"id", "flow/login/job"},
                            {"title", "t"},
                            {"layer", "flow"},
                            {"steps", Json::array({{{"step", "docker_login_flow"},
                                                    {"credential", "max-maintainer-password"}}})},
                            {"expect", {{"login", "succeeds"}}}}));
  cases.push_back(MakeCase(
      {{"id", "registry/a/forged"},
       {"title", "t"},
       {"layer", "registry"},
       {"needs", {"signing_key"}},
       {"steps",
        Json::array(
            {{{"step", "forge_token"},
              {"claims", {{"iss", "${issuer}"}, {"aud", "${service}"}, {"exp", "${now+300}"}}},
              {"save_as", "f"}},
             {{"step", "registry_request"}, {"path", "/v2/"}, {"token", "f"}}})},
       {"expect", {{"status", {200}}}}}));
  std::vector<const Case*> selected;
  for (const auto& c : cases) selected.push_back(&c);
  ExecutorOptions o;
  o.jobs = 2;
  o.profile = &ShippedProfile("gitlab");
  const ExecutionOutcome out = ExecuteCases(selected, run_.ctx, o);
  ASSERT_EQ(out.cases.size(), cases.size());

  RunRecord record;
  record.target = &run_.info;
  record.profile = "gitlab";
  record.argv = {"regauth", "run"};
  const Json doc = BuildResults(record, out.cases);
  auto dir = net::ScratchDir::Create("regauth-redaction-test-");
  ASSERT_TRUE(dir.has_value());
  auto written = reports::WriteRunReports(doc, (*dir)->path());
  ASSERT_TRUE(written.has_value()) << written.error().Describe();

  std::vector<std::string> forbidden;
  for (const auto& c : DefaultWorld().Credentials()) {
    forbidden.push_back(c.secret);
    forbidden.push_back(MutatedSecret(c, DefaultWorld()));
  }
  const auto issued = fake_.issued();
  ASSERT_GE(issued.size(), 2u);
  for (const auto& t : issued) forbidden.push_back(t.substr(t.rfind('.') + 1));
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator((*dir)->path())) {
    ++files;
    const std::string text = ReadAll(entry.path());
    for (const auto& secret : forbidden) {
      EXPECT_EQ(text.find(secret), std::string::npos)
          << entry.path().filename() << " contains a secret of length " << secret.size();
    }
  }
  EXPECT_EQ(files, 3);  // results.json, junit.xml, report.html
}

}  // namespace
}  // namespace regauth::harness
