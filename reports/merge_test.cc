#include "reports/merge.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "reports/evidence.h"
#include "reports/report_test_support.h"

namespace regauth::reports {
namespace {

using nlohmann::json;

// Split deals the sample's cases round-robin into `n` shard documents "i/n".
std::vector<json> Split(const json& doc, int n) {
  std::vector<json> shards;
  for (int i = 0; i < n; ++i) {
    json s = doc;
    s["cases"] = json::array();
    s["run"]["selection"]["shard"] = std::to_string(i + 1) + "/" + std::to_string(n);
    shards.push_back(std::move(s));
  }
  for (std::size_t k = 0; k < doc["cases"].size(); ++k) {
    shards[k % n]["cases"].push_back(doc["cases"][k]);
  }
  for (json& s : shards) {
    s["run"]["selection"]["listed"] = s["cases"].size();
    s["summary"] = SummaryOf(s["cases"], 0);
  }
  return shards;
}

json SortedCases(const json& doc) {
  json cases = doc["cases"];
  std::sort(cases.begin(), cases.end(),
            [](const json& a, const json& b) { return a["id"] < b["id"]; });
  return cases;
}

// Four shards of a run merge back into the whole run: every case once, sorted by id, the
// summary recounted, the selection that of an unsharded run.
TEST(MergeResults, FourShardsGiveTheWholeRun) {
  const json sample = test_support::LoadSample();
  const auto merged = MergeResults(Split(sample, 4));
  ASSERT_TRUE(merged) << merged.error().Describe();
  EXPECT_EQ((*merged)["cases"], SortedCases(sample));
  EXPECT_EQ((*merged)["summary"], SummaryOf(sample["cases"], 1));
  EXPECT_EQ((*merged)["run"]["selection"]["shard"], "1/1");
  EXPECT_EQ((*merged)["run"]["selection"]["listed"], 32);
  EXPECT_EQ((*merged)["run"]["merged_from"].size(), 4u);
  EXPECT_EQ((*merged)["run"]["merged_from"][1], (json{{"shard", "2/4"}, {"cases", 8}}));
  EXPECT_TRUE(ValidateResults(*merged));
}

// Shards that are not one complete split say which ones were merged.
TEST(MergeResults, PartialSplitNamesItsShards) {
  const std::vector<json> shards = Split(test_support::LoadSample(), 4);
  const auto merged = MergeResults({shards[0], shards[2]});
  ASSERT_TRUE(merged) << merged.error().Describe();
  EXPECT_EQ((*merged)["run"]["selection"]["shard"], "1/4,3/4");
  EXPECT_EQ((*merged)["cases"].size(), 16u);
}

// Summary cases are re-indexed into the merged tables, whatever index each shard gave a list.
TEST(MergeResults, ReindexesSummaryCases) {
  json a = test_support::LoadSample();
  json b = a;
  a["cases"] = json::array({SummaryCase("x/a/1", "registry", 1, 0, 0)});
  a["check_lists"] = json::array({json::array({json::array({"status", "MUST"})})});
  a["dimension_sets"] = json::array({json{{"actions", "pull"}}});
  b["cases"] = json::array({SummaryCase("x/a/0", "registry", 2, 1, std::nullopt),
                            SummaryCase("x/a/2", "registry", 3, 0, 0)});
  b["check_lists"] = json::array({json::array({json::array({"access", "MUST"})}),
                                  json::array({json::array({"status", "MUST"})})});
  b["dimension_sets"] = json::array({json{{"actions", "push"}}});
  const auto merged = MergeResults({a, b});
  ASSERT_TRUE(merged) << merged.error().Describe();
  const json& m = *merged;
  ASSERT_EQ(m["cases"].size(), 3u);
  for (const auto& [doc, index] : {std::pair{&b, 0}, std::pair{&a, 0}, std::pair{&b, 1}}) {
    const json& original = (*doc)["cases"][index];
    const json* got = nullptr;
    for (const json& c : m["cases"]) {
      if (c["id"] == original["id"]) got = &c;
    }
    ASSERT_NE(got, nullptr) << original["id"];
    EXPECT_EQ(ExpandCase(m, *got), ExpandCase(*doc, original)) << original["id"];
  }
  EXPECT_EQ(m["check_lists"].size(), 2u);  // "status" once
  EXPECT_TRUE(ValidateResults(m)) << ValidateResults(m).error().Describe();
}

// Overlapping shards, different profiles or target kinds, and invalid inputs are refused.
TEST(MergeResults, RefusesInconsistentInputs) {
  const json sample = test_support::LoadSample();
  const auto duplicate = MergeResults({sample, Split(sample, 2)[0]});
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ReportError::kDuplicateCaseId);
  EXPECT_NE(duplicate.error().detail.find("the shards overlap"), std::string::npos);

  std::vector<json> shards = Split(sample, 2);
  shards[1]["profile"] = "distribution";
  const auto profile = MergeResults(shards);
  ASSERT_FALSE(profile);
  EXPECT_EQ(profile.error().code, ReportError::kBadValue);
  EXPECT_EQ(profile.error().where, "input 2 /profile");

  shards = Split(sample, 2);
  shards[1]["target"]["kind"] = "black-box";
  EXPECT_FALSE(MergeResults(shards));

  shards = Split(sample, 2);
  shards[1]["cases"][0]["verdict"] = "MAYBE";
  const auto invalid = MergeResults(shards);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().where, "input 2 /cases/0/verdict");

  EXPECT_FALSE(MergeResults({}));
}

// A stopped shard keeps the merged run red: its error (prefixed by the shard), its not-run
// cases, exit code 3.
TEST(MergeResults, KeepsAStoppedShardsError) {
  std::vector<json> shards = Split(test_support::LoadSample(), 2);
  shards[1]["run"]["error"] = "sanity probe: connection refused";
  shards[1]["run"]["not_run"] = 2;
  shards[1]["run"]["not_run_ids"] = {"z/b", "z/a"};
  shards[1]["summary"]["exit_code"] = 3;
  const auto merged = MergeResults(shards);
  ASSERT_TRUE(merged) << merged.error().Describe();
  EXPECT_EQ(RunError(*merged), "shard 2/2: sanity probe: connection refused");
  EXPECT_EQ((*merged)["run"]["not_run_ids"], (json{"z/a", "z/b"}));
  EXPECT_EQ((*merged)["summary"]["exit_code"], 3);
}

// ReadResultsFile reads a directory's results.json; a broken file is a clear error.
TEST(ReadResultsFile, ReadsDirectoriesAndRejectsBrokenFiles) {
  const auto dir = test_support::TempDir("merge");
  test_support::WriteFile(dir / "results.json", test_support::ReadFile(test_support::SamplePath()));
  const auto doc = ReadResultsFile(dir);
  ASSERT_TRUE(doc) << doc.error().Describe();
  EXPECT_EQ((*doc)["cases"].size(), 32u);
  test_support::WriteFile(dir / "results.json", "{\"schema\": ");
  const auto broken = ReadResultsFile(dir);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, ReportError::kBadValue);
  EXPECT_NE(broken.error().detail.find("not a JSON document ("), std::string::npos);
  const auto missing = ReadResultsFile(dir / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ReportError::kIo);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace regauth::reports
