#include "harness/suite/rules.h"

#include <algorithm>
#include <cassert>
#include <set>
#include <utility>

#include "harness/suite/provenance.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

std::string Facts::*EnumMemberOf(std::string_view name) {
  if (name == "kind") return &Facts::kind;
  if (name == "state") return &Facts::state;
  if (name == "resource") return &Facts::resource;
  if (name == "role") return &Facts::role;
  if (name == "visibility") return &Facts::visibility;
  if (name == "registry_access") return &Facts::registry_access;
  if (name == "relation") return &Facts::relation;
  if (name == "protected_containers") return &Facts::protected_containers;
  if (name == "push_protection") return &Facts::push_protection;
  return nullptr;
}

bool Facts::*BoolMemberOf(std::string_view name) {
  if (name == "user_admin") return &Facts::user_admin;
  if (name == "user_external") return &Facts::user_external;
  if (name == "user_two_factor") return &Facts::user_two_factor;
  if (name == "user_bot") return &Facts::user_bot;
  if (name == "job_has_user") return &Facts::job_has_user;
  if (name == "job_project_builds_enabled") return &Facts::job_project_builds_enabled;
  if (name == "job_project_pending_delete") return &Facts::job_project_pending_delete;
  if (name == "registry_enabled") return &Facts::registry_enabled;
  if (name == "password_authentication_enabled_for_git") {
    return &Facts::password_authentication_enabled_for_git;
  }
  if (name == "archived") return &Facts::archived;
  if (name == "builds_enabled") return &Facts::builds_enabled;
  if (name == "repository_enabled") return &Facts::repository_enabled;
  if (name == "pending_delete") return &Facts::pending_delete;
  if (name == "tag_rules") return &Facts::tag_rules;
  return nullptr;
}

