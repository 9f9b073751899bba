#include "harness/execute/target.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "protocol/ascii.h"
#include "protocol/challenge.h"

namespace regauth::harness {
namespace {

using protocol::Unexpected;
using Clock = std::chrono::steady_clock;

Unexpected<TargetError> Fail(TargetErrorCode code, std::string message) {
  return Unexpected<TargetError>(TargetError{code, std::move(message)});
}

struct CurlUrlFree {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// UrlPart returns one part of a parsed URL, or nullopt.
std::optional<std::string> UrlPart(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

std::unique_ptr<CURLU, CurlUrlFree> ParseUrl(std::string_view url) {
  std::unique_ptr<CURLU, CurlUrlFree> u(curl_url());
  if (!u) return nullptr;
  const std::string text(url);
  if (curl_url_set(u.get(), CURLUPART_URL, text.c_str(), CURLU_PATH_AS_IS) != CURLUE_OK) {
    return nullptr;
  }
  return u;
}

std::string StripTrailingSlash(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

template <typename Code>
std::string ParseErrorText(const protocol::Error<Code>& e) {
  return std::string(CodeName(e.code)) + " at byte " + std::to_string(e.offset) + " (" +
         std::string(e.reason) + ")";
}

std::string ClientErrorText(const net::ClientError& e) {
  return std::string(CodeName(e.code)) + ": " + e.message;
}

}  // namespace

std::string Origin::ToString() const { return scheme + "://" + host + ":" + std::to_string(port); }

std::optional<Origin> OriginOf(std::string_view url) {
  auto u = ParseUrl(url);
  if (!u) return std::nullopt;
  auto scheme = UrlPart(u.get(), CURLUPART_SCHEME);
  auto host = UrlPart(u.get(), CURLUPART_HOST);
  auto port = UrlPart(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port) return std::nullopt;
  if (UrlPart(u.get(), CURLUPART_USER)) return std::nullopt;
  Origin o;
  o.scheme = protocol::AsciiLower(*scheme);
  if (o.scheme != "http" && o.scheme != "https") return std::nullopt;
  o.host = protocol::AsciiLower(*host);
  o.port = std::atoi(port->c_str());
  return o;
}

std::string HostPortOf(std::string_view url) {
  auto u = ParseUrl(url);
  if (!u) return "";
  auto host = UrlPart(u.get(), CURLUPART_HOST);
  if (!host) return "";
  auto port = UrlPart(u.get(), CURLUPART_PORT);
  return port ? *host + ":" + *port : *host;
}

std::optional<std::string> CredentialGuard::Check(std::string_view url) const {
  const auto origin = OriginOf(url);
  if (!origin) {
    return "credentials refused: '" + std::string(url.substr(0, 200)) +
           "' is not an absolute http(s) URL without userinfo";
  }
  if (std::find(allowed_.begin(), allowed_.end(), *origin) != allowed_.end()) return std::nullopt;
  std::string allowed;
  for (const auto& a : allowed_) {
    if (!allowed.empty()) allowed += ", ";
    allowed += a.ToString();
  }
  return "credentials refused for " + origin->ToString() +
         ": only the registry and realm origins may receive them (" + allowed +
         "); suite-anchors.md §C2, CVE-2020-15157";
}

std::string_view CodeName(TargetErrorCode code) {
  switch (code) {
    case TargetErrorCode::kUnreachable:
      return "unreachable";
    case TargetErrorCode::kNoAuthRequired:
      return "no_auth_required";
    case TargetErrorCode::kUnexpectedStatus:
      return "unexpected_status";
    case TargetErrorCode::kNoChallenge:
      return "no_challenge";
    case TargetErrorCode::kBadChallenge:
      return "bad_challenge";
    case TargetErrorCode::kNotBearer:
      return "not_bearer";
    case TargetErrorCode::kNoRealm:
      return "no_realm";
    case TargetErrorCode::kNotAvailable:
      return "not_available";
    case TargetErrorCode::kLaunchFailed:
      return "launch_failed";
    case TargetErrorCode::kMissingBinary:
      return "missing_binary";
    case TargetErrorCode::kNotReady:
      return "not_ready";
  }
  return "unknown";
}

std::string_view TargetKindName(TargetKind kind) {
  switch (kind) {
    case TargetKind::kReference:
      return "reference";
    case TargetKind::kDistribution:
      return "distribution";
    case TargetKind::kBlackBox:
      return "black-box";
  }
  return "unknown";
}

protocol::Expected<RegistryChallenge, TargetError> ReadBearerChallenge(
    std::string_view registry_url, const std::vector<std::string_view>& values) {
  const std::string base = StripTrailingSlash(registry_url);
  const auto registry_origin = OriginOf(base);
  if (!registry_origin) {
    return Fail(TargetErrorCode::kUnreachable,
                "the registry URL '" + base + "' is not an absolute http(s) URL");
  }
  if (values.empty()) {
    return Fail(TargetErrorCode::kNoChallenge, "answered 401 without a WWW-Authenticate header");
  }
  RegistryChallenge out;
  for (auto v : values) {
    if (!out.raw.empty()) out.raw += "\n";
    out.raw += std::string(v);
  }
  auto challenges = protocol::ParseChallengeHeaders(values);
  if (!challenges) {
    protocol::ChallengeOptions lenient;
    lenient.leniency = protocol::ChallengeLeniency::kDistributionClient;
    auto second = protocol::ParseChallengeHeaders(values, lenient);
    const std::string strict_error = ParseErrorText(challenges.error());
    if (!second || second->empty()) {
      return Fail(TargetErrorCode::kBadChallenge,
                  "the WWW-Authenticate challenge does not parse: " + strict_error);
    }
    out.findings.push_back("the WWW-Authenticate challenge is not RFC 9110 (" + strict_error +
                           "); it was read with distribution's client leniency");
    challenges = std::move(second);
  }
  std::optional<protocol::BearerChallenge> bearer;
  std::optional<protocol::ChallengeError> bearer_error;
  for (const auto& c : *challenges) {
    if (!c.SchemeIs("Bearer")) continue;
    auto b = protocol::ToBearerChallenge(c);
    if (b) {
      bearer = *b;
      break;
    }
    bearer_error = b.error().code;
  }
  if (!bearer) {
    if (bearer_error) {
      return Fail(TargetErrorCode::kNoRealm, "the Bearer challenge is unusable (" +
                                                 std::string(CodeName(*bearer_error)) +
                                                 "): a realm is required");
    }
    return Fail(TargetErrorCode::kNotBearer,
                "no Bearer challenge in WWW-Authenticate: " + out.raw.substr(0, 200));
  }
  std::string realm = bearer->realm;
  if (!realm.empty() && realm.front() == '/') {
    out.findings.push_back("the realm '" + realm +
                           "' is relative; resolved against the registry origin (distribution's "
                           "client does not support relative realms)");
    realm = registry_origin->scheme + "://" + HostPortOf(base) + realm;
  }
  const auto realm_origin = OriginOf(realm);
  if (!realm_origin) {
    return Fail(TargetErrorCode::kNoRealm,
                "the realm '" + realm.substr(0, 200) +
                    "' is not an absolute http(s) URL without userinfo (RFC 9110 §4.2.4)");
  }
  // An https registry whose realm is plain http would have the password sent in clear
  // (RFC 7617 §4): the user reached the registry over TLS and never agreed to that.
  if (registry_origin->scheme == "https" && realm_origin->scheme != "https") {
    return Fail(TargetErrorCode::kNoRealm,
                "the realm '" + realm.substr(0, 200) +
                    "' is plain http behind an https registry: credentials would travel in "
                    "clear (RFC 7617 §4)");
  }
  out.bearer = std::move(*bearer);
  out.realm = std::move(realm);
  return out;
}

protocol::Expected<ProbeResult, TargetError> SanityProbe(net::HttpClient& client,
                                                         std::string_view registry_url) {
  const std::string base = StripTrailingSlash(registry_url);
  const auto registry_origin = OriginOf(base);
  if (!registry_origin) {
    return Fail(TargetErrorCode::kUnreachable,
                "the registry URL '" + base + "' is not an absolute http(s) URL");
  }
  const std::string url = base + "/v2/";
  auto res = client.Send({"GET", url, {}, ""});
  if (!res) {
    return Fail(TargetErrorCode::kUnreachable, "sanity probe: GET " + url +
                                                   " got no HTTP response (" +
                                                   ClientErrorText(res.error()) + ")");
  }
  if (res->status >= 200 && res->status < 300) {
    return Fail(TargetErrorCode::kNoAuthRequired,
                "sanity probe: GET " + url + " answered " + std::to_string(res->status) +
                    " without credentials: registry does not require authentication: every auth "
                    "case would be meaningless (moby/moby#50896)");
  }
  if (res->status != 401) {
    return Fail(TargetErrorCode::kUnexpectedStatus,
                "sanity probe: GET " + url + " answered " + std::to_string(res->status) +
                    "; a token-auth registry answers 401 with a Bearer challenge (token.md)");
  }
  auto challenge = ReadBearerChallenge(base, res->Headers("WWW-Authenticate"));
  if (!challenge) {
    const bool no_header = challenge.error().code == TargetErrorCode::kNoChallenge;
    return Fail(challenge.error().code,
                "sanity probe: " + (no_header ? "GET " + url + " " : std::string()) +
                    challenge.error().message);
  }
  ProbeResult out;
  out.findings = challenge->findings;
  const std::string& raw = challenge->raw;
  const std::string& realm = challenge->realm;
  const protocol::BearerChallenge* bearer = &challenge->bearer;
  if (!bearer->service) out.findings.push_back("the Bearer challenge has no service parameter");
  out.info.registry_url = base;
  out.info.registry_host = HostPortOf(base);
  out.info.realm = realm;
  out.info.service = bearer->service.value_or("");
  out.info.challenge = raw;
  auto header_or_null = [&](std::string_view name) -> nlohmann::json {
    auto v = res->Header(name);
    return v ? nlohmann::json(std::string(*v)) : nlohmann::json(nullptr);
  };
  out.fingerprint["challenge"] = raw;
  out.fingerprint["api_version_header"] = header_or_null("Docker-Distribution-Api-Version");
  out.fingerprint["server_header"] = header_or_null("Server");
  out.fingerprint["kid"] = nullptr;
  out.fingerprint["findings"] = out.findings;
  return out;
}

std::map<std::string, std::string> RunningTarget::registry_facts() const {
  // Only the reference registry's: with docker-registry (registry_) in front, the instance's
  // registry is not the one under test.
  if (instance_ == nullptr || registry_ != nullptr) return {};
  return instance_->registry_facts();
}

RunningTarget::~RunningTarget() {
  if (registry_) registry_->Stop();
  registry_.reset();
  instance_.reset();
  registry_dir_.reset();
  state_dir_.reset();
}

CredentialGuard RunningTarget::guard() const {
  std::vector<Origin> allowed;
  if (auto o = OriginOf(probe_.info.registry_url)) allowed.push_back(*o);
  if (auto o = OriginOf(probe_.info.realm)) {
    if (std::find(allowed.begin(), allowed.end(), *o) == allowed.end()) allowed.push_back(*o);
  }
  return CredentialGuard(std::move(allowed));
}

namespace {

// LogTail returns the last lines of a log file, for a startup failure message.
std::string LogTail(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > 1500) text = "…" + text.substr(text.size() - 1500);
  return text.empty() ? "" : "\n--- " + path + " (tail) ---\n" + text;
}

// WaitForRegistry polls GET /v2/ until it answers 401 (ready), the process exits, or the
// timeout passes.
std::optional<TargetError> WaitForRegistry(const std::string& base, net::BackgroundProcess& process,
                                           const TargetOptions& options,
                                           const std::string& log_path) {
  net::ClientOptions co = options.client;
  co.timeout = std::chrono::milliseconds(1000);
  co.rate_limiter = nullptr;
  net::HttpClient client(co);
  const auto deadline = Clock::now() + options.ready_timeout;
  std::string last = "no answer yet";
  while (Clock::now() < deadline) {
    if (!process.Running()) {
      return TargetError{TargetErrorCode::kNotReady, "docker-registry exited during startup (" +
                                                         process.exit_description() + ")" +
                                                         LogTail(log_path)};
    }
    auto res = client.Send({"GET", base + "/v2/", {}, ""});
    if (res && res->status == 401) return std::nullopt;
    last = res ? "GET /v2/ answered " + std::to_string(res->status) : ClientErrorText(res.error());
    if (res) break;  // an answer other than 401 will not change: let the probe explain it
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (Clock::now() >= deadline) {
    return TargetError{TargetErrorCode::kNotReady,
                       "docker-registry did not become ready within " +
                           std::to_string(options.ready_timeout.count()) + " ms (" + last + ")" +
                           LogTail(log_path)};
  }
  return std::nullopt;
}

}  // namespace

protocol::Expected<std::unique_ptr<RunningTarget>, TargetError> StartTarget(
    const TargetOptions& options, const ReferenceLauncher& launcher) {
  std::unique_ptr<RunningTarget> t(new RunningTarget());
  std::string registry_url;
  if (options.kind == TargetKind::kBlackBox) {
    registry_url = options.registry_url;
  } else {
    if (!launcher) {
      return Fail(TargetErrorCode::kNotAvailable,
                  "--target " + std::string(TargetKindName(options.kind)) +
                      " needs the reference server, which this build of regauth does not "
                      "include; use --registry URL for a black-box target");
    }
    std::string docker_registry;
    if (options.kind == TargetKind::kDistribution) {
      auto exe = net::FindExecutable(options.docker_registry);
      if (!exe) {
        return Fail(TargetErrorCode::kMissingBinary,
                    "--target distribution needs docker-registry (distribution 2.8) at " +
                        options.docker_registry +
                        ", which is missing: install the Debian package docker-registry "
                        "(scripts/install-deps.sh)");
      }
      docker_registry = *exe;
    }
    auto state = net::ScratchDir::Create("regauth-state-");
    if (!state) return Fail(TargetErrorCode::kLaunchFailed, state.error());
    t->state_dir_ = std::move(*state);
    ReferenceLaunchOptions lo;
    lo.world_path = options.world_path;
    lo.profile = options.profile;
    lo.misbehaviours = options.misbehaviours;
    lo.with_registry = options.kind == TargetKind::kReference;
    lo.state_dir = t->state_dir_->path();
    auto instance = launcher(lo);
    if (!instance) {
      return Fail(TargetErrorCode::kLaunchFailed,
                  "the reference server did not start: " + instance.error());
    }
    t->instance_ = std::move(*instance);
    t->signing_key_pem_ = t->instance_->signing_key_pem();
    if (options.kind == TargetKind::kReference) {
      registry_url = t->instance_->registry_url();
    } else {
      auto dir = net::ScratchDir::Create("regauth-registry-");
      if (!dir) return Fail(TargetErrorCode::kLaunchFailed, dir.error());
      t->registry_dir_ = std::move(*dir);
      const int port = net::FreeLoopbackPort();
      if (port == 0) {
        return Fail(TargetErrorCode::kLaunchFailed, "no free loopback port for docker-registry");
      }
      const std::string listen = "127.0.0.1:" + std::to_string(port);
      const std::string storage = t->registry_dir_->path() + "/storage";
      std::filesystem::create_directories(storage);
      const std::string config_path = t->registry_dir_->path() + "/config.yml";
      {
        std::ofstream cfg(config_path, std::ios::binary);
        cfg << t->instance_->distribution_config_yaml(listen, storage);
        if (!cfg) {
          return Fail(TargetErrorCode::kLaunchFailed, "cannot write " + config_path);
        }
      }
      if (!options.output_dir.empty()) t->log_path_ = options.output_dir + "/docker-registry.log";
      net::ProcessSpec spec;
      spec.argv = {docker_registry, "serve", config_path};
      // REGISTRY_* variables override the configuration file (distribution's env overlay).
      spec.env_deny = {"REGISTRY_*", "OTEL_*"};
      spec.output_file = t->log_path_;
      spec.own_process_group = false;  // a terminal's Ctrl-C reaches it too
      auto process = net::BackgroundProcess::Start(spec);
      if (!process) {
        return Fail(TargetErrorCode::kLaunchFailed,
                    "docker-registry did not start: " + process.error().message);
      }
      t->registry_ = std::move(*process);
      registry_url = "http://" + listen;
      if (auto err = WaitForRegistry(registry_url, *t->registry_, options, t->log_path_)) {
        return Unexpected<TargetError>(*err);
      }
    }
  }
  net::HttpClient client(options.client);
  auto probe = SanityProbe(client, registry_url);
  if (!probe) return Unexpected<TargetError>(probe.error());
  t->probe_ = std::move(*probe);
  t->probe_.info.kind = std::string(TargetKindName(options.kind));
  t->probe_.info.issuer = options.issuer;
  return t;
}

protocol::Expected<TargetKind, std::string> ResolveTargetKind(
    const std::string& target, const std::string& registry_url,
    const std::vector<std::string>& misbehaviours) {
  if (!registry_url.empty()) {
    if (!target.empty()) {
      return protocol::Unexpected<std::string>(
          "--registry URL selects a black-box target; do not combine it with --target");
    }
    if (!misbehaviours.empty()) {
      return protocol::Unexpected<std::string>(
          "--misbehave applies to the reference and distribution targets only");
    }
    if (!OriginOf(registry_url)) {
      return protocol::Unexpected<std::string>(
          "--registry '" + registry_url +
          "' is not an absolute http:// or https:// URL without userinfo (e.g. "
          "https://registry.example.com:5050)");
    }
    return TargetKind::kBlackBox;
  }
  if (target == "distribution") return TargetKind::kDistribution;
  if (!target.empty() && target != "reference") {
    return protocol::Unexpected<std::string>(
        "--target must be reference or distribution (or use --registry URL), got '" + target + "'");
  }
  return TargetKind::kReference;
}

// CheckMisbehaviours refuses --misbehave names the launcher cannot plant on this target: a name
// that is not in plantable, and a registry-side bug with --target distribution, where
// docker-registry replaces the reference registry. The message says which names apply where.
std::optional<std::string> CheckMisbehaviours(const std::vector<std::string>& misbehaviours,
                                              const std::vector<PlantableMisbehaviour>& plantable,
                                              TargetKind kind) {
  if (misbehaviours.empty() || plantable.empty()) return std::nullopt;
  auto names_of = [&](std::string_view component) {
    std::string names;
    for (const PlantableMisbehaviour& m : plantable) {
      if (m.component == component) names += (names.empty() ? "" : ", ") + m.name;
    }
    return names;
  };
  const std::string token_side = names_of("token-service");
  for (const std::string& name : misbehaviours) {
    const auto it = std::find_if(plantable.begin(), plantable.end(),
                                 [&](const PlantableMisbehaviour& m) { return m.name == name; });
    if (it == plantable.end()) {
      return "--misbehave '" + name +
             "' is not a misbehaviour of the reference server. Token service (--target "
             "reference or distribution): " +
             token_side + ". Registry (--target reference only): " + names_of("registry");
    }
    if (kind == TargetKind::kDistribution && it->component != "token-service") {
      return "--misbehave " + name + " plants a bug in the reference " + it->component +
             ", which --target distribution replaces by docker-registry: the run would test "
             "nothing. Registry misbehaviours apply to --target reference only; with --target "
             "distribution use a token-service one: " +
             token_side;
    }
  }
  return std::nullopt;
}

}  // namespace regauth::harness
