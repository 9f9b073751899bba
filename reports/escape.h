// escape.h — text escaping for the report writers. Results carry attacker-controlled bytes
// (response bodies and headers recorded from the registry under test); these functions are the
// only way such bytes reach junit.xml and report.html.
//
//   - XmlEscape: XML 1.0 (§2.2 Char, §2.4 character data, §3.3.3 attribute normalisation): the
//     output is valid UTF-8 holding only XML Chars, safe in both text nodes and quoted attributes.
//   - HtmlEscape: the same guarantees for HTML text and quoted attribute values.
//   - JsonForScript: a JSON value serialised so it can sit inside <script type="application/json">
//     without ending the element (HTML §4.12.1.3: "</script" and "<!--" are what matter; every
//     '<' is escaped, so neither can appear) and without U+2028/U+2029 line terminators.
//   - TruncateUtf8: cut to a byte budget at a character boundary (for JUnit message attributes).
//
// Ill-formed UTF-8 is replaced by U+FFFD per maximal subpart (Unicode 15 §3.9, Table 3-7 gives
// the well-formed sequences); so are code points that XML 1.0 forbids (U+0000–U+0008, U+000B,
// U+000C, U+000E–U+001F, U+FFFE, U+FFFF). Nothing is dropped silently: each replaced character
// stays visible as U+FFFD.
//
// Usage:
//   out += "<failure message=\"" + XmlEscape(check_message) + "\">";
//   out += "<script type=\"application/json\" id=\"regauth-data\">" + JsonForScript(doc);
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace regauth::reports {

// XmlEscape returns `text` as XML character data usable in a text node and in a single- or
// double-quoted attribute: & < > " ' become entity references; TAB, LF and CR become character
// references (attribute-value normalisation would otherwise turn them into spaces, and CR would
// be folded into LF in text); ill-formed UTF-8 and non-Char code points become U+FFFD.
std::string XmlEscape(std::string_view text);

// HtmlEscape is XmlEscape for HTML: & < > " ' are escaped, TAB/LF/CR are kept as they are,
// ill-formed UTF-8 and the code points XML forbids become U+FFFD.
std::string HtmlEscape(std::string_view text);

// SanitizeUtf8 returns `text` with each ill-formed UTF-8 subpart and each code point outside
// XML 1.0's Char production replaced by U+FFFD; nothing is escaped.
std::string SanitizeUtf8(std::string_view text);

// JsonForScript serialises `value` compactly (ill-formed UTF-8 in strings becomes U+FFFD, as
// nlohmann's error_handler_t::replace does) and then escapes '<', '>', '&', U+2028 and U+2029 as
// \u003c, \u003e, \u0026, \u2028, \u2029. These characters occur only inside JSON strings, where
// the escapes mean the same thing, so JSON.parse returns the original value.
std::string JsonForScript(const nlohmann::json& value);

// IsValidUtf8 returns whether `text` is well-formed UTF-8 (Unicode Table 3-7; any code point,
// including noncharacters and controls).
bool IsValidUtf8(std::string_view text);

// TruncateUtf8 returns the longest prefix of `text` of at most `max_bytes` bytes that does not
// end inside a UTF-8 sequence (a sequence is recognised by its lead byte; ill-formed input is
// cut at a byte that is not a continuation byte).
std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes);

}  // namespace regauth::reports
