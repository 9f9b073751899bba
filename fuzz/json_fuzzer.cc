// json_fuzzer — ParseJson strict and lenient. Invariants: errors point inside the input; a
// strict success is also a lenient success with the same value; a value re-serialised by
// nlohmann parses back (strictly) to an equal value; when strict fails with kDuplicateKey the
// lenient parse either succeeds or fails later in the input.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/json.h"

using namespace regauth::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  JsonOptions lenient_options;
  lenient_options.allow_duplicate_keys = true;
  auto strict = ParseJson(in);
  auto lenient = ParseJson(in, lenient_options);
  if (!strict) {
    FUZZ_CHECK(strict.error().offset <= size);
    if (strict.error().code == JsonError::kDuplicateKey) {
      FUZZ_CHECK(lenient.has_value() || lenient.error().offset > strict.error().offset);
    } else {
      FUZZ_CHECK(!lenient.has_value() && lenient.error().code == strict.error().code);
    }
    return 0;
  }
  FUZZ_CHECK(lenient.has_value() && *lenient == *strict);
  auto again = ParseJson(strict->dump());
  FUZZ_CHECK(again.has_value() && *again == *strict);
  return 0;
}
