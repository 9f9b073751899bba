#include "harness/select/selection.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

struct GlobCase {
  const char* label;
  const char* pattern;
  const char* text;
  bool want;
};
REGAUTH_PRINT_LABEL(GlobCase)

class Globs : public ::testing::TestWithParam<GlobCase> {};

// suite-anchors.md §E3: id globs ('*' crosses '/', '?' is one character).
TEST_P(Globs, Match) { EXPECT_EQ(GlobMatch(GetParam().pattern, GetParam().text), GetParam().want); }

const GlobCase kGlobs[] = {
    {"exact", "gitlab/a/b", "gitlab/a/b", true},
    {"exact mismatch", "gitlab/a/b", "gitlab/a/c", false},
    {"star crosses slash", "gitlab/job_token/*", "gitlab/job_token/job-101/acme/x/pull", true},
    {"star in middle", "gitlab/*/acme/archived/*", "gitlab/password/x/acme/archived/pull", true},
    {"star matches empty", "gitlab/*", "gitlab/", true},
    {"question one char", "token-spec/?ogin/x", "token-spec/login/x", true},
    {"question not empty", "a?", "a", false},
    {"prefix only", "gitlab", "gitlab/a", false},
    {"only star", "*", "", true},
    {"trailing stars", "a**", "a", true},
    {"backtracking", "*a*b*c", "xxaxxbxxbxc", true},
    {"backtracking miss", "*a*b*c", "xxaxxbxxbx", false},
    {"case sensitive", "Gitlab/*", "gitlab/x", false},
};

INSTANTIATE_TEST_SUITE_P(Table, Globs, ::testing::ValuesIn(kGlobs), testing_support::LabelName());

// Hostile patterns stay cheap (no exponential backtracking).
TEST(Globs, ManyStarsStayLinearish) {
  const std::string pattern = std::string(200, '*') + "b";
  const std::string text(20000, 'a');
  EXPECT_FALSE(GlobMatch(pattern, text));
}

struct ShardCase {
  const char* label;
  const char* text;
  bool ok;
  uint32_t index, count;
  ShardError code;
  std::size_t offset;
};
REGAUTH_PRINT_LABEL(ShardCase)

class Shards : public ::testing::TestWithParam<ShardCase> {};

// --shard i/n: 1 <= i <= n.
TEST_P(Shards, Parse) {
  const auto& p = GetParam();
  auto s = ParseShard(p.text);
  ASSERT_EQ(s.has_value(), p.ok);
  if (p.ok) {
    EXPECT_EQ(s->index, p.index);
    EXPECT_EQ(s->count, p.count);
  } else {
    EXPECT_EQ(s.error().code, p.code);
    EXPECT_EQ(s.error().offset, p.offset);
  }
}

const ShardCase kShards[] = {
    {"one of one", "1/1", true, 1, 1, {}, 0},
    {"two of four", "2/4", true, 2, 4, {}, 0},
    {"empty", "", false, 0, 0, ShardError::kSyntax, 0},
    {"no slash", "3", false, 0, 0, ShardError::kSyntax, 1},
    {"no count", "3/", false, 0, 0, ShardError::kSyntax, 2},
    {"trailing", "1/2x", false, 0, 0, ShardError::kSyntax, 3},
    {"negative", "-1/2", false, 0, 0, ShardError::kSyntax, 0},
    {"space", "1 /2", false, 0, 0, ShardError::kSyntax, 1},
    {"zero index", "0/2", false, 0, 0, ShardError::kOutOfRange, 0},
    {"zero count", "1/0", false, 0, 0, ShardError::kOutOfRange, 0},
    {"index over count", "3/2", false, 0, 0, ShardError::kOutOfRange, 0},
    {"huge", "1/99999999999999999999", false, 0, 0, ShardError::kOutOfRange, 0},
};

INSTANTIATE_TEST_SUITE_P(Table, Shards, ::testing::ValuesIn(kShards), testing_support::LabelName());

