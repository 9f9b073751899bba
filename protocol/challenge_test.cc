#include "protocol/challenge.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

using V = std::vector<Challenge>;

AuthParam P(std::string name, std::string value) { return AuthParam{name, value, true}; }
Challenge C(std::string scheme, std::vector<AuthParam> params = {}) {
  return Challenge{scheme, std::nullopt, params};
}
Challenge T68(std::string scheme, std::string token68) { return Challenge{scheme, token68, {}}; }

ChallengeOptions Strict(ChallengeLimits limits = {}) { return ChallengeOptions{limits}; }
ChallengeOptions Lenient(ChallengeLimits limits = {}) {
  return ChallengeOptions{limits, ChallengeLeniency::kDistributionClient};
}
ChallengeLimits Limits(std::size_t bytes, std::size_t challenges, std::size_t params,
                       std::size_t value) {
  return ChallengeLimits{bytes, challenges, params, value};
}

// Captured from Debian's docker-registry 2.8.2 (token auth, realm https://auth.example/token,
// service test-registry): GET /v2/, pull, POST upload, DELETE, catalog, cross-repo mount, a
// garbage token, and a valid pull-only token used for push and delete (suite-anchors §C1).
const std::string kRealm = "https://auth.example/token";
const std::string kBase = R"(Bearer realm="https://auth.example/token",service="test-registry")";
const std::string kPull = kBase + R"(,scope="repository:foo/bar:pull")";
const std::string kPush = kBase + R"(,scope="repository:foo/bar:pull,push")";
const std::string kDelete = kBase + R"(,scope="repository:foo/bar:delete")";
const std::string kCatalog = kBase + R"(,scope="registry:catalog:*")";
const std::string kMount =
    kBase + R"(,scope="repository:foo/bar:pull,push repository:other/repo:pull")";
const std::string kInvalidToken =
    kBase + R"(,scope="repository:foo/bar:pull",error="invalid_token")";
const std::string kInsufficientPush =
    kBase + R"(,scope="repository:foo/bar:pull,push",error="insufficient_scope")";
const std::string kInsufficientDelete =
    kBase + R"(,scope="repository:foo/bar:delete",error="insufficient_scope")";
// token.md lines 62-69 (token-auth.md §1.2).
const std::string kDocExample =
    R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
    R"(scope="repository:samalba/my-app:pull,push")";
// The registry's %q with a realm full of special characters (measured, 2.8.2): Go escapes that
// an RFC 9110 reader takes as quoted-pairs, so `\x01` reads back as "x01".
const std::string kGoEscapes =
    "Bearer realm=\"https://a.example/t\\\"o\\\\k\xc3\xa9\\x01\\x7f\\u00a0\\t\\n\\u00ad"
    "\xf0\x9f\x98\x80\\u0378\\u2028\\ufeff~\",service=\"svc \\\"q\\\"\"";
const std::string kGoEscapesRealmAsRfc =
    "https://a.example/t\"o\\k\xc3\xa9x01x7fu00a0tnu00ad\xf0\x9f\x98\x80u0378u2028ufeff~";
const std::string kGoEscapesRealmRaw =
    "https://a.example/t\"o\\k\xc3\xa9\x01\x7f\xc2\xa0\t\n\xc2\xad\xf0\x9f\x98\x80\xcd\xb8"
    "\xe2\x80\xa8\xef\xbb\xbf~";

Challenge Reg(std::vector<AuthParam> extra) {
  std::vector<AuthParam> params = {P("realm", kRealm), P("service", "test-registry")};
  params.insert(params.end(), extra.begin(), extra.end());
  return C("Bearer", params);
}

