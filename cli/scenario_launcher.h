// scenario_launcher.h — the client-conformance runner's ScenarioLauncher
// (harness/clients/scenario_host.h) implemented with the hostile registry
// (reference_server/scenarios/). Like reference_launcher.h, this is the composition root's
// bridge: harness/ never includes reference_server/.
//
// Mapping: a scenario::Check becomes a CheckResult (severity MUST or INFO), each recorded Hit an
// Exchange whose step names the origin that received it ("registry", "realm", "other-host",
// "other-port"; "<origin> (refused)" for a request the HTTP adapter answered itself), with the
// request's absolute URL, its redacted headers (the Authorization value is the stage's
// description of the credential) and the answer.
//
// Usage (cli/main.cc):
//   AddClientsCommand(app, exit_code, MakeScenarioLauncher());
#pragma once

#include "harness/clients/scenario_host.h"

namespace regauth::cli {

harness::clients::ScenarioLauncher MakeScenarioLauncher();

}  // namespace regauth::cli
