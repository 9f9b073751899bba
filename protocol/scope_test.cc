#include "protocol/scope.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

using SD = ScopeDialect;
using SE = ScopeError;
using Actions = std::vector<std::string>;

ScopeOptions Dialect(SD d) {
  ScopeOptions o;
  o.dialect = d;
  return o;
}

ScopeOptions NoStar() {
  ScopeOptions o;
  o.allow_star_action = false;
  return o;
}

ScopeOptions NoEmptyAction() {
  ScopeOptions o;
  o.allow_empty_action = false;
  return o;
}

std::string Repeat(const std::string& part, std::size_t n, const std::string& sep = "") {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += sep;
    out += part;
  }
  return out;
}

struct ScopeCase {
  const char* label;
  std::string input;
  ScopeOptions options;
  std::optional<ResourceScope> want;  // nullopt when an error is expected
  ScopeError want_code = {};
  std::size_t want_offset = 0;
  std::optional<NameError> want_name_error = std::nullopt;  // for kBadName
};
REGAUTH_PRINT_LABEL(ScopeCase)

const ScopeOptions kSpec;
const ScopeOptions kGitLab = Dialect(SD::kGitLab);
const ScopeOptions kDockerAuth = Dialect(SD::kDockerAuth);
const ScopeOptions kContainers = Dialect(SD::kContainersImage);

