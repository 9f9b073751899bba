#include "harness/suite/rules.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

// A minimal rules document; tests patch members into it.
Json BaseDoc() {
  return Json::parse(R"({
    "abilities": {
      "by_kind": {"anonymous": ["read_container_image"], "job_token": ["build_read_container_image"]},
      "by_scope": {"read_registry": ["read_container_image"], "write_registry": ["create_container_image"],
                   "api": ["read_container_image", "create_container_image", "admin_container_image"]}
    },
    "predicates": {
      "user_actor": {"kind": ["password", "personal_access_token"]},
      "reader": {"ref": "user_actor", "has_ability": "read_container_image"}
    },
    "denied": {"requirement": "denied", "source": "test"}
  })");
}

struct LoadErrorCase {
  const char* label;
  const char* pointer;  // member of BaseDoc to replace (a JSON pointer)
  const char* value;    // JSON text
  LoadErrorCode code;
  const char* want_pointer;
};
REGAUTH_PRINT_LABEL(LoadErrorCase)

class RulesLoadErrors : public ::testing::TestWithParam<LoadErrorCase> {};

// cases/README.md: every file is validated on load; the error names the JSON pointer.
TEST_P(RulesLoadErrors, ReportsPointerAndCode) {
  const auto& c = GetParam();
  Json doc = BaseDoc();
  doc[Json::json_pointer(c.pointer)] = Json::parse(c.value);
  auto r = LoadRuleSet(doc, "m.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, c.code) << r.error().message;
  EXPECT_EQ(r.error().pointer, c.want_pointer) << r.error().message;
  EXPECT_EQ(r.error().file, "m.json");
}

const LoadErrorCase kLoadErrors[] = {
    {"unknown fact", "/grants", R"([{"when": {"visiblity": "public"}, "actions": ["pull"],
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kUnknownName, "/grants/0/when/visiblity"},
    {"unknown enum value", "/grants", R"([{"when": {"visibility": "secret"}, "actions": ["pull"],
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kBadEnumValue, "/grants/0/when/visibility"},
    {"enum in list", "/grants", R"([{"when": {"role": ["guest", "gest"]}, "actions": ["pull"],
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kBadEnumValue, "/grants/0/when/role/1"},
    {"bool fact with string", "/gates", R"([{"when": {"archived": "yes"}, "outcome": "forbidden",
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kWrongType, "/gates/0/when/archived"},
    {"set fact equality", "/gates", R"([{"when": {"scopes": "api"}, "outcome": "forbidden",
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kBadValue, "/gates/0/when/scopes"},
    {"admin_counts alone", "/grants", R"([{"when": {"admin_counts": true}, "actions": ["pull"],
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kBadValue, "/grants/0/when/admin_counts"},
    {"role_at_least bad role", "/grants", R"([{"when": {"role_at_least": "admin"},
      "actions": ["pull"], "requirement": "r", "source": "s"}])",
     LoadErrorCode::kBadEnumValue, "/grants/0/when/role_at_least"},
    {"access_empty outside after_grants", "/gates", R"([{"when": {"access_empty": true},
      "outcome": "forbidden", "requirement": "r", "source": "s"}])",
     LoadErrorCode::kUnknownName, "/gates/0/when/access_empty"},
    {"granted_any outside after_grants", "/grants", R"([{"when": {"granted_any": ["push"]},
      "actions": ["pull"], "requirement": "r", "source": "s"}])",
     LoadErrorCode::kUnknownName, "/grants/0/when/granted_any"},
    {"unknown ability", "/grants", R"([{"when": {"has_ability": "fly"}, "actions": ["pull"],
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kUnknownName, "/grants/0/when/has_ability"},
    {"unknown predicate", "/grants", R"([{"when": {"ref": "nobody"}, "actions": ["pull"],
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kUnknownName, "/grants/0/when/ref"},
    {"empty any", "/grants", R"([{"when": {"any": []}, "actions": ["pull"],
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kBadValue, "/grants/0/when/any"},
    {"missing requirement", "/grants", R"([{"when": {}, "actions": ["pull"], "source": "s"}])",
     LoadErrorCode::kMissingMember, "/grants/0/requirement"},
    {"missing source", "/authentication", R"([{"when": {}, "outcome": "unauthorized",
      "requirement": "r"}])",
     LoadErrorCode::kMissingMember, "/authentication/0/source"},
    {"gate outcome unknown", "/gates", R"([{"when": {}, "outcome": "teapot",
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kBadEnumValue, "/gates/0/outcome"},
    {"grant member typo", "/grants", R"([{"when": {}, "action": ["pull"],
      "requirement": "r", "source": "s"}])",
     LoadErrorCode::kUnknownMember, "/grants/0/action"},
    {"informational grant without reason", "/grants", R"([{"when": {}, "actions": ["pull"],
      "certainty": "informational", "requirement": "r", "source": "s"}])",
     LoadErrorCode::kMissingMember, "/grants/0/reason"},
    {"uncertain without reason", "/uncertain", R"([{"when": {}, "requirement": "r",
      "source": "s"}])",
     LoadErrorCode::kMissingMember, "/uncertain/0/reason"},
    {"abilities unknown kind", "/abilities/by_kind", R"({"robot": []})",
     LoadErrorCode::kBadEnumValue, "/abilities/by_kind/robot"},
    {"predicate cycle", "/predicates", R"({"a": {"ref": "b"}, "b": {"not": {"ref": "a"}}})",
     LoadErrorCode::kBadValue, "/predicates/a"},
    {"stage not an array", "/grants", R"({})", LoadErrorCode::kWrongType, "/grants"},
};

