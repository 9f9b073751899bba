// jws.h — JWS Compact Serialization (RFC 7515 §3.1, §7.1) with the RFC 7518 §3 algorithms:
// a hand-written, limit-checked parser (the subject under test), signing and verification over
// OpenSSL 3 EVP, and raw builders with which the suite forges hostile tokens.
//
// Parsing is strict by default: exactly three segments, unpadded canonical base64url, a header
// that is a JSON object without duplicate member names, a string "alg", correctly typed
// registered members, and no "crit" entry (this code understands no extension, so any listed
// one must be rejected, RFC 7515 §4.1.11). The tolerances real peers have are named options:
// distribution v2.8's padded base64url (JwsBase64::kDistributionV28), Go's last-duplicate-wins
// JSON (allow_duplicate_members), and Go's struct decoding of the header (go_struct_decoding).
//
// Verification never accepts "none" or an HS* algorithm, whatever the policy says: they have no
// code path (HS* exists only in SignHmac, for forging algorithm-confusion tokens). ES*
// signatures must be raw r‖s of exactly twice the coordinate size with r, s ≠ 0 (RFC 7518 §3.4;
// the CVE-2022-21449 class), and each ES* algorithm is bound to its curve.
//
// jku and x5u are parsed and returned but never dereferenced: this module does no I/O, and no
// caller may fetch them (suite-anchors.md §C3).
//
// Usage:
//   auto jws = ParseCompactJws(token);                     // strict
//   if (!jws) return Fail(jws.error());                    // code + offset into the token
//   auto ok = VerifySignature(*jws, key, AlgPolicy::DistributionV28());
//
//   auto token = SignCompact({{"typ", "JWT"}, {"kid", kid}}, claims, Alg::kRS256, key);
//   std::string forged = EncodeCompact(R"({"alg":"none"})", R"({"sub":"x"})", "");
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/keys.h"
#include "protocol/result.h"

namespace regauth::protocol {

// Alg is a JWS "alg" value (RFC 7518 §3.1). kUnknown stands for every other string, including
// the wrong-case spellings "None", "NONE", "rs256" (an attack class: AlgFromName is exact).
enum class Alg {
  kNone,
  kHS256,
  kHS384,
  kHS512,
  kRS256,
  kRS384,
  kRS512,
  kPS256,
  kPS384,
  kPS512,
  kES256,
  kES384,
  kES512,
  kEdDSA,
  kUnknown,
};

// AlgName returns the registered name ("RS256", "none", ...; "" for kUnknown).
std::string_view AlgName(Alg alg);

// AlgFromName maps an exact, case-sensitive registered name to its Alg; anything else is
// kUnknown.
Alg AlgFromName(std::string_view name);

// IsAsymmetric reports whether `alg` is one of RS*, PS*, ES*, EdDSA (the only algorithms that
// VerifySignature can ever accept).
bool IsAsymmetric(Alg alg);

// AlgFitsKey reports whether `alg` can be used with a key of `type`: RS*/PS* with RSA, ES256
// with P-256 only, ES384 with P-384, ES512 with P-521, EdDSA with Ed25519.
bool AlgFitsKey(Alg alg, KeyType type);

// DefaultAlgFor returns the algorithm a signer uses for a key type: RS256 for RSA (what GitLab
// emits), ES256/ES384/ES512 by curve, EdDSA for Ed25519.
Alg DefaultAlgFor(KeyType type);

// KeyTypeForAlg is the key type that signs with `alg` (what GenerateKey must make): RSA for
// RS*/PS*, the curve of ES*, Ed25519 for EdDSA; nullopt for none, HS* and unknown.
std::optional<KeyType> KeyTypeForAlg(Alg alg);

// JwsBase64 selects how the three segments are base64url-decoded.
enum class JwsBase64 {
  kStrict,           // RFC 7515 §2: URL alphabet, no padding, canonical trailing bits
  kDistributionV28,  // Base64UrlDecodeDistributionV28: also '='-padded input, non-canonical
                     // bits, CR/LF skipped (distribution v2.8 joseBase64UrlDecode)
  kGoRawUrl,         // Go base64.RawURLEncoding: no padding, non-canonical bits and CR/LF
                     // accepted (go-jose, distribution v3; code-reading, not measured)
};

// JwsLimits bounds every size the parser handles; exceeding one is JwsError::kTooLarge.
struct JwsLimits {
  std::size_t max_token_bytes = 16 * 1024;
  std::size_t max_header_bytes = 12 * 1024;   // decoded header JSON
  std::size_t max_payload_bytes = 12 * 1024;  // decoded payload
  std::size_t max_signature_bytes = 2048;     // decoded (an RSA-16384 signature)
  std::size_t max_json_depth = 16;
  std::size_t max_x5c_certificates = 10;

