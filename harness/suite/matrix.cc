#include "harness/suite/matrix.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace regauth::harness {
namespace {

namespace p = protocol;
using Json = nlohmann::json;

const std::vector<std::string_view> kTopMembers = {
    "name",     "id_prefix", "layer",        "profiles",   "tags",           "subjects",
    "requests", "reduce",    "abilities",    "predicates", "authentication", "gates",
    "grants",   "uncertain", "after_grants", "denied",     "gitlab_copies"};

bool ParseSubjects(DataReader& r, const Json& v, Matrix* m) {
  const std::string ptr = "/subjects";
  if (!r.Object(v, ptr, {"anonymous", "credentials", "mutations"}) ||
      !r.OptionalBool(v, ptr, "anonymous", &m->anonymous) ||
      !r.OptionalBool(v, ptr, "credentials", &m->credentials)) {
    return false;
  }
  auto it = v.find("mutations");
  if (it == v.end()) return true;
  const std::string mptr = ptr + "/mutations";
  if (!r.IsArray(*it, mptr)) return false;
  const FactSpec* kinds = FindFact("kind");
  for (std::size_t i = 0; i < it->size(); ++i) {
    const std::string eptr = PointerAppend(mptr, i);
    const Json& e = (*it)[i];
    std::string name;
    MutationSpec spec;
    if (!r.Object(e, eptr, {"mutate", "kinds"}) ||
        !r.OptionalEnum(e, eptr, "mutate", {"wrong_secret", "wrong_username"}, &name) ||
        !r.OptionalStringList(e, eptr, "kinds", &spec.kinds)) {
      return false;
    }
    if (name.empty()) {
      return r.Fail(LoadErrorCode::kMissingMember, eptr + "/mutate", "required member is missing");
    }
    spec.mutation = *ParseMutation(name);
    for (std::size_t k = 0; k < spec.kinds.size(); ++k) {
      if (std::find(kinds->values.begin() + 1, kinds->values.end(), spec.kinds[k]) ==
          kinds->values.end()) {
        return r.Fail(LoadErrorCode::kBadEnumValue, PointerAppend(eptr + "/kinds", k),
                      "expected a credential kind: " +
                          JoinNames({kinds->values.begin() + 1, kinds->values.end()}));
      }
    }
    m->mutations.push_back(std::move(spec));
  }
  return true;
}

bool ParseActionList(DataReader& r, const Json& v, const std::string& ptr,
                     std::vector<std::string>* out) {
  if (!r.StringList(v, ptr, out)) return false;
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < out->size(); ++i) {
    if (!seen.insert(ActionIdSegment((*out)[i])).second) {
      return r.Fail(LoadErrorCode::kDuplicate, PointerAppend(ptr, i),
                    "action list listed twice (case ids would collide)");
    }
  }
  return true;
}

bool ParseRequests(DataReader& r, const Json& v, Matrix* m) {
  const std::string ptr = "/requests";
  if (!r.Object(v, ptr, {"actions", "catalog", "two_resources"})) return false;
  auto actions = v.find("actions");
  if (actions == v.end()) {
    return r.Fail(LoadErrorCode::kMissingMember, ptr + "/actions", "required member is missing");
  }
  if (!ParseActionList(r, *actions, ptr + "/actions", &m->actions)) return false;
  if (auto it = v.find("catalog"); it != v.end()) {
    if (!r.Object(*it, ptr + "/catalog", {"scope"}) ||
        !r.OptionalString(*it, ptr + "/catalog", "scope", &m->catalog_scope)) {
      return false;
    }
    m->catalog = true;
  }
  if (auto it = v.find("two_resources"); it != v.end()) {
    const std::string tptr = ptr + "/two_resources";
    TwoResourceSpec& t = m->two_resources;
    t.enabled = true;
    if (!r.Object(*it, tptr, {"actions", "second", "second_actions", "encodings"}) ||
        !r.OptionalString(*it, tptr, "actions", &t.actions) ||
        !r.OptionalString(*it, tptr, "second_actions", &t.second_actions)) {
      return false;
    }
    auto second = it->find("second");
    if (second == it->end()) {
      return r.Fail(LoadErrorCode::kMissingMember, tptr + "/second",
                    "required member is missing (a condition on project facts)");
    }
    auto c = ParseCondition(*second, r.file(), tptr + "/second", m->rules);
    if (!c) return r.Fail(c.error().code, c.error().pointer, c.error().message);
    t.second = std::move(*c);
    auto enc = it->find("encodings");
    if (enc == it->end()) {
      t.encodings = {"repeated", "space_joined"};
    } else {
      if (!r.IsArray(*enc, tptr + "/encodings")) return false;
      for (std::size_t i = 0; i < enc->size(); ++i) {
        std::string e;
        if (!r.Enum((*enc)[i], PointerAppend(tptr + "/encodings", i), {"repeated", "space_joined"},
                    &e)) {
          return false;
        }
        t.encodings.push_back(std::move(e));
      }
    }
  }
  return true;
}

