#include "harness/report/replay.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "harness/execute/executor.h"
#include "harness/execute/runner_test_support.h"
#include "harness/report/results_json.h"
#include "reports/output.h"

namespace regauth::harness {
namespace {

using test_support::DefaultWorld;
using test_support::FakeGitlab;
using test_support::MakeCase;
using test_support::ShippedProfile;
using test_support::TestRun;
using Json = nlohmann::json;

// Shell quoting keeps every byte; printf formats reproduce bodies exactly.
TEST(ShellQuote, QuotesEveryByte) {
  struct Row {
    const char* label;
    std::string in;
    const char* out;
  };
  const Row rows[] = {
      {"plain", "abc", "'abc'"},
      {"quote", "it's", R"('it'\''s')"},
      {"dollar", "$HOME `x`", "'$HOME `x`'"},
      {"empty", "", "''"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    EXPECT_EQ(ShellQuote(row.in), row.out);
  }
  EXPECT_EQ(PrintfFormat("a%b\\c\n\x01\xff"), "a%%b\\\\c\\012\\001\\377");
}

// A recorded case becomes a script that, run with the secret in REGAUTH_SECRET_1, sends the same
// requests: Basic with the real secret, then the token captured from the response as Bearer.
class ReplayTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { net::InitHttpClientLibrary(); }

  Json RecordedRun(const Json& case_json) {
    case_ = MakeCase(case_json);
    ExecutedCase e = ExecuteCase(case_, run_.ctx, ShippedProfile("gitlab"), false, nullptr);
    RunRecord record;
    record.target = &run_.info;
    record.profile = "gitlab";
    const Json doc = BuildResults(record, {e});
    auto dir = net::ScratchDir::Create("regauth-replay-test-");
    EXPECT_TRUE(dir.has_value());
    dir_ = std::move(*dir);
    EXPECT_TRUE(reports::WriteRunReports(doc, dir_->path()).has_value());
    auto loaded = LoadResults(dir_->path());
    EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error());
    return loaded ? *loaded : Json();
  }

  net::ProcessResult RunScript(const std::string& script,
                               std::vector<std::pair<std::string, std::string>> env) {
    const std::string path = dir_->path() + "/replay.sh";
    std::ofstream(path) << script;
    net::ProcessSpec spec;
    spec.argv = {"sh", path};
    spec.env_set = std::move(env);
    spec.env_deny = {"REGAUTH_SECRET_*", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"};
    spec.timeout = std::chrono::milliseconds(30000);
    auto r = net::RunProcess(spec);
    EXPECT_TRUE(r.has_value());
    return r ? *r : net::ProcessResult{};
  }

  FakeGitlab fake_;
  TestRun run_{fake_.Info()};
  Case case_;
  std::unique_ptr<net::ScratchDir> dir_;
};

const Json kTokenThenPull = {
    {"id", "registry/replay/pull"},
    {"title", "t"},
    {"layer", "registry"},
    {"steps",
     Json::array(
         {{{"step", "token_request"},
           {"credential", "dana-pat-read-registry"},
           {"scopes", {"repository:acme/app:pull"}},
           {"save_as", "t"}},
          {{"step", "registry_request"}, {"path", "/v2/acme/app/tags/list"}, {"token", "t"}}})},
    {"expect", {{"status", {200}}}}};

TEST_F(ReplayTest, ScriptReproducesTheExchangesWithoutSecrets) {
  const Json doc = RecordedRun(kTokenThenPull);
  auto script = RenderReplay(doc, "registry/replay/pull", {});
  ASSERT_TRUE(script.has_value()) << script.error();
  const std::string secret = "glpat-dana-read-registry";
  EXPECT_EQ(script->find(secret), std::string::npos);
  EXPECT_NE(script->find("REGAUTH_SECRET_1:?set it to the secret of world credential "
                         "dana-pat-read-registry"),
            std::string::npos)
      << *script;
  EXPECT_NE(script->find("TOKEN_1=$("), std::string::npos) << *script;
  EXPECT_NE(script->find("Bearer '\"$TOKEN_1\""), std::string::npos) << *script;

  const auto before = fake_.requests().size();
  const net::ProcessResult r = RunScript(*script, {{"REGAUTH_SECRET_1", secret}});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  const auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), before + 2) << r.stderr_text;
  EXPECT_EQ(reqs[before].target, reqs[0].target);
  EXPECT_EQ(reqs[before].authorization, reqs[0].authorization);  // same Basic credential
  EXPECT_EQ(reqs[before + 1].target, "/v2/acme/app/tags/list");
  EXPECT_EQ(reqs[before + 1].authorization.rfind("Bearer eyJ", 0), 0u);
  EXPECT_NE(r.stdout_text.find("\"tags\""), std::string::npos);  // the pull was authorised
}

