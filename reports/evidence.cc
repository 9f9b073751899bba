#include "reports/evidence.h"

#include "reports/results.h"

namespace regauth::reports {
namespace {

using nlohmann::json;

// Element returns doc[table][index] when `index` names one, else nullptr.
const json* Element(const json& doc, std::string_view table, const json& index) {
  const json& list = GetMember(doc, table);
  if (!list.is_array() || !index.is_number_integer()) return nullptr;
  const int64_t i = index.get<int64_t>();
  if (i < 0 || static_cast<std::size_t>(i) >= list.size()) return nullptr;
  return &list[static_cast<std::size_t>(i)];
}

int64_t Intern(std::map<std::string, int64_t>& index, json& table, const json& value) {
  const auto [it, inserted] = index.emplace(value.dump(), static_cast<int64_t>(table.size()));
  if (inserted) table.push_back(value);
  return it->second;
}

}  // namespace

bool IsSummaryCase(const nlohmann::json& c) {
  return c.is_object() && c.contains("check_list") && !c.contains("checks");
}

// kCitationMembers are what a citation list holds (results-schema.md "citation_lists").
constexpr const char* kCitationMembers[] = {"gitlab_source", "gitlab_spec"};

nlohmann::json ExpandCase(const nlohmann::json& doc, const nlohmann::json& c) {
  json out = c;
  if (c.is_object() && c.contains("gitlab_citations")) {
    out.erase("gitlab_citations");
    if (const json* list = Element(doc, "citation_lists", c["gitlab_citations"])) {
      for (const char* member : kCitationMembers) {
        if (list->is_object() && list->contains(member)) out[member] = (*list)[member];
      }
    }
  }
  if (!IsSummaryCase(c)) return out;
  out.erase("check_list");
  out.erase("dimension_set");
  out["family"] = std::string(FamilyOf(GetString(c, "id")));
  out["expected_verdict"] = "PASS";
  out["unexpected"] = false;
  out["baseline"] = nullptr;
  out["skip_reason"] = nullptr;
  out["error"] = nullptr;
  json checks = json::array();
  if (const json* list = Element(doc, "check_lists", GetMember(c, "check_list"))) {
    for (const json& pair : *list) {
      if (!pair.is_array() || pair.size() != 2) continue;
      checks.push_back({{"id", pair[0]},
                        {"severity", pair[1]},
                        {"result", "pass"},
                        {"expected", ""},
                        {"observed", ""}});
    }
  }
  out["checks"] = std::move(checks);
  const json* dims = Element(doc, "dimension_sets", GetMember(c, "dimension_set"));
  out["dimensions"] = dims != nullptr && dims->is_object() ? *dims : json::object();
  out["exchanges"] = json::array();
  return out;
}

int64_t EvidenceTables::CheckList(const nlohmann::json& list) {
  return Intern(check_index_, check_lists_, list);
}

std::optional<int64_t> EvidenceTables::DimensionSet(const nlohmann::json& dimensions) {
  if (!dimensions.is_object() || dimensions.empty()) return std::nullopt;
  return Intern(dimension_index_, dimension_sets_, dimensions);
}

void EvidenceTables::InternCitations(nlohmann::json& c) {
  if (!c.is_object()) return;
  json citations = json::object();
  for (const char* member : kCitationMembers) {
    auto it = c.find(member);
    if (it == c.end()) continue;
    citations[member] = std::move(*it);
    c.erase(member);
  }
  if (citations.empty()) return;
  c["gitlab_citations"] = Intern(citation_index_, citation_lists_, citations);
}

void EvidenceTables::WriteTo(nlohmann::json& doc) const {
  if (!check_lists_.empty()) doc["check_lists"] = check_lists_;
  if (!dimension_sets_.empty()) doc["dimension_sets"] = dimension_sets_;
  if (!citation_lists_.empty()) doc["citation_lists"] = citation_lists_;
}

void EvidenceTables::Reintern(const nlohmann::json& from, nlohmann::json& c) {
  if (c.is_object() && c.contains("gitlab_citations")) {
    if (const json* list = Element(from, "citation_lists", c["gitlab_citations"])) {
      c["gitlab_citations"] = Intern(citation_index_, citation_lists_, *list);
    } else {
      c.erase("gitlab_citations");
    }
  }
  if (!IsSummaryCase(c)) return;
  if (const json* list = Element(from, "check_lists", c["check_list"])) {
    c["check_list"] = CheckList(*list);
  }
  if (c.contains("dimension_set")) {
    const json* dims = Element(from, "dimension_sets", c["dimension_set"]);
    const std::optional<int64_t> index = dims != nullptr ? DimensionSet(*dims) : std::nullopt;
    if (index) {
      c["dimension_set"] = *index;
    } else {
      c.erase("dimension_set");
    }
  }
}

nlohmann::json SummaryCase(std::string_view id, std::string_view layer, int64_t duration_ms,
                           int64_t check_list, std::optional<int64_t> dimension_set) {
  json c;
  c["id"] = id;
  c["layer"] = layer;
  c["verdict"] = "PASS";
  c["duration_ms"] = duration_ms;
  c["check_list"] = check_list;
  if (dimension_set) c["dimension_set"] = *dimension_set;
  return c;
}

}  // namespace regauth::reports