bool ParseReduce(DataReader& r, const Json& v, Matrix* m) {
  const std::string ptr = "/reduce";
  if (!r.IsArray(v, ptr)) return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string eptr = PointerAppend(ptr, i);
    const Json& e = v[i];
    ReduceSpec spec;
    if (!r.Object(
            e, eptr,
            {"when", "outcomes", "projects", "actions", "catalog", "two_resources", "reason"}) ||
        !r.OptionalBool(e, eptr, "catalog", &spec.catalog) ||
        !r.OptionalBool(e, eptr, "two_resources", &spec.two_resources)) {
      return false;
    }
    std::string reason;
    if (!r.RequiredString(e, eptr, "reason", &reason)) return false;
    auto when = e.find("when");
    if (when != e.end()) {
      auto c = ParseCondition(*when, r.file(), eptr + "/when", m->rules);
      if (!c) return r.Fail(c.error().code, c.error().pointer, c.error().message);
      spec.when = std::move(*c);
    }
    if (auto it = e.find("outcomes"); it != e.end()) {
      if (!r.IsArray(*it, eptr + "/outcomes")) return false;
      for (std::size_t k = 0; k < it->size(); ++k) {
        std::string o;
        if (!r.Enum((*it)[k], PointerAppend(eptr + "/outcomes", k),
                    {"unauthorized", "forbidden", "not_found"}, &o)) {
          return false;
        }
        spec.outcomes.push_back(std::move(o));
      }
    }
    if (when == e.end() && spec.outcomes.empty()) {
      return r.Fail(LoadErrorCode::kMissingMember, eptr + "/when",
                    "a reduce entry needs `when`, `outcomes` or both");
    }
    auto projects = e.find("projects");
    if (projects == e.end()) {
      return r.Fail(LoadErrorCode::kMissingMember, eptr + "/projects",
                    "required member is missing (conditions on project facts)");
    }
    if (!r.IsArray(*projects, eptr + "/projects")) return false;
    for (std::size_t k = 0; k < projects->size(); ++k) {
      auto pc =
          ParseCondition((*projects)[k], r.file(), PointerAppend(eptr + "/projects", k), m->rules);
      if (!pc) return r.Fail(pc.error().code, pc.error().pointer, pc.error().message);
      spec.projects.push_back(std::move(*pc));
    }
    auto actions = e.find("actions");
    if (actions == e.end()) {
      return r.Fail(LoadErrorCode::kMissingMember, eptr + "/actions", "required member is missing");
    }
    if (!ParseActionList(r, *actions, eptr + "/actions", &spec.actions)) return false;
    m->reduce.push_back(std::move(spec));
  }
  return true;
}

Facts FactsFor(const p::World& world, const RuleSet& rules, const Subject& s,
               const p::Project* project) {
  Facts f = ComputeFacts(world, s, project);
  FillAbilities(rules, &f);
  return f;
}

bool ActsAsUser(const Facts& f) {
  return f.kind == "password" || f.kind == "personal_access_token" ||
         f.kind == "project_access_token" || f.kind == "group_access_token" ||
         f.kind == "oauth_token" || (f.kind == "job_token" && f.job_has_user);
}

// Expander builds the cases of one matrix.
class Expander {
 public:
  Expander(const Matrix& m, const p::World& w) : m_(m), w_(w) {}

