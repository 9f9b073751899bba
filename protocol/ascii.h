// ascii.h — ASCII case folding for protocol bytes, in one place. Header field names, auth
// schemes, parameter names (RFC 9110 §5.1, §11.1), GitLab's path comparison and the registry's
// media types compare case-insensitively over ASCII only: std::tolower would also fold bytes
// >= 0x80 under a Latin-1 locale, making names that differ in non-ASCII bytes compare equal.
//
// Usage:
//   if (EqualsIgnoreAsciiCase(name, "Authorization")) ...
//   std::string key = AsciiLower(path);
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace regauth::protocol {

// AsciiLower folds A-Z to a-z and leaves every other byte as it is.
constexpr char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// AsciiLower returns `s` with A-Z lower-cased.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

// AsciiUpper returns `s` with a-z upper-cased (netfuzz's case mutations).
inline std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return out;
}

// EqualsIgnoreAsciiCase compares `a` and `b` with A-Z and a-z equal.
inline bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// StartsWithIgnoreAsciiCase reports whether `s` begins with `prefix`, ASCII case-insensitively.
inline bool StartsWithIgnoreAsciiCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreAsciiCase(s.substr(0, prefix.size()), prefix);
}

}  // namespace regauth::protocol
