// bind.h — world-bound cases: a hand-written case never names a world entity; it declares the
// facts it needs as named *selectors* (cases/README.md "Bindings"), which this module resolves
// against the run's world before the case runs, with the fact vocabulary of the matrix
// (harness/suite/facts.h, harness/suite/rules.h conditions).
//
// A selector binds one credential or one project:
//   {"credential": <condition on the subject's own facts>,     // or "project": <condition>
//    "name": "gitlab-deploy-token",                            // credentials: the token's name
//    "with": {"<other binding>": <condition on the pair>},     // relation to other bindings
//    "description": "the group deploy token named gitlab-deploy-token"}
// - A credential's own condition is evaluated on ComputeFacts(world, credential, catalog): the
//   subject facts (kind, state, scopes, user_*, job_*) — resource facts read "n/a".
// - A project's own condition is evaluated on the anonymous subject's facts about the project:
//   the project facts (visibility, registry_access, archived, builds_enabled, …).
// - "with" pairs a credential with a project binding: ComputeFacts(world, credential, project)
//   (role, relation, visibility, …). Either side may declare it.
// - Two bindings of the same entity type never bind the same entity ("another project").
// - Candidates are tried in world order and the bindings in the order of their names
//   (backtracking), so a world binds the same entities on every run.
//
// Steps, the expectation, the title and the requirement refer to what a binding bound as
// ${<name>.<attribute>}; substitution happens here, once, before the case runs:
//   credential: id, kind, name, user (the acting user), project (its project or the job's),
//               group, job (job id), username → ${cred:<id>.username}, secret →
//               ${cred:<id>.secret} (resolved and redacted when the step runs)
//   project:    path, id, namespace, name (last segment), root (top-level namespace)
// A case whose selectors the world cannot satisfy is SKIP, naming the missing fact
// ("needs: a running job whose project allowlists another private project"); never FAIL.
//
// Only the bindings a case refers to (directly, or through another binding's "with") are
// resolved, so a file's `defaults.bind` can declare a vocabulary its cases draw from.
//
// Usage:
//   auto sel = ParseSelector(json, "cases/cases/x.json", "/cases/0/bind/p");   // at load
//   BindReport report = BindCase(world, &c);                     // before the run
//   if (!c.unmet.empty()) ...                                    // SKIP: c.unmet says why
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/suite/case.h"
#include "harness/suite/data_file.h"
#include "harness/suite/rules.h"
#include "protocol/world.h"

namespace regauth::harness {

// Selector is one compiled selector (see the header comment for the JSON form).
struct Selector {
  enum class Entity { kCredential, kProject };
  Entity entity = Entity::kCredential;
  Condition own;
  std::optional<std::string> name;                      // credentials: Credential::name
  std::vector<std::pair<std::string, Condition>> with;  // other binding → pair condition
  std::string description;                              // for "needs: …"; generated if absent
};

// SelectorRules is the (empty) rule set selector conditions compile against: facts, roles and
// scopes only — no abilities or predicates, which belong to a matrix.
const RuleSet& SelectorRules();

// ParseSelector compiles one selector. Errors name `file` and `pointer`.
LoadResult<Selector> ParseSelector(const nlohmann::json& value, const std::string& file,
                                   const std::string& pointer);

// ParseBindings reads a `bind` object (name → selector). Names are [a-z][a-z0-9_]*, never one of
// the run-time references (registry, realm, service, now, …); "with" must name a binding of the
// other entity type in the same object.
LoadResult<std::vector<CaseBinding>> ParseBindings(const nlohmann::json& value,
                                                   const std::string& file,
                                                   const std::string& pointer);

// MergeBindings returns `defaults` overridden (by name) and extended by `own`, then checks the
// "with" references of the result. Errors name `file` and `pointer`.
LoadResult<std::vector<CaseBinding>> MergeBindings(const std::vector<CaseBinding>& defaults,
                                                   const std::vector<CaseBinding>& own,
                                                   const std::string& file,
                                                   const std::string& pointer);

// BindingRefs lists the binding names a case refers to as ${<name>.<attribute>} in its title,
// requirement, steps and expectation, in first-use order. CheckBindingRefs is the load-time
// check of those references: every name is a declared binding and every attribute exists for
// its entity type.
std::vector<std::string> BindingRefs(const Case& c);
std::optional<LoadError> CheckBindingRefs(const Case& c, const std::string& file,
                                          const std::string& pointer);

// Bound is one resolved binding.
struct Bound {
  std::string name;
  const protocol::Credential* credential = nullptr;
  const protocol::Project* project = nullptr;
  // Entity names the bound entity: the credential id or the project path.
  std::string Entity() const;
};

// Resolve finds entities for `bindings` (those named in `wanted` and what their "with" needs)
// in `world`. On failure it returns the description of the binding that could not be
// satisfied, as "needs: …".
protocol::Expected<std::vector<Bound>, std::string> Resolve(
    const protocol::World& world, const std::vector<CaseBinding>& bindings,
    const std::vector<std::string>& wanted);

// BindCase resolves `c`'s bindings against `world` and substitutes every ${name.attribute}. A
// case without bindings is left as is. When the world cannot satisfy them, `c->unmet` says which
// fact is missing and the case is otherwise unchanged (the runner reports it SKIP).
void BindCase(const protocol::World& world, Case* c);

// BindCases binds every case of `cases` (see BindCase).
void BindCases(const protocol::World& world, std::vector<Case>* cases);

}  // namespace regauth::harness
