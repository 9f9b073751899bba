// cli_test.cc — the `regauth` binary as a new user meets it: the exit codes and messages of the
// command line of every subcommand (issue 9, "Defects met by a new user"). Each test runs the
// built binary (REGAUTH_BINARY_DIR/regauth, or $REGAUTH_BINARY) with posix_spawn, from a scratch
// working directory unless it says otherwise, and never contacts anything but loopback.
//
// Exit codes under test (README "The command line"): 0 success; 1 rejected input / unexpected
// results / a listener that cannot bind; 2 usage or configuration error; 3 target unusable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "net/process.h"

namespace regauth::harness {
namespace {

std::string SourceDir() { return REGAUTH_SOURCE_DIR; }
// REGAUTH_BINARY overrides the binary under test (e.g. an older build, to see a test fail).
std::string RegauthBinary() {
  const char* other = std::getenv("REGAUTH_BINARY");
  return other != nullptr && *other != '\0' ? other : std::string(REGAUTH_BINARY_DIR) + "/regauth";
}
std::string TestData(const std::string& name) { return SourceDir() + "/protocol/testdata/" + name; }

// Cli runs the binary in a scratch working directory of its own (outside the source tree).
class Cli : public testing::Test {
 protected:
  void SetUp() override {
    auto dir = net::ScratchDir::Create("regauth-cli-test-");
    ASSERT_TRUE(dir.has_value()) << dir.error();
    dir_ = std::move(*dir);
  }

  const std::string& dir() const { return dir_->path(); }

  // Write puts `text` into <dir>/<name> and returns the path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string path = dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  net::ProcessResult Regauth(std::vector<std::string> args, std::string stdin_text = "",
                             std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    net::ProcessSpec spec;
    spec.argv = {RegauthBinary()};
    for (auto& a : args) spec.argv.push_back(std::move(a));
    spec.stdin_text = std::move(stdin_text);
    spec.working_dir = dir();
    spec.env_deny = {"CI", "REGISTRY_*", "REGAUTH_*"};
    spec.env_set = {{"XDG_STATE_HOME", dir() + "/state-home"}};
    spec.timeout = timeout;
    spec.kill_grace = std::chrono::milliseconds(3000);
    auto r = net::RunProcess(spec);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? *r : net::ProcessResult{};
  }

