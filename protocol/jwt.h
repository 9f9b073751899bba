// jwt.h — JWT claims (RFC 7519) for registry tokens, the verifier's behaviour as data
// (VerifierProfile), and full token verification in the order distribution performs it
// (token-auth.md §1.6, §2.3–§2.6, §6; suite-anchors.md §C1, §C3).
//
// ParseClaims decodes the payload strictly: integer NumericDates (distribution decodes into
// int64, so 1.5, 1e3, "123" and values outside int64 are malformed), a string "aud" (an array
// only under allow_aud_array), and a typed "access" claim (an array of
// {type, class?, name, actions[], meta?} objects).
//
// VerifyToken = parse + claims checks + key selection + signature, with the profile choosing
// tolerances and order. Three factories encode the targets the suite knows:
//   DistributionV28 — distribution v2.7.1…v2.8.3 (the Debian docker-registry 2.8.2 measured in
//                     suite-anchors.md §C1): claims first (iss, aud, exp+60 s, nbf−60 s), then
//                     empty signature, key (x5c → jwk → kid), signature; RS*/ES* only, libtrust
//                     kids, padded base64url, Go JSON (last duplicate wins, null = zero value).
//   DistributionV3  — v3.x (token-auth.md §2.6): key and signature first, then claims; aud
//                     string or array; RFC 7638 thumbprint kids; alg allow-list at parse.
//   Strict          — RFC 8725 practice: duplicates rejected, exp required, all asymmetric algs.
// A jwk header is trusted only through its computed key ID or a certificate chain, never
// through its own "kid" member alone (CVE-2025-24976).
//
// Usage:
//   auto roots = LoadCertificatesPem(bundle);
//   TrustStore trust = TrustStore::FromRoots(*roots, KeyIdFormat::kLibtrust);
//   VerifierProfile profile = VerifierProfile::DistributionV28("gitlab-issuer",
//                                                              "container_registry");
//   auto verified = VerifyToken(token, trust, profile, now_unix);
//   if (!verified) {
//     TokenCategory category = CategoryOf(verified.error().code, profile);
//     std::string_view error_param = ChallengeErrorParam(category);  // "invalid_token" or ""
//   }
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json.h"
#include "protocol/jws.h"
#include "protocol/keys.h"
#include "protocol/result.h"

namespace regauth::protocol {

// Access is one entry of the private "access" claim (token-auth.md §1.6; distribution
// ResourceActions). `resource_class` is the optional "class" member (ignored for matching by
// every registry); `meta` is GitLab's optional "meta" object, JSON null when absent.
struct Access {
  std::string type;
  std::optional<std::string> resource_class;
  std::string name;
  std::vector<std::string> actions;
  nlohmann::json meta;

  friend bool operator==(const Access&, const Access&) = default;
};

// Claims holds the registered claims and "access". Absent string claims are nullopt; an absent
// "aud" is an empty vector with aud_is_array == false.
struct Claims {
  std::optional<std::string> iss, sub, jti;
  std::vector<std::string> aud;
  bool aud_is_array = false;  // "aud" was a JSON array (only possible with allow_aud_array)
  std::optional<int64_t> exp, nbf, iat;
  std::optional<std::vector<Access>> access;  // nullopt when absent (or null, Go decoding)
  nlohmann::json raw;                         // the whole claims object

