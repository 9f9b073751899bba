// request.h — one request of `regauth netfuzz`, as a structure the mutators edit and the engine
// renders onto the wire: the seed's method, URL, headers and body, how it authenticates (Basic
// with a world credential, a token the target issued, or a token forged the way a
// `forge_token` step forges it), and the damage applied on top (to the Authorization value, to
// a finished token, to the raw request bytes).
//
// Forged tokens are built by the suite's own forge_token step (harness/steps.h), so a finding's
// regression case (harness/netfuzz/findings.h) states the very token that was sent, with its
// times as ${now±N} and its keys as signing_key / attacker_key.
//
// Usage:
//   FuzzRequest r = seed.request;                           // copy, then mutate
//   r.basic_user += ":x";                                    // (mutators.h does this)
//   auto wire = Render(r, env);                              // net::ClientRequest or raw bytes
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/execute/steps.h"
#include "harness/suite/case.h"
#include "net/http_client.h"

namespace regauth::harness::netfuzz {

// Family is which endpoint a request is aimed at, and whether it goes through libcurl (token,
// registry) or a raw socket (raw: bytes curl would refuse to send).
enum class Family { kToken, kRegistry, kRaw };
std::string_view FamilyName(Family f);  // "token", "registry", "raw"

// Guard names a request whose success (2xx) is itself a violation, with the invariant and why:
// a blob read through a repository that does not hold it, an upload session used from another
// repository, a tag deleted through the manifest endpoint, a catalog page over the bound.
struct Guard {
  std::string invariant;  // "repository-isolation", "tag-delete", "catalog-bound"
  std::string why;
};

// AuthKind is where the Authorization value comes from.
enum class AuthKind {
  kNone,    // no Authorization header
  kBasic,   // "Basic " + base64(basic_user ":" basic_password)
  kIssued,  // "Bearer " + a token the target issued during setup (issued_token)
  kForged,  // "Bearer " + the token `forge` builds when rendered
};

// FuzzRequest is a seed or a mutated request. `base` is the origin ("http://127.0.0.1:PORT"),
// `target` the request-target (path and query, as sent). `headers` exclude Authorization,
// which Render composes from the auth members and then passes through `auth_edits`.
struct FuzzRequest {
  Family family = Family::kRegistry;
  std::string method = "GET";
  std::string base;
  std::string path;  // the path, as sent
  // query: parameters in order, each name and value escaped as Go's url.QueryEscape at render
  // (so an injected "\n" goes out as %0A); a duplicate name is sent twice.
  std::vector<std::pair<std::string, std::string>> query;
  std::string raw_query;  // appended verbatim after `query` (a Location's own query, e.g. _state)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  AuthKind auth = AuthKind::kNone;
  std::string credential_id;  // the world credential of the seed ("" for none/anonymous)
  std::string basic_user, basic_password;
  std::string issued_token;
  ForgeTokenStep forge;
  // token_edits: damage applied to the finished compact token, in order (mutators.h names:
  // "swap_claims:<json>", "append:<text>", "drop_signature_segment", ...). Any edit makes the
  // token a literal in the regression case (forge_token cannot express it).
  std::vector<std::string> token_edits;
  // auth_override: a verbatim Authorization value replacing the composed one ("" = none).
  std::optional<std::string> auth_override;
  // auth_edits: edits of the composed Authorization value ("scheme_case", "double_space", ...).
  std::vector<std::string> auth_edits;
  // extra_authorization: a second Authorization header line (duplicate-header mutations).
  std::optional<std::string> extra_authorization;
  // raw_edits: edits of the serialised request bytes (family kRaw only).
  std::vector<std::string> raw_edits;

  // Registry requests: the repository in the path and the route, from which invariants.h
  // derives the access distribution requires ("base", "catalog", "tags", "manifest", "blob",
  // "upload", "upload_session").
  std::string repo;
  std::string route;
  std::optional<Guard> guard;
};

// RenderEnv is what rendering needs: the forge_token machinery (harness/steps.h RunContext:
// target info, keys, clock) and the issued tokens.
struct RenderEnv {
  const RunContext* ctx = nullptr;
};

// Rendered is a request as it goes on the wire.
struct Rendered {
  net::ClientRequest http;    // families token and registry
  std::string raw;            // family raw: the exact bytes
  std::string token;          // the bearer token sent ("" for none)
  std::string authorization;  // the Authorization value sent ("" for none)
};

// Render builds the wire form of `r`. Errors: a message (the forge_token step failed, e.g. no
// signing key for sign_with signing_key).
protocol::Expected<Rendered, std::string> Render(const FuzzRequest& r, const RenderEnv& env);

// Target returns the request-target: path, then '?' and the escaped query when there is one.
std::string Target(const FuzzRequest& r);

// ApplyAuthEdit / ApplyTokenEdit / ApplyRawEdit apply one named edit (mutators.h lists them);
// an unknown name leaves the input unchanged.
std::string ApplyAuthEdit(std::string value, std::string_view edit);
std::string ApplyTokenEdit(std::string token, std::string_view edit);
std::string ApplyRawEdit(std::string bytes, std::string_view edit);

// SerializeRaw writes `http` as HTTP/1.1 request bytes to `base`'s host: request line, Host,
// the headers in order, Content-Length when there is a body, Connection: close.
std::string SerializeRaw(const net::ClientRequest& http);

}  // namespace regauth::harness::netfuzz
