#include "protocol/token_response.h"

#include <array>
#include <limits>
#include <utility>

#include "protocol/rfc3339.h"

namespace regauth::protocol {
namespace {

using Json = nlohmann::json;
using Finding = TokenResponseFinding;

// The members a form reads, as in the Go client's structs.
enum class Field { kToken, kAccessToken, kRefreshToken, kScope, kIssuedAt, kExpiresIn };

struct FieldName {
  Field field;
  std::string_view name;
};

constexpr std::array<FieldName, 5> kGetFields = {{
    {Field::kToken, "token"},
    {Field::kAccessToken, "access_token"},
    {Field::kExpiresIn, "expires_in"},
    {Field::kIssuedAt, "issued_at"},
    {Field::kRefreshToken, "refresh_token"},
}};
constexpr std::array<FieldName, 5> kOAuthFields = {{
    {Field::kAccessToken, "access_token"},
    {Field::kRefreshToken, "refresh_token"},
    {Field::kExpiresIn, "expires_in"},
    {Field::kIssuedAt, "issued_at"},
    {Field::kScope, "scope"},
}};

// GoFoldEquals reports whether Go's encoding/json would match member `key` to the ASCII
// lower-case field name `field` by case folding: ASCII letters fold, and so do U+017F (ſ → s)
// and U+212A (KELVIN SIGN → k), the two non-ASCII runes that fold onto ASCII letters in every
// Go version.
bool GoFoldEquals(std::string_view key, std::string_view field) {
  std::size_t i = 0;
  for (const char f : field) {
    if (i >= key.size()) return false;
    const auto c = static_cast<unsigned char>(key[i]);
    if (c < 0x80) {
      const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : key[i];
      if (lower != f) return false;
      ++i;
    } else if (f == 's' && key.substr(i, 2) == "\xc5\xbf") {
      i += 2;
    } else if (f == 'k' && key.substr(i, 3) == "\xe2\x84\xaa") {
      i += 3;
    } else {
      return false;
    }
  }
  return i == key.size();
}

TokenResponseError MapJsonError(JsonError e) {
  switch (e) {
    case JsonError::kTooLarge:
    case JsonError::kTooDeep:
      return TokenResponseError::kTooLarge;
    case JsonError::kNumberOverflow:
      return TokenResponseError::kNumberOutOfRange;
    case JsonError::kDuplicateKey:
      return TokenResponseError::kDuplicateMember;
    case JsonError::kNotObject:
      return TokenResponseError::kNotObject;
    case JsonError::kSyntax:
      break;
  }
  return TokenResponseError::kNotJson;
}

// Assign stores one member's value into `out`, checking its type as Go would when decoding into
// the client's struct field.
Status<TokenResponseError> Assign(Field field, const Json& v, TokenResponse& out) {
  if (field == Field::kExpiresIn) {
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Fail(TokenResponseError::kBadFieldType, 0, "expires_in overflows int64");
      }
      out.expires_in = static_cast<int64_t>(v.get<uint64_t>());
      return {};
    }
    if (v.is_number_integer()) {
      out.expires_in = v.get<int64_t>();
      return {};
    }
    return Fail(TokenResponseError::kBadFieldType, 0, "expires_in is not an integer");
  }
  if (!v.is_string()) {
    switch (field) {
      case Field::kToken:
        return Fail(TokenResponseError::kBadFieldType, 0, "token is not a string");
      case Field::kAccessToken:
        return Fail(TokenResponseError::kBadFieldType, 0, "access_token is not a string");
      case Field::kRefreshToken:
        return Fail(TokenResponseError::kBadFieldType, 0, "refresh_token is not a string");
      case Field::kScope:
        return Fail(TokenResponseError::kBadFieldType, 0, "scope is not a string");
      case Field::kIssuedAt:
      case Field::kExpiresIn:
        break;
    }
    // Go's time.Time.UnmarshalJSON: "Time.UnmarshalJSON: input is not a JSON string".
    return Fail(TokenResponseError::kBadIssuedAt, 0, "issued_at is not a string");
  }
  const std::string& s = v.get_ref<const std::string&>();
  switch (field) {
    case Field::kToken:
      out.token = s;
      break;
    case Field::kAccessToken:
      out.access_token = s;
      break;
    case Field::kRefreshToken:
      out.refresh_token = s;
      break;
    case Field::kScope:
      out.scope = s;
      break;
    case Field::kIssuedAt:
      out.issued_at = s;
      break;
    case Field::kExpiresIn:
      break;
  }
  return {};
}

