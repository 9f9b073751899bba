// Integration test against the real distribution 2.8 registry (Debian's docker-registry): the
// --target distribution path (free port, REGISTRY_* scrubbed, log file, readiness, probe, stop),
// registry_request steps with tokens the test signs itself, and the real clients (skopeo push
// and inspect of the generated OCI image, docker login) through client_tool. Skipped when
// /usr/bin/docker-registry is absent, except under CI=true where that fails (STYLE.md "Tests").
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/execute/runner_test_support.h"
#include "harness/execute/steps.h"
#include "harness/execute/target.h"
#include "harness/testing/steps.h"

namespace regauth::harness {
namespace {

using test_support::FakeGitlab;
using test_support::TestKey;
using Json = nlohmann::json;

constexpr const char* kDockerRegistry = "/usr/bin/docker-registry";

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

int64_t WallClock() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// DistributionInstance plays the reference server's token side: FakeGitlab signs with the test
// key, and the docker-registry config trusts a self-signed certificate of that key.
class DistributionInstance : public ReferenceInstance {
 public:
  explicit DistributionInstance(std::string state_dir) : state_dir_(std::move(state_dir)) {
    fake.real_clock = true;
    auto cert = protocol::MakeSelfSignedCertificate(
        TestKey(), "regauth test token signer", WallClock() - 3600, WallClock() + 86400, 1, false);
    EXPECT_TRUE(cert.has_value());
    cert_pem_ = protocol::CertificatePem(*cert);
    std::ofstream(state_dir_ + "/token.crt") << cert_pem_;
  }
  std::string registry_url() const override { return ""; }
  std::string token_url() const override { return fake.realm(); }
  std::string signing_key_pem() const override { return protocol::PrivateKeyPem(TestKey()); }
  std::string certificate_pem() const override { return cert_pem_; }
  std::string distribution_config_yaml(const std::string& listen,
                                       const std::string& storage) const override {
    return "version: 0.1\n"
           "log:\n  level: info\n"
           "storage:\n  filesystem:\n    rootdirectory: " +
           storage +
           "\n"
           "  delete:\n    enabled: true\n"
           "http:\n  addr: " +
           listen +
           "\n"
           "auth:\n  token:\n"
           "    realm: " +
           token_url() +
           "\n"
           "    service: container_registry\n"
           "    issuer: gitlab-issuer\n"
           "    rootcertbundle: " +
           state_dir_ + "/token.crt\n";
  }
  FakeGitlab fake;

 private:
  std::string state_dir_;
  std::string cert_pem_;
};

class DockerRegistryTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kDockerRegistry)) {
      if (InCi()) FAIL() << kDockerRegistry << " is required under CI=true";
      GTEST_SKIP() << kDockerRegistry << " is not installed";
    }
    net::InitHttpClientLibrary();
    auto out = net::ScratchDir::Create("regauth-distribution-test-");
    ASSERT_TRUE(out.has_value());
    out_ = std::move(*out);
    // Must be ignored: REGISTRY_* would override the config file (target.h).
    setenv("REGISTRY_HTTP_ADDR", "127.0.0.1:1", 1);
    TargetOptions o;
    o.kind = TargetKind::kDistribution;
    o.docker_registry = kDockerRegistry;
    o.issuer = "gitlab-issuer";
    o.output_dir = out_->path();
    auto t =
        StartTarget(o,
                    [this](const ReferenceLaunchOptions& lo)
                        -> protocol::Expected<std::unique_ptr<ReferenceInstance>, std::string> {
                      EXPECT_FALSE(lo.with_registry);
                      auto instance = std::make_unique<DistributionInstance>(lo.state_dir);
                      instance_ = instance.get();
                      return std::unique_ptr<ReferenceInstance>(std::move(instance));
                    });
    unsetenv("REGISTRY_HTTP_ADDR");
    ASSERT_TRUE(t.has_value()) << t.error().message;
    target_ = std::move(*t);
    run_ = std::make_unique<test_support::TestRun>(target_->info());
    run_->ctx.guard = target_->guard();
    run_->ctx.clock = WallClock;
  }

  StepResult Step(StepKind kind, Json params, const std::string& save_as = "") {
    return RunStep(harness::test_support::MakeStep(kind, std::move(params), save_as), run_->ctx,
                   *state_);
  }

  Json Claims(const std::string& name, Json actions) const {
    return {
        {"iss", "gitlab-issuer"},
        {"aud", "container_registry"},
        {"sub", "dana-developer"},
        {"iat", "${now}"},
        {"nbf", "${now}"},
        {"exp", "${now+300}"},
        {"access", Json::array({{{"type", "repository"}, {"name", name}, {"actions", actions}}})}};
  }

  std::unique_ptr<net::ScratchDir> out_;
  DistributionInstance* instance_ = nullptr;
  std::unique_ptr<RunningTarget> target_;
  std::unique_ptr<test_support::TestRun> run_;
  std::unique_ptr<CaseState> state_ = std::make_unique<CaseState>(net::ClientOptions{});
};

