#include "harness/suite/case_loader.h"

#include <algorithm>
#include <set>
#include <unordered_set>
#include <utility>

#include "harness/suite/bind.h"
#include "harness/suite/provenance.h"
#include "harness/suite/refs.h"
#include "harness/suite/step_fields.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

std::vector<std::string_view> StepKindNames() {
  return {"token_request", "registry_request", "docker_login_flow", "forge_token", "client_tool"};
}

std::optional<StepKind> StepKindFromName(std::string_view name) {
  if (name == "token_request") return StepKind::kTokenRequest;
  if (name == "registry_request") return StepKind::kRegistryRequest;
  if (name == "docker_login_flow") return StepKind::kDockerLoginFlow;
  if (name == "forge_token") return StepKind::kForgeToken;
  if (name == "client_tool") return StepKind::kClientTool;
  return std::nullopt;
}

std::string_view StepKindSpelling(StepKind k) {
  switch (k) {
    case StepKind::kTokenRequest:
      return "token_request";
    case StepKind::kRegistryRequest:
      return "registry_request";
    case StepKind::kDockerLoginFlow:
      return "docker_login_flow";
    case StepKind::kForgeToken:
      return "forge_token";
    case StepKind::kClientTool:
      return "client_tool";
  }
  return "";
}

std::string_view LayerSpelling(Layer l) {
  switch (l) {
    case Layer::kTokenEndpoint:
      return "token-endpoint";
    case Layer::kRegistry:
      return "registry";
    case Layer::kFlow:
      return "flow";
    case Layer::kClient:
      return "client";
  }
  return "";
}

std::optional<Layer> LayerFromName(std::string_view name) {
  if (name == "token-endpoint") return Layer::kTokenEndpoint;
  if (name == "registry") return Layer::kRegistry;
  if (name == "flow") return Layer::kFlow;
  return std::nullopt;
}

bool ParseInt(DataReader& r, const Json& v, const std::string& ptr, int* out) {
  int64_t n = 0;
  if (!r.Int(v, ptr, &n)) return false;
  if (n < 100 || n > 599) {
    return r.Fail(LoadErrorCode::kBadValue, ptr, "expected an HTTP status code (100-599)");
  }
  *out = static_cast<int>(n);
  return true;
}

bool ParseStatus(DataReader& r, const Json& v, const std::string& ptr, StatusExpectation* out) {
  if (v.is_number()) {
    int s = 0;
    if (!ParseInt(r, v, ptr, &s)) return false;
    out->any_of.push_back(s);
    return true;
  }
  if (v.is_array()) {
    if (v.empty()) return r.Fail(LoadErrorCode::kBadValue, ptr, "expected a non-empty array");
    for (std::size_t i = 0; i < v.size(); ++i) {
      int s = 0;
      if (!ParseInt(r, v[i], PointerAppend(ptr, i), &s)) return false;
      out->any_of.push_back(s);
    }
    return true;
  }
  if (v.is_object()) {
    return r.Object(v, ptr, {"profile"}) && r.RequiredString(v, ptr, "profile", &out->profile_key);
  }
  return r.Fail(LoadErrorCode::kWrongType, ptr,
                "expected a status, an array of statuses or {\"profile\": key}, got " +
                    std::string(JsonTypeName(v)));
}

bool ParseAccessList(DataReader& r, const Json& v, const std::string& ptr,
                     std::vector<AccessEntry>* out) {
  if (!r.IsArray(v, ptr)) return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string eptr = PointerAppend(ptr, i);
    AccessEntry e;
    if (!r.Object(v[i], eptr, {"type", "name", "actions"}) ||
        !r.RequiredString(v[i], eptr, "type", &e.type) ||
        !r.RequiredString(v[i], eptr, "name", &e.name)) {
      return false;
    }
    auto actions = v[i].find("actions");
    if (actions == v[i].end()) {
      return r.Fail(LoadErrorCode::kMissingMember, eptr + "/actions", "required member is missing");
    }
    if (!r.StringList(*actions, eptr + "/actions", &e.actions)) return false;
    out->push_back(std::move(e));
  }
  return true;
}

