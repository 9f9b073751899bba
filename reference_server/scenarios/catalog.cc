// catalog.cc — the scenario catalogue (scenario.h), the baseline scenarios that show a client
// works at all against the stage, and the helpers the families share (catalog_parts.h).
#include <algorithm>

#include "reference_server/scenarios/catalog_parts.h"

namespace regauth::server::scenarios {

int RealmIssued(const Observation& o, Role realm) {
  int n = 0;
  for (const Hit* h : o.HitsAt(realm)) {
    if (h->status == 200 && h->target.starts_with("/token")) ++n;
  }
  return n;
}

void ClaimsSuccess(const Observation& o, std::vector<Check>& checks, const std::string& why) {
  if (!o.client.known) return;
  if (o.client.Succeeded()) {
    Informational(checks, "login.claims-success",
                  "the client reports that it could not verify the credentials", "exit 0",
                  "the client reported success although " + why);
  } else {
    checks.push_back({"login.claims-success", "INFO", true,
                      "the client reports that it could not verify the credentials",
                      ClientOutcome(o.client), ""});
  }
}

void Reached(std::vector<Check>& checks, bool reached, const std::string& what) {
  if (reached) return;
  Informational(checks, "scenario.reached", what, "never happened",
                "the client stopped before " + what + ", so this scenario could not test it");
}

std::vector<Scenario> BaselineScenarios() {
  std::vector<Scenario> out;
  {
    Scenario s;
    s.name = "baseline-login";
    s.title = "a well-behaved registry and realm: the client logs in";
    s.operation = "login";
    s.safe =
        "Logs in: GET /v2/, a 401 Bearer challenge, the password to the announced realm, and "
        "no credential anywhere else.";
    s.source = "distribution docs/spec/auth/token.md (the token flow)";
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      if (!o.client.known) return;
      Require(checks, "client.succeeded", o.client.Succeeded(),
              "the client logs in to a well-behaved registry", ClientOutcome(o.client),
              "the client could not log in to a registry that follows the token spec: its "
              "description (or its installation) is wrong, and its other verdicts mean little");
    };
    out.push_back(std::move(s));
  }
  {
    Scenario s;
    s.name = "baseline-pull";
    s.title = "a well-behaved registry and realm: the client pulls acme/app:latest";
    s.operation = "pull";
    s.safe = "Pulls the image with a token from the announced realm; the password goes only there.";
    s.source = "distribution docs/spec/auth/token.md; OCI distribution-spec (pull)";
    s.judge = [](const Observation& o, std::vector<Check>& checks) {
      bool blob = false;
      for (const Hit* h : o.HitsAt(Role::kRegistry)) {
        blob = blob || (h->status == 200 && h->target.find("/blobs/") != std::string::npos);
      }
      if (!o.client.known) return;
      Require(checks, "client.succeeded", o.client.Succeeded() && blob,
              "the client pulls the manifest and its blobs from a well-behaved registry",
              ClientOutcome(o.client) + (blob ? "" : ", no blob downloaded"),
              "the client could not pull from a registry that follows the token spec: its "
              "description (or its installation) is wrong, and its other verdicts mean little");
    };
    out.push_back(std::move(s));
  }
  return out;
}

const std::vector<Scenario>& AllScenarios() {
  static const std::vector<Scenario> all = [] {
    std::vector<Scenario> v;
    for (auto family : {BaselineScenarios, RedirectScenarios, RealmScenarios, ChallengeScenarios,
                        TokenScenarios}) {
      for (Scenario& s : family()) v.push_back(std::move(s));
    }
    return v;
  }();
  return all;
}

const Scenario* FindScenario(std::string_view name) {
  for (const Scenario& s : AllScenarios()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace regauth::server::scenarios
