// token_scenarios.cc — odd token responses: expires_in below 60 or absent, token ≠
// access_token, a 10 MB token, a slow realm, a refresh token, a 5xx.
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_types.h"
#include "reference_server/scenarios/catalog_parts.h"

namespace regauth::server::scenarios {
namespace {

// TokenAnswer answers a realm token request with `body(stage)` when the credentials match (GET
// Basic or an OAuth2 POST), else as DefaultRealm does.
using BodyFn = std::function<std::string(Stage&)>;
net::HttpResponse TokenAnswer(Stage& st, const net::HttpRequest& req, const BodyFn& body) {
  net::HttpResponse res = st.DefaultRealm(req);
  if (res.status != 200) return res;
  return net::HttpResponse::Json(200, body(st));
}

int TokenRequests(const Observation& o) {
  int n = 0;
  for (const Hit* h : o.HitsAt(Role::kRealm)) n += h->target.starts_with("/token");
  return n;
}

Scenario Lifetime(bool absent) {
  Scenario s;
  s.name = absent ? "token-expires-in-absent" : "token-expires-in-short";
  s.title = absent ? "the token response has no expires_in"
                   : "the token response says expires_in: 10 (below the 60 s floor)";
  s.operation = "pull";
  s.safe = absent ? "Assumes the default lifetime of 60 s and pulls."
                  : "Pulls; treats the lifetime as at least 60 s (token.md) or fetches a new "
                    "token when it runs out, without failing.";
  s.source =
      "distribution token.md (expires_in: optional, default 60; never less than 60 for "
      "older clients)";
  s.handle = [absent](Stage& st, Role role, const net::HttpRequest& req) {
    if (role == Role::kRealm && req.path == "/token") {
      return TokenAnswer(st, req, [absent](Stage& s2) {
        const std::string t = s2.IssueToken(Role::kRealm);
        nlohmann::json b = {{"token", t}, {"access_token", t}};
        if (!absent) b["expires_in"] = 10;
        return b.dump();
      });
    }
    return st.Default(role, req);
  };
  s.judge = [](const Observation& o, std::vector<Check>& checks) {
    const std::string observed =
        std::to_string(TokenRequests(o)) + " token request(s), " + ClientOutcome(o.client);
    if (!o.client.known || o.client.Succeeded()) {
      checks.push_back({"token.lifetime", "INFO", true, "the pull succeeds", observed, ""});
    } else {
      Informational(checks, "token.lifetime", "the pull succeeds", observed,
                    "the client failed on a token response token.md allows");
    }
  };
  return s;
}

}  // namespace

std::vector<Scenario> TokenScenarios() {
  std::vector<Scenario> out;
  out.push_back(Lifetime(false));
  out.push_back(Lifetime(true));
  {
    Scenario s;
    s.name = "token-differs-from-access-token";
    s.title = "the token response's token and access_token differ";
    s.operation = "pull";
    s.safe = "Uses one of them consistently (distribution's client prefers access_token).";
    s.source =
        "distribution token.md (\"if they differ, the client's choice is undefined\"); "
        "distribution registry/client/auth/session.go (access_token wins)";
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRealm && req.path == "/token") {
        return TokenAnswer(st, req, [](Stage& s2) {
          const std::string token = s2.IssueToken(Role::kRealm);
          const std::string access = s2.IssueToken(Role::kRealm);
          s2.NoteToken(token, "sent as token");
          s2.NoteToken(access, "sent as access_token");
          nlohmann::json b = {{"token", token}, {"access_token", access}, {"expires_in", 300}};
          return b.dump();
        });
      }
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      int token = 0, access = 0;
      for (const Hit* h : o.HitsAt(Role::kRegistry)) {
        token += h->credential.find("sent as token") != std::string::npos;
        access += h->credential.find("sent as access_token") != std::string::npos;
      }
      Informational(checks, "token.choice", "token.md leaves the choice open",
                    "requests with \"token\": " + std::to_string(token) +
                        ", with \"access_token\": " + std::to_string(access) + ", " +
                        ClientOutcome(o.client),
                    "recorded: which of the two the client sends");
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "token-10mb";
    s.title = "the realm answers with a 10 MB token";
    s.operation = "login";
    s.safe =
        "Bounds what it reads from a token endpoint and fails cleanly (or sends the token and "
        "handles the registry's 431): no crash, no hang.";
    s.source = "RFC 9110 §5.4 (field size limits); robustness: every parser needs limits";
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRealm && req.path == "/token") {
        return TokenAnswer(st, req, [](Stage& s2) {
          return TokenBody(s2.IssueToken(Role::kRealm, false, 10 * 1024 * 1024));
        });
      }
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      if (!o.client.known) return;
      const bool clean = !o.client.timed_out && o.client.term_signal == 0;
      if (clean) {
        checks.push_back({"client.terminated", "INFO", true, "the client ends on its own",
                          ClientOutcome(o.client), ""});
      } else {
        Informational(checks, "client.terminated", "the client ends on its own",
                      ClientOutcome(o.client), "the client hung or crashed on a 10 MB token");
      }
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "realm-slow";
    s.title = "the realm holds its answer (a bounded delay, README)";
    s.operation = "login";
    s.safe = "Applies its own timeout to the token request, or waits and logs in; never hangs.";
    s.source = "RFC 9110 §9.2.2 (clients choose their own timeouts); robustness";
    s.slow = true;
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRealm && req.path == "/token") {
        std::this_thread::sleep_for(st.slow_delay());
      }
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      Informational(
          checks, "realm.slow", "a timeout of the client's choosing",
          std::to_string(TokenRequests(o)) + " token request(s), " + ClientOutcome(o.client),
          "recorded: how the client treats a slow realm");
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "refresh-token";
    s.title = "the realm hands out a refresh token with every access token";
    s.operation = "pull";
    s.safe =
        "Keeps the refresh token for the realm: it goes back only to the realm that issued it "
        "(grant_type=refresh_token), never to the registry or another origin.";
    s.source = "distribution docs/spec/auth/oauth.md; RFC 6749 §10.4 (refresh tokens)";
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRealm && req.path == "/token") {
        return TokenAnswer(st, req, [](Stage& s2) {
          const std::string t = s2.IssueToken(Role::kRealm);
          nlohmann::json b = {{"token", t},
                              {"access_token", t},
                              {"refresh_token", s2.IssueToken(Role::kRealm, true)},
                              {"expires_in", 300}};
          return b.dump();
        });
      }
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      const bool used = o.Carried(Role::kRealm, SecretKind::kRefreshToken);
      Informational(checks, "refresh.used", "oauth.md leaves its use to the client",
                    std::string(used ? "sent the refresh token back to the realm"
                                     : "did not use the refresh token") +
                        ", " + ClientOutcome(o.client),
                    "recorded: what the client does with a refresh token");
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "realm-5xx";
    s.title = "the realm answers 503 to every token request";
    s.operation = "login";
    s.safe =
        "Reports a failed login after a bounded number of attempts; does not claim success and "
        "does not fall back to sending the password elsewhere.";
    s.source = "RFC 9110 §15.6.4 (503); distribution token.md";
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRealm) return net::HttpResponse::Text(503, "token service unavailable\n");
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      ClaimsSuccess(o, checks, "the realm never issued a token");
      const int n = TokenRequests(o);
      if (n > 5) {
        Informational(checks, "realm.retries", "at most 5 token requests",
                      std::to_string(n) + " token requests", "the client retried a failing realm");
      }
    };
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace regauth::server::scenarios
