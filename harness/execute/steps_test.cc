#include "harness/execute/steps.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "harness/execute/runner_test_support.h"
#include "harness/testing/steps.h"
#include "protocol/base64.h"

namespace regauth::harness {
namespace {

using test_support::DefaultWorld;
using test_support::FakeGitlab;
using test_support::kNow;
using test_support::TestKey;
using test_support::TestRun;
using Json = nlohmann::json;

using test_support::MakeStep;

// Query parameters are encoded as Go's url.QueryEscape, which docker and skopeo use.
TEST(QueryEscape, MatchesGoQueryEscape) {
  struct Row {
    const char* label;
    const char* in;
    const char* out;
  };
  const Row rows[] = {
      {"unreserved", "aZ09-_.~", "aZ09-_.~"},
      {"scope", "repository:acme/app:pull,push", "repository%3Aacme%2Fapp%3Apull%2Cpush"},
      {"space", "a b", "a+b"},
      {"plus and percent", "+%", "%2B%25"},
      {"utf-8", "\xc3\xa9", "%C3%A9"},
      {"empty", "", ""},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    EXPECT_EQ(QueryEscape(row.in), row.out);
  }
}

// GitLab's IP ban is 403 text/plain, distinct from its 403 DENIED JSON (token-auth.md §9).
TEST(IsIpBanAnswer, DistinguishesBanFromDenied) {
  struct Row {
    const char* label;
    int status;
    const char* content_type;
    const char* body;
    bool ban;
  };
  const Row rows[] = {
      {"rack-attack ban", 403, "text/plain", "Forbidden\n", true},
      {"with charset", 403, "text/plain; charset=utf-8", "Forbidden", true},
      {"case", 403, "Text/Plain", "x", true},
      {"denied json", 403, "application/json", R"({"errors":[]})", false},
      {"json body mislabelled", 403, "text/plain", R"({"errors":[]})", false},
      {"401 text", 401, "text/plain", "nope", false},
      {"html", 403, "text/html", "<p>", false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    EXPECT_EQ(IsIpBanAnswer(row.status, row.content_type, row.body), row.ban);
  }
}

// Every ${…} of cases/README.md resolves from the probe, the world, the clock and saved
// products; an unknown reference is a case bug, a missing product stops the case.
TEST(SubstituteRefs, ResolvesEveryReference) {
  TargetInfo info;
  info.registry_url = "http://127.0.0.1:5000";
  info.registry_host = "127.0.0.1:5000";
  info.realm = "http://127.0.0.1:5001/jwt/auth";
  info.service = "container_registry";
  info.issuer = "gitlab-issuer";
  TestRun run(info);
  run.ctx.tools.oci_layout = "/tmp/layout";
  CaseState state(run.ctx.client_options);
  state.tokens["t"] = "tok";
  state.refresh_tokens["t"] = "ref";
  state.locations["up"] = "http://127.0.0.1:5000/v2/x/blobs/uploads/1";
  state.locations["session"] = "http://127.0.0.1:5000/v2/x/blobs/uploads/u-9?_state=abc%3D&x=1";
  struct Row {
    const char* label;
    const char* in;
    std::string out;
  };
  const Row rows[] = {
      {"registry", "${registry}/v2/", "http://127.0.0.1:5000/v2/"},
      {"host", "${registry_host}", "127.0.0.1:5000"},
      {"realm", "${realm}", "http://127.0.0.1:5001/jwt/auth"},
      {"service+issuer", "${service}|${issuer}", "container_registry|gitlab-issuer"},
      {"now", "${now}", std::to_string(kNow)},
      {"now+", "${now+300}", std::to_string(kNow + 300)},
      {"now-", "${now-61}", std::to_string(kNow - 61)},
      {"cred username", "${cred:dana-pat-read-registry.username}", "dana-developer"},
      {"cred secret", "${cred:dana-pat-read-registry.secret}", "glpat-dana-read-registry"},
      // RFC 7617: base64(user-id ":" password), what a Basic Authorization header carries.
      {"cred basic", "${cred:dana-pat-read-registry.basic}",
       "ZGFuYS1kZXZlbG9wZXI6Z2xwYXQtZGFuYS1yZWFkLXJlZ2lzdHJ5"},
      {"token", "Bearer ${token:t}", "Bearer tok"},
      {"refresh", "${refresh_token:t}", "ref"},
      {"location", "${location:up}", "http://127.0.0.1:5000/v2/x/blobs/uploads/1"},
      {"upload uuid", "/v2/y/blobs/uploads/${upload_uuid:session}", "/v2/y/blobs/uploads/u-9"},
      {"upload uuid, no query", "${upload_uuid:up}", "1"},
      {"location query", "?${location_query:session}", "?_state=abc%3D&x=1"},
      {"location query, none", "[${location_query:up}]", "[]"},
      {"digest", "${digest:layer}", run.image.Blob("layer")->digest},
      {"size", "${size:config}", std::to_string(run.image.Blob("config")->content.size())},
      {"kid", "${signing_kid}", protocol::LibtrustKeyId(TestKey())},
      {"layout", "oci:${oci_layout}:latest", "oci:/tmp/layout:latest"},
      {"repeat", "Bearer ${repeat:3:.}x", "Bearer ...x"},
      {"repeat unit", "${repeat:2:ab:c}", "ab:cab:c"},
      {"literal dollar", "$5 and $x", "$5 and $x"},
      {"none", "plain", "plain"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    auto r = SubstituteRefs(row.in, run.ctx, state);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, row.out);
  }
  struct Bad {
    const char* label;
    const char* in;
    bool stop;
  };
  const Bad bad[] = {
      {"unknown", "${nope}", false},
      {"unterminated", "${registry", false},
      {"no such credential", "${cred:nobody.secret}", false},
      {"bad field", "${cred:dana-pat-read-registry.password}", false},
      {"matrix only", "${project:any}", false},
      {"no such blob", "${digest:nope}", false},
      {"token not saved", "${token:other}", true},
      {"refresh not saved", "${refresh_token:other}", true},
      {"location not saved", "${location:other}", true},
      {"uuid: location not saved", "${upload_uuid:other}", true},
      {"repeat: no count", "${repeat:x:.}", false},
      {"repeat: zero", "${repeat:0:.}", false},
      {"repeat: empty unit", "${repeat:3:}", false},
      {"repeat: over 4 MiB", "${repeat:4194305:.}", false},
      {"repeat: count too long", "${repeat:123456789:.}", false},
      {"query: location not saved", "${location_query:other}", true},
  };
  for (const Bad& row : bad) {
    SCOPED_TRACE(row.label);
    auto r = SubstituteRefs(row.in, run.ctx, state);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().stop, row.stop);
    EXPECT_FALSE(r.error().message.empty());
  }
  std::vector<CredentialUse> used;
  ASSERT_TRUE(SubstituteRefs("${cred:job-101.secret}", run.ctx, state, &used).has_value());
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(used[0].id, "job-101");
}

// wrong_secret changes the last character; wrong_username names nobody (harness/suite/facts.h).
TEST(Mutations, NeverMatchAnotherCredential) {
  const protocol::World& world = DefaultWorld();
  for (const auto& c : world.Credentials()) {
    SCOPED_TRACE(c.id);
    const std::string s = MutatedSecret(c, world);
    EXPECT_NE(s, c.secret);
    EXPECT_EQ(s.size(), c.secret.size());
    EXPECT_EQ(s.substr(0, s.size() - 1), c.secret.substr(0, c.secret.size() - 1));
    EXPECT_EQ(world.FindCredentialBySecret(s), nullptr);
    const std::string u = MutatedUsername(c, world);
    EXPECT_NE(u, c.login_username);
    EXPECT_EQ(world.FindUser(u), nullptr);
  }
}

class StepsAgainstFake : public testing::Test {
 protected:
  static void SetUpTestSuite() { net::InitHttpClientLibrary(); }
  FakeGitlab fake_;
  TestRun run_{fake_.Info()};
  CaseState state_{run_.ctx.client_options};
};

// token_request sends the documented query (service, repeated scopes, extra parameters) with
// Basic credentials, saves the token, and records everything redacted (harness/safety/redact.h).
TEST_F(StepsAgainstFake, TokenRequestBuildsQueryAndRedactsAtCapture) {
  const Step step =
      MakeStep(StepKind::kTokenRequest,
               {{"credential", "dana-pat-read-registry"},
                {"scopes", {"repository:acme/private-enabled:pull", "registry:catalog:*"}},
                {"query", {{"account", "${cred:dana-pat-read-registry.username}"}}}},
               "t");
  StepResult r = RunStep(step, run_.ctx, state_);
  ASSERT_FALSE(r.error || r.skip || r.stop) << r.error.value_or("");
  EXPECT_EQ(r.output.status, 200);
  ASSERT_TRUE(r.output.token.has_value());
  EXPECT_EQ(state_.tokens.at("t"), *r.output.token);
  const auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target,
            "/jwt/auth?service=container_registry&scope=repository%3Aacme%2Fprivate-enabled%3Apull"
            "&scope=registry%3Acatalog%3A%2A&account=dana-developer");
  EXPECT_EQ(reqs[0].authorization,
            "Basic " + protocol::Base64Encode("dana-developer:glpat-dana-read-registry"));
  ASSERT_EQ(r.output.exchanges.size(), 1u);
  const Exchange& ex = r.output.exchanges[0];
  ASSERT_EQ(ex.request.headers.size(), 1u);
  EXPECT_EQ(ex.request.headers[0].second, "Basic «redacted user=dana-developer»");
  ASSERT_TRUE(ex.response.has_value());
  const std::string signature = r.output.token->substr(r.output.token->rfind('.') + 1);
  EXPECT_EQ(ex.response->body.find(signature), std::string::npos);
  EXPECT_NE(ex.response->body.find("«redacted-signature»"), std::string::npos);
  // The raw body stays in memory for the judge.
  EXPECT_NE(r.output.response_body.find(signature), std::string::npos);
  ASSERT_EQ(r.credentials.size(), 1u);
  ASSERT_EQ(r.credentials[0].size(), 1u);
  EXPECT_EQ(r.credentials[0][0].id, "dana-pat-read-registry");
}

// scope_encoding space_joined sends one scope parameter (oauth.md form); service null omits it;
// mutate wrong_secret sends the mutated secret.
TEST_F(StepsAgainstFake, TokenRequestEncodingsAndMutation) {
  const Step step =
      MakeStep(StepKind::kTokenRequest, {{"credential", "dana-developer-password"},
                                         {"mutate", "wrong_secret"},
                                         {"scopes", {"repository:a/b:pull", "repository:c/d:push"}},
                                         {"scope_encoding", "space_joined"},
                                         {"service", nullptr}});
  StepResult r = RunStep(step, run_.ctx, state_);
  ASSERT_FALSE(r.error || r.skip || r.stop);
  EXPECT_EQ(r.output.status, 401);
  const auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/jwt/auth?scope=repository%3Aa%2Fb%3Apull+repository%3Ac%2Fd%3Apush");
  const std::string wrong =
      MutatedSecret(*DefaultWorld().FindCredential("dana-developer-password"), DefaultWorld());
  EXPECT_EQ(reqs[0].authorization, "Basic " + protocol::Base64Encode("dana-developer:" + wrong));
  EXPECT_EQ(r.output.exchanges[0].request.headers[0].second,
            "Basic «redacted user=dana-developer»");
  EXPECT_EQ(r.credentials[0][0].mutation, "wrong_secret");
}

// A POST form carries substituted fields; secrets in it are redacted in the record.
TEST_F(StepsAgainstFake, TokenRequestPostForm) {
  const Step step = MakeStep(StepKind::kTokenRequest,
                             {{"credential", nullptr},
                              {"method", "POST"},
                              {"service", nullptr},
                              {"form",
                               {{"grant_type", "password"},
                                {"username", "${cred:dana-developer-password.username}"},
                                {"password", "${cred:dana-developer-password.secret}"}}}});
  StepResult r = RunStep(step, run_.ctx, state_);
  ASSERT_FALSE(r.error || r.skip || r.stop);
  EXPECT_EQ(r.output.status, 404);
  const Exchange& ex = r.output.exchanges[0];
  EXPECT_EQ(ex.request.method, "POST");
  EXPECT_EQ(ex.request.body.find("Passw0rd"), std::string::npos);
  EXPECT_NE(ex.request.body.find("grant_type=password"), std::string::npos);
  ASSERT_EQ(r.credentials[0].size(), 1u);
  EXPECT_EQ(r.credentials[0][0].id, "dana-developer-password");
}

// GitLab's ban answer is flagged so the executor can stop the run (token-auth.md §9).
TEST_F(StepsAgainstFake, TokenRequestFlagsIpBan) {
  fake_.ban = true;
  StepResult r =
      RunStep(MakeStep(StepKind::kTokenRequest, {{"credential", "job-101"}}), run_.ctx, state_);
  EXPECT_TRUE(r.ip_ban);
  EXPECT_EQ(r.output.status, 403);
}

// A credential the world lacks makes the step SKIP, not fail.
TEST_F(StepsAgainstFake, UnknownCredentialSkips) {
  StepResult r =
      RunStep(MakeStep(StepKind::kTokenRequest, {{"credential", "nobody"}}), run_.ctx, state_);
  ASSERT_TRUE(r.skip.has_value());
  EXPECT_TRUE(fake_.requests().empty());
}

// registry_request sends the saved token as Bearer; a token that was never obtained stops the
// case before anything is sent.
TEST_F(StepsAgainstFake, RegistryRequestUsesSavedToken) {
  ASSERT_FALSE(
      RunStep(MakeStep(StepKind::kTokenRequest,
                       {{"credential", "job-101"}, {"scopes", {"repository:acme/app:pull"}}}, "t"),
              run_.ctx, state_)
          .error);
  StepResult r = RunStep(
      MakeStep(StepKind::kRegistryRequest, {{"path", "/v2/acme/app/tags/list"}, {"token", "t"}}),
      run_.ctx, state_);
  ASSERT_FALSE(r.error || r.stop);
  EXPECT_EQ(r.output.status, 200);
  EXPECT_EQ(r.output.exchanges[0].request.headers[0].second.find(state_.tokens["t"]),
            std::string::npos);

  StepResult missing =
      RunStep(MakeStep(StepKind::kRegistryRequest, {{"path", "/v2/"}, {"token", "never"}}),
              run_.ctx, state_);
  ASSERT_TRUE(missing.stop.has_value());
  EXPECT_TRUE(missing.output.exchanges.empty());
}

// Credentials never go to a third origin (suite-anchors.md §C2, CVE-2020-15157): a Location
// pointing elsewhere, used with a token, is refused before anything is sent; without
// credentials the same URL may be fetched.
TEST_F(StepsAgainstFake, RefusesCredentialsForForeignOrigin) {
  FakeGitlab other;
  fake_.set_upload_location(other.base() + "/v2/acme/app/blobs/uploads/u-1");
  ASSERT_FALSE(
      RunStep(MakeStep(StepKind::kTokenRequest,
                       {{"credential", "job-101"}, {"scopes", {"repository:acme/app:pull"}}}, "t"),
              run_.ctx, state_)
          .error);
  StepResult post = RunStep(
      MakeStep(StepKind::kRegistryRequest,
               {{"method", "POST"}, {"path", "/v2/acme/app/blobs/uploads/"}, {"token", "t"}}, "up"),
      run_.ctx, state_);
  ASSERT_FALSE(post.error);
  EXPECT_EQ(post.output.status, 202);
  StepResult put =
      RunStep(MakeStep(StepKind::kRegistryRequest,
                       {{"method", "PUT"}, {"path", "${location:up}"}, {"token", "t"}}),
              run_.ctx, state_);
  ASSERT_TRUE(put.error.has_value());
  EXPECT_NE(put.error->find("credentials refused"), std::string::npos);
  EXPECT_TRUE(other.requests().empty());

  StepResult anonymous =
      RunStep(MakeStep(StepKind::kRegistryRequest, {{"method", "GET"}, {"path", "${location:up}"}}),
              run_.ctx, state_);
  EXPECT_FALSE(anonymous.error.has_value());
  EXPECT_EQ(other.requests().size(), 1u);
}

// A connection refused is our failure (ERROR), not the target's.
// pad_header_section sends a request whose header section is exactly the size asked for: the
// fake's HttpServer (exact 16,384-byte limit) serves 16,384 and answers 431 to 16,385, with the
// padding in a header or in the bearer token; a profile key the run does not know SKIPs.
TEST_F(StepsAgainstFake, PadHeaderSectionHitsTheLimitExactly) {
  ASSERT_FALSE(
      RunStep(MakeStep(StepKind::kTokenRequest,
                       {{"credential", "job-101"}, {"scopes", {"repository:acme/app:pull"}}}, "t"),
              run_.ctx, state_)
          .error);
  struct Row {
    const char* label;
    nlohmann::json pad;
    int want;
  };
  const Row rows[] = {
      {"header at limit", {{"to", "16384"}}, 200},
      {"header one over", {{"to", "16384"}, {"plus", 1}}, 431},
      {"token at limit", {{"to", "16384"}, {"into", "authorization"}}, 401},  // read, refused
      {"token one over", {{"to", "16384"}, {"plus", 1}, {"into", "authorization"}}, 431},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    StepResult r = RunStep(MakeStep(StepKind::kRegistryRequest, {{"path", "/v2/acme/app/tags/list"},
                                                                 {"token", "t"},
                                                                 {"pad_header_section", row.pad}}),
                           run_.ctx, state_);
    ASSERT_FALSE(r.error || r.skip || r.stop) << r.error.value_or(r.skip.value_or(""));
    EXPECT_EQ(r.output.status, row.want);
  }
  // The lengthened token reached the registry whole: the saved token plus the padding.
  const auto reqs = fake_.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_TRUE(reqs.back().authorization.starts_with("Bearer " + state_.tokens["t"]));

  // A profile key: unknown (no profile, or "unknown") → SKIP naming the key.
  const Step keyed = MakeStep(
      StepKind::kRegistryRequest,
      {{"path", "/v2/"}, {"pad_header_section", {{"to", "registry.max_header_section_bytes"}}}});
  StepResult no_profile = RunStep(keyed, run_.ctx, state_);
  ASSERT_TRUE(no_profile.skip.has_value());
  EXPECT_NE(no_profile.skip->find("registry.max_header_section_bytes"), std::string::npos);
  RunContext with_profile = run_.ctx;
  with_profile.profile_value = [](std::string_view key) -> std::optional<std::string> {
    return key == "registry.max_header_section_bytes" ? std::optional<std::string>("16384")
                                                      : std::nullopt;
  };
  StepResult known = RunStep(keyed, with_profile, state_);
  ASSERT_FALSE(known.error || known.skip || known.stop) << known.error.value_or("");
  EXPECT_NE(known.output.status, 431);
  // Asking for less than the request already is is a case bug, not a silent truncation.
  StepResult too_small =
      RunStep(MakeStep(StepKind::kRegistryRequest,
                       {{"path", "/v2/"}, {"pad_header_section", {{"to", "20"}}}}),
              run_.ctx, state_);
  ASSERT_TRUE(too_small.error.has_value());
}

TEST(StepsTransport, ConnectionRefusedIsAnError) {
  net::InitHttpClientLibrary();
  TargetInfo info;
  info.registry_url = "http://127.0.0.1:" + std::to_string(net::FreeLoopbackPort());
  info.realm = info.registry_url + "/jwt/auth";
  info.service = "container_registry";
  TestRun run(info);
  CaseState state(run.ctx.client_options);
  StepResult r =
      RunStep(MakeStep(StepKind::kTokenRequest, {{"credential", "job-101"}}), run.ctx, state);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->find("connect"), std::string::npos);
  EXPECT_TRUE(r.output.transport_error);
  ASSERT_EQ(r.output.exchanges.size(), 1u);
  EXPECT_TRUE(r.output.exchanges[0].error.has_value());
}