// The script needs POSIX sh and curl, sed, od, tr, base64 and the basic utilities — no python3
// (README: a POSIX shell script) — and never writes through /dev/stderr, which a redirected
// stderr file lost to truncation: run as `sh replay.sh >out 2>&1`, every response survives
// (issue 9, item 11). The first request URL-encodes a secret (a password with '!'), the second
// captures a token from its response, the third uses it.
TEST_F(ReplayTest, ScriptNeedsOnlyPosixToolsAndKeepsEveryResponse) {
  Json c = kTokenThenPull;
  c["steps"].insert(c["steps"].begin(),
                    Json{{"step", "token_request"},
                         {"scopes", {"repository:acme/app:pull"}},
                         {"query", {{"password", "${cred:dana-developer-password.secret}"}}}});
  const Json doc = RecordedRun(c);
  const auto recorded = fake_.requests();
  ASSERT_EQ(recorded.size(), 3u);
  ASSERT_NE(recorded[0].target.find("password=dana-developer-Passw0rd%21"), std::string::npos);
  auto script = RenderReplay(doc, "registry/replay/pull", {});
  ASSERT_TRUE(script.has_value()) << script.error();
  EXPECT_EQ(script->find("python"), std::string::npos) << *script;
  EXPECT_EQ(script->find("/dev/stderr"), std::string::npos) << *script;

  // A PATH holding only the tools the script may use.
  const std::string bin = dir_->path() + "/bin";
  std::filesystem::create_directory(bin);
  for (const char* tool :
       {"sh", "curl", "sed", "od", "tr", "cat", "head", "mkdir", "rm", "base64"}) {
    auto path = net::FindExecutable(tool);
    ASSERT_TRUE(path.has_value()) << tool;
    std::filesystem::create_symlink(*path, bin + "/" + tool);
  }
  const std::string path = dir_->path() + "/replay.sh";
  const std::string out = dir_->path() + "/out.txt";
  std::ofstream(path) << *script;
  net::ProcessSpec spec;
  spec.argv = {bin + "/sh", "-c", "sh \"$0\" >\"$1\" 2>&1", path, out};
  spec.env_deny = {"REGAUTH_SECRET_*", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"};
  spec.env_set = {{"PATH", bin},
                  {"REGAUTH_SECRET_1", "dana-developer-Passw0rd!"},
                  {"REGAUTH_SECRET_2", "glpat-dana-read-registry"}};
  auto r = net::RunProcess(spec);
  ASSERT_TRUE(r.has_value());
  std::ifstream in(out);
  const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(r->exit_code, 0) << output << *script;
  const auto replayed = fake_.requests();
  ASSERT_EQ(replayed.size(), 6u) << output;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(replayed[3 + i].target, recorded[i].target) << i;
    if (i < 2) {
      EXPECT_EQ(replayed[3 + i].authorization, recorded[i].authorization) << i;
    }
  }
  EXPECT_EQ(replayed[5].authorization.rfind("Bearer eyJ", 0), 0u) << output;
  // Every response, headers and body, is in the redirected output.
  std::size_t status_lines = 0;
  for (std::size_t p = output.find("HTTP/1.1 "); p != std::string::npos;
       p = output.find("HTTP/1.1 ", p + 1)) {
    ++status_lines;
  }
  EXPECT_EQ(status_lines, 3u) << output;
  EXPECT_NE(output.find("\"tags\""), std::string::npos) << output;
}

// --show-secrets writes the world's secret (mutations applied) into the script instead.
TEST_F(ReplayTest, ShowSecretsResolvesWorldCredentials) {
  Json c = kTokenThenPull;
  c["steps"][0]["credential"] = "dana-developer-password";
  c["steps"][0]["mutate"] = "wrong_secret";
  const Json doc = RecordedRun(c);
  ReplayOptions o;
  o.show_secrets = true;
  auto without_world = RenderReplay(doc, "registry/replay/pull", o);
  EXPECT_FALSE(without_world.has_value());
  o.world = &DefaultWorld();
  auto script = RenderReplay(doc, "registry/replay/pull", o);
  ASSERT_TRUE(script.has_value()) << script.error();
  EXPECT_NE(script->find("WARNING"), std::string::npos);
  const net::ProcessResult r = RunScript(*script, {});
  const auto reqs = fake_.requests();
  ASSERT_GE(reqs.size(), 2u);
  EXPECT_EQ(reqs.back().authorization, reqs.front().authorization) << r.stderr_text;

  // Without --show-secrets, the wrong_secret mutation is rebuilt in shell from the variable.
  auto plain = RenderReplay(doc, "registry/replay/pull", {});
  ASSERT_TRUE(plain.has_value());
  EXPECT_NE(plain->find("regauth_wrong"), std::string::npos);
  const auto before = fake_.requests().size();
  RunScript(*plain, {{"REGAUTH_SECRET_1", "dana-developer-Passw0rd!"}});
  const auto after = fake_.requests();
  ASSERT_GT(after.size(), before);
  EXPECT_EQ(after[before].authorization, reqs.front().authorization);
}

