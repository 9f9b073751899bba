#include "protocol/jws.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <utility>

#include "protocol/base64.h"
#include "protocol/json.h"

namespace regauth::protocol {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct OpensslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

struct AlgEntry {
  Alg alg;
  std::string_view name;
};
constexpr std::array<AlgEntry, 14> kAlgs = {{
    {Alg::kNone, "none"},
    {Alg::kHS256, "HS256"},
    {Alg::kHS384, "HS384"},
    {Alg::kHS512, "HS512"},
    {Alg::kRS256, "RS256"},
    {Alg::kRS384, "RS384"},
    {Alg::kRS512, "RS512"},
    {Alg::kPS256, "PS256"},
    {Alg::kPS384, "PS384"},
    {Alg::kPS512, "PS512"},
    {Alg::kES256, "ES256"},
    {Alg::kES384, "ES384"},
    {Alg::kES512, "ES512"},
    {Alg::kEdDSA, "EdDSA"},
}};

bool IsRsaPkcs1(Alg a) { return a == Alg::kRS256 || a == Alg::kRS384 || a == Alg::kRS512; }
bool IsRsaPss(Alg a) { return a == Alg::kPS256 || a == Alg::kPS384 || a == Alg::kPS512; }
bool IsEcdsa(Alg a) { return a == Alg::kES256 || a == Alg::kES384 || a == Alg::kES512; }
bool IsHmac(Alg a) { return a == Alg::kHS256 || a == Alg::kHS384 || a == Alg::kHS512; }

const EVP_MD* DigestFor(Alg a) {
  switch (a) {
    case Alg::kHS256:
    case Alg::kRS256:
    case Alg::kPS256:
    case Alg::kES256:
      return EVP_sha256();
    case Alg::kHS384:
    case Alg::kRS384:
    case Alg::kPS384:
    case Alg::kES384:
      return EVP_sha384();
    case Alg::kHS512:
    case Alg::kRS512:
    case Alg::kPS512:
    case Alg::kES512:
      return EVP_sha512();
    default:
      return nullptr;  // EdDSA signs the message itself
  }
}

std::size_t EcCoordinateBytes(Alg a) {
  switch (a) {
    case Alg::kES256:
      return 32;
    case Alg::kES384:
      return 48;
    case Alg::kES512:
      return 66;
    default:
      return 0;
  }
}

// --- Parsing -----------------------------------------------------------------------------------

Result<std::string, Base64Error> DecodeSegment(std::string_view segment, JwsBase64 mode,
                                               std::size_t max_input) {
  switch (mode) {
    case JwsBase64::kDistributionV28:
      return Base64UrlDecodeDistributionV28(segment, max_input);
    case JwsBase64::kGoRawUrl: {
      Base64Options o = Base64Options::JoseStrict();
      o.allow_non_canonical = true;
      o.ignore_newlines = true;
      o.max_input = max_input;
      return Base64Decode(segment, o);
    }
    case JwsBase64::kStrict:
      break;
  }
  Base64Options o = Base64Options::JoseStrict();
  o.max_input = max_input;
  return Base64Decode(segment, o);
}

// EncodedLimit is the longest base64 text (padding or line breaks aside) whose decoded size
// can stay within `decoded` bytes, plus slack for the v2.8 mode's padding.
std::size_t EncodedLimit(std::size_t decoded) { return (decoded + 2) / 3 * 4 + 4; }

struct Segment {
  std::string_view text;
  std::size_t start;
};

Result<std::string, JwsError> DecodeOrFail(const Segment& seg, JwsBase64 mode,
                                           std::size_t max_decoded, JwsError bad_code,
                                           std::string_view reason) {
  if (seg.text.size() > EncodedLimit(max_decoded)) {
    return Fail(JwsError::kTooLarge, seg.start, "JWS segment over its size limit");
  }
  auto bytes = DecodeSegment(seg.text, mode, seg.text.size());
  if (!bytes) {
    return Fail(bad_code, seg.start + std::min(bytes.error().offset, seg.text.size()), reason);
  }
  if (bytes->size() > max_decoded) {
    return Fail(JwsError::kTooLarge, seg.start, "JWS segment over its size limit");
  }
  return std::move(*bytes);
}

// Member returns the header member `name`, or nullptr when absent. Under Go struct decoding a
// JSON null is the same as absent (encoding/json leaves the field at its zero value).
const nlohmann::json* Member(const nlohmann::json& obj, const char* name, bool null_is_absent) {
  const auto it = obj.find(name);
  if (it == obj.end()) return nullptr;
  if (null_is_absent && it->is_null()) return nullptr;
  return &*it;
}

Unexpected<Error<JwsError>> BadMember(std::string_view reason) {
  return Fail(JwsError::kBadHeaderMemberType, 0, reason);
}

Status<JwsError> OptionalString(const nlohmann::json& obj, const char* name, bool go,
                                std::optional<std::string>* out) {
  const nlohmann::json* v = Member(obj, name, go);
  if (v == nullptr) return {};
  if (!v->is_string()) return BadMember("header member is not a string");
  *out = v->get<std::string>();
  return {};
}

Status<JwsError> ReadHeader(const nlohmann::json& obj, const JwsOptions& options, JwsHeader* h) {
  const bool go = options.go_struct_decoding;
  // alg: required string (RFC 7515 §4.1.1); Go decoding: "" when absent, failing later.
  if (const nlohmann::json* alg = Member(obj, "alg", go); alg == nullptr) {
    if (!go) return Fail(JwsError::kMissingAlg, 0, "JWS header has no alg");
  } else if (!alg->is_string()) {
    return BadMember("alg is not a string");
  } else {
    h->alg_name = alg->get<std::string>();
  }
  h->alg = AlgFromName(h->alg_name);

  for (const auto& [name, field] : {std::pair{"typ", &h->typ}, std::pair{"kid", &h->kid}}) {
    auto s = OptionalString(obj, name, go, field);
    if (!s) return s;
  }

  if (const nlohmann::json* x5c = Member(obj, "x5c", go); x5c != nullptr) {
    if (!x5c->is_array()) return BadMember("x5c is not an array");
    if (x5c->size() > options.limits.max_x5c_certificates) {
      return Fail(JwsError::kTooLarge, 0, "x5c has too many certificates");
    }
    for (const nlohmann::json& cert : *x5c) {
      if (cert.is_string()) {
        h->x5c.push_back(cert.get<std::string>());
      } else if (go && cert.is_null()) {
        h->x5c.emplace_back();  // Go: null leaves the element ""
      } else {
        return BadMember("x5c element is not a string");
      }
    }
  }

  if (const nlohmann::json* jwk = Member(obj, "jwk", go); jwk != nullptr) {
    // Go decodes jwk as json.RawMessage: any value passes the parse.
    if (!go && !jwk->is_object()) return BadMember("jwk is not an object");
    h->jwk = *jwk;
  }

  if (go) {
    // distribution v2.8's header struct has no jku/x5u/cty/crit: kept only when well-typed,
    // never checked, never acted on.
    for (const auto& [name, field] :
         {std::pair{"jku", &h->jku}, std::pair{"x5u", &h->x5u}, std::pair{"cty", &h->cty}}) {
      if (const nlohmann::json* v = Member(obj, name, true); v != nullptr && v->is_string()) {
        *field = v->get<std::string>();
      }
    }
    if (const nlohmann::json* crit = Member(obj, "crit", true);
        crit != nullptr && crit->is_array()) {
      for (const nlohmann::json& c : *crit) {
        if (c.is_string()) h->crit.push_back(c.get<std::string>());
      }
    }
    return {};
  }

  for (const auto& [name, field] :
       {std::pair{"jku", &h->jku}, std::pair{"x5u", &h->x5u}, std::pair{"cty", &h->cty}}) {
    auto s = OptionalString(obj, name, false, field);
    if (!s) return s;
  }
  if (const nlohmann::json* crit = Member(obj, "crit", false); crit != nullptr) {
    // RFC 7515 §4.1.11: a non-empty array of strings; this implementation understands no
    // extension, so every listed name is unsupported and the JWS must be rejected.
    if (!crit->is_array() || crit->empty()) return BadMember("crit is not a non-empty array");
    for (const nlohmann::json& c : *crit) {
      if (!c.is_string()) return BadMember("crit element is not a string");
    }
    return Fail(JwsError::kUnsupportedCrit, 0, "crit lists an unsupported extension");
  }
  return {};
}

// --- Signing helpers ---------------------------------------------------------------------------

Result<std::string, SignError> SignFail(SignError code, std::string_view reason) {
  ERR_clear_error();
  return Fail(code, 0, reason);
}

Status<VerifyError> VerifyFail(VerifyError code, std::string_view reason) {
  ERR_clear_error();
  return Fail(code, 0, reason);
}

bool ConfigurePss(EVP_PKEY_CTX* pctx, Alg alg) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, DigestFor(alg)) > 0;
}