  friend bool operator==(const Claims&, const Claims&) = default;
};

// ClaimsError is the reason ParseClaims failed. Offsets: JSON errors index the payload text;
// member errors are 0 (the reason names the member).
enum class ClaimsError {
  kTooLarge = 1,             // payload over JsonOptions::limits.max_bytes
  kNotJson,                  // not RFC 8259 JSON (incl. bad UTF-8, too deep, 1e400)
  kDuplicateMember,          // a member name repeats (RFC 7515 §5.2; strict JSON only)
  kNotObject,                // top-level value is not an object
  kBadMemberType,            // iss, sub or jti is not a string
  kBadAudience,              // aud is neither a string nor an array of strings
  kAudienceArrayNotAllowed,  // aud is an array but allow_aud_array is off (distribution v2.8)
  kBadNumericDate,           // exp/nbf/iat not an integer in int64 range (fraction, exponent,
                             // string, bool, ≥ 2^63) — or, with allow_float_dates, not a
                             // finite number in int64 range
  kBadAccess,                // access not an array of objects; type/name/class not strings;
                             // actions not an array of strings; required member missing
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(ClaimsError code);

// ClaimsParseOptions selects the claim-level tolerances. Defaults are strict.
struct ClaimsParseOptions {
  // Accept "aud" as an array of strings (RFC 7519 §4.1.3; distribution v3 AudienceList).
  bool allow_aud_array = false;
  // Accept non-integer NumericDates (RFC 7519 §2 allows them), rounded down to whole seconds.
  bool allow_float_dates = false;
  // Decode as Go's encoding/json decodes distribution's ClaimSet struct: null is the zero
  // value (an absent claim; a payload that is JSON null has no claims at all), and the members of
  // an access entry are optional (type/name "", actions empty). A null access entry stays an error:
  // distribution v2.8 would keep a nil pointer and dereference it in accessSet() (code-reading), so
  // there is no acceptance behaviour to model.
  bool go_struct_decoding = false;
};

// ParseClaims decodes a JWT payload. `json` sets the size/depth limits and whether duplicate
// member names are allowed (last wins).
Result<Claims, ClaimsError> ParseClaims(std::string_view payload_json,
                                        const ClaimsParseOptions& options = {},
                                        const JsonOptions& json = {});

// KeyIdFormat names how a registry identifies a trusted key from a `kid` (token-auth.md §6.12).
enum class KeyIdFormat {
  kLibtrust,       // LibtrustKeyId: distribution v2.x, GitLab, Harbor
  kJwkThumbprint,  // JwkThumbprint (RFC 7638): distribution v3
};

// KeyIdOf returns the key ID of `key` in `format`.
std::string KeyIdOf(const Key& key, KeyIdFormat format);

// TrustStore is what a registry trusts: the rootcertbundle certificates (anchors for x5c
// chains) and the keys a `kid` or a jwk's computed ID may name. Lookups are exact string
// matches (no normalisation, no path semantics: "../../dev/null" is just an unknown ID).
struct TrustStore {
  std::vector<Certificate> roots;
  std::map<std::string, Key> keys_by_id;

  // FromRoots trusts each root certificate and indexes its public key under its `format` ID,
  // as distribution builds trustedKeys from the rootcertbundle (token-auth.md §2.1, §2.6).
  static TrustStore FromRoots(const std::vector<Certificate>& roots, KeyIdFormat format);
  // AddKey trusts `key` under `id` (a JWKS entry with its own kid, distribution v3 `jwks`).
  void AddKey(std::string id, Key key) { keys_by_id.insert_or_assign(std::move(id), key); }
};

// MissingExp is what a verifier does with a token without "exp".
enum class MissingExp {
  kReject,       // TokenError::kMissingExp (RFC 8725 practice)
  kTreatAsZero,  // distribution: the int64 zero value, i.e. 1970, so always kExpired
  kAccept,       // no expiry check (zot, golang-jwt default; token-auth.md §5)
};

// JwkTrust is how a jwk header member without its own x5c becomes trusted.
enum class JwkTrust {
  kComputedKeyId,        // distribution v2.8 (libtrust): the ID computed from the key material must
                         // be trusted, and a "kid" member, if present, must equal it
  kKidMemberTrustedKey,  // distribution v3 after the CVE-2025-24976 fix: the JWK's "kid" names
                         // a trusted key and THAT trusted key verifies (the JWK's own material
                         // is never used)
};

// VerifyOrder is the order of the checks after parsing.
enum class VerifyOrder {
  kClaimsFirst,     // distribution v2.8 Verify: iss, aud, exp, nbf, empty signature, key, sig
  kSignatureFirst,  // distribution v3 / strict: key, empty signature, sig, then the claims
};

// VerifierProfile is a verifier's behaviour as data. Fields not set by a factory keep the
// strict defaults below.
struct VerifierProfile {
  std::vector<std::string> trusted_issuers;     // exact, case-sensitive; "" never matches
  std::vector<std::string> accepted_audiences;  // exact, case-sensitive; "" never matches
  int64_t leeway_seconds = 60;  // exp: reject when now > exp + leeway; nbf: when now <
                                // nbf − leeway (saturating); negative values act as 0
  MissingExp missing_exp = MissingExp::kReject;
  bool check_iat = false;  // reject iat > now + leeway (kIssuedInFuture)
  AlgPolicy algs = AlgPolicy::AllAsymmetric();
  // The allow-list is enforced while parsing (go-jose ParseSigned in distribution v3: a
  // malformed token) instead of at the signature step (libtrust in v2.8: an invalid token).
  bool algs_checked_at_parse = false;
  KeyIdFormat kid_format = KeyIdFormat::kJwkThumbprint;
  JwkTrust jwk_trust = JwkTrust::kComputedKeyId;
  VerifyOrder order = VerifyOrder::kSignatureFirst;
  // distribution v3 returns go-jose's raw error for signature and claims-decoding failures, so
  // its challenge carries no error= parameter (token-auth.md §2.6, §6.14; code-reading).
  bool unmapped_errors_after_key = false;
  // JWS parsing: limits, base64 mode, duplicate members (also applied to the claims JSON),
  // Go struct decoding of the header.
  JwsOptions jws;
  // Claims parsing: aud arrays, float dates, Go struct decoding.
  ClaimsParseOptions claims;

