// jwt_parse_fuzzer — ParseCompactJws (strict and distribution v2.8 modes) and ParseClaims (strict
// and Go-lenient). No crypto. Invariants: error offsets stay inside the input; a strict success
// re-encodes (EncodeCompact of the decoded parts) to exactly the input and is also a v2.8
// success with an equal Jws; a v2.8 success re-encodes to a token that v2.8 parses to the same
// parts; a strict claims success is a lenient success with equal claims.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/jws.h"
#include "protocol/jwt.h"

using namespace regauth::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  JwsOptions v28;
  v28.base64 = JwsBase64::kDistributionV28;
  v28.allow_duplicate_members = true;
  v28.go_struct_decoding = true;
  auto strict = ParseCompactJws(in);
  auto lenient = ParseCompactJws(in, v28);
  if (!strict) FUZZ_CHECK(strict.error().offset <= size);
  if (!lenient) FUZZ_CHECK(lenient.error().offset <= size);
  if (strict) {
    FUZZ_CHECK(EncodeCompact(strict->header_text, strict->payload, strict->signature) == in);
    FUZZ_CHECK(lenient.has_value() && *lenient == *strict);
  }
  if (lenient) {
    auto again = ParseCompactJws(
        EncodeCompact(lenient->header_text, lenient->payload, lenient->signature), v28);
    FUZZ_CHECK(again.has_value() && again->header == lenient->header &&
               again->payload == lenient->payload && again->signature == lenient->signature);
  }

  // Claims: the payload of a parsed token, else the input itself as JSON text.
  const std::string_view claims_text = lenient ? std::string_view(lenient->payload) : in;
  ClaimsParseOptions go;
  go.allow_aud_array = true;
  go.allow_float_dates = true;
  go.go_struct_decoding = true;
  JsonOptions last_wins;
  last_wins.allow_duplicate_keys = true;
  auto strict_claims = ParseClaims(claims_text);
  auto go_claims = ParseClaims(claims_text, go, last_wins);
  if (!strict_claims) FUZZ_CHECK(strict_claims.error().offset <= claims_text.size());
  if (!go_claims) FUZZ_CHECK(go_claims.error().offset <= claims_text.size());
  if (strict_claims) FUZZ_CHECK(go_claims.has_value() && *go_claims == *strict_claims);
  return 0;
}
