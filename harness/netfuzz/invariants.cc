#include "harness/netfuzz/invariants.h"

#include <array>
#include <set>

#include "harness/netfuzz/seeds.h"
#include "protocol/ascii.h"
#include "protocol/base64.h"
#include "protocol/challenge.h"
#include "protocol/credentials.h"
#include "protocol/error_body.h"
#include "protocol/token_response.h"

namespace regauth::harness::netfuzz {
namespace {

constexpr std::size_t kOversizedRequest = 64 * 1024;

bool IsJson(const net::ClientResponse& res) {
  const auto ct = res.Header("Content-Type");
  return ct && ct->find("json") != std::string_view::npos;
}

// Authorizations returns every Authorization value the request carried.
std::vector<std::string> Authorizations(const Rendered& wire) {
  std::vector<std::string> out;
  for (const auto& [name, value] : wire.http.headers) {
    if (protocol::EqualsIgnoreAsciiCase(name, "authorization")) out.push_back(value);
  }
  return out;
}

// CredentialsCarried returns the ids of the world credentials whose secret one of the
// Authorization values carries in a Basic payload, however damaged the framing around it.
std::set<std::string> CredentialsCarried(const std::vector<std::string>& values,
                                         const protocol::World& world) {
  std::set<std::string> ids;
  for (const std::string& v : values) {
    std::string_view rest = v;
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    const auto sep = rest.find_first_of(" \t");
    std::string_view payload = sep == std::string_view::npos ? rest : rest.substr(sep);
    while (!payload.empty() && (payload.front() == ' ' || payload.front() == '\t')) {
      payload.remove_prefix(1);
    }
    std::string text(payload);
    for (char& c : text) {
      if (c == '-') c = '+';
      if (c == '_') c = '/';
    }
    while (!text.empty() && (text.back() == '=' || text.back() == ' ')) text.pop_back();
    protocol::Base64Options o;
    o.padding = protocol::Base64Options::Padding::kOptional;
    o.allow_non_canonical = true;
    o.ignore_newlines = true;
    // Try the payload and the payload without its damaged prefix/suffix characters.
    std::vector<std::string> decoded;
    for (std::size_t cut = 0; cut < 4 && cut < text.size(); ++cut) {
      if (auto d = protocol::Base64Decode(text.substr(0, text.size() - cut), o)) {
        decoded.push_back(*d);
      }
    }
    decoded.push_back(text);
    for (const std::string& d : decoded) {
      for (const protocol::Credential& c : world.Credentials()) {
        if (!c.secret.empty() && d.find(c.secret) != std::string::npos) ids.insert(c.id);
      }
    }
  }
  return ids;
}

void CheckTokenAnswer(const FuzzRequest&, const Rendered& wire, const net::ClientResponse& res,
                      const InvariantContext& ic, std::vector<Violation>& out) {
  if (res.status == 200) {
    auto parsed = protocol::ParseTokenResponse(res.body, protocol::TokenResponseForm::kGet,
                                               protocol::TokenResponseOptions::GoClient());
    if (!parsed) {
      out.push_back({"error-body", "token endpoint 200 whose body is not a token response (" +
                                       std::string(CodeName(parsed.error().code)) + " at byte " +
                                       std::to_string(parsed.error().offset) + ")"});
      return;
    }
    const auto granted = GrantedAccess(parsed->EffectiveToken());
    if (granted.empty() || ic.world == nullptr || ic.baseline == nullptr) return;
    std::vector<protocol::ResourceScope> allowed;
    auto add = [&](const std::string& id) {
      if (auto it = ic.baseline->find(id); it != ic.baseline->end()) {
        allowed.insert(allowed.end(), it->second.begin(), it->second.end());
      }
    };
    add("");
    const std::set<std::string> carried = CredentialsCarried(Authorizations(wire), *ic.world);
    for (const std::string& id : carried) add(id);
    for (const protocol::ResourceScope& g : granted) {
      for (const std::string& action : g.actions) {
        if (!protocol::Covers(allowed, g.type, g.name, action)) {
          std::string who = carried.empty() ? "anonymous" : *carried.begin();
          out.push_back({"grant-widening", "granted " + g.type + ":" + g.name + ":" + action +
                                               ", which the baseline grant of " + who + " lacks"});
          return;
        }
      }
    }
    return;
  }
  if (res.status >= 400 && IsJson(res)) {
    if (auto e = protocol::ParseErrorBody(res.body); !e) {
      out.push_back({"error-body", "token endpoint " + std::to_string(res.status) +
                                       " with a JSON body that is not an error envelope (" +
                                       std::string(CodeName(e.error().code)) + ")"});
    }
  }
}

void CheckRegistryAnswer(const FuzzRequest& r, const Rendered& wire, const net::ClientResponse& res,
                         const InvariantContext& ic, std::vector<Violation>& out) {
  if (res.status >= 400 && IsJson(res) && r.method != "HEAD") {
    if (auto e = protocol::ParseErrorBody(res.body); !e) {
      out.push_back({"error-body", "registry " + std::to_string(res.status) +
                                       " with a JSON body that is not an error envelope (" +
                                       std::string(CodeName(e.error().code)) + ")"});
    }
  }
  if (res.status == 401) {
    const auto values = res.Headers("WWW-Authenticate");
    if (values.empty()) {
      out.push_back({"challenge", "401 without WWW-Authenticate"});
    } else {
      auto parsed = protocol::ParseChallengeHeaders(values);
      bool bearer = false;
      if (parsed) {
        for (const protocol::Challenge& c : *parsed) {
          if (protocol::ToBearerChallenge(c)) bearer = true;
        }
      }
      if (!parsed) {
        out.push_back({"challenge", "401 whose WWW-Authenticate does not parse (" +
                                        std::string(CodeName(parsed.error().code)) + " at byte " +
                                        std::to_string(parsed.error().offset) + ")"});
      } else if (!bearer) {
        out.push_back({"challenge", "401 without a Bearer challenge with a realm"});
      }
    }
  }
  if (res.status == 403) {
    bool auth_refusal = false;
    if (auto e = protocol::ParseErrorBody(res.body); e && !e->errors.empty()) {
      auth_refusal = e->errors[0].code == "UNAUTHORIZED";
    }
    for (std::string_view v : res.Headers("WWW-Authenticate")) {
      if (v.find("insufficient_scope") != std::string_view::npos) auth_refusal = true;
    }
    if (auth_refusal) {
      out.push_back({"challenge",
                     "an authorization refusal answered 403 instead of 401 with a "
                     "challenge (distribution errcode UNAUTHORIZED is 401)"});
    }
  }
  const bool accepted = RegistryAccepted(res.status, res.body);
  if (accepted && r.guard && res.status >= 200 && res.status < 300) {
    out.push_back({r.guard->invariant, std::to_string(res.status) + ": " + r.guard->why});
  }
  if (!accepted || r.route.empty()) return;
  // What token did the registry see? Distribution takes the first Authorization line.
  const auto values = Authorizations(wire);
  std::optional<std::string_view> token;
  if (!values.empty()) token = protocol::BearerTokenDistributionV28(values.front());
  if (!token) {
    out.push_back({"token-verifier", "the registry answered " + std::to_string(res.status) +
                                         " to a request without a usable bearer token"});
    return;
  }
  if (!ic.trust || !ic.profile) return;
  const int64_t now = ic.clock ? ic.clock() : 0;
  auto verified = protocol::VerifyToken(*token, *ic.trust, *ic.profile, now);
  if (!verified) {
    out.push_back({"token-verifier", "the registry answered " + std::to_string(res.status) +
                                         " with a token the reference verifier rejects (" +
                                         std::string(protocol::CodeName(verified.error().code)) +
                                         ")"});
    return;
  }
  std::vector<protocol::ResourceScope> granted;
  if (verified->claims.access) {
    for (const protocol::Access& a : *verified->claims.access) {
      granted.push_back({a.type, a.resource_class.value_or(""), a.name, a.actions});
    }
  }
  for (const auto& [type, name, action] : RequiredAccess(r.method, r.route, r.repo)) {
    if (!protocol::Covers(granted, type, name, action)) {
      out.push_back({"scope-overreach", r.method + " " + r.route + " answered " +
                                            std::to_string(res.status) +
                                            " although the token "
                                            "does not grant " +
                                            type + ":" + name + ":" + action});
      return;
    }
  }
}

std::size_t HeaderBytes(const Rendered& wire) {
  std::size_t n = wire.http.url.size();
  for (const auto& [k, v] : wire.http.headers) n += k.size() + v.size() + 4;
  return n;
}

}  // namespace

const std::vector<std::string>& InvariantNames() {
  static const std::vector<std::string> names = {
      "no-5xx",          "no-drop",       "grant-widening", "token-verifier",
      "scope-overreach", "challenge",     "error-body",     "repository-isolation",
      "tag-delete",      "catalog-bound", "liveness"};
  return names;
}

bool RegistryAccepted(int status, std::string_view body) {
  if (status >= 200 && status < 400) return true;
  if (status < 400 || status >= 500 || status == 401 || status == 403) return false;
  auto e = protocol::ParseErrorBody(body);
  if (!e || e->errors.empty()) return false;
  const std::string& code = e->errors[0].code;
  return code != "UNAUTHORIZED" && code != "DENIED" && code != "TOOMANYREQUESTS";
}

std::vector<std::array<std::string, 3>> RequiredAccess(std::string_view method,
                                                       std::string_view route,
                                                       std::string_view repo) {
  if (route == "base" || route.empty()) return {};
  if (route == "catalog") return {{"registry", "catalog", "*"}};
  const std::string name(repo);
  if (method == "GET" || method == "HEAD") return {{"repository", name, "pull"}};
  if (method == "POST" || method == "PUT" || method == "PATCH") {
    return {{"repository", name, "pull"}, {"repository", name, "push"}};
  }
  if (method == "DELETE") return {{"repository", name, "delete"}};
  return {};
}

std::vector<Violation> Check(const FuzzRequest& r, const Rendered& wire, const Outcome& outcome,
                             const InvariantContext& ic) {
  std::vector<Violation> out;
  if (r.family == Family::kRaw) {
    if (!outcome.raw) return out;
    if (outcome.raw->outcome == net::RawOutcome::kTimeout) {
      out.push_back({"no-drop", "raw request: neither an answer nor a close within the timeout"});
    } else if (outcome.raw->outcome == net::RawOutcome::kResponse && outcome.raw->status >= 500 &&
               outcome.raw->status != 501 && outcome.raw->status != 505) {
      // 501 (a transfer coding not implemented, RFC 9112 §6.1) and 505 (RFC 9110 §15.6.6) are
      // the answers the RFCs prescribe for some of the damaged requests.
      out.push_back({"no-5xx", "raw request answered " + std::to_string(outcome.raw->status)});
    }
    return out;
  }
  if (outcome.error) {
    const net::ClientErrorCode code = outcome.error->code;
    const bool target_caused = code == net::ClientErrorCode::kTimeout ||
                               code == net::ClientErrorCode::kNetwork ||
                               code == net::ClientErrorCode::kProtocol;
    const bool oversized = HeaderBytes(wire) + wire.http.body.size() > kOversizedRequest;
    if (target_caused && !(oversized && code != net::ClientErrorCode::kTimeout)) {
      out.push_back({"no-drop", std::string(net::CodeName(code)) + ": no answer (" +
                                    outcome.error->message + ")"});
    }
    return out;
  }
  if (!outcome.response) return out;
  const net::ClientResponse& res = *outcome.response;
  if (res.status >= 500) {
    out.push_back(
        {"no-5xx", std::string(FamilyName(r.family)) + " answered " + std::to_string(res.status)});
  }
  if (r.family == Family::kToken) {
    CheckTokenAnswer(r, wire, res, ic, out);
  } else {
    CheckRegistryAnswer(r, wire, res, ic, out);
  }
  return out;
}

}  // namespace regauth::harness::netfuzz
