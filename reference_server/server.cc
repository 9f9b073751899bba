#include "reference_server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "protocol/jws.h"
#include "protocol/jwt.h"
#include "protocol/rfc3339.h"
#include "reference_server/api/admin_api.h"
#include "reference_server/registry/registry.h"

namespace regauth::server {
namespace {

using protocol::Certificate;
using protocol::Expected;
using protocol::Key;
using protocol::Unexpected;

constexpr std::size_t kTokenMaxBody = 64 * 1024;
// The registry holds at most this much of a request body in memory; a larger one (a blob chunk)
// is written to an anonymous file as it arrives and streamed into the store from there.
constexpr std::size_t kRegistrySpillOver = 64 * 1024;
// File descriptors kept back from the connection caps: the store's files, logs, the listeners.
constexpr rlim_t kReservedDescriptors = 64;
constexpr int64_t kTenYears = 3653LL * 86400;
constexpr int64_t kOneYear = 366LL * 86400;
constexpr int64_t kBackdate = 3600;  // certificates start an hour early: clients' clock skew

Unexpected<std::string> Err(std::string message) {
  return Unexpected<std::string>(std::move(message));
}

int64_t SystemNow() {
  return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
}

std::string Errno() { return std::strerror(errno); }

// ReadFile reads at most `max` bytes; a longer file is an error, never truncated.
Expected<std::string, std::string> ReadFile(const std::string& path, std::size_t max) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err(path + ": " + Errno());
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = Errno();
      ::close(fd);
      return Err(path + ": " + why);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max) {
      ::close(fd);
      return Err(path + ": larger than " + std::to_string(max) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

// WriteFileAtomic writes `data` to a temporary file with `mode` (set before any byte is written,
// so a private key is never readable by others), fsyncs it and renames it over `path`.
Expected<void, std::string> WriteFileAtomic(const std::string& path, std::string_view data,
                                            mode_t mode) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return Err(tmp + ": " + Errno());
  auto fail = [&](const std::string& what) {
    const std::string why = Errno();
    ::close(fd);
    ::unlink(tmp.c_str());
    return Err(path + ": " + what + ": " + why);
  };
  if (::fchmod(fd, mode) != 0) return fail("chmod");
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Err(path + ": close: " + Errno());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = Errno();
    ::unlink(tmp.c_str());
    return Err(path + ": rename: " + why);
  }
  return {};
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// EnsureDirectory creates `path` (and its parents) if missing; a directory it creates gets mode
// 0700, since keys live there. An existing directory keeps its mode (it may be the user's
// working directory); the key files themselves are always 0600.
Expected<void, std::string> EnsureDirectory(const std::string& path) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  if (!existed) {
    std::filesystem::create_directories(path, ec);
    if (ec) return Err(path + ": " + ec.message());
    if (::chmod(path.c_str(), 0700) != 0) return Err(path + ": chmod: " + Errno());
  }
  if (!std::filesystem::is_directory(path, ec)) return Err(path + ": not a directory");
  return {};
}

uint64_t RandomSerial() {
  uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1) {
    serial = static_cast<uint64_t>(SystemNow());
  }
  serial &= 0x7fffffffffffffffULL;  // a positive INTEGER (RFC 5280 §4.1.2.2)
  return serial == 0 ? 1 : serial;
}

std::string ChainPem(const std::vector<Certificate>& chain) {
  std::string pem;
  for (const Certificate& c : chain) pem += protocol::CertificatePem(c);
  return pem;
}

// CertificateUsable: parses, its first certificate carries `key`, and it is valid at `now`.
std::optional<std::vector<Certificate>> UsableChain(const std::string& pem, const Key& key,
                                                    int64_t now) {
  auto chain = protocol::LoadCertificatesPem(pem);
  if (!chain || chain->empty()) return std::nullopt;
  if (!protocol::SamePublicKey((*chain)[0].PublicKey(), key)) return std::nullopt;
  if (!protocol::VerifyCertificateChain((*chain)[0], {}, {(*chain)[0]}, now)) return std::nullopt;
  return std::move(*chain);
}

