// invariants.h — what must hold for every answer `regauth netfuzz` gets, whatever it sent
// (issue 11; README "regauth netfuzz"). Each invariant has a stable name, used in findings.json
// and the report:
//
//   no-5xx              no answer is a 5xx (token service, registry, raw requests; a raw
//                       request may get 501 or 505, which RFC 9112 §6.1 and RFC 9110 §15.6.6
//                       prescribe for unknown transfer codings and HTTP versions)
//   no-drop             a well-formed request gets an answer: no reset, close or hang past the
//                       timeout (raw requests may be closed, never left hanging; a request whose
//                       headers exceed 64 KiB may be closed, RFC 9110 §15.5.14 / RFC 6585 §5)
//   grant-widening      a token grants nothing the same credential's baseline grant lacks: the
//                       credentials are those whose secret the request's Authorization lines
//                       carry (however damaged), none means anonymous
//   token-verifier      the registry accepts no token that the reference verifier
//                       (protocol::VerifyToken, distribution 2.8's profile, the target's key)
//                       rejects, and no request without a bearer token
//   scope-overreach     the registry accepts no request that the (verified) token's access does
//                       not cover: GET/HEAD pull, POST/PUT/PATCH pull and push, DELETE delete,
//                       the catalog registry:catalog:* (distribution's app.go access records)
//   challenge           a registry 401 carries a Bearer challenge with a realm that parses
//                       (RFC 9110 §11.6.1, RFC 6750 §3); an authorization refusal is 401, not 403
//   error-body          a JSON error answer parses as a registry error envelope; a 200 from the
//                       token endpoint parses as a token response
//   repository-isolation, tag-delete, catalog-bound
//                       guarded seeds (seeds.h): requests whose success is itself the bug
//   liveness            after every batch the registry still answers /v2/ with 401 and the
//                       token endpoint answers (checked by the engine, netfuzz.h)
//
// "Accepted" (the registry let the request past authorization) means a 2xx or 3xx answer, or a
// 4xx whose error envelope names a code other than UNAUTHORIZED, DENIED or TOOMANYREQUESTS
// (MANIFEST_UNKNOWN, DIGEST_INVALID, ... are produced after authorization).
//
// Usage:
//   InvariantContext ic{...};
//   for (const Violation& v : Check(request, wire, outcome, ic)) record(v);
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/netfuzz/request.h"
#include "net/http_client.h"
#include "net/raw_exchange.h"
#include "protocol/jwt.h"
#include "protocol/scope.h"
#include "protocol/world.h"

namespace regauth::harness::netfuzz {

// Outcome is what came back: a response, a transport error, or (raw family) a raw result.
struct Outcome {
  std::optional<net::ClientResponse> response;
  std::optional<net::ClientError> error;
  std::optional<net::RawResult> raw;
  int64_t elapsed_ms = 0;
};

// Violation is one broken invariant with a one-line explanation (no secrets in it).
struct Violation {
  std::string invariant;
  std::string detail;
};

// InvariantContext is what checking needs.
struct InvariantContext {
  const protocol::World* world = nullptr;
  const std::map<std::string, std::vector<protocol::ResourceScope>>* baseline = nullptr;
  // verifier: the reference verifier's trust and profile; nullopt when the target's key is
  // unknown (token-verifier and scope-overreach are then not checked).
  std::optional<protocol::TrustStore> trust;
  std::optional<protocol::VerifierProfile> profile;
  std::function<int64_t()> clock;
};

// InvariantNames lists every invariant name, in report order.
const std::vector<std::string>& InvariantNames();

// Check returns the invariants `outcome` breaks for request `r` sent as `wire`.
std::vector<Violation> Check(const FuzzRequest& r, const Rendered& wire, const Outcome& outcome,
                             const InvariantContext& ic);

// RegistryAccepted reports whether a registry answer let the request past authorization (see
// the header comment).
bool RegistryAccepted(int status, std::string_view body);

// RequiredAccess returns the (type, name, action) records distribution requires for `method` on
// `route` of `repo` (empty for the base route and unknown methods).
std::vector<std::array<std::string, 3>> RequiredAccess(std::string_view method,
                                                       std::string_view route,
                                                       std::string_view repo);

}  // namespace regauth::harness::netfuzz