std::vector<std::string_view> FactNames() {
  std::vector<std::string_view> names;
  for (const auto& spec : FactSchema()) names.push_back(spec.name);
  return names;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool Intersects(const std::vector<std::string>& sorted_set, const std::vector<std::string>& v) {
  for (const auto& s : v) {
    if (std::binary_search(sorted_set.begin(), sorted_set.end(), s)) return true;
  }
  return false;
}

class ConditionParser {
 public:
  ConditionParser(DataReader* reader, const RuleSet& rules, bool allow_access_empty)
      : r_(*reader), rules_(rules), allow_access_empty_(allow_access_empty) {}

  bool Parse(const Json& v, const std::string& ptr, Condition* out) {
    if (!r_.IsObject(v, ptr)) return false;
    std::vector<Condition> parts;
    const bool has_role = v.contains("role_at_least");
    for (const auto& [name, member] : v.items()) {
      if (name.starts_with("$")) continue;
      const std::string mptr = PointerAppend(ptr, name);
      if (name == "admin_counts") {
        if (!has_role) {
          return r_.Fail(LoadErrorCode::kBadValue, mptr,
                         "admin_counts modifies role_at_least in the same object");
        }
        continue;
      }
      Condition c;
      if (!Member(v, name, member, mptr, &c)) return false;
      parts.push_back(std::move(c));
    }
    if (parts.empty()) {
      *out = Condition{};
    } else if (parts.size() == 1) {
      *out = std::move(parts[0]);
    } else {
      out->op = Condition::Op::kAll;
      out->children = std::move(parts);
    }
    return true;
  }

 private:
  bool List(const Json& v, const std::string& ptr, std::vector<Condition>* out) {
    if (!r_.IsArray(v, ptr)) return false;
    if (v.empty()) return r_.Fail(LoadErrorCode::kBadValue, ptr, "expected a non-empty array");
    for (std::size_t i = 0; i < v.size(); ++i) {
      Condition c;
      if (!Parse(v[i], PointerAppend(ptr, i), &c)) return false;
      out->push_back(std::move(c));
    }
    return true;
  }

  bool Abilities(const Json& v, const std::string& ptr, bool single,
                 std::vector<std::string>* out) {
    if (single) {
      std::string s;
      if (!r_.String(v, ptr, &s)) return false;
      out->push_back(std::move(s));
    } else if (!r_.StringList(v, ptr, out)) {
      return false;
    }
    for (const auto& a : *out) {
      if (!std::binary_search(rules_.ability_names.begin(), rules_.ability_names.end(), a)) {
        std::vector<std::string_view> known(rules_.ability_names.begin(),
                                            rules_.ability_names.end());
        return r_.Fail(
            LoadErrorCode::kUnknownName, ptr,
            "unknown ability '" + a + "'; the ability table defines " + JoinNames(known));
      }
    }
    return true;
  }

  bool Member(const Json& object, const std::string& name, const Json& v, const std::string& ptr,
              Condition* c) {
    if (name == "all" || name == "any") {
      c->op = name == "all" ? Condition::Op::kAll : Condition::Op::kAny;
      return List(v, ptr, &c->children);
    }
    if (name == "not") {
      c->op = Condition::Op::kNot;
      c->children.emplace_back();
      return Parse(v, ptr, &c->children[0]);
    }
    if (name == "ref") {
      c->op = Condition::Op::kRef;
      if (!r_.String(v, ptr, &c->fact)) return false;
      for (std::size_t i = 0; i < rules_.predicates.size(); ++i) {
        if (rules_.predicates[i].first == c->fact) {
          c->index = static_cast<int>(i);
          return true;
        }
      }
      std::vector<std::string_view> names;
      for (const auto& [n, p] : rules_.predicates) names.push_back(n);
      return r_.Fail(LoadErrorCode::kUnknownName, ptr,
                     "unknown predicate '" + c->fact + "'; defined: " + JoinNames(names));
    }
    if (name == "role_at_least") {
      c->op = Condition::Op::kRoleAtLeast;
      std::string role;
      if (!r_.Enum(v, ptr, RoleNames(), &role)) return false;
      c->strings.push_back(std::move(role));
      auto it = object.find("admin_counts");
      if (it != object.end() &&
          !r_.Bool(*it, ptr.substr(0, ptr.rfind('/')) + "/admin_counts", &c->admin_counts)) {
        return false;
      }
      return true;
    }
    if (name == "scopes_any" || name == "scopes_all" || name == "scopes_none") {
      c->op = name == "scopes_any"   ? Condition::Op::kScopesAny
              : name == "scopes_all" ? Condition::Op::kScopesAll
                                     : Condition::Op::kScopesNone;
      return r_.StringList(v, ptr, &c->strings);
    }
    if (name == "has_ability" || name == "has_any_ability") {
      if (rules_.ability_names.empty()) {
        // Selectors (and matrices without an ability table) have no abilities to name; an
        // empty has_any_ability would otherwise pass unchecked and always be false.
        return r_.Fail(LoadErrorCode::kUnknownName, ptr,
                       name + " needs the ability table of a matrix; selectors have none");
      }
      c->op = Condition::Op::kAbilityAny;
      return Abilities(v, ptr, name == "has_ability", &c->strings);
    }
    if (name == "access_empty") {
      if (!allow_access_empty_) {
        return r_.Fail(LoadErrorCode::kUnknownName, ptr,
                       "access_empty is only meaningful in after_grants");
      }
      c->op = Condition::Op::kAccessEmpty;
      return r_.Bool(v, ptr, &c->bool_value);
    }
    if (name == "granted_any") {
      if (!allow_access_empty_) {
        return r_.Fail(LoadErrorCode::kUnknownName, ptr,
                       "granted_any is only meaningful in after_grants");
      }
      c->op = Condition::Op::kGrantedAny;
      return r_.StringList(v, ptr, &c->strings);
    }
    const FactSpec* spec = FindFact(name);
    if (spec == nullptr) {
      std::vector<std::string_view> names = FactNames();
      for (std::string_view extra :
           {"role_at_least", "admin_counts", "scopes_any", "scopes_all", "scopes_none",
            "has_ability", "has_any_ability", "all", "any", "not", "ref"}) {
        names.push_back(extra);
      }
      return r_.Fail(LoadErrorCode::kUnknownName, ptr,
                     "unknown fact or operator; expected one of " + JoinNames(names));
    }
    c->fact = name;
    switch (spec->type) {
      case FactType::kSet:
        return r_.Fail(LoadErrorCode::kBadValue, ptr,
                       "'" + name + "' is a set: use scopes_any/scopes_all/scopes_none or " +
                           "has_ability/has_any_ability");
      case FactType::kBool:
        c->op = Condition::Op::kFactBool;
        c->bool_member = BoolMemberOf(name);
        assert(c->bool_member != nullptr && "every bool fact of FactSchema has a member");
        return r_.Bool(v, ptr, &c->bool_value);
      case FactType::kEnum: {
        c->op = Condition::Op::kFactIn;
        c->enum_member = EnumMemberOf(name);
        assert(c->enum_member != nullptr && "every enum fact of FactSchema has a member");
        if (v.is_array()) {
          if (v.empty())
            return r_.Fail(LoadErrorCode::kBadValue, ptr, "expected a non-empty array");
          for (std::size_t i = 0; i < v.size(); ++i) {
            std::string s;
            if (!r_.Enum(v[i], PointerAppend(ptr, i), spec->values, &s)) return false;
            c->strings.push_back(std::move(s));
          }
          return true;
        }
        std::string s;
        if (!r_.Enum(v, ptr, spec->values, &s)) return false;
        c->strings.push_back(std::move(s));
        return true;
      }
    }
    return false;
  }

  DataReader& r_;
  const RuleSet& rules_;
  bool allow_access_empty_;
};

// StageSpec says which members a stage's entries take.
struct StageSpec {
  std::string_view name;
  std::vector<std::string_view> outcomes;  // empty: the stage has no outcome member
  bool grants = false;
  bool uncertain = false;
  bool access_empty = false;
};

// IsCommit: 40 lower-case hex digits. IsPathText: a repository path or file path of plain
// characters (it becomes part of a URL).
bool IsCommit(std::string_view s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}
bool IsPathText(std::string_view s) {
  return !s.empty() && s.front() != '/' && s.find("..") == std::string_view::npos &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-' || c == '/';
         });
}

