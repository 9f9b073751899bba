#include "protocol/challenge.h"

#include <utility>

#include "protocol/go_quote.h"

namespace regauth::protocol {
namespace {

using ChallengeResult = Result<std::vector<Challenge>, ChallengeError>;

ChallengeError FromGrammar(GrammarError e) {
  switch (e) {
    case GrammarError::kBadParamName:
      return ChallengeError::kBadParamName;
    case GrammarError::kExpectedEquals:
      return ChallengeError::kExpectedEquals;
    case GrammarError::kBadTokenValue:
      return ChallengeError::kBadTokenValue;
    case GrammarError::kUnterminatedQuotedString:
      return ChallengeError::kUnterminatedQuotedString;
    case GrammarError::kBadQuotedPair:
      return ChallengeError::kBadQuotedPair;
    case GrammarError::kControlCharacter:
      return ChallengeError::kControlCharacter;
  }
  return ChallengeError::kBadTokenValue;
}

// StrictParser parses one field value (or the joined values of several field lines) by the
// RFC 9110 grammar in challenge.h. Each element of the list is classified at its first token:
// `token BWS "="` is an auth-param of the current challenge, any other token a new challenge.
class StrictParser {
 public:
  StrictParser(std::string_view s, const ChallengeLimits& limits) : s_(s), limits_(limits) {}

  ChallengeResult Parse() {
    if (s_.size() > limits_.max_bytes) {
      return Fail(ChallengeError::kTooLarge, limits_.max_bytes, "header value too large");
    }
    if (!s_.empty() && IsOws(s_.front())) {
      return Fail(ChallengeError::kBadWhitespace, 0, "field value starts with whitespace");
    }
    if (!s_.empty() && IsOws(s_.back())) {
      std::size_t start = s_.size();
      while (start > 0 && IsOws(s_[start - 1])) --start;
      return Fail(ChallengeError::kBadWhitespace, start, "field value ends with whitespace");
    }
    std::size_t pos = 0;
    while (true) {
      // Element start: skip empty list elements (RFC 9110 §5.6.1).
      if (pos < s_.size() && s_[pos] == ',') {
        pos = SkipOws(s_, pos + 1);
        continue;
      }
      if (pos >= s_.size()) break;
      auto item_end = ParseElement(pos);
      if (!item_end) return Fail(item_end.error());
      // After an element: OWS then "," or the end.
      const std::size_t sep = SkipOws(s_, *item_end);
      if (sep >= s_.size()) break;
      if (s_[sep] != ',') {
        return Bad(ChallengeError::kTrailingGarbage, sep, "expected ',' or end after element");
      }
      pos = sep;
    }
    if (out_.empty()) return Fail(ChallengeError::kEmpty, s_.size(), "no challenge in value");
    return std::move(out_);
  }

 private:
  enum class State { kSchemeOnly, kParams, kToken68 };

  // Bad fails with `code` at `pos`, unless the byte there is a forbidden control character:
  // that is reported as such wherever the grammar trips over it (RFC 9110 §5.5).
  Unexpected<Error<ChallengeError>> Bad(ChallengeError code, std::size_t pos,
                                        std::string_view reason) const {
    if (pos < s_.size() && IsForbiddenCtl(s_[pos])) {
      return Fail(ChallengeError::kControlCharacter, pos, "control character in field value");
    }
    return Fail(code, pos, reason);
  }

  Result<std::size_t, ChallengeError> ParseElement(std::size_t pos) {
    const std::size_t tok_end = ScanToken(s_, pos);
    const bool in_params = !out_.empty() && state_ == State::kParams;
    if (tok_end == pos) {
      if (in_params) {
        return Bad(ChallengeError::kBadParamName, pos, "expected auth-param or challenge");
      }
      return Bad(ChallengeError::kBadScheme, pos, "auth-scheme is not a token");
    }
    const std::size_t after = SkipOws(s_, tok_end);
    if (after < s_.size() && s_[after] == '=') {
      if (!in_params) {
        return Fail(ChallengeError::kMisplacedParam, pos, "auth-param where a challenge starts");
      }
      return AddParam(pos);
    }
    return StartChallenge(pos, tok_end);
  }