// docker_login_flow sends exactly docker's sequence and query (suite-anchors.md §D5a).
TEST_F(StepsAgainstFake, DockerLoginFlowMatchesDockerCli) {
  StepResult r = RunStep(MakeStep(StepKind::kDockerLoginFlow, {{"credential", "job-101"}}, "login"),
                         run_.ctx, state_);
  ASSERT_FALSE(r.error || r.skip || r.stop) << r.error.value_or("");
  EXPECT_EQ(r.output.status, 200);
  ASSERT_EQ(r.output.exchanges.size(), 3u);
  const auto reqs = fake_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].target, "/v2/");
  EXPECT_EQ(reqs[0].authorization, "");
  EXPECT_EQ(reqs[1].target,
            "/jwt/auth?account=gitlab-ci-token&client_id=docker&offline_token=true&service="
            "container_registry");
  EXPECT_EQ(reqs[1].authorization,
            "Basic " + protocol::Base64Encode("gitlab-ci-token:glcbt-job-101"));
  EXPECT_EQ(reqs[2].authorization, "Bearer " + state_.tokens.at("login"));
}

// Against an unauthenticated /v2/ docker "logs in" without sending credentials
// (moby/moby#50896): one exchange, status 200, nothing sent to the realm.
TEST_F(StepsAgainstFake, DockerLoginFlowAgainstOpenRegistry) {
  fake_.open_v2 = true;
  StepResult r =
      RunStep(MakeStep(StepKind::kDockerLoginFlow, {{"credential", "job-101"}}), run_.ctx, state_);
  EXPECT_EQ(r.output.status, 200);
  EXPECT_EQ(r.output.exchanges.size(), 1u);
}

