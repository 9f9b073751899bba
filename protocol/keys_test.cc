#include "protocol/keys.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "protocol/base64.h"
#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

// 2023-11-14T22:13:20Z: inside the validity of every "2020…2100" test certificate.
constexpr int64_t kNow = 1700000000;

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

Certificate Cert(const std::string& name) {
  auto certs = LoadCertificatesPem(TestData(name + ".crt.pem"));
  EXPECT_TRUE(certs.has_value()) << name;
  return certs ? certs->front() : Certificate();
}

// token-auth.md §1.6: the doc's example P-256 JWK has this libtrust key ID (verified vector).
TEST(LibtrustKeyId, MatchesDistributionDocVector) {
  const nlohmann::json jwk = {{"kty", "EC"},
                              {"crv", "P-256"},
                              {"x", "m7zUpx3b-zmVE5cymSs64POG9QcyEpJaYCD82-549_Q"},
                              {"y", "dU3biz8sZ_8GPB-odm8Wxz3lNDr1xcAQQPQaOcr1fmc"}};
  auto key = KeyFromJwk(jwk);
  ASSERT_TRUE(key.has_value()) << CodeName(key.error().code);
  EXPECT_EQ(LibtrustKeyId(*key), "PYYO:TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q6");
}

// RFC 7638 §3.1: the RSA example key's thumbprint.
TEST(JwkThumbprint, MatchesRfc7638Example) {
  const nlohmann::json jwk = {
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
       "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
       "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4v"
       "MQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  auto key = KeyFromJwk(jwk);
  ASSERT_TRUE(key.has_value()) << CodeName(key.error().code);
  EXPECT_EQ(JwkThumbprint(*key), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

// Key IDs are fixed functions of the public key: a private key and its public half agree.
TEST(KeyIds, PrivateAndPublicHalvesAgree) {
  for (const char* name : {"rsa2048", "ec_p256", "ec_p384", "ec_p521", "ed25519"}) {
    Key priv = PrivateKey(name);
    auto pub = LoadPublicKeyPem(TestData(std::string(name) + ".pub.pem"));
    ASSERT_TRUE(pub.has_value()) << name;
    EXPECT_EQ(LibtrustKeyId(priv), LibtrustKeyId(*pub)) << name;
    EXPECT_EQ(JwkThumbprint(priv), JwkThumbprint(*pub)) << name;
    EXPECT_EQ(LibtrustKeyId(priv).size(), 59u) << name;  // 12 groups of 4, 11 colons
    EXPECT_EQ(JwkThumbprint(priv).size(), 43u) << name;  // 32 bytes, unpadded base64url
    EXPECT_TRUE(SamePublicKey(priv, *pub)) << name;
  }
}

struct LoadCase {
  const char* label;
  std::string file;
  std::optional<KeyType> want;
  KeyError want_code = {};
};
REGAUTH_PRINT_LABEL(LoadCase)

const LoadCase kPrivateCases[] = {
    {"rsa 2048", "rsa2048.key.pem", KeyType::kRsa},
    {"ec p256", "ec_p256.key.pem", KeyType::kEcP256},
    {"ec p384", "ec_p384.key.pem", KeyType::kEcP384},
    {"ec p521", "ec_p521.key.pem", KeyType::kEcP521},
    {"ed25519", "ed25519.key.pem", KeyType::kEd25519},
    // RFC 7518 §3.3: RSA keys of 2048 bits or larger.
    {"rsa 1024 is weak", "rsa1024.key.pem", std::nullopt, KeyError::kWeakKey},
    // JOSE has no alg for secp256k1 in RFC 7518.
    {"secp256k1 unsupported", "ec_secp256k1.key.pem", std::nullopt, KeyError::kUnsupportedKeyType},
    // An encrypted key fails without a passphrase prompt.
    {"encrypted key", "ec_p256_encrypted.key.pem", std::nullopt, KeyError::kBadPem},
    {"public key is not private", "ec_p256.pub.pem", std::nullopt, KeyError::kBadPem},
    {"certificate is not private", "leaf.crt.pem", std::nullopt, KeyError::kBadPem},
};

class LoadPrivateKeyTest : public testing::TestWithParam<LoadCase> {};

TEST_P(LoadPrivateKeyTest, LoadsSupportedKeysOnly) {
  const LoadCase& c = GetParam();
  auto key = LoadPrivateKeyPem(TestData(c.file));
  if (c.want) {
    ASSERT_TRUE(key.has_value()) << CodeName(key.error().code);
    EXPECT_EQ(TypeOf(*key), c.want);
    EXPECT_TRUE(key->is_private());
  } else {
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(CodeName(key.error().code), CodeName(c.want_code));
  }
}

INSTANTIATE_TEST_SUITE_P(Table, LoadPrivateKeyTest, testing::ValuesIn(kPrivateCases),
                         testing_support::LabelName());

const LoadCase kPublicCases[] = {
    {"spki rsa", "rsa2048.pub.pem", KeyType::kRsa},
    {"spki ed25519", "ed25519.pub.pem", KeyType::kEd25519},
    {"certificate gives its key", "leaf.crt.pem", KeyType::kEcP256},
    {"self-signed rsa cert", "rsa2048.crt.pem", KeyType::kRsa},
    {"private pem refused", "rsa2048.key.pem", std::nullopt, KeyError::kBadPem},
    {"weak public key", "rsa1024.pub.pem", std::nullopt, KeyError::kWeakKey},
    {"secp256k1 public", "ec_secp256k1.pub.pem", std::nullopt, KeyError::kUnsupportedKeyType},
};

class LoadPublicKeyTest : public testing::TestWithParam<LoadCase> {};

TEST_P(LoadPublicKeyTest, AcceptsSpkiAndCertificates) {
  const LoadCase& c = GetParam();
  auto key = LoadPublicKeyPem(TestData(c.file));
  if (c.want) {
    ASSERT_TRUE(key.has_value()) << CodeName(key.error().code);
    EXPECT_EQ(TypeOf(*key), c.want);
    EXPECT_FALSE(key->is_private());
  } else {
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(CodeName(key.error().code), CodeName(c.want_code));
  }
}

INSTANTIATE_TEST_SUITE_P(Table, LoadPublicKeyTest, testing::ValuesIn(kPublicCases),
                         testing_support::LabelName());

// Malformed and oversized PEM text fails with its own code, never crashes.
TEST(LoadPem, RejectsGarbageEmptyAndTooLarge) {
  EXPECT_EQ(LoadPrivateKeyPem("").error().code, KeyError::kBadPem);
  EXPECT_EQ(LoadPublicKeyPem("not pem").error().code, KeyError::kBadPem);
  EXPECT_EQ(
      LoadPublicKeyPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").error().code,
      KeyError::kBadPem);
  EXPECT_EQ(LoadPrivateKeyPem(std::string(kMaxPemBytes + 1, 'A')).error().code,
            KeyError::kTooLarge);
  EXPECT_EQ(LoadCertificatesPem(std::string(kMaxPemBytes + 1, 'A')).error().code,
            KeyError::kTooLarge);
}

// token-auth.md §2.1: a rootcertbundle is every CERTIFICATE block; other blocks are skipped.
TEST(LoadCertificatesPem, ReadsEveryCertificateBlockSkippingOthers) {
  const std::string bundle = "comment line\n" + TestData("rsa2048.crt.pem") +
                             TestData("ec_p256.key.pem") + TestData("ca_root.crt.pem");
  auto certs = LoadCertificatesPem(bundle);
  ASSERT_TRUE(certs.has_value()) << CodeName(certs.error().code);
  ASSERT_EQ(certs->size(), 2u);
  EXPECT_EQ((*certs)[0].SubjectCommonName(), "regauth test token signer");
  EXPECT_EQ((*certs)[1].SubjectCommonName(), "regauth test root CA");
}

TEST(LoadCertificatesPem, FailsWithoutCertificateOrWithBadDer) {
  EXPECT_EQ(LoadCertificatesPem(TestData("ec_p256.key.pem")).error().code,
            KeyError::kNoCertificate);
  EXPECT_EQ(LoadCertificatesPem("").error().code, KeyError::kNoCertificate);
  const std::string bad_der = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(LoadCertificatesPem(bad_der).error().code, KeyError::kBadCertificate);
}

// Go's x509.ParseCertificate rejects trailing data after the DER; so does CertificateFromDer.
TEST(CertificateFromDer, RejectsTrailingBytes) {
  const std::string der = Cert("leaf").Der();
  ASSERT_FALSE(der.empty());
  EXPECT_TRUE(CertificateFromDer(der).has_value());
  EXPECT_EQ(CertificateFromDer(der + "x").error().code, KeyError::kBadCertificate);
  EXPECT_EQ(CertificateFromDer("").error().code, KeyError::kBadCertificate);
}

// Saving and loading a key gives the same key.
TEST(KeyPem, RoundTripsPrivateAndPublic) {
  for (const char* name : {"rsa2048", "ec_p256", "ec_p384", "ec_p521", "ed25519"}) {
    Key key = PrivateKey(name);
    auto again = LoadPrivateKeyPem(PrivateKeyPem(key));
    ASSERT_TRUE(again.has_value()) << name;
    EXPECT_TRUE(SamePublicKey(key, *again)) << name;
    auto pub = LoadPublicKeyPem(PublicKeyPem(key));
    ASSERT_TRUE(pub.has_value()) << name;
    EXPECT_TRUE(SamePublicKey(key, *pub)) << name;
    EXPECT_EQ(PrivateKeyPem(*pub), "") << name;  // public keys have no private PEM
  }
  const Certificate cert = Cert("leaf");
  auto certs = LoadCertificatesPem(CertificatePem(cert));
  ASSERT_TRUE(certs.has_value());
  EXPECT_EQ((*certs)[0].Der(), cert.Der());
}

// Copies share the key (up_ref); a moved-from Key is empty and functions treat it safely.
TEST(KeyHandle, CopiesShareAndMovesEmpty) {
  Key a = PrivateKey("ec_p256");
  Key b = a;
  EXPECT_EQ(a.get(), b.get());
  Key c = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  EXPECT_TRUE(c.valid());
  EXPECT_EQ(LibtrustKeyId(a), "");
  EXPECT_EQ(JwkThumbprint(a), "");
  EXPECT_EQ(TypeOf(a), std::nullopt);
  EXPECT_EQ(PublicJwk(a), nlohmann::json::object());
  EXPECT_FALSE(SamePublicKey(a, c));
}

// RFC 7517/7518: PublicJwk → KeyFromJwk reproduces the key, for every supported type.
TEST(Jwk, RoundTripsEveryKeyType) {
  for (const char* name : {"rsa2048", "ec_p256", "ec_p384", "ec_p521", "ed25519"}) {
    Key key = PrivateKey(name);
    const nlohmann::json jwk = PublicJwk(key, "my-kid");
    EXPECT_FALSE(jwk.contains("d")) << name;
    EXPECT_EQ(jwk["kid"], "my-kid") << name;
    auto back = KeyFromJwk(jwk);
    ASSERT_TRUE(back.has_value()) << name << ": " << CodeName(back.error().code);
    EXPECT_TRUE(SamePublicKey(key, *back)) << name;
    EXPECT_FALSE(back->is_private()) << name;
    EXPECT_EQ(JwkThumbprint(*back), JwkThumbprint(key)) << name;
  }
}

// P-521 coordinates are 66 bytes even when the top byte is zero (RFC 7518 §6.2.1.2).
TEST(Jwk, EcCoordinatesAreFullSize) {
  const nlohmann::json jwk = PublicJwk(PrivateKey("ec_p521"));
  EXPECT_EQ(Base64Decode(jwk["x"].get<std::string>(), Base64Options::JoseStrict())->size(), 66u);
  EXPECT_EQ(Base64Decode(jwk["y"].get<std::string>(), Base64Options::JoseStrict())->size(), 66u);
}

struct JwkCase {
  const char* label;
  nlohmann::json jwk;
  KeyError want_code;
};
REGAUTH_PRINT_LABEL(JwkCase)

// Table data is built during static initialisation, before any test runs: no EXPECT here.
nlohmann::json TableJwk(const std::string& name) {
  auto key = LoadPrivateKeyPem(TestData(name + ".key.pem"));
  return key ? PublicJwk(*key) : nlohmann::json::object();
}
nlohmann::json P256Jwk() { return TableJwk("ec_p256"); }
nlohmann::json RsaJwk() { return TableJwk("rsa2048"); }
nlohmann::json With(nlohmann::json j, const std::string& k, nlohmann::json v) {
  j[k] = std::move(v);
  return j;
}
nlohmann::json Without(nlohmann::json j, const std::string& k) {
  j.erase(k);
  return j;
}
// FlipLastCoordinateBit moves the point off the curve (changes y by one unit in the last byte).
nlohmann::json OffCurve() {
  nlohmann::json j = P256Jwk();
  std::string y = *Base64Decode(j["y"].get<std::string>(), Base64Options::JoseStrict());
  y.back() = static_cast<char>(y.back() ^ 1);
  j["y"] = Base64UrlEncode(y);
  return j;
}

// RFC 7517 §4 / RFC 7518 §6: strict member checks, each failure with its code.
const JwkCase kBadJwks[] = {
    {"not an object", nlohmann::json::array(), KeyError::kBadJwk},
    {"missing kty", Without(P256Jwk(), "kty"), KeyError::kBadJwk},
    {"kty not string", With(P256Jwk(), "kty", 1), KeyError::kBadJwk},
    {"kty wrong case", With(P256Jwk(), "kty", "ec"), KeyError::kUnsupportedKeyType},
    {"kty oct", nlohmann::json{{"kty", "oct"}, {"k", "AAAA"}}, KeyError::kUnsupportedKeyType},
    {"private d present", With(P256Jwk(), "d", "AAAA"), KeyError::kBadJwk},
    {"kid not string", With(P256Jwk(), "kid", 5), KeyError::kBadJwk},
    {"crv missing", Without(P256Jwk(), "crv"), KeyError::kBadJwk},
    {"crv secp256k1", With(P256Jwk(), "crv", "secp256k1"), KeyError::kUnsupportedKeyType},
    {"crv P-384 with P-256 coordinates", With(P256Jwk(), "crv", "P-384"), KeyError::kBadJwk},
    {"x missing", Without(P256Jwk(), "x"), KeyError::kBadJwk},
    {"x not string", With(P256Jwk(), "x", 7), KeyError::kBadJwk},
    {"x padded", With(P256Jwk(), "x", P256Jwk()["x"].get<std::string>() + "="), KeyError::kBadJwk},
    {"x standard alphabet",
     With(P256Jwk(), "x", "+/" + P256Jwk()["x"].get<std::string>().substr(2)), KeyError::kBadJwk},
    {"x short", With(P256Jwk(), "x", Base64UrlEncode(std::string(31, 'A'))), KeyError::kBadJwk},
    {"point off curve", OffCurve(), KeyError::kBadJwk},
    {"point at zero",
     With(With(P256Jwk(), "x", Base64UrlEncode(std::string(32, '\0'))), "y",
          Base64UrlEncode(std::string(32, '\0'))),
     KeyError::kBadJwk},
    {"rsa n leading zero",
     With(RsaJwk(), "n",
          Base64UrlEncode(std::string(1, '\0') + *Base64Decode(RsaJwk()["n"].get<std::string>(),
                                                               Base64Options::JoseStrict()))),
     KeyError::kBadJwk},
    {"rsa e = 1", With(RsaJwk(), "e", "AQ"), KeyError::kBadJwk},
    {"rsa e even", With(RsaJwk(), "e", "AQAA"), KeyError::kBadJwk},
    {"rsa e too long", With(RsaJwk(), "e", Base64UrlEncode(std::string(9, '\x01'))),
     KeyError::kBadJwk},
    {"rsa 1024 bits",
     nlohmann::json{
         {"kty", "RSA"}, {"n", Base64UrlEncode(std::string(128, '\xff'))}, {"e", "AQAB"}},
     KeyError::kWeakKey},
    {"rsa n missing", Without(RsaJwk(), "n"), KeyError::kBadJwk},
    {"okp x25519", nlohmann::json{{"kty", "OKP"}, {"crv", "X25519"}, {"x", "AAAA"}},
     KeyError::kUnsupportedKeyType},
    {"okp short x", nlohmann::json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AAAA"}},
     KeyError::kBadJwk},
};

class BadJwkTest : public testing::TestWithParam<JwkCase> {};

TEST_P(BadJwkTest, RejectedWithExactCode) {
  const JwkCase& c = GetParam();
  auto key = KeyFromJwk(c.jwk);
  ASSERT_FALSE(key.has_value()) << c.jwk.dump();
  EXPECT_EQ(CodeName(key.error().code), CodeName(c.want_code));
}

INSTANTIATE_TEST_SUITE_P(Table, BadJwkTest, testing::ValuesIn(kBadJwks),
                         testing_support::LabelName());

// GenerateKey yields a usable private key of each type (the one RNG-drawing function).
TEST(GenerateKey, MakesEachSupportedType) {
  for (KeyType type :
       {KeyType::kRsa, KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521, KeyType::kEd25519}) {
    auto key = GenerateKey(type);
    ASSERT_TRUE(key.has_value()) << KeyTypeName(type);
    EXPECT_EQ(TypeOf(*key), type);
    EXPECT_TRUE(key->is_private());
  }
}

struct ChainCase {
  const char* label;
  std::string leaf;
  std::vector<std::string> intermediates;
  std::vector<std::string> roots;
  int64_t now;
  std::optional<KeyError> want_code;  // nullopt: trusted
};
REGAUTH_PRINT_LABEL(ChainCase)

// distribution verifies x5c with Go's x509 (ExtKeyUsageAny) at the current time; here the time
// is explicit (token-auth.md §2.4 "Key selection" 1, suite-anchors.md §C3 "x5c chain trust").
const ChainCase kChainCases[] = {
    {"leaf via intermediate", "leaf", {"ca_intermediate"}, {"ca_root"}, kNow, std::nullopt},
    {"intermediate in roots (partial chain)", "leaf", {}, {"ca_intermediate"}, kNow, std::nullopt},
    {"leaf itself trusted", "rsa2048", {}, {"rsa2048"}, kNow, std::nullopt},
    {"missing intermediate", "leaf", {}, {"ca_root"}, kNow, KeyError::kChainUntrusted},
    {"rogue root with same name", "rogue_leaf", {}, {"ca_root"}, kNow, KeyError::kChainUntrusted},
    {"rogue root supplied as intermediate",
     "rogue_leaf",
     {"rogue_root"},
     {"ca_root"},
     kNow,
     KeyError::kChainUntrusted},
    {"no roots", "leaf", {"ca_intermediate"}, {}, kNow, KeyError::kChainUntrusted},
    {"expired leaf",
     "leaf_expired",
     {"ca_intermediate"},
     {"ca_root"},
     kNow,
     KeyError::kCertificateExpired},
    {"future leaf",
     "leaf_future",
     {"ca_intermediate"},
     {"ca_root"},
     kNow,
     KeyError::kCertificateNotYetValid},
    {"before the root's validity",
     "leaf",
     {"ca_intermediate"},
     {"ca_root"},
     1500000000,
     KeyError::kCertificateNotYetValid},
    // notBefore 2020-01-01T00:00:00Z = 1577836800 is inclusive.
    {"at notBefore", "leaf", {"ca_intermediate"}, {"ca_root"}, 1577836800, std::nullopt},
    {"one second before notBefore",
     "leaf",
     {"ca_intermediate"},
     {"ca_root"},
     1577836799,
     KeyError::kCertificateNotYetValid},
    // leaf_expired notAfter 2021-01-01T00:00:00Z = 1609459200.
    {"one second before notAfter",
     "leaf_expired",
     {"ca_intermediate"},
     {"ca_root"},
     1609459199,
     std::nullopt},
    // OpenSSL treats notAfter as exclusive (Go's x509 accepts that very second).
    {"at notAfter",
     "leaf_expired",
     {"ca_intermediate"},
     {"ca_root"},
     1609459200,
     KeyError::kCertificateExpired},
    {"one second after notAfter",
     "leaf_expired",
     {"ca_intermediate"},
     {"ca_root"},
     1609459201,
     KeyError::kCertificateExpired},
};

class ChainTest : public testing::TestWithParam<ChainCase> {};

TEST_P(ChainTest, VerifiesAtTheGivenTime) {
  const ChainCase& c = GetParam();
  std::vector<Certificate> intermediates, roots;
  for (const auto& n : c.intermediates) intermediates.push_back(Cert(n));
  for (const auto& n : c.roots) roots.push_back(Cert(n));
  auto result = VerifyCertificateChain(Cert(c.leaf), intermediates, roots, c.now);
  if (!c.want_code) {
    EXPECT_TRUE(result.has_value()) << CodeName(result.error().code);
  } else {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(CodeName(result.error().code), CodeName(*c.want_code));
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ChainTest, testing::ValuesIn(kChainCases),
                         testing_support::LabelName());

// The reference server's certificates: a CA, a TLS leaf with DNS and IP SANs, both verifying.
TEST(MakeCertificate, IssuesCaAndLeafThatVerify) {
  Key ca_key = PrivateKey("ec_p256");
  auto ca = MakeSelfSignedCertificate(ca_key, "regauth CA", kNow - 10, kNow + 3600, 1, true);
  ASSERT_TRUE(ca.has_value()) << CodeName(ca.error().code);
  Key leaf_key = PrivateKey("rsa2048");
  auto leaf = MakeCertificate(leaf_key, "localhost", ca_key, *ca, kNow - 10, kNow + 3600, 2, false,
                              {"localhost", "127.0.0.1", "::1"});
  ASSERT_TRUE(leaf.has_value()) << CodeName(leaf.error().code);
  EXPECT_TRUE(VerifyCertificateChain(*leaf, {}, {*ca}, kNow).has_value());
  EXPECT_EQ(VerifyCertificateChain(*leaf, {}, {*ca}, kNow + 7200).error().code,
            KeyError::kCertificateExpired);
  EXPECT_TRUE(SamePublicKey(leaf->PublicKey(), leaf_key));
  EXPECT_EQ(leaf->SubjectCommonName(), "localhost");
  // The certificate survives PEM and carries the SANs.
  const std::string pem = CertificatePem(*leaf);
  auto back = LoadCertificatesPem(pem);
  ASSERT_TRUE(back.has_value());
  X509* x = (*back)[0].get();
  EXPECT_EQ(X509_check_host(x, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "::1", 0), 1);
  EXPECT_EQ(X509_check_host(x, "example.com", 0, 0, nullptr), 0);
  // A self-signed Ed25519 signing cert, as a registry rootcertbundle entry.
  auto ed = MakeSelfSignedCertificate(PrivateKey("ed25519"), "signer", kNow, kNow + 10, 3, false);
  ASSERT_TRUE(ed.has_value()) << CodeName(ed.error().code);
  EXPECT_TRUE(VerifyCertificateChain(*ed, {}, {*ed}, kNow).has_value());
}

TEST(MakeCertificate, RejectsBadArguments) {
  Key ca_key = PrivateKey("ec_p256");
  auto ca = MakeSelfSignedCertificate(ca_key, "CA", kNow, kNow + 10, 1, true);
  ASSERT_TRUE(ca.has_value());
  Key pub = ca->PublicKey();
  // The certificate never hands back the private key it was built from.
  EXPECT_FALSE(pub.is_private());
  EXPECT_EQ(MakeSelfSignedCertificate(pub, "x", kNow, kNow + 1, 1, false).error().code,
            KeyError::kNotPrivate);
  EXPECT_EQ(MakeSelfSignedCertificate(ca_key, "", kNow, kNow + 1, 1, false).error().code,
            KeyError::kBadArgument);
  EXPECT_EQ(MakeSelfSignedCertificate(ca_key, "x", kNow, kNow - 1, 1, false).error().code,
            KeyError::kBadArgument);
  // The issuer key must be the one in the issuer certificate.
  EXPECT_EQ(MakeCertificate(pub, "x", PrivateKey("ec_p384"), *ca, kNow, kNow + 1, 2, false, {})
                .error()
                .code,
            KeyError::kBadArgument);
  EXPECT_EQ(MakeCertificate(pub, "x", ca_key, *ca, kNow, kNow + 1, 2, false, {""}).error().code,
            KeyError::kBadArgument);
  EXPECT_EQ(
      MakeCertificate(pub, "x", ca_key, Certificate(), kNow, kNow + 1, 2, false, {}).error().code,
      KeyError::kBadArgument);
}

// A SAN containing a comma stays one dNSName (never parsed as OpenSSL config syntax).
TEST(MakeCertificate, SanIsNotConfigSyntax) {
  Key ca_key = PrivateKey("ec_p256");
  auto ca = MakeSelfSignedCertificate(ca_key, "CA", kNow, kNow + 10, 1, true);
  ASSERT_TRUE(ca.has_value());
  auto leaf = MakeCertificate(PrivateKey("ec_p384"), "x", ca_key, *ca, kNow, kNow + 10, 2, false,
                              {"a.example,DNS:evil.example"});
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ(X509_check_host(leaf->get(), "evil.example", 0, 0, nullptr), 0);
}

}  // namespace
}  // namespace regauth::protocol
