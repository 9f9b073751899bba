// rfc3339.h — RFC 3339 §5.6 `date-time` and `full-date` parsing and UTC formatting, plus the
// civil-date arithmetic (Howard Hinnant's days_from_civil / civil_from_days) the world model
// uses for token expiry dates.
//
// Two parse modes:
//   - Rfc3339Mode::kStrict: the §5.6 ABNF exactly. "T" and "Z" may be lower case (§5.6 NOTE and
//     RFC 5234 §2.3: ABNF literals are case-insensitive). Offsets are ±hh:mm with hh 00–23 and
//     mm 00–59; "-00:00" is accepted.
//   - Rfc3339Mode::kGoTime: what Go's time.Time.UnmarshalJSON accepts (time.Parse with layout
//     time.RFC3339; Go ≥ 1.20 tries a strict fast path first, but its strict fallback checks are
//     disabled, go.dev/issue/54580). It differs from kStrict: the hour may be one digit ("T1:04"),
//     the fraction separator may be ',' (Go ≥ 1.17), the offset hour may be 24 and the offset
//     minute 60, and "t"/"z" must be upper case. The distribution client decodes a token
//     response's `issued_at` into time.Time, so a value outside this set makes it reject the
//     whole response (token-auth.md §1.4).
// Both modes: a 4-digit year 0000–9999; day-of-month checked against the month and leap years;
// second 60 is rejected with kLeapSecond (leap seconds are not modelled; Go rejects them too);
// fractional seconds may have any number of digits, and are kept to nanosecond precision
// (further digits are truncated, as Go does) in Rfc3339Time::nanos; the unix-seconds result is
// floor(instant), i.e. the fraction is dropped.
//
// Usage:
//   auto t = ParseRfc3339("2009-11-10T23:00:00Z");                 // → 1257894000
//   auto g = ParseRfc3339Time(v, Rfc3339Mode::kGoTime);            // what docker would accept
//   std::string s = FormatRfc3339Utc(1257894000);                  // "2009-11-10T23:00:00Z"
//   int64_t day = DaysFromCivil({2027, 1, 31});                    // days since 1970-01-01
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace regauth::protocol {

// TimeError is the reason an RFC 3339 parse failed.
enum class TimeError {
  kTooLarge = 1,  // input longer than kMaxRfc3339Bytes
  kSyntax,        // a byte where the grammar expects another (digit, '-', ':', 'T', offset...)
  kTrailingData,  // a complete value followed by more bytes
  kOutOfRange,    // month, hour, minute, second or offset field outside its range
  kInvalidDate,   // day-of-month beyond the month's length (e.g. 2023-02-29), or day 00
  kLeapSecond,    // second 60: valid RFC 3339 syntax, but leap seconds are not modelled
  kCaseMismatch,  // kGoTime only: lower-case "t"/"z", valid RFC 3339 but rejected by Go
};

// CodeName returns the stable snake_case name of `code` ("out_of_range", ...).
std::string_view CodeName(TimeError code);

enum class Rfc3339Mode { kStrict, kGoTime };

// kMaxRfc3339Bytes bounds the input (a date-time with nanoseconds and an offset is 35 bytes; the
// rest leaves room for long fractions, which the grammar allows).
inline constexpr std::size_t kMaxRfc3339Bytes = 64;

// The instants FormatRfc3339Utc can represent: 0000-01-01T00:00:00Z … 9999-12-31T23:59:59Z.
inline constexpr int64_t kMinRfc3339Unix = -62167219200;
inline constexpr int64_t kMaxRfc3339Unix = 253402300799;

// Rfc3339Time is a parsed date-time.
struct Rfc3339Time {
  int64_t unix = 0;             // seconds since 1970-01-01T00:00:00Z, floor of the instant
  int32_t nanos = 0;            // fractional second, 0–999999999 (digits past the 9th dropped)
  int32_t offset_seconds = 0;   // the written offset (east positive); 0 for "Z"
  bool utc_designator = false;  // the offset was written "Z"/"z" (not "+00:00" / "-00:00")
  bool has_fraction = false;    // a fractional-second part was present

  friend bool operator==(const Rfc3339Time&, const Rfc3339Time&) = default;
};

// ParseRfc3339Time parses a `date-time` that spans all of `text`. Errors: kTooLarge (offset
// kMaxRfc3339Bytes), kSyntax / kOutOfRange / kLeapSecond / kCaseMismatch (offset of the
// offending field), kInvalidDate (offset of the day), kTrailingData (offset of the first extra
// byte).
Result<Rfc3339Time, TimeError> ParseRfc3339Time(std::string_view text,
                                                Rfc3339Mode mode = Rfc3339Mode::kStrict);

// ParseRfc3339 is ParseRfc3339Time returning only the unix seconds (fraction truncated).
Result<int64_t, TimeError> ParseRfc3339(std::string_view text,
                                        Rfc3339Mode mode = Rfc3339Mode::kStrict);

// FormatRfc3339Utc formats `unix` as "YYYY-MM-DDTHH:MM:SSZ" (no fraction). Values outside
// [kMinRfc3339Unix, kMaxRfc3339Unix] are clamped to that range: a 4-digit year cannot say more,
// and Go's time.Time.MarshalJSON refuses such years.
std::string FormatRfc3339Utc(int64_t unix);

// CivilDate is a proleptic Gregorian calendar date. Year 0 is 1 BC, as in ISO 8601.
struct CivilDate {
  int64_t year = 1970;
  unsigned month = 1;  // 1–12
  unsigned day = 1;    // 1–31

  friend bool operator==(const CivilDate&, const CivilDate&) = default;
  friend auto operator<=>(const CivilDate&, const CivilDate&) = default;
};

// IsLeapYear: divisible by 4, except centuries not divisible by 400.
bool IsLeapYear(int64_t year);

// DaysInMonth returns 28–31 for month 1–12, and 0 for any other month.
unsigned DaysInMonth(int64_t year, unsigned month);

// DaysFromCivil returns the number of days from 1970-01-01 to `date` (negative before). The
// date must be valid (month 1–12, day within the month) and |year| < 2^40; otherwise the result
// is meaningless but defined (no overflow).
int64_t DaysFromCivil(const CivilDate& date);

// CivilFromDays is the inverse of DaysFromCivil, for |days| < 2^40.
CivilDate CivilFromDays(int64_t days);

// ParseFullDate parses an RFC 3339 `full-date` ("2027-01-31") spanning all of `text`. Errors:
// kTooLarge, kSyntax, kOutOfRange (month), kInvalidDate (day), kTrailingData.
Result<CivilDate, TimeError> ParseFullDate(std::string_view text);

// FormatFullDate formats `date` as "YYYY-MM-DD"; years outside 0000–9999 are clamped.
std::string FormatFullDate(const CivilDate& date);

}  // namespace regauth::protocol