// The realm of a later challenge must have the probe's realm origin, else no Basic is sent.
TEST(StepsDockerLogin, RefusesRealmOfAnotherOrigin) {
  net::InitHttpClientLibrary();
  FakeGitlab fake;
  TargetInfo info = fake.Info();
  TestRun run(info);
  run.ctx.guard = CredentialGuard({*OriginOf("http://127.0.0.1:1")});  // neither fake origin
  CaseState state(run.ctx.client_options);
  StepResult r =
      RunStep(MakeStep(StepKind::kDockerLoginFlow, {{"credential", "job-101"}}), run.ctx, state);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->find("credentials refused"), std::string::npos);
  for (const auto& req : fake.requests()) EXPECT_EQ(req.authorization, "");
}

// ---- forge_token ----

protocol::Jws MustParse(const std::string& token,
                        protocol::JwsBase64 b64 = protocol::JwsBase64::kStrict) {
  protocol::JwsOptions o;
  o.base64 = b64;
  auto jws = protocol::ParseCompactJws(token, o);
  EXPECT_TRUE(jws.has_value()) << token;
  return jws ? *jws : protocol::Jws{};
}

TargetInfo OfflineTarget() {
  TargetInfo t;
  t.registry_url = "http://127.0.0.1:5000";
  t.registry_host = "127.0.0.1:5000";
  t.realm = "http://127.0.0.1:5000/jwt/auth";
  t.service = "container_registry";
  t.issuer = "gitlab-issuer";
  return t;
}