Result<std::string, SignError> Serialise(const nlohmann::json& value) {
  if (value.is_null()) return std::string("{}");  // `{}` in a call converts to null
  if (!value.is_object()) return SignFail(SignError::kBadJson, "JOSE header/claims not an object");
  try {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception&) {
    return SignFail(SignError::kBadJson, "JSON not serialisable (invalid UTF-8?)");
  }
}

}  // namespace

// --- Names -------------------------------------------------------------------------------------

std::string_view AlgName(Alg alg) {
  for (const AlgEntry& e : kAlgs) {
    if (e.alg == alg) return e.name;
  }
  return "";
}

Alg AlgFromName(std::string_view name) {
  for (const AlgEntry& e : kAlgs) {
    if (e.name == name) return e.alg;
  }
  return Alg::kUnknown;
}

bool IsAsymmetric(Alg alg) {
  return IsRsaPkcs1(alg) || IsRsaPss(alg) || IsEcdsa(alg) || alg == Alg::kEdDSA;
}

bool AlgFitsKey(Alg alg, KeyType type) {
  switch (alg) {
    case Alg::kRS256:
    case Alg::kRS384:
    case Alg::kRS512:
    case Alg::kPS256:
    case Alg::kPS384:
    case Alg::kPS512:
      return type == KeyType::kRsa;
    case Alg::kES256:
      return type == KeyType::kEcP256;
    case Alg::kES384:
      return type == KeyType::kEcP384;
    case Alg::kES512:
      return type == KeyType::kEcP521;
    case Alg::kEdDSA:
      return type == KeyType::kEd25519;
    default:
      return false;
  }
}