  Result<std::size_t, ChallengeError> StartChallenge(std::size_t pos, std::size_t scheme_end) {
    if (out_.size() >= limits_.max_challenges) {
      return Fail(ChallengeError::kTooManyChallenges, pos, "too many challenges");
    }
    out_.push_back(Challenge{std::string(s_.substr(pos, scheme_end - pos)), std::nullopt, {}});
    state_ = State::kSchemeOnly;
    if (scheme_end >= s_.size() || s_[scheme_end] != ' ') {
      // No 1*SP: only OWS "," or the end may follow.
      const std::size_t sep = SkipOws(s_, scheme_end);
      if (sep >= s_.size() || s_[sep] == ',') return scheme_end;
      if (sep > scheme_end) {
        return Fail(ChallengeError::kBadWhitespace, scheme_end, "scheme needs 1*SP, not HTAB");
      }
      return Bad(ChallengeError::kTrailingGarbage, scheme_end, "unexpected byte after scheme");
    }
    std::size_t p = scheme_end;
    while (p < s_.size() && s_[p] == ' ') ++p;
    state_ = State::kParams;  // `scheme 1*SP` opens a (possibly empty) #auth-param list
    if (p >= s_.size() || s_[p] == ',') return p;
    if (s_[p] == '\t') {
      const std::size_t sep = SkipOws(s_, p);
      if (sep >= s_.size() || s_[sep] == ',') return p;
      return Fail(ChallengeError::kBadWhitespace, p, "HTAB before token68 or auth-param");
    }
    // token68 wins when it runs to a list boundary; otherwise this is the first auth-param.
    // The two never both fit: an auth-param needs a value after "=".
    const std::size_t t68_end = ScanToken68(s_, p);
    if (t68_end > p) {
      const std::size_t sep = SkipOws(s_, t68_end);
      if (sep >= s_.size() || s_[sep] == ',') {
        if (t68_end - p > limits_.max_value_bytes) {
          return Fail(ChallengeError::kTooLarge, p, "token68 too large");
        }
        out_.back().token68 = std::string(s_.substr(p, t68_end - p));
        state_ = State::kToken68;
        return t68_end;
      }
    }
    const std::size_t name_end = ScanToken(s_, p);
    const std::size_t eq = SkipOws(s_, name_end);
    const bool param_start = name_end > p && eq < s_.size() && s_[eq] == '=';
    if (!param_start && t68_end > name_end) {
      // The run holds "/" or "=", so it can only have been meant as a token68.
      return Bad(ChallengeError::kBadToken68, t68_end, "token68 not followed by ',' or end");
    }
    return AddParam(p);
  }

  Result<std::size_t, ChallengeError> AddParam(std::size_t pos) {
    Challenge& c = out_.back();
    AuthParam param;
    std::size_t value_start = 0;
    auto end = ParseAuthParam(s_, pos, &param, &value_start);
    if (!end) {
      const Error<GrammarError>& e = end.error();
      return Bad(FromGrammar(e.code), e.offset, e.reason);
    }
    for (const AuthParam& existing : c.params) {
      if (existing.name == param.name) {
        return Fail(ChallengeError::kDuplicateParam, pos, "parameter name repeated");
      }
    }
    if (c.params.size() >= limits_.max_params) {
      return Fail(ChallengeError::kTooManyParams, pos, "too many auth-params");
    }
    if (param.value.size() > limits_.max_value_bytes) {
      return Fail(ChallengeError::kTooLarge, value_start, "auth-param value too large");
    }
    c.params.push_back(std::move(param));
    return *end;
  }