  // Generous returns limits near distribution's real bound (Go's 1 MiB request-header limit),
  // for profiles that must accept whatever distribution would.
  static JwsLimits Generous() {
    JwsLimits l;
    l.max_token_bytes = 1 << 20;
    l.max_header_bytes = 768 * 1024;
    l.max_payload_bytes = 768 * 1024;
    l.max_signature_bytes = 2048;
    l.max_json_depth = 32;
    l.max_x5c_certificates = 64;
    return l;
  }
};

// JwsOptions selects limits and tolerances. Defaults are strict.
struct JwsOptions {
  JwsLimits limits;
  JwsBase64 base64 = JwsBase64::kStrict;
  // Lenient: a header repeating a member name is accepted and the last value wins, as Go's
  // encoding/json does (measured on distribution 2.8.2, suite-anchors.md §C1).
  bool allow_duplicate_members = false;
  // Lenient: decode the header as distribution v2.8 decodes it into its Go struct
  // {typ, alg, kid, x5c, jwk} (token-auth.md §2.3): a missing or null member takes the zero
  // value (so a missing "alg" is "" and fails later, at the signature step, not here; a null
  // x5c element is ""; a header that is JSON null is an empty header); members outside the struct
  // (jku, x5u, cty, crit) are ignored whatever their type or content, so an unknown "crit" is
  // accepted; "jwk" may be any JSON value (it is decoded only at key selection).
  bool go_struct_decoding = false;
};

// JwsError is the reason ParseCompactJws failed.
enum class JwsError {
  kTooLarge = 1,           // token, a decoded segment or the x5c count over JwsLimits
  kSegmentCount,           // not exactly three '.'-separated segments
  kEmptySegment,           // empty header or payload segment (a JWT has both)
  kBadBase64Header,        // header segment is not valid base64url under JwsOptions::base64
  kBadBase64Payload,       // payload segment likewise
  kBadBase64Signature,     // signature segment likewise
  kHeaderNotJson,          // decoded header is not RFC 8259 JSON (incl. bad UTF-8, depth)
  kDuplicateHeaderMember,  // header object repeats a member name (RFC 7515 §5.2)
  kHeaderNotObject,        // header JSON is not an object
  kMissingAlg,             // no "alg" member (strict decoding only)
  kBadHeaderMemberType,    // alg/typ/kid/jku/x5u/cty not a string, x5c not an array of
                           // strings, jwk not an object, crit not a non-empty array of strings
  kUnsupportedCrit,        // "crit" lists an extension (RFC 7515 §4.1.11: none understood)
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(JwsError code);

// JwsHeader is the decoded JOSE header. Members absent from the header are nullopt / empty.
struct JwsHeader {
  std::string alg_name;  // "alg" exactly as received ("" if absent under go_struct_decoding)
  Alg alg = Alg::kUnknown;
  std::optional<std::string> typ, kid, jku, x5u, cty;
  std::vector<std::string> x5c;  // standard base64 (not url) DER, leaf first, as received
  std::optional<nlohmann::json> jwk;
  std::vector<std::string> crit;
  nlohmann::json raw;  // the whole header object

  friend bool operator==(const JwsHeader&, const JwsHeader&) = default;
};

// Jws is a parsed compact JWS. All members are owned copies.
struct Jws {
  JwsHeader header;
  std::string header_text;    // decoded header bytes (the JSON text as signed)
  std::string payload;        // decoded payload bytes
  std::string signature;      // decoded signature bytes (empty for "h.p.")
  std::string signing_input;  // ASCII "header-segment.payload-segment" exactly as received