class ForgeTest : public testing::Test {
 protected:
  std::string Forge(Json params) {
    StepResult r =
        RunStep(MakeStep(StepKind::kForgeToken, std::move(params), "f"), run_.ctx, state_);
    EXPECT_FALSE(r.error.has_value()) << r.error.value_or("");
    EXPECT_FALSE(r.skip.has_value());
    if (r.output.token) {
      EXPECT_EQ(state_.tokens.at("f"), *r.output.token);
    }
    return r.output.token.value_or("");
  }
  static Json Claims() {
    return {{"iss", "${issuer}"},
            {"aud", "${service}"},
            {"iat", "${now}"},
            {"exp", "${now+300}"},
            {"access", Json::array()}};
  }
  TestRun run_{OfflineTarget()};
  CaseState state_{run_.ctx.client_options};
};

// A valid forgery with the signing key verifies with it; ${signing_kid} and ${now…} are
// substituted (a whole-string ${now} becomes a number).
TEST_F(ForgeTest, ValidSignatureVerifiesWithTheSigningKey) {
  const std::string token =
      Forge({{"header", {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "${signing_kid}"}}},
             {"claims", Claims()}});
  const protocol::Jws jws = MustParse(token);
  EXPECT_TRUE(protocol::VerifySignature(jws, TestKey(), protocol::AlgPolicy::DistributionV28()));
  EXPECT_EQ(jws.header.kid.value_or(""), protocol::LibtrustKeyId(TestKey()));
  const Json claims = Json::parse(jws.payload);
  EXPECT_EQ(claims["iat"], kNow);
  EXPECT_EQ(claims["exp"], kNow + 300);
  EXPECT_EQ(claims["iss"], "gitlab-issuer");
}

