#include "harness/clients/own_client.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "harness/execute/steps.h"
#include "harness/execute/target.h"
#include "net/http_client.h"
#include "protocol/credentials.h"
#include "protocol/token_response.h"

namespace regauth::harness::clients {
namespace {

using Clock = std::chrono::steady_clock;

// kMaxTokenResponseBytes bounds what the client reads from a realm.
constexpr std::size_t kMaxTokenResponseBytes = 1 << 20;

class Session {
 public:
  Session(const StageEndpoints& ep, const DriverOptions& options) : ep_(ep) {
    net::ClientOptions o;
    o.timeout = options.timeout;
    o.ca_file = ep.ca_file;
    o.max_response_bytes = 8 << 20;
    client_ = net::HttpClient(o);
    net::ClientOptions t = o;
    t.max_response_bytes = kMaxTokenResponseBytes;
    token_client_ = net::HttpClient(t);
  }

  std::string log;

  // Fail records why the operation stopped and returns false.
  bool Fail(const std::string& why) {
    log += "error: " + why + "\n";
    return false;
  }

  // Token obtains a token for `scope` ("" for a login) following the registry's challenge.
  bool Token(const std::string& scope) {
    const std::string ping = ep_.registry_url + "/v2/";
    auto res = client_.Send({"GET", ping, {}, ""});
    if (!res) return Fail("GET " + ping + ": " + res.error().message);
    log += "GET " + ping + " → " + std::to_string(res->status) + "\n";
    if (res->status >= 200 && res->status < 300) {
      return Fail("the registry answered " + std::to_string(res->status) +
                  " without credentials: nothing checks the password (moby/moby#50896)");
    }
    if (res->status != 401) return Fail("expected 401 from /v2/");
    auto challenge = ReadBearerChallenge(ep_.registry_url, res->Headers("WWW-Authenticate"));
    if (!challenge) return Fail(challenge.error().message);
    for (const auto& f : challenge->findings) log += "finding: " + f + "\n";
    auto realm_origin = OriginOf(challenge->realm);
    auto registry_origin = OriginOf(ep_.registry_url);
    guard_ = CredentialGuard(std::vector<Origin>{*registry_origin, *realm_origin});
    std::string url = challenge->realm;
    url += url.find('?') == std::string::npos ? "?" : "&";
    url += "service=" + QueryEscape(challenge->bearer.service.value_or(""));
    if (!scope.empty()) url += "&scope=" + QueryEscape(scope);
    if (auto refused = guard_.Check(url)) return Fail(*refused);
    auto basic = protocol::SerializeBasic(ep_.username, ep_.password);
    if (!basic) return Fail("the username cannot be sent with Basic");
    auto tr = token_client_.Send({"GET", url, {{"Authorization", *basic}}, ""});
    if (!tr) return Fail("token request: " + tr.error().message);
    log += "GET " + challenge->realm + " (Basic) → " + std::to_string(tr->status) + "\n";
    if (tr->status >= 300 && tr->status < 400) {
      return Fail("the realm answered a redirect: credentials are never sent after a redirect");
    }
    if (tr->status != 200) return Fail("the realm refused the credentials");
    auto parsed = protocol::ParseTokenResponse(tr->body, protocol::TokenResponseForm::kGet);
    if (!parsed) {
      return Fail("token response: " + std::string(protocol::CodeName(parsed.error().code)));
    }
    token_ = parsed->EffectiveToken();
    return true;
  }

