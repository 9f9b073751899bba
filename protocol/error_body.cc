#include "protocol/error_body.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace regauth::protocol {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

// Registration order of distribution v2.8.3: errcode/register.go, then api/v2/errors.go. v3
// moved the v2 group into errcode unchanged and added QUERY_PARAMETER_INVALID.
constexpr std::array<ErrorCodeInfo, 21> kCodes = {{
    {"UNKNOWN", "unknown error", 500, "errcode/register.go"},
    {"UNSUPPORTED", "The operation is unsupported.", 405, "errcode/register.go"},
    {"UNAUTHORIZED", "authentication required", 401, "errcode/register.go"},
    {"DENIED", "requested access to the resource is denied", 403, "errcode/register.go"},
    {"UNAVAILABLE", "service unavailable", 503, "errcode/register.go"},
    {"TOOMANYREQUESTS", "too many requests", 429, "errcode/register.go"},
    {"DIGEST_INVALID", "provided digest did not match uploaded content", 400, "api/v2/errors.go"},
    {"SIZE_INVALID", "provided length did not match content length", 400, "api/v2/errors.go"},
    {"RANGE_INVALID", "invalid content range", 416, "api/v2/errors.go"},
    {"NAME_INVALID", "invalid repository name", 400, "api/v2/errors.go"},
    {"TAG_INVALID", "manifest tag did not match URI", 400, "api/v2/errors.go"},
    {"NAME_UNKNOWN", "repository name not known to registry", 404, "api/v2/errors.go"},
    {"MANIFEST_UNKNOWN", "manifest unknown", 404, "api/v2/errors.go"},
    {"MANIFEST_INVALID", "manifest invalid", 400, "api/v2/errors.go"},
    {"MANIFEST_UNVERIFIED", "manifest failed signature verification", 400, "api/v2/errors.go"},
    {"MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", 400, "api/v2/errors.go"},
    {"BLOB_UNKNOWN", "blob unknown to registry", 404, "api/v2/errors.go"},
    {"BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404, "api/v2/errors.go"},
    {"BLOB_UPLOAD_INVALID", "blob upload invalid", 404, "api/v2/errors.go"},
    {"PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400, "api/v2/errors.go"},
    {"QUERY_PARAMETER_INVALID", "invalid query parameter value", 400,
     "v3 only: errcode/register.go"},
}};

ErrorBodyError MapJsonError(JsonError e) {
  switch (e) {
    case JsonError::kTooLarge:
    case JsonError::kTooDeep:
      return ErrorBodyError::kTooLarge;
    case JsonError::kNumberOverflow:
      return ErrorBodyError::kNumberOutOfRange;
    case JsonError::kDuplicateKey:
      return ErrorBodyError::kDuplicateMember;
    case JsonError::kNotObject:
      return ErrorBodyError::kNotObject;
    case JsonError::kSyntax:
      break;
  }
  return ErrorBodyError::kNotJson;
}

// Utf8Length returns the length of the well-formed UTF-8 sequence at s[i] (Unicode Table 3-7,
// the set Go's utf8.DecodeRune accepts), or 0 when the bytes there are ill-formed.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c == 0xE0) {
    n = 3;
    lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    n = 3;
  } else if (c == 0xED) {
    n = 3;
    hi = 0x9F;
  } else if (c == 0xF0) {
    n = 4;
    lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    n = 4;
  } else if (c == 0xF4) {
    n = 4;
    hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if (c1 < lo || c1 > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    const auto ck = static_cast<unsigned char>(s[i + k]);
    if (ck < 0x80 || ck > 0xBF) return 0;
  }
  return n;
}

// AppendString writes a JSON string the way Go's encodeState.string does with HTML escaping
// on (and Ruby's generator does with ActiveSupport's escaping): see ErrorBodyStyle.
void AppendString(std::string& out, std::string_view s, ErrorBodyStyle style) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      switch (b) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (style == ErrorBodyStyle::kGitLab && b == '\b') {
            out += "\\b";
          } else if (style == ErrorBodyStyle::kGitLab && b == '\f') {
            out += "\\f";
          } else if (b < 0x20 || b == '<' || b == '>' || b == '&') {
            out += "\\u00";
            out.push_back(kHex[b >> 4]);
            out.push_back(kHex[b & 0xF]);
          } else {
            out.push_back(static_cast<char>(b));
          }
      }
      ++i;
      continue;
    }
    const std::size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    // U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR are escaped for JSONP safety.
    if (n == 3 && s[i] == '\xe2' && s[i + 1] == '\x80' &&
        (s[i + 2] == '\xa8' || s[i + 2] == '\xa9')) {
      out += s[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out.push_back('"');
}

// AppendFloat follows Go's floatEncoder: shortest round-trip digits, fixed notation for
// 1e-6 <= |f| < 1e21, otherwise exponent notation with "e-07" cleaned to "e-7".
void AppendFloat(std::string& out, double f) {
  char buf[64];
  const double a = std::fabs(f);
  const bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
  auto res = std::to_chars(buf, buf + sizeof buf, f,
                           exp ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, res.ptr);
  const std::size_t n = s.size();
  if (exp && n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') {
    s.erase(n - 2, 1);
  }
  out += s;
}

void AppendValue(std::string& out, const OJson& v, ErrorBodyStyle style) {
  switch (v.type()) {
    case OJson::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case OJson::value_t::number_integer:
      out += std::to_string(v.get<int64_t>());
      return;
    case OJson::value_t::number_unsigned:
      out += std::to_string(v.get<uint64_t>());
      return;
    case OJson::value_t::number_float:
      AppendFloat(out, v.get<double>());
      return;
    case OJson::value_t::string:
      AppendString(out, v.get_ref<const std::string&>(), style);
      return;
    case OJson::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const OJson& e : v) {
        if (!first) out.push_back(',');
        first = false;
        AppendValue(out, e, style);
      }
      out.push_back(']');
      return;
    }
    case OJson::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        AppendString(out, it.key(), style);
        out.push_back(':');
        AppendValue(out, it.value(), style);
      }
      out.push_back('}');
      return;
    }
    case OJson::value_t::null:
    case OJson::value_t::binary:
    case OJson::value_t::discarded:
      break;
  }
  out += "null";
}

}  // namespace

