// black_box_test.cc — the black-box target end to end, as a registry team would run it: the
// reference token service alone (`regauth serve --no-registry`), Debian's docker-registry 2.8.2
// configured by `regauth distribution-config` to trust its key, and `regauth run --registry URL
// --world W --profile gitlab --signing-key K` reaching both only over loopback sockets. The run
// must exit 0 with no FAIL or ERROR: every hand-written case (registry, flow, token-spec), and one
// shard of the GitLab matrix (the whole matrix takes a minute more on this path; `make run` and
// the reference target run all of it through the same code).
// docker-registry absent: SKIP with the reason, except under CI=true, where it is a failure.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/execute/target.h"
#include "net/process.h"

namespace regauth::harness {
namespace {

std::string SourceDir() { return REGAUTH_SOURCE_DIR; }
std::string RegauthBinary() { return std::string(REGAUTH_BINARY_DIR) + "/regauth"; }
std::string World() { return SourceDir() + "/cases/worlds/gitlab-default.json"; }

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Accepts reports whether something accepts TCP connections on 127.0.0.1:port.
bool Accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Verdicts counts results.json's cases per verdict and keeps the ids of the bad ones.
struct Verdicts {
  std::map<std::string, int> counts;
  std::vector<std::string> bad;               // "<verdict> <id>" for FAIL and ERROR
  std::vector<std::string> skipped_registry;  // SKIPPED registry/* ids, but for an unknown limit
  std::vector<std::string> unknown_limit;     // SKIPPED: the profile does not know a size limit
  int total = 0;
};

Verdicts ReadVerdicts(const std::string& results_path) {
  Verdicts v;
  const auto doc = nlohmann::json::parse(ReadFile(results_path), nullptr, false);
  if (!doc.is_object() || !doc.contains("cases")) return v;
  for (const auto& c : doc["cases"]) {
    const std::string verdict = c.value("verdict", "");
    ++v.counts[verdict];
    ++v.total;
    const std::string id = c.value("id", "");
    if (verdict == "FAIL" || verdict == "ERROR") v.bad.push_back(verdict + " " + id);
    if (verdict != "SKIP" || !id.starts_with("registry/")) continue;
    const std::string why = c.value("skip_reason", "");
    if (why.find("does not know registry.") != std::string::npos) {
      v.unknown_limit.push_back(id);
    } else {
      v.skipped_registry.push_back(id);
    }
  }
  return v;
}

class BlackBox : public ::testing::Test {
 protected:
  void SetUp() override {
    docker_registry_ = net::FindExecutable("docker-registry");
    if (!docker_registry_) {
      if (InCi()) FAIL() << "docker-registry is not installed (CI=true: scripts/install-deps.sh)";
      GTEST_SKIP() << "docker-registry is not installed (Debian package docker-registry)";
    }
    auto dir = net::ScratchDir::Create("regauth-black-box-");
    ASSERT_TRUE(dir) << dir.error();
    dir_ = std::move(*dir);

    // 1. The token service alone; its first stdout line says where it listens.
    net::ProcessSpec serve;
    serve.argv = {RegauthBinary(), "serve",       "--no-registry", "--listen",
                  "127.0.0.1:0",   "--state-dir", Path("state"),   "--world",
                  World(),         "--log-level", "warn"};
    serve.output_file = Path("serve.out");
    auto s = net::BackgroundProcess::Start(serve);
    ASSERT_TRUE(s) << s.error().message;
    serve_ = std::move(*s);
    nlohmann::json started;
    for (int i = 0; i < 200 && !started.is_object(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const std::string out = ReadFile(Path("serve.out"));
      const auto nl = out.find('\n');
      if (nl != std::string::npos)
        started = nlohmann::json::parse(out.substr(0, nl), nullptr, false);
    }
    ASSERT_TRUE(started.is_object() && started.contains("realm"))
        << "regauth serve did not start: " << ReadFile(Path("serve.out"));
    realm_ = started["realm"].get<std::string>();

    // 2. docker-registry trusting that key, configured by regauth distribution-config.
    port_ = net::FreeLoopbackPort();
    ASSERT_NE(port_, 0);
    net::ProcessSpec config;
    config.argv = {
        RegauthBinary(), "distribution-config", "--realm",  realm_,
        "--state-dir",   Path("state"),         "--listen", "127.0.0.1:" + std::to_string(port_),
        "--storage",     Path("data"),          "--world",  World()};
    config.env_deny = {"REGISTRY_*"};
    auto c = net::RunProcess(config);
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->exit_code, 0) << c->stderr_text;
    std::ofstream(Path("config.yml")) << c->stdout_text;

    net::ProcessSpec registry;
    registry.argv = {*docker_registry_, "serve", Path("config.yml")};
    registry.inherit_env = false;  // REGISTRY_* would override the file
    registry.env_set = {{"PATH", "/usr/bin:/bin"}};
    registry.output_file = Path("docker-registry.log");
    auto r = net::BackgroundProcess::Start(registry);
    ASSERT_TRUE(r) << r.error().message;
    registry_ = std::move(*r);
    bool up = false;
    for (int i = 0; i < 200 && !(up = Accepts(port_)); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(up) << "docker-registry did not listen: " << ReadFile(Path("docker-registry.log"));
  }

  void TearDown() override {
    if (registry_) registry_->Stop();
    if (serve_) serve_->Stop();
  }

  std::string Path(const std::string& name) const { return dir_->path() + "/" + name; }

  // Run is `regauth run` against the black box with `selection`, writing to <dir>/<out>.
  net::ProcessResult Run(const std::string& out, const std::vector<std::string>& selection,
                         const std::string& signing_key) {
    net::ProcessSpec spec;
    spec.argv = {RegauthBinary(),
                 "run",
                 "--registry",
                 "http://127.0.0.1:" + std::to_string(port_),
                 "--world",
                 World(),
                 "--profile",
                 "gitlab",
                 "--cases",
                 SourceDir() + "/cases",
                 "--signing-key",
                 signing_key,
                 "--out",
                 Path(out),
                 "--no-progress",
                 "--jobs",
                 "2"};
    spec.argv.insert(spec.argv.end(), selection.begin(), selection.end());
    spec.timeout = std::chrono::seconds(300);
    auto p = net::RunProcess(spec);
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : net::ProcessResult{};
  }

  std::optional<std::string> docker_registry_;
  std::unique_ptr<net::ScratchDir> dir_;
  std::unique_ptr<net::BackgroundProcess> serve_;
  std::unique_ptr<net::BackgroundProcess> registry_;
  std::string realm_;
  int port_ = 0;
};

// Every hand-written case, and one eighth of the matrix, pass against token service +
// docker-registry.
TEST_F(BlackBox, PassesAgainstTokenServiceAndDockerRegistry) {
  struct Selection {
    const char* out;
    std::vector<std::string> flags;
  };
  const Selection selections[] = {
      {"out-cases", {"--filter", "registry/*", "--filter", "flow/*", "--filter", "token-spec/*"}},
      {"out-matrix", {"--filter", "gitlab/*", "--shard", "1/8"}},
  };
  for (const Selection& sel : selections) {
    SCOPED_TRACE(sel.out);
    const net::ProcessResult p = Run(sel.out, sel.flags, Path("state/signing.key.pem"));
    const std::string context = p.Describe() + "\n" + p.stdout_text + p.stderr_text;
    ASSERT_FALSE(p.timed_out) << context;
    const Verdicts v = ReadVerdicts(Path(std::string(sel.out) + "/results.json"));
    EXPECT_EQ(p.exit_code, 0) << context;
    EXPECT_GT(v.total, 0) << context;
    EXPECT_TRUE(v.bad.empty()) << ::testing::PrintToString(v.bad);
    // The key was given, so no registry-layer case (forged tokens) may be skipped. The only
    // registry cases that may SKIP are the size boundaries: the gitlab profile does not know
    // this registry's header limit (docker-registry's is in the distribution profile).
    EXPECT_TRUE(v.skipped_registry.empty()) << ::testing::PrintToString(v.skipped_registry);
    for (const std::string& id : v.unknown_limit) {
      EXPECT_TRUE(id.starts_with("registry/boundary/")) << id;
    }
  }
}

// With a key the registry does not trust, the forged-token cases that expect acceptance fail:
// the run reports it (exit 1) instead of passing silently.
TEST_F(BlackBox, AnUntrustedSigningKeyIsAFinding) {
  auto other = net::ScratchDir::Create("regauth-black-box-key-");
  ASSERT_TRUE(other) << other.error();
  net::ProcessSpec gen;
  gen.argv = {"openssl",    "genpkey",
              "-algorithm", "RSA",
              "-pkeyopt",   "rsa_keygen_bits:2048",
              "-out",       (*other)->path() + "/k.pem"};
  auto g = net::RunProcess(gen);
  ASSERT_TRUE(g && g->exit_code == 0) << (g ? g->stderr_text : g.error().message);
  const net::ProcessResult p =
      Run("out-untrusted", {"--filter", "registry/methods/*"}, (*other)->path() + "/k.pem");
  const Verdicts v = ReadVerdicts(Path("out-untrusted/results.json"));
  EXPECT_EQ(p.exit_code, 1) << p.stdout_text << p.stderr_text;
  EXPECT_GT(v.counts.count("FAIL") ? v.counts.at("FAIL") : 0, 0);
}

}  // namespace
}  // namespace regauth::harness