const std::vector<std::string_view>& OutcomeNames() {
  static const std::vector<std::string_view> kNames = {"granted", "unauthorized", "forbidden",
                                                       "not_found", "any_but_5xx"};
  return kNames;
}

bool ParseTokenExpectation(DataReader& r, const Json& v, const std::string& ptr,
                           TokenExpectation* out) {
  if (!r.Object(v, ptr, {"outcome", "access", "informational", "members", "response_form"})) {
    return false;
  }
  auto outcome = v.find("outcome");
  if (outcome == v.end()) {
    return r.Fail(LoadErrorCode::kMissingMember, ptr + "/outcome",
                  "required member is missing; expected one of " + JoinNames(OutcomeNames()));
  }
  if (outcome->is_object()) {
    const std::string optr = ptr + "/outcome";
    if (!r.Object(*outcome, optr, {"profile", "by_value"}) ||
        !r.RequiredString(*outcome, optr, "profile", &out->outcome_profile_key)) {
      return false;
    }
    auto by = outcome->find("by_value");
    if (by == outcome->end()) {
      return r.Fail(LoadErrorCode::kMissingMember, optr + "/by_value",
                    "required member is missing (profile value → outcome)");
    }
    if (!r.IsObject(*by, optr + "/by_value")) return false;
    for (const auto& [value, o] : by->items()) {
      std::string name;
      if (!r.Enum(o, PointerAppend(optr + "/by_value", value), OutcomeNames(), &name)) {
        return false;
      }
      out->outcome_by_value[value] = *ParseOutcome(name);
    }
  } else {
    std::string name;
    if (!r.Enum(*outcome, ptr + "/outcome", OutcomeNames(), &name)) return false;
    out->outcome = *ParseOutcome(name);
  }
  if (auto it = v.find("access"); it != v.end()) {
    if (!ParseAccessList(r, *it, ptr + "/access", &out->access)) return false;
  }
  if (auto it = v.find("informational"); it != v.end()) {
    const std::string iptr = ptr + "/informational";
    if (!r.IsArray(*it, iptr)) return false;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string eptr = PointerAppend(iptr, i);
      InformationalEntry e;
      if (!r.Object((*it)[i], eptr, {"type", "name", "action", "reason"}) ||
          !r.RequiredString((*it)[i], eptr, "type", &e.type) ||
          !r.RequiredString((*it)[i], eptr, "name", &e.name) ||
          !r.RequiredString((*it)[i], eptr, "action", &e.action) ||
          !r.RequiredString((*it)[i], eptr, "reason", &e.reason)) {
        return false;
      }
      out->informational.push_back(std::move(e));
    }
  }
  if (auto it = v.find("members"); it != v.end()) {
    const std::string mptr = ptr + "/members";
    if (!r.Object(*it, mptr,
                  {"token", "access_token", "expires_in", "issued_at", "refresh_token", "scope"})) {
      return false;
    }
    for (const auto& [name, value] : it->items()) {
      if (name.starts_with("$")) continue;
      std::string s;
      if (!r.Enum(value, PointerAppend(mptr, name), {"required", "absent", "optional"}, &s)) {
        return false;
      }
      out->members[name] = s;
    }
  }
  return r.OptionalEnum(v, ptr, "response_form", {"get", "oauth2"}, &out->response_form);
}

