// scenario_host.h — what the client-conformance runner needs from the hostile registry, as an
// interface: harness/ never includes reference_server/, so the composition root (cli/) hands
// the runner a ScenarioLauncher implemented with reference_server/scenarios/ (as it hands
// `regauth run` its ReferenceLauncher).
//
// A StageInstance is one running scenario: the endpoints a client is pointed at, and, once the
// client is done, the judgement of what each origin received: the checks (the scenario's own and
// the leak checks) and every request as a redacted Exchange (the secret never, only what it
// was: "Basic user=regauth-client (the registry password)").
//
// Usage (harness/clients/grid.cc):
//   auto stage = launcher.start("containerdrip-blob-redirect", scratch_dir, slow_delay);
//   run the client against (*stage)->endpoints() ...
//   StageJudgement j = (*stage)->Finish(run);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/suite/case.h"
#include "protocol/result.h"

namespace regauth::harness::clients {

// ScenarioSummary describes one scenario of the catalogue.
struct ScenarioSummary {
  std::string name;
  std::string title;
  std::string operation;  // "login" or "pull"
  std::string safe;       // what a safe client does
  std::string source;     // where that comes from
  bool slow = false;      // holds an answer for the slow delay
};

// StageEndpoints is what a client is pointed at.
struct StageEndpoints {
  std::string registry_url;   // "http://127.0.0.1:P" or https
  std::string registry_host;  // "127.0.0.1:P"
  std::string repository;     // "acme/app"
  std::string tag;            // "latest"
  std::string username;
  std::string password;  // a throwaway secret of this stage; never reported
  std::string ca_file;   // PEM to trust, "" when no origin of the stage uses TLS
};

// ClientRun is how the client run ended.
struct ClientRun {
  bool known = true;
  int exit_code = -1;
  int term_signal = 0;
  bool timed_out = false;
  int64_t duration_ms = 0;
};

struct StageJudgement {
  std::vector<CheckResult> checks;
  std::vector<Exchange> exchanges;
};

class StageInstance {
 public:
  virtual ~StageInstance() = default;
  virtual const StageEndpoints& endpoints() const = 0;
  // Finish judges the recording with the client's outcome; the stage keeps answering until it
  // is destroyed.
  virtual StageJudgement Finish(const ClientRun& run) const = 0;
  // Redact replaces the stage's secrets (password, issued tokens) in `text`.
  virtual std::string Redact(std::string_view text) const = 0;
};

struct ScenarioLauncher {
  std::function<std::vector<ScenarioSummary>()> list;
  std::function<protocol::Expected<std::unique_ptr<StageInstance>, std::string>(
      const std::string& name, const std::string& scratch_dir,
      std::chrono::milliseconds slow_delay)>
      start;
};

}  // namespace regauth::harness::clients
