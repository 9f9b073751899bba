#include "harness/suite/step_fields.h"

#include <algorithm>
#include <type_traits>
#include <variant>

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

// Member is a pointer to one parameter of step struct S, by its C++ type; the type decides the
// JSON form (see Read below).
template <typename S>
using Member =
    std::variant<std::string S::*, std::optional<std::string> S::*, std::vector<std::string> S::*,
                 StringMap S::*, std::optional<StringMap> S::*, std::optional<Json> S::*,
                 RequestBody S::*, std::optional<HeaderSectionPad> S::*>;

template <typename S>
struct Field {
  Field(std::string_view n, Member<S> m, std::vector<std::string_view> v = {})
      : name(n), member(m), values(std::move(v)) {}
  std::string_view name;
  Member<S> member;
  std::vector<std::string_view> values;  // an enum's allowed values; empty: free text
};

// ---- the declarations: one line per parameter (cases/README.md "Steps") ---------------------

const std::vector<Field<TokenRequestStep>>& Fields(const TokenRequestStep*) {
  using S = TokenRequestStep;
  static const std::vector<Field<S>> kFields = {
      {"credential", &S::credential},
      {"mutate", &S::mutate, {"wrong_secret", "wrong_username"}},
      {"scopes", &S::scopes},
      {"scope_encoding", &S::scope_encoding, {"repeated", "space_joined"}},
      {"service", &S::service},
      {"query", &S::query},
      {"method", &S::method, {"GET", "POST"}},
      {"form", &S::form},
      {"authorization", &S::authorization},
  };
  return kFields;
}

const std::vector<Field<RegistryRequestStep>>& Fields(const RegistryRequestStep*) {
  using S = RegistryRequestStep;
  static const std::vector<Field<S>> kFields = {
      {"method", &S::method},
      {"path", &S::path},
      {"token", &S::token},
      {"authorization", &S::authorization},
      {"headers", &S::headers},
      {"body", &S::body},
      {"pad_header_section", &S::pad_header_section},
  };
  return kFields;
}

const std::vector<Field<DockerLoginFlowStep>>& Fields(const DockerLoginFlowStep*) {
  using S = DockerLoginFlowStep;
  static const std::vector<Field<S>> kFields = {
      {"credential", &S::credential},
      {"username", &S::username},
  };
  return kFields;
}

const std::vector<Field<ForgeTokenStep>>& Fields(const ForgeTokenStep*) {
  using S = ForgeTokenStep;
  static const std::vector<Field<S>> kFields = {
      {"header", &S::header},
      {"claims", &S::claims},
      {"header_text", &S::header_text},
      {"claims_text", &S::claims_text},
      {"sign_with", &S::sign_with, {"signing_key", "attacker_key", "hmac_with_public_pem", "none"}},
      {"signature",
       &S::signature,
       {"valid", "empty", "strip_segment", "zero_rs", "flip_bit", "der_ecdsa"}},
      {"encoding", &S::encoding, {"strict", "padded"}},
  };
  return kFields;
}

const std::vector<Field<ClientToolStep>>& Fields(const ClientToolStep*) {
  using S = ClientToolStep;
  static const std::vector<Field<S>> kFields = {
      {"tool", &S::tool, {"docker", "skopeo"}},
      {"args", &S::args},
      {"stdin", &S::stdin_text},
  };
  return kFields;
}

// ---- reading one value -------------------------------------------------------------------

bool InValues(DataReader& r, const std::vector<std::string_view>& values, const std::string& s,
              const std::string& ptr) {
  if (values.empty() || std::find(values.begin(), values.end(), s) != values.end()) return true;
  return r.Fail(LoadErrorCode::kBadEnumValue, ptr, "expected one of " + JoinNames(values));
}

bool WrongType(DataReader& r, const std::string& ptr, std::string_view expected, const Json& v) {
  return r.Fail(LoadErrorCode::kWrongType, ptr,
                "expected " + std::string(expected) + ", got " + std::string(JsonTypeName(v)));
}