// LoadOrCreateKey returns the key at `path`, or generates one of `type` and writes it (0600).
Expected<Key, std::string> LoadOrCreateKey(const std::string& path, protocol::KeyType type) {
  if (FileExists(path)) {
    auto pem = ReadFile(path, protocol::kMaxPemBytes);
    if (!pem) return Err(pem.error());
    auto key = protocol::LoadPrivateKeyPem(*pem);
    if (!key)
      return Err(path + ": not a usable private key (" +
                 std::string(protocol::CodeName(key.error().code)) + ")");
    return std::move(*key);
  }
  auto key = protocol::GenerateKey(type);
  if (!key) return Err("generating a key: " + std::string(protocol::CodeName(key.error().code)));
  if (!path.empty()) {
    if (auto w = WriteFileAtomic(path, protocol::PrivateKeyPem(*key), 0600); !w) {
      return Err(w.error());
    }
  }
  return std::move(*key);
}

struct Signing {
  Key key;
  std::vector<Certificate> chain;
  std::string cert_path;
};

std::string Join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string() : dir + "/" + std::string(name);
}

// PrepareSigning picks the signing key and its certificate chain (see server.h "State
// directory").
Expected<Signing, std::string> PrepareSigning(const ReferenceServerConfig& c, int64_t now) {
  if (!c.signing_cert_pem.empty() && c.signing_key_pem.empty()) {
    return Err("signing certificate given without its signing key");
  }
  if (c.alg && !protocol::KeyTypeForAlg(*c.alg)) {
    return Err("signing algorithm " + std::string(protocol::AlgName(*c.alg)) +
               " is not an asymmetric JWS algorithm");
  }
  const protocol::KeyType wanted =
      c.alg ? *protocol::KeyTypeForAlg(*c.alg)
            : protocol::KeyType::kRsa;  // RSA 2048: GitLab's registry.key
  Signing s;
  std::string key_origin = "the signing key";
  if (!c.signing_key_pem.empty()) {
    auto key = protocol::LoadPrivateKeyPem(c.signing_key_pem);
    if (!key) {
      return Err("signing key: not a usable private key (" +
                 std::string(protocol::CodeName(key.error().code)) + ")");
    }
    s.key = std::move(*key);
  } else {
    const std::string path = Join(c.state_dir, "signing.key.pem");
    auto key = LoadOrCreateKey(path, wanted);
    if (!key) return Err("signing key: " + key.error());
    s.key = std::move(*key);
    if (!path.empty()) key_origin = path;
  }
  const auto type = protocol::TypeOf(s.key);
  if (!type) return Err("signing key: unsupported key type");
  if (c.alg && !protocol::AlgFitsKey(*c.alg, *type)) {
    return Err("signing algorithm " + std::string(protocol::AlgName(*c.alg)) + " does not fit " +
               key_origin + " (" + std::string(protocol::KeyTypeName(*type)) +
               "); use another --state-dir or --signing-key");
  }

  s.cert_path = Join(c.state_dir, "signing.crt.pem");
  std::string on_disk;
  if (!s.cert_path.empty() && FileExists(s.cert_path)) {
    auto pem = ReadFile(s.cert_path, protocol::kMaxPemBytes);
    if (pem) on_disk = std::move(*pem);
  }
  if (!c.signing_cert_pem.empty()) {
    auto chain = protocol::LoadCertificatesPem(c.signing_cert_pem);
    if (!chain) {
      return Err("signing certificate: " + std::string(protocol::CodeName(chain.error().code)));
    }
    if (!protocol::SamePublicKey((*chain)[0].PublicKey(), s.key)) {
      return Err("signing certificate: its first certificate does not carry the signing key");
    }
    s.chain = std::move(*chain);
  } else if (auto reused = UsableChain(on_disk, s.key, now)) {
    s.chain = std::move(*reused);
  } else {
    auto cert = protocol::MakeSelfSignedCertificate(s.key, "regauth token signing", now - kBackdate,
                                                    now + kTenYears, RandomSerial(),
                                                    /*is_ca=*/true);
    if (!cert) {
      return Err("signing certificate: " + std::string(protocol::CodeName(cert.error().code)));
    }
    s.chain = {std::move(*cert)};
  }
  const std::string pem = ChainPem(s.chain);
  if (!s.cert_path.empty() && pem != on_disk) {
    if (auto w = WriteFileAtomic(s.cert_path, pem, 0644); !w) return Err(w.error());
  }
  return s;
}

