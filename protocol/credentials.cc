#include "protocol/credentials.h"

#include <utility>

#include "protocol/base64.h"

namespace regauth::protocol {
namespace {

using CredentialsResult = Result<Credentials, CredentialsError>;

CredentialsError FromGrammar(GrammarError e) {
  switch (e) {
    case GrammarError::kBadParamName:
      return CredentialsError::kBadParamName;
    case GrammarError::kExpectedEquals:
      return CredentialsError::kExpectedEquals;
    case GrammarError::kBadTokenValue:
      return CredentialsError::kBadTokenValue;
    case GrammarError::kUnterminatedQuotedString:
      return CredentialsError::kUnterminatedQuotedString;
    case GrammarError::kBadQuotedPair:
      return CredentialsError::kBadQuotedPair;
    case GrammarError::kControlCharacter:
      return CredentialsError::kControlCharacter;
  }
  return CredentialsError::kBadTokenValue;
}

// Bad fails with `code` at s[pos], unless that byte is a forbidden control character, which is
// reported as such wherever the grammar trips over it (RFC 9110 §5.5).
Unexpected<Error<CredentialsError>> Bad(std::string_view s, CredentialsError code, std::size_t pos,
                                        std::string_view reason) {
  if (pos < s.size() && IsForbiddenCtl(s[pos])) {
    return Fail(CredentialsError::kControlCharacter, pos, "control character in field value");
  }
  return Fail(code, pos, reason);
}

// CheckToken68 checks that s[start, end) is one token68: success, or the error at the
// first byte that breaks it.
Status<CredentialsError> CheckToken68(std::string_view s, std::size_t start, std::size_t end) {
  const std::size_t t68_end = ScanToken68(s.substr(0, end), start);
  if (t68_end != end) {
    return Bad(s, CredentialsError::kBadToken68, t68_end, "credentials are not token68");
  }
  return {};
}

Result<BasicCredentials, CredentialsError> ParseBasic(std::string_view s, std::size_t start,
                                                      std::size_t end,
                                                      const CredentialsOptions& options) {
  if (auto ok = CheckToken68(s, start, end); !ok) return Fail(ok.error());
  Base64Options b64 = Base64Options::Standard();
  if (options.allow_unpadded_basic) b64.padding = Base64Options::Padding::kOptional;
  b64.allow_non_canonical = options.allow_non_canonical_basic;
  b64.max_input = options.limits.max_bytes;
  auto decoded = Base64Decode(s.substr(start, end - start), b64);
  if (!decoded) {
    const Error<Base64Error>& e = decoded.error();
    if (e.code == Base64Error::kTooLarge) {
      return Fail(CredentialsError::kTooLarge, start, "Basic payload too large");
    }
    // CodeName returns a string literal, so the reason stays static (result.h).
    return Fail(CredentialsError::kBadBase64, start + e.offset, CodeName(e.code));
  }
  const std::string& raw = *decoded;
  if (raw.size() > options.limits.max_basic_decoded_bytes) {
    return Fail(CredentialsError::kTooLarge, start, "Basic payload too large");
  }
  if (!options.allow_control_characters) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (IsCtl(raw[i])) {
        // Byte i of a quantum's 3 starts in base64 character i % 3 of its 4.
        return Fail(CredentialsError::kControlCharacter, start + 4 * (i / 3) + i % 3,
                    "control character in Basic user-id or password");
      }
    }
  }
  const std::size_t colon = raw.find(':');
  if (colon == std::string::npos) {
    return Fail(CredentialsError::kMissingColon, start, "Basic payload has no ':'");
  }
  return BasicCredentials{raw.substr(0, colon), raw.substr(colon + 1)};
}