struct ParseCase {
  const char* label;
  std::string input;
  ChallengeOptions options;
  std::optional<V> want;  // parsed challenges, or nullopt when an error is expected
  ChallengeError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(ParseCase)

const ParseCase kStrictCases[] = {
    // Real captures (suite-anchors §C1) and the documented example (token.md).
    {"registry base", kBase, {}, V{Reg({})}},
    {"registry pull", kPull, {}, V{Reg({P("scope", "repository:foo/bar:pull")})}},
    {"registry push", kPush, {}, V{Reg({P("scope", "repository:foo/bar:pull,push")})}},
    {"registry delete", kDelete, {}, V{Reg({P("scope", "repository:foo/bar:delete")})}},
    {"registry catalog", kCatalog, {}, V{Reg({P("scope", "registry:catalog:*")})}},
    {"registry mount two scopes",
     kMount,
     {},
     V{Reg({P("scope", "repository:foo/bar:pull,push repository:other/repo:pull")})}},
    {"registry invalid token",
     kInvalidToken,
     {},
     V{Reg({P("scope", "repository:foo/bar:pull"), P("error", "invalid_token")})}},
    {"registry insufficient scope",
     kInsufficientPush,
     {},
     V{Reg({P("scope", "repository:foo/bar:pull,push"), P("error", "insufficient_scope")})}},
    {"documented example",
     kDocExample,
     {},
     V{C("Bearer", {P("realm", "https://auth.docker.io/token"), P("service", "registry.docker.io"),
                    P("scope", "repository:samalba/my-app:pull,push")})}},
    // zot sends scope="" when nothing is requested: valid RFC 9110 (an empty quoted-string).
    {"zot empty scope",
     R"(Bearer realm="https://zot.example/auth/token",service="zot",scope="")",
     {},
     V{C("Bearer",
         {P("realm", "https://zot.example/auth/token"), P("service", "zot"), P("scope", "")})}},
    // docker_auth and GitLab's Basic challenge (token-auth.md §5).
    {"docker_auth basic",
     R"(Basic realm="Acme auth server")",
     {},
     V{C("Basic", {P("realm", "Acme auth server")})}},
    // RFC 9110 §11.6.1: several challenges in one value; the scheme after a comma starts one.
    {"basic then bearer",
     R"(Basic realm="x", Bearer realm="y")",
     {},
     V{C("Basic", {P("realm", "x")}), C("Bearer", {P("realm", "y")})}},
    {"no space between challenges",
     R"(Basic realm="x",Bearer realm="y",service="s")",
     {},
     V{C("Basic", {P("realm", "x")}), C("Bearer", {P("realm", "y"), P("service", "s")})}},
    {"rfc9110 newauth example",
     R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")",
     {},
     V{C("Newauth", {P("realm", "apps"), P("type", "1"), P("title", "Login to \"apps\"")}),
       C("Basic", {P("realm", "simple")})}},
    {"scheme alone", "Negotiate", {}, V{C("Negotiate")}},
    {"scheme alone then challenge",
     R"(Negotiate, Basic realm="x")",
     {},
     V{C("Negotiate"), C("Basic", {P("realm", "x")})}},
    {"token68", "Negotiate abc+/==", {}, V{T68("Negotiate", "abc+/==")}},
    {"token68 one pad", "Bearer abc=", {}, V{T68("Bearer", "abc=")}},
    {"token68 then challenge",
     R"(Negotiate abc==, Basic realm="x")",
     {},
     V{T68("Negotiate", "abc=="), C("Basic", {P("realm", "x")})}},
    // RFC 9110 §11.1, §11.2: schemes and names are case-insensitive; names are lower-cased.
    {"upper case", R"(BEARER REALM="x")", {}, V{C("BEARER", {P("realm", "x")})}},
    // §11.2: auth-param = token BWS "=" BWS ( token / quoted-string ).
    {"bws and token values",
     R"(Bearer realm = "x" , service= y,error =invalid_token)",
     {},
     V{C("Bearer", {P("realm", "x"), P("service", "y"), P("error", "invalid_token")})}},
    // §5.6.1: empty list elements are accepted.
    {"empty list elements",
     R"(, Bearer realm="x",, ,service="y",)",
     {},
     V{C("Bearer", {P("realm", "x"), P("service", "y")})}},
    {"several SP after scheme", R"(Bearer    realm="x")", {}, V{C("Bearer", {P("realm", "x")})}},
    {"scheme SP comma opens param list",
     R"(Basic , realm="x")",
     {},
     V{C("Basic", {P("realm", "x")})}},
    {"scheme SP alone", "Basic ,Bearer", {}, V{C("Basic"), C("Bearer")}},
    {"scheme OWS comma", "Basic\t, Bearer", {}, V{C("Basic"), C("Bearer")}},
    // §5.6.4: quoted-pair unescapes any HTAB/SP/VCHAR/obs-text.
    {"quoted pairs", R"(Bearer realm="a\"b\\c\d")", {}, V{C("Bearer", {P("realm", "a\"b\\cd")})}},
    {"obs-text and htab in quoted-string",
     "Bearer realm=\"caf\xc3\xa9\tx\"",
     {},
     V{C("Bearer", {P("realm", "caf\xc3\xa9\tx")})}},
    {"go escapes read as quoted-pairs",
     kGoEscapes,
     {},
     V{C("Bearer", {P("realm", kGoEscapesRealmAsRfc), P("service", "svc \"q\"")})}},
    {"param named like a scheme",
     R"(Basic realm="x", Bearer=y)",
     {},
     V{C("Basic", {P("realm", "x"), P("bearer", "y")})}},

    // Every error code, with its offset.
    {"empty", "", {}, std::nullopt, ChallengeError::kEmpty, 0},
    {"only commas", ", ,", {}, std::nullopt, ChallengeError::kEmpty, 3},
    {"too large", "Basic abc", Strict(Limits(8, 16, 32, 4096)), std::nullopt,
     ChallengeError::kTooLarge, 8},
    {"too many challenges", "A, B, C", Strict(Limits(8192, 2, 32, 4096)), std::nullopt,
     ChallengeError::kTooManyChallenges, 6},
    {"too many params", "Bearer a=1,b=2,c=3", Strict(Limits(8192, 16, 2, 4096)), std::nullopt,
     ChallengeError::kTooManyParams, 15},
    {"value too large", R"(Bearer realm="abcd")", Strict(Limits(8192, 16, 32, 3)), std::nullopt,
     ChallengeError::kTooLarge, 13},
    {"token68 too large", "Bearer abcd", Strict(Limits(8192, 16, 32, 3)), std::nullopt,
     ChallengeError::kTooLarge, 7},
    // RFC 9110 §5.5: a field value has no leading or trailing whitespace.
    {"leading space", R"( Bearer realm="x")", {}, std::nullopt, ChallengeError::kBadWhitespace, 0},
    {"trailing space",
     R"(Bearer realm="x"  )",
     {},
     std::nullopt,
     ChallengeError::kBadWhitespace,
     16},
    // §11.6.1: 1*SP, not HTAB, between scheme and params.
    {"htab after scheme",
     "Bearer\trealm=\"x\"",
     {},
     std::nullopt,
     ChallengeError::kBadWhitespace,
     6},
    {"htab after SP", "Bearer \trealm=\"x\"", {}, std::nullopt, ChallengeError::kBadWhitespace, 7},
    {"quoted scheme", R"("Bearer" realm="x")", {}, std::nullopt, ChallengeError::kBadScheme, 0},
    {"bad param name after comma",
     R"(Bearer realm="x", "y")",
     {},
     std::nullopt,
     ChallengeError::kBadParamName,
     18},
    {"bad first param name", "Bearer @x", {}, std::nullopt, ChallengeError::kBadParamName, 7},
    // `Bearer =x` can only be read as the auth-param `Bearer BWS "=" x`, misplaced at the start.
    {"scheme SP equals is a param",
     "Bearer =x",
     {},
     std::nullopt,
     ChallengeError::kMisplacedParam,
     0},
    {"expected equals",
     R"(Bearer realm "x")",
     {},
     std::nullopt,
     ChallengeError::kExpectedEquals,
     13},
    {"missing value at end",
     "Bearer a=b,realm=",
     {},
     std::nullopt,
     ChallengeError::kBadTokenValue,
     17},
    {"missing value before comma",
     "Bearer a=b, realm=,service=x",
     {},
     std::nullopt,
     ChallengeError::kBadTokenValue,
     18},
    // RFC 9110 §11.2 ambiguity: right after the scheme, `realm=` is a complete token68.
    {"first param without value is token68", "Bearer realm=", {}, V{T68("Bearer", "realm=")}},
    {"token68 realm= then param",
     "Bearer realm=,service=x",
     {},
     std::nullopt,
     ChallengeError::kMisplacedParam,
     14},
    {"value not a token", "Bearer realm=@x", {}, std::nullopt, ChallengeError::kBadTokenValue, 13},
    {"unterminated",
     R"(Bearer realm="abc)",
     {},
     std::nullopt,
     ChallengeError::kUnterminatedQuotedString,
     13},
    {"backslash at end",
     R"(Bearer realm="abc\)",
     {},
     std::nullopt,
     ChallengeError::kUnterminatedQuotedString,
     13},
    {"quoted pair of CTL",
     "Bearer realm=\"a\\\x01\"",
     {},
     std::nullopt,
     ChallengeError::kBadQuotedPair,
     15},
    {"CTL in quoted-string",
     "Bearer realm=\"a\x01\"",
     {},
     std::nullopt,
     ChallengeError::kControlCharacter,
     15},
    {"CRLF after value",
     "Bearer realm=\"a\"\r\nX-Injected: 1",
     {},
     std::nullopt,
     ChallengeError::kControlCharacter,
     16},
    {"NUL in scheme",
     std::string("Bea\0rer", 7),
     {},
     std::nullopt,
     ChallengeError::kControlCharacter,
     3},
    // RFC 9110 §11.2 (and RFC 6750 §3 for realm/scope): each name at most once per challenge.
    {"duplicate realm",
     R"(Bearer realm="a",realm="b")",
     {},
     std::nullopt,
     ChallengeError::kDuplicateParam,
     17},
    {"duplicate differs in case",
     R"(Bearer realm="a", REALM="b")",
     {},
     std::nullopt,
     ChallengeError::kDuplicateParam,
     18},
    {"same name in two challenges ok",
     R"(Basic realm="a", Bearer realm="b")",
     {},
     V{C("Basic", {P("realm", "a")}), C("Bearer", {P("realm", "b")})}},
    {"token68 with slash then text",
     "Bearer abc/def ghi",
     {},
     std::nullopt,
     ChallengeError::kBadToken68,
     14},
    {"params after token68",
     R"(Negotiate abc==, realm="x")",
     {},
     std::nullopt,
     ChallengeError::kMisplacedParam,
     17},
    {"param at start", R"(realm="x")", {}, std::nullopt, ChallengeError::kMisplacedParam, 0},
    {"param after scheme comma",
     R"(Basic, realm="x")",
     {},
     std::nullopt,
     ChallengeError::kMisplacedParam,
     7},
    {"space instead of comma",
     R"(Bearer realm="x" service="y")",
     {},
     std::nullopt,
     ChallengeError::kTrailingGarbage,
     17},
    {"nothing between params",
     R"(Bearer realm="x"service="y")",
     {},
     std::nullopt,
     ChallengeError::kTrailingGarbage,
     16},
    {"semicolon after scheme", "Bearer;", {}, std::nullopt, ChallengeError::kTrailingGarbage, 6},
};

