// challenge_scenarios.cc — what the registry's 401 says: nothing (a /v2/ that never asks), a
// Basic challenge on plain http, an insufficient_scope challenge naming scopes the client never
// asked for, several challenges in one header, and valid but unusual quoting.
#include <algorithm>

#include "net/http_types.h"
#include "reference_server/scenarios/catalog_parts.h"

namespace regauth::server::scenarios {
namespace {

net::HttpResponse Json401(std::string challenge) {
  net::HttpResponse res = net::HttpResponse::Json(401, R"({"errors":[{"code":"UNAUTHORIZED"}]})");
  res.AddHeader("WWW-Authenticate", std::move(challenge));
  res.AddHeader("Docker-Distribution-API-Version", "registry/2.0");
  return res;
}

net::HttpResponse Ok() {
  net::HttpResponse res = net::HttpResponse::Json(200, "{}");
  res.AddHeader("Docker-Distribution-API-Version", "registry/2.0");
  return res;
}

bool IsPing(const net::HttpRequest& req) { return req.path == "/v2/" || req.path == "/v2"; }

}  // namespace

std::vector<Scenario> ChallengeScenarios() {
  std::vector<Scenario> out;
  {
    Scenario s;
    s.name = "v2-open-without-credentials";
    s.title = "/v2/ answers 200 without asking for credentials";
    s.operation = "login";
    s.safe =
        "Does not report \"Login Succeeded\": nothing checked the password. It says the "
        "registry did not ask for credentials.";
    s.source = "moby/moby#50896 (docker login reports success against an open /v2/)";
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRegistry && IsPing(req)) return Ok();
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      ClaimsSuccess(o, checks, "the registry never asked for a credential");
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "basic-challenge-plain-http";
    s.title = "the registry asks for Basic credentials on plain http";
    s.operation = "login";
    s.safe =
        "Sends the password in clear only because the user allowed plain http for this "
        "registry (the client's insecure-registry setting); recorded as informational.";
    s.source = "RFC 7617 §4 (Basic over an unencrypted channel exposes the password)";
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRegistry && !st.BasicMatches(req)) {
        return Json401("Basic realm=\"hostile-registry\"");
      }
      if (role == Role::kRegistry) {
        if (IsPing(req)) return Ok();
        return st.Default(role, req);
      }
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      const bool clear = o.Carried(Role::kRegistry, SecretKind::kPassword);
      if (clear) {
        Informational(checks, "basic.clear-text", "no password in clear text",
                      "the password went over plain http to the registry",
                      "the client answered a Basic challenge over http (allowed by its "
                      "insecure-registry setting)");
      } else {
        checks.push_back({"basic.clear-text", "INFO", true, "no password in clear text",
                          "no password sent", ""});
      }
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "insufficient-scope-unrequested";
    s.title =
        "the registry answers the manifest with insufficient_scope naming push and other "
        "repositories";
    s.operation = "pull";
    s.safe =
        "Asks the realm only for what the pull needs (repository:acme/app:pull), whatever "
        "scopes a challenge names: a registry must not talk the client into requesting push, "
        "catalog or another repository's access.";
    s.source =
        "RFC 6750 §3.1 (insufficient_scope; scope names the scope needed); distribution "
        "token.md (scope of the request); least privilege";
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      auto route = ParseRegistryRoute(req.path);
      if (role == Role::kRegistry && route && route->kind == "manifests" && st.Authorized(req) &&
          st.Count("insufficient") == 1) {
        return Json401("Bearer realm=\"" + st.AnnouncedRealm() +
                       "\",service=\"hostile-registry\",scope=\"repository:acme/app:pull,push "
                       "repository:acme/secret:pull registry:catalog:*\","
                       "error=\"insufficient_scope\"");
      }
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      std::vector<std::string> extra;
      for (const Hit* h : o.HitsAt(Role::kRealm)) {
        for (const std::string& scope : RequestedScopes(*h)) {
          if (scope != "repository:acme/app:pull" &&
              std::find(extra.begin(), extra.end(), scope) == extra.end()) {
            extra.push_back(scope);
          }
        }
      }
      if (extra.empty()) {
        checks.push_back({"scope.requested", "INFO", true, "only repository:acme/app:pull",
                          "only repository:acme/app:pull (or none)", ""});
      } else {
        std::string list;
        for (const auto& e : extra) list += (list.empty() ? "" : " ") + e;
        Informational(checks, "scope.requested", "only repository:acme/app:pull", list,
                      "the client asked the realm for scopes the pull does not need, because "
                      "the registry's challenge named them");
      }
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "several-challenges-one-header";
    s.title = "one WWW-Authenticate holds a Basic and a Bearer challenge";
    s.operation = "login";
    s.safe =
        "Parses both challenges (RFC 9110 §11.6.1 allows several in one field) and uses the "
        "Bearer flow rather than sending the password to the registry with Basic.";
    s.source = "RFC 9110 §11.6.1 and §5.3; distribution token.md";
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRegistry && IsPing(req)) {
        if (st.Authorized(req) || st.BasicMatches(req)) return Ok();
        return Json401("Basic realm=\"hostile-registry\", " + st.BearerChallenge());
      }
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      const bool bearer = RealmIssued(o) > 0;
      const bool basic = o.Carried(Role::kRegistry, SecretKind::kPassword);
      const std::string observed = std::string(bearer ? "used the Bearer flow" : "no token") +
                                   (basic ? ", sent Basic credentials to the registry" : "") +
                                   ", " + ClientOutcome(o.client);
      if (bearer && !basic) {
        checks.push_back({"challenge.choice", "INFO", true, "the Bearer flow", observed, ""});
      } else {
        Informational(checks, "challenge.choice", "the Bearer flow", observed,
                      "the client did not pick the Bearer challenge out of the list");
      }
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "unusual-quoting";
    s.title =
        "a valid but unusual challenge: scheme in odd case, BWS around '=', quoted-pairs in "
        "the realm, an unquoted service";
    s.operation = "login";
    s.safe =
        "Parses the challenge as RFC 9110 defines it and asks the realm at /token for service "
        "hostile-registry.";
    s.source =
        "RFC 9110 §11.2 (auth-param = token BWS \"=\" BWS ( token / quoted-string )), "
        "§5.6.4 (quoted-pair), §11.1 (scheme is case-insensitive)";
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRegistry && IsPing(req) && !st.Authorized(req)) {
        // "/token" written as "\/to\ken": each quoted-pair stands for the octet after '\'.
        return Json401("bEARER Realm = \"" + st.Url(Role::kRealm) +
                       "\\/to\\ken\" , SERVICE=hostile-registry");
      }
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      bool right = false;
      std::string seen;
      for (const Hit* h : o.HitsAt(Role::kRealm)) {
        const bool service = h->target.find("service=hostile-registry") != std::string::npos ||
                             h->body.find("service=hostile-registry") != std::string::npos;
        right = right || (h->target.starts_with("/token") && service);
        if (seen.empty()) seen = h->method + " " + h->target.substr(0, 100);
      }
      if (right) {
        checks.push_back({"challenge.parsed", "INFO", true,
                          "a token request at /token for service hostile-registry", seen, ""});
      } else {
        Informational(checks, "challenge.parsed",
                      "a token request at /token for service hostile-registry",
                      seen.empty() ? "no token request, " + ClientOutcome(o.client) : seen,
                      "the client did not read the valid challenge as RFC 9110 defines it");
      }
    };
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace regauth::server::scenarios
