// scenario.h — one hostile scenario: how the stage misbehaves, what a safe client does (with the
// source that says so), and how the recording is judged; and the catalogue of all of them.
//
// A scenario names the client operation it exercises ("login" or "pull"). Its verdict comes from
// checks (the same model as every other case, reports/results-schema.md "Verdicts"): a failed
// MUST check is FAIL (a credential left for an origin it was not meant for, or a secret sent in
// clear), a failed INFO check is INFORMATIONAL (behaviour the spec leaves open, recorded), all
// passed is PASS. Every scenario gets the two leak checks of judge.h; its own `judge` adds the
// rest.
//
// Usage:
//   const Scenario* s = FindScenario("containerdrip-blob-redirect");
//   auto stage = HostileStage::Start(*s, options);      // hostile_stage.h
//   ... run a client against (*stage)->registry_url() ...
//   Judgement j = (*stage)->Judge(client_result);
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"
#include "reference_server/scenarios/recording.h"
#include "reference_server/scenarios/stage.h"

namespace regauth::server::scenarios {

// ClientResult is what the driver knows about the client run (all unknown under `serve`).
struct ClientResult {
  bool known = false;  // false: no client outcome (regauth serve --scenario)
  int exit_code = -1;
  int term_signal = 0;
  bool timed_out = false;
  int64_t duration_ms = 0;

  bool Succeeded() const { return known && !timed_out && term_signal == 0 && exit_code == 0; }
};

// Check is one judged assertion ("MUST" or "INFO").
struct Check {
  std::string id;
  std::string severity = "MUST";
  bool passed = true;
  std::string expected;
  std::string observed;
  std::string message;
};

// Observation is what a judge reads.
struct Observation {
  const Stage* stage = nullptr;
  std::vector<Hit> hits;
  ClientResult client;

  // HitsAt returns the hits received by `role`.
  std::vector<const Hit*> HitsAt(Role role) const;
  // Carried: some hit at `role` carried a secret of `kind`.
  bool Carried(Role role, SecretKind kind) const;
};

// LeakRule says where the stage's secrets may legitimately go in a scenario. By default the
// password may go to the registry's announced realm origin (and to the registry origin itself,
// which a Basic challenge asks for), realm tokens only to the registry origin; nothing at all to
// the other origins.
struct LeakRule {
  std::vector<Role> password_to = {Role::kRealm, Role::kRegistry};
  std::vector<Role> token_to = {Role::kRegistry};
  // password_needs_tls: the password must not travel over plain http to these roles (the
  // registry is https, so the user never agreed to clear text).
  std::vector<Role> password_needs_tls;
};

// StageSetup: the TLS of the registry and realm origins, and the realm the registry announces
// (built from the other origins' URLs once they are bound).
struct StageSetup {
  bool registry_tls = false;
  bool realm_tls = false;
  std::function<std::string(const Stage&)> announced_realm;  // empty: realm origin + "/token"
  // prepare runs once before the servers answer (e.g. writes a file the realm points at).
  std::function<void(Stage&)> prepare;
};

using Handler = std::function<net::HttpResponse(Stage&, Role, const net::HttpRequest&)>;
using Judge = std::function<void(const Observation&, std::vector<Check>&)>;

struct Scenario {
  std::string name;       // "containerdrip-blob-redirect"
  std::string title;      // one line
  std::string operation;  // "login" or "pull"
  std::string safe;       // what a safe client does
  std::string source;     // RFC clause, token spec section, CVE and its fix
  StageSetup setup;
  LeakRule leaks;
  Handler handle;  // empty: Stage::Default
  Judge judge;     // scenario-specific checks (may be empty)
  // slow: the scenario holds an answer for a while (its run is longer than others).
  bool slow = false;
};

// AllScenarios is the catalogue, in a stable order (catalog.cc).
const std::vector<Scenario>& AllScenarios();
// FindScenario returns the scenario called `name`, or nullptr.
const Scenario* FindScenario(std::string_view name);

// Verdict is "PASS", "FAIL" or "INFORMATIONAL" from checks (worst of).
std::string VerdictOf(const std::vector<Check>& checks);

}  // namespace regauth::server::scenarios
