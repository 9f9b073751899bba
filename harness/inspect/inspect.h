// inspect.h — `regauth inspect KIND INPUT`: run one of the core parsers on a value a reviewer
// pastes (a captured header, a token, a response body) and print what it parsed, or exactly
// where and why it failed. This is the hand tool of a security review, so every failure carries
// the parser's typed code and byte offset.
//
// KIND is one of `challenge` (WWW-Authenticate; several lines = several header fields),
// `authorization`, `scope` (one scope or a space-separated list), `repository`, `jwt`,
// `token-response`, `error-body`. `lenient` names a parser mode (see InspectKinds() for the
// modes of each kind); `key_pem` (jwt only) is a public key or certificate PEM to verify the
// signature with: a token that does not verify with it is a rejection (exit 1), so a script can
// rely on the exit code.
//
// Output (one JSON object): {"ok":true,"kind":…, …parsed structure…} or
// {"ok":false,"kind":…,"error":{"code":"…","offset":N,"message":"…"}}.
//
// Usage:
//   InspectOutcome out = Inspect({.kind = "scope", .input = "repository:foo:pull"});
//   std::cout << out.json.dump(2) << "\n";
//   return out.exit_code;   // 0 parsed, 1 parse failure (or jwt: not verified), 2 usage
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace regauth::harness {

struct InspectRequest {
  std::string kind;
  std::string input;
  std::vector<std::string> lenient;  // mode names, e.g. "distribution-client"
  std::optional<std::string> key_pem;
  std::string form = "get";  // token-response: "get" (token.md) or "oauth2" (oauth.md)
};

struct InspectOutcome {
  nlohmann::json json;
  // 0 ok; 1 the input did not parse, or (jwt with key_pem) its signature did not verify;
  // 2 usage (unknown kind or mode, a key that is not a PEM public key).
  int exit_code = 0;
};

// InspectKind documents one kind: its name, a one-line description and its lenient modes.
struct InspectKind {
  std::string_view name;
  std::string_view description;
  std::vector<std::string_view> lenient_modes;
};

// InspectKinds lists every KIND in the order the CLI help shows them.
const std::vector<InspectKind>& InspectKinds();

// Inspect parses request.input as request.kind. It never throws.
InspectOutcome Inspect(const InspectRequest& request);

}  // namespace regauth::harness