bool ParseRegistryExpectation(DataReader& r, const Json& v, const std::string& ptr,
                              RegistryExpectation* out, bool nested) {
  if (!r.Object(v, ptr, {"status", "challenge", "error_code", "implementation_defined"})) {
    return false;
  }
  if (auto it = v.find("status"); it != v.end()) {
    if (!ParseStatus(r, *it, ptr + "/status", &out->status)) return false;
  }
  if (auto it = v.find("challenge"); it != v.end()) {
    const std::string cptr = ptr + "/challenge";
    if (it->is_string()) {
      std::string s;
      if (!r.Enum(*it, cptr, {"absent"}, &s)) return false;
      out->challenge_absent = true;
    } else {
      ChallengeExpectation c;
      if (!r.Object(*it, cptr, {"error", "scope"})) return false;
      if (auto e = it->find("error"); e != it->end()) {
        if (e->is_object()) {
          if (!r.Object(*e, cptr + "/error", {"profile"}) ||
              !r.RequiredString(*e, cptr + "/error", "profile", &c.error_profile_key)) {
            return false;
          }
        } else if (!r.String(*e, cptr + "/error", &c.error)) {
          return false;
        }
      }
      if (auto s = it->find("scope"); s != it->end()) {
        std::vector<std::string> scope;
        if (!r.IsArray(*s, cptr + "/scope")) return false;
        for (std::size_t i = 0; i < s->size(); ++i) {
          std::string one;
          if (!r.String((*s)[i], PointerAppend(cptr + "/scope", i), &one)) return false;
          scope.push_back(std::move(one));
        }
        c.scope = std::move(scope);
      }
      out->challenge = std::move(c);
    }
  }
  if (!r.OptionalString(v, ptr, "error_code", &out->error_code)) return false;
  if (auto it = v.find("implementation_defined"); it != v.end() && !it->is_null()) {
    const std::string iptr = ptr + "/implementation_defined";
    if (nested) {
      return r.Fail(LoadErrorCode::kBadValue, iptr,
                    "implementation_defined cannot be nested inside by_value");
    }
    if (!r.Object(*it, iptr, {"key", "by_value"}) ||
        !r.RequiredString(*it, iptr, "key", &out->impl_key)) {
      return false;
    }
    auto by = it->find("by_value");
    if (by == it->end()) {
      return r.Fail(LoadErrorCode::kMissingMember, iptr + "/by_value",
                    "required member is missing (profile value → expectation)");
    }
    if (!r.IsObject(*by, iptr + "/by_value")) return false;
    for (const auto& [value, sub] : by->items()) {
      RegistryExpectation e;
      if (!ParseRegistryExpectation(r, sub, PointerAppend(iptr + "/by_value", value), &e, true)) {
        return false;
      }
      out->by_value[value] = std::move(e);
    }
  }
  return true;
}

bool ParseFlowExpectation(DataReader& r, const Json& v, const std::string& ptr,
                          std::size_t step_count, FlowExpectation* out) {
  if (!r.Object(v, ptr, {"login", "then"}) ||
      !r.OptionalEnum(v, ptr, "login", {"succeeds", "fails"}, &out->login)) {
    return false;
  }
  auto then = v.find("then");
  if (then == v.end()) return true;
  const std::string tptr = ptr + "/then";
  if (!r.IsArray(*then, tptr)) return false;
  for (std::size_t i = 0; i < then->size(); ++i) {
    const std::string eptr = PointerAppend(tptr, i);
    const Json& e = (*then)[i];
    if (!r.Object(e, eptr, {"step", "pull", "push", "delete", "outcome"})) return false;
    FlowThen t;
    auto step = e.find("step");
    if (step == e.end()) {
      return r.Fail(LoadErrorCode::kMissingMember, eptr + "/step",
                    "required member is missing (index of a later step)");
    }
    int64_t index = 0;
    if (!r.Int(*step, eptr + "/step", &index)) return false;
    if (index < 0 || static_cast<std::size_t>(index) >= step_count) {
      return r.Fail(LoadErrorCode::kBadValue, eptr + "/step", "no such step in this case");
    }
    t.step = static_cast<std::size_t>(index);
    int labels = 0;
    for (std::string_view label : {"pull", "push", "delete", "outcome"}) {
      auto it = e.find(std::string(label));
      if (it == e.end()) continue;
      ++labels;
      std::string value;
      if (!r.Enum(*it, PointerAppend(eptr, label), {"allowed", "denied"}, &value)) return false;
      t.label = std::string(label);
      t.allowed = value == "allowed";
    }
    if (labels != 1) {
      return r.Fail(LoadErrorCode::kBadValue, eptr,
                    "expected exactly one of pull, push, delete, outcome");
    }
    out->then.push_back(std::move(t));
  }
  return true;
}

