#include "protocol/jwt.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "protocol/base64.h"

namespace regauth::protocol {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// Member returns obj[name], or nullptr when absent (or null under Go struct decoding).
const nlohmann::json* Member(const nlohmann::json& obj, const char* name, bool null_is_absent) {
  const auto it = obj.find(name);
  if (it == obj.end()) return nullptr;
  if (null_is_absent && it->is_null()) return nullptr;
  return &*it;
}

Status<ClaimsError> OptionalString(const nlohmann::json& obj, const char* name, bool go,
                                   std::optional<std::string>* out, std::string_view reason) {
  const nlohmann::json* v = Member(obj, name, go);
  if (v == nullptr) return {};
  if (!v->is_string()) return Fail(ClaimsError::kBadMemberType, 0, reason);
  *out = v->get<std::string>();
  return {};
}

Status<ClaimsError> NumericDate(const nlohmann::json& obj, const char* name,
                                const ClaimsParseOptions& options, std::optional<int64_t>* out,
                                std::string_view reason) {
  const nlohmann::json* v = Member(obj, name, options.go_struct_decoding);
  if (v == nullptr) return {};
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(kInt64Max)) return Fail(ClaimsError::kBadNumericDate, 0, reason);
    *out = static_cast<int64_t>(u);
    return {};
  }
  if (v->is_number_integer()) {
    *out = v->get<int64_t>();
    return {};
  }
  if (v->is_number_float() && options.allow_float_dates) {
    const double d = std::floor(v->get<double>());
    // [-2^63, 2^63): both bounds are exact doubles.
    if (std::isfinite(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
      *out = static_cast<int64_t>(d);
      return {};
    }
  }
  return Fail(ClaimsError::kBadNumericDate, 0, reason);
}

Status<ClaimsError> ReadAudience(const nlohmann::json& obj, const ClaimsParseOptions& options,
                                 Claims* c) {
  const nlohmann::json* aud = Member(obj, "aud", options.go_struct_decoding);
  if (aud == nullptr) return {};
  if (aud->is_string()) {
    c->aud.push_back(aud->get<std::string>());
    return {};
  }
  if (!aud->is_array()) return Fail(ClaimsError::kBadAudience, 0, "aud is not a string");
  if (!options.allow_aud_array) {
    // distribution v2.8 decodes aud into a Go string: an array is malformed (token-auth.md
    // §2.4 "Multiple audiences"; measured, suite-anchors.md §C1).
    return Fail(ClaimsError::kAudienceArrayNotAllowed, 0, "aud is an array");
  }
  c->aud_is_array = true;
  for (const nlohmann::json& a : *aud) {
    if (!a.is_string()) return Fail(ClaimsError::kBadAudience, 0, "aud element not a string");
    c->aud.push_back(a.get<std::string>());
  }
  return {};
}

Status<ClaimsError> AccessString(const nlohmann::json& entry, const char* name, bool go,
                                 bool required, std::string* out) {
  const nlohmann::json* v = Member(entry, name, go);
  if (v == nullptr) {
    if (required && !go) return Fail(ClaimsError::kBadAccess, 0, "access entry member missing");
    return {};
  }
  if (!v->is_string()) return Fail(ClaimsError::kBadAccess, 0, "access member not a string");
  *out = v->get<std::string>();
  return {};
}

