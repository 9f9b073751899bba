// json.h — strict JSON text → nlohmann::json, for every JSON document the suite parses from a
// peer (JWS headers and claims, token responses, registry error bodies, world files).
//
// nlohmann/json does the parsing; this wrapper adds what a hostile-input parser needs and the
// library does not do by itself:
//   - duplicate member names are rejected (RFC 7515 §5.2 requires JOSE parsers to reject or use a
//     lexically-last-wins rule; nlohmann silently keeps the last one, an attack vector when two
//     parsers disagree). JsonOptions::allow_duplicate_keys is the named lenient mode that mirrors
//     Go's encoding/json (last wins), which distribution uses;
//   - input size and nesting depth limits, checked before and during parsing;
//   - a typed error with a byte offset instead of an exception.
// RFC 8259 grammar; strings must be valid UTF-8 with paired surrogates (nlohmann checks both); a
// leading byte order mark is rejected, as Go's encoding/json rejects it.
//
// Usage:
//   auto doc = ParseJsonObject(text);
//   if (!doc) return Fail(JwsError::kBadJson, ...);
//   const nlohmann::json& obj = *doc;
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "protocol/result.h"

namespace regauth::protocol {

// JsonError is the reason ParseJson failed.
enum class JsonError {
  kTooLarge = 1,    // input longer than JsonLimits::max_bytes
  kTooDeep,         // arrays/objects nested deeper than JsonLimits::max_depth
  kSyntax,          // not RFC 8259 JSON (incl. ill-formed UTF-8, lone surrogates, trailing data,
                    // a byte order mark)
  kNumberOverflow,  // a number outside the range of a double (e.g. 1e400)
  kDuplicateKey,    // an object repeats a member name (RFC 7515 §5.2)
  kNotObject,       // ParseJsonObject: the top-level value is not an object
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(JsonError code);

struct JsonLimits {
  std::size_t max_bytes = 256 * 1024;
  std::size_t max_depth = 32;
};

struct JsonOptions {
  JsonLimits limits;
  // Lenient: accept repeated member names, keeping the last value (Go encoding/json semantics).
  bool allow_duplicate_keys = false;
};

// ParseJson parses one JSON value that must span all of `text` (surrounding whitespace allowed).
// Error offsets: kTooLarge → max_bytes; kDuplicateKey → the closing quote of the repeated name;
// kTooDeep → the opening bracket that exceeded the limit; others → where nlohmann stopped.
Result<nlohmann::json, JsonError> ParseJson(std::string_view text, const JsonOptions& options = {});

// ParseJsonObject is ParseJson that also requires the top-level value to be an object
// (kNotObject, offset 0, otherwise).
Result<nlohmann::json, JsonError> ParseJsonObject(std::string_view text,
                                                  const JsonOptions& options = {});

}  // namespace regauth::protocol