// The sanity probe reads distribution's challenge: realm of the token service, the configured
// service, the API version header (suite-anchors.md §C1).
TEST_F(DockerRegistryTest, ProbeReadsDistributionChallenge) {
  const TargetInfo& info = target_->info();
  EXPECT_EQ(info.kind, "distribution");
  EXPECT_EQ(info.realm, instance_->fake.realm());
  EXPECT_EQ(info.service, "container_registry");
  EXPECT_NE(info.registry_url, "http://127.0.0.1:1");  // REGISTRY_HTTP_ADDR was scrubbed
  EXPECT_EQ(target_->fingerprint()["api_version_header"], "registry/2.0");
  EXPECT_TRUE(target_->findings().empty());
  EXPECT_EQ(target_->guard().allowed().size(), 2u);
  EXPECT_TRUE(std::filesystem::exists(target_->docker_registry_log()));
}

// Tokens the test signs are judged by the real verifier: pull allowed (404, no data), push
// refused with insufficient_scope, alg none refused with invalid_token, no token → challenge
// with the repository scope (suite-anchors.md §C1 table).
TEST_F(DockerRegistryTest, RegistryRequestsWithForgedTokens) {
  ASSERT_FALSE(Step(StepKind::kForgeToken,
                    {{"header", {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "${signing_kid}"}}},
                     {"claims", Claims("acme/app", {"pull"})}},
                    "pull")
                   .error);
  StepResult pull =
      Step(StepKind::kRegistryRequest, {{"path", "/v2/acme/app/tags/list"}, {"token", "pull"}});
  EXPECT_EQ(pull.output.status, 404) << pull.output.response_body;

  StepResult push =
      Step(StepKind::kRegistryRequest,
           {{"method", "POST"}, {"path", "/v2/acme/app/blobs/uploads/"}, {"token", "pull"}});
  EXPECT_EQ(push.output.status, 401);
  bool insufficient = false;
  for (const auto& [k, v] : push.output.response_headers) {
    insufficient |= k == "Www-Authenticate" && v.find("insufficient_scope") != std::string::npos;
  }
  EXPECT_TRUE(insufficient);

  ASSERT_FALSE(Step(StepKind::kForgeToken,
                    {{"header", {{"alg", "none"}, {"kid", "${signing_kid}"}}},
                     {"claims", Claims("acme/app", {"pull"})},
                     {"sign_with", "none"}},
                    "none")
                   .error);
  StepResult none =
      Step(StepKind::kRegistryRequest, {{"path", "/v2/acme/app/tags/list"}, {"token", "none"}});
  EXPECT_EQ(none.output.status, 401);

  StepResult anonymous = Step(StepKind::kRegistryRequest, {{"path", "/v2/acme/app/tags/list"}});
  EXPECT_EQ(anonymous.output.status, 401);
  bool scoped = false;
  for (const auto& [k, v] : anonymous.output.response_headers) {
    scoped |= v.find("scope=\"repository:acme/app:pull\"") != std::string::npos;
  }
  EXPECT_TRUE(scoped);
}