Alg DefaultAlgFor(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return Alg::kRS256;
    case KeyType::kEcP256:
      return Alg::kES256;
    case KeyType::kEcP384:
      return Alg::kES384;
    case KeyType::kEcP521:
      return Alg::kES512;
    case KeyType::kEd25519:
      return Alg::kEdDSA;
  }
  return Alg::kUnknown;
}

std::optional<KeyType> KeyTypeForAlg(Alg alg) {
  switch (alg) {
    case Alg::kRS256:
    case Alg::kRS384:
    case Alg::kRS512:
    case Alg::kPS256:
    case Alg::kPS384:
    case Alg::kPS512:
      return KeyType::kRsa;
    case Alg::kES256:
      return KeyType::kEcP256;
    case Alg::kES384:
      return KeyType::kEcP384;
    case Alg::kES512:
      return KeyType::kEcP521;
    case Alg::kEdDSA:
      return KeyType::kEd25519;
    default:
      return std::nullopt;
  }
}

std::string_view CodeName(JwsError code) {
  switch (code) {
    case JwsError::kTooLarge:
      return "too_large";
    case JwsError::kSegmentCount:
      return "segment_count";
    case JwsError::kEmptySegment:
      return "empty_segment";
    case JwsError::kBadBase64Header:
      return "bad_base64_header";
    case JwsError::kBadBase64Payload:
      return "bad_base64_payload";
    case JwsError::kBadBase64Signature:
      return "bad_base64_signature";
    case JwsError::kHeaderNotJson:
      return "header_not_json";
    case JwsError::kDuplicateHeaderMember:
      return "duplicate_header_member";
    case JwsError::kHeaderNotObject:
      return "header_not_object";
    case JwsError::kMissingAlg:
      return "missing_alg";
    case JwsError::kBadHeaderMemberType:
      return "bad_header_member_type";
    case JwsError::kUnsupportedCrit:
      return "unsupported_crit";
  }
  return "unknown";
}

std::string_view CodeName(SignError code) {
  switch (code) {
    case SignError::kAlgNotSupported:
      return "alg_not_supported";
    case SignError::kAlgKeyMismatch:
      return "alg_key_mismatch";
    case SignError::kNotPrivate:
      return "not_private";
    case SignError::kBadJson:
      return "bad_json";
    case SignError::kCryptoFailure:
      return "crypto_failure";
  }
  return "unknown";
}

