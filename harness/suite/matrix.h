// matrix.h — matrix files (cases/matrix/*.json): load them and expand one over a world into
// token-endpoint Cases whose expectations come from the file's rules (harness/suite/rules.h).
//
// A matrix crosses subjects (every world credential, anonymous, and the wrong_secret /
// wrong_username mutation of one active credential of each kind) with every world project and
// each requested action list, plus the catalog scope per subject and two-resource requests
// (the project and a public project, in both scope encodings). A "reduce" entry gives subjects
// that cannot authenticate (or have no registry ability) a small fixed project/action subset,
// so the matrix stays the valid combinations. The format is documented in cases/README.md
// ("Matrix files") and inside cases/matrix/gitlab-token-endpoint.json.
//
// Case ids (stable across world edits: they depend only on credential ids and project paths):
//   <id_prefix>/<kind>/<subject>/<project path>/<actions>
//   <id_prefix>/<kind>/<subject>/<project path>/<actions>/and-<second actions>-<encoding>
//   <id_prefix>/<kind>/<subject>/registry-catalog
// <kind> is the credential kind or "anonymous"; <subject> the credential id, "anonymous", or
// "<credential id>~<mutation>"; <actions> the requested actions as sent with "*" spelled "star"
// (so ids never contain glob characters).
//
// Usage:
//   auto matrices = LoadMatrixDir("cases/matrix");
//   auto cases = ExpandMatrix((*matrices)[0], world);   // ~11 000 cases over gitlab-default
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/suite/case.h"
#include "harness/suite/data_file.h"
#include "harness/suite/facts.h"
#include "harness/suite/rules.h"
#include "protocol/world.h"

namespace regauth::harness {

// MutationSpec: which credentials get a mutated twin (the first active credential of each
// listed kind, in world file order; an empty `kinds` means every kind).
struct MutationSpec {
  Mutation mutation = Mutation::kWrongSecret;
  std::vector<std::string> kinds;
};

// TwoResourceSpec: every project P is also requested together with the first world project
// (≠ P) that satisfies `second`, with `second_actions`, once per encoding.
struct TwoResourceSpec {
  bool enabled = false;
  std::string actions = "pull,push";
  std::string second_actions = "pull";
  Condition second;                    // on project facts (evaluated for an anonymous subject)
  std::vector<std::string> encodings;  // "repeated" | "space_joined"
};

// ReduceSpec: the subset a subject is expanded over when `when` holds for it and, if `outcomes`
// is not empty, its authentication/gates outcome (SubjectOutcome) is among them. First match
// wins.
struct ReduceSpec {
  Condition when;
  std::vector<std::string> outcomes;  // unauthorized | forbidden | not_found
  std::vector<Condition> projects;    // each picks the first world project it holds for
  std::vector<std::string> actions;
  bool catalog = true;
  bool two_resources = false;
};

// Matrix is a loaded matrix file.
struct Matrix {
  std::string file;
  std::string name;
  std::string id_prefix;
  std::vector<std::string> profiles;  // copied into every case
  std::vector<std::string> tags;      // copied into every case
  bool anonymous = true;
  bool credentials = true;
  std::vector<MutationSpec> mutations;
  std::vector<std::string> actions;  // requested action lists, e.g. "pull,push"
  bool catalog = false;
  std::string catalog_scope = "registry:catalog:*";
  TwoResourceSpec two_resources;
  std::vector<ReduceSpec> reduce;
  RuleSet rules;
};

// ParseMatrix validates a parsed matrix document. Errors name `file` and a JSON pointer.
LoadResult<Matrix> ParseMatrix(const nlohmann::json& doc, const std::string& file);
// LoadMatrixFile reads and parses one file; LoadMatrixDir every *.json in `dir`, sorted.
LoadResult<Matrix> LoadMatrixFile(const std::string& path);
LoadResult<std::vector<Matrix>> LoadMatrixDir(const std::string& dir);

// ExpandMatrix returns the matrix's cases over `world`, subjects in order anonymous, world
// credentials (file order), mutations; per subject its projects (world order) × actions, then
// the catalog, then the two-resource requests. Errors: kDuplicate when two cases get one id
// (only possible with credential ids that collide with the id syntax).
LoadResult<std::vector<Case>> ExpandMatrix(const Matrix& matrix, const protocol::World& world);

// SubjectOutcome runs only the authentication and gates stages: "unauthorized", "forbidden",
// "not_found", or "" when the subject gets past both.
std::string SubjectOutcome(const RuleSet& rules, const Facts& facts);

// ActionIdSegment spells an action list for a case id: "*" becomes "star".
std::string ActionIdSegment(std::string_view actions);

// SplitActions splits "pull,push" on ',' (empty pieces kept, as GitLab's split keeps them
// before dropping unknown actions).
std::vector<std::string> SplitActions(std::string_view actions);

}  // namespace regauth::harness
