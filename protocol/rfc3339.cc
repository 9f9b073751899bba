#include "protocol/rfc3339.h"

#include <algorithm>
#include <cstdio>

namespace regauth::protocol {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reader walks the input; every method either consumes what it was asked for or leaves `pos`
// where the mismatch is, so a failure reports the offset of the offending byte.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  std::size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0';
  }
  void Skip(std::size_t n = 1) { pos_ += n; }

  // Digits consumes exactly `n` ASCII digits.
  bool Digits(std::size_t n, int64_t* out) {
    int64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!IsDigit(Peek(i))) {
        pos_ += i;
        return false;
      }
      v = v * 10 + (Peek(i) - '0');
    }
    pos_ += n;
    *out = v;
    return true;
  }

  bool Literal(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// ParseDate reads `full-date` (date-fullyear "-" date-month "-" date-mday, RFC 3339 §5.6).
Result<CivilDate, TimeError> ParseDate(Reader& r) {
  int64_t year = 0;
  int64_t month = 0;
  int64_t day = 0;
  if (!r.Digits(4, &year)) return Fail(TimeError::kSyntax, r.pos(), "expected a 4-digit year");
  if (!r.Literal('-')) return Fail(TimeError::kSyntax, r.pos(), "expected '-' after the year");
  const std::size_t month_at = r.pos();
  if (!r.Digits(2, &month)) return Fail(TimeError::kSyntax, r.pos(), "expected a 2-digit month");
  if (month < 1 || month > 12) {
    return Fail(TimeError::kOutOfRange, month_at, "month must be 01-12");
  }
  if (!r.Literal('-')) return Fail(TimeError::kSyntax, r.pos(), "expected '-' after the month");
  const std::size_t day_at = r.pos();
  if (!r.Digits(2, &day)) return Fail(TimeError::kSyntax, r.pos(), "expected a 2-digit day");
  if (day < 1 || day > DaysInMonth(year, static_cast<unsigned>(month))) {
    return Fail(TimeError::kInvalidDate, day_at, "day is not in the month");
  }
  return CivilDate{year, static_cast<unsigned>(month), static_cast<unsigned>(day)};
}

}  // namespace

std::string_view CodeName(TimeError code) {
  switch (code) {
    case TimeError::kTooLarge:
      return "too_large";
    case TimeError::kSyntax:
      return "syntax";
    case TimeError::kTrailingData:
      return "trailing_data";
    case TimeError::kOutOfRange:
      return "out_of_range";
    case TimeError::kInvalidDate:
      return "invalid_date";
    case TimeError::kLeapSecond:
      return "leap_second";
    case TimeError::kCaseMismatch:
      return "case_mismatch";
  }
  return "unknown";
}

