// data_file.h — reading and validating the suite's data files (cases/matrix, cases/cases,
// cases/profiles, baselines): the LoadError every loader returns, strict JSON parsing of a file,
// directory listing, and DataReader, a small helper that walks a parsed document and records the
// first problem as file + RFC 6901 JSON pointer + what was expected (ARCHITECTURE.md "Files users
// touch": "validated on load with precise errors (file, JSON pointer, what was expected)").
//
// Usage:
//   auto text = ReadTextFile("cases/profiles/gitlab.json");
//   auto doc = ParseDataFile(*text, "cases/profiles/gitlab.json");
//   DataReader r("cases/profiles/gitlab.json");
//   std::string name;
//   if (!r.Object(*doc, "", {"name", "token_endpoint"}) ||
//       !r.RequiredString(*doc, "", "name", &name)) {
//     std::cerr << DescribeLoadError(r.error());       // exit code 2
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace regauth::harness {

// LoadErrorCode says what kind of problem a data file has.
enum class LoadErrorCode {
  kIo = 1,         // the file or directory cannot be read
  kTooLarge,       // the file is over the loader's byte limit
  kSyntax,         // not strict JSON (duplicate member names included)
  kUnknownMember,  // a member the format does not define (typo protection)
  kMissingMember,  // a required member is absent
  kWrongType,      // a member has the wrong JSON type
  kBadEnumValue,   // a string outside the allowed set (the message lists it)
  kBadValue,       // right type, invalid value (empty string, bad glob, bad number)
  kDuplicate,      // a second case id, rule name, baseline entry, ...
  kUnknownName,    // names something undefined: a fact, a predicate, a check, a credential
  kConflict,       // entries that exclude each other (whole-case and per-check baseline)
  kStale,          // a baseline entry that matches no selected case
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(LoadErrorCode code);

// LoadError names the file, an RFC 6901 pointer into it ("" = the whole document) and what was
// expected. Messages never contain secrets (data files hold none; worlds are loaded elsewhere).
struct LoadError {
  LoadErrorCode code = LoadErrorCode::kSyntax;
  std::string file;
  std::string pointer;
  std::string message;
};

// DescribeLoadError renders "<file>: <pointer>: <message>" (pointer omitted when empty).
std::string DescribeLoadError(const LoadError& error);

template <typename T>
using LoadResult = protocol::Expected<T, LoadError>;

// MakeLoadError builds the Unexpected a loader returns.
protocol::Unexpected<LoadError> MakeLoadError(LoadErrorCode code, std::string file,
                                              std::string pointer, std::string message);

// kMaxDataFileBytes bounds every data file (the largest, a matrix, is tens of kilobytes).
inline constexpr std::size_t kMaxDataFileBytes = 8 * 1024 * 1024;

// ReadTextFile reads a whole file. Errors: kIo, kTooLarge.
LoadResult<std::string> ReadTextFile(const std::string& path,
                                     std::size_t max_bytes = kMaxDataFileBytes);

// ParseDataFile parses `text` with protocol::ParseJson (strict: duplicate member names are an
// error) and requires an object at the top. Errors: kSyntax (the message gives the byte
// offset), kTooLarge, kWrongType.
LoadResult<nlohmann::json> ParseDataFile(std::string_view text, const std::string& file);

// ListJsonFiles returns the regular files ending in ".json" directly inside `dir`, sorted by
// name, as paths "<dir>/<name>". A missing directory is kIo.
LoadResult<std::vector<std::string>> ListJsonFiles(const std::string& dir);

// PointerAppend returns `base` + "/" + the RFC 6901-escaped `member` (or index).
std::string PointerAppend(const std::string& base, std::string_view member);
std::string PointerAppend(const std::string& base, std::size_t index);

// JsonTypeName names a value's type for messages ("a string", "an array", ...).
std::string_view JsonTypeName(const nlohmann::json& value);

// DataReader validates parts of one parsed file and keeps the FIRST error. Every method returns
// false when the value does not fit (recording the error unless one is already recorded), so
// checks chain with &&. Members whose names start with '$' ("$comment", "$schema") are allowed
// in every object.
class DataReader {
 public:
  explicit DataReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  bool failed() const { return error_.has_value(); }
  const LoadError& error() const { return *error_; }

  // Fail records an error (if none is recorded yet) and returns false.
  bool Fail(LoadErrorCode code, const std::string& pointer, std::string message);

  // Object requires `value` to be an object whose members are all in `allowed`.
  bool Object(const nlohmann::json& value, const std::string& pointer,
              std::initializer_list<std::string_view> allowed);
  bool Object(const nlohmann::json& value, const std::string& pointer,
              const std::vector<std::string>& allowed);
  // IsObject requires an object without checking member names.
  bool IsObject(const nlohmann::json& value, const std::string& pointer);
  bool IsArray(const nlohmann::json& value, const std::string& pointer);

  // String/Bool/Int read one value; Required* read a member that must exist, Optional* leave
  // `out` unchanged when the member is absent. Strings must be non-empty unless allow_empty.
  bool String(const nlohmann::json& value, const std::string& pointer, std::string* out,
              bool allow_empty = false);
  bool Bool(const nlohmann::json& value, const std::string& pointer, bool* out);
  bool Int(const nlohmann::json& value, const std::string& pointer, int64_t* out);
  bool RequiredString(const nlohmann::json& object, const std::string& pointer,
                      std::string_view member, std::string* out, bool allow_empty = false);
  bool OptionalString(const nlohmann::json& object, const std::string& pointer,
                      std::string_view member, std::string* out, bool allow_empty = false);
  bool OptionalBool(const nlohmann::json& object, const std::string& pointer,
                    std::string_view member, bool* out);
  bool OptionalInt(const nlohmann::json& object, const std::string& pointer,
                   std::string_view member, int64_t* out);
  // StringList reads an array of non-empty strings; OptionalStringList leaves `out` unchanged
  // when the member is absent.
  bool StringList(const nlohmann::json& value, const std::string& pointer,
                  std::vector<std::string>* out);
  bool OptionalStringList(const nlohmann::json& object, const std::string& pointer,
                          std::string_view member, std::vector<std::string>* out);
  // Enum requires a string among `allowed`; the message lists them.
  bool Enum(const nlohmann::json& value, const std::string& pointer,
            const std::vector<std::string_view>& allowed, std::string* out);
  bool OptionalEnum(const nlohmann::json& object, const std::string& pointer,
                    std::string_view member, const std::vector<std::string_view>& allowed,
                    std::string* out);

 private:
  std::string file_;
  std::optional<LoadError> error_;
};

// JoinNames renders a list for messages: "a, b, c".
std::string JoinNames(const std::vector<std::string_view>& names);

// Join concatenates `parts` with `sep` between them.
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace regauth::harness