// ParseGitLabCopies reads `gitlab_copies`: key → {repo, commit, version}.
bool ParseGitLabCopies(DataReader& r, const Json& doc, RuleSet* rules) {
  auto it = doc.find("gitlab_copies");
  if (it == doc.end()) return true;
  if (!r.IsObject(*it, "/gitlab_copies")) return false;
  for (const auto& [key, value] : it->items()) {
    if (key.starts_with("$")) continue;
    const std::string ptr = PointerAppend("/gitlab_copies", key);
    GitLabSource copy;
    if (!r.Object(value, ptr, {"repo", "commit", "version"}) ||
        !r.RequiredString(value, ptr, "repo", &copy.repo) ||
        !r.RequiredString(value, ptr, "commit", &copy.commit) ||
        !r.RequiredString(value, ptr, "version", &copy.version)) {
      return false;
    }
    if (!IsPathText(copy.repo) || std::count(copy.repo.begin(), copy.repo.end(), '/') != 1) {
      return r.Fail(LoadErrorCode::kBadValue, PointerAppend(ptr, "repo"),
                    "expected a GitHub repository owner/name");
    }
    if (!IsCommit(copy.commit)) {
      return r.Fail(LoadErrorCode::kBadValue, PointerAppend(ptr, "commit"),
                    "expected a full commit: 40 lower-case hex digits");
    }
    rules->gitlab_copies.emplace(key, std::move(copy));
  }
  return true;
}

