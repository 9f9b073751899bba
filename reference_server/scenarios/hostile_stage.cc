#include "reference_server/scenarios/hostile_stage.h"

#include <openssl/rand.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>

#include "net/http_server.h"
#include "protocol/base64.h"
#include "protocol/keys.h"
#include "reference_server/scenarios/judge.h"

namespace regauth::server::scenarios {
namespace {

using Clock = std::chrono::steady_clock;

struct TlsMaterial {
  net::TlsConfig config;
  std::string ca_pem;
};

protocol::Expected<TlsMaterial, std::string> MakeTls() {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto ca_key = protocol::GenerateKey(protocol::KeyType::kEcP256);
  auto leaf_key = protocol::GenerateKey(protocol::KeyType::kEcP256);
  if (!ca_key || !leaf_key) return protocol::Unexpected(std::string("TLS: key generation failed"));
  auto ca = protocol::MakeSelfSignedCertificate(*ca_key, "regauth hostile stage CA", now - 3600,
                                                now + 86400, 1, true);
  if (!ca) return protocol::Unexpected(std::string("TLS: CA certificate failed"));
  auto leaf =
      protocol::MakeCertificate(*leaf_key, "localhost", *ca_key, *ca, now - 3600, now + 86400, 2,
                                false, {"localhost", "127.0.0.1", "127.0.0.2"});
  if (!leaf) return protocol::Unexpected(std::string("TLS: leaf certificate failed"));
  TlsMaterial t;
  t.ca_pem = protocol::CertificatePem(*ca);
  t.config.certificate_chain_pem = protocol::CertificatePem(*leaf) + t.ca_pem;
  t.config.private_key_pem = protocol::PrivateKeyPem(*leaf_key);
  return t;
}

std::string RandomPassword() {
  unsigned char raw[18];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    const auto t = Clock::now().time_since_epoch().count();
    for (std::size_t i = 0; i < sizeof raw; ++i) raw[i] = static_cast<unsigned char>(t >> i);
  }
  return "pw-" + protocol::Base64UrlEncode(std::string_view(reinterpret_cast<char*>(raw), 18));
}

}  // namespace

struct HostileStage::Impl {
  const Scenario* scenario = nullptr;
  std::unique_ptr<Stage> stage;
  std::atomic<Stage*> ready{nullptr};
  Recording recording;
  Clock::time_point started = Clock::now();
  std::array<std::unique_ptr<net::HttpServer>, 4> servers;
  std::array<bool, 4> tls{};
  std::string ca_file;
  bool other_host_distinct = true;

  net::HttpResponse Handle(Role role, const net::HttpRequest& req) {
    Stage* s = ready.load();
    if (s == nullptr) return net::HttpResponse::Text(503, "stage not ready\n");
    const auto begin = Clock::now();
    Hit hit = CaptureRequest(*s, role, req, tls[static_cast<int>(role)]);
    hit.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(begin - started).count();
    net::HttpResponse res =
        scenario->handle ? scenario->handle(*s, role, req) : s->Default(role, req);
    CaptureResponse(*s, hit, res);
    hit.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin).count();
    recording.Add(std::move(hit));
    return res;
  }

  // Refused records a request the HTTP adapter answered itself (too large, malformed).
  void Refused(Role role, const net::AccessLogEntry& e) {
    const bool adapter = e.method.empty() || e.status == 413 || e.status == 431 ||
                         e.status == 501 || e.status == 505;
    Stage* s = ready.load();
    if (!adapter || s == nullptr) return;
    Hit hit;
    hit.role = role;
    hit.origin = s->Url(role);
    hit.tls = e.tls;
    hit.method = e.method;
    hit.target = e.path;
    hit.credential = "unknown (the request was refused before its headers were read)";
    hit.status = e.status;
    hit.response_body = "refused by the HTTP adapter (" + std::to_string(e.status) + ")";
    hit.at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    recording.Add(std::move(hit));
  }
};

HostileStage::HostileStage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HostileStage::~HostileStage() { Stop(); }