bool ParseDimensions(DataReader& r, const Json& v, const std::string& ptr, Dimensions* d) {
  return r.Object(v, ptr,
                  {"credential_kind", "credential_state", "scopes", "role", "visibility",
                   "registry_access", "relation", "actions", "login_form"}) &&
         r.OptionalString(v, ptr, "credential_kind", &d->credential_kind, true) &&
         r.OptionalString(v, ptr, "credential_state", &d->credential_state, true) &&
         r.OptionalString(v, ptr, "scopes", &d->scopes, true) &&
         r.OptionalString(v, ptr, "role", &d->role, true) &&
         r.OptionalString(v, ptr, "visibility", &d->visibility, true) &&
         r.OptionalString(v, ptr, "registry_access", &d->registry_access, true) &&
         r.OptionalString(v, ptr, "relation", &d->relation, true) &&
         r.OptionalString(v, ptr, "actions", &d->actions, true) &&
         r.OptionalString(v, ptr, "login_form", &d->login_form, true);
}

// AddCredentialRefs adds the ids of the ${cred:<id>.…} references in `s`.
void AddCredentialRefs(const std::string& s, std::vector<std::string>* out) {
  ForEachRef(s, [&](std::string_view inner) {
    if (!inner.starts_with("cred:")) return;
    inner.remove_prefix(5);
    std::string id(inner.substr(0, inner.find('.')));
    if (!id.empty() && std::find(out->begin(), out->end(), id) == out->end()) {
      out->push_back(std::move(id));
    }
  });
}

}  // namespace

LoadResult<Expectation> ParseExpectation(const nlohmann::json& expect, Layer layer,
                                         const std::string& file, const std::string& pointer,
                                         std::size_t step_count) {
  DataReader r(file);
  Expectation e;
  e.layer = layer;
  bool ok = false;
  switch (layer) {
    case Layer::kTokenEndpoint:
      ok = ParseTokenExpectation(r, expect, pointer, &e.token);
      break;
    case Layer::kRegistry:
      ok = ParseRegistryExpectation(r, expect, pointer, &e.registry, false);
      if (ok && !e.registry.status.present() && e.registry.impl_key.empty()) {
        ok = r.Fail(LoadErrorCode::kMissingMember, pointer + "/status",
                    "a registry expectation needs a status (or implementation_defined)");
      }
      break;
    case Layer::kFlow:
      ok = ParseFlowExpectation(r, expect, pointer, step_count, &e.flow);
      break;
    case Layer::kClient:  // LayerFromName never returns it: client cases are not written
      break;
  }
  if (!ok) return protocol::Unexpected<LoadError>(r.error());
  return e;
}

LoadResult<Step> ParseStep(const nlohmann::json& step, const std::string& file,
                           const std::string& pointer) {
  DataReader r(file);
  auto fail = [&]() { return protocol::Unexpected<LoadError>(r.error()); };
  if (!r.IsObject(step, pointer)) return fail();
  auto kind_it = step.find("step");
  if (kind_it == step.end()) {
    return MakeLoadError(
        LoadErrorCode::kMissingMember, file, pointer + "/step",
        "required member is missing; expected one of " + JoinNames(StepKindNames()));
  }
  std::string kind_name;
  if (!r.Enum(*kind_it, pointer + "/step", StepKindNames(), &kind_name)) return fail();
  Step s;
  s.kind = *StepKindFromName(kind_name);
  if (auto it = step.find("save_as"); it != step.end() && !it->is_null()) {
    if (!r.String(*it, PointerAppend(pointer, "save_as"), &s.save_as)) return fail();
  }
  if (!ParseStepParams(r, s.kind, step, pointer, &s.params)) return fail();
  return s;
}

