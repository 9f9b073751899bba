#include "protocol/base64.h"

#include <array>
#include <cstdint>

namespace regauth::protocol {
namespace {

constexpr std::string_view kStandardChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr int kInvalid = -1;

// DecodeTable maps a byte to its 6-bit value in `chars`, or kInvalid.
constexpr std::array<int8_t, 256> DecodeTable(std::string_view chars) {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (std::size_t i = 0; i < chars.size(); ++i) {
    table[static_cast<unsigned char>(chars[i])] = static_cast<int8_t>(i);
  }
  return table;
}

constexpr auto kStandardTable = DecodeTable(kStandardChars);
constexpr auto kUrlTable = DecodeTable(kUrlChars);

bool IsNewline(char c) { return c == '\r' || c == '\n'; }

}  // namespace

std::string_view CodeName(Base64Error code) {
  switch (code) {
    case Base64Error::kTooLarge:
      return "too_large";
    case Base64Error::kBadCharacter:
      return "bad_character";
    case Base64Error::kBadLength:
      return "bad_length";
    case Base64Error::kMissingPadding:
      return "missing_padding";
    case Base64Error::kForbiddenPadding:
      return "forbidden_padding";
    case Base64Error::kBadPadding:
      return "bad_padding";
    case Base64Error::kNonCanonical:
      return "non_canonical";
  }
  return "unknown";
}

Result<std::string, Base64Error> Base64Decode(std::string_view text, const Base64Options& options) {
  if (text.size() > options.max_input) {
    return Fail(Base64Error::kTooLarge, options.max_input, "input exceeds base64 size limit");
  }
  const auto& table = options.alphabet == Base64Alphabet::kUrl ? kUrlTable : kStandardTable;

  // First pass: validate characters and padding placement, count data and padding characters.
  std::size_t data_chars = 0;
  std::size_t pad_chars = 0;
  std::size_t first_pad = 0;
  std::size_t last_data = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (options.ignore_newlines && IsNewline(c)) continue;
    if (c == '=') {
      if (pad_chars == 0) first_pad = i;
      ++pad_chars;
      continue;
    }
    if (pad_chars > 0) {
      return Fail(Base64Error::kBadPadding, i, "data after '=' padding");
    }
    if (table[static_cast<unsigned char>(c)] == kInvalid) {
      return Fail(Base64Error::kBadCharacter, i, "byte outside the base64 alphabet");
    }
    ++data_chars;
    last_data = i;
  }

  if (pad_chars > 0) {
    if (options.padding == Base64Options::Padding::kForbidden) {
      return Fail(Base64Error::kForbiddenPadding, first_pad, "padding is not allowed here");
    }
    if (pad_chars > 2 || (data_chars + pad_chars) % 4 != 0) {
      return Fail(Base64Error::kBadPadding, first_pad, "wrong amount of '=' padding");
    }
  } else {
    if (data_chars % 4 == 1) {
      return Fail(Base64Error::kBadLength, text.size(), "length leaves a partial 6-bit group");
    }
    if (data_chars % 4 != 0 && options.padding == Base64Options::Padding::kRequired) {
      return Fail(Base64Error::kMissingPadding, text.size(), "'=' padding is required");
    }
  }

  // Second pass: decode. The first pass guarantees every non-skipped byte is valid.
  std::string out;
  out.reserve(data_chars / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') break;
    if (options.ignore_newlines && IsNewline(c)) continue;
    acc = (acc << 6) | static_cast<uint32_t>(table[static_cast<unsigned char>(c)]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  const uint32_t leftover = acc & ((1u << bits) - 1);
  if (leftover != 0 && !options.allow_non_canonical) {
    return Fail(Base64Error::kNonCanonical, last_data, "unused trailing bits are not zero");
  }
  return out;
}

Result<std::string, Base64Error> Base64UrlDecodeDistributionV28(std::string_view text,
                                                                std::size_t max_input) {
  if (text.size() > max_input) {
    return Fail(Base64Error::kTooLarge, max_input, "input exceeds base64 size limit");
  }
  std::string padded(text);
  switch (text.size() % 4) {
    case 0:
      break;
    case 2:
      padded += "==";
      break;
    case 3:
      padded += "=";
      break;
    default:
      return Fail(Base64Error::kBadLength, text.size(), "illegal base64url string length");
  }
  Base64Options go_url;
  go_url.alphabet = Base64Alphabet::kUrl;
  go_url.padding = Base64Options::Padding::kRequired;
  go_url.allow_non_canonical = true;
  go_url.ignore_newlines = true;
  go_url.max_input = max_input + 2;
  auto r = Base64Decode(padded, go_url);
  if (!r) {
    Error<Base64Error> e = r.error();
    if (e.offset > text.size()) e.offset = text.size();
    return Fail(e);
  }
  return r;
}

std::string Base64Encode(std::string_view bytes, Base64Alphabet alphabet, bool pad) {
  const std::string_view chars = alphabet == Base64Alphabet::kUrl ? kUrlChars : kStandardChars;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(chars[(v >> 18) & 63]);
    out.push_back(chars[(v >> 12) & 63]);
    out.push_back(chars[(v >> 6) & 63]);
    out.push_back(chars[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    out.push_back(chars[(v >> 18) & 63]);
    out.push_back(chars[(v >> 12) & 63]);
    if (pad) out += "==";
  } else if (rest == 2) {
    const uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out.push_back(chars[(v >> 18) & 63]);
    out.push_back(chars[(v >> 12) & 63]);
    out.push_back(chars[(v >> 6) & 63]);
    if (pad) out += "=";
  }
  return out;
}

}  // namespace regauth::protocol
