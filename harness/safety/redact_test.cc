#include "harness/safety/redact.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "protocol/base64.h"
#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using protocol::Base64Encode;
using protocol::Base64UrlEncode;

const std::string kHeader = Base64UrlEncode(R"({"alg":"RS256","typ":"JWT"})");
const std::string kPayload = Base64UrlEncode(R"({"sub":"alice","access":[]})");
const std::string kSignature = Base64UrlEncode("signature-bytes-for-the-test-token-0123456789");
const std::string kJwt = kHeader + "." + kPayload + "." + kSignature;
const std::string kJwtRedacted = kHeader + "." + kPayload + "." + std::string(kRedactedSignature);
const std::string R(kRedacted);

struct Case {
  const char* label;
  std::string input;
  std::string want;
};
REGAUTH_PRINT_LABEL(Case)

// The secrets every table below runs with.
void AddTestSecrets(Redactor& r) {
  r.AddBasicCredential("alice", "s3cret-pw");
  r.AddSecret("p@ss w0rd!&<x>");
  r.AddSecret("opaque-refresh-1234");
  r.AddSecret("glpat-ABCDEFGH");
}

// ---- free text ----

std::vector<Case> FreeTextCases() {
  return {
      {"no secret", "GET /v2/ 401", "GET /v2/ 401"},
      {"raw secret twice", "a s3cret-pw b s3cret-pw", "a " + R + " b " + R},
      {"secret at both ends", "s3cret-pwxs3cret-pw", R + "x" + R},
      {"percent encoded with plus", "password=p%40ss+w0rd%21%26%3Cx%3E", "password=" + R},
      {"percent encoded with %20 lower hex", "/x/p%40ss%20w0rd%21%26%3cx%3e/y", "/x/" + R + "/y"},
      {"json escaped go html-safe", R"({"p":"p@ss w0rd!\u0026\u003cx\u003e"})",
       "{\"p\":\"" + R + "\"}"},
      {"basic credential base64 in a body", R"({"auth":"YWxpY2U6czNjcmV0LXB3"})",
       "{\"auth\":\"" + R + "\"}"},
      {"registered jwt keeps header and claims", "token=" + kJwt + ";",
       "token=" + kJwtRedacted + ";"},
      {"unregistered jwt loses its signature", "x " + kHeader + ".eyJ4IjoxfQ." + kSignature + "Z",
       "x " + kHeader + ".eyJ4IjoxfQ." + std::string(kRedactedSignature)},
      {"short jwt tail kept", kHeader + "." + kPayload + ".short",
       kHeader + "." + kPayload + ".short"},
      {"eyJ inside a word is not a jwt start", "xeyJhbGc.eyJz.0123456789abcdefghij",
       "xeyJhbGc.eyJz.0123456789abcdefghij"},
      {"non-utf8 bytes pass through", "\xff\xfe glpat-ABCDEFGH \xc3", "\xff\xfe " + R + " \xc3"},
  };
}

class RedactFreeTextTest : public testing::TestWithParam<Case> {};

TEST_P(RedactFreeTextTest, ReplacesEverySpellingOfEverySecret) {
  const Case& c = GetParam();
  Redactor r;
  AddTestSecrets(r);
  r.AddSecret(kJwt);
  EXPECT_EQ(r.Redact(c.input), c.want) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, RedactFreeTextTest, testing::ValuesIn(FreeTextCases()),
                         testing_support::LabelName());

// Overlapping and nested secrets merge into one marker: no fragment survives beside it.
// Adjacent (touching) secrets give adjacent markers.
TEST(Redactor, OverlappingAndNestedSecretsBecomeOneMarker) {
  Redactor r;
  r.AddSecret("abcd1234");
  r.AddSecret("1234wxyz");
  r.AddSecret("password-long");
  r.AddSecret("pass");  // a substring of another secret
  EXPECT_EQ(r.Redact("[abcd1234wxyz]"), "[" + R + "]");
  EXPECT_EQ(r.Redact("[password-long]"), "[" + R + "]");
  EXPECT_EQ(r.Redact("[pass]"), "[" + R + "]");
  EXPECT_EQ(r.Redact("[passpassword-long]"), "[" + R + R + "]");  // adjacent, not overlapping
}