// ParseGitLabSources reads a rule's optional `gitlab_source`: [{copy, path, symbol}], each copy
// a key of gitlab_copies.
bool ParseGitLabSources(DataReader& r, const RuleSet& rules, const Json& v, const std::string& ptr,
                        std::vector<GitLabSource>* out) {
  auto it = v.find("gitlab_source");
  if (it == v.end()) return true;
  const std::string list_ptr = PointerAppend(ptr, "gitlab_source");
  if (!r.IsArray(*it, list_ptr)) return false;
  if (it->empty()) {
    return r.Fail(LoadErrorCode::kBadValue, list_ptr, "expected at least one GitLab source");
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const std::string p = list_ptr + "/" + std::to_string(i);
    const Json& e = (*it)[i];
    std::string copy, path, symbol;
    if (!r.Object(e, p, {"copy", "path", "symbol"}) || !r.RequiredString(e, p, "copy", &copy) ||
        !r.RequiredString(e, p, "path", &path) || !r.RequiredString(e, p, "symbol", &symbol)) {
      return false;
    }
    auto c = rules.gitlab_copies.find(copy);
    if (c == rules.gitlab_copies.end()) {
      return r.Fail(LoadErrorCode::kUnknownName, PointerAppend(p, "copy"),
                    "\"" + copy + "\" is not a key of gitlab_copies");
    }
    if (!IsPathText(path)) {
      return r.Fail(LoadErrorCode::kBadValue, PointerAppend(p, "path"),
                    "expected a file path of GitLab's tree");
    }
    GitLabSource s = c->second;
    s.path = std::move(path);
    s.symbol = std::move(symbol);
    out->push_back(std::move(s));
  }
  return true;
}

// ParseRuleSpecs reads a rule's optional `gitlab_spec` (harness/suite/provenance.h) and resolves
// each copy against gitlab_copies.
bool ParseRuleSpecs(DataReader& r, const RuleSet& rules, const Json& v, const std::string& ptr,
                    std::vector<GitLabSpecCitation>* out) {
  if (!ParseGitLabSpecs(r, v, ptr, out)) return false;
  if (auto why = ResolveGitLabSpecs(rules.gitlab_copies, out)) {
    return r.Fail(LoadErrorCode::kUnknownName, PointerAppend(ptr, "gitlab_spec"), *why);
  }
  return true;
}

