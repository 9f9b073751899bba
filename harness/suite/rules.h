// rules.h — the declarative rules engine of the matrix (cases/README.md "Conditions", "Rules"):
// conditions over Facts (harness/suite/facts.h), an ability table, and five rule stages that turn a
// token request into GitLab's expected answer (token-auth.md §3.2–§3.7, §3.11, §9).
//
// Conditions are JSON objects whose members must all hold:
//   "<fact>": value            equality (enum facts take a string, flags a boolean)
//   "<fact>": [v1, v2]          any of (enum facts)
//   "role_at_least": "reporter" the effective role is at least this; with "admin_counts": true
//                               an admin (user_admin) counts as above owner
//   "scopes_any"/"scopes_all"/"scopes_none": [...]   on the credential's token scopes
//   "has_ability": "x", "has_any_ability": [...]     on the abilities the table gives
//   "all": [c...], "any": [c...], "not": c, "ref": "<predicate name>"
//   "access_empty": true|false  (after_grants only) no action was granted for sure
//   "granted_any": [...]        (after_grants only) one of these actions was granted for sure on
//                               the first requested resource (a push that gate 4 looks at)
// Every name and value is validated when the file is loaded: an unknown fact, enum value,
// ability, predicate or member is a LoadError naming the file, the JSON pointer and what was
// expected.
//
// Stages (evaluated by Decide):
//   authentication  first matching entry → "unauthorized"
//   gates           first matching entry → "forbidden" | "not_found"
//   grants          every entry whose `when` holds grants its `actions` on resources of its
//                   `resource` type (the union); "certainty": "informational" grants an action
//                   that may or may not be present (token-auth.md §9 where sources disagree)
//   uncertain       every entry whose `when` holds turns the listed (default: all) granted
//                   actions into informational ones
//   after_grants    first matching entry → its outcome (anonymous left with nothing → forbidden)
// The expected `access` keeps the requested actions that are granted for sure, in request
// order with duplicates (GitLab's `actions.select`), and omits a resource with none.
//
// Usage:
//   auto rules = LoadRuleSet(doc, "cases/matrix/gitlab-token-endpoint.json");
//   Facts f = ComputeFacts(world, subject, project);
//   FillAbilities(*rules, &f);
//   Decision d = Decide(*rules, f, {{"repository", project->path, {"pull", "push"}, &f}});
//   d.outcome == Outcome::kGranted; d.access[0].actions == {"pull"};
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/suite/case.h"
#include "harness/suite/data_file.h"
#include "harness/suite/facts.h"