// scope.md grammar (token-auth.md §1.7), captured challenges (suite-anchors.md §C1) and the
// attack rows of suite-anchors.md §C4, then the same inputs through each peer's split.
const ScopeCase kScopeCases[] = {
    // kSpec: valid.
    {"doc example", "repository:samalba/my-app:pull,push", kSpec,
     ResourceScope{"repository", "", "samalba/my-app", {"pull", "push"}}},
    {"captured pull", "repository:foo/bar:pull", kSpec,
     ResourceScope{"repository", "", "foo/bar", {"pull"}}},
    {"captured catalog", "registry:catalog:*", kSpec,
     ResourceScope{"registry", "", "catalog", {"*"}}},
    {"captured delete", "repository:foo/bar:delete", kSpec,
     ResourceScope{"repository", "", "foo/bar", {"delete"}}},
    {"skopeo delete star", "repository:x:*", kSpec, ResourceScope{"repository", "", "x", {"*"}}},
    {"port in name", "repository:localhost:5000/foo:pull", kSpec,
     ResourceScope{"repository", "", "localhost:5000/foo", {"pull"}}},
    {"resource class", "repository(plugin):foo:pull", kSpec,
     ResourceScope{"repository", "plugin", "foo", {"pull"}}},
    {"empty action is grammatical", "repository:foo:", kSpec,
     ResourceScope{"repository", "", "foo", {""}}},
    {"trailing empty action kept", "repository:foo:pull,", kSpec,
     ResourceScope{"repository", "", "foo", {"pull", ""}}},
    {"leading empty action kept", "repository:foo:,pull", kSpec,
     ResourceScope{"repository", "", "foo", {"", "pull"}}},
    {"duplicates kept", "repository:foo:push,push", kSpec,
     ResourceScope{"repository", "", "foo", {"push", "push"}}},
    {"order kept", "repository:foo:push,pull", kSpec,
     ResourceScope{"repository", "", "foo", {"push", "pull"}}},
    {"unknown action is grammatical", "repository:foo:admin", kSpec,
     ResourceScope{"repository", "", "foo", {"admin"}}},
    {"unknown type is grammatical", "invalid:aa:bb", kSpec,
     ResourceScope{"invalid", "", "aa", {"bb"}}},
    // kSpec: errors.
    {"empty", "", kSpec, std::nullopt, SE::kEmpty, 0},
    {"too large", "repository:" + Repeat("a", 1020) + ":pull", kSpec, std::nullopt, SE::kTooLarge,
     1024},
    {"no colon", "repository", kSpec, std::nullopt, SE::kMissingName, 10},
    {"one colon", "repository:foo", kSpec, std::nullopt, SE::kMissingName, 14},
    {"upper-case type", "REPOSITORY:foo:pull", kSpec, std::nullopt, SE::kBadType, 0},
    {"dash in type", "repo-sitory:foo:pull", kSpec, std::nullopt, SE::kBadType, 4},
    {"empty type", ":foo:pull", kSpec, std::nullopt, SE::kBadType, 0},
    {"empty class", "repository():foo:pull", kSpec, std::nullopt, SE::kBadClass, 11},
    {"unclosed class", "repository(plugin:foo:pull", kSpec, std::nullopt, SE::kBadClass, 17},
    {"bytes after class", "repository(plugin)x:foo:pull", kSpec, std::nullopt, SE::kBadClass, 18},
    {"upper-case class", "repository(Plugin):foo:pull", kSpec, std::nullopt, SE::kBadClass, 11},
    {"upper-case action", "repository:foo:PULL", kSpec, std::nullopt, SE::kBadAction, 15},
    {"star inside action", "repository:foo:pu*ll", kSpec, std::nullopt, SE::kBadAction, 17},
    {"double star", "repository:foo:**", kSpec, std::nullopt, SE::kBadAction, 15},
    {"space in actions", "repository:foo:pull push", kSpec, std::nullopt, SE::kBadAction, 19},
    {"star disabled", "registry:catalog:*", NoStar(), std::nullopt, SE::kStarActionDisabled, 17},
    {"empty action disabled", "repository:foo:", NoEmptyAction(), std::nullopt, SE::kEmptyAction,
     15},
    {"trailing empty action disabled", "repository:foo:pull,", NoEmptyAction(), std::nullopt,
     SE::kEmptyAction, 20},
    {"17 actions", "repository:foo:" + Repeat("pull", 17, ","), kSpec, std::nullopt,
     SE::kTooManyActions, 15 + 16 * 5},
    {"extra colon lands in the name", "repository:foo:pull:push", kSpec, std::nullopt, SE::kBadName,
     14, NameError::kBadCharacter},
    {"two ports", "repository:host:5000:5000/foo:pull", kSpec, std::nullopt, SE::kBadName, 20,
     NameError::kBadPort},
    {"comma in name", "repository:foo,bar:pull", kSpec, std::nullopt, SE::kBadName, 14,
     NameError::kBadCharacter},
    {"empty name", "repository::pull", kSpec, std::nullopt, SE::kBadName, 11, NameError::kEmpty},
    {"upper-case name", "repository:FOO/bar:pull", kSpec, std::nullopt, SE::kBadName, 11,
     NameError::kUppercase},
    {"traversal", "repository:foo/../bar:pull", kSpec, std::nullopt, SE::kBadName, 15,
     NameError::kDotSegment},
    {"current dir", "repository:foo/./bar:pull", kSpec, std::nullopt, SE::kBadName, 15,
     NameError::kDotSegment},
    {"double slash", "repository:foo//bar:pull", kSpec, std::nullopt, SE::kBadName, 15,
     NameError::kEmptyComponent},
    {"leading slash", "repository:/foo:pull", kSpec, std::nullopt, SE::kBadName, 11,
     NameError::kEmptyComponent},
    {"trailing slash", "repository:foo/:pull", kSpec, std::nullopt, SE::kBadName, 15,
     NameError::kEmptyComponent},
    {"percent dot-dot", "repository:%2e%2e:pull", kSpec, std::nullopt, SE::kBadName, 11,
     NameError::kPercentEncoded},
    {"percent slash", "repository:foo%2Fbar:pull", kSpec, std::nullopt, SE::kBadName, 14,
     NameError::kPercentEncoded},
    {"nul in name", std::string("repository:foo\0bar:pull", 23), kSpec, std::nullopt, SE::kBadName,
     14, NameError::kBadCharacter},
    {"name over 255", "repository:" + Repeat("a", 256) + ":pull", kSpec, std::nullopt, SE::kBadName,
     11 + 255, NameError::kTooLong},
    {"dotted capital I", "repository:\xC4\xB0/x:pull", kSpec, std::nullopt, SE::kBadName, 11,
     NameError::kBadCharacter},
    {"fullwidth solidus",
     "repository:foo\xEF\xBC\x8F"
     "bar:pull",
     kSpec, std::nullopt, SE::kBadName, 14, NameError::kBadCharacter},
    // kGitLab: `type, name, actions = scope.split(':', 3)`; nothing validated.
    {"gitlab: plain", "repository:foo/bar:pull,push", kGitLab,
     ResourceScope{"repository", "", "foo/bar", {"pull", "push"}}},
    {"gitlab: port breaks the name", "repository:localhost:5000/foo:pull", kGitLab,
     ResourceScope{"repository", "", "localhost", {"5000/foo:pull"}}},
    {"gitlab: class stays in the type", "repository(plugin):foo:pull", kGitLab,
     ResourceScope{"repository(plugin)", "", "foo", {"pull"}}},
    {"gitlab: upper case kept", "REPOSITORY:foo:PULL", kGitLab,
     ResourceScope{"REPOSITORY", "", "foo", {"PULL"}}},
    {"gitlab: extra colon in actions", "repository:foo:pull:push", kGitLab,
     ResourceScope{"repository", "", "foo", {"pull:push"}}},
    {"gitlab: empty actions", "repository:foo:", kGitLab,
     ResourceScope{"repository", "", "foo", {}}},
    {"gitlab: ruby drops trailing empties", "repository:foo:pull,,push,,", kGitLab,
     ResourceScope{"repository", "", "foo", {"pull", "", "push"}}},
    {"gitlab: empty name", "repository::pull", kGitLab,
     ResourceScope{"repository", "", "", {"pull"}}},
    {"gitlab: one colon raises", "repository:foo", kGitLab, std::nullopt, SE::kGitLabWouldRaise,
     14},
    {"gitlab: no colon raises", "foo", kGitLab, std::nullopt, SE::kGitLabWouldRaise, 3},
    // kDockerAuth: strings.Split on ':'; 3 or 4 parts; type = first [a-z0-9]+ run; sorted actions.
    {"docker_auth: plain sorted", "repository:foo/bar:push,pull", kDockerAuth,
     ResourceScope{"repository", "", "foo/bar", {"pull", "push"}}},
    {"docker_auth: port rejoined", "repository:localhost:5000/foo:pull", kDockerAuth,
     ResourceScope{"repository", "", "localhost:5000/foo", {"pull"}}},
    {"docker_auth: class dropped", "repository(plugin):foo:pull", kDockerAuth,
     ResourceScope{"repository", "", "foo", {"pull"}}},
    {"docker_auth: unanchored type regex", "Repository:foo:pull", kDockerAuth,
     ResourceScope{"epository", "", "foo", {"pull"}}},
    {"docker_auth: empty action", "repository:foo:", kDockerAuth,
     ResourceScope{"repository", "", "foo", {""}}},
    {"docker_auth: upper-case type", "REPOSITORY:foo:pull", kDockerAuth, std::nullopt, SE::kBadType,
     0},
    {"docker_auth: one colon", "repository:foo", kDockerAuth, std::nullopt, SE::kMissingName, 14},
    {"docker_auth: five parts", "repository:a:b:c:d", kDockerAuth, std::nullopt, SE::kTooManyColons,
     16},
    // kContainersImage: strings.Split on ':' must give exactly 3 parts.
    {"containers: plain", "repository:foo/bar:pull,push", kContainers,
     ResourceScope{"repository", "", "foo/bar", {"pull", "push"}}},
    {"containers: raw type", "repository(plugin):foo:PULL", kContainers,
     ResourceScope{"repository(plugin)", "", "foo", {"PULL"}}},
    {"containers: port rejected", "repository:localhost:5000/foo:pull", kContainers, std::nullopt,
     SE::kTooManyColons, 29},
    {"containers: one colon", "repository:foo", kContainers, std::nullopt, SE::kMissingName, 14},
};