// Empty secrets are ignored; secrets under kMinSecretLength are counted, not substring-matched.
TEST(Redactor, IgnoresEmptyAndShortSecretsForSubstringMatching) {
  Redactor r;
  r.AddSecret("");
  EXPECT_EQ(r.pattern_count(), 0u);
  EXPECT_EQ(r.ignored_short_secrets(), 0u);
  r.AddSecret("abc");
  EXPECT_EQ(r.pattern_count(), 0u);
  EXPECT_EQ(r.ignored_short_secrets(), 1u);
  EXPECT_EQ(r.Redact("abcdef"), "abcdef");
  // ...but structure still hides a short password.
  EXPECT_EQ(r.RedactAuthorizationHeader("Basic " + Base64Encode("bob:abc")),
            "Basic «redacted user=bob»");
  EXPECT_EQ(r.RedactForm("username=bob&password=abc"), "username=bob&password=" + R);
  r.AddSecret("abcd");
  EXPECT_EQ(r.Redact("xabcdx"), "x" + R + "x");
}

// Adding the same secret twice adds no pattern; a JWT registers its signature only.
TEST(Redactor, DeduplicatesPatternsAndRegistersJwtBySignature) {
  Redactor r;
  r.AddSecret(kJwt);
  EXPECT_EQ(r.pattern_count(), 1u);
  r.AddSecret(kJwt);
  EXPECT_EQ(r.pattern_count(), 1u);
  RedactorOptions no_net;
  no_net.mask_unknown_jwt_signatures = false;
  Redactor plain(no_net);
  plain.AddSecret(kJwt);
  EXPECT_EQ(plain.Redact(kJwt), kJwtRedacted);
}

// With the safety net off, an unregistered JWT (e.g. a forged test token) is shown whole.
TEST(Redactor, UnknownJwtSignatureNetCanBeTurnedOff) {
  RedactorOptions o;
  o.mask_unknown_jwt_signatures = false;
  Redactor r(o);
  EXPECT_EQ(r.Redact(kJwt), kJwt);
  Redactor on;
  EXPECT_EQ(on.Redact(kJwt), kJwtRedacted);
}

// A token the suite forged (AddPublicToken) is kept whole wherever it occurs — as a Bearer
// credential, a JSON token member or free text — so a replay can send it again (issue 9, item
// 2); an issued token next to it keeps its signature masked.
TEST(Redactor, PublicTokenIsKeptWhole) {
  const std::string forged = kJwt;
  const std::string issued =
      "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpc3N1ZWQifQ.c2lnbmF0dXJlLW9mLXRoZS10YXJnZXQ";
  const std::string issued_redacted =
      "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpc3N1ZWQifQ." + std::string(kRedactedSignature);
  Redactor r;
  r.AddSecret(issued);
  r.AddPublicToken(forged);
  EXPECT_EQ(r.RedactAuthorizationHeader("Bearer " + forged), "Bearer " + forged);
  EXPECT_EQ(r.RedactJsonTokenFields(R"({"token":")" + forged + R"("})"),
            R"({"token":")" + forged + R"("})");
  EXPECT_EQ(r.Redact(forged + " " + issued), forged + " " + issued_redacted);
  EXPECT_EQ(r.RedactAuthorizationHeader("Bearer " + issued), "Bearer " + issued_redacted);
  // An alg-none token (empty signature) is kept too; before, it was registered as a secret and
  // vanished into one «redacted».
  const std::string none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
  r.AddPublicToken(none);
  EXPECT_EQ(r.RedactAuthorizationHeader("Bearer " + none), "Bearer " + none);
  // A registered secret inside a public token is still replaced.
  Redactor s;
  s.AddSecret("glpat-inside-secret");
  const std::string carrying = "Bearer xglpat-inside-secretx";
  s.AddPublicToken("xglpat-inside-secretx");
  EXPECT_EQ(s.RedactAuthorizationHeader(carrying), "Bearer x" + R + "x");
}

