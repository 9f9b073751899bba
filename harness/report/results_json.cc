#include "harness/report/results_json.h"

#include <ctime>

#include "harness/select/selection.h"
#include "harness/suite/case_loader.h"

#ifndef REGAUTH_VERSION
#define REGAUTH_VERSION "0.0.0"
#endif
#ifndef REGAUTH_GIT_COMMIT
#define REGAUTH_GIT_COMMIT "unknown"
#endif

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

Json StringOrNull(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

Json Headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  Json out = Json::array();
  for (const auto& [k, v] : headers) out.push_back(Json::array({k, v}));
  return out;
}

Json VerdictCounts() {
  Json out = Json::object();
  for (Verdict v : {Verdict::kPass, Verdict::kFail, Verdict::kNonStrict, Verdict::kInformational,
                    Verdict::kSkip, Verdict::kError}) {
    out[std::string(VerdictText(v))] = 0;
  }
  return out;
}

}  // namespace

std::string_view VerdictText(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kInformational:
      return "INFORMATIONAL";
    case Verdict::kNonStrict:
      return "NON-STRICT";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kSkip:
      return "SKIP";
    case Verdict::kError:
      return "ERROR";
  }
  return "ERROR";
}

std::string_view LayerText(Layer layer) {
  switch (layer) {
    case Layer::kTokenEndpoint:
      return "token-endpoint";
    case Layer::kRegistry:
      return "registry";
    case Layer::kFlow:
      return "flow";
  }
  return "token-endpoint";
}

std::string_view SeverityText(Severity s) {
  switch (s) {
    case Severity::kMust:
      return "MUST";
    case Severity::kShould:
      return "SHOULD";
    case Severity::kInfo:
      return "INFO";
  }
  return "MUST";
}

std::string_view SuiteVersion() { return REGAUTH_VERSION; }
std::string_view GitCommit() { return REGAUTH_GIT_COMMIT; }