template <std::size_t N>
Status<TokenResponseError> ReadStrict(const Json& obj, const std::array<FieldName, N>& fields,
                                      TokenResponse& out) {
  for (const FieldName& f : fields) {
    auto it = obj.find(f.name);
    if (it == obj.end()) continue;
    if (it->is_null()) {
      return Fail(TokenResponseError::kBadFieldType, 0, "member is null (strict mode)");
    }
    auto st = Assign(f.field, *it, out);
    if (!st) return st;
  }
  return {};
}

// ReadGo walks the members in document order, as Go's decoder does: each member goes to the
// field with exactly its name, else to a field whose name it case-folds to; later assignments
// overwrite earlier ones; null leaves the field as it is.
template <std::size_t N>
Status<TokenResponseError> ReadGo(std::string_view body, const std::array<FieldName, N>& fields,
                                  TokenResponse& out) {
  nlohmann::ordered_json ordered;
  try {
    ordered = nlohmann::ordered_json::parse(body);
  } catch (const nlohmann::ordered_json::exception&) {
    // Unreachable: ParseJson accepted the same text. Report it as malformed rather than trust it.
    return Fail(TokenResponseError::kNotJson, 0, "JSON re-parse failed");
  }
  for (auto it = ordered.begin(); it != ordered.end(); ++it) {
    const FieldName* match = nullptr;
    for (const FieldName& f : fields) {
      if (it.key() == f.name) match = &f;
    }
    if (match == nullptr) {
      for (const FieldName& f : fields) {
        if (GoFoldEquals(it.key(), f.name)) {
          match = &f;
          break;
        }
      }
    }
    if (match == nullptr || it.value().is_null()) continue;
    auto st = Assign(match->field, Json(it.value()), out);
    if (!st) return st;
  }
  return {};
}

}  // namespace

std::string_view CodeName(TokenResponseError code) {
  switch (code) {
    case TokenResponseError::kTooLarge:
      return "too_large";
    case TokenResponseError::kNotJson:
      return "not_json";
    case TokenResponseError::kNumberOutOfRange:
      return "number_out_of_range";
    case TokenResponseError::kNotObject:
      return "not_object";
    case TokenResponseError::kDuplicateMember:
      return "duplicate_member";
    case TokenResponseError::kBadFieldType:
      return "bad_field_type";
    case TokenResponseError::kNoToken:
      return "no_token";
    case TokenResponseError::kBadIssuedAt:
      return "bad_issued_at";
  }
  return "unknown";
}

std::string TokenResponse::EffectiveToken() const {
  if (access_token && !access_token->empty()) return *access_token;
  return token.value_or("");
}

int64_t TokenResponse::EffectiveExpiresIn() const {
  const int64_t v = expires_in.value_or(kMinimumTokenLifetimeSeconds);
  return v < kMinimumTokenLifetimeSeconds ? kMinimumTokenLifetimeSeconds : v;
}

bool operator==(const TokenResponse& a, const TokenResponse& b) {
  return a.token == b.token && a.access_token == b.access_token &&
         a.refresh_token == b.refresh_token && a.scope == b.scope && a.issued_at == b.issued_at &&
         a.expires_in == b.expires_in && a.issued_at_unix == b.issued_at_unix;
}

