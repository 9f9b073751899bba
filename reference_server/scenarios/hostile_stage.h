// hostile_stage.h — a running scenario: the four origins of stage.h bound on loopback, each
// request recorded and answered by the scenario's handler, and the judgement of the recording.
//
// TLS: a scenario whose registry or realm is https gets a fresh CA and a leaf for localhost,
// 127.0.0.1 and 127.0.0.2 (protocol/keys.h), generated in memory per stage; the CA is written
// to `<scratch>/ca.crt.pem` for clients to trust (ca_file()).
//
// The stage binds 127.0.0.1 and 127.0.0.2 on ephemeral ports: nothing leaves loopback. Where
// 127.0.0.2 cannot be bound (a system without the whole 127/8 on lo), other-host falls back to
// 127.0.0.1 on its own port and other_host_is_distinct() says so.
//
// Usage:
//   StageOptions o;  o.scratch_dir = dir;
//   auto stage = HostileStage::Start(*FindScenario("realm-5xx"), o);
//   if (!stage) fail(stage.error());
//   run_client((*stage)->registry_url(), (*stage)->password());
//   std::vector<Check> checks = (*stage)->Judge(client_result);
//   std::vector<Hit> hits = (*stage)->Hits();     // redacted, for the report
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "protocol/result.h"
#include "reference_server/scenarios/scenario.h"

namespace regauth::server::scenarios {

struct StageOptions {
  // scratch_dir: an existing directory the stage may write (the CA, files a realm points at).
  std::string scratch_dir;
  // slow_delay: how long the slow-realm scenario holds its answer (bounded; README).
  std::chrono::milliseconds slow_delay{3000};
  // password: the client's password (empty: a random one).
  std::string password;
};

class HostileStage {
 public:
  // Start binds the four origins and returns the running stage, or why it could not.
  static protocol::Expected<std::unique_ptr<HostileStage>, std::string> Start(
      const Scenario& scenario, const StageOptions& options);
  ~HostileStage();
  HostileStage(const HostileStage&) = delete;
  HostileStage& operator=(const HostileStage&) = delete;

  const Scenario& scenario() const;
  std::string registry_url() const;   // "http://127.0.0.1:P1" (https for TLS scenarios)
  std::string registry_host() const;  // "127.0.0.1:P1"
  std::string url(Role role) const;
  std::string username() const;
  std::string password() const;  // a secret: never written to a report
  std::string ca_file() const;   // PEM of the stage's CA ("" when no origin uses TLS)
  bool other_host_is_distinct() const;

  // Hits returns the recording so far (redacted).
  std::vector<Hit> Hits() const;
  // Judge runs the leak checks and the scenario's own on the recording and `client`.
  std::vector<Check> Judge(const ClientResult& client) const;
  // Redact replaces the stage's secrets in `text` (client output).
  std::string Redact(std::string_view text) const;

  // Stop closes every origin (also done by the destructor).
  void Stop();

 private:
  struct Impl;
  explicit HostileStage(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace regauth::server::scenarios
