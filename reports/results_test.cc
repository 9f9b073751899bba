#include "reports/results.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "protocol/test_support.h"
#include "reports/report_test_support.h"

namespace regauth::reports {
namespace {

using nlohmann::json;

// The sample covers every verdict, layer and member the renderers read.
TEST(ValidateResults, AcceptsTheSampleDocument) {
  const ReportStatus s = ValidateResults(test_support::LoadSample());
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().Describe());
}

// Optional members may be absent or null (results-schema.md: "absent dimensions are omitted or
// null"); unknown members are allowed so the schema can grow.
TEST(ValidateResults, AcceptsMinimalCaseAndUnknownMembers) {
  json doc = test_support::LoadSample();
  json c = {{"id", "x/y/z"},           {"title", ""},
            {"family", "x/y"},         {"layer", "flow"},
            {"verdict", "PASS"},       {"expected_verdict", "PASS"},
            {"unexpected", false},     {"duration_ms", 0},
            {"checks", json::array()}, {"exchanges", json::array()},
            {"future_member", {1, 2}}, {"baseline", nullptr}};
  doc["cases"] = json::array({c});
  doc["new_top_level"] = "ok";
  const ReportStatus s = ValidateResults(doc);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().Describe());
}

struct BadCase {
  const char* label;
  std::string pointer;        // member to change
  std::optional<json> value;  // new value; nullopt removes the member
  ReportError want_code;
  std::string want_where;
};
REGAUTH_PRINT_LABEL(BadCase)

const BadCase kBadCases[] = {
    {"schema missing", "/schema", std::nullopt, ReportError::kMissingMember, "/schema"},
    {"schema not string", "/schema", json(1), ReportError::kWrongType, "/schema"},
    {"schema other version", "/schema", json("regauth-results/2"), ReportError::kUnsupportedSchema,
     "/schema"},
    {"suite version null", "/suite/version", json(nullptr), ReportError::kWrongType,
     "/suite/version"},
    {"run missing", "/run", std::nullopt, ReportError::kMissingMember, "/run"},
    {"started_at number", "/run/started_at", json(17), ReportError::kWrongType, "/run/started_at"},
    {"run duration negative", "/run/duration_ms", json(-5), ReportError::kBadValue,
     "/run/duration_ms"},
    {"argv element number", "/run/argv/1", json(2), ReportError::kWrongType, "/run/argv/1"},
    {"target kind missing", "/target/kind", std::nullopt, ReportError::kMissingMember,
     "/target/kind"},
    {"profile array", "/profile", json::array(), ReportError::kWrongType, "/profile"},
    {"summary exit_code float", "/summary/exit_code", json(1.5), ReportError::kWrongType,
     "/summary/exit_code"},
    {"cases object", "/cases", json::object(), ReportError::kWrongType, "/cases"},
    {"case not object", "/cases/2", json("case"), ReportError::kWrongType, "/cases/2"},
    {"id empty", "/cases/0/id", json(""), ReportError::kBadValue, "/cases/0/id"},
    {"family missing", "/cases/0/family", std::nullopt, ReportError::kMissingMember,
     "/cases/0/family"},
    {"unknown layer", "/cases/0/layer", json("network"), ReportError::kBadValue, "/cases/0/layer"},
    {"unknown verdict", "/cases/3/verdict", json("MAYBE"), ReportError::kBadValue,
     "/cases/3/verdict"},
    {"lower-case verdict", "/cases/3/expected_verdict", json("pass"), ReportError::kBadValue,
     "/cases/3/expected_verdict"},
    {"unexpected missing", "/cases/1/unexpected", std::nullopt, ReportError::kMissingMember,
     "/cases/1/unexpected"},
    {"unexpected string", "/cases/1/unexpected", json("no"), ReportError::kWrongType,
     "/cases/1/unexpected"},
    {"duration negative", "/cases/4/duration_ms", json(-1), ReportError::kBadValue,
     "/cases/4/duration_ms"},
    {"tag number", "/cases/0/tags/0", json(7), ReportError::kWrongType, "/cases/0/tags/0"},
    {"dimension number", "/cases/0/dimensions/role", json(3), ReportError::kWrongType,
     "/cases/0/dimensions/role"},
    {"dimension key escaped", "/cases/0/dimensions/a~1b~0c", json(true), ReportError::kWrongType,
     "/cases/0/dimensions/a~1b~0c"},
    {"baseline without reason", "/cases/0/baseline", json({{"stale", true}}),
     ReportError::kMissingMember, "/cases/0/baseline/reason"},
    {"baseline stale string", "/cases/6/baseline/stale", json("yes"), ReportError::kWrongType,
     "/cases/6/baseline/stale"},
    {"skip_reason number", "/cases/13/skip_reason", json(1), ReportError::kWrongType,
     "/cases/13/skip_reason"},
    {"checks missing", "/cases/0/checks", std::nullopt, ReportError::kMissingMember,
     "/cases/0/checks"},
    {"check severity", "/cases/0/checks/1/severity", json("MAY"), ReportError::kBadValue,
     "/cases/0/checks/1/severity"},
    {"check result", "/cases/0/checks/0/result", json("ok"), ReportError::kBadValue,
     "/cases/0/checks/0/result"},
    {"check observed object", "/cases/0/checks/0/observed", json::object(), ReportError::kWrongType,
     "/cases/0/checks/0/observed"},
    {"exchanges missing", "/cases/0/exchanges", std::nullopt, ReportError::kMissingMember,
     "/cases/0/exchanges"},
    {"request missing", "/cases/0/exchanges/0/request", std::nullopt, ReportError::kMissingMember,
     "/cases/0/exchanges/0/request"},
    {"url missing", "/cases/0/exchanges/0/request/url", std::nullopt, ReportError::kMissingMember,
     "/cases/0/exchanges/0/request/url"},
    {"header not a pair", "/cases/0/exchanges/0/request/headers/0", json::array({"a"}),
     ReportError::kWrongType, "/cases/0/exchanges/0/request/headers/0"},
    {"header value number", "/cases/0/exchanges/0/response/headers/0", json::array({"a", 1}),
     ReportError::kWrongType, "/cases/0/exchanges/0/response/headers/0"},
    {"status string", "/cases/0/exchanges/0/response/status", json("200"), ReportError::kWrongType,
     "/cases/0/exchanges/0/response/status"},
    {"response body number", "/cases/0/exchanges/0/response/body", json(0), ReportError::kWrongType,
     "/cases/0/exchanges/0/response/body"},
    {"duplicate id", "/cases/1/id",
     json("gitlab/personal_access_token/read_registry/"
          "private-enabled/reporter/pull"),
     ReportError::kDuplicateCaseId, "/cases/1/id"},
};

