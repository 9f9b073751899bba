// challenge.h — `WWW-Authenticate` challenges: a strict RFC 9110 parser, a model of the parser
// distribution's Go client uses, serialisers (RFC 9110 quoted-string, or Go's %q as the
// registry writes it), and a typed view of the RFC 6750 Bearer challenge.
//
// Grammar (RFC 9110 §11.6.1, §11.2, §5.6):
//   WWW-Authenticate = #challenge
//   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param       = token BWS "=" BWS ( token / quoted-string )
//   token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// A list (#rule, §5.6.1) separates elements by OWS "," OWS and may hold empty elements. The same
// comma separates the auth-params of one challenge and the challenges themselves; an element
// that is `token BWS "="` continues the current challenge's params, any other token starts a
// new challenge (so `Basic realm="x", Bearer realm="y"` is two challenges).
//
// Usage:
//   auto r = ParseChallenges(R"(Bearer realm="https://auth.example/token",service="reg")");
//   if (!r) { log(CodeName(r.error().code), r.error().offset); return; }
//   for (const Challenge& c : *r) {
//     if (auto b = ToBearerChallenge(c)) fetch_token(b->realm, b->service, b->ScopeList());
//   }
//   std::string v = SerializeChallenge(c, QuoteStyle::kGoQuoted);  // what registry 2.8 emits
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/http_auth_grammar.h"
#include "protocol/result.h"

namespace regauth::protocol {

// Challenge is one parsed challenge. Strict parsing keeps `scheme` as sent; the
// kDistributionClient model lower-cases it, as Go's parser does. A challenge holds a token68 or
// params, never both; params are in the order sent.
struct Challenge {
  std::string scheme;
  std::optional<std::string> token68;
  std::vector<AuthParam> params;

  // SchemeIs compares the scheme ASCII case-insensitively (RFC 9110 §11.1).
  bool SchemeIs(std::string_view scheme_name) const;
  // Param returns the value of the first param called `lower_name` (pass it lower-cased), or
  // nullopt. The view lives as long as this Challenge.
  std::optional<std::string_view> Param(std::string_view lower_name) const;