std::string_view CodeName(ErrorBodyError code) {
  switch (code) {
    case ErrorBodyError::kTooLarge:
      return "too_large";
    case ErrorBodyError::kNotJson:
      return "not_json";
    case ErrorBodyError::kNumberOutOfRange:
      return "number_out_of_range";
    case ErrorBodyError::kNotObject:
      return "not_object";
    case ErrorBodyError::kDuplicateMember:
      return "duplicate_member";
    case ErrorBodyError::kMissingErrors:
      return "missing_errors";
    case ErrorBodyError::kBadErrorsType:
      return "bad_errors_type";
    case ErrorBodyError::kBadErrorEntry:
      return "bad_error_entry";
    case ErrorBodyError::kBadFieldType:
      return "bad_field_type";
  }
  return "unknown";
}

Result<ErrorBody, ErrorBodyError> ParseErrorBody(std::string_view body, const JsonOptions& options,
                                                 std::size_t max_errors) {
  // nlohmann skips a leading UTF-8 byte order mark; Go's encoding/json (every registry client
  // written in Go) rejects it, and RFC 8259 §8.1 says a sender MUST NOT add one.
  if (body.starts_with("\xef\xbb\xbf")) {
    return Fail(ErrorBodyError::kNotJson, 0, "byte order mark before the JSON text");
  }
  auto doc = ParseJsonObject(body, options);
  if (!doc) return Fail(MapJsonError(doc.error().code), doc.error().offset, doc.error().reason);
  const Json& obj = *doc;
  auto errors = obj.find("errors");
  if (errors == obj.end()) return Fail(ErrorBodyError::kMissingErrors, 0, "no \"errors\" member");
  if (!errors->is_array()) {
    return Fail(ErrorBodyError::kBadErrorsType, 0, "\"errors\" is not an array");
  }
  if (errors->size() > max_errors) {
    return Fail(ErrorBodyError::kTooLarge, 0, "more error entries than the limit");
  }
  ErrorBody out;
  out.errors.reserve(errors->size());
  for (const Json& entry : *errors) {
    if (!entry.is_object()) {
      return Fail(ErrorBodyError::kBadErrorEntry, 0, "error entry is not an object");
    }
    auto code = entry.find("code");
    if (code == entry.end()) return Fail(ErrorBodyError::kBadErrorEntry, 0, "entry has no code");
    if (!code->is_string()) {
      return Fail(ErrorBodyError::kBadErrorEntry, 0, "entry code is not a string");
    }
    RegistryError e;
    e.code = code->get<std::string>();
    if (e.code.empty()) return Fail(ErrorBodyError::kBadErrorEntry, 0, "entry code is empty");
    if (auto m = entry.find("message"); m != entry.end()) {
      if (!m->is_string()) {
        return Fail(ErrorBodyError::kBadFieldType, 0, "entry message is not a string");
      }
      e.message = m->get<std::string>();
    }
    if (auto d = entry.find("detail"); d != entry.end()) e.detail = OJson(*d);
    out.errors.push_back(std::move(e));
  }
  if (auto s = obj.find("http_status"); s != obj.end()) {
    if (s->is_number_unsigned() &&
        s->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      out.http_status = static_cast<int64_t>(s->get<uint64_t>());
    } else if (s->is_number_integer() && !s->is_number_unsigned()) {
      out.http_status = s->get<int64_t>();
    } else {
      return Fail(ErrorBodyError::kBadFieldType, 0, "http_status is not an integer");
    }
  }
  out.raw = std::move(*doc);
  return out;
}

