#include "protocol/json.h"

#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace regauth::protocol {
namespace {

// CountingIterator walks the input and records how far nlohmann's lexer has read, so that a
// callback (which nlohmann gives no position) can report a byte offset.
class CountingIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* p, const char* base, std::size_t* read)
      : p_(p), base_(base), read_(read) {}
  reference operator*() const {
    const auto consumed = static_cast<std::size_t>(p_ - base_) + 1;
    if (consumed > *read_) *read_ = consumed;
    return *p_;
  }
  CountingIterator& operator++() {
    ++p_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++p_;
    return old;
  }
  friend bool operator==(const CountingIterator& a, const CountingIterator& b) {
    return a.p_ == b.p_;
  }

 private:
  const char* p_;
  const char* base_;
  std::size_t* read_;
};

// Abort carries a limit or duplicate-key failure out of nlohmann's callback; it never leaves
// this file.
struct Abort {
  JsonError code;
  std::size_t offset;
  const char* reason;
};

}  // namespace

std::string_view CodeName(JsonError code) {
  switch (code) {
    case JsonError::kTooLarge:
      return "too_large";
    case JsonError::kTooDeep:
      return "too_deep";
    case JsonError::kSyntax:
      return "syntax";
    case JsonError::kNumberOverflow:
      return "number_overflow";
    case JsonError::kDuplicateKey:
      return "duplicate_key";
    case JsonError::kNotObject:
      return "not_object";
  }
  return "unknown";
}

Result<nlohmann::json, JsonError> ParseJson(std::string_view text, const JsonOptions& options) {
  if (text.size() > options.limits.max_bytes) {
    return Fail(JsonError::kTooLarge, options.limits.max_bytes, "JSON text exceeds size limit");
  }
  // RFC 8259 §8.1 lets a parser ignore a byte order mark; nlohmann does, Go's encoding/json
  // (distribution, the registries under test) rejects it. Be strict, like the peers.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    return Fail(JsonError::kSyntax, 0, "byte order mark before JSON text");
  }
  std::size_t read = 0;
  std::size_t depth = 0;
  std::vector<std::set<std::string>> keys;  // member names seen, one set per open object

  auto callback = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                      nlohmann::json& parsed) -> bool {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        if (++depth > options.limits.max_depth) {
          throw Abort{JsonError::kTooDeep, read == 0 ? 0 : read - 1, "JSON nested too deeply"};
        }
        if (event == E::object_start && !options.allow_duplicate_keys) keys.emplace_back();
        break;
      case E::object_end:
      case E::array_end:
        --depth;
        if (event == E::object_end && !options.allow_duplicate_keys) keys.pop_back();
        break;
      case E::key:
        if (!options.allow_duplicate_keys &&
            !keys.back().insert(parsed.get_ref<const std::string&>()).second) {
          throw Abort{JsonError::kDuplicateKey, read == 0 ? 0 : read - 1,
                      "duplicate member name in JSON object"};
        }
        break;
      case E::value:
        break;
    }
    return true;
  };

  const char* begin = text.data();
  const char* end = text.data() + text.size();
  try {
    return nlohmann::json::parse(CountingIterator(begin, begin, &read),
                                 CountingIterator(end, begin, &read), callback,
                                 /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const Abort& a) {
    return Fail(a.code, a.offset, a.reason);
  } catch (const nlohmann::json::parse_error& e) {
    const std::size_t at = e.byte == 0 ? 0 : e.byte - 1;
    return Fail(JsonError::kSyntax, at > text.size() ? text.size() : at, "malformed JSON");
  } catch (const nlohmann::json::out_of_range&) {
    return Fail(JsonError::kNumberOverflow, read == 0 ? 0 : read - 1, "JSON number out of range");
  } catch (const nlohmann::json::exception&) {
    return Fail(JsonError::kSyntax, read, "malformed JSON");
  }
}

Result<nlohmann::json, JsonError> ParseJsonObject(std::string_view text,
                                                  const JsonOptions& options) {
  auto doc = ParseJson(text, options);
  if (doc && !doc->is_object()) {
    return Fail(JsonError::kNotObject, 0, "JSON value is not an object");
  }
  return doc;
}

}  // namespace regauth::protocol