namespace regauth::harness {

// Condition is a compiled condition (see the header comment for the JSON form).
struct Condition {
  enum class Op {
    kTrue,         // {} — always holds
    kAll,          // every child holds
    kAny,          // some child holds
    kNot,          // the single child does not hold
    kFactIn,       // enum fact ∈ strings
    kFactBool,     // flag fact == bool_value
    kRoleAtLeast,  // RoleRank(role) >= RoleRank(strings[0]), or admin when admin_counts
    kScopesAny,    // scopes ∩ strings ≠ ∅
    kScopesAll,    // strings ⊆ scopes
    kScopesNone,   // scopes ∩ strings = ∅
    kAbilityAny,   // abilities ∩ strings ≠ ∅ (has_ability is the one-element form)
    kRef,          // the predicate `fact` holds
    kAccessEmpty,  // access_empty == bool_value
    kGrantedAny,   // the first resource's sure grants ∩ strings ≠ ∅ (after_grants only)
  };
  Op op = Op::kTrue;
  std::string fact;  // kFactIn/kFactBool: the fact; kRef: the predicate name
  int index = -1;    // kRef: index into RuleSet::predicates
  std::string Facts::*enum_member = nullptr;  // kFactIn: the Facts member read
  bool Facts::*bool_member = nullptr;         // kFactBool: the Facts member read
  std::vector<std::string> strings;
  bool bool_value = false;
  bool admin_counts = false;
  std::vector<Condition> children;
};

// Rule is one entry of a stage. `pointer` locates it in its file (reports, debugging).
struct Rule {
  std::string pointer;
  Condition when;
  std::string outcome;                       // stages with an outcome: unauthorized|forbidden|...
  std::string resource = "repository";       // grants: repository|catalog
  std::vector<std::string> actions;          // grants; uncertain (empty: every action)
  bool informational = false;                // grants: "certainty": "informational"
  std::string reason;                        // informational grants and uncertain entries
  std::string requirement;                   // the requirement text, copied into cases
  std::string source;                        // where the rule comes from (spec section, code)
  std::vector<GitLabSource> gitlab_sources;  // `gitlab_source`, copies resolved (may be empty
                                             // in test files; shipped rules need one)
  std::vector<GitLabSpecCitation> gitlab_specs;  // `gitlab_spec`, copies resolved (optional)
};

// AbilityTable maps a subject to GitLab authentication abilities (token-auth.md §3.3): kinds
// listed in `by_kind` have fixed abilities (password, job tokens, anonymous); every other kind
// gets the union of `by_scope` over its token scopes (unknown scopes give nothing).
struct AbilityTable {
  std::map<std::string, std::vector<std::string>> by_kind;
  std::map<std::string, std::vector<std::string>> by_scope;
};

// RuleSet is a loaded rules document.
struct RuleSet {
  std::string file;
  AbilityTable abilities;
  std::vector<std::string> ability_names;  // every ability the table mentions, sorted
  std::vector<std::pair<std::string, Condition>> predicates;
  std::vector<Rule> authentication, gates, grants, uncertain, after_grants;
  Rule denied;  // requirement/source cited when a requested action is granted by no rule
  // gitlab_copies: copy key ("gitlabhq@de09f039") → repo, commit and version (path and symbol
  // empty): what each rule's gitlab_source names.
  std::map<std::string, GitLabSource> gitlab_copies;
  // AllRules lists every rule of every stage, denied last (for checks over the whole set).
  std::vector<const Rule*> AllRules() const;
};

// LoadRuleSet reads the members gitlab_copies, abilities, predicates, authentication, gates,
// grants, uncertain, after_grants and denied of `doc` (other members are the caller's; it does not
// check them). Errors name `file` and a JSON pointer.
LoadResult<RuleSet> LoadRuleSet(const nlohmann::json& doc, const std::string& file);

// ParseCondition compiles one condition against `rules` (its predicates and ability names).
// `allow_access_empty` admits the after_grants-only member.
LoadResult<Condition> ParseCondition(const nlohmann::json& value, const std::string& file,
                                     const std::string& pointer, const RuleSet& rules,
                                     bool allow_access_empty = false);

// Evaluate reports whether `c` holds for `facts` (access_empty and `granted`, the actions
// granted for sure on the first requested resource: after_grants only).
bool Evaluate(const Condition& c, const Facts& facts, const RuleSet& rules,
              bool access_empty = false, const std::vector<std::string>* granted = nullptr);

// ScopedConditionFlip makes Evaluate, on this thread and while it lives, negate the value of
// one condition node (an atom: a fact test, role, scopes, ability or predicate reference). Rule
// coverage (`regauth world check`) asks with it whether a condition is decisive: whether some
// case of the world changes its expected answer when that condition alone is flipped.
class ScopedConditionFlip {
 public:
  explicit ScopedConditionFlip(const Condition* atom);
  ~ScopedConditionFlip();
  ScopedConditionFlip(const ScopedConditionFlip&) = delete;
  ScopedConditionFlip& operator=(const ScopedConditionFlip&) = delete;

 private:
  const Condition* previous_;
};

// FillAbilities sets facts->abilities from the table (sorted, unique).
void FillAbilities(const RuleSet& rules, Facts* facts);

// MatchedRules are the grants and uncertain entries that hold for one resource's facts.
// MatchRules computes them; a caller deciding many action lists for the same (subject,
// resource) computes them once and passes them in ResourceRequest::matched.
struct MatchedRules {
  std::vector<const Rule*> grants;
  std::vector<const Rule*> uncertain;
};
MatchedRules MatchRules(const RuleSet& rules, const Facts& facts);

// ResourceRequest is one requested resource scope and the facts of the subject about it.
struct ResourceRequest {
  std::string type;                       // "repository" | "registry"
  std::string name;                       // project path | "catalog"
  std::vector<std::string> actions;       // as requested: order and duplicates kept
  const Facts* facts = nullptr;           // ComputeFacts + FillAbilities for this resource (not
                                          // owned; must outlive the Decide call)
  const MatchedRules* matched = nullptr;  // MatchRules(rules, facts), or nullptr to compute
};

struct ExpectedAccess {
  std::string type;
  std::string name;
  std::vector<std::string> actions;
};
struct InformationalAction {
  std::string type;
  std::string name;
  std::string action;
  std::string reason;
};

// Decision is the expected answer and the rules behind it (first-cited first, no repeats).
struct Decision {
  Outcome outcome = Outcome::kGranted;
  std::vector<ExpectedAccess> access;
  std::vector<InformationalAction> informational;
  std::vector<const Rule*> rules;
};

// Decide evaluates the stages. `subject_facts` (the facts of the first resource, or of the
// subject alone when nothing is requested) drive authentication, gates and after_grants; each
// request's own facts drive its grants.
Decision Decide(const RuleSet& rules, const Facts& subject_facts,
                const std::vector<ResourceRequest>& requests);

}  // namespace regauth::harness
