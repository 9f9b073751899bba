#include "protocol/token_response.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

using Form = TokenResponseForm;
using FC = TokenResponseFinding::Code;

enum class Mode { kStrict, kGo };

struct ParseCase {
  const char* label;
  std::string body;
  Form form = Form::kGet;
  Mode mode = Mode::kStrict;
  // Success: the bearer token the client would use and the lifetime it would assume.
  std::optional<std::string> want_token = std::nullopt;
  int64_t want_expires = 60;
  std::optional<int64_t> want_issued_unix = std::nullopt;
  // Failure: the exact code and offset.
  TokenResponseError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(ParseCase)

// The oauth.md "refreshing an access token" example, verbatim: its JSON is malformed
// (`"access_token":"…":"expires_in"`, token-auth.md §1.5 doc bugs).
const char kOAuthMalformed[] =
    R"({"refresh_token":"kas9Da81Dfa8","access_token":"eyJhbGciOiJFUzI1NiIsInR5":"expires_in":900,)"
    R"("scope":"repository:samalba/my-app:pull,repository:samalba/my-app:push"})";

constexpr int64_t kExample = 1257894000;  // 2009-11-10T23:00:00Z

const ParseCase kParseCases[] = {
    // token.md "Token Response Fields" example.
    {"token.md example",
     R"({"token":"eyJhbGci","expires_in":3600,"issued_at":"2009-11-10T23:00:00Z"})", Form::kGet,
     Mode::kStrict, "eyJhbGci", 3600, kExample},
    // GitLab sends {"token":…} only (token-auth.md §3.8).
    {"gitlab token only", R"({"token":"eyJ0eXAi"})", Form::kGet, Mode::kStrict, "eyJ0eXAi", 60},
    // docker_auth sends both names with the same value (token-auth.md §5).
    {"docker_auth both", R"({"access_token":"T1","token":"T1"})", Form::kGet, Mode::kStrict, "T1"},
    // Harbor: token, expires_in (minutes×60), issued_at.
    {"harbor", R"({"token":"H","expires_in":1800,"issued_at":"2024-05-01T10:00:00Z"})", Form::kGet,
     Mode::kStrict, "H", 1800, 1714557600},
    // v2.8 session.go: `if tr.AccessToken != "" { tr.Token = tr.AccessToken }`.
    {"access_token preferred", R"({"token":"A","access_token":"B"})", Form::kGet, Mode::kStrict,
     "B"},
    {"empty access_token falls back", R"({"token":"A","access_token":""})", Form::kGet,
     Mode::kStrict, "A"},
    {"access_token only", R"({"access_token":"B"})", Form::kGet, Mode::kStrict, "B"},
    {"unknown members ignored", R"({"token":"A","foo":[1,{"x":null}],"scope":7})", Form::kGet,
     Mode::kStrict, "A"},
    // expires_in: default 60, values < 60 clamped (minimumTokenLifetimeSeconds).
    {"expires_in 0", R"({"token":"A","expires_in":0})", Form::kGet, Mode::kStrict, "A", 60},
    {"expires_in 59", R"({"token":"A","expires_in":59})", Form::kGet, Mode::kStrict, "A", 60},
    {"expires_in 60", R"({"token":"A","expires_in":60})", Form::kGet, Mode::kStrict, "A", 60},
    {"expires_in 61", R"({"token":"A","expires_in":61})", Form::kGet, Mode::kStrict, "A", 61},
    {"expires_in -1", R"({"token":"A","expires_in":-1})", Form::kGet, Mode::kStrict, "A", 60},
    {"expires_in max int64", R"({"token":"A","expires_in":9223372036854775807})", Form::kGet,
     Mode::kStrict, "A", INT64_MAX},
    // Go cannot decode a fraction, an exponent, a string or an int64 overflow into `int`.
    {"expires_in 1.5", R"({"token":"A","expires_in":1.5})", Form::kGet, Mode::kStrict, std::nullopt,
     60, std::nullopt, TokenResponseError::kBadFieldType},
    {"expires_in 60.0", R"({"token":"A","expires_in":60.0})", Form::kGet, Mode::kStrict,
     std::nullopt, 60, std::nullopt, TokenResponseError::kBadFieldType},
    {"expires_in 6e1", R"({"token":"A","expires_in":6e1})", Form::kGet, Mode::kStrict, std::nullopt,
     60, std::nullopt, TokenResponseError::kBadFieldType},
    {"expires_in string", R"({"token":"A","expires_in":"60"})", Form::kGet, Mode::kStrict,
     std::nullopt, 60, std::nullopt, TokenResponseError::kBadFieldType},
    {"expires_in 2^63", R"({"token":"A","expires_in":9223372036854775808})", Form::kGet,
     Mode::kStrict, std::nullopt, 60, std::nullopt, TokenResponseError::kBadFieldType},
    {"expires_in 1e400", R"({"token":"A","expires_in":1e400})", Form::kGet, Mode::kStrict,
     std::nullopt, 60, std::nullopt, TokenResponseError::kNumberOutOfRange, 31},
    // Token member types and presence.
    {"token number", R"({"token":5})", Form::kGet, Mode::kStrict, std::nullopt, 60, std::nullopt,
     TokenResponseError::kBadFieldType},
    {"access_token array", R"({"token":"A","access_token":["B"]})", Form::kGet, Mode::kStrict,
     std::nullopt, 60, std::nullopt, TokenResponseError::kBadFieldType},
    {"refresh_token bool", R"({"token":"A","refresh_token":true})", Form::kGet, Mode::kStrict,
     std::nullopt, 60, std::nullopt, TokenResponseError::kBadFieldType},
    {"no token", R"({"expires_in":300})", Form::kGet, Mode::kStrict, std::nullopt, 60, std::nullopt,
     TokenResponseError::kNoToken},
    {"both empty", R"({"token":"","access_token":""})", Form::kGet, Mode::kStrict, std::nullopt, 60,
     std::nullopt, TokenResponseError::kNoToken},
    {"empty object", "{}", Form::kGet, Mode::kStrict, std::nullopt, 60, std::nullopt,
     TokenResponseError::kNoToken},
    {"null token strict", R"({"token":null,"access_token":"B"})", Form::kGet, Mode::kStrict,
     std::nullopt, 60, std::nullopt, TokenResponseError::kBadFieldType},
    {"upper-case name strict", R"({"Token":"A"})", Form::kGet, Mode::kStrict, std::nullopt, 60,
     std::nullopt, TokenResponseError::kNoToken},
    // issued_at: Go's time.Time decoder decides; strict also wants the RFC 3339 grammar.
    {"issued_at offset", R"({"token":"A","issued_at":"2009-11-11T07:00:00+08:00"})", Form::kGet,
     Mode::kStrict, "A", 60, kExample},
    {"issued_at fraction", R"({"token":"A","issued_at":"2009-11-10T23:00:00.999Z"})", Form::kGet,
     Mode::kStrict, "A", 60, kExample},
    {"issued_at no zone", R"({"token":"A","issued_at":"2009-11-10T23:00:00"})", Form::kGet,
     Mode::kStrict, std::nullopt, 60, std::nullopt, TokenResponseError::kBadIssuedAt},
    {"issued_at space", R"({"token":"A","issued_at":"2009-11-10 23:00:00Z"})", Form::kGet,
     Mode::kStrict, std::nullopt, 60, std::nullopt, TokenResponseError::kBadIssuedAt},
    {"issued_at unix number", R"({"token":"A","issued_at":1257894000})", Form::kGet, Mode::kStrict,
     std::nullopt, 60, std::nullopt, TokenResponseError::kBadIssuedAt},
    {"issued_at empty", R"({"token":"A","issued_at":""})", Form::kGet, Mode::kStrict, std::nullopt,
     60, std::nullopt, TokenResponseError::kBadIssuedAt},
    {"issued_at lower z", R"({"token":"A","issued_at":"2009-11-10T23:00:00z"})", Form::kGet,
     Mode::kStrict, std::nullopt, 60, std::nullopt, TokenResponseError::kBadIssuedAt},
    {"issued_at lower z go", R"({"token":"A","issued_at":"2009-11-10T23:00:00z"})", Form::kGet,
     Mode::kGo, std::nullopt, 60, std::nullopt, TokenResponseError::kBadIssuedAt},
    {"issued_at one-digit hour strict", R"({"token":"A","issued_at":"2009-11-10T1:00:00Z"})",
     Form::kGet, Mode::kStrict, std::nullopt, 60, std::nullopt, TokenResponseError::kBadIssuedAt},
    {"issued_at one-digit hour go", R"({"token":"A","issued_at":"2009-11-10T1:00:00Z"})",
     Form::kGet, Mode::kGo, "A", 60, kExample - 22 * 3600},
    {"issued_at comma go", R"({"token":"A","issued_at":"2009-11-10T23:00:00,5Z"})", Form::kGet,
     Mode::kGo, "A", 60, kExample},
    {"issued_at leap second", R"({"token":"A","issued_at":"2016-12-31T23:59:60Z"})", Form::kGet,
     Mode::kGo, std::nullopt, 60, std::nullopt, TokenResponseError::kBadIssuedAt},
    // JSON level.
    {"oauth.md malformed refresh example", kOAuthMalformed, Form::kOAuth2, Mode::kStrict,
     std::nullopt, 60, std::nullopt, TokenResponseError::kNotJson, 73},
    {"not an object", R"(["token"])", Form::kGet, Mode::kStrict, std::nullopt, 60, std::nullopt,
     TokenResponseError::kNotObject},
    {"empty body", "", Form::kGet, Mode::kStrict, std::nullopt, 60, std::nullopt,
     TokenResponseError::kNotJson},
    // RFC 8259 §8.1: no byte order mark; Go's encoding/json rejects one (nlohmann skips it).
    {"byte order mark", "\xef\xbb\xbf{\"token\":\"A\"}", Form::kGet, Mode::kGo, std::nullopt, 60,
     std::nullopt, TokenResponseError::kNotJson, 0},
    {"html error page", "<html>502</html>", Form::kGet, Mode::kStrict, std::nullopt, 60,
     std::nullopt, TokenResponseError::kNotJson},
    {"duplicate strict", R"({"token":"A","token":"B"})", Form::kGet, Mode::kStrict, std::nullopt,
     60, std::nullopt, TokenResponseError::kDuplicateMember, 19},
    {"too large", R"({"token":")" + std::string(300 * 1024, 'a') + R"("})", Form::kGet,
     Mode::kStrict, std::nullopt, 60, std::nullopt, TokenResponseError::kTooLarge, 256 * 1024},
    // Go-client mode: last duplicate wins, null leaves the field unset, names fold.
    {"duplicate go last wins", R"({"token":"A","token":"B"})", Form::kGet, Mode::kGo, "B"},
    {"null token go", R"({"token":null,"access_token":"B"})", Form::kGet, Mode::kGo, "B"},
    {"null only go", R"({"token":null})", Form::kGet, Mode::kGo, std::nullopt, 60, std::nullopt,
     TokenResponseError::kNoToken},
    {"upper-case name go", R"({"TOKEN":"A","Expires_In":120})", Form::kGet, Mode::kGo, "A", 120},
    {"long s folds go", "{\"acce\xc5\xbf\xc5\xbf_token\":\"A\"}", Form::kGet, Mode::kGo, "A"},
    {"kelvin folds go",
     "{\"to\xe2\x84\xaa"
     "en\":\"A\"}",
     Form::kGet, Mode::kGo, "A"},
    {"exact beats fold go", R"({"token":"exact","TOKEN":"fold"})", Form::kGet, Mode::kGo, "fold"},
    // oauth.md: the client reads access_token only; `token` is not a member of that response.
    {"oauth.md refresh example",
     R"({"refresh_token":"kas9Da81Dfa8","access_token":"eyJhbGci",)"
     R"("expires_in":900,"scope":""})",
     Form::kOAuth2, Mode::kStrict, "eyJhbGci", 900},
    {"oauth token only", R"({"token":"A","scope":"","expires_in":60})", Form::kOAuth2,
     Mode::kStrict, std::nullopt, 60, std::nullopt, TokenResponseError::kNoToken},
    {"oauth token ignored", R"({"token":5,"access_token":"B"})", Form::kOAuth2, Mode::kStrict, "B"},
    {"oauth scope number", R"({"access_token":"B","scope":1})", Form::kOAuth2, Mode::kStrict,
     std::nullopt, 60, std::nullopt, TokenResponseError::kBadFieldType},
};

class TokenResponseParseTest : public testing::TestWithParam<ParseCase> {};

TEST_P(TokenResponseParseTest, ParsesOrFailsLikeTheClient) {
  const ParseCase& c = GetParam();
  const TokenResponseOptions options =
      c.mode == Mode::kGo ? TokenResponseOptions::GoClient() : TokenResponseOptions{};
  auto got = ParseTokenResponse(c.body, c.form, options);
  if (c.want_token) {
    ASSERT_TRUE(got.has_value()) << CodeName(got.error().code) << " " << got.error().reason;
    EXPECT_EQ(got->EffectiveToken(), *c.want_token);
    EXPECT_EQ(got->EffectiveExpiresIn(), c.want_expires);
    EXPECT_EQ(got->issued_at_unix, c.want_issued_unix);
    EXPECT_TRUE(got->raw.is_object());
  } else {
    ASSERT_FALSE(got.has_value()) << got->EffectiveToken();
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code));
    EXPECT_EQ(got.error().offset, c.want_offset);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, TokenResponseParseTest, testing::ValuesIn(kParseCases),
                         testing_support::LabelName());