bool IsLeapYear(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

unsigned DaysInMonth(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil: shift the year
// to start in March so the leap day is last, then count 400-year eras of 146097 days.
int64_t DaysFromCivil(const CivilDate& date) {
  const int64_t m = date.month;
  const int64_t y = date.year - (m <= 2 ? 1 : 0);
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;                                           // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + date.day - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                   // [0, 146096]
  return era * 146097 + doe - 719468;
}

// Hinnant's civil_from_days, the inverse of the above.
CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;                             // [1, 31]
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;                                // [1, 12]
  return CivilDate{yoe + era * 400 + (m <= 2 ? 1 : 0), static_cast<unsigned>(m),
                   static_cast<unsigned>(d)};
}

Result<Rfc3339Time, TimeError> ParseRfc3339Time(std::string_view text, Rfc3339Mode mode) {
  if (text.size() > kMaxRfc3339Bytes) {
    return Fail(TimeError::kTooLarge, kMaxRfc3339Bytes, "date-time longer than the limit");
  }
  const bool go = mode == Rfc3339Mode::kGoTime;
  Reader r(text);
  auto date = ParseDate(r);
  if (!date) return Fail(date.error());

  // "T" (RFC 3339 §5.6 NOTE: may be lower case; Go's layout literal is upper case only).
  if (r.Peek() == 't' && go) {
    return Fail(TimeError::kCaseMismatch, r.pos(), "Go requires an upper-case 'T'");
  }
  if (!r.Literal('T') && !r.Literal('t')) {
    return Fail(TimeError::kSyntax, r.pos(), "expected 'T' between date and time");
  }

  int64_t hour = 0;
  int64_t minute = 0;
  int64_t second = 0;
  const std::size_t hour_at = r.pos();
  if (go && IsDigit(r.Peek()) && !IsDigit(r.Peek(1))) {
    // Go parses the layout's "15" with getnum(value, false): one digit is enough.
    hour = r.Peek() - '0';
    r.Skip();
  } else if (!r.Digits(2, &hour)) {
    return Fail(TimeError::kSyntax, r.pos(), "expected a 2-digit hour");
  }
  if (hour > 23) return Fail(TimeError::kOutOfRange, hour_at, "hour must be 00-23");
  if (!r.Literal(':')) return Fail(TimeError::kSyntax, r.pos(), "expected ':' after the hour");
  const std::size_t minute_at = r.pos();
  if (!r.Digits(2, &minute)) return Fail(TimeError::kSyntax, r.pos(), "expected a 2-digit minute");
  if (minute > 59) return Fail(TimeError::kOutOfRange, minute_at, "minute must be 00-59");
  if (!r.Literal(':')) return Fail(TimeError::kSyntax, r.pos(), "expected ':' after the minute");
  const std::size_t second_at = r.pos();
  if (!r.Digits(2, &second)) return Fail(TimeError::kSyntax, r.pos(), "expected a 2-digit second");
  if (second == 60) return Fail(TimeError::kLeapSecond, second_at, "leap second not supported");
  if (second > 60) return Fail(TimeError::kOutOfRange, second_at, "second must be 00-59");

  Rfc3339Time out;
  // time-secfrac = "." 1*DIGIT. Go also takes ',' and needs a digit right after the separator
  // (otherwise the separator is left for the offset parser, which then fails).
  const char sep = r.Peek();
  if (sep == '.' || (go && sep == ',')) {
    if (!IsDigit(r.Peek(1))) {
      return Fail(TimeError::kSyntax, r.pos() + 1, "expected a digit after the decimal point");
    }
    r.Skip();
    int32_t nanos = 0;
    int digits = 0;
    while (IsDigit(r.Peek())) {
      if (digits < 9) nanos = nanos * 10 + (r.Peek() - '0');
      ++digits;
      r.Skip();
    }
    for (int i = digits; i < 9; ++i) nanos *= 10;
    out.nanos = nanos;
    out.has_fraction = true;
  }

  // time-offset = "Z" / ("+" / "-") time-hour ":" time-minute.
  const std::size_t offset_at = r.pos();
  const char c = r.Peek();
  if (c == 'Z' || c == 'z') {
    if (c == 'z' && go) {
      return Fail(TimeError::kCaseMismatch, offset_at, "Go requires an upper-case 'Z'");
    }
    r.Skip();
    out.utc_designator = true;
  } else if (c == '+' || c == '-') {
    r.Skip();
    int64_t oh = 0;
    int64_t om = 0;
    if (!r.Digits(2, &oh)) return Fail(TimeError::kSyntax, r.pos(), "expected offset hours");
    if (!r.Literal(':')) return Fail(TimeError::kSyntax, r.pos(), "expected ':' in the offset");
    if (!r.Digits(2, &om)) return Fail(TimeError::kSyntax, r.pos(), "expected offset minutes");
    // Go's range test uses '>' "as some people do write offsets of 24 hours or 60 minutes".
    if (oh > (go ? 24 : 23)) {
      return Fail(TimeError::kOutOfRange, offset_at + 1, "offset hour out of range");
    }
    if (om > (go ? 60 : 59)) {
      return Fail(TimeError::kOutOfRange, offset_at + 4, "offset minute out of range");
    }
    out.offset_seconds = static_cast<int32_t>((oh * 60 + om) * 60 * (c == '-' ? -1 : 1));
  } else {
    return Fail(TimeError::kSyntax, offset_at, "expected 'Z' or a numeric offset");
  }
  if (!r.AtEnd()) return Fail(TimeError::kTrailingData, r.pos(), "bytes after the date-time");

  out.unix = DaysFromCivil(*date) * kSecondsPerDay + hour * 3600 + minute * 60 + second -
             out.offset_seconds;
  return out;
}

Result<int64_t, TimeError> ParseRfc3339(std::string_view text, Rfc3339Mode mode) {
  auto t = ParseRfc3339Time(text, mode);
  if (!t) return Fail(t.error());
  return t->unix;
}

std::string FormatRfc3339Utc(int64_t unix) {
  unix = std::clamp(unix, kMinRfc3339Unix, kMaxRfc3339Unix);
  const int64_t days = FloorDiv(unix, kSecondsPerDay);
  const int64_t secs = unix - days * kSecondsPerDay;
  const CivilDate d = CivilFromDays(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(d.year),
                d.month, d.day, static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

Result<CivilDate, TimeError> ParseFullDate(std::string_view text) {
  if (text.size() > kMaxRfc3339Bytes) {
    return Fail(TimeError::kTooLarge, kMaxRfc3339Bytes, "date longer than the limit");
  }
  Reader r(text);
  auto date = ParseDate(r);
  if (!date) return date;
  if (!r.AtEnd()) return Fail(TimeError::kTrailingData, r.pos(), "bytes after the date");
  return date;
}

std::string FormatFullDate(const CivilDate& date) {
  CivilDate d = date;
  if (d.year < 0) d = CivilDate{0, 1, 1};
  if (d.year > 9999) d = CivilDate{9999, 12, 31};
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(d.year), d.month,
                d.day);
  return buf;
}

}  // namespace regauth::protocol