Result<TokenResponse, TokenResponseError> ParseTokenResponse(std::string_view body,
                                                             TokenResponseForm form,
                                                             const TokenResponseOptions& options) {
  // nlohmann skips a leading UTF-8 byte order mark; Go's encoding/json (the client) rejects it.
  if (body.starts_with("\xef\xbb\xbf")) {
    return Fail(TokenResponseError::kNotJson, 0, "byte order mark before the JSON text");
  }
  JsonOptions json = options.json;
  if (options.go_client) json.allow_duplicate_keys = true;
  auto doc = ParseJsonObject(body, json);
  if (!doc) return Fail(MapJsonError(doc.error().code), doc.error().offset, doc.error().reason);

  TokenResponse out;
  Status<TokenResponseError> st;
  if (form == TokenResponseForm::kGet) {
    st = options.go_client ? ReadGo(body, kGetFields, out) : ReadStrict(*doc, kGetFields, out);
  } else {
    st = options.go_client ? ReadGo(body, kOAuthFields, out) : ReadStrict(*doc, kOAuthFields, out);
  }
  if (!st) return Fail(st.error());

  if (out.issued_at) {
    // The client decodes issued_at into time.Time: anything Go refuses fails the whole decode
    // (token-auth.md §1.4). Strict mode also requires the RFC 3339 grammar that token.md names.
    auto go = ParseRfc3339Time(*out.issued_at, Rfc3339Mode::kGoTime);
    if (!go) return Fail(TokenResponseError::kBadIssuedAt, 0, "issued_at rejected by Go time");
    if (!options.go_client && !ParseRfc3339Time(*out.issued_at, Rfc3339Mode::kStrict)) {
      return Fail(TokenResponseError::kBadIssuedAt, 0, "issued_at is not RFC 3339");
    }
    out.issued_at_unix = go->unix;
  }

  if (form == TokenResponseForm::kGet) {
    if (out.EffectiveToken().empty()) {
      return Fail(TokenResponseError::kNoToken, 0, "neither token nor access_token is set");
    }
  } else if (!out.access_token || out.access_token->empty()) {
    return Fail(TokenResponseError::kNoToken, 0, "access_token is not set");
  }
  out.raw = std::move(*doc);
  return out;
}

Result<TokenResponse, TokenResponseError> ParseTokenResponse(std::string_view body,
                                                             TokenResponseForm form,
                                                             const JsonOptions& json) {
  TokenResponseOptions options;
  options.json = json;
  return ParseTokenResponse(body, form, options);
}

std::string_view CodeName(TokenResponseFinding::Code code) {
  switch (code) {
    case Finding::Code::kExpiresInBelowMinimum:
      return "expires_in_below_minimum";
    case Finding::Code::kExpiresInAbsent:
      return "expires_in_absent";
    case Finding::Code::kTokensDiffer:
      return "tokens_differ";
    case Finding::Code::kEmptyTokenMember:
      return "empty_token_member";
    case Finding::Code::kOnlyAccessToken:
      return "only_access_token";
    case Finding::Code::kUnrequestedRefreshToken:
      return "unrequested_refresh_token";
    case Finding::Code::kMissingScope:
      return "missing_scope";
    case Finding::Code::kMissingExpiresIn:
      return "missing_expires_in";
    case Finding::Code::kIssuedAtNotRfc3339:
      return "issued_at_not_rfc3339";
    case Finding::Code::kIssuedAtNotUtc:
      return "issued_at_not_utc";
  }
  return "unknown";
}

std::string_view SeverityName(TokenResponseFinding::Severity severity) {
  switch (severity) {
    case Finding::Severity::kMust:
      return "must";
    case Finding::Severity::kShould:
      return "should";
    case Finding::Severity::kInfo:
      return "info";
  }
  return "unknown";
}

