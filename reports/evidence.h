// evidence.h — how much of a case results.json keeps (reports/results-schema.md "Evidence"):
// a pipeline needs the full evidence — every check's expected and observed values, every HTTP
// exchange and tool run — of the cases that are not PASS; for a PASS case, that it passed and
// which checks held. `regauth run --evidence failing` (the default) writes such a PASS case as a
// *summary case*: its id, layer, verdict and duration, the index of its list of checks (ids and
// severities, every one passed) in the document's "check_lists", and the index of its matrix
// dimensions in "dimension_sets". A whole-suite run keeps ~17,800 cases in about 6 MB instead
// of about 150 MB (bench/reports.sh). `--evidence all` writes every case whole.
//
// Readers call ExpandCase to see a summary case with the members of a full one (checks with
// result "pass", no exchanges, family from the id, PASS expected); IsSummaryCase tells them
// apart. EvidenceTables interns lists while a document is built or merged, so identical lists
// are stored once.
//
// Usage:
//   EvidenceTables tables;
//   for (...) cases.push_back(SummaryCase(id, layer, duration_ms,
//                                         tables.CheckList(list), tables.DimensionSet(dims)));
//   tables.InternCitations(whole_case);        // a whole case's GitLab citations
//   tables.WriteTo(doc);                       // "check_lists", "dimension_sets", "citation_lists"
//   nlohmann::json full = ExpandCase(doc, doc["cases"][i]);
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace regauth::reports {

// The values of run.evidence and of `regauth run --evidence`.
inline constexpr std::string_view kEvidenceFailing = "failing";  // summary cases for PASS
inline constexpr std::string_view kEvidenceAll = "all";          // every case whole

// IsSummaryCase: `c` is a summary case (it has "check_list" and no "checks").
bool IsSummaryCase(const nlohmann::json& c);

// ExpandCase returns `c` with its "gitlab_source"/"gitlab_spec" back from
// doc.citation_lists[gitlab_citations] (any case), and with the members of a full case when it is
// a summary case: "family"
// (FamilyOf the id), "expected_verdict" "PASS", "unexpected" false, "baseline"/"skip_reason"/
// "error" null, "checks" built from doc.check_lists[check_list] (result "pass", expected and
// observed ""), "dimensions" from doc.dimension_sets[dimension_set] ({} without one),
// "exchanges" []. A full case, and a summary case whose indices are out of range (a document
// ValidateResults rejects), are returned with what they have.
nlohmann::json ExpandCase(const nlohmann::json& doc, const nlohmann::json& c);

// EvidenceTables interns check lists and dimension sets; each distinct value gets the next index.
class EvidenceTables {
 public:
  // CheckList interns an array of [id, severity] pairs.
  int64_t CheckList(const nlohmann::json& list);
  // DimensionSet interns a dimensions object; an empty or non-object value has no index.
  std::optional<int64_t> DimensionSet(const nlohmann::json& dimensions);
  // InternCitations moves a whole case's "gitlab_source" and "gitlab_spec" (the GitLab code and
  // RSpec of the rules that decided it, the same for every case those rules decide) into
  // "citation_lists" and leaves "gitlab_citations": its index. A case without either is left as
  // it is.
  void InternCitations(nlohmann::json& c);
  // WriteTo sets doc["check_lists"], doc["dimension_sets"] and doc["citation_lists"] (each
  // omitted while empty).
  void WriteTo(nlohmann::json& doc) const;
  // Reintern rewrites case `c` of document `from` to this table's indices (merge).
  void Reintern(const nlohmann::json& from, nlohmann::json& c);

 private:
  std::map<std::string, int64_t> check_index_, dimension_index_, citation_index_;
  nlohmann::json check_lists_ = nlohmann::json::array();
  nlohmann::json dimension_sets_ = nlohmann::json::array();
  nlohmann::json citation_lists_ = nlohmann::json::array();
};

// SummaryCase builds a summary case (members in results-schema.md order).
nlohmann::json SummaryCase(std::string_view id, std::string_view layer, int64_t duration_ms,
                           int64_t check_list, std::optional<int64_t> dimension_set);

}  // namespace regauth::reports
