// mutators_test.cc — netfuzz's mutations edit what they name, and the plan is a function of the
// seed (issue 11: "deterministic by --seed").
#include "harness/netfuzz/mutators.h"

#include <gtest/gtest.h>

#include "harness/netfuzz/netfuzz.h"
#include "protocol/base64.h"

namespace regauth::harness::netfuzz {
namespace {

MutationEnv Env() {
  MutationEnv e;
  e.usernames = {"alice", "bob"};
  e.other_basic = {{"alice", "alice-secret-0001"}, {"bob", "bob-secret-00002"}};
  e.projects = {"acme/app", "acme/lib"};
  e.service = "container_registry";
  e.issuer = "gitlab-issuer";
  e.repo_a = "netfuzz/a";
  e.repo_b = "netfuzz/b";
  return e;
}

FuzzRequest TokenSeed() {
  FuzzRequest r;
  r.family = Family::kToken;
  r.base = "http://127.0.0.1:1";
  r.path = "/jwt/auth";
  r.query = {{"service", "container_registry"}, {"scope", "repository:acme/app:pull"}};
  r.auth = AuthKind::kBasic;
  r.credential_id = "alice-pat";
  r.basic_user = "alice";
  r.basic_password = "alice-secret-0001";
  return r;
}

FuzzRequest RegistrySeed() {
  FuzzRequest r;
  r.family = Family::kRegistry;
  r.base = "http://127.0.0.1:2";
  r.path = "/v2/netfuzz/a/tags/list";
  r.repo = "netfuzz/a";
  r.route = "tags";
  r.auth = AuthKind::kForged;
  r.forge.header = nlohmann::json{{"alg", "RS256"}, {"kid", "${signing_kid}"}, {"typ", "JWT"}};
  r.forge.claims = nlohmann::json{
      {"aud", "${service}"},
      {"iss", "${issuer}"},
      {"exp", "${now+300}"},
      {"access", {{{"type", "repository"}, {"name", "netfuzz/a"}, {"actions", {"pull", "push"}}}}}};
  return r;
}

std::vector<Seed> Seeds() {
  FuzzRequest raw = RegistrySeed();
  raw.family = Family::kRaw;
  return {{"token/alice", TokenSeed()}, {"registry/tags", RegistrySeed()}, {"raw/tags", raw}};
}

// Same seed, same plan; another seed, another plan (past the sweep).
TEST(NetfuzzPlanner, SameSeedGivesTheSameRequestSequence) {
  const std::vector<Seed> seeds = Seeds();
  const MutationEnv env = Env();
  Planner a(seeds, env, 42), b(seeds, env, 42), c(seeds, env, 43);
  bool differs = false;
  for (int i = 0; i < 3000; ++i) {
    FuzzRequest ra, rb, rc;
    const PlannedRequest pa = a.Next(&ra), pb = b.Next(&rb), pc = c.Next(&rc);
    ASSERT_EQ(pa, pb) << "request " << i;
    ASSERT_EQ(Target(ra), Target(rb));
    ASSERT_EQ(ra.auth_edits, rb.auth_edits);
    ASSERT_EQ(ra.token_edits, rb.token_edits);
    ASSERT_EQ(ra.raw_edits, rb.raw_edits);
    ASSERT_EQ(ra.forge, rb.forge);
    if (!(pa == pc)) differs = true;
  }
  EXPECT_TRUE(differs);
}

// The sweep sends every seed as is first, then every mutation of each family.
TEST(NetfuzzPlanner, SweepStartsWithTheSeedsThenEveryMutation) {
  const std::vector<Seed> seeds = Seeds();
  const MutationEnv env = Env();
  Planner p(seeds, env, 1);
  std::set<std::string> names;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    FuzzRequest r;
    const PlannedRequest planned = p.Next(&r);
    EXPECT_EQ(planned.seed, i);
    EXPECT_TRUE(planned.mutations.empty());
  }
  for (int i = 0; i < 400; ++i) {
    FuzzRequest r;
    for (const Mutation& m : p.Next(&r).mutations) names.insert(m.name);
  }
  for (const char* n : {"alg_none", "jwk_inject", "access_drop_pull", "cl_te", "obs_fold",
                        "scope_newline", "basic_nul_user", "widen_under_old_signature"}) {
    EXPECT_TRUE(names.contains(n)) << n;
  }
}

TEST(NetfuzzMutators, ScopeInjectionEditsTheScopeParameter) {
  FuzzRequest r = TokenSeed();
  ASSERT_TRUE(Apply({"scope_newline", 1}, Env(), r));
  EXPECT_EQ(r.query[1].second, "repository:acme/app:pull\nrepository:acme/lib:push,delete");
  EXPECT_NE(Target(r).find("%0Arepository%3Aacme%2Flib"), std::string::npos);
  FuzzRequest plugin = TokenSeed();
  ASSERT_TRUE(Apply({"scope_plugin", 0}, Env(), plugin));
  EXPECT_EQ(plugin.query[1].second, "repository(plugin):acme/app:pull");
  FuzzRequest many = TokenSeed();
  ASSERT_TRUE(Apply({"scope_repeat_10000", 0}, Env(), many));
  EXPECT_EQ(many.query[1].second.size(),
            10000 * std::string("repository:acme/app:pull").size() + 9999);
}

TEST(NetfuzzMutators, BasicEdgeCasesReachTheWire) {
  FuzzRequest r = TokenSeed();
  ASSERT_TRUE(Apply({"basic_no_colon", 0}, Env(), r));
  auto wire = Render(r, {});
  ASSERT_TRUE(wire);
  auto decoded = protocol::Base64Decode(wire->authorization.substr(6));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, "alicealice-secret-0001");
  FuzzRequest nul = TokenSeed();
  ASSERT_TRUE(Apply({"basic_nul_user", 0}, Env(), nul));
  EXPECT_EQ(*protocol::Base64Decode(Render(nul, {})->authorization.substr(6)),
            std::string("alice\0:alice-secret-0001", 24));
  FuzzRequest spaced = TokenSeed();
  ASSERT_TRUE(Apply({"double_space", 0}, Env(), spaced));
  EXPECT_TRUE(Render(spaced, {})->authorization.starts_with("Basic  "));
}

