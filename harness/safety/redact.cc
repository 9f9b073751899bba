#include "harness/safety/redact.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>

#include "protocol/ascii.h"
#include "protocol/base64.h"

namespace regauth::harness {
namespace redact_internal {

// Span replaces [begin, end) of the input. Structural spans (priority 1) win ties against
// known-secret spans (priority 0) covering the same bytes, so "user=" survives.
struct Span {
  std::size_t begin;
  std::size_t end;
  std::string replacement;
  int priority = 0;
};

}  // namespace redact_internal

namespace {

using redact_internal::Span;

constexpr std::size_t kMaxUserDisplay = 64;
// The JWT safety net needs a signature this long: shorter tails are not worth a false positive.
constexpr std::size_t kMinUnknownSignature = 16;

using protocol::AsciiLower;
using protocol::EqualsIgnoreAsciiCase;

bool IsAnyOf(std::string_view s, std::initializer_list<std::string_view> names) {
  for (const std::string_view n : names) {
    if (EqualsIgnoreAsciiCase(s, n)) return true;
  }
  return false;
}

bool IsB64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::uint32_t Prefix4(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The prefix filter has 2^20 bits (128 KiB): with the ~10^4 patterns of a whole matrix run
// (one per issued token) about 1 % of the bits are set, so a miss is almost always decided by it.
constexpr std::uint32_t kPrefixFilterBits = 1u << 20;

std::uint32_t PrefixFilterBit(std::uint32_t prefix) {
  return (prefix * 2654435761u) >> (32 - 20);  // Fibonacci hashing onto 20 bits
}

std::string PercentEncode(std::string_view s, bool plus_for_space, bool lower_hex) {
  const char* hex = lower_hex ? "0123456789abcdef" : "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ' && plus_for_space) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// JsonEscape spells `s` as the inside of a JSON string. `slash` also escapes '/', `html` adds
// Go encoding/json's default HTML-safe escapes (<, >, & as \u003c, \u003e, \u0026).
std::string JsonEscape(std::string_view s, bool slash, bool html) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (c < 0x20 || (html && (ch == '<' || ch == '>' || ch == '&'))) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else if (slash && ch == '/') {
      out += "\\/";
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// JsonKeyForCompare unescapes a JSON member name enough to compare it with ASCII names:
// \uXXXX outside ASCII becomes '?', which matches none of them.
std::string JsonKeyForCompare(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\' || i + 1 >= raw.size()) {
      out.push_back(AsciiLower(raw[i]));
      continue;
    }
    const char e = raw[++i];
    if (e == 'u' && i + 4 < raw.size()) {
      unsigned v = 0;
      bool ok = true;
      for (std::size_t k = 1; k <= 4 && ok; ++k) {
        const char h = raw[i + k];
        v <<= 4;
        if (h >= '0' && h <= '9') {
          v |= static_cast<unsigned>(h - '0');
        } else if (AsciiLower(h) >= 'a' && AsciiLower(h) <= 'f') {
          v |= static_cast<unsigned>(AsciiLower(h) - 'a' + 10);
        } else {
          ok = false;
        }
      }
      out.push_back(ok && v < 0x80 ? AsciiLower(static_cast<char>(v)) : '?');
      i += 4;
    } else {
      out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : AsciiLower(e));
    }
  }
  return out;
}

// JwtSignatureOffset returns where the signature starts when `s` is a JWS compact serialisation
// (RFC 7515 §7.1): three base64url segments whose first decodes to a JSON object. The check on
// the header keeps an opaque token that merely contains two dots from being shown in part.
std::optional<std::size_t> JwtSignatureOffset(std::string_view s) {
  const std::size_t d1 = s.find('.');
  if (d1 == std::string_view::npos || d1 == 0) return std::nullopt;
  const std::size_t d2 = s.find('.', d1 + 1);
  if (d2 == std::string_view::npos || d2 == d1 + 1) return std::nullopt;
  if (s.find('.', d2 + 1) != std::string_view::npos) return std::nullopt;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i != d1 && i != d2 && !IsB64UrlChar(s[i]) && s[i] != '=') return std::nullopt;
  }
  protocol::Base64Options lenient;
  lenient.alphabet = protocol::Base64Alphabet::kUrl;
  lenient.padding = protocol::Base64Options::Padding::kOptional;
  lenient.allow_non_canonical = true;
  auto header = protocol::Base64Decode(s.substr(0, d1), lenient);
  if (!header) return std::nullopt;
  const std::size_t first = header->find_first_not_of(" \t\r\n");
  if (first == std::string::npos || (*header)[first] != '{') return std::nullopt;
  return d2 + 1;
}

