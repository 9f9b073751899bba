#include "protocol/json.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

struct JsonCase {
  const char* label;
  std::string input;
  bool ok;
  JsonError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(JsonCase)

const JsonCase kCases[] = {
    {"object", R"({"a":1,"b":[true,null]})", true},
    {"nested same name in different objects", R"({"a":{"a":1},"b":{"a":2}})", true},
    {"surrounding whitespace", " \n{\"a\":1}\t", true},
    {"big integer stays exact", R"({"exp":9223372036854775807})", true},
    // RFC 7515 §5.2: a repeated member name must not be resolved silently.
    {"duplicate key", R"({"alg":"RS256","alg":"none"})", false, JsonError::kDuplicateKey, 19},
    {"duplicate key nested", R"({"x":{"k":1,"k":2}})", false, JsonError::kDuplicateKey, 14},
    {"duplicate via escape", R"({"aud":1,"\u0061ud":2})", false, JsonError::kDuplicateKey, 18},
    {"trailing comma", "[1,2,]", false, JsonError::kSyntax, 5},
    {"trailing data", "{} x", false, JsonError::kSyntax, 3},
    {"empty", "", false, JsonError::kSyntax, 0},
    {"comment not allowed", "{/*x*/}", false, JsonError::kSyntax, 1},
    // RFC 8259 §8.1 allows ignoring a BOM; Go's decoder (every peer here) rejects it.
    {"byte order mark", "\xEF\xBB\xBF{}", false, JsonError::kSyntax, 0},
    {"lone surrogate", "\"\\ud800\"", false, JsonError::kSyntax, 7},
    {"overlong utf8", "\"\xc0\x80\"", false, JsonError::kSyntax, 1},
    {"number overflow", R"({"exp":1e400})", false, JsonError::kNumberOverflow, 12},
};

class JsonParseTest : public testing::TestWithParam<JsonCase> {};

TEST_P(JsonParseTest, AcceptsOrFailsWithExactCode) {
  const JsonCase& c = GetParam();
  auto got = ParseJson(c.input);
  ASSERT_EQ(got.has_value(), c.ok) << c.label;
  if (!c.ok) {
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, JsonParseTest, testing::ValuesIn(kCases),
                         testing_support::LabelName());

// Lenient mode mirrors Go's encoding/json: the last duplicate wins.
TEST(JsonParse, LenientDuplicateKeysKeepLastLikeGo) {
  JsonOptions o;
  o.allow_duplicate_keys = true;
  auto got = ParseJson(R"({"aud":"other","aud":"registry"})", o);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ((*got)["aud"], "registry");
}

TEST(JsonParse, RejectsInputOverSizeLimit) {
  JsonOptions o;
  o.limits.max_bytes = 4;
  auto got = ParseJson("[1,2]", o);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, JsonError::kTooLarge);
  EXPECT_EQ(got.error().offset, 4u);
}

TEST(JsonParse, RejectsNestingBeyondDepthLimit) {
  JsonOptions o;
  o.limits.max_depth = 3;
  EXPECT_TRUE(ParseJson("[[[1]]]", o).has_value());
  auto got = ParseJson("[[[[1]]]]", o);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, JsonError::kTooDeep);
  EXPECT_EQ(got.error().offset, 3u);
}

TEST(JsonParse, DeepInputFailsFastWithoutRecursion) {
  const std::string deep(100000, '[');
  auto got = ParseJson(deep);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, JsonError::kTooDeep);
}

TEST(JsonParseObject, RejectsNonObjectTopLevel) {
  auto got = ParseJsonObject("[1]");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, JsonError::kNotObject);
  EXPECT_TRUE(ParseJsonObject("{}").has_value());
}

}  // namespace
}  // namespace regauth::protocol