INSTANTIATE_TEST_SUITE_P(Table, RulesLoadErrors, ::testing::ValuesIn(kLoadErrors),
                         testing_support::LabelName());

// The denied statement is required: it is cited for every denied action.
TEST(RulesLoad, RequiresDenied) {
  Json doc = BaseDoc();
  doc.erase("denied");
  auto r = LoadRuleSet(doc, "m.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().pointer, "/denied");
}

RuleSet Load(const Json& doc) {
  auto r = LoadRuleSet(doc, "m.json");
  EXPECT_TRUE(r.has_value()) << (r ? "" : DescribeLoadError(r.error()));
  return std::move(*r);
}

Condition Cond(const RuleSet& rules, const char* text, bool access_empty = false) {
  auto c = ParseCondition(Json::parse(text), "m.json", "/c", rules, access_empty);
  EXPECT_TRUE(c.has_value()) << (c ? "" : DescribeLoadError(c.error()));
  return *c;
}

struct EvalCase {
  const char* label;
  const char* condition;
  bool want;
};
REGAUTH_PRINT_LABEL(EvalCase)

class RulesEvaluate : public ::testing::TestWithParam<EvalCase> {};

// cases/README.md "Conditions": each operator on a fixed set of facts.
TEST_P(RulesEvaluate, EvaluatesOperator) {
  RuleSet rules = Load(BaseDoc());
  Facts f;
  f.kind = "personal_access_token";
  f.scopes = {"read_registry", "write_registry"};
  FillAbilities(rules, &f);
  f.role = "reporter";
  f.visibility = "private";
  f.registry_access = "enabled";
  f.user_admin = false;
  f.archived = true;
  EXPECT_EQ(Evaluate(Cond(rules, GetParam().condition, true), f, rules, true), GetParam().want);
}

const EvalCase kEvalCases[] = {
    {"empty object holds", "{}", true},
    {"enum equality", R"({"visibility": "private"})", true},
    {"enum mismatch", R"({"visibility": "public"})", false},
    {"enum any of", R"({"visibility": ["public", "private"]})", true},
    {"bool equality", R"({"archived": true})", true},
    {"members are and-ed", R"({"archived": true, "visibility": "public"})", false},
    {"role at least equal", R"({"role_at_least": "reporter"})", true},
    {"role at least higher", R"({"role_at_least": "developer"})", false},
    {"role none is lowest", R"({"role_at_least": "none"})", true},
    {"admin_counts without admin", R"({"role_at_least": "owner", "admin_counts": true})", false},
    {"scopes_any", R"({"scopes_any": ["api", "write_registry"]})", true},
    {"scopes_all", R"({"scopes_all": ["read_registry", "api"]})", false},
    {"scopes_none", R"({"scopes_none": ["api"]})", true},
    {"has_ability from scope", R"({"has_ability": "create_container_image"})", true},
    {"has_ability absent", R"({"has_ability": "admin_container_image"})", false},
    {"has_any_ability", R"({"has_any_ability": ["admin_container_image", "read_container_image"]})",
     true},
    {"all", R"({"all": [{"archived": true}, {"role": "reporter"}]})", true},
    {"any", R"({"any": [{"archived": false}, {"role": "reporter"}]})", true},
    {"not", R"({"not": {"archived": true}})", false},
    {"ref", R"({"ref": "reader"})", true},
    {"access_empty", R"({"access_empty": true})", true},
};

INSTANTIATE_TEST_SUITE_P(Table, RulesEvaluate, ::testing::ValuesIn(kEvalCases),
                         testing_support::LabelName());

// Every flag and enum fact of the schema can be tested in a condition, and the condition reads
// the same member as Facts::Get (a fact added to the schema but not to the engine fails here).
TEST(RulesEvaluate, EveryFactIsUsableInAConditionAndAgreesWithGet) {
  RuleSet rules = Load(BaseDoc());
  Facts f;
  f.push_protection = "owner";
  f.protected_containers = "ga";
  f.relation = "member";
  for (const FactSpec& spec : FactSchema()) {
    if (spec.type == FactType::kSet) continue;
    const FactValue value = *f.Get(spec.name);
    Json cond = Json::object();
    if (spec.type == FactType::kBool) {
      cond[std::string(spec.name)] = std::get<bool>(value);
    } else {
      cond[std::string(spec.name)] = std::get<std::string>(value);
    }
    auto c = ParseCondition(cond, "m.json", "/c", rules, false);
    ASSERT_TRUE(c.has_value()) << spec.name;
    EXPECT_TRUE(Evaluate(*c, f, rules)) << spec.name;
  }
}

// granted_any (after_grants): the actions granted for sure on the first requested resource.
TEST(RulesEvaluate, GrantedAnyLooksAtTheFirstResourcesGrants) {
  RuleSet rules = Load(BaseDoc());
  Facts f;
  const Condition c = Cond(rules, R"({"granted_any": ["push", "*"]})", true);
  const std::vector<std::string> pull_push = {"pull", "push"};
  const std::vector<std::string> pull = {"pull"};
  EXPECT_TRUE(Evaluate(c, f, rules, false, &pull_push));
  EXPECT_FALSE(Evaluate(c, f, rules, false, &pull));
  EXPECT_FALSE(Evaluate(c, f, rules, true, nullptr));
}

// admin_counts: an admin counts above owner; without it, an admin's role is its membership.
TEST(RulesEvaluate, AdminCountsAboveOwnerOnlyWhenAsked) {
  RuleSet rules = Load(BaseDoc());
  Facts f;
  f.user_admin = true;
  f.role = "none";
  EXPECT_TRUE(
      Evaluate(Cond(rules, R"({"role_at_least": "owner", "admin_counts": true})"), f, rules));
  EXPECT_FALSE(Evaluate(Cond(rules, R"({"role_at_least": "guest"})"), f, rules));
}

// Abilities: fixed per kind, else the union over scopes; unknown scopes give nothing.
TEST(RulesAbilities, KindTableWinsElseScopeUnion) {
  RuleSet rules = Load(BaseDoc());
  Facts anon;
  FillAbilities(rules, &anon);
  EXPECT_EQ(anon.abilities, (std::vector<std::string>{"read_container_image"}));
  Facts pat;
  pat.kind = "personal_access_token";
  pat.scopes = {"api", "read_registry", "read_user"};
  FillAbilities(rules, &pat);
  EXPECT_EQ(pat.abilities,
            (std::vector<std::string>{"admin_container_image", "create_container_image",
                                      "read_container_image"}));
}

// A rules document exercising every stage.
Json StagedDoc() {
  Json doc = BaseDoc();
  doc["authentication"] = Json::parse(R"([
    {"when": {"state": "revoked"}, "outcome": "unauthorized", "requirement": "auth-rev", "source": "s1"}])");
  doc["gates"] = Json::parse(R"([
    {"when": {"not": {"has_any_ability": ["read_container_image", "create_container_image", "build_read_container_image"]}},
     "outcome": "forbidden", "requirement": "gate", "source": "s2"}])");
  doc["grants"] = Json::parse(R"([
    {"when": {"ref": "reader", "visibility": "public"}, "actions": ["pull"], "requirement": "pub", "source": "s3"},
    {"when": {"kind": "anonymous", "visibility": "public"}, "actions": ["pull"], "requirement": "anon", "source": "s4"},
    {"when": {"ref": "user_actor", "has_ability": "create_container_image", "role_at_least": "developer"},
     "actions": ["push"], "requirement": "push", "source": "s5"},
    {"when": {"ref": "user_actor", "visibility": "internal"}, "actions": ["pull"], "certainty": "informational",
     "reason": "sources disagree", "requirement": "maybe", "source": "s6"},
    {"resource": "catalog", "when": {"user_admin": true}, "actions": ["*"], "requirement": "cat", "source": "s7"}])");
  doc["uncertain"] = Json::parse(R"([
    {"when": {"pending_delete": true}, "reason": "untraced", "requirement": "unc", "source": "s8"}])");
  doc["after_grants"] = Json::parse(R"([
    {"when": {"kind": "anonymous", "access_empty": true}, "outcome": "forbidden", "requirement": "anon-empty", "source": "s9"}])");
  return doc;
}