// ---- Authorization ----

std::vector<Case> AuthorizationCases() {
  return {
      {"basic shows user only", "Basic " + Base64Encode("alice:s3cret-pw"),
       "Basic «redacted user=alice»"},
      {"basic scheme spelling and spaces kept", "bAsIc  " + Base64Encode("alice:other"),
       "bAsIc  «redacted user=alice»"},
      {"basic password with colons", "Basic " + Base64Encode("alice:a:b:c"),
       "Basic «redacted user=alice»"},
      {"basic unpadded decodes leniently", "Basic " + Base64Encode("al:xy", {}, false),
       "Basic «redacted user=al»"},
      {"basic undecodable", "Basic !!!notbase64", "Basic " + R},
      {"basic without colon", "Basic " + Base64Encode("justatoken"), "Basic " + R},
      {"basic user escaped", "Basic " + Base64Encode("a\x01\xffz\\:pw"),
       "Basic «redacted user=a\\x01\\xffz\\x5c»"},
      {"basic user that is a secret", "Basic " + Base64Encode("glpat-ABCDEFGH:x"),
       "Basic «redacted user=" + R + "»"},
      {"basic long user truncated", "Basic " + Base64Encode(std::string(100, 'u') + ":p"),
       "Basic «redacted user=" + std::string(64, 'u') + "…»"},
      {"basic empty user", "Basic " + Base64Encode(":pw"), "Basic «redacted user=»"},
      {"bearer jwt keeps header and claims", "Bearer " + kJwt, "Bearer " + kJwtRedacted},
      {"bearer tab separator kept", "Bearer\t" + kJwt, "Bearer\t" + kJwtRedacted},
      {"bearer unsigned jwt unchanged", "Bearer " + kHeader + "." + kPayload + ".",
       "Bearer " + kHeader + "." + kPayload + "."},
      {"bearer opaque", "Bearer opaque-token-value", "Bearer " + R},
      {"bearer dots but no json header", "Bearer abcd.efgh.ijkl", "Bearer " + R},
      {"bearer jwt with trailing space", "Bearer " + kJwt + " ", "Bearer " + R},
      {"other scheme", "Token xyz", "Token " + R},
      {"scheme alone", "Bearer", "Bearer"},
      {"scheme and spaces", "Bearer   ", "Bearer   "},
      {"lone credential", "s3cr3t-value", R},
      {"empty", "", ""},
  };
}

class RedactAuthorizationTest : public testing::TestWithParam<Case> {};

// suite-anchors.md §E.6: transcripts keep Authorization evidence without the credential.
TEST_P(RedactAuthorizationTest, KeepsEvidenceAndHidesCredential) {
  const Case& c = GetParam();
  Redactor r;
  AddTestSecrets(r);
  EXPECT_EQ(r.RedactAuthorizationHeader(c.input), c.want) << c.label;
  EXPECT_EQ(r.RedactHeaderValue("authorization", c.input), c.want) << c.label;
  EXPECT_EQ(r.RedactHeaderValue("Proxy-Authorization", c.input), c.want) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, RedactAuthorizationTest, testing::ValuesIn(AuthorizationCases()),
                         testing_support::LabelName());

// ---- JSON bodies ----

