#include "harness/suite/grid.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "harness/suite/case_loader.h"
#include "harness/suite/step_fields.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kRepositoryRef = "${grid.repository}";
constexpr std::string_view kStatusRef = "${grid.status}";
// The save_as names of the tokens a grid forges (grid.h "steps").
constexpr std::string_view kCellToken = "t";
constexpr std::string_view kSetupToken = "setup";

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// Forward records an error returned by another loader in `r`.
bool Forward(DataReader& r, const LoadError& e) { return r.Fail(e.code, e.pointer, e.message); }

// IsNameSegment: [a-z0-9]+(-[a-z0-9]+)* — an access or request name, one id segment.
bool IsNameSegment(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '-') {
      if (s[i - 1] == '-') return false;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

// IsIdPrefix: '/'-separated non-empty segments without glob characters (cases/README.md
// "Case ids").
bool IsIdPrefix(std::string_view s) {
  if (s.empty() || s.front() == '/' || s.back() == '/' || s.find("//") != std::string_view::npos) {
    return false;
  }
  return s.find_first_of("*?[]") == std::string_view::npos;
}

// CheckGridRefs requires every ${grid.…} reference in the strings of `v` to be one of `allowed`.
bool CheckGridRefs(DataReader& r, const Json& v, const std::string& ptr,
                   std::initializer_list<std::string_view> allowed) {
  if (v.is_object()) {
    for (const auto& [k, member] : v.items()) {
      if (!CheckGridRefs(r, member, PointerAppend(ptr, k), allowed)) return false;
    }
    return true;
  }
  if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!CheckGridRefs(r, v[i], PointerAppend(ptr, i), allowed)) return false;
    }
    return true;
  }
  if (!v.is_string()) return true;
  const std::string& s = v.get_ref<const std::string&>();
  for (std::size_t pos = s.find("${grid."); pos != std::string::npos;
       pos = s.find("${grid.", pos + 1)) {
    const std::size_t end = s.find('}', pos);
    const std::string ref = s.substr(pos, end == std::string::npos ? end : end - pos + 1);
    if (std::find(allowed.begin(), allowed.end(), ref) == allowed.end()) {
      std::vector<std::string_view> names(allowed);
      return r.Fail(LoadErrorCode::kUnknownName, ptr,
                    "unknown grid reference " + ref + "; expected " + JoinNames(names));
    }
  }
  return true;
}

// Substitute replaces `ref` by `value` in every string of `v`.
void Substitute(Json& v, std::string_view ref, const std::string& value) {
  if (v.is_object() || v.is_array()) {
    for (auto& member : v) Substitute(member, ref, value);
    return;
  }
  if (!v.is_string()) return;
  std::string& s = v.get_ref<std::string&>();
  for (std::size_t pos = s.find(ref); pos != std::string::npos; pos = s.find(ref, pos)) {
    s.replace(pos, ref.size(), value);
    pos += value.size();
  }
}

// ReadStatusText names the literal statuses of an authorized expectation, for titles.
bool ReadStatusText(DataReader& r, const Json& authorized, const std::string& ptr,
                    std::string* out) {
  auto status = authorized.find("status");
  if (status == authorized.end()) {
    return r.Fail(LoadErrorCode::kMissingMember, ptr + "/status",
                  "required member is missing (the statuses name the cells' titles)");
  }
  std::vector<std::string> statuses;
  if (status->is_number_integer()) statuses.push_back(std::to_string(status->get<int64_t>()));
  if (status->is_array()) {
    for (const auto& s : *status) statuses.push_back(std::to_string(s.get<int64_t>()));
  }
  if (statuses.empty()) {
    return r.Fail(LoadErrorCode::kWrongType, ptr + "/status",
                  "expected a status or an array of statuses: they name the cells' titles");
  }
  *out = Join(statuses, " or ");
  return true;
}