Facts PatFacts(const RuleSet& rules, std::string visibility, std::string role) {
  Facts f;
  f.kind = "personal_access_token";
  f.scopes = {"read_registry", "write_registry"};
  f.visibility = std::move(visibility);
  f.registry_access = "enabled";
  f.role = std::move(role);
  FillAbilities(rules, &f);
  return f;
}

std::vector<std::string> Sources(const Decision& d) {
  std::vector<std::string> out;
  for (const Rule* r : d.rules) out.push_back(r->source);
  return out;
}

// Authentication is decided first; nothing is granted to a failed login.
TEST(RulesDecide, AuthenticationFirst) {
  RuleSet rules = Load(StagedDoc());
  Facts f = PatFacts(rules, "public", "developer");
  f.state = "revoked";
  Decision d = Decide(rules, f, {{"repository", "a/b", {"pull"}, &f}});
  EXPECT_EQ(d.outcome, Outcome::kUnauthorized);
  EXPECT_TRUE(d.access.empty());
  EXPECT_EQ(Sources(d), (std::vector<std::string>{"s1"}));
}

// Gates run before grants (token-auth.md §3.4 gate 2).
TEST(RulesDecide, GateBeforeGrants) {
  RuleSet rules = Load(StagedDoc());
  Facts f = PatFacts(rules, "public", "developer");
  f.scopes = {"read_user"};
  FillAbilities(rules, &f);
  Decision d = Decide(rules, f, {{"repository", "a/b", {"pull"}, &f}});
  EXPECT_EQ(d.outcome, Outcome::kForbidden);
  EXPECT_EQ(Sources(d), (std::vector<std::string>{"s2"}));
}