bool ReadStringMap(DataReader& r, const Json& v, const std::string& ptr, StringMap* out) {
  if (!r.IsObject(v, ptr)) return false;
  out->clear();
  for (const auto& [k, val] : v.items()) {
    if (!val.is_string()) return WrongType(r, PointerAppend(ptr, k), "a string", val);
    (*out)[k] = val.get<std::string>();
  }
  return true;
}

struct Reader {
  DataReader& r;
  const Json& v;
  const std::string& ptr;
  const std::vector<std::string_view>& values;

  bool operator()(std::string* out) const {
    if (!v.is_string()) return WrongType(r, ptr, "a string", v);
    *out = v.get<std::string>();
    return InValues(r, values, *out, ptr);
  }
  bool operator()(std::optional<std::string>* out) const {
    if (v.is_null()) {
      out->reset();
      return true;
    }
    if (!v.is_string()) return WrongType(r, ptr, "a string or null", v);
    *out = v.get<std::string>();
    return InValues(r, values, **out, ptr);
  }
  bool operator()(std::vector<std::string>* out) const {
    if (!r.IsArray(v, ptr)) return false;
    out->clear();
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) return WrongType(r, PointerAppend(ptr, i), "a string", v[i]);
      out->push_back(v[i].get<std::string>());
    }
    return true;
  }
  bool operator()(StringMap* out) const { return ReadStringMap(r, v, ptr, out); }
  bool operator()(std::optional<StringMap>* out) const {
    if (v.is_null()) {
      out->reset();
      return true;
    }
    StringMap m;
    if (!ReadStringMap(r, v, ptr, &m)) return false;
    *out = std::move(m);
    return true;
  }
  bool operator()(std::optional<Json>* out) const {
    if (!r.IsObject(v, ptr)) return false;
    *out = v;
    return true;
  }
  bool operator()(std::optional<HeaderSectionPad>* out) const {
    if (v.is_null()) {
      out->reset();
      return true;
    }
    HeaderSectionPad pad;
    if (!r.Object(v, ptr, {"to", "plus", "into"}) || !r.RequiredString(v, ptr, "to", &pad.to) ||
        !r.OptionalInt(v, ptr, "plus", &pad.plus) || !r.OptionalString(v, ptr, "into", &pad.into)) {
      return false;
    }
    if (pad.to.empty()) {
      return r.Fail(LoadErrorCode::kBadValue, ptr + "/to",
                    "expected a profile key or a decimal byte count");
    }
    if (pad.into.empty()) {
      return r.Fail(LoadErrorCode::kBadValue, ptr + "/into",
                    "expected a header name or \"authorization\"");
    }
    *out = std::move(pad);
    return true;
  }
  bool operator()(RequestBody* out) const {
    *out = RequestBody{};
    if (v.is_null()) return true;
    if (v.is_string()) {
      out->text = v.get<std::string>();
      return true;
    }
    if (v.is_object()) {
      return r.Object(v, ptr, {"blob"}) && r.RequiredString(v, ptr, "blob", &out->blob);
    }
    return WrongType(r, ptr, "null, a string or {\"blob\": name}", v);
  }
};

// ---- writing one value -------------------------------------------------------------------

Json ToJson(const std::string& s) { return s; }
Json ToJson(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }
Json ToJson(const std::vector<std::string>& v) { return v; }
Json ToJson(const StringMap& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}
Json ToJson(const std::optional<StringMap>& m) { return m ? ToJson(*m) : Json(nullptr); }
Json ToJson(const std::optional<Json>& j) { return j ? *j : Json(nullptr); }
Json ToJson(const std::optional<HeaderSectionPad>& p) {
  if (!p) return nullptr;
  return Json{{"to", p->to}, {"plus", p->plus}, {"into", p->into}};
}
Json ToJson(const RequestBody& b) {
  if (b.text) return *b.text;
  if (!b.blob.empty()) return Json{{"blob", b.blob}};
  return nullptr;
}

// ---- visiting strings ----------------------------------------------------------------------