// FindJwtShapes adds the signature of every "eyJ<b64>.<b64>.<b64 ≥ 16>" substring that is not a
// public token (`is_public`).
template <typename IsPublic>
void FindJwtShapes(std::string_view text, const IsPublic& is_public, std::vector<Span>& out) {
  std::size_t pos = 0;
  while ((pos = text.find("eyJ", pos)) != std::string_view::npos) {
    const std::size_t start = pos;
    pos += 3;
    if (start > 0 && IsB64UrlChar(text[start - 1])) continue;
    std::size_t i = start;
    while (i < text.size() && IsB64UrlChar(text[i])) ++i;
    if (i >= text.size() || text[i] != '.') continue;
    const std::size_t payload = ++i;
    while (i < text.size() && IsB64UrlChar(text[i])) ++i;
    if (i - payload < 2 || i >= text.size() || text[i] != '.') continue;
    const std::size_t sig = ++i;
    while (i < text.size() && IsB64UrlChar(text[i])) ++i;
    if (i - sig < kMinUnknownSignature) continue;
    if (!is_public(text.substr(start, i - start))) {
      out.push_back(Span{sig, i, std::string(kRedactedSignature), 1});
    }
    pos = i;
  }
}

// Apply merges overlapping spans (a span contained in another disappears into it; a partial
// overlap becomes one generic marker) and rewrites the text. With `escape`, bytes outside the
// spans that are not printable ASCII (and '\') are written as \xHH.
std::string Apply(std::string_view text, std::vector<Span> spans, bool escape = false) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end > b.end;
    return a.priority > b.priority;
  });
  std::vector<Span> merged;
  for (Span& s : spans) {
    if (s.begin >= s.end || s.end > text.size()) continue;
    if (!merged.empty() && s.begin < merged.back().end) {
      Span& g = merged.back();
      if (s.end <= g.end) continue;
      g.end = s.end;
      if (g.replacement != s.replacement) g.replacement = std::string(kRedacted);
      continue;
    }
    merged.push_back(std::move(s));
  }
  std::string out;
  out.reserve(text.size());
  auto copy = [&](std::size_t from, std::size_t to) {
    if (!escape) {
      out.append(text.substr(from, to - from));
      return;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = from; i < to; ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        out += "\\x";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
  };
  std::size_t pos = 0;
  for (const Span& g : merged) {
    copy(pos, g.begin);
    out += g.replacement;
    pos = g.end;
  }
  copy(pos, text.size());
  return out;
}

bool IsSensitiveParam(std::string_view decoded_name) {
  return IsAnyOf(decoded_name,
                 {"password", "passwd", "token", "access_token", "refresh_token", "id_token",
                  "private_token", "job_token", "client_secret", "secret", "api_key", "apikey"});
}

std::string FormDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = AsciiLower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// FormSpans masks the values of sensitive parameters in `form` (which starts at `base` in the
// text being redacted).
void FormSpans(std::string_view form, std::size_t base, std::vector<Span>& out) {
  std::size_t start = 0;
  while (start <= form.size()) {
    std::size_t end = form.find('&', start);
    if (end == std::string_view::npos) end = form.size();
    const std::string_view pair = form.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && eq + 1 < pair.size() &&
        IsSensitiveParam(FormDecode(pair.substr(0, eq)))) {
      out.push_back(Span{base + start + eq + 1, base + end, std::string(kRedacted), 1});
    }
    start = end + 1;
  }
}

}  // namespace

