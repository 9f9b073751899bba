#include "protocol/credentials.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

using Value = std::variant<BasicCredentials, BearerCredentials, OtherCredentials>;

WhitespaceForm Form(std::size_t spaces, std::size_t tabs = 0, std::size_t leading = 0,
                    std::size_t trailing = 0) {
  return WhitespaceForm{leading, spaces, tabs, trailing};
}

CredentialsOptions Lenient() {
  CredentialsOptions o;
  o.allow_lenient_whitespace = true;
  o.allow_unpadded_basic = true;
  o.allow_non_canonical_basic = true;
  o.allow_control_characters = true;
  return o;
}

CredentialsOptions WithLimits(std::size_t bytes, std::size_t decoded, std::size_t params = 32,
                              std::size_t value = 8192) {
  CredentialsOptions o;
  o.limits = CredentialsLimits{bytes, decoded, params, value};
  return o;
}

const std::string kJwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

struct ParseCase {
  const char* label;
  std::string input;
  CredentialsOptions options;
  std::optional<Credentials> want;  // parsed value, or nullopt when an error is expected
  CredentialsError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(ParseCase)

Credentials Basic(std::string user, std::string pass, WhitespaceForm form = Form(1),
                  std::string scheme = "Basic") {
  return Credentials{scheme, BasicCredentials{user, pass}, form};
}
Credentials Bearer(std::string token, WhitespaceForm form = Form(1),
                   std::string scheme = "Bearer") {
  return Credentials{scheme, BearerCredentials{token}, form};
}
Credentials Other(std::string scheme, OtherCredentials value, WhitespaceForm form = Form(1)) {
  return Credentials{scheme, value, form};
}

const ParseCase kCases[] = {
    // RFC 7617 §2 example.
    {"rfc7617 aladdin", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", {}, Basic("Aladdin", "open sesame")},
    // RFC 7617 §2.1 example (charset UTF-8): "test:123£".
    {"rfc7617 utf8", "Basic dGVzdDoxMjPCow==", {}, Basic("test", "123\xc2\xa3")},
    // RFC 9110 §11.1: the scheme is case-insensitive and kept as sent.
    {"lower-case basic",
     "basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
     {},
     Basic("Aladdin", "open sesame", Form(1), "basic")},
    // RFC 7617 §2: split at the first colon; the password may hold colons.
    {"password with colons", "Basic dXNlcjpwYTpzcw==", {}, Basic("user", "pa:ss")},
    {"empty user", "Basic OnBhc3M=", {}, Basic("", "pass")},
    {"empty password", "Basic dXNlcjo=", {}, Basic("user", "")},
    {"empty user and password", "Basic Og==", {}, Basic("", "")},
    // RFC 9110 §11.4: 1*SP is valid; the form records it (zot PR#4243 `Basic   <b64>`).
    {"basic three spaces",
     "Basic   QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
     {},
     Basic("Aladdin", "open sesame", Form(3))},
    // RFC 6750 §2.1: b64token; a JWT is one.
    {"bearer jwt", "Bearer " + kJwt, {}, Bearer(kJwt)},
    {"bearer lower-case", "bearer abc", {}, Bearer("abc", Form(1), "bearer")},
    {"bearer upper-case", "BEARER abc", {}, Bearer("abc", Form(1), "BEARER")},
    {"bearer token68 chars and padding", "Bearer a-._~+/Z==", {}, Bearer("a-._~+/Z==")},
    // suite-anchors §C1: `Bearer  <t>` (two SP) is valid RFC 9110, rejected by v2.8.
    {"bearer two spaces", "Bearer  abc", {}, Bearer("abc", Form(2))},
    // Unknown schemes are not errors (RFC 9110 §11.4).
    {"other token68",
     "Negotiate YIIB+w==",
     {},
     Other("Negotiate", OtherCredentials{"YIIB+w==", {}})},
    {"other auth-params",
     R"(Digest username="Mufasa", realm="http-auth@example.org",nc=00000001)",
     {},
     Other("Digest", OtherCredentials{std::nullopt,
                                      {{"username", "Mufasa", true},
                                       {"realm", "http-auth@example.org", true},
                                       {"nc", "00000001", false}}})},
    {"other empty elements and BWS",
     R"(Foo ,a = "1",, b=2)",
     {},
     Other("Foo", OtherCredentials{std::nullopt, {{"a", "1", true}, {"b", "2", false}}})},
    {"other scheme alone", "Newauth", {}, Other("Newauth", OtherCredentials{}, Form(0))},

    // Lenient whitespace: HTAB and surrounding OWS, recorded in the form.
    {"lenient surrounding whitespace", " \tBearer abc \t", Lenient(),
     Bearer("abc", Form(1, 0, 2, 2))},
    {"lenient htab separator", "Bearer\tabc", Lenient(), Bearer("abc", Form(0, 1))},
    {"lenient mixed separator", "Bearer \t abc", Lenient(), Bearer("abc", Form(2, 1))},
    {"lenient unpadded basic", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ", Lenient(),
     Basic("Aladdin", "open sesame")},
    {"lenient non-canonical basic", "Basic Oh==", Lenient(), Basic("", "")},
    {"lenient control character", "Basic dXNlcjpwYQFzcw==", Lenient(), Basic("user", "pa\x01ss")},

    // Errors, each with its offset.
    {"empty", "", {}, std::nullopt, CredentialsError::kEmpty, 0},
    {"only whitespace strict", "   ", {}, std::nullopt, CredentialsError::kBadWhitespace, 0},
    {"only whitespace lenient", "   ", Lenient(), std::nullopt, CredentialsError::kEmpty, 3},
    {"over-long",
     "Bearer " + std::string(16 * 1024, 'a'),
     {},
     std::nullopt,
     CredentialsError::kTooLarge,
     16 * 1024},
    {"basic payload over limit", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", WithLimits(16384, 8),
     std::nullopt, CredentialsError::kTooLarge, 6},
    // RFC 9110 §5.5: no whitespace at the ends of a field value; §11.4: 1*SP, not HTAB.
    {"leading space", " Basic Og==", {}, std::nullopt, CredentialsError::kBadWhitespace, 0},
    {"trailing space", "Bearer abc ", {}, std::nullopt, CredentialsError::kBadWhitespace, 10},
    {"htab separator", "Bearer\tabc", {}, std::nullopt, CredentialsError::kBadWhitespace, 6},
    {"space then htab", "Bearer \tabc", {}, std::nullopt, CredentialsError::kBadWhitespace, 7},
    {"scheme not a token", "\"Basic\" Og==", {}, std::nullopt, CredentialsError::kBadScheme, 0},
    {"colon after scheme", "Basic:Og==", {}, std::nullopt, CredentialsError::kTrailingGarbage, 5},
    {"basic alone", "Basic", {}, std::nullopt, CredentialsError::kMissingCredentials, 5},
    {"bearer alone", "Bearer", {}, std::nullopt, CredentialsError::kMissingCredentials, 6},
    {"lenient basic with only trailing space", "Basic ", Lenient(), std::nullopt,
     CredentialsError::kMissingCredentials, 5},
    {"basic two words", "Basic abc def", {}, std::nullopt, CredentialsError::kBadToken68, 9},
    {"bearer with comma", "Bearer abc,def", {}, std::nullopt, CredentialsError::kBadToken68, 10},
    {"bearer auth-params",
     R"(Bearer token="abc")",
     {},
     std::nullopt,
     CredentialsError::kBadToken68,
     13},
    // RFC 7617 §2: token68 is padded standard base64; the inner offset is carried.
    {"unpadded basic strict",
     "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ",
     {},
     std::nullopt,
     CredentialsError::kBadBase64,
     32},
    {"non-canonical basic strict", "Basic Oh==", {}, std::nullopt, CredentialsError::kBadBase64, 7},
    {"url alphabet in basic", "Basic QWxh-GRp", {}, std::nullopt, CredentialsError::kBadBase64, 10},
    {"missing colon", "Basic YWxhZGRpbg==", {}, std::nullopt, CredentialsError::kMissingColon, 6},
    // RFC 7617 §2: no control characters in user-id or password.
    {"control char in password",
     "Basic dXNlcjpwYQFzcw==",
     {},
     std::nullopt,
     CredentialsError::kControlCharacter,
     15},
    {"control char in user",
     "Basic AXVzZXI6eA==",
     {},
     std::nullopt,
     CredentialsError::kControlCharacter,
     6},
    {"NUL after token",
     std::string("Bearer abc\0", 11),
     {},
     std::nullopt,
     CredentialsError::kControlCharacter,
     10},
    {"CRLF injection",
     "Bearer abc\r\nX: y",
     {},
     std::nullopt,
     CredentialsError::kControlCharacter,
     10},
    {"other bad param name", "Digest =x", {}, std::nullopt, CredentialsError::kBadParamName, 7},
    {"other expected equals",
     "Digest realm x",
     {},
     std::nullopt,
     CredentialsError::kExpectedEquals,
     13},
    {"other missing value", "Digest a=,b=1", {}, std::nullopt, CredentialsError::kBadTokenValue, 9},
    // "a=" alone is a token68, not an auth-param without value (RFC 9110 §11.2).
    {"other token68 with pad", "Digest a=", {}, Other("Digest", OtherCredentials{"a=", {}})},
    {"other unterminated",
     R"(Digest realm="x)",
     {},
     std::nullopt,
     CredentialsError::kUnterminatedQuotedString,
     13},
    {"other bad quoted pair",
     "Digest a=\"\\\x01\"",
     {},
     std::nullopt,
     CredentialsError::kBadQuotedPair,
     10},
    {"other duplicate",
     R"(Digest realm="x", REALM="y")",
     {},
     std::nullopt,
     CredentialsError::kDuplicateParam,
     18},
    {"other too many params", "Digest a=1,b=2", WithLimits(16384, 4096, 1), std::nullopt,
     CredentialsError::kTooManyParams, 11},
    {"other value too large", R"(Digest a="abcd")", WithLimits(16384, 4096, 32, 3), std::nullopt,
     CredentialsError::kTooLarge, 9},
    {"other token68 then text",
     "Digest a/b c",
     {},
     std::nullopt,
     CredentialsError::kBadToken68,
     10},
    {"other space between params",
     "Digest a=1 b=2",
     {},
     std::nullopt,
     CredentialsError::kTrailingGarbage,
     11},
};

class CredentialsParseTest : public testing::TestWithParam<ParseCase> {};

TEST_P(CredentialsParseTest, ParsesOrFailsWithExactCode) {
  const ParseCase& c = GetParam();
  auto got = ParseCredentials(c.input, c.options);
  if (c.want) {
    ASSERT_TRUE(got.has_value()) << c.label << ": " << CodeName(got.error().code) << " at "
                                 << got.error().offset;
    EXPECT_EQ(got->scheme, c.want->scheme) << c.label;
    EXPECT_EQ(got->value, c.want->value) << c.label;
    EXPECT_EQ(got->form, c.want->form) << c.label;
  } else {
    ASSERT_FALSE(got.has_value()) << c.label;
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, CredentialsParseTest, testing::ValuesIn(kCases),
                         testing_support::LabelName());

// The reason of kBadBase64 names the inner Base64Error.
TEST(CredentialsParse, BadBase64ReasonNamesInnerCode) {
  auto r = ParseCredentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().reason, "missing_padding");
}

// RFC 9110 §11.4 defines a form; only one SP and nothing around it is canonical.
TEST(CredentialsParse, CanonicalFormIsExactlyOneSpace) {
  EXPECT_TRUE(Form(1).Canonical());
  EXPECT_TRUE(Form(0).Canonical());
  EXPECT_FALSE(Form(2).Canonical());
  EXPECT_FALSE(Form(0, 1).Canonical());
  EXPECT_FALSE(Form(1, 0, 1).Canonical());
  EXPECT_FALSE(Form(1, 0, 0, 1).Canonical());
}

// RFC 7617 §2: the serialiser refuses what the grammar cannot carry.
TEST(SerializeBasic, EncodesRfc7617Example) {
  auto s = SerializeBasic("Aladdin", "open sesame");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(SerializeBasic("", "").value_or(""), "Basic Og==");
}

struct SerializeErrorCase {
  const char* label;
  std::string user;
  std::string password;
  CredentialsError want_code;
  std::size_t want_offset;
};
REGAUTH_PRINT_LABEL(SerializeErrorCase)

const SerializeErrorCase kSerializeErrors[] = {
    {"colon in user", "a:b", "p", CredentialsError::kUserContainsColon, 1},
    {"control in user", "a\x01", "p", CredentialsError::kControlCharacter, 1},
    {"DEL in password", "u", "p\x7f", CredentialsError::kControlCharacter, 3},
    {"newline in password", "user", "line1\nline2", CredentialsError::kControlCharacter, 10},
};

class SerializeBasicErrorTest : public testing::TestWithParam<SerializeErrorCase> {};

TEST_P(SerializeBasicErrorTest, FailsWithExactCode) {
  const SerializeErrorCase& c = GetParam();
  auto s = SerializeBasic(c.user, c.password);
  ASSERT_FALSE(s.has_value()) << c.label;
  EXPECT_EQ(CodeName(s.error().code), CodeName(c.want_code)) << c.label;
  EXPECT_EQ(s.error().offset, c.want_offset) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, SerializeBasicErrorTest, testing::ValuesIn(kSerializeErrors),
                         testing_support::LabelName());

// Serialise → parse gives the same credentials, in canonical form.
TEST(CredentialsRoundTrip, BasicAndBearer) {
  const std::pair<std::string, std::string> pairs[] = {{"Aladdin", "open sesame"},
                                                       {"", ""},
                                                       {"u", "a:b:c"},
                                                       {"gitlab-ci-token", "glcbt-x"},
                                                       {"caf\xc3\xa9", "\xff\xfe"}};
  for (const auto& [user, pass] : pairs) {
    auto s = SerializeBasic(user, pass);
    ASSERT_TRUE(s.has_value()) << user;
    auto back = ParseCredentials(*s);
    ASSERT_TRUE(back.has_value()) << user;
    EXPECT_EQ(back->value, Value(BasicCredentials{user, pass}));
    EXPECT_TRUE(back->form.Canonical());
  }
  auto bearer = ParseCredentials(SerializeBearer(kJwt));
  ASSERT_TRUE(bearer.has_value());
  EXPECT_EQ(bearer->value, Value(BearerCredentials{kJwt}));
  EXPECT_TRUE(bearer->form.Canonical());
}

struct DistributionCase {
  const char* label;
  std::string input;
  std::optional<std::string> want_v28;  // token v2.8 extracts, or nullopt for "no token"
  std::optional<std::string> want_v3;
};
REGAUTH_PRINT_LABEL(DistributionCase)

// Rows marked (m) were measured against Debian's docker-registry 2.8.2: a token was extracted
// exactly when the 401 carried error="invalid_token". v3 follows accesscontroller.go@v3.1.1.
const DistributionCase kDistributionCases[] = {
    {"canonical (m)", "Bearer abc", "abc", "abc"},
    {"lower-case scheme (m)", "bearer abc", "abc", "abc"},
    {"mixed-case scheme (m)", "BeArEr abc", "abc", "abc"},
    {"two spaces (m)", "Bearer  abc", std::nullopt, " abc"},
    {"htab separator (m)", "Bearer\tabc", std::nullopt, std::nullopt},
    {"trailing space trimmed by textproto (m)", "Bearer abc ", "abc", "abc"},
    {"trailing htab trimmed by textproto (m)", "Bearer abc\t", "abc", "abc"},
    {"leading spaces trimmed by textproto (m)", "   Bearer abc", "abc", "abc"},
    {"leading htab trimmed by textproto (m)", "\tBearer abc", "abc", "abc"},
    {"scheme and space only (m)", "Bearer ", std::nullopt, std::nullopt},
    {"scheme only (m)", "Bearer", std::nullopt, std::nullopt},
    {"basic (m)", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", std::nullopt, std::nullopt},
    {"space inside token (m)", "Bearer abc def", std::nullopt, "abc def"},
    {"htab inside token", "Bearer a\tb", "a\tb", "a\tb"},
    {"no separator", "Bearerabc", std::nullopt, std::nullopt},
    {"empty", "", std::nullopt, std::nullopt},
};

class DistributionBearerTest : public testing::TestWithParam<DistributionCase> {};

// token-auth.md §2.2 (v2.8: strings.Split, exactly 2 parts) and §2.6 (v3: strings.Cut).
TEST_P(DistributionBearerTest, ExtractsTokenLikeDistribution) {
  const DistributionCase& c = GetParam();
  const auto v28 = BearerTokenDistributionV28(c.input);
  const auto v3 = BearerTokenDistributionV3(c.input);
  EXPECT_EQ(v28 ? std::optional<std::string>(std::string(*v28)) : std::nullopt, c.want_v28)
      << c.label;
  EXPECT_EQ(v3 ? std::optional<std::string>(std::string(*v3)) : std::nullopt, c.want_v3) << c.label;
  EXPECT_EQ(AcceptedByDistributionV28(c.input), c.want_v28.has_value()) << c.label;
  EXPECT_EQ(AcceptedByDistributionV3(c.input), c.want_v3.has_value()) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, DistributionBearerTest, testing::ValuesIn(kDistributionCases),
                         testing_support::LabelName());

// Every code has a distinct snake_case name.
TEST(CredentialsError, CodeNamesAreDistinct) {
  std::vector<std::string_view> names;
  for (int i = static_cast<int>(CredentialsError::kEmpty);
       i <= static_cast<int>(CredentialsError::kUserContainsColon); ++i) {
    const std::string_view n = CodeName(static_cast<CredentialsError>(i));
    EXPECT_NE(n, "unknown") << i;
    for (const std::string_view m : names) EXPECT_NE(n, m);
    names.push_back(n);
  }
}

}  // namespace
}  // namespace regauth::protocol