// The JsonOptions overload applies the given limits with strict member handling.
TEST(TokenResponseParse, JsonOptionsOverloadAppliesLimits) {
  JsonOptions json;
  json.limits.max_bytes = 8;
  auto got = ParseTokenResponse(R"({"token":"abc"})", Form::kGet, json);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, TokenResponseError::kTooLarge);
  EXPECT_EQ(got.error().offset, 8u);
}

struct FindingCase {
  const char* label;
  std::string body;
  Form form;
  Mode mode;
  bool refresh_requested;
  std::vector<FC> want;
};
REGAUTH_PRINT_LABEL(FindingCase)

const FindingCase kFindingCases[] = {
    {"token.md example clean",
     R"({"token":"T","expires_in":3600,"issued_at":"2009-11-10T23:00:00Z"})",
     Form::kGet,
     Mode::kStrict,
     false,
     {}},
    {"gitlab token only",
     R"({"token":"T"})",
     Form::kGet,
     Mode::kStrict,
     false,
     {FC::kExpiresInAbsent}},
    {"docker_auth equal tokens",
     R"({"access_token":"T","token":"T"})",
     Form::kGet,
     Mode::kStrict,
     false,
     {FC::kExpiresInAbsent}},
    // token.md expires_in: "a token should never be returned with less than 60 seconds to live".
    {"expires_in 59",
     R"({"token":"T","expires_in":59})",
     Form::kGet,
     Mode::kStrict,
     false,
     {FC::kExpiresInBelowMinimum}},
    {"expires_in 60", R"({"token":"T","expires_in":60})", Form::kGet, Mode::kStrict, false, {}},
    {"expires_in 0",
     R"({"token":"T","expires_in":0})",
     Form::kGet,
     Mode::kStrict,
     false,
     {FC::kExpiresInBelowMinimum}},
    // token.md access_token: "they should be equivalent".
    {"tokens differ",
     R"({"token":"A","access_token":"B","expires_in":60})",
     Form::kGet,
     Mode::kStrict,
     false,
     {FC::kTokensDiffer}},
    {"empty token member",
     R"({"token":"","access_token":"B","expires_in":60})",
     Form::kGet,
     Mode::kStrict,
     false,
     {FC::kEmptyTokenMember}},
    {"access_token only",
     R"({"access_token":"B","expires_in":60})",
     Form::kGet,
     Mode::kStrict,
     false,
     {FC::kOnlyAccessToken}},
    // token.md refresh_token: "only be set when offline_token=true is provided".
    {"refresh unrequested",
     R"({"token":"T","expires_in":60,"refresh_token":"R"})",
     Form::kGet,
     Mode::kStrict,
     false,
     {FC::kUnrequestedRefreshToken}},
    {"refresh requested",
     R"({"token":"T","expires_in":60,"refresh_token":"R"})",
     Form::kGet,
     Mode::kStrict,
     true,
     {}},
    // oauth.md: access_token, scope and expires_in are REQUIRED.
    {"oauth complete",
     R"({"access_token":"T","scope":"","expires_in":900})",
     Form::kOAuth2,
     Mode::kStrict,
     false,
     {}},
    {"oauth minimal",
     R"({"access_token":"T"})",
     Form::kOAuth2,
     Mode::kStrict,
     false,
     {FC::kMissingScope, FC::kMissingExpiresIn}},
    {"oauth refresh example",
     R"({"refresh_token":"R","access_token":"T","expires_in":900,)"
     R"("scope":""})",
     Form::kOAuth2,
     Mode::kStrict,
     true,
     {}},
    // token.md issued_at: "RFC3339-serialized UTC standard time".
    {"issued_at offset",
     R"({"token":"T","expires_in":60,"issued_at":"2009-11-11T07:00:00+08:00"})",
     Form::kGet,
     Mode::kStrict,
     false,
     {FC::kIssuedAtNotUtc}},
    {"issued_at +00:00 is utc",
     R"({"token":"T","expires_in":60,"issued_at":"2009-11-10T23:00:00+00:00"})",
     Form::kGet,
     Mode::kStrict,
     false,
     {}},
    {"issued_at go-only form",
     R"({"token":"T","expires_in":60,"issued_at":"2009-11-11T23:00:00+24:00"})",
     Form::kGet,
     Mode::kGo,
     false,
     {FC::kIssuedAtNotRfc3339, FC::kIssuedAtNotUtc}},
};

