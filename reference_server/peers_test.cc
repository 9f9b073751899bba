// peers_test.cc — the reference server against real peers (ctest label `integration`): the
// docker CLI's login with each GitLab CI form (token-auth.md §3.10; suite-anchors.md §D5a),
// skopeo pushing, pulling and deleting per GitLab's rules (§3.11; §D4), and Debian's
// docker-registry 2.8.2 configured by distribution_config.h trusting the server's tokens (§2.1).
//
// Every peer is started here and stopped here; traffic stays on 127.0.0.1; credentials come from
// the world through ci_env.h and protocol::CredentialsJson (what `regauth ci-env` and
// `regauth credentials` print). A test whose peer is missing reports itself SKIPPED with the
// reason — except under CI=true, where it FAILS (STYLE.md: never a silent pass in CI).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.h"
#include "net/oci_image.h"
#include "net/process.h"
#include "protocol/base64.h"
#include "protocol/world.h"
#include "reference_server/ci_env.h"
#include "reference_server/distribution_config.h"
#include "reference_server/server.h"

namespace regauth::server {
namespace {

constexpr const char* kWorldPath = REGAUTH_SOURCE_DIR "/cases/worlds/gitlab-default.json";
// A repository below a private project where dana (developer of acme) may push, and max
// (maintainer) may delete with an api token (token-auth.md §3.11).
constexpr const char* kRepository = "acme/private-enabled/regauth-peers";

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// The environment every peer runs in: nothing that would send traffic elsewhere (proxies) or
// change what is sent (REGISTRY_* overrides docker-registry's file and skopeo's auth file,
// DOCKER_* the docker CLI's config and host).
const std::vector<std::string> kEnvDeny = {"REGISTRY_*",  "DOCKER_*",  "CONTAINERS_*", "HTTP_PROXY",
                                           "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",     "http_proxy",
                                           "https_proxy", "all_proxy", "no_proxy",     "OTEL_*"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string HostPort(const std::string& url) { return url.substr(url.find("://") + 3); }

// Peer is the fixture: a world, a reference server, a scratch directory, and the tools.
class Peer : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = net::ScratchDir::Create("regauth-peers-");
    ASSERT_TRUE(scratch) << scratch.error();
    scratch_ = std::move(*scratch);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto world = LoadWorldFile(kWorldPath, now);
    ASSERT_TRUE(world) << world.error();
    world_ = std::make_shared<const protocol::World>(std::move(*world));
    // The credentials as `regauth credentials` prints them: id → (username, secret).
    for (const auto& c : protocol::CredentialsJson(*world_)) {
      credentials_[c["id"].get<std::string>()] = {c["username"].get<std::string>(),
                                                  c["secret"].get<std::string>()};
    }
  }

  // Tool finds `name` and checks that `name --version` runs here; otherwise it records why in
  // missing_ and returns nullopt, and the test ends with SKIP_OR_FAIL.
  std::optional<std::string> Tool(const std::string& name, const std::string& why) {
    auto path = net::FindExecutable(name);
    if (!path) {
      missing_ = name + " is not installed (" + why + ")";
      return std::nullopt;
    }
    net::ProcessSpec spec;
    spec.argv = {*path, "--version"};
    spec.env_deny = kEnvDeny;
    spec.timeout = std::chrono::seconds(30);
    auto r = net::RunProcess(spec);
    if (!r || r->exit_code != 0) {
      missing_ = name + " --version does not run here (" +
                 (r ? r->Describe() + ": " + r->stderr_text : r.error().message) + ")";
      return std::nullopt;
    }
    return path;
  }

  void StartServer(bool with_registry) {
    ReferenceServerConfig c;
    c.world = world_;
    c.state_dir = scratch_->path() + "/state";
    c.with_registry = with_registry;
    c.log_level = LogLevel::kWarn;
    c.threads = 2;
    auto s = ReferenceServer::Start(std::move(c));
    ASSERT_TRUE(s) << s.error();
    server_ = std::move(*s);
  }

  std::string Dir(const std::string& name) {
    const std::string path = scratch_->path() + "/" + name;
    std::filesystem::create_directories(path);
    return path;
  }

  std::pair<std::string, std::string> Credential(const std::string& id) {
    auto it = credentials_.find(id);
    if (it == credentials_.end()) {
      ADD_FAILURE() << "the default world has no credential " << id;
      return {};
    }
    return it->second;
  }

  // AuthFile writes a containers-auth.json for `host` with user:secret (skopeo --authfile), so
  // no secret appears in an argv.
  std::string AuthFile(const std::string& name, const std::string& host,
                       const std::pair<std::string, std::string>& cred) {
    const std::string path = Dir("auth") + "/" + name + ".json";
    nlohmann::json j;
    j["auths"][host]["auth"] = protocol::Base64Encode(cred.first + ":" + cred.second);
    std::ofstream(path) << j.dump();
    return path;
  }