class ScopeTest : public testing::TestWithParam<ScopeCase> {};

TEST_P(ScopeTest, ParsesOrFailsWithExactCodeAndOffset) {
  const ScopeCase& c = GetParam();
  NameError name_error{};
  auto got = ParseScope(c.input, c.options, &name_error);
  if (c.want) {
    ASSERT_TRUE(got.has_value()) << c.label << ": " << CodeName(got.error().code) << " at "
                                 << got.error().offset;
    EXPECT_EQ(got->type, c.want->type) << c.label;
    EXPECT_EQ(got->resource_class, c.want->resource_class) << c.label;
    EXPECT_EQ(got->name, c.want->name) << c.label;
    EXPECT_EQ(got->actions, c.want->actions) << c.label;
    if (c.options.dialect == SD::kSpec) {
      EXPECT_EQ(SerializeScope(*got), c.input) << c.label;
    }
  } else {
    ASSERT_FALSE(got.has_value()) << c.label << " parsed as " << SerializeScope(*got);
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
    if (c.want_name_error) {
      EXPECT_EQ(CodeName(name_error), CodeName(*c.want_name_error)) << c.label;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ScopeTest, testing::ValuesIn(kScopeCases),
                         testing_support::LabelName());

struct ListCase {
  const char* label;
  std::string input;
  ScopeOptions options;
  std::optional<std::vector<std::string>> want;  // each entry re-serialised
  ScopeError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(ListCase)

const std::string kMount = "repository:other/repo:pull repository:foo/bar:pull,push";

// Lists: single spaces (scope.md), whitespace runs (GitLab), single spaces (docker_auth), no
// splitting at all (containers/image).
const ListCase kListCases[] = {
    {"captured blob mount", kMount, kSpec,
     std::vector<std::string>{"repository:other/repo:pull", "repository:foo/bar:pull,push"}},
    {"one entry", "registry:catalog:*", kSpec, std::vector<std::string>{"registry:catalog:*"}},
    {"empty", "", kSpec, std::nullopt, SE::kEmpty, 0},
    {"leading space", " repository:foo:pull", kSpec, std::nullopt, SE::kBadSeparator, 0},
    {"trailing space", "repository:foo:pull ", kSpec, std::nullopt, SE::kBadSeparator, 20},
    {"double space", "repository:foo:pull  registry:catalog:*", kSpec, std::nullopt,
     SE::kBadSeparator, 20},
    {"tab is not a separator", "repository:foo:pull\tregistry:catalog:*", kSpec, std::nullopt,
     SE::kBadName, 14},
    {"error offset in second entry", "repository:foo:pull repository:BAR:pull", kSpec, std::nullopt,
     SE::kBadName, 31},
    {"65 scopes", Repeat("repository:a/b:pull", 65, " "), kSpec, std::nullopt, SE::kTooManyScopes,
     64 * 20},
    {"list too large", Repeat("a", 16385), kSpec, std::nullopt, SE::kTooLarge, 16384},
    {"gitlab: whitespace runs", "  repository:a/b:pull\trepository:c/d:push\n", kGitLab,
     std::vector<std::string>{"repository:a/b:pull", "repository:c/d:push"}},
    {"gitlab: blank is no scopes", " \t ", kGitLab, std::vector<std::string>{}},
    {"gitlab: empty is no scopes", "", kGitLab, std::vector<std::string>{}},
    {"gitlab: one entry raises", "repository:a/b:pull foo", kGitLab, std::nullopt,
     SE::kGitLabWouldRaise, 23},
    {"docker_auth: two entries", kMount, kDockerAuth,
     std::vector<std::string>{"repository:other/repo:pull", "repository:foo/bar:pull,push"}},
    {"docker_auth: empty is no scopes", "", kDockerAuth, std::vector<std::string>{}},
    {"docker_auth: double space", "a:b:c  a:b:c", kDockerAuth, std::nullopt, SE::kBadSeparator, 6},
    {"containers: single scope", "repository:foo/bar:pull", kContainers,
     std::vector<std::string>{"repository:foo/bar:pull"}},
    {"containers: two-scope challenge fails", kMount, kContainers, std::nullopt, SE::kTooManyColons,
     37},
};

class ScopeListTest : public testing::TestWithParam<ListCase> {};

TEST_P(ScopeListTest, SplitsLikeThePeer) {
  const ListCase& c = GetParam();
  auto got = ParseScopeList(c.input, c.options);
  if (c.want) {
    ASSERT_TRUE(got.has_value()) << c.label << ": " << CodeName(got.error().code) << " at "
                                 << got.error().offset;
    std::vector<std::string> serialised;
    for (const ResourceScope& s : *got) serialised.push_back(SerializeScope(s));
    EXPECT_EQ(serialised, *c.want) << c.label;
  } else {
    ASSERT_FALSE(got.has_value()) << c.label;
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ScopeListTest, testing::ValuesIn(kListCases),
                         testing_support::LabelName());

// A spec list re-serialises to its input.
TEST(ScopeList, SerializeRoundTrips) {
  auto l = ParseScopeList(kMount);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(SerializeScopeList(*l), kMount);
}

std::vector<ResourceScope> List(const std::string& s) {
  auto l = ParseScopeList(s);
  EXPECT_TRUE(l.has_value()) << s;
  return l ? *l : std::vector<ResourceScope>{};
}

struct SetCase {
  const char* label;
  std::string a;
  std::string b;
  bool same;
};
REGAUTH_PRINT_LABEL(SetCase)

// Registries emit resources and actions in Go-map order (token-auth.md §7): compare as sets.
const SetCase kSetCases[] = {
    {"action order", "repository:foo/bar:pull,push", "repository:foo/bar:push,pull", true},
    {"resource order", kMount, "repository:foo/bar:push,pull repository:other/repo:pull", true},
    {"duplicate actions", "repository:foo:push,push", "repository:foo:push", true},
    {"split entries merge", "repository:foo:pull repository:foo:push", "repository:foo:pull,push",
     true},
    {"class ignored", "repository(plugin):foo:pull", "repository:foo:pull", true},
    {"fewer actions", "repository:foo:pull", "repository:foo:pull,push", false},
    {"other name", "repository:foo:pull", "repository:bar:pull", false},
    {"other type", "repository:foo:pull", "registry:foo:pull", false},
    {"star is literal here", "repository:foo:*", "repository:foo:pull", false},
};

class SameScopeSetTest : public testing::TestWithParam<SetCase> {};

TEST_P(SameScopeSetTest, ComparesAsSets) {
  const SetCase& c = GetParam();
  EXPECT_EQ(SameScopeSet(List(c.a), List(c.b)), c.same) << c.label;
  EXPECT_EQ(SameScopeSet(List(c.b), List(c.a)), c.same) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, SameScopeSetTest, testing::ValuesIn(kSetCases),
                         testing_support::LabelName());

// A resource with no actions (docker_auth's `actions: []`) is not the same as no resource.
TEST(SameScopeSet, ResourceWithoutActionsDiffersFromAbsence) {
  const std::vector<ResourceScope> with_empty = {ResourceScope{"repository", "", "foo", {}}};
  EXPECT_FALSE(SameScopeSet(with_empty, {}));
  EXPECT_TRUE(SameScopeSet({}, {}));
}

// Normalize merges, dedupes and sorts; it is idempotent and set-preserving.
TEST(Normalize, MergesSortsAndIsIdempotent) {
  const auto in = List(
      "repository:foo:push,pull,push registry:catalog:* repository:foo:delete "
      "repository(plugin):foo:pull");
  const auto n = Normalize(in);
  EXPECT_EQ(SerializeScopeList(n),
            "registry:catalog:* repository:foo:delete,pull,push repository(plugin):foo:pull");
  EXPECT_EQ(Normalize(n), n);
  EXPECT_TRUE(SameScopeSet(in, n));
}

struct CoversCase {
  const char* label;
  std::vector<ResourceScope> granted;  // a token's access list (built directly: it need not parse)
  std::string type;
  std::string name;
  std::string action;
  bool want;
};
REGAUTH_PRINT_LABEL(CoversCase)

ResourceScope Repo(std::string name, Actions actions, std::string resource_class = "") {
  return ResourceScope{"repository", std::move(resource_class), std::move(name),
                       std::move(actions)};
}

// distribution accessSet.contains (token-auth.md §2.5; suite-anchors.md §C1 measured rows).
const CoversCase kCoversCases[] = {
    {"exact action", {Repo("foo/bar", {"pull"})}, "repository", "foo/bar", "pull", true},
    {"missing action", {Repo("foo/bar", {"pull"})}, "repository", "foo/bar", "push", false},
    {"name is case-sensitive", {Repo("foo/bar", {"pull"})}, "repository", "FOO/bar", "pull", false},
    {"star covers push", {Repo("foo/bar", {"*"})}, "repository", "foo/bar", "push", true},
    {"star covers delete", {Repo("foo/bar", {"*"})}, "repository", "foo/bar", "delete", true},
    {"class ignored", {Repo("foo", {"pull"}, "plugin")}, "repository", "foo", "pull", true},
    {"no globbing", {Repo("foo/*", {"pull"})}, "repository", "foo/bar", "pull", false},
    {"union over entries",
     {Repo("foo", {"pull"}), Repo("foo", {"push"})},
     "repository",
     "foo",
     "push",
     true},
    {"catalog",
     {ResourceScope{"registry", "", "catalog", {"*"}}},
     "registry",
     "catalog",
     "*",
     true},
    {"type must match",
     {ResourceScope{"registry", "", "foo", {"*"}}},
     "repository",
     "foo",
     "pull",
     false},
    {"empty grant", {}, "repository", "foo", "pull", false},
};

class CoversTest : public testing::TestWithParam<CoversCase> {};

TEST_P(CoversTest, MatchesAccessSetContains) {
  const CoversCase& c = GetParam();
  EXPECT_EQ(Covers(c.granted, c.type, c.name, c.action), c.want) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, CoversTest, testing::ValuesIn(kCoversCases),
                         testing_support::LabelName());

// Every code has a distinct snake_case name.
TEST(ScopeErrorCodes, HaveDistinctNames) {
  std::vector<std::string_view> names;
  for (int i = static_cast<int>(SE::kEmpty); i <= static_cast<int>(SE::kGitLabWouldRaise); ++i) {
    names.push_back(CodeName(static_cast<SE>(i)));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_NE(names[i], "unknown");
    for (std::size_t j = i + 1; j < names.size(); ++j) EXPECT_NE(names[i], names[j]);
  }
}

}  // namespace
}  // namespace regauth::protocol
