// process.h — spawning the real peers and clients the runner drives (docker-registry, the docker
// CLI, skopeo) with posix_spawn: an explicit argv (never a shell), an explicit environment, stdin
// text, captured and size-capped output, a timeout that escalates SIGTERM → SIGKILL, and the exit
// status.
//
// Why each rule (suite-anchors.md §D4, §D5a; STYLE.md "Secrets never reach a log"):
//   - no shell: arguments carry repository names and hostile strings verbatim;
//   - the environment is the parent's minus a deny-list (REGISTRY_* would override a
//     docker-registry config file; DOCKER_AUTH_CONFIG, proxies and credential-helper settings
//     would change what a client sends), plus explicit settings (a throwaway DOCKER_CONFIG);
//   - the password goes through stdin (`--password-stdin`), never argv, so it cannot show up in
//     `ps` or in a recorded command line;
//   - output is capped (kTooLarge-style truncation is reported, not silent) because a confused
//     tool can print without end;
//   - a child that outlives its timeout gets SIGTERM, then SIGKILL after a grace period; with
//     `own_process_group` the whole group is signalled (docker forks credential helpers).
// SIGPIPE: writing stdin to a child that already exited must not kill the runner. The writing
// thread blocks SIGPIPE around the exchange and discards a pending one afterwards; the child
// starts with an empty signal mask and default dispositions.
//
// Usage:
//   ProcessSpec spec;
//   spec.argv = {*FindExecutable("docker"), "login", host, "-u", user, "--password-stdin"};
//   spec.env_set = {{"DOCKER_CONFIG", scratch_dir}};
//   spec.env_deny = {"DOCKER_*", "HTTP_PROXY"};
//   spec.stdin_text = password + "\n";
//   auto r = RunProcess(spec);                      // blocks until exit or timeout
//   if (!r) report(CodeName(r.error().code), r.error().message);
//   else if (r->timed_out) ...; else use(r->exit_code, r->stdout_text);
//
//   auto registry = BackgroundProcess::Start(spec);  // docker-registry, logs to a file
//   (*registry)->Stop(std::chrono::seconds(3));      // also done by the destructor
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/result.h"

namespace regauth::net {

// ProcessErrorCode is why a process could not be run at all (a process that ran and failed is
// a ProcessResult with its exit code).
enum class ProcessErrorCode {
  kNotFound = 1,   // argv[0] names no executable file (FindExecutable found nothing)
  kBadSpec,        // empty argv, or a NUL byte in an argument or environment entry
  kSpawnFailed,    // posix_spawn (or a pipe/file it needs) failed; message has strerror
  kLogFileFailed,  // output_file could not be opened
};

// CodeName returns the stable snake_case name of `code` ("not_found", ...).
std::string_view CodeName(ProcessErrorCode code);

struct ProcessError {
  ProcessErrorCode code{};
  std::string message;  // names the program and the failing call; never stdin or env values
};

// ProcessSpec describes one child process.
struct ProcessSpec {
  // argv[0] is an absolute path or a name looked up in PATH (FindExecutable).
  std::vector<std::string> argv;
  // inherit_env: start from the parent's environment (minus env_deny); false: from nothing.
  bool inherit_env = true;
  // env_deny: names removed from the inherited environment; an entry ending in '*' is a prefix
  // ("REGISTRY_*"). Matching is exact (case-sensitive), as execve sees names.
  std::vector<std::string> env_deny;
  // env_set: added last, replacing any inherited value of the same name.
  std::vector<std::pair<std::string, std::string>> env_set;
  std::string stdin_text;   // written to the child's stdin, which is then closed
  std::string working_dir;  // "" = the parent's
  // timeout bounds the whole run (RunProcess only); then SIGTERM, and SIGKILL after kill_grace.
  std::chrono::milliseconds timeout{60000};
  std::chrono::milliseconds kill_grace{2000};
  // max_output_bytes caps each of stdout and stderr; the rest is read and discarded.
  std::size_t max_output_bytes = 256 * 1024;
  // output_file: when set, stdout and stderr go (appended) to this file instead of being
  // captured (docker-registry's log in the run's output directory).
  std::string output_file;
  // own_process_group: start the child as the leader of a new process group and signal the
  // whole group on timeout/stop. Off: the child stays in the runner's group, so a terminal's
  // Ctrl-C reaches it too.
  bool own_process_group = true;
};

// ProcessResult is how a finished child ended.
struct ProcessResult {
  int exit_code = -1;      // exit status when it exited normally, else -1
  int term_signal = 0;     // the signal that ended it, else 0
  bool timed_out = false;  // the runner killed it at the timeout
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;  // more than max_output_bytes were written
  bool stderr_truncated = false;
  std::chrono::milliseconds duration{0};

  // Describe renders "exit 0", "killed by signal 9 (timeout after 60000 ms)", ...
  std::string Describe() const;
};

// FindExecutable returns `name` if it contains a '/' and is an executable file, else the first
// executable PATH entry "<dir>/<name>", or nullopt.
std::optional<std::string> FindExecutable(std::string_view name);

// BuildEnvironment returns the "NAME=value" entries a child gets under `spec` (exposed for
// tests: the deny-list and overrides are the security-relevant part).
std::vector<std::string> BuildEnvironment(const ProcessSpec& spec);

// RunProcess starts the child, feeds stdin, collects output and waits for it (or for the
// timeout). Thread-safe: every call uses its own pipes (O_CLOEXEC, so concurrent spawns do not
// inherit each other's descriptors). Errors: kNotFound, kBadSpec, kSpawnFailed,
// kLogFileFailed.
protocol::Expected<ProcessResult, ProcessError> RunProcess(const ProcessSpec& spec);

// BackgroundProcess is a long-running child (a server). Its output goes to spec.output_file (or
// /dev/null when that is empty); stdin is /dev/null. Stop() — also run by the destructor —
// sends SIGTERM, waits up to the grace period, then SIGKILL, and reaps the child.
class BackgroundProcess {
 public:
  // Start spawns the child. Errors as RunProcess.
  static protocol::Expected<std::unique_ptr<BackgroundProcess>, ProcessError> Start(
      const ProcessSpec& spec);

  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Running reports whether the child has not exited yet (reaps it if it has). After it
  // returns false, exit_description() says how it ended.
  bool Running();
  // Stop ends the child (SIGTERM, then SIGKILL after `grace`) and returns how it ended.
  // Idempotent.
  std::string Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  const std::string& exit_description() const { return exit_description_; }

 private:
  BackgroundProcess(pid_t pid, bool group) : pid_(pid), group_(group) {}
  pid_t pid_ = -1;
  bool group_ = false;
  bool reaped_ = false;
  std::string exit_description_;
};

// ScratchDir is a private temporary directory (mkdtemp, mode 0700, under $TMPDIR or /tmp),
// removed with everything in it when the object is destroyed: a throwaway DOCKER_CONFIG, a
// skopeo auth file, docker-registry's storage.
class ScratchDir {
 public:
  // Create makes "<tmp>/<prefix>XXXXXX". Errors: a message with strerror.
  static protocol::Expected<std::unique_ptr<ScratchDir>, std::string> Create(
      std::string_view prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// FreeLoopbackPort binds 127.0.0.1:0, reads the port the kernel chose and closes the socket
// (a small race with other programs is accepted: docker-registry then fails to bind and the
// readiness check reports it). Returns 0 on failure.
int FreeLoopbackPort();

}  // namespace regauth::net
