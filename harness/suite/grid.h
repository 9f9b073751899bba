// grid.h — grid files (cases/grids/*.json): registry cases generated as accesses × requests
// instead of written out by hand (issue 7; STYLE.md "Grids are generated, not written out").
//
// A grid forges one token per cell — the access's actions on the cell's own repository — and
// sends one judged registry request with it. What a cell expects comes from the file's rules,
// never from code that knows the registry (cases/README.md "Grids"):
//   1. the token covers the request (every resource the request requires is the cell's
//      repository with actions ⊆ the access's actions; `*` is a literal action here) →
//      the request's `authorized` expectation;
//   2. else the first `implementation_defined` rule whose `when` holds → a profile key decides
//      between the authorized and the refused expectation (the base keeps the status of the
//      rule's `base` value, distribution 2.8.2's answer);
//   3. else the refusal: the file's `refused` expectation with the challenge's scope set to what
//      the request requires (no error_code for HEAD: the answer has no body).
// A cell may add tags (`cells`), and may override the expectation, with the reason, where it
// does not follow the rules.
//
// Cell of access A and request R:
//   id          <id_prefix>/<A>/<R>                (registry/methods/pull/get-manifest)
//   repository  <repository_prefix>/<A>/<R>       (regauth/methods/pull/get-manifest)
//   title       token with <A's title> on <repository>: <R's title> → <outcome>, the outcome
//               "authorized (<status>)", "<status> (any valid token)" when R requires nothing,
//               "401 insufficient_scope", or the rule's or the override's title
//   tags        the grid's, access:<A>, the rule's, the cell's
//   dimensions  {"actions": A's dimension}
//   steps       [setup token `setup` (R's setup_token)], R's setup steps, the cell's token `t`,
//               R's request with "token": "t"
// `${grid.repository}` in steps, requirements and expectations is the cell's repository;
// `${grid.status}` in a rule's title is R's authorized status.
//
// Usage:
//   auto grids = LoadGridDir(cases_dir + "/grids", requirements);
//   auto cases = ExpandGrid((*grids)[0]);          // 78 cases for registry-methods.json
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/suite/case.h"
#include "harness/suite/data_file.h"
#include "harness/suite/requirements.h"

namespace regauth::harness {

// GridAccess is one column: what the cell's forged token grants on the cell's repository.
struct GridAccess {
  std::string name;                  // id segment ("pull-push")
  std::vector<std::string> actions;  // the token's actions, as sent (["pull", "push"], ["*"])
  std::string title;                 // in case titles; default: the actions joined with ','
  std::string dimension;             // dimensions.actions; default: the actions joined with ','
};

// GridResource is one resource a request requires; `name` "" is the cell's repository.
struct GridResource {
  std::string type;  // "repository", "registry"
  std::string name;
  std::vector<std::string> actions;
};

// GridRequest is one row: the setup and the judged request.
struct GridRequest {
  std::string name;                    // id segment ("get-manifest")
  std::string title;                   // in case titles ("GET manifest")
  std::vector<GridResource> required;  // "requires"; empty: any valid token will do
  std::optional<std::vector<std::string>> setup_token;  // actions of the `setup` token
  nlohmann::json setup = nlohmann::json::array();       // step objects, as written
  nlohmann::json request;                               // registry_request parameters
  nlohmann::json authorized;                            // expectation when the token covers it
  std::string status;   // the authorized statuses for titles ("404", "200 or 404")
  std::string pointer;  // "/requests/<i>"
};

// GridOutcome: the two expectations a cell can have under the rules.
enum class GridOutcome { kAuthorized, kRefused };

// GridCondition: when an implementation-defined rule applies to a cell the token does not
// cover. Every given member must hold.
struct GridCondition {
  std::optional<std::vector<std::string>> granted;   // the access's actions, as a set
  std::optional<std::vector<std::string>> required;  // "requires": the request's actions on
                                                     // the repository, as a set
  std::string resource;  // every required resource has this type (and there is one)
};

// GridRule: a cell decided by a profile key.
struct GridRule {
  GridCondition when;
  std::string key;  // profile key, "registry.star_wildcard"
  std::map<std::string, GridOutcome> by_value;
  std::string base;   // the value whose expectation's status the base keeps
  std::string title;  // the outcome part of the case title; may hold ${grid.status}
  std::vector<std::string> tags;
  std::string pointer;  // "/rules/implementation_defined/<i>"
};

// GridCell: what one cell adds to the rules: tags, or an explicit override.
struct GridCell {
  std::vector<std::string> tags;
  std::optional<nlohmann::json> expect;  // replaces the rules' expectation
  std::string title;                     // with `expect`: the outcome part of the title
  std::string reason;                    // with `expect`: why the cell departs from the rules
};

// Grid is a loaded grid file.
struct Grid {
  std::string file;
  std::string id_prefix;          // "registry/methods"
  std::string repository_prefix;  // "regauth/methods"
  std::vector<std::string> tags, profiles, needs;
  ResolvedRequirement requirement;
  nlohmann::json token;  // forge_token parameters of every token (claims without access)
  std::vector<GridAccess> accesses;
  std::vector<GridRequest> requests;
  nlohmann::json refused;  // registry expectation of a refusal (challenge without scope)
  std::vector<GridRule> rules;
  std::map<std::string, GridCell> cells;  // "<access>/<request>"
};

// ParseGrid validates a parsed grid document; requirement references are resolved against
// `requirements`. Errors name `file` and a JSON pointer: the codes of harness/suite/data_file.h,
// with kUnknownName for a cell naming no access or request, a rule `base` outside its `by_value`,
// an unknown requirement id or an unknown ${grid.…} reference, and kDuplicate for a name used
// twice.
LoadResult<Grid> ParseGrid(const nlohmann::json& doc, const std::string& file,
                           const Requirements& requirements);
// LoadGridFile reads and parses one file; LoadGridDir every *.json in `dir`, sorted.
LoadResult<Grid> LoadGridFile(const std::string& path, const Requirements& requirements);
LoadResult<std::vector<Grid>> LoadGridDir(const std::string& dir, const Requirements& requirements);

// ExpandGrid returns the grid's cases: accesses in file order, and for each the requests in file
// order. Every case is built as a case object and loaded with CaseFromJson, so it is validated
// and typed exactly as a hand-written one.
LoadResult<std::vector<Case>> ExpandGrid(const Grid& grid);

}  // namespace regauth::harness