bool ParseToken(DataReader& r, const Json& doc, Grid* g) {
  auto token = doc.find("token");
  if (token == doc.end()) {
    return r.Fail(LoadErrorCode::kMissingMember, "/token",
                  "required member is missing (the forge_token parameters of every token)");
  }
  if (!r.IsObject(*token, "/token")) return false;
  for (const char* member : {"step", "save_as"}) {
    if (token->contains(member)) {
      return r.Fail(LoadErrorCode::kUnknownMember, PointerAppend("/token", member),
                    "unknown member: the grid names its tokens (`t` per cell, `setup`)");
    }
  }
  StepParams params;
  if (!ParseStepParams(r, StepKind::kForgeToken, *token, "/token", &params)) return false;
  auto claims = token->find("claims");
  if (claims == token->end() || !claims->is_object()) {
    return r.Fail(
        claims == token->end() ? LoadErrorCode::kMissingMember : LoadErrorCode::kWrongType,
        "/token/claims", "expected the claims object (its access is set per cell)");
  }
  if (claims->contains("access")) {
    return r.Fail(LoadErrorCode::kUnknownMember, "/token/claims/access",
                  "unknown member: the access claim is set per cell (the access's actions on "
                  "the cell's repository)");
  }
  if (!CheckGridRefs(r, *token, "/token", {kRepositoryRef})) return false;
  g->token = *token;
  return true;
}

bool ParseAccesses(DataReader& r, const Json& doc, Grid* g) {
  auto accesses = doc.find("accesses");
  if (accesses == doc.end()) {
    return r.Fail(LoadErrorCode::kMissingMember, "/accesses", "required member is missing");
  }
  if (!r.IsArray(*accesses, "/accesses")) return false;
  if (accesses->empty())
    return r.Fail(LoadErrorCode::kBadValue, "/accesses", "expected a non-empty array");
  std::set<std::string> names;
  for (std::size_t i = 0; i < accesses->size(); ++i) {
    const std::string ptr = PointerAppend("/accesses", i);
    const Json& v = (*accesses)[i];
    GridAccess a;
    if (!r.Object(v, ptr, {"name", "actions", "title", "dimension"}) ||
        !r.RequiredString(v, ptr, "name", &a.name)) {
      return false;
    }
    if (!IsNameSegment(a.name)) {
      return r.Fail(LoadErrorCode::kBadValue, ptr + "/name",
                    "expected an id segment: lower-case words joined by '-'");
    }
    if (!names.insert(a.name).second) {
      return r.Fail(LoadErrorCode::kDuplicate, ptr + "/name", "access name used twice");
    }
    auto actions = v.find("actions");
    if (actions == v.end()) {
      return r.Fail(LoadErrorCode::kMissingMember, ptr + "/actions", "required member is missing");
    }
    if (!r.StringList(*actions, ptr + "/actions", &a.actions)) return false;
    a.title = a.dimension = Join(a.actions, ",");
    if (a.actions.empty()) {
      for (const char* member : {"title", "dimension"}) {
        if (!v.contains(member)) {
          return r.Fail(LoadErrorCode::kMissingMember, PointerAppend(ptr, member),
                        "required member is missing (an access without actions names itself)");
        }
      }
    }
    if (!r.OptionalString(v, ptr, "title", &a.title) ||
        !r.OptionalString(v, ptr, "dimension", &a.dimension)) {
      return false;
    }
    g->accesses.push_back(std::move(a));
  }
  return true;
}

bool ParseResources(DataReader& r, const Json& v, const std::string& ptr,
                    std::vector<GridResource>* out) {
  if (!r.IsArray(v, ptr)) return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string eptr = PointerAppend(ptr, i);
    GridResource res;
    if (!r.Object(v[i], eptr, {"type", "name", "actions"})) return false;
    auto type = v[i].find("type");
    if (type == v[i].end()) {
      return r.Fail(LoadErrorCode::kMissingMember, eptr + "/type", "required member is missing");
    }
    if (!r.Enum(*type, eptr + "/type", {"repository", "registry"}, &res.type) ||
        !r.OptionalString(v[i], eptr, "name", &res.name)) {
      return false;
    }
    auto actions = v[i].find("actions");
    if (actions == v[i].end()) {
      return r.Fail(LoadErrorCode::kMissingMember, eptr + "/actions", "required member is missing");
    }
    if (!r.StringList(*actions, eptr + "/actions", &res.actions)) return false;
    if (res.actions.empty()) {
      return r.Fail(LoadErrorCode::kBadValue, eptr + "/actions", "expected a non-empty array");
    }
    if (!CheckGridRefs(r, v[i], eptr, {kRepositoryRef})) return false;
    out->push_back(std::move(res));
  }
  return true;
}