bool ParseRule(DataReader& r, const RuleSet& rules, const StageSpec& stage, const Json& v,
               const std::string& ptr, Rule* rule) {
  static const std::vector<std::string> kGrantMembers = {
      "when",        "resource", "actions",       "certainty",  "reason",
      "requirement", "source",   "gitlab_source", "gitlab_spec"};
  static const std::vector<std::string> kUncertainMembers = {
      "when", "actions", "reason", "requirement", "source", "gitlab_source", "gitlab_spec"};
  static const std::vector<std::string> kOutcomeMembers = {
      "when", "outcome", "requirement", "source", "gitlab_source", "gitlab_spec"};
  const std::vector<std::string>& members = stage.grants      ? kGrantMembers
                                            : stage.uncertain ? kUncertainMembers
                                                              : kOutcomeMembers;
  if (!r.Object(v, ptr, members)) return false;
  rule->pointer = ptr;
  auto when = v.find("when");
  if (when == v.end()) {
    return r.Fail(LoadErrorCode::kMissingMember, PointerAppend(ptr, "when"),
                  "required member is missing");
  }
  ConditionParser parser(&r, rules, stage.access_empty);
  if (!parser.Parse(*when, PointerAppend(ptr, "when"), &rule->when)) return false;
  if (!r.RequiredString(v, ptr, "requirement", &rule->requirement) ||
      !r.RequiredString(v, ptr, "source", &rule->source) ||
      !ParseGitLabSources(r, rules, v, ptr, &rule->gitlab_sources) ||
      !ParseRuleSpecs(r, rules, v, ptr, &rule->gitlab_specs)) {
    return false;
  }
  if (!stage.outcomes.empty()) {
    auto it = v.find("outcome");
    if (it == v.end()) {
      return r.Fail(LoadErrorCode::kMissingMember, PointerAppend(ptr, "outcome"),
                    "required member is missing; expected one of " + JoinNames(stage.outcomes));
    }
    if (!r.Enum(*it, PointerAppend(ptr, "outcome"), stage.outcomes, &rule->outcome)) {
      return false;
    }
  }
  if (stage.grants) {
    if (!r.OptionalEnum(v, ptr, "resource", {"repository", "catalog"}, &rule->resource)) {
      return false;
    }
    auto it = v.find("actions");
    if (it == v.end()) {
      return r.Fail(LoadErrorCode::kMissingMember, PointerAppend(ptr, "actions"),
                    "required member is missing");
    }
    if (!r.StringList(*it, PointerAppend(ptr, "actions"), &rule->actions)) return false;
    std::string certainty = "certain";
    if (!r.OptionalEnum(v, ptr, "certainty", {"certain", "informational"}, &certainty)) {
      return false;
    }
    rule->informational = certainty == "informational";
    if (!r.OptionalString(v, ptr, "reason", &rule->reason)) return false;
    if (rule->informational && rule->reason.empty()) {
      return r.Fail(LoadErrorCode::kMissingMember, PointerAppend(ptr, "reason"),
                    "an informational grant needs a reason");
    }
  }
  if (stage.uncertain) {
    if (!r.OptionalStringList(v, ptr, "actions", &rule->actions) ||
        !r.RequiredString(v, ptr, "reason", &rule->reason)) {
      return false;
    }
    rule->informational = true;
  }
  return true;
}

bool ParseStage(DataReader& r, const RuleSet& rules, const Json& doc, const StageSpec& stage,
                std::vector<Rule>* out) {
  auto it = doc.find(std::string(stage.name));
  if (it == doc.end()) return true;
  const std::string ptr = PointerAppend("", stage.name);
  if (!r.IsArray(*it, ptr)) return false;
  for (std::size_t i = 0; i < it->size(); ++i) {
    Rule rule;
    if (!ParseRule(r, rules, stage, (*it)[i], PointerAppend(ptr, i), &rule)) return false;
    out->push_back(std::move(rule));
  }
  return true;
}

bool ParseAbilityMap(DataReader& r, const Json& v, const std::string& ptr, bool kinds,
                     std::map<std::string, std::vector<std::string>>* out) {
  if (!r.IsObject(v, ptr)) return false;
  const FactSpec* kind_spec = FindFact("kind");
  for (const auto& [name, list] : v.items()) {
    if (name.starts_with("$")) continue;
    const std::string mptr = PointerAppend(ptr, name);
    if (kinds && std::find(kind_spec->values.begin(), kind_spec->values.end(), name) ==
                     kind_spec->values.end()) {
      return r.Fail(LoadErrorCode::kBadEnumValue, mptr,
                    "unknown credential kind; expected one of " + JoinNames(kind_spec->values));
    }
    std::vector<std::string> abilities;
    if (!r.IsArray(list, mptr)) return false;
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::string a;
      if (!r.String(list[i], PointerAppend(mptr, i), &a)) return false;
      abilities.push_back(std::move(a));
    }
    (*out)[name] = std::move(abilities);
  }
  return true;
}

// FindCycle reports a predicate that refers to itself through refs.
bool RefersTo(const Condition& c, int target, const RuleSet& rules, std::set<int>* seen) {
  if (c.op == Condition::Op::kRef) {
    if (c.index == target) return true;
    if (!seen->insert(c.index).second) return false;
    return RefersTo(rules.predicates[c.index].second, target, rules, seen);
  }
  for (const auto& child : c.children) {
    if (RefersTo(child, target, rules, seen)) return true;
  }
  return false;
}