// Each signature variant produces the intended bytes (cases/README.md forge_token).
TEST_F(ForgeTest, SignatureVariantsProduceIntendedBytes) {
  const Json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  const std::string valid = Forge({{"header", header}, {"claims", Claims()}});
  const protocol::Jws v = MustParse(valid);
  ASSERT_EQ(v.signature.size(), 256u);

  const std::string empty =
      Forge({{"header", header}, {"claims", Claims()}, {"signature", "empty"}});
  EXPECT_EQ(empty, v.signing_input + ".");
  const std::string stripped =
      Forge({{"header", header}, {"claims", Claims()}, {"signature", "strip_segment"}});
  EXPECT_EQ(stripped, v.signing_input);
  auto two = protocol::ParseCompactJws(stripped);
  ASSERT_FALSE(two.has_value());
  EXPECT_EQ(two.error().code, protocol::JwsError::kSegmentCount);

  const protocol::Jws zero =
      MustParse(Forge({{"header", header}, {"claims", Claims()}, {"signature", "zero_rs"}}));
  EXPECT_EQ(zero.signature, std::string(256, '\0'));

  const protocol::Jws flipped =
      MustParse(Forge({{"header", header}, {"claims", Claims()}, {"signature", "flip_bit"}}));
  ASSERT_EQ(flipped.signature.size(), v.signature.size());
  int differing_bits = 0;
  for (std::size_t i = 0; i < v.signature.size(); ++i) {
    differing_bits +=
        __builtin_popcount(static_cast<unsigned char>(v.signature[i] ^ flipped.signature[i]));
  }
  EXPECT_EQ(differing_bits, 1);
  EXPECT_FALSE(
      protocol::VerifySignature(flipped, TestKey(), protocol::AlgPolicy::DistributionV28()));

  const std::string none =
      Forge({{"header", {{"alg", "none"}}}, {"claims", Claims()}, {"sign_with", "none"}});
  EXPECT_EQ(none.back(), '.');
  EXPECT_EQ(MustParse(none).header.alg_name, "none");
}