  // DistributionV28 — see the file comment. Measured on 2.8.2: dup "aud" with the good value
  // last is accepted, a dup "alg" ending in none is rejected, aud arrays are malformed, the
  // leeway is 60 s (suite-anchors.md §C1).
  static VerifierProfile DistributionV28(std::string issuer, std::string service);
  // DistributionV3 — token-auth.md §2.6 with the default signingalgorithms minus HS* (never
  // verified here): EdDSA, RS*, ES*, PS*.
  static VerifierProfile DistributionV3(std::string issuer, std::string service);
  // Strict — RFC 8725: duplicates rejected, strict base64url, aud string or array, exp
  // required, 60 s leeway, thumbprint kids, signature checked before claims.
  static VerifierProfile Strict(std::string issuer, std::string service);
};

// TokenError is the precise reason VerifyToken failed. CategoryOf maps it to distribution's
// error class for a given profile.
enum class TokenError {
  // Malformed: the token does not parse (distribution ErrMalformedToken).
  kTooLarge = 1,           // token or a segment over the profile's JwsLimits
  kSegmentCount,           // not exactly three segments
  kEmptySegment,           // empty header or payload segment
  kBadBase64,              // a segment is not base64url under the profile's mode
  kBadHeaderJson,          // header not JSON or not an object
  kDuplicateHeaderMember,  // header repeats a member (strict JSON)
  kBadHeaderMember,        // header member of the wrong type
  kMissingAlg,             // header without alg (strict decoding)
  kUnsupportedCrit,        // header crit lists an extension
  kAlgRejected,            // alg not allowed, checked at parse (algs_checked_at_parse)
  kBadClaimsJson,          // claims not JSON / not an object / too large
  kDuplicateClaim,         // claims repeat a member (strict JSON)
  kBadClaim,               // iss/sub/jti/aud of the wrong type
  kAudienceArray,          // aud array where the profile wants a string
  kBadNumericDate,         // exp/nbf/iat not an int64 NumericDate
  kBadAccess,              // access claim malformed
  // Invalid: parses but must not be accepted (distribution ErrInvalidToken).
  kBadIssuer,               // iss not trusted
  kBadAudience,             // no aud value accepted
  kMissingExp,              // no exp and MissingExp::kReject
  kExpired,                 // now > exp + leeway (or exp absent under kTreatAsZero)
  kNotYetValid,             // now < nbf − leeway
  kIssuedInFuture,          // check_iat and iat > now + leeway
  kEmptySignature,          // signature segment empty (distribution Verify step 5)
  kNoKey,                   // no x5c, jwk or kid to select a key
  kUnknownKid,              // kid not in the trust store
  kBadCertificate,          // x5c entry not base64 DER of a certificate
  kChainUntrusted,          // x5c chain does not reach a root
  kCertificateExpired,      // x5c chain certificate expired at now
  kCertificateNotYetValid,  // x5c chain certificate not yet valid at now
  kBadJwk,                  // jwk header does not decode to a supported public key
  kJwkKidMismatch,          // jwk "kid" member differs from its computed ID (libtrust check)
  kJwkNotTrusted,           // jwk without chain whose ID is not trusted
  kLeafKeyMismatch,         // jwk x5c leaf key differs from the jwk key
  kAlgNotAllowed,           // alg not allowed (none/HS*/unknown always)
  kAlgKeyMismatch,          // alg does not fit the selected key
  kWeakKey,                 // selected RSA key below the profile's minimum
  kBadSignature,            // signature wrong (incl. wrong length, r or s zero)
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(TokenError code);

// TokenCategory is distribution's classification of a verification failure.
enum class TokenCategory {
  kMalformed,  // ErrMalformedToken → challenge error="invalid_token"
  kInvalid,    // ErrInvalidToken → challenge error="invalid_token"
  kUnmapped,   // a raw library error (distribution v3 signature/claims failures) → challenge
               // without error=
};

// CategoryOf classifies `code` as the profile's target would.
TokenCategory CategoryOf(TokenError code, const VerifierProfile& profile);

// CategoryName returns "malformed_token", "invalid_token" or "unmapped".
std::string_view CategoryName(TokenCategory category);

// ChallengeErrorParam returns the WWW-Authenticate error= value a registry emits for the
// category: "invalid_token" for malformed and invalid tokens, "" (no parameter) for unmapped
// errors (token-auth.md §1.2, §2.5, §6.14).
std::string_view ChallengeErrorParam(TokenCategory category);

// VerifiedToken is a token that passed VerifyToken.
struct VerifiedToken {
  Claims claims;
  JwsHeader header;
  std::string key_id;  // ID (profile format) of the key that verified the signature
  Key key;             // that key (always a trusted key or an x5c leaf chained to a root)
};

// VerifyToken parses and verifies a compact JWT at the instant `now_unix` (the clock is never
// read). The first failing check, in the profile's order, gives the error; its offset indexes
// `token` for parse errors and is 0 otherwise; its reason is static text.
//
// Key selection (token-auth.md §2.4 "Key selection"), first match wins, no fall-through:
//   1. x5c non-empty: standard base64 DER certificates, leaf first, chain to trust.roots at
//      now_unix; the leaf key verifies; kid is ignored.
//   2. jwk present: decoded with KeyFromJwk. With its own "x5c" member: that chain must reach a
//      root and its leaf key equal the jwk key. Without: per profile.jwk_trust. The key used is
//      always the trusted one from the store (or the chained leaf), never attacker material.
//   3. kid non-empty: trust.keys_by_id[kid] by exact match.
//   4. otherwise kNoKey.
// Boundary semantics (Go's time.After/Before with whole seconds): exp = now − leeway is still
// accepted, exp = now − leeway − 1 is expired; nbf = now + leeway is accepted, nbf = now +
// leeway + 1 is not yet valid. (distribution's TestLeeway sees exp = now − 60 s fail because
// its real clock has a sub-second part; with integer now that instant is the boundary itself.)
Result<VerifiedToken, TokenError> VerifyToken(std::string_view token, const TrustStore& trust,
                                              const VerifierProfile& profile, int64_t now_unix);

// FromClaimsError maps a ParseClaims error to the TokenError VerifyToken reports for it. A
// verifier that replays VerifyToken's stages (the reference registry, which plants bugs between
// them) reports the same codes through it.
TokenError FromClaimsError(ClaimsError e);

// SaturatingAdd is a + b clamped to the int64 range: the time arithmetic of the exp/nbf/iat
// checks (a token with exp = INT64_MAX and a leeway must not wrap around).
int64_t SaturatingAdd(int64_t a, int64_t b);

}  // namespace regauth::protocol