void AddRule(Decision* d, const Rule* rule) {
  if (std::find(d->rules.begin(), d->rules.end(), rule) == d->rules.end()) {
    d->rules.push_back(rule);
  }
}

}  // namespace

LoadResult<Condition> ParseCondition(const nlohmann::json& value, const std::string& file,
                                     const std::string& pointer, const RuleSet& rules,
                                     bool allow_access_empty) {
  DataReader r(file);
  ConditionParser parser(&r, rules, allow_access_empty);
  Condition c;
  if (!parser.Parse(value, pointer, &c)) return protocol::Unexpected<LoadError>(r.error());
  return c;
}

LoadResult<RuleSet> LoadRuleSet(const nlohmann::json& doc, const std::string& file) {
  DataReader r(file);
  RuleSet rules;
  rules.file = file;
  auto fail = [&]() { return protocol::Unexpected<LoadError>(r.error()); };
  if (!ParseGitLabCopies(r, doc, &rules)) return fail();

  auto abilities = doc.find("abilities");
  if (abilities == doc.end()) {
    return MakeLoadError(LoadErrorCode::kMissingMember, file, "/abilities",
                         "required member is missing");
  }
  if (!r.Object(*abilities, "/abilities", {"by_kind", "by_scope"})) return fail();
  if (auto it = abilities->find("by_kind"); it != abilities->end()) {
    if (!ParseAbilityMap(r, *it, "/abilities/by_kind", true, &rules.abilities.by_kind)) {
      return fail();
    }
  }
  if (auto it = abilities->find("by_scope"); it != abilities->end()) {
    if (!ParseAbilityMap(r, *it, "/abilities/by_scope", false, &rules.abilities.by_scope)) {
      return fail();
    }
  }
  std::set<std::string> names;
  for (const auto* table : {&rules.abilities.by_kind, &rules.abilities.by_scope}) {
    for (const auto& [k, list] : *table) names.insert(list.begin(), list.end());
  }
  rules.ability_names.assign(names.begin(), names.end());

  if (auto it = doc.find("predicates"); it != doc.end()) {
    if (!r.IsObject(*it, "/predicates")) return fail();
    for (const auto& [name, value] : it->items()) {
      if (!name.starts_with("$")) rules.predicates.emplace_back(name, Condition{});
    }
    for (auto& [name, condition] : rules.predicates) {
      ConditionParser parser(&r, rules, false);
      Condition c;
      if (!parser.Parse((*it)[name], PointerAppend("/predicates", name), &c)) return fail();
      condition = std::move(c);
    }
    for (std::size_t i = 0; i < rules.predicates.size(); ++i) {
      std::set<int> seen;
      if (RefersTo(rules.predicates[i].second, static_cast<int>(i), rules, &seen)) {
        return MakeLoadError(LoadErrorCode::kBadValue, file,
                             PointerAppend("/predicates", rules.predicates[i].first),
                             "predicate refers to itself (a ref cycle)");
      }
    }
  }

  const StageSpec kAuthentication{"authentication", {"unauthorized"}};
  const StageSpec kGates{"gates", {"forbidden", "not_found"}};
  StageSpec grants{"grants", {}};
  grants.grants = true;
  StageSpec uncertain{"uncertain", {}};
  uncertain.uncertain = true;
  StageSpec after{"after_grants", {"forbidden", "unauthorized", "not_found"}};
  after.access_empty = true;
  if (!ParseStage(r, rules, doc, kAuthentication, &rules.authentication) ||
      !ParseStage(r, rules, doc, kGates, &rules.gates) ||
      !ParseStage(r, rules, doc, grants, &rules.grants) ||
      !ParseStage(r, rules, doc, uncertain, &rules.uncertain) ||
      !ParseStage(r, rules, doc, after, &rules.after_grants)) {
    return fail();
  }
  auto denied = doc.find("denied");
  if (denied == doc.end()) {
    return MakeLoadError(LoadErrorCode::kMissingMember, file, "/denied",
                         "required member is missing (the requirement cited for denied actions)");
  }
  if (!r.Object(*denied, "/denied", {"requirement", "source", "gitlab_source", "gitlab_spec"}) ||
      !r.RequiredString(*denied, "/denied", "requirement", &rules.denied.requirement) ||
      !r.RequiredString(*denied, "/denied", "source", &rules.denied.source) ||
      !ParseGitLabSources(r, rules, *denied, "/denied", &rules.denied.gitlab_sources) ||
      !ParseRuleSpecs(r, rules, *denied, "/denied", &rules.denied.gitlab_specs)) {
    return fail();
  }
  rules.denied.pointer = "/denied";
  return rules;
}

