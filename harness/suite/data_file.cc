#include "harness/suite/data_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "protocol/json.h"

namespace regauth::harness {

std::string_view CodeName(LoadErrorCode code) {
  switch (code) {
    case LoadErrorCode::kIo:
      return "io";
    case LoadErrorCode::kTooLarge:
      return "too_large";
    case LoadErrorCode::kSyntax:
      return "syntax";
    case LoadErrorCode::kUnknownMember:
      return "unknown_member";
    case LoadErrorCode::kMissingMember:
      return "missing_member";
    case LoadErrorCode::kWrongType:
      return "wrong_type";
    case LoadErrorCode::kBadEnumValue:
      return "bad_enum_value";
    case LoadErrorCode::kBadValue:
      return "bad_value";
    case LoadErrorCode::kDuplicate:
      return "duplicate";
    case LoadErrorCode::kUnknownName:
      return "unknown_name";
    case LoadErrorCode::kConflict:
      return "conflict";
    case LoadErrorCode::kStale:
      return "stale";
  }
  return "unknown";
}

std::string DescribeLoadError(const LoadError& error) {
  std::string out = error.file;
  if (!out.empty()) out += ": ";
  if (!error.pointer.empty()) out += error.pointer + ": ";
  out += error.message;
  return out;
}

protocol::Unexpected<LoadError> MakeLoadError(LoadErrorCode code, std::string file,
                                              std::string pointer, std::string message) {
  return protocol::Unexpected<LoadError>(
      LoadError{code, std::move(file), std::move(pointer), std::move(message)});
}

LoadResult<std::string> ReadTextFile(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return MakeLoadError(LoadErrorCode::kIo, path, "", "cannot read: " + ec.message());
  if (size > max_bytes) {
    return MakeLoadError(LoadErrorCode::kTooLarge, path, "",
                         "file is over " + std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeLoadError(LoadErrorCode::kIo, path, "", "cannot open");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > max_bytes) {
    return MakeLoadError(LoadErrorCode::kTooLarge, path, "",
                         "file is over " + std::to_string(max_bytes) + " bytes");
  }
  return text;
}

LoadResult<nlohmann::json> ParseDataFile(std::string_view text, const std::string& file) {
  protocol::JsonOptions options;
  options.limits.max_bytes = kMaxDataFileBytes;
  options.limits.max_depth = 64;
  auto doc = protocol::ParseJson(text, options);
  if (!doc) {
    const auto& e = doc.error();
    const LoadErrorCode code =
        e.code == protocol::JsonError::kTooLarge || e.code == protocol::JsonError::kTooDeep
            ? LoadErrorCode::kTooLarge
            : LoadErrorCode::kSyntax;
    return MakeLoadError(code, file, "",
                         "byte " + std::to_string(e.offset) + ": " +
                             std::string(protocol::CodeName(e.code)) + " (" +
                             std::string(e.reason) + ")");
  }
  if (!doc->is_object()) {
    return MakeLoadError(LoadErrorCode::kWrongType, file, "",
                         "expected an object, got " + std::string(JsonTypeName(*doc)));
  }
  return std::move(*doc);
}

LoadResult<std::vector<std::string>> ListJsonFiles(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return MakeLoadError(LoadErrorCode::kIo, dir, "", "cannot list: " + ec.message());
  std::vector<std::string> names;
  for (const auto& entry : it) {
    if (!entry.is_regular_file(ec)) continue;
    std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.ends_with(".json")) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> paths;
  paths.reserve(names.size());
  for (const auto& n : names) paths.push_back(dir + "/" + n);
  return paths;
}

std::string PointerAppend(const std::string& base, std::string_view member) {
  std::string out = base;
  out.push_back('/');
  for (const char c : member) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PointerAppend(const std::string& base, std::size_t index) {
  return base + "/" + std::to_string(index);
}

std::string_view JsonTypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a non-integer number";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& s : parts) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string JoinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

bool DataReader::Fail(LoadErrorCode code, const std::string& pointer, std::string message) {
  if (!error_) error_ = LoadError{code, file_, pointer, std::move(message)};
  return false;
}

bool DataReader::IsObject(const nlohmann::json& value, const std::string& pointer) {
  if (value.is_object()) return true;
  return Fail(LoadErrorCode::kWrongType, pointer,
              "expected an object, got " + std::string(JsonTypeName(value)));
}

bool DataReader::IsArray(const nlohmann::json& value, const std::string& pointer) {
  if (value.is_array()) return true;
  return Fail(LoadErrorCode::kWrongType, pointer,
              "expected an array, got " + std::string(JsonTypeName(value)));
}

namespace {

template <typename Names>
bool Allowed(const Names& allowed, std::string_view name) {
  if (name.starts_with("$")) return true;
  for (const auto& a : allowed) {
    if (std::string_view(a) == name) return true;
  }
  return false;
}

template <typename Names>
std::string ListOf(const Names& allowed) {
  std::string out;
  for (const auto& a : allowed) {
    if (!out.empty()) out += ", ";
    out += a;
  }
  return out;
}

}  // namespace

bool DataReader::Object(const nlohmann::json& value, const std::string& pointer,
                        std::initializer_list<std::string_view> allowed) {
  if (!IsObject(value, pointer)) return false;
  for (const auto& [name, member] : value.items()) {
    if (!Allowed(allowed, name)) {
      return Fail(LoadErrorCode::kUnknownMember, PointerAppend(pointer, name),
                  "unknown member; expected one of " + ListOf(allowed));
    }
  }
  return true;
}

bool DataReader::Object(const nlohmann::json& value, const std::string& pointer,
                        const std::vector<std::string>& allowed) {
  if (!IsObject(value, pointer)) return false;
  for (const auto& [name, member] : value.items()) {
    if (!Allowed(allowed, name)) {
      return Fail(LoadErrorCode::kUnknownMember, PointerAppend(pointer, name),
                  "unknown member; expected one of " + ListOf(allowed));
    }
  }
  return true;
}

bool DataReader::String(const nlohmann::json& value, const std::string& pointer, std::string* out,
                        bool allow_empty) {
  if (!value.is_string()) {
    return Fail(LoadErrorCode::kWrongType, pointer,
                "expected a string, got " + std::string(JsonTypeName(value)));
  }
  const auto& s = value.get_ref<const std::string&>();
  if (s.empty() && !allow_empty) {
    return Fail(LoadErrorCode::kBadValue, pointer, "expected a non-empty string");
  }
  *out = s;
  return true;
}

bool DataReader::Bool(const nlohmann::json& value, const std::string& pointer, bool* out) {
  if (!value.is_boolean()) {
    return Fail(LoadErrorCode::kWrongType, pointer,
                "expected a boolean, got " + std::string(JsonTypeName(value)));
  }
  *out = value.get<bool>();
  return true;
}

bool DataReader::Int(const nlohmann::json& value, const std::string& pointer, int64_t* out) {
  if (value.is_number_integer()) {
    *out = value.get<int64_t>();
    return true;
  }
  if (value.is_number_unsigned() && value.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) {
    *out = static_cast<int64_t>(value.get<uint64_t>());
    return true;
  }
  return Fail(LoadErrorCode::kWrongType, pointer,
              "expected an integer, got " + std::string(JsonTypeName(value)));
}

bool DataReader::RequiredString(const nlohmann::json& object, const std::string& pointer,
                                std::string_view member, std::string* out, bool allow_empty) {
  auto it = object.find(std::string(member));
  if (it == object.end()) {
    return Fail(LoadErrorCode::kMissingMember, PointerAppend(pointer, member),
                "required member is missing");
  }
  return String(*it, PointerAppend(pointer, member), out, allow_empty);
}

bool DataReader::OptionalString(const nlohmann::json& object, const std::string& pointer,
                                std::string_view member, std::string* out, bool allow_empty) {
  auto it = object.find(std::string(member));
  if (it == object.end()) return true;
  return String(*it, PointerAppend(pointer, member), out, allow_empty);
}

bool DataReader::OptionalBool(const nlohmann::json& object, const std::string& pointer,
                              std::string_view member, bool* out) {
  auto it = object.find(std::string(member));
  if (it == object.end()) return true;
  return Bool(*it, PointerAppend(pointer, member), out);
}

bool DataReader::OptionalInt(const nlohmann::json& object, const std::string& pointer,
                             std::string_view member, int64_t* out) {
  auto it = object.find(std::string(member));
  if (it == object.end()) return true;
  return Int(*it, PointerAppend(pointer, member), out);
}

bool DataReader::StringList(const nlohmann::json& value, const std::string& pointer,
                            std::vector<std::string>* out) {
  if (!IsArray(value, pointer)) return false;
  std::vector<std::string> list;
  list.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string s;
    if (!String(value[i], PointerAppend(pointer, i), &s)) return false;
    list.push_back(std::move(s));
  }
  *out = std::move(list);
  return true;
}

bool DataReader::OptionalStringList(const nlohmann::json& object, const std::string& pointer,
                                    std::string_view member, std::vector<std::string>* out) {
  auto it = object.find(std::string(member));
  if (it == object.end()) return true;
  return StringList(*it, PointerAppend(pointer, member), out);
}

bool DataReader::Enum(const nlohmann::json& value, const std::string& pointer,
                      const std::vector<std::string_view>& allowed, std::string* out) {
  std::string s;
  if (!value.is_string()) {
    return Fail(
        LoadErrorCode::kWrongType, pointer,
        "expected one of " + JoinNames(allowed) + ", got " + std::string(JsonTypeName(value)));
  }
  s = value.get<std::string>();
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    return Fail(LoadErrorCode::kBadEnumValue, pointer, "expected one of " + JoinNames(allowed));
  }
  *out = std::move(s);
  return true;
}

bool DataReader::OptionalEnum(const nlohmann::json& object, const std::string& pointer,
                              std::string_view member, const std::vector<std::string_view>& allowed,
                              std::string* out) {
  auto it = object.find(std::string(member));
  if (it == object.end()) return true;
  return Enum(*it, PointerAppend(pointer, member), allowed, out);
}

}  // namespace regauth::harness
