#include "reference_server/token/token_service.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "protocol/base64.h"
#include "protocol/credentials.h"
#include "protocol/jws.h"
#include "protocol/jwt.h"
#include "protocol/test_support.h"
#include "protocol/test_world.h"
#include "protocol/token_response.h"

namespace regauth::server {
namespace {

using nlohmann::json;
using protocol::World;

constexpr int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z (protocol/testdata/README.md)

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TestData(const std::string& name) {
  return ReadFile(std::string(REGAUTH_SOURCE_DIR) + "/protocol/testdata/" + name);
}

std::shared_ptr<const World> LoadWorld(const std::string& text) {
  return std::make_shared<const World>(testing_support::WorldFromText(text, kNow));
}

std::shared_ptr<const World> DefaultWorld() {
  static const std::shared_ptr<const World> world =
      std::make_shared<const World>(testing_support::DefaultWorld(kNow));
  return world;
}

protocol::Key PrivateKey(const std::string& name) {
  auto key = protocol::LoadPrivateKeyPem(TestData(name + ".key.pem"));
  EXPECT_TRUE(key.has_value()) << name;
  return key ? *key : protocol::Key();
}

protocol::Certificate Cert(const std::string& name) {
  auto certs = protocol::LoadCertificatesPem(TestData(name + ".crt.pem"));
  EXPECT_TRUE(certs.has_value()) << name;
  return certs ? certs->front() : protocol::Certificate();
}

// Fixture: the default world, the RSA test signer, a fixed clock, numbered jtis and a captured
// log.
class TokenServiceTest : public testing::Test {
 protected:
  TokenServiceConfig Config(TokenProfile profile = TokenProfile::kGitLab) {
    TokenServiceConfig c;
    c.world = DefaultWorld();
    c.profile = profile;
    c.signing_key = key_;
    c.certificate_chain = {cert_};
    c.clock = [this] { return now_->load(); };
    c.jti = [this] { return "jti-" + std::to_string(++*jti_); };
    c.log = [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      logs_.emplace_back(line);
    };
    return c;
  }

  static net::HttpRequest Request(std::string method, const std::string& target,
                                  std::optional<std::string> authorization = std::nullopt,
                                  std::string ip = "192.0.2.10") {
    net::HttpRequest r;
    r.method = std::move(method);
    r.target = target;
    const std::size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.headers.emplace_back("Host", "gitlab.test");
    if (authorization) r.headers.emplace_back("Authorization", *authorization);
    r.remote_address = std::move(ip);
    return r;
  }

  // Basic returns the Authorization value for world credential `id` as a client sends it.
  static std::string Basic(const std::string& id, std::optional<std::string> username = {}) {
    const protocol::Credential* c = DefaultWorld()->FindCredential(id);
    EXPECT_NE(c, nullptr) << id;
    auto h =
        protocol::SerializeBasic(username.value_or(c ? c->login_username : ""), c ? c->secret : "");
    EXPECT_TRUE(h.has_value());
    return h ? *h : "";
  }

  static std::string Secret(const std::string& id) {
    return DefaultWorld()->FindCredential(id)->secret;
  }

  std::vector<std::string> Logs() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return logs_;
  }

  // Verified decodes a token as distribution v2.8 would verify it against the test certificate.
  protocol::VerifiedToken Verified(const std::string& token,
                                   std::string service = "container_registry") {
    const protocol::TrustStore trust =
        protocol::TrustStore::FromRoots({cert_}, protocol::KeyIdFormat::kLibtrust);
    auto v = protocol::VerifyToken(
        token, trust, protocol::VerifierProfile::DistributionV28("gitlab-issuer", service),
        now_->load());
    EXPECT_TRUE(v.has_value()) << (v ? "" : CodeName(v.error().code));
    return v ? *v : protocol::VerifiedToken{};
  }

  static std::string TokenOf(const net::HttpResponse& r) {
    auto body = protocol::ParseJsonObject(r.body);
    EXPECT_TRUE(body.has_value()) << r.body;
    if (!body || !body->contains("token")) return "";
    return (*body)["token"].get<std::string>();
  }

  // Claims of the token in a 200 response (verified).
  json ClaimsOf(const net::HttpResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    return Verified(TokenOf(r)).claims.raw;
  }

  // NestedPayload verifies the nested `user` JWT with the signing key and returns its payload.
  json NestedPayload(const json& claims) {
    EXPECT_TRUE(claims.contains("user"));
    if (!claims.contains("user")) return json();
    auto jws = protocol::ParseCompactJws(claims["user"].get<std::string>());
    EXPECT_TRUE(jws.has_value());
    if (!jws) return json();
    EXPECT_TRUE(
        protocol::VerifySignature(*jws, cert_.PublicKey(), protocol::AlgPolicy::DistributionV28())
            .has_value());
    EXPECT_EQ(jws->header.kid, protocol::LibtrustKeyId(key_));
    auto payload = protocol::ParseJsonObject(jws->payload);
    EXPECT_TRUE(payload.has_value());
    return payload ? *payload : json();
  }