std::vector<const Rule*> RuleSet::AllRules() const {
  std::vector<const Rule*> out;
  for (const auto* stage : {&authentication, &gates, &grants, &uncertain, &after_grants}) {
    for (const Rule& rule : *stage) out.push_back(&rule);
  }
  out.push_back(&denied);
  return out;
}

namespace {
thread_local const Condition* flipped_atom = nullptr;

bool EvaluateNode(const Condition& c, const Facts& f, const RuleSet& rules, bool access_empty,
                  const std::vector<std::string>* granted);
}  // namespace

ScopedConditionFlip::ScopedConditionFlip(const Condition* atom) : previous_(flipped_atom) {
  flipped_atom = atom;
}
ScopedConditionFlip::~ScopedConditionFlip() { flipped_atom = previous_; }

bool Evaluate(const Condition& c, const Facts& f, const RuleSet& rules, bool access_empty,
              const std::vector<std::string>* granted) {
  const bool value = EvaluateNode(c, f, rules, access_empty, granted);
  return &c == flipped_atom ? !value : value;
}

namespace {
bool EvaluateNode(const Condition& c, const Facts& f, const RuleSet& rules, bool access_empty,
                  const std::vector<std::string>* granted) {
  switch (c.op) {
    case Condition::Op::kTrue:
      return true;
    case Condition::Op::kAll:
      for (const auto& child : c.children) {
        if (!Evaluate(child, f, rules, access_empty, granted)) return false;
      }
      return true;
    case Condition::Op::kAny:
      for (const auto& child : c.children) {
        if (Evaluate(child, f, rules, access_empty, granted)) return true;
      }
      return false;
    case Condition::Op::kNot:
      return !Evaluate(c.children[0], f, rules, access_empty, granted);
    case Condition::Op::kFactIn:
      return Contains(c.strings, f.*(c.enum_member));
    case Condition::Op::kFactBool:
      return f.*(c.bool_member) == c.bool_value;
    case Condition::Op::kRoleAtLeast:
      if (c.admin_counts && f.user_admin) return true;
      return RoleRank(f.role) >= RoleRank(c.strings[0]);
    case Condition::Op::kScopesAny:
      return Intersects(f.scopes, c.strings);
    case Condition::Op::kScopesAll:
      for (const auto& s : c.strings) {
        if (!std::binary_search(f.scopes.begin(), f.scopes.end(), s)) return false;
      }
      return true;
    case Condition::Op::kScopesNone:
      return !Intersects(f.scopes, c.strings);
    case Condition::Op::kAbilityAny:
      return Intersects(f.abilities, c.strings);
    case Condition::Op::kRef:
      return Evaluate(rules.predicates[c.index].second, f, rules, access_empty, granted);
    case Condition::Op::kAccessEmpty:
      return access_empty == c.bool_value;
    case Condition::Op::kGrantedAny:
      if (granted == nullptr) return false;
      for (const std::string& a : *granted) {
        if (Contains(c.strings, a)) return true;
      }
      return false;
  }
  return false;
}
}  // namespace

