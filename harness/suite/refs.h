// refs.h — the ${…} references of case files (cases/README.md "Steps", "Bindings"), scanned and
// expanded in one place. Three resolvers use it: the steps at run time (harness/execute/steps.h:
// target, clock, saved tokens, world credentials), the judge (the values the target announced), and
// world binding at load (harness/suite/bind.h: ${name.attribute}).
//
// Grammar: "${" inner "}" where inner is any text without "}". A "$" not followed by "{" is
// literal. An unterminated "${" is literal text for ForEachRef and ExpandRefs; callers that
// must refuse it ask FindUnterminatedRef.
//
// Usage:
//   ForEachRef(text, [](std::string_view inner) { ... });
//   auto out = ExpandRefs<Error>(text, [](std::string_view inner)
//       -> protocol::Expected<std::optional<std::string>, Error> { ... });  // nullopt: keep
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace regauth::harness {

// ForEachRef calls fn(inner) for every complete ${inner} of `text`, left to right.
template <typename Fn>
void ForEachRef(std::string_view text, Fn&& fn) {
  std::size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string_view::npos) {
    const std::size_t end = text.find('}', pos + 2);
    if (end == std::string_view::npos) return;
    fn(text.substr(pos + 2, end - pos - 2));
    pos = end + 1;
  }
}

// FindUnterminatedRef returns the offset of a "${" that no "}" closes, or nullopt.
inline std::optional<std::size_t> FindUnterminatedRef(std::string_view text) {
  std::size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string_view::npos) {
    const std::size_t end = text.find('}', pos + 2);
    if (end == std::string_view::npos) return pos;
    pos = end + 1;
  }
  return std::nullopt;
}

// ExpandRefs replaces each complete ${inner} of `text` by resolve(inner): a value replaces the
// reference, nullopt keeps it verbatim, an error stops the expansion and is returned.
template <typename Error, typename Resolve>
protocol::Expected<std::string, Error> ExpandRefs(std::string_view text, Resolve&& resolve) {
  std::string out;
  std::size_t from = 0, pos = 0;
  while ((pos = text.find("${", pos)) != std::string_view::npos) {
    const std::size_t end = text.find('}', pos + 2);
    if (end == std::string_view::npos) break;
    protocol::Expected<std::optional<std::string>, Error> value =
        resolve(text.substr(pos + 2, end - pos - 2));
    if (!value) return protocol::Unexpected<Error>(std::move(value.error()));
    if (*value) {
      out.append(text.substr(from, pos - from));
      out += **value;
      from = end + 1;
    }
    pos = end + 1;
  }
  out.append(text.substr(from));
  return out;
}

}  // namespace regauth::harness