// ---- registration ----

void Redactor::AddPatternLocked(std::string text, bool signature) {
  if (text.size() < kMinSecretLength || known_.count(text) > 0) return;
  const std::uint32_t prefix = Prefix4(text.data());
  if (prefix_filter_.empty()) prefix_filter_.assign(kPrefixFilterBits / 64, 0);
  const std::uint32_t bit = PrefixFilterBit(prefix);
  prefix_filter_[bit / 64] |= std::uint64_t{1} << (bit % 64);
  by_prefix_[prefix].push_back(patterns_.size());
  known_.insert(text);
  patterns_.push_back(Pattern{std::move(text), signature});
}

void Redactor::AddSecret(std::string_view secret) {
  if (secret.empty()) return;
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (secret.size() < kMinSecretLength) {
    ++ignored_short_;
    return;
  }
  if (const auto sig = JwtSignatureOffset(secret);
      sig && secret.size() - *sig >= kMinSecretLength) {
    // Base64url and '.' have no other spelling in URLs or JSON: the signature suffices.
    AddPatternLocked(std::string(secret.substr(*sig)), /*signature=*/true);
    return;
  }
  AddPatternLocked(std::string(secret), false);
  for (const bool plus : {false, true}) {
    for (const bool lower : {false, true})
      AddPatternLocked(PercentEncode(secret, plus, lower), false);
  }
  AddPatternLocked(JsonEscape(secret, false, false), false);
  AddPatternLocked(JsonEscape(secret, true, false), false);
  AddPatternLocked(JsonEscape(secret, false, true), false);
  AddPatternLocked(JsonEscape(secret, true, true), false);
}

void Redactor::AddBasicCredential(std::string_view user, std::string_view password) {
  AddSecret(password);
  if (password.empty()) return;
  const std::string pair = std::string(user) + ":" + std::string(password);
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (const auto alphabet :
       {protocol::Base64Alphabet::kStandard, protocol::Base64Alphabet::kUrl}) {
    std::string b64 = protocol::Base64Encode(pair, alphabet, /*pad=*/true);
    AddPatternLocked(b64, false);
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    AddPatternLocked(std::move(b64), false);
  }
}

void Redactor::AddPublicToken(std::string_view token) {
  if (token.size() < kMinSecretLength) return;
  std::unique_lock<std::shared_mutex> lock(mu_);
  public_tokens_.emplace(token);
}

bool Redactor::IsPublicToken(std::string_view token) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return !public_tokens_.empty() && public_tokens_.count(std::string(token)) > 0;
}

std::size_t Redactor::pattern_count() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return patterns_.size();
}

std::size_t Redactor::ignored_short_secrets() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return ignored_short_;
}

// ---- matching ----

void Redactor::FindSecrets(std::string_view text, std::vector<Span>& out) const {
  if (options_.mask_unknown_jwt_signatures) {
    FindJwtShapes(
        text, [this](std::string_view token) { return IsPublicToken(token); }, out);
  }
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (by_prefix_.empty() || text.size() < kMinSecretLength) return;
  const std::uint64_t* filter = prefix_filter_.data();
  for (std::size_t i = 0; i + kMinSecretLength <= text.size(); ++i) {
    const std::uint32_t prefix = Prefix4(text.data() + i);
    const std::uint32_t bit = PrefixFilterBit(prefix);
    if ((filter[bit / 64] & (std::uint64_t{1} << (bit % 64))) == 0) continue;
    const auto it = by_prefix_.find(prefix);
    if (it == by_prefix_.end()) continue;
    for (const std::size_t idx : it->second) {
      const Pattern& p = patterns_[idx];
      if (text.size() - i >= p.text.size() &&
          std::memcmp(text.data() + i, p.text.data(), p.text.size()) == 0) {
        out.push_back(Span{i, i + p.text.size(),
                           std::string(p.signature ? kRedactedSignature : kRedacted), 0});
      }
    }
  }
}

std::string Redactor::Redact(std::string_view text) const {
  std::vector<Span> spans;
  FindSecrets(text, spans);
  return Apply(text, std::move(spans));
}