Status<ClaimsError> ReadAccess(const nlohmann::json& obj, const ClaimsParseOptions& options,
                               Claims* c) {
  const bool go = options.go_struct_decoding;
  const nlohmann::json* access = Member(obj, "access", go);
  if (access == nullptr) return {};
  if (!access->is_array()) return Fail(ClaimsError::kBadAccess, 0, "access is not an array");
  std::vector<Access> entries;
  entries.reserve(access->size());
  for (const nlohmann::json& entry : *access) {
    if (!entry.is_object()) return Fail(ClaimsError::kBadAccess, 0, "access entry not an object");
    Access a;
    auto s = AccessString(entry, "type", go, true, &a.type);
    if (!s) return s;
    s = AccessString(entry, "name", go, true, &a.name);
    if (!s) return s;
    std::string resource_class;
    if (Member(entry, "class", go) != nullptr) {
      s = AccessString(entry, "class", go, false, &resource_class);
      if (!s) return s;
      a.resource_class = std::move(resource_class);
    }
    const nlohmann::json* actions = Member(entry, "actions", go);
    if (actions == nullptr) {
      if (!go) return Fail(ClaimsError::kBadAccess, 0, "access entry without actions");
    } else if (!actions->is_array()) {
      return Fail(ClaimsError::kBadAccess, 0, "access actions is not an array");
    } else {
      for (const nlohmann::json& action : *actions) {
        if (action.is_string()) {
          a.actions.push_back(action.get<std::string>());
        } else if (go && action.is_null()) {
          a.actions.emplace_back();  // Go: null leaves the element ""
        } else {
          return Fail(ClaimsError::kBadAccess, 0, "access action is not a string");
        }
      }
    }
    if (const auto meta = entry.find("meta"); meta != entry.end()) a.meta = *meta;
    entries.push_back(std::move(a));
  }
  c->access = std::move(entries);
  return {};
}

TokenError FromJwsError(JwsError e) {
  switch (e) {
    case JwsError::kTooLarge:
      return TokenError::kTooLarge;
    case JwsError::kSegmentCount:
      return TokenError::kSegmentCount;
    case JwsError::kEmptySegment:
      return TokenError::kEmptySegment;
    case JwsError::kBadBase64Header:
    case JwsError::kBadBase64Payload:
    case JwsError::kBadBase64Signature:
      return TokenError::kBadBase64;
    case JwsError::kHeaderNotJson:
    case JwsError::kHeaderNotObject:
      return TokenError::kBadHeaderJson;
    case JwsError::kDuplicateHeaderMember:
      return TokenError::kDuplicateHeaderMember;
    case JwsError::kMissingAlg:
      return TokenError::kMissingAlg;
    case JwsError::kBadHeaderMemberType:
      return TokenError::kBadHeaderMember;
    case JwsError::kUnsupportedCrit:
      return TokenError::kUnsupportedCrit;
  }
  return TokenError::kBadHeaderJson;
}

TokenError FromVerifyError(VerifyError e) {
  switch (e) {
    case VerifyError::kAlgNotAllowed:
      return TokenError::kAlgNotAllowed;
    case VerifyError::kAlgKeyMismatch:
      return TokenError::kAlgKeyMismatch;
    case VerifyError::kWeakKey:
      return TokenError::kWeakKey;
    case VerifyError::kNoKey:
      return TokenError::kNoKey;
    case VerifyError::kBadSignatureLength:
    case VerifyError::kZeroSignatureValue:
    case VerifyError::kBadSignature:
      return TokenError::kBadSignature;
  }
  return TokenError::kBadSignature;
}

TokenError FromChainError(KeyError e) {
  switch (e) {
    case KeyError::kCertificateExpired:
      return TokenError::kCertificateExpired;
    case KeyError::kCertificateNotYetValid:
      return TokenError::kCertificateNotYetValid;
    default:
      return TokenError::kChainUntrusted;
  }
}

Unexpected<Error<TokenError>> TokenFail(TokenError code, std::string_view reason) {
  return Fail(code, 0, reason);
}

bool Contains(const std::vector<std::string>& set, const std::string& value) {
  if (value.empty()) return false;
  for (const std::string& s : set) {
    if (s == value) return true;
  }
  return false;
}