  // Get fetches a registry path with the token; a redirect to another origin is followed once
  // without Authorization.
  std::optional<net::ClientResponse> Get(const std::string& path, std::string_view accept) {
    const std::string url = ep_.registry_url + path;
    if (auto refused = guard_.Check(url)) {
      Fail(*refused);
      return std::nullopt;
    }
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Authorization", "Bearer " + token_}};
    if (!accept.empty()) headers.emplace_back("Accept", std::string(accept));
    auto res = client_.Send({"GET", url, headers, ""});
    if (!res) {
      Fail("GET " + path + ": " + res.error().message);
      return std::nullopt;
    }
    log += "GET " + path + " (Bearer) → " + std::to_string(res->status) + "\n";
    if (res->status < 300 || res->status >= 400) return std::move(*res);
    auto location = res->Header("Location");
    if (!location) {
      Fail("a redirect without Location");
      return std::nullopt;
    }
    const std::string target(*location);
    auto to = OriginOf(target);
    if (!to) {
      Fail("the redirect target is not an absolute http(s) URL");
      return std::nullopt;
    }
    const bool same = *to == *OriginOf(ep_.registry_url);
    if (!same) headers.erase(headers.begin());  // never carry the token to another origin
    auto next = client_.Send({"GET", target, headers, ""});
    if (!next) {
      Fail("GET " + target + ": " + next.error().message);
      return std::nullopt;
    }
    log += "GET " + target + (same ? " (Bearer)" : " (no credentials)") + " → " +
           std::to_string(next->status) + "\n";
    return std::move(*next);
  }

 private:
  StageEndpoints ep_;
  net::HttpClient client_;
  net::HttpClient token_client_;
  CredentialGuard guard_;
  std::string token_;
};

bool Login(Session& s, const StageEndpoints& ep) {
  if (!s.Token("")) return false;
  auto res = s.Get("/v2/", "");
  if (!res) return false;
  if (res->status != 200) return s.Fail("the registry refused the token");
  (void)ep;
  s.log += "login succeeded\n";
  return true;
}

bool Pull(Session& s, const StageEndpoints& ep) {
  if (!s.Token("repository:" + ep.repository + ":pull")) return false;
  auto manifest = s.Get("/v2/" + ep.repository + "/manifests/" + ep.tag,
                        "application/vnd.oci.image.manifest.v1+json, "
                        "application/vnd.docker.distribution.manifest.v2+json");
  if (!manifest) return false;
  if (manifest->status != 200) {
    return s.Fail("manifest: " + std::to_string(manifest->status) +
                  " (no further scopes are requested than the pull needs)");
  }
  auto doc = nlohmann::json::parse(manifest->body, nullptr, false);
  if (!doc.is_object()) return s.Fail("the manifest is not a JSON object");
  std::vector<std::string> digests;
  if (doc.contains("config") && doc["config"].is_object() && doc["config"]["digest"].is_string()) {
    digests.push_back(doc["config"]["digest"].get<std::string>());
  }
  if (doc.contains("layers") && doc["layers"].is_array()) {
    for (const auto& l : doc["layers"]) {
      if (l.is_object() && l.contains("digest") && l["digest"].is_string()) {
        digests.push_back(l["digest"].get<std::string>());
      }
    }
  }
  for (const std::string& d : digests) {
    auto blob = s.Get("/v2/" + ep.repository + "/blobs/" + d, "");
    if (!blob) return false;
    if (blob->status != 200) return s.Fail("blob " + d + ": " + std::to_string(blob->status));
  }
  s.log += "pull succeeded\n";
  return true;
}

}  // namespace

DriverResult RunOwnClient(std::string_view op, const StageEndpoints& ep, const RedactFn& redact,
                          const DriverOptions& options) {
  DriverResult out;
  if (op != "login" && op != "pull") {
    out.skip = "regauth's own client has no " + std::string(op) + " operation";
    return out;
  }
  const auto begin = Clock::now();
  Session s(ep, options);
  const bool ok = op == "login" ? Login(s, ep) : Pull(s, ep);
  ToolRun run;
  run.tool = std::string(kOwnClientName);
  run.argv = {"regauth (net::HttpClient)", std::string(op), ep.registry_url};
  run.exit_code = ok ? 0 : 1;
  run.output = redact(s.log);
  run.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin).count();
  out.run.exit_code = run.exit_code;
  out.run.duration_ms = run.duration_ms;
  out.tools.push_back(std::move(run));
  return out;
}

}  // namespace regauth::harness::clients