std::vector<TokenResponseFinding> CheckTokenResponse(const TokenResponse& r, TokenResponseForm form,
                                                     const TokenRequestFacts& facts) {
  using C = Finding::Code;
  using S = Finding::Severity;
  const bool get = form == TokenResponseForm::kGet;
  std::vector<Finding> out;
  if (r.expires_in && *r.expires_in < kMinimumTokenLifetimeSeconds) {
    out.push_back({C::kExpiresInBelowMinimum, S::kShould,
                   "token.md expires_in / oauth.md expires_in: \"a token should never be returned "
                   "with less than 60 seconds to live\"; the client raises it to 60"});
  }
  if (get && !r.expires_in) {
    out.push_back({C::kExpiresInAbsent, S::kInfo,
                   "token.md expires_in: \"When omitted, this defaults to 60 seconds\"; the "
                   "token's own exp may be longer (token-auth.md §6 item 4)"});
  }
  if (get && r.token && r.access_token && !r.token->empty() && !r.access_token->empty() &&
      *r.token != *r.access_token) {
    out.push_back({C::kTokensDiffer, S::kShould,
                   "token.md access_token: \"When both are specified, they should be equivalent; "
                   "if they differ the client's choice is undefined\" (v2.8 uses access_token)"});
  }
  if (get && ((r.token && r.token->empty()) || (r.access_token && r.access_token->empty()))) {
    out.push_back({C::kEmptyTokenMember, S::kInfo,
                   "token.md token/access_token: one member is an empty string; the client "
                   "uses the other (session.go prefers a non-empty access_token)"});
  }
  if (get && !r.token) {
    out.push_back({C::kOnlyAccessToken, S::kInfo,
                   "token.md access_token: only the OAuth 2.0 alias is present; clients that "
                   "read only `token` (pre-OAuth registry clients) find no token"});
  }
  if (r.refresh_token && !facts.refresh_token_requested) {
    out.push_back(
        {C::kUnrequestedRefreshToken, S::kInfo,
         "token.md refresh_token: \"This field will only be set when "
         "offline_token=true is provided in the request\" (oauth.md: access_type=offline)"});
  }
  if (!get && !r.scope) {
    out.push_back({C::kMissingScope, S::kMust,
                   "oauth.md scope: \"(REQUIRED) The scope granted inside the access token\", "
                   "stronger than RFC 6749 §4.2.2"});
  }
  if (!get && !r.expires_in) {
    out.push_back({C::kMissingExpiresIn, S::kMust,
                   "oauth.md expires_in: \"(REQUIRED) The duration in seconds since the token "
                   "was issued that it will remain valid\""});
  }
  if (r.issued_at) {
    auto strict = ParseRfc3339Time(*r.issued_at, Rfc3339Mode::kStrict);
    if (!strict) {
      out.push_back({C::kIssuedAtNotRfc3339, S::kMust,
                     "token.md issued_at: \"The RFC3339-serialized UTC standard time\"; this "
                     "value only passes Go's lenient time.Parse(RFC3339)"});
    }
    auto go = ParseRfc3339Time(*r.issued_at, Rfc3339Mode::kGoTime);
    const int32_t offset = strict ? strict->offset_seconds : (go ? go->offset_seconds : 0);
    if (offset != 0) {
      out.push_back({C::kIssuedAtNotUtc, S::kShould,
                     "token.md issued_at: \"RFC3339-serialized UTC standard time\"; the value "
                     "carries a non-zero offset (the instant is still well defined)"});
    }
  }
  return out;
}

std::string SerializeTokenResponse(const TokenResponse& r) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (r.token) j["token"] = *r.token;
  if (r.access_token) j["access_token"] = *r.access_token;
  if (r.expires_in) j["expires_in"] = *r.expires_in;
  if (r.issued_at) j["issued_at"] = *r.issued_at;
  if (r.refresh_token) j["refresh_token"] = *r.refresh_token;
  if (r.scope) j["scope"] = *r.scope;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace regauth::protocol
