// token_response.h — token endpoint response bodies: parse, check against the spec, serialise.
//
// Two forms (token-auth.md §1.4, §1.5):
//   - TokenResponseForm::kGet, the GET flow of distribution's docs/spec/auth/token.md ("Token
//     Response Fields"): `token` and/or `access_token`, optional `expires_in`, `issued_at`,
//     `refresh_token`. The members read are exactly those of the v2.8 client's getTokenResponse
//     struct (registry/client/auth/session.go); `scope` is not read in this form.
//   - TokenResponseForm::kOAuth2, the POST flow of docs/spec/auth/oauth.md ("RESPONSE FIELDS"):
//     `access_token`, `scope` and `expires_in` REQUIRED, `issued_at` and `refresh_token`
//     optional. The members read are those of the client's postTokenResponse struct; `token` is
//     not read in this form.
// Unknown members are ignored (as Go's encoding/json does) but kept in TokenResponse::raw.
//
// Parse errors are what make the distribution client reject the response (a JSON decode
// failure, or no token): a wrong member type, an `issued_at` that Go's time.Time decoder
// refuses, a missing token. Spec deviations that the client tolerates are reported separately,
// as graded findings, by CheckTokenResponse (expires_in < 60, token ≠ access_token, ...), so a
// verdict can be FAIL / NON-STRICT / INFORMATIONAL.
//
// Strict by default: duplicate member names rejected, `null` members rejected, member names
// matched exactly, `issued_at` must be RFC 3339 *and* acceptable to Go (Rfc3339Mode). The
// named lenient mode TokenResponseOptions::GoClient() decodes like the Go client instead.
//
// Usage:
//   auto r = ParseTokenResponse(body, TokenResponseForm::kGet);
//   if (!r) verdict = Fail(CodeName(r.error().code));
//   for (const auto& f : CheckTokenResponse(*r, TokenResponseForm::kGet)) report(f);
//   std::string bearer = r->EffectiveToken();        // access_token wins, as in the v2.8 client
//   std::string body = SerializeTokenResponse(resp);  // reference server
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json.h"
#include "protocol/result.h"

namespace regauth::protocol {

// TokenResponseError is the reason ParseTokenResponse failed. Offsets: JSON-level codes carry
// the byte offset reported by ParseJson; member-level codes (kBadFieldType, kNoToken,
// kBadIssuedAt) carry offset 0 and name the member in the reason.
enum class TokenResponseError {
  kTooLarge = 1,      // body over JsonLimits::max_bytes, or nested deeper than max_depth
  kNotJson,           // not RFC 8259 JSON (syntax, ill-formed UTF-8, trailing data)
  kNumberOutOfRange,  // a number outside double range (e.g. 1e400) anywhere in the body
  kNotObject,         // the top-level value is not a JSON object
  kDuplicateMember,   // a member name repeats (strict mode; RFC 8259 §4 "SHOULD be unique")
  kBadFieldType,      // a member the client reads has the wrong type: a token that is not a
                      // string, expires_in that is not an integer within int64, a null (strict)
  kNoToken,           // kGet: neither token nor access_token is a non-empty string;
                      // kOAuth2: access_token absent or empty (the client's ErrNoToken)
  kBadIssuedAt,       // issued_at not a date-time the Go client decodes (or, strict, not RFC 3339)
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(TokenResponseError code);

enum class TokenResponseForm {
  kGet,     // token.md: GET <realm>?service=...&scope=...
  kOAuth2,  // oauth.md: POST <realm> grant_type=password|refresh_token
};

// kMinimumTokenLifetimeSeconds is the v2.8 client's minimumTokenLifetimeSeconds: the default
// for a missing expires_in and the floor for a smaller one.
inline constexpr int64_t kMinimumTokenLifetimeSeconds = 60;

// TokenResponse is a parsed body. Members absent from the body (or, in the Go-client mode,
// null) are nullopt. `raw` is the whole parsed object, unknown members included; it is not part
// of equality.
struct TokenResponse {
  std::optional<std::string> token;
  std::optional<std::string> access_token;
  std::optional<std::string> refresh_token;
  std::optional<std::string> scope;
  std::optional<std::string> issued_at;  // as written
  std::optional<int64_t> expires_in;
  std::optional<int64_t> issued_at_unix;  // issued_at parsed, fraction truncated
  nlohmann::json raw;

