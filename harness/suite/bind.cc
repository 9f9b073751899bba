#include "harness/suite/bind.h"

#include <algorithm>
#include <functional>
#include <set>

#include "harness/suite/case_loader.h"
#include "harness/suite/facts.h"
#include "harness/suite/refs.h"
#include "harness/suite/step_fields.h"

namespace regauth::harness {
namespace {

namespace p = protocol;
using Json = nlohmann::json;

constexpr std::string_view kCredentialAttributes[] = {
    "id", "kind", "name", "user", "project", "group", "job", "username", "secret", "basic"};
constexpr std::string_view kProjectAttributes[] = {"path",      "path_upper", "id",
                                                   "namespace", "name",       "root"};

bool ValidBindingName(std::string_view name) {
  if (name.empty() || name.size() > 40 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
}

// BindingRef is one ${name.attribute} occurrence.
struct BindingRef {
  std::string name;
  std::string attribute;
};

// ParseRef returns the binding reference `inner` (the text between "${" and "}") spells, or
// nullopt for a run-time reference (${registry}, ${cred:…}, ${now+5}, …), which has no '.'
// before any ':'.
std::optional<BindingRef> ParseRef(std::string_view inner) {
  const std::size_t dot = inner.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::size_t colon = inner.find(':');
  if (colon != std::string_view::npos && colon < dot) return std::nullopt;
  BindingRef ref{std::string(inner.substr(0, dot)), std::string(inner.substr(dot + 1))};
  if (!ValidBindingName(ref.name)) return std::nullopt;
  return ref;
}

// ForEachBindingRef calls `fn` for every binding reference in `s`.
void ForEachBindingRef(const std::string& s, const std::function<void(const BindingRef&)>& fn) {
  ForEachRef(s, [&](std::string_view inner) {
    if (auto ref = ParseRef(inner)) fn(*ref);
  });
}

// ForEachCaseText visits every string of a case that may hold binding references: title,
// requirement, the steps' free-text parameters, the expectation.
void ForEachCaseText(const Case& c, const std::function<void(const std::string&)>& fn) {
  fn(c.title);
  fn(c.requirement);
  for (const auto& s : c.steps) VisitStepStrings(s.params, fn);
  VisitJsonStrings(c.expect, fn);
}

const CaseBinding* FindBinding(const std::vector<CaseBinding>& bindings, std::string_view name) {
  for (const auto& b : bindings) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

std::string RootOf(std::string_view path) { return std::string(path.substr(0, path.find('/'))); }

// Attribute returns the value of `attr` of a bound entity, or nullopt when the entity has none
// (a deploy token's user).
std::optional<std::string> Attribute(const p::World& world, const Bound& b,
                                     const std::string& attr) {
  if (b.project != nullptr) {
    const p::Project& pr = *b.project;
    if (attr == "path") return pr.path;
    if (attr == "path_upper") {  // ASCII upper case: GitLab routes paths case-insensitively
      std::string upper = pr.path;
      for (char& ch : upper) {
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
      }
      return upper;
    }
    if (attr == "id") return std::to_string(pr.id);
    if (attr == "namespace") return pr.namespace_path;
    if (attr == "name") return pr.path.substr(pr.path.rfind('/') + 1);
    if (attr == "root") return RootOf(pr.path);
    return std::nullopt;
  }
  const p::Credential& c = *b.credential;
  if (attr == "id") return c.id;
  if (attr == "kind") return std::string(p::Name(c.kind));
  if (attr == "username") return "${cred:" + c.id + ".username}";
  if (attr == "secret") return "${cred:" + c.id + ".secret}";
  if (attr == "basic") return "${cred:" + c.id + ".basic}";
  if (attr == "name") return c.name.empty() ? std::nullopt : std::optional(c.name);
  if (attr == "user") {
    const p::User* u = ActingUser(world, c);
    return u == nullptr ? std::nullopt : std::optional(u->username);
  }
  if (attr == "project") return c.project.empty() ? std::nullopt : std::optional(c.project);
  if (attr == "group") return c.group.empty() ? std::nullopt : std::optional(c.group);
  if (attr == "job") return c.job ? std::optional(std::to_string(*c.job)) : std::nullopt;
  return std::nullopt;
}

// Substitute replaces every binding reference in `s`. Returns the first reference without a
// value (the entity lacks the attribute), or nullopt.
std::optional<std::string> Substitute(const p::World& world, const std::vector<Bound>& bound,
                                      std::string* s) {
  using Value = protocol::Expected<std::optional<std::string>, std::string>;
  auto out = ExpandRefs<std::string>(*s, [&](std::string_view inner) -> Value {
    auto ref = ParseRef(inner);
    if (!ref) return std::optional<std::string>();  // a run-time reference: kept
    auto it = std::find_if(bound.begin(), bound.end(),
                           [&](const Bound& b) { return b.name == ref->name; });
    if (it == bound.end()) {
      return protocol::Unexpected<std::string>("${" + ref->name + "." + ref->attribute + "}");
    }
    auto value = Attribute(world, *it, ref->attribute);
    if (!value) {
      return protocol::Unexpected<std::string>("${" + ref->name + "." + ref->attribute + "} (" +
                                               it->Entity() + " has no " + ref->attribute + ")");
    }
    return value;
  });
  if (!out) return out.error();
  *s = std::move(*out);
  return std::nullopt;
}

std::string DescribeSelector(const Json& value) {
  std::string text = value.dump();
  if (text.size() > 200) text = text.substr(0, 197) + "...";
  return text;
}

// Resolver is the backtracking search of Resolve.
class Resolver {
 public:
  Resolver(const p::World& world, std::vector<const CaseBinding*> order)
      : world_(world), order_(std::move(order)) {}

  bool Run() {
    bound_.resize(order_.size());
    return Try(0);
  }
  const std::vector<Bound>& bound() const { return bound_; }
  // Failed names the missing fact: the deepest binding that had no candidate when its own
  // condition alone has none, else (the failure is a relation) the binding that declares the
  // relation between it and an earlier one.
  const CaseBinding* failed() const {
    const CaseBinding* f = order_[deepest_];
    if (!HasOwnCandidate(*f->selector)) return f;
    if (!f->selector->with.empty()) return f;
    for (std::size_t k = 0; k < deepest_; ++k) {
      for (const auto& [name, cond] : order_[k]->selector->with) {
        if (name == f->name) return order_[k];
      }
    }
    return f;
  }

 private:
  bool Try(std::size_t i) {
    if (i == order_.size()) return true;
    const CaseBinding& b = *order_[i];
    const Selector& sel = *b.selector;
    bool any = false;
    if (sel.entity == Selector::Entity::kCredential) {
      for (const auto& c : world_.Credentials()) {
        if (Taken(&c, nullptr, i) || !Fits(sel, &c, nullptr, i)) continue;
        any = true;
        bound_[i] = Bound{b.name, &c, nullptr};
        if (Try(i + 1)) return true;
      }
    } else {
      for (const auto& pr : world_.Projects()) {
        if (Taken(nullptr, &pr, i) || !Fits(sel, nullptr, &pr, i)) continue;
        any = true;
        bound_[i] = Bound{b.name, nullptr, &pr};
        if (Try(i + 1)) return true;
      }
    }
    if (!any) deepest_ = std::max(deepest_, i);
    return false;
  }

  bool HasOwnCandidate(const Selector& sel) const {
    const RuleSet& rules = SelectorRules();
    if (sel.entity == Selector::Entity::kCredential) {
      return std::any_of(
          world_.Credentials().begin(), world_.Credentials().end(), [&](const p::Credential& c) {
            return (!sel.name || c.name == *sel.name) &&
                   Evaluate(sel.own, ComputeFacts(world_, Subject::Of(c), nullptr), rules);
          });
    }
    return std::any_of(
        world_.Projects().begin(), world_.Projects().end(), [&](const p::Project& pr) {
          return Evaluate(sel.own, ComputeFacts(world_, Subject::Anonymous(), &pr), rules);
        });
  }

  bool Taken(const p::Credential* c, const p::Project* pr, std::size_t i) const {
    for (std::size_t k = 0; k < i; ++k) {
      if ((c != nullptr && bound_[k].credential == c) ||
          (pr != nullptr && bound_[k].project == pr)) {
        return true;
      }
    }
    return false;
  }

  // Fits checks the selector's own condition and every pair condition whose other side is
  // already bound (its own "with" and the earlier bindings' "with" naming this one).
  bool Fits(const Selector& sel, const p::Credential* c, const p::Project* pr, std::size_t i) {
    const RuleSet& rules = SelectorRules();
    if (c != nullptr) {
      if (sel.name && c->name != *sel.name) return false;
      if (!Evaluate(sel.own, ComputeFacts(world_, Subject::Of(*c), nullptr), rules)) return false;
    } else if (!Evaluate(sel.own, ComputeFacts(world_, Subject::Anonymous(), pr), rules)) {
      return false;
    }
    auto pair_holds = [&](const Condition& cond, const Bound& other) {
      const p::Credential* cred = c != nullptr ? c : other.credential;
      const p::Project* proj = pr != nullptr ? pr : other.project;
      return Evaluate(cond, ComputeFacts(world_, Subject::Of(*cred), proj), rules);
    };
    for (std::size_t k = 0; k < i; ++k) {
      for (const auto& [name, cond] : sel.with) {
        if (name == bound_[k].name && !pair_holds(cond, bound_[k])) return false;
      }
      for (const auto& [name, cond] : order_[k]->selector->with) {
        if (name == order_[i]->name && !pair_holds(cond, bound_[k])) return false;
      }
    }
    return true;
  }

  const p::World& world_;
  std::vector<const CaseBinding*> order_;
  std::vector<Bound> bound_;
  std::size_t deepest_ = 0;
};

}  // namespace

const RuleSet& SelectorRules() {
  static const RuleSet kRules;
  return kRules;
}

std::string Bound::Entity() const {
  if (credential != nullptr) return credential->id;
  if (project != nullptr) return project->path;
  return "";
}

LoadResult<Selector> ParseSelector(const Json& value, const std::string& file,
                                   const std::string& pointer) {
  DataReader r(file);
  auto fail = [&]() { return protocol::Unexpected<LoadError>(r.error()); };
  if (!r.Object(value, pointer, {"credential", "project", "name", "with", "description"})) {
    return fail();
  }
  Selector sel;
  const bool has_credential = value.contains("credential");
  if (has_credential == value.contains("project")) {
    return MakeLoadError(LoadErrorCode::kMissingMember, file, pointer,
                         "a selector has exactly one of \"credential\" or \"project\"");
  }
  sel.entity = has_credential ? Selector::Entity::kCredential : Selector::Entity::kProject;
  const std::string member = has_credential ? "credential" : "project";
  auto own =
      ParseCondition(value.at(member), file, PointerAppend(pointer, member), SelectorRules());
  if (!own) return protocol::Unexpected<LoadError>(own.error());
  sel.own = std::move(*own);
  if (value.contains("name")) {
    if (!has_credential) {
      return MakeLoadError(LoadErrorCode::kUnknownMember, file, PointerAppend(pointer, "name"),
                           "\"name\" selects a credential by its token name; projects have none");
    }
    std::string name;
    if (!r.String(value.at("name"), PointerAppend(pointer, "name"), &name)) return fail();
    sel.name = name;
  }
  if (auto w = value.find("with"); w != value.end()) {
    const std::string wptr = PointerAppend(pointer, "with");
    if (!r.IsObject(*w, wptr)) return fail();
    for (const auto& [other, cond] : w->items()) {
      if (other.starts_with("$")) continue;
      auto c = ParseCondition(cond, file, PointerAppend(wptr, other), SelectorRules());
      if (!c) return protocol::Unexpected<LoadError>(c.error());
      sel.with.emplace_back(other, std::move(*c));
    }
  }
  if (!r.OptionalString(value, pointer, "description", &sel.description)) return fail();
  if (sel.description.empty()) sel.description = DescribeSelector(value);
  return sel;
}

LoadResult<std::vector<CaseBinding>> ParseBindings(const Json& value, const std::string& file,
                                                   const std::string& pointer) {
  DataReader r(file);
  if (!r.IsObject(value, pointer)) return protocol::Unexpected<LoadError>(r.error());
  std::vector<CaseBinding> out;
  for (const auto& [name, selector] : value.items()) {
    if (name.starts_with("$")) continue;
    const std::string ptr = PointerAppend(pointer, name);
    if (!ValidBindingName(name)) {
      return MakeLoadError(LoadErrorCode::kBadValue, file, ptr,
                           "a binding name is [a-z][a-z0-9_]* (at most 40 characters)");
    }
    auto sel = ParseSelector(selector, file, ptr);
    if (!sel) return protocol::Unexpected<LoadError>(sel.error());
    out.push_back(
        CaseBinding{name, std::make_shared<const Selector>(std::move(*sel)), file + ": " + ptr});
  }
  return out;
}

LoadResult<std::vector<CaseBinding>> MergeBindings(const std::vector<CaseBinding>& defaults,
                                                   const std::vector<CaseBinding>& own,
                                                   const std::string& file,
                                                   const std::string& pointer) {
  std::vector<CaseBinding> out = defaults;
  for (const auto& b : own) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const CaseBinding& d) { return d.name == b.name; });
    if (it != out.end()) {
      *it = b;
    } else {
      out.push_back(b);
    }
  }
  for (const auto& b : out) {
    for (const auto& [other, cond] : b.selector->with) {
      const CaseBinding* o = FindBinding(out, other);
      if (o == nullptr) {
        return MakeLoadError(LoadErrorCode::kUnknownName, file, pointer,
                             "binding '" + b.name + "' (" + b.pointer + ") pairs with '" + other +
                                 "', which is not a binding of this case");
      }
      if (o->selector->entity == b.selector->entity) {
        return MakeLoadError(LoadErrorCode::kBadValue, file, pointer,
                             "binding '" + b.name + "' pairs with '" + other +
                                 "': \"with\" relates a credential to a project");
      }
    }
  }
  return out;
}