  net::ProcessResult Run(std::vector<std::string> argv, std::string stdin_text = "",
                         std::vector<std::pair<std::string, std::string>> env = {}) {
    net::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.env_deny = kEnvDeny;
    spec.env_set = std::move(env);
    spec.env_set.emplace_back("HOME", Dir("home"));
    spec.stdin_text = std::move(stdin_text);
    spec.timeout = std::chrono::seconds(120);
    auto r = net::RunProcess(spec);
    if (!r) {
      ADD_FAILURE() << "cannot run " << spec.argv[0] << ": " << r.error().message;
      return net::ProcessResult{};
    }
    return std::move(*r);
  }

  std::unique_ptr<net::ScratchDir> scratch_;
  std::shared_ptr<const protocol::World> world_;
  std::map<std::string, std::pair<std::string, std::string>> credentials_;
  std::unique_ptr<ReferenceServer> server_;
  std::string missing_;
};

// SKIP_OR_FAIL ends a test whose peer is missing (see the file comment).
#define SKIP_OR_FAIL(fixture)                                               \
  do {                                                                      \
    if (InCi()) FAIL() << (fixture).missing_ << "; required under CI=true"; \
    GTEST_SKIP() << (fixture).missing_;                                     \
  } while (0)

// ---- docker CLI --------------------------------------------------------------------------------

class DockerCli : public Peer {
 protected:
  // Login runs `echo "$PASSWORD" | docker login HOST -u USER --password-stdin` exactly as the
  // GitLab docs write it (echo adds the newline docker strips), with a throwaway DOCKER_CONFIG.
  net::ProcessResult Login(const std::string& docker, const std::string& host,
                           const std::string& user, const std::string& password,
                           const std::string& config_dir) {
    return Run({docker, "login", host, "-u", user, "--password-stdin"}, password + "\n",
               {{"DOCKER_CONFIG", config_dir}});
  }
};

// token-auth.md §3.10: the documented CI login forms, with the values ci-env computes for the
// default job (101, acme/app-ci, the acme group's gitlab-deploy-token), and a PAT; each one makes
// docker fetch a token from the realm (suite-anchors.md §D5a) and succeeds.
TEST_F(DockerCli, CiLoginFormsSucceed) {
  auto docker = Tool("docker", "the docker CLI, version 28 at /usr/local/bin/docker");
  if (!docker) SKIP_OR_FAIL(*this);
  ASSERT_NO_FATAL_FAILURE(StartServer(true));
  const std::string host = HostPort(server_->registry_url());
  CiEnvOptions o;
  o.registry = host;
  auto env = BuildCiEnv(*world_, o);
  ASSERT_TRUE(env) << env.error().message;
  std::map<std::string, std::string> v;
  for (const CiVariable& var : env->variables) v[var.name] = var.value;
  ASSERT_EQ(v["CI_REGISTRY"], host);
  ASSERT_TRUE(v.count("CI_DEPLOY_USER")) << "the default job must have a gitlab-deploy-token";
  const auto pat = Credential("dana-pat-read-registry");

  struct Form {
    const char* label;
    std::string user, password;
  };
  const Form forms[] = {
      {"CI_REGISTRY_PASSWORD", v["CI_REGISTRY_USER"], v["CI_REGISTRY_PASSWORD"]},
      {"CI_JOB_TOKEN", v["CI_REGISTRY_USER"], v["CI_JOB_TOKEN"]},
      {"CI_DEPLOY_PASSWORD", v["CI_DEPLOY_USER"], v["CI_DEPLOY_PASSWORD"]},
      {"personal access token", pat.first, pat.second},
  };
  for (const Form& f : forms) {
    SCOPED_TRACE(f.label);
    const std::string config = Dir(std::string("docker-") + f.label);
    const auto before = server_->token_stats().requests;
    const net::ProcessResult r = Login(*docker, v["CI_REGISTRY"], f.user, f.password, config);
    EXPECT_EQ(r.exit_code, 0) << r.Describe() << "\n" << r.stdout_text << r.stderr_text;
    EXPECT_NE(r.stdout_text.find("Login Succeeded"), std::string::npos) << r.stdout_text;
    EXPECT_GT(server_->token_stats().requests, before) << "docker did not ask the realm";
    const std::string saved = ReadFile(config + "/config.json");
    EXPECT_NE(saved.find("\"" + host + "\""), std::string::npos) << saved;
  }
}

// A revoked token and a wrong secret are refused at the realm (401, token-auth.md §3.11 "bad
// password / unknown / expired / revoked token"), so docker login fails and stores nothing.
TEST_F(DockerCli, RevokedOrWrongTokensFail) {
  auto docker = Tool("docker", "the docker CLI, version 28 at /usr/local/bin/docker");
  if (!docker) SKIP_OR_FAIL(*this);
  ASSERT_NO_FATAL_FAILURE(StartServer(true));
  const std::string host = HostPort(server_->registry_url());
  const auto revoked = Credential("dana-pat-revoked");
  const auto job = Credential("job-101");
  struct Form {
    const char* label;
    std::string user, password;
  };
  const Form forms[] = {
      {"revoked PAT", revoked.first, revoked.second},
      {"wrong PAT", revoked.first, "glpat-not-a-token-of-this-world"},
      {"job token with a wrong username", "dana-developer", job.second},
  };
  for (const Form& f : forms) {
    SCOPED_TRACE(f.label);
    const std::string config = Dir(std::string("docker-") + f.label);
    const net::ProcessResult r = Login(*docker, host, f.user, f.password, config);
    EXPECT_NE(r.exit_code, 0) << r.stdout_text << r.stderr_text;
    EXPECT_EQ(r.stdout_text.find("Login Succeeded"), std::string::npos) << r.stdout_text;
    EXPECT_NE(r.stderr_text.find("unauthorized"), std::string::npos) << r.stderr_text;
    EXPECT_EQ(ReadFile(config + "/config.json").find(host), std::string::npos);
  }
}

// ---- skopeo ------------------------------------------------------------------------------------

class Skopeo : public Peer {
 protected:
  void SetUp() override {
    Peer::SetUp();
    skopeo_ = Tool("skopeo", "containers/image client, Debian package skopeo");
  }

