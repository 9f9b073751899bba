#include "net/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace regauth::net {
namespace {

using std::chrono::milliseconds;

ProcessResult MustRun(const ProcessSpec& spec) {
  auto r = RunProcess(spec);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : ProcessResult{};
}

ProcessSpec Shell(const std::string& script) {
  ProcessSpec s;
  s.argv = {"sh", "-c", script};
  s.timeout = milliseconds(10000);
  return s;
}

// Exit statuses and output streams are reported as the child produced them.
TEST(RunProcess, ReportsExitStatusAndSeparateStreams) {
  struct Row {
    const char* label;
    const char* script;
    int exit_code;
    const char* out;
    const char* err;
  };
  const Row rows[] = {
      {"true", "true", 0, "", ""},
      {"exit 3", "exit 3", 3, "", ""},
      {"stdout", "printf hello", 0, "hello", ""},
      {"stderr", "printf oops >&2; exit 1", 1, "", "oops"},
      {"both", "printf a; printf b >&2", 0, "a", "b"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    const ProcessResult r = MustRun(Shell(row.script));
    EXPECT_EQ(r.exit_code, row.exit_code);
    EXPECT_EQ(r.stdout_text, row.out);
    EXPECT_EQ(r.stderr_text, row.err);
    EXPECT_FALSE(r.timed_out);
  }
}

// The password reaches the child on stdin (--password-stdin), byte for byte.
TEST(RunProcess, FeedsStdinThenClosesIt) {
  ProcessSpec s;
  s.argv = {"cat"};
  s.stdin_text = "s3cret\nline2\n";
  EXPECT_EQ(MustRun(s).stdout_text, "s3cret\nline2\n");
}

// A child that exits without reading a large stdin must not kill the runner with SIGPIPE.
TEST(RunProcess, SurvivesChildThatIgnoresStdin) {
  ProcessSpec s;
  s.argv = {"true"};
  s.stdin_text = std::string(4 << 20, 'x');
  const ProcessResult r = MustRun(s);
  EXPECT_EQ(r.exit_code, 0);
}

// A child past its timeout gets SIGTERM (process.h: timeout → SIGTERM → SIGKILL).
TEST(RunProcess, TerminatesChildAtTimeout) {
  ProcessSpec s = Shell("exec sleep 30");
  s.timeout = milliseconds(200);
  const ProcessResult r = MustRun(s);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_LT(r.duration.count(), 5000);
  EXPECT_NE(r.Describe().find("timeout"), std::string::npos);
}

// A child that ignores SIGTERM is killed after the grace period.
TEST(RunProcess, KillsChildThatIgnoresSigterm) {
  ProcessSpec s = Shell("trap '' TERM; while :; do sleep 0.05; done");
  s.timeout = milliseconds(200);
  s.kill_grace = milliseconds(200);
  const ProcessResult r = MustRun(s);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_LT(r.duration.count(), 5000);
}

// Output beyond max_output_bytes is dropped and flagged, never silently cut.
TEST(RunProcess, CapsOutputAndSaysSo) {
  ProcessSpec s = Shell("head -c 1000000 /dev/zero | tr '\\0' a");
  s.max_output_bytes = 1000;
  const ProcessResult r = MustRun(s);
  EXPECT_EQ(r.stdout_text.size(), 1000u);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_FALSE(r.stderr_truncated);
}

// Spawn failures are typed errors, not crashes.
TEST(RunProcess, RejectsMissingProgramAndNulBytes) {
  ProcessSpec missing;
  missing.argv = {"regauth-no-such-program-x9"};
  auto r = RunProcess(missing);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ProcessErrorCode::kNotFound);

  ProcessSpec nul;
  nul.argv = {"echo", std::string("a\0b", 3)};
  r = RunProcess(nul);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ProcessErrorCode::kBadSpec);

  ProcessSpec empty;
  r = RunProcess(empty);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ProcessErrorCode::kBadSpec);
}