bool IsWildcard(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

// UrlHost is the host as it goes into a URL: a wildcard becomes the loopback address, IPv6 is
// bracketed.
std::string UrlHost(const std::string& host) {
  if (host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "[::1]";
  if (host.find(':') != std::string::npos) return "[" + host + "]";
  return host;
}

struct Tls {
  net::TlsConfig config;
  std::string ca_pem;
  std::string ca_path;
};

// SelfSignedTls makes (or reuses) the CA and issues a fresh leaf for the loopback names and the
// listen hosts.
Expected<Tls, std::string> SelfSignedTls(const ReferenceServerConfig& c, int64_t now) {
  const std::string ca_key_path = Join(c.state_dir, "ca.key.pem");
  auto ca_key = LoadOrCreateKey(ca_key_path, protocol::KeyType::kEcP256);
  if (!ca_key) return Err("TLS CA key: " + ca_key.error());
  Tls t;
  t.ca_path = Join(c.state_dir, "ca.crt.pem");
  std::string on_disk;
  if (!t.ca_path.empty() && FileExists(t.ca_path)) {
    auto pem = ReadFile(t.ca_path, protocol::kMaxPemBytes);
    if (pem) on_disk = std::move(*pem);
  }
  Certificate ca;
  if (auto reused = UsableChain(on_disk, *ca_key, now)) {
    ca = (*reused)[0];
  } else {
    auto made = protocol::MakeSelfSignedCertificate(*ca_key, "regauth local CA", now - kBackdate,
                                                    now + kTenYears, RandomSerial(), true);
    if (!made) return Err("TLS CA: " + std::string(protocol::CodeName(made.error().code)));
    ca = std::move(*made);
  }
  t.ca_pem = protocol::CertificatePem(ca);
  if (!t.ca_path.empty() && t.ca_pem != on_disk) {
    if (auto w = WriteFileAtomic(t.ca_path, t.ca_pem, 0644); !w) return Err(w.error());
  }

  auto leaf_key = protocol::GenerateKey(protocol::KeyType::kEcP256);
  if (!leaf_key) return Err("TLS key: " + std::string(protocol::CodeName(leaf_key.error().code)));
  std::vector<std::string> sans = {"localhost", "127.0.0.1", "::1"};
  for (const ListenAddress* a : {&c.token_listen, &c.registry_listen}) {
    if (!IsWildcard(a->host) && std::find(sans.begin(), sans.end(), a->host) == sans.end()) {
      sans.push_back(a->host);
    }
  }
  char hostname[256] = {};
  if (::gethostname(hostname, sizeof hostname - 1) == 0 && hostname[0] != '\0' &&
      std::find(sans.begin(), sans.end(), hostname) == sans.end()) {
    sans.emplace_back(hostname);
  }
  auto leaf = protocol::MakeCertificate(*leaf_key, "localhost", *ca_key, ca, now - kBackdate,
                                        now + kOneYear, RandomSerial(), false, sans);
  if (!leaf) return Err("TLS certificate: " + std::string(protocol::CodeName(leaf.error().code)));
  t.config.certificate_chain_pem = protocol::CertificatePem(*leaf) + t.ca_pem;
  t.config.private_key_pem = protocol::PrivateKeyPem(*leaf_key);
  if (!c.state_dir.empty()) {
    if (auto w = WriteFileAtomic(Join(c.state_dir, "tls.key.pem"), t.config.private_key_pem, 0600);
        !w) {
      return Err(w.error());
    }
    if (auto w =
            WriteFileAtomic(Join(c.state_dir, "tls.crt.pem"), t.config.certificate_chain_pem, 0644);
        !w) {
      return Err(w.error());
    }
  }
  return t;
}

// LogSafe renders a request path for a log line: printable ASCII except space, '"' and '\'
// kept, everything else %XX, at most 256 bytes. A path may carry anything a client sent.
std::string LogSafe(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (out.size() >= 256) {
      out += "...";
      break;
    }
    if (ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    }
  }
  return out.empty() ? "-" : out;
}

std::string AccessLine(std::string_view listener, const net::AccessLogEntry& e) {
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.3f", static_cast<double>(e.duration.count()) / 1000.0);
  return "access listener=" + std::string(listener) + " method=" + LogSafe(e.method) +
         " path=" + LogSafe(e.path) + " status=" + std::to_string(e.status) + " ms=" + ms +
         " in=" + std::to_string(e.request_body_bytes) +
         " out=" + std::to_string(e.response_body_bytes) + " peer=" + LogSafe(e.remote_address) +
         (e.tls ? " tls=1" : "");
}

// ConnectionCap raises the soft RLIMIT_NOFILE to the hard limit (every connection is a
// descriptor; Debian's soft default is 1024) and returns the per-listener cap that fits in it.
std::size_t ConnectionCap(std::size_t wanted, int listeners, const ServerLogSink& log) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return wanted;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  if (rl.rlim_cur == RLIM_INFINITY) return wanted;
  const rlim_t usable = rl.rlim_cur > kReservedDescriptors ? rl.rlim_cur - kReservedDescriptors : 1;
  const std::size_t fits = std::max<std::size_t>(1, usable / static_cast<rlim_t>(listeners));
  if (fits < wanted) {
    log(LogLevel::kWarn, "connection cap lowered to " + std::to_string(fits) +
                             " per listener: the descriptor limit (ulimit -n) is " +
                             std::to_string(rl.rlim_cur));
    return fits;
  }
  return wanted;
}