Status<TokenError> CheckClaims(const Claims& c, const VerifierProfile& p, int64_t now) {
  // distribution v2.8 Verify order (token-auth.md §2.4 table): iss, aud, exp, nbf.
  if (!Contains(p.trusted_issuers, c.iss.value_or(""))) {
    return TokenFail(TokenError::kBadIssuer, "token issuer not trusted");
  }
  bool audience_ok = false;
  for (const std::string& aud : c.aud)
    audience_ok = audience_ok || Contains(p.accepted_audiences, aud);
  if (!audience_ok) return TokenFail(TokenError::kBadAudience, "token audience not accepted");
  const int64_t leeway = p.leeway_seconds > 0 ? p.leeway_seconds : 0;
  std::optional<int64_t> exp = c.exp;
  if (!exp) {
    switch (p.missing_exp) {
      case MissingExp::kReject:
        return TokenFail(TokenError::kMissingExp, "token has no exp");
      case MissingExp::kTreatAsZero:
        exp = 0;  // Go's int64 zero value: 1970-01-01, so expired
        break;
      case MissingExp::kAccept:
        break;
    }
  }
  // Go: currentTime.After(exp + Leeway) rejects; equality is still valid.
  if (exp && now > SaturatingAdd(*exp, leeway)) {
    return TokenFail(TokenError::kExpired, "token expired");
  }
  // Go: currentTime.Before(nbf - Leeway) rejects.
  if (c.nbf && now < SaturatingAdd(*c.nbf, -leeway)) {
    return TokenFail(TokenError::kNotYetValid, "token not yet valid");
  }
  if (p.check_iat && c.iat && *c.iat > SaturatingAdd(now, leeway)) {
    return TokenFail(TokenError::kIssuedInFuture, "token issued in the future");
  }
  return {};
}

struct SelectedKey {
  Key key;
  std::string id;
};

Result<Certificate, TokenError> DecodeX5cEntry(const std::string& entry, const VerifierProfile& p) {
  Base64Options o = Base64Options::Standard();
  if (p.jws.base64 != JwsBase64::kStrict) {
    // Go's base64.StdEncoding (distribution): non-canonical bits accepted, CR/LF skipped.
    o.allow_non_canonical = true;
    o.ignore_newlines = true;
  }
  auto der = Base64Decode(entry, o);
  if (!der || der->empty()) {
    return TokenFail(TokenError::kBadCertificate, "x5c entry is not standard base64");
  }
  auto cert = CertificateFromDer(*der);
  if (!cert) return TokenFail(TokenError::kBadCertificate, "x5c entry is not a certificate");
  return std::move(*cert);
}

// VerifyChain decodes an x5c list and verifies it to the roots; returns the leaf key.
Result<Key, TokenError> VerifyChain(const std::vector<std::string>& x5c, const TrustStore& trust,
                                    const VerifierProfile& p, int64_t now) {
  std::vector<Certificate> certs;
  certs.reserve(x5c.size());
  for (const std::string& entry : x5c) {
    auto cert = DecodeX5cEntry(entry, p);
    if (!cert) return Fail(cert.error());
    certs.push_back(std::move(*cert));
  }
  const std::vector<Certificate> intermediates(certs.begin() + 1, certs.end());
  auto chain = VerifyCertificateChain(certs[0], intermediates, trust.roots, now);
  if (!chain) return TokenFail(FromChainError(chain.error().code), chain.error().reason);
  Key leaf = certs[0].PublicKey();
  if (!leaf.valid()) return TokenFail(TokenError::kBadCertificate, "x5c leaf key unusable");
  return leaf;
}

