// go_quote.h — Go's strconv.Quote (what fmt's %q does to a string), as compiled into Debian's
// docker-registry 2.8.2 (go1.19.8, Unicode 13.0), so the suite can predict byte for byte the
// `Bearer realm=%q,service=%q[,scope=%q][,error=%q]` challenge that distribution emits
// (token-auth.md §1.2; dist@v2.8.3 registry/auth/token/accesscontroller.go challengeParams).
//
// Go's quoting is close to, but not, an RFC 9110 quoted-string: `"` and `\` are backslashed
// like a quoted-pair, but control and non-printable characters become Go escapes (`\x01`,
// `\u00a0`, `\t`, ...) that an RFC 9110 reader unescapes to the letters `x01`, `u00a0`, `t`.
//
// Usage:
//   std::string v = GoQuote("https://auth.example/token");   // "\"https://auth.example/token\""
//   bool p = GoIsPrint(U'\u00e9');                            // true: written raw, not escaped
#pragma once

#include <string>
#include <string_view>

namespace regauth::protocol {

// GoIsPrint reports whether Go 1.19's strconv.IsPrint holds for `rune`: Unicode 13.0 categories
// L, M, N, P, S plus U+0020. The table was measured, not copied: every code point 0..0x10FFFF
// (surrogates excluded) was put in the realm of a running docker-registry 2.8.2 and the
// challenge it sent back was classified as raw (printable) or escaped. `"` and `\` are printable
// (Quote backslashes them before consulting IsPrint).
bool GoIsPrint(char32_t rune);

// GoQuote returns `bytes` as Go's strconv.Quote writes it, quotes included:
//   - invalid UTF-8 (bad lead or continuation byte, overlong form, surrogate, > U+10FFFF,
//     truncated sequence): each offending byte as `\xNN`, decoding resumes at the next byte;
//   - `"` and `\`: backslashed;
//   - GoIsPrint runes (ASCII 0x20-0x7E and printable non-ASCII): written raw, as UTF-8;
//   - U+0007..U+000D: `\a \b \t \n \v \f \r`; other runes below U+0020 and U+007F: `\xNN`
//     (go1.19 writes DEL as `\x7f`; older Go wrote `\u007f`: measured);
//   - other runes: `\uNNNN` below U+10000, else `\UNNNNNNNN` (lower-case hex).
// The output is printable ASCII plus raw printable UTF-8; it never contains a CTL.
std::string GoQuote(std::string_view bytes);

}  // namespace regauth::protocol
