#include "protocol/jwt.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include "protocol/base64.h"
#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

// 2023-11-14T22:13:20Z, inside the validity of the "2020…2100" test certificates.
constexpr int64_t kNow = 1700000000;
constexpr const char* kIssuer = "gitlab-issuer";
constexpr const char* kService = "container_registry";

std::string TestData(const std::string& name) {
  std::ifstream in(std::string(REGAUTH_SOURCE_DIR) + "/protocol/testdata/" + name,
                   std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Keys is the fixed key material of these tests (protocol/testdata/, see its README).
struct Keys {
  Key rsa, ec, ec384, ed, attacker_rsa, attacker_ec, leaf;
  Certificate rsa_cert, root, intermediate, leaf_cert, leaf_expired, leaf_future, rogue_root,
      rogue_leaf;
};

const Keys& K() {
  static const Keys keys = [] {
    auto key = [](const char* name) {
      return *LoadPrivateKeyPem(TestData(std::string(name) + ".key.pem"));
    };
    auto cert = [](const char* name) {
      return LoadCertificatesPem(TestData(std::string(name) + ".crt.pem"))->front();
    };
    Keys k;
    k.rsa = key("rsa2048");
    k.ec = key("ec_p256");
    k.ec384 = key("ec_p384");
    k.ed = key("ed25519");
    k.attacker_rsa = key("rsa2048_other");
    k.attacker_ec = key("ec_p256_other");
    k.leaf = key("leaf");
    k.rsa_cert = cert("rsa2048");
    k.root = cert("ca_root");
    k.intermediate = cert("ca_intermediate");
    k.leaf_cert = cert("leaf");
    k.leaf_expired = cert("leaf_expired");
    k.leaf_future = cert("leaf_future");
    k.rogue_root = cert("rogue_root");
    k.rogue_leaf = cert("rogue_leaf");
    return k;
  }();
  return keys;
}

// Trust is a registry's trust: the rootcertbundle {token signer cert, CA root} plus the EC,
// P-384 and Ed25519 test keys under their IDs in `format`.
TrustStore Trust(KeyIdFormat format) {
  TrustStore t = TrustStore::FromRoots({K().rsa_cert, K().root}, format);
  for (const Key* k : {&K().ec, &K().ec384, &K().ed}) t.AddKey(KeyIdOf(*k, format), *k);
  return t;
}

std::string B64(std::string_view s) { return Base64UrlEncode(s); }
std::string StdB64(std::string_view s) { return Base64Encode(s); }

// RawToken signs the exact texts given (for forged duplicates, wrong types, ...).
std::string RawToken(std::string_view header, std::string_view payload, Alg alg, const Key& key) {
  const std::string input = B64(header) + "." + B64(payload);
  auto sig = SignBytes(alg, key, input);
  EXPECT_TRUE(sig.has_value()) << AlgName(alg);
  return input + "." + B64(sig ? *sig : "");
}

// Token signs header/claims; "alg" is set unless the header already has one (a forgery).
std::string Token(nlohmann::json header, const nlohmann::json& claims, Alg alg, const Key& key) {
  if (!header.contains("alg")) header["alg"] = AlgName(alg);
  return RawToken(header.dump(), claims.dump(), alg, key);
}

// HmacToken forges an HS* token keyed with `secret`.
std::string HmacToken(nlohmann::json header, const nlohmann::json& claims, Alg alg,
                      std::string_view secret) {
  header["alg"] = AlgName(alg);
  const std::string input = B64(header.dump()) + "." + B64(claims.dump());
  return input + "." + B64(*SignHmac(alg, secret, input));
}

// UnsignedToken is "header.payload.signature" with arbitrary signature bytes.
std::string UnsignedToken(const nlohmann::json& header, const nlohmann::json& claims,
                          std::string_view signature) {
  return EncodeCompact(header.dump(), claims.dump(), signature);
}

nlohmann::json GoodClaims(nlohmann::json overrides = nlohmann::json::object()) {
  nlohmann::json c = {
      {"iss", kIssuer},
      {"sub", "alice"},
      {"aud", kService},
      {"exp", kNow + 300},
      {"nbf", kNow - 5},
      {"iat", kNow - 5},
      {"jti", "j1"},
      {"access", {{{"type", "repository"}, {"name", "foo/bar"}, {"actions", {"pull", "push"}}}}}};
  for (auto& [name, value] : overrides.items()) {
    if (value.is_null()) {
      c.erase(name);  // null in an override means "remove the claim"
    } else {
      c[name] = value;
    }
  }
  return c;
}

nlohmann::json Kid(const Key& key, KeyIdFormat f) {
  return {{"typ", "JWT"}, {"kid", KeyIdOf(key, f)}};
}

// RsHeader is the header of a token signed RS256 by the trusted RSA key, for raw builders.
nlohmann::json RsHeader(KeyIdFormat f) {
  nlohmann::json h = Kid(K().rsa, f);
  h["alg"] = "RS256";
  return h;
}

enum class P { kV28, kV3, kStrict };

VerifierProfile Profile(P p) {
  switch (p) {
    case P::kV28:
      return VerifierProfile::DistributionV28(kIssuer, kService);
    case P::kV3:
      return VerifierProfile::DistributionV3(kIssuer, kService);
    case P::kStrict:
      break;
  }
  return VerifierProfile::Strict(kIssuer, kService);
}

struct VerifyCase {
  const char* label;
  P profile;
  std::function<std::string(KeyIdFormat)> make;
  std::optional<TokenError> want;  // nullopt: verifies
};
REGAUTH_PRINT_LABEL(VerifyCase)

using F = KeyIdFormat;
constexpr auto kRS = Alg::kRS256;
constexpr auto kES = Alg::kES256;

std::string Good(F f) { return Token(Kid(K().rsa, f), GoodClaims(), kRS, K().rsa); }
std::string WithClaims(F f, nlohmann::json overrides) {
  return Token(Kid(K().rsa, f), GoodClaims(std::move(overrides)), kRS, K().rsa);
}
std::string None(F f, std::string_view alg, std::string_view sig) {
  nlohmann::json h = Kid(K().rsa, f);
  h["alg"] = alg;
  return UnsignedToken(h, GoodClaims(), sig);
}
nlohmann::json JwkHeader(const Key& key, std::optional<std::string> kid,
                         nlohmann::json x5c = nullptr) {
  nlohmann::json jwk = PublicJwk(key, std::move(kid));
  if (!x5c.is_null()) jwk["x5c"] = std::move(x5c);
  return {{"typ", "JWT"}, {"jwk", jwk}};
}
nlohmann::json X5c(std::initializer_list<const Certificate*> chain) {
  nlohmann::json list = nlohmann::json::array();
  for (const Certificate* c : chain) list.push_back(StdB64(c->Der()));
  return list;
}
// PaddedSegment base64url-encodes `json` after appending spaces (still valid JSON) until its
// length is 1 mod 3, so that the segment needs "==" padding, and adds that padding.
std::string PaddedSegment(std::string json) {
  while (json.size() % 3 != 1) json.push_back(' ');
  return B64(json) + "==";
}

// token-auth.md §2.4 and suite-anchors.md §C1/§C3: every hostile class, per profile, with the
// exact reason. The comments name the rule each row pins.
const VerifyCase kVerifyCases[] = {
    // --- Valid tokens.
    {"v28 RS256 libtrust kid", P::kV28, Good, std::nullopt},
    {"v28 ES256 kid", P::kV28, [](F f) { return Token(Kid(K().ec, f), GoodClaims(), kES, K().ec); },
     std::nullopt},
    {"v3 RS256 thumbprint kid", P::kV3, Good, std::nullopt},
    {"strict RS256", P::kStrict, Good, std::nullopt},
    {"strict PS256", P::kStrict,
     [](F f) { return Token(Kid(K().rsa, f), GoodClaims(), Alg::kPS256, K().rsa); }, std::nullopt},
    {"strict EdDSA", P::kStrict,
     [](F f) { return Token(Kid(K().ed, f), GoodClaims(), Alg::kEdDSA, K().ed); }, std::nullopt},
    {"strict ES384", P::kStrict,
     [](F f) { return Token(Kid(K().ec384, f), GoodClaims(), Alg::kES384, K().ec384); },
     std::nullopt},
    // libtrust (v2.8) knows RS*/ES* only.
    {"v28 PS256 not allowed", P::kV28,
     [](F f) { return Token(Kid(K().rsa, f), GoodClaims(), Alg::kPS256, K().rsa); },
     TokenError::kAlgNotAllowed},
    {"v28 EdDSA not allowed", P::kV28,
     [](F f) { return Token(Kid(K().ed, f), GoodClaims(), Alg::kEdDSA, K().ed); },
     TokenError::kAlgNotAllowed},
    // ES256 is bound to P-256: a P-384 key named by kid cannot verify an "ES256" token.
    {"ES256 header with P-384 key", P::kV28,
     [](F f) {
       nlohmann::json h = Kid(K().ec384, f);
       h["alg"] = "ES256";
       return Token(h, GoodClaims(), Alg::kES384, K().ec384);
     },
     TokenError::kAlgKeyMismatch},
    {"tampered signature", P::kV28,
     [](F f) {
       std::string t = Good(f);
       t[t.size() - 5] = t[t.size() - 5] == 'A' ? 'B' : 'A';
       return t;
     },
     TokenError::kBadSignature},
    {"signed by attacker key under trusted kid", P::kV28,
     [](F f) { return Token(Kid(K().rsa, f), GoodClaims(), kRS, K().attacker_rsa); },
     TokenError::kBadSignature},

    // --- alg none in every casing (RFC 8725 §3.1), empty or present signature.
    {"v28 none empty signature", P::kV28, [](F f) { return None(f, "none", ""); },
     TokenError::kEmptySignature},
    {"v28 none with signature", P::kV28, [](F f) { return None(f, "none", "x"); },
     TokenError::kAlgNotAllowed},
    {"v28 None empty", P::kV28, [](F f) { return None(f, "None", ""); },
     TokenError::kEmptySignature},
    {"v28 NONE with signature", P::kV28, [](F f) { return None(f, "NONE", "sig"); },
     TokenError::kAlgNotAllowed},
    {"v28 nOnE with signature", P::kV28, [](F f) { return None(f, "nOnE", "sig"); },
     TokenError::kAlgNotAllowed},
    {"v28 none no kid", P::kV28,
     [](F) { return UnsignedToken({{"alg", "none"}}, GoodClaims(), ""); },
     TokenError::kEmptySignature},
    {"strict none empty", P::kStrict, [](F f) { return None(f, "none", ""); },
     TokenError::kEmptySignature},
    {"strict none with signature", P::kStrict, [](F f) { return None(f, "none", "x"); },
     TokenError::kAlgNotAllowed},
    {"strict NONE with signature", P::kStrict, [](F f) { return None(f, "NONE", "x"); },
     TokenError::kAlgNotAllowed},
    // go-jose (v3) refuses algs outside the list while parsing: a malformed token.
    {"v3 none", P::kV3, [](F f) { return None(f, "none", ""); }, TokenError::kAlgRejected},
    // Stripping: "h.p." has an empty signature, "h.p" is not a JWS.
    {"stripped to h.p.", P::kV28,
     [](F f) {
       std::string t = Good(f);
       return t.substr(0, t.rfind('.') + 1);
     },
     TokenError::kEmptySignature},
    {"stripped to h.p", P::kV28,
     [](F f) {
       std::string t = Good(f);
       return t.substr(0, t.rfind('.'));
     },
     TokenError::kSegmentCount},

    // --- RS→HS algorithm confusion (CVE-2016-10555 class; measured: 2.8.2 rejects).
    {"v28 HS256 keyed with RSA PEM", P::kV28,
     [](F f) { return HmacToken(Kid(K().rsa, f), GoodClaims(), Alg::kHS256, PublicKeyPem(K().rsa)); },
     TokenError::kAlgNotAllowed},
    {"v28 HS256 keyed with RSA SPKI DER", P::kV28,
     [](F f) { return HmacToken(Kid(K().rsa, f), GoodClaims(), Alg::kHS256, SpkiDer(K().rsa)); },
     TokenError::kAlgNotAllowed},
    {"strict HS512 keyed with RSA PEM", P::kStrict,
     [](F f) { return HmacToken(Kid(K().rsa, f), GoodClaims(), Alg::kHS512, PublicKeyPem(K().rsa)); },
     TokenError::kAlgNotAllowed},
    {"v3 HS256 keyed with RSA PEM", P::kV3,
     [](F f) { return HmacToken(Kid(K().rsa, f), GoodClaims(), Alg::kHS256, PublicKeyPem(K().rsa)); },
     TokenError::kAlgRejected},

    // --- ECDSA psychic signature (CVE-2022-21449): r = s = 0.
    {"v28 ES256 r=s=0", P::kV28,
     [](F f) {
       nlohmann::json h = Kid(K().ec, f);
       h["alg"] = "ES256";
       return UnsignedToken(h, GoodClaims(), std::string(64, '\0'));
     },
     TokenError::kBadSignature},
    {"strict ES256 r=s=0", P::kStrict,
     [](F f) {
       nlohmann::json h = Kid(K().ec, f);
       h["alg"] = "ES256";
       return UnsignedToken(h, GoodClaims(), std::string(64, '\0'));
     },
     TokenError::kBadSignature},

    // --- Embedded jwk (CVE-2025-24976): attacker key + trusted kid never verifies.
    {"v28 attacker jwk with trusted kid", P::kV28,
     [](F f) {
       return Token(JwkHeader(K().attacker_ec, KeyIdOf(K().ec, f)), GoodClaims(), kES,
                    K().attacker_ec);
     },
     TokenError::kJwkKidMismatch},
    {"strict attacker jwk with trusted kid", P::kStrict,
     [](F f) {
       return Token(JwkHeader(K().attacker_ec, KeyIdOf(K().ec, f)), GoodClaims(), kES,
                    K().attacker_ec);
     },
     TokenError::kJwkKidMismatch},
    // v3 (fixed) looks the kid up and verifies with the TRUSTED key: the forgery fails.
    {"v3 attacker jwk with trusted kid", P::kV3,
     [](F f) {
       return Token(JwkHeader(K().attacker_ec, KeyIdOf(K().ec, f)), GoodClaims(), kES,
                    K().attacker_ec);
     },
     TokenError::kBadSignature},
    {"v28 attacker jwk without kid", P::kV28,
     [](F) { return Token(JwkHeader(K().attacker_ec, std::nullopt), GoodClaims(), kES, K().attacker_ec); },
     TokenError::kJwkNotTrusted},
    {"v28 attacker jwk beside trusted header kid", P::kV28,
     [](F f) {
       nlohmann::json h = JwkHeader(K().attacker_ec, std::nullopt);
       h["kid"] = KeyIdOf(K().ec, f);
       return Token(h, GoodClaims(), kES, K().attacker_ec);
     },
     TokenError::kJwkNotTrusted},
    {"v28 trusted jwk", P::kV28,
     [](F) { return Token(JwkHeader(K().ec, std::nullopt), GoodClaims(), kES, K().ec); },
     std::nullopt},
    {"v28 trusted jwk with its own kid", P::kV28,
     [](F f) { return Token(JwkHeader(K().ec, KeyIdOf(K().ec, f)), GoodClaims(), kES, K().ec); },
     std::nullopt},
    {"v3 trusted jwk with kid", P::kV3,
     [](F f) { return Token(JwkHeader(K().ec, KeyIdOf(K().ec, f)), GoodClaims(), kES, K().ec); },
     std::nullopt},
    {"v28 jwk is a string", P::kV28,
     [](F) {
       return Token({{"jwk", "k"}}, GoodClaims(), kES, K().ec);
     },
     TokenError::kBadJwk},
    {"strict jwk is a string", P::kStrict,
     [](F) { return Token({{"jwk", "k"}}, GoodClaims(), kES, K().ec); },
     TokenError::kBadHeaderMember},
    {"jwk with chain to root", P::kV28,
     [](F) {
       return Token(JwkHeader(K().leaf, std::nullopt, X5c({&K().leaf_cert, &K().intermediate})),
                    GoodClaims(), kES, K().leaf);
     },
     std::nullopt},
    {"jwk chain leaf is another key", P::kV28,
     [](F) {
       return Token(
           JwkHeader(K().attacker_ec, std::nullopt, X5c({&K().leaf_cert, &K().intermediate})),
           GoodClaims(), kES, K().attacker_ec);
     },
     TokenError::kLeafKeyMismatch},
    {"jwk chain to rogue root", P::kV28,
     [](F) {
       return Token(JwkHeader(K().leaf, std::nullopt, X5c({&K().rogue_leaf, &K().rogue_root})),
                    GoodClaims(), kES, K().leaf);
     },
     TokenError::kChainUntrusted},

    // --- x5c (token-auth.md §2.4 key selection 1; the kid is ignored when x5c is present).
    {"x5c chain to root", P::kV28,
     [](F) {
       return Token({{"x5c", X5c({&K().leaf_cert, &K().intermediate})}}, GoodClaims(), kES, K().leaf);
     },
     std::nullopt},
    {"strict x5c chain to root", P::kStrict,
     [](F) {
       return Token({{"x5c", X5c({&K().leaf_cert, &K().intermediate})}}, GoodClaims(), kES, K().leaf);
     },
     std::nullopt},
    {"x5c to untrusted root", P::kV28,
     [](F) {
       return Token({{"x5c", X5c({&K().rogue_leaf, &K().rogue_root})}}, GoodClaims(), kES, K().leaf);
     },
     TokenError::kChainUntrusted},
    {"x5c missing intermediate", P::kV28,
     [](F) { return Token({{"x5c", X5c({&K().leaf_cert})}}, GoodClaims(), kES, K().leaf); },
     TokenError::kChainUntrusted},
    {"x5c expired leaf", P::kV28,
     [](F) {
       return Token({{"x5c", X5c({&K().leaf_expired, &K().intermediate})}}, GoodClaims(), kES,
                    K().leaf);
     },
     TokenError::kCertificateExpired},
    {"x5c not yet valid leaf", P::kV28,
     [](F) {
       return Token({{"x5c", X5c({&K().leaf_future, &K().intermediate})}}, GoodClaims(), kES,
                    K().leaf);
     },
     TokenError::kCertificateNotYetValid},
    {"x5c not base64", P::kV28,
     [](F) { return Token({{"x5c", {"!!!"}}}, GoodClaims(), kES, K().leaf); },
     TokenError::kBadCertificate},
    {"x5c base64 but not DER", P::kV28,
     [](F) { return Token({{"x5c", {"AAAA"}}}, GoodClaims(), kES, K().leaf); },
     TokenError::kBadCertificate},
    {"x5c untrusted with trusted kid", P::kV28,
     [](F f) {
       nlohmann::json h = Kid(K().rsa, f);
       h["x5c"] = X5c({&K().rogue_leaf, &K().rogue_root});
       return Token(h, GoodClaims(), kRS, K().rsa);
     },
     TokenError::kChainUntrusted},
    {"x5c trusted but signed by other key", P::kV28,
     [](F) {
       return Token({{"x5c", X5c({&K().leaf_cert, &K().intermediate})}}, GoodClaims(), kES,
                    K().attacker_ec);
     },
     TokenError::kBadSignature},

    // --- jku / x5u: parsed, never fetched, never used for key selection.
    {"jku and x5u ignored", P::kV28,
     [](F f) {
       nlohmann::json h = Kid(K().rsa, f);
       h["jku"] = "http://127.0.0.1:1/jwks.json";
       h["x5u"] = "http://127.0.0.1:1/cert.pem";
       return Token(h, GoodClaims(), kRS, K().rsa);
     },
     std::nullopt},
    {"jku alone selects no key", P::kStrict,
     [](F) { return Token({{"jku", "http://127.0.0.1:1/jwks.json"}}, GoodClaims(), kRS, K().rsa); },
     TokenError::kNoKey},

    // --- kid injection: exact-match lookup only.
    {"kid path traversal", P::kV28,
     [](F) { return Token({{"kid", "../../dev/null"}}, GoodClaims(), kRS, K().rsa); },
     TokenError::kUnknownKid},
    {"kid sql injection", P::kV28,
     [](F) { return Token({{"kid", "' OR '1'='1"}}, GoodClaims(), kRS, K().rsa); },
     TokenError::kUnknownKid},
    {"kid with NUL suffix", P::kV28,
     [](F f) {
       return Token({{"kid", KeyIdOf(K().rsa, f) + std::string(1, '\0')}}, GoodClaims(), kRS, K().rsa);
     },
     TokenError::kUnknownKid},
    {"kid lower-cased", P::kV28,
     [](F f) {
       std::string kid = KeyIdOf(K().rsa, f);
       for (char& c : kid) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
       return Token({{"kid", kid}}, GoodClaims(), kRS, K().rsa);
     },
     TokenError::kUnknownKid},
    {"kid 10 kB", P::kV28,
     [](F) { return Token({{"kid", std::string(10000, 'A')}}, GoodClaims(), kRS, K().rsa); },
     TokenError::kUnknownKid},
    {"strict kid 10 kB", P::kStrict,
     [](F) { return Token({{"kid", std::string(10000, 'A')}}, GoodClaims(), kRS, K().rsa); },
     TokenError::kUnknownKid},
    {"empty kid", P::kV28, [](F) { return Token({{"kid", ""}}, GoodClaims(), kRS, K().rsa); },
     TokenError::kNoKey},
    {"no key hint", P::kV28, [](F) { return Token({{"typ", "JWT"}}, GoodClaims(), kRS, K().rsa); },
     TokenError::kNoKey},

    // --- exp / nbf (Leeway = 60 s; Go's strict After/Before on whole seconds).
    {"exp now-59", P::kV28, [](F f) { return WithClaims(f, {{"exp", kNow - 59}}); },
     std::nullopt},
    {"exp now-60 boundary", P::kV28, [](F f) { return WithClaims(f, {{"exp", kNow - 60}}); },
     std::nullopt},
    {"exp now-61", P::kV28, [](F f) { return WithClaims(f, {{"exp", kNow - 61}}); },
     TokenError::kExpired},
    {"exp 0", P::kV28, [](F f) { return WithClaims(f, {{"exp", 0}}); }, TokenError::kExpired},
    {"exp negative", P::kV28, [](F f) { return WithClaims(f, {{"exp", -1}}); },
     TokenError::kExpired},
    {"exp int64 max", P::kV28,
     [](F f) { return WithClaims(f, {{"exp", INT64_MAX}}); }, std::nullopt},
    {"v28 exp float", P::kV28, [](F f) { return WithClaims(f, {{"exp", 1700000300.5}}); },
     TokenError::kBadNumericDate},
    {"v28 exp exponent", P::kV28,
     [](F f) {
       return RawToken(RsHeader(f).dump(),
                       GoodClaims({{"exp", nullptr}}).dump().insert(1, R"("exp":1.7e9,)"), kRS,
                       K().rsa);
     },
     TokenError::kBadNumericDate},
    {"v28 exp string", P::kV28, [](F f) { return WithClaims(f, {{"exp", "1700000300"}}); },
     TokenError::kBadNumericDate},
    {"v28 exp 1e400", P::kV28,
     [](F f) {
       return RawToken(RsHeader(f).dump(),
                       GoodClaims({{"exp", nullptr}}).dump().insert(1, R"("exp":1e400,)"), kRS,
                       K().rsa);
     },
     TokenError::kBadClaimsJson},
    {"v28 exp above int64", P::kV28,
     [](F f) {
       return RawToken(RsHeader(f).dump(),
                       GoodClaims({{"exp", nullptr}}).dump().insert(1, R"("exp":9223372036854775808,)"),
                       kRS, K().rsa);
     },
     TokenError::kBadNumericDate},
    {"v28 exp missing is 1970", P::kV28, [](F f) { return WithClaims(f, {{"exp", nullptr}}); },
     TokenError::kExpired},
    {"v28 exp null is 1970", P::kV28,
     [](F f) {
       return RawToken(RsHeader(f).dump(),
                       GoodClaims({{"exp", nullptr}}).dump().insert(1, R"("exp":null,)"), kRS, K().rsa);
     },
     TokenError::kExpired},
    {"strict exp missing", P::kStrict, [](F f) { return WithClaims(f, {{"exp", nullptr}}); },
     TokenError::kMissingExp},
    {"strict exp null", P::kStrict,
     [](F f) {
       return RawToken(RsHeader(f).dump(),
                       GoodClaims({{"exp", nullptr}}).dump().insert(1, R"("exp":null,)"), kRS, K().rsa);
     },
     TokenError::kBadNumericDate},
    {"nbf now+5", P::kV28, [](F f) { return WithClaims(f, {{"nbf", kNow + 5}}); }, std::nullopt},
    {"nbf now+60 boundary", P::kV28, [](F f) { return WithClaims(f, {{"nbf", kNow + 60}}); },
     std::nullopt},
    {"nbf now+61", P::kV28, [](F f) { return WithClaims(f, {{"nbf", kNow + 61}}); },
     TokenError::kNotYetValid},
    {"nbf int64 min", P::kV28, [](F f) { return WithClaims(f, {{"nbf", INT64_MIN}}); },
     std::nullopt},
    {"v28 iat float", P::kV28, [](F f) { return WithClaims(f, {{"iat", kNow + 0.5}}); },
     TokenError::kBadNumericDate},
    {"iat far future integer unchecked", P::kV28,
     [](F f) { return WithClaims(f, {{"iat", kNow + 1000000}}); }, std::nullopt},

    // --- aud: a string for v2.8 (array → malformed, measured); string or array elsewhere.
    {"v28 aud array", P::kV28, [](F f) { return WithClaims(f, {{"aud", {kService}}}); },
     TokenError::kAudienceArray},
    {"v28 aud other", P::kV28, [](F f) { return WithClaims(f, {{"aud", "other"}}); },
     TokenError::kBadAudience},
    {"v28 aud missing", P::kV28, [](F f) { return WithClaims(f, {{"aud", nullptr}}); },
     TokenError::kBadAudience},
    {"v28 aud empty string", P::kV28, [](F f) { return WithClaims(f, {{"aud", ""}}); },
     TokenError::kBadAudience},
    {"v28 aud wrong case", P::kV28, [](F f) { return WithClaims(f, {{"aud", "Container_Registry"}}); },
     TokenError::kBadAudience},
    {"v3 aud array match", P::kV3,
     [](F f) { return WithClaims(f, {{"aud", {"other", kService}}}); }, std::nullopt},
    {"strict aud array match", P::kStrict,
     [](F f) { return WithClaims(f, {{"aud", {kService}}}); }, std::nullopt},
    {"strict aud array no match", P::kStrict,
     [](F f) { return WithClaims(f, {{"aud", {"other"}}}); }, TokenError::kBadAudience},
    {"strict aud empty array", P::kStrict,
     [](F f) { return WithClaims(f, {{"aud", nlohmann::json::array()}}); },
     TokenError::kBadAudience},
    {"strict aud [\"\"]", P::kStrict, [](F f) { return WithClaims(f, {{"aud", {""}}}); },
     TokenError::kBadAudience},
    {"strict aud nested array", P::kStrict,
     [](F f) { return WithClaims(f, {{"aud", {{kService}}}}); }, TokenError::kBadClaim},
    {"strict aud number", P::kStrict, [](F f) { return WithClaims(f, {{"aud", 5}}); },
     TokenError::kBadClaim},

    // --- iss: exact, case-sensitive (measured).
    {"iss different case", P::kV28, [](F f) { return WithClaims(f, {{"iss", "GitLab-Issuer"}}); },
     TokenError::kBadIssuer},
    {"iss missing", P::kV28, [](F f) { return WithClaims(f, {{"iss", nullptr}}); },
     TokenError::kBadIssuer},
    {"iss number", P::kV28, [](F f) { return WithClaims(f, {{"iss", 5}}); },
     TokenError::kBadClaim},

    // --- Duplicate members: Go keeps the last (measured on 2.8.2); strict rejects.
    {"v28 dup alg ending in none", P::kV28,
     [](F f) {
       return RawToken(R"({"alg":"RS256","kid":")" + KeyIdOf(K().rsa, f) + R"(","alg":"none"})",
                       GoodClaims().dump(), kRS, K().rsa);
     },
     TokenError::kAlgNotAllowed},
    {"v28 dup alg ending in RS256", P::kV28,
     [](F f) {
       return RawToken(R"({"alg":"none","kid":")" + KeyIdOf(K().rsa, f) + R"(","alg":"RS256"})",
                       GoodClaims().dump(), kRS, K().rsa);
     },
     std::nullopt},
    {"strict dup alg", P::kStrict,
     [](F f) {
       return RawToken(R"({"alg":"RS256","kid":")" + KeyIdOf(K().rsa, f) + R"(","alg":"RS256"})",
                       GoodClaims().dump(), kRS, K().rsa);
     },
     TokenError::kDuplicateHeaderMember},
    {"v28 dup aud good last", P::kV28,
     [](F f) {
       return RawToken(RsHeader(f).dump(),
                       GoodClaims({{"aud", nullptr}}).dump().insert(
                           1, R"("aud":"other","aud":"container_registry",)"),
                       kRS, K().rsa);
     },
     std::nullopt},
    {"v28 dup aud good first", P::kV28,
     [](F f) {
       return RawToken(RsHeader(f).dump(),
                       GoodClaims({{"aud", nullptr}}).dump().insert(
                           1, R"("aud":"container_registry","aud":"other",)"),
                       kRS, K().rsa);
     },
     TokenError::kBadAudience},
    {"strict dup aud", P::kStrict,
     [](F f) {
       return RawToken(RsHeader(f).dump(),
                       GoodClaims({{"aud", nullptr}}).dump().insert(
                           1, R"("aud":"other","aud":"container_registry",)"),
                       kRS, K().rsa);
     },
     TokenError::kDuplicateClaim},

    // --- crit (RFC 7515 §4.1.11): strict rejects; v2.8's header struct has no crit.
    {"strict unknown crit", P::kStrict,
     [](F f) {
       nlohmann::json h = Kid(K().rsa, f);
       h["crit"] = {"exp"};
       h["exp"] = 1;
       return Token(h, GoodClaims(), kRS, K().rsa);
     },
     TokenError::kUnsupportedCrit},
    {"v28 unknown crit ignored", P::kV28,
     [](F f) {
       nlohmann::json h = Kid(K().rsa, f);
       h["crit"] = {"exp"};
       return Token(h, GoodClaims(), kRS, K().rsa);
     },
     std::nullopt},

    // --- Padded base64url: only distribution v2.8's decoder accepts it.
    {"v28 padded segments", P::kV28,
     [](F f) {
       const std::string input =
           PaddedSegment(RsHeader(f).dump()) + "." + PaddedSegment(GoodClaims().dump());
       return input + "." + B64(*SignBytes(kRS, K().rsa, input)) + "==";  // 256 bytes
     },
     std::nullopt},
    {"strict padded segments", P::kStrict,
     [](F f) {
       const std::string input =
           PaddedSegment(RsHeader(f).dump()) + "." + PaddedSegment(GoodClaims().dump());
       return input + "." + B64(*SignBytes(kRS, K().rsa, input)) + "==";  // 256 bytes
     },
     TokenError::kBadBase64},

    // --- access type confusion (distribution ResourceActions).
    {"actions is a string", P::kV28,
     [](F f) {
       return WithClaims(
           f, {{"access", {{{"type", "repository"}, {"name", "foo/bar"}, {"actions", "pull"}}}}});
     },
     TokenError::kBadAccess},
    {"access is an object", P::kV28,
     [](F f) { return WithClaims(f, {{"access", nlohmann::json::object()}}); },
     TokenError::kBadAccess},
    {"access entry null", P::kV28,
     [](F f) { return WithClaims(f, {{"access", {nullptr}}}); }, TokenError::kBadAccess},
    {"v28 name null is empty", P::kV28,
     [](F f) {
       return WithClaims(
           f, {{"access", {{{"type", "repository"}, {"name", nullptr}, {"actions", {"pull"}}}}}});
     },
     std::nullopt},
    {"strict name null", P::kStrict,
     [](F f) {
       return WithClaims(
           f, {{"access", {{{"type", "repository"}, {"name", nullptr}, {"actions", {"pull"}}}}}});
     },
     TokenError::kBadAccess},
    {"action number", P::kStrict,
     [](F f) {
       return WithClaims(
           f, {{"access", {{{"type", "repository"}, {"name", "a"}, {"actions", {1}}}}}});
     },
     TokenError::kBadAccess},

    // --- Order: v2.8 checks claims before the signature; strict checks the signature first.
    // Go unmarshals a JSON null payload into an all-zero ClaimSet: an invalid, not malformed,
    // token (no issuer).
    {"v28 null claims", P::kV28,
     [](F f) { return RawToken(RsHeader(f).dump(), "null", kRS, K().rsa); },
     TokenError::kBadIssuer},
    {"strict null claims", P::kStrict,
     [](F f) { return RawToken(RsHeader(f).dump(), "null", kRS, K().rsa); },
     TokenError::kBadClaimsJson},
    {"v28 bad iss before empty signature", P::kV28,
     [](F f) { return UnsignedToken(RsHeader(f), GoodClaims({{"iss", "x"}}), ""); },
     TokenError::kBadIssuer},
    {"strict empty signature before bad iss", P::kStrict,
     [](F f) { return UnsignedToken(RsHeader(f), GoodClaims({{"iss", "x"}}), ""); },
     TokenError::kEmptySignature},
    {"v28 expired before bad signature", P::kV28,
     [](F f) { return UnsignedToken(RsHeader(f), GoodClaims({{"exp", 1}}), "x"); },
     TokenError::kExpired},
    {"strict bad signature before expired", P::kStrict,
     [](F f) { return UnsignedToken(RsHeader(f), GoodClaims({{"exp", 1}}), "x"); },
     TokenError::kBadSignature},

    // --- Size: go-jose CVE-2025-27144 (a megabyte of dots).
    {"v28 megabyte of dots", P::kV28, [](F) { return std::string(1000000, '.'); },
     TokenError::kSegmentCount},
    {"strict megabyte of dots", P::kStrict, [](F) { return std::string(1000000, '.'); },
     TokenError::kTooLarge},
};

class VerifyTokenTest : public testing::TestWithParam<VerifyCase> {};

TEST_P(VerifyTokenTest, AcceptsOrRejectsWithExactReason) {
  const VerifyCase& c = GetParam();
  const VerifierProfile profile = Profile(c.profile);
  const std::string token = c.make(profile.kid_format);
  auto verified = VerifyToken(token, Trust(profile.kid_format), profile, kNow);
  if (!c.want) {
    ASSERT_TRUE(verified.has_value())
        << CodeName(verified.error().code) << ": " << verified.error().reason;
    // Whatever verified it is a trusted key (or an x5c leaf) and re-verifies the signature.
    auto jws = ParseCompactJws(token, profile.jws);
    ASSERT_TRUE(jws.has_value());
    EXPECT_TRUE(VerifySignature(*jws, verified->key, profile.algs).has_value());
    EXPECT_EQ(verified->key_id, KeyIdOf(verified->key, profile.kid_format));
  } else {
    ASSERT_FALSE(verified.has_value());
    EXPECT_EQ(CodeName(verified.error().code), CodeName(*c.want)) << verified.error().reason;
    EXPECT_LE(verified.error().offset, token.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Table, VerifyTokenTest, testing::ValuesIn(kVerifyCases),
                         testing_support::LabelName());

// A verified token exposes its claims, header and the key ID that verified it.
TEST(VerifyToken, ReturnsClaimsHeaderAndKeyId) {
  const VerifierProfile profile = Profile(P::kV28);
  auto v = VerifyToken(Good(F::kLibtrust), Trust(F::kLibtrust), profile, kNow);
  ASSERT_TRUE(v.has_value()) << CodeName(v.error().code);
  EXPECT_EQ(v->key_id, LibtrustKeyId(K().rsa));
  EXPECT_EQ(v->header.alg, Alg::kRS256);
  EXPECT_EQ(v->claims.sub, "alice");
  EXPECT_EQ(v->claims.aud, std::vector<std::string>{kService});
  ASSERT_TRUE(v->claims.access.has_value());
  ASSERT_EQ(v->claims.access->size(), 1u);
  EXPECT_EQ((*v->claims.access)[0].name, "foo/bar");
  EXPECT_EQ((*v->claims.access)[0].actions, (std::vector<std::string>{"pull", "push"}));
  EXPECT_TRUE(SamePublicKey(v->key, K().rsa));
  // x5c: the leaf key verified, named in the profile's format.
  auto x = VerifyToken(
      Token({{"x5c", X5c({&K().leaf_cert, &K().intermediate})}}, GoodClaims(), kES, K().leaf),
      Trust(F::kLibtrust), profile, kNow);
  ASSERT_TRUE(x.has_value()) << CodeName(x.error().code);
  EXPECT_EQ(x->key_id, LibtrustKeyId(K().leaf));
}

// No profile setting makes none or HS* verify (suite-anchors.md §B7 invariant).
TEST(VerifyToken, NoProfileAcceptsNoneOrHmac) {
  VerifierProfile reckless = Profile(P::kV28);
  reckless.algs.allowed = {Alg::kNone, Alg::kHS256, Alg::kHS384, Alg::kHS512, Alg::kUnknown};
  const TrustStore trust = Trust(F::kLibtrust);
  for (Alg alg : {Alg::kHS256, Alg::kHS384, Alg::kHS512}) {
    for (const std::string& secret : {PublicKeyPem(K().rsa), SpkiDer(K().rsa), std::string()}) {
      auto v = VerifyToken(HmacToken(Kid(K().rsa, F::kLibtrust), GoodClaims(), alg, secret), trust,
                           reckless, kNow);
      ASSERT_FALSE(v.has_value());
      EXPECT_EQ(v.error().code, TokenError::kAlgNotAllowed);
    }
  }
  auto none = VerifyToken(None(F::kLibtrust, "none", "sig"), trust, reckless, kNow);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, TokenError::kAlgNotAllowed);
  reckless.algs_checked_at_parse = true;
  EXPECT_EQ(VerifyToken(None(F::kLibtrust, "none", "sig"), trust, reckless, kNow).error().code,
            TokenError::kAlgRejected);
}

// zot-style knobs: iat checked, missing exp accepted, zero leeway.
TEST(VerifyToken, OptionalKnobs) {
  VerifierProfile p = Profile(P::kStrict);
  const TrustStore trust = Trust(p.kid_format);
  p.check_iat = true;
  EXPECT_TRUE(VerifyToken(WithClaims(p.kid_format, {{"iat", kNow + 60}}), trust, p, kNow));
  EXPECT_EQ(
      VerifyToken(WithClaims(p.kid_format, {{"iat", kNow + 61}}), trust, p, kNow).error().code,
      TokenError::kIssuedInFuture);
  p.missing_exp = MissingExp::kAccept;
  EXPECT_TRUE(VerifyToken(WithClaims(p.kid_format, {{"exp", nullptr}}), trust, p, kNow));
  p.leeway_seconds = 0;
  EXPECT_EQ(VerifyToken(WithClaims(p.kid_format, {{"exp", kNow - 1}}), trust, p, kNow).error().code,
            TokenError::kExpired);
  EXPECT_TRUE(VerifyToken(WithClaims(p.kid_format, {{"exp", kNow}}), trust, p, kNow));
  p.leeway_seconds = -100;  // negative acts as 0
  EXPECT_TRUE(VerifyToken(WithClaims(p.kid_format, {{"exp", kNow}}), trust, p, kNow));
  p.claims.allow_float_dates = true;
  EXPECT_TRUE(VerifyToken(WithClaims(p.kid_format, {{"exp", kNow + 0.5}}), trust, p, kNow));
}

// distribution maps both classes to error="invalid_token"; v3's raw errors carry none.
TEST(CategoryOf, MapsToDistributionErrorClasses) {
  const VerifierProfile v28 = Profile(P::kV28);
  const VerifierProfile v3 = Profile(P::kV3);
  EXPECT_EQ(CategoryOf(TokenError::kSegmentCount, v28), TokenCategory::kMalformed);
  EXPECT_EQ(CategoryOf(TokenError::kAudienceArray, v28), TokenCategory::kMalformed);
  EXPECT_EQ(CategoryOf(TokenError::kBadSignature, v28), TokenCategory::kInvalid);
  EXPECT_EQ(CategoryOf(TokenError::kAlgNotAllowed, v28), TokenCategory::kInvalid);
  EXPECT_EQ(CategoryOf(TokenError::kExpired, v28), TokenCategory::kInvalid);
  EXPECT_EQ(CategoryOf(TokenError::kBadSignature, v3), TokenCategory::kUnmapped);
  EXPECT_EQ(CategoryOf(TokenError::kBadNumericDate, v3), TokenCategory::kUnmapped);
  EXPECT_EQ(CategoryOf(TokenError::kAlgRejected, v3), TokenCategory::kMalformed);
  EXPECT_EQ(CategoryOf(TokenError::kUnknownKid, v3), TokenCategory::kInvalid);
  EXPECT_EQ(ChallengeErrorParam(TokenCategory::kMalformed), "invalid_token");
  EXPECT_EQ(ChallengeErrorParam(TokenCategory::kInvalid), "invalid_token");
  EXPECT_EQ(ChallengeErrorParam(TokenCategory::kUnmapped), "");
  EXPECT_EQ(CategoryName(TokenCategory::kMalformed), "malformed_token");
}

// The kid formats index the same rootcertbundle differently (token-auth.md §6.12).
TEST(TrustStore, IndexesRootsByFormat) {
  const TrustStore libtrust = TrustStore::FromRoots({K().rsa_cert}, F::kLibtrust);
  const TrustStore thumb = TrustStore::FromRoots({K().rsa_cert}, F::kJwkThumbprint);
  EXPECT_EQ(libtrust.keys_by_id.count(LibtrustKeyId(K().rsa)), 1u);
  EXPECT_EQ(thumb.keys_by_id.count(JwkThumbprint(K().rsa)), 1u);
  EXPECT_EQ(thumb.keys_by_id.count(LibtrustKeyId(K().rsa)), 0u);
  // A libtrust kid does not select a key in a v3 (thumbprint) store: the interop break.
  const VerifierProfile v3 = Profile(P::kV3);
  EXPECT_EQ(VerifyToken(Good(F::kLibtrust), Trust(F::kJwkThumbprint), v3, kNow).error().code,
            TokenError::kUnknownKid);
}

struct ClaimsCase {
  const char* label;
  std::string json;
  ClaimsParseOptions options;
  std::optional<ClaimsError> want_code;
};
REGAUTH_PRINT_LABEL(ClaimsCase)

ClaimsParseOptions Go() {
  ClaimsParseOptions o;
  o.go_struct_decoding = true;
  return o;
}
ClaimsParseOptions AudArray() {
  ClaimsParseOptions o;
  o.allow_aud_array = true;
  return o;
}
ClaimsParseOptions FloatDates() {
  ClaimsParseOptions o;
  o.allow_float_dates = true;
  return o;
}

// RFC 7519 claims as distribution decodes them (int64 NumericDate, typed access).
const ClaimsCase kClaimsCases[] = {
    {"empty object", "{}", {}, std::nullopt},
    {"not json", "{", {}, ClaimsError::kNotJson},
    {"array", "[]", {}, ClaimsError::kNotObject},
    {"null strict", "null", {}, ClaimsError::kNotObject},
    {"null go is empty", "null", Go(), std::nullopt},
    {"string go", R"("x")", Go(), ClaimsError::kNotObject},
    {"duplicate", R"({"sub":"a","sub":"b"})", {}, ClaimsError::kDuplicateMember},
    {"1e400", R"({"exp":1e400})", {}, ClaimsError::kNotJson},
    {"exp -0", R"({"exp":-0})", {}, std::nullopt},
    {"exp int64 max", R"({"exp":9223372036854775807})", {}, std::nullopt},
    {"exp int64 min", R"({"exp":-9223372036854775808})", {}, std::nullopt},
    {"exp 2^63", R"({"exp":9223372036854775808})", {}, ClaimsError::kBadNumericDate},
    {"exp below int64", R"({"exp":-9223372036854775809})", {}, ClaimsError::kBadNumericDate},
    {"exp 2^64", R"({"exp":18446744073709551616})", {}, ClaimsError::kBadNumericDate},
    {"exp fraction", R"({"exp":1.5})", {}, ClaimsError::kBadNumericDate},
    {"exp 1.0", R"({"exp":1.0})", {}, ClaimsError::kBadNumericDate},
    {"exp exponent", R"({"exp":1e3})", {}, ClaimsError::kBadNumericDate},
    {"exp string", R"({"exp":"1"})", {}, ClaimsError::kBadNumericDate},
    {"exp bool", R"({"exp":true})", {}, ClaimsError::kBadNumericDate},
    {"exp null strict", R"({"exp":null})", {}, ClaimsError::kBadNumericDate},
    {"exp null go", R"({"exp":null})", Go(), std::nullopt},
    {"nbf fraction", R"({"nbf":0.5})", {}, ClaimsError::kBadNumericDate},
    {"iat object", R"({"iat":{}})", {}, ClaimsError::kBadNumericDate},
    {"float allowed", R"({"exp":1.5})", FloatDates(), std::nullopt},
    {"float 1e300", R"({"exp":1e300})", FloatDates(), ClaimsError::kBadNumericDate},
    {"iss number", R"({"iss":1})", {}, ClaimsError::kBadMemberType},
    {"sub array", R"({"sub":[]})", {}, ClaimsError::kBadMemberType},
    {"jti null strict", R"({"jti":null})", {}, ClaimsError::kBadMemberType},
    {"jti null go", R"({"jti":null})", Go(), std::nullopt},
    {"aud array strict", R"({"aud":["a"]})", {}, ClaimsError::kAudienceArrayNotAllowed},
    {"aud array allowed", R"({"aud":["a","b"]})", AudArray(), std::nullopt},
    {"aud array of numbers", R"({"aud":[1]})", AudArray(), ClaimsError::kBadAudience},
    {"aud object", R"({"aud":{}})", AudArray(), ClaimsError::kBadAudience},
    {"access ok",
     R"({"access":[{"type":"repository","name":"a/b","actions":["pull"]}]})",
     {},
     std::nullopt},
    {"access class and meta",
     R"({"access":[{"type":"repository","class":"plugin","name":"a","actions":[],)"
     R"("meta":{"project_path":"a"}}]})",
     {},
     std::nullopt},
    {"access empty", R"({"access":[]})", {}, std::nullopt},
    {"access object", R"({"access":{}})", {}, ClaimsError::kBadAccess},
    {"access null strict", R"({"access":null})", {}, ClaimsError::kBadAccess},
    {"access null go", R"({"access":null})", Go(), std::nullopt},
    {"access entry string", R"({"access":["repository:a:pull"]})", {}, ClaimsError::kBadAccess},
    {"actions string",
     R"({"access":[{"type":"r","name":"a","actions":"pull"}]})",
     {},
     ClaimsError::kBadAccess},
    {"actions missing strict",
     R"({"access":[{"type":"r","name":"a"}]})",
     {},
     ClaimsError::kBadAccess},
    {"actions missing go", R"({"access":[{"type":"r","name":"a"}]})", Go(), std::nullopt},
    {"name missing strict",
     R"({"access":[{"type":"r","actions":[]}]})",
     {},
     ClaimsError::kBadAccess},
    {"name null go", R"({"access":[{"type":"r","name":null,"actions":[]}]})", Go(), std::nullopt},
    {"class number",
     R"({"access":[{"type":"r","class":1,"name":"a","actions":[]}]})",
     {},
     ClaimsError::kBadAccess},
    {"action null go", R"({"access":[{"type":"r","name":"a","actions":[null]}]})", Go(),
     std::nullopt},
    {"entry null go", R"({"access":[null]})", Go(), ClaimsError::kBadAccess},
};

class ParseClaimsTest : public testing::TestWithParam<ClaimsCase> {};

TEST_P(ParseClaimsTest, ParsesOrFailsWithExactCode) {
  const ClaimsCase& c = GetParam();
  auto claims = ParseClaims(c.json, c.options);
  if (!c.want_code) {
    EXPECT_TRUE(claims.has_value()) << CodeName(claims.error().code);
  } else {
    ASSERT_FALSE(claims.has_value());
    EXPECT_EQ(CodeName(claims.error().code), CodeName(*c.want_code));
    EXPECT_LE(claims.error().offset, c.json.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ParseClaimsTest, testing::ValuesIn(kClaimsCases),
                         testing_support::LabelName());

// The decoded values, including Go's zero values and floor rounding of float dates.
TEST(ParseClaims, DecodesValues) {
  auto c = ParseClaims(
      R"({"iss":"i","sub":"s","aud":"a","exp":10,"nbf":-5,"iat":0,"jti":"j","x":1,)"
      R"("access":[{"type":"repository","class":"plugin","name":"a/b","actions":["pull","*"],)"
      R"("meta":{"k":1}}]})");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->iss, "i");
  EXPECT_EQ(c->aud, std::vector<std::string>{"a"});
  EXPECT_FALSE(c->aud_is_array);
  EXPECT_EQ(c->exp, 10);
  EXPECT_EQ(c->nbf, -5);
  EXPECT_EQ(c->iat, 0);
  EXPECT_EQ(c->raw["x"], 1);
  const Access& a = c->access->at(0);
  EXPECT_EQ(a.type, "repository");
  EXPECT_EQ(a.resource_class, "plugin");
  EXPECT_EQ(a.actions, (std::vector<std::string>{"pull", "*"}));
  EXPECT_EQ(a.meta, (nlohmann::json{{"k", 1}}));

  auto go = ParseClaims(R"({"iss":null,"access":[{"name":null,"actions":[null]}]})", Go());
  ASSERT_TRUE(go.has_value());
  EXPECT_EQ(go->iss, std::nullopt);
  EXPECT_EQ(go->access->at(0).name, "");
  EXPECT_EQ(go->access->at(0).actions, std::vector<std::string>{""});
  EXPECT_TRUE(go->access->at(0).meta.is_null());

  auto floats = ParseClaims(R"({"exp":1.9,"nbf":-1.5})", FloatDates());
  ASSERT_TRUE(floats.has_value());
  EXPECT_EQ(floats->exp, 1);
  EXPECT_EQ(floats->nbf, -2);

  auto arr = ParseClaims(R"({"aud":[]})", AudArray());
  ASSERT_TRUE(arr.has_value());
  EXPECT_TRUE(arr->aud_is_array);
  EXPECT_TRUE(arr->aud.empty());

  JsonOptions last_wins;
  last_wins.allow_duplicate_keys = true;
  auto dup = ParseClaims(R"({"aud":"x","aud":"y"})", {}, last_wins);
  ASSERT_TRUE(dup.has_value());
  EXPECT_EQ(dup->aud, std::vector<std::string>{"y"});
}

}  // namespace
}  // namespace regauth::protocol
