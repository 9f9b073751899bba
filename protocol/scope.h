// scope.h — resource scopes ("repository:foo/bar:pull,push") as the spec defines them and as the
// peers of this suite actually split them, plus the set semantics used to compare them.
//
// Grammar (distribution v2.8.3 docs/spec/auth/scope.md lines 86–110; token-auth.md §1.7):
//
//   scope             := resourcescope [' ' resourcescope]*
//   resourcescope     := resourcetype ':' resourcename ':' action [',' action]*
//   resourcetype      := resourcetypevalue ['(' resourcetypevalue ')']
//   resourcetypevalue := /[a-z0-9]+/
//   resourcename      := [hostname '/'] component ['/' component]*     (repository_name.h)
//   action            := /[a-z]*/
//
// The resource name may hold one ':' for a port ("repository:localhost:5000/foo:pull"), so the
// spec parse takes the type up to the FIRST ':', the actions after the LAST ':' and the name in
// between (scope.md line 106). Deliberate choices, each tested:
// - `*` is accepted as an action (ScopeOptions::allow_star_action, on by default): the grammar
//   excludes it, but distribution's code grants and requires it (`registry:catalog:*`,
//   skopeo's `repository:x:*` for delete; token-auth.md §1.7, suite-anchors.md §C4).
// - The empty action is legal because `action := /[a-z]*/` matches "": "repository:foo:" parses
//   to actions [""] and "pull," to ["pull", ""] (ScopeOptions::allow_empty_action rejects it).
// - Actions are kept as given: order and duplicates ("push,push") preserved.
// - The resourcename grammar of scope.md does not depend on the type, so every type's name is
//   checked with ParseRepositoryName: "registry:catalog:*" has the one-component name "catalog".
//
// Peers split differently (token-auth.md §3.5, §5, §6 item 8; suite-anchors.md §C4), and the
// suite must predict what each one extracts. ScopeDialect models each split; the non-spec
// dialects return the peer's fields without validating them:
//   kGitLab          `type, name, actions = scope.split(':', 3); actions.split(',')`
//   kDockerAuth      strings.Split(s, ":"): 3 parts, or 4 with the name rejoined over the port
//   kContainersImage strings.Split(s, ":"): exactly 3 parts (no port, no list)
//
// Usage:
//   auto s = ParseScope("repository:foo/bar:pull,push");          // s->actions == {pull, push}
//   auto l = ParseScopeList("repository:a/b:pull registry:catalog:*");
//   ScopeOptions gl; gl.dialect = ScopeDialect::kGitLab;
//   auto g = ParseScope("repository:localhost:5000/foo:pull", gl);  // g->name == "localhost"
//   bool ok = Covers(granted, "repository", "foo/bar", "push");
//   bool same = SameScopeSet(challenge_scopes, expected_scopes);     // order-insensitive
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/repository_name.h"
#include "protocol/result.h"

namespace regauth::protocol {

// ScopeError is the reason a scope or scope list was rejected.
enum class ScopeError {
  kEmpty = 1,           // empty scope (or empty list where one is required)
  kTooLarge,            // scope longer than ScopeLimits::max_scope_length, or list longer than
                        // ScopeLimits::max_list_length (offset: the limit)
  kTooManyScopes,       // list holds more than ScopeLimits::max_scopes entries
  kTooManyActions,      // scope holds more than ScopeLimits::max_actions actions
  kMissingName,         // fewer than two ':' (or, for a Go split, fewer than 3 parts)
  kTooManyColons,       // kDockerAuth: more than 4 ':'-parts; kContainersImage: more than 3
  kBadType,             // resourcetype value not /[a-z0-9]+/ (upper case included);
                        // kDockerAuth: no [a-z0-9] at all in the type
  kBadClass,            // '(' class ')' malformed: empty, not /[a-z0-9]+/, unclosed, or trailed
  kBadName,             // resourcename fails ParseRepositoryName (the NameError is reported
                        // through the optional out-parameter of ParseScope/ParseScopeList)
  kBadAction,           // action not /[a-z]*/ and not "*"
  kEmptyAction,         // "" action while ScopeOptions::allow_empty_action is false
  kStarActionDisabled,  // "*" while ScopeOptions::allow_star_action is false
  kBadSeparator,        // list: leading, trailing or doubled ' ' (kSpec and kDockerAuth)
  kGitLabWouldRaise,    // kGitLab: fewer than two ':' leave `actions` nil and `nil.split` raises
                        // NoMethodError in GitLab (probably HTTP 500; token-auth.md §3.5, §8)
};

// CodeName returns the stable snake_case name of `code` ("missing_name", ...).
std::string_view CodeName(ScopeError code);

// ScopeDialect selects whose split rules ParseScope/ParseScopeList follow.
enum class ScopeDialect {
  // scope.md: type before the first ':', actions after the last ':', name between; each field
  // validated; a list is single-space separated.
  kSpec,
  // GitLab (container_registry_authentication_service.rb `scopes`/`process_scope`): Ruby
  // `split(':', 3)` — type and name end at the first and second ':', the rest is the action
  // string, split on ',' with Ruby's removal of trailing empty fields ("pull,," → [pull];
  // "" → []). The type is kept raw ("repository(plugin)" stays the type; class ""), nothing is
  // validated. A list splits on runs of ASCII whitespace (`scopes.flat_map(&:split)`), so an
  // empty or blank list is zero scopes.
  kGitLab,
  // cesanta/docker_auth (server.go ParseRequest): Go `strings.Split(s, ":")`; 3 parts are
  // type:name:actions, 4 parts type:host:port/name:actions with the name rejoined; the type is
  // the first [a-z0-9]+ run of part 0 (its unanchored regex `([a-z0-9]+)(\([a-z0-9]+\))?`), class
  // always ""; actions `strings.Split(…, ",")` and then sorted bytewise (sort.Strings). A list
  // splits on single ' ' and one bad entry fails the request (HTTP 400); an empty list is no
  // scopes (its `FormValue("scope") != ""` gate).
  kDockerAuth,
  // containers/image v5.23 parseAuthScope (skopeo, podman): `strings.Split(s, ":")` must give
  // exactly 3 parts; type, name and actions are raw (actions are kept there as one string;
  // here they are split on ',' with Go semantics, which joins back losslessly). A "list" is one
  // scope: containers/image never splits on ' ', so a two-scope challenge fails on its colons.
  kContainersImage,
};

// ScopeLimits bound the work and memory of a parse. Exceeding one is an error, never truncation.
struct ScopeLimits {
  std::size_t max_scope_length = 1024;  // one resourcescope
  std::size_t max_list_length = 16384;  // a whole space-separated list
  std::size_t max_scopes = 64;          // entries in a list
  std::size_t max_actions = 16;         // actions in one resourcescope (duplicates count)
};

// ScopeOptions: dialect, limits and the tolerances of the kSpec dialect.
struct ScopeOptions {
  ScopeLimits limits;
  // kSpec: accept the "*" action (an extension to the grammar every registry relies on).
  bool allow_star_action = true;
  // kSpec: accept the empty action ("repository:foo:"), which `action := /[a-z]*/` allows.
  bool allow_empty_action = true;
  ScopeDialect dialect = ScopeDialect::kSpec;
  // kSpec: how resource names are checked (the domain rule, length limit, IPv6).
  NameOptions name;
};

// ResourceScope is one parsed resourcescope. It owns its strings.
struct ResourceScope {
  std::string type;                  // "repository", "registry", ...
  std::string resource_class;        // "" when absent ("plugin" for "repository(plugin)")
  std::string name;                  // "foo/bar", "localhost:5000/foo", "catalog"
  std::vector<std::string> actions;  // as given: order and duplicates kept