// A forged token is no secret of the target: results.json holds it whole — an alg-none token
// too, which used to become one «redacted» — and the script sends exactly the bytes the run sent,
// needing nothing from the user (issue 9, item 2).
TEST_F(ReplayTest, ForgedTokensAreRecordedWholeAndSentAgain) {
  const Json doc = RecordedRun(
      {{"id", "registry/replay/forged"},
       {"title", "t"},
       {"layer", "registry"},
       {"steps",
        Json::array({{{"step", "forge_token"}, {"claims", {{"sub", "x"}}}, {"save_as", "signed"}},
                     {{"step", "forge_token"},
                      {"sign_with", "none"},
                      {"header", {{"alg", "none"}, {"typ", "JWT"}}},
                      {"claims", {{"sub", "y"}}},
                      {"save_as", "none"}},
                     {{"step", "registry_request"}, {"path", "/v2/"}, {"token", "signed"}},
                     {{"step", "registry_request"}, {"path", "/v2/"}, {"token", "none"}}})},
       {"expect", {{"status", {200}}}}});
  const auto sent = fake_.requests();
  ASSERT_GE(sent.size(), 2u);
  const std::string signed_auth = sent[sent.size() - 2].authorization;
  const std::string none_auth = sent.back().authorization;
  ASSERT_EQ(none_auth.back(), '.');  // header.payload. with an empty signature
  const std::string recorded = doc.dump();
  EXPECT_NE(recorded.find(signed_auth), std::string::npos) << recorded;
  EXPECT_NE(recorded.find(none_auth), std::string::npos) << recorded;

  auto script = RenderReplay(doc, "registry/replay/forged", {});
  ASSERT_TRUE(script.has_value()) << script.error();
  EXPECT_EQ(script->find("TOKEN_1:?"), std::string::npos) << *script;  // nothing to supply
  const auto before = fake_.requests().size();
  const net::ProcessResult r = RunScript(*script, {});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text << *script;
  const auto replayed = fake_.requests();
  ASSERT_EQ(replayed.size(), before + 2) << r.stderr_text;
  EXPECT_EQ(replayed[before].authorization, signed_auth);
  EXPECT_EQ(replayed[before + 1].authorization, none_auth);
}

// Text from results.json never reaches the script unquoted: a title with a newline, a credential
// id or a header with shell syntax stay inert when the script runs.
TEST_F(ReplayTest, HostileResultsStayInert) {
  auto dir = net::ScratchDir::Create("regauth-replay-hostile-");
  ASSERT_TRUE(dir.has_value());
  dir_ = std::move(*dir);
  const std::string marker = dir_->path() + "/pwned";
  const std::string payload = "x\ntouch " + marker + "\n$(touch " + marker + ")`touch " + marker +
                              "`'\"; touch " + marker + "; #";
  Json doc = {
      {"target", {{"kind", "black-box"}, {"registry_url", payload}}},
      {"cases",
       Json::array(
           {{{"id", "x"},
             {"title", payload},
             {"verdict", payload},
             {"exchanges",
              Json::array(
                  {{{"step", payload},
                    {"request",
                     {{"method", payload},
                      {"url", "http://127.0.0.1:1/" + payload},
                      {"headers",
                       Json::array(
                           {Json::array({"Authorization", "Basic «redacted user=" + payload + "»"}),
                            Json::array({"X-" + payload, payload})})},
                      {"body", payload + "«redacted»"}}},
                    {"credentials", Json::array({{{"id", payload}, {"username", payload}}})},
                    {"error", payload}}})},
             {"tools", Json::array({{{"argv", Json::array({payload})}}})}}})}};
  auto script = RenderReplay(doc, "x", {});
  ASSERT_TRUE(script.has_value()) << script.error();
  RunScript(*script, {{"REGAUTH_SECRET_1", payload}});
  EXPECT_FALSE(std::filesystem::exists(marker)) << *script;
}

// Unknown ids and unreadable results are errors.
TEST(Replay, Errors) {
  EXPECT_FALSE(RenderReplay(Json{{"cases", Json::array()}}, "x", {}).has_value());
  EXPECT_FALSE(LoadResults("/nonexistent/dir").has_value());
}

}  // namespace
}  // namespace regauth::harness