class ValidateResultsBadTest : public testing::TestWithParam<BadCase> {};

TEST_P(ValidateResultsBadTest, NamesTheMemberAndTheCode) {
  const BadCase& c = GetParam();
  json doc = test_support::LoadSample();
  const json::json_pointer ptr(c.pointer);
  if (c.value) {
    doc[ptr] = *c.value;
  } else {
    doc[ptr.parent_pointer()].erase(ptr.back());
  }
  const ReportStatus s = ValidateResults(doc);
  ASSERT_FALSE(s.has_value()) << c.label;
  EXPECT_EQ(CodeName(s.error().code), CodeName(c.want_code)) << s.error().Describe();
  EXPECT_EQ(s.error().where, c.want_where) << s.error().Describe();
  EXPECT_FALSE(s.error().detail.empty());
}

INSTANTIATE_TEST_SUITE_P(Table, ValidateResultsBadTest, testing::ValuesIn(kBadCases),
                         testing_support::LabelName());

// The root must be an object; the pointer of the root is "".
TEST(ValidateResults, RejectsNonObjectRoot) {
  const ReportStatus s = ValidateResults(json::array());
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ReportError::kWrongType);
  EXPECT_EQ(s.error().where, "");
  EXPECT_EQ(s.error().Describe(), "(document): expected an object, got array [wrong_type]");
}

// A rejected enumeration value is quoted sanitised and cut, never raw.
TEST(ValidateResults, QuotesRejectedValueSanitisedAndCut) {
  json doc = test_support::LoadSample();
  doc["cases"][0]["verdict"] = std::string("\x1b[2J") + std::string(100, 'A');
  const ReportStatus s = ValidateResults(doc);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().detail.find('\x1b'), std::string::npos) << s.error().detail;
  EXPECT_LT(s.error().detail.size(), 140u) << s.error().detail;
  EXPECT_EQ(s.error().Describe().rfind("/cases/0/verdict: expected one of PASS|FAIL|", 0), 0u);
}