Result<OtherCredentials, CredentialsError> ParseOther(std::string_view s, std::size_t start,
                                                      std::size_t end,
                                                      const CredentialsLimits& limits) {
  OtherCredentials out;
  if (start == end) return out;
  const std::string_view v = s.substr(0, end);
  const std::size_t t68_end = ScanToken68(v, start);
  if (t68_end == end) {
    if (end - start > limits.max_value_bytes) {
      return Fail(CredentialsError::kTooLarge, start, "token68 too large");
    }
    out.token68 = std::string(v.substr(start, end - start));
    return out;
  }
  // Not a token68, so #auth-param. A first run holding "/" or "=" can only be a token68.
  const std::size_t name_end = ScanToken(v, start);
  const std::size_t eq = SkipOws(v, name_end);
  if (!(name_end > start && eq < end && v[eq] == '=') && t68_end > name_end) {
    return Bad(s, CredentialsError::kBadToken68, t68_end, "token68 followed by other text");
  }
  std::size_t pos = start;
  while (pos < end) {
    if (v[pos] == ',') {  // empty list element (RFC 9110 §5.6.1)
      pos = SkipOws(v, pos + 1);
      continue;
    }
    AuthParam param;
    std::size_t value_start = 0;
    auto param_end = ParseAuthParam(v, pos, &param, &value_start);
    if (!param_end) {
      const Error<GrammarError>& e = param_end.error();
      return Bad(s, FromGrammar(e.code), e.offset, e.reason);
    }
    for (const AuthParam& existing : out.params) {
      if (existing.name == param.name) {
        return Fail(CredentialsError::kDuplicateParam, pos, "parameter name repeated");
      }
    }
    if (out.params.size() >= limits.max_params) {
      return Fail(CredentialsError::kTooManyParams, pos, "too many auth-params");
    }
    if (param.value.size() > limits.max_value_bytes) {
      return Fail(CredentialsError::kTooLarge, value_start, "auth-param value too large");
    }
    out.params.push_back(std::move(param));
    const std::size_t sep = SkipOws(v, *param_end);
    if (sep >= end) break;
    if (v[sep] != ',') {
      return Bad(s, CredentialsError::kTrailingGarbage, sep, "expected ',' after auth-param");
    }
    pos = sep;
  }
  return out;
}

// GoTextprotoTrim removes SP and HTAB from both ends, as Go's net/textproto does to every header
// value it reads (reader.go trim).
std::string_view GoTextprotoTrim(std::string_view v) {
  while (!v.empty() && IsOws(v.front())) v.remove_prefix(1);
  while (!v.empty() && IsOws(v.back())) v.remove_suffix(1);
  return v;
}

}  // namespace

std::string_view CodeName(CredentialsError code) {
  switch (code) {
    case CredentialsError::kEmpty:
      return "empty";
    case CredentialsError::kTooLarge:
      return "too_large";
    case CredentialsError::kBadWhitespace:
      return "bad_whitespace";
    case CredentialsError::kBadScheme:
      return "bad_scheme";
    case CredentialsError::kTrailingGarbage:
      return "trailing_garbage";
    case CredentialsError::kMissingCredentials:
      return "missing_credentials";
    case CredentialsError::kBadToken68:
      return "bad_token68";
    case CredentialsError::kBadBase64:
      return "bad_base64";
    case CredentialsError::kMissingColon:
      return "missing_colon";
    case CredentialsError::kControlCharacter:
      return "control_character";
    case CredentialsError::kBadParamName:
      return "bad_param_name";
    case CredentialsError::kExpectedEquals:
      return "expected_equals";
    case CredentialsError::kBadTokenValue:
      return "bad_token_value";
    case CredentialsError::kUnterminatedQuotedString:
      return "unterminated_quoted_string";
    case CredentialsError::kBadQuotedPair:
      return "bad_quoted_pair";
    case CredentialsError::kDuplicateParam:
      return "duplicate_param";
    case CredentialsError::kTooManyParams:
      return "too_many_params";
    case CredentialsError::kUserContainsColon:
      return "user_contains_colon";
  }
  return "unknown";
}

bool Credentials::SchemeIs(std::string_view scheme_name) const {
  return EqualsIgnoreAsciiCase(scheme, scheme_name);
}

