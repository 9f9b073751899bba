// go_compat.h — the Go standard-library behaviours the reference registry reproduces byte for
// byte (net/url escaping and queries, strconv.Atoi, path.Clean as gorilla/mux uses it,
// html.EscapeString, encoding/json strings, mime.ParseMediaType's type) and go-digest's and the
// reference package's grammars, as distribution 2.8.2 applies them (read at Debian's
// 2.8.2+ds1 sources). Internal to the registry (reference_server/registry/*.cc).
//
// Usage:
//   auto path = registry_detail::GoUnescape("/v2/a%2Fb/", /*query=*/false);
//   if (registry_detail::GoDigestValidate(d) == registry_detail::DigestCheck::kOk) ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace regauth::server {
namespace registry_detail {

bool IsAlnum(char c);
// TrimSpaceTab strips SP and HTAB at both ends.
std::string_view TrimSpaceTab(std::string_view s);
// GoUnescape is url.unescape: '%' must be followed by two hex digits (else nullopt); in query
// mode '+' is a space.
std::optional<std::string> GoUnescape(std::string_view s, bool query);
// GoEscape is url.escape for encodePath (path = true) or encodeQueryComponent.
std::string GoEscape(std::string_view s, bool path);
// GoValues / ParseGoQuery are url.Values / url.ParseQuery (Go 1.17+): pairs split on '&'; a pair
// holding ';' or a bad escape is dropped.
using GoValues = std::vector<std::pair<std::string, std::string>>;
GoValues ParseGoQuery(std::string_view raw);
// FirstValue is url.Values.Get: the first value of `name`, or "".
std::string FirstValue(const GoValues& values, std::string_view name);
// GoAtoi is strconv.Atoi on a 64-bit platform.
std::optional<std::int64_t> GoAtoi(std::string_view s);
// GoCleanPath is gorilla/mux cleanPath: path.Clean, keeping a trailing slash.
std::string GoCleanPath(std::string_view p);
// HtmlEscape is html.EscapeString.
std::string HtmlEscape(std::string_view s);
// JsonString writes a JSON string as Go's encoding/json does for the ASCII that names, tags and
// digests can hold.
std::string JsonString(std::string_view s);
// MediaTypeOf is mime.ParseMediaType's type, lower-cased ("" for an empty header).
std::string MediaTypeOf(std::string_view content_type);

// DigestCheck is go-digest v1.0.0 Digest.Validate's verdict with sha256/384/512 available.
enum class DigestCheck { kOk, kInvalidFormat, kUnsupported, kInvalidLength };
// MatchesGoDigestRegexp: `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`, anchored.
bool MatchesGoDigestRegexp(std::string_view s);
DigestCheck GoDigestValidate(std::string_view s);
// MatchesTagRegexp: `[\w][\w.-]{0,127}`, anchored.
bool MatchesTagRegexp(std::string_view s);
// FilesystemPathSafe: the filesystem driver's PathRegexp `^(/[A-Za-z0-9._-]+)+$` per component
// (see go_compat.cc for why a tag can fail it).
bool FilesystemPathSafe(std::string_view s);
// DigestPathOf turns a validated "alg:hex" into "alg/hex".
std::string DigestPathOf(std::string_view digest);
// MatchesUuid is the upload route's `[a-zA-Z0-9-_.=]+`.
bool MatchesUuid(std::string_view s);
// MatchesNameRegexp is reference.NameRegexp, anchored (any length).
bool MatchesNameRegexp(std::string_view name);

// SameBytes compares in constant time (CRYPTO_memcmp): for MACs and signatures.
bool SameBytes(std::string_view a, std::string_view b);

}  // namespace registry_detail

}  // namespace regauth::server
