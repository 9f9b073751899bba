// error_body_fuzzer — ParseErrorBody and both serialisers. Invariants: errors point inside the
// input; a success has non-empty codes; GitLab-style serialise → parse gives equal entries and
// http_status (it writes exactly what is present); distribution-style serialise → parse keeps
// every code and detail and always has a message; SerializeErrorBody never throws.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/error_body.h"

using namespace regauth::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto body = ParseErrorBody(in);
  if (!body) {
    FUZZ_CHECK(body.error().offset <= size);
    FUZZ_CHECK(!body.error().reason.empty());
    return 0;
  }
  for (const RegistryError& e : body->errors) FUZZ_CHECK(!e.code.empty());

  ErrorBodySerializeOptions gitlab;
  gitlab.style = ErrorBodyStyle::kGitLab;
  gitlab.http_status = body->http_status;
  auto again = ParseErrorBody(SerializeErrorBody(body->errors, gitlab));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->errors == body->errors);
  FUZZ_CHECK(again->http_status == body->http_status);

  const std::string go = SerializeErrorBody(body->errors);
  FUZZ_CHECK(!go.empty() && go.back() == '\n');
  auto dist = ParseErrorBody(go);
  if (body->errors.empty()) {
    FUZZ_CHECK(!dist.has_value() && dist.error().code == ErrorBodyError::kMissingErrors);
    return 0;
  }
  FUZZ_CHECK(dist.has_value() && dist->errors.size() == body->errors.size());
  for (std::size_t i = 0; i < body->errors.size(); ++i) {
    FUZZ_CHECK(dist->errors[i].code == body->errors[i].code);
    FUZZ_CHECK(dist->errors[i].detail == body->errors[i].detail);
    FUZZ_CHECK(dist->errors[i].message.has_value());
  }
  return 0;
}
