// results.h — the results document (reports/results-schema.md, schema "regauth-results/1") as
// the report writers read it: the error type of reports/, ValidateResults, tolerant accessors and
// the one place that decides how a case counts in CI (ClassifyCase).
//
// The runner builds the document; reports/ only consumes it. ValidateResults checks every member
// that junit.cc and html.cc read, so a runner bug shows up as a precise message ("/cases/3/verdict:
// expected one of PASS|FAIL|NON-STRICT|INFORMATIONAL|SKIP|ERROR") instead of a wrong report. The
// renderers never throw and never crash on an unvalidated document either: the accessors below
// read a missing or mistyped member as empty.
//
// Usage:
//   if (ReportStatus s = ValidateResults(doc); !s) {
//     std::cerr << "results.json" << s.error().Describe() << "\n";   // "/cases/3/verdict: ..."
//     return 2;
//   }
//   for (const nlohmann::json& c : doc["cases"]) switch (ClassifyCase(c)) { ... }
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace regauth::reports {

// ReportError is the reason a reports/ function failed.
enum class ReportError {
  kMissingMember = 1,  // ValidateResults: a required member is absent
  kWrongType,          // ValidateResults: a member has the wrong JSON type
  kBadValue,           // ValidateResults: right type, value outside the allowed set or range
                       // (unknown verdict/layer/severity, negative duration, empty id)
  kUnsupportedSchema,  // ValidateResults: "schema" is a string other than "regauth-results/1"
  kDuplicateCaseId,    // ValidateResults: two cases share an id (JUnit would merge them)
  kBadRunName,         // PrepareRunDirectory: timestamp is not one safe path segment
  kRunExists,          // PrepareRunDirectory: base/<timestamp> already exists
  kIo,                 // a filesystem operation failed (detail names the call and errno text)
};

// CodeName returns the stable snake_case name of `code` ("missing_member", ...).
std::string_view CodeName(ReportError code);

// ReportFailure is the error value of reports/: unlike protocol::Error it owns its text, because
// the useful part is dynamic (a JSON pointer, a file path, strerror). `where` and `detail` never
// hold bytes recorded from a peer: validation messages name members, not their contents (a
// rejected enumeration value is quoted after SanitizeUtf8, cut to 40 bytes).
struct ReportFailure {
  ReportError code{};
  std::string where;   // JSON pointer ("/cases/3/verdict", "" for the root) or a file path
  std::string detail;  // what was expected, or which call failed and why

  // Describe returns "<where>: <detail> [<code name>]", for a log line or a CLI error.
  std::string Describe() const;
};

template <typename T>
using ReportResult = protocol::Expected<T, ReportFailure>;
using ReportStatus = protocol::Expected<void, ReportFailure>;

// kSchemaId is the only "schema" value this module reads.
inline constexpr std::string_view kSchemaId = "regauth-results/1";

// kVerdicts lists the verdicts in the order reports show them.
inline constexpr std::array<std::string_view, 6> kVerdicts = {"PASS",          "FAIL", "NON-STRICT",
                                                              "INFORMATIONAL", "SKIP", "ERROR"};
// kLayers lists the layers (results-schema.md "layer").
inline constexpr std::array<std::string_view, 4> kLayers = {"token-endpoint", "registry", "flow",
                                                            "client"};

// ValidateResults checks that `results` has the members and types that RenderJUnit and
// RenderHtml read (results-schema.md), and that case ids are unique. Members the renderers do not
// read are not checked; unknown members are allowed (the schema may grow). It does not check the
// arithmetic of "summary" against "cases": the renderers count the cases themselves.
// Errors: kMissingMember, kWrongType, kBadValue, kUnsupportedSchema, kDuplicateCaseId; `where` is
// the RFC 6901 JSON pointer of the offending member.
ReportStatus ValidateResults(const nlohmann::json& results);

// CaseOutcome is how one case counts for CI (JUnit), decided from verdict, "unexpected" and
// "baseline" as results-schema.md defines them.
enum class CaseOutcome {
  kPassed,           // PASS, as expected
  kPassedWithNotes,  // NON-STRICT or INFORMATIONAL, as expected: passes, notes kept
  kExpectedFailure,  // FAIL/ERROR listed in the baseline, not unexpected: passes, reason kept
  kFailed,           // FAIL not covered by the baseline
  kErrored,          // ERROR not covered by the baseline
  kSkipped,          // SKIP, as expected
  kStaleBaseline,    // baseline.stale: the baseline expected a failure that did not happen
  kUnexpected,       // any other verdict the document marks unexpected (e.g. NON-STRICT where
                     // the baseline expected FAIL): a failure of CI
};

// ClassifyCase maps one element of "cases" to its CaseOutcome. Precedence: a stale baseline entry
// first, then the verdict; FAIL/ERROR count as expected failures only when "unexpected" is false
// and a baseline entry exists (a FAIL without a baseline entry is always a failure, even if the
// document is inconsistent and says unexpected=false).
CaseOutcome ClassifyCase(const nlohmann::json& c);

// CaseCounts are the summary numbers that both renderers show, counted from "cases" (never
// copied from "summary", so a page cannot disagree with its own case list).
struct CaseCounts {
  int total = 0;
  int unexpected = 0;                              // cases with "unexpected": true
  int stale = 0;                                   // cases whose baseline entry is stale
  std::array<int, kVerdicts.size()> by_verdict{};  // indexed like kVerdicts

  int Of(std::string_view verdict) const;  // by_verdict of `verdict`, 0 when unknown
};

// CountCases counts the elements of results["cases"] (a missing array counts as empty).
CaseCounts CountCases(const nlohmann::json& results);

// SummaryOf counts `cases` (an array of case objects, full or summary) into the document's
// "summary" object: total, by_verdict (every verdict present), by_layer and by_family (verdict →
// count), executed_by_layer and executed_by_family (cases other than SKIP), unexpected,
// stale_baseline and `exit_code` (results-schema.md "summary"). The family of a case without
// "family" is FamilyOf its id.
nlohmann::json SummaryOf(const nlohmann::json& cases, int exit_code);

// FamilyOf returns the family of a case id: its first two '/'-separated segments
// (results-schema.md "Families"; the whole id when it has fewer).
std::string_view FamilyOf(std::string_view id);

// CaseFamily returns the case's "family", or FamilyOf its id when it has none (a summary case,
// evidence.h).
std::string_view CaseFamily(const nlohmann::json& c);

// RunError returns run.error, why the run stopped before every selected case ran (the sanity
// probe failed, the target banned the client IP), or "" for a run that completed. A stopped run
// is never "as expected": both renderers show the error first, and JUnit makes it a failing
// testcase; run.not_run_ids lists the selected cases that did not run.
std::string_view RunError(const nlohmann::json& results);

// Tolerant accessors used by the renderers: a missing member or one of another type reads as
// "", 0, false or null.
std::string_view GetString(const nlohmann::json& object, std::string_view key);
double GetNumber(const nlohmann::json& object, std::string_view key);
bool GetBool(const nlohmann::json& object, std::string_view key);
const nlohmann::json& GetMember(const nlohmann::json& object, std::string_view key);

}  // namespace regauth::reports
