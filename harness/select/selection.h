// selection.h — which cases a run executes (suite-anchors.md §E3): include/exclude globs on ids,
// required/excluded tags, profile applicability, a deterministic shard, and the listing that
// `regauth run --list` prints.
//
// Globs: '*' matches any run of characters ('/' included, so "gitlab/job_token/*" selects a
// whole family), '?' one character, everything else itself; ids never contain '*' or '?'
// (matrix ids spell the action "*" as "star"). Shards: `--shard i/n` (1 ≤ i ≤ n) keeps the cases
// whose FNV-1a 64-bit hash of the id, modulo n, is i−1: deterministic across machines and
// compilers, and a case keeps its shard when other cases are added or removed.
//
// Usage:
//   Selection sel;
//   sel.filter = {"gitlab/job_token/*"};
//   sel.exclude_tags = {"bad-credentials"};
//   sel.profile = "gitlab";
//   sel.shard = *ParseShard("2/4");
//   std::vector<const Case*> run = SelectCases(all, sel);
//   if (run.empty()) return 2;                           // empty selection is a usage error
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness/suite/case.h"
#include "protocol/result.h"

namespace regauth::harness {

// GlobMatch matches `text` against `pattern` ('*' any run, '?' one character). Linear-time
// backtracking-free matching (two pointers), so hostile patterns cost O(|pattern|·|text|) at
// worst.
bool GlobMatch(std::string_view pattern, std::string_view text);

// Shard is `index`/`count`, 1-based.
struct Shard {
  uint32_t index = 1;
  uint32_t count = 1;
};

enum class ShardError {
  kSyntax = 1,  // not "<i>/<n>" with decimal integers
  kOutOfRange,  // n = 0, i = 0, i > n, or a number over 2^31
};
std::string_view CodeName(ShardError code);

// ParseShard reads "i/n". Errors: kSyntax (offset of the offending byte), kOutOfRange.
protocol::Result<Shard, ShardError> ParseShard(std::string_view text);

// IdHash is the 64-bit FNV-1a hash of `id` (the shard key).
uint64_t IdHash(std::string_view id);

// InShard reports whether the case `id` belongs to `shard`.
bool InShard(std::string_view id, const Shard& shard);

// Selection is what the command line asked for. Empty lists select everything.
struct Selection {
  std::vector<std::string> filter;        // keep ids matching any of these globs
  std::vector<std::string> exclude;       // then drop ids matching any of these globs
  std::vector<std::string> tags;          // keep cases carrying any of these tags
  std::vector<std::string> exclude_tags;  // drop cases carrying any of these tags
  std::string profile;                    // keep cases whose `profiles` is empty or names it
  std::optional<Shard> shard;
  std::optional<std::set<std::string>> ids;  // keep only these ids (`run --rerun-failed`)
};

// AppliesToProfile reports whether `c` runs under `profile` ("" = any profile).
bool AppliesToProfile(const Case& c, std::string_view profile);

// Selects reports whether one case passes every criterion.
bool Selects(const Selection& selection, const Case& c);

// SelectCases returns the selected cases, in the order given.
std::vector<const Case*> SelectCases(const std::vector<Case>& cases, const Selection& selection);

// ListingText renders one line per case: "<id>\t<layer>\t<tags joined by ','>\t<title>\t<GitLab
// source file URLs, each once, joined by ' '; empty for cases without one>".
std::string ListingText(const std::vector<const Case*>& cases);
// ListingJson renders [{"id","title","family","layer","tags","requirement","source",
// "gitlab_source","gitlab_spec","profiles","needs"}] for tools (`regauth run --list --format
// json`); gitlab_source as GitLabSourcesJson and gitlab_spec as GitLabSpecsJson, [] for cases
// without one.
nlohmann::json ListingJson(const std::vector<const Case*>& cases);

// FamilyOf returns the first two '/'-separated segments of an id (the whole id if it has fewer).
std::string FamilyOf(std::string_view id);

}  // namespace regauth::harness
