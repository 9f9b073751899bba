// credentials.h — `Authorization` field values (RFC 9110 §11.6.2): Basic (RFC 7617 §2), Bearer
// (RFC 6750 §2.1) and any other scheme, with the exact whitespace form recorded, serialisers,
// and models of how distribution v2.8 and v3 pick a Bearer token out of the header, so the suite
// can predict a registry's answer to each whitespace variant.
//
// Grammar:
//   credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]      (RFC 9110 §11.4)
//   Basic:  "Basic" 1*SP token68, token68 = base64(user-id ":" password)   (RFC 7617 §2)
//   Bearer: "Bearer" 1*SP b64token, b64token has the token68 syntax       (RFC 6750 §2.1)
// Scheme names are case-insensitive.
//
// Usage:
//   auto c = ParseCredentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
//   if (c) if (auto* b = std::get_if<BasicCredentials>(&c->value)) login(b->username, ...);
//   bool v28 = AcceptedByDistributionV28("Bearer  eyJ...");   // false: two spaces
//   auto h = SerializeBasic("Aladdin", "open sesame");         // "Basic QWxhZGRpbjpvcGVu..."
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/http_auth_grammar.h"
#include "protocol/result.h"

namespace regauth::protocol {

// BasicCredentials is a decoded RFC 7617 credential, split at the first ':'. Both parts may be
// empty ("Og==" is ":", an empty user and an empty password); the password may hold ':'.
// Secrets: never log `password`.
struct BasicCredentials {
  std::string username;
  std::string password;
  friend bool operator==(const BasicCredentials&, const BasicCredentials&) = default;
};

// BearerCredentials is an RFC 6750 b64token as sent (a JWT is one). Secret: never log `token`.
struct BearerCredentials {
  std::string token;
  friend bool operator==(const BearerCredentials&, const BearerCredentials&) = default;
};

// OtherCredentials is any other scheme: a token68, or auth-params (names lower-cased, values
// unescaped), or neither (the scheme alone).
struct OtherCredentials {
  std::optional<std::string> token68;
  std::vector<AuthParam> params;
  friend bool operator==(const OtherCredentials&, const OtherCredentials&) = default;
};

// WhitespaceForm records the whitespace around and after the scheme, so the suite can tell the
// canonical `Scheme SP credentials` from what RFC 9110 allows (1*SP) and from what only a lenient
// parser takes (HTAB, leading or trailing OWS). distribution v2.8 accepts only the canonical
// form (token-auth.md §2.2).
struct WhitespaceForm {
  std::size_t leading = 0;           // SP/HTAB before the scheme (lenient whitespace only)
  std::size_t separator_spaces = 0;  // SP between scheme and credentials
  std::size_t separator_tabs = 0;    // HTAB between scheme and credentials (lenient only)
  std::size_t trailing = 0;          // SP/HTAB after the credentials (lenient only)

  // Canonical: nothing around, and at most one SP after the scheme.
  bool Canonical() const {
    return leading == 0 && trailing == 0 && separator_tabs == 0 && separator_spaces <= 1;
  }
  friend bool operator==(const WhitespaceForm&, const WhitespaceForm&) = default;
};

// Credentials is a parsed Authorization value. `scheme` is as sent; `value` holds
// BasicCredentials exactly when the scheme is "basic" (any case), BearerCredentials exactly when
// it is "bearer", OtherCredentials otherwise.
struct Credentials {
  std::string scheme;
  std::variant<BasicCredentials, BearerCredentials, OtherCredentials> value;
  WhitespaceForm form;