LoadResult<Case> CaseFromJson(const nlohmann::json& value, const std::string& file,
                              const std::string& pointer, const nlohmann::json& defaults,
                              const Requirements& requirements) {
  DataReader r(file);
  auto fail = [&]() { return protocol::Unexpected<LoadError>(r.error()); };
  if (!r.Object(value, pointer,
                {"id", "title", "layer", "tags", "requirement", "source", "gitlab_spec", "profiles",
                 "needs", "dimensions", "bind", "steps", "expect"})) {
    return fail();
  }
  Case c;
  std::string layer;
  if (auto d = defaults.find("layer"); d != defaults.end()) layer = d->get<std::string>();
  const Json* default_requirement = nullptr;
  if (auto d = defaults.find("requirement"); d != defaults.end()) default_requirement = &*d;
  ResolvedRequirement requirement;
  if (!r.RequiredString(value, pointer, "id", &c.id) ||
      !r.RequiredString(value, pointer, "title", &c.title) ||
      !r.OptionalEnum(value, pointer, "layer", {"token-endpoint", "registry", "flow"}, &layer) ||
      !ReadRequirement(r, value, pointer, default_requirement, "/defaults/requirement",
                       requirements, &requirement) ||
      !ParseGitLabSpecs(r, value, pointer, &c.gitlab_specs)) {
    return fail();
  }
  c.requirement = std::move(requirement.text);
  c.source = std::move(requirement.source);
  c.requirement_id = std::move(requirement.id);
  if (layer.empty()) {
    return MakeLoadError(LoadErrorCode::kMissingMember, file, pointer + "/layer",
                         "required member is missing (here or in defaults)");
  }
  if (c.id.find_first_of("*?[]") != std::string::npos || c.id.find("//") != std::string::npos ||
      c.id.front() == '/' || c.id.back() == '/' || c.id.find('/') == std::string::npos) {
    return MakeLoadError(LoadErrorCode::kBadValue, file, pointer + "/id",
                         "expected a '/'-separated id of at least two non-empty segments without "
                         "glob characters");
  }
  c.layer = *LayerFromName(layer);
  std::vector<std::string> default_tags, tags;
  if (auto d = defaults.find("tags"); d != defaults.end()) {
    default_tags = d->get<std::vector<std::string>>();
  }
  if (auto d = defaults.find("profiles"); d != defaults.end()) {
    c.profiles = d->get<std::vector<std::string>>();
  }
  if (auto d = defaults.find("needs"); d != defaults.end()) {
    c.needs = d->get<std::vector<std::string>>();
  }
  if (!r.OptionalStringList(value, pointer, "tags", &tags) ||
      !r.OptionalStringList(value, pointer, "profiles", &c.profiles) ||
      !r.OptionalStringList(value, pointer, "needs", &c.needs)) {
    return fail();
  }
  c.tags = default_tags;
  for (auto& t : tags) {
    if (std::find(c.tags.begin(), c.tags.end(), t) == c.tags.end()) c.tags.push_back(t);
  }
  if (auto it = value.find("dimensions"); it != value.end()) {
    if (!ParseDimensions(r, *it, pointer + "/dimensions", &c.dims)) return fail();
  }
  auto steps = value.find("steps");
  if (steps == value.end()) {
    return MakeLoadError(LoadErrorCode::kMissingMember, file, pointer + "/steps",
                         "required member is missing");
  }
  if (!r.IsArray(*steps, pointer + "/steps")) return fail();
  if (steps->empty()) {
    return MakeLoadError(LoadErrorCode::kBadValue, file, pointer + "/steps",
                         "a case needs at least one step");
  }
  std::set<std::string> saved;
  for (std::size_t i = 0; i < steps->size(); ++i) {
    auto s = ParseStep((*steps)[i], file, PointerAppend(pointer + "/steps", i));
    if (!s) return protocol::Unexpected<LoadError>(s.error());
    if (!s->save_as.empty() && !saved.insert(s->save_as).second) {
      return MakeLoadError(LoadErrorCode::kDuplicate, file,
                           PointerAppend(pointer + "/steps", i) + "/save_as",
                           "save_as name used by an earlier step");
    }
    c.steps.push_back(std::move(*s));
  }
  auto expect = value.find("expect");
  if (expect == value.end()) {
    return MakeLoadError(LoadErrorCode::kMissingMember, file, pointer + "/expect",
                         "required member is missing");
  }
  auto e = ParseExpectation(*expect, c.layer, file, pointer + "/expect", c.steps.size());
  if (!e) return protocol::Unexpected<LoadError>(e.error());
  c.expect = *expect;
  c.expectation = std::move(*e);
  std::vector<CaseBinding> default_bindings, own_bindings;
  if (auto d = defaults.find("bind"); d != defaults.end()) {
    auto b = ParseBindings(*d, file, "/defaults/bind");
    if (!b) return protocol::Unexpected<LoadError>(b.error());
    default_bindings = std::move(*b);
  }
  if (auto it = value.find("bind"); it != value.end()) {
    auto b = ParseBindings(*it, file, pointer + "/bind");
    if (!b) return protocol::Unexpected<LoadError>(b.error());
    own_bindings = std::move(*b);
  }
  if (!default_bindings.empty() || !own_bindings.empty()) {
    auto merged = MergeBindings(default_bindings, own_bindings, file, pointer);
    if (!merged) return protocol::Unexpected<LoadError>(merged.error());
    c.bindings = std::move(*merged);
  }
  if (auto err = CheckBindingRefs(c, file, pointer)) return protocol::Unexpected<LoadError>(*err);
  return c;
}