// distribution v2.8 client, registry/client/auth/challenge/authchallenge.go parseValueAndParams.
const ParseCase kLenientCases[] = {
    {"registry capture lower-cases scheme", kInsufficientPush, Lenient(),
     V{C("bearer",
         {P("realm", kRealm), P("service", "test-registry"),
          P("scope", "repository:foo/bar:pull,push"), P("error", "insufficient_scope")})}},
    {"names lower-cased", R"(BEARER REALM="x")", Lenient(), V{C("bearer", {P("realm", "x")})}},
    // token-auth.md §1.2: an empty value ends the parse, so zot's scope="" drops what follows.
    {"zot empty scope stops", R"(Bearer realm="r",service="zot",scope="",error="e")", Lenient(),
     V{C("bearer", {P("realm", "r"), P("service", "zot")})}},
    {"empty value first drops realm", R"(Bearer scope="",realm="r")", Lenient(), V{C("bearer")}},
    {"one challenge per header", R"(Basic realm="x", Bearer realm="y")", Lenient(),
     V{C("basic", {P("realm", "x")})}},
    {"no BWS before equals", R"(Bearer realm = "x")", Lenient(), V{C("bearer")}},
    {"no BWS after equals", R"(Bearer realm= "x",service="s")", Lenient(), V{C("bearer")}},
    {"duplicate overwrites", R"(Bearer realm="a",service="s",realm="b")", Lenient(),
     V{C("bearer", {P("realm", "b"), P("service", "s")})}},
    {"leading space yields nothing", R"( Bearer realm="x")", Lenient(), V{}},
    {"empty yields nothing", "", Lenient(), V{}},
    {"unterminated stops", R"(Bearer realm="x",service="abc)", Lenient(),
     V{C("bearer", {P("realm", "x")})}},
    {"backslash escapes any byte", "Bearer realm=\"a\\\"b\\\\c\\d\\\x01\"", Lenient(),
     V{C("bearer", {P("realm", "a\"b\\cd\x01")})}},
    {"control characters kept", "Bearer realm=\"a\x01\x7f\"", Lenient(),
     V{C("bearer", {P("realm", "a\x01\x7f")})}},
    {"CR LF skipped as space", "Bearer\r\nrealm=\"x\" \r\n,service=s", Lenient(),
     V{C("bearer", {P("realm", "x"), P("service", "s")})}},
    {"token68 ignored", "Bearer abc==", Lenient(), V{C("bearer")}},
    {"space instead of comma stops", "Bearer realm=x service=y", Lenient(),
     V{C("bearer", {P("realm", "x")})}},
    {"empty element stops", "Bearer realm=x,,service=y", Lenient(),
     V{C("bearer", {P("realm", "x")})}},
    {"comma right after scheme stops", "Bearer , realm=x", Lenient(), V{C("bearer")}},
    {"OWS around comma", R"(Bearer realm="x" , service="y")", Lenient(),
     V{C("bearer", {P("realm", "x"), P("service", "y")})}},
    {"garbage after value ignored", R"(Bearer realm="x"junk)", Lenient(),
     V{C("bearer", {P("realm", "x")})}},
    {"go escapes kept as letters", kGoEscapes, Lenient(),
     V{C("bearer", {P("realm", kGoEscapesRealmAsRfc), P("service", "svc \"q\"")})}},
    {"lenient too large", "Basic abc", Lenient(Limits(8, 16, 32, 4096)), std::nullopt,
     ChallengeError::kTooLarge, 8},
    {"lenient too many params", "Bearer a=1,b=2,c=3", Lenient(Limits(8192, 16, 2, 4096)),
     std::nullopt, ChallengeError::kTooManyParams, 15},
    {"lenient value too large", R"(Bearer realm="abcd")", Lenient(Limits(8192, 16, 32, 3)),
     std::nullopt, ChallengeError::kTooLarge, 13},
};