Result<SelectedKey, TokenError> SelectJwkKey(const nlohmann::json& jwk, const TrustStore& trust,
                                             const VerifierProfile& p, int64_t now) {
  auto key = KeyFromJwk(jwk);
  if (!key) return TokenFail(TokenError::kBadJwk, key.error().reason);
  const std::string computed = KeyIdOf(*key, p.kid_format);
  // A chain inside the JWK (libtrust GetExtendedField("x5c")): only an array counts as one.
  if (const auto x5c = jwk.find("x5c"); x5c != jwk.end() && x5c->is_array()) {
    std::vector<std::string> chain;
    for (const nlohmann::json& c : *x5c) {
      if (!c.is_string() || c.get_ref<const std::string&>().empty()) {
        return TokenFail(TokenError::kBadJwk, "jwk x5c is malformed");
      }
      chain.push_back(c.get<std::string>());
    }
    if (chain.empty()) return TokenFail(TokenError::kBadJwk, "jwk x5c is empty");
    auto leaf = VerifyChain(chain, trust, p, now);
    if (!leaf) return Fail(leaf.error());
    if (!SamePublicKey(*leaf, *key)) {
      return TokenFail(TokenError::kLeafKeyMismatch, "x5c leaf key does not match the jwk");
    }
    return SelectedKey{std::move(*leaf), computed};
  }
  const auto kid = jwk.find("kid");
  switch (p.jwk_trust) {
    case JwkTrust::kComputedKeyId: {
      // libtrust: a kid member must equal the computed ID; then the computed ID must be
      // trusted. The attacker-chosen kid never selects a key (CVE-2025-24976).
      if (kid != jwk.end() &&
          (!kid->is_string() || kid->get_ref<const std::string&>() != computed)) {
        return TokenFail(TokenError::kJwkKidMismatch, "jwk kid does not match its key");
      }
      const auto it = trust.keys_by_id.find(computed);
      if (it == trust.keys_by_id.end()) {
        return TokenFail(TokenError::kJwkNotTrusted, "untrusted jwk with no certificate chain");
      }
      return SelectedKey{it->second, computed};
    }
    case JwkTrust::kKidMemberTrustedKey: {
      // v3 (fixed): the kid member names a trusted key, and that trusted key verifies.
      if (kid == jwk.end() || !kid->is_string()) {
        return TokenFail(TokenError::kJwkNotTrusted, "untrusted jwk with no certificate chain");
      }
      const auto it = trust.keys_by_id.find(kid->get<std::string>());
      if (it == trust.keys_by_id.end()) {
        return TokenFail(TokenError::kJwkNotTrusted, "untrusted jwk with no certificate chain");
      }
      return SelectedKey{it->second, it->first};
    }
  }
  return TokenFail(TokenError::kJwkNotTrusted, "untrusted jwk");
}

Result<SelectedKey, TokenError> SelectKey(const JwsHeader& h, const TrustStore& trust,
                                          const VerifierProfile& p, int64_t now) {
  if (!h.x5c.empty()) {
    auto leaf = VerifyChain(h.x5c, trust, p, now);
    if (!leaf) return Fail(leaf.error());
    std::string id = KeyIdOf(*leaf, p.kid_format);
    return SelectedKey{std::move(*leaf), std::move(id)};
  }
  if (h.jwk) return SelectJwkKey(*h.jwk, trust, p, now);
  if (h.kid && !h.kid->empty()) {
    const auto it = trust.keys_by_id.find(*h.kid);
    if (it == trust.keys_by_id.end()) {
      return TokenFail(TokenError::kUnknownKid, "token signed by untrusted key ID");
    }
    return SelectedKey{it->second, it->first};
  }
  return TokenFail(TokenError::kNoKey, "unable to get token signing key");
}

Result<Claims, TokenError> ParseTokenClaims(const Jws& jws, const VerifierProfile& p) {
  JsonOptions json;
  json.limits.max_bytes = p.jws.limits.max_payload_bytes;
  json.limits.max_depth = p.jws.limits.max_json_depth;
  json.allow_duplicate_keys = p.jws.allow_duplicate_members;
  auto claims = ParseClaims(jws.payload, p.claims, json);
  if (!claims) return TokenFail(FromClaimsError(claims.error().code), claims.error().reason);
  return std::move(*claims);
}

Status<TokenError> CheckSignature(const Jws& jws, const SelectedKey& key,
                                  const VerifierProfile& p) {
  auto ok = VerifySignature(jws, key.key, p.algs);
  if (!ok) return TokenFail(FromVerifyError(ok.error().code), ok.error().reason);
  return {};
}

}  // namespace

TokenError FromClaimsError(ClaimsError e) {
  switch (e) {
    case ClaimsError::kTooLarge:
      return TokenError::kTooLarge;
    case ClaimsError::kNotJson:
    case ClaimsError::kNotObject:
      return TokenError::kBadClaimsJson;
    case ClaimsError::kDuplicateMember:
      return TokenError::kDuplicateClaim;
    case ClaimsError::kBadMemberType:
    case ClaimsError::kBadAudience:
      return TokenError::kBadClaim;
    case ClaimsError::kAudienceArrayNotAllowed:
      return TokenError::kAudienceArray;
    case ClaimsError::kBadNumericDate:
      return TokenError::kBadNumericDate;
    case ClaimsError::kBadAccess:
      return TokenError::kBadAccess;
  }
  return TokenError::kBadClaimsJson;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > kInt64Max - b) return kInt64Max;
  if (b < 0 && a < kInt64Min - b) return kInt64Min;
  return a + b;
}

