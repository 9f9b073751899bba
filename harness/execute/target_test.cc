#include "harness/execute/target.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "harness/execute/runner_test_support.h"
#include "net/http_server.h"

namespace regauth::harness {
namespace {

using test_support::FakeGitlab;

// Origins are RFC 6454 triples with the default port made explicit; URLs with userinfo or a
// non-http(s) scheme have none (credentials never travel in URLs).
TEST(OriginOf, NormalisesSchemeHostAndPort) {
  struct Row {
    const char* label;
    const char* url;
    const char* origin;  // "" = nullopt
  };
  const Row rows[] = {
      {"explicit port", "http://127.0.0.1:5000/v2/", "http://127.0.0.1:5000"},
      {"default http", "http://registry.example/v2/", "http://registry.example:80"},
      {"default https", "https://registry.example/jwt/auth?x=1", "https://registry.example:443"},
      {"case", "HTTP://Registry.Example:8080", "http://registry.example:8080"},
      {"ipv6", "http://[::1]:5000/", "http://[::1]:5000"},
      {"userinfo", "http://user:pw@registry.example/", ""},
      {"ftp", "ftp://registry.example/", ""},
      {"relative", "/jwt/auth", ""},
      {"garbage", "http://", ""},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    const auto o = OriginOf(row.url);
    EXPECT_EQ(o ? o->ToString() : "", row.origin);
  }
}

// `docker login` takes host:port as written in the URL.
TEST(HostPortOf, KeepsThePortAsWritten) {
  EXPECT_EQ(HostPortOf("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
  EXPECT_EQ(HostPortOf("https://registry.example/"), "registry.example");
  EXPECT_EQ(HostPortOf("nonsense"), "");
}

// Credentials go only to the registry and realm origins (suite-anchors.md §C2, ContainerDrip).
TEST(CredentialGuard, AllowsOnlyTheTwoOrigins) {
  const CredentialGuard guard(
      {*OriginOf("http://127.0.0.1:5000"), *OriginOf("https://gitlab.example/jwt/auth")});
  struct Row {
    const char* label;
    const char* url;
    bool allowed;
  };
  const Row rows[] = {
      {"registry", "http://127.0.0.1:5000/v2/acme/app/tags/list", true},
      {"realm", "https://gitlab.example:443/jwt/auth?service=x", true},
      {"other port", "http://127.0.0.1:5001/v2/", false},
      {"scheme downgrade", "http://gitlab.example/jwt/auth", false},
      {"other host", "http://evil.example:5000/", false},
      {"userinfo", "http://a:b@127.0.0.1:5000/", false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    const auto why = guard.Check(row.url);
    EXPECT_EQ(!why.has_value(), row.allowed) << why.value_or("");
    if (why) {
      EXPECT_NE(why->find("refused"), std::string::npos);
    }
  }
}

// A server answering /v2/ with a canned response.
class CannedV2 {
 public:
  explicit CannedV2(std::function<net::HttpResponse(const std::string& base)> respond)
      : respond_(std::move(respond)) {
    auto s =
        net::HttpServer::Start({}, [this](const net::HttpRequest&) { return respond_(base_); });
    EXPECT_TRUE(s.has_value());
    server_ = std::move(*s);
    base_ = server_->BaseUrl();
  }
  const std::string& base() const { return base_; }

 private:
  std::function<net::HttpResponse(const std::string&)> respond_;
  std::unique_ptr<net::HttpServer> server_;
  std::string base_;
};

net::HttpResponse With(int status, std::vector<std::string> challenges) {
  net::HttpResponse r = net::HttpResponse::Json(status, "{}");
  for (auto& c : challenges) r.AddHeader("WWW-Authenticate", c);
  r.AddHeader("Docker-Distribution-Api-Version", "registry/2.0");
  return r;
}

// The sanity probe accepts exactly a 401 with a usable Bearer challenge and says why otherwise
// (suite-anchors.md §E must-have 7).
TEST(SanityProbe, ClassifiesAnswers) {
  net::InitHttpClientLibrary();
  struct Row {
    const char* label;
    std::function<net::HttpResponse(const std::string&)> respond;
    std::optional<TargetErrorCode> error;  // nullopt = success
    const char* message_part;              // in the error message or a finding
  };
  const Row rows[] = {
      {"distribution 2.8",
       [](const std::string& b) {
         return With(401, {"Bearer realm=\"" + b + "/jwt/auth\",service=\"container_registry\""});
       },
       std::nullopt, ""},
      {"no auth", [](const std::string&) { return With(200, {}); },
       TargetErrorCode::kNoAuthRequired, "moby/moby#50896"},
      {"404", [](const std::string&) { return With(404, {}); }, TargetErrorCode::kUnexpectedStatus,
       "404"},
      {"no challenge", [](const std::string&) { return With(401, {}); },
       TargetErrorCode::kNoChallenge, "without a WWW-Authenticate"},
      {"basic only", [](const std::string&) { return With(401, {"Basic realm=\"x\""}); },
       TargetErrorCode::kNotBearer, "no Bearer challenge"},
      {"unparsable", [](const std::string&) { return With(401, {"=Bearer"}); },
       TargetErrorCode::kBadChallenge, "at byte 0"},
      {"no realm", [](const std::string&) { return With(401, {"Bearer service=\"x\""}); },
       TargetErrorCode::kNoRealm, "missing_realm"},
      {"ftp realm", [](const std::string&) { return With(401, {"Bearer realm=\"ftp://x/t\""}); },
       TargetErrorCode::kNoRealm, "not an absolute http(s) URL"},
      {"duplicate realm (lenient, finding)",
       [](const std::string& b) {
         return With(401,
                     {"Bearer realm=\"" + b + "/a\",realm=\"" + b + "/jwt/auth\",service=\"s\""});
       },
       std::nullopt, "duplicate_param"},
      {"relative realm (finding)",
       [](const std::string&) { return With(401, {"Bearer realm=\"/jwt/auth\",service=\"s\""}); },
       std::nullopt, "relative"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    CannedV2 server(row.respond);
    net::HttpClient client;
    auto r = SanityProbe(client, server.base() + "/");
    if (row.error) {
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code, *row.error) << r.error().message;
      EXPECT_NE(r.error().message.find(row.message_part), std::string::npos) << r.error().message;
      continue;
    }
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->info.registry_url, server.base());
    EXPECT_EQ(r->info.registry_host, server.base().substr(7));
    EXPECT_EQ(r->info.realm.rfind(server.base(), 0), 0u);
    EXPECT_EQ(r->fingerprint["api_version_header"], "registry/2.0");
    if (*row.message_part != '\0') {
      ASSERT_FALSE(r->findings.empty());
      EXPECT_NE(r->findings[0].find(row.message_part), std::string::npos) << r->findings[0];
    } else {
      EXPECT_TRUE(r->findings.empty());
      EXPECT_EQ(r->info.service, "container_registry");
      EXPECT_EQ(r->info.realm, server.base() + "/jwt/auth");
    }
  }
}

// Nothing listening: the probe says the target is unreachable (exit code 3 upstream).
TEST(SanityProbe, ReportsConnectionRefused) {
  net::InitHttpClientLibrary();
  net::HttpClient client;
  auto r = SanityProbe(client, "http://127.0.0.1:" + std::to_string(net::FreeLoopbackPort()));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, TargetErrorCode::kUnreachable);
  EXPECT_NE(r.error().message.find("connect"), std::string::npos);
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

// The reference target goes through the launcher with the run's options; black-box needs
// none; a missing launcher or a failing one is a target error (exit 3).
TEST(StartTarget, ReferenceBlackBoxAndFailures) {
  net::InitHttpClientLibrary();
  ReferenceLaunchOptions seen;
  ReferenceLauncher launcher = [&](const ReferenceLaunchOptions& o)
      -> protocol::Expected<std::unique_ptr<ReferenceInstance>, std::string> {
    seen = o;
    return std::unique_ptr<ReferenceInstance>(new FakeInstance());
  };
  TargetOptions o;
  o.kind = TargetKind::kReference;
  o.world_path = "w.json";
  o.profile = "gitlab";
  o.misbehaviours = {"accept-alg-none"};
  o.issuer = "gitlab-issuer";
  auto t = StartTarget(o, launcher);
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(seen.world_path, "w.json");
  EXPECT_EQ(seen.misbehaviours, std::vector<std::string>{"accept-alg-none"});
  EXPECT_TRUE(seen.with_registry);
  EXPECT_FALSE(seen.state_dir.empty());
  EXPECT_EQ((*t)->info().kind, "reference");
  EXPECT_EQ((*t)->info().issuer, "gitlab-issuer");
  EXPECT_FALSE((*t)->signing_key_pem().empty());
  EXPECT_EQ((*t)->guard().allowed().size(), 1u);  // registry and realm share the origin
  const std::string state_dir = seen.state_dir;
  t->reset();
  EXPECT_FALSE(std::filesystem::exists(state_dir));

  auto missing = StartTarget(o, nullptr);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, TargetErrorCode::kNotAvailable);

  auto failing =
      StartTarget(o,
                  [](const ReferenceLaunchOptions&)
                      -> protocol::Expected<std::unique_ptr<ReferenceInstance>, std::string> {
                    return protocol::Unexpected<std::string>("unknown misbehaviour 'x'");
                  });
  ASSERT_FALSE(failing.has_value());
  EXPECT_EQ(failing.error().code, TargetErrorCode::kLaunchFailed);
  EXPECT_NE(failing.error().message.find("unknown misbehaviour 'x'"), std::string::npos);

  FakeGitlab fake;
  TargetOptions bb;
  bb.kind = TargetKind::kBlackBox;
  bb.registry_url = fake.base();
  auto black = StartTarget(bb, nullptr);
  ASSERT_TRUE(black.has_value()) << black.error().message;
  EXPECT_EQ((*black)->info().kind, "black-box");
  EXPECT_TRUE((*black)->signing_key_pem().empty());
}

// --target distribution without docker-registry is a clear target error.
TEST(StartTarget, DistributionNeedsDockerRegistry) {
  TargetOptions o;
  o.kind = TargetKind::kDistribution;
  o.docker_registry = "/nonexistent/docker-registry";
  bool launched = false;
  auto t = StartTarget(o,
                       [&](const ReferenceLaunchOptions&)
                           -> protocol::Expected<std::unique_ptr<ReferenceInstance>, std::string> {
                         launched = true;
                         return protocol::Unexpected<std::string>("unused");
                       });
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, TargetErrorCode::kMissingBinary);
  EXPECT_NE(t.error().message.find("/nonexistent/docker-registry"), std::string::npos);
  EXPECT_FALSE(launched);
}

}  // namespace
}  // namespace regauth::harness
