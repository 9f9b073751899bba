#include "net/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <thread>

extern char** environ;

namespace regauth::net {
namespace {

using Clock = std::chrono::steady_clock;
using protocol::Unexpected;

Unexpected<ProcessError> Error(ProcessErrorCode code, std::string message) {
  return Unexpected<ProcessError>(ProcessError{code, std::move(message)});
}

std::string Errno(std::string_view call, int err) {
  return std::string(call) + ": " + std::strerror(err);
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

bool Denied(std::string_view name, const std::vector<std::string>& deny) {
  for (const auto& d : deny) {
    if (!d.empty() && d.back() == '*') {
      if (name.starts_with(std::string_view(d).substr(0, d.size() - 1))) return true;
    } else if (name == d) {
      return true;
    }
  }
  return false;
}

// Fd closes a descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int* out() { return &fd_; }

 private:
  int fd_ = -1;
};

bool MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  *read_end->out() = fds[0];
  *write_end->out() = fds[1];
  return true;
}

// SpawnSetup owns the posix_spawn attribute and file-action objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // Common: empty signal mask, SIGPIPE default, optional new process group, working dir.
  void Prepare(const ProcessSpec& spec) {
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    if (spec.own_process_group) {
      flags |= POSIX_SPAWN_SETPGROUP;
      posix_spawnattr_setpgroup(&attr, 0);
    }
    posix_spawnattr_setflags(&attr, flags);
    if (!spec.working_dir.empty()) {
      posix_spawn_file_actions_addchdir_np(&actions, spec.working_dir.c_str());
    }
  }
};