  friend bool operator==(const Jws&, const Jws&) = default;
};

// ParseCompactJws parses `token` = BASE64URL(header) '.' BASE64URL(payload) '.'
// BASE64URL(signature). An empty signature segment is accepted (distribution rejects it later,
// at verification step 5). It never allocates per '.', so a megabyte of dots fails in linear
// time without allocation (go-jose CVE-2025-27144).
// Error offsets index `token`: kTooLarge on the whole token → max_token_bytes, on a segment →
// the segment's start; kSegmentCount → the third '.' or token.size(); kBadBase64* → the
// offending character; header JSON errors → the approximate encoded position of the bad byte;
// member errors → 0.
Result<Jws, JwsError> ParseCompactJws(std::string_view token, const JwsOptions& options = {});

// EncodeCompact returns BASE64URL(header_json_text) '.' BASE64URL(payload_json_text) '.'
// BASE64URL(signature_bytes), unpadded. The texts are used verbatim, so tests can forge
// duplicate members, wrong types or invalid JSON; an empty signature yields "h.p.".
std::string EncodeCompact(std::string_view header_json_text, std::string_view payload_json_text,
                          std::string_view signature_bytes);

// SignError is the reason a signing function failed.
enum class SignError {
  kAlgNotSupported = 1,  // none/unknown, HS* in SignBytes, non-HS* in SignHmac
  kAlgKeyMismatch,       // alg does not fit the key type (AlgFitsKey)
  kNotPrivate,           // key has no private part (or is empty)
  kBadJson,              // SignCompact: header/claims not an object, or not serialisable
                         // (e.g. a string that is not UTF-8)
  kCryptoFailure,        // OpenSSL failed internally
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(SignError code);

// SignBytes signs `signing_input` and returns the JWS signature bytes: RS* RSASSA-PKCS1-v1_5,
// PS* RSASSA-PSS with MGF1 of the same hash and salt length = hash length (RFC 7518 §3.5),
// ES* raw r‖s each left-padded to the coordinate size (converted from OpenSSL's DER, RFC 7518
// §3.4), EdDSA pure Ed25519 (RFC 8037). ECDSA and PSS draw randomness inside OpenSSL.
// Errors: kAlgNotSupported, kAlgKeyMismatch, kNotPrivate, kCryptoFailure.
Result<std::string, SignError> SignBytes(Alg alg, const Key& key, std::string_view signing_input);

// SignHmac computes HS256/384/512 over `signing_input` keyed with `secret`. It exists so the
// suite can forge algorithm-confusion tokens (HMAC keyed with the RSA public key PEM or DER);
// nothing in this library verifies HS*. Errors: kAlgNotSupported (alg not HS*),
// kCryptoFailure.
Result<std::string, SignError> SignHmac(Alg alg, std::string_view secret,
                                        std::string_view signing_input);

// SignCompact is the normal signing path: it copies `header`, sets its "alg" to AlgName(alg)
// (the caller supplies "typ", "kid", "x5c", ...; a null header or claims value — what `{}`
// converts to — counts as an empty object), serialises header and claims compactly with
// nlohmann (members in sorted order) and signs with SignBytes. Errors: kBadJson and SignBytes'.
Result<std::string, SignError> SignCompact(const nlohmann::json& header,
                                           const nlohmann::json& claims, Alg alg, const Key& key);

// SignCompactHmac is SignCompact with SignHmac, for forging HS* tokens.
Result<std::string, SignError> SignCompactHmac(const nlohmann::json& header,
                                               const nlohmann::json& claims, Alg alg,
                                               std::string_view secret);

// AlgPolicy is the verifier's algorithm allow-list. none and HS* never verify even if listed.
struct AlgPolicy {
  std::vector<Alg> allowed;
  int min_rsa_bits = 2048;

  // DistributionV28: RS256/384/512 and ES256/384/512 (libtrust, token-auth.md §2.4).
  static AlgPolicy DistributionV28();
  // AllAsymmetric: every RS*, PS*, ES* and EdDSA.
  static AlgPolicy AllAsymmetric();
  bool Allows(Alg alg) const;
};

// VerifyError is the reason a signature did not verify.
enum class VerifyError {
  kAlgNotAllowed = 1,   // alg not in the policy, or none / HS* / unknown (never allowed)
  kAlgKeyMismatch,      // alg does not fit the key type or curve (ES256 with a P-384 key, ...)
  kWeakKey,             // RSA key below AlgPolicy::min_rsa_bits
  kBadSignatureLength,  // ES* signature not exactly 2 × coordinate size; EdDSA not 64 bytes;
                        // RS*/PS* not the modulus size
  kZeroSignatureValue,  // ES* r or s is zero (CVE-2022-21449 "psychic signature")
  kBadSignature,        // the signature does not verify
  kNoKey,               // empty Key
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(VerifyError code);

// VerifyBytes checks `signature` over `signing_input` with `key` for `alg` under `policy`, in
// this order: key present, alg allowed (never none/HS*/unknown), alg fits key, RSA size,
// signature length / zero values, cryptographic check.
Status<VerifyError> VerifyBytes(Alg alg, const Key& key, std::string_view signing_input,
                                std::string_view signature, const AlgPolicy& policy);

// VerifySignature is VerifyBytes(jws.header.alg, key, jws.signing_input, jws.signature, policy).
Status<VerifyError> VerifySignature(const Jws& jws, const Key& key, const AlgPolicy& policy);

}  // namespace regauth::protocol
