// findings_test.cc — a finding becomes a regression case the loader accepts, or says why not,
// and its reproducer never carries a world secret.
#include "harness/netfuzz/findings.h"

#include <gtest/gtest.h>

#include "harness/suite/case_loader.h"

namespace regauth::harness::netfuzz {
namespace {

Finding ForgedFinding() {
  Finding f;
  f.id = "F001";
  f.violation = {"token-verifier",
                 "the registry answered 200 with a token the reference "
                 "verifier rejects (alg_not_allowed)"};
  f.seed_id = "registry/tags";
  f.request.family = Family::kRegistry;
  f.request.base = "http://127.0.0.1:1";
  f.request.path = "/v2/netfuzz/a/tags/list";
  f.request.repo = "netfuzz/a";
  f.request.route = "tags";
  f.request.auth = AuthKind::kForged;
  f.request.forge.header = nlohmann::json{{"alg", "none"}, {"typ", "JWT"}};
  f.request.forge.sign_with = "none";
  f.request.forge.signature = "empty";
  f.mutations = {{"alg_none", 3}};
  f.wire.http.method = "GET";
  f.wire.http.url = "http://127.0.0.1:1/v2/netfuzz/a/tags/list";
  f.wire.http.headers = {{"Authorization", "Bearer eyJhbGciOiJub25lIn0.e30."}};
  return f;
}

// The case loads with the suite's own loader: forge_token, then the request, expecting 401.
TEST(NetfuzzFindings, ForgedTokenFindingBecomesALoadableCase) {
  std::string why;
  auto c = RegressionCase(ForgedFinding(), &why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ((*c)["id"], "netfuzz/token-verifier/F001");
  ASSERT_EQ((*c)["steps"].size(), 2u);
  EXPECT_EQ((*c)["steps"][0]["step"], "forge_token");
  EXPECT_EQ((*c)["steps"][1]["token"], "t");
  EXPECT_EQ((*c)["expect"]["status"], nlohmann::json({401}));
  auto loaded = CaseFromJson(*c, "netfuzz-findings.json", "/cases/0");
  EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
}

TEST(NetfuzzFindings, RawAndDamagedTokensHaveNoCase) {
  std::string why;
  Finding raw = ForgedFinding();
  raw.request.family = Family::kRaw;
  EXPECT_FALSE(RegressionCase(raw, &why));
  EXPECT_NE(why.find("raw"), std::string::npos);
  Finding edited = ForgedFinding();
  edited.request.token_edits = {"extra_segment"};
  EXPECT_FALSE(RegressionCase(edited, &why));
  EXPECT_NE(why.find("forge_token cannot state"), std::string::npos);
}

TEST(NetfuzzFindings, ReproducerRedactsWorldSecrets) {
  Finding f = ForgedFinding();
  f.request.family = Family::kToken;
  f.wire.http.url = "http://127.0.0.1:1/jwt/auth?service=container_registry";
  f.wire.http.headers = {{"Authorization", "Basic YWxpY2U6c2VjcmV0LXBhc3N3b3JkLTEyMw=="}};
  Redactor redactor;
  redactor.AddBasicCredential("alice", "secret-password-123");
  const std::string script = CurlReproducer(f, redactor);
  EXPECT_EQ(script.find("YWxpY2U6c2VjcmV0LXBhc3N3b3JkLTEyMw"), std::string::npos);
  EXPECT_NE(script.find("curl -sS -i --path-as-is"), std::string::npos);
  EXPECT_NE(script.find("redacted"), std::string::npos);
}

}  // namespace
}  // namespace regauth::harness::netfuzz