net::HttpServerOptions ListenerOptions(const ReferenceServerConfig& c, const ListenAddress& at,
                                       std::string_view name, const ServerLogSink& log,
                                       const std::optional<net::TlsConfig>& tls) {
  net::HttpServerOptions o;
  o.host = at.host;
  o.port = at.port;
  o.threads = c.threads > 0 ? c.threads
                            : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  o.max_connections = c.max_connections;
  o.tls = tls;
  const std::string listener(name);
  if (c.log_level >= LogLevel::kInfo) {
    o.access_log = [log, listener](const net::AccessLogEntry& e) {
      log(LogLevel::kInfo, AccessLine(listener, e));
    };
  }
  o.error_log = [log, listener](std::string_view message) {
    log(LogLevel::kError, "listener=" + listener + " " + std::string(message));
  };
  return o;
}

}  // namespace

std::string_view Name(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "info";
}

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (LogLevel l : {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug}) {
    if (Name(l) == name) return l;
  }
  return std::nullopt;
}

ServerLogSink StderrLogSink() {
  auto mu = std::make_shared<std::mutex>();
  return [mu](LogLevel level, std::string_view line) {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char stamp[96];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms.count() % 1000));
    std::string out = std::string(stamp) + " " + std::string(Name(level)) + " ";
    out.append(line);
    out.push_back('\n');
    std::lock_guard<std::mutex> lock(*mu);
    std::fwrite(out.data(), 1, out.size(), stderr);
    std::fflush(stderr);
  };
}

Expected<ListenAddress, std::string> ParseListenAddress(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return Err("expected HOST:PORT");
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  ListenAddress a;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    in6_addr v6;
    if (!::inet_pton(AF_INET6, std::string(host).c_str(), &v6)) {
      return Err("host is not an IPv6 literal");
    }
  } else {
    in_addr v4;
    if (!::inet_pton(AF_INET, std::string(host).c_str(), &v4)) {
      return Err("host must be an IPv4 literal or a bracketed IPv6 literal ([::1])");
    }
  }
  if (port.empty() || port.size() > 5) return Err("port must be 0..65535");
  unsigned value = 0;
  for (char ch : port) {
    if (ch < '0' || ch > '9') return Err("port must be 0..65535");
    value = value * 10 + static_cast<unsigned>(ch - '0');
  }
  if (value > 65535) return Err("port must be 0..65535");
  a.host = std::string(host);
  a.port = static_cast<std::uint16_t>(value);
  return a;
}

Expected<protocol::World, std::string> LoadWorldFile(
    const std::string& path, int64_t now_unix,
    const std::function<std::optional<std::string>(std::string_view)>& getenv) {
  const protocol::WorldLimits limits;
  auto text = ReadFile(path, limits.max_bytes);
  if (!text) return Err("world " + text.error());
  protocol::WorldContext ctx;
  ctx.now_unix = now_unix;
  if (getenv) {
    ctx.env = getenv;
  } else {
    ctx.env = [](std::string_view name) -> std::optional<std::string> {
      const char* v = std::getenv(std::string(name).c_str());
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
  }
  auto world = protocol::ParseWorld(*text, ctx, limits);
  if (!world) return Err("world " + path + ": " + protocol::DescribeWorldError(world.error()));
  return std::move(*world);
}

Expected<std::string, std::string> ReadFileLimited(const std::string& path, std::size_t max) {
  return ReadFile(path, max);
}

std::string DefaultStateDir() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/regauth";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    return std::string(home) + "/.local/state/regauth";
  }
  return "regauth-state";
}