class TokenResponseFindingTest : public testing::TestWithParam<FindingCase> {};

TEST_P(TokenResponseFindingTest, ReportsExactlyTheDeviations) {
  const FindingCase& c = GetParam();
  const TokenResponseOptions options =
      c.mode == Mode::kGo ? TokenResponseOptions::GoClient() : TokenResponseOptions{};
  auto r = ParseTokenResponse(c.body, c.form, options);
  ASSERT_TRUE(r.has_value()) << CodeName(r.error().code);
  TokenRequestFacts facts;
  facts.refresh_token_requested = c.refresh_requested;
  std::vector<FC> got;
  for (const auto& f : CheckTokenResponse(*r, c.form, facts)) {
    got.push_back(f.code);
    EXPECT_FALSE(f.message.empty());
  }
  EXPECT_EQ(got, c.want);
}

INSTANTIATE_TEST_SUITE_P(Table, TokenResponseFindingTest, testing::ValuesIn(kFindingCases),
                         testing_support::LabelName());

// Severities follow the spec's wording: SHOULD for the 60 s floor, MUST for oauth.md's REQUIRED.
TEST(TokenResponseCheck, SeveritiesMatchSpecWording) {
  auto r = ParseTokenResponse(R"({"access_token":"T","expires_in":1})", Form::kOAuth2);
  ASSERT_TRUE(r.has_value());
  auto findings = CheckTokenResponse(*r, Form::kOAuth2);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].code, FC::kExpiresInBelowMinimum);
  EXPECT_EQ(SeverityName(findings[0].severity), "should");
  EXPECT_EQ(findings[1].code, FC::kMissingScope);
  EXPECT_EQ(SeverityName(findings[1].severity), "must");
  EXPECT_EQ(CodeName(findings[1].code), "missing_scope");
}

