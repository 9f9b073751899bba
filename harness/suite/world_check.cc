#include "harness/suite/world_check.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "harness/suite/bind.h"
#include "harness/suite/facts.h"

namespace regauth::harness {
namespace {

namespace p = protocol;
using Json = nlohmann::json;

double Percent(std::size_t part, std::size_t whole) {
  return whole == 0 ? 100.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// ---- hand-written cases ---------------------------------------------------------------------

void CheckHandWritten(const p::World& world, const std::vector<Case>& cases,
                      WorldCheckReport* report) {
  std::map<std::string, SelectorUse> uses;  // by description
  report->hand_written = cases.size();
  for (const Case& original : cases) {
    Case c = original;
    BindCase(world, &c);
    if (!c.unmet.empty()) {
      report->unexercised.emplace_back(c.id, c.unmet);
      const std::string prefix = "needs: ";
      const std::string desc = c.unmet.substr(prefix.size());
      uses.try_emplace(desc, SelectorUse{desc, {}, 0, false});
      continue;
    }
    for (const auto& [name, entity] : c.bound) {
      auto b = std::find_if(c.bindings.begin(), c.bindings.end(),
                            [&](const CaseBinding& x) { return x.name == name; });
      if (b == c.bindings.end()) continue;
      SelectorUse& u = uses.try_emplace(b->selector->description,
                                        SelectorUse{b->selector->description, {}, 0, false})
                           .first->second;
      u.satisfied = true;
      ++u.cases;
      if (u.bound.size() < 3 && std::find(u.bound.begin(), u.bound.end(), entity) == u.bound.end())
        u.bound.push_back(entity);
    }
  }
  for (auto& [desc, use] : uses) report->selectors.push_back(std::move(use));
  std::stable_sort(report->selectors.begin(), report->selectors.end(),
                   [](const SelectorUse& a, const SelectorUse& b) {
                     return a.satisfied != b.satisfied ? !a.satisfied : false;
                   });
}

// ---- matrix dimensions ----------------------------------------------------------------------

std::vector<std::string> FactValues(std::string_view fact) {
  std::vector<std::string> out;
  if (const FactSpec* spec = FindFact(fact)) {
    for (auto v : spec->values) {
      if (v != "n/a") out.emplace_back(v);
    }
  }
  return out;
}

void CheckDimensions(const std::vector<Matrix>& matrices, const std::vector<Case>& expanded,
                     WorldCheckReport* report) {
  struct Dim {
    std::string name;
    std::vector<std::string> universe;
    std::function<std::string(const Dimensions&)> get;
  };
  std::vector<std::string> roles;
  for (auto r : RoleNames()) roles.emplace_back(r);
  roles.push_back("admin");
  std::vector<std::string> actions;
  for (const auto& m : matrices) {
    for (const auto& a : m.actions) {
      if (std::find(actions.begin(), actions.end(), a) == actions.end()) actions.push_back(a);
    }
  }
  const std::vector<Dim> dims = {
      {"credential kind", FactValues("kind"),
       [](const Dimensions& d) { return d.credential_kind; }},
      {"credential state", FactValues("state"),
       [](const Dimensions& d) { return d.credential_state; }},
      {"role", roles, [](const Dimensions& d) { return d.role; }},
      {"visibility", FactValues("visibility"), [](const Dimensions& d) { return d.visibility; }},
      {"registry access", FactValues("registry_access"),
       [](const Dimensions& d) { return d.registry_access; }},
      {"relation", FactValues("relation"), [](const Dimensions& d) { return d.relation; }},
      {"actions", actions, [](const Dimensions& d) { return d.actions; }},
  };
  for (const Dim& dim : dims) {
    std::set<std::string> seen;
    for (const Case& c : expanded) seen.insert(dim.get(c.dims));
    DimensionCoverage cov{dim.name, {}, {}};
    for (const auto& v : dim.universe) (seen.contains(v) ? cov.covered : cov.missing).push_back(v);
    report->dimensions.push_back(std::move(cov));
  }
}

// ---- rule coverage --------------------------------------------------------------------------

// Prepared is one expanded matrix case as the rules engine sees it.
struct Prepared {
  const Case* c = nullptr;
  std::vector<Facts> facts;  // one per requested resource
  std::vector<ResourceRequest> requests;
  Decision baseline;
};

std::string DecisionText(const Decision& d) {
  std::string out(OutcomeName(d.outcome));
  if (d.outcome != Outcome::kGranted) return out;
  std::vector<std::string> parts;
  for (const auto& a : d.access) parts.push_back(a.name + ":" + Join(a.actions, ","));
  out += " [" + Join(parts, " ") + "]";
  if (!d.informational.empty())
    out += " +" + std::to_string(d.informational.size()) + " informational";
  return out;
}

bool SameDecision(const Decision& a, const Decision& b) {
  if (a.outcome != b.outcome || a.access.size() != b.access.size() ||
      a.informational.size() != b.informational.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.access.size(); ++i) {
    if (a.access[i].name != b.access[i].name || a.access[i].actions != b.access[i].actions)
      return false;
  }
  for (std::size_t i = 0; i < a.informational.size(); ++i) {
    if (a.informational[i].name != b.informational[i].name ||
        a.informational[i].action != b.informational[i].action)
      return false;
  }
  return true;
}

// Prepare rebuilds the subject and the requests of a matrix case (one token_request step).
std::optional<Prepared> Prepare(const p::World& world, const RuleSet& rules, const Case& c) {
  if (c.steps.size() != 1 || c.steps[0].kind != StepKind::kTokenRequest) return std::nullopt;
  const auto& request = c.steps[0].As<TokenRequestStep>();
  Subject subject = Subject::Anonymous();
  if (request.credential) {
    const p::Credential* cred = world.FindCredential(*request.credential);
    if (cred == nullptr) return std::nullopt;
    Mutation m = Mutation::kNone;
    if (request.mutate) m = ParseMutation(*request.mutate).value_or(Mutation::kNone);
    subject = Subject::Of(*cred, m);
  }
  Prepared prep;
  prep.c = &c;
  prep.facts.reserve(request.scopes.size() + 1);
  for (const std::string& scope : request.scopes) {
    const std::size_t first = scope.find(':'), last = scope.rfind(':');
    if (first == std::string::npos || first == last) return std::nullopt;
    ResourceRequest q;
    q.type = scope.substr(0, first);
    q.name = scope.substr(first + 1, last - first - 1);
    q.actions = SplitActions(scope.substr(last + 1));
    const p::Project* project = q.type == "repository" ? world.FindProject(q.name) : nullptr;
    Facts f = ComputeFacts(world, subject, project);
    FillAbilities(rules, &f);
    prep.facts.push_back(std::move(f));
    prep.requests.push_back(std::move(q));
  }
  if (prep.facts.empty()) {
    Facts f = ComputeFacts(world, subject, nullptr);
    FillAbilities(rules, &f);
    prep.facts.push_back(std::move(f));
  }
  for (std::size_t i = 0; i < prep.requests.size(); ++i) prep.requests[i].facts = &prep.facts[i];
  prep.baseline = Decide(rules, prep.facts[0], prep.requests);
  return prep;
}

std::string AtomText(const Condition& c) {
  auto list = [](const std::vector<std::string>& v) {
    return v.size() == 1 ? v[0] : "[" + Join(v, ", ") + "]";
  };
  switch (c.op) {
    case Condition::Op::kFactIn:
      return c.fact + ": " + list(c.strings);
    case Condition::Op::kFactBool:
      return c.fact + ": " + (c.bool_value ? "true" : "false");
    case Condition::Op::kRoleAtLeast:
      return "role_at_least: " + c.strings[0] + (c.admin_counts ? " (admin counts)" : "");
    case Condition::Op::kScopesAny:
      return "scopes_any: " + list(c.strings);
    case Condition::Op::kScopesAll:
      return "scopes_all: " + list(c.strings);
    case Condition::Op::kScopesNone:
      return "scopes_none: " + list(c.strings);
    case Condition::Op::kAbilityAny:
      return "has_any_ability: " + list(c.strings);
    case Condition::Op::kRef:
      return "ref: " + c.fact;
    case Condition::Op::kAccessEmpty:
      return std::string("access_empty: ") + (c.bool_value ? "true" : "false");
    case Condition::Op::kGrantedAny:
      return "granted_any: " + list(c.strings);
    default:
      return "";
  }
}

// CollectAtoms lists the atoms of `c` with the "not" nesting spelled out.
void CollectAtoms(const Condition& c, const std::string& context,
                  std::vector<std::pair<const Condition*, std::string>>* out) {
  switch (c.op) {
    case Condition::Op::kTrue:
      return;
    case Condition::Op::kAll:
    case Condition::Op::kAny:
      for (const auto& child : c.children) CollectAtoms(child, context, out);
      return;
    case Condition::Op::kNot:
      CollectAtoms(c.children[0], context + "not ", out);
      return;
    default:
      out->emplace_back(&c, context + AtomText(c));
  }
}

void CheckRules(const p::World& world, const Matrix& m, const std::vector<Case>& expanded,
                WorldCheckReport* report) {
  std::vector<Prepared> prepared;
  prepared.reserve(expanded.size());
  for (const Case& c : expanded) {
    if (auto prep = Prepare(world, m.rules, c)) prepared.push_back(std::move(*prep));
  }
  struct Site {
    std::string rule;
    const Condition* atom;
    std::string text;
  };
  std::vector<Site> sites;
  auto add_rule = [&](const Rule& r) {
    std::vector<std::pair<const Condition*, std::string>> atoms;
    CollectAtoms(r.when, "", &atoms);
    for (auto& [atom, text] : atoms) sites.push_back({r.pointer, atom, text});
  };
  for (const auto* stage : {&m.rules.authentication, &m.rules.gates, &m.rules.grants,
                            &m.rules.uncertain, &m.rules.after_grants}) {
    for (const Rule& r : *stage) add_rule(r);
  }
  for (const auto& [name, cond] : m.rules.predicates) {
    std::vector<std::pair<const Condition*, std::string>> atoms;
    CollectAtoms(cond, "", &atoms);
    for (auto& [atom, text] : atoms) sites.push_back({"/predicates/" + name, atom, text});
  }
  for (const Site& site : sites) {
    ConditionWitness w{m.file, site.rule, site.text, "", ""};
    ScopedConditionFlip flip(site.atom);
    for (const Prepared& prep : prepared) {
      Decision flipped = Decide(m.rules, prep.facts[0], prep.requests);
      if (!SameDecision(prep.baseline, flipped)) {
        w.witness = prep.c->id;
        w.effect = DecisionText(prep.baseline) + " → " + DecisionText(flipped);
        break;
      }
    }
    report->conditions.push_back(std::move(w));
  }
}

}  // namespace

double WorldCheckReport::CasePercent() const {
  return Percent(hand_written - unexercised.size(), hand_written);
}

double WorldCheckReport::DimensionPercent() const {
  std::size_t covered = 0, all = 0;
  for (const auto& d : dimensions) {
    covered += d.covered.size();
    all += d.covered.size() + d.missing.size();
  }
  return Percent(covered, all);
}

double WorldCheckReport::ConditionPercent() const {
  const auto witnessed =
      std::count_if(conditions.begin(), conditions.end(),
                    [](const ConditionWitness& w) { return !w.witness.empty(); });
  return Percent(static_cast<std::size_t>(witnessed), conditions.size());
}

WorldCheckReport CheckWorld(const protocol::World& world, const std::vector<Matrix>& matrices,
                            const std::vector<Case>& hand_written) {
  WorldCheckReport report;
  report.world_name = world.name();
  report.users = world.Users().size();
  report.groups = world.Groups().size();
  report.projects = world.Projects().size();
  report.jobs = world.Jobs().size();
  report.credentials = world.Credentials().size();
  CheckHandWritten(world, hand_written, &report);
  std::vector<Case> all_expanded;
  for (const Matrix& m : matrices) {
    auto expanded = ExpandMatrix(m, world);
    if (!expanded) continue;  // the runner reports expansion errors; here nothing is covered
    CheckRules(world, m, *expanded, &report);
    for (auto& c : *expanded) all_expanded.push_back(std::move(c));
  }
  report.matrix_cases = all_expanded.size();
  CheckDimensions(matrices, all_expanded, &report);
  return report;
}

WorldCheckReport CombineWorldChecks(const std::vector<WorldCheckReport>& reports) {
  WorldCheckReport all;
  if (reports.empty()) return all;
  std::vector<std::string> names;
  for (const auto& r : reports) names.push_back(r.world_name);
  all.world_name = Join(names, " + ");
  const WorldCheckReport& first = reports.front();
  all.hand_written = first.hand_written;
  // Unexercised everywhere: in the first world's list and in every other world's.
  for (const auto& [id, why] : first.unexercised) {
    const bool everywhere = std::all_of(reports.begin(), reports.end(), [&](const auto& r) {
      return std::any_of(r.unexercised.begin(), r.unexercised.end(),
                         [&](const auto& u) { return u.first == id; });
    });
    if (everywhere) all.unexercised.emplace_back(id, why);
  }
  for (const auto& r : reports) {
    all.users += r.users;
    all.groups += r.groups;
    all.projects += r.projects;
    all.jobs += r.jobs;
    all.credentials += r.credentials;
    all.matrix_cases += r.matrix_cases;
  }
  all.dimensions = first.dimensions;
  for (auto& d : all.dimensions) {
    std::vector<std::string> still_missing;
    for (const auto& v : d.missing) {
      const bool reached = std::any_of(reports.begin(), reports.end(), [&](const auto& r) {
        return std::any_of(r.dimensions.begin(), r.dimensions.end(), [&](const auto& o) {
          return o.name == d.name &&
                 std::find(o.covered.begin(), o.covered.end(), v) != o.covered.end();
        });
      });
      (reached ? d.covered : still_missing).push_back(v);
    }
    d.missing = std::move(still_missing);
  }
  all.conditions = first.conditions;
  for (std::size_t i = 0; i < all.conditions.size(); ++i) {
    ConditionWitness& w = all.conditions[i];
    if (!w.witness.empty()) {
      w.witness += " (" + first.world_name + ")";
      continue;
    }
    for (const auto& r : reports) {
      // The same matrix files in every world: conditions line up by file, rule and text.
      auto it = std::find_if(r.conditions.begin(), r.conditions.end(), [&](const auto& o) {
        return o.matrix == w.matrix && o.rule == w.rule && o.condition == w.condition &&
               !o.witness.empty();
      });
      if (it != r.conditions.end()) {
        w.witness = it->witness + " (" + r.world_name + ")";
        w.effect = it->effect;
        break;
      }
    }
  }
  return all;
}

std::string RenderWorldCheck(const WorldCheckReport& r) {
  std::ostringstream out;
  char pct[32];
  auto percent = [&](double v) {
    std::snprintf(pct, sizeof pct, "%.1f %%", v);
    return std::string(pct);
  };
  out << "world " << r.world_name << ": " << r.users << " users, " << r.groups << " groups, "
      << r.projects << " projects, " << r.jobs << " jobs, " << r.credentials << " credentials\n\n";

  out << "Hand-written cases: " << (r.hand_written - r.unexercised.size()) << " of "
      << r.hand_written << " exercised (" << percent(r.CasePercent()) << ")\n";
  if (!r.selectors.empty()) out << "  selectors:\n";
  for (const auto& s : r.selectors) {
    out << "    " << (s.satisfied ? "[x] " : "[ ] ") << s.description;
    if (s.satisfied) {
      out << "  (" << s.cases << " cases; e.g. " << Join(s.bound, ", ") << ")";
    }
    out << "\n";
  }
  if (!r.unexercised.empty()) {
    out << "  not exercised by this world:\n";
    for (const auto& [id, why] : r.unexercised) out << "    " << id << " — " << why << "\n";
  }

  out << "\nMatrix: " << r.matrix_cases << " cases; values reached per dimension ("
      << percent(r.DimensionPercent()) << ")\n";
  for (const auto& d : r.dimensions) {
    out << "  " << d.name << ": " << d.covered.size() << "/" << d.covered.size() + d.missing.size();
    if (!d.missing.empty()) out << "  missing: " << Join(d.missing, ", ");
    out << "\n";
  }

  const auto witnessed =
      std::count_if(r.conditions.begin(), r.conditions.end(),
                    [](const ConditionWitness& w) { return !w.witness.empty(); });
  out << "\nRule coverage: " << witnessed << " of " << r.conditions.size()
      << " rule conditions are decisive for some case of "
      << (r.world_name.find(" + ") == std::string::npos ? "this world" : "these worlds") << " ("
      << percent(r.ConditionPercent()) << ")\n";
  bool any_missing = false;
  for (const auto& w : r.conditions) {
    if (!w.witness.empty()) continue;
    if (!any_missing) out << "  without a witness (the world cannot tell these apart):\n";
    any_missing = true;
    out << "    " << w.rule << ": " << w.condition << "\n";
  }
  return out.str();
}

bool MeetsCoverage(const WorldCheckReport& report, double min_percent) {
  return report.CasePercent() >= min_percent && report.DimensionPercent() >= min_percent &&
         report.ConditionPercent() >= min_percent;
}

}  // namespace regauth::harness
