// `regauth serve --scenario NAME` — the hostile registry of one client-conformance scenario
// (reference_server/scenarios/), for pointing a client at by hand. Prints one JSON line with the
// stage (URLs of the four origins, the throwaway username and password, the image, the CA file)
// on stdout, runs until SIGINT or SIGTERM, then prints the recording (every request, secrets
// described, never shown) and the judgement without a client outcome, as one JSON document.
#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/server_commands.h"
#include "reference_server/scenarios/hostile_stage.h"

namespace regauth::cli {
namespace {

namespace sc = server::scenarios;
using Json = nlohmann::json;

Json HitJson(const sc::Hit& h) {
  Json headers = Json::array();
  for (const auto& [k, v] : h.headers) headers.push_back({k, v});
  Json secrets = Json::array();
  for (const auto& s : h.secrets) {
    secrets.push_back({{"secret", sc::SecretKindName(s.kind)}, {"where", s.where}});
  }
  return {{"origin", sc::RoleName(h.role)},
          {"url", h.origin + h.target},
          {"method", h.method},
          {"tls", h.tls},
          {"credential", h.credential},
          {"secrets", secrets},
          {"headers", headers},
          {"status", h.status},
          {"at_ms", h.at_ms}};
}

}  // namespace

std::string ScenarioNames() {
  std::string names;
  for (const sc::Scenario& s : sc::AllScenarios()) names += (names.empty() ? "" : ", ") + s.name;
  return names;
}

int ServeScenario(const std::string& name, const std::string& state_dir, int slow_delay_ms) {
  const sc::Scenario* scenario = sc::FindScenario(name);
  if (scenario == nullptr) {
    std::cerr << "regauth serve: unknown scenario '" << name << "'; scenarios: " << ScenarioNames()
              << "\n";
    return 2;
  }
  const std::string dir = state_dir + "/scenario-" + name;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "regauth serve: " << dir << ": " << ec.message() << "\n";
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sc::StageOptions o;
  o.scratch_dir = dir;
  o.slow_delay = std::chrono::milliseconds(slow_delay_ms);
  auto stage = sc::HostileStage::Start(*scenario, o);
  if (!stage) {
    std::cerr << "regauth serve: " << stage.error() << "\n";
    return 1;
  }
  const sc::HostileStage& s = **stage;
  Json describe = {{"scenario", scenario->name},
                   {"operation", scenario->operation},
                   {"safe", scenario->safe},
                   {"source", scenario->source},
                   {"registry_url", s.registry_url()},
                   {"realm_url", s.url(sc::Role::kRealm)},
                   {"other_host_url", s.url(sc::Role::kOtherHost)},
                   {"other_port_url", s.url(sc::Role::kOtherPort)},
                   {"image", s.registry_host() + "/" + std::string(sc::kRepository) + ":" +
                                 std::string(sc::kTag)},
                   {"username", s.username()},
                   {"password", s.password()},
                   {"ca_file", s.ca_file().empty() ? Json(nullptr) : Json(s.ca_file())}};
  std::cout << describe.dump() << std::endl;
  int received = 0;
  sigwait(&stop_signals, &received);
  (*stage)->Stop();
  Json hits = Json::array();
  for (const sc::Hit& h : s.Hits()) hits.push_back(HitJson(h));
  Json checks = Json::array();
  const auto judged = s.Judge(sc::ClientResult{});
  for (const sc::Check& c : judged) {
    checks.push_back({{"id", c.id},
                      {"severity", c.severity},
                      {"result", c.passed ? "pass" : "fail"},
                      {"expected", c.expected},
                      {"observed", c.observed},
                      {"message", c.message}});
  }
  std::cout << Json{{"verdict", sc::VerdictOf(judged)}, {"checks", checks}, {"requests", hits}}
                   .dump(-1, ' ', false, Json::error_handler_t::replace)
            << std::endl;
  return 0;
}

}  // namespace regauth::cli