Result<Credentials, CredentialsError> ParseCredentials(std::string_view s,
                                                       const CredentialsOptions& options) {
  if (s.size() > options.limits.max_bytes) {
    return Fail(CredentialsError::kTooLarge, options.limits.max_bytes, "header value too large");
  }
  const bool lenient_ws = options.allow_lenient_whitespace;
  std::size_t lead = 0;
  while (lead < s.size() && IsOws(s[lead])) ++lead;
  if (lead == s.size()) {
    if (s.empty() || lenient_ws) return Fail(CredentialsError::kEmpty, s.size(), "empty value");
    return Fail(CredentialsError::kBadWhitespace, 0, "value is only whitespace");
  }
  std::size_t body_end = s.size();
  while (IsOws(s[body_end - 1])) --body_end;  // stops at s[lead], which is not OWS
  if (!lenient_ws && lead > 0) {
    return Fail(CredentialsError::kBadWhitespace, 0, "value starts with whitespace");
  }
  if (!lenient_ws && body_end < s.size()) {
    return Fail(CredentialsError::kBadWhitespace, body_end, "value ends with whitespace");
  }

  Credentials out;
  out.form.leading = lead;
  out.form.trailing = s.size() - body_end;
  const std::size_t scheme_end = ScanToken(s, lead);
  if (scheme_end == lead) {
    return Bad(s, CredentialsError::kBadScheme, lead, "auth-scheme is not a token");
  }
  out.scheme = std::string(s.substr(lead, scheme_end - lead));
  std::size_t start = scheme_end;
  for (; start < body_end && IsOws(s[start]); ++start) {
    if (s[start] == ' ') {
      ++out.form.separator_spaces;
    } else if (!lenient_ws) {
      return Fail(CredentialsError::kBadWhitespace, start, "HTAB between scheme and credentials");
    } else {
      ++out.form.separator_tabs;
    }
  }
  if (start < body_end && start == scheme_end) {
    return Bad(s, CredentialsError::kTrailingGarbage, start, "scheme not followed by SP");
  }

  const bool basic = EqualsIgnoreAsciiCase(out.scheme, "basic");
  const bool bearer = EqualsIgnoreAsciiCase(out.scheme, "bearer");
  if ((basic || bearer) && start == body_end) {
    return Fail(CredentialsError::kMissingCredentials, body_end, "scheme without credentials");
  }
  if (basic) {
    auto b = ParseBasic(s, start, body_end, options);
    if (!b) return Fail(b.error());
    out.value = std::move(*b);
  } else if (bearer) {
    if (auto ok = CheckToken68(s, start, body_end); !ok) return Fail(ok.error());
    out.value = BearerCredentials{std::string(s.substr(start, body_end - start))};
  } else {
    auto o = ParseOther(s, start, body_end, options.limits);
    if (!o) return Fail(o.error());
    out.value = std::move(*o);
  }
  return out;
}

Result<std::string, CredentialsError> SerializeBasic(std::string_view user,
                                                     std::string_view password) {
  for (std::size_t i = 0; i < user.size(); ++i) {
    if (user[i] == ':') {
      return Fail(CredentialsError::kUserContainsColon, i, "RFC 7617 user-id cannot hold ':'");
    }
    if (IsCtl(user[i])) {
      return Fail(CredentialsError::kControlCharacter, i, "control character in user-id");
    }
  }
  for (std::size_t i = 0; i < password.size(); ++i) {
    if (IsCtl(password[i])) {
      return Fail(CredentialsError::kControlCharacter, user.size() + 1 + i,
                  "control character in password");
    }
  }
  std::string payload(user);
  payload += ':';
  payload += password;
  return "Basic " + Base64Encode(payload);
}

std::string SerializeBearer(std::string_view token) { return "Bearer " + std::string(token); }

std::optional<std::string_view> BearerTokenDistributionV28(std::string_view header_value) {
  const std::string_view h = GoTextprotoTrim(header_value);
  const std::size_t sp = h.find(' ');
  // strings.Split(h, " ") has exactly two parts iff h holds exactly one SP.
  if (sp == std::string_view::npos || h.find(' ', sp + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  // strings.ToLower is Unicode-aware, but no non-ASCII rune lower-cases into "bearer".
  if (!EqualsIgnoreAsciiCase(h.substr(0, sp), "bearer")) return std::nullopt;
  return h.substr(sp + 1);
}

bool AcceptedByDistributionV28(std::string_view header_value) {
  return BearerTokenDistributionV28(header_value).has_value();
}

std::optional<std::string_view> BearerTokenDistributionV3(std::string_view header_value) {
  const std::string_view h = GoTextprotoTrim(header_value);
  const std::size_t sp = h.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  const std::string_view rest = h.substr(sp + 1);
  // strings.EqualFold uses simple case folding; no non-ASCII rune folds to a letter of "bearer".
  if (rest.empty() || !EqualsIgnoreAsciiCase(h.substr(0, sp), "bearer")) return std::nullopt;
  return rest;
}

bool AcceptedByDistributionV3(std::string_view header_value) {
  return BearerTokenDistributionV3(header_value).has_value();
}

}  // namespace regauth::protocol