  std::string_view s_;
  const ChallengeLimits& limits_;
  std::vector<Challenge> out_;
  State state_ = State::kSchemeOnly;
};

// Go's octet classes (authchallenge.go init): isToken is RFC 2616 token = tchar; isSpace is
// SP, HTAB, CR and LF.
bool GoIsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::size_t GoSkipSpace(std::string_view s, std::size_t pos) {
  while (pos < s.size() && GoIsSpace(s[pos])) ++pos;
  return pos;
}

// GoTokenOrQuoted mirrors expectTokenOrQuoted: a token, or a quoted-string in which "\" makes
// the next byte literal, whatever it is. An unterminated quoted-string yields "" (and the
// caller stops, as Go's caller does on an empty value). Returns the position after the value.
std::size_t GoTokenOrQuoted(std::string_view s, std::size_t pos, std::string* value, bool* quoted) {
  value->clear();
  if (pos >= s.size() || s[pos] != '"') {
    *quoted = false;
    const std::size_t end = ScanToken(s, pos);
    value->assign(s.substr(pos, end - pos));
    return end;
  }
  *quoted = true;
  bool escape = false;
  for (std::size_t i = pos + 1; i < s.size(); ++i) {
    const char b = s[i];
    if (escape) {
      escape = false;
      value->push_back(b);
    } else if (b == '\\') {
      escape = true;
    } else if (b == '"') {
      return i + 1;
    } else {
      value->push_back(b);
    }
  }
  value->clear();
  return s.size();
}

// ParseGoClient mirrors parseValueAndParams for one header value (see kDistributionClient).
Result<std::optional<Challenge>, ChallengeError> ParseGoClient(std::string_view s,
                                                               const ChallengeLimits& limits) {
  if (s.size() > limits.max_bytes) {
    return Fail(ChallengeError::kTooLarge, limits.max_bytes, "header value too large");
  }
  const std::size_t scheme_end = ScanToken(s, 0);
  if (scheme_end == 0) return std::optional<Challenge>();
  Challenge c;
  c.scheme = AsciiLower(s.substr(0, scheme_end));
  std::size_t pos = GoSkipSpace(s, scheme_end);
  bool first = true;  // Go prepends "," to the rest, so the first param needs no comma
  while (first || (pos < s.size() && s[pos] == ',')) {
    const std::size_t name_start = GoSkipSpace(s, first ? pos : pos + 1);
    first = false;
    const std::size_t name_end = ScanToken(s, name_start);
    if (name_end == name_start) break;
    if (name_end >= s.size() || s[name_end] != '=') break;
    AuthParam p;
    const std::size_t value_end = GoTokenOrQuoted(s, name_end + 1, &p.value, &p.quoted);
    if (p.value.empty()) break;
    if (p.value.size() > limits.max_value_bytes) {
      return Fail(ChallengeError::kTooLarge, name_end + 1, "auth-param value too large");
    }
    p.name = AsciiLower(s.substr(name_start, name_end - name_start));
    bool replaced = false;
    for (AuthParam& existing : c.params) {
      if (existing.name == p.name) {
        existing = std::move(p);  // params[pkey] = pvalue: the later value wins
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      if (c.params.size() >= limits.max_params) {
        return Fail(ChallengeError::kTooManyParams, name_start, "too many auth-params");
      }
      c.params.push_back(std::move(p));
    }
    pos = GoSkipSpace(s, value_end);
  }
  return std::optional<Challenge>(std::move(c));
}

void AppendRfcQuoted(std::string& out, std::string_view value) {
  out.push_back('"');
  for (const char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

std::string_view CodeName(ChallengeError code) {
  switch (code) {
    case ChallengeError::kEmpty:
      return "empty";
    case ChallengeError::kTooLarge:
      return "too_large";
    case ChallengeError::kTooManyChallenges:
      return "too_many_challenges";
    case ChallengeError::kTooManyParams:
      return "too_many_params";
    case ChallengeError::kBadWhitespace:
      return "bad_whitespace";
    case ChallengeError::kBadScheme:
      return "bad_scheme";
    case ChallengeError::kBadParamName:
      return "bad_param_name";
    case ChallengeError::kExpectedEquals:
      return "expected_equals";
    case ChallengeError::kBadTokenValue:
      return "bad_token_value";
    case ChallengeError::kUnterminatedQuotedString:
      return "unterminated_quoted_string";
    case ChallengeError::kBadQuotedPair:
      return "bad_quoted_pair";
    case ChallengeError::kControlCharacter:
      return "control_character";
    case ChallengeError::kDuplicateParam:
      return "duplicate_param";
    case ChallengeError::kBadToken68:
      return "bad_token68";
    case ChallengeError::kMisplacedParam:
      return "misplaced_param";
    case ChallengeError::kTrailingGarbage:
      return "trailing_garbage";
    case ChallengeError::kNotBearer:
      return "not_bearer";
    case ChallengeError::kMissingRealm:
      return "missing_realm";
    case ChallengeError::kUnexpectedToken68:
      return "unexpected_token68";
  }
  return "unknown";
}

bool Challenge::SchemeIs(std::string_view scheme_name) const {
  return EqualsIgnoreAsciiCase(scheme, scheme_name);
}

std::optional<std::string_view> Challenge::Param(std::string_view lower_name) const {
  for (const AuthParam& p : params) {
    if (p.name == lower_name) return std::string_view(p.value);
  }
  return std::nullopt;
}

Result<std::vector<Challenge>, ChallengeError> ParseChallenges(std::string_view header_value,
                                                               const ChallengeOptions& options) {
  if (options.leniency == ChallengeLeniency::kDistributionClient) {
    auto one = ParseGoClient(header_value, options.limits);
    if (!one) return Fail(one.error());
    std::vector<Challenge> out;
    if (*one) {
      if (options.limits.max_challenges == 0) {
        return Fail(ChallengeError::kTooManyChallenges, 0, "too many challenges");
      }
      out.push_back(std::move(**one));
    }
    return out;
  }
  return StrictParser(header_value, options.limits).Parse();
}

Result<std::vector<Challenge>, ChallengeError> ParseChallengeHeaders(
    const std::vector<std::string_view>& header_values, const ChallengeOptions& options) {
  if (options.leniency == ChallengeLeniency::kDistributionClient) {
    std::vector<Challenge> out;
    std::size_t total = 0;
    for (const std::string_view value : header_values) {
      if (value.size() > options.limits.max_bytes - total) {
        return Fail(ChallengeError::kTooLarge, options.limits.max_bytes, "headers too large");
      }
      total += value.size();
      auto one = ParseGoClient(value, options.limits);
      if (!one) return Fail(one.error());
      if (!*one) continue;
      if (out.size() >= options.limits.max_challenges) {
        return Fail(ChallengeError::kTooManyChallenges, 0, "too many challenges");
      }
      out.push_back(std::move(**one));
    }
    return out;
  }
  if (header_values.empty()) return Fail(ChallengeError::kEmpty, 0, "no header values");
  std::string joined;
  for (std::size_t i = 0; i < header_values.size(); ++i) {
    const std::string_view value = header_values[i];
    if (i > 0) joined += ',';
    if (joined.size() + value.size() > options.limits.max_bytes) {
      return Fail(ChallengeError::kTooLarge, options.limits.max_bytes, "headers too large");
    }
    if (!value.empty() && IsOws(value.front())) {
      return Fail(ChallengeError::kBadWhitespace, joined.size(), "value starts with whitespace");
    }
    if (!value.empty() && IsOws(value.back())) {
      std::size_t start = value.size();
      while (start > 0 && IsOws(value[start - 1])) --start;
      return Fail(ChallengeError::kBadWhitespace, joined.size() + start,
                  "value ends with whitespace");
    }
    joined += value;
  }
  return StrictParser(joined, options.limits).Parse();
}

std::string SerializeChallenge(const Challenge& challenge, QuoteStyle style) {
  std::string out = challenge.scheme;
  if (challenge.token68) {
    out += ' ';
    out += *challenge.token68;
    return out;
  }
  for (std::size_t i = 0; i < challenge.params.size(); ++i) {
    const AuthParam& p = challenge.params[i];
    out += i == 0 ? ' ' : ',';
    out += p.name;
    out += '=';
    if (style == QuoteStyle::kGoQuoted) {
      out += GoQuote(p.value);
    } else {
      AppendRfcQuoted(out, p.value);
    }
  }
  return out;
}

std::string SerializeChallenges(const std::vector<Challenge>& challenges, QuoteStyle style) {
  std::string out;
  for (std::size_t i = 0; i < challenges.size(); ++i) {
    if (i > 0) out += ", ";
    out += SerializeChallenge(challenges[i], style);
  }
  return out;
}

std::vector<std::string> BearerChallenge::ScopeList() const {
  std::vector<std::string> out;
  if (!scope || scope->empty()) return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t sp = scope->find(' ', start);
    if (sp == std::string::npos) {
      out.push_back(scope->substr(start));
      return out;
    }
    out.push_back(scope->substr(start, sp - start));
    start = sp + 1;
  }
}

Result<BearerChallenge, ChallengeError> ToBearerChallenge(const Challenge& challenge) {
  if (!challenge.SchemeIs("bearer")) {
    return Fail(ChallengeError::kNotBearer, 0, "challenge scheme is not Bearer");
  }
  if (challenge.token68) {
    return Fail(ChallengeError::kUnexpectedToken68, 0, "Bearer challenge carries a token68");
  }
  const auto realm = challenge.Param("realm");
  if (!realm) return Fail(ChallengeError::kMissingRealm, 0, "Bearer challenge without realm");
  BearerChallenge b;
  b.realm = std::string(*realm);
  const auto copy = [&](std::string_view name, std::optional<std::string>& field) {
    if (const auto v = challenge.Param(name)) field = std::string(*v);
  };
  copy("service", b.service);
  copy("scope", b.scope);
  copy("error", b.error);
  copy("error_description", b.error_description);
  copy("error_uri", b.error_uri);
  return b;
}

Challenge FromBearerChallenge(const BearerChallenge& bearer) {
  Challenge c;
  c.scheme = "Bearer";
  c.params.push_back(AuthParam{"realm", bearer.realm, true});
  const auto add = [&](const char* name, const std::optional<std::string>& field) {
    if (field) c.params.push_back(AuthParam{name, *field, true});
  };
  add("service", bearer.service);
  add("scope", bearer.scope);
  add("error", bearer.error);
  add("error_description", bearer.error_description);
  add("error_uri", bearer.error_uri);
  return c;
}

}  // namespace regauth::protocol