// REGISTRY_* variables override docker-registry's config file, so they are scrubbed; explicit
// settings replace inherited values (target.h).
TEST(BuildEnvironment, ScrubsDenyListAndAppliesOverrides) {
  setenv("REGISTRY_HTTP_ADDR", "0.0.0.0:1", 1);
  setenv("REGAUTH_TEST_KEEP", "kept", 1);
  setenv("DOCKER_CONFIG", "/home/someone/.docker", 1);
  ProcessSpec s;
  s.env_deny = {"REGISTRY_*", "DOCKER_CONFIG"};
  s.env_set = {{"REGAUTH_TEST_KEEP", "replaced"}, {"DOCKER_CONFIG", "/tmp/x"}};
  const std::vector<std::string> env = BuildEnvironment(s);
  auto has = [&](const std::string& entry) {
    return std::find(env.begin(), env.end(), entry) != env.end();
  };
  auto any_prefix = [&](const std::string& prefix) {
    return std::any_of(env.begin(), env.end(),
                       [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
  };
  EXPECT_FALSE(any_prefix("REGISTRY_"));
  EXPECT_TRUE(has("REGAUTH_TEST_KEEP=replaced"));
  EXPECT_FALSE(has("REGAUTH_TEST_KEEP=kept"));
  EXPECT_TRUE(has("DOCKER_CONFIG=/tmp/x"));
  EXPECT_FALSE(has("DOCKER_CONFIG=/home/someone/.docker"));

  // And the child really sees that environment.
  ProcessSpec run = Shell("env");
  run.env_deny = s.env_deny;
  run.env_set = s.env_set;
  const ProcessResult r = MustRun(run);
  EXPECT_EQ(r.stdout_text.find("REGISTRY_HTTP_ADDR"), std::string::npos);
  EXPECT_NE(r.stdout_text.find("REGAUTH_TEST_KEEP=replaced"), std::string::npos);
  unsetenv("REGISTRY_HTTP_ADDR");
  unsetenv("REGAUTH_TEST_KEEP");
  unsetenv("DOCKER_CONFIG");
}

// inherit_env = false starts from nothing but the explicit settings.
TEST(BuildEnvironment, EmptyWhenNotInherited) {
  ProcessSpec s;
  s.inherit_env = false;
  s.env_set = {{"A", "1"}};
  EXPECT_EQ(BuildEnvironment(s), std::vector<std::string>{"A=1"});
}

// Tools are looked up in PATH like execvp, or taken as given when the name has a '/'.
TEST(FindExecutable, SearchesPath) {
  EXPECT_TRUE(FindExecutable("sh").has_value());
  EXPECT_EQ(FindExecutable("/bin/sh").value_or(""), "/bin/sh");
  EXPECT_FALSE(FindExecutable("regauth-no-such-program-x9").has_value());
  auto dir = ScratchDir::Create("regauth-find-test-");
  ASSERT_TRUE(dir.has_value());
  const std::string plain = (*dir)->path() + "/plain";
  std::ofstream(plain) << "#!/bin/sh\n";
  std::filesystem::permissions(
      plain, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_FALSE(FindExecutable(plain).has_value());           // not executable
  EXPECT_FALSE(FindExecutable((*dir)->path()).has_value());  // a directory
  EXPECT_FALSE(FindExecutable("").has_value());
}

// A server child is stopped with SIGTERM by Stop() and by the destructor.
TEST(BackgroundProcess, StopsWithSigtermAndWritesLog) {
  auto dir = ScratchDir::Create("regauth-process-test-");
  ASSERT_TRUE(dir.has_value());
  ProcessSpec s = Shell("echo started; exec sleep 30");
  s.output_file = (*dir)->path() + "/log.txt";
  auto p = BackgroundProcess::Start(s);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_TRUE((*p)->Running());
  for (int i = 0; i < 200 && std::filesystem::file_size(s.output_file) == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  const std::string how = (*p)->Stop(milliseconds(2000));
  EXPECT_EQ(how, "killed by signal 15");
  EXPECT_FALSE((*p)->Running());
  EXPECT_EQ((*p)->Stop(), how);  // idempotent
  std::ifstream log(s.output_file);
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line, "started");
}

// A server that ignores SIGTERM is killed after the grace period.
TEST(BackgroundProcess, KillsChildThatIgnoresSigterm) {
  ProcessSpec s = Shell("trap '' TERM; while :; do sleep 0.05; done");
  auto p = BackgroundProcess::Start(s);
  ASSERT_TRUE(p.has_value());
  std::this_thread::sleep_for(milliseconds(100));  // let the shell install its trap
  EXPECT_NE((*p)->Stop(milliseconds(200)).find("signal 9"), std::string::npos);
}

// An unwritable log file is reported before anything is spawned.
TEST(BackgroundProcess, ReportsUnwritableLog) {
  ProcessSpec s = Shell("true");
  s.output_file = "/nonexistent-dir-regauth/log.txt";
  auto p = BackgroundProcess::Start(s);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, ProcessErrorCode::kLogFileFailed);
}

// Scratch directories are private and removed with their content.
TEST(ScratchDir, IsRemovedWithItsContent) {
  std::string path;
  {
    auto dir = ScratchDir::Create("regauth-scratch-test-");
    ASSERT_TRUE(dir.has_value());
    path = (*dir)->path();
    std::filesystem::create_directories(path + "/a/b");
    std::ofstream(path + "/a/b/file") << "x";
    const auto perms = std::filesystem::status(path).permissions();
    EXPECT_EQ(perms & std::filesystem::perms::others_all, std::filesystem::perms::none);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace regauth::net
