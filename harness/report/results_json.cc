#include "harness/report/results_json.h"

#include <ctime>

#include "harness/select/selection.h"
#include "harness/suite/case_loader.h"
#include "reports/evidence.h"
#include "reports/results.h"

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

// WrittenCase is case `e` as `evidence` writes it: whole (CaseJson) or as a summary case.
Json WrittenCase(const ExecutedCase& e, std::string_view evidence,
                 reports::EvidenceTables& tables) {
  if (KeepsEvidence(e, evidence)) return CaseJson(e);
  const CaseResult& r = e.result;
  Json list = Json::array();
  for (const auto& k : r.checks) list.push_back(Json::array({k.id, SeverityText(k.severity)}));
  return reports::SummaryCase(r.c->id, LayerText(r.c->layer), r.duration_ms, tables.CheckList(list),
                              tables.DimensionSet(DimensionsToJson(r.c->dims)));
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
    case Layer::kClient:
      return "client";
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
  if (!c.gitlab_sources.empty()) j["gitlab_source"] = GitLabSourcesJson(c.gitlab_sources);
  if (!c.gitlab_specs.empty()) j["gitlab_spec"] = GitLabSpecsJson(c.gitlab_specs);
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

bool KeepsEvidence(const ExecutedCase& e, std::string_view evidence) {
  const CaseResult& r = e.result;
  return evidence != reports::kEvidenceFailing || r.verdict != Verdict::kPass || r.unexpected ||
         r.stale_baseline;
}

Json BuildResults(const RunRecord& run, std::vector<ExecutedCase>&& cases) {
  static const std::vector<ExecutedCase> kNoCases;
  Json doc = BuildResults(run, kNoCases);
  reports::EvidenceTables tables;
  Json::array_t& list = doc["cases"].get_ref<Json::array_t&>();
  list.reserve(cases.size());
  for (auto& e : cases) {
    if (e.rendered.is_object()) {
      list.push_back(std::move(e.rendered));
    } else {
      list.push_back(WrittenCase(e, run.evidence, tables));
    }
    tables.InternCitations(list.back());
  }
  tables.WriteTo(doc);
  doc["summary"] = reports::SummaryOf(doc["cases"], run.exit_code);
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
  r["evidence"] = run.evidence;
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
  reports::EvidenceTables tables;
  Json list = Json::array();
  list.get_ref<Json::array_t&>().reserve(cases.size());
  for (const auto& e : cases) {
    list.push_back(e.rendered.is_object() ? e.rendered : WrittenCase(e, run.evidence, tables));
    tables.InternCitations(list.back());
  }
  doc["cases"] = std::move(list);
  tables.WriteTo(doc);
  doc["summary"] = reports::SummaryOf(doc["cases"], run.exit_code);
  return doc;
}

}  // namespace regauth::harness