  LoadResult<std::vector<Case>> Run() {
    std::vector<Subject> subjects;
    if (m_.anonymous) subjects.push_back(Subject::Anonymous());
    if (m_.credentials) {
      for (const auto& c : w_.Credentials()) subjects.push_back(Subject::Of(c));
    }
    for (const MutationSpec& spec : m_.mutations) {
      for (const FactSpec* kinds = FindFact("kind");
           std::string_view kind :
           std::vector<std::string_view>(kinds->values.begin() + 1, kinds->values.end())) {
        if (!spec.kinds.empty() &&
            std::find(spec.kinds.begin(), spec.kinds.end(), kind) == spec.kinds.end()) {
          continue;
        }
        for (const auto& c : w_.Credentials()) {
          if (p::Name(c.kind) != kind) continue;
          Facts f = ComputeFacts(w_, Subject::Of(c), nullptr);
          if (f.state != "active") continue;
          subjects.push_back(Subject::Of(c, spec.mutation));
          break;
        }
      }
    }
    for (const auto& pr : w_.Projects()) all_projects_.push_back(&pr);
    for (const Subject& s : subjects) ExpandSubject(s);
    std::unordered_set<std::string> ids;
    ids.reserve(cases_.size());
    for (const Case& c : cases_) {
      if (!ids.insert(c.id).second) {
        return MakeLoadError(LoadErrorCode::kDuplicate, m_.file, "",
                             "two cases get the id '" + c.id + "' over world '" + w_.name() + "'");
      }
    }
    return std::move(cases_);
  }

 private:
  struct Request {
    const p::Project* project;  // nullptr: catalog
    std::string actions;        // as sent
  };

  void ExpandSubject(const Subject& s) {
    const p::Project* first = all_projects_.empty() ? nullptr : all_projects_[0];
    Facts base = FactsFor(w_, m_.rules, s, first);
    const ReduceSpec* reduce = nullptr;
    const std::string outcome = SubjectOutcome(m_.rules, base);
    for (const ReduceSpec& spec : m_.reduce) {
      if (!spec.outcomes.empty() &&
          std::find(spec.outcomes.begin(), spec.outcomes.end(), outcome) == spec.outcomes.end()) {
        continue;
      }
      if (Evaluate(spec.when, base, m_.rules)) {
        reduce = &spec;
        break;
      }
    }
    std::vector<const p::Project*> projects;
    const std::vector<std::string>* actions = &m_.actions;
    if (reduce != nullptr) {
      for (const Condition& pc : reduce->projects) {
        for (const p::Project* pr : all_projects_) {
          if (Evaluate(pc, ProjectFacts(pr), m_.rules)) {
            if (std::find(projects.begin(), projects.end(), pr) == projects.end()) {
              projects.push_back(pr);
            }
            break;
          }
        }
      }
      actions = &reduce->actions;
    } else {
      projects = all_projects_;
    }
    for (const p::Project* pr : projects) {
      Facts f = FactsFor(w_, m_.rules, s, pr);
      const MatchedRules matched = MatchRules(m_.rules, f);
      for (const std::string& a : *actions) {
        Emit(s, {{pr, a}}, {f}, "repeated", &matched);
      }
    }
    if (m_.catalog && (reduce == nullptr || reduce->catalog)) {
      Emit(s, {{nullptr, "*"}}, {FactsFor(w_, m_.rules, s, nullptr)}, "repeated");
    }
    if (m_.two_resources.enabled && (reduce == nullptr || reduce->two_resources)) {
      for (const p::Project* pr : projects) {
        const p::Project* second = nullptr;
        for (const p::Project* q : all_projects_) {
          if (q != pr && Evaluate(m_.two_resources.second, ProjectFacts(q), m_.rules)) {
            second = q;
            break;
          }
        }
        if (second == nullptr) continue;
        Facts f1 = FactsFor(w_, m_.rules, s, pr);
        Facts f2 = FactsFor(w_, m_.rules, s, second);
        for (const std::string& enc : m_.two_resources.encodings) {
          Emit(s, {{pr, m_.two_resources.actions}, {second, m_.two_resources.second_actions}},
               {f1, f2}, enc);
        }
      }
    }
  }

  const Facts& ProjectFacts(const p::Project* pr) {
    auto it = project_facts_.find(pr);
    if (it == project_facts_.end()) {
      it = project_facts_.emplace(pr, FactsFor(w_, m_.rules, Subject::Anonymous(), pr)).first;
    }
    return it->second;
  }

  void Emit(const Subject& s, const std::vector<Request>& reqs, const std::vector<Facts>& facts,
            const std::string& encoding, const MatchedRules* first_matched = nullptr) {
    std::vector<ResourceRequest> rr;
    rr.reserve(reqs.size());
    std::vector<std::string> scopes;
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      ResourceRequest q;
      if (reqs[i].project == nullptr) {
        q.type = "registry";
        q.name = "catalog";
        scopes.push_back(m_.catalog_scope);
      } else {
        q.type = "repository";
        q.name = reqs[i].project->path;
        scopes.push_back("repository:" + reqs[i].project->path + ":" + reqs[i].actions);
      }
      q.actions = SplitActions(reqs[i].actions);
      q.facts = &facts[i];
      if (i == 0) q.matched = first_matched;
      rr.push_back(std::move(q));
    }
    const Facts& f = facts[0];
    Decision d = Decide(m_.rules, f, rr);