  friend bool operator==(const Challenge&, const Challenge&) = default;
};

// ChallengeError is why parsing a WWW-Authenticate value (or building a Bearer view) failed.
// Offsets are byte offsets into the value (for ParseChallengeHeaders: into the values joined by
// ",").
enum class ChallengeError {
  kEmpty = 1,                 // no challenge at all: empty value, or only commas and OWS
  kTooLarge,                  // value longer than max_bytes (offset max_bytes), or one
                              // unescaped value longer than max_value_bytes (offset: its start)
  kTooManyChallenges,         // more than max_challenges (offset: the first one too many)
  kTooManyParams,             // a challenge with more than max_params params (offset: that one)
  kBadWhitespace,             // SP/HTAB at the start or end of a value (RFC 9110 §5.5), or
                              // HTAB where the scheme needs 1*SP before its params
  kBadScheme,                 // a list element that must start a challenge is not a token
  kBadParamName,              // where an auth-param (or a new challenge) must start, no token
  kExpectedEquals,            // an auth-param name not followed by BWS "="
  kBadTokenValue,             // after "=" neither a token nor a quoted-string
  kUnterminatedQuotedString,  // quoted-string without its closing DQUOTE (offset: the opening)
  kBadQuotedPair,             // "\" followed by a control character (offset: the backslash)
  kControlCharacter,          // a CTL other than HTAB anywhere in the value (§5.5)
  kDuplicateParam,            // a param name repeated in one challenge (§11.2; RFC 6750 §3)
  kBadToken68,                // text that can only be a token68 (holds "/" or "=") does not
                              // end at OWS "," or at the end of the value
  kMisplacedParam,            // an auth-param where a challenge must start: at the start of
                              // the value, after a token68, or after `scheme,` (no 1*SP)
  kTrailingGarbage,           // after a scheme, token68 or param: not OWS "," or the end
  // Returned by ToBearerChallenge only (offset 0):
  kNotBearer,          // the scheme is not "Bearer"
  kMissingRealm,       // Bearer challenge without realm (RFC 6750 §3; token.md §1.2)
  kUnexpectedToken68,  // Bearer challenge in token68 form; RFC 6750 §3 uses auth-params
};

// CodeName returns the stable snake_case name of `code` ("duplicate_param", ...).
std::string_view CodeName(ChallengeError code);

// ChallengeLimits bound the work a hostile header can cause. Exceeding one is an error, never a
// truncation.
struct ChallengeLimits {
  std::size_t max_bytes = 8 * 1024;    // whole value (all values for ParseChallengeHeaders)
  std::size_t max_challenges = 16;     // per call
  std::size_t max_params = 32;         // per challenge
  std::size_t max_value_bytes = 4096;  // per unescaped param value or token68
};

// ChallengeLeniency selects the grammar.
enum class ChallengeLeniency {
  // RFC 9110 exactly (see the header comment), plus RFC 9110 §11.2's "each parameter name MUST
  // only occur once per challenge" as kDuplicateParam.
  kStrict,
  // distribution v2.8's client parser (registry/client/auth/challenge/authchallenge.go,
  // parseValueAndParams, read at distribution/distribution@6a41b0e6; token-auth.md §1.2),
  // which Go clients built on distribution apply to the WWW-Authenticate lines of a 401:
  //   - the scheme is the run of tchar at the very start (none: the header yields no challenge)
  //     and is lower-cased; then SP/HTAB/CR/LF are skipped and a virtual "," is assumed;
  //   - while the rest starts with ",": skip SP/HTAB/CR/LF, read a token name, require "="
  //     immediately (no BWS), then a token or a quoted-string in which "\" escapes any byte;
  //     skip SP/HTAB/CR/LF;
  //   - it stops silently (keeping what it has) at a missing name, a missing "=", an
  //     unterminated quoted-string, and at an empty value (so zot's `scope=""` ends the parse);
  //     anything after the stop point is ignored;
  //   - names are lower-cased; a later duplicate overwrites the value of the earlier one (kept
  //     at the earlier one's position; Go's map has no order);
  //   - one challenge per header value: `Basic realm="x", Bearer realm="y"` is one Basic
  //     challenge (the parse stops at "Bearer").
  // It never fails on syntax; only the limits (kTooLarge, kTooManyParams, kTooManyChallenges)
  // apply, for safety. A header it ignores yields zero challenges, not kEmpty.
  kDistributionClient,
};

struct ChallengeOptions {
  ChallengeLimits limits;
  ChallengeLeniency leniency = ChallengeLeniency::kStrict;
};

// ParseChallenges parses one WWW-Authenticate field value (without the field-line's
// surrounding OWS, RFC 9112 §5). The result owns its strings.
// Strict errors: every ChallengeError except kNotBearer, kMissingRealm, kUnexpectedToken68.
// Strict success holds at least one challenge.
// kDistributionClient: zero or one challenge; errors kTooLarge, kTooManyParams, and
// kTooManyChallenges (only when max_challenges is 0).
Result<std::vector<Challenge>, ChallengeError> ParseChallenges(
    std::string_view header_value, const ChallengeOptions& options = {});

// ParseChallengeHeaders parses several WWW-Authenticate field lines of one response.
// Strict: RFC 9110 §5.3 defines them as one list, so the result is ParseChallenges of the values
// joined with ",", and error offsets point into that joined string; each value must still be
// a field value (no SP/HTAB at its edges: kBadWhitespace). An empty value is an empty list
// element. No values at all: kEmpty. (So `Bearer realm="x"` and `service="y"` on two lines are
// one challenge with two params, as the combined field value says.)
// kDistributionClient: each value on its own (Go's parseAuthHeader loop), results
// concatenated; values that yield no challenge are skipped.
// Limits apply to the total: max_bytes to the joined size (strict) or the sum of the sizes
// (kDistributionClient), max_challenges to the number of challenges returned.
Result<std::vector<Challenge>, ChallengeError> ParseChallengeHeaders(
    const std::vector<std::string_view>& header_values, const ChallengeOptions& options = {});

// QuoteStyle selects how SerializeChallenge writes param values.
enum class QuoteStyle {
  // Every value as an RFC 9110 quoted-string, escaping only `"` and `\`.
  kRfc9110,
  // Every value as Go's %q (strconv.Quote, see go_quote.h), as distribution's registry writes
  // `Bearer realm=%q,service=%q[,scope=%q][,error=%q]` (accesscontroller.go challengeParams).
  kGoQuoted,
};

// SerializeChallenge writes `scheme`, then " " and the token68 if there is one, else " " and the
// params as name=value joined by "," without spaces (distribution's layout). It does not
// validate: a scheme, name or token68 that is not a token (token68), or (kRfc9110) a value with
// a CTL other than HTAB, produces output that does not parse back. For everything the strict
// parser can return, ParseChallenges(SerializeChallenge(c, kRfc9110)) == {c}.
std::string SerializeChallenge(const Challenge& challenge, QuoteStyle style = QuoteStyle::kRfc9110);

// SerializeChallenges joins SerializeChallenge of each challenge with ", " (one field value).
std::string SerializeChallenges(const std::vector<Challenge>& challenges,
                                QuoteStyle style = QuoteStyle::kRfc9110);

// BearerChallenge is the RFC 6750 §3 view of a Bearer challenge, with the params distribution
// uses (token.md; token-auth.md §1.2). Unknown params are ignored.
struct BearerChallenge {
  std::string realm;
  std::optional<std::string> service;
  std::optional<std::string> scope;
  std::optional<std::string> error;
  std::optional<std::string> error_description;
  std::optional<std::string> error_uri;

  // ScopeList splits `scope` on each single SP, as Go's strings.Split(scope, " ") does: an
  // empty piece (two SP in a row, leading or trailing SP) is kept so the scope parser can flag
  // it. An absent or empty scope gives an empty list. The scope grammar is not checked here.
  std::vector<std::string> ScopeList() const;

  friend bool operator==(const BearerChallenge&, const BearerChallenge&) = default;
};

// ToBearerChallenge builds the Bearer view of `challenge`. Errors (offset 0): kNotBearer,
// kUnexpectedToken68, kMissingRealm. With duplicate params (only possible from a hand-built
// Challenge) the first one wins.
Result<BearerChallenge, ChallengeError> ToBearerChallenge(const Challenge& challenge);

// FromBearerChallenge builds the Challenge distribution would send: scheme "Bearer", then realm,
// service, scope, error, error_description, error_uri, each only when present (all quoted).
Challenge FromBearerChallenge(const BearerChallenge& bearer);

}  // namespace regauth::protocol
