#include "reports/merge.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "protocol/json.h"
#include "reports/evidence.h"

namespace regauth::reports {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

protocol::Unexpected<ReportFailure> Failure(ReportError code, std::string where,
                                            std::string detail) {
  return protocol::Unexpected<ReportFailure>(
      ReportFailure{code, std::move(where), std::move(detail)});
}

// Shard returns run.selection.shard, "1/1" when absent.
std::string Shard(const json& doc) {
  const std::string_view s = GetString(GetMember(GetMember(doc, "run"), "selection"), "shard");
  return s.empty() ? "1/1" : std::string(s);
}

// CompleteSplit: the shards are exactly 1/n … n/n of one n, each once.
bool CompleteSplit(const std::vector<std::string>& shards) {
  std::set<std::string> seen(shards.begin(), shards.end());
  if (seen.size() != shards.size()) return false;
  const std::string n = std::to_string(shards.size());
  for (std::size_t i = 1; i <= shards.size(); ++i) {
    if (!seen.count(std::to_string(i) + "/" + n)) return false;
  }
  return true;
}

// WorstExitCode orders exit codes by severity: 3 (target unusable) > 2 (usage) > 1 > 0.
int WorstExitCode(int a, int b) {
  auto rank = [](int code) { return code == 3 ? 3 : code == 2 ? 2 : code == 1 ? 1 : 0; };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace

ReportResult<nlohmann::json> ReadResultsFile(const std::filesystem::path& path) {
  std::error_code ec;
  const fs::path file = fs::is_directory(path, ec) ? path / "results.json" : path;
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return Failure(ReportError::kIo, file.string(), std::string("open: ") + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return Failure(ReportError::kIo, file.string(), "cannot determine the size");
  if (static_cast<std::size_t>(size) > kMaxResultsFileBytes) {
    return Failure(ReportError::kBadValue, file.string(),
                   "larger than " + std::to_string(kMaxResultsFileBytes >> 20) + " MiB");
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(text.data(), size)) {
    return Failure(ReportError::kIo, file.string(), "read failed");
  }
  // The core's JSON parser (protocol/json.h): duplicate keys, depth and size are limited.
  protocol::JsonOptions o;
  o.limits.max_bytes = kMaxResultsFileBytes;
  o.limits.max_depth = 64;
  auto doc = protocol::ParseJson(text, o);
  if (!doc) {
    return Failure(ReportError::kBadValue, file.string(),
                   "not a JSON document (" + std::string(protocol::CodeName(doc.error().code)) +
                       " at byte " + std::to_string(doc.error().offset) + ")");
  }
  return std::move(*doc);
}

ReportResult<nlohmann::json> MergeResults(const std::vector<nlohmann::json>& inputs) {
  if (inputs.empty()) return Failure(ReportError::kBadValue, "", "no results to merge");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (ReportStatus valid = ValidateResults(inputs[i]); !valid) {
      ReportFailure f = valid.error();
      f.where = "input " + std::to_string(i + 1) + (f.where.empty() ? "" : " ") + f.where;
      return protocol::Unexpected<ReportFailure>(std::move(f));
    }
  }
  const json& first = inputs.front();
  const std::string_view profile = GetString(first, "profile");
  const std::string_view kind = GetString(GetMember(first, "target"), "kind");
  std::map<std::string, std::size_t> owner;  // case id → input index
  std::vector<std::string> shards;
  std::vector<std::pair<std::string, const json*>> cases;  // (id, case), then sorted
  std::vector<std::size_t> case_input;
  std::string started = std::string(GetString(GetMember(first, "run"), "started_at"));
  std::string finished = std::string(GetString(GetMember(first, "run"), "finished_at"));
  json errors = json::array();
  std::set<std::string> not_run_ids;
  int64_t not_run = 0, jobs = 0, listed = 0;
  int exit_code = 0;
  bool all_evidence = true;
  json merged_from = json::array();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const json& doc = inputs[i];
    const std::string where = "input " + std::to_string(i + 1);
    if (GetString(doc, "profile") != profile) {
      return Failure(ReportError::kBadValue, where + " /profile",
                     "profile differs from input 1's (" + std::string(profile) + ")");
    }
    if (GetString(GetMember(doc, "target"), "kind") != kind) {
      return Failure(ReportError::kBadValue, where + " /target/kind",
                     "target kind differs from input 1's (" + std::string(kind) + ")");
    }
    const json& run = GetMember(doc, "run");
    const std::string shard = Shard(doc);
    shards.push_back(shard);
    started = std::min(started, std::string(GetString(run, "started_at")));
    finished = std::max(finished, std::string(GetString(run, "finished_at")));
    if (const std::string_view e = RunError(doc); !e.empty()) {
      errors.push_back("shard " + shard + ": " + std::string(e));
    }
    not_run += static_cast<int64_t>(GetNumber(run, "not_run"));
    for (const json& id : GetMember(run, "not_run_ids")) {
      if (id.is_string()) not_run_ids.insert(id.get<std::string>());
    }
    jobs += static_cast<int64_t>(GetNumber(run, "jobs"));
    listed += static_cast<int64_t>(GetNumber(GetMember(run, "selection"), "listed"));
    exit_code = WorstExitCode(exit_code,
                              static_cast<int>(GetNumber(GetMember(doc, "summary"), "exit_code")));
    if (GetString(run, "evidence") != kEvidenceAll) all_evidence = false;
    const json& list = doc["cases"];
    merged_from.push_back({{"shard", shard}, {"cases", list.size()}});
    for (const json& c : list) {
      const std::string& id = c["id"].get_ref<const std::string&>();
      const auto [it, fresh] = owner.emplace(id, i);
      if (!fresh) {
        return Failure(ReportError::kDuplicateCaseId, where,
                       "case " + id + " is also in input " + std::to_string(it->second + 1) +
                           ": the shards overlap");
      }
      cases.emplace_back(id, &c);
      case_input.push_back(i);
    }
  }
  std::vector<std::size_t> order(cases.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return cases[a].first < cases[b].first; });

