#include "protocol/http_auth_grammar.h"

#include <array>

namespace regauth::protocol {
namespace {

constexpr std::array<bool, 256> MakeTcharTable() {
  std::array<bool, 256> t{};
  for (int c = 0x21; c <= 0x7E; ++c) t[c] = true;
  for (const char d : std::string_view("\"(),/:;<=>?@[\\]{}")) {
    t[static_cast<unsigned char>(d)] = false;
  }
  return t;
}

constexpr std::array<bool, 256> MakeToken68Table() {
  std::array<bool, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (const char d : std::string_view("-._~+/")) t[static_cast<unsigned char>(d)] = true;
  return t;
}

constexpr auto kTchar = MakeTcharTable();
constexpr auto kToken68 = MakeToken68Table();

}  // namespace

std::string_view CodeName(GrammarError code) {
  switch (code) {
    case GrammarError::kBadParamName:
      return "bad_param_name";
    case GrammarError::kExpectedEquals:
      return "expected_equals";
    case GrammarError::kBadTokenValue:
      return "bad_token_value";
    case GrammarError::kUnterminatedQuotedString:
      return "unterminated_quoted_string";
    case GrammarError::kBadQuotedPair:
      return "bad_quoted_pair";
    case GrammarError::kControlCharacter:
      return "control_character";
  }
  return "unknown";
}

bool IsTchar(unsigned char c) { return kTchar[c]; }
bool IsToken68Char(unsigned char c) { return kToken68[c]; }

std::size_t ScanToken(std::string_view s, std::size_t pos) {
  while (pos < s.size() && kTchar[static_cast<unsigned char>(s[pos])]) ++pos;
  return pos;
}

std::size_t ScanToken68(std::string_view s, std::size_t pos) {
  const std::size_t start = pos;
  while (pos < s.size() && kToken68[static_cast<unsigned char>(s[pos])]) ++pos;
  if (pos == start) return start;
  while (pos < s.size() && s[pos] == '=') ++pos;
  return pos;
}

std::size_t SkipOws(std::string_view s, std::size_t pos) {
  while (pos < s.size() && IsOws(s[pos])) ++pos;
  return pos;
}

Result<std::size_t, GrammarError> ParseQuotedString(std::string_view s, std::size_t pos,
                                                    std::string* value) {
  const std::size_t open = pos;
  for (std::size_t i = pos + 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') return i + 1;
    if (c == '\\') {
      if (i + 1 >= s.size()) break;  // "\" at the very end: the string never closes
      const char next = s[i + 1];
      if (IsForbiddenCtl(next)) {
        return Fail(GrammarError::kBadQuotedPair, i, "quoted-pair escapes a control character");
      }
      value->push_back(next);
      ++i;
      continue;
    }
    if (IsForbiddenCtl(c)) {
      return Fail(GrammarError::kControlCharacter, i, "control character in quoted-string");
    }
    value->push_back(c);
  }
  return Fail(GrammarError::kUnterminatedQuotedString, open, "quoted-string not closed");
}

Result<std::size_t, GrammarError> ParseAuthParam(std::string_view s, std::size_t pos,
                                                 AuthParam* param, std::size_t* value_start) {
  const std::size_t name_end = ScanToken(s, pos);
  if (name_end == pos) {
    return Fail(GrammarError::kBadParamName, pos, "auth-param name is not a token");
  }
  const std::size_t eq = SkipOws(s, name_end);
  if (eq >= s.size() || s[eq] != '=') {
    return Fail(GrammarError::kExpectedEquals, eq, "auth-param name not followed by '='");
  }
  const std::size_t start = SkipOws(s, eq + 1);
  if (value_start != nullptr) *value_start = start;
  param->name = AsciiLower(s.substr(pos, name_end - pos));
  param->value.clear();
  if (start < s.size() && s[start] == '"') {
    param->quoted = true;
    return ParseQuotedString(s, start, &param->value);
  }
  const std::size_t value_end = ScanToken(s, start);
  if (value_end == start) {
    return Fail(GrammarError::kBadTokenValue, start,
                "auth-param value is neither token nor quoted-string");
  }
  param->quoted = false;
  param->value.assign(s.substr(start, value_end - start));
  return value_end;
}

}  // namespace regauth::protocol
