#include "protocol/rfc3339.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

struct ParseCase {
  const char* label;
  std::string input;
  // Expected outcome per mode: the unix seconds, or nullopt with the error code and offset.
  std::optional<int64_t> strict;
  TimeError strict_code = {};
  std::size_t strict_offset = 0;
  std::optional<int64_t> go;
  TimeError go_code = {};
};
REGAUTH_PRINT_LABEL(ParseCase)

constexpr int64_t kExample = 1257894000;  // 2009-11-10T23:00:00Z, token.md's issued_at example

const ParseCase kParseCases[] = {
    // RFC 3339 §5.6 date-time; both modes accept the canonical forms.
    {"token.md example", "2009-11-10T23:00:00Z", kExample, {}, 0, kExample},
    {"epoch", "1970-01-01T00:00:00Z", 0, {}, 0, 0},
    {"before epoch", "1969-12-31T23:59:59Z", -1, {}, 0, -1},
    {"leap day 2000", "2000-02-29T12:00:00Z", 951825600, {}, 0, 951825600},
    {"year 0001", "0001-01-01T00:00:00Z", -62135596800, {}, 0, -62135596800},
    {"year 0000", "0000-01-01T00:00:00Z", kMinRfc3339Unix, {}, 0, kMinRfc3339Unix},
    {"year 9999 end", "9999-12-31T23:59:59Z", kMaxRfc3339Unix, {}, 0, kMaxRfc3339Unix},
    {"fraction truncated", "2009-11-10T23:00:00.999999999Z", kExample, {}, 0, kExample},
    {"long fraction", "2009-11-10T23:00:00.1234567890123Z", kExample, {}, 0, kExample},
    {"offset +08:00", "2009-11-11T07:00:00+08:00", kExample, {}, 0, kExample},
    {"offset -05:30", "2009-11-10T17:30:00-05:30", kExample, {}, 0, kExample},
    {"offset -00:00", "2009-11-10T23:00:00-00:00", kExample, {}, 0, kExample},
    // §5.6 NOTE: "T" and "Z" may be lower case. Go's layout literals are upper case only.
    {"lower t", "2009-11-10t23:00:00Z", kExample, {}, 0, std::nullopt, TimeError::kCaseMismatch},
    {"lower z", "2009-11-10T23:00:00z", kExample, {}, 0, std::nullopt, TimeError::kCaseMismatch},
    // Go time.Parse(RFC3339) leniencies (go.dev/issue/54580): one-digit hour, ',' fraction,
    // offset hour 24 and minute 60.
    {"one-digit hour", "2009-11-10T1:00:00Z", std::nullopt, TimeError::kSyntax, 12,
     kExample - 22 * 3600},
    {"comma fraction", "2009-11-10T23:00:00,5Z", std::nullopt, TimeError::kSyntax, 19, kExample},
    {"offset hour 24", "2009-11-11T23:00:00+24:00", std::nullopt, TimeError::kOutOfRange, 20,
     kExample},
    {"offset minute 60", "2009-11-11T00:00:00+00:60", std::nullopt, TimeError::kOutOfRange, 23,
     kExample},
    // Rejected by both.
    {"empty", "", std::nullopt, TimeError::kSyntax, 0, std::nullopt, TimeError::kSyntax},
    {"date only", "2009-11-10", std::nullopt, TimeError::kSyntax, 10, std::nullopt,
     TimeError::kSyntax},
    {"space separator", "2009-11-10 23:00:00Z", std::nullopt, TimeError::kSyntax, 10, std::nullopt,
     TimeError::kSyntax},
    {"no offset", "2009-11-10T23:00:00", std::nullopt, TimeError::kSyntax, 19, std::nullopt,
     TimeError::kSyntax},
    {"offset without colon", "2009-11-10T23:00:00+0800", std::nullopt, TimeError::kSyntax, 22,
     std::nullopt, TimeError::kSyntax},
    {"short offset", "2009-11-10T23:00:00+08", std::nullopt, TimeError::kSyntax, 22, std::nullopt,
     TimeError::kSyntax},
    {"dot without digit", "2009-11-10T23:00:00.Z", std::nullopt, TimeError::kSyntax, 20,
     std::nullopt, TimeError::kSyntax},
    {"two-digit year", "09-11-10T23:00:00Z", std::nullopt, TimeError::kSyntax, 2, std::nullopt,
     TimeError::kSyntax},
    {"five-digit year", "12009-11-10T23:00:00Z", std::nullopt, TimeError::kSyntax, 4, std::nullopt,
     TimeError::kSyntax},
    {"one-digit month", "2009-1-10T23:00:00Z", std::nullopt, TimeError::kSyntax, 6, std::nullopt,
     TimeError::kSyntax},
    {"month 13", "2009-13-10T23:00:00Z", std::nullopt, TimeError::kOutOfRange, 5, std::nullopt,
     TimeError::kOutOfRange},
    {"month 00", "2009-00-10T23:00:00Z", std::nullopt, TimeError::kOutOfRange, 5, std::nullopt,
     TimeError::kOutOfRange},
    {"day 00", "2009-11-00T23:00:00Z", std::nullopt, TimeError::kInvalidDate, 8, std::nullopt,
     TimeError::kInvalidDate},
    {"nov 31", "2009-11-31T23:00:00Z", std::nullopt, TimeError::kInvalidDate, 8, std::nullopt,
     TimeError::kInvalidDate},
    {"feb 29 non-leap", "2023-02-29T00:00:00Z", std::nullopt, TimeError::kInvalidDate, 8,
     std::nullopt, TimeError::kInvalidDate},
    {"feb 29 1900", "1900-02-29T00:00:00Z", std::nullopt, TimeError::kInvalidDate, 8, std::nullopt,
     TimeError::kInvalidDate},
    {"hour 24", "2009-11-10T24:00:00Z", std::nullopt, TimeError::kOutOfRange, 11, std::nullopt,
     TimeError::kOutOfRange},
    {"minute 60", "2009-11-10T23:60:00Z", std::nullopt, TimeError::kOutOfRange, 14, std::nullopt,
     TimeError::kOutOfRange},
    // §5.7 allows 60 only at real leap seconds; not modelled (Go rejects it too).
    {"leap second", "2016-12-31T23:59:60Z", std::nullopt, TimeError::kLeapSecond, 17, std::nullopt,
     TimeError::kLeapSecond},
    {"second 61", "2016-12-31T23:59:61Z", std::nullopt, TimeError::kOutOfRange, 17, std::nullopt,
     TimeError::kOutOfRange},
    {"trailing data", "2009-11-10T23:00:00Zx", std::nullopt, TimeError::kTrailingData, 20,
     std::nullopt, TimeError::kTrailingData},
    {"trailing newline", "2009-11-10T23:00:00Z\n", std::nullopt, TimeError::kTrailingData, 20,
     std::nullopt, TimeError::kTrailingData},
    {"leading space", " 2009-11-10T23:00:00Z", std::nullopt, TimeError::kSyntax, 0, std::nullopt,
     TimeError::kSyntax},
    {"unix number", "1257894000", std::nullopt, TimeError::kSyntax, 4, std::nullopt,
     TimeError::kSyntax},
    {"too large", "2009-11-10T23:00:00." + std::string(60, '0') + "Z", std::nullopt,
     TimeError::kTooLarge, kMaxRfc3339Bytes, std::nullopt, TimeError::kTooLarge},
};

