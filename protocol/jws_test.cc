#include "protocol/jws.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "protocol/base64.h"
#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

std::string TestData(const std::string& name) {
  std::ifstream in(std::string(REGAUTH_SOURCE_DIR) + "/protocol/testdata/" + name,
                   std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Key PrivateKey(const std::string& name) {
  auto key = LoadPrivateKeyPem(TestData(name + ".key.pem"));
  EXPECT_TRUE(key.has_value()) << name;
  return key ? *key : Key();
}

std::string B64(std::string_view s) { return Base64UrlEncode(s); }

// RFC 7518 §3.1: names are case-sensitive; wrong-case "none" spellings are not "none".
TEST(AlgFromName, IsExactAndCaseSensitive) {
  EXPECT_EQ(AlgFromName("none"), Alg::kNone);
  EXPECT_EQ(AlgFromName("RS256"), Alg::kRS256);
  EXPECT_EQ(AlgFromName("EdDSA"), Alg::kEdDSA);
  for (const char* name : {"None", "NONE", "nOnE", "rs256", "Rs256", "RS256 ", "", "HS1", "ES256K",
                           "EDDSA", "Ed25519"}) {
    EXPECT_EQ(AlgFromName(name), Alg::kUnknown) << name;
  }
  for (Alg a : {Alg::kNone, Alg::kHS256, Alg::kHS384, Alg::kHS512, Alg::kRS256, Alg::kRS384,
                Alg::kRS512, Alg::kPS256, Alg::kPS384, Alg::kPS512, Alg::kES256, Alg::kES384,
                Alg::kES512, Alg::kEdDSA}) {
    EXPECT_EQ(AlgFromName(AlgName(a)), a) << AlgName(a);
  }
}

struct ParseCase {
  const char* label;
  std::string token;
  JwsOptions options;
  std::optional<JwsError> want_code;  // nullopt: parses
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(ParseCase)

const std::string kPayload = B64(R"({"sub":"x"})");
// 22 bytes: its base64url form (30 characters) takes "==" padding.
constexpr std::string_view kPaddable = R"({"alg":"RS256","x":10})";
std::string Tok(std::string_view header_json, std::string sig = "c2ln") {
  return B64(header_json) + "." + kPayload + "." + sig;
}
JwsOptions V28() {
  JwsOptions o;
  o.base64 = JwsBase64::kDistributionV28;
  o.allow_duplicate_members = true;
  o.go_struct_decoding = true;
  return o;
}
JwsOptions Limits(std::size_t token) {
  JwsOptions o;
  o.limits.max_token_bytes = token;
  return o;
}

// RFC 7515 §7.1 compact serialization, strict by default; every failure has its code/offset.
const ParseCase kParseCases[] = {
    {"minimal", Tok(R"({"alg":"RS256"})"), {}, std::nullopt},
    {"empty signature accepted at parse", Tok(R"({"alg":"none"})", ""), {}, std::nullopt},
    {"unknown members ignored", Tok(R"({"alg":"ES256","foo":[1,{"a":null}]})"), {}, std::nullopt},
    // Segment structure (go-jose CVE-2025-27144: counted without splitting).
    {"empty token", "", {}, JwsError::kSegmentCount, 0},
    {"no dot", "abc", {}, JwsError::kSegmentCount, 3},
    {"one dot", "abc.def", {}, JwsError::kSegmentCount, 7},
    {"four segments", "a.b.c.d", {}, JwsError::kSegmentCount, 5},
    {"only dots", "....", {}, JwsError::kSegmentCount, 2},
    {"stripped signature h.p",
     B64(R"({"alg":"RS256"})") + "." + kPayload,
     {},
     JwsError::kSegmentCount,
     20 + 1 + kPayload.size()},
    {"empty header", "." + kPayload + ".c2ln", {}, JwsError::kEmptySegment, 0},
    {"empty payload", B64(R"({"alg":"RS256"})") + "..c2ln", {}, JwsError::kEmptySegment, 21},
    // Base64url (RFC 7515 §2): no padding, URL alphabet, canonical.
    {"padded header",
     B64(kPaddable) + "==." + kPayload + ".c2ln",
     {},
     JwsError::kBadBase64Header,
     30},
    {"plus in payload",
     B64(R"({"alg":"RS256"})") + ".eyJ+." + "c2ln",
     {},
     JwsError::kBadBase64Payload,
     24},
    {"space in signature",
     Tok(R"({"alg":"RS256"})", "c2 l"),
     {},
     JwsError::kBadBase64Signature,
     20 + 1 + kPayload.size() + 1 + 2},
    {"non-canonical bits",
     Tok(R"({"alg":"RS256"})", "c2m"),
     {},
     JwsError::kBadBase64Signature,
     20 + 1 + kPayload.size() + 1 + 2},
    {"v28 non-canonical bits", Tok(R"({"alg":"RS256"})", "c2m"), V28(), std::nullopt},
    // Header JSON.
    {"header not json", Tok("{alg}"), {}, JwsError::kHeaderNotJson, 0},
    {"header array", Tok(R"(["alg"])"), {}, JwsError::kHeaderNotObject, 0},
    {"header trailing garbage", Tok(R"({"alg":"RS256"}x)"), {}, JwsError::kHeaderNotJson, 20},
    {"duplicate alg",
     Tok(R"({"alg":"RS256","alg":"none"})"),
     {},
     JwsError::kDuplicateHeaderMember,
     24},
    {"missing alg", Tok(R"({"typ":"JWT"})"), {}, JwsError::kMissingAlg, 0},
    {"alg number", Tok(R"({"alg":256})"), {}, JwsError::kBadHeaderMemberType, 0},
    {"alg null", Tok(R"({"alg":null})"), {}, JwsError::kBadHeaderMemberType, 0},
    {"kid number", Tok(R"({"alg":"RS256","kid":1})"), {}, JwsError::kBadHeaderMemberType, 0},
    {"typ null", Tok(R"({"alg":"RS256","typ":null})"), {}, JwsError::kBadHeaderMemberType, 0},
    {"x5c string", Tok(R"({"alg":"RS256","x5c":"MIIB"})"), {}, JwsError::kBadHeaderMemberType, 0},
    {"x5c element number",
     Tok(R"({"alg":"RS256","x5c":[1]})"),
     {},
     JwsError::kBadHeaderMemberType,
     0},
    {"jwk string", Tok(R"({"alg":"RS256","jwk":"k"})"), {}, JwsError::kBadHeaderMemberType, 0},
    {"jku number", Tok(R"({"alg":"RS256","jku":1})"), {}, JwsError::kBadHeaderMemberType, 0},
    // RFC 7515 §4.1.11: crit is a non-empty array of strings; any listed name is unsupported.
    {"crit exp",
     Tok(R"({"alg":"RS256","crit":["exp"],"exp":1})"),
     {},
     JwsError::kUnsupportedCrit,
     0},
    {"crit b64",
     Tok(R"({"alg":"RS256","crit":["b64"],"b64":false})"),
     {},
     JwsError::kUnsupportedCrit,
     0},
    {"crit empty", Tok(R"({"alg":"RS256","crit":[]})"), {}, JwsError::kBadHeaderMemberType, 0},
    {"crit string", Tok(R"({"alg":"RS256","crit":"exp"})"), {}, JwsError::kBadHeaderMemberType, 0},
    // Limits.
    {"token over limit", Tok(R"({"alg":"RS256"})"), Limits(10), JwsError::kTooLarge, 10},
    {"x5c over count limit",
     Tok(R"({"alg":"RS256","x5c":["a","b","c","d","e","f","g","h","i","j","k"]})"),
     {},
     JwsError::kTooLarge,
     0},
    {"header nested too deep",
     Tok(R"({"alg":"RS256","a":)" + std::string(20, '[') + std::string(20, ']') + "}"),
     {},
     JwsError::kHeaderNotJson,
     44},
    // Tolerances (distribution v2.8, suite-anchors.md §C1 and token-auth.md §2.3).
    {"v28 padded header", B64(kPaddable) + "==." + kPayload + ".c2ln", V28(), std::nullopt},
    {"v28 one pad then auto pad", B64(kPaddable) + "=." + kPayload + ".c2ln", V28(), std::nullopt},
    {"v28 three pads", B64(kPaddable) + "===." + kPayload + ".c2ln", V28(),
     JwsError::kBadBase64Header, 33},
    {"v28 duplicate alg last wins", Tok(R"({"alg":"RS256","alg":"none"})"), V28(), std::nullopt},
    {"v28 missing alg", Tok(R"({"typ":"JWT"})"), V28(), std::nullopt},
    {"v28 crit ignored", Tok(R"({"alg":"RS256","crit":["exp"]})"), V28(), std::nullopt},
    {"v28 jwk any value", Tok(R"({"alg":"RS256","jwk":"k"})"), V28(), std::nullopt},
    {"v28 null header is empty", Tok("null"), V28(), std::nullopt},
    {"null header", Tok("null"), {}, JwsError::kHeaderNotObject, 0},
    {"v28 array header", Tok("[]"), V28(), JwsError::kHeaderNotObject, 0},
    {"v28 kid still typed", Tok(R"({"alg":"RS256","kid":1})"), V28(),
     JwsError::kBadHeaderMemberType, 0},
    {"v28 x5c still typed", Tok(R"({"alg":"RS256","x5c":"a"})"), V28(),
     JwsError::kBadHeaderMemberType, 0},
    {"v28 plus still rejected", B64(R"({"alg":"RS256"})") + ".eyJ+." + "c2ln", V28(),
     JwsError::kBadBase64Payload, 24},
};

class ParseCompactJwsTest : public testing::TestWithParam<ParseCase> {};

TEST_P(ParseCompactJwsTest, ParsesOrFailsWithExactCodeAndOffset) {
  const ParseCase& c = GetParam();
  auto jws = ParseCompactJws(c.token, c.options);
  if (!c.want_code) {
    ASSERT_TRUE(jws.has_value()) << CodeName(jws.error().code) << " at " << jws.error().offset;
  } else {
    ASSERT_FALSE(jws.has_value());
    EXPECT_EQ(CodeName(jws.error().code), CodeName(*c.want_code));
    EXPECT_EQ(jws.error().offset, c.want_offset);
    EXPECT_LE(jws.error().offset, c.token.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ParseCompactJwsTest, testing::ValuesIn(kParseCases),
                         testing_support::LabelName());

// The parsed fields: decoded bytes, signing input as received, header members.
TEST(ParseCompactJws, ReturnsDecodedPartsAndHeaderMembers) {
  const std::string header =
      R"({"alg":"ES256","typ":"JWT","kid":"k1","jku":"http://127.0.0.1/jwks","x5u":"u",)"
      R"("cty":"c","x5c":["MIIB","MIIC"],"jwk":{"kty":"EC"}})";
  const std::string token = EncodeCompact(header, R"({"sub":"x"})", "sig");
  auto jws = ParseCompactJws(token);
  ASSERT_TRUE(jws.has_value()) << CodeName(jws.error().code);
  EXPECT_EQ(jws->header.alg, Alg::kES256);
  EXPECT_EQ(jws->header.alg_name, "ES256");
  EXPECT_EQ(jws->header.typ, "JWT");
  EXPECT_EQ(jws->header.kid, "k1");
  // jku/x5u are returned as data only; nothing here fetches them.
  EXPECT_EQ(jws->header.jku, "http://127.0.0.1/jwks");
  EXPECT_EQ(jws->header.x5u, "u");
  EXPECT_EQ(jws->header.cty, "c");
  EXPECT_EQ(jws->header.x5c, (std::vector<std::string>{"MIIB", "MIIC"}));
  EXPECT_EQ(jws->header.jwk, (nlohmann::json{{"kty", "EC"}}));
  EXPECT_EQ(jws->header_text, header);
  EXPECT_EQ(jws->payload, R"({"sub":"x"})");
  EXPECT_EQ(jws->signature, "sig");
  EXPECT_EQ(jws->signing_input, token.substr(0, token.rfind('.')));
}

// Go decoding: the last duplicate wins, null is the zero value (measured dup-alg behaviour).
TEST(ParseCompactJws, GoStructDecodingSemantics) {
  auto jws = ParseCompactJws(Tok(R"({"alg":"RS256","kid":null,"alg":"none","x5c":[null]})"), V28());
  ASSERT_TRUE(jws.has_value());
  EXPECT_EQ(jws->header.alg, Alg::kNone);
  EXPECT_EQ(jws->header.kid, std::nullopt);
  EXPECT_EQ(jws->header.x5c, std::vector<std::string>{""});
  auto no_alg = ParseCompactJws(Tok(R"({"typ":"JWT"})"), V28());
  ASSERT_TRUE(no_alg.has_value());
  EXPECT_EQ(no_alg->header.alg_name, "");
  EXPECT_EQ(no_alg->header.alg, Alg::kUnknown);
}

// go-jose CVE-2025-27144: a megabyte of dots is rejected by counting, at the third dot.
TEST(ParseCompactJws, MegabyteOfDotsFailsFast) {
  const std::string dots(1 << 20, '.');
  auto strict = ParseCompactJws(dots);
  ASSERT_FALSE(strict.has_value());
  EXPECT_EQ(strict.error().code, JwsError::kTooLarge);
  JwsOptions big;
  big.limits.max_token_bytes = 2 << 20;
  auto counted = ParseCompactJws(dots, big);
  ASSERT_FALSE(counted.has_value());
  EXPECT_EQ(counted.error().code, JwsError::kSegmentCount);
  EXPECT_EQ(counted.error().offset, 2u);
}

// EncodeCompact uses its texts verbatim (for forgeries) and re-parses to the same parts.
TEST(EncodeCompact, BuildsVerbatimSegments) {
  EXPECT_EQ(EncodeCompact("{}", "{}", ""), "e30.e30.");
  const std::string token = EncodeCompact(R"({"alg":"none","alg":"none"})", "not json", "\x01");
  EXPECT_EQ(ParseCompactJws(token).error().code, JwsError::kDuplicateHeaderMember);
  auto lenient = ParseCompactJws(token, V28());
  ASSERT_TRUE(lenient.has_value());
  EXPECT_EQ(lenient->payload, "not json");
  EXPECT_EQ(lenient->signature, "\x01");
}

struct RoundTripCase {
  const char* label;
  Alg alg;
  const char* key;
  std::size_t signature_size;  // 0: modulus size
};
REGAUTH_PRINT_LABEL(RoundTripCase)

const RoundTripCase kRoundTrips[] = {
    {"RS256", Alg::kRS256, "rsa2048", 256}, {"RS384", Alg::kRS384, "rsa2048", 256},
    {"RS512", Alg::kRS512, "rsa2048", 256}, {"PS256", Alg::kPS256, "rsa2048", 256},
    {"PS384", Alg::kPS384, "rsa2048", 256}, {"PS512", Alg::kPS512, "rsa2048", 256},
    {"ES256", Alg::kES256, "ec_p256", 64},  {"ES384", Alg::kES384, "ec_p384", 96},
    {"ES512", Alg::kES512, "ec_p521", 132}, {"EdDSA", Alg::kEdDSA, "ed25519", 64},
};

class SignVerifyTest : public testing::TestWithParam<RoundTripCase> {};

// RFC 7518 §3: every asymmetric alg signs and verifies with the testdata keys; a changed byte
// of input or signature fails.
TEST_P(SignVerifyTest, RoundTripsAndDetectsTampering) {
  const RoundTripCase& c = GetParam();
  const Key key = PrivateKey(c.key);
  auto token = SignCompact({{"typ", "JWT"}, {"kid", "k"}}, {{"sub", "alice"}}, c.alg, key);
  ASSERT_TRUE(token.has_value()) << CodeName(token.error().code);
  auto jws = ParseCompactJws(*token);
  ASSERT_TRUE(jws.has_value());
  EXPECT_EQ(jws->header.alg, c.alg);
  EXPECT_EQ(jws->header.kid, "k");
  EXPECT_EQ(jws->signature.size(), c.signature_size);
  const AlgPolicy all = AlgPolicy::AllAsymmetric();
  EXPECT_TRUE(VerifySignature(*jws, key, all).has_value());
  auto pub = LoadPublicKeyPem(PublicKeyPem(key));
  ASSERT_TRUE(pub.has_value());
  EXPECT_TRUE(VerifySignature(*jws, *pub, all).has_value());

  Jws tampered = *jws;
  tampered.signing_input.back() ^= 1;
  EXPECT_EQ(VerifySignature(tampered, *pub, all).error().code, VerifyError::kBadSignature);
  tampered = *jws;
  tampered.signature[tampered.signature.size() / 2] ^= 0x40;
  EXPECT_EQ(VerifySignature(tampered, *pub, all).error().code, VerifyError::kBadSignature);
  // Another key of the same type does not verify it.
  if (c.alg == Alg::kRS256 || c.alg == Alg::kES256) {
    const Key other = PrivateKey(c.alg == Alg::kRS256 ? "rsa2048_other" : "ec_p256_other");
    EXPECT_EQ(VerifySignature(*jws, other, all).error().code, VerifyError::kBadSignature);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, SignVerifyTest, testing::ValuesIn(kRoundTrips),
                         testing_support::LabelName());

// RFC 7518 §3.4: each ES* alg is bound to one curve; RS*/PS* need RSA; the policy list rules.
TEST(VerifyBytes, EnforcesPolicyAndKeyBinding) {
  const Key p256 = PrivateKey("ec_p256");
  const Key p384 = PrivateKey("ec_p384");
  const Key rsa = PrivateKey("rsa2048");
  const std::string input = "a.b";
  auto es256 = SignBytes(Alg::kES256, p256, input);
  ASSERT_TRUE(es256.has_value());
  const AlgPolicy all = AlgPolicy::AllAsymmetric();
  EXPECT_EQ(VerifyBytes(Alg::kES256, p384, input, *es256, all).error().code,
            VerifyError::kAlgKeyMismatch);
  EXPECT_EQ(VerifyBytes(Alg::kES384, p256, input, *es256, all).error().code,
            VerifyError::kAlgKeyMismatch);
  EXPECT_EQ(VerifyBytes(Alg::kRS256, p256, input, *es256, all).error().code,
            VerifyError::kAlgKeyMismatch);
  EXPECT_EQ(VerifyBytes(Alg::kES256, Key(), input, *es256, all).error().code, VerifyError::kNoKey);
  // distribution v2.8 (libtrust) has no PS* and no EdDSA.
  auto ps256 = SignBytes(Alg::kPS256, rsa, input);
  ASSERT_TRUE(ps256.has_value());
  EXPECT_TRUE(VerifyBytes(Alg::kPS256, rsa, input, *ps256, all).has_value());
  EXPECT_EQ(VerifyBytes(Alg::kPS256, rsa, input, *ps256, AlgPolicy::DistributionV28()).error().code,
            VerifyError::kAlgNotAllowed);
  // A PSS signature is not a PKCS#1 v1.5 signature, and vice versa.
  auto rs256 = SignBytes(Alg::kRS256, rsa, input);
  ASSERT_TRUE(rs256.has_value());
  EXPECT_EQ(VerifyBytes(Alg::kRS256, rsa, input, *ps256, all).error().code,
            VerifyError::kBadSignature);
  EXPECT_EQ(VerifyBytes(Alg::kPS256, rsa, input, *rs256, all).error().code,
            VerifyError::kBadSignature);
  // RSA size floor and signature length.
  AlgPolicy big = all;
  big.min_rsa_bits = 3072;
  EXPECT_EQ(VerifyBytes(Alg::kRS256, rsa, input, *rs256, big).error().code, VerifyError::kWeakKey);
  EXPECT_EQ(VerifyBytes(Alg::kRS256, rsa, input, rs256->substr(1), all).error().code,
            VerifyError::kBadSignatureLength);
  EXPECT_EQ(VerifyBytes(Alg::kEdDSA, PrivateKey("ed25519"), input, std::string(63, 'x'), all)
                .error()
                .code,
            VerifyError::kBadSignatureLength);
}

// RFC 8725 §3.1: none and HS* never verify, whatever the policy lists and whatever the key.
TEST(VerifyBytes, NoneAndHmacNeverVerify) {
  const Key rsa = PrivateKey("rsa2048");
  AlgPolicy reckless{{Alg::kNone, Alg::kHS256, Alg::kHS384, Alg::kHS512, Alg::kUnknown}};
  const std::string input = "a.b";
  const std::string pem = PublicKeyPem(rsa);
  for (Alg alg : {Alg::kHS256, Alg::kHS384, Alg::kHS512}) {
    auto mac = SignHmac(alg, pem, input);  // the algorithm-confusion forgery
    ASSERT_TRUE(mac.has_value());
    EXPECT_EQ(VerifyBytes(alg, rsa, input, *mac, reckless).error().code,
              VerifyError::kAlgNotAllowed);
    EXPECT_EQ(VerifyBytes(alg, rsa, input, *mac, AlgPolicy::AllAsymmetric()).error().code,
              VerifyError::kAlgNotAllowed);
  }
  for (const std::string& sig : {std::string(), std::string("x"), std::string(256, 'x')}) {
    EXPECT_EQ(VerifyBytes(Alg::kNone, rsa, input, sig, reckless).error().code,
              VerifyError::kAlgNotAllowed);
    EXPECT_EQ(VerifyBytes(Alg::kUnknown, rsa, input, sig, reckless).error().code,
              VerifyError::kAlgNotAllowed);
  }
  EXPECT_FALSE(reckless.Allows(Alg::kNone));
  EXPECT_FALSE(reckless.Allows(Alg::kHS256));
}

// CVE-2022-21449: ECDSA with r = 0 or s = 0 fails before any arithmetic; DER is not raw r||s.
TEST(VerifyBytes, EcdsaZeroValuesAndDerAreRejected) {
  const Key p256 = PrivateKey("ec_p256");
  const AlgPolicy all = AlgPolicy::AllAsymmetric();
  const std::string input = "a.b";
  const std::string one(31, '\0');
  EXPECT_EQ(VerifyBytes(Alg::kES256, p256, input, std::string(64, '\0'), all).error().code,
            VerifyError::kZeroSignatureValue);
  EXPECT_EQ(
      VerifyBytes(Alg::kES256, p256, input, std::string(32, '\0') + one + "\x01", all).error().code,
      VerifyError::kZeroSignatureValue);
  EXPECT_EQ(
      VerifyBytes(Alg::kES256, p256, input, one + "\x01" + std::string(32, '\0'), all).error().code,
      VerifyError::kZeroSignatureValue);
  EXPECT_EQ(VerifyBytes(Alg::kES256, p256, input, one + "\x01" + one + "\x01", all).error().code,
            VerifyError::kBadSignature);
  // r, s >= n (all 0xff) is out of range for OpenSSL: a bad signature, not a crash.
  EXPECT_EQ(VerifyBytes(Alg::kES256, p256, input, std::string(64, '\xff'), all).error().code,
            VerifyError::kBadSignature);
  // A DER-encoded ECDSA signature (what OpenSSL produces natively) is not accepted.
  auto raw = SignBytes(Alg::kES256, p256, input);
  ASSERT_TRUE(raw.has_value());
  const std::string der = "\x30\x44\x02\x20" + raw->substr(0, 32) + "\x02\x20" + raw->substr(32);
  EXPECT_EQ(VerifyBytes(Alg::kES256, p256, input, der, all).error().code,
            VerifyError::kBadSignatureLength);
}

// RFC 7515 Appendix A.2: the RS256 example verifies with the example key.
TEST(RfcVectors, Rfc7515AppendixA2Rs256) {
  const nlohmann::json jwk = {
      {"kty", "RSA"},
      {"n",
       "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0"
       "Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXnd"
       "S5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5Ihl"
       "JH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"},
      {"e", "AQAB"}};
  const std::string token =
      "eyJhbGciOiJSUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cn"
      "VlfQ."
      "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2F"
      "p5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQB"
      "MHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeY"
      "I2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
  auto key = KeyFromJwk(jwk);
  ASSERT_TRUE(key.has_value()) << CodeName(key.error().code);
  auto jws = ParseCompactJws(token);
  ASSERT_TRUE(jws.has_value()) << CodeName(jws.error().code);
  EXPECT_EQ(jws->payload,
            "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
  EXPECT_TRUE(VerifySignature(*jws, *key, AlgPolicy::DistributionV28()).has_value());
}

// RFC 7515 Appendix A.3: the ES256 example (raw r||s) verifies with the example key.
TEST(RfcVectors, Rfc7515AppendixA3Es256) {
  const nlohmann::json jwk = {{"kty", "EC"},
                              {"crv", "P-256"},
                              {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                              {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}};
  const std::string token =
      "eyJhbGciOiJFUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cn"
      "VlfQ."
      "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
  auto key = KeyFromJwk(jwk);
  ASSERT_TRUE(key.has_value()) << CodeName(key.error().code);
  auto jws = ParseCompactJws(token);
  ASSERT_TRUE(jws.has_value());
  EXPECT_TRUE(VerifySignature(*jws, *key, AlgPolicy::DistributionV28()).has_value());
}

// RFC 7515 Appendix A.1: SignHmac reproduces the HS256 example signature.
TEST(RfcVectors, Rfc7515AppendixA1Hs256Signing) {
  auto secret = Base64Decode(
      "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
      Base64Options::JoseStrict());
  ASSERT_TRUE(secret.has_value());
  const std::string input =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cn"
      "VlfQ";
  auto mac = SignHmac(Alg::kHS256, *secret, input);
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(B64(*mac), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
}

// Signing refuses what it cannot do, each with its code.
TEST(SignBytes, RejectsWrongAlgKeyAndPublicKeys) {
  const Key rsa = PrivateKey("rsa2048");
  EXPECT_EQ(SignBytes(Alg::kNone, rsa, "x").error().code, SignError::kAlgNotSupported);
  EXPECT_EQ(SignBytes(Alg::kHS256, rsa, "x").error().code, SignError::kAlgNotSupported);
  EXPECT_EQ(SignBytes(Alg::kUnknown, rsa, "x").error().code, SignError::kAlgNotSupported);
  EXPECT_EQ(SignBytes(Alg::kES256, rsa, "x").error().code, SignError::kAlgKeyMismatch);
  EXPECT_EQ(SignBytes(Alg::kES256, PrivateKey("ec_p384"), "x").error().code,
            SignError::kAlgKeyMismatch);
  auto pub = LoadPublicKeyPem(PublicKeyPem(rsa));
  ASSERT_TRUE(pub.has_value());
  EXPECT_EQ(SignBytes(Alg::kRS256, *pub, "x").error().code, SignError::kNotPrivate);
  EXPECT_EQ(SignBytes(Alg::kRS256, Key(), "x").error().code, SignError::kNotPrivate);
  EXPECT_EQ(SignHmac(Alg::kRS256, "k", "x").error().code, SignError::kAlgNotSupported);
  EXPECT_TRUE(SignHmac(Alg::kHS512, "", "x").has_value());
  EXPECT_EQ(SignCompact(nlohmann::json::array(), {{"a", 1}}, Alg::kRS256, rsa).error().code,
            SignError::kBadJson);
  EXPECT_EQ(SignCompact({}, {{"sub", "\xff"}}, Alg::kRS256, rsa).error().code, SignError::kBadJson);
}

// SignCompact sets alg (overriding a caller's), keeps other members, signs with the alg.
TEST(SignCompact, SetsAlgAndSignsTheEncodedInput) {
  const Key key = PrivateKey("ec_p256");
  auto token = SignCompact({{"alg", "none"}, {"typ", "JWT"}}, {{"iss", "i"}}, Alg::kES256, key);
  ASSERT_TRUE(token.has_value());
  auto jws = ParseCompactJws(*token);
  ASSERT_TRUE(jws.has_value());
  EXPECT_EQ(jws->header_text, R"({"alg":"ES256","typ":"JWT"})");
  EXPECT_EQ(jws->payload, R"({"iss":"i"})");
  EXPECT_TRUE(VerifySignature(*jws, key, AlgPolicy::DistributionV28()).has_value());
  auto hs = SignCompactHmac({}, {{"iss", "i"}}, Alg::kHS256, "secret");
  ASSERT_TRUE(hs.has_value());
  EXPECT_EQ(ParseCompactJws(*hs)->header.alg, Alg::kHS256);
}

TEST(Algs, KeyBindingAndDefaults) {
  EXPECT_TRUE(AlgFitsKey(Alg::kES512, KeyType::kEcP521));
  EXPECT_FALSE(AlgFitsKey(Alg::kES512, KeyType::kEcP384));
  EXPECT_FALSE(AlgFitsKey(Alg::kHS256, KeyType::kRsa));
  EXPECT_FALSE(AlgFitsKey(Alg::kNone, KeyType::kRsa));
  EXPECT_EQ(DefaultAlgFor(KeyType::kRsa), Alg::kRS256);
  EXPECT_EQ(DefaultAlgFor(KeyType::kEcP384), Alg::kES384);
  EXPECT_EQ(DefaultAlgFor(KeyType::kEd25519), Alg::kEdDSA);
  EXPECT_FALSE(IsAsymmetric(Alg::kHS256));
  EXPECT_TRUE(IsAsymmetric(Alg::kPS512));
}

}  // namespace
}  // namespace regauth::protocol
