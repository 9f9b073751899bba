#include "protocol/go_quote.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

struct QuoteCase {
  const char* label;
  std::string input;
  std::string want;
};
REGAUTH_PRINT_LABEL(QuoteCase)

// strconv.Quote (go1.19.8 as in Debian's docker-registry 2.8.2). The non-ASCII rows were
// measured on that binary (see go_quote.cc); the invalid UTF-8 rows follow quote.go, since a
// YAML config cannot carry invalid UTF-8.
const QuoteCase kQuoteCases[] = {
    {"empty", "", R"("")"},
    {"plain", "https://auth.example/token", R"("https://auth.example/token")"},
    {"quote and backslash", "a\"b\\c", R"("a\"b\\c")"},
    {"named escapes", "\a\b\f\n\r\t\v", R"("\a\b\f\n\r\t\v")"},
    {"other C0 controls", std::string("\x00\x01\x1b\x1f", 4), R"("\x00\x01\x1b\x1f")"},
    {"DEL is \\x7f in go1.19", "\x7f", R"("\x7f")"},
    {"space and tilde raw", " ~", R"(" ~")"},
    {"latin1 printable raw", "caf\xc3\xa9", "\"caf\xc3\xa9\""},
    {"C1 control", "\xc2\x85", R"("\u0085")"},
    {"no-break space", "\xc2\xa0", R"("\u00a0")"},
    {"soft hyphen", "\xc2\xad", R"("\u00ad")"},
    {"line separator", "\xe2\x80\xa8", R"("\u2028")"},
    {"byte order mark", "\xef\xbb\xbf", R"("\ufeff")"},
    {"replacement char raw", "\xef\xbf\xbd", "\"\xef\xbf\xbd\""},
    {"unassigned U+0378", "\xcd\xb8", R"("\u0378")"},
    {"unicode 14 letter U+0870 not printable in go1.19", "\xe0\xa1\xb0", R"("\u0870")"},
    {"emoji raw", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
    {"language tag", "\xf3\xa0\x80\x81", R"("\U000e0001")"},
    {"max rune", "\xf4\x8f\xbf\xbf", R"("\U0010ffff")"},
    {"invalid byte", "\xff", R"("\xff")"},
    {"truncated two-byte", "\xc3(", R"("\xc3(")"},
    {"truncated three-byte", "\xe2\x82", R"("\xe2\x82")"},
    {"overlong slash", "\xc0\xaf", R"("\xc0\xaf")"},
    {"overlong three-byte", "\xe0\x80\xaf", R"("\xe0\x80\xaf")"},
    {"encoded surrogate", "\xed\xa0\x80", R"("\xed\xa0\x80")"},
    {"beyond U+10FFFF", "\xf4\x90\x80\x80", R"("\xf4\x90\x80\x80")"},
    {"stray continuation", "a\x80z", R"("a\x80z")"},
};

class GoQuoteTest : public testing::TestWithParam<QuoteCase> {};

TEST_P(GoQuoteTest, MatchesGoStrconvQuote) {
  const QuoteCase& c = GetParam();
  EXPECT_EQ(GoQuote(c.input), c.want) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, GoQuoteTest, testing::ValuesIn(kQuoteCases),
                         testing_support::LabelName());

// Boundaries of the measured IsPrint table (Unicode 13.0 as compiled into go1.19.8).
TEST(GoIsPrint, MatchesMeasuredBoundaries) {
  EXPECT_FALSE(GoIsPrint(0x1F));
  EXPECT_TRUE(GoIsPrint(0x20));
  EXPECT_TRUE(GoIsPrint(0x7E));
  EXPECT_FALSE(GoIsPrint(0x7F));
  EXPECT_FALSE(GoIsPrint(0xA0));
  EXPECT_TRUE(GoIsPrint(0xA1));
  EXPECT_FALSE(GoIsPrint(0xAD));
  EXPECT_TRUE(GoIsPrint(0x20000));   // CJK Extension B
  EXPECT_TRUE(GoIsPrint(0x2A6DD));   // its last code point in Unicode 13.0
  EXPECT_FALSE(GoIsPrint(0x2A6DE));  // added in Unicode 14.0
  EXPECT_TRUE(GoIsPrint(0x3134A));   // last of CJK Extension G
  EXPECT_FALSE(GoIsPrint(0x3134B));
  EXPECT_FALSE(GoIsPrint(0x10FFFF));
  EXPECT_FALSE(GoIsPrint(0x110000));
}

}  // namespace
}  // namespace regauth::protocol