  protocol::Key key_ = PrivateKey("rsa2048");
  protocol::Certificate cert_ = Cert("rsa2048");
  std::shared_ptr<std::atomic<int64_t>> now_ = std::make_shared<std::atomic<int64_t>>(kNow);
  std::shared_ptr<std::atomic<int>> jti_ = std::make_shared<std::atomic<int>>(0);
  std::mutex log_mu_;
  std::vector<std::string> logs_;
};

const std::string kAuth = "/jwt/auth?service=container_registry";

std::set<std::string> Keys(const json& object) {
  std::set<std::string> out;
  for (auto it = object.begin(); it != object.end(); ++it) out.insert(it.key());
  return out;
}

// ---------------------------------------------------------------------------------------------
// GET /jwt/auth in the gitlab profile (token-auth.md §3.1, §3.8)
// ---------------------------------------------------------------------------------------------

// §3.8: the 200 body is {"token": …} and nothing else.
TEST_F(TokenServiceTest, GitLabBodyIsTokenOnly) {
  TokenService s(Config());
  const net::HttpResponse r =
      s.Handle(Request("GET",
                       kAuth + "&scope=repository:acme/private-enabled:pull&account=dana-developer"
                               "&client_id=docker&offline_token=true",
                       Basic("dana-pat-read-registry")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json; charset=utf-8");
  auto body = protocol::ParseJsonObject(r.body);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(Keys(*body), std::set<std::string>{"token"});
}

// §3.8: header {kid, typ, alg} and exactly GitLab's claims, with GitLab's values.
TEST_F(TokenServiceTest, ClaimsMatchGitLab) {
  TokenService s(Config());
  const net::HttpResponse r =
      s.Handle(Request("GET", kAuth + "&scope=repository:acme/private-enabled:pull,push",
                       Basic("dana-pat-read-registry")));
  const protocol::VerifiedToken v = Verified(TokenOf(r));
  EXPECT_EQ(v.header.alg_name, "RS256");
  EXPECT_EQ(v.header.typ, "JWT");
  EXPECT_EQ(v.header.kid, protocol::LibtrustKeyId(key_));
  EXPECT_EQ(Keys(v.header.raw), (std::set<std::string>{"alg", "kid", "typ"}));
  const json& c = v.claims.raw;
  EXPECT_EQ(Keys(c), (std::set<std::string>{"access", "auth_type", "aud", "exp", "iat", "iss",
                                            "jti", "nbf", "sub", "user"}));
  EXPECT_EQ(c["auth_type"], "personal_access_token");
  EXPECT_EQ(c["iss"], "gitlab-issuer");
  EXPECT_EQ(c["aud"], "container_registry");
  EXPECT_EQ(c["sub"], "dana-developer");
  EXPECT_EQ(c["jti"], "jti-1");
  EXPECT_EQ(c["iat"], kNow);
  EXPECT_EQ(c["nbf"], kNow - 5);
  EXPECT_EQ(c["exp"], kNow + 5 * 60);
  EXPECT_EQ(c["access"], json::parse(R"([{"type":"repository","name":"acme/private-enabled",
      "actions":["pull"],"meta":{"project_path":"acme/private-enabled","project_id":7,
      "root_namespace_id":10}}])"));
}

// acme/protected-tags has protected tag rules and the default world turns protected tags on:
// meta carries tag_deny_access_patterns; a pull-only grant an empty one (GitLab's
// `index_with { [] }` over no push/delete action, kept by `.compact`).
TEST_F(TokenServiceTest, ProtectedTagsInMeta) {
  TokenService s(Config());
  auto access_of = [&](const std::string& scope) {
    const net::HttpResponse r =
        s.Handle(Request("GET", kAuth + "&scope=" + scope, Basic("dana-pat-read-write-registry")));
    return Verified(TokenOf(r)).claims.raw["access"];
  };
  EXPECT_EQ(access_of("repository:acme/protected-tags:pull")[0]["meta"]["tag_deny_access_patterns"],
            json::object());
  EXPECT_EQ(
      access_of("repository:acme/protected-tags:pull,push")[0]["meta"]["tag_deny_access_patterns"],
      json::parse(R"({"push":["^v[0-9]+\\.[0-9]+\\.[0-9]+$","^release-.*"]})"));
}

// §3.8: the nested `user` JWT: same key, {user_info, jti, iat, nbf, exp = iat + 60}.
TEST_F(TokenServiceTest, NestedUserJwtForUser) {
  TokenService s(Config());
  const json claims =
      ClaimsOf(s.Handle(Request("GET", kAuth + "&scope=repository:acme/public-enabled:pull",
                                Basic("dana-pat-read-registry"))));
  const json nested = NestedPayload(claims);
  EXPECT_EQ(Keys(nested), (std::set<std::string>{"exp", "iat", "jti", "nbf", "user_info"}));
  EXPECT_EQ(nested["user_info"],
            json::parse(R"({"token_type":"personal_access_token","username":"dana-developer",
                            "user_id":4})"));
  EXPECT_EQ(nested["iat"], kNow);
  EXPECT_EQ(nested["nbf"], kNow - 5);
  EXPECT_EQ(nested["exp"], kNow + 60);
  EXPECT_EQ(nested["jti"], "jti-2");
  EXPECT_NE(nested["jti"], claims["jti"]);
}

// §3.8: deploy tokens have no `sub`; user_info names the deploy token.
TEST_F(TokenServiceTest, DeployTokenHasNoSubAndDeployUserInfo) {
  TokenService s(Config());
  const json claims =
      ClaimsOf(s.Handle(Request("GET", kAuth + "&scope=repository:acme/private-enabled:pull",
                                Basic("private-enabled-deploy-read"))));
  EXPECT_FALSE(claims.contains("sub"));
  EXPECT_EQ(claims["auth_type"], "deploy_token");
  EXPECT_EQ(NestedPayload(claims)["user_info"],
            json::parse(R"({"token_type":"deploy_token","username":"gitlab+deploy-token-1",
                            "deploy_token_id":1})"));
}

// §3.8: anonymous: auth_type "none", no sub, user_info null.
TEST_F(TokenServiceTest, AnonymousToken) {
  TokenService s(Config());
  const json claims =
      ClaimsOf(s.Handle(Request("GET", kAuth + "&scope=repository:acme/public-enabled:pull")));
  EXPECT_FALSE(claims.contains("sub"));
  EXPECT_EQ(claims["auth_type"], "none");
  EXPECT_TRUE(NestedPayload(claims)["user_info"].is_null());
}

// §3.2 #2: job tokens: `build` with the job user as sub; `ci` without a user.
TEST_F(TokenServiceTest, JobTokens) {
  TokenService s(Config());
  const json build = ClaimsOf(
      s.Handle(Request("GET", kAuth + "&scope=repository:acme/app-ci:push", Basic("job-101"))));
  EXPECT_EQ(build["auth_type"], "build");
  EXPECT_EQ(build["sub"], "dana-developer");
  EXPECT_EQ(NestedPayload(build)["user_info"]["token_type"], "build");
  const json ci = ClaimsOf(
      s.Handle(Request("GET", kAuth + "&scope=repository:acme/app-ci:pull", Basic("job-105"))));
  EXPECT_EQ(ci["auth_type"], "ci");
  EXPECT_FALSE(ci.contains("sub"));
  EXPECT_TRUE(NestedPayload(ci)["user_info"].is_null());
  EXPECT_EQ(ci["access"][0]["actions"], json::parse(R"(["pull"])"));
}

// §3.5: the catalog entry has no meta; a subgroup project's root_namespace_id is the top group.
TEST_F(TokenServiceTest, CatalogHasNoMetaAndSubgroupMetaUsesRoot) {
  TokenService s(Config());
  const json claims = ClaimsOf(s.Handle(Request(
      "GET", kAuth + "&scope=registry:catalog:*&scope=repository:acme/platform/lib/img:pull",
      Basic("ada-pat-api"))));
  EXPECT_EQ(claims["access"], json::parse(R"([
      {"type":"registry","name":"catalog","actions":["*"]},
      {"type":"repository","name":"acme/platform/lib/img","actions":["pull"],
       "meta":{"project_path":"acme/platform/lib","project_id":11,"root_namespace_id":10}}])"));
}

// A personal project's root namespace is a user namespace, whose id the world lacks: omitted.
TEST_F(TokenServiceTest, PersonalProjectMetaOmitsRootNamespace) {
  TokenServiceConfig c = Config();
  c.world = LoadWorld(R"({"name": "p", "users": [{"username": "solo"}],
      "projects": [{"id": 3, "path": "solo/app", "visibility": "public"}]})");
  c.certificate_chain.clear();
  TokenService s(std::move(c));
  const json claims = ClaimsOf(s.Handle(Request("GET", kAuth + "&scope=repository:solo/app:pull")));
  EXPECT_EQ(claims["access"][0]["meta"],
            json::parse(R"({"project_path":"solo/app","project_id":3})"));
}

// Issue 8 item 9: access_metadata sends `project_path: full_path.downcase` and
// `root_namespace_id: root_ancestor.id`, for a personal project the owner's user namespace
// (gitlabhq app/services/auth/container_registry_authentication_service.rb @de09f039).
TEST_F(TokenServiceTest, MetaIsDowncasedAndNamesThePersonalNamespace) {
  TokenServiceConfig c = Config();
  c.world = LoadWorld(R"({"name": "p", "users": [{"username": "Solo", "namespace_id": 77}],
      "groups": [{"path": "Team", "id": 5, "visibility": "public"}],
      "projects": [{"id": 3, "path": "Solo/App", "visibility": "public"},
                   {"id": 4, "path": "Team/Web", "visibility": "public"}]})");
  c.certificate_chain.clear();
  TokenService s(std::move(c));
  const json claims = ClaimsOf(s.Handle(
      Request("GET", kAuth + "&scope=repository:solo/app:pull&scope=repository:team/web:pull")));
  EXPECT_EQ(claims["access"][0]["meta"],
            json::parse(R"({"project_path":"solo/app","project_id":3,"root_namespace_id":77})"));
  EXPECT_EQ(claims["access"][1]["meta"],
            json::parse(R"({"project_path":"team/web","project_id":4,"root_namespace_id":5})"));
}

