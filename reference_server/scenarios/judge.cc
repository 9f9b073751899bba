#include "reference_server/scenarios/judge.h"

#include <algorithm>
#include <map>

namespace regauth::server::scenarios {
namespace {

bool Allowed(const std::vector<Role>& roles, Role role) {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::string RoleList(const std::vector<Role>& roles) {
  if (roles.empty()) return "nowhere";
  std::string out;
  for (Role r : roles) {
    if (!out.empty()) out += ", ";
    out += RoleName(r);
  }
  return out;
}

std::string Where(const Hit& hit) {
  return std::string(RoleName(hit.role)) + " (" + hit.origin + ") " + hit.method + " " +
         hit.target.substr(0, 120);
}

}  // namespace

std::vector<const Hit*> Observation::HitsAt(Role role) const {
  std::vector<const Hit*> out;
  for (const Hit& h : hits) {
    if (h.role == role) out.push_back(&h);
  }
  return out;
}

bool Observation::Carried(Role role, SecretKind kind) const {
  return std::any_of(hits.begin(), hits.end(),
                     [&](const Hit& h) { return h.role == role && h.Carries(kind); });
}

std::vector<Check> LeakChecks(const Observation& o, const LeakRule& rule) {
  std::vector<std::string> password_leaks, token_leaks;
  for (const Hit& h : o.hits) {
    if (h.Carries(SecretKind::kPassword)) {
      if (!Allowed(rule.password_to, h.role)) {
        password_leaks.push_back("to " + Where(h));
      } else if (!h.tls && Allowed(rule.password_needs_tls, h.role)) {
        password_leaks.push_back("in clear (http) to " + Where(h));
      }
    }
    const bool token = h.Carries(SecretKind::kRealmToken);
    const bool refresh = h.Carries(SecretKind::kRefreshToken);
    if ((token && !Allowed(rule.token_to, h.role)) || (refresh && h.role != Role::kRealm)) {
      token_leaks.push_back(std::string(refresh ? "refresh token" : "token") + " to " + Where(h));
    }
  }
  std::vector<Check> checks;
  std::string expected = "the password only to: " + RoleList(rule.password_to);
  if (!rule.password_needs_tls.empty()) {
    expected += " (over https to " + RoleList(rule.password_needs_tls) + ")";
  }
  Require(checks, "secrets.password", password_leaks.empty(), expected,
          password_leaks.empty() ? "the password went nowhere else" : password_leaks.front(),
          password_leaks.empty()
              ? ""
              : "the registry password left for an origin it was not meant for (" +
                    std::to_string(password_leaks.size()) + " request(s))");
  Require(checks, "secrets.token", token_leaks.empty(),
          "the realm's tokens only to: " + RoleList(rule.token_to),
          token_leaks.empty() ? "the tokens went nowhere else" : token_leaks.front(),
          token_leaks.empty() ? ""
                              : "a token of the registry's realm left for another origin (" +
                                    std::to_string(token_leaks.size()) + " request(s))");
  return checks;
}

std::string RolesSeen(const Observation& o) {
  std::map<std::string, int> n;
  for (const Hit& h : o.hits) ++n[std::string(RoleName(h.role))];
  std::string out;
  for (Role r : kRoles) {
    auto it = n.find(std::string(RoleName(r)));
    if (it == n.end()) continue;
    if (!out.empty()) out += ", ";
    out += it->first + " \xC3\x97" + std::to_string(it->second);
  }
  return out.empty() ? "no request at all" : out;
}

std::string ClientOutcome(const ClientResult& c) {
  if (!c.known) return "client outcome unknown";
  if (c.timed_out) return "killed at the timeout after " + std::to_string(c.duration_ms) + " ms";
  if (c.term_signal != 0) return "ended by signal " + std::to_string(c.term_signal);
  return "exit " + std::to_string(c.exit_code) + " after " + std::to_string(c.duration_ms) + " ms";
}

std::vector<std::string> RequestedScopes(const Hit& hit) {
  std::vector<std::string> out;
  auto collect = [&](std::string_view params) {
    while (!params.empty()) {
      const std::size_t amp = params.find('&');
      std::string_view pair = params.substr(0, amp);
      params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
      if (!pair.starts_with("scope=")) continue;
      const std::string value = net::PercentDecode(pair.substr(6), true);
      std::size_t start = 0;
      while (start <= value.size()) {
        const std::size_t sp = value.find(' ', start);
        std::string piece = value.substr(start, sp == std::string::npos ? sp : sp - start);
        if (!piece.empty()) out.push_back(std::move(piece));
        if (sp == std::string::npos) break;
        start = sp + 1;
      }
    }
  };
  const std::size_t q = hit.target.find('?');
  if (q != std::string::npos) collect(std::string_view(hit.target).substr(q + 1));
  if (hit.method == "POST") collect(hit.body);
  return out;
}

void Informational(std::vector<Check>& checks, std::string id, std::string expected,
                   std::string observed, std::string message) {
  checks.push_back(
      {std::move(id), "INFO", false, std::move(expected), std::move(observed), std::move(message)});
}

void Require(std::vector<Check>& checks, std::string id, bool passed, std::string expected,
             std::string observed, std::string message) {
  checks.push_back({std::move(id), "MUST", passed, std::move(expected), std::move(observed),
                    std::move(message)});
}

std::string VerdictOf(const std::vector<Check>& checks) {
  bool info = false;
  for (const Check& c : checks) {
    if (c.passed) continue;
    if (c.severity == "MUST") return "FAIL";
    info = true;
  }
  return info ? "INFORMATIONAL" : "PASS";
}

}  // namespace regauth::server::scenarios