 private:
  std::unique_ptr<net::ScratchDir> dir_;
};

// What the process said, for failure messages.
std::string Said(const net::ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.stdout_text +
         "\nstderr: " + r.stderr_text;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- item 1: --lenient takes exactly one value per occurrence -------------------------------

// `--lenient MODE` must not swallow the positional INPUT after it (README's first example), with
// `--lenient=MODE VALUE`, before `-` (standard input), and repeated.
TEST_F(Cli, InspectLenientTakesExactlyOneValue) {
  struct Row {
    const char* label;
    std::vector<std::string> args;
    std::string stdin_text;
  };
  const Row rows[] = {
      {"separate value",
       {"inspect", "scope", "--lenient", "gitlab", "repository:localhost:5000/foo:pull"},
       ""},
      {"equals form",
       {"inspect", "scope", "--lenient=gitlab", "repository:localhost:5000/foo:pull"},
       ""},
      {"standard input",
       {"inspect", "scope", "--lenient", "gitlab", "-"},
       "repository:localhost:5000/foo:pull\n"},
      {"before the kind",
       {"inspect", "--lenient", "gitlab", "scope", "repository:localhost:5000/foo:pull"},
       ""},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    const net::ProcessResult r = Regauth(row.args, row.stdin_text);
    EXPECT_EQ(r.exit_code, 0) << Said(r);
    EXPECT_TRUE(Has(r.stdout_text, "\"5000/foo:pull\"")) << Said(r);  // GitLab's split(':', 3)
  }
  // Repeated: two modes of one kind both apply (a leading space, an unpadded "a:bc").
  const net::ProcessResult two = Regauth({"inspect", "authorization", "--lenient", "whitespace",
                                          "--lenient", "unpadded-basic", " Basic YTpiYw"});
  EXPECT_EQ(two.exit_code, 0) << Said(two);
  // A mode that does not exist is still a usage error naming it.
  const net::ProcessResult bad =
      Regauth({"inspect", "scope", "--lenient", "gitlb", "repository:a:pull"});
  EXPECT_EQ(bad.exit_code, 2) << Said(bad);
  EXPECT_TRUE(Has(bad.stderr_text, "gitlb")) << Said(bad);
}

// ---- items 3 and 5: --misbehave is checked before anything starts -----------------------------

// An unknown misbehaviour is a bad flag value (2), not an unusable target (3); the message lists
// the valid names.
TEST_F(Cli, RunUnknownMisbehaviourIsUsage) {
  const net::ProcessResult r = Regauth({"run", "--misbehave", "accept-alg-nope", "--filter",
                                        "registry/hostile-token/*", "--no-progress"});
  EXPECT_EQ(r.exit_code, 2) << Said(r);
  EXPECT_TRUE(Has(r.stderr_text, "accept-alg-nope")) << Said(r);
  EXPECT_TRUE(Has(r.stderr_text, "accept-alg-none")) << Said(r);
  EXPECT_FALSE(Has(r.stdout_text, "cases (")) << Said(r);  // no run, no summary
}

// Registry-side bugs cannot be planted in docker-registry: --target distribution refuses them and
// says which misbehaviours apply to which target (a token-service one is accepted: the flags
// pass, whatever the target then does).
TEST_F(Cli, RunRefusesRegistryMisbehaviourOnDistribution) {
  const net::ProcessResult r =
      Regauth({"run", "--target", "distribution", "--misbehave", "accept-alg-none", "--filter",
               "registry/hostile-token/alg-none-without-kid", "--no-progress"});
  EXPECT_EQ(r.exit_code, 2) << Said(r);
  EXPECT_TRUE(Has(r.stderr_text, "--target reference only")) << Said(r);
  EXPECT_TRUE(Has(r.stderr_text, "wrong-audience")) << Said(r);  // a token-service one
  const net::ProcessResult listed =
      Regauth({"run", "--target", "distribution", "--misbehave", "wrong-audience", "--list",
               "--filter", "registry/hostile-token/alg-none-without-kid"});
  EXPECT_EQ(listed.exit_code, 0) << Said(listed);
}

// ---- item 4: regauth serve exits 2 for a bad world or key ------------------------------------

// What the README promises: 2 for a bad flag, world or key; 1 only when a listener cannot bind.
TEST_F(Cli, ServeConfigurationErrorsExitTwo) {
  const std::string minimal = SourceDir() + "/cases/worlds/minimal.json";
  const std::string typo = Write("typo.json", R"({"name": "x", "usres": []})");
  const std::string unset_var =
      Write("unset.json", R"({"name": "x", "instance": {"issuer": "i", "service": "s"},
        "users": [{"username": "kim"}],
        "credentials": [{"id": "kim-password", "kind": "password", "user": "kim",
                         "secret": "${REGAUTH_CLI_TEST_UNSET}"}]})");
  struct Row {
    const char* label;
    std::vector<std::string> flags;
    const char* message_part;
  };
  const Row rows[] = {
      {"world with a typo", {"--world", typo}, "/usres"},
      {"unset ${VAR}", {"--world", unset_var}, "REGAUTH_CLI_TEST_UNSET"},
      {"missing world file", {"--world", dir() + "/none.json"}, "none.json"},
      {"key of the wrong type",
       {"--world", minimal, "--signing-key", TestData("ec_p256.key.pem"), "--alg", "RS256"},
       "does not fit"},
      {"public key as signing key",
       {"--world", minimal, "--signing-key", TestData("rsa2048.pub.pem")},
       "signing key"},
      // item 9: its own registry (distribution 2.8 rules for libtrust kids) rejects EdDSA.
      {"EdDSA with libtrust kids", {"--world", minimal, "--alg", "EdDSA"}, "--kid-mode thumbprint"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    std::vector<std::string> args = {
        "serve",       "--listen",    "127.0.0.1:0",   "--registry-listen",
        "127.0.0.1:0", "--state-dir", dir() + "/state"};
    args.insert(args.end(), row.flags.begin(), row.flags.end());
    const net::ProcessResult r = Regauth(args, "", std::chrono::seconds(20));
    EXPECT_FALSE(r.timed_out) << "serve started: " << Said(r);
    EXPECT_EQ(r.exit_code, 2) << Said(r);
    EXPECT_TRUE(Has(r.stderr_text, row.message_part)) << Said(r);
  }
}

// ---- item 10: one data-directory rule for every subcommand ----------------------------------

// Outside the source tree (the scratch working directory has no cases/), the reference server's
// subcommands find the default world as `regauth run` does.
TEST_F(Cli, ServerCommandsFindTheDefaultWorldFromAnyDirectory) {
  for (const char* command : {"credentials", "ci-env", "distribution-config"}) {
    SCOPED_TRACE(command);
    const net::ProcessResult r = Regauth({command});
    EXPECT_EQ(r.exit_code, 0) << Said(r);
    EXPECT_FALSE(r.stdout_text.empty()) << Said(r);
  }
  // serve runs until a signal: the timeout's SIGTERM stops it cleanly after it printed its line.
  const net::ProcessResult serve = Regauth(
      {"serve", "--listen", "127.0.0.1:0", "--registry-listen", "127.0.0.1:0", "--in-memory"}, "",
      std::chrono::seconds(5));
  EXPECT_TRUE(Has(serve.stdout_text, "\"realm\"")) << Said(serve);
  EXPECT_TRUE(serve.timed_out && serve.exit_code == 0) << Said(serve);
}

// ---- item 13: messages -----------------------------------------------------------------------

// An unknown command names the nearest one (at every level), instead of "A subcommand is
// required".
TEST_F(Cli, UnknownCommandSuggestsNearest) {
  const net::ProcessResult rnu = Regauth({"rnu"});
  EXPECT_EQ(rnu.exit_code, 2) << Said(rnu);
  EXPECT_TRUE(Has(rnu.stderr_text, "unknown command 'rnu'; did you mean 'run'?")) << Said(rnu);
  const net::ProcessResult chek = Regauth({"world", "chek"});
  EXPECT_EQ(chek.exit_code, 2) << Said(chek);
  EXPECT_TRUE(Has(chek.stderr_text, "did you mean 'check'?")) << Said(chek);
  const net::ProcessResult far = Regauth({"frobnicate"});
  EXPECT_EQ(far.exit_code, 2) << Said(far);
  EXPECT_TRUE(Has(far.stderr_text, "Commands: inspect, run")) << Said(far);
}

// An unknown flag is named with the nearest flag of that subcommand.
TEST_F(Cli, UnknownFlagNamesNearest) {
  const net::ProcessResult run = Regauth({"run", "--filtr", "x"});
  EXPECT_EQ(run.exit_code, 2) << Said(run);
  EXPECT_TRUE(Has(run.stderr_text, "unknown flag --filtr; did you mean --filter?")) << Said(run);
  const net::ProcessResult inspect =
      Regauth({"inspect", "scope", "--lenent=gitlab", "repository:a:pull"});
  EXPECT_EQ(inspect.exit_code, 2) << Said(inspect);
  EXPECT_TRUE(Has(inspect.stderr_text, "did you mean --lenient?")) << Said(inspect);
}

// A --registry that is not a URL is a bad flag value (2), not an unreachable target (3).
TEST_F(Cli, RegistryThatIsNotAUrlIsUsage) {
  const net::ProcessResult r = Regauth({"run", "--registry", "not a url", "--no-progress"});
  EXPECT_EQ(r.exit_code, 2) << Said(r);
  EXPECT_TRUE(Has(r.stderr_text, "--registry 'not a url'")) << Said(r);
}

// --jobs 0 and a negative --jobs are both usage errors (leaving it out gives the default).
TEST_F(Cli, JobsBelowOneIsUsage) {
  for (const char* jobs : {"0", "-3"}) {
    SCOPED_TRACE(jobs);
    const net::ProcessResult r = Regauth({"run", "--list", "--jobs", jobs});
    EXPECT_EQ(r.exit_code, 2) << Said(r);
    EXPECT_TRUE(Has(r.stderr_text, "--jobs")) << Said(r);
  }
  EXPECT_EQ(Regauth({"run", "--list", "--jobs", "1", "--filter", "registry/*"}).exit_code, 0);
}

// Every subcommand's --help ends with its exit codes.
TEST_F(Cli, HelpListsExitCodes) {
  for (const char* command : {"inspect", "run", "replay", "show", "serve", "credentials", "ci-env",
                              "distribution-config"}) {
    SCOPED_TRACE(command);
    const net::ProcessResult r = Regauth({command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << Said(r);
    EXPECT_TRUE(Has(r.stdout_text, "Exit codes:\n  0  ")) << Said(r);
  }
}

// ---- regauth show, run --list --format json ----------------------------------------------------

// `regauth show ID` prints a case without running it: requirement, source, binding, steps; an
// unknown id is a usage error naming the nearest one.
TEST_F(Cli, ShowPrintsACaseWithoutRunningIt) {
  const net::ProcessResult r = Regauth({"show", "flow/anonymous/pull-public-project"});
  EXPECT_EQ(r.exit_code, 0) << Said(r);
  for (const char* part :
       {"requirement:", "source:", "bound:        ${", "steps:\n    1. ", "expect:"}) {
    EXPECT_TRUE(Has(r.stdout_text, part)) << part << "\n" << Said(r);
  }
  const net::ProcessResult json =
      Regauth({"show", "registry/hostile-token/alg-none-without-kid", "--format", "json"});
  EXPECT_EQ(json.exit_code, 0) << Said(json);
  EXPECT_TRUE(Has(json.stdout_text, "\"step\": \"forge_token\"")) << Said(json);
  const net::ProcessResult typo = Regauth({"show", "registry/hostile-token/alg-none-without-kd"});
  EXPECT_EQ(typo.exit_code, 2) << Said(typo);
  EXPECT_TRUE(Has(typo.stderr_text, "did you mean 'registry/hostile-token/alg-none-without-kid'"))
      << Said(typo);
}

// `regauth run --list --format json` lists the selection as JSON for tools.
TEST_F(Cli, ListFormatJson) {
  const net::ProcessResult r = Regauth({"run", "--list", "--format", "json", "--filter",
                                        "registry/hostile-token/alg-none-without-kid"});
  EXPECT_EQ(r.exit_code, 0) << Said(r);
  EXPECT_EQ(r.stdout_text.rfind("[\n  {", 0), 0u) << Said(r);
  EXPECT_TRUE(Has(r.stdout_text, "\"id\": \"registry/hostile-token/alg-none-without-kid\""))
      << Said(r);
  EXPECT_TRUE(Has(r.stdout_text, "\"requirement\": ")) << Said(r);
  EXPECT_EQ(Regauth({"run", "--format", "json"}).exit_code, 2);  // only with --list
}

}  // namespace
}  // namespace regauth::harness
