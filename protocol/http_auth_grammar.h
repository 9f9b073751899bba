// http_auth_grammar.h — the RFC 9110 scanners shared by the WWW-Authenticate parser
// (challenge.h) and the Authorization parser (credentials.h): tchar/token (§5.6.2), token68
// (§11.2), quoted-string with quoted-pair (§5.6.4), OWS/BWS (§5.6.3) and one auth-param
// (§11.2), plus the AuthParam value type both parsers return.
//
// Positions are byte offsets into the caller's string; scanners never allocate except to
// unescape a quoted-string into an owned value.
//
// Usage:
//   std::size_t end = ScanToken(s, pos);             // end == pos: no token at pos
//   AuthParam p;
//   auto r = ParseAuthParam(s, pos, &p);             // r: end of the param, or GrammarError
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/ascii.h"
#include "protocol/result.h"

namespace regauth::protocol {

// AuthParam is one `auth-param = token BWS "=" BWS ( token / quoted-string )` (RFC 9110
// §11.2). `name` is lower-cased (names are case-insensitive); `value` is unescaped and owned;
// `quoted` records whether it was sent as a quoted-string. Equality ignores `quoted`: RFC 9110
// §11.2 makes the token and quoted-string forms of a value equivalent.
struct AuthParam {
  std::string name;
  std::string value;
  bool quoted = false;

  friend bool operator==(const AuthParam& a, const AuthParam& b) {
    return a.name == b.name && a.value == b.value;
  }
};

// GrammarError is why ParseAuthParam or ParseQuotedString stopped. Each domain (ChallengeError,
// CredentialsError) has a code of the same name and maps these one to one.
enum class GrammarError {
  kBadParamName = 1,          // no token where an auth-param name must start
  kExpectedEquals,            // the name is not followed by BWS "="
  kBadTokenValue,             // after "=" neither a token nor a quoted-string starts
  kUnterminatedQuotedString,  // no closing DQUOTE (offset: the opening DQUOTE)
  kBadQuotedPair,             // "\" followed by a CTL (offset: the backslash)
  kControlCharacter,          // a CTL other than HTAB inside a quoted-string
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(GrammarError code);

// IsTchar: RFC 9110 §5.6.2 tchar, i.e. VCHAR except the delimiters `"(),/:;<=>?@[\]{}`.
bool IsTchar(unsigned char c);
// IsToken68Char: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" (RFC 9110 §11.2).
bool IsToken68Char(unsigned char c);
// IsOws: SP or HTAB (RFC 9110 §5.6.3).
inline bool IsOws(char c) { return c == ' ' || c == '\t'; }
// IsCtl: %x00-1F / %x7F (RFC 5234 B.1). HTAB is a CTL here; callers that allow it say so.
inline bool IsCtl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}
// IsForbiddenCtl: a CTL that no part of an HTTP field value may hold (RFC 9110 §5.5), i.e.
// every CTL but HTAB.
inline bool IsForbiddenCtl(char c) { return IsCtl(c) && c != '\t'; }

// ScanToken returns the end of the token (1*tchar) starting at `pos`, or `pos` if none.
std::size_t ScanToken(std::string_view s, std::size_t pos);
// ScanToken68 returns the end of `1*( token68 char ) *"="` starting at `pos`, or `pos` if the
// first byte is not a token68 character.
std::size_t ScanToken68(std::string_view s, std::size_t pos);
// SkipOws returns the first position at or after `pos` that is not SP or HTAB.
std::size_t SkipOws(std::string_view s, std::size_t pos);

// ParseQuotedString parses the quoted-string whose opening DQUOTE is at s[pos] (callers check
// that it is) and appends the unescaped content to `*value`. qdtext is HTAB / SP / %x21 /
// %x23-5B / %x5D-7E / obs-text; quoted-pair is "\" ( HTAB / SP / VCHAR / obs-text ). Returns
// the position after the closing DQUOTE.
Result<std::size_t, GrammarError> ParseQuotedString(std::string_view s, std::size_t pos,
                                                    std::string* value);

// ParseAuthParam parses `token BWS "=" BWS ( token / quoted-string )` starting at s[pos] into
// `*param` (name lower-cased, value unescaped) and, if `value_start` is set, stores where the
// value (token or opening DQUOTE) starts. Returns the position after the value. It does not look
// past the value: list separators, limits and duplicates are the caller's business.
Result<std::size_t, GrammarError> ParseAuthParam(std::string_view s, std::size_t pos,
                                                 AuthParam* param,
                                                 std::size_t* value_start = nullptr);

}  // namespace regauth::protocol
