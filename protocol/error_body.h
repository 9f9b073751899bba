// error_body.h — the registry error envelope {"errors":[{"code","message","detail"}]}: parse,
// look up known codes, and serialise byte-for-byte like distribution or like GitLab.
//
// Spec: distribution docs/spec/api.md "Errors" (whose examples carry the `"errors:"` typo; the
// real key is "errors"), registry/api/errcode/{errors.go,handler.go,register.go} and
// registry/api/v2/errors.go at v2.8.3 (token-auth.md §1.8, §6 item 20). GitLab's token endpoint
// renders its service result hash, so its bodies carry "http_status" next to "errors"
// (token-auth.md §3.1, §3.4).
//
// Parsing is liberal where the spec is (unknown members are ignored, at both levels; an unknown
// code is kept as written) and strict on types (errors must be an array of objects, code a
// non-empty string, message a string, http_status an integer).
//
// Serialising (ErrorBodyStyle::kDistribution) reproduces Go's encoding/json output: members in
// struct order code, message, detail; `message` always present (errcode.Error's MarshalJSON has
// no omitempty, and an empty message is replaced by the code's registered one); `detail` omitted
// only when absent — distribution's `/v2/` challenge sends a typed-nil slice, which marshals as
// "detail":null; Go's string escaping (<, >, & as \u003c \u003e \u0026, U+2028/U+2029, control
// bytes as \u00XX, invalid UTF-8 as \ufffd); and the '\n' that json.Encoder.Encode appends.
// ErrorBodyStyle::kGitLab reproduces Rails' `render json:` of the service hash instead.
//
// Usage:
//   auto body = ParseErrorBody(text);
//   if (body && body->errors[0].code == "UNAUTHORIZED") ...
//   RegistryError e{"UNAUTHORIZED", "authentication required",
//                   nlohmann::ordered_json::array({AccessDetail("repository", "", "foo/bar",
//                                                               "pull")})};
//   std::string wire = SerializeErrorBody({e});  // distribution's 401 body
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json.h"
#include "protocol/result.h"

namespace regauth::protocol {

// ErrorBodyError is the reason ParseErrorBody failed. JSON-level codes carry the byte offset
// reported by ParseJson; structural codes carry offset 0 and say what was wrong in the reason.
enum class ErrorBodyError {
  kTooLarge = 1,      // body over JsonLimits::max_bytes, nested deeper than max_depth, or more
                      // than max_errors entries
  kNotJson,           // not RFC 8259 JSON
  kNumberOutOfRange,  // a number outside double range anywhere in the body
  kNotObject,         // the top-level value is not a JSON object
  kDuplicateMember,   // a member name repeats (strict JSON; RFC 8259 §4)
  kMissingErrors,     // no "errors" member
  kBadErrorsType,     // "errors" is not an array
  kBadErrorEntry,     // an entry is not an object, or its "code" is missing, not a string, or ""
  kBadFieldType,      // "message" not a string, or "http_status" not an integer within int64
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(ErrorBodyError code);

// RegistryError is one entry of the envelope.
struct RegistryError {
  std::string code;                    // e.g. "UNAUTHORIZED"; unknown codes kept as written
  std::optional<std::string> message;  // nullopt when the member is absent
  // nullopt when the member is absent; a JSON null when present as null (distribution's `/v2/`
  // challenge body). ordered_json so that a serialised detail keeps its member order
  // (Type, Class, Name, Action); a parsed detail has its members in sorted order.
  std::optional<nlohmann::ordered_json> detail;

  friend bool operator==(const RegistryError&, const RegistryError&) = default;
};

// ErrorBody is a parsed envelope. `raw` is the whole parsed object.
struct ErrorBody {
  std::vector<RegistryError> errors;
  std::optional<int64_t> http_status;  // GitLab's extra member (token-auth.md §3.1)
  nlohmann::json raw;
};

// kMaxRegistryErrors is the default bound on the number of entries ParseErrorBody accepts.
inline constexpr std::size_t kMaxRegistryErrors = 256;

// ParseErrorBody parses an error envelope. A leading UTF-8 byte order mark is kNotJson (RFC 8259
// §8.1; Go's encoding/json rejects it). Errors: see ErrorBodyError. The result owns its data.
Result<ErrorBody, ErrorBodyError> ParseErrorBody(std::string_view body,
                                                 const JsonOptions& options = {},
                                                 std::size_t max_errors = kMaxRegistryErrors);

// ErrorCodeInfo describes a registered error code: its default message and HTTP status.
struct ErrorCodeInfo {
  std::string_view code;
  std::string_view message;
  int http_status;
  std::string_view source;  // where distribution registers it (v3-only codes say so)
};

// LookupErrorCode returns the descriptor of a code registered by distribution (errcode/
// register.go and api/v2/errors.go at v2.8.3, plus QUERY_PARAMETER_INVALID from v3), or nullptr.
// Matching is exact (codes are upper case). The pointer refers to static storage.
const ErrorCodeInfo* LookupErrorCode(std::string_view code);

// KnownErrorCodes returns every descriptor, in registration order.
std::vector<ErrorCodeInfo> KnownErrorCodes();

// GitLab's service-level messages (token-auth.md §3.4).
inline constexpr std::string_view kGitLabAccessForbidden = "access forbidden";
inline constexpr std::string_view kGitLabRegistryNotEnabled = "registry not enabled";
// Gate 4 (protected container repositories): repository_path_push_protected?.
inline constexpr std::string_view kGitLabProtectedPath =
    "Pushing to protected repository path forbidden";

// AccessDetail returns one element of distribution's challenge `detail`: the marshalled
// auth.Access, whose keys are the Go field names because the struct has no json tags:
// {"Type":type,"Class":class,"Name":name,"Action":action}. Class is present even when empty.
nlohmann::ordered_json AccessDetail(std::string_view type, std::string_view resource_class,
                                    std::string_view name, std::string_view action);

enum class ErrorBodyStyle {
  // Go encoding/json via json.NewEncoder(w).Encode: {"errors":[...]}\n ; an empty list gives
  // {}\n (`errors,omitempty`); message always present; \b and \f as \u0008 and \u000c (Go
  // before 1.22, which distribution 2.8 is built with).
  kDistribution,
  // Rails `render json:` of {errors: [...], http_status: n}: no trailing newline; "errors"
  // always present; message and detail only when present; then "http_status" when set; \b and
  // \f as short escapes (Ruby's JSON generator).
  kGitLab,
};

struct ErrorBodySerializeOptions {
  ErrorBodyStyle style = ErrorBodyStyle::kDistribution;
  std::optional<int64_t> http_status;  // kGitLab only: appended as "http_status"
};

// SerializeErrorBody writes `errors` in the chosen style (see ErrorBodyStyle). Never throws; any
// invalid UTF-8 becomes \ufffd.
std::string SerializeErrorBody(const std::vector<RegistryError>& errors,
                               const ErrorBodySerializeOptions& options = {});

}  // namespace regauth::protocol
