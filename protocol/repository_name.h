// repository_name.h — repository names, tags and digests as distribution and GitLab accept them.
//
// Two rule sets, both hand-written linear scanners (no std::regex: it is slow and recurses per
// character, so a long name can exhaust the stack):
//
// (a) The distribution reference grammar (github.com/distribution/reference `regexp.go`; in
//     distribution v2.8.3 the same grammar lives in-tree as `reference/regexp.go`; token-auth.md
//     §1.7 end). It is also the `resourcename` of a scope (scope.md):
//
//       name            := [domain '/'] path-component ['/' path-component]*
//       path-component  := alpha-numeric [separator alpha-numeric]*
//       alpha-numeric   := /[a-z0-9]+/
//       separator       := /[_.]|__|[-]+/
//       domain          := host [':' port]
//       host            := domain-component ['.' domain-component]* | '[' /[a-fA-F0-9:]+/ ']'
//       domain-component:= /[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]/
//       port            := /[0-9]+/
//       total length    <= 255 (NameTotalLengthMax)
//
//     The separator: the docs (scope.md) and the v2.8-era code both say `[-]*`; distribution PR
//     #3818 (Dec 2022) changed the code to `[-]+` because an empty separator makes backtracking
//     engines hang. Both describe the same language (an empty separator between two
//     alpha-numeric runs is just a longer run), so the scanner below implements both at once.
//
// (b) GitLab's container path rule (token-auth.md §3.5; gitlabhq `lib/container_registry/path.rb`
//     @4dbbab7b and `Gitlab::Regex.container_repository_name_regex`): the path is downcased, must
//     match `\A[a-z0-9]+(([._/]|__|-*)[a-z0-9])*\z`, and must have at least 2 and fewer than 20
//     (`Namespace::NUMBER_OF_ANCESTORS_ALLOWED`) '/'-separated components. That regex describes
//     exactly the language of (a)'s `path-component ['/' path-component]*` (its `-*` allows an
//     empty separator, which changes nothing, as above), so both rule sets share one scanner.
//
// Errors carry the byte offset of the offending character or component, and the attack classes of
// suite-anchors.md §C4 (dot segments, percent-encoding, empty components, upper case) have their
// own codes, although plain character rules would reject them too.
//
// Usage:
//   auto n = ParseRepositoryName("localhost:5000/foo/bar");   // n->domain == "localhost:5000"
//   auto g = ParseGitLabPath("Group/Project");                // *g == "group/project"
//   if (!ValidateTag("v1.0")) ...;
//   auto d = ParseDigest("sha256:e3b0c442...");              // d->algorithm == "sha256"
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

namespace regauth::protocol {

// NameError is the reason a repository name, GitLab path, tag or digest was rejected.
enum class NameError {
  kEmpty = 1,                   // the input is empty
  kTooLong,                     // longer than the limit (name 255, tag 128, digest, GitLab path)
  kUppercase,                   // 'A'-'Z' in a path component (distribution: names are lowercase)
  kBadCharacter,                // a byte outside the grammar (incl. NUL, ':', ',', any non-ASCII)
  kEmptyComponent,              // "//", a leading '/' or a trailing '/'
  kDotSegment,                  // a component that is exactly "." or ".." (path traversal)
  kPercentEncoded,              // "%XX" (e.g. %2F, %2e): names are never percent-decoded
  kBadSeparator,                // separator not '.', '_', '__' or '-'+, or at a component's edge
  kTooFewComponents,            // GitLab: fewer than 2 path components
  kTooManyComponents,           // GitLab: 20 or more path components
  kBadDomain,                   // the domain part does not match the host grammar
  kBadPort,                     // ':' in the domain not followed by one or more digits only
  kIpv6Disabled,                // "[...]" host while NameOptions::allow_ipv6 is false
  kBadTag,                      // tag outside [\w][\w.-]{0,127}
  kBadDigest,                   // digest malformed (separator, algorithm or encoded part)
  kUnsupportedDigestAlgorithm,  // well-formed digest whose algorithm is not sha256/384/512
};

// CodeName returns the stable snake_case name of `code` ("dot_segment", ...).
std::string_view CodeName(NameError code);

// kNameTotalLengthMax is distribution's NameTotalLengthMax: the longest full name (domain
// included) that reference.Parse accepts.
inline constexpr std::size_t kNameTotalLengthMax = 255;

// DomainRule decides whether the first '/'-separated component of a name is a domain. Only the
// split differs between the rules, and which names with upper case are accepted; Full() is the
// input in every case.
enum class DomainRule {
  // Docker's splitDockerDomain (distribution v2.8.3 `reference/normalize.go`): the first
  // component is a domain candidate when more components follow and it contains '.' or ':' (or
  // '['), or is "localhost". A candidate that matches the domain grammar is the domain; one that
  // does not is a path component (as reference.Parse would read it) unless it contains ':' or
  // '[', which a path never can. Everything else is path, so "FOO/bar" fails with kUppercase.
  kDockerHeuristic,
  // reference.Parse / NameRegexp exactly (the grammar of scope.md `resourcename` and of the
  // registry's routes): Go's leftmost-first match prefers the optional domain, so the first of
  // two or more components is the domain whenever it matches the domain grammar ("foo/bar" →
  // domain "foo", path "bar"; "FOO/bar" → domain "FOO"). Accepts a superset of kDockerHeuristic.
  kReferenceGrammar,
  // No domain at all: the whole name is path components (how GitLab and registry storage see a
  // repository). ':' is then kBadCharacter. Accepts a subset of kDockerHeuristic.
  kNoDomain,
};

// NameOptions are the limits and tolerances of ParseRepositoryName. Defaults are strict.
struct NameOptions {
  // Names longer than this fail with kTooLong (offset max_length) before any scanning.
  std::size_t max_length = kNameTotalLengthMax;
  DomainRule domain_rule = DomainRule::kDockerHeuristic;
  // Accept an IPv6 literal host "[a:b::c]" (github.com/distribution/reference and distribution
  // v3, PR #3489). Off by default: the v2.8-era grammar has no IPv6 form.
  bool allow_ipv6 = false;
};

// RepositoryName is a parsed distribution name. It owns its strings.
struct RepositoryName {
  std::string domain;  // "" or host[:port], as written (case kept)
  std::string path;    // one or more path components joined by '/'