std::vector<std::string> BindingRefs(const Case& c) {
  std::vector<std::string> out;
  ForEachCaseText(c, [&](const std::string& v) {
    ForEachBindingRef(v, [&](const BindingRef& ref) {
      if (std::find(out.begin(), out.end(), ref.name) == out.end()) out.push_back(ref.name);
    });
  });
  return out;
}

std::optional<LoadError> CheckBindingRefs(const Case& c, const std::string& file,
                                          const std::string& pointer) {
  std::optional<LoadError> error;
  ForEachCaseText(c, [&](const std::string& v) {
    ForEachBindingRef(v, [&](const BindingRef& ref) {
      if (error) return;
      const CaseBinding* b = FindBinding(c.bindings, ref.name);
      if (b == nullptr) {
        error = LoadError{LoadErrorCode::kUnknownName, file, pointer,
                          "${" + ref.name + "." + ref.attribute + "}: '" + ref.name +
                              "' is not a binding of this case (declare it under \"bind\")"};
        return;
      }
      const bool credential = b->selector->entity == Selector::Entity::kCredential;
      const auto& attrs = credential
                              ? std::vector<std::string_view>(std::begin(kCredentialAttributes),
                                                              std::end(kCredentialAttributes))
                              : std::vector<std::string_view>(std::begin(kProjectAttributes),
                                                              std::end(kProjectAttributes));
      if (std::find(attrs.begin(), attrs.end(), ref.attribute) == attrs.end()) {
        error = LoadError{LoadErrorCode::kUnknownName, file, pointer,
                          "${" + ref.name + "." + ref.attribute + "}: a " +
                              (credential ? "credential" : "project") +
                              " binding has the attributes " + JoinNames(attrs)};
      }
    });
  });
  return error;
}