bool ParseSetup(DataReader& r, const Json& v, const std::string& ptr, GridRequest* q) {
  if (!r.IsArray(v, ptr)) return false;
  std::set<std::string> saved;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string sptr = PointerAppend(ptr, i);
    auto step = ParseStep(v[i], r.file(), sptr);
    if (!step) return Forward(r, step.error());
    if (step->save_as == kCellToken || step->save_as == kSetupToken) {
      return r.Fail(LoadErrorCode::kBadValue, sptr + "/save_as",
                    "`t` and `setup` name the grid's tokens");
    }
    if (!step->save_as.empty() && !saved.insert(step->save_as).second) {
      return r.Fail(LoadErrorCode::kDuplicate, sptr + "/save_as",
                    "save_as name used by an earlier step");
    }
    if (!CheckGridRefs(r, v[i], sptr, {kRepositoryRef})) return false;
  }
  q->setup = v;
  return true;
}

bool ParseJudgedRequest(DataReader& r, const Json& v, const std::string& ptr, GridRequest* q) {
  if (!r.IsObject(v, ptr)) return false;
  for (const char* member : {"step", "save_as", "token", "authorization"}) {
    if (v.contains(member)) {
      return r.Fail(LoadErrorCode::kUnknownMember, PointerAppend(ptr, member),
                    "unknown member: the judged request is a registry_request that sends the "
                    "cell's token");
    }
  }
  StepParams params;
  if (!ParseStepParams(r, StepKind::kRegistryRequest, v, ptr, &params) ||
      !CheckGridRefs(r, v, ptr, {kRepositoryRef})) {
    return false;
  }
  q->request = v;
  return true;
}

bool ParseAuthorized(DataReader& r, const Json& v, const std::string& ptr, GridRequest* q) {
  auto e = ParseExpectation(v, Layer::kRegistry, r.file(), ptr);
  if (!e) return Forward(r, e.error());
  if (v.contains("implementation_defined")) {
    return r.Fail(LoadErrorCode::kUnknownMember, ptr + "/implementation_defined",
                  "unknown member: a rule may put the authorized expectation inside its "
                  "implementation_defined, which does not nest");
  }
  if (!ReadStatusText(r, v, ptr, &q->status) || !CheckGridRefs(r, v, ptr, {kRepositoryRef})) {
    return false;
  }
  q->authorized = v;
  return true;
}

bool ParseRequests(DataReader& r, const Json& doc, Grid* g) {
  auto requests = doc.find("requests");
  if (requests == doc.end()) {
    return r.Fail(LoadErrorCode::kMissingMember, "/requests", "required member is missing");
  }
  if (!r.IsArray(*requests, "/requests")) return false;
  if (requests->empty())
    return r.Fail(LoadErrorCode::kBadValue, "/requests", "expected a non-empty array");
  std::set<std::string> names;
  for (std::size_t i = 0; i < requests->size(); ++i) {
    const std::string ptr = PointerAppend("/requests", i);
    const Json& v = (*requests)[i];
    GridRequest q;
    q.pointer = ptr;
    if (!r.Object(v, ptr,
                  {"name", "title", "requires", "setup_token", "setup", "request", "authorized"}) ||
        !r.RequiredString(v, ptr, "name", &q.name) ||
        !r.RequiredString(v, ptr, "title", &q.title)) {
      return false;
    }
    if (!IsNameSegment(q.name)) {
      return r.Fail(LoadErrorCode::kBadValue, ptr + "/name",
                    "expected an id segment: lower-case words joined by '-'");
    }
    if (!names.insert(q.name).second) {
      return r.Fail(LoadErrorCode::kDuplicate, ptr + "/name", "request name used twice");
    }
    for (const char* member : {"requires", "request", "authorized"}) {
      if (!v.contains(member)) {
        return r.Fail(LoadErrorCode::kMissingMember, PointerAppend(ptr, member),
                      "required member is missing");
      }
    }
    if (!ParseResources(r, v["requires"], ptr + "/requires", &q.required)) return false;
    if (auto it = v.find("setup_token"); it != v.end()) {
      std::vector<std::string> actions;
      if (!r.StringList(*it, ptr + "/setup_token", &actions)) return false;
      q.setup_token = std::move(actions);
    }
    if (auto it = v.find("setup"); it != v.end() && !ParseSetup(r, *it, ptr + "/setup", &q)) {
      return false;
    }
    if (!ParseJudgedRequest(r, v["request"], ptr + "/request", &q) ||
        !ParseAuthorized(r, v["authorized"], ptr + "/authorized", &q)) {
      return false;
    }
    g->requests.push_back(std::move(q));
  }
  return true;
}