class ChallengeParseTest : public testing::TestWithParam<ParseCase> {};

TEST_P(ChallengeParseTest, ParsesOrFailsWithExactCode) {
  const ParseCase& c = GetParam();
  auto got = ParseChallenges(c.input, c.options);
  if (c.want) {
    ASSERT_TRUE(got.has_value()) << c.label << ": " << CodeName(got.error().code) << " at "
                                 << got.error().offset;
    EXPECT_EQ(*got, *c.want) << c.label;
  } else {
    ASSERT_FALSE(got.has_value()) << c.label;
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Strict, ChallengeParseTest, testing::ValuesIn(kStrictCases),
                         testing_support::LabelName());
INSTANTIATE_TEST_SUITE_P(DistributionClient, ChallengeParseTest, testing::ValuesIn(kLenientCases),
                         testing_support::LabelName());

// RFC 9110 §11.2: parse → serialise → parse gives the same value, for every strict vector.
TEST(ChallengeSerialize, StrictVectorsRoundTrip) {
  for (const ParseCase& c : kStrictCases) {
    if (!c.want) continue;
    const std::string text = SerializeChallenges(*c.want);
    auto again = ParseChallenges(text);
    ASSERT_TRUE(again.has_value()) << c.label << ": " << text;
    EXPECT_EQ(*again, *c.want) << c.label << ": " << text;
  }
}

// RFC 9110 §5.6.4: a quoted-string escapes exactly DQUOTE and backslash.
TEST(ChallengeSerialize, Rfc9110QuotesEveryValueAndEscapesQuoteAndBackslash) {
  EXPECT_EQ(SerializeChallenge(C("Bearer", {P("realm", "a\"b\\c"), P("x", "1")})),
            R"(Bearer realm="a\"b\\c",x="1")");
  EXPECT_EQ(SerializeChallenge(T68("Negotiate", "abc==")), "Negotiate abc==");
  EXPECT_EQ(SerializeChallenge(C("Basic")), "Basic");
  EXPECT_EQ(SerializeChallenges({C("Basic", {P("realm", "x")}), C("Bearer")}),
            R"(Basic realm="x", Bearer)");
}

// accesscontroller.go challengeParams: `Bearer realm=%q,service=%q[,scope=%q][,error=%q]`.
TEST(ChallengeSerialize, GoQuotedReproducesRegistryBytes) {
  BearerChallenge b;
  b.realm = kRealm;
  b.service = "test-registry";
  b.scope = "repository:foo/bar:pull,push";
  b.error = "insufficient_scope";
  EXPECT_EQ(SerializeChallenge(FromBearerChallenge(b), QuoteStyle::kGoQuoted), kInsufficientPush);
  b.scope.reset();
  b.error.reset();
  EXPECT_EQ(SerializeChallenge(FromBearerChallenge(b), QuoteStyle::kGoQuoted), kBase);
}

// The measured 2.8.2 challenge for a realm with control, non-ASCII and unassigned characters.
TEST(ChallengeSerialize, GoQuotedMatchesMeasuredEscapes) {
  BearerChallenge b;
  b.realm = kGoEscapesRealmRaw;
  b.service = "svc \"q\"";
  EXPECT_EQ(SerializeChallenge(FromBearerChallenge(b), QuoteStyle::kGoQuoted), kGoEscapes);
}

// RFC 9110 §11.2: `quoted` records the form; it is not part of the value.
TEST(ChallengeParse, RecordsWhetherValueWasQuoted) {
  auto r = ParseChallenges(R"(Bearer realm="x",error=invalid_token)");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->at(0).params.size(), 2u);
  EXPECT_TRUE(r->at(0).params[0].quoted);
  EXPECT_FALSE(r->at(0).params[1].quoted);
  auto l = ParseChallenges(R"(Bearer realm="x",error=invalid_token)", Lenient());
  ASSERT_TRUE(l.has_value());
  EXPECT_TRUE(l->at(0).params[0].quoted);
  EXPECT_FALSE(l->at(0).params[1].quoted);
}