// attacker_key signs with a run-generated key of the header's key type: valid structure, never
// verifiable with the target's key.
TEST_F(ForgeTest, AttackerKeyMatchesHeaderAlg) {
  const protocol::Jws rs = MustParse(
      Forge({{"header", {{"alg", "RS256"}}}, {"claims", Claims()}, {"sign_with", "attacker_key"}}));
  EXPECT_FALSE(protocol::VerifySignature(rs, TestKey(), protocol::AlgPolicy::DistributionV28()));
  const protocol::Key rsa = run_.attacker.Get(protocol::KeyType::kRsa);
  EXPECT_TRUE(protocol::VerifySignature(rs, rsa, protocol::AlgPolicy::DistributionV28()));

  const protocol::Jws es = MustParse(
      Forge({{"header", {{"alg", "ES256"}}}, {"claims", Claims()}, {"sign_with", "attacker_key"}}));
  EXPECT_EQ(es.signature.size(), 64u);
  EXPECT_TRUE(protocol::VerifySignature(es, run_.attacker.Get(protocol::KeyType::kEcP256),
                                        protocol::AlgPolicy::DistributionV28()));

  // der_ecdsa: the same signature as an ASN.1 SEQUENCE of two INTEGERs.
  const protocol::Jws der = MustParse(Forge({{"header", {{"alg", "ES256"}}},
                                             {"claims", Claims()},
                                             {"sign_with", "attacker_key"},
                                             {"signature", "der_ecdsa"}}));
  ASSERT_GE(der.signature.size(), 8u);
  EXPECT_EQ(der.signature[0], '\x30');
  EXPECT_EQ(static_cast<std::size_t>(der.signature[1]), der.signature.size() - 2);
  EXPECT_EQ(der.signature[2], '\x02');
}

