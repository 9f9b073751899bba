#include "cli/scenario_launcher.h"

#include "reference_server/scenarios/hostile_stage.h"

namespace regauth::cli {
namespace {

namespace hc = harness::clients;
namespace sc = server::scenarios;

harness::Exchange ToExchange(const sc::Hit& hit) {
  harness::Exchange x;
  const bool refused = hit.method.empty();
  x.step = std::string(sc::RoleName(hit.role)) + (refused ? " (refused)" : "");
  x.request.method = refused ? "?" : hit.method;
  x.request.url = hit.origin + hit.target;
  x.request.headers = hit.headers;
  x.request.body = hit.body;
  harness::RecordedResponse r;
  r.status = hit.status;
  r.headers = hit.response_headers;
  r.body = hit.response_body;
  x.response = std::move(r);
  x.duration_ms = hit.duration_ms;
  return x;
}

class Instance final : public hc::StageInstance {
 public:
  explicit Instance(std::unique_ptr<sc::HostileStage> stage) : stage_(std::move(stage)) {
    ep_.registry_url = stage_->registry_url();
    ep_.registry_host = stage_->registry_host();
    ep_.repository = std::string(sc::kRepository);
    ep_.tag = std::string(sc::kTag);
    ep_.username = stage_->username();
    ep_.password = stage_->password();
    ep_.ca_file = stage_->ca_file();
  }

  const hc::StageEndpoints& endpoints() const override { return ep_; }

  hc::StageJudgement Finish(const hc::ClientRun& run) const override {
    sc::ClientResult c;
    c.known = run.known;
    c.exit_code = run.exit_code;
    c.term_signal = run.term_signal;
    c.timed_out = run.timed_out;
    c.duration_ms = run.duration_ms;
    hc::StageJudgement j;
    for (const sc::Check& k : stage_->Judge(c)) {
      harness::CheckResult r;
      r.id = k.id;
      r.severity = k.severity == "INFO" ? harness::Severity::kInfo : harness::Severity::kMust;
      r.passed = k.passed;
      r.expected = k.expected;
      r.observed = k.observed;
      r.message = k.message;
      j.checks.push_back(std::move(r));
    }
    for (const sc::Hit& h : stage_->Hits()) j.exchanges.push_back(ToExchange(h));
    return j;
  }

  std::string Redact(std::string_view text) const override { return stage_->Redact(text); }

 private:
  std::unique_ptr<sc::HostileStage> stage_;
  hc::StageEndpoints ep_;
};

}  // namespace

hc::ScenarioLauncher MakeScenarioLauncher() {
  hc::ScenarioLauncher l;
  l.list = [] {
    std::vector<hc::ScenarioSummary> out;
    for (const sc::Scenario& s : sc::AllScenarios()) {
      out.push_back({s.name, s.title, s.operation, s.safe, s.source, s.slow});
    }
    return out;
  };
  l.start = [](const std::string& name, const std::string& scratch_dir,
               std::chrono::milliseconds slow_delay)
      -> protocol::Expected<std::unique_ptr<hc::StageInstance>, std::string> {
    const sc::Scenario* s = sc::FindScenario(name);
    if (s == nullptr) return protocol::Unexpected("unknown scenario " + name);
    sc::StageOptions o;
    o.scratch_dir = scratch_dir;
    o.slow_delay = slow_delay;
    auto stage = sc::HostileStage::Start(*s, o);
    if (!stage) return protocol::Unexpected(stage.error());
    return std::unique_ptr<hc::StageInstance>(new Instance(std::move(*stage)));
  };
  return l;
}

}  // namespace regauth::cli
