// token_response_fuzzer — ParseTokenResponse in both forms (GET, OAuth2) and both modes (strict,
// Go client). Invariants: errors point inside the input; a success carries a usable token and a
// lifetime of at least 60 s; a strict success has an RFC 3339 issued_at; serialise → parse (same
// form and mode) gives an equal value; CheckTokenResponse returns non-empty static messages.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/rfc3339.h"
#include "protocol/token_response.h"

using namespace regauth::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  for (auto form : {TokenResponseForm::kGet, TokenResponseForm::kOAuth2}) {
    for (bool go : {false, true}) {
      const TokenResponseOptions options =
          go ? TokenResponseOptions::GoClient() : TokenResponseOptions{};
      auto r = ParseTokenResponse(in, form, options);
      if (!r) {
        FUZZ_CHECK(r.error().offset <= size);
        FUZZ_CHECK(!r.error().reason.empty());
        continue;
      }
      FUZZ_CHECK(!r->EffectiveToken().empty());
      FUZZ_CHECK(r->EffectiveExpiresIn() >= kMinimumTokenLifetimeSeconds);
      FUZZ_CHECK(r->issued_at.has_value() == r->issued_at_unix.has_value());
      if (!go && r->issued_at) FUZZ_CHECK(ParseRfc3339(*r->issued_at).has_value());
      if (form == TokenResponseForm::kOAuth2) FUZZ_CHECK(!r->token.has_value());
      if (form == TokenResponseForm::kGet) FUZZ_CHECK(!r->scope.has_value());
      for (const auto& f : CheckTokenResponse(*r, form)) FUZZ_CHECK(!f.message.empty());
      auto again = ParseTokenResponse(SerializeTokenResponse(*r), form, options);
      FUZZ_CHECK(again.has_value() && *again == *r);
    }
  }
  return 0;
}