// BasicReplacement is the marker for a Basic credential (RFC 7617 §2): the user-id is shown,
// redacted and escaped, because it is evidence (which account was tried) and not a secret.
std::string Redactor::BasicReplacement(std::string_view credential) const {
  auto decoded = protocol::Base64Decode(credential);
  if (!decoded) {
    protocol::Base64Options lenient;
    lenient.padding = protocol::Base64Options::Padding::kOptional;
    lenient.allow_non_canonical = true;
    decoded = protocol::Base64Decode(credential, lenient);
  }
  if (!decoded) return std::string(kRedacted);
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::string(kRedacted);
  const std::string_view user = std::string_view(*decoded).substr(0, colon);
  std::vector<Span> spans;
  FindSecrets(user, spans);
  std::string display;
  if (spans.empty() && user.size() > kMaxUserDisplay) {
    display = Apply(user.substr(0, kMaxUserDisplay), {}, /*escape=*/true) + "…";
  } else {
    display = Apply(user, std::move(spans), /*escape=*/true);
  }
  return "«redacted user=" + display + "»";
}

std::string Redactor::RedactAuthorizationHeader(std::string_view value) const {
  std::vector<Span> spans;
  FindSecrets(value, spans);
  const std::size_t sp = value.find_first_of(" \t");
  if (sp == std::string_view::npos) {
    // A bare scheme carries nothing secret; any other lone token may be a credential.
    if (value.empty() ||
        IsAnyOf(value, {"basic", "bearer", "digest", "negotiate", "ntlm", "token"})) {
      return Apply(value, std::move(spans));
    }
    return std::string(kRedacted);
  }
  const std::string_view scheme = value.substr(0, sp);
  const std::size_t cred_begin = value.find_first_not_of(" \t", sp);
  if (cred_begin == std::string_view::npos) return Apply(value, std::move(spans));
  const std::string_view cred = value.substr(cred_begin);
  if (EqualsIgnoreAsciiCase(scheme, "basic")) {
    spans.push_back(Span{cred_begin, value.size(), BasicReplacement(cred), 1});
  } else if (EqualsIgnoreAsciiCase(scheme, "bearer")) {
    if (IsPublicToken(cred)) {
      // forged by the suite: kept whole (AddPublicToken)
    } else if (const auto sig = JwtSignatureOffset(cred)) {
      if (*sig < cred.size()) {
        spans.push_back(Span{cred_begin + *sig, value.size(), std::string(kRedactedSignature), 1});
      }
    } else {
      spans.push_back(Span{cred_begin, value.size(), std::string(kRedacted), 1});
    }
  } else {
    spans.push_back(Span{cred_begin, value.size(), std::string(kRedacted), 1});
  }
  return Apply(value, std::move(spans));
}

std::string Redactor::RedactHeaderValue(std::string_view name, std::string_view value) const {
  if (IsAnyOf(name, {"authorization", "proxy-authorization"})) {
    return RedactAuthorizationHeader(value);
  }
  if (IsAnyOf(name, {"location", "content-location", "referer"})) return RedactUrl(value);
  const bool cookie = EqualsIgnoreAsciiCase(name, "cookie");
  if (!cookie && !EqualsIgnoreAsciiCase(name, "set-cookie")) return Redact(value);
  // Cookie: every pair's value; Set-Cookie: the first pair's value (attributes stay).
  std::vector<Span> spans;
  FindSecrets(value, spans);
  std::size_t start = 0;
  while (start < value.size()) {
    std::size_t end = value.find(';', start);
    if (end == std::string_view::npos) end = value.size();
    const std::size_t eq = value.find('=', start);
    if (eq != std::string_view::npos && eq + 1 < end) {
      spans.push_back(Span{eq + 1, end, std::string(kRedacted), 1});
    }
    if (!cookie) break;
    start = end + 1;
  }
  return Apply(value, std::move(spans));
}