std::string_view CodeName(VerifyError code) {
  switch (code) {
    case VerifyError::kAlgNotAllowed:
      return "alg_not_allowed";
    case VerifyError::kAlgKeyMismatch:
      return "alg_key_mismatch";
    case VerifyError::kWeakKey:
      return "weak_key";
    case VerifyError::kBadSignatureLength:
      return "bad_signature_length";
    case VerifyError::kZeroSignatureValue:
      return "zero_signature_value";
    case VerifyError::kBadSignature:
      return "bad_signature";
    case VerifyError::kNoKey:
      return "no_key";
  }
  return "unknown";
}

// --- Parse and encode --------------------------------------------------------------------------

Result<Jws, JwsError> ParseCompactJws(std::string_view token, const JwsOptions& options) {
  const JwsLimits& limits = options.limits;
  if (token.size() > limits.max_token_bytes) {
    return Fail(JwsError::kTooLarge, limits.max_token_bytes, "JWS over the token size limit");
  }
  // Exactly two dots, found without splitting (CVE-2025-27144: no allocation per dot).
  const std::size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) {
    return Fail(JwsError::kSegmentCount, token.size(), "JWS has fewer than three segments");
  }
  const std::size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) {
    return Fail(JwsError::kSegmentCount, token.size(), "JWS has fewer than three segments");
  }
  if (const std::size_t dot3 = token.find('.', dot2 + 1); dot3 != std::string_view::npos) {
    return Fail(JwsError::kSegmentCount, dot3, "JWS has more than three segments");
  }
  const Segment header_seg{token.substr(0, dot1), 0};
  const Segment payload_seg{token.substr(dot1 + 1, dot2 - dot1 - 1), dot1 + 1};
  const Segment signature_seg{token.substr(dot2 + 1), dot2 + 1};
  if (header_seg.text.empty()) return Fail(JwsError::kEmptySegment, 0, "empty JWS header");
  if (payload_seg.text.empty()) {
    return Fail(JwsError::kEmptySegment, payload_seg.start, "empty JWS payload");
  }

  Jws jws;
  auto header = DecodeOrFail(header_seg, options.base64, limits.max_header_bytes,
                             JwsError::kBadBase64Header, "JWS header is not base64url");
  if (!header) return Fail(header.error());
  auto payload = DecodeOrFail(payload_seg, options.base64, limits.max_payload_bytes,
                              JwsError::kBadBase64Payload, "JWS payload is not base64url");
  if (!payload) return Fail(payload.error());
  auto signature = DecodeOrFail(signature_seg, options.base64, limits.max_signature_bytes,
                                JwsError::kBadBase64Signature, "JWS signature is not base64url");
  if (!signature) return Fail(signature.error());
  jws.header_text = std::move(*header);
  jws.payload = std::move(*payload);
  jws.signature = std::move(*signature);
  jws.signing_input = std::string(token.substr(0, dot2));

  JsonOptions json;
  json.limits.max_bytes = limits.max_header_bytes;
  json.limits.max_depth = limits.max_json_depth;
  json.allow_duplicate_keys = options.allow_duplicate_members;
  auto obj = ParseJson(jws.header_text, json);
  // Go's json.Unmarshal of a top-level null into a struct is a no-op: an all-zero header.
  if (obj && obj->is_null() && options.go_struct_decoding) *obj = nlohmann::json::object();
  if (obj && !obj->is_object()) {
    return Fail(JwsError::kHeaderNotObject, 0, "JWS header is not a JSON object");
  }
  if (!obj) {
    // Map the decoded-byte offset back to the start of its base64 quantum in the token.
    const std::size_t at = std::min(obj.error().offset / 3 * 4, header_seg.text.size());
    switch (obj.error().code) {
      case JsonError::kDuplicateKey:
        return Fail(JwsError::kDuplicateHeaderMember, at, "JWS header repeats a member");
      case JsonError::kTooLarge:
        return Fail(JwsError::kTooLarge, 0, "JWS header over its size limit");
      default:
        return Fail(JwsError::kHeaderNotJson, at, "JWS header is not JSON");
    }
  }
  auto read = ReadHeader(*obj, options, &jws.header);
  if (!read) return Fail(read.error());
  jws.header.raw = std::move(*obj);
  return jws;
}

std::string EncodeCompact(std::string_view header_json_text, std::string_view payload_json_text,
                          std::string_view signature_bytes) {
  std::string out = Base64UrlEncode(header_json_text);
  out.push_back('.');
  out += Base64UrlEncode(payload_json_text);
  out.push_back('.');
  out += Base64UrlEncode(signature_bytes);
  return out;
}

