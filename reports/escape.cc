#include "reports/escape.h"

#include <cstdint>

namespace regauth::reports {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Decoded is one step of UTF-8 decoding: `length` bytes were consumed; `valid` says whether they
// form a well-formed sequence (then `cp` is its code point) or a maximal ill-formed subpart.
struct Decoded {
  std::size_t length;
  bool valid;
  char32_t cp;
};

bool InRange(unsigned char b, unsigned char lo, unsigned char hi) { return b >= lo && b <= hi; }

// DecodeAt decodes the sequence starting at text[i] following Unicode Table 3-7. On an ill-formed
// sequence it consumes the maximal subpart (at least one byte), as U+FFFD substitution expects.
Decoded DecodeAt(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) return {1, true, b0};
  std::size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  char32_t cp;
  if (InRange(b0, 0xC2, 0xDF)) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (InRange(b0, 0xE0, 0xEF)) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (InRange(b0, 0xF0, 0xF4)) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {1, false, 0};  // continuation byte, C0/C1 (overlong) or F5..FF
  }
  std::size_t n = 1;
  for (std::size_t k = 0; k < need; ++k, ++n) {
    if (i + n >= text.size()) return {n, false, 0};
    const auto b = static_cast<unsigned char>(text[i + n]);
    const bool ok = k == 0 ? InRange(b, lo, hi) : InRange(b, 0x80, 0xBF);
    if (!ok) return {n, false, 0};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {n, true, cp};
}

// IsXmlChar is XML 1.0 §2.2 Char (surrogates cannot come out of DecodeAt).
bool IsXmlChar(char32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

enum class Mode { kSanitize, kXml, kHtml };

std::string Escape(std::string_view text, Mode mode) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size();) {
    const Decoded d = DecodeAt(text, i);
    if (!d.valid || !IsXmlChar(d.cp)) {
      out += kReplacement;
    } else if (mode == Mode::kSanitize) {
      out.append(text.substr(i, d.length));
    } else {
      switch (d.cp) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        case '\t':
          out += mode == Mode::kXml ? "&#9;" : "\t";
          break;
        case '\n':
          out += mode == Mode::kXml ? "&#10;" : "\n";
          break;
        case '\r':
          out += mode == Mode::kXml ? "&#13;" : "\r";
          break;
        default:
          out.append(text.substr(i, d.length));
      }
    }
    i += d.length;
  }
  return out;
}

}  // namespace

std::string XmlEscape(std::string_view text) { return Escape(text, Mode::kXml); }

std::string HtmlEscape(std::string_view text) { return Escape(text, Mode::kHtml); }

std::string SanitizeUtf8(std::string_view text) { return Escape(text, Mode::kSanitize); }

std::string JsonForScript(const nlohmann::json& value) {
  const std::string dumped = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(dumped.size() + dumped.size() / 16);
  // Copies the runs between the characters that need escaping in one append each: a whole-matrix
  // report embeds ~70 MB, where a byte-by-byte copy would dominate the rendering.
  std::size_t run = 0;
  for (std::size_t i = 0; i < dumped.size(); ++i) {
    const char c = dumped[i];
    if (c != '<' && c != '>' && c != '&' && c != '\xE2') continue;
    std::string_view replacement;
    std::size_t consumed = 1;
    if (c == '<') {
      replacement = "\\u003c";
    } else if (c == '>') {
      replacement = "\\u003e";
    } else if (c == '&') {
      replacement = "\\u0026";
    } else if (i + 2 < dumped.size() && dumped[i + 1] == '\x80' &&
               (dumped[i + 2] == '\xA8' || dumped[i + 2] == '\xA9')) {
      replacement = dumped[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      consumed = 3;
    } else {
      continue;  // another character starting with 0xE2: copied as is
    }
    out.append(dumped, run, i - run);
    out.append(replacement);
    i += consumed - 1;
    run = i + 1;
  }
  out.append(dumped, run, std::string::npos);
  return out;
}

bool IsValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const Decoded d = DecodeAt(text, i);
    if (!d.valid) return false;
    i += d.length;
  }
  return true;
}

std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Step back over continuation bytes (at most 3) to the start of the cut sequence.
  for (int k = 0; k < 3 && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80; ++k) {
    --end;
  }
  return text.substr(0, end);
}

}  // namespace regauth::reports