// §3.4: an authenticated caller with nothing usable gets a token with "access": [].
TEST_F(TokenServiceTest, AuthenticatedWithNothingGetsEmptyAccess) {
  TokenService s(Config());
  const json claims =
      ClaimsOf(s.Handle(Request("GET", kAuth + "&scope=repository:acme/private-enabled:push",
                                Basic("dana-pat-read-registry"))));
  EXPECT_EQ(claims["access"], json::array());
  const json login = ClaimsOf(
      s.Handle(Request("GET",
                       "/jwt/auth?account=dana-developer&client_id=docker&offline_token=true"
                       "&service=container_registry",
                       Basic("dana-pat-read-registry"))));
  EXPECT_EQ(login["access"], json::array());
}

// ---------------------------------------------------------------------------------------------
// Error answers (§3.1, §3.4)
// ---------------------------------------------------------------------------------------------

std::string Expected401(const std::string& base) {
  return R"({"errors":[{"code":"UNAUTHORIZED","message":"HTTP Basic: Access denied. If a )"
         R"(password was provided for Git authentication, the password was incorrect or )"
         R"(you're required to use a token instead of a password. If a token was provided, it )"
         R"(was either incorrect, expired, or improperly scoped. See )" +
         base +
         R"(/help/user/profile/account/two_factor_authentication_troubleshooting.md#error-)"
         R"(http-basic-access-denied-if-a-password-was-provided-for-git-authentication-"}]})";
}

// §3.1: bad credentials → 401 with GitLab's JSON, no WWW-Authenticate, before the service check.
TEST_F(TokenServiceTest, BadCredentialsGive401WithGitLabBody) {
  TokenService s(Config());
  for (const std::string& target :
       {kAuth, std::string("/jwt/auth?service=nope"), std::string("/jwt/auth")}) {
    const net::HttpResponse r = s.Handle(
        Request("GET", target, protocol::SerializeBasic("dana-developer", "wrong").value()));
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_EQ(r.body, Expected401("http://gitlab.test")) << target;
    EXPECT_FALSE(r.Header("www-authenticate").has_value());
    EXPECT_EQ(r.Header("content-type"), "application/json; charset=utf-8");
  }
  TokenServiceConfig c = Config();
  c.external_url = "https://gitlab.example.com";
  TokenService external(std::move(c));
  EXPECT_EQ(external.Handle(Request("GET", kAuth, Basic("dana-pat-expired"))).body,
            Expected401("https://gitlab.example.com"));
}

// Every 401 path of §3.2 answers the same 401 on the wire.
TEST_F(TokenServiceTest, Every401PathLooksTheSame) {
  TokenService s(Config());
  const std::vector<std::string> headers = {
      Basic("dana-pat-expired"),
      Basic("dana-pat-expires-today"),
      Basic("dana-pat-revoked"),
      Basic("bob-blocked-password"),
      Basic("bob-pat-read-write-registry"),
      Basic("tom-twofactor-password"),
      Basic("private-enabled-deploy-read", "dana-developer"),
      Basic("private-enabled-deploy-read-package"),
      Basic("private-enabled-deploy-expired"),
      Basic("job-101", "dana-developer"),
      Basic("job-103"),
      Basic("job-107"),
      Basic("job-109"),
      Basic("job-110"),
      Basic("job-111"),
      "Basic bm9jb2xvbg==",  // "nocolon": not user:password (§8: Rails-version dependent)
      "Basic !!!!",          // not base64
      "Basic",               // no credentials
  };
  for (const std::string& h : headers) {
    const net::HttpResponse r = s.Handle(Request("GET", kAuth, h));
    EXPECT_EQ(r.status, 401) << h;
    EXPECT_EQ(r.body, Expected401("http://gitlab.test")) << h;
  }
}

// §3.1: a non-Basic Authorization header is ignored: the caller is anonymous.
TEST_F(TokenServiceTest, BearerHeaderIsAnonymous) {
  TokenService s(Config());
  const net::HttpResponse pub = s.Handle(Request(
      "GET", kAuth + "&scope=repository:acme/public-enabled:pull", "Bearer eyJhbGciOi.x.y"));
  EXPECT_EQ(ClaimsOf(pub)["auth_type"], "none");
  const net::HttpResponse priv = s.Handle(
      Request("GET", kAuth + "&scope=repository:acme/private-enabled:pull", "Bearer whatever"));
  EXPECT_EQ(priv.status, 403);
  // Scheme matching is case-insensitive: "basic" is Basic.
  const net::HttpResponse lower =
      s.Handle(Request("GET", kAuth, "basic " + Basic("dana-pat-read-registry").substr(6)));
  EXPECT_EQ(ClaimsOf(lower)["auth_type"], "personal_access_token");
}

// §3.1: unknown or missing `service` → 404 with an empty body, after authentication; Rails'
// params keep the last of repeated values.
TEST_F(TokenServiceTest, UnknownServiceIs404AfterAuthentication) {
  TokenService s(Config());
  for (const std::string& target :
       {std::string("/jwt/auth?service=other"), std::string("/jwt/auth"),
        std::string("/jwt/auth?service="), std::string("/jwt/auth?service=dependency_proxy"),
        std::string("/jwt/auth?service=container_registry&service=x")}) {
    const net::HttpResponse r = s.Handle(Request("GET", target, Basic("dana-pat-read-registry")));
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body, "") << target;
    EXPECT_EQ(s.Handle(Request("GET", target)).status, 404) << target;
  }
  EXPECT_EQ(s.Handle(Request("GET", "/jwt/auth?service=x&service=container_registry",
                             Basic("dana-pat-read-registry")))
                .status,
            200);
}

// Gate 4: a push on a protected repository path → 403 DENIED with GitLab's message, no token
// (the default world runs the 17.8 behaviour: acme/protected-maintainer needs maintainer+).
TEST_F(TokenServiceTest, ProtectedRepositoryPathPushIs403) {
  TokenService s(Config());
  const net::HttpResponse r =
      s.Handle(Request("GET", kAuth + "&scope=repository:acme/protected-maintainer:pull,push",
                       Basic("dana-pat-read-write-registry")));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, R"({"errors":[{"code":"DENIED","message":"Pushing to protected repository )"
                    R"(path forbidden"}],"http_status":403})");
  const net::HttpResponse pull =
      s.Handle(Request("GET", kAuth + "&scope=repository:acme/protected-maintainer:pull",
                       Basic("dana-pat-read-write-registry")));
  EXPECT_EQ(pull.status, 200);
  const net::HttpResponse maintainer =
      s.Handle(Request("GET", kAuth + "&scope=repository:acme/protected-maintainer:push",
                       Basic("max-pat-read-write-registry")));
  EXPECT_EQ(maintainer.status, 200);
}

// §3.4: the 403/404 bodies are the whole service hash, "http_status" included.
TEST_F(TokenServiceTest, GateBodiesCarryHttpStatus) {
  TokenService s(Config());
  const std::string denied =
      R"({"errors":[{"code":"DENIED","message":"access forbidden"}],"http_status":403})";
  const net::HttpResponse anon =
      s.Handle(Request("GET", kAuth + "&scope=repository:acme/private-enabled:pull"));
  EXPECT_EQ(anon.status, 403);
  EXPECT_EQ(anon.body, denied);
  EXPECT_EQ(anon.Header("content-type"), "application/json; charset=utf-8");
  const net::HttpResponse no_ability =
      s.Handle(Request("GET", kAuth + "&scope=repository:acme/private-enabled:pull",
                       Basic("dana-pat-read-repository")));
  EXPECT_EQ(no_ability.status, 403);
  EXPECT_EQ(no_ability.body, denied);
  EXPECT_EQ(s.Handle(Request("GET", kAuth)).status, 403);  // anonymous docker login

  TokenServiceConfig c = Config();
  c.world = LoadWorld(R"({"name": "off", "instance": {"registry_enabled": false}})");
  c.certificate_chain.clear();
  TokenService off(std::move(c));
  const net::HttpResponse disabled = off.Handle(Request("GET", kAuth));
  EXPECT_EQ(disabled.status, 404);
  EXPECT_EQ(disabled.body, R"({"errors":[{"code":"UNAVAILABLE","message":"registry not enabled"}],)"
                           R"("http_status":404})");
}