// RFC 9110 §11.1: scheme comparison is case-insensitive; Param looks up lower-cased names.
TEST(ChallengeParse, SchemeIsAndParamLookup) {
  auto r = ParseChallenges(R"(bEaReR Realm="x")");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->at(0).SchemeIs("Bearer"));
  EXPECT_FALSE(r->at(0).SchemeIs("Basic"));
  EXPECT_EQ(r->at(0).scheme, "bEaReR");
  EXPECT_EQ(r->at(0).Param("realm"), std::optional<std::string_view>("x"));
  EXPECT_EQ(r->at(0).Param("service"), std::nullopt);
}

struct HeadersCase {
  const char* label;
  std::vector<std::string_view> values;
  ChallengeOptions options;
  std::optional<V> want;
  ChallengeError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(HeadersCase)

const HeadersCase kHeadersCases[] = {
    {"two lines strict",
     {R"(Basic realm="x")", R"(Bearer realm="y")"},
     {},
     V{C("Basic", {P("realm", "x")}), C("Bearer", {P("realm", "y")})}},
    {"two lines lenient",
     {R"(Basic realm="x")", R"(Bearer realm="y")"},
     Lenient(),
     V{C("basic", {P("realm", "x")}), C("bearer", {P("realm", "y")})}},
    // RFC 9110 §5.3: field lines combine into one list, so a param can continue on a new line.
    {"param on next line strict",
     {R"(Bearer realm="x")", R"(service="y")"},
     {},
     V{C("Bearer", {P("realm", "x"), P("service", "y")})}},
    // Go parses each line alone: `service="y"` becomes a param-less challenge "service".
    {"param on next line lenient",
     {R"(Bearer realm="x")", R"(service="y")"},
     Lenient(),
     V{C("bearer", {P("realm", "x")}), C("service")}},
    {"empty line is empty element",
     {"", R"(Bearer realm="x")", ""},
     {},
     V{C("Bearer", {P("realm", "x")})}},
    {"lenient skips ignored line",
     {" Basic", R"(Bearer realm="x")"},
     Lenient(),
     V{C("bearer", {P("realm", "x")})}},
    {"no lines strict", {}, {}, std::nullopt, ChallengeError::kEmpty, 0},
    {"no lines lenient", {}, Lenient(), V{}},
    {"whitespace at line start",
     {"Basic", " Bearer"},
     {},
     std::nullopt,
     ChallengeError::kBadWhitespace,
     6},
    {"whitespace at line end",
     {"Basic ", "Bearer"},
     {},
     std::nullopt,
     ChallengeError::kBadWhitespace,
     5},
    {"error offset in joined value",
     {"Basic", R"(Bearer realm="x)"},
     {},
     std::nullopt,
     ChallengeError::kUnterminatedQuotedString,
     19},
    {"total too large strict",
     {"Basic abc", "Basic abc"},
     Strict(Limits(16, 16, 32, 4096)),
     std::nullopt,
     ChallengeError::kTooLarge,
     16},
    {"total too large lenient",
     {"Basic abc", "Basic abc"},
     Lenient(Limits(16, 16, 32, 4096)),
     std::nullopt,
     ChallengeError::kTooLarge,
     16},
    {"too many challenges across lines strict",
     {"A", "B", "C"},
     Strict(Limits(8192, 2, 32, 4096)),
     std::nullopt,
     ChallengeError::kTooManyChallenges,
     4},
    {"too many challenges across lines lenient",
     {"A", "B", "C"},
     Lenient(Limits(8192, 2, 32, 4096)),
     std::nullopt,
     ChallengeError::kTooManyChallenges,
     0},
};

class ChallengeHeadersTest : public testing::TestWithParam<HeadersCase> {};

TEST_P(ChallengeHeadersTest, ParsesLinesAsOneListOrEachAlone) {
  const HeadersCase& c = GetParam();
  auto got = ParseChallengeHeaders(c.values, c.options);
  if (c.want) {
    ASSERT_TRUE(got.has_value()) << c.label << ": " << CodeName(got.error().code);
    EXPECT_EQ(*got, *c.want) << c.label;
  } else {
    ASSERT_FALSE(got.has_value()) << c.label;
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ChallengeHeadersTest, testing::ValuesIn(kHeadersCases),
                         testing_support::LabelName());

// RFC 6750 §3 and token.md: realm, service, scope, error from a real registry challenge.
TEST(BearerChallengeView, ReadsRegistryParams) {
  auto r = ParseChallenges(kInsufficientPush);
  ASSERT_TRUE(r.has_value());
  auto b = ToBearerChallenge(r->at(0));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->realm, kRealm);
  EXPECT_EQ(b->service, "test-registry");
  EXPECT_EQ(b->scope, "repository:foo/bar:pull,push");
  EXPECT_EQ(b->error, "insufficient_scope");
  EXPECT_EQ(b->error_description, std::nullopt);
  EXPECT_EQ(b->ScopeList(), std::vector<std::string>{"repository:foo/bar:pull,push"});
  EXPECT_EQ(FromBearerChallenge(*b), r->at(0));
}

// token-auth.md §1.2: several resource scopes are joined by a single space in one param.
TEST(BearerChallengeView, SplitsScopeOnSingleSpaces) {
  auto r = ParseChallenges(kMount);
  ASSERT_TRUE(r.has_value());
  auto b = ToBearerChallenge(r->at(0));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->ScopeList(), (std::vector<std::string>{"repository:foo/bar:pull,push",
                                                      "repository:other/repo:pull"}));
  BearerChallenge odd;
  odd.scope = " a  b ";
  EXPECT_EQ(odd.ScopeList(), (std::vector<std::string>{"", "a", "", "b", ""}));
  odd.scope = "";
  EXPECT_TRUE(odd.ScopeList().empty());
  odd.scope.reset();
  EXPECT_TRUE(odd.ScopeList().empty());
}