const ErrorCodeInfo* LookupErrorCode(std::string_view code) {
  for (const ErrorCodeInfo& info : kCodes) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

std::vector<ErrorCodeInfo> KnownErrorCodes() { return {kCodes.begin(), kCodes.end()}; }

OJson AccessDetail(std::string_view type, std::string_view resource_class, std::string_view name,
                   std::string_view action) {
  OJson d = OJson::object();
  d["Type"] = std::string(type);
  d["Class"] = std::string(resource_class);
  d["Name"] = std::string(name);
  d["Action"] = std::string(action);
  return d;
}

std::string SerializeErrorBody(const std::vector<RegistryError>& errors,
                               const ErrorBodySerializeOptions& options) {
  const ErrorBodyStyle style = options.style;
  const bool go = style == ErrorBodyStyle::kDistribution;
  std::string out = "{";
  if (!errors.empty() || !go) {
    out += "\"errors\":[";
    bool first = true;
    for (const RegistryError& e : errors) {
      if (!first) out.push_back(',');
      first = false;
      out += "{\"code\":";
      AppendString(out, e.code, style);
      if (go) {
        // errcode.Errors.MarshalJSON: an empty message is replaced by the code's own.
        std::string_view message = e.message ? std::string_view(*e.message) : std::string_view();
        if (message.empty()) {
          const ErrorCodeInfo* info = LookupErrorCode(e.code);
          if (info != nullptr) message = info->message;
        }
        out += ",\"message\":";
        AppendString(out, message, style);
      } else if (e.message) {
        out += ",\"message\":";
        AppendString(out, *e.message, style);
      }
      if (e.detail) {
        out += ",\"detail\":";
        AppendValue(out, *e.detail, style);
      }
      out.push_back('}');
    }
    out.push_back(']');
  }
  if (!go && options.http_status) {
    out += ",\"http_status\":" + std::to_string(*options.http_status);
  }
  out.push_back('}');
  if (go) out.push_back('\n');
  return out;
}

}  // namespace regauth::protocol