// docker_login_flow against the real registry and the token service: login succeeds.
TEST_F(DockerRegistryTest, DockerLoginFlowStep) {
  StepResult r = Step(StepKind::kDockerLoginFlow, {{"credential", "job-101"}});
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.output.status, 200);
  EXPECT_EQ(r.output.exchanges.size(), 3u);
}

// The real clients: skopeo pushes the generated OCI image with a write_registry PAT and reads it
// back; docker login succeeds without a daemon (suite-anchors.md §D4, §D5a).
TEST_F(DockerRegistryTest, RealClientsPushInspectAndLogin) {
  run_->ctx.tools.skopeo = net::FindExecutable("skopeo");
  run_->ctx.tools.docker = net::FindExecutable("docker");
  auto layout = net::ScratchDir::Create("regauth-layout-");
  ASSERT_TRUE(layout.has_value());
  ASSERT_TRUE(net::WriteOciLayout(run_->image, (*layout)->path() + "/l", "latest").has_value());
  run_->ctx.tools.oci_layout = (*layout)->path() + "/l";
  if (!run_->ctx.tools.skopeo) {
    if (InCi()) FAIL() << "skopeo is required under CI=true";
  } else {
    StepResult login = Step(StepKind::kClientTool,
                            {{"tool", "skopeo"},
                             {"args",
                              {"login", "-u", "${cred:dana-pat-read-write-registry.username}",
                               "--password-stdin", "${registry_host}"}},
                             {"stdin", "${cred:dana-pat-read-write-registry.secret}\n"}});
    ASSERT_TRUE(login.tool.has_value()) << login.error.value_or(login.skip.value_or(""));
    EXPECT_EQ(login.tool->exit_code, 0) << login.tool->output;
    StepResult copy =
        Step(StepKind::kClientTool,
             {{"tool", "skopeo"},
              {"args",
               {"copy", "oci:${oci_layout}:latest", "docker://${registry_host}/acme/app:latest"}}});
    ASSERT_TRUE(copy.tool.has_value());
    EXPECT_EQ(copy.tool->exit_code, 0) << copy.tool->output;
    StepResult inspect =
        Step(StepKind::kClientTool,
             {{"tool", "skopeo"},
              {"args", {"inspect", "--config", "docker://${registry_host}/acme/app:latest"}}});
    ASSERT_TRUE(inspect.tool.has_value());
    EXPECT_EQ(inspect.tool->exit_code, 0) << inspect.tool->output;
    // skopeo compresses the layer on push; the config still names our uncompressed diff_id.
    EXPECT_NE(inspect.output.output.find(run_->image.Blob("layer")->digest), std::string::npos)
        << inspect.output.output;
    EXPECT_EQ(login.tool->stdin_text.find("glpat-"), std::string::npos);
  }
  if (!run_->ctx.tools.docker) {
    if (InCi()) FAIL() << "the docker CLI is required under CI=true";
    GTEST_SKIP() << "docker CLI not installed";
  }
  StepResult docker =
      Step(StepKind::kClientTool,
           {{"tool", "docker"},
            {"args",
             {"login", "${registry_host}", "-u", "${cred:job-101.username}", "--password-stdin"}},
            {"stdin", "${cred:job-101.secret}\n"}});
  ASSERT_TRUE(docker.tool.has_value()) << docker.error.value_or(docker.skip.value_or(""));
  EXPECT_EQ(docker.tool->exit_code, 0) << docker.tool->output;
  EXPECT_NE(docker.output.output.find("Login Succeeded"), std::string::npos);
}

// Destroying the target stops docker-registry and removes its storage.
TEST_F(DockerRegistryTest, StopsTheRegistry) {
  const std::string url = target_->info().registry_url;
  run_.reset();
  target_.reset();
  net::HttpClient client;
  auto r = client.Send({"GET", url + "/v2/", {}, ""});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, net::ClientErrorCode::kConnect);
}

}  // namespace
}  // namespace regauth::harness
