#include "reports/escape.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "protocol/test_support.h"

namespace regauth::reports {
namespace {

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

struct EscapeCase {
  const char* label;
  std::string input;
  std::string want_xml;
  std::string want_html;
};
REGAUTH_PRINT_LABEL(EscapeCase)

std::string R(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += kFffd;
  return s;
}

// XML 1.0 §2.2 Char, §2.4 and §3.3.3; Unicode §3.9 Table 3-7 (maximal subparts → one U+FFFD each).
const EscapeCase kEscapeCases[] = {
    {"plain ascii", "abc", "abc", "abc"},
    {"markup characters", "<a href=\"x\">'&'</a>",
     "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
     "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"},
    {"script end tag", "</script>", "&lt;/script&gt;", "&lt;/script&gt;"},
    {"tab lf cr", "a\tb\nc\rd", "a&#9;b&#10;c&#13;d", "a\tb\nc\rd"},
    {"nul replaced", std::string("a\0b", 3), "a" + R(1) + "b", "a" + R(1) + "b"},
    {"c0 controls replaced", "\x01\x08\x0b\x0c\x0e\x1f", R(6), R(6)},
    {"esc replaced", "\x1b[31m", R(1) + "[31m", R(1) + "[31m"},
    {"del kept", "\x7f", "\x7f", "\x7f"},
    {"two-byte kept", "caf\xC3\xA9", "caf\xC3\xA9", "caf\xC3\xA9"},
    {"emoji kept", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
    {"u+2028 kept", "\xE2\x80\xA8", "\xE2\x80\xA8", "\xE2\x80\xA8"},
    {"u+fffe replaced", "\xEF\xBF\xBE", R(1), R(1)},
    {"u+ffff replaced", "\xEF\xBF\xBF", R(1), R(1)},
    {"lone continuation", "a\x80z", "a" + R(1) + "z", "a" + R(1) + "z"},
    {"latin-1 byte", "\xFF\xFE", R(2), R(2)},
    {"overlong slash", "\xC0\xAF", R(2), R(2)},
    {"overlong 3-byte", "\xE0\x80\xAF", R(3), R(3)},
    {"surrogate", "\xED\xA0\x80", R(3), R(3)},
    {"above u+10ffff", "\xF4\x90\x80\x80", R(4), R(4)},
    {"truncated 3-byte is one subpart", "\xE2\x82", R(1), R(1)},
    {"truncated then ascii", "\xE2\x82<", R(1) + "&lt;", R(1) + "&lt;"},
    {"f5 lead", "\xF5\x80", R(2), R(2)},
};

class EscapeTest : public testing::TestWithParam<EscapeCase> {};

TEST_P(EscapeTest, EscapesMarkupAndReplacesIllFormedOrIllegalCharacters) {
  const EscapeCase& c = GetParam();
  EXPECT_EQ(XmlEscape(c.input), c.want_xml) << c.label;
  EXPECT_EQ(HtmlEscape(c.input), c.want_html) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, EscapeTest, testing::ValuesIn(kEscapeCases),
                         testing_support::LabelName());

// IsCleanXml checks the invariant of XmlEscape's output: valid UTF-8, only XML Chars, and none
// of the characters that must be escaped.
bool IsCleanXml(std::string_view s) {
  if (SanitizeUtf8(s) != s) return false;  // SanitizeUtf8 changes exactly ill-formed/illegal text
  return s.find_first_of("<>\"'\t\n\r") == std::string_view::npos;
}

// Random bytes never produce markup, ill-formed UTF-8 or non-Chars (deterministic seed).
TEST(XmlEscape, OutputIsCleanForRandomBytes) {
  std::mt19937 rng(20261125);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 64);
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    const int n = length(rng);
    for (int k = 0; k < n; ++k) input.push_back(static_cast<char>(byte(rng)));
    const std::string out = XmlEscape(input);
    ASSERT_TRUE(IsCleanXml(out)) << testing::PrintToString(input);
    const std::string sanitized = SanitizeUtf8(input);
    ASSERT_EQ(SanitizeUtf8(sanitized), sanitized) << testing::PrintToString(input);
  }
}

// Valid UTF-8 made only of XML Chars passes SanitizeUtf8 unchanged.
TEST(SanitizeUtf8, KeepsValidText) {
  const std::string text = "ascii \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD \xE2\x80\xAE";
  EXPECT_EQ(SanitizeUtf8(text), text);
}

// HTML §4.12.1.3: the data block must not contain "</script" or "<!--"; JSON.parse must see the
// same value (the \u escapes are inside strings).
TEST(JsonForScript, EscapesAngleBracketsAmpersandAndLineSeparators) {
  const nlohmann::json value = {
      {"body", "</script><script>alert(1)</script><!-- & -->"},
      {"ls",
       "a\xE2\x80\xA8"
       "b\xE2\x80\xA9"
       "c"},
      {"<key>", 1},
  };
  const std::string out = JsonForScript(value);
  EXPECT_EQ(out.find('<'), std::string::npos) << out;
  EXPECT_EQ(out.find('>'), std::string::npos) << out;
  EXPECT_EQ(out.find('&'), std::string::npos) << out;
  EXPECT_EQ(out.find("\xE2\x80\xA8"), std::string::npos) << out;
  EXPECT_EQ(out.find("\xE2\x80\xA9"), std::string::npos) << out;
  EXPECT_NE(out.find("\\u003c/script\\u003e"), std::string::npos) << out;
  EXPECT_NE(out.find("\\u2028"), std::string::npos) << out;
  EXPECT_EQ(nlohmann::json::parse(out), value);
}

// Ill-formed UTF-8 in a string (possible in an in-memory document) becomes U+FFFD, no throw.
TEST(JsonForScript, ReplacesIllFormedUtf8) {
  const nlohmann::json value = {{"body", std::string("a\xFF\xC0z")}};
  const nlohmann::json back = nlohmann::json::parse(JsonForScript(value));
  EXPECT_EQ(back["body"], "a" + R(2) + "z");
}

// Unicode Table 3-7: well-formed sequences only; noncharacters and controls are well-formed.
TEST(IsValidUtf8, AcceptsWellFormedAndRejectsIllFormed) {
  for (const std::string_view ok :
       {"", "abc", "\xC3\xA9", "\xEF\xBF\xBF", "\xF4\x8F\xBF\xBF", "\x01\x7f"}) {
    EXPECT_TRUE(IsValidUtf8(ok)) << testing::PrintToString(std::string(ok));
  }
  for (const std::string_view bad :
       {"\x80", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "a\xFF"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << testing::PrintToString(std::string(bad));
  }
}

struct TruncateCase {
  const char* label;
  std::string input;
  std::size_t max;
  std::string want;
};
REGAUTH_PRINT_LABEL(TruncateCase)

const TruncateCase kTruncateCases[] = {
    {"fits", "abc", 3, "abc"},
    {"ascii cut", "abcdef", 4, "abcd"},
    {"cut inside two-byte", "a\xC3\xA9", 2, "a"},
    {"cut after two-byte", "a\xC3\xA9z", 3, "a\xC3\xA9"},
    {"cut inside emoji", "a\xF0\x9F\x98\x80", 4, "a"},
    {"zero", "abc", 0, ""},
};

class TruncateTest : public testing::TestWithParam<TruncateCase> {};

TEST_P(TruncateTest, CutsAtCharacterBoundary) {
  const TruncateCase& c = GetParam();
  EXPECT_EQ(TruncateUtf8(c.input, c.max), c.want) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, TruncateTest, testing::ValuesIn(kTruncateCases),
                         testing_support::LabelName());

}  // namespace
}  // namespace regauth::reports