Expected<std::unique_ptr<ReferenceServer>, std::string> ReferenceServer::Start(
    ReferenceServerConfig c, StartErrorKind* error_kind) {
  // Every failure before the listeners is the configuration's; fail_at_run_time marks the others.
  if (error_kind != nullptr) *error_kind = StartErrorKind::kConfiguration;
  auto fail_at_run_time = [error_kind](std::string message) {
    if (error_kind != nullptr) *error_kind = StartErrorKind::kRuntime;
    return Err(std::move(message));
  };
  std::unique_ptr<ReferenceServer> s(new ReferenceServer());
  if (!c.clock) c.clock = SystemNow;
  const LogLevel level = c.log_level;
  const ServerLogSink sink = c.log ? c.log : StderrLogSink();
  const ServerLogSink log = [sink, level](LogLevel l, std::string_view line) {
    if (l <= level) sink(l, line);
  };
  s->log_ = log;
  const int64_t now = c.clock();

  // 1. The world (and, from a file, its document for the /api/v4 subset).
  std::optional<nlohmann::json> world_doc;
  if (c.world) {
    s->world_ = c.world;
  } else {
    if (c.world_path.empty()) return Err("no world: give a world file");
    auto world = LoadWorldFile(c.world_path, now, c.getenv);
    if (!world) return Err(world.error());
    s->world_ = std::make_shared<const protocol::World>(std::move(*world));
    if (auto text = ReadFile(c.world_path, protocol::WorldLimits{}.max_bytes)) {
      world_doc = ParseWorldDocument(*text);
    }
  }

  // 2. State directory, signing key and certificate.
  if (!c.state_dir.empty()) {
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(c.state_dir, ec);
    if (!ec) c.state_dir = absolute.lexically_normal().string();
    while (c.state_dir.size() > 1 && c.state_dir.back() == '/') c.state_dir.pop_back();
    if (auto ok = EnsureDirectory(c.state_dir); !ok) return Err("state directory " + ok.error());
  }
  s->state_dir_ = c.state_dir;
  auto signing = PrepareSigning(c, now);
  if (!signing) return Err(signing.error());
  s->signing_key_pem_ = protocol::PrivateKeyPem(signing->key);
  s->signing_cert_pem_ = ChainPem(signing->chain);
  s->signing_cert_path_ = signing->cert_path;

  // 3. TLS.
  std::optional<net::TlsConfig> tls;
  if (c.tls_self_signed && (!c.tls_cert_pem.empty() || !c.tls_key_pem.empty())) {
    return Err("TLS: give either a certificate and key or self-signed, not both");
  }
  if (c.tls_self_signed) {
    auto t = SelfSignedTls(c, now);
    if (!t) return Err(t.error());
    tls = t->config;
    s->tls_ca_pem_ = t->ca_pem;
    s->tls_ca_path_ = t->ca_path;
  } else if (!c.tls_cert_pem.empty() || !c.tls_key_pem.empty()) {
    if (c.tls_cert_pem.empty() || c.tls_key_pem.empty()) {
      return Err("TLS: both a certificate chain and its key are needed");
    }
    auto chain = protocol::LoadCertificatesPem(c.tls_cert_pem);
    if (!chain)
      return Err("TLS certificate: " + std::string(protocol::CodeName(chain.error().code)));
    s->tls_ca_pem_ = protocol::CertificatePem(chain->back());
    tls = net::TlsConfig{c.tls_cert_pem, c.tls_key_pem};
  }

  // 4. The token service.
  TokenServiceConfig tc;
  tc.world = s->world_;
  tc.profile = c.profile;
  tc.signing_key = signing->key;
  tc.certificate_chain = signing->chain;
  tc.kid_mode = c.kid_mode;
  tc.alg = c.alg;
  tc.issuer = c.issuer;
  tc.service = c.service;
  tc.misbehaviours = c.misbehaviours;
  tc.clock = c.clock;
  if (level >= LogLevel::kDebug) {
    tc.log = [log](std::string_view line) { log(LogLevel::kDebug, line); };
  }
  tc.ip_ban.ban_after_failures = c.ban_after_failures;
  if (auto ok = ValidateTokenServiceConfig(tc); !ok) return Err(ok.error());
  s->token_service_ = std::make_unique<TokenService>(std::move(tc));
  if (!s->token_service_->config_error().empty()) return Err(s->token_service_->config_error());
  s->kid_ = s->token_service_->key_id();
  s->issuer_ = s->token_service_->issuer();
  s->service_ = s->token_service_->service();
  s->alg_ = std::string(protocol::AlgName(s->token_service_->alg()));
  s->profile_ = std::string(Name(c.profile));

  // The registry must accept the token service's own tokens: distribution 2.8 (libtrust and x5c
  // kids) verifies RS*, PS* and ES* only, so EdDSA needs the v3 verifier (thumbprint kids).
  const RegistryVerifier verifier = c.registry_verifier.value_or(
      c.kid_mode == KidMode::kThumbprint ? RegistryVerifier::kDistributionV3
                                         : RegistryVerifier::kDistributionV28);
  const protocol::VerifierProfile registry_profile =
      verifier == RegistryVerifier::kDistributionV3
          ? protocol::VerifierProfile::DistributionV3(s->issuer_, s->service_)
          : protocol::VerifierProfile::DistributionV28(s->issuer_, s->service_);
  if (c.with_registry && !registry_profile.algs.Allows(s->token_service_->alg())) {
    return Err("signing algorithm " + s->alg_ +
               ": the reference registry verifies like distribution " +
               (verifier == RegistryVerifier::kDistributionV3 ? "v3" : "2.8") +
               " with this kid mode and would reject every token; use --kid-mode thumbprint "
               "(distribution 3 accepts " +
               s->alg_ + ") or --no-registry");
  }

  const std::size_t connection_cap = ConnectionCap(c.max_connections, c.with_registry ? 2 : 1, log);
  net::HttpServerOptions token_options = ListenerOptions(c, c.token_listen, "token", log, tls);
  token_options.max_connections = connection_cap;
  token_options.max_body_bytes = kTokenMaxBody;
  TokenService* service = s->token_service_.get();
  if (world_doc) {
    protocol::WorldContext wctx{now, c.getenv};
    if (!wctx.env) {
      wctx.env = [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
      };
    }
    s->admin_api_ = std::make_unique<AdminApi>(
        std::move(*world_doc), std::move(wctx),
        [service](std::shared_ptr<const protocol::World> w) { service->SetWorld(std::move(w)); });
  }
  AdminApi* api = s->admin_api_.get();
  auto token_server =
      net::HttpServer::Start(token_options, [service, api](const net::HttpRequest& r) {
        if (api != nullptr) {
          if (auto answer = api->Handle(r)) return std::move(*answer);
        }
        return service->Handle(r);
      });
  if (!token_server) return fail_at_run_time("token listener: " + token_server.error().message);
  s->token_server_ = std::move(*token_server);
  s->token_port_ = s->token_server_->port();
  const std::string scheme = tls ? "https://" : "http://";
  s->token_url_ = scheme + UrlHost(c.token_listen.host) + ":" + std::to_string(s->token_port_);
  s->realm_ = c.realm_override.empty() ? s->token_url_ + "/jwt/auth" : c.realm_override;

  // 5. The store and the registry.
  if (c.with_registry) {
    StoreOptions so;
    if (!c.state_dir.empty() && !c.in_memory_store) so.directory = c.state_dir + "/registry";
    so.limits = c.store_limits;
    so.new_upload_id = [] { return RandomUuidV4(); };
    auto store = Store::Open(std::move(so));
    if (!store) {
      return fail_at_run_time("registry storage: " + std::string(CodeName(store.error().code)) +
                              " (" + std::string(store.error().reason) + ")");
    }
    RegistryConfig rc;
    rc.store = std::shared_ptr<Store>(std::move(*store));
    rc.realm = s->realm_;
    rc.service = s->service_;
    rc.issuer = s->issuer_;
    rc.profile = registry_profile;
    rc.trust = protocol::TrustStore::FromRoots(signing->chain, rc.profile->kid_format);
    // Debian's docker-registry serves with storage.delete.enabled: true and this header
    // (/etc/docker/registry/config.yml); distribution-config.cc writes the same two settings.
    // The planted CVE-2026-41888 bug needs delete disabled to show (see server.h).
    rc.delete_enabled =
        c.registry_delete_enabled && !c.misbehaviours.Has(Misbehaviour::kDeleteIgnoresDisabled);
    rc.extra_headers = {{"X-Content-Type-Options", "nosniff"}};
    rc.misbehaviours = c.misbehaviours;
    rc.clock = c.clock;
    if (level >= LogLevel::kDebug) {
      rc.log = [log](std::string_view line) { log(LogLevel::kDebug, line); };
    }
    s->registry_ = std::make_unique<Registry>(std::move(rc));
    net::HttpServerOptions registry_options =
        ListenerOptions(c, c.registry_listen, "registry", log, tls);
    registry_options.max_body_bytes = static_cast<std::size_t>(c.store_limits.max_blob_bytes);
    registry_options.spill_body_over = kRegistrySpillOver;
    // On the state directory's filesystem when there is one (the store's tmp/, which Open
    // creates); else $TMPDIR. The files have no names either way.
    if (!c.state_dir.empty() && !c.in_memory_store) {
      registry_options.spill_directory = c.state_dir + "/registry/tmp";
    }
    registry_options.max_connections = connection_cap;
    const Registry* registry = s->registry_.get();
    auto registry_server = net::HttpServer::Start(
        registry_options, [registry](const net::HttpRequest& r) { return registry->Handle(r); });
    if (!registry_server) {
      s->Stop();
      return fail_at_run_time("registry listener: " + registry_server.error().message);
    }
    s->registry_server_ = std::move(*registry_server);
    s->registry_max_header_bytes_ = registry_options.max_header_bytes;
    s->registry_port_ = s->registry_server_->port();
    s->registry_url_ =
        scheme + UrlHost(c.registry_listen.host) + ":" + std::to_string(s->registry_port_);
  }
  if (IsWildcard(c.token_listen.host) && c.realm_override.empty()) {
    log(LogLevel::kWarn,
        "the token listener binds a wildcard address but the realm names the loopback address: "
        "remote clients need a realm override (--realm)");
  }
  std::string names;
  for (std::string_view n : c.misbehaviours.Names()) {
    names += (names.empty() ? "" : ",") + std::string(n);
  }
  log(LogLevel::kInfo, "started token_url=" + s->token_url_ + " realm=" + s->realm_ +
                           " registry_url=" + (s->registry_url_.empty() ? "-" : s->registry_url_) +
                           " profile=" + s->profile_ + " alg=" + s->alg_ +
                           " misbehaviours=" + (names.empty() ? "-" : names));
  return s;
}