// RFC 6750 §3: the optional error_description and error_uri are carried through.
TEST(BearerChallengeView, ReadsErrorDescriptionAndUri) {
  auto r = ParseChallenges(
      R"(Bearer realm="r", error="invalid_token", error_description="expired", error_uri="u")");
  ASSERT_TRUE(r.has_value());
  auto b = ToBearerChallenge(r->at(0));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->error_description, "expired");
  EXPECT_EQ(b->error_uri, "u");
  EXPECT_EQ(b->service, std::nullopt);
}

struct BearerErrorCase {
  const char* label;
  std::string input;
  ChallengeError want_code;
};
REGAUTH_PRINT_LABEL(BearerErrorCase)

const BearerErrorCase kBearerErrorCases[] = {
    {"basic is not bearer", R"(Basic realm="x")", ChallengeError::kNotBearer},
    {"token68 form", "Bearer abc==", ChallengeError::kUnexpectedToken68},
    {"no realm", R"(Bearer service="x")", ChallengeError::kMissingRealm},
    {"scheme alone", "Bearer", ChallengeError::kMissingRealm},
};

class BearerErrorTest : public testing::TestWithParam<BearerErrorCase> {};

// RFC 6750 §3: a Bearer challenge uses auth-params and (for the token flow) needs realm.
TEST_P(BearerErrorTest, RejectsWithExactCode) {
  const BearerErrorCase& c = GetParam();
  auto r = ParseChallenges(c.input);
  ASSERT_TRUE(r.has_value()) << c.label;
  auto b = ToBearerChallenge(r->at(0));
  ASSERT_FALSE(b.has_value()) << c.label;
  EXPECT_EQ(CodeName(b.error().code), CodeName(c.want_code)) << c.label;
  EXPECT_EQ(b.error().offset, 0u) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, BearerErrorTest, testing::ValuesIn(kBearerErrorCases),
                         testing_support::LabelName());

// Every code has a distinct snake_case name.
TEST(ChallengeError, CodeNamesAreDistinct) {
  std::vector<std::string_view> names;
  for (int i = static_cast<int>(ChallengeError::kEmpty);
       i <= static_cast<int>(ChallengeError::kUnexpectedToken68); ++i) {
    const std::string_view n = CodeName(static_cast<ChallengeError>(i));
    EXPECT_NE(n, "unknown") << i;
    for (const std::string_view m : names) EXPECT_NE(n, m);
    names.push_back(n);
  }
}

}  // namespace
}  // namespace regauth::protocol