std::string Redactor::RedactUrl(std::string_view url) const {
  std::vector<Span> spans;
  FindSecrets(url, spans);
  const std::size_t scheme_end = url.find("://");
  const std::size_t query = url.find('?');
  if (scheme_end != std::string_view::npos && scheme_end < query) {
    const std::size_t auth = scheme_end + 3;
    std::size_t auth_end = url.find_first_of("/?#", auth);
    if (auth_end == std::string_view::npos) auth_end = url.size();
    const std::string_view authority = url.substr(auth, auth_end - auth);
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      const std::size_t colon = authority.find(':');
      if (colon != std::string_view::npos && colon + 1 < at) {
        spans.push_back(Span{auth + colon + 1, auth + at, std::string(kRedacted), 1});
      }
    }
  }
  if (query != std::string_view::npos) {
    std::size_t query_end = url.find('#', query);
    if (query_end == std::string_view::npos) query_end = url.size();
    FormSpans(url.substr(query + 1, query_end - query - 1), query + 1, spans);
  }
  return Apply(url, std::move(spans));
}

std::string Redactor::RedactForm(std::string_view form) const {
  std::vector<Span> spans;
  FindSecrets(form, spans);
  FormSpans(form, 0, spans);
  return Apply(form, std::move(spans));
}

std::string Redactor::RedactJsonTokenFields(std::string_view body) const {
  std::vector<Span> spans;
  FindSecrets(body, spans);
  const std::size_t n = body.size();
  std::optional<std::string> key;  // the member name whose value comes next
  std::size_t i = 0;
  while (i < n) {
    const char c = body[i];
    if (c != '"') {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') key.reset();  // non-string value
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < n && body[j] != '"') j += body[j] == '\\' ? 2 : 1;
    const std::size_t end = std::min(j, n);  // contents are [i + 1, end)
    const std::string_view contents = body.substr(i + 1, end - i - 1);
    std::size_t k = end + 1;
    while (k < n && (body[k] == ' ' || body[k] == '\t' || body[k] == '\r' || body[k] == '\n')) {
      ++k;
    }
    if (end < n && k < n && body[k] == ':') {  // a member name
      key = JsonKeyForCompare(contents);
      i = k + 1;
      continue;
    }
    if (key && !contents.empty()) {
      const std::size_t b = i + 1;
      if (IsAnyOf(*key, {"token", "access_token", "id_token", "registrytoken"})) {
        if (!IsPublicToken(contents)) {  // one the suite forged is kept whole (AddPublicToken)
          const auto sig = contents.find('\\') == std::string_view::npos
                               ? JwtSignatureOffset(contents)
                               : std::nullopt;
          if (!sig) {
            spans.push_back(Span{b, end, std::string(kRedacted), 1});
          } else if (*sig < contents.size()) {
            spans.push_back(Span{b + *sig, end, std::string(kRedactedSignature), 1});
          }
        }
      } else if (IsAnyOf(*key, {"refresh_token", "identitytoken", "password", "client_secret",
                                "secret", "private_token"})) {
        spans.push_back(Span{b, end, std::string(kRedacted), 1});
      } else if (*key == "auth") {  // docker config.json: base64("user:password")
        spans.push_back(Span{b, end, BasicReplacement(contents), 1});
      }
    }
    key.reset();
    i = end + 1;
  }
  return Apply(body, std::move(spans));
}

std::string Redactor::RedactBody(std::string_view content_type, std::string_view body) const {
  std::string type;
  for (const char c : content_type.substr(0, content_type.find(';'))) {
    if (c != ' ' && c != '\t') type.push_back(AsciiLower(c));
  }
  const std::size_t first = body.find_first_not_of(" \t\r\n");
  const bool looks_json =
      first != std::string_view::npos && (body[first] == '{' || body[first] == '[');
  if (type.find("json") != std::string::npos || (type.empty() && looks_json)) {
    return RedactJsonTokenFields(body);
  }
  if (type == "application/x-www-form-urlencoded") return RedactForm(body);
  if (looks_json) return RedactJsonTokenFields(body);
  return Redact(body);
}

}  // namespace regauth::harness
