#include "reference_server/scenarios/hostile_stage.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "net/http_client.h"
#include "protocol/credentials.h"
#include "protocol/test_support.h"
#include "protocol/token_response.h"

namespace regauth::server::scenarios {
namespace {

// TempDir: a fresh directory, removed at the end (protocol/test_support.h).
class TempDir : public testing_support::TempDir {
 public:
  TempDir() : testing_support::TempDir("regauth-stage-test-") {}
};

std::unique_ptr<HostileStage> StartStage(std::string_view name, const TempDir& dir) {
  const Scenario* s = FindScenario(name);
  EXPECT_NE(s, nullptr) << name;
  if (s == nullptr) return nullptr;
  StageOptions o;
  o.scratch_dir = dir.path();
  o.slow_delay = std::chrono::milliseconds(100);
  auto stage = HostileStage::Start(*s, o);
  EXPECT_TRUE(stage) << (stage ? "" : stage.error());
  return stage ? std::move(*stage) : nullptr;
}

std::string Basic(const HostileStage& stage) {
  return *protocol::SerializeBasic(stage.username(), stage.password());
}

// A client that does the token flow by hand: ping, token with Basic, then `path` with Bearer.
std::string TokenFor(net::HttpClient& c, const HostileStage& stage) {
  auto t = c.Send({"GET",
                   stage.url(Role::kRealm) + "/token?service=hostile-registry",
                   {{"Authorization", Basic(stage)}},
                   ""});
  EXPECT_TRUE(t);
  EXPECT_EQ(t->status, 200);
  auto parsed = protocol::ParseTokenResponse(t->body, protocol::TokenResponseForm::kGet);
  EXPECT_TRUE(parsed);
  return parsed ? parsed->EffectiveToken() : "";
}

std::string Verdict(const HostileStage& stage, int exit_code = 0) {
  ClientResult r;
  r.known = true;
  r.exit_code = exit_code;
  return VerdictOf(stage.Judge(r));
}

// Every scenario is fully described and starts and stops on loopback.
TEST(ScenarioCatalog, EveryScenarioIsDescribedAndStarts) {
  std::set<std::string> names;
  for (const Scenario& s : AllScenarios()) {
    EXPECT_TRUE(names.insert(s.name).second) << "duplicate " << s.name;
    EXPECT_FALSE(s.title.empty()) << s.name;
    EXPECT_FALSE(s.safe.empty()) << s.name;
    EXPECT_FALSE(s.source.empty()) << s.name;
    EXPECT_TRUE(s.operation == "login" || s.operation == "pull") << s.name;
    TempDir dir;
    auto stage = StartStage(s.name, dir);
    ASSERT_NE(stage, nullptr);
    EXPECT_TRUE(stage->registry_url().starts_with(s.setup.registry_tls ? "https://127.0.0.1:"
                                                                       : "http://127.0.0.1:"));
  }
  EXPECT_GE(names.size(), 20u);
}

// The well-behaved stage serves a whole pull to a client that follows the token flow, and the
// judge calls that safe.
TEST(HostileStage, BaselinePullIsServedAndSafe) {
  TempDir dir;
  auto stage = StartStage("baseline-pull", dir);
  ASSERT_NE(stage, nullptr);
  net::HttpClient c;
  auto ping = c.Send({"GET", stage->registry_url() + "/v2/", {}, ""});
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 401);
  EXPECT_NE(std::string(*ping->Header("WWW-Authenticate")).find(stage->url(Role::kRealm)),
            std::string::npos);
  const std::string token = TokenFor(c, *stage);
  auto m = c.Send({"GET",
                   stage->registry_url() + "/v2/acme/app/manifests/latest",
                   {{"Authorization", "Bearer " + token}},
                   ""});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  const std::string digest = std::string(*m->Header("Docker-Content-Digest"));
  auto b = c.Send({"GET",
                   stage->registry_url() + "/v2/acme/app/blobs/" +
                       std::string(m->body.substr(m->body.find("sha256:"), 71)),
                   {{"Authorization", "Bearer " + token}},
                   ""});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  EXPECT_EQ(Verdict(*stage), "PASS");
  EXPECT_FALSE(digest.empty());
}

// The recording never holds the password or a token, only their descriptions.
TEST(HostileStage, RecordingRedactsEverySecret) {
  TempDir dir;
  auto stage = StartStage("baseline-login", dir);
  ASSERT_NE(stage, nullptr);
  net::HttpClient c;
  const std::string token = TokenFor(c, *stage);
  ASSERT_TRUE(c.Send({"GET",
                      stage->registry_url() + "/v2/?p=" + stage->password(),
                      {{"Authorization", "Bearer " + token}},
                      ""}));
  bool described = false;
  for (const Hit& h : stage->Hits()) {
    std::string all = h.target + h.body + h.response_body + h.credential;
    for (const auto& [k, v] : h.headers) all += k + v;
    for (const auto& [k, v] : h.response_headers) all += k + v;
    EXPECT_EQ(all.find(stage->password()), std::string::npos) << all;
    EXPECT_EQ(all.find(token), std::string::npos) << all;
    described = described || h.credential.find("the registry password") != std::string::npos;
  }
  EXPECT_TRUE(described);
  EXPECT_EQ(stage->Redact("x" + token + "y").find(token), std::string::npos);
}

// ContainerDrip: the registry's Basic credentials sent to the realm the redirect target named
// make the verdict FAIL; asking that realm anonymously is safe.
TEST(HostileStage, ContainerDripCatchesCredentialsSentToTheForeignRealm) {
  for (const bool leak : {false, true}) {
    TempDir dir;
    auto stage = StartStage("containerdrip-blob-redirect", dir);
    ASSERT_NE(stage, nullptr);
    net::HttpClient c;
    const std::string token = TokenFor(c, *stage);
    auto m = c.Send({"GET",
                     stage->registry_url() + "/v2/acme/app/manifests/latest",
                     {{"Authorization", "Bearer " + token}},
                     ""});
    ASSERT_TRUE(m);
    const std::string digest = std::string(m->body.substr(m->body.find("sha256:"), 71));
    auto b = c.Send({"GET",
                     stage->registry_url() + "/v2/acme/app/blobs/" + digest,
                     {{"Authorization", "Bearer " + token}},
                     ""});
    ASSERT_TRUE(b);
    ASSERT_EQ(b->status, 307);
    const std::string location(*b->Header("Location"));
    auto challenged = c.Send({"GET", location, {}, ""});
    ASSERT_TRUE(challenged);
    EXPECT_EQ(challenged->status, 401);
    std::vector<std::pair<std::string, std::string>> headers;
    if (leak) headers.emplace_back("Authorization", Basic(*stage));
    ASSERT_TRUE(c.Send({"GET", stage->url(Role::kOtherHost) + "/token", headers, ""}));
    EXPECT_EQ(Verdict(*stage), leak ? "FAIL" : "PASS") << (leak ? "leak" : "no leak");
  }
}

// A bearer token carried across the blob redirect to another port is a FAIL (RFC 6454: the port
// is part of the origin).
TEST(HostileStage, TokenCarriedToAnotherPortFails) {
  TempDir dir;
  auto stage = StartStage("redirect-blob-other-port", dir);
  ASSERT_NE(stage, nullptr);
  net::HttpClient c;
  const std::string token = TokenFor(c, *stage);
  ASSERT_TRUE(c.Send({"GET",
                      stage->url(Role::kOtherPort) + "/v2/acme/app/blobs/sha256:x",
                      {{"Authorization", "Bearer " + token}},
                      ""}));
  EXPECT_EQ(Verdict(*stage), "FAIL");
}

// The https registry with an http realm: the password over plain http is a FAIL.
TEST(HostileStage, PasswordInClearBehindHttpsFails) {
  TempDir dir;
  auto stage = StartStage("https-registry-http-realm", dir);
  ASSERT_NE(stage, nullptr);
  ASSERT_FALSE(stage->ca_file().empty());
  net::ClientOptions o;
  o.ca_file = stage->ca_file();
  net::HttpClient c(o);
  auto ping = c.Send({"GET", stage->registry_url() + "/v2/", {}, ""});
  ASSERT_TRUE(ping) << ping.error().message;
  EXPECT_EQ(ping->status, 401);
  EXPECT_NE(std::string(*ping->Header("WWW-Authenticate")).find("realm=\"http://"),
            std::string::npos);
  EXPECT_EQ(Verdict(*stage), "PASS");  // nothing sent yet
  TokenFor(c, *stage);
  EXPECT_EQ(Verdict(*stage), "FAIL");
}

// A /v2/ that never asks: a client reporting success is INFORMATIONAL (moby/moby#50896), one
// that reports failure PASS.
TEST(HostileStage, OpenV2JudgesTheClaimOfSuccess) {
  TempDir dir;
  auto stage = StartStage("v2-open-without-credentials", dir);
  ASSERT_NE(stage, nullptr);
  net::HttpClient c;
  auto ping = c.Send({"GET", stage->registry_url() + "/v2/", {}, ""});
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 200);
  EXPECT_EQ(Verdict(*stage, 0), "INFORMATIONAL");
  EXPECT_EQ(Verdict(*stage, 1), "PASS");
}