std::string_view CodeName(ClaimsError code) {
  switch (code) {
    case ClaimsError::kTooLarge:
      return "too_large";
    case ClaimsError::kNotJson:
      return "not_json";
    case ClaimsError::kDuplicateMember:
      return "duplicate_member";
    case ClaimsError::kNotObject:
      return "not_object";
    case ClaimsError::kBadMemberType:
      return "bad_member_type";
    case ClaimsError::kBadAudience:
      return "bad_audience";
    case ClaimsError::kAudienceArrayNotAllowed:
      return "audience_array_not_allowed";
    case ClaimsError::kBadNumericDate:
      return "bad_numeric_date";
    case ClaimsError::kBadAccess:
      return "bad_access";
  }
  return "unknown";
}

Result<Claims, ClaimsError> ParseClaims(std::string_view payload_json,
                                        const ClaimsParseOptions& options,
                                        const JsonOptions& json) {
  auto obj = ParseJson(payload_json, json);
  // Go's json.Unmarshal of a top-level null into a struct is a no-op: all claims absent.
  if (obj && obj->is_null() && options.go_struct_decoding) *obj = nlohmann::json::object();
  if (obj && !obj->is_object()) {
    return Fail(ClaimsError::kNotObject, 0, "JWT claims are not a JSON object");
  }
  if (!obj) {
    const std::size_t at = obj.error().offset;
    switch (obj.error().code) {
      case JsonError::kTooLarge:
        return Fail(ClaimsError::kTooLarge, at, "JWT claims over the size limit");
      case JsonError::kDuplicateKey:
        return Fail(ClaimsError::kDuplicateMember, at, "JWT claims repeat a member");
      default:
        return Fail(ClaimsError::kNotJson, at, "JWT claims are not JSON");
    }
  }
  Claims c;
  const bool go = options.go_struct_decoding;
  Status<ClaimsError> s = OptionalString(*obj, "iss", go, &c.iss, "iss is not a string");
  if (s) s = OptionalString(*obj, "sub", go, &c.sub, "sub is not a string");
  if (s) s = OptionalString(*obj, "jti", go, &c.jti, "jti is not a string");
  if (s) s = ReadAudience(*obj, options, &c);
  if (s) s = NumericDate(*obj, "exp", options, &c.exp, "exp is not an int64 NumericDate");
  if (s) s = NumericDate(*obj, "nbf", options, &c.nbf, "nbf is not an int64 NumericDate");
  if (s) s = NumericDate(*obj, "iat", options, &c.iat, "iat is not an int64 NumericDate");
  if (s) s = ReadAccess(*obj, options, &c);
  if (!s) return Fail(s.error());
  c.raw = std::move(*obj);
  return c;
}

std::string KeyIdOf(const Key& key, KeyIdFormat format) {
  return format == KeyIdFormat::kLibtrust ? LibtrustKeyId(key) : JwkThumbprint(key);
}

TrustStore TrustStore::FromRoots(const std::vector<Certificate>& roots, KeyIdFormat format) {
  TrustStore store;
  store.roots = roots;
  for (const Certificate& root : roots) {
    Key key = root.PublicKey();
    if (!key.valid()) continue;
    std::string id = KeyIdOf(key, format);
    if (!id.empty()) store.keys_by_id.insert_or_assign(std::move(id), std::move(key));
  }
  return store;
}

VerifierProfile VerifierProfile::DistributionV28(std::string issuer, std::string service) {
  VerifierProfile p;
  p.trusted_issuers = {std::move(issuer)};
  p.accepted_audiences = {std::move(service)};
  p.leeway_seconds = 60;
  p.missing_exp = MissingExp::kTreatAsZero;
  p.check_iat = false;
  p.algs = AlgPolicy::DistributionV28();
  p.algs_checked_at_parse = false;
  p.kid_format = KeyIdFormat::kLibtrust;
  p.jwk_trust = JwkTrust::kComputedKeyId;
  p.order = VerifyOrder::kClaimsFirst;
  p.unmapped_errors_after_key = false;
  p.jws.limits = JwsLimits::Generous();
  p.jws.base64 = JwsBase64::kDistributionV28;
  p.jws.allow_duplicate_members = true;
  p.jws.go_struct_decoding = true;
  p.claims.allow_aud_array = false;
  p.claims.allow_float_dates = false;
  p.claims.go_struct_decoding = true;
  return p;
}

