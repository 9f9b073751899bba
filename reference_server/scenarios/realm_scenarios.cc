// realm_scenarios.cc — realms a registry should not be trusted with: plain http behind an https
// registry, a realm with userinfo that names another host, a non-HTTP scheme, a relative realm.
#include <fstream>

#include "net/http_types.h"
#include "reference_server/scenarios/catalog_parts.h"

namespace regauth::server::scenarios {
namespace {

std::string HostPort(const std::string& url) {
  const std::size_t at = url.find("://");
  return at == std::string::npos ? url : url.substr(at + 3);
}

}  // namespace

std::vector<Scenario> RealmScenarios() {
  std::vector<Scenario> out;
  {
    Scenario s;
    s.name = "https-registry-http-realm";
    s.title = "an https registry announces a plain-http realm";
    s.operation = "login";
    s.safe =
        "Refuses to send the password over plain http when the user reached the registry over "
        "https (or at least warns): the realm downgrade exposes it to anyone on the path.";
    s.source =
        "RFC 7617 §4 and RFC 6750 §5.3 (credentials need TLS); distribution token.md (realm "
        "is the token service's URL; the registry's TLS does not cover it)";
    s.setup.registry_tls = true;
    s.setup.realm_tls = false;
    s.leaks.password_needs_tls = {Role::kRealm, Role::kRegistry};
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      bool challenged = false;
      for (const Hit* h : o.HitsAt(Role::kRegistry)) challenged |= h->tls && h->status == 401;
      Reached(checks, challenged, "the https registry's challenge (a TLS request to /v2/)");
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "realm-with-userinfo";
    s.title = "the realm is http://<registry host:port>@127.0.0.2:P/token (userinfo)";
    s.operation = "login";
    s.safe =
        "Treats userinfo in the realm as an error and sends nothing; above all it never sends "
        "the password to the host after the '@', which only looks like the registry.";
    s.source =
        "RFC 9110 §4.2.4 (a recipient SHOULD treat userinfo in an http(s) URI from an "
        "untrusted source as an error); RFC 3986 §3.2.1 and §7.5";
    s.setup.announced_realm = [](const Stage& st) {
      return "http://" + HostPort(st.Url(Role::kRegistry)) + "@" +
             HostPort(st.Url(Role::kOtherHost)) + "/token";
    };
    s.leaks.password_to = {Role::kRegistry};
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kOtherHost) return st.DefaultRealm(req);
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      const auto hits = o.HitsAt(Role::kOtherHost);
      if (hits.empty()) {
        checks.push_back({"realm.userinfo", "INFO", true, "no request to a realm with userinfo",
                          "no request", ""});
      } else {
        Informational(checks, "realm.userinfo", "no request to a realm with userinfo",
                      std::to_string(hits.size()) + " request(s) to " + hits.front()->origin +
                          ", credential: " + hits.front()->credential,
                      "the client used a realm with userinfo instead of rejecting it");
      }
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "realm-file-scheme";
    s.title = "the realm is a file:// URL naming a token file on the client's machine";
    s.operation = "login";
    s.safe =
        "Accepts only http and https realms: a registry must not make the client read a local "
        "file (and send its content back as a token).";
    s.source =
        "distribution token.md and RFC 6750 §3 (realm: the URL of the token service); libcurl "
        "CURLOPT_PROTOCOLS_STR (restrict the schemes a URL from a peer may use)";
    s.setup.announced_realm = [](const Stage& st) {
      return "file://" + st.scratch_dir() + "/token.json";
    };
    s.setup.prepare = [](Stage& st) {
      // The file holds a token no realm issued: seeing it at the registry proves the read.
      std::ofstream(st.scratch_dir() + "/token.json") << TokenBody(st.IssueToken(Role::kOtherHost));
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      const bool read = o.Carried(Role::kRegistry, SecretKind::kForeignToken);
      Require(checks, "realm.scheme", !read, "no token read from the local file the registry named",
              read ? "the file's token came back to the registry" : "the file was not used",
              read ? "the client read a local file a registry pointed it at" : "");
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "realm-relative";
    s.title = "the realm is the relative reference \"/token\"";
    s.operation = "login";
    s.safe =
        "Either rejects the realm (token.md asks for an absolute URL) or resolves it against "
        "the registry's URL (RFC 3986 §5), so the password goes only to the registry's origin.";
    s.source = "distribution token.md (realm: an absolute URL); RFC 3986 §5.2";
    s.setup.announced_realm = [](const Stage&) { return std::string("/token"); };
    s.handle = [](Stage& st, Role role, const net::HttpRequest& req) {
      if (role == Role::kRegistry && req.path == "/token") return st.DefaultRealm(req);
      return st.Default(role, req);
    };
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      int asked = 0;
      for (const Hit* h : o.HitsAt(Role::kRegistry)) asked += h->target.starts_with("/token");
      Informational(checks, "realm.relative", "token.md leaves a relative realm undefined",
                    asked > 0 ? "resolved it against the registry URL (" + std::to_string(asked) +
                                    " token request(s)), " + ClientOutcome(o.client)
                              : "never requested it, " + ClientOutcome(o.client),
                    "recorded: what the client does with a relative realm");
    };
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace regauth::server::scenarios