// The 10 MB token is served whole; a request carrying it is refused by the HTTP adapter and still
// recorded.
TEST(HostileStage, TenMegabyteTokenIsServedAndItsReturnRecorded) {
  TempDir dir;
  auto stage = StartStage("token-10mb", dir);
  ASSERT_NE(stage, nullptr);
  net::ClientOptions o;
  o.max_response_bytes = 32 << 20;
  net::HttpClient c(o);
  auto t = c.Send({"GET",
                   stage->url(Role::kRealm) + "/token?service=hostile-registry",
                   {{"Authorization", Basic(*stage)}},
                   ""});
  ASSERT_TRUE(t);
  ASSERT_EQ(t->status, 200);
  // Over the token-response parser's JSON limit on purpose; read it with nlohmann.
  EXPECT_FALSE(protocol::ParseTokenResponse(t->body, protocol::TokenResponseForm::kGet));
  const std::string token = nlohmann::json::parse(t->body)["token"].get<std::string>();
  EXPECT_GE(token.size(), 10u * 1024 * 1024);
  // libcurl refuses to send a 10 MB header ("out of memory"); a client that does send it gets
  // the adapter's 431, which the recording keeps.
  auto r =
      c.Send({"GET", stage->registry_url() + "/v2/", {{"Authorization", "Bearer " + token}}, ""});
  if (!r) return;
  EXPECT_EQ(r->status, 431);
  // The adapter logs its answer once written, which may be just after the client has read it.
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    for (const Hit& h : stage->Hits()) refused = refused || h.status == 431;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(refused);
}

}  // namespace
}  // namespace regauth::server::scenarios