std::vector<Case> JsonCases() {
  return {
      {"token response",
       R"({"token":")" + kJwt + R"(","access_token":")" + kJwt +
           R"(","expires_in":300,"refresh_token":"rt-1"})",
       R"({"token":")" + kJwtRedacted + R"(","access_token":")" + kJwtRedacted +
           R"(","expires_in":300,"refresh_token":")" + R + "\"}"},
      {"opaque token", R"({"token": "abc"})", "{\"token\": \"" + R + "\"}"},
      {"whitespace around colon", "{\"access_token\" \n:\t\"abc\"}",
       "{\"access_token\" \n:\t\"" + R + "\"}"},
      {"nested member", R"({"a":{"b":[{"refresh_token":"x"}]}})",
       R"({"a":{"b":[{"refresh_token":")" + R + "\"}]}}"},
      {"duplicate keys both masked", R"({"token":"a1","token":"b2"})",
       "{\"token\":\"" + R + "\",\"token\":\"" + R + "\"}"},
      {"escaped member name", R"({"tok\u0065n":"zz"})", "{\"tok\\u0065n\":\"" + R + "\"}"},
      {"member name case-insensitive", R"({"Access_Token":"zz"})",
       "{\"Access_Token\":\"" + R + "\"}"},
      {"escaped value masked whole", R"({"token":"a\"b"})", "{\"token\":\"" + R + "\"}"},
      {"non-string value unchanged", R"({"token":123,"refresh_token":null})",
       R"({"token":123,"refresh_token":null})"},
      {"empty value unchanged", R"({"token":""})", R"({"token":""})"},
      {"string that is not a key", R"(["token","refresh_token"])", R"(["token","refresh_token"])"},
      {"value of another key", R"({"scope":"token"})", R"({"scope":"token"})"},
      {"unterminated document", R"({"refresh_token":"abcdef)", "{\"refresh_token\":\"" + R},
      {"docker config auth shows user",
       R"({"auths":{"r:5000":{"auth":")" + Base64Encode("bob:pw-1") + "\"}}}",
       R"({"auths":{"r:5000":{"auth":"«redacted user=bob»"}}})"},
      {"identitytoken and password", R"({"identitytoken":"it","password":"pw"})",
       "{\"identitytoken\":\"" + R + "\",\"password\":\"" + R + "\"}"},
      {"known secret elsewhere", R"({"errors":[{"message":"bad opaque-refresh-1234"}]})",
       R"({"errors":[{"message":"bad )" + R + "\"}]}"},
  };
}

class RedactJsonTest : public testing::TestWithParam<Case> {};

// token.md §1.4: token/access_token are JWTs here, refresh_token is opaque and whole-secret.
TEST_P(RedactJsonTest, MasksTokenFieldsAndKeepsTheRestByteForByte) {
  const Case& c = GetParam();
  Redactor r;
  AddTestSecrets(r);
  EXPECT_EQ(r.RedactJsonTokenFields(c.input), c.want) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, RedactJsonTest, testing::ValuesIn(JsonCases()),
                         testing_support::LabelName());

// ---- URLs, forms, other headers ----

std::vector<Case> UrlCases() {
  return {
      {"token endpoint query", "https://gl/jwt/auth?service=reg&scope=repository:a:pull",
       "https://gl/jwt/auth?service=reg&scope=repository:a:pull"},
      {"private_token param", "https://gl/api?private_token=abc&x=1",
       "https://gl/api?private_token=" + R + "&x=1"},
      {"encoded param name", "http://h/?pass%77ord=abc", "http://h/?pass%77ord=" + R},
      {"empty sensitive value kept", "http://h/?token=&a=b", "http://h/?token=&a=b"},
      {"fragment not a query", "http://h/p?refresh_token=x#frag",
       "http://h/p?refresh_token=" + R + "#frag"},
      {"userinfo password", "https://alice:pw@reg:5000/v2/",
       "https://alice:" + R + "@reg:5000/v2/"},
      {"userinfo without password", "https://alice@reg/v2/", "https://alice@reg/v2/"},
      {"secret in path", "http://h/v2/glpat-ABCDEFGH/x", "http://h/v2/" + R + "/x"},
      {"encoded secret in query value", "http://h/?q=p%40ss+w0rd%21%26%3Cx%3E", "http://h/?q=" + R},
  };
}

class RedactUrlTest : public testing::TestWithParam<Case> {};