bool ParseCondition(DataReader& r, const Json& v, const std::string& ptr, GridCondition* out) {
  if (!r.Object(v, ptr, {"granted", "requires", "resource"})) return false;
  bool any = false;
  if (auto it = v.find("granted"); it != v.end()) {
    std::vector<std::string> actions;
    if (!r.StringList(*it, ptr + "/granted", &actions)) return false;
    out->granted = std::move(actions);
    any = true;
  }
  if (auto it = v.find("requires"); it != v.end()) {
    std::vector<std::string> actions;
    if (!r.StringList(*it, ptr + "/requires", &actions)) return false;
    out->required = std::move(actions);
    any = true;
  }
  if (auto it = v.find("resource"); it != v.end()) {
    if (!r.Enum(*it, ptr + "/resource", {"repository", "registry"}, &out->resource)) return false;
    any = true;
  }
  if (!any) {
    return r.Fail(LoadErrorCode::kBadValue, ptr,
                  "expected at least one of granted, requires, resource");
  }
  return true;
}

bool ParseRule(DataReader& r, const Json& v, const std::string& ptr, GridRule* rule) {
  rule->pointer = ptr;
  if (!r.Object(v, ptr, {"when", "key", "by_value", "base", "title", "tags"})) return false;
  auto when = v.find("when");
  if (when == v.end()) {
    return r.Fail(LoadErrorCode::kMissingMember, ptr + "/when", "required member is missing");
  }
  if (!ParseCondition(r, *when, ptr + "/when", &rule->when) ||
      !r.RequiredString(v, ptr, "key", &rule->key)) {
    return false;
  }
  auto by = v.find("by_value");
  if (by == v.end()) {
    return r.Fail(LoadErrorCode::kMissingMember, ptr + "/by_value",
                  "required member is missing (profile value → authorized | refused)");
  }
  if (!r.IsObject(*by, ptr + "/by_value")) return false;
  if (by->empty())
    return r.Fail(LoadErrorCode::kBadValue, ptr + "/by_value", "expected at least one value");
  for (const auto& [value, outcome] : by->items()) {
    std::string name;
    if (!r.Enum(outcome, PointerAppend(ptr + "/by_value", value), {"authorized", "refused"},
                &name)) {
      return false;
    }
    rule->by_value[value] = name == "authorized" ? GridOutcome::kAuthorized : GridOutcome::kRefused;
  }
  if (!r.RequiredString(v, ptr, "base", &rule->base)) return false;
  if (rule->by_value.find(rule->base) == rule->by_value.end()) {
    return r.Fail(LoadErrorCode::kUnknownName, ptr + "/base",
                  "expected one of the by_value values (distribution 2.8.2's)");
  }
  return r.RequiredString(v, ptr, "title", &rule->title) &&
         CheckGridRefs(r, v["title"], ptr + "/title", {kStatusRef}) &&
         r.OptionalStringList(v, ptr, "tags", &rule->tags);
}

bool ParseRules(DataReader& r, const Json& doc, Grid* g) {
  auto rules = doc.find("rules");
  if (rules == doc.end()) {
    return r.Fail(LoadErrorCode::kMissingMember, "/rules", "required member is missing");
  }
  if (!r.Object(*rules, "/rules", {"refused", "implementation_defined"})) return false;
  auto refused = rules->find("refused");
  if (refused == rules->end()) {
    return r.Fail(LoadErrorCode::kMissingMember, "/rules/refused", "required member is missing");
  }
  auto e = ParseExpectation(*refused, Layer::kRegistry, r.file(), "/rules/refused");
  if (!e) return Forward(r, e.error());
  auto challenge = refused->find("challenge");
  if (challenge == refused->end()) {
    return r.Fail(LoadErrorCode::kMissingMember, "/rules/refused/challenge",
                  "required member is missing (its scope is set per cell)");
  }
  if (!challenge->is_object()) {
    return r.Fail(LoadErrorCode::kWrongType, "/rules/refused/challenge",
                  "expected an object (its scope is set per cell)");
  }
  if (challenge->contains("scope")) {
    return r.Fail(LoadErrorCode::kUnknownMember, "/rules/refused/challenge/scope",
                  "unknown member: the scope is what the cell's request requires");
  }
  if (refused->contains("implementation_defined")) {
    return r.Fail(LoadErrorCode::kUnknownMember, "/rules/refused/implementation_defined",
                  "unknown member: a rule may put the refusal inside its implementation_defined, "
                  "which does not nest");
  }
  g->refused = *refused;
  if (auto it = rules->find("implementation_defined"); it != rules->end()) {
    if (!r.IsArray(*it, "/rules/implementation_defined")) return false;
    for (std::size_t i = 0; i < it->size(); ++i) {
      GridRule rule;
      if (!ParseRule(r, (*it)[i], PointerAppend("/rules/implementation_defined", i), &rule)) {
        return false;
      }
      g->rules.push_back(std::move(rule));
    }
  }
  return true;
}