// Granted actions keep request order and duplicates; denied ones are dropped and the denied
// statement is cited.
TEST(RulesDecide, KeepsRequestOrderAndDuplicates) {
  RuleSet rules = Load(StagedDoc());
  Facts f = PatFacts(rules, "public", "developer");
  Decision d = Decide(rules, f, {{"repository", "a/b", {"push", "foo", "pull", "pull"}, &f}});
  EXPECT_EQ(d.outcome, Outcome::kGranted);
  ASSERT_EQ(d.access.size(), 1u);
  EXPECT_EQ(d.access[0].actions, (std::vector<std::string>{"push", "pull", "pull"}));
  EXPECT_EQ(Sources(d), (std::vector<std::string>{"s5", "s3", "test"}));
}

// A resource with nothing granted is omitted; an authenticated caller still gets a token.
TEST(RulesDecide, OmitsResourceWithNothingGranted) {
  RuleSet rules = Load(StagedDoc());
  Facts f = PatFacts(rules, "private", "reporter");
  Decision d = Decide(rules, f, {{"repository", "a/b", {"push"}, &f}});
  EXPECT_EQ(d.outcome, Outcome::kGranted);
  EXPECT_TRUE(d.access.empty());
}

// Informational grants are listed apart, once per action.
TEST(RulesDecide, InformationalGrantListedApart) {
  RuleSet rules = Load(StagedDoc());
  Facts f = PatFacts(rules, "internal", "reporter");
  Decision d = Decide(rules, f, {{"repository", "a/b", {"pull", "pull"}, &f}});
  EXPECT_TRUE(d.access.empty());
  ASSERT_EQ(d.informational.size(), 1u);
  EXPECT_EQ(d.informational[0].action, "pull");
  EXPECT_EQ(d.informational[0].reason, "sources disagree");
}

