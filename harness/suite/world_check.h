// world_check.h — `regauth world check`: what a world lets the suite test. A registry team
// describes its GitLab in a world file; before running against it they want to know which
// cases their world exercises, which it leaves out and why, and whether it can tell GitLab's
// rules apart at all (issue 7, cases/README.md "Bindings").
//
// The report has four parts:
//   - the world's size;
//   - hand-written cases: which selectors the world satisfies (and what they bound), which
//     cases it leaves unexercised and the fact each one needs;
//   - matrix coverage per dimension: the values of credential kind, state, role, visibility,
//     registry access level, relation and requested actions that the expanded matrix reaches,
//     and those it never reaches;
//   - rule coverage: for every condition of every matrix rule, a witness — a case of the
//     expanded matrix whose expected answer changes when that condition alone is flipped (the
//     condition is decisive there) — or none: then the world cannot tell the rule apart from
//     its neighbour, and the suite does not test it.
//
// Usage:
//   auto report = CheckWorld(world, matrices, hand_written_cases);
//   std::cout << RenderWorldCheck(report);
//   bool ok = MeetsCoverage(report, 90.0);
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/suite/case.h"
#include "harness/suite/matrix.h"
#include "protocol/world.h"

namespace regauth::harness {

// SelectorUse is one distinct selector (by description) of the hand-written cases.
struct SelectorUse {
  std::string description;
  std::vector<std::string> bound;  // entities it bound, first few ("acme/public-enabled")
  std::size_t cases = 0;           // cases that bound it
  bool satisfied = false;
};

// DimensionCoverage: the values a matrix dimension can take and which the world reaches.
struct DimensionCoverage {
  std::string name;
  std::vector<std::string> covered;
  std::vector<std::string> missing;
};

// ConditionWitness: one atom of one rule, and the case that shows it decisive (if any).
struct ConditionWitness {
  std::string matrix;     // the matrix file
  std::string rule;       // JSON pointer of the rule ("/grants/3")
  std::string condition;  // the atom as text ("role_at_least: reporter")
  std::string witness;    // case id, "" when none
  std::string effect;     // "forbidden → granted [acme/x:pull]" for the witness
};

struct WorldCheckReport {
  std::string world_name;
  std::size_t users = 0, groups = 0, projects = 0, jobs = 0, credentials = 0;
  std::size_t hand_written = 0;
  std::vector<std::pair<std::string, std::string>> unexercised;  // case id, "needs: …"
  std::vector<SelectorUse> selectors;
  std::size_t matrix_cases = 0;
  std::vector<DimensionCoverage> dimensions;
  std::vector<ConditionWitness> conditions;

  // Percentages: exercised hand-written cases; dimension values reached; conditions with a
  // witness (100 when there is nothing to cover).
  double CasePercent() const;
  double DimensionPercent() const;
  double ConditionPercent() const;
};

// CheckWorld builds the report. `hand_written` are loaded, unbound cases (BindCase is applied to
// copies); `matrices` are the loaded matrix files.
WorldCheckReport CheckWorld(const protocol::World& world, const std::vector<Matrix>& matrices,
                            const std::vector<Case>& hand_written);

// CombineWorldChecks is the coverage of several worlds together — the suite run on each of
// them: a case is exercised, a dimension value reached, a rule condition witnessed when one of
// the worlds does (the witness names its world). Instance-wide settings (password login,
// registry.enabled, protected containers) take one value per world, so the conditions that
// matter only under the other value need a second world. Selectors are not combined.
WorldCheckReport CombineWorldChecks(const std::vector<WorldCheckReport>& reports);

// RenderWorldCheck prints the report for a terminal (plain text, one section per part).
std::string RenderWorldCheck(const WorldCheckReport& report);

// MeetsCoverage reports whether each of the three percentages is at least `min_percent`.
bool MeetsCoverage(const WorldCheckReport& report, double min_percent);

}  // namespace regauth::harness