protocol::Expected<std::vector<Bound>, std::string> Resolve(
    const protocol::World& world, const std::vector<CaseBinding>& bindings,
    const std::vector<std::string>& wanted) {
  // The wanted bindings and, transitively, what their "with" pairs them with; in name order (a
  // parsed JSON object keeps its members sorted).
  std::set<std::string> needed(wanted.begin(), wanted.end());
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& b : bindings) {
      if (!needed.contains(b.name)) continue;
      for (const auto& [other, cond] : b.selector->with) grew |= needed.insert(other).second;
    }
  }
  std::vector<const CaseBinding*> order;
  for (const auto& b : bindings) {
    if (needed.contains(b.name)) order.push_back(&b);
  }
  if (order.empty()) return std::vector<Bound>{};
  Resolver resolver(world, order);
  if (!resolver.Run()) {
    return protocol::Unexpected<std::string>("needs: " + resolver.failed()->selector->description);
  }
  return resolver.bound();
}

void BindCase(const protocol::World& world, Case* c) {
  if (c->bindings.empty()) return;
  auto bound = Resolve(world, c->bindings, BindingRefs(*c));
  if (!bound) {
    c->unmet = bound.error();
    return;
  }
  Case out = *c;
  std::optional<std::string> missing;
  auto substitute = [&](std::string& text) {
    if (!missing) missing = Substitute(world, *bound, &text);
  };
  substitute(out.title);
  substitute(out.requirement);
  for (auto& s : out.steps) VisitStepStrings(s.params, substitute);
  VisitJsonStrings(out.expect, substitute);
  if (missing) {
    c->unmet = "needs: " + *missing;
    return;
  }
  // The expectation was validated at load; substitution changes only strings.
  auto e = ParseExpectation(out.expect, out.layer, out.id, "/expect", out.steps.size());
  if (!e) {
    c->unmet = "needs: " + DescribeLoadError(e.error());
    return;
  }
  out.expectation = std::move(*e);
  for (const auto& b : *bound) out.bound.emplace_back(b.name, b.Entity());
  *c = std::move(out);
}

void BindCases(const protocol::World& world, std::vector<Case>* cases) {
  for (auto& c : *cases) BindCase(world, &c);
}

}  // namespace regauth::harness
