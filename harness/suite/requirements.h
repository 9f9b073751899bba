// requirements.h — normative sentences written once (cases/requirements.json). Each requirement
// has an id, its text and its source (the spec section, GitLab file or CVE it comes from). A
// case, a case file's defaults or a grid names one with {"ref": "<id>"} instead of repeating the
// sentence (issue 7; cases/README.md "Requirements"); the loaders resolve the reference, so a
// loaded Case carries the full text and source, and its requirement_id.
//
// File format:
//   {"$schema": "schema/requirements.schema.json",
//    "requirements": {"registry.method-access": {"text": "The registry requires …",
//                                                "source": "token-auth.md §1.8 …"}}}
// Ids are two or more '.'-separated segments of lower-case words joined by '-'
// ("registry.method-access", "flow.ci-login-succeeds"). An unused requirement is not an error.
//
// Usage:
//   auto reqs = LoadRequirementsFile(cases_dir + "/requirements.json");
//   DataReader r(file);
//   ResolvedRequirement out;
//   if (!ReadRequirement(r, case_object, "/cases/3", nullptr, "", *reqs, &out)) ...
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "harness/suite/data_file.h"

namespace regauth::harness {

// Requirement is one entry of cases/requirements.json.
struct Requirement {
  std::string text;
  std::string source;
};

// Requirements maps ids to requirements.
using Requirements = std::map<std::string, Requirement, std::less<>>;

// IsRequirementId reports whether `id` is a valid requirement id (see the file comment).
bool IsRequirementId(std::string_view id);

// ParseRequirements validates a parsed requirements document. Errors name `file` and a JSON
// pointer: kUnknownMember, kMissingMember, kWrongType, kBadValue (an id outside the grammar,
// an empty text or source).
LoadResult<Requirements> ParseRequirements(const nlohmann::json& doc, const std::string& file);

// LoadRequirementsFile reads and parses one file (kIo when it cannot be read).
LoadResult<Requirements> LoadRequirementsFile(const std::string& path);

// ResolvedRequirement is what a case ends up with: the text, the source, and the id when the
// requirement was named by reference ("" when the case states its text).
struct ResolvedRequirement {
  std::string text;
  std::string source;
  std::string id;
};

// ReadRequirement reads the "requirement" and "source" members of `object` at `pointer` (a case
// or a grid). "requirement" is a text — then "source" is required — or {"ref": "<id>"} naming
// one of `known` — then "source" is optional and, when given, appended to the requirement's own
// after "; ". When `object` has no "requirement", `fallback` (a case file's defaults'
// {"ref": …}, at `fallback_pointer`; nullptr when there is none) is used. Errors recorded in
// `r`: kMissingMember (no requirement; a text without source), kWrongType, kUnknownMember,
// kBadValue, and kUnknownName for an id `known` lacks, at ".../requirement/ref".
bool ReadRequirement(DataReader& r, const nlohmann::json& object, const std::string& pointer,
                     const nlohmann::json* fallback, const std::string& fallback_pointer,
                     const Requirements& known, ResolvedRequirement* out);

// ReadRequirementRef reads a {"ref": "<id>"} object at `pointer` and checks that `known` has the
// id (kUnknownName at pointer + "/ref" otherwise).
bool ReadRequirementRef(DataReader& r, const nlohmann::json& value, const std::string& pointer,
                        const Requirements& known, std::string* id);

}  // namespace regauth::harness