bool ParseCells(DataReader& r, const Json& doc, Grid* g) {
  auto cells = doc.find("cells");
  if (cells == doc.end()) return true;
  if (!r.IsObject(*cells, "/cells")) return false;
  for (const auto& [key, v] : cells->items()) {
    const std::string ptr = PointerAppend("/cells", key);
    const std::size_t slash = key.find('/');
    const std::string access = key.substr(0, slash);
    const std::string request = slash == std::string::npos ? "" : key.substr(slash + 1);
    const bool known = std::any_of(g->accesses.begin(), g->accesses.end(),
                                   [&](const GridAccess& a) { return a.name == access; }) &&
                       std::any_of(g->requests.begin(), g->requests.end(),
                                   [&](const GridRequest& q) { return q.name == request; });
    if (!known) {
      return r.Fail(LoadErrorCode::kUnknownName, ptr,
                    "expected <access>/<request> naming an access and a request of this grid");
    }
    GridCell cell;
    if (!r.Object(v, ptr, {"tags", "expect", "title", "reason"}) ||
        !r.OptionalStringList(v, ptr, "tags", &cell.tags)) {
      return false;
    }
    const bool overrides = v.contains("expect") || v.contains("title") || v.contains("reason");
    if (overrides) {
      for (const char* member : {"expect", "title", "reason"}) {
        if (!v.contains(member)) {
          return r.Fail(LoadErrorCode::kMissingMember, PointerAppend(ptr, member),
                        "required member is missing (an override states its expectation, its "
                        "title and why the cell departs from the rules)");
        }
      }
      auto e = ParseExpectation(v["expect"], Layer::kRegistry, r.file(), ptr + "/expect");
      if (!e) return Forward(r, e.error());
      if (!r.RequiredString(v, ptr, "title", &cell.title) ||
          !r.RequiredString(v, ptr, "reason", &cell.reason) ||
          !CheckGridRefs(r, v["expect"], ptr + "/expect", {kRepositoryRef}) ||
          !CheckGridRefs(r, v["title"], ptr + "/title", {kStatusRef})) {
        return false;
      }
      cell.expect = v["expect"];
    }
    g->cells.emplace(key, std::move(cell));
  }
  return true;
}

// ---- expansion ---------------------------------------------------------------------------

std::set<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// Cell is one (access, request) pair being expanded.
class Cell {
 public:
  Cell(const Grid& g, const GridAccess& a, const GridRequest& q)
      : g_(g),
        a_(a),
        q_(q),
        repository_(g.repository_prefix + "/" + a.name + "/" + q.name),
        key_(a.name + "/" + q.name) {}

  LoadResult<Case> Build() const {
    const Decision d = Decide();
    Json c = Json::object();
    c["id"] = g_.id_prefix + "/" + key_;
    c["title"] =
        "token with " + a_.title + " on " + repository_ + ": " + q_.title + " → " + d.outcome;
    c["layer"] = "registry";
    c["tags"] = d.tags;
    c["requirement"] = g_.requirement.text;
    c["source"] = g_.requirement.source;
    if (!g_.profiles.empty()) c["profiles"] = g_.profiles;
    if (!g_.needs.empty()) c["needs"] = g_.needs;
    if (!a_.dimension.empty()) c["dimensions"] = {{"actions", a_.dimension}};
    c["steps"] = Steps();
    c["expect"] = d.expect;
    auto loaded = CaseFromJson(c, g_.file, "");
    if (!loaded) {
      LoadError e = loaded.error();
      e.message = "the generated case " + c["id"].get<std::string>() +
                  " does not load: " + e.pointer + ": " + e.message;
      e.pointer = q_.pointer;
      return protocol::Unexpected<LoadError>(std::move(e));
    }
    loaded->requirement_id = g_.requirement.id;
    return loaded;
  }

