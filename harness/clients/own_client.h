// own_client.h — regauth's own HTTP client (net/http_client.h) as a registry client, so the
// scenarios judge the code the runner trusts with a real instance's credentials: the same
// challenge reading as the sanity probe (harness/execute/target.h ReadBearerChallenge), the same
// CredentialGuard, no redirect ever followed with credentials.
//
// login: GET /v2/ → 401 Bearer challenge → the password (Basic) to the realm, only when the
//   realm is an absolute http(s) URL without userinfo and does not downgrade an https registry
//   → a token (protocol/token_response.h, body ≤ 1 MiB) → GET /v2/ with it. A /v2/ that answers
//   200 without credentials is a failed login (moby/moby#50896): nothing checked the password.
// pull: the same token for repository:<repo>:pull, then the manifest and each blob. A 3xx to
//   another origin is followed once, without Authorization (a pre-signed storage URL); a 401
//   there, or an insufficient_scope naming other scopes, ends the pull: it never asks the realm
//   for more than the pull needs and never sends credentials to a realm another origin named.
//
// Usage:
//   DriverResult r = RunOwnClient("pull", stage.endpoints(), redact, options);
#pragma once

#include <string_view>

#include "harness/clients/driver.h"

namespace regauth::harness::clients {

// kOwnClientName is the built-in client's name in the grid and in case ids.
inline constexpr std::string_view kOwnClientName = "regauth";

DriverResult RunOwnClient(std::string_view op, const StageEndpoints& endpoints,
                          const RedactFn& redact, const DriverOptions& options);

}  // namespace regauth::harness::clients