// uncertain turns sure grants into informational ones.
TEST(RulesDecide, UncertainDowngradesGrants) {
  RuleSet rules = Load(StagedDoc());
  Facts f = PatFacts(rules, "public", "developer");
  f.pending_delete = true;
  Decision d = Decide(rules, f, {{"repository", "a/b", {"pull", "push"}, &f}});
  EXPECT_TRUE(d.access.empty());
  ASSERT_EQ(d.informational.size(), 2u);
  EXPECT_EQ(d.informational[1].action, "push");
  EXPECT_EQ(d.informational[1].reason, "untraced");
}

// after_grants: an anonymous caller with nothing granted is refused (token-auth.md §3.4 gate 3).
TEST(RulesDecide, AnonymousWithNothingIsForbidden) {
  RuleSet rules = Load(StagedDoc());
  Facts f;
  f.visibility = "private";
  FillAbilities(rules, &f);
  Decision d = Decide(rules, f, {{"repository", "a/b", {"pull"}, &f}});
  EXPECT_EQ(d.outcome, Outcome::kForbidden);
  Facts pub = f;
  pub.visibility = "public";
  Decision ok = Decide(
      rules, f, {{"repository", "a/b", {"pull"}, &f}, {"repository", "c/d", {"pull"}, &pub}});
  EXPECT_EQ(ok.outcome, Outcome::kGranted);
  ASSERT_EQ(ok.access.size(), 1u);
  EXPECT_EQ(ok.access[0].name, "c/d");
}

// Grants name their resource type: catalog grants never apply to repositories and back.
TEST(RulesDecide, CatalogGrantsOnlyForCatalog) {
  RuleSet rules = Load(StagedDoc());
  Facts repo = PatFacts(rules, "private", "none");
  repo.user_admin = true;
  Facts cat = repo;
  cat.resource = "catalog";
  Decision d = Decide(rules, repo,
                      {{"repository", "a/b", {"*"}, &repo}, {"registry", "catalog", {"*"}, &cat}});
  ASSERT_EQ(d.access.size(), 1u);
  EXPECT_EQ(d.access[0].type, "registry");
  EXPECT_EQ(d.access[0].actions, (std::vector<std::string>{"*"}));
}

// Precomputed MatchRules give the same decision as computing them inside Decide.
TEST(RulesDecide, MatchedRulesAreEquivalent) {
  RuleSet rules = Load(StagedDoc());
  Facts f = PatFacts(rules, "public", "developer");
  MatchedRules m = MatchRules(rules, f);
  ResourceRequest with{"repository", "a/b", {"pull", "push"}, &f, &m};
  ResourceRequest without{"repository", "a/b", {"pull", "push"}, &f};
  EXPECT_EQ(Decide(rules, f, {with}).access[0].actions,
            Decide(rules, f, {without}).access[0].actions);
}

TEST(RulesOutcome, NamesRoundTrip) {
  for (Outcome o : {Outcome::kGranted, Outcome::kUnauthorized, Outcome::kForbidden,
                    Outcome::kNotFound, Outcome::kAnyBut5xx}) {
    EXPECT_EQ(ParseOutcome(OutcomeName(o)), o);
  }
  EXPECT_EQ(ParseOutcome("teapot"), std::nullopt);
}

}  // namespace
}  // namespace regauth::harness
