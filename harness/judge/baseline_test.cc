#include "harness/judge/baseline.h"

#include <gtest/gtest.h>

#include <string>

#include "harness/suite/case_loader.h"
#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

struct ParseErrorCase {
  const char* label;
  const char* doc;
  LoadErrorCode code;
  const char* pointer;
};
REGAUTH_PRINT_LABEL(ParseErrorCase)

class BaselineParseErrors : public ::testing::TestWithParam<ParseErrorCase> {};

// suite-anchors.md §E4: entries need a reason and an expected non-PASS verdict.
TEST_P(BaselineParseErrors, Rejects) {
  auto b = ParseBaseline(Json::parse(GetParam().doc), "b.json");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code, GetParam().code) << b.error().message;
  EXPECT_EQ(b.error().pointer, GetParam().pointer) << b.error().message;
}

const ParseErrorCase kParseErrors[] = {
    {"no entries", R"({})", LoadErrorCode::kMissingMember, "/entries"},
    {"no reason", R"({"entries": [{"id": "a/b", "expected": "FAIL"}]})",
     LoadErrorCode::kMissingMember, "/entries/0/reason"},
    {"empty reason", R"({"entries": [{"id": "a/b", "expected": "FAIL", "reason": ""}]})",
     LoadErrorCode::kBadValue, "/entries/0/reason"},
    {"blank reason", R"({"entries": [{"id": "a/b", "expected": "FAIL", "reason": "  "}]})",
     LoadErrorCode::kBadValue, "/entries/0/reason"},
    {"pass expected", R"({"entries": [{"id": "a/b", "expected": "PASS", "reason": "r"}]})",
     LoadErrorCode::kBadEnumValue, "/entries/0/expected"},
    {"bad verdict", R"({"entries": [{"id": "a/b", "expected": "BROKEN", "reason": "r"}]})",
     LoadErrorCode::kBadEnumValue, "/entries/0/expected"},
    {"id and pattern", R"({"entries": [{"id": "a/b", "pattern": "a/*", "expected": "FAIL",
      "reason": "r"}]})",
     LoadErrorCode::kBadValue, "/entries/0"},
    {"neither id nor pattern", R"({"entries": [{"expected": "FAIL", "reason": "r"}]})",
     LoadErrorCode::kBadValue, "/entries/0"},
    {"unknown member", R"({"entries": [{"id": "a/b", "expected": "FAIL", "reason": "r",
      "comment": "x"}]})",
     LoadErrorCode::kUnknownMember, "/entries/0/comment"},
    {"duplicate id", R"({"entries": [{"id": "a/b", "expected": "FAIL", "reason": "r"},
      {"id": "a/b", "expected": "ERROR", "reason": "r"}]})",
     LoadErrorCode::kDuplicate, "/entries/1"},
    {"per-check skip", R"({"entries": [{"id": "a/b", "check": "status", "expected": "SKIP",
      "reason": "r"}]})",
     LoadErrorCode::kBadValue, "/entries/0/expected"},
};

INSTANTIATE_TEST_SUITE_P(Table, BaselineParseErrors, ::testing::ValuesIn(kParseErrors),
                         testing_support::LabelName());

Case MakeCase(std::string id) {
  Case c;
  c.id = std::move(id);
  return c;
}

Baseline MustParse(const char* text) {
  auto b = ParseBaseline(Json::parse(text), "b.json");
  EXPECT_TRUE(b.has_value()) << (b ? "" : DescribeLoadError(b.error()));
  return std::move(*b);
}

// Against the suite: stale ids/patterns and whole-case + per-check conflicts are refused; an
// entry whose case exists but is not selected is fine (CheckBaseline sees every case).
TEST(BaselineCheck, StaleAndConflicts) {
  const std::vector<Case> suite = {MakeCase("gitlab/a/x"), MakeCase("gitlab/a/y"),
                                   MakeCase("token-spec/b/z")};
  EXPECT_FALSE(CheckBaseline(MustParse(R"({"entries": [
      {"id": "gitlab/a/x", "expected": "FAIL", "reason": "r"},
      {"pattern": "token-spec/*", "check": "claims.sub", "expected": "NON-STRICT", "reason": "r"}]})"),
                             suite)
                   .has_value());
  auto stale = CheckBaseline(
      MustParse(R"({"entries": [{"id": "gitlab/a/renamed", "expected": "FAIL", "reason": "r"}]})"),
      suite);
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(stale->code, LoadErrorCode::kStale);
  EXPECT_EQ(stale->pointer, "/entries/0");
  auto stale_pattern = CheckBaseline(
      MustParse(R"({"entries": [{"pattern": "registry/*", "expected": "FAIL", "reason": "r"}]})"),
      suite);
  ASSERT_TRUE(stale_pattern.has_value());
  EXPECT_EQ(stale_pattern->code, LoadErrorCode::kStale);
  auto conflict = CheckBaseline(MustParse(R"({"entries": [
      {"pattern": "gitlab/a/*", "expected": "FAIL", "reason": "r"},
      {"id": "gitlab/a/y", "check": "access", "expected": "FAIL", "reason": "r"}]})"),
                                suite);
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->code, LoadErrorCode::kConflict);
  EXPECT_EQ(conflict->pointer, "/entries/1");
}

// An exact id wins over a pattern.
TEST(BaselineLookup, ExactIdBeatsPattern) {
  Baseline b = MustParse(R"({"entries": [
      {"pattern": "gitlab/*", "expected": "FAIL", "reason": "pattern"},
      {"id": "gitlab/a/x", "expected": "ERROR", "reason": "exact"}]})");
  ASSERT_NE(b.WholeCaseEntry("gitlab/a/x"), nullptr);
  EXPECT_EQ(b.WholeCaseEntry("gitlab/a/x")->reason, "exact");
  EXPECT_EQ(b.WholeCaseEntry("gitlab/a/y")->reason, "pattern");
  EXPECT_EQ(b.WholeCaseEntry("token-spec/x"), nullptr);
}

CheckResult Check(const char* id, Severity s, bool passed) {
  CheckResult c;
  c.id = id;
  c.severity = s;
  c.passed = passed;
  return c;
}

struct ApplyCase {
  const char* label;
  const char* baseline;  // nullptr: no --baseline
  bool strict;
  Verdict verdict;
  std::vector<CheckResult> checks;
  Verdict want_expected;
  bool want_unexpected;
  bool want_stale;
};
REGAUTH_PRINT_LABEL(ApplyCase)

class BaselineApply : public ::testing::TestWithParam<ApplyCase> {};

// reports/results-schema.md "Verdicts" table and suite-anchors.md §E4.
TEST_P(BaselineApply, SetsExpectationFlags) {
  const auto& p = GetParam();
  Case c = MakeCase("gitlab/a/x");
  std::optional<Baseline> b;
  if (p.baseline != nullptr) b = MustParse(p.baseline);
  CaseResult r;
  r.c = &c;
  r.verdict = p.verdict;
  r.checks = p.checks;
  ApplyBaseline(b ? &*b : nullptr, p.strict, &r);
  EXPECT_EQ(r.expected_verdict, p.want_expected);
  EXPECT_EQ(r.unexpected, p.want_unexpected);
  EXPECT_EQ(r.stale_baseline, p.want_stale);
  EXPECT_EQ(r.baseline.has_value(), p.baseline != nullptr && p.want_expected != Verdict::kPass);
}

const char* kWholeFail =
    R"({"entries": [{"id": "gitlab/a/x", "expected": "FAIL", "reason": "known bug"}]})";
const char* kCheckFail =
    R"({"entries": [{"id": "gitlab/a/x", "check": "claims.sub", "expected": "FAIL",
        "reason": "known bug"}]})";
const char* kOther = R"({"entries": [{"id": "gitlab/other", "expected": "FAIL", "reason": "r"}]})";

using V = Verdict;
using Sv = Severity;

const ApplyCase kApply[] = {
    {"pass without baseline", nullptr, false, V::kPass, {}, V::kPass, false, false},
    {"fail without baseline", nullptr, false, V::kFail, {}, V::kPass, true, false},
    {"non-strict tolerated", nullptr, false, V::kNonStrict, {}, V::kPass, false, false},
    {"non-strict under strict", nullptr, true, V::kNonStrict, {}, V::kPass, true, false},
    {"informational tolerated", nullptr, false, V::kInformational, {}, V::kPass, false, false},
    {"skip tolerated", nullptr, false, V::kSkip, {}, V::kPass, false, false},
    {"error unexpected", nullptr, false, V::kError, {}, V::kPass, true, false},
    {"baseline for another case", kOther, false, V::kFail, {}, V::kPass, true, false},
    {"expected failure", kWholeFail, false, V::kFail, {}, V::kFail, false, false},
    {"expected failure became pass", kWholeFail, false, V::kPass, {}, V::kFail, true, true},
    {"expected failure became error", kWholeFail, false, V::kError, {}, V::kFail, true, false},
    {"per-check failure as expected",
     kCheckFail,
     false,
     V::kFail,
     {Check("claims.sub", Sv::kMust, false), Check("status", Sv::kMust, true)},
     V::kFail,
     false,
     false},
    {"per-check expected failure passed",
     kCheckFail,
     false,
     V::kPass,
     {Check("claims.sub", Sv::kMust, true)},
     V::kFail,
     true,
     true},
    {"per-check but another check fails",
     kCheckFail,
     false,
     V::kFail,
     {Check("claims.sub", Sv::kMust, false), Check("access", Sv::kMust, false)},
     V::kFail,
     true,
     false},
    {"per-check check did not run",
     kCheckFail,
     false,
     V::kPass,
     {Check("status", Sv::kMust, true)},
     V::kFail,
     true,
     true},
    {"per-check weaker failure",
     kCheckFail,
     false,
     V::kNonStrict,
     {Check("claims.sub", Sv::kShould, false)},
     V::kFail,
     true,
     false},
    {"per-check skipped case", kCheckFail, false, V::kSkip, {}, V::kFail, false, false},
};

INSTANTIATE_TEST_SUITE_P(Table, BaselineApply, ::testing::ValuesIn(kApply),
                         testing_support::LabelName());

// The shipped example baseline is valid against the shipped hand-written cases.
TEST(BaselineExample, ShippedExampleIsCurrent) {
  const std::string dir = std::string(REGAUTH_SOURCE_DIR) + "/cases/";
  auto b = LoadBaselineFile(dir + "baselines/example-gitlab-17.json");
  ASSERT_TRUE(b.has_value()) << DescribeLoadError(b.error());
  EXPECT_EQ(b->entries.size(), 3u);
  auto requirements = LoadRequirementsFile(dir + "requirements.json");
  ASSERT_TRUE(requirements.has_value()) << DescribeLoadError(requirements.error());
  auto cases = LoadCaseDir(dir + "cases", *requirements);
  ASSERT_TRUE(cases.has_value()) << DescribeLoadError(cases.error());
  auto problem = CheckBaseline(*b, *cases);
  EXPECT_FALSE(problem.has_value()) << (problem ? DescribeLoadError(*problem) : "");
}

// Check verdicts and the worst-of order PASS < INFORMATIONAL < NON-STRICT < FAIL.
TEST(BaselineVerdicts, WorstOfChecks) {
  EXPECT_EQ(WorstVerdict({}, false), Verdict::kPass);
  EXPECT_EQ(WorstVerdict({Check("a", Sv::kInfo, false)}, false), Verdict::kInformational);
  EXPECT_EQ(WorstVerdict({Check("a", Sv::kInfo, false), Check("b", Sv::kShould, false)}, false),
            Verdict::kNonStrict);
  EXPECT_EQ(WorstVerdict({Check("b", Sv::kShould, false)}, true), Verdict::kFail);
  EXPECT_EQ(WorstVerdict({Check("b", Sv::kShould, false), Check("c", Sv::kMust, false)}, false),
            Verdict::kFail);
  EXPECT_EQ(WorstVerdict({Check("c", Sv::kMust, true)}, false), Verdict::kPass);
}

}  // namespace
}  // namespace regauth::harness