// --- Signing -----------------------------------------------------------------------------------

Result<std::string, SignError> SignBytes(Alg alg, const Key& key, std::string_view signing_input) {
  if (!IsAsymmetric(alg)) return SignFail(SignError::kAlgNotSupported, "alg cannot sign here");
  if (!key.valid() || !key.is_private()) {
    return SignFail(SignError::kNotPrivate, "signing needs a private key");
  }
  const auto type = TypeOf(key);
  if (!type || !AlgFitsKey(alg, *type)) {
    return SignFail(SignError::kAlgKeyMismatch, "alg does not fit the key type");
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  if (!md || EVP_DigestSignInit(md.get(), &pctx, DigestFor(alg), nullptr, key.get()) != 1 ||
      (IsRsaPss(alg) && !ConfigurePss(pctx, alg))) {
    return SignFail(SignError::kCryptoFailure, "EVP_DigestSignInit failed");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  std::size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, in, signing_input.size()) != 1) {
    return SignFail(SignError::kCryptoFailure, "EVP_DigestSign (size) failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     signing_input.size()) != 1) {
    return SignFail(SignError::kCryptoFailure, "EVP_DigestSign failed");
  }
  sig.resize(len);
  if (!IsEcdsa(alg)) return sig;

  // RFC 7518 §3.4: JWS carries R and S as fixed-width big-endian octets, not DER.
  const auto* der = reinterpret_cast<const unsigned char*>(sig.data());
  EcdsaSigPtr parsed(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(sig.size())));
  if (!parsed) return SignFail(SignError::kCryptoFailure, "ECDSA signature DER unparsable");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(parsed.get(), &r, &s);
  const std::size_t width = EcCoordinateBytes(alg);
  std::string raw(2 * width, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, static_cast<int>(width)) < 0 ||
      BN_bn2binpad(s, out + width, static_cast<int>(width)) < 0) {
    return SignFail(SignError::kCryptoFailure, "ECDSA value wider than the curve");
  }
  return raw;
}