struct ClassifyCaseRow {
  const char* label;
  json c;
  CaseOutcome want;
};
REGAUTH_PRINT_LABEL(ClassifyCaseRow)

json Case(const char* verdict, bool unexpected, json baseline = nullptr) {
  return {{"verdict", verdict}, {"unexpected", unexpected}, {"baseline", std::move(baseline)}};
}

// results-schema.md "Verdicts" and suite-anchors.md E.4 (stale entries fail CI).
const ClassifyCaseRow kClassifyRows[] = {
    {"pass", Case("PASS", false), CaseOutcome::kPassed},
    {"fail", Case("FAIL", true), CaseOutcome::kFailed},
    {"error", Case("ERROR", true), CaseOutcome::kErrored},
    {"skip", Case("SKIP", false), CaseOutcome::kSkipped},
    {"non-strict", Case("NON-STRICT", false), CaseOutcome::kPassedWithNotes},
    {"informational", Case("INFORMATIONAL", false), CaseOutcome::kPassedWithNotes},
    {"fail in baseline", Case("FAIL", false, {{"reason", "r"}, {"stale", false}}),
     CaseOutcome::kExpectedFailure},
    {"error in baseline", Case("ERROR", false, {{"reason", "r"}}), CaseOutcome::kExpectedFailure},
    {"stale baseline", Case("PASS", true, {{"reason", "r"}, {"stale", true}}),
     CaseOutcome::kStaleBaseline},
    {"fail without baseline but unexpected=false", Case("FAIL", false), CaseOutcome::kFailed},
    {"fail with baseline for another verdict", Case("FAIL", true, {{"reason", "r"}}),
     CaseOutcome::kFailed},
    {"non-strict where FAIL expected", Case("NON-STRICT", true, {{"reason", "r"}}),
     CaseOutcome::kUnexpected},
    {"unknown verdict", Case("MAYBE", false), CaseOutcome::kErrored},
    {"not an object", json(3), CaseOutcome::kErrored},
};

class ClassifyCaseTest : public testing::TestWithParam<ClassifyCaseRow> {};

TEST_P(ClassifyCaseTest, MapsVerdictAndBaselineToOutcome) {
  EXPECT_EQ(ClassifyCase(GetParam().c), GetParam().want) << GetParam().label;
}

INSTANTIATE_TEST_SUITE_P(Table, ClassifyCaseTest, testing::ValuesIn(kClassifyRows),
                         testing_support::LabelName());

// Counts come from the cases (the sample's numbers, checked by hand against generate_sample.py).
TEST(CountCases, CountsTheSample) {
  const CaseCounts counts = CountCases(test_support::LoadSample());
  EXPECT_EQ(counts.total, 32);
  EXPECT_EQ(counts.unexpected, 7);
  EXPECT_EQ(counts.stale, 1);
  EXPECT_EQ(counts.Of("PASS"), 17);
  EXPECT_EQ(counts.Of("FAIL"), 6);
  EXPECT_EQ(counts.Of("NON-STRICT"), 2);
  EXPECT_EQ(counts.Of("INFORMATIONAL"), 3);
  EXPECT_EQ(counts.Of("SKIP"), 2);
  EXPECT_EQ(counts.Of("ERROR"), 2);
  EXPECT_EQ(counts.Of("BOGUS"), 0);
}

TEST(CountCases, ToleratesMissingCases) {
  EXPECT_EQ(CountCases(json::object()).total, 0);
  EXPECT_EQ(CountCases(json("x")).total, 0);
}

TEST(Accessors, ReadMissingOrMistypedMembersAsEmpty) {
  const json o = {{"s", "v"}, {"n", 2}, {"b", true}};
  EXPECT_EQ(GetString(o, "s"), "v");
  EXPECT_EQ(GetString(o, "n"), "");
  EXPECT_EQ(GetNumber(o, "n"), 2.0);
  EXPECT_EQ(GetNumber(o, "s"), 0.0);
  EXPECT_TRUE(GetBool(o, "b"));
  EXPECT_FALSE(GetBool(o, "missing"));
  EXPECT_TRUE(GetMember(json::array(), "s").is_null());
}

}  // namespace
}  // namespace regauth::reports
