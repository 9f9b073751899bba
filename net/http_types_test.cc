#include "net/http_types.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "protocol/test_support.h"

namespace regauth::net {
namespace {

HttpRequest RequestWithHeaders() {
  HttpRequest r;
  r.headers = {{"Host", "registry.test"},
               {"WWW-Authenticate", "Basic realm=\"a\""},
               {"authorization", "Bearer x"},
               {"www-authenticate", "Bearer realm=\"b\""},
               {"X-Empty", ""}};
  return r;
}

// RFC 9110 §5.1: field names are case-insensitive.
TEST(HttpRequestHeader, LookupIsCaseInsensitiveAndReturnsFirstValue) {
  const HttpRequest r = RequestWithHeaders();
  EXPECT_EQ(r.Header("AUTHORIZATION"), "Bearer x");
  EXPECT_EQ(r.Header("Authorization"), "Bearer x");
  EXPECT_EQ(r.Header("www-authenticate"), "Basic realm=\"a\"");
  EXPECT_EQ(r.Header("x-empty"), "");
  EXPECT_EQ(r.Header("missing"), std::nullopt);
  EXPECT_EQ(r.Header("Authorizatio"), std::nullopt);  // no prefix match
}

// RFC 9110 §5.3: repeated field lines keep their order.
TEST(HttpRequestHeader, HeadersReturnsEveryRepeatedValueInOrder) {
  const HttpRequest r = RequestWithHeaders();
  EXPECT_EQ(r.Headers("WWW-Authenticate"),
            (std::vector<std::string_view>{"Basic realm=\"a\"", "Bearer realm=\"b\""}));
  EXPECT_TRUE(r.Headers("missing").empty());
}

struct QueryCase {
  const char* label;
  std::string query;
  std::string name;
  std::vector<std::string> want;
};
REGAUTH_PRINT_LABEL(QueryCase)

// token.md §1.3: scopes come as repeated `scope=` parameters, form-urlencoded.
const QueryCase kQueryCases[] = {
    {"single", "service=reg&scope=repository:a/b:pull", "scope", {"repository:a/b:pull"}},
    {"repeated in order",
     "scope=repository:a:pull&service=s&scope=repository:b:push",
     "scope",
     {"repository:a:pull", "repository:b:push"}},
    {"percent decoded",
     "scope=repository%3Afoo%2Fbar%3Apull",
     "scope",
     {"repository:foo/bar:pull"}},
    {"plus is space", "scope=a+b", "scope", {"a b"}},
    {"encoded plus stays plus", "scope=a%2Bb", "scope", {"a+b"}},
    {"key is decoded too", "sc%6Fpe=x", "scope", {"x"}},
    {"no equals gives empty value", "scope&scope=", "scope", {"", ""}},
    {"name is case-sensitive", "Scope=x", "scope", {}},
    {"empty query", "", "scope", {}},
    {"empty pairs skipped", "&&scope=x&", "scope", {"x"}},
    {"value keeps later equals", "scope=a=b", "scope", {"a=b"}},
    {"malformed escape kept", "scope=%zz%4", "scope", {"%zz%4"}},
};

class QueryParamsTest : public testing::TestWithParam<QueryCase> {};

TEST_P(QueryParamsTest, ReturnsEveryDecodedValueInOrder) {
  const QueryCase& c = GetParam();
  HttpRequest r;
  r.query = c.query;
  EXPECT_EQ(r.QueryParams(c.name), c.want) << c.label;
  if (c.want.empty()) {
    EXPECT_EQ(r.QueryParam(c.name), std::nullopt) << c.label;
  } else {
    EXPECT_EQ(r.QueryParam(c.name), c.want.front()) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, QueryParamsTest, testing::ValuesIn(kQueryCases),
                         testing_support::LabelName());

struct DecodeCase {
  const char* label;
  std::string input;
  bool plus_is_space;
  std::string want;
};
REGAUTH_PRINT_LABEL(DecodeCase)

// RFC 3986 §2.1 percent-encoding; invalid escapes pass through as Rack does.
const DecodeCase kDecodeCases[] = {
    {"plain", "abc", false, "abc"},
    {"upper hex", "%41%42", false, "AB"},
    {"lower hex", "%e2%82%ac", false, "\xe2\x82\xac"},
    {"nul byte", "a%00b", false, std::string("a\0b", 3)},
    {"plus kept", "a+b", false, "a+b"},
    {"plus as space", "a+b", true, "a b"},
    {"lone percent", "%", false, "%"},
    {"truncated escape", "a%4", false, "a%4"},
    {"escape at end", "a%41", false, "aA"},
    {"bad hex digit", "%g1", false, "%g1"},
    {"percent then valid", "%%41", false, "%A"},
    {"encoded percent not re-decoded", "%2541", false, "%41"},
};

class PercentDecodeTest : public testing::TestWithParam<DecodeCase> {};

TEST_P(PercentDecodeTest, DecodesValidEscapesAndKeepsInvalidOnes) {
  const DecodeCase& c = GetParam();
  EXPECT_EQ(PercentDecode(c.input, c.plus_is_space), c.want) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, PercentDecodeTest, testing::ValuesIn(kDecodeCases),
                         testing_support::LabelName());

// Header names are ASCII tokens: only A-Z/a-z fold, other bytes compare exactly.
TEST(EqualsIgnoreCase, FoldsAsciiLettersOnly) {
  EXPECT_TRUE(protocol::EqualsIgnoreAsciiCase("Content-Type", "content-TYPE"));
  EXPECT_TRUE(protocol::EqualsIgnoreAsciiCase("", ""));
  EXPECT_FALSE(protocol::EqualsIgnoreAsciiCase("abc", "abcd"));
  EXPECT_FALSE(protocol::EqualsIgnoreAsciiCase("[", "{"));        // 0x5B vs 0x7B differ by 0x20 too
  EXPECT_FALSE(protocol::EqualsIgnoreAsciiCase("\xc9", "\xe9"));  // Latin-1 É / é are not folded
  EXPECT_FALSE(protocol::EqualsIgnoreAsciiCase("K", "\xe2\x84\xaa"));  // Kelvin sign is not K
}

TEST(HttpResponse, JsonAndTextSetStatusBodyAndContentType) {
  const HttpResponse j = HttpResponse::Json(401, R"({"errors":[]})");
  EXPECT_EQ(j.status, 401);
  EXPECT_EQ(j.body, R"({"errors":[]})");
  EXPECT_EQ(j.Header("content-type"), "application/json; charset=utf-8");

  HttpResponse t = HttpResponse::Text(404, "nope\n");
  t.AddHeader("WWW-Authenticate", "Bearer realm=\"r\"").AddHeader("www-authenticate", "Basic");
  EXPECT_EQ(t.status, 404);
  EXPECT_EQ(t.Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(t.Header("WWW-AUTHENTICATE"), "Bearer realm=\"r\"");
  ASSERT_EQ(t.headers.size(), 3u);
  EXPECT_EQ(t.headers[2].first, "www-authenticate");  // name kept as given
}

}  // namespace
}  // namespace regauth::net