VerifierProfile VerifierProfile::DistributionV3(std::string issuer, std::string service) {
  VerifierProfile p = DistributionV28(std::move(issuer), std::move(service));
  p.algs = AlgPolicy::AllAsymmetric();
  p.algs_checked_at_parse = true;
  p.kid_format = KeyIdFormat::kJwkThumbprint;
  p.jwk_trust = JwkTrust::kKidMemberTrustedKey;
  p.order = VerifyOrder::kSignatureFirst;
  p.unmapped_errors_after_key = true;
  p.jws.base64 = JwsBase64::kGoRawUrl;
  p.claims.allow_aud_array = true;
  return p;
}

VerifierProfile VerifierProfile::Strict(std::string issuer, std::string service) {
  VerifierProfile p;  // the member defaults are the strict choices
  p.trusted_issuers = {std::move(issuer)};
  p.accepted_audiences = {std::move(service)};
  p.claims.allow_aud_array = true;
  return p;
}

std::string_view CodeName(TokenError code) {
  switch (code) {
    case TokenError::kTooLarge:
      return "too_large";
    case TokenError::kSegmentCount:
      return "segment_count";
    case TokenError::kEmptySegment:
      return "empty_segment";
    case TokenError::kBadBase64:
      return "bad_base64";
    case TokenError::kBadHeaderJson:
      return "bad_header_json";
    case TokenError::kDuplicateHeaderMember:
      return "duplicate_header_member";
    case TokenError::kBadHeaderMember:
      return "bad_header_member";
    case TokenError::kMissingAlg:
      return "missing_alg";
    case TokenError::kUnsupportedCrit:
      return "unsupported_crit";
    case TokenError::kAlgRejected:
      return "alg_rejected";
    case TokenError::kBadClaimsJson:
      return "bad_claims_json";
    case TokenError::kDuplicateClaim:
      return "duplicate_claim";
    case TokenError::kBadClaim:
      return "bad_claim";
    case TokenError::kAudienceArray:
      return "audience_array";
    case TokenError::kBadNumericDate:
      return "bad_numeric_date";
    case TokenError::kBadAccess:
      return "bad_access";
    case TokenError::kBadIssuer:
      return "bad_issuer";
    case TokenError::kBadAudience:
      return "bad_audience";
    case TokenError::kMissingExp:
      return "missing_exp";
    case TokenError::kExpired:
      return "expired";
    case TokenError::kNotYetValid:
      return "not_yet_valid";
    case TokenError::kIssuedInFuture:
      return "issued_in_future";
    case TokenError::kEmptySignature:
      return "empty_signature";
    case TokenError::kNoKey:
      return "no_key";
    case TokenError::kUnknownKid:
      return "unknown_kid";
    case TokenError::kBadCertificate:
      return "bad_certificate";
    case TokenError::kChainUntrusted:
      return "chain_untrusted";
    case TokenError::kCertificateExpired:
      return "certificate_expired";
    case TokenError::kCertificateNotYetValid:
      return "certificate_not_yet_valid";
    case TokenError::kBadJwk:
      return "bad_jwk";
    case TokenError::kJwkKidMismatch:
      return "jwk_kid_mismatch";
    case TokenError::kJwkNotTrusted:
      return "jwk_not_trusted";
    case TokenError::kLeafKeyMismatch:
      return "leaf_key_mismatch";
    case TokenError::kAlgNotAllowed:
      return "alg_not_allowed";
    case TokenError::kAlgKeyMismatch:
      return "alg_key_mismatch";
    case TokenError::kWeakKey:
      return "weak_key";
    case TokenError::kBadSignature:
      return "bad_signature";
  }
  return "unknown";
}

