// case_loader.h — hand-written case files (cases/cases/*.json) and the JSON (de)serialisation of
// Case, Step and the declarative expectations (cases/README.md "Steps", "Expectations").
//
// A case file is {"defaults": {...}, "cases": [{...}, ...]}; each case has id, title, layer,
// tags, requirement (a text, or {"ref": id} of cases/requirements.json), source, profiles,
// needs, dimensions, steps and expect. Everything is
// validated on load (unknown members, types, enum values, duplicate ids, step vocabulary and
// step parameters as documented, the expectation for the case's layer) with errors that name the
// file and a JSON pointer. CaseToJson/CaseFromJson round-trip a Case, so `regauth replay` and the
// matrix share one format.
//
// The typed expectation structs here are what the judge (harness/judge/judge.h) evaluates.
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

#include "harness/suite/case.h"
#include "harness/suite/data_file.h"
#include "harness/suite/requirements.h"
#include "harness/suite/rules.h"
#include "protocol/world.h"

namespace regauth::harness {

// ParseExpectation validates `expect` for `layer`; `step_count` bounds flow `then` indexes.
LoadResult<Expectation> ParseExpectation(const nlohmann::json& expect, Layer layer,
                                         const std::string& file, const std::string& pointer,
                                         std::size_t step_count = SIZE_MAX);

// ParseStep checks one step object (kind, documented parameters and their types, save_as).
// Unknown parameters are errors (typo protection), as everywhere in cases/.
LoadResult<Step> ParseStep(const nlohmann::json& step, const std::string& file,
                           const std::string& pointer);

// CaseFromJson parses one case object; CaseToJson writes the same format (members with default
// values omitted). `defaults` supplies layer, tags (prepended), profiles, needs and a
// requirement by reference. A requirement named by reference ({"ref": id}) is resolved against
// `requirements` (harness/suite/requirements.h); CaseToJson writes it resolved — its text and
// source — so the JSON of a case stands alone (Case::requirement_id is not part of it).
LoadResult<Case> CaseFromJson(const nlohmann::json& value, const std::string& file,
                              const std::string& pointer,
                              const nlohmann::json& defaults = nlohmann::json::object(),
                              const Requirements& requirements = {});
nlohmann::json CaseToJson(const Case& c);
nlohmann::json StepToJson(const Step& s);
nlohmann::json DimensionsToJson(const Dimensions& d);

// ParseCaseFile validates a whole case file; LoadCaseFile reads one; LoadCaseDir reads every
// *.json in `dir` (sorted). Ids must be unique across everything loaded together (kDuplicate).
// Requirements named by reference are resolved against `requirements` (an unknown id is
// kUnknownName at ".../requirement/ref"); harness/suite/load.h LoadSuiteCases loads a suite's
// requirements, case files and grids together.
LoadResult<std::vector<Case>> ParseCaseFile(const nlohmann::json& doc, const std::string& file,
                                            const Requirements& requirements = {});
LoadResult<std::vector<Case>> LoadCaseFile(const std::string& path,
                                           const Requirements& requirements = {});
LoadResult<std::vector<Case>> LoadCaseDir(const std::string& dir,
                                          const Requirements& requirements = {});

// CheckUniqueIds reports the first id that occurs twice in `cases`, as a kDuplicate error.
std::optional<LoadError> CheckUniqueIds(const std::vector<Case>& cases);

// CredentialsUsed lists the world credential ids a case's steps name (credential members and
// ${cred:<id>.…} references), in first-use order. MissingCredentials is those `world` lacks: a
// case naming one cannot run against this world (the runner SKIPs it).
std::vector<std::string> CredentialsUsed(const Case& c);
std::vector<std::string> MissingCredentials(const Case& c, const protocol::World& world);

}  // namespace regauth::harness