// §3.1 scopes_param: repeated, %20-, '+'- and whitespace-joined values, and Rack 2.2's ';'
// separator, all give the same scope list.
TEST_F(TokenServiceTest, ScopeEncodingsAreEquivalent) {
  TokenService s(Config());
  const std::string a = "repository:acme/public-enabled:pull";
  const std::string b = "repository:acme/private-enabled:push";
  const json want = ClaimsOf(s.Handle(Request("GET", kAuth + "&scope=" + a + "&scope=" + b,
                                              Basic("dana-pat-read-write-registry"))))["access"];
  ASSERT_EQ(want.size(), 2u);
  for (const std::string& target :
       {kAuth + "&scope=" + a + "%20" + b, kAuth + "&scope=" + a + "+" + b,
        kAuth + "&scope=" + a + "%09%0A" + b, kAuth + ";scope=" + a + ";  scope=" + b,
        "/jwt/auth?scope=" + a + "&service=container_registry&scope=&scope=" + b,
        kAuth + "&scope&scope=" + a + "%20%20" + b}) {
    EXPECT_EQ(
        ClaimsOf(s.Handle(Request("GET", target, Basic("dana-pat-read-write-registry"))))["access"],
        want)
        << target;
  }
}

// §3.1: `scope` in a GET body does not count (scopes come from the raw query string).
TEST_F(TokenServiceTest, ScopeInBodyIsIgnored) {
  TokenService s(Config());
  net::HttpRequest r = Request("GET", kAuth, Basic("dana-pat-read-write-registry"));
  r.body = "scope=repository:acme/private-enabled:pull";
  EXPECT_EQ(ClaimsOf(s.Handle(r))["access"], json::array());
}

// A scope GitLab would crash on (fewer than two ':', §3.5/§8) is dropped; the request succeeds.
TEST_F(TokenServiceTest, MalformedScopeDoesNotCrash) {
  TokenService s(Config());
  const net::HttpResponse r = s.Handle(Request(
      "GET", kAuth + "&scope=foo&scope=repository:acme&scope=repository:acme/public-enabled:pull",
      Basic("dana-pat-read-registry")));
  EXPECT_EQ(ClaimsOf(r)["access"].size(), 1u);
  EXPECT_EQ(s.Handle(Request("GET", kAuth + "&scope=foo")).status, 403);  // anonymous
}

// The reference server bounds the scopes of one request.
TEST_F(TokenServiceTest, TooManyScopesIs400) {
  TokenService s(Config());
  std::string scope;
  for (int i = 0; i < 1001; ++i) scope += "a:b:c+";
  EXPECT_EQ(s.Handle(Request("GET", kAuth + "&scope=" + scope)).status, 400);
}

// §3.1: routes. POST → 404 with an empty body in the gitlab profile; others 404/405.
TEST_F(TokenServiceTest, Routes) {
  TokenService s(Config());
  const net::HttpResponse post = s.Handle(Request("POST", "/jwt/auth", Basic("dana-pat-api")));
  EXPECT_EQ(post.status, 404);
  EXPECT_EQ(post.body, "");
  const net::HttpResponse put = s.Handle(Request("PUT", kAuth));
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.Header("allow"), "GET, HEAD, POST");
  EXPECT_EQ(s.Handle(Request("DELETE", "/jwt/keys")).status, 405);
  EXPECT_EQ(s.Handle(Request("GET", "/jwt/auth/")).status, 404);
  EXPECT_EQ(s.Handle(Request("GET", "/v2/")).status, 404);
  EXPECT_EQ(s.Handle(Request("HEAD", kAuth + "&scope=repository:acme/public-enabled:pull")).status,
            200);
  const net::HttpResponse health = s.Handle(Request("GET", "/-/health"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "GitLab OK");
}

// ---------------------------------------------------------------------------------------------
// Keys: kid modes, JWKS, certificate, algorithms
// ---------------------------------------------------------------------------------------------