  // Components returns the '/'-separated path components (the domain is not one of them).
  std::vector<std::string> Components() const;
  // Full returns domain + "/" + path, or path when there is no domain: the input, byte for byte.
  std::string Full() const;

  friend bool operator==(const RepositoryName&, const RepositoryName&) = default;
};

// ParseRepositoryName checks `name` against the distribution reference grammar (see the file
// comment) with the domain split chosen by options.domain_rule. The result owns copies.
// Errors: kEmpty; kTooLong (offset options.max_length); in the path kUppercase, kBadCharacter,
// kEmptyComponent, kDotSegment, kPercentEncoded, kBadSeparator; in the domain kBadDomain,
// kBadPort, kIpv6Disabled. Under kReferenceGrammar, when the input fails both as "domain/path"
// and as a plain path, the error that got further into the input is reported.
Result<RepositoryName, NameError> ParseRepositoryName(std::string_view name,
                                                      const NameOptions& options = {});

// kGitLabComponentsLimit is GitLab's Namespace::NUMBER_OF_ANCESTORS_ALLOWED: a valid path has
// fewer components than this.
inline constexpr std::size_t kGitLabComponentsLimit = 20;

// GitLabPathOptions selects between GitLab's own behaviour and a strict variant.
struct GitLabPathOptions {
  // true: downcase first, as ContainerRegistry::Path#initialize does (`path.to_s.downcase`).
  // Ruby's downcase is Unicode-aware, and exactly one non-ASCII character lowercases to ASCII:
  // U+212A KELVIN SIGN → 'k', which is reproduced (a confusable that GitLab accepts). Every other
  // non-ASCII byte stays non-ASCII under downcase and fails the regex (kBadCharacter).
  // false: strict; 'A'-'Z' fails with kUppercase and U+212A with kBadCharacter.
  bool downcase = true;
  // Inputs longer than this fail with kTooLong. GitLab itself has no length limit in path.rb;
  // this bound is ours, so a huge input costs nothing.
  std::size_t max_length = 1024;
  // A valid path has at least 2 and fewer than `components_limit` components.
  std::size_t components_limit = kGitLabComponentsLimit;
};

// ParseGitLabPath applies ContainerRegistry::Path#valid? and returns the normalised (downcased)
// path. Offsets refer to `path` as given. Errors: kEmpty; kTooLong; the path-grammar codes of
// ParseRepositoryName (kUppercase only with downcase = false); kTooFewComponents (offset
// path.size()); kTooManyComponents (offset of the first component at or past the limit).
// Note: GitLab answers 400 before path.rb runs when a parameter holds NUL or invalid UTF-8
// (Gitlab::Middleware::HandleMalformedStrings); here both are simply kBadCharacter.
Result<std::string, NameError> ParseGitLabPath(std::string_view path,
                                               const GitLabPathOptions& options = {});

// kTagLengthMax is the longest tag [\w][\w.-]{0,127} allows.
inline constexpr std::size_t kTagLengthMax = 128;

// ValidateTag checks `tag` against distribution's tag grammar `[\w][\w.-]{0,127}` (\w is
// [A-Za-z0-9_]). Errors: kEmpty; kTooLong (offset 128); kBadTag (offset of the first byte that
// breaks the grammar: a leading '.' or '-', or any byte outside [\w.-]).
Status<NameError> ValidateTag(std::string_view tag);

// ContentDigest is a parsed "algorithm:encoded" digest (opencontainers/go-digest).
struct ContentDigest {
  std::string algorithm;  // "sha256", "sha384" or "sha512"
  std::string encoded;    // lowercase hex of the algorithm's size

  // String returns algorithm + ":" + encoded: the input, byte for byte.
  std::string String() const { return algorithm + ":" + encoded; }
  friend bool operator==(const ContentDigest&, const ContentDigest&) = default;
};

// kDigestLengthMax bounds ParseDigest's input (sha512 needs 135 bytes).
inline constexpr std::size_t kDigestLengthMax = 1024;

// ParseDigest reproduces go-digest v1.0 Digest.Validate as the registry uses it: the algorithm is
// everything before the first ':'. sha256, sha384 and sha512 need exactly 64, 96 or 128
// lowercase hex characters. Any other algorithm that matches go-digest's DigestRegexp
// `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+` is kUnsupportedDigestAlgorithm; otherwise
// kBadDigest. Errors: kEmpty; kTooLong (offset kDigestLengthMax); kBadDigest (offset of the
// offending byte, or of the encoded part when its length is wrong);
// kUnsupportedDigestAlgorithm (offset 0).
Result<ContentDigest, NameError> ParseDigest(std::string_view digest);

}  // namespace regauth::protocol