  // EffectiveToken is the bearer token the v2.8 client uses: access_token when non-empty,
  // else token, else "" (`if tr.AccessToken != "" { tr.Token = tr.AccessToken }`).
  std::string EffectiveToken() const;
  // EffectiveExpiresIn is the lifetime the client assumes: expires_in, defaulting to 60 and
  // raised to 60 when smaller (minimumTokenLifetimeSeconds).
  int64_t EffectiveExpiresIn() const;

  friend bool operator==(const TokenResponse& a, const TokenResponse& b);
};

// TokenResponseOptions: JSON limits, and the Go-client lenient mode.
struct TokenResponseOptions {
  JsonOptions json;
  // Lenient: decode as the distribution client does (Go encoding/json into getTokenResponse /
  // postTokenResponse): duplicate members keep the last value; a member name matches
  // case-insensitively when no exact match exists (Go folds ASCII case, and also U+017F 'ſ' to
  // 's' and U+212A KELVIN SIGN to 'k'); a null member leaves the field unset; issued_at is
  // decoded with Rfc3339Mode::kGoTime only. Not modelled: Go's json.Decoder ignoring bytes
  // after the first JSON value, and time.Time decoding the raw (still escaped) string bytes.
  bool go_client = false;

  static TokenResponseOptions GoClient() {
    TokenResponseOptions o;
    o.go_client = true;
    o.json.allow_duplicate_keys = true;
    return o;
  }
};

// ParseTokenResponse parses a token endpoint response body of the given form. A leading UTF-8
// byte order mark is kNotJson (RFC 8259 §8.1; Go's encoding/json rejects it, nlohmann would skip
// it). Errors: see TokenResponseError. The result owns its strings; `body` may be discarded.
Result<TokenResponse, TokenResponseError> ParseTokenResponse(
    std::string_view body, TokenResponseForm form, const TokenResponseOptions& options = {});

// ParseTokenResponse with only JSON options (strict member handling).
Result<TokenResponse, TokenResponseError> ParseTokenResponse(std::string_view body,
                                                             TokenResponseForm form,
                                                             const JsonOptions& json);

// TokenResponseFinding is a spec deviation the client tolerates, with its weight:
// kMust (the spec says MUST/REQUIRED → FAIL), kShould (SHOULD → NON-STRICT), kInfo
// (implementation-defined or a compatibility note → INFORMATIONAL). `message` is static text
// citing the clause.
struct TokenResponseFinding {
  enum class Code {
    kExpiresInBelowMinimum = 1,  // expires_in < 60
    kExpiresInAbsent,            // kGet: no expires_in, the client assumes 60 s
    kTokensDiffer,               // kGet: token and access_token both non-empty and different
    kEmptyTokenMember,           // kGet: token or access_token present but "" (the other is used)
    kOnlyAccessToken,            // kGet: no `token` member; token-only clients find nothing
    kUnrequestedRefreshToken,    // refresh_token without offline_token=true / access_type=offline
    kMissingScope,               // kOAuth2: no `scope`
    kMissingExpiresIn,           // kOAuth2: no `expires_in`
    kIssuedAtNotRfc3339,         // issued_at accepted by Go but outside the RFC 3339 grammar
    kIssuedAtNotUtc,             // issued_at carries a non-zero offset
  };
  enum class Severity { kMust = 1, kShould, kInfo };

  Code code;
  Severity severity;
  std::string_view message;

  friend bool operator==(const TokenResponseFinding&, const TokenResponseFinding&) = default;
};

// CodeName returns the stable snake_case name of a finding code ("expires_in_below_minimum").
std::string_view CodeName(TokenResponseFinding::Code code);
// SeverityName returns "must", "should" or "info".
std::string_view SeverityName(TokenResponseFinding::Severity severity);

// TokenRequestFacts: what the request asked for, which some findings depend on.
struct TokenRequestFacts {
  bool refresh_token_requested = false;  // GET offline_token=true, or POST access_type=offline
};

// CheckTokenResponse lists the findings for a successfully parsed response, in Code order.
std::vector<TokenResponseFinding> CheckTokenResponse(const TokenResponse& response,
                                                     TokenResponseForm form,
                                                     const TokenRequestFacts& facts = {});

// SerializeTokenResponse writes the present members in the fixed order token, access_token,
// expires_in, issued_at, refresh_token, scope, as compact JSON with no trailing newline (the
// reference server's body; GitLab sends {"token":"…"} only, token-auth.md §3.8). Invalid UTF-8
// in a string is replaced by U+FFFD rather than throwing.
std::string SerializeTokenResponse(const TokenResponse& response);

}  // namespace regauth::protocol