    Case c;
    const std::string subject = s.Name();
    c.id = m_.id_prefix + "/" + f.kind + "/" + subject + "/";
    if (reqs[0].project == nullptr) {
      c.id += "registry-catalog";
    } else {
      c.id += reqs[0].project->path + "/" + ActionIdSegment(reqs[0].actions);
      if (reqs.size() > 1) {
        c.id += "/and-" + ActionIdSegment(reqs[1].actions) + "-" + encoding;
      }
    }
    c.layer = Layer::kTokenEndpoint;
    c.profiles = m_.profiles;
    c.tags = m_.tags;
    if (f.state != "active" || d.outcome == Outcome::kUnauthorized) {
      c.tags.push_back("bad-credentials");
    }
    if (reqs[0].project == nullptr) c.tags.push_back("catalog");
    if (reqs.size() > 1) c.tags.push_back("multi-scope");

    c.dims.credential_kind = f.kind;
    c.dims.credential_state = f.state;
    c.dims.scopes = Join(f.scopes, "+");
    if (ActsAsUser(f)) c.dims.role = f.user_admin ? "admin" : f.role;
    if (f.resource == "repository") {
      c.dims.visibility = f.visibility;
      c.dims.registry_access = f.registry_access;
    }
    if (f.relation != "n/a") c.dims.relation = f.relation;
    c.dims.actions = reqs[0].actions;

    // Requirement and source: the deciding rules, first cited first.
    std::vector<std::string> sources;
    for (const Rule* rule : d.rules) {
      if (!c.requirement.empty()) c.requirement += " ";
      c.requirement += rule->requirement;
      if (std::find(sources.begin(), sources.end(), rule->source) == sources.end()) {
        sources.push_back(rule->source);
      }
      for (const GitLabSource& g : rule->gitlab_sources) {
        if (std::find(c.gitlab_sources.begin(), c.gitlab_sources.end(), g) ==
            c.gitlab_sources.end()) {
          c.gitlab_sources.push_back(g);
        }
      }
      for (const GitLabSpecCitation& g : rule->gitlab_specs) {
        if (std::find(c.gitlab_specs.begin(), c.gitlab_specs.end(), g) == c.gitlab_specs.end()) {
          c.gitlab_specs.push_back(g);
        }
      }
    }
    c.source = Join(sources, "; ");

    // Title: who asks what, and the expected answer.
    std::string who = subject;
    if (!s.anonymous()) {
      who += " (" + f.kind;
      if (!c.dims.role.empty()) who += ", " + c.dims.role;
      who += ")";
    }
    std::string what;
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      if (i > 0) what += " and ";
      what += reqs[i].project == nullptr ? m_.catalog_scope
                                         : reqs[i].actions + " on " + reqs[i].project->path;
    }
    if (reqs.size() > 1) what += encoding == "space_joined" ? " (one scope=)" : " (two scope=)";
    std::string answer = std::string(OutcomeName(d.outcome));
    if (d.outcome == Outcome::kGranted) {
      std::string granted;
      for (const auto& a : d.access) {
        if (!granted.empty()) granted += " ";
        granted += a.name + ":" + Join(a.actions, ",");
      }
      answer += " [" + granted + "]";
      if (!d.informational.empty()) answer += " (+informational)";
    }
    c.title = who + " asks " + what + ": " + answer;

    TokenRequestStep request;
    if (!s.anonymous()) request.credential = s.credential->id;
    if (s.mutation != Mutation::kNone) request.mutate = std::string(MutationName(s.mutation));
    request.scopes = std::move(scopes);
    request.scope_encoding = encoding;
    c.steps.push_back(Step{StepKind::kTokenRequest, std::move(request), ""});

    // The expectation, typed for the judge and as JSON for reports and CaseToJson.
    c.expectation.layer = Layer::kTokenEndpoint;
    c.expectation.token.outcome = d.outcome;
    if (d.outcome == Outcome::kGranted) {
      for (const auto& a : d.access) {
        c.expectation.token.access.push_back({a.type, a.name, a.actions});
      }
      for (const auto& i : d.informational) {
        c.expectation.token.informational.push_back({i.type, i.name, i.action, i.reason});
      }
    }
    Json expect = Json::object();
    expect["outcome"] = std::string(OutcomeName(d.outcome));
    if (d.outcome == Outcome::kGranted) {
      Json access = Json::array();
      for (const auto& a : d.access) {
        access.push_back({{"type", a.type}, {"name", a.name}, {"actions", a.actions}});
      }
      expect["access"] = std::move(access);
      if (!d.informational.empty()) {
        Json info = Json::array();
        for (const auto& i : d.informational) {
          info.push_back(
              {{"type", i.type}, {"name", i.name}, {"action", i.action}, {"reason", i.reason}});
        }
        expect["informational"] = std::move(info);
      }
    }
    c.expect = std::move(expect);
    cases_.push_back(std::move(c));
  }

  const Matrix& m_;
  const p::World& w_;
  std::vector<const p::Project*> all_projects_;
  std::unordered_map<const p::Project*, Facts> project_facts_;
  std::vector<Case> cases_;
};

}  // namespace

