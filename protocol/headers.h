// headers.h — looking up HTTP header fields by name (RFC 9110 §5.1: field names are
// case-insensitive), over any container of (name, value) pairs, in one place: the runner's
// recorded responses, its HTTP client and the reference server's requests and responses all use
// it.
//
// Usage:
//   std::vector<std::pair<std::string, std::string>> headers = ...;
//   std::optional<std::string_view> ct = FindHeader(headers, "Content-Type");
//   for (std::string_view v : HeaderValues(headers, "WWW-Authenticate")) ...
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "protocol/ascii.h"

namespace regauth::protocol {

// FindHeader returns the value of the first field called `name`, or nullopt. The view borrows
// from `headers`.
template <typename Headers>
std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreAsciiCase(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

// HeaderValues returns the values of every field called `name`, in order (a header may occur
// several times: WWW-Authenticate, RFC 9110 §11.6.1). The views borrow from `headers`.
template <typename Headers>
std::vector<std::string_view> HeaderValues(const Headers& headers, std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreAsciiCase(k, name)) out.emplace_back(v);
  }
  return out;
}

}  // namespace regauth::protocol