// An independent statement of the libtrust kid (jwt.md: SHA-256 of the SPKI DER, first 30 bytes,
// base32, 12 groups of 4), so the header kid is not only compared with LibtrustKeyId itself.
std::string IndependentLibtrustKid(const protocol::Key& key) {
  const std::string der = protocol::SpkiDer(key);
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(der.data(), der.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string b32;
  int bits = 0;
  unsigned buffer = 0;
  for (int i = 0; i < 30; ++i) {
    buffer = (buffer << 8) | digest[i];
    bits += 8;
    while (bits >= 5) {
      b32 += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  std::string out;
  for (std::size_t i = 0; i < b32.size(); i += 4) {
    if (!out.empty()) out += ':';
    out += b32.substr(i, 4);
  }
  return out;
}

// LooksLikeLibtrustKid: 12 groups of 4 base32 characters joined by ':'.
bool LooksLikeLibtrustKid(std::string_view kid) {
  if (kid.size() != 59) return false;
  for (std::size_t i = 0; i < kid.size(); ++i) {
    const char c = kid[i];
    const bool ok = i % 5 == 4 ? c == ':' : ((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'));
    if (!ok) return false;
  }
  return true;
}

// jwt.md: the doc's P-256 key has kid PYYO:…:Z7Q6 — checks the independent derivation above.
TEST(IndependentLibtrustKid, MatchesDocVector) {
  auto key = protocol::KeyFromJwk({{"kty", "EC"},
                                   {"crv", "P-256"},
                                   {"x", "m7zUpx3b-zmVE5cymSs64POG9QcyEpJaYCD82-549_Q"},
                                   {"y", "dU3biz8sZ_8GPB-odm8Wxz3lNDr1xcAQQPQaOcr1fmc"}});
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(IndependentLibtrustKid(*key),
            "PYYO:TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q6");
  EXPECT_TRUE(LooksLikeLibtrustKid(IndependentLibtrustKid(*key)));
  EXPECT_FALSE(LooksLikeLibtrustKid("PYYO:TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q1"));
}

// §3.8: libtrust kid (default), RFC 7638 thumbprint, and x5c (chain in the header, no kid).
TEST_F(TokenServiceTest, KidModes) {
  const std::string scope = kAuth + "&scope=repository:acme/public-enabled:pull";
  {
    TokenService s(Config());
    const protocol::VerifiedToken v = Verified(TokenOf(s.Handle(Request("GET", scope))));
    EXPECT_EQ(v.header.kid, IndependentLibtrustKid(key_));
    EXPECT_EQ(s.key_id(), protocol::LibtrustKeyId(key_));
  }
  {
    TokenServiceConfig c = Config();
    c.kid_mode = KidMode::kThumbprint;
    TokenService s(std::move(c));
    const std::string token = TokenOf(s.Handle(Request("GET", scope)));
    auto v = protocol::VerifyToken(
        token, protocol::TrustStore::FromRoots({cert_}, protocol::KeyIdFormat::kJwkThumbprint),
        protocol::VerifierProfile::DistributionV3("gitlab-issuer", "container_registry"), kNow);
    ASSERT_TRUE(v.has_value()) << CodeName(v.error().code);
    EXPECT_EQ(v->header.kid, protocol::JwkThumbprint(key_));
  }
  {
    TokenServiceConfig c = Config();
    c.kid_mode = KidMode::kX5c;
    TokenService s(std::move(c));
    const protocol::VerifiedToken v = Verified(TokenOf(s.Handle(Request("GET", scope))));
    EXPECT_FALSE(v.header.kid.has_value());
    ASSERT_EQ(v.header.x5c.size(), 1u);
    EXPECT_EQ(v.header.x5c[0], protocol::Base64Encode(cert_.Der()));
    // Trusted through the chain alone: an empty kid table still verifies.
    protocol::TrustStore trust;
    trust.roots = {cert_};
    EXPECT_TRUE(
        protocol::VerifyToken(
            TokenOf(s.Handle(Request("GET", scope))), trust,
            protocol::VerifierProfile::DistributionV28("gitlab-issuer", "container_registry"), kNow)
            .has_value());
  }
}

// GET /jwt/keys: a JWKS whose key is the public signing key, under the kid mode's kid;
// GET /jwt/certificate: the rootcertbundle PEM.
TEST_F(TokenServiceTest, JwksAndCertificate) {
  TokenService s(Config());
  const net::HttpResponse keys = s.Handle(Request("GET", "/jwt/keys"));
  ASSERT_EQ(keys.status, 200);
  auto jwks = protocol::ParseJsonObject(keys.body);
  ASSERT_TRUE(jwks.has_value());
  ASSERT_EQ((*jwks)["keys"].size(), 1u);
  const json jwk = (*jwks)["keys"][0];
  EXPECT_EQ(jwk["kid"], protocol::LibtrustKeyId(key_));
  EXPECT_EQ(jwk["alg"], "RS256");
  EXPECT_FALSE(jwk.contains("d"));
  auto public_key = protocol::KeyFromJwk(jwk);
  ASSERT_TRUE(public_key.has_value());
  EXPECT_TRUE(protocol::SamePublicKey(*public_key, key_));

  const net::HttpResponse pem = s.Handle(Request("GET", "/jwt/certificate"));
  ASSERT_EQ(pem.status, 200);
  auto certs = protocol::LoadCertificatesPem(pem.body);
  ASSERT_TRUE(certs.has_value());
  EXPECT_EQ(certs->front().Der(), cert_.Der());

  TokenServiceConfig c = Config();
  c.certificate_chain.clear();
  c.kid_mode = KidMode::kThumbprint;
  TokenService bare(std::move(c));
  EXPECT_EQ(bare.Handle(Request("GET", "/jwt/certificate")).status, 404);
  auto bare_jwks = protocol::ParseJsonObject(bare.Handle(Request("GET", "/jwt/keys")).body);
  ASSERT_TRUE(bare_jwks.has_value());
  EXPECT_EQ((*bare_jwks)["keys"][0]["kid"], protocol::JwkThumbprint(key_));
}

// The algorithm follows the key (ES256 for P-256) and must fit it.
TEST_F(TokenServiceTest, Es256Signer) {
  TokenServiceConfig c = Config();
  c.signing_key = PrivateKey("ec_p256");
  c.certificate_chain.clear();
  TokenService s(std::move(c));
  EXPECT_EQ(s.alg(), protocol::Alg::kES256);
  const std::string token =
      TokenOf(s.Handle(Request("GET", kAuth + "&scope=repository:acme/public-enabled:pull")));
  protocol::TrustStore trust;
  const protocol::Key ec = PrivateKey("ec_p256");
  trust.AddKey(protocol::LibtrustKeyId(ec), ec);
  auto v = protocol::VerifyToken(
      token, trust,
      protocol::VerifierProfile::DistributionV28("gitlab-issuer", "container_registry"), kNow);
  ASSERT_TRUE(v.has_value()) << CodeName(v.error().code);
  EXPECT_EQ(v->header.alg_name, "ES256");
}

// ValidateTokenServiceConfig names each problem; an invalid service answers 500.
TEST_F(TokenServiceTest, ConfigValidation) {
  EXPECT_TRUE(ValidateTokenServiceConfig(Config()).has_value());
  const struct {
    const char* label;
    std::function<void(TokenServiceConfig&)> mutate;
  } cases[] = {
      {"no world", [](TokenServiceConfig& c) { c.world.reset(); }},
      {"no key", [](TokenServiceConfig& c) { c.signing_key = protocol::Key(); }},
      {"public key",
       [](TokenServiceConfig& c) { c.signing_key = c.certificate_chain[0].PublicKey(); }},
      {"alg does not fit", [](TokenServiceConfig& c) { c.alg = protocol::Alg::kES256; }},
      {"hmac alg", [](TokenServiceConfig& c) { c.alg = protocol::Alg::kHS256; }},
      {"leaf mismatch", [](TokenServiceConfig& c) { c.signing_key = PrivateKey("rsa2048_other"); }},
      {"x5c without chain",
       [](TokenServiceConfig& c) {
         c.kid_mode = KidMode::kX5c;
         c.certificate_chain.clear();
       }},
      {"bad ban window",
       [](TokenServiceConfig& c) {
         c.ip_ban.ban_after_failures = 3;
         c.ip_ban.window_seconds = 0;
       }},
  };
  for (const auto& tc : cases) {
    TokenServiceConfig c = Config();
    tc.mutate(c);
    auto ok = ValidateTokenServiceConfig(c);
    ASSERT_FALSE(ok.has_value()) << tc.label;
    EXPECT_NE(ok.error().find("token service:"), std::string::npos) << tc.label;
    TokenService s(std::move(c));
    EXPECT_EQ(s.config_error(), ok.error()) << tc.label;
    EXPECT_EQ(s.Handle(Request("GET", kAuth)).status, 500) << tc.label;
  }
}

// Issuer and service default from the world and may be overridden.
TEST_F(TokenServiceTest, IssuerAndServiceOverride) {
  TokenServiceConfig c = Config();
  c.issuer = "my-issuer";
  c.service = "my-registry";
  TokenService s(std::move(c));
  EXPECT_EQ(s.Handle(Request("GET", kAuth)).status, 404);
  const std::string token =
      TokenOf(s.Handle(Request("GET", "/jwt/auth?service=my-registry", Basic("dana-pat-api"))));
  auto v = protocol::VerifyToken(
      token, protocol::TrustStore::FromRoots({cert_}, protocol::KeyIdFormat::kLibtrust),
      protocol::VerifierProfile::DistributionV28("my-issuer", "my-registry"), kNow);
  EXPECT_TRUE(v.has_value());
}

// nested_user_jwt = false drops the `user` claim (speed experiments only).
TEST_F(TokenServiceTest, NestedJwtCanBeSwitchedOff) {
  TokenServiceConfig c = Config();
  c.nested_user_jwt = false;
  TokenService s(std::move(c));
  const json claims = ClaimsOf(s.Handle(Request("GET", kAuth, Basic("dana-pat-api"))));
  EXPECT_FALSE(claims.contains("user"));
  EXPECT_EQ(claims["sub"], "dana-developer");
}

// ---------------------------------------------------------------------------------------------
// distribution profile (token.md, oauth.md)
// ---------------------------------------------------------------------------------------------

// token.md: GET adds access_token (= token), expires_in and issued_at; offline_token=true adds a
// refresh token.
TEST_F(TokenServiceTest, DistributionGetResponse) {
  TokenService s(Config(TokenProfile::kDistribution));
  const net::HttpResponse r = s.Handle(
      Request("GET", kAuth + "&scope=repository:acme/private-enabled:pull", Basic("dana-pat-api")));
  ASSERT_EQ(r.status, 200);
  auto body = protocol::ParseTokenResponse(r.body, protocol::TokenResponseForm::kGet);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(body->token, body->access_token);
  EXPECT_EQ(body->expires_in, 300);
  EXPECT_EQ(body->issued_at, "2023-11-14T22:13:20Z");
  EXPECT_FALSE(body->refresh_token.has_value());
  EXPECT_TRUE(protocol::CheckTokenResponse(*body, protocol::TokenResponseForm::kGet).empty());

  const net::HttpResponse offline = s.Handle(
      Request("GET", kAuth + "&offline_token=true&client_id=docker", Basic("dana-pat-api")));
  auto ob = protocol::ParseTokenResponse(offline.body, protocol::TokenResponseForm::kGet);
  ASSERT_TRUE(ob.has_value());
  ASSERT_TRUE(ob->refresh_token.has_value());
  EXPECT_GE(ob->refresh_token->size(), 40u);
  // No principal, nothing to refresh: anonymous callers get no refresh token.
  auto anon = protocol::ParseTokenResponse(
      s.Handle(Request("GET", kAuth + "&offline_token=true&scope=repository:acme/public-enabled:"
                                      "pull"))
          .body,
      protocol::TokenResponseForm::kGet);
  ASSERT_TRUE(anon.has_value());
  EXPECT_FALSE(anon->refresh_token.has_value());
}

net::HttpRequest Form(const std::string& body) {
  net::HttpRequest r;
  r.method = "POST";
  r.target = r.path = "/jwt/auth";
  r.headers.emplace_back("Host", "gitlab.test");
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.body = body;
  r.remote_address = "192.0.2.20";
  return r;
}

// oauth.md: password grant (access_type=offline → refresh_token), then the refresh grant
// returns a new access token and the SAME refresh token; the granted scope is echoed.
TEST_F(TokenServiceTest, DistributionOAuthPasswordAndRefresh) {
  TokenService s(Config(TokenProfile::kDistribution));
  const std::string secret = Secret("dana-pat-read-write-registry");
  const net::HttpResponse first = s.Handle(
      Form("grant_type=password&username=dana-developer&password=" + secret +
           "&service=container_registry&client_id=docker&access_type=offline"
           "&scope=repository%3Aacme%2Fprivate-enabled%3Apull%2Cpush+registry%3Acatalog%3A*"));
  ASSERT_EQ(first.status, 200) << first.body;
  auto fb = protocol::ParseTokenResponse(first.body, protocol::TokenResponseForm::kOAuth2);
  ASSERT_TRUE(fb.has_value());
  EXPECT_FALSE(fb->token.has_value());
  EXPECT_EQ(fb->scope, "repository:acme/private-enabled:pull,push");
  EXPECT_EQ(fb->expires_in, 300);
  ASSERT_TRUE(fb->refresh_token.has_value());
  EXPECT_TRUE(protocol::CheckTokenResponse(*fb, protocol::TokenResponseForm::kOAuth2,
                                           {.refresh_token_requested = true})
                  .empty());
  const json claims = Verified(*fb->access_token).claims.raw;
  EXPECT_EQ(claims["sub"], "dana-developer");

  *now_ += 100;
  const net::HttpResponse second =
      s.Handle(Form("grant_type=refresh_token&refresh_token=" + *fb->refresh_token +
                    "&service=container_registry&client_id=docker"
                    "&scope=repository:acme/public-enabled:pull"));
  ASSERT_EQ(second.status, 200) << second.body;
  auto sb = protocol::ParseTokenResponse(second.body, protocol::TokenResponseForm::kOAuth2);
  ASSERT_TRUE(sb.has_value());
  EXPECT_EQ(sb->refresh_token, fb->refresh_token);
  EXPECT_NE(sb->access_token, fb->access_token);
  EXPECT_EQ(sb->scope, "repository:acme/public-enabled:pull");
  EXPECT_EQ(Verified(*sb->access_token).claims.raw["iat"], kNow + 100);
}

// Refreshing re-authenticates against the world as it is now: once the PAT has expired, the
// refresh token stops working.
TEST_F(TokenServiceTest, DistributionRefreshReauthenticates) {
  TokenService s(Config(TokenProfile::kDistribution));
  const net::HttpResponse first =
      s.Handle(Form("grant_type=password&username=x&password=" + Secret("dana-pat-read-registry") +
                    "&service=container_registry&client_id=c&access_type=offline"));
  auto fb = protocol::ParseTokenResponse(first.body, protocol::TokenResponseForm::kOAuth2);
  ASSERT_TRUE(fb.has_value() && fb->refresh_token.has_value()) << first.body;
  EXPECT_EQ(fb->scope, "");
  *now_ += 31 * 86400;  // dana-pat-read-registry expires in 30 days
  const net::HttpResponse late =
      s.Handle(Form("grant_type=refresh_token&refresh_token=" + *fb->refresh_token +
                    "&service=container_registry&client_id=c"));
  EXPECT_EQ(late.status, 401);
}

// oauth.md: required parameters and grant types; bad credentials and refresh tokens are 401.
TEST_F(TokenServiceTest, DistributionOAuthErrors) {
  TokenService s(Config(TokenProfile::kDistribution));
  const std::string pw = "&username=dana-developer&password=" + Secret("dana-developer-password");
  const struct {
    const char* label;
    std::string body;
    int status;
    std::string error;
  } cases[] = {
      {"no grant type", "service=container_registry&client_id=c" + pw, 400, "invalid_request"},
      {"no client id", "grant_type=password&service=container_registry" + pw, 400,
       "invalid_request"},
      {"no service", "grant_type=password&client_id=c" + pw, 400, "invalid_request"},
      {"unknown grant", "grant_type=authorization_code&service=container_registry&client_id=c", 400,
       "unsupported_grant_type"},
      {"password grant without password",
       "grant_type=password&service=container_registry&client_id=c&username=u", 400,
       "invalid_request"},
      {"refresh grant without token",
       "grant_type=refresh_token&service=container_registry"
       "&client_id=c",
       400, "invalid_request"},
      {"bad password",
       "grant_type=password&service=container_registry&client_id=c"
       "&username=dana-developer&password=nope",
       401, ""},
      {"unknown refresh token",
       "grant_type=refresh_token&refresh_token=abc"
       "&service=container_registry&client_id=c",
       401, ""},
      {"unknown service", "grant_type=password&service=other&client_id=c" + pw, 404, ""},
      {"ok", "grant_type=password&service=container_registry&client_id=c" + pw, 200, ""},
  };
  for (const auto& c : cases) {
    const net::HttpResponse r = s.Handle(Form(c.body));
    EXPECT_EQ(r.status, c.status) << c.label << ": " << r.body;
    if (!c.error.empty()) {
      auto body = protocol::ParseJsonObject(r.body);
      ASSERT_TRUE(body.has_value()) << c.label;
      EXPECT_EQ((*body)["error"], c.error) << c.label;
    }
  }
}

// gitlab profile: offline_token is ignored and there is never a refresh_token (§3.1).
TEST_F(TokenServiceTest, GitLabIgnoresOfflineToken) {
  TokenService s(Config());
  const net::HttpResponse r =
      s.Handle(Request("GET", kAuth + "&offline_token=true", Basic("dana-pat-api")));
  EXPECT_EQ(r.body.find("refresh_token"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Negative controls consulted by the token service
// ---------------------------------------------------------------------------------------------

TokenServiceConfig WithMisbehaviour(TokenServiceConfig c, Misbehaviour m) {
  c.misbehaviours.Enable(m);
  return c;
}

TEST_F(TokenServiceTest, ServerErrorOnAnonymousFlips) {
  const net::HttpRequest anon =
      Request("GET", kAuth + "&scope=repository:acme/public-enabled:pull");
  EXPECT_EQ(TokenService(Config()).Handle(anon).status, 200);
  TokenService bad(WithMisbehaviour(Config(), Misbehaviour::kServerErrorOnAnonymous));
  EXPECT_EQ(bad.Handle(anon).status, 500);
  EXPECT_EQ(bad.Handle(Request("GET", kAuth, Basic("dana-pat-api"))).status, 200);
}

TEST_F(TokenServiceTest, RejectEmptyScopeFlips) {
  const net::HttpRequest login = Request("GET", kAuth + "&client_id=docker&offline_token=true",
                                         Basic("dana-pat-read-registry"));
  EXPECT_EQ(TokenService(Config()).Handle(login).status, 200);
  TokenService bad(WithMisbehaviour(Config(), Misbehaviour::kRejectEmptyScope));
  EXPECT_EQ(bad.Handle(login).status, 401);
  EXPECT_EQ(bad.Handle(Request("GET", kAuth + "&scope=repository:acme/private-enabled:pull",
                               Basic("dana-pat-read-registry")))
                .status,
            200);
}

TEST_F(TokenServiceTest, WrongAudienceFlips) {
  const net::HttpRequest req = Request("GET", kAuth, Basic("dana-pat-api"));
  TokenService bad(WithMisbehaviour(Config(), Misbehaviour::kWrongAudience));
  const std::string token = TokenOf(bad.Handle(req));
  auto jws = protocol::ParseCompactJws(token);
  ASSERT_TRUE(jws.has_value());
  EXPECT_EQ(protocol::ParseJsonObject(jws->payload).value()["aud"], "not-container_registry");
  EXPECT_TRUE(Verified(token, "not-container_registry").claims.iss.has_value());
  EXPECT_EQ(ClaimsOf(TokenService(Config()).Handle(req))["aud"], "container_registry");
}

TEST_F(TokenServiceTest, LongLivedTokensFlips) {
  const net::HttpRequest req = Request("GET", kAuth, Basic("dana-pat-api"));
  const json normal = ClaimsOf(TokenService(Config()).Handle(req));
  EXPECT_EQ(normal["exp"].get<int64_t>() - normal["iat"].get<int64_t>(), 300);
  const json bad = ClaimsOf(
      TokenService(WithMisbehaviour(Config(), Misbehaviour::kLongLivedTokens)).Handle(req));
  EXPECT_EQ(bad["exp"].get<int64_t>() - bad["iat"].get<int64_t>(), 30 * 24 * 3600);
}

TEST_F(TokenServiceTest, WrongKidFlips) {
  TokenService bad(WithMisbehaviour(Config(), Misbehaviour::kWrongKid));
  const std::string token = TokenOf(bad.Handle(Request("GET", kAuth, Basic("dana-pat-api"))));
  auto jws = protocol::ParseCompactJws(token);
  ASSERT_TRUE(jws.has_value());
  ASSERT_TRUE(jws->header.kid.has_value());
  EXPECT_NE(*jws->header.kid, protocol::LibtrustKeyId(key_));
  EXPECT_TRUE(LooksLikeLibtrustKid(*jws->header.kid)) << *jws->header.kid;
  // The signature is still good; only the kid lies, so a kid-keyed verifier rejects it.
  EXPECT_TRUE(
      protocol::VerifySignature(*jws, key_, protocol::AlgPolicy::DistributionV28()).has_value());
  auto v = protocol::VerifyToken(
      token, protocol::TrustStore::FromRoots({cert_}, protocol::KeyIdFormat::kLibtrust),
      protocol::VerifierProfile::DistributionV28("gitlab-issuer", "container_registry"), kNow);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code, protocol::TokenError::kUnknownKid);
}

// A policy switch reaches the wire through the service too.
TEST_F(TokenServiceTest, PolicySwitchesReachTheWire) {
  const net::HttpRequest req =
      Request("GET", kAuth + "&scope=repository:acme/private-enabled:pull");
  EXPECT_EQ(TokenService(Config()).Handle(req).status, 403);
  TokenService bad(WithMisbehaviour(Config(), Misbehaviour::kAnonymousPrivatePull));
  EXPECT_EQ(ClaimsOf(bad.Handle(req))["access"][0]["actions"], json::parse(R"(["pull"])"));
}

// misbehaviour.h: each switch is consulted at exactly one point, so a reader greps one hit per
// switch. The token-service switches live in policy.cc and token_service.cc; the registry ones
// never appear there.
TEST(MisbehaviourPoints, EachTokenServiceSwitchAppearsExactlyOnce) {
  const std::string code =
      ReadFile(REGAUTH_SOURCE_DIR "/reference_server/token/policy.cc") +
      ReadFile(REGAUTH_SOURCE_DIR "/reference_server/token/token_service.cc") +
      ReadFile(REGAUTH_SOURCE_DIR "/reference_server/token/credential_index.cc");
  ASSERT_FALSE(code.empty());
  const auto count = [&code](const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = code.find(needle); at != std::string::npos;
         at = code.find(needle, at + 1)) {
      const char next = at + needle.size() < code.size() ? code[at + needle.size()] : ' ';
      if (!std::isalnum(static_cast<unsigned char>(next))) ++n;
    }
    return n;
  };
  // "accept-password-with-2fa" → "Misbehaviour::kAcceptPasswordWith2fa".
  const auto enumerator = [](std::string_view name) {
    std::string out = "Misbehaviour::k";
    bool upper = true;
    for (char ch : name) {
      if (ch == '-') {
        upper = true;
        continue;
      }
      out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
      upper = false;
    }
    return out;
  };
  std::size_t token_service_switches = 0;
  for (const MisbehaviourInfo& info : AllMisbehaviours()) {
    const std::size_t want = info.component == "token-service" ? 1 : 0;
    token_service_switches += want;
    EXPECT_EQ(count(enumerator(info.name)), want) << enumerator(info.name);
  }
  EXPECT_EQ(token_service_switches, 20u);
}

// ---------------------------------------------------------------------------------------------
// IP ban (§9: 403 text/plain "Forbidden")
// ---------------------------------------------------------------------------------------------

TEST_F(TokenServiceTest, IpBanAfterFailures) {
  TokenServiceConfig c = Config();
  c.ip_ban.ban_after_failures = 3;
  c.ip_ban.window_seconds = 60;
  c.ip_ban.ban_seconds = 600;
  TokenService s(std::move(c));
  const std::string bad = protocol::SerializeBasic("dana-developer", "wrong").value();
  const std::string good = Basic("dana-pat-api");
  const std::string ip = "198.51.100.7";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.Handle(Request("GET", kAuth, bad, ip)).status, 401);
  const net::HttpResponse banned = s.Handle(Request("GET", kAuth, good, ip));
  EXPECT_EQ(banned.status, 403);
  EXPECT_EQ(banned.body, "Forbidden");
  EXPECT_EQ(banned.Header("content-type"), "text/plain; charset=utf-8");
  // Other addresses, anonymous requests and gitlab-ci-token logins are not affected.
  EXPECT_EQ(s.Handle(Request("GET", kAuth, good, "198.51.100.8")).status, 200);
  EXPECT_EQ(s.Handle(Request("GET", kAuth + "&scope=repository:acme/public-enabled:pull",
                             std::nullopt, ip))
                .status,
            200);
  EXPECT_EQ(s.Handle(Request("GET", kAuth, Basic("job-101"), ip)).status, 200);
  // The ban expires.
  *now_ += 601;
  EXPECT_EQ(s.Handle(Request("GET", kAuth, good, ip)).status, 200);
}

TEST_F(TokenServiceTest, IpBanCountsOnlyWithinWindowAndResetsOnSuccess) {
  TokenServiceConfig c = Config();
  c.ip_ban.ban_after_failures = 3;
  c.ip_ban.window_seconds = 60;
  TokenService s(std::move(c));
  const std::string bad = protocol::SerializeBasic("dana-developer", "wrong").value();
  const std::string good = Basic("dana-pat-api");
  const std::string ci_bad = protocol::SerializeBasic("gitlab-ci-token", "wrong").value();
  const std::string ip = "203.0.113.9";
  // Two failures, a success (reset), two failures: no ban.
  s.Handle(Request("GET", kAuth, bad, ip));
  s.Handle(Request("GET", kAuth, bad, ip));
  EXPECT_EQ(s.Handle(Request("GET", kAuth, good, ip)).status, 200);
  s.Handle(Request("GET", kAuth, bad, ip));
  s.Handle(Request("GET", kAuth, bad, ip));
  EXPECT_EQ(s.Handle(Request("GET", kAuth, good, ip)).status, 200);
  // gitlab-ci-token failures do not count.
  for (int i = 0; i < 5; ++i) s.Handle(Request("GET", kAuth, ci_bad, ip));
  EXPECT_EQ(s.Handle(Request("GET", kAuth, good, ip)).status, 200);
  // Failures spread beyond the window do not add up.
  for (int i = 0; i < 4; ++i) {
    s.Handle(Request("GET", kAuth, bad, ip));
    s.Handle(Request("GET", kAuth, bad, ip));
    *now_ += 61;
  }
  EXPECT_EQ(s.Handle(Request("GET", kAuth, good, ip)).status, 200);
  // Off by default.
  TokenService off(Config());
  for (int i = 0; i < 20; ++i) off.Handle(Request("GET", kAuth, bad, ip));
  EXPECT_EQ(off.Handle(Request("GET", kAuth, good, ip)).status, 200);
}

// ---------------------------------------------------------------------------------------------
// Logging never carries a secret
// ---------------------------------------------------------------------------------------------

TEST_F(TokenServiceTest, LogsNeverContainSecrets) {
  TokenServiceConfig c = Config(TokenProfile::kDistribution);
  c.ip_ban.ban_after_failures = 100;
  TokenService s(std::move(c));
  std::vector<std::string> sent;  // every secret-bearing string sent
  const std::string scope = "&scope=repository:acme/private-enabled:pull,push";
  for (const protocol::Credential& cred : DefaultWorld()->Credentials()) {
    for (const std::string& user :
         {cred.login_username, std::string("someone"), cred.secret, std::string("")}) {
      const std::string h = protocol::SerializeBasic(user, cred.secret).value_or("");
      sent.push_back(h);
      s.Handle(Request("GET", kAuth + scope + "&offline_token=true", h));
    }
    s.Handle(
        Form("grant_type=password&service=container_registry&client_id=c&access_type="
             "offline&username=" +
             cred.login_username + "&password=" + cred.secret));
  }
  // Collect the refresh tokens that were handed out, then use one.
  const net::HttpResponse r =
      s.Handle(Request("GET", kAuth + "&offline_token=true", Basic("dana-pat-api")));
  auto body = protocol::ParseTokenResponse(r.body, protocol::TokenResponseForm::kGet);
  ASSERT_TRUE(body.has_value() && body->refresh_token.has_value());
  s.Handle(Form("grant_type=refresh_token&service=container_registry&client_id=c&refresh_token=" +
                *body->refresh_token));
  const std::vector<std::string> logs = Logs();
  ASSERT_GT(logs.size(), 300u);
  for (const std::string& line : logs) {
    for (const protocol::Credential& cred : DefaultWorld()->Credentials()) {
      ASSERT_EQ(line.find(cred.secret), std::string::npos) << cred.id << " in: " << line;
    }
    for (const std::string& h : sent) {
      ASSERT_EQ(line.find(h.substr(6)), std::string::npos) << line;
    }
    ASSERT_EQ(line.find(*body->refresh_token), std::string::npos) << line;
    ASSERT_EQ(line.find(body->token.value()), std::string::npos) << line;
  }
  // The logs do say who asked and what happened.
  bool saw_failure = false, saw_grant = false;
  for (const std::string& line : logs) {
    saw_failure |= line.find("reason=wrong_username") != std::string::npos;
    saw_grant |= line.find("credential=\"dana-pat-api\"") != std::string::npos &&
                 line.find("status=200") != std::string::npos;
  }
  EXPECT_TRUE(saw_failure);
  EXPECT_TRUE(saw_grant);
}

// Control bytes in a logged scope cannot forge log lines.
TEST_F(TokenServiceTest, LogValuesAreEscaped) {
  TokenService s(Config());
  // A newline splits scopes (whitespace, §3.1); other control bytes stay inside one.
  s.Handle(Request("GET", kAuth + "&scope=repository:a/b:pull%1Bfake=line%22%0Anext",
                   Basic("dana-pat-api")));
  const std::vector<std::string> logs = Logs();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].find('\n'), std::string::npos);
  EXPECT_EQ(logs[0].find('\x1b'), std::string::npos);
  EXPECT_NE(logs[0].find(R"(scope0="repository:a/b:pull\x1bfake=line\"")"), std::string::npos)
      << logs[0];
  EXPECT_NE(logs[0].find(R"(scope1="next":missing_actions)"), std::string::npos) << logs[0];
}

// Hostile query strings and Authorization headers never produce a 5xx (GitLab itself may 500 on
// some, §3.5, §8: the reference server is the hardened model). Deterministic pseudo-random input.
TEST_F(TokenServiceTest, HostileInputNeverGives5xx) {
  TokenServiceConfig c = Config(TokenProfile::kDistribution);
  c.nested_user_jwt = false;
  c.log = nullptr;
  TokenService s(std::move(c));
  std::mt19937 rng(12345);
  std::string alphabet = "repository:registry:catalog*pull,push,delete/acme-_.%20+&;=: ABCscope";
  alphabet += std::string("\t\n\0\xff\xc3\xa9", 6);
  const auto random_text = [&](std::size_t max) {
    std::string out;
    const std::size_t n = rng() % max;
    for (std::size_t i = 0; i < n; ++i) out += alphabet[rng() % alphabet.size()];
    return out;
  };
  const std::vector<std::string> auths = {"", Basic("dana-pat-api"), Basic("job-105"),
                                          "Basic " + random_text(20), "Bearer x"};
  for (int i = 0; i < 300; ++i) {
    std::string target = kAuth + "&scope=" + random_text(80);
    if (i % 3 == 0) target += "&scope=repository:acme/" + random_text(20) + ":" + random_text(12);
    if (i % 5 == 0) target = "/jwt/auth?" + random_text(120);
    const std::string& auth = auths[i % auths.size()];
    net::HttpRequest get = Request("GET", target);
    if (!auth.empty()) get.headers.emplace_back("Authorization", auth);
    const net::HttpResponse r = s.Handle(get);
    EXPECT_LT(r.status, 500) << target;
    net::HttpRequest post = Form(random_text(150));
    EXPECT_LT(s.Handle(post).status, 500) << post.body;
  }
}

// ---------------------------------------------------------------------------------------------
// Concurrency and speed
// ---------------------------------------------------------------------------------------------

// Handle is thread-safe: concurrent requests (with the ban table and refresh store in use) all
// get correct, distinct tokens.
TEST_F(TokenServiceTest, ConcurrentRequests) {
  TokenServiceConfig c = Config(TokenProfile::kDistribution);
  c.ip_ban.ban_after_failures = 1000;
  std::atomic<int> counter{0};
  c.jti = [&counter] { return "t" + std::to_string(++counter); };
  TokenService s(std::move(c));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const net::HttpResponse r = s.Handle(
            Request("GET", kAuth + "&offline_token=true&scope=repository:acme/private-enabled:pull",
                    Basic(t % 2 ? "dana-pat-api" : "max-pat-api"), "10.0.0." + std::to_string(t)));
        s.Handle(Request("GET", kAuth, "Basic Zm9vOmJhcg==", "10.0.1." + std::to_string(t)));
        if (r.status == 200) ++ok;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(counter.load(), 200);  // two jtis per token
}

}  // namespace
}  // namespace regauth::server