TEST_P(RedactUrlTest, MasksSensitiveParametersUserinfoAndSecrets) {
  const Case& c = GetParam();
  Redactor r;
  AddTestSecrets(r);
  EXPECT_EQ(r.RedactUrl(c.input), c.want) << c.label;
  EXPECT_EQ(r.RedactHeaderValue("Location", c.input), c.want) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, RedactUrlTest, testing::ValuesIn(UrlCases()),
                         testing_support::LabelName());

// oauth.md (token-auth.md §1.5): a password grant form carries the password in the body.
TEST(Redactor, RedactsPasswordGrantForm) {
  Redactor r;
  const std::string form =
      "grant_type=password&username=alice&password=hunter22&client_id=docker&"
      "refresh_token=rt&scope=repository%3Aa%3Apull";
  const std::string want = "grant_type=password&username=alice&password=" + R +
                           "&client_id=docker&refresh_token=" + R + "&scope=repository%3Aa%3Apull";
  EXPECT_EQ(r.RedactForm(form), want);
  EXPECT_EQ(r.RedactBody("application/x-www-form-urlencoded; charset=utf-8", form), want);
}

TEST(Redactor, RedactBodyPicksByMediaType) {
  Redactor r;
  EXPECT_EQ(r.RedactBody("application/json", R"({"token":"x"})"), "{\"token\":\"" + R + "\"}");
  EXPECT_EQ(r.RedactBody("", R"( {"token":"x"})"), " {\"token\":\"" + R + "\"}");
  EXPECT_EQ(r.RedactBody("text/plain", "token=x"), "token=x");
  EXPECT_EQ(r.RedactBody("text/plain", R"({"token":"x"})"), "{\"token\":\"" + R + "\"}");
}

TEST(Redactor, RedactsCookieValuesAndKeepsAttributes) {
  Redactor r;
  EXPECT_EQ(r.RedactHeaderValue("Cookie", "a=1; session=abc"), "a=" + R + "; session=" + R);
  EXPECT_EQ(r.RedactHeaderValue("Set-Cookie", "sid=abc; Path=/; HttpOnly"),
            "sid=" + R + "; Path=/; HttpOnly");
  // Challenges carry no secrets: kept as they are.
  EXPECT_EQ(r.RedactHeaderValue("WWW-Authenticate", "Bearer realm=\"https://a/token\""),
            "Bearer realm=\"https://a/token\"");
}

// Invariant: whatever the surrounding bytes, no registered secret survives in the output.
TEST(Redactor, NoRegisteredSecretSurvivesRandomText) {
  const std::vector<std::string> secrets = {"s3cret-pw",  "pw12",        "0123456789",
                                            "2345678901", "zZ9!zZ9!zZ9", "a\"b\\c\nd"};
  Redactor r;
  for (const std::string& s : secrets) r.AddSecret(s);
  std::mt19937 rng(12345);
  const std::string alphabet = "0123456789pwsz!Z9\"\\\n-. ";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int parts = static_cast<int>(rng() % 8);
    for (int p = 0; p < parts; ++p) {
      if (rng() % 2 == 0) {
        text += secrets[rng() % secrets.size()];
      } else {
        for (int k = static_cast<int>(rng() % 6); k > 0; --k) {
          text.push_back(alphabet[rng() % alphabet.size()]);
        }
      }
    }
    for (const std::string& out : {r.Redact(text), r.RedactJsonTokenFields(text), r.RedactUrl(text),
                                   r.RedactAuthorizationHeader(text)}) {
      for (const std::string& s : secrets) {
        ASSERT_EQ(out.find(s), std::string::npos) << "secret " << s << " in: " << out;
      }
    }
  }
}

// Redaction runs on many case threads while new tokens are registered.
TEST(Redactor, IsThreadSafe) {
  Redactor r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string secret = "tok-" + std::to_string(t) + "-" + std::to_string(i);
        r.AddSecret(secret);
        EXPECT_EQ(r.Redact("x " + secret + " y"), "x " + R + " y");
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_GE(r.pattern_count(), 800u);
}

}  // namespace
}  // namespace regauth::harness
