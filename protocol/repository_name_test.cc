#include "protocol/repository_name.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

// Repeat joins `n` copies of `part` with `sep`.
std::string Repeat(const std::string& part, std::size_t n, const std::string& sep = "") {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += sep;
    out += part;
  }
  return out;
}

NameOptions Rule(DomainRule rule, bool ipv6 = false) {
  NameOptions o;
  o.domain_rule = rule;
  o.allow_ipv6 = ipv6;
  return o;
}

struct NameCase {
  const char* label;
  std::string input;
  NameOptions options;
  std::optional<RepositoryName> want;  // nullopt when an error is expected
  NameError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(NameCase)

using DR = DomainRule;
using NE = NameError;
const NameOptions kDefault;

// distribution reference grammar (token-auth.md §1.7) and the attack rows of suite-anchors.md §C4.
const NameCase kNameCases[] = {
    // Valid names under the default (Docker heuristic) domain rule.
    {"one component", "foo", kDefault, RepositoryName{"", "foo"}},
    {"two components", "foo/bar", kDefault, RepositoryName{"", "foo/bar"}},
    {"every separator", "a.b/c_d/e__f/g-h", kDefault, RepositoryName{"a.b", "c_d/e__f/g-h"}},
    {"dash run", "a---b", kDefault, RepositoryName{"", "a---b"}},
    {"digits", "0/1", kDefault, RepositoryName{"", "0/1"}},
    {"localhost with port", "localhost:5000/foo", kDefault,
     RepositoryName{"localhost:5000", "foo"}},
    {"localhost without port", "localhost/foo", kDefault, RepositoryName{"localhost", "foo"}},
    {"dotted domain", "registry.example.com/group/project/image", kDefault,
     RepositoryName{"registry.example.com", "group/project/image"}},
    {"ipv4 and port", "192.168.1.1:5000/repo", kDefault,
     RepositoryName{"192.168.1.1:5000", "repo"}},
    {"domain keeps case", "Foo.Example.com/bar", kDefault,
     RepositoryName{"Foo.Example.com", "bar"}},
    // A dotted first component that is not a host is a path component (reference.Parse).
    {"dotted path component", "a_b.c/d", kDefault, RepositoryName{"", "a_b.c/d"}},
    {"localhost alone is a path", "localhost", kDefault, RepositoryName{"", "localhost"}},
    {"exactly 255", Repeat("a", 255), kDefault, RepositoryName{"", Repeat("a", 255)}},
    // Length and emptiness.
    {"empty", "", kDefault, std::nullopt, NE::kEmpty, 0},
    {"256 bytes", Repeat("a", 256), kDefault, std::nullopt, NE::kTooLong, 255},
    // Traversal and structure attacks (suite-anchors.md §C4).
    {"dot-dot segment", "foo/../bar", kDefault, std::nullopt, NE::kDotSegment, 4},
    {"dot segment", "foo/./bar", kDefault, std::nullopt, NE::kDotSegment, 4},
    {"whole name dot-dot", "..", kDefault, std::nullopt, NE::kDotSegment, 0},
    {"trailing dot-dot", "foo/..", kDefault, std::nullopt, NE::kDotSegment, 4},
    {"double slash", "foo//bar", kDefault, std::nullopt, NE::kEmptyComponent, 4},
    {"leading slash", "/foo", kDefault, std::nullopt, NE::kEmptyComponent, 0},
    {"trailing slash", "foo/", kDefault, std::nullopt, NE::kEmptyComponent, 4},
    {"percent dot-dot", "%2e%2e", kDefault, std::nullopt, NE::kPercentEncoded, 0},
    {"percent slash upper", "foo%2Fbar", kDefault, std::nullopt, NE::kPercentEncoded, 3},
    {"percent slash lower", "foo%2fbar", kDefault, std::nullopt, NE::kPercentEncoded, 3},
    {"percent not hex", "foo%zz", kDefault, std::nullopt, NE::kBadCharacter, 3},
    {"percent at end", "foo%2", kDefault, std::nullopt, NE::kBadCharacter, 3},
    {"nul byte", std::string("foo\0bar", 7), kDefault, std::nullopt, NE::kBadCharacter, 3},
    {"dotted capital I U+0130", "\xC4\xB0stanbul", kDefault, std::nullopt, NE::kBadCharacter, 0},
    {"fullwidth solidus U+FF0F",
     "foo\xEF\xBC\x8F"
     "bar",
     kDefault, std::nullopt, NE::kBadCharacter, 3},
    {"kelvin sign U+212A",
     "\xE2\x84\xAA"
     "ey/x",
     kDefault, std::nullopt, NE::kBadCharacter, 0},
    {"upper case first", "FOO/bar", kDefault, std::nullopt, NE::kUppercase, 0},
    {"upper case later", "foo/Bar", kDefault, std::nullopt, NE::kUppercase, 4},
    {"comma", "foo,bar", kDefault, std::nullopt, NE::kBadCharacter, 3},
    {"space", "foo bar", kDefault, std::nullopt, NE::kBadCharacter, 3},
    {"tag is not part of a name", "foo/bar:latest", kDefault, std::nullopt, NE::kBadCharacter, 7},
    {"port without slash", "foo:5000", kDefault, std::nullopt, NE::kBadCharacter, 3},
    // Separators: '.', '_', '__' or a run of '-', always between [a-z0-9].
    {"double dot", "a..b", kDefault, std::nullopt, NE::kBadSeparator, 1},
    {"trailing dash", "a-", kDefault, std::nullopt, NE::kBadSeparator, 1},
    {"leading underscore", "_a", kDefault, std::nullopt, NE::kBadSeparator, 0},
    {"triple underscore", "a___b", kDefault, std::nullopt, NE::kBadSeparator, 1},
    {"dot underscore", "a._b", kDefault, std::nullopt, NE::kBadSeparator, 1},
    {"underscore dash", "a_-b", kDefault, std::nullopt, NE::kBadSeparator, 1},
    {"three dots", "...", kDefault, std::nullopt, NE::kBadSeparator, 0},
    {"hidden component", "foo/.hidden", kDefault, std::nullopt, NE::kBadSeparator, 4},
    {"separator before slash", "a./b", kDefault, std::nullopt, NE::kBadSeparator, 1},
    // Domains.
    {"empty port", "localhost:/foo", kDefault, std::nullopt, NE::kBadPort, 10},
    {"non-digit port", "localhost:50a0/foo", kDefault, std::nullopt, NE::kBadPort, 12},
    {"domain ends with dash", "foo-.com:5000/bar", kDefault, std::nullopt, NE::kBadDomain, 3},
    {"empty domain label", "foo..com:5000/bar", kDefault, std::nullopt, NE::kBadDomain, 4},
    {"dotted non-host falls back to path", "-foo.com/bar", kDefault, std::nullopt,
     NE::kBadSeparator, 0},
    {"ipv6 disabled", "[::1]:5000/foo", kDefault, std::nullopt, NE::kIpv6Disabled, 0},
    {"ipv6 enabled", "[::1]:5000/foo", Rule(DR::kDockerHeuristic, true),
     RepositoryName{"[::1]:5000", "foo"}},
    {"ipv6 unclosed", "[::1/foo", Rule(DR::kDockerHeuristic, true), std::nullopt, NE::kBadDomain,
     4},
    {"ipv6 empty", "[]/foo", Rule(DR::kDockerHeuristic, true), std::nullopt, NE::kBadDomain, 1},
    // reference.Parse: the first of several components is a domain whenever it can be one.
    {"reference: plain first component", "foo/bar", Rule(DR::kReferenceGrammar),
     RepositoryName{"foo", "bar"}},
    {"reference: upper-case domain", "FOO/bar", Rule(DR::kReferenceGrammar),
     RepositoryName{"FOO", "bar"}},
    {"reference: foo/foo_bar.com", "foo/foo_bar.com", Rule(DR::kReferenceGrammar),
     RepositoryName{"foo", "foo_bar.com"}},
    {"reference: path fallback", "a_b.c/d", Rule(DR::kReferenceGrammar),
     RepositoryName{"", "a_b.c/d"}},
    {"reference: upper case after domain", "FOO/Bar", Rule(DR::kReferenceGrammar), std::nullopt,
     NE::kUppercase, 4},
    {"reference: furthest error wins", "foo:x/bar", Rule(DR::kReferenceGrammar), std::nullopt,
     NE::kBadPort, 4},
    {"reference: furthest error is the domain's", "a./b", Rule(DR::kReferenceGrammar), std::nullopt,
     NE::kBadDomain, 2},
    {"reference: single upper-case component", "FOO", Rule(DR::kReferenceGrammar), std::nullopt,
     NE::kUppercase, 0},
    // No domain: the whole name is path components.
    {"no domain: dotted first component", "registry.example.com/group", Rule(DR::kNoDomain),
     RepositoryName{"", "registry.example.com/group"}},
    {"no domain: port rejected", "localhost:5000/foo", Rule(DR::kNoDomain), std::nullopt,
     NE::kBadCharacter, 9},
};

class RepositoryNameTest : public testing::TestWithParam<NameCase> {};

TEST_P(RepositoryNameTest, ParsesOrFailsWithExactCodeAndOffset) {
  const NameCase& c = GetParam();
  auto got = ParseRepositoryName(c.input, c.options);
  if (c.want) {
    ASSERT_TRUE(got.has_value()) << c.label << ": " << CodeName(got.error().code) << " at "
                                 << got.error().offset;
    EXPECT_EQ(got->domain, c.want->domain) << c.label;
    EXPECT_EQ(got->path, c.want->path) << c.label;
    EXPECT_EQ(got->Full(), c.input) << c.label;
  } else {
    ASSERT_FALSE(got.has_value()) << c.label << " parsed as " << got->Full();
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, RepositoryNameTest, testing::ValuesIn(kNameCases),
                         testing_support::LabelName());

// Components splits the path only; the domain is not a component.
TEST(RepositoryName, ComponentsExcludeTheDomain) {
  auto n = ParseRepositoryName("registry.example.com:5000/group/sub/image");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->Components(), (std::vector<std::string>{"group", "sub", "image"}));
  EXPECT_EQ(n->Full(), "registry.example.com:5000/group/sub/image");
}

// The rules nest: kNoDomain ⊂ kDockerHeuristic ⊂ kReferenceGrammar, with the same Full().
TEST(RepositoryName, DomainRulesNestAndKeepTheFullName) {
  const char* inputs[] = {"foo",           "foo/bar",          "FOO/bar", "localhost:5000/foo",
                          "a_b.c/d",       "Foo.com/x",        "a/b/c",   "foo:x/bar",
                          "localhost/foo", "a.b/c_d/e__f/g-h", "-a/b",    "x/Y"};
  for (const char* in : inputs) {
    auto none = ParseRepositoryName(in, Rule(DR::kNoDomain));
    auto heuristic = ParseRepositoryName(in, Rule(DR::kDockerHeuristic));
    auto reference = ParseRepositoryName(in, Rule(DR::kReferenceGrammar));
    if (none) {
      EXPECT_TRUE(heuristic.has_value()) << in;
    }
    if (heuristic) {
      ASSERT_TRUE(reference.has_value()) << in;
      EXPECT_EQ(reference->Full(), heuristic->Full()) << in;
    }
  }
}

// A long hostile input is scanned in linear time without recursion (no std::regex).
TEST(RepositoryName, LongInputsAreLinearAndBounded) {
  NameOptions big;
  big.max_length = 1 << 20;
  const std::string ok = Repeat("a", 1 << 19, "-");
  EXPECT_TRUE(ParseRepositoryName(ok, big).has_value());
  const std::string bad = Repeat("a", 1 << 19, "-") + "-";
  auto r = ParseRepositoryName(bad, big);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, NameError::kBadSeparator);
}