std::string SubjectOutcome(const RuleSet& rules, const Facts& facts) {
  for (const Rule& rule : rules.authentication) {
    if (Evaluate(rule.when, facts, rules)) return rule.outcome;
  }
  for (const Rule& rule : rules.gates) {
    if (Evaluate(rule.when, facts, rules)) return rule.outcome;
  }
  return "";
}

std::string ActionIdSegment(std::string_view actions) {
  std::string out;
  for (const char c : actions) {
    if (c == '*') {
      out += "star";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> SplitActions(std::string_view actions) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = actions.find(',', start);
    out.emplace_back(actions.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

LoadResult<Matrix> ParseMatrix(const nlohmann::json& doc, const std::string& file) {
  DataReader r(file);
  auto fail = [&]() { return protocol::Unexpected<LoadError>(r.error()); };
  std::vector<std::string> top(kTopMembers.begin(), kTopMembers.end());
  if (!r.Object(doc, "", top)) return fail();
  Matrix m;
  m.file = file;
  std::string layer = "token-endpoint";
  if (!r.RequiredString(doc, "", "name", &m.name) ||
      !r.RequiredString(doc, "", "id_prefix", &m.id_prefix) ||
      !r.OptionalEnum(doc, "", "layer", {"token-endpoint"}, &layer) ||
      !r.OptionalStringList(doc, "", "profiles", &m.profiles) ||
      !r.OptionalStringList(doc, "", "tags", &m.tags)) {
    return fail();
  }
  if (m.id_prefix.find_first_of("*?[]/") != std::string::npos) {
    return MakeLoadError(LoadErrorCode::kBadValue, file, "/id_prefix",
                         "expected one id segment without '/' or glob characters");
  }
  auto rules = LoadRuleSet(doc, file);
  if (!rules) return protocol::Unexpected<LoadError>(rules.error());
  m.rules = std::move(*rules);
  if (auto it = doc.find("subjects"); it != doc.end() && !ParseSubjects(r, *it, &m)) {
    return fail();
  }
  auto requests = doc.find("requests");
  if (requests == doc.end()) {
    return MakeLoadError(LoadErrorCode::kMissingMember, file, "/requests",
                         "required member is missing");
  }
  if (!ParseRequests(r, *requests, &m)) return fail();
  if (auto it = doc.find("reduce"); it != doc.end() && !ParseReduce(r, *it, &m)) return fail();
  return m;
}

LoadResult<Matrix> LoadMatrixFile(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return protocol::Unexpected<LoadError>(text.error());
  auto doc = ParseDataFile(*text, path);
  if (!doc) return protocol::Unexpected<LoadError>(doc.error());
  return ParseMatrix(*doc, path);
}

LoadResult<std::vector<Matrix>> LoadMatrixDir(const std::string& dir) {
  auto files = ListJsonFiles(dir);
  if (!files) return protocol::Unexpected<LoadError>(files.error());
  std::vector<Matrix> out;
  for (const auto& f : *files) {
    auto m = LoadMatrixFile(f);
    if (!m) return protocol::Unexpected<LoadError>(m.error());
    out.push_back(std::move(*m));
  }
  return out;
}

LoadResult<std::vector<Case>> ExpandMatrix(const Matrix& matrix, const protocol::World& world) {
  return Expander(matrix, world).Run();
}

}  // namespace regauth::harness