  json doc = first;
  doc.erase("check_lists");
  doc.erase("dimension_sets");
  doc.erase("citation_lists");
  EvidenceTables tables;
  json merged_cases = json::array();
  merged_cases.get_ref<json::array_t&>().reserve(order.size());
  for (const std::size_t k : order) {
    json c = *cases[k].second;
    tables.Reintern(inputs[case_input[k]], c);
    merged_cases.push_back(std::move(c));
  }
  json& run = doc["run"];
  run["started_at"] = started;
  run["finished_at"] = finished;
  run["jobs"] = jobs;
  // RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" strings order as times; the span needs their seconds.
  int64_t span_ms = 0;
  {
    auto seconds = [](const std::string& t) -> std::optional<int64_t> {
      std::tm tm{};
      if (t.size() != 20 || strptime(t.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr) {
        return std::nullopt;
      }
      return static_cast<int64_t>(timegm(&tm));
    };
    const auto a = seconds(started), b = seconds(finished);
    if (a && b && *b >= *a) span_ms = (*b - *a) * 1000;
  }
  int64_t longest = 0;
  for (const json& in : inputs) {
    longest =
        std::max(longest, static_cast<int64_t>(GetNumber(GetMember(in, "run"), "duration_ms")));
  }
  run["duration_ms"] = std::max(span_ms, longest);
  run["selection"]["listed"] = listed;
  if (CompleteSplit(shards)) {
    run["selection"]["shard"] = "1/1";
  } else {
    std::string joined;
    for (const std::string& s : shards) joined += (joined.empty() ? "" : ",") + s;
    run["selection"]["shard"] = joined;
  }
  run.erase("error");
  run.erase("not_run");
  run.erase("not_run_ids");
  if (!errors.empty()) {
    std::string text;
    for (const json& e : errors) text += (text.empty() ? "" : "; ") + e.get<std::string>();
    run["error"] = text;
  }
  if (not_run > 0) run["not_run"] = not_run;
  if (!not_run_ids.empty()) run["not_run_ids"] = json(not_run_ids);
  run["evidence"] = all_evidence ? kEvidenceAll : kEvidenceFailing;
  run["merged_from"] = std::move(merged_from);
  doc["cases"] = std::move(merged_cases);
  tables.WriteTo(doc);
  json summary = SummaryOf(doc["cases"], 0);
  int merged_code = WorstExitCode(
      exit_code,
      summary["unexpected"].get<int>() > 0 || summary["stale_baseline"].get<int>() > 0 ? 1 : 0);
  summary["exit_code"] = merged_code;
  doc["summary"] = std::move(summary);
  return doc;
}

}  // namespace regauth::reports
