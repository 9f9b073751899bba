#include "harness/execute/runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "harness/execute/runner_test_support.h"
#include "reports/results.h"

namespace regauth::harness {
namespace {

using test_support::FakeGitlab;
using test_support::Source;
using Json = nlohmann::json;
namespace fs = std::filesystem;

Json TokenCase(const std::string& id, const std::string& credential, const std::string& actions,
               const std::string& granted, std::vector<std::string> tags = {}) {
  return {{"id", id},
          {"title", "token case " + id},
          {"requirement", "r"},
          {"source", "s"},
          {"tags", tags},
          {"steps", Json::array({{{"step", "token_request"},
                                  {"credential", credential},
                                  {"scopes", {"repository:acme/private-enabled:" + actions}}}})},
          {"expect",
           {{"outcome", "granted"},
            {"access", Json::array({{{"type", "repository"},
                                     {"name", "acme/private-enabled"},
                                     {"actions", Json::parse(granted)}}})}}}};
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Suite is a throwaway cases directory: the shipped profiles and a case file of our own.
class Suite {
 public:
  explicit Suite(const Json& cases) {
    auto d = net::ScratchDir::Create("regauth-runner-test-");
    EXPECT_TRUE(d.has_value());
    dir_ = std::move(*d);
    fs::create_directory_symlink(Source("cases/profiles"), path() + "/profiles");
    fs::create_directories(path() + "/cases");
    Write("cases/test.json",
          Json{{"defaults", {{"layer", "token-endpoint"}}}, {"cases", cases}}.dump());
  }
  std::string path() const { return dir_->path(); }
  void Write(const std::string& rel, const std::string& text) const {
    std::ofstream(path() + "/" + rel) << text;
  }

 private:
  std::unique_ptr<net::ScratchDir> dir_;
};

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
  Json results;
};

class RunnerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { net::InitHttpClientLibrary(); }
  void SetUp() override { fake_.real_clock = true; }