  // Layout writes the tiny OCI image (net/oci_image.h) and returns its directory.
  std::string Layout(const std::string& label) {
    const std::string dir = scratch_->path() + "/layout-" + label;
    auto ok = net::WriteOciLayout(net::BuildTinyImage(label), dir, "v1");
    EXPECT_TRUE(ok) << ok.error();
    return dir;
  }

  // Push copies the layout to host/repo:v1; Pull copies it back into a new layout.
  net::ProcessResult Push(const std::string& layout, const std::string& host,
                          const std::string& authfile) {
    return Run({*skopeo_, "--insecure-policy", "copy", "--dest-tls-verify=false", "--dest-authfile",
                authfile, "oci:" + layout + ":v1", "docker://" + host + "/" + kRepository + ":v1"});
  }
  net::ProcessResult Pull(const std::string& host, const std::string& authfile,
                          const std::string& into) {
    return Run({*skopeo_, "--insecure-policy", "copy", "--src-tls-verify=false", "--src-authfile",
                authfile, "docker://" + host + "/" + kRepository + ":v1", "oci:" + into + ":v1"});
  }
  net::ProcessResult Delete(const std::string& host, const std::string& authfile) {
    return Run({*skopeo_, "delete", "--tls-verify=false", "--authfile", authfile,
                "docker://" + host + "/" + kRepository + ":v1"});
  }
  net::ProcessResult Inspect(const std::string& host, const std::string& authfile) {
    return Run({*skopeo_, "inspect", "--raw", "--tls-verify=false", "--authfile", authfile,
                "docker://" + host + "/" + kRepository + ":v1"});
  }

  // PushPullScenario: a write_registry PAT pushes, a read_registry PAT pulls the same manifest
  // back, and a read_registry PAT alone cannot push (token-auth.md §3.11, §6 item 23).
  void PushPullScenario(const std::string& host) {
    const std::string rw = AuthFile("rw", host, Credential("dana-pat-read-write-registry"));
    const std::string ro = AuthFile("ro", host, Credential("dana-pat-read-registry"));
    const std::string layout = Layout("push-pull");
    const net::ProcessResult push = Push(layout, host, rw);
    ASSERT_EQ(push.exit_code, 0) << push.Describe() << "\n" << push.stderr_text;

    const std::string pulled = scratch_->path() + "/pulled";
    const net::ProcessResult pull = Pull(host, ro, pulled);
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe() << "\n" << pull.stderr_text;
    // skopeo compresses the uncompressed layer on push, so the manifest changes; the image
    // config (diff_ids of the uncompressed layer) comes back byte for byte.
    const auto pulled_index = nlohmann::json::parse(ReadFile(pulled + "/index.json"), nullptr,
                                                    /*allow_exceptions=*/false);
    ASSERT_TRUE(pulled_index.is_object()) << "pulled layout has no index.json";
    const std::string manifest_digest = pulled_index["manifests"][0].value("digest", "");
    const auto manifest = nlohmann::json::parse(
        ReadFile(pulled + "/blobs/sha256/" + manifest_digest.substr(manifest_digest.find(':') + 1)),
        nullptr, false);
    ASSERT_TRUE(manifest.is_object()) << "pulled manifest " << manifest_digest;
    EXPECT_EQ(manifest["config"].value("digest", ""),
              net::BuildTinyImage("push-pull").Blob("config")->digest);

    const net::ProcessResult refused = Push(Layout("refused"), host, ro);
    EXPECT_NE(refused.exit_code, 0) << "read_registry alone pushed";
    EXPECT_NE(refused.stderr_text.find("unauthorized"), std::string::npos) << refused.stderr_text;
  }