 private:
  // Decision is what the rules (or the cell's override) make of the cell.
  struct Decision {
    Json expect;
    std::string outcome;  // the end of the title
    std::vector<std::string> tags;
  };

  Decision Decide() const {
    Decision d;
    d.tags = g_.tags;
    d.tags.push_back("access:" + a_.name);
    const auto cell = g_.cells.find(key_);
    if (cell != g_.cells.end() && cell->second.expect) {
      d.expect = Resolved(*cell->second.expect);
      d.outcome = WithStatus(cell->second.title);
    } else if (Covered()) {
      d.expect = Authorized();
      d.outcome =
          q_.required.empty() ? q_.status + " (any valid token)" : "authorized (" + q_.status + ")";
    } else if (const GridRule* rule = FirstRule()) {
      Json by_value = Json::object();
      for (const auto& [value, o] : rule->by_value) {
        by_value[value] = o == GridOutcome::kAuthorized ? Authorized() : Refused();
      }
      d.expect = {{"status", by_value[rule->base]["status"]},
                  {"implementation_defined", {{"key", rule->key}, {"by_value", by_value}}}};
      d.outcome = WithStatus(rule->title);
      d.tags.insert(d.tags.end(), rule->tags.begin(), rule->tags.end());
    } else {
      d.expect = Refused();
      d.outcome = "401 insufficient_scope";
    }
    if (cell != g_.cells.end()) {
      d.tags.insert(d.tags.end(), cell->second.tags.begin(), cell->second.tags.end());
    }
    return d;
  }

  // OnRepository: the resource is the cell's repository.
  bool OnRepository(const GridResource& res) const {
    return res.type == "repository" && (res.name.empty() || Resolved(res.name) == repository_);
  }

  // Covered: the cell's token grants every resource the request requires.
  bool Covered() const {
    const std::set<std::string> granted = AsSet(a_.actions);
    return std::all_of(q_.required.begin(), q_.required.end(), [&](const GridResource& res) {
      return OnRepository(res) &&
             std::all_of(res.actions.begin(), res.actions.end(),
                         [&](const std::string& x) { return granted.count(x) == 1; });
    });
  }

  bool Holds(const GridCondition& when) const {
    if (when.granted && AsSet(*when.granted) != AsSet(a_.actions)) return false;
    if (when.required) {
      std::set<std::string> on_repository;
      for (const auto& res : q_.required) {
        if (OnRepository(res)) on_repository.insert(res.actions.begin(), res.actions.end());
      }
      if (on_repository != AsSet(*when.required)) return false;
    }
    if (!when.resource.empty()) {
      if (q_.required.empty()) return false;
      for (const auto& res : q_.required) {
        if (res.type != when.resource) return false;
      }
    }
    return true;
  }

  const GridRule* FirstRule() const {
    for (const auto& rule : g_.rules) {
      if (Holds(rule.when)) return &rule;
    }
    return nullptr;
  }

  std::string Resolved(const std::string& s) const {
    Json j = s;
    Substitute(j, kRepositoryRef, repository_);
    return j.get<std::string>();
  }
  Json Resolved(Json j) const {
    Substitute(j, kRepositoryRef, repository_);
    return j;
  }
  std::string WithStatus(std::string s) const {
    Json j = std::move(s);
    Substitute(j, kStatusRef, q_.status);
    return j.get<std::string>();
  }

  Json Authorized() const { return Resolved(q_.authorized); }

  // Refused: the file's refusal with the scope the request requires; a HEAD answer has no body,
  // so no error_code (RFC 9110 §9.3.2).
  Json Refused() const {
    Json e = g_.refused;
    Json scope = Json::array();
    for (const auto& res : q_.required) {
      scope.push_back(res.type + ":" + (res.name.empty() ? repository_ : Resolved(res.name)) + ":" +
                      Join(res.actions, ","));
    }
    e["challenge"]["scope"] = std::move(scope);
    if (q_.request.value("method", "GET") == "HEAD") e.erase("error_code");
    return e;
  }

