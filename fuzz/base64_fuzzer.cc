// base64_fuzzer — Base64Decode under every option set, and the distribution v2.8 decoder.
// Invariants: errors point inside the input; a strict (canonical) decode re-encodes to exactly
// the input; every strict base64url success is also a v2.8 success with the same bytes.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/base64.h"

using namespace regauth::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  using P = Base64Options::Padding;
  for (auto alphabet : {Base64Alphabet::kStandard, Base64Alphabet::kUrl}) {
    for (auto padding : {P::kRequired, P::kForbidden, P::kOptional}) {
      Base64Options strict;
      strict.alphabet = alphabet;
      strict.padding = padding;
      auto r = Base64Decode(in, strict);
      if (!r) {
        FUZZ_CHECK(r.error().offset <= size);
        continue;
      }
      const bool padded = !in.empty() && in.back() == '=';
      FUZZ_CHECK(Base64Encode(*r, alphabet, padded || (padding == P::kRequired)) == in);
      if (alphabet == Base64Alphabet::kUrl) {
        auto v28 = Base64UrlDecodeDistributionV28(in);
        FUZZ_CHECK(v28.has_value() && *v28 == *r);
      }
      Base64Options lenient = strict;
      lenient.allow_non_canonical = true;
      lenient.ignore_newlines = true;
      auto l = Base64Decode(in, lenient);
      FUZZ_CHECK(l.has_value() && *l == *r);
    }
  }
  auto v28 = Base64UrlDecodeDistributionV28(in);
  if (!v28) FUZZ_CHECK(v28.error().offset <= size);
  return 0;
}