nlohmann::json StepToJson(const Step& s) {
  Json j = StepParamsToJson(s.params);
  j["step"] = std::string(StepKindSpelling(s.kind));
  if (!s.save_as.empty()) j["save_as"] = s.save_as;
  return j;
}

nlohmann::json DimensionsToJson(const Dimensions& d) {
  Json j = Json::object();
  auto put = [&](const char* name, const std::string& v) {
    if (!v.empty()) j[name] = v;
  };
  put("credential_kind", d.credential_kind);
  put("credential_state", d.credential_state);
  put("scopes", d.scopes);
  put("role", d.role);
  put("visibility", d.visibility);
  put("registry_access", d.registry_access);
  put("relation", d.relation);
  put("actions", d.actions);
  put("login_form", d.login_form);
  put("client", d.client);
  put("scenario", d.scenario);
  return j;
}

nlohmann::json CaseToJson(const Case& c) {
  Json j = Json::object();
  j["id"] = c.id;
  j["title"] = c.title;
  j["layer"] = std::string(LayerSpelling(c.layer));
  if (!c.tags.empty()) j["tags"] = c.tags;
  j["requirement"] = c.requirement;
  j["source"] = c.source;
  if (!c.gitlab_specs.empty()) {
    Json specs = Json::array();
    for (const GitLabSpecCitation& g : c.gitlab_specs) {
      specs.push_back(
          {{"copy", g.copy}, {"file", g.file}, {"context", g.context}, {"line", g.line}});
    }
    j["gitlab_spec"] = std::move(specs);
  }
  if (!c.profiles.empty()) j["profiles"] = c.profiles;
  if (!c.needs.empty()) j["needs"] = c.needs;
  Json dims = DimensionsToJson(c.dims);
  if (!dims.empty()) j["dimensions"] = std::move(dims);
  Json steps = Json::array();
  for (const auto& s : c.steps) steps.push_back(StepToJson(s));
  j["steps"] = std::move(steps);
  j["expect"] = c.expect;
  return j;
}