// Shards partition the cases, and the assignment is a fixed function of the id (FNV-1a).
TEST(Shards, PartitionDeterministically) {
  EXPECT_EQ(IdHash(""), 14695981039346656037ULL);
  EXPECT_EQ(IdHash("a"), 0xaf63dc4c8601ec8cULL);  // FNV-1a 64 test vector
  const Shard three[] = {{1, 3}, {2, 3}, {3, 3}};
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 3000; ++i) {
    const std::string id = "gitlab/x/" + std::to_string(i);
    int hits = 0;
    for (int s = 0; s < 3; ++s) {
      if (InShard(id, three[s])) {
        ++hits;
        ++counts[s];
      }
    }
    EXPECT_EQ(hits, 1) << id;
  }
  for (int s = 0; s < 3; ++s) EXPECT_GT(counts[s], 800);
  EXPECT_TRUE(InShard("anything", Shard{1, 1}));
}

Case MakeCase(std::string id, std::vector<std::string> tags, std::vector<std::string> profiles) {
  Case c;
  c.id = std::move(id);
  c.title = "t " + c.id;
  c.tags = std::move(tags);
  c.profiles = std::move(profiles);
  return c;
}

// Filter, exclude, tags and profile combine with AND; excludes win.
TEST(Selection, CombinesCriteria) {
  std::vector<Case> cases = {
      MakeCase("gitlab/job_token/a", {"matrix"}, {}),
      MakeCase("gitlab/job_token/b", {"matrix", "bad-credentials"}, {}),
      MakeCase("gitlab/password/c", {"matrix"}, {}),
      MakeCase("token-spec/oauth2/d", {"hand-written"}, {"distribution"}),
  };
  auto ids = [&](const Selection& s) {
    std::vector<std::string> out;
    for (const Case* c : SelectCases(cases, s)) out.push_back(c->id);
    return out;
  };
  Selection all;
  EXPECT_EQ(ids(all).size(), 4u);
  Selection fam;
  fam.filter = {"gitlab/job_token/*"};
  EXPECT_EQ(ids(fam), (std::vector<std::string>{"gitlab/job_token/a", "gitlab/job_token/b"}));
  fam.exclude_tags = {"bad-credentials"};
  EXPECT_EQ(ids(fam), (std::vector<std::string>{"gitlab/job_token/a"}));
  Selection excl;
  excl.exclude = {"gitlab/*"};
  EXPECT_EQ(ids(excl), (std::vector<std::string>{"token-spec/oauth2/d"}));
  Selection tags;
  tags.tags = {"hand-written", "nothing"};
  EXPECT_EQ(ids(tags), (std::vector<std::string>{"token-spec/oauth2/d"}));
  Selection prof;
  prof.profile = "gitlab";
  EXPECT_EQ(ids(prof).size(), 3u);
  prof.profile = "distribution";
  EXPECT_EQ(ids(prof).size(), 4u);
  Selection none;
  none.filter = {"nope/*"};
  EXPECT_TRUE(ids(none).empty());
}

// Listings: text for people, JSON for tools.
TEST(Selection, ListsCases) {
  std::vector<Case> cases = {MakeCase("gitlab/job_token/a", {"matrix", "x"}, {"gitlab"})};
  auto sel = SelectCases(cases, {});
  // Five tab-separated columns; the fifth (GitLab source URLs) is empty for a case without one.
  EXPECT_EQ(ListingText(sel),
            "gitlab/job_token/a\ttoken-endpoint\tmatrix,x\tt gitlab/job_token/a\t\n");
  auto j = ListingJson(sel);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["family"], "gitlab/job_token");
  EXPECT_EQ(j[0]["profiles"], nlohmann::json::array({"gitlab"}));
  EXPECT_EQ(FamilyOf("a"), "a");
  EXPECT_EQ(FamilyOf("a/b"), "a/b");
  EXPECT_EQ(FamilyOf("a/b/c/d"), "a/b");
}

}  // namespace
}  // namespace regauth::harness