// Visitor hands every free-text string of one parameter to `fn`, const or not as the step is.
template <typename Fn>
struct Visitor {
  const Fn& fn;
  template <typename T>
  void operator()(T& x) const {
    using U = std::remove_const_t<T>;
    if constexpr (std::is_same_v<U, std::string>) {
      fn(x);
    } else if constexpr (std::is_same_v<U, std::optional<std::string>>) {
      if (x) fn(*x);
    } else if constexpr (std::is_same_v<U, std::vector<std::string>>) {
      for (auto& s : x) fn(s);
    } else if constexpr (std::is_same_v<U, StringMap>) {
      for (auto& kv : x) fn(kv.second);
    } else if constexpr (std::is_same_v<U, std::optional<StringMap>>) {
      if (x) (*this)(*x);
    } else if constexpr (std::is_same_v<U, std::optional<Json>>) {
      if (x) VisitJsonStrings(*x, fn);
    } else if constexpr (std::is_same_v<U, RequestBody>) {
      if (x.text) fn(*x.text);
    }
  }
};

// ---- per-struct drivers ----------------------------------------------------------------------

template <typename S>
bool ParseStruct(DataReader& r, const Json& object, const std::string& pointer, S* out) {
  const auto& fields = Fields(static_cast<const S*>(nullptr));
  for (const auto& [name, value] : object.items()) {
    if (name == "step" || name == "save_as" || name.starts_with("$")) continue;
    const std::string ptr = PointerAppend(pointer, name);
    auto f = std::find_if(fields.begin(), fields.end(),
                          [&](const Field<S>& x) { return x.name == name; });
    if (f == fields.end()) {
      std::vector<std::string_view> names;
      for (const auto& x : fields) names.push_back(x.name);
      names.push_back("save_as");
      return r.Fail(LoadErrorCode::kUnknownMember, ptr,
                    "unknown parameter; expected one of " + JoinNames(names));
    }
    const Reader reader{r, value, ptr, f->values};
    const bool ok = std::visit([&](auto member) { return reader(&(out->*member)); }, f->member);
    if (!ok) return false;
  }
  return true;
}

template <typename S>
Json StructToJson(const S& s) {
  static const S kDefaults{};
  Json j = Json::object();
  for (const auto& f : Fields(static_cast<const S*>(nullptr))) {
    std::visit(
        [&](auto member) {
          if (!(s.*member == kDefaults.*member)) j[std::string(f.name)] = ToJson(s.*member);
        },
        f.member);
  }
  return j;
}

template <typename S, typename Fn>
void VisitStruct(S& s, const Fn& fn) {
  const Visitor<Fn> visitor{fn};
  for (const auto& f : Fields(static_cast<const std::remove_const_t<S>*>(nullptr))) {
    if (!f.values.empty()) continue;  // enum-valued: no references
    std::visit([&](auto member) { visitor(s.*member); }, f.member);
  }
}

}  // namespace

StepParams MakeParams(StepKind kind) {
  switch (kind) {
    case StepKind::kTokenRequest:
      return TokenRequestStep{};
    case StepKind::kRegistryRequest:
      return RegistryRequestStep{};
    case StepKind::kDockerLoginFlow:
      return DockerLoginFlowStep{};
    case StepKind::kForgeToken:
      return ForgeTokenStep{};
    case StepKind::kClientTool:
      return ClientToolStep{};
  }
  return TokenRequestStep{};
}

std::vector<std::string_view> StepParamNames(StepKind kind) {
  std::vector<std::string_view> names;
  std::visit(
      [&](const auto& s) {
        for (const auto& f : Fields(&s)) names.push_back(f.name);
      },
      MakeParams(kind));
  return names;
}

bool ParseStepParams(DataReader& r, StepKind kind, const Json& object, const std::string& pointer,
                     StepParams* out) {
  *out = MakeParams(kind);
  return std::visit([&](auto& s) { return ParseStruct(r, object, pointer, &s); }, *out);
}

Json StepParamsToJson(const StepParams& params) {
  return std::visit([](const auto& s) { return StructToJson(s); }, params);
}

void VisitStepStrings(StepParams& params, const std::function<void(std::string&)>& fn) {
  std::visit([&](auto& s) { VisitStruct(s, fn); }, params);
}

void VisitStepStrings(const StepParams& params, const std::function<void(const std::string&)>& fn) {
  std::visit([&](const auto& s) { VisitStruct(s, fn); }, params);
}

}  // namespace regauth::harness