LoadResult<std::vector<Case>> ParseCaseFile(const nlohmann::json& doc, const std::string& file,
                                            const Requirements& requirements) {
  DataReader r(file);
  auto fail = [&]() { return protocol::Unexpected<LoadError>(r.error()); };
  if (!r.Object(doc, "", {"defaults", "cases"})) return fail();
  Json defaults = Json::object();
  if (auto it = doc.find("defaults"); it != doc.end()) {
    std::string layer, requirement_id;
    std::vector<std::string> list;
    if (!r.Object(*it, "/defaults",
                  {"layer", "tags", "profiles", "needs", "requirement", "bind"}) ||
        !r.OptionalEnum(*it, "/defaults", "layer", {"token-endpoint", "registry", "flow"},
                        &layer) ||
        !r.OptionalStringList(*it, "/defaults", "tags", &list) ||
        !r.OptionalStringList(*it, "/defaults", "profiles", &list) ||
        !r.OptionalStringList(*it, "/defaults", "needs", &list)) {
      return fail();
    }
    // The defaults name a requirement only by reference: a sentence shared by a file's cases is
    // one of cases/requirements.json.
    if (auto req = it->find("requirement");
        req != it->end() &&
        !ReadRequirementRef(r, *req, "/defaults/requirement", requirements, &requirement_id)) {
      return fail();
    }
    for (const auto& [k, v] : it->items()) {
      if (!k.starts_with("$")) defaults[k] = v;
    }
  }
  auto cases = doc.find("cases");
  if (cases == doc.end()) {
    return MakeLoadError(LoadErrorCode::kMissingMember, file, "/cases",
                         "required member is missing");
  }
  if (!r.IsArray(*cases, "/cases")) return fail();
  std::vector<Case> out;
  std::unordered_set<std::string> ids;
  for (std::size_t i = 0; i < cases->size(); ++i) {
    const std::string ptr = PointerAppend("/cases", i);
    auto c = CaseFromJson((*cases)[i], file, ptr, defaults, requirements);
    if (!c) return protocol::Unexpected<LoadError>(c.error());
    if (!ids.insert(c->id).second) {
      return MakeLoadError(LoadErrorCode::kDuplicate, file, ptr + "/id",
                           "case id '" + c->id + "' is used twice");
    }
    out.push_back(std::move(*c));
  }
  return out;
}

LoadResult<std::vector<Case>> LoadCaseFile(const std::string& path,
                                           const Requirements& requirements) {
  auto text = ReadTextFile(path);
  if (!text) return protocol::Unexpected<LoadError>(text.error());
  auto doc = ParseDataFile(*text, path);
  if (!doc) return protocol::Unexpected<LoadError>(doc.error());
  return ParseCaseFile(*doc, path, requirements);
}

LoadResult<std::vector<Case>> LoadCaseDir(const std::string& dir,
                                          const Requirements& requirements) {
  auto files = ListJsonFiles(dir);
  if (!files) return protocol::Unexpected<LoadError>(files.error());
  std::vector<Case> out;
  for (const auto& f : *files) {
    auto cases = LoadCaseFile(f, requirements);
    if (!cases) return protocol::Unexpected<LoadError>(cases.error());
    for (auto& c : *cases) out.push_back(std::move(c));
  }
  if (auto dup = CheckUniqueIds(out)) return protocol::Unexpected<LoadError>(*dup);
  return out;
}

std::optional<LoadError> CheckUniqueIds(const std::vector<Case>& cases) {
  std::unordered_set<std::string> ids;
  ids.reserve(cases.size());
  for (const auto& c : cases) {
    if (!ids.insert(c.id).second) {
      return LoadError{LoadErrorCode::kDuplicate, "", "", "case id '" + c.id + "' is used twice"};
    }
  }
  return std::nullopt;
}

std::vector<std::string> CredentialsUsed(const Case& c) {
  std::vector<std::string> out;
  auto add = [&](const std::string& id) {
    if (!id.empty() && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  for (const auto& s : c.steps) {
    if (const auto* t = std::get_if<TokenRequestStep>(&s.params); t && t->credential) {
      add(*t->credential);
    }
    if (const auto* l = std::get_if<DockerLoginFlowStep>(&s.params)) add(l->credential);
    VisitStepStrings(s.params, [&](const std::string& str) { AddCredentialRefs(str, &out); });
  }
  return out;
}

std::vector<std::string> MissingCredentials(const Case& c, const protocol::World& world) {
  std::vector<std::string> out;
  for (const auto& id : CredentialsUsed(c)) {
    if (world.FindCredential(id) == nullptr) out.push_back(id);
  }
  return out;
}

}  // namespace regauth::harness