protocol::Expected<std::unique_ptr<HostileStage>, std::string> HostileStage::Start(
    const Scenario& scenario, const StageOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->scenario = &scenario;
  Impl* raw = impl.get();
  std::optional<TlsMaterial> tls;
  if (scenario.setup.registry_tls || scenario.setup.realm_tls) {
    auto made = MakeTls();
    if (!made) return protocol::Unexpected(made.error());
    tls = std::move(*made);
    impl->ca_file = options.scratch_dir + "/ca.crt.pem";
    std::ofstream out(impl->ca_file, std::ios::binary | std::ios::trunc);
    out << tls->ca_pem;
    if (!out.flush()) return protocol::Unexpected("cannot write " + impl->ca_file);
  }
  std::array<std::string, 4> urls;
  for (Role role : kRoles) {
    const int i = static_cast<int>(role);
    net::HttpServerOptions o;
    o.host = role == Role::kOtherHost ? "127.0.0.2" : "127.0.0.1";
    o.threads = 2;
    o.header_timeout = std::chrono::milliseconds(5000);
    o.error_log = [](std::string_view) {};
    o.access_log = [raw, role](const net::AccessLogEntry& e) { raw->Refused(role, e); };
    impl->tls[i] = (role == Role::kRegistry && scenario.setup.registry_tls) ||
                   (role == Role::kRealm && scenario.setup.realm_tls);
    if (impl->tls[i]) o.tls = tls->config;
    auto handler = [raw, role](const net::HttpRequest& req) { return raw->Handle(role, req); };
    auto server = net::HttpServer::Start(o, handler);
    if (!server && role == Role::kOtherHost) {
      o.host = "127.0.0.1";  // no 127.0.0.2 here: another port still is another origin
      impl->other_host_distinct = false;
      server = net::HttpServer::Start(o, handler);
    }
    if (!server) {
      return protocol::Unexpected("cannot bind the " + std::string(RoleName(role)) +
                                  " origin: " + server.error().message);
    }
    urls[i] = (*server)->BaseUrl();
    impl->servers[i] = std::move(*server);
  }
  impl->stage = std::make_unique<Stage>(
      options.password.empty() ? RandomPassword() : options.password, urls, options.scratch_dir);
  impl->stage->set_slow_delay(options.slow_delay);
  if (scenario.setup.announced_realm) {
    impl->stage->SetAnnouncedRealm(scenario.setup.announced_realm(*impl->stage));
  }
  if (scenario.setup.prepare) scenario.setup.prepare(*impl->stage);
  impl->ready.store(impl->stage.get());
  return std::unique_ptr<HostileStage>(new HostileStage(std::move(impl)));
}

const Scenario& HostileStage::scenario() const { return *impl_->scenario; }
std::string HostileStage::registry_url() const { return url(Role::kRegistry); }
std::string HostileStage::registry_host() const {
  const std::string u = registry_url();
  const std::size_t at = u.find("://");
  return at == std::string::npos ? u : u.substr(at + 3);
}
std::string HostileStage::url(Role role) const { return impl_->stage->Url(role); }
std::string HostileStage::username() const { return std::string(kUsername); }
std::string HostileStage::password() const { return impl_->stage->password(); }
std::string HostileStage::ca_file() const { return impl_->ca_file; }
bool HostileStage::other_host_is_distinct() const { return impl_->other_host_distinct; }

std::vector<Hit> HostileStage::Hits() const { return impl_->recording.Snapshot(); }

std::vector<Check> HostileStage::Judge(const ClientResult& client) const {
  Observation o;
  o.stage = impl_->stage.get();
  o.hits = Hits();
  o.client = client;
  std::vector<Check> checks = LeakChecks(o, impl_->scenario->leaks);
  if (impl_->scenario->judge) impl_->scenario->judge(o, checks);
  return checks;
}

std::string HostileStage::Redact(std::string_view text) const {
  return scenarios::Redact(*impl_->stage, text);
}

void HostileStage::Stop() {
  if (!impl_) return;
  for (auto& s : impl_->servers) {
    if (s) s->Stop();
  }
}

}  // namespace regauth::server::scenarios
