// replay.h — `regauth replay ID --results DIR`: turn one case of a results.json into a runnable
// POSIX shell script of curl commands that sends the same requests in the same order, so a
// finding can be reproduced and shared without the suite.
//
// results.json holds no secret (reports/results-schema.md), so the script cannot either:
//   - a Basic credential of a world credential becomes
//     "Authorization: Basic $(printf '%s:%s' USER "$REGAUTH_SECRET_<n>" | base64 | tr -d '\n')"
//     with `: "${REGAUTH_SECRET_<n>:?secret of world credential <id>}"` at the top (the
//     exchange's "credentials" member names the credential; a wrong_secret mutation is applied
//     in shell exactly as the runner does: the last character becomes 'x', or 'y' if it was
//     'x'); other «redacted» markers in a URL or body of such an exchange take the same
//     variable;
//   - a token the target issued in an earlier response is captured from that response's body
//     into TOKEN_<n> (POSIX sed; access_token preferred over token as distribution's client
//     does) and every later "Bearer <header>.<payload>.«redacted-signature»" with the same
//     header and payload uses "$TOKEN_<n>"; a refresh_token likewise becomes REFRESH_<n>;
//   - a token the case forged (forge_token) is no secret of the target: results.json holds it
//     whole (harness/safety/redact.h AddPublicToken), so the script sends exactly the same bytes
//     and reproduces the verdict;
//   - a token whose signature is redacted and that no earlier response of the case delivered
//     (results of an older regauth, which redacted forged tokens too) cannot be rebuilt: the
//     script requires REDACTED_TOKEN_<n> and says so;
//   - with --show-secrets --world FILE the world's secrets are written into the script instead
//     of variables (the script is then a secret itself).
// client_tool runs (docker, skopeo) are listed as comments at the end.
//
// The script needs a POSIX sh with curl, sed, od, tr, base64 (Basic credentials only) and the
// basic utilities — no python3. Each response's headers and body go to files in a private
// directory ($TMPDIR/regauth-replay.<pid>, removed on exit) and are printed on stdout, headers
// first, as `curl -i` shows them; tokens are read from the body file with sed. (curl -D
// /dev/stderr truncated a stderr redirected to a file: only one response's headers survived.)
//
// Usage:
//   auto doc = LoadResults("reports/out/latest");
//   auto script = RenderReplay(*doc, "gitlab/job_token/job-101/acme/app/pull", {});
//   std::cout << *script;
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "protocol/result.h"
#include "protocol/world.h"

namespace regauth::harness {

struct ReplayOptions {
  bool show_secrets = false;  // needs `world`
  const protocol::World* world = nullptr;
};

// LoadResults reads `path` (a run directory holding results.json, or the file itself), parses it
// and checks it with reports::ValidateResults. Errors: a message naming the file.
protocol::Expected<nlohmann::json, std::string> LoadResults(const std::string& path);

// RenderReplay returns the script for case `case_id` of `results`. Errors: no such case, or
// (show_secrets) a credential the world lacks.
protocol::Expected<std::string, std::string> RenderReplay(const nlohmann::json& results,
                                                          std::string_view case_id,
                                                          const ReplayOptions& options);

// ShellQuote returns `s` as one POSIX sh word in single quotes ('it'"'"'s' style escaping).
std::string ShellQuote(std::string_view s);

// PrintfFormat returns a printf(1) format string (to be single-quoted) that prints exactly the
// bytes of `s`: '%' → "%%", '\' → "\\", bytes outside printable ASCII → "\ooo".
std::string PrintfFormat(std::string_view s);

}  // namespace regauth::harness