// Spawn validates `spec`, resolves the program and calls posix_spawn with `setup`.
protocol::Expected<pid_t, ProcessError> Spawn(const ProcessSpec& spec, SpawnSetup& setup) {
  if (spec.argv.empty()) return Error(ProcessErrorCode::kBadSpec, "empty argv");
  for (const auto& a : spec.argv) {
    if (HasNul(a)) return Error(ProcessErrorCode::kBadSpec, "NUL byte in an argument");
  }
  const auto exe = FindExecutable(spec.argv[0]);
  if (!exe) {
    return Error(ProcessErrorCode::kNotFound, "'" + spec.argv[0] + "' not found in PATH");
  }
  std::vector<std::string> env = BuildEnvironment(spec);
  for (const auto& e : env) {
    if (HasNul(e)) return Error(ProcessErrorCode::kBadSpec, "NUL byte in an environment entry");
  }
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  setup.Prepare(spec);
  pid_t pid = -1;
  const int rc =
      posix_spawn(&pid, exe->c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
  if (rc != 0) return Error(ProcessErrorCode::kSpawnFailed, Errno("posix_spawn " + *exe, rc));
  return pid;
}

void SignalChild(pid_t pid, bool group, int sig) {
  if (group) {
    kill(-pid, sig);
  } else {
    kill(pid, sig);
  }
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// SigpipeBlock blocks SIGPIPE in this thread and discards any SIGPIPE raised meanwhile.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1 &&
        sigismember(&old_, SIGPIPE) == 0) {
      timespec zero{0, 0};
      while (sigtimedwait(&set_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t set_;
  sigset_t old_;
};

}  // namespace

std::string_view CodeName(ProcessErrorCode code) {
  switch (code) {
    case ProcessErrorCode::kNotFound:
      return "not_found";
    case ProcessErrorCode::kBadSpec:
      return "bad_spec";
    case ProcessErrorCode::kSpawnFailed:
      return "spawn_failed";
    case ProcessErrorCode::kLogFileFailed:
      return "log_file_failed";
  }
  return "unknown";
}

std::string ProcessResult::Describe() const {
  std::string out;
  if (exit_code >= 0) {
    out = "exit " + std::to_string(exit_code);
  } else if (term_signal != 0) {
    out = "killed by signal " + std::to_string(term_signal);
  } else {
    out = "no exit status";
  }
  if (timed_out) out += " (timeout after " + std::to_string(duration.count()) + " ms)";
  return out;
}

std::optional<std::string> FindExecutable(std::string_view name) {
  if (name.empty()) return std::nullopt;
  auto executable = [](const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string_view::npos) {
    std::string path(name);
    if (executable(path)) return path;
    return std::nullopt;
  }
  const char* path_env = std::getenv("PATH");
  std::string_view dirs = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    if (dir.empty()) dir = ".";
    std::string candidate = std::string(dir) + "/" + std::string(name);
    if (executable(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

std::vector<std::string> BuildEnvironment(const ProcessSpec& spec) {
  std::vector<std::string> out;
  if (spec.inherit_env && environ != nullptr) {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const std::string_view name = entry.substr(0, entry.find('='));
      if (Denied(name, spec.env_deny)) continue;
      const bool overridden = std::any_of(spec.env_set.begin(), spec.env_set.end(),
                                          [&](const auto& kv) { return kv.first == name; });
      if (overridden) continue;
      out.emplace_back(entry);
    }
  }
  for (const auto& [name, value] : spec.env_set) out.push_back(name + "=" + value);
  return out;
}

protocol::Expected<ProcessResult, ProcessError> RunProcess(const ProcessSpec& spec) {
  const auto start = Clock::now();
  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  if (!MakePipe(&in_r, &in_w) || !MakePipe(&out_r, &out_w) || !MakePipe(&err_r, &err_w)) {
    return Error(ProcessErrorCode::kSpawnFailed, Errno("pipe2", errno));
  }
  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, in_r.get(), 0);
  if (!spec.output_file.empty()) {
    posix_spawn_file_actions_addopen(&setup.actions, 1, spec.output_file.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&setup.actions, 1, 2);
  } else {
    posix_spawn_file_actions_adddup2(&setup.actions, out_w.get(), 1);
    posix_spawn_file_actions_adddup2(&setup.actions, err_w.get(), 2);
  }
  SigpipeBlock sigpipe;
  auto pid = Spawn(spec, setup);
  if (!pid) return Unexpected<ProcessError>(pid.error());
  in_r.Reset();
  out_w.Reset();
  err_w.Reset();
  if (!spec.output_file.empty()) {
    out_r.Reset();
    err_r.Reset();
  }
  fcntl(in_w.get(), F_SETFL, fcntl(in_w.get(), F_GETFL) | O_NONBLOCK);
  if (spec.stdin_text.empty()) in_w.Reset();

  ProcessResult result;
  std::size_t written = 0;
  const auto deadline = start + spec.timeout;
  std::optional<Clock::time_point> kill_at;      // set once SIGTERM was sent
  std::optional<Clock::time_point> drain_until;  // set once the child was reaped
  bool reaped = false;
  int status = 0;
  char buf[65536];
  auto append = [&](std::string& to, bool& truncated, std::size_t n) {
    const std::size_t room =
        spec.max_output_bytes > to.size() ? spec.max_output_bytes - to.size() : 0;
    to.append(buf, std::min(room, n));
    if (n > room) truncated = true;
  };
  while (true) {
    if (!reaped) {
      const pid_t w = waitpid(*pid, &status, WNOHANG);
      if (w == *pid) {
        reaped = true;
        // A grandchild (a credential helper) may hold the pipes open; read what is already
        // there for a moment, then stop waiting for EOF.
        drain_until = Clock::now() + std::chrono::milliseconds(200);
      }
    }
    const auto now = Clock::now();
    if (!reaped && !kill_at && now >= deadline) {
      result.timed_out = true;
      SignalChild(*pid, spec.own_process_group, SIGTERM);
      kill_at = now + spec.kill_grace;
    }
    if (!reaped && kill_at && now >= *kill_at) {
      SignalChild(*pid, spec.own_process_group, SIGKILL);
      waitpid(*pid, &status, 0);
      reaped = true;
      drain_until = now;
    }
    const bool outputs_open = out_r.get() >= 0 || err_r.get() >= 0;
    if (reaped && (!outputs_open || now >= *drain_until)) break;

    pollfd fds[3];
    int n = 0;
    if (in_w.get() >= 0) fds[n++] = {in_w.get(), POLLOUT, 0};
    if (out_r.get() >= 0) fds[n++] = {out_r.get(), POLLIN, 0};
    if (err_r.get() >= 0) fds[n++] = {err_r.get(), POLLIN, 0};
    if (n == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    const int ready = poll(fds, static_cast<nfds_t>(n), 20);
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < n && ready > 0; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_w.get()) {
        const ssize_t w =
            write(in_w.get(), spec.stdin_text.data() + written, spec.stdin_text.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == spec.stdin_text.size()) {
          in_w.Reset();
        }
        continue;
      }
      const bool is_out = fds[i].fd == out_r.get();
      const ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        if (is_out) {
          append(result.stdout_text, result.stdout_truncated, static_cast<std::size_t>(r));
        } else {
          append(result.stderr_text, result.stderr_truncated, static_cast<std::size_t>(r));
        }
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        (is_out ? out_r : err_r).Reset();
      }
    }
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return result;
}

protocol::Expected<std::unique_ptr<BackgroundProcess>, ProcessError> BackgroundProcess::Start(
    const ProcessSpec& spec) {
  if (!spec.output_file.empty()) {
    // Open once here so an unwritable log path is a clear error, not a child that dies.
    const int fd = open(spec.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      return Error(ProcessErrorCode::kLogFileFailed, Errno("open " + spec.output_file, errno));
    }
    close(fd);
  }
  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  const std::string out = spec.output_file.empty() ? "/dev/null" : spec.output_file;
  posix_spawn_file_actions_addopen(&setup.actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&setup.actions, 1, 2);
  auto pid = Spawn(spec, setup);
  if (!pid) return Unexpected<ProcessError>(pid.error());
  return std::unique_ptr<BackgroundProcess>(new BackgroundProcess(*pid, spec.own_process_group));
}

BackgroundProcess::~BackgroundProcess() { Stop(); }

bool BackgroundProcess::Running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    exit_description_ = DescribeStatus(status);
    return false;
  }
  return true;
}

std::string BackgroundProcess::Stop(std::chrono::milliseconds grace) {
  if (!Running()) return exit_description_;
  SignalChild(pid_, group_, SIGTERM);
  const auto kill_at = Clock::now() + grace;
  int status = 0;
  while (Clock::now() < kill_at) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      exit_description_ = DescribeStatus(status);
      return exit_description_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  SignalChild(pid_, group_, SIGKILL);
  waitpid(pid_, &status, 0);
  reaped_ = true;
  exit_description_ = DescribeStatus(status) + " (after SIGTERM was ignored)";
  return exit_description_;
}

protocol::Expected<std::unique_ptr<ScratchDir>, std::string> ScratchDir::Create(
    std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" +
                     std::string(prefix) + "XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return Unexpected<std::string>(Errno("mkdtemp " + tmpl, errno));
  }
  return std::unique_ptr<ScratchDir>(new ScratchDir(tmpl));
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  socklen_t len = sizeof(a);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace regauth::net