  // SchemeIs compares the scheme ASCII case-insensitively.
  bool SchemeIs(std::string_view scheme_name) const;
  friend bool operator==(const Credentials&, const Credentials&) = default;
};

// CredentialsError is why an Authorization value did not parse or serialise. Offsets are byte
// offsets into the value.
enum class CredentialsError {
  kEmpty = 1,                 // empty value (or only whitespace, when that is allowed)
  kTooLarge,                  // value over max_bytes (offset max_bytes); Basic payload over
                              // max_basic_decoded_bytes, or a param value over max_value_bytes
                              // (offset: its start)
  kBadWhitespace,             // SP/HTAB at the start or end, or HTAB between scheme and
                              // credentials (strict; RFC 9110 §5.5 and the 1*SP of §11.4)
  kBadScheme,                 // the value does not start with a token
  kTrailingGarbage,           // after the scheme not SP or the end; after a param not OWS ","
  kMissingCredentials,        // Basic or Bearer with nothing after the scheme
  kBadToken68,                // Basic/Bearer credentials, or token68 text, not token68 syntax
                              // (offset: the first byte that breaks it)
  kBadBase64,                 // Basic token68 is not strict padded base64 (RFC 7617 §2);
                              // offset: the offending base64 byte; reason: the Base64Error's
                              // CodeName
  kMissingColon,              // decoded Basic payload without ':' (offset: token68 start)
  kControlCharacter,          // a CTL in the value, or in a decoded user-id/password (RFC 7617
                              // §2; offset: the first base64 character encoding that byte)
  kBadParamName,              // other schemes: an auth-param does not start with a token
  kExpectedEquals,            // other schemes: auth-param name not followed by BWS "="
  kBadTokenValue,             // other schemes: auth-param value neither token nor quoted
  kUnterminatedQuotedString,  // other schemes: quoted-string not closed
  kBadQuotedPair,             // other schemes: "\" followed by a control character
  kDuplicateParam,            // other schemes: a param name repeated (RFC 9110 §11.2)
  kTooManyParams,             // other schemes: more than max_params params
  kUserContainsColon,         // SerializeBasic only: RFC 7617 §2 user-id cannot hold ':'
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(CredentialsError code);

struct CredentialsLimits {
  std::size_t max_bytes = 16 * 1024;           // whole value; JWTs with x5c chains are large
  std::size_t max_basic_decoded_bytes = 4096;  // user-id ":" password
  std::size_t max_params = 32;                 // other schemes
  std::size_t max_value_bytes = 8192;          // other schemes: one unescaped param value
};

// CredentialsOptions: strict by default; each tolerance is named.
struct CredentialsOptions {
  CredentialsLimits limits;
  // Accept HTAB between scheme and credentials and SP/HTAB at either end (Go's net/textproto
  // trims the ends before any handler sees the value); all recorded in `form`.
  bool allow_lenient_whitespace = false;
  // Accept Basic base64 without its '=' padding (some clients omit it).
  bool allow_unpadded_basic = false;
  // Accept Basic base64 whose unused trailing bits are not zero (Go's StdEncoding does).
  bool allow_non_canonical_basic = false;
  // Accept CTLs in the decoded Basic user-id and password.
  bool allow_control_characters = false;
};

// ParseCredentials parses one Authorization field value. The result owns its strings.
// Errors: every CredentialsError except kUserContainsColon. Multiple SP after the scheme are
// valid (RFC 9110: 1*SP) and recorded in `form`.
Result<Credentials, CredentialsError> ParseCredentials(std::string_view header_value,
                                                       const CredentialsOptions& options = {});

// SerializeBasic returns "Basic " + base64(user ":" password) (RFC 7617 §2, padded standard
// alphabet). Errors: kUserContainsColon (offset: the ':' in `user`), kControlCharacter (offset:
// the byte in `user`, or user.size() + 1 + its index in `password`).
Result<std::string, CredentialsError> SerializeBasic(std::string_view user,
                                                     std::string_view password);

// SerializeBearer returns "Bearer " + token. It does not check that `token` is a b64token.
std::string SerializeBearer(std::string_view token);

// BearerTokenDistributionV28 returns the token distribution v2.8 takes from this Authorization
// value, or nullopt when it treats the request as carrying none (ErrTokenRequired: a challenge
// without error=). It models Go's net/textproto, which trims SP/HTAB from both ends of every
// header value (measured on Debian's 2.8.2: `Bearer tok ` and `\tBearer tok` reach the token
// check), and then registry/auth/token/accesscontroller.go: strings.Split(h, " ") must give
// exactly 2 parts and strings.ToLower(parts[0]) == "bearer". So two SP, an HTAB separator or
// a space inside the token mean "no token" (token-auth.md §2.2; suite-anchors §C1). The view
// points into `header_value`.
std::optional<std::string_view> BearerTokenDistributionV28(std::string_view header_value);
// AcceptedByDistributionV28: BearerTokenDistributionV28 found a token.
bool AcceptedByDistributionV28(std::string_view header_value);

// BearerTokenDistributionV3 models v3 (dist@v3.1.1 accesscontroller.go Authorized): after the
// same textproto trim, strings.Cut(h, " ") on the first SP; the prefix must EqualFold "bearer"
// and the rest must be non-empty. The rest is the token as is, so `Bearer  tok` gives " tok"
// (which then fails as a malformed token, invalid_token, instead of "no token").
std::optional<std::string_view> BearerTokenDistributionV3(std::string_view header_value);
// AcceptedByDistributionV3: BearerTokenDistributionV3 found a token.
bool AcceptedByDistributionV3(std::string_view header_value);

}  // namespace regauth::protocol