  Json Token(const std::vector<std::string>& actions, std::string_view save_as) const {
    Json entry = {{"type", "repository"}, {"name", repository_}, {"actions", actions}};
    Json access = Json::array();
    access.push_back(std::move(entry));
    Json t = Resolved(g_.token);
    t["claims"]["access"] = std::move(access);
    t["step"] = "forge_token";
    t["save_as"] = std::string(save_as);
    return t;
  }

  Json Steps() const {
    Json steps = Json::array();
    if (q_.setup_token) steps.push_back(Token(*q_.setup_token, kSetupToken));
    for (const auto& s : q_.setup) steps.push_back(Resolved(s));
    steps.push_back(Token(a_.actions, kCellToken));
    Json request = Resolved(q_.request);
    request["step"] = "registry_request";
    request["token"] = std::string(kCellToken);
    steps.push_back(std::move(request));
    return steps;
  }

  const Grid& g_;
  const GridAccess& a_;
  const GridRequest& q_;
  std::string repository_;
  std::string key_;
};

}  // namespace

LoadResult<Grid> ParseGrid(const nlohmann::json& doc, const std::string& file,
                           const Requirements& requirements) {
  DataReader r(file);
  auto fail = [&]() { return protocol::Unexpected<LoadError>(r.error()); };
  Grid g;
  g.file = file;
  if (!r.Object(doc, "",
                {"id_prefix", "repository_prefix", "tags", "profiles", "needs", "requirement",
                 "source", "token", "accesses", "requests", "rules", "cells"}) ||
      !r.RequiredString(doc, "", "id_prefix", &g.id_prefix) ||
      !r.RequiredString(doc, "", "repository_prefix", &g.repository_prefix) ||
      !r.OptionalStringList(doc, "", "tags", &g.tags) ||
      !r.OptionalStringList(doc, "", "profiles", &g.profiles) ||
      !r.OptionalStringList(doc, "", "needs", &g.needs)) {
    return fail();
  }
  if (!IsIdPrefix(g.id_prefix)) {
    return MakeLoadError(LoadErrorCode::kBadValue, file, "/id_prefix",
                         "expected '/'-separated non-empty id segments without glob characters");
  }
  if (!ReadRequirement(r, doc, "", nullptr, "", requirements, &g.requirement) ||
      !ParseToken(r, doc, &g) || !ParseAccesses(r, doc, &g) || !ParseRequests(r, doc, &g) ||
      !ParseRules(r, doc, &g) || !ParseCells(r, doc, &g)) {
    return fail();
  }
  return g;
}

LoadResult<Grid> LoadGridFile(const std::string& path, const Requirements& requirements) {
  auto text = ReadTextFile(path);
  if (!text) return protocol::Unexpected<LoadError>(text.error());
  auto doc = ParseDataFile(*text, path);
  if (!doc) return protocol::Unexpected<LoadError>(doc.error());
  return ParseGrid(*doc, path, requirements);
}

LoadResult<std::vector<Grid>> LoadGridDir(const std::string& dir,
                                          const Requirements& requirements) {
  auto files = ListJsonFiles(dir);
  if (!files) return protocol::Unexpected<LoadError>(files.error());
  std::vector<Grid> out;
  for (const auto& f : *files) {
    auto g = LoadGridFile(f, requirements);
    if (!g) return protocol::Unexpected<LoadError>(g.error());
    out.push_back(std::move(*g));
  }
  return out;
}

LoadResult<std::vector<Case>> ExpandGrid(const Grid& grid) {
  std::vector<Case> out;
  out.reserve(grid.accesses.size() * grid.requests.size());
  for (const GridAccess& a : grid.accesses) {
    for (const GridRequest& q : grid.requests) {
      auto c = Cell(grid, a, q).Build();
      if (!c) return protocol::Unexpected<LoadError>(c.error());
      out.push_back(std::move(*c));
    }
  }
  if (auto dup = CheckUniqueIds(out)) {
    return MakeLoadError(LoadErrorCode::kDuplicate, grid.file, "", dup->message);
  }
  return out;
}

}  // namespace regauth::harness