TEST(NetfuzzMutators, JwtSurgeryEditsTheForgeStep) {
  FuzzRequest r = RegistrySeed();
  ASSERT_TRUE(Apply({"alg_none", 0}, Env(), r));
  EXPECT_EQ((*r.forge.header)["alg"], "none");
  EXPECT_EQ(r.forge.sign_with, "none");
  FuzzRequest jwk = RegistrySeed();
  ASSERT_TRUE(Apply({"jwk_inject", 0}, Env(), jwk));
  EXPECT_EQ((*jwk.forge.header)["jwk"], "${attacker_jwk}");
  EXPECT_EQ(jwk.forge.sign_with, "attacker_key");
  FuzzRequest narrowed = RegistrySeed();
  ASSERT_TRUE(Apply({"access_drop_pull", 0}, Env(), narrowed));
  EXPECT_EQ((*narrowed.forge.claims)["access"][0]["actions"], nlohmann::json({"push"}));
  FuzzRequest dup = RegistrySeed();
  ASSERT_TRUE(Apply({"dup_header_alg_none_last", 0}, Env(), dup));
  ASSERT_TRUE(dup.forge.header_text);
  EXPECT_TRUE(dup.forge.header_text->ends_with("\"alg\":\"none\"}"));
  // JWT surgery needs a forged token; Basic edits need Basic credentials.
  FuzzRequest token = TokenSeed();
  EXPECT_FALSE(Apply({"alg_none", 0}, Env(), token));
  FuzzRequest registry = RegistrySeed();
  EXPECT_FALSE(Apply({"basic_nul_user", 0}, Env(), registry));
}

TEST(NetfuzzMutators, TokenEditsDamageTheFinishedToken) {
  EXPECT_EQ(ApplyTokenEdit("aaa.bbb.ccc", "drop_signature_segment"), "aaa.bbb");
  EXPECT_EQ(ApplyTokenEdit("aaa.bbb.ccc", "extra_segment"), "aaa.bbb.ccc.e30");
  EXPECT_EQ(ApplyTokenEdit("aaa.bbb.ccc", "swap_claims:{}"), "aaa.e30.ccc");
}

TEST(NetfuzzMutators, RawEditsDamageTheRequestBytes) {
  const std::string base = "GET /v2/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(ApplyRawEdit(base, "bare_lf"), "GET /v2/ HTTP/1.1\nHost: h\nConnection: close\n\n");
  EXPECT_NE(ApplyRawEdit(base, "cl_te").find("Content-Length: 4\r\nTransfer-Encoding: chunked"),
            std::string::npos);
  EXPECT_NE(ApplyRawEdit(base, "obs_fold").find("X-Folded: a\r\n b\r\n\r\n"), std::string::npos);
  EXPECT_NE(ApplyRawEdit(base, "hundred_headers").find("X-Netfuzz-99: v"), std::string::npos);
  EXPECT_TRUE(ApplyRawEdit(base, "lowercase_method").starts_with("get /v2/ HTTP/1.1\r\n"));
  EXPECT_TRUE(ApplyRawEdit(base, "leading_crlf").starts_with("\r\n\r\nGET"));
}

}  // namespace
}  // namespace regauth::harness::netfuzz