void FillAbilities(const RuleSet& rules, Facts* facts) {
  std::vector<std::string> out;
  auto fixed = rules.abilities.by_kind.find(facts->kind);
  if (fixed != rules.abilities.by_kind.end()) {
    out = fixed->second;
  } else {
    for (const auto& scope : facts->scopes) {
      auto it = rules.abilities.by_scope.find(scope);
      if (it != rules.abilities.by_scope.end())
        out.insert(out.end(), it->second.begin(), it->second.end());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  facts->abilities = std::move(out);
}

MatchedRules MatchRules(const RuleSet& rules, const Facts& facts) {
  MatchedRules m;
  for (const Rule& rule : rules.grants) {
    if (rule.resource == facts.resource && Evaluate(rule.when, facts, rules)) {
      m.grants.push_back(&rule);
    }
  }
  for (const Rule& rule : rules.uncertain) {
    if (Evaluate(rule.when, facts, rules)) m.uncertain.push_back(&rule);
  }
  return m;
}

Decision Decide(const RuleSet& rules, const Facts& subject,
                const std::vector<ResourceRequest>& requests) {
  Decision d;
  for (const Rule& rule : rules.authentication) {
    if (Evaluate(rule.when, subject, rules)) {
      d.outcome = Outcome::kUnauthorized;
      AddRule(&d, &rule);
      return d;
    }
  }
  for (const Rule& rule : rules.gates) {
    if (Evaluate(rule.when, subject, rules)) {
      d.outcome = *ParseOutcome(rule.outcome);
      AddRule(&d, &rule);
      return d;
    }
  }
  bool any_denied = false;
  for (const ResourceRequest& req : requests) {
    // Which grant and uncertain entries hold for this resource: evaluated once per resource.
    MatchedRules local;
    if (req.matched == nullptr) local = MatchRules(rules, *req.facts);
    const MatchedRules& matched = req.matched != nullptr ? *req.matched : local;
    const std::vector<const Rule*>& grants = matched.grants;
    const std::vector<const Rule*>& uncertain = matched.uncertain;
    ExpectedAccess access{req.type, req.name, {}};
    for (const std::string& action : req.actions) {
      const Rule* certain = nullptr;
      const Rule* maybe = nullptr;
      for (const Rule* rule : grants) {
        if (!Contains(rule->actions, action)) continue;
        if (rule->informational) {
          if (maybe == nullptr) maybe = rule;
        } else if (certain == nullptr) {
          certain = rule;
        }
      }
      if (certain != nullptr) {
        for (const Rule* rule : uncertain) {
          if (rule->actions.empty() || Contains(rule->actions, action)) {
            maybe = rule;
            AddRule(&d, certain);
            certain = nullptr;
            break;
          }
        }
      }
      if (certain != nullptr) {
        access.actions.push_back(action);
        AddRule(&d, certain);
        continue;
      }
      if (maybe != nullptr) {
        AddRule(&d, maybe);
        const bool seen = std::any_of(
            d.informational.begin(), d.informational.end(), [&](const InformationalAction& i) {
              return i.type == req.type && i.name == req.name && i.action == action;
            });
        if (!seen) d.informational.push_back({req.type, req.name, action, maybe->reason});
        continue;
      }
      any_denied = true;
    }
    if (!access.actions.empty()) d.access.push_back(std::move(access));
  }
  if (any_denied || requests.empty()) AddRule(&d, &rules.denied);
  // The actions granted for sure on the first requested resource (granted_any).
  std::vector<std::string> first_granted;
  if (!requests.empty()) {
    for (const ExpectedAccess& a : d.access) {
      if (a.type == requests[0].type && a.name == requests[0].name) first_granted = a.actions;
    }
  }
  for (const Rule& rule : rules.after_grants) {
    if (Evaluate(rule.when, subject, rules, d.access.empty(), &first_granted)) {
      d.outcome = *ParseOutcome(rule.outcome);
      d.access.clear();
      d.informational.clear();
      AddRule(&d, &rule);
      return d;
    }
  }
  return d;
}

}  // namespace regauth::harness