ReferenceServer::~ReferenceServer() { Stop(); }

void ReferenceServer::Stop() {
  // Listeners first: they join the threads that call into the token service and the registry.
  if (stopped_) return;
  stopped_ = true;
  if (registry_server_) registry_server_->Stop();
  if (token_server_) token_server_->Stop();
  if (log_ && token_server_) log_(LogLevel::kInfo, "stopped token_url=" + token_url_);
}

net::HttpServerStats ReferenceServer::token_stats() const {
  return token_server_ ? token_server_->stats() : net::HttpServerStats{};
}

net::HttpServerStats ReferenceServer::registry_stats() const {
  return registry_server_ ? registry_server_->stats() : net::HttpServerStats{};
}

nlohmann::json ReferenceServer::Describe() const {
  auto path_or_null = [](const std::string& p) -> nlohmann::json {
    return p.empty() ? nlohmann::json(nullptr) : nlohmann::json(p);
  };
  nlohmann::json j = nlohmann::json::object();
  j["token_url"] = token_url_;
  j["realm"] = realm_;
  j["token_port"] = token_port_;
  j["registry_url"] = path_or_null(registry_url_);
  j["registry_port"] =
      registry_url_.empty() ? nlohmann::json(nullptr) : nlohmann::json(registry_port_);
  j["service"] = service_;
  j["issuer"] = issuer_;
  j["kid"] = kid_;
  j["alg"] = alg_;
  j["profile"] = profile_;
  j["state_dir"] = path_or_null(state_dir_);
  j["signing_cert"] = path_or_null(signing_cert_path_);
  j["tls_ca"] = tls_ca_pem_.empty() ? nlohmann::json(nullptr) : path_or_null(tls_ca_path_);
  return j;
}

}  // namespace regauth::server