  friend bool operator==(const ResourceScope&, const ResourceScope&) = default;
};

// ParseScope parses one resourcescope under options.dialect (see ScopeDialect). Offsets are
// byte offsets into `scope`. When the result is kBadName and `name_error` is not null, the
// repository-name code is stored there (the Error's offset and reason already point at it).
// Errors (kSpec): kEmpty; kTooLarge; kMissingName (offset scope.size()); kBadType; kBadClass;
// kBadName; kBadAction; kEmptyAction; kStarActionDisabled; kTooManyActions (offset of the first
// action past the limit). kGitLab: kEmpty, kTooLarge, kGitLabWouldRaise, kTooManyActions.
// kDockerAuth: kEmpty, kTooLarge, kBadType, kMissingName, kTooManyColons, kTooManyActions.
// kContainersImage: kEmpty, kTooLarge, kMissingName, kTooManyColons, kTooManyActions.
Result<ResourceScope, ScopeError> ParseScope(std::string_view scope,
                                             const ScopeOptions& options = {},
                                             NameError* name_error = nullptr);

// ParseScopeList parses a space-separated list (a POST form `scope`, or a challenge's `scope`
// parameter) under options.dialect: kSpec needs single spaces between non-empty entries
// (kBadSeparator otherwise) and at least one entry (kEmpty); kGitLab splits on whitespace runs
// and may return no entries; kDockerAuth splits on single spaces (an empty list is no entries);
// kContainersImage parses the whole input as one scope. Errors: those of ParseScope (offsets
// shifted into `list`), kTooLarge (list length), kTooManyScopes (offset of the first entry past
// the limit), kBadSeparator.
Result<std::vector<ResourceScope>, ScopeError> ParseScopeList(std::string_view list,
                                                              const ScopeOptions& options = {},
                                                              NameError* name_error = nullptr);

// SerializeScope writes `type[(class)]:name:action,action...`. For a kSpec-parsed scope this is
// the input byte for byte. An empty `actions` serialises like [""] (a trailing ':').
std::string SerializeScope(const ResourceScope& scope);

// SerializeScopeList joins SerializeScope of each entry with single spaces.
std::string SerializeScopeList(const std::vector<ResourceScope>& scopes);

// SameScopeSet compares two lists as sets: each list becomes a map (type, name) → set of
// actions, and the maps must be equal. Order of entries and of actions, duplicate actions and
// repeated entries for one resource (merged by union) do not matter, because registries emit
// both in Go-map order (token-auth.md §2.5, §7). The class is ignored, as distribution's
// accessSet ignores it. A resource listed with no actions is still a member of the map, so it is
// not the same as an absent resource (docker_auth's `actions: []` vs GitLab's omission).
bool SameScopeSet(const std::vector<ResourceScope>& a, const std::vector<ResourceScope>& b);

// Normalize returns the canonical form of `scopes`: entries for the same (type, class, name)
// merged, actions deduplicated and sorted bytewise, entries sorted by (type, class, name). The
// class is kept as part of the key so no information is lost; SameScopeSet(x, Normalize(x)) and
// Normalize(Normalize(x)) == Normalize(x) always hold.
std::vector<ResourceScope> Normalize(const std::vector<ResourceScope>& scopes);

// Covers reports whether `granted` (a token's access list) allows `action` on (type, name), as
// distribution's accessSet.contains does (registry/auth/token/util.go; token-auth.md §2.5):
// exact, case-sensitive type and name; the action itself or "*" among that resource's actions
// (across all entries for it); class ignored; no globbing of names.
bool Covers(const std::vector<ResourceScope>& granted, std::string_view type, std::string_view name,
            std::string_view action);

}  // namespace regauth::protocol