  std::optional<std::string> skopeo_;
};

TEST_F(Skopeo, PushesWithWriteRegistryPullsWithReadRegistry) {
  if (!skopeo_) SKIP_OR_FAIL(*this);
  ASSERT_NO_FATAL_FAILURE(StartServer(true));
  PushPullScenario(HostPort(server_->registry_url()));
}

// skopeo delete asks for `repository:<name>:*` (suite-anchors.md §D4); GitLab grants `*` only
// with admin_container_image: a maintainer's api token deletes, a developer's read+write PAT is
// refused (token-auth.md §3.11, §4.2 "developer: `*` → inaccessible").
TEST_F(Skopeo, DeleteFollowsGitLabRoles) {
  if (!skopeo_) SKIP_OR_FAIL(*this);
  ASSERT_NO_FATAL_FAILURE(StartServer(true));
  const std::string host = HostPort(server_->registry_url());
  const std::string rw = AuthFile("rw", host, Credential("dana-pat-read-write-registry"));
  const std::string api = AuthFile("api", host, Credential("max-pat-api"));
  const net::ProcessResult push = Push(Layout("delete"), host, rw);
  ASSERT_EQ(push.exit_code, 0) << push.Describe() << "\n" << push.stderr_text;

  const net::ProcessResult refused = Delete(host, rw);
  EXPECT_NE(refused.exit_code, 0) << "a developer's read+write PAT deleted";
  EXPECT_EQ(Inspect(host, rw).exit_code, 0) << "the image must still be there";

  const net::ProcessResult allowed = Delete(host, api);
  EXPECT_EQ(allowed.exit_code, 0) << allowed.Describe() << "\n" << allowed.stderr_text;
  const net::ProcessResult gone = Inspect(host, rw);
  EXPECT_NE(gone.exit_code, 0) << "the image is still there after a delete";
  EXPECT_NE(gone.stderr_text.find("manifest unknown"), std::string::npos) << gone.stderr_text;
}

// ---- Debian's docker-registry ------------------------------------------------------------------

// Debian's docker-registry 2.8.2, configured by distribution_config.h (what `regauth
// distribution-config` prints) with the server's realm, service, issuer and signing certificate
// as rootcertbundle, accepts the server's tokens for the same skopeo push and pull.
TEST_F(Skopeo, DockerRegistryAcceptsTheServersTokens) {
  if (!skopeo_) SKIP_OR_FAIL(*this);
  auto registry_bin = Tool("/usr/bin/docker-registry", "Debian package docker-registry");
  if (!registry_bin) SKIP_OR_FAIL(*this);
  ASSERT_NO_FATAL_FAILURE(StartServer(false));
  const int port = net::FreeLoopbackPort();
  ASSERT_NE(port, 0);
  const std::string host = "127.0.0.1:" + std::to_string(port);

  DistributionConfigOptions o;
  o.listen_addr = host;
  o.storage_dir = Dir("docker-registry-storage");
  o.realm = server_->realm();
  o.service = server_->service();
  o.issuer = server_->issuer();
  o.rootcertbundle = server_->signing_cert_path();
  const std::string config = scratch_->path() + "/config.yml";
  std::ofstream(config) << DistributionConfigYaml(o);
  const std::string log = scratch_->path() + "/docker-registry.log";
  net::ProcessSpec spec;
  spec.argv = {*registry_bin, "serve", config};
  spec.env_deny = kEnvDeny;  // REGISTRY_* would override the file
  spec.output_file = log;
  auto process = net::BackgroundProcess::Start(spec);
  ASSERT_TRUE(process) << process.error().message;
  std::unique_ptr<net::BackgroundProcess> registry = std::move(*process);  // stopped at scope end

  // Ready when /v2/ answers 401 with the server's realm (token-auth.md §1.2).
  net::HttpClient client;
  std::string challenge;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && registry->Running()) {
    auto r = client.Send({"GET", "http://" + host + "/v2/", {}, ""});
    if (r && r->status == 401) {
      challenge = std::string(r->Header("WWW-Authenticate").value_or(""));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(challenge.empty()) << "docker-registry not ready: " << registry->exit_description()
                                  << "\n"
                                  << ReadFile(log);
  EXPECT_EQ(challenge,
            "Bearer realm=\"" + server_->realm() + "\",service=\"" + server_->service() + "\"");

  PushPullScenario(host);
  if (HasFailure()) ADD_FAILURE() << "docker-registry log:\n" << ReadFile(log);
  registry->Stop();
}

}  // namespace
}  // namespace regauth::server