// hmac_with_public_pem: HS256 keyed with the signing key's public PEM (CVE-2016-10555 class).
TEST_F(ForgeTest, HmacWithPublicPem) {
  const protocol::Jws jws = MustParse(Forge({{"header", {{"alg", "HS256"}}},
                                             {"claims", Claims()},
                                             {"sign_with", "hmac_with_public_pem"}}));
  auto expected = protocol::SignHmac(protocol::Alg::kHS256, protocol::PublicKeyPem(TestKey()),
                                     jws.signing_input);
  ASSERT_TRUE(expected.has_value());
  EXPECT_EQ(jws.signature, *expected);
}

// header_text is sent verbatim (duplicate members survive); a non-signing alg in it is signed
// with the key's usual algorithm; padded encoding adds '=' that only lenient parsers accept.
TEST_F(ForgeTest, VerbatimHeaderAndPaddedEncoding) {
  const std::string text = R"({"alg":"RS256","typ":"JWT","alg":"none"})";
  const std::string token = Forge({{"header_text", text}, {"claims", Claims()}});
  auto strict = protocol::ParseCompactJws(token);
  ASSERT_FALSE(strict.has_value());
  EXPECT_EQ(strict.error().code, protocol::JwsError::kDuplicateHeaderMember);
  protocol::JwsOptions lenient;
  lenient.allow_duplicate_members = true;
  auto jws = protocol::ParseCompactJws(token, lenient);
  ASSERT_TRUE(jws.has_value());
  EXPECT_EQ(jws->header_text, text);
  EXPECT_TRUE(protocol::VerifyBytes(protocol::Alg::kRS256, TestKey(), jws->signing_input,
                                    jws->signature, protocol::AlgPolicy::DistributionV28()));

  const std::string padded = Forge({{"header", {{"alg", "RS256"}, {"typ", "JWT"}}},
                                    {"claims", {{"sub", "x"}}},
                                    {"encoding", "padded"}});
  EXPECT_NE(padded.find('='), std::string::npos);
  EXPECT_FALSE(protocol::ParseCompactJws(padded).has_value());
  const protocol::Jws p = MustParse(padded, protocol::JwsBase64::kDistributionV28);
  EXPECT_TRUE(protocol::VerifySignature(p, TestKey(), protocol::AlgPolicy::DistributionV28()));
}