  RunOptions Options(const Suite& suite) {
    RunOptions o;
    o.registry_url = fake_.base();
    o.cases_dir = suite.path();
    o.world_path = Source("cases/worlds/gitlab-default.json");
    o.out_dir = suite.path() + "/out";
    o.jobs = 2;
    o.argv = {"regauth", "run"};
    return o;
  }
  Outcome Run(const RunOptions& o, const ReferenceLauncher& launcher = nullptr) {
    std::ostringstream out, err;
    Outcome r;
    r.code = RunSuite(o, launcher, RunIo{out, err, false});
    r.out = out.str();
    r.err = err.str();
    std::ifstream in(o.out_dir + "/results.json");
    if (in) {
      r.results = Json::parse(
          std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    }
    return r;
  }

  FakeGitlab fake_;
};

const Json kTwoCases = Json::array(
    {TokenCase("token-spec/t/pass", "dana-pat-read-registry", "pull", R"(["pull"])"),
     TokenCase("token-spec/t/fail", "dana-pat-read-registry", "pull,push", R"(["pull","push"])")});

// Exit 0 when every case is as expected; results.json, junit.xml and report.html are written
// and valid; the summary names the report directory.
TEST_F(RunnerTest, ExitZeroWhenAllAsExpected) {
  Suite suite(kTwoCases);
  RunOptions o = Options(suite);
  o.filter = {"token-spec/t/pass"};
  const Outcome r = Run(o);
  EXPECT_EQ(r.code, kExitOk) << r.err << r.out;
  ASSERT_TRUE(r.results.is_object());
  EXPECT_TRUE(reports::ValidateResults(r.results).has_value());
  EXPECT_EQ(r.results["summary"]["by_verdict"]["PASS"], 1);
  EXPECT_EQ(r.results["target"]["kind"], "black-box");
  EXPECT_EQ(r.results["target"]["fingerprint"]["kid"],
            protocol::LibtrustKeyId(test_support::TestKey()));
  EXPECT_TRUE(fs::exists(o.out_dir + "/junit.xml"));
  EXPECT_TRUE(fs::exists(o.out_dir + "/report.html"));
  EXPECT_NE(r.out.find("reports: " + o.out_dir), std::string::npos);
  EXPECT_NE(r.out.find("exit code 0"), std::string::npos);
  EXPECT_NE(r.out.find("token-endpoint"), std::string::npos);
}

// Exit 1 for an unexpected FAIL, reported on its own line as it happens.
TEST_F(RunnerTest, ExitOneOnUnexpectedFailure) {
  Suite suite(kTwoCases);
  const Outcome r = Run(Options(suite));
  EXPECT_EQ(r.code, kExitUnexpected) << r.err;
  EXPECT_NE(r.err.find("UNEXPECTED FAIL token-spec/t/fail: access"), std::string::npos) << r.err;
  EXPECT_EQ(r.results["summary"]["unexpected"], 1);
  EXPECT_EQ(r.results["summary"]["exit_code"], 1);
}

// A baseline entry makes the FAIL expected (exit 0); an entry for a passing case is stale
// (exit 1) — suite-anchors.md §E4.
TEST_F(RunnerTest, BaselineExpectedAndStale) {
  Suite suite(kTwoCases);
  suite.Write("baseline.json",
              R"({"entries":[{"id":"token-spec/t/fail","expected":"FAIL","reason":"known"}]})");
  RunOptions o = Options(suite);
  o.baseline_path = suite.path() + "/baseline.json";
  EXPECT_EQ(Run(o).code, kExitOk);

  suite.Write("stale.json",
              R"({"entries":[{"id":"token-spec/t/pass","expected":"FAIL","reason":"old bug"}]})");
  o.baseline_path = suite.path() + "/stale.json";
  o.filter = {"token-spec/t/pass"};
  o.out_dir = suite.path() + "/out2";
  const Outcome r = Run(o);
  EXPECT_EQ(r.code, kExitUnexpected);
  EXPECT_EQ(r.results["summary"]["stale_baseline"], 1);
}

// Usage and configuration errors exit 2 with a message naming what is wrong.
TEST_F(RunnerTest, ConfigurationErrorsExitTwo) {
  Suite suite(kTwoCases);
  suite.Write("broken.json", R"({"entries":[{"id":"token-spec/t/pass","expected":"PASS"}]})");
  struct Row {
    const char* label;
    std::function<void(RunOptions&)> change;
    const char* message_part;
  };
  const Row rows[] = {
      {"bad shard", [](RunOptions& o) { o.shard = "3/2"; }, "--shard"},
      {"unknown profile", [](RunOptions& o) { o.profile = "nope"; }, "available: "},
      {"missing world", [](RunOptions& o) { o.world_path = "/nonexistent/w.json"; },
       "/nonexistent/w.json"},
      {"empty selection", [](RunOptions& o) { o.filter = {"nothing/*"}; }, "selection is empty"},
      {"target with registry", [](RunOptions& o) { o.target = "reference"; }, "--target"},
      {"bad target",
       [](RunOptions& o) {
         o.registry_url.clear();
         o.target = "zot";
       },
       "--target"},
      {"misbehave on black-box", [](RunOptions& o) { o.misbehaviours = {"x"}; }, "--misbehave"},
      {"unknown misbehaviour",
       [](RunOptions& o) {
         o.registry_url.clear();
         o.plantable = {{"accept-alg-none", "registry"}, {"wrong-audience", "token-service"}};
         o.misbehaviours = {"accept-alg-nope"};
       },
       "Registry (--target reference only): accept-alg-none"},
      {"registry misbehaviour on distribution",
       [](RunOptions& o) {
         o.registry_url.clear();
         o.target = "distribution";
         o.plantable = {{"accept-alg-none", "registry"}, {"wrong-audience", "token-service"}};
         o.misbehaviours = {"accept-alg-none"};
       },
       "use a token-service one: wrong-audience"},
      {"bad baseline", [&](RunOptions& o) { o.baseline_path = suite.path() + "/broken.json"; },
       "broken.json"},
      {"bad timeout", [](RunOptions& o) { o.timeout_ms = 0; }, "--timeout"},
      {"registry not a url", [](RunOptions& o) { o.registry_url = "not a url"; },
       "--registry 'not a url'"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    RunOptions o = Options(suite);
    row.change(o);
    const Outcome r = Run(o);
    EXPECT_EQ(r.code, kExitUsage);
    EXPECT_NE(r.err.find(row.message_part), std::string::npos) << r.err;
  }
  // An invalid case file names the file and the JSON pointer.
  suite.Write("cases/bad.json", R"({"cases":[{"id":"x/y/z","title":"t","steps":[]}]})");
  const Outcome r = Run(Options(suite));
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/cases/0"), std::string::npos) << r.err;
  EXPECT_TRUE(fake_.requests().empty());
}

// --list prints the selection without contacting anything; shards partition it.
TEST_F(RunnerTest, ListAndShards) {
  Json many = Json::array();
  for (int i = 0; i < 20; ++i) {
    many.push_back(TokenCase("token-spec/s/c" + std::to_string(i), "job-101", "pull", R"([])"));
  }
  Suite suite(many);
  RunOptions o = Options(suite);
  o.list = true;
  const Outcome all = Run(o);
  EXPECT_EQ(all.code, kExitOk);
  std::set<std::string> ids;
  std::istringstream lines(all.out);
  for (std::string line; std::getline(lines, line);) ids.insert(line.substr(0, line.find('\t')));
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_NE(all.out.find("\ttoken-endpoint\t"), std::string::npos);
  std::set<std::string> union_of_shards;
  for (const char* shard : {"1/3", "2/3", "3/3"}) {
    o.shard = shard;
    const Outcome part = Run(o);
    std::istringstream in(part.out);
    for (std::string line; std::getline(in, line);) {
      EXPECT_TRUE(union_of_shards.insert(line.substr(0, line.find('\t'))).second);
    }
  }
  EXPECT_EQ(union_of_shards, ids);
  EXPECT_TRUE(fake_.requests().empty());
  EXPECT_FALSE(fs::exists(o.out_dir));
}

// An unreachable target or a failed probe exits 3 and still records why in results.json.
TEST_F(RunnerTest, ProbeFailureExitsThree) {
  Suite suite(kTwoCases);
  RunOptions o = Options(suite);
  o.registry_url = "http://127.0.0.1:" + std::to_string(net::FreeLoopbackPort());
  Outcome r = Run(o);
  EXPECT_EQ(r.code, kExitTarget);
  EXPECT_NE(r.err.find("sanity probe"), std::string::npos);
  EXPECT_TRUE(reports::ValidateResults(r.results).has_value());
  EXPECT_EQ(r.results["summary"]["exit_code"], 3);

  fake_.open_v2 = true;
  o.registry_url = fake_.base();
  r = Run(o);
  EXPECT_EQ(r.code, kExitTarget);
  EXPECT_NE(r.err.find("registry does not require authentication"), std::string::npos);

  o.registry_url.clear();  // reference target, but no launcher in this build
  r = Run(o);
  EXPECT_EQ(r.code, kExitTarget);
}

// GitLab's ban answer stops the run with exit 3 and the advice (token-auth.md §9).
TEST_F(RunnerTest, IpBanExitsThree) {
  Suite suite(kTwoCases);
  fake_.ban = true;
  const Outcome r = Run(Options(suite));
  EXPECT_EQ(r.code, kExitTarget);
  EXPECT_NE(r.err.find("--bad-credentials-last"), std::string::npos) << r.err;
  EXPECT_TRUE(r.results["run"].contains("error"));
}

// A stopped run shows in every report: results.json lists the selected cases that did not run,
// junit.xml has a failing testcase with the run's error and those cases as skipped, report.html
// says it in its banner — for a failed probe (a registry that answers 200 without auth) and for
// an IP ban that stops the run after its first case (issue 9, item 6).
TEST_F(RunnerTest, EarlyStopIsInEveryReport) {
  Suite suite(kTwoCases);
  RunOptions o = Options(suite);
  fake_.open_v2 = true;
  const Outcome probe = Run(o);
  EXPECT_EQ(probe.code, kExitTarget);
  EXPECT_EQ(probe.results["run"]["not_run_ids"],
            Json::array({"token-spec/t/fail", "token-spec/t/pass"}));
  const std::string junit = ReadText(o.out_dir + "/junit.xml");
  EXPECT_NE(junit.find("type=\"RUN-ERROR\" message=\"sanity probe"), std::string::npos) << junit;
  EXPECT_NE(junit.find("failures=\"1\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("name=\"token-spec/t/pass\""), std::string::npos) << junit;
  const std::string html = ReadText(o.out_dir + "/report.html");
  EXPECT_NE(html.find("The run stopped early: sanity probe"), std::string::npos);
  EXPECT_EQ(html.find("All 0 results as expected"), std::string::npos);

  fake_.open_v2 = false;
  fake_.ban = true;
  o.jobs = 1;
  o.out_dir = suite.path() + "/out-ban";
  const Outcome ban = Run(o);
  EXPECT_EQ(ban.code, kExitTarget);
  ASSERT_EQ(ban.results["cases"].size(), 1u);
  EXPECT_EQ(ban.results["run"]["not_run"], 1);
  const std::string ran = ban.results["cases"][0]["id"];
  EXPECT_EQ(ban.results["run"]["not_run_ids"],
            Json::array({ran == "token-spec/t/pass" ? "token-spec/t/fail" : "token-spec/t/pass"}));
  const std::string ban_junit = ReadText(o.out_dir + "/junit.xml");
  EXPECT_NE(ban_junit.find("not run: the run stopped early: the target stopped answering"),
            std::string::npos)
      << ban_junit;
}

// --fail-fast stops at the first unexpected result: exit 1, the cases after it listed as not run.
TEST_F(RunnerTest, FailFastStopsAtTheFirstUnexpectedResult) {
  Suite suite(Json::array({kTwoCases[1], kTwoCases[0]}));  // the failing case first
  RunOptions o = Options(suite);
  o.jobs = 1;
  o.fail_fast = true;
  const Outcome r = Run(o);
  EXPECT_EQ(r.code, kExitUnexpected) << r.err;
  ASSERT_EQ(r.results["cases"].size(), 1u);
  EXPECT_EQ(r.results["cases"][0]["id"], "token-spec/t/fail");
  EXPECT_EQ(r.results["run"]["not_run_ids"], Json::array({"token-spec/t/pass"}));
  EXPECT_NE(r.results["run"]["error"].get<std::string>().find("--fail-fast"), std::string::npos);
  EXPECT_EQ(r.results["summary"]["exit_code"], 1);
  // Without it, both run.
  o.fail_fast = false;
  o.out_dir = suite.path() + "/out-all";
  EXPECT_EQ(Run(o).results["cases"].size(), 2u);
}

// A fake reference instance: the FakeGitlab with the test key.
class FakeInstance : public ReferenceInstance {
 public:
  std::string registry_url() const override { return fake.base(); }
  std::string token_url() const override { return fake.realm(); }
  std::string signing_key_pem() const override {
    return protocol::PrivateKeyPem(test_support::TestKey());
  }
  std::string certificate_pem() const override { return ""; }
  std::string distribution_config_yaml(const std::string&, const std::string&) const override {
    return "";
  }
  FakeGitlab fake;
};

// The reference target's key is used automatically: a forged token signed with it passes.
TEST_F(RunnerTest, ReferenceTargetUsesLaunchedKey) {
  Json forged = {
      {"id", "registry/forged/valid"},
      {"title", "forged with the target's key"},
      {"requirement", "r"},
      {"source", "s"},
      {"layer", "registry"},
      {"needs", {"signing_key"}},
      {"steps",
       Json::array({{{"step", "forge_token"}, {"claims", {{"sub", "x"}}}, {"save_as", "f"}},
                    {{"step", "registry_request"}, {"path", "/v2/"}, {"token", "f"}}})},
      {"expect", {{"status", {200}}}}};
  Suite suite(Json::array({forged}));
  RunOptions o = Options(suite);
  o.registry_url.clear();
  std::vector<std::string> misbehaviours;
  const Outcome r = Run(o,
                        [&](const ReferenceLaunchOptions& lo)
                            -> protocol::Expected<std::unique_ptr<ReferenceInstance>, std::string> {
                          misbehaviours = lo.misbehaviours;
                          return std::unique_ptr<ReferenceInstance>(new FakeInstance());
                        });
  EXPECT_EQ(r.code, kExitOk) << r.err << r.out;
  EXPECT_EQ(r.results["cases"][0]["verdict"], "PASS");
  EXPECT_EQ(r.results["target"]["kind"], "reference");

  // Black-box without --signing-key: the same case is SKIP.
  o.registry_url = fake_.base();
  o.out_dir = suite.path() + "/out-bb";
  const Outcome bb = Run(o);
  EXPECT_EQ(bb.code, kExitOk);
  EXPECT_EQ(bb.results["cases"][0]["verdict"], "SKIP");
  EXPECT_EQ(bb.results["config"]["signing_key"], nullptr);

  // With --signing-key the key is recorded only as «provided».
  const std::string key_path = suite.path() + "/key.pem";
  std::ofstream(key_path) << protocol::PrivateKeyPem(test_support::TestKey());
  o.signing_key_path = key_path;
  o.out_dir = suite.path() + "/out-key";
  const Outcome keyed = Run(o);
  EXPECT_EQ(keyed.results["cases"][0]["verdict"], "PASS");
  EXPECT_EQ(keyed.results["config"]["signing_key"], "«provided»");
}

// The summary table has a row per layer and family with the executed counts.
TEST(SummaryTable, ShowsCountsByLayerAndFamily) {
  const Json doc = Json::parse(R"({
    "target": {"kind": "reference", "registry_url": "http://127.0.0.1:1"}, "profile": "gitlab",
    "run": {"duration_ms": 1500},
    "summary": {"total": 3, "by_verdict": {"PASS": 2, "SKIP": 1},
      "by_layer": {"token-endpoint": {"PASS": 2, "SKIP": 1}},
      "by_family": {"gitlab/job_token": {"PASS": 2, "SKIP": 1}},
      "executed_by_layer": {"token-endpoint": 2}, "executed_by_family": {"gitlab/job_token": 2},
      "unexpected": 0, "stale_baseline": 0, "exit_code": 0}})");
  const std::string t = SummaryTable(doc, "reports/out/x");
  EXPECT_NE(t.find("3 cases (2 executed, 1 skipped) in 1.5 s"), std::string::npos) << t;
  EXPECT_NE(t.find("gitlab/job_token"), std::string::npos);
  EXPECT_NE(t.find("reports: reports/out/x/"), std::string::npos);
  EXPECT_NE(t.find("exit code 0: every case as expected"), std::string::npos);
}

}  // namespace
}  // namespace regauth::harness