class Rfc3339ParseTest : public testing::TestWithParam<ParseCase> {};

TEST_P(Rfc3339ParseTest, StrictAndGoModesAcceptExactlyTheirGrammar) {
  const ParseCase& c = GetParam();
  auto strict = ParseRfc3339(c.input);
  if (c.strict) {
    ASSERT_TRUE(strict.has_value()) << CodeName(strict.error().code);
    EXPECT_EQ(*strict, *c.strict);
  } else {
    ASSERT_FALSE(strict.has_value());
    EXPECT_EQ(CodeName(strict.error().code), CodeName(c.strict_code));
    EXPECT_EQ(strict.error().offset, c.strict_offset);
  }
  auto go = ParseRfc3339(c.input, Rfc3339Mode::kGoTime);
  if (c.go) {
    ASSERT_TRUE(go.has_value()) << CodeName(go.error().code);
    EXPECT_EQ(*go, *c.go);
  } else {
    ASSERT_FALSE(go.has_value());
    EXPECT_EQ(CodeName(go.error().code), CodeName(c.go_code));
    EXPECT_LE(go.error().offset, c.input.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Table, Rfc3339ParseTest, testing::ValuesIn(kParseCases),
                         testing_support::LabelName());

// The detailed result keeps nanoseconds, the written offset and whether "Z" was used.
TEST(Rfc3339Time, KeepsNanosOffsetAndDesignator) {
  auto t = ParseRfc3339Time("2009-11-11T07:00:00.123456789+08:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->unix, kExample);
  EXPECT_EQ(t->nanos, 123456789);
  EXPECT_EQ(t->offset_seconds, 8 * 3600);
  EXPECT_FALSE(t->utc_designator);
  EXPECT_TRUE(t->has_fraction);

  auto z = ParseRfc3339Time("2009-11-10T23:00:00.5Z");
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ(z->nanos, 500000000);
  EXPECT_TRUE(z->utc_designator);
}

// A negative instant with a fraction floors toward the past: -0.5 s is second -1.
TEST(Rfc3339Time, FractionBeforeEpochFloors) {
  auto t = ParseRfc3339Time("1969-12-31T23:59:59.5Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->unix, -1);
  EXPECT_EQ(t->nanos, 500000000);
}

TEST(Rfc3339Format, FormatsUtcWithoutFraction) {
  EXPECT_EQ(FormatRfc3339Utc(kExample), "2009-11-10T23:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339Utc(951825600), "2000-02-29T12:00:00Z");
}

// Out-of-range instants are clamped to the 4-digit-year range instead of producing a non-RFC
// 3339 string.
TEST(Rfc3339Format, ClampsToFourDigitYears) {
  EXPECT_EQ(FormatRfc3339Utc(INT64_MAX), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339Utc(INT64_MIN), "0000-01-01T00:00:00Z");
}

// Formatting then parsing (both modes) gives back the instant, across eras and leap years.
TEST(Rfc3339Format, RoundTripsThroughBothParsers) {
  for (int64_t t = kMinRfc3339Unix; t < kMaxRfc3339Unix; t += 86400 * 97 + 3607) {
    const std::string s = FormatRfc3339Utc(t);
    auto strict = ParseRfc3339(s);
    auto go = ParseRfc3339(s, Rfc3339Mode::kGoTime);
    ASSERT_TRUE(strict.has_value()) << s;
    ASSERT_TRUE(go.has_value()) << s;
    EXPECT_EQ(*strict, t) << s;
    EXPECT_EQ(*go, t) << s;
  }
}

// Hinnant's algorithms are exact inverses over the whole 4-digit-year range, and agree with a
// day-by-day walk of the calendar.
TEST(CivilDays, InverseOfEachOtherAndMatchesCalendarWalk) {
  CivilDate walk{0, 1, 1};
  for (int64_t days = DaysFromCivil({0, 1, 1}); days <= DaysFromCivil({9999, 12, 31}); ++days) {
    ASSERT_EQ(CivilFromDays(days), walk) << days;
    ASSERT_EQ(DaysFromCivil(walk), days);
    if (++walk.day > DaysInMonth(walk.year, walk.month)) {
      walk.day = 1;
      if (++walk.month > 12) {
        walk.month = 1;
        ++walk.year;
      }
    }
  }
  EXPECT_EQ(DaysFromCivil({1970, 1, 1}), 0);
  EXPECT_EQ(DaysFromCivil({2027, 1, 31}), 20849);
  EXPECT_EQ(DaysFromCivil({1, 1, 1}), -719162);
}

TEST(CivilDays, LeapYearRules) {
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_TRUE(IsLeapYear(0));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_FALSE(IsLeapYear(2023));
  EXPECT_EQ(DaysInMonth(2024, 2), 29u);
  EXPECT_EQ(DaysInMonth(2023, 2), 28u);
  EXPECT_EQ(DaysInMonth(2023, 13), 0u);
}

struct FullDateCase {
  const char* label;
  std::string input;
  std::optional<CivilDate> want;
  TimeError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(FullDateCase)

// RFC 3339 §5.6 full-date, as used by world files' expires_at.
const FullDateCase kFullDateCases[] = {
    {"plain", "2027-01-31", CivilDate{2027, 1, 31}},
    {"leap day", "2024-02-29", CivilDate{2024, 2, 29}},
    {"not leap", "2023-02-29", std::nullopt, TimeError::kInvalidDate, 8},
    {"month 13", "2027-13-01", std::nullopt, TimeError::kOutOfRange, 5},
    {"with time", "2027-01-31T00:00:00Z", std::nullopt, TimeError::kTrailingData, 10},
    {"slashes", "2027/01/31", std::nullopt, TimeError::kSyntax, 4},
    {"short", "2027-1-31", std::nullopt, TimeError::kSyntax, 6},
};

class FullDateTest : public testing::TestWithParam<FullDateCase> {};

TEST_P(FullDateTest, ParsesOrFailsWithExactCode) {
  const FullDateCase& c = GetParam();
  auto got = ParseFullDate(c.input);
  if (c.want) {
    ASSERT_TRUE(got.has_value()) << CodeName(got.error().code);
    EXPECT_EQ(*got, *c.want);
    EXPECT_EQ(FormatFullDate(*got), c.input);
  } else {
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code));
    EXPECT_EQ(got.error().offset, c.want_offset);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, FullDateTest, testing::ValuesIn(kFullDateCases),
                         testing_support::LabelName());

}  // namespace
}  // namespace regauth::protocol
