// case_loader.h — hand-written case files (cases/cases/*.json) and the JSON (de)serialisation of
// Case, Step and the declarative expectations (cases/README.md "Steps", "Expectations").
//
// A case file is {"defaults": {...}, "cases": [{...}, ...]}; each case has id, title, layer,
// tags, requirement, source, profiles, needs, dimensions, steps and expect. Everything is
// validated on load (unknown members, types, enum values, duplicate ids, step vocabulary and
// step parameters as documented, the expectation for the case's layer) with errors that name the
// file and a JSON pointer. CaseToJson/CaseFromJson round-trip a Case, so `regauth replay` and the
// matrix share one format.
//
// The typed expectation structs here are what the judge (harness/judge.h) evaluates.
//
// Usage:
//   auto cases = LoadCaseDir("cases/cases");            // LoadResult<std::vector<Case>>
//   auto e = ParseExpectation(c.expect, c.layer, "x.json", "/cases/3/expect");
//   nlohmann::json j = CaseToJson(c);
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/case.h"
#include "harness/data_file.h"
#include "harness/rules.h"
#include "protocol/world.h"

namespace regauth::harness {

// AccessEntry: one expected resource of a token's access claim.
struct AccessEntry {
  std::string type;
  std::string name;
  std::vector<std::string> actions;  // as GitLab keeps them: request order, duplicates
};

// InformationalEntry: an action that may be present or absent; its presence is recorded.
struct InformationalEntry {
  std::string type;
  std::string name;
  std::string action;
  std::string reason;
};

// TokenExpectation: `layer: token-endpoint` (cases/README.md "Expectations").
struct TokenExpectation {
  Outcome outcome = Outcome::kGranted;
  // Outcome taken from a profile key instead ("token_endpoint.post": "not_found" |
  // "oauth2" ...): the judge maps the profile value through `outcome_by_value`.
  std::string outcome_profile_key;
  std::map<std::string, Outcome> outcome_by_value;
  std::vector<AccessEntry> access;
  std::vector<InformationalEntry> informational;
  // Response member expectations overriding the profile's: member → required|absent|optional.
  std::map<std::string, std::string> members;
  // Form of the judged response when it differs from the step's method (rare): "get"|"oauth2".
  std::string response_form;
};

// StatusExpectation: any of `any_of`, or the value of a profile key (a number or an array).
struct StatusExpectation {
  std::vector<int> any_of;
  std::string profile_key;
  bool present() const { return !any_of.empty() || !profile_key.empty(); }
};

// ChallengeExpectation: the WWW-Authenticate Bearer challenge of a registry answer.
struct ChallengeExpectation {
  bool required = true;           // a challenge must be present (false: "challenge": "absent")
  std::string error;              // "" unchecked, "absent" no error=, else the value
  std::string error_profile_key;  // the expected error= comes from a profile key
  std::optional<std::vector<std::string>> scope;  // compared as a scope set
};

// RegistryExpectation: `layer: registry`.
struct RegistryExpectation {
  StatusExpectation status;
  std::optional<ChallengeExpectation> challenge;
  bool challenge_absent = false;
  std::string error_code;  // first errors[].code of the body ("" unchecked)
  // implementation_defined: a profile key whose value selects one of `by_value`; "unknown" or an
  // unlisted value turns the checks into INFO.
  std::string impl_key;
  std::map<std::string, RegistryExpectation> by_value;
};

// FlowThen: the expected result of a later step of a flow case.
struct FlowThen {
  std::size_t step = 0;  // index into Case::steps
  std::string label;     // "pull", "push", "delete" or "outcome" (the member name used)
  bool allowed = true;
};

// FlowExpectation: `layer: flow`.
struct FlowExpectation {
  std::string login;  // "succeeds" | "fails" | "" (unchecked)
  std::vector<FlowThen> then;
};

struct Expectation {
  Layer layer = Layer::kTokenEndpoint;
  TokenExpectation token;
  RegistryExpectation registry;
  FlowExpectation flow;
};

// ParseExpectation validates `expect` for `layer`; `step_count` bounds flow `then` indexes.
LoadResult<Expectation> ParseExpectation(const nlohmann::json& expect, Layer layer,
                                         const std::string& file, const std::string& pointer,
                                         std::size_t step_count = SIZE_MAX);

// ParseStep checks one step object (kind, documented parameters and their types, save_as).
// Unknown parameters are errors (typo protection), as everywhere in cases/.
LoadResult<Step> ParseStep(const nlohmann::json& step, const std::string& file,
                           const std::string& pointer);

// CaseFromJson parses one case object; CaseToJson writes the same format (members with default
// values omitted). `defaults` supplies layer, tags (prepended), profiles and needs.
LoadResult<Case> CaseFromJson(const nlohmann::json& value, const std::string& file,
                              const std::string& pointer,
                              const nlohmann::json& defaults = nlohmann::json::object());
nlohmann::json CaseToJson(const Case& c);
nlohmann::json StepToJson(const Step& s);
nlohmann::json DimensionsToJson(const Dimensions& d);

// ParseCaseFile validates a whole case file; LoadCaseFile reads one; LoadCaseDir reads every
// *.json in `dir` (sorted). Ids must be unique across everything loaded together (kDuplicate).
LoadResult<std::vector<Case>> ParseCaseFile(const nlohmann::json& doc, const std::string& file);
LoadResult<std::vector<Case>> LoadCaseFile(const std::string& path);
LoadResult<std::vector<Case>> LoadCaseDir(const std::string& dir);

// CheckUniqueIds reports the first id that occurs twice in `cases`, as a kDuplicate error.
std::optional<LoadError> CheckUniqueIds(const std::vector<Case>& cases);

// CredentialsUsed lists the world credential ids a case's steps name (credential members and
// ${cred:<id>.…} references), in first-use order. MissingCredentials is those `world` lacks: a
// case naming one cannot run against this world (the runner SKIPs it).
std::vector<std::string> CredentialsUsed(const Case& c);
std::vector<std::string> MissingCredentials(const Case& c, const protocol::World& world);

}  // namespace regauth::harness