// Without the target's key, signing_key forgeries SKIP (cases declare needs: signing_key).
TEST(ForgeWithoutKey, Skips) {
  TestRun run(OfflineTarget(), /*with_key=*/false);
  CaseState state(run.ctx.client_options);
  StepResult r =
      RunStep(MakeStep(StepKind::kForgeToken, {{"claims", {{"sub", "x"}}}}), run.ctx, state);
  EXPECT_TRUE(r.skip.has_value());
}

// ---- client_tool ----

// A missing tool is SKIP, or ERROR under CI=true (CI never silently passes).
TEST(ClientTool, MissingToolSkipsOrErrorsInCi) {
  TestRun run(OfflineTarget());
  CaseState state(run.ctx.client_options);
  const Step step = MakeStep(StepKind::kClientTool, {{"tool", "skopeo"}, {"args", {"--version"}}});
  run.ctx.tools.skopeo.reset();
  StepResult r = RunStep(step, run.ctx, state);
  EXPECT_TRUE(r.skip.has_value());
  run.ctx.tools.ci = true;
  r = RunStep(step, run.ctx, state);
  EXPECT_TRUE(r.error.has_value());
}

// A real tool runs with a throwaway config; argv, stdin and output are redacted.
TEST(ClientTool, RunsRealToolRedacted) {
  const auto docker = net::FindExecutable("docker");
  const char* ci = std::getenv("CI");
  if (!docker) {
    if (ci != nullptr && std::string(ci) == "true") FAIL() << "docker CLI required under CI=true";
    GTEST_SKIP() << "docker CLI not installed";
  }
  TestRun run(OfflineTarget());
  run.ctx.tools.docker = docker;
  CaseState state(run.ctx.client_options);
  StepResult r = RunStep(MakeStep(StepKind::kClientTool, {{"tool", "docker"},
                                                          {"args", {"--version"}},
                                                          {"stdin", "${cred:job-101.secret}\n"}}),
                         run.ctx, state);
  ASSERT_FALSE(r.error || r.skip) << r.error.value_or(r.skip.value_or(""));
  ASSERT_TRUE(r.tool.has_value());
  EXPECT_EQ(r.output.exit_code.value_or(-1), 0);
  EXPECT_NE(r.output.output.find("Docker version"), std::string::npos);
  EXPECT_EQ(r.tool->argv, (std::vector<std::string>{"docker", "--version"}));
  EXPECT_EQ(r.tool->stdin_text.find("glcbt-job-101"), std::string::npos);
}

}  // namespace
}  // namespace regauth::harness
