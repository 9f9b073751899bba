// redirect_scenarios.cc — redirects to another origin: ContainerDrip (a blob redirected to an
// origin that challenges with its own realm), and Authorization carried across a redirect of
// the token request or of a blob download, to another host and to another port of the same
// host (RFC 6454: the port is part of the origin).
#include "net/http_types.h"
#include "reference_server/scenarios/catalog_parts.h"

namespace regauth::server::scenarios {
namespace {

bool IsBlob(const net::HttpRequest& req) {
  auto route = ParseRegistryRoute(req.path);
  return route && route->kind == "blobs";
}

std::string WithQuery(const net::HttpRequest& req) {
  return req.query.empty() ? req.path : req.path + "?" + req.query;
}

// ServeBlob answers a blob request of the stage's image with no authentication (a storage
// backend behind a pre-signed URL).
net::HttpResponse ServeBlob(const Stage& s, const net::HttpRequest& req) {
  auto route = ParseRegistryRoute(req.path);
  for (const auto& b : s.image().blobs) {
    if (route && b.digest == route->reference) {
      net::HttpResponse res;
      res.body = b.content;
      res.AddHeader("Content-Type", "application/octet-stream");
      return res;
    }
  }
  return net::HttpResponse::Text(404, "no such blob\n");
}

bool BlobRedirected(const Observation& o) {
  for (const Hit* h : o.HitsAt(Role::kRegistry)) {
    if (h->status == 307) return true;
  }
  return false;
}

Scenario TokenRedirect(Role to) {
  const bool host = to == Role::kOtherHost;
  Scenario s;
  s.name = host ? "redirect-token-other-host" : "redirect-token-other-port";
  s.title = std::string("the realm redirects the token request to ") +
            (host ? "another host (127.0.0.2)" : "another port of its own host");
  s.operation = "login";
  s.safe =
      "Does not send the Basic credentials (or a form password) to the redirect target: drops "
      "Authorization on a redirect to another origin, or refuses the redirect.";
  s.source = host ? "RFC 9110 §15.4 and §11.6.2; curl CVE-2018-1000007 (Authorization kept on "
                    "a redirect to another host)"
                  : "RFC 6454 §4 (the port is part of the origin); curl CVE-2022-27774 "
                    "(credentials kept on a redirect to another port)";
  s.handle = [to](Stage& st, Role role, const net::HttpRequest& req) {
    if (role == Role::kRealm && req.path == "/token") {
      return Redirect(st.Url(to) + WithQuery(req));
    }
    // The target plays the realm, so a client that forwards the password gets a token.
    if (role == to) return st.DefaultRealm(req);
    return st.Default(role, req);
  };
  s.judge = [](const Observation& o, std::vector<Check>& checks) {
    bool redirected = false;
    for (const Hit* h : o.HitsAt(Role::kRealm)) redirected = redirected || h->status == 307;
    Reached(checks, redirected, "the token request (answered by the redirect)");
  };
  return s;
}

Scenario BlobRedirect(Role to) {
  const bool host = to == Role::kOtherHost;
  Scenario s;
  s.name = host ? "redirect-blob-other-host" : "redirect-blob-other-port";
  s.title = std::string("a blob download redirects to storage on ") +
            (host ? "another host" : "another port of the registry's host");
  s.operation = "pull";
  s.safe =
      "Follows the redirect without the registry's Bearer token: the storage URL is signed "
      "and another origin must not see the token.";
  s.source =
      "OCI distribution-spec (blob GET may answer 307); RFC 9110 §15.4; curl CVE-2018-1000007 "
      "and CVE-2022-27774; Go net/http drops Authorization on a redirect to another host";
  s.handle = [to](Stage& st, Role role, const net::HttpRequest& req) {
    if (role == Role::kRegistry && IsBlob(req) && st.Authorized(req)) {
      return Redirect(st.Url(to) + req.path);
    }
    if (role == to && IsBlob(req)) return ServeBlob(st, req);
    return st.Default(role, req);
  };
  s.judge = [](const Observation& o, std::vector<Check>& checks) {
    Reached(checks, BlobRedirected(o), "a blob download (answered by the redirect)");
  };
  return s;
}

}  // namespace

std::vector<Scenario> RedirectScenarios() {
  std::vector<Scenario> out;
  {
    Scenario s;
    s.name = "containerdrip-blob-redirect";
    s.title =
        "a blob redirects to another host, which challenges with its own realm (ContainerDrip)";
    s.operation = "pull";
    s.safe =
        "Never sends the registry's credentials to a realm that another origin announced: it "
        "asks that realm anonymously (or gives up); the registry's token stays with the "
        "registry.";
    s.source =
        "containerd CVE-2020-15157 \"ContainerDrip\" (GHSA-742w-89gc-8m9c), fixed in "
        "containerd 1.2.14/1.3.9/1.4.1 by sending credentials only to the registry's host; "
        "RFC 9110 §11.6.2";
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRegistry && IsBlob(req) && st.Authorized(req)) {
        return Redirect(st.Url(Role::kOtherHost) + req.path);
      }
      if (role != Role::kOtherHost) return st.Default(role, req);
      if (req.path == "/token") {
        // An attacker's realm: a token for anyone, so it sees whatever the client sends.
        return net::HttpResponse::Json(200, TokenBody(st.IssueToken(Role::kOtherHost)));
      }
      auto auth = req.Header("authorization");
      if (auth && auth->starts_with("Bearer ")) {
        auto info = st.FindToken(auth->substr(7));
        if (info && info->issuer == Role::kOtherHost) return ServeBlob(st, req);
      }
      net::HttpResponse res = net::HttpResponse::Json(401, R"({"errors":[]})");
      res.AddHeader("WWW-Authenticate", "Bearer realm=\"" + st.Url(Role::kOtherHost) +
                                            "/token\",service=\"evil-storage\"");
      return res;
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      Reached(checks, BlobRedirected(o), "a blob download (answered by the redirect)");
    };
    out.push_back(std::move(s));
  }
  out.push_back(TokenRedirect(Role::kOtherHost));
  out.push_back(TokenRedirect(Role::kOtherPort));
  out.push_back(BlobRedirect(Role::kOtherHost));
  out.push_back(BlobRedirect(Role::kOtherPort));
  return out;
}

}  // namespace regauth::server::scenarios