// The reference server's serialiser uses a fixed member order and round-trips.
TEST(TokenResponseSerialize, FixedMemberOrder) {
  TokenResponse r;
  r.scope = "repository:a/b:pull";
  r.refresh_token = "R";
  r.issued_at = "2009-11-10T23:00:00Z";
  r.expires_in = 300;
  r.access_token = "T";
  r.token = "T";
  EXPECT_EQ(SerializeTokenResponse(r), R"({"token":"T","access_token":"T","expires_in":300,)"
                                       R"("issued_at":"2009-11-10T23:00:00Z","refresh_token":"R",)"
                                       R"("scope":"repository:a/b:pull"})");
  TokenResponse gitlab;
  gitlab.token = "eyJ";
  EXPECT_EQ(SerializeTokenResponse(gitlab), R"({"token":"eyJ"})");
}

TEST(TokenResponseSerialize, RoundTripsEveryParseVector) {
  for (const ParseCase& c : kParseCases) {
    if (!c.want_token) continue;
    const TokenResponseOptions options =
        c.mode == Mode::kGo ? TokenResponseOptions::GoClient() : TokenResponseOptions{};
    auto first = ParseTokenResponse(c.body, c.form, options);
    ASSERT_TRUE(first.has_value()) << c.label;
    auto second = ParseTokenResponse(SerializeTokenResponse(*first), c.form, options);
    ASSERT_TRUE(second.has_value()) << c.label;
    EXPECT_EQ(*second, *first) << c.label;
  }
}

TEST(TokenResponseSerialize, EscapesAndReplacesInvalidUtf8) {
  TokenResponse r;
  r.token = std::string("a\"b\\c\n\x01\xff", 8);
  EXPECT_EQ(SerializeTokenResponse(r), "{\"token\":\"a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace regauth::protocol