TokenCategory CategoryOf(TokenError code, const VerifierProfile& profile) {
  switch (code) {
    case TokenError::kBadClaimsJson:
    case TokenError::kDuplicateClaim:
    case TokenError::kBadClaim:
    case TokenError::kAudienceArray:
    case TokenError::kBadNumericDate:
    case TokenError::kBadAccess:
      // v3 decodes the claims inside go-jose's Claims(), after the signature: a raw error.
      return profile.unmapped_errors_after_key ? TokenCategory::kUnmapped
                                               : TokenCategory::kMalformed;
    case TokenError::kTooLarge:
    case TokenError::kSegmentCount:
    case TokenError::kEmptySegment:
    case TokenError::kBadBase64:
    case TokenError::kBadHeaderJson:
    case TokenError::kDuplicateHeaderMember:
    case TokenError::kBadHeaderMember:
    case TokenError::kMissingAlg:
    case TokenError::kUnsupportedCrit:
    case TokenError::kAlgRejected:
      return TokenCategory::kMalformed;
    case TokenError::kEmptySignature:
    case TokenError::kAlgNotAllowed:
    case TokenError::kAlgKeyMismatch:
    case TokenError::kWeakKey:
    case TokenError::kBadSignature:
      return profile.unmapped_errors_after_key ? TokenCategory::kUnmapped : TokenCategory::kInvalid;
    default:
      return TokenCategory::kInvalid;
  }
}

std::string_view CategoryName(TokenCategory category) {
  switch (category) {
    case TokenCategory::kMalformed:
      return "malformed_token";
    case TokenCategory::kInvalid:
      return "invalid_token";
    case TokenCategory::kUnmapped:
      return "unmapped";
  }
  return "unknown";
}

std::string_view ChallengeErrorParam(TokenCategory category) {
  return category == TokenCategory::kUnmapped ? "" : "invalid_token";
}

Result<VerifiedToken, TokenError> VerifyToken(std::string_view token, const TrustStore& trust,
                                              const VerifierProfile& profile, int64_t now_unix) {
  auto jws = ParseCompactJws(token, profile.jws);
  if (!jws) {
    return Fail(FromJwsError(jws.error().code), jws.error().offset, jws.error().reason);
  }
  if (profile.algs_checked_at_parse && !profile.algs.Allows(jws->header.alg)) {
    return TokenFail(TokenError::kAlgRejected, "alg not in the allow-list");
  }
  VerifiedToken out;
  if (profile.order == VerifyOrder::kClaimsFirst) {
    // distribution v2.8: NewToken decodes header and claims (malformed), then Verify.
    auto claims = ParseTokenClaims(*jws, profile);
    if (!claims) return Fail(claims.error());
    auto checked = CheckClaims(*claims, profile, now_unix);
    if (!checked) return Fail(checked.error());
    if (jws->signature.empty()) {
      return TokenFail(TokenError::kEmptySignature, "token has no signature");
    }
    auto key = SelectKey(jws->header, trust, profile, now_unix);
    if (!key) return Fail(key.error());
    auto signed_ok = CheckSignature(*jws, *key, profile);
    if (!signed_ok) return Fail(signed_ok.error());
    out.claims = std::move(*claims);
    out.key_id = std::move(key->id);
    out.key = std::move(key->key);
  } else {
    auto key = SelectKey(jws->header, trust, profile, now_unix);
    if (!key) return Fail(key.error());
    if (jws->signature.empty()) {
      return TokenFail(TokenError::kEmptySignature, "token has no signature");
    }
    auto signed_ok = CheckSignature(*jws, *key, profile);
    if (!signed_ok) return Fail(signed_ok.error());
    auto claims = ParseTokenClaims(*jws, profile);
    if (!claims) return Fail(claims.error());
    auto checked = CheckClaims(*claims, profile, now_unix);
    if (!checked) return Fail(checked.error());
    out.claims = std::move(*claims);
    out.key_id = std::move(key->id);
    out.key = std::move(key->key);
  }
  out.header = std::move(jws->header);
  return out;
}

}  // namespace regauth::protocol
