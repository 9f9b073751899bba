#include "harness/suite/requirements.h"

#include <utility>

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kIdGrammar =
    "expected a requirement id: two or more '.'-separated segments of lower-case words joined "
    "by '-' (registry.method-access)";

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// IsSegment: [a-z][a-z0-9]*(-[a-z0-9]+)*
bool IsSegment(std::string_view s) {
  if (s.empty() || s.front() < 'a' || s.front() > 'z' || s.back() == '-') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '-') {
      if (s[i - 1] == '-') return false;
    } else if (!IsLowerAlnum(s[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsRequirementId(std::string_view id) {
  std::size_t segments = 0;
  while (true) {
    const std::size_t dot = id.find('.');
    if (!IsSegment(id.substr(0, dot))) return false;
    ++segments;
    if (dot == std::string_view::npos) break;
    id.remove_prefix(dot + 1);
  }
  return segments >= 2;
}

LoadResult<Requirements> ParseRequirements(const nlohmann::json& doc, const std::string& file) {
  DataReader r(file);
  auto fail = [&]() { return protocol::Unexpected<LoadError>(r.error()); };
  if (!r.Object(doc, "", {"requirements"})) return fail();
  auto all = doc.find("requirements");
  if (all == doc.end()) {
    return MakeLoadError(LoadErrorCode::kMissingMember, file, "/requirements",
                         "required member is missing (id → {text, source})");
  }
  if (!r.IsObject(*all, "/requirements")) return fail();
  Requirements out;
  for (const auto& [id, value] : all->items()) {
    const std::string ptr = PointerAppend("/requirements", id);
    if (!IsRequirementId(id))
      return MakeLoadError(LoadErrorCode::kBadValue, file, ptr, std::string(kIdGrammar));
    Requirement req;
    if (!r.Object(value, ptr, {"text", "source"}) ||
        !r.RequiredString(value, ptr, "text", &req.text) ||
        !r.RequiredString(value, ptr, "source", &req.source)) {
      return fail();
    }
    out.emplace(id, std::move(req));
  }
  return out;
}

LoadResult<Requirements> LoadRequirementsFile(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return protocol::Unexpected<LoadError>(text.error());
  auto doc = ParseDataFile(*text, path);
  if (!doc) return protocol::Unexpected<LoadError>(doc.error());
  return ParseRequirements(*doc, path);
}

bool ReadRequirementRef(DataReader& r, const nlohmann::json& value, const std::string& pointer,
                        const Requirements& known, std::string* id) {
  if (!r.Object(value, pointer, {"ref"}) || !r.RequiredString(value, pointer, "ref", id)) {
    return false;
  }
  if (!IsRequirementId(*id))
    return r.Fail(LoadErrorCode::kBadValue, pointer + "/ref", std::string(kIdGrammar));
  if (known.find(*id) == known.end()) {
    return r.Fail(LoadErrorCode::kUnknownName, pointer + "/ref",
                  "unknown requirement '" + *id + "': cases/requirements.json has no such id");
  }
  return true;
}

bool ReadRequirement(DataReader& r, const nlohmann::json& object, const std::string& pointer,
                     const nlohmann::json* fallback, const std::string& fallback_pointer,
                     const Requirements& known, ResolvedRequirement* out) {
  const Json* value = nullptr;
  std::string value_pointer = pointer + "/requirement";
  if (auto it = object.find("requirement"); it != object.end()) {
    value = &*it;
  } else if (fallback != nullptr) {
    value = fallback;
    value_pointer = fallback_pointer;
  } else {
    return r.Fail(
        LoadErrorCode::kMissingMember, value_pointer,
        "required member is missing (a text, or {\"ref\": id} of cases/requirements.json)");
  }
  if (value->is_string()) {
    out->id.clear();
    return r.String(*value, value_pointer, &out->text) &&
           r.RequiredString(object, pointer, "source", &out->source);
  }
  if (!value->is_object()) {
    return r.Fail(
        LoadErrorCode::kWrongType, value_pointer,
        "expected a requirement text or {\"ref\": id}, got " + std::string(JsonTypeName(*value)));
  }
  if (!ReadRequirementRef(r, *value, value_pointer, known, &out->id)) return false;
  const Requirement& req = known.find(out->id)->second;
  out->text = req.text;
  out->source = req.source;
  std::string own;
  if (!r.OptionalString(object, pointer, "source", &own)) return false;
  if (!own.empty()) out->source += "; " + own;
  return true;
}

}  // namespace regauth::harness
