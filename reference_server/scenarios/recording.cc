#include "reference_server/scenarios/recording.h"

#include <algorithm>

#include "protocol/ascii.h"
#include "protocol/base64.h"
#include "protocol/credentials.h"

namespace regauth::server::scenarios {
namespace {

// Secret is one string to look for and what to call it.
struct Secret {
  std::string text;
  std::string label;  // "«password»", "«token#2»"
  SecretKind kind = SecretKind::kPassword;
};

// Label is "«name»", what a secret is replaced by.
std::string Label(const std::string& name) { return "\u00AB" + name + "\u00BB"; }

std::vector<Secret> SecretsOf(const Stage& stage) {
  std::vector<Secret> out;
  if (!stage.password().empty()) {
    out.push_back({stage.password(), Label("password"), SecretKind::kPassword});
    const std::string basic =
        protocol::Base64Encode(std::string(kUsername) + ":" + stage.password());
    out.push_back(
        {basic, Label("basic " + std::string(kUsername) + ":password"), SecretKind::kPassword});
  }
  for (auto& [token, info] : stage.Tokens()) {
    SecretKind kind = info.issuer != Role::kRealm ? SecretKind::kForeignToken
                      : info.refresh              ? SecretKind::kRefreshToken
                                                  : SecretKind::kRealmToken;
    out.push_back({token, Label(info.label), kind});
  }
  // Longest first, so a token that contains another secret is replaced whole.
  std::sort(out.begin(), out.end(),
            [](const Secret& a, const Secret& b) { return a.text.size() > b.text.size(); });
  return out;
}

std::string ReplaceAll(std::string text, const std::vector<Secret>& secrets) {
  for (const Secret& s : secrets) {
    if (s.text.empty()) continue;
    std::size_t at = 0;
    while ((at = text.find(s.text, at)) != std::string::npos) {
      text.replace(at, s.text.size(), s.label);
      at += s.label.size();
    }
  }
  return text;
}

void Scan(std::string_view text, std::string_view where, const std::vector<Secret>& secrets,
          std::vector<SecretSighting>& out) {
  for (const Secret& s : secrets) {
    if (s.text.empty() || text.find(s.text) == std::string_view::npos) continue;
    const bool seen = std::any_of(out.begin(), out.end(), [&](const SecretSighting& x) {
      return x.kind == s.kind && x.where == where;
    });
    if (!seen) out.push_back({s.kind, std::string(where)});
  }
}

std::string Capped(std::string text) {
  if (text.size() <= kMaxRecordedBody) return text;
  const std::size_t total = text.size();
  text.resize(kMaxRecordedBody);
  text += "\xE2\x80\xA6 [" + std::to_string(total) + " bytes in all]";
  return text;
}

// Describe says what an Authorization value is, without its secret.
std::string Describe(const Stage& stage, std::string_view value) {
  auto creds = protocol::ParseCredentials(value);
  if (!creds) return "unparsable Authorization (" + std::to_string(value.size()) + " bytes)";
  if (const auto* basic = std::get_if<protocol::BasicCredentials>(&creds->value)) {
    std::string d = "Basic user=" + basic->username;
    d += basic->password == stage.password() ? " (the registry password)" : " (another password)";
    return d;
  }
  if (const auto* bearer = std::get_if<protocol::BearerCredentials>(&creds->value)) {
    auto info = stage.FindToken(bearer->token);
    if (!info) return "Bearer (a token the stage never issued)";
    return "Bearer " + info->label + " (issued by the " + std::string(RoleName(info->issuer)) +
           " origin" + (info->note.empty() ? "" : ", " + info->note) + ")";
  }
  return creds->scheme + " (another scheme)";
}

}  // namespace

std::string_view SecretKindName(SecretKind kind) {
  switch (kind) {
    case SecretKind::kPassword:
      return "password";
    case SecretKind::kRealmToken:
      return "realm-token";
    case SecretKind::kRefreshToken:
      return "refresh-token";
    case SecretKind::kForeignToken:
      return "foreign-token";
  }
  return "unknown";
}

bool Hit::Carries(SecretKind kind) const {
  return std::any_of(secrets.begin(), secrets.end(),
                     [kind](const SecretSighting& s) { return s.kind == kind; });
}

Hit CaptureRequest(const Stage& stage, Role role, const net::HttpRequest& req, bool tls) {
  const std::vector<Secret> secrets = SecretsOf(stage);
  Hit hit;
  hit.role = role;
  hit.origin = stage.Url(role);
  hit.tls = tls;
  hit.method = req.method;
  hit.credential = "none";
  for (const auto& [name, value] : req.headers) {
    const bool auth = protocol::EqualsIgnoreAsciiCase(name, "authorization");
    Scan(value, auth ? "Authorization header" : "header " + name, secrets, hit.secrets);
    if (auth) {
      hit.credential = Describe(stage, value);
      hit.headers.emplace_back(name, hit.credential);
    } else {
      hit.headers.emplace_back(name, ReplaceAll(value, secrets));
    }
  }
  Scan(req.target, "request-target", secrets, hit.secrets);
  Scan(net::PercentDecode(req.target, true), "request-target", secrets, hit.secrets);
  Scan(req.body, "body", secrets, hit.secrets);
  Scan(net::PercentDecode(req.body, true), "body", secrets, hit.secrets);
  // A secret visible only percent-encoded would survive a replacement in the raw text: when the
  // decoded text holds one, record the decoded text, redacted.
  auto seen_in = [&](std::string_view where) {
    return std::any_of(hit.secrets.begin(), hit.secrets.end(),
                       [&](const SecretSighting& s) { return s.where == where; });
  };
  hit.target = ReplaceAll(
      seen_in("request-target") ? net::PercentDecode(req.target, false) : req.target, secrets);
  std::string body =
      ReplaceAll(seen_in("body") ? net::PercentDecode(req.body, true) : req.body, secrets);
  hit.body = Capped(std::move(body));
  return hit;
}

void CaptureResponse(const Stage& stage, Hit& hit, const net::HttpResponse& res) {
  const std::vector<Secret> secrets = SecretsOf(stage);
  hit.status = res.status;
  for (const auto& [name, value] : res.headers) {
    hit.response_headers.emplace_back(name, ReplaceAll(value, secrets));
  }
  hit.response_body = Capped(ReplaceAll(res.body, secrets));
}

std::string Redact(const Stage& stage, std::string_view text) {
  return ReplaceAll(std::string(text), SecretsOf(stage));
}

void Recording::Add(Hit hit) {
  std::lock_guard<std::mutex> lock(mu_);
  hits_.push_back(std::move(hit));
}

std::vector<Hit> Recording::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

}  // namespace regauth::server::scenarios