struct GitLabCase {
  const char* label;
  std::string input;
  bool downcase;
  std::optional<std::string> want;
  NameError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(GitLabCase)

// GitLab's ContainerRegistry::Path#valid? (token-auth.md §3.5).
const GitLabCase kGitLabCases[] = {
    {"two components", "group/project", true, "group/project"},
    {"image below project", "group/sub/project/image/x", true, "group/sub/project/image/x"},
    {"separators", "a--b/c__d/e.f/g_h", true, "a--b/c__d/e.f/g_h"},
    {"upper case downcased", "Group/Project", true, "group/project"},
    {"upper case strict", "Group/Project", false, std::nullopt, NE::kUppercase, 0},
    // Ruby's Unicode downcase maps U+212A KELVIN SIGN to ASCII 'k' (the only such character).
    {"kelvin sign downcased",
     "\xE2\x84\xAA"
     "ey/x",
     true, "key/x"},
    {"kelvin sign strict",
     "\xE2\x84\xAA"
     "ey/x",
     false, std::nullopt, NE::kBadCharacter, 0},
    {"kelvin sign offsets", "\xE2\x84\xAA/A_/x", true, std::nullopt, NE::kBadSeparator, 5},
    {"dotted capital I stays invalid", "\xC4\xB0/x", true, std::nullopt, NE::kBadCharacter, 0},
    {"one component", "invalid", true, std::nullopt, NE::kTooFewComponents, 7},
    {"19 components", Repeat("a", 19, "/"), true, Repeat("a", 19, "/")},
    {"20 components", Repeat("a", 20, "/"), true, std::nullopt, NE::kTooManyComponents, 38},
    {"empty", "", true, std::nullopt, NE::kEmpty, 0},
    {"too long", Repeat("a", 1025), true, std::nullopt, NE::kTooLong, 1024},
    {"double slash", "group//project", true, std::nullopt, NE::kEmptyComponent, 6},
    {"dot-dot", "group/../project", true, std::nullopt, NE::kDotSegment, 6},
    {"trailing dash", "a/b-", true, std::nullopt, NE::kBadSeparator, 3},
    {"port", "localhost:5000/foo", true, std::nullopt, NE::kBadCharacter, 9},
    {"percent", "group/%2e%2e", true, std::nullopt, NE::kPercentEncoded, 6},
};

class GitLabPathTest : public testing::TestWithParam<GitLabCase> {};

TEST_P(GitLabPathTest, ValidatesLikeContainerRegistryPath) {
  const GitLabCase& c = GetParam();
  GitLabPathOptions o;
  o.downcase = c.downcase;
  auto got = ParseGitLabPath(c.input, o);
  if (c.want) {
    ASSERT_TRUE(got.has_value()) << c.label << ": " << CodeName(got.error().code) << " at "
                                 << got.error().offset;
    EXPECT_EQ(*got, *c.want) << c.label;
  } else {
    ASSERT_FALSE(got.has_value()) << c.label << " gave " << *got;
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, GitLabPathTest, testing::ValuesIn(kGitLabCases),
                         testing_support::LabelName());

// GitLab's regex (with its `-*` separator) describes the same language as distribution's path
// grammar, so a strict GitLab success within 255 bytes is a distribution success.
TEST(GitLabPath, StrictSuccessIsADistributionName) {
  for (const char* in : {"a/b", "a-b/c", "a--b/c", "ab/c.d", "a__b/c_d", "a0/9z"}) {
    GitLabPathOptions strict;
    strict.downcase = false;
    ASSERT_TRUE(ParseGitLabPath(in, strict).has_value()) << in;
    EXPECT_TRUE(ParseRepositoryName(in, Rule(DR::kNoDomain)).has_value()) << in;
  }
}

struct TagCase {
  const char* label;
  std::string input;
  bool ok;
  NameError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(TagCase)

// distribution tag grammar [\w][\w.-]{0,127} (token-auth.md §1.7).
const TagCase kTagCases[] = {
    {"latest", "latest", true},
    {"mixed", "v1.0-RC_1", true},
    {"leading underscore", "_x", true},
    {"128 bytes", Repeat("a", 128), true},
    {"empty", "", false, NE::kEmpty, 0},
    {"129 bytes", Repeat("a", 129), false, NE::kTooLong, 128},
    {"leading dot", ".x", false, NE::kBadTag, 0},
    {"leading dash", "-x", false, NE::kBadTag, 0},
    {"colon", "a:b", false, NE::kBadTag, 1},
    {"slash", "a/b", false, NE::kBadTag, 1},
    {"non-ascii", "\xC3\xA4", false, NE::kBadTag, 0},
    {"nul", std::string("a\0", 2), false, NE::kBadTag, 1},
};

class TagTest : public testing::TestWithParam<TagCase> {};

TEST_P(TagTest, ValidatesTagGrammar) {
  const TagCase& c = GetParam();
  auto got = ValidateTag(c.input);
  EXPECT_EQ(got.has_value(), c.ok) << c.label;
  if (!c.ok && !got) {
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, TagTest, testing::ValuesIn(kTagCases),
                         testing_support::LabelName());

const std::string kHex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct DigestCase {
  const char* label;
  std::string input;
  bool ok;
  NameError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(DigestCase)

// go-digest v1.0 Digest.Validate as the registry calls it.
const DigestCase kDigestCases[] = {
    {"sha256", "sha256:" + kHex64, true},
    {"sha384", "sha384:" + Repeat("a", 96), true},
    {"sha512", "sha512:" + Repeat("0", 128), true},
    {"empty", "", false, NE::kEmpty, 0},
    {"too long", "sha256:" + Repeat("a", 1100), false, NE::kTooLong, 1024},
    {"no colon", "sha256", false, NE::kBadDigest, 6},
    {"empty algorithm", ":" + kHex64, false, NE::kBadDigest, 0},
    {"empty encoded", "sha256:", false, NE::kBadDigest, 7},
    {"upper-case hex", "sha256:" + kHex64.substr(0, 63) + "A", false, NE::kBadDigest, 70},
    {"short", "sha256:" + kHex64.substr(0, 63), false, NE::kBadDigest, 7},
    {"long", "sha256:" + kHex64 + "0", false, NE::kBadDigest, 7},
    {"trailing newline", "sha256:" + kHex64 + "\n", false, NE::kBadDigest, 71},
    {"upper-case algorithm", "SHA256:" + kHex64, false, NE::kBadDigest, 0},
    {"unknown algorithm", "md5:d41d8cd98f00b204e9800998ecf8427e", false,
     NE::kUnsupportedDigestAlgorithm, 0},
    {"composite algorithm", "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", false,
     NE::kUnsupportedDigestAlgorithm, 0},
    {"unknown algorithm bad encoded", "foo:ab:c", false, NE::kBadDigest, 6},
};

class DigestTest : public testing::TestWithParam<DigestCase> {};

TEST_P(DigestTest, ParsesLikeGoDigest) {
  const DigestCase& c = GetParam();
  auto got = ParseDigest(c.input);
  ASSERT_EQ(got.has_value(), c.ok) << c.label;
  if (c.ok) {
    EXPECT_EQ(got->String(), c.input) << c.label;
  } else {
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code)) << c.label;
    EXPECT_EQ(got.error().offset, c.want_offset) << c.label;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, DigestTest, testing::ValuesIn(kDigestCases),
                         testing_support::LabelName());

// Every code has a distinct snake_case name.
TEST(NameErrorCodes, HaveDistinctNames) {
  std::vector<std::string_view> names;
  for (int i = static_cast<int>(NE::kEmpty); i <= static_cast<int>(NE::kUnsupportedDigestAlgorithm);
       ++i) {
    names.push_back(CodeName(static_cast<NE>(i)));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_NE(names[i], "unknown");
    for (std::size_t j = i + 1; j < names.size(); ++j) EXPECT_NE(names[i], names[j]);
  }
}

}  // namespace
}  // namespace regauth::protocol