Result<std::string, SignError> SignHmac(Alg alg, std::string_view secret,
                                        std::string_view signing_input) {
  if (!IsHmac(alg)) return SignFail(SignError::kAlgNotSupported, "SignHmac needs HS256/384/512");
  // HMAC pads the key with zeros to the block size, so an empty key equals the key "\0"; this
  // sidesteps providers that refuse a zero-length key.
  const std::string key = secret.empty() ? std::string(1, '\0') : std::string(secret);
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, EVP_MD_get0_name(DigestFor(alg)), nullptr, key.data(),
                key.size(), reinterpret_cast<const unsigned char*>(signing_input.data()),
                signing_input.size(), out, sizeof(out), &len) == nullptr) {
    return SignFail(SignError::kCryptoFailure, "HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

Result<std::string, SignError> SignCompact(const nlohmann::json& header,
                                           const nlohmann::json& claims, Alg alg, const Key& key) {
  if (!header.is_object() && !header.is_null()) {
    return SignFail(SignError::kBadJson, "header is not an object");
  }
  nlohmann::json h = header.is_null() ? nlohmann::json::object() : header;
  h["alg"] = std::string(AlgName(alg));
  auto header_text = Serialise(h);
  if (!header_text) return Fail(header_text.error());
  auto claims_text = Serialise(claims);
  if (!claims_text) return Fail(claims_text.error());
  const std::string input = Base64UrlEncode(*header_text) + "." + Base64UrlEncode(*claims_text);
  auto sig = SignBytes(alg, key, input);
  if (!sig) return Fail(sig.error());
  return input + "." + Base64UrlEncode(*sig);
}

Result<std::string, SignError> SignCompactHmac(const nlohmann::json& header,
                                               const nlohmann::json& claims, Alg alg,
                                               std::string_view secret) {
  if (!header.is_object() && !header.is_null()) {
    return SignFail(SignError::kBadJson, "header is not an object");
  }
  nlohmann::json h = header.is_null() ? nlohmann::json::object() : header;
  h["alg"] = std::string(AlgName(alg));
  auto header_text = Serialise(h);
  if (!header_text) return Fail(header_text.error());
  auto claims_text = Serialise(claims);
  if (!claims_text) return Fail(claims_text.error());
  const std::string input = Base64UrlEncode(*header_text) + "." + Base64UrlEncode(*claims_text);
  auto sig = SignHmac(alg, secret, input);
  if (!sig) return Fail(sig.error());
  return input + "." + Base64UrlEncode(*sig);
}

// --- Verification ------------------------------------------------------------------------------

AlgPolicy AlgPolicy::DistributionV28() {
  return AlgPolicy{{Alg::kRS256, Alg::kRS384, Alg::kRS512, Alg::kES256, Alg::kES384, Alg::kES512}};
}

AlgPolicy AlgPolicy::AllAsymmetric() {
  return AlgPolicy{{Alg::kRS256, Alg::kRS384, Alg::kRS512, Alg::kPS256, Alg::kPS384, Alg::kPS512,
                    Alg::kES256, Alg::kES384, Alg::kES512, Alg::kEdDSA}};
}

bool AlgPolicy::Allows(Alg alg) const {
  // none, HS* and unknown are refused before the list is consulted: no policy can enable them.
  return IsAsymmetric(alg) && std::find(allowed.begin(), allowed.end(), alg) != allowed.end();
}

Status<VerifyError> VerifyBytes(Alg alg, const Key& key, std::string_view signing_input,
                                std::string_view signature, const AlgPolicy& policy) {
  if (!key.valid()) return VerifyFail(VerifyError::kNoKey, "no verification key");
  if (!policy.Allows(alg)) return VerifyFail(VerifyError::kAlgNotAllowed, "alg not allowed");
  const auto type = TypeOf(key);
  if (!type || !AlgFitsKey(alg, *type)) {
    return VerifyFail(VerifyError::kAlgKeyMismatch, "alg does not fit the key type");
  }
  std::string der_signature;  // what OpenSSL verifies: DER for ECDSA, the bytes otherwise
  if (IsEcdsa(alg)) {
    const std::size_t width = EcCoordinateBytes(alg);
    if (signature.size() != 2 * width) {
      return VerifyFail(VerifyError::kBadSignatureLength, "ECDSA signature not raw r||s");
    }
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    BnPtr r(BN_bin2bn(raw, static_cast<int>(width), nullptr));
    BnPtr s(BN_bin2bn(raw + width, static_cast<int>(width), nullptr));
    if (!r || !s) return VerifyFail(VerifyError::kBadSignature, "BN_bin2bn failed");
    // CVE-2022-21449: r = 0 or s = 0 must never verify; reject before any arithmetic.
    if (BN_is_zero(r.get()) || BN_is_zero(s.get())) {
      return VerifyFail(VerifyError::kZeroSignatureValue, "ECDSA r or s is zero");
    }
    EcdsaSigPtr sig(ECDSA_SIG_new());
    if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
      return VerifyFail(VerifyError::kBadSignature, "ECDSA_SIG_set0 failed");
    }
    r.release();  // now owned by sig
    s.release();
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_len <= 0) return VerifyFail(VerifyError::kBadSignature, "i2d_ECDSA_SIG failed");
    std::unique_ptr<unsigned char, OpensslFree> der_owner(der);
    der_signature.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(der_len));
  } else if (alg == Alg::kEdDSA) {
    if (signature.size() != 64) {
      return VerifyFail(VerifyError::kBadSignatureLength, "Ed25519 signature not 64 bytes");
    }
    der_signature.assign(signature);
  } else {
    const int bits = key.bits();
    if (bits < policy.min_rsa_bits) return VerifyFail(VerifyError::kWeakKey, "RSA key too small");
    if (signature.size() != static_cast<std::size_t>((bits + 7) / 8)) {
      return VerifyFail(VerifyError::kBadSignatureLength, "RSA signature not modulus-sized");
    }
    der_signature.assign(signature);
  }

  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  if (!md || EVP_DigestVerifyInit(md.get(), &pctx, DigestFor(alg), nullptr, key.get()) != 1 ||
      (IsRsaPss(alg) && !ConfigurePss(pctx, alg))) {
    return VerifyFail(VerifyError::kBadSignature, "EVP_DigestVerifyInit failed");
  }
  if (EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(der_signature.data()),
                       der_signature.size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1) {
    return VerifyFail(VerifyError::kBadSignature, "signature does not verify");
  }
  return {};
}

Status<VerifyError> VerifySignature(const Jws& jws, const Key& key, const AlgPolicy& policy) {
  return VerifyBytes(jws.header.alg, key, jws.signing_input, jws.signature, policy);
}

}  // namespace regauth::protocol
