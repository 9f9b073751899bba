// catalog_parts.h — the scenario families the catalogue (catalog.cc) is assembled from, one file
// each, and the small judging helpers they share. Internal to reference_server/scenarios/.
#pragma once

#include <string>
#include <vector>

#include "reference_server/scenarios/judge.h"
#include "reference_server/scenarios/scenario.h"

namespace regauth::server::scenarios {

std::vector<Scenario> BaselineScenarios();   // catalog.cc: a well-behaved stage
std::vector<Scenario> RedirectScenarios();   // redirect_scenarios.cc
std::vector<Scenario> RealmScenarios();      // realm_scenarios.cc
std::vector<Scenario> ChallengeScenarios();  // challenge_scenarios.cc
std::vector<Scenario> TokenScenarios();      // token_scenarios.cc

// RealmIssued: how many tokens the realm origin handed out (200 answers at /token).
int RealmIssued(const Observation& o, Role realm = Role::kRealm);
// ClaimsSuccess adds the INFO check "login.claims-success": informational when the client
// reported success although `why` (moby/moby#50896).
void ClaimsSuccess(const Observation& o, std::vector<Check>& checks, const std::string& why);
// Reached adds the INFO check "scenario.reached" when the client never made the request the
// scenario is about (`what`), so a PASS is not mistaken for a safe client.
void Reached(std::vector<Check>& checks, bool reached, const std::string& what);

}  // namespace regauth::server::scenarios
