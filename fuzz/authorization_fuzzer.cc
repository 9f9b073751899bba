// authorization_fuzzer — ParseCredentials strict and with every tolerance on, the serialisers,
// and the distribution v2.8/v3 Bearer extraction models. Invariants:
//  - errors point inside the input;
//  - strict success ⇒ lenient success with an equal value (the tolerances only widen);
//  - Basic: SerializeBasic(user, password) succeeds whenever strict parsing did (strict rejects
//    CTLs, and the user-id ends at the first ':'), and re-parses strictly to the same
//    credentials in canonical form; Bearer: SerializeBearer re-parses to the same token;
//  - v2.8 accepting a header implies v3 accepting it with the same token; a strict Bearer with
//    exactly one SP is accepted by v2.8 with the same token, any strict Bearer by v3.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz/fuzz_check.h"
#include "protocol/credentials.h"

using namespace regauth::protocol;

namespace {

void CheckRoundTrip(const Credentials& c, bool must_serialize) {
  if (const auto* basic = std::get_if<BasicCredentials>(&c.value)) {
    auto text = SerializeBasic(basic->username, basic->password);
    FUZZ_CHECK(text.has_value() || !must_serialize);
    if (!text) return;
    auto back = ParseCredentials(*text);
    FUZZ_CHECK(back.has_value() && back->form.Canonical());
    FUZZ_CHECK(back->value == c.value);
  } else if (const auto* bearer = std::get_if<BearerCredentials>(&c.value)) {
    auto back = ParseCredentials(SerializeBearer(bearer->token));
    FUZZ_CHECK(back.has_value() && back->form.Canonical() && back->value == c.value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  CredentialsOptions lenient_options;
  lenient_options.allow_lenient_whitespace = true;
  lenient_options.allow_unpadded_basic = true;
  lenient_options.allow_non_canonical_basic = true;
  lenient_options.allow_control_characters = true;

  auto strict = ParseCredentials(in);
  auto lenient = ParseCredentials(in, lenient_options);
  if (!strict) FUZZ_CHECK(strict.error().offset <= size);
  if (!lenient) FUZZ_CHECK(lenient.error().offset <= size);
  if (strict) {
    FUZZ_CHECK(lenient.has_value() && *lenient == *strict);
    CheckRoundTrip(*strict, /*must_serialize=*/true);
    if (const auto* bearer = std::get_if<BearerCredentials>(&strict->value)) {
      FUZZ_CHECK(BearerTokenDistributionV3(in).has_value());
      if (strict->form.separator_spaces == 1) {
        FUZZ_CHECK(BearerTokenDistributionV28(in) == std::string_view(bearer->token));
      }
    }
  }
  if (lenient) CheckRoundTrip(*lenient, /*must_serialize=*/false);

  const auto v28 = BearerTokenDistributionV28(in);
  if (v28) FUZZ_CHECK(BearerTokenDistributionV3(in) == v28);
  return 0;
}
