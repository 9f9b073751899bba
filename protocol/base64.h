// base64.h — strict base64 (RFC 4648 §4) and base64url (RFC 4648 §5) codecs, plus the named
// lenient decoders that real peers use, so the suite can tell "accepted by the spec" from
// "accepted by distribution v2.8".
//
// Strict decoding (the default) rejects: characters outside the alphabet (including whitespace),
// a length that is not a whole number of quanta, padding where the options forbid it or missing
// where they require it, and non-canonical encodings whose unused trailing bits are not zero
// (RFC 4648 §3.5). Each of these has its own Base64Error code.
//
// Usage:
//   auto raw = Base64Decode(text, Base64Options::Standard());         // HTTP Basic (RFC 7617)
//   auto seg = Base64Decode(segment, Base64Options::JoseStrict());    // JWS segment (RFC 7515 §2)
//   auto v28 = Base64UrlDecodeDistributionV28(segment);               // what registry 2.8 accepts
//   std::string out = Base64UrlEncode(bytes);                          // unpadded base64url
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace regauth::protocol {

// Base64Error is the reason a base64/base64url decode failed.
enum class Base64Error {
  kTooLarge = 1,      // input longer than Base64Options::max_input
  kBadCharacter,      // byte outside the selected alphabet (incl. whitespace, '=' mid-input)
  kBadLength,         // unpadded length % 4 == 1, or padded length % 4 != 0: no valid quantum
  kMissingPadding,    // padding required but absent (e.g. "YQ" under Padding::kRequired)
  kForbiddenPadding,  // padding present where Padding::kForbidden (JOSE, RFC 7515 §2)
  kBadPadding,        // '=' in the wrong place or the wrong number of '='
  kNonCanonical,      // unused trailing bits are not zero (RFC 4648 §3.5)
};

// CodeName returns the stable snake_case name of `code` ("bad_character", ...).
std::string_view CodeName(Base64Error code);

enum class Base64Alphabet { kStandard, kUrl };

// Base64Options selects alphabet, padding rule and tolerances. Defaults are strict.
struct Base64Options {
  enum class Padding { kRequired, kForbidden, kOptional };

  Base64Alphabet alphabet = Base64Alphabet::kStandard;
  Padding padding = Padding::kRequired;
  // Lenient: accept unused trailing bits that are not zero (Go's and OpenSSL's decoders do).
  bool allow_non_canonical = false;
  // Lenient: skip '\r' and '\n' anywhere in the input, as Go's encoding/base64 does.
  bool ignore_newlines = false;
  // Inputs longer than this fail with kTooLarge before any decoding work.
  std::size_t max_input = 1 << 20;

  // Standard alphabet, padding required, canonical: RFC 7617 Basic credentials.
  static Base64Options Standard() { return {}; }
  // URL alphabet, no padding allowed, canonical: JWS compact segments (RFC 7515 §2).
  static Base64Options JoseStrict() {
    Base64Options o;
    o.alphabet = Base64Alphabet::kUrl;
    o.padding = Padding::kForbidden;
    return o;
  }
};

// Base64Decode decodes `text` under `options`. Returns the raw bytes (owned) or an Error whose
// offset is the index of the offending input byte (kBadLength/kMissingPadding: input size;
// kTooLarge: max_input).
Result<std::string, Base64Error> Base64Decode(std::string_view text,
                                              const Base64Options& options = {});

// Base64UrlDecodeDistributionV28 reproduces distribution v2.8's joseBase64UrlDecode
// (registry/auth/token/util.go): it appends "==" when len%4==2 and "=" when len%4==3, fails when
// len%4==1, then decodes with Go's base64.URLEncoding. The effect: unpadded and correctly padded
// input are both accepted, non-canonical trailing bits are accepted, '\r'/'\n' are skipped
// (but still count in the length), '+' and '/' are rejected.
Result<std::string, Base64Error> Base64UrlDecodeDistributionV28(std::string_view text,
                                                                std::size_t max_input = 1 << 20);

// Base64Encode encodes `bytes` with `alphabet`, with '=' padding when `pad`.
std::string Base64Encode(std::string_view bytes,
                         Base64Alphabet alphabet = Base64Alphabet::kStandard, bool pad = true);

// Base64UrlEncode is Base64Encode(bytes, kUrl, /*pad=*/false): the JOSE form.
inline std::string Base64UrlEncode(std::string_view bytes) {
  return Base64Encode(bytes, Base64Alphabet::kUrl, false);
}

}  // namespace regauth::protocol
