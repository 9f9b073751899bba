// judge.h — the checks every scenario runs on its recording: where the stage's secrets went.
//
// A client FAILS a scenario when a secret reached an origin the scenario's LeakRule does not
// allow (ContainerDrip, containerd CVE-2020-15157: the registry's credentials sent to a realm
// another origin announced; curl CVE-2018-1000007 and CVE-2022-27774: Authorization carried
// across a redirect to another host or port), or when the password travelled in clear to an
// origin the user reached over https (RFC 7617 §4, RFC 6750 §5.3). Both are MUST checks.
//
// Usage:
//   std::vector<Check> checks = LeakChecks(observation, scenario.leaks);
//   if (scenario.judge) scenario.judge(observation, checks);
//   std::string verdict = VerdictOf(checks);          // scenario.h
#pragma once

#include <string>
#include <vector>

#include "reference_server/scenarios/scenario.h"

namespace regauth::server::scenarios {

// LeakChecks returns "secrets.password" and "secrets.token" (MUST): the password only at
// rule.password_to (and over TLS at rule.password_needs_tls), realm tokens and refresh tokens
// only at rule.token_to, refresh tokens only at the realm.
std::vector<Check> LeakChecks(const Observation& observation, const LeakRule& rule);

// Describe helpers for judges: "realm ×2, other-host ×1" (the roles that received a request),
// and the client's outcome ("exit 0 after 412 ms", "killed at the timeout", "not run").
std::string RolesSeen(const Observation& observation);
std::string ClientOutcome(const ClientResult& client);

// Informational adds an INFO check that records `observed` (failed = informational).
void Informational(std::vector<Check>& checks, std::string id, std::string expected,
                   std::string observed, std::string message);
// RequestedScopes returns the scopes a token request asked for: every `scope` query parameter
// (GET, token.md) and form field (POST, oauth.md), split at single spaces.
std::vector<std::string> RequestedScopes(const Hit& hit);
// Require adds a MUST check.
void Require(std::vector<Check>& checks, std::string id, bool passed, std::string expected,
             std::string observed, std::string message = {});

}  // namespace regauth::server::scenarios