std::string Rfc3339Utc(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Json CaseJson(const ExecutedCase& e) {
  const CaseResult& r = e.result;
  const Case& c = *r.c;
  Json j;
  j["id"] = c.id;
  j["title"] = c.title;
  j["family"] = FamilyOf(c.id);
  j["layer"] = LayerText(c.layer);
  j["tags"] = c.tags;
  j["requirement"] = c.requirement;
  j["source"] = c.source;
  // The id in cases/requirements.json when the case names its requirement by reference.
  j["requirement_id"] = c.requirement_id.empty() ? Json(nullptr) : Json(c.requirement_id);
  if (!c.bound.empty()) {  // what the case's selectors bound in this world (suite/bind.h)
    Json bound = Json::object();
    for (const auto& [name, entity] : c.bound) bound[name] = entity;
    j["bound"] = std::move(bound);
  }
  Json dims = DimensionsToJson(c.dims);
  j["dimensions"] = dims.is_object() ? dims : Json::object();
  j["verdict"] = VerdictText(r.verdict);
  j["expected_verdict"] = VerdictText(r.expected_verdict);
  j["unexpected"] = r.unexpected;
  if (r.baseline) {
    j["baseline"] = {{"reason", r.baseline->reason}, {"stale", r.stale_baseline}};
  } else {
    j["baseline"] = nullptr;
  }
  j["skip_reason"] = StringOrNull(r.skip_reason);
  j["error"] = StringOrNull(r.error);
  j["duration_ms"] = r.duration_ms;
  Json checks = Json::array();
  for (const auto& k : r.checks) {
    Json check = {{"id", k.id},
                  {"severity", SeverityText(k.severity)},
                  {"result", k.passed ? "pass" : "fail"},
                  {"expected", k.expected},
                  {"observed", k.observed}};
    // A passed MUST/SHOULD check's message is the rule's fixed text, the same in every case; it
    // is kept where it explains something (failures, INFO observations) to keep a 10,000-case
    // document proportional.
    if (!k.message.empty() && (!k.passed || k.severity == Severity::kInfo)) {
      check["message"] = k.message;
    }
    checks.push_back(std::move(check));
  }
  j["checks"] = std::move(checks);
  Json exchanges = Json::array();
  for (std::size_t i = 0; i < r.exchanges.size(); ++i) {
    const Exchange& x = r.exchanges[i];
    Json ex;
    ex["step"] = x.step;
    ex["request"] = {{"method", x.request.method},
                     {"url", x.request.url},
                     {"headers", Headers(x.request.headers)},
                     {"body", x.request.body}};
    if (x.response) {
      ex["response"] = {{"status", x.response->status},
                        {"headers", Headers(x.response->headers)},
                        {"body", x.response->body}};
    } else {
      ex["response"] = nullptr;
    }
    ex["duration_ms"] = x.duration_ms;
    ex["error"] = StringOrNull(x.error);
    if (i < e.credentials.size() && !e.credentials[i].empty()) {
      Json creds = Json::array();
      for (const auto& u : e.credentials[i]) {
        creds.push_back({{"id", u.id},
                         {"username", u.username},
                         {"mutation", u.mutation.empty() ? Json(nullptr) : Json(u.mutation)}});
      }
      ex["credentials"] = std::move(creds);
    }
    exchanges.push_back(std::move(ex));
  }
  j["exchanges"] = std::move(exchanges);
  if (!e.tools.empty()) {
    Json tools = Json::array();
    for (const auto& t : e.tools) {
      tools.push_back({{"tool", t.tool},
                       {"argv", t.argv},
                       {"stdin", t.stdin_text},
                       {"exit_code", t.exit_code},
                       {"timed_out", t.timed_out},
                       {"output", t.output},
                       {"duration_ms", t.duration_ms}});
    }
    j["tools"] = std::move(tools);
  }
  return j;
}

Json SummaryJson(const std::vector<ExecutedCase>& cases, int exit_code) {
  Json s;
  Json by_verdict = VerdictCounts();
  Json by_layer = Json::object();
  Json by_family = Json::object();
  Json executed_by_layer = Json::object();
  Json executed_by_family = Json::object();
  int unexpected = 0;
  int stale = 0;
  for (const auto& e : cases) {
    const CaseResult& r = e.result;
    const std::string verdict(VerdictText(r.verdict));
    const std::string layer(LayerText(r.c->layer));
    const std::string family = FamilyOf(r.c->id);
    by_verdict[verdict] = by_verdict[verdict].get<int>() + 1;
    if (!by_layer.contains(layer)) by_layer[layer] = VerdictCounts();
    if (!by_family.contains(family)) by_family[family] = VerdictCounts();
    by_layer[layer][verdict] = by_layer[layer][verdict].get<int>() + 1;
    by_family[family][verdict] = by_family[family][verdict].get<int>() + 1;
    if (r.verdict != Verdict::kSkip) {
      executed_by_layer[layer] = executed_by_layer.value(layer, 0) + 1;
      executed_by_family[family] = executed_by_family.value(family, 0) + 1;
    }
    if (r.unexpected) ++unexpected;
    if (r.stale_baseline) ++stale;
  }
  s["total"] = cases.size();
  s["by_verdict"] = std::move(by_verdict);
  s["by_layer"] = std::move(by_layer);
  s["by_family"] = std::move(by_family);
  s["executed_by_layer"] = std::move(executed_by_layer);
  s["executed_by_family"] = std::move(executed_by_family);
  s["unexpected"] = unexpected;
  s["stale_baseline"] = stale;
  s["exit_code"] = exit_code;
  return s;
}

Json BuildResults(const RunRecord& run, std::vector<ExecutedCase>&& cases) {
  static const std::vector<ExecutedCase> kNoCases;
  Json doc = BuildResults(run, kNoCases);
  doc["summary"] = SummaryJson(cases, run.exit_code);
  Json::array_t& list = doc["cases"].get_ref<Json::array_t&>();
  list.reserve(cases.size());
  for (auto& e : cases) {
    list.push_back(e.rendered.is_object() ? std::move(e.rendered) : CaseJson(e));
  }
  return doc;
}

Json BuildResults(const RunRecord& run, const std::vector<ExecutedCase>& cases) {
  Json doc;
  doc["schema"] = "regauth-results/1";
  doc["suite"] = {{"name", "regauth"}, {"version", SuiteVersion()}, {"git_commit", GitCommit()}};
  Json r;
  r["started_at"] = Rfc3339Utc(run.started_at_ms);
  r["finished_at"] = Rfc3339Utc(run.finished_at_ms);
  r["duration_ms"] = std::max<int64_t>(0, run.finished_at_ms - run.started_at_ms);
  r["argv"] = run.argv;
  r["jobs"] = run.jobs;
  r["selection"] = run.selection;
  if (run.error) r["error"] = *run.error;
  if (run.not_run > 0) r["not_run"] = run.not_run;
  if (!run.not_run_ids.empty()) r["not_run_ids"] = run.not_run_ids;
  doc["run"] = std::move(r);
  Json t;
  if (run.target != nullptr) {
    t["kind"] = run.target->kind.empty() ? run.target_kind : run.target->kind;
    t["registry_url"] = run.target->registry_url;
    t["realm"] = run.target->realm;
    t["service"] = run.target->service;
  } else {
    t["kind"] = run.target_kind;
  }
  t["fingerprint"] = run.fingerprint;
  doc["target"] = std::move(t);
  doc["profile"] = run.profile;
  doc["config"] = run.config;
  doc["summary"] = SummaryJson(cases, run.exit_code);
  Json list = Json::array();
  list.get_ref<Json::array_t&>().reserve(cases.size());
  for (const auto& e : cases) list.push_back(e.rendered.is_object() ? e.rendered : CaseJson(e));
  doc["cases"] = std::move(list);
  return doc;
}

}  // namespace regauth::harness
