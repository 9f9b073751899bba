// provenance.h — citations of GitLab's own RSpec (`gitlab_spec`) on matrix rules and on
// hand-written cases: reading them from a data file and checking each against the matrix's
// gitlab_copies (issue 8: "translate the contexts it asserts that can be observed over HTTP into
// cases, citing the context and line"). A citation names a copy of gitlab_copies, a file under
// spec/ and the line (> 0) of the innermost describe/context/it it reproduces.
//
// Usage:
//   std::vector<GitLabSpecCitation> specs;
//   if (!ParseGitLabSpecs(reader, rule_json, "/grants/3", &specs)) … reader.error() …
//   if (auto why = ResolveGitLabSpecs(rules.gitlab_copies, &specs)) … *why names the citation …
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/suite/case.h"
#include "harness/suite/data_file.h"

namespace regauth::harness {

// ParseGitLabSpecs reads the optional member `gitlab_spec` of `v` (at JSON pointer `ptr`): a
// non-empty array of {copy, file, context, line}. Each entry is checked with CheckGitLabSpec
// except for the copy's existence (a case file does not hold gitlab_copies; the loader resolves
// copies with ResolveGitLabSpecs). Appends to `out`; false with the error recorded in `r`.
bool ParseGitLabSpecs(DataReader& r, const nlohmann::json& v, const std::string& ptr,
                      std::vector<GitLabSpecCitation>* out);

// CheckGitLabSpecShape says what is wrong with a citation regardless of the copies: an empty
// context, a line below 1, or a file that is not a plain relative path under spec/ ending in
// _spec.rb or .rb (shared examples). nullopt when it is well formed.
std::optional<std::string> CheckGitLabSpecShape(const GitLabSpecCitation& c);

// CheckGitLabSpec is CheckGitLabSpecShape plus: the copy is a key of `copies`.
std::optional<std::string> CheckGitLabSpec(const GitLabSpecCitation& c,
                                           const std::map<std::string, GitLabSource>& copies);

// ResolveGitLabSpecs checks every citation with CheckGitLabSpec and fills in its repo, commit
// and version from `copies`. On the first bad citation it returns "gitlab_spec/<i>: <why>" and
// leaves the rest unresolved.
std::optional<std::string> ResolveGitLabSpecs(const std::map<std::string, GitLabSource>& copies,
                                              std::vector<GitLabSpecCitation>* specs);

}  // namespace regauth::harness
