// transcript.h — a case's exchanges and tool runs as terminal text, for `regauth run -v`: each
// unexpected case is followed on stderr by what was sent and what came back, so a developer sees
// why without opening report.html (the -v of h2spec and the OCI conformance suite).
//
// Everything shown was redacted at capture (harness/redact.h): the transcript adds no secret.
// The bytes come from the registry under test, so they are made terminal-safe: C0 controls other
// than newline and tab, DEL and the UTF-8 C1 controls (U+0080..U+009F, which some terminals obey)
// become \xNN / \u00NN, so a hostile body cannot move the cursor, recolour or retitle the
// terminal. Bodies are cut at `max_body` bytes (the full body is in results.json).
//
// Usage:
//   io.err << CaseTranscript(executed_case, 2048);
//   //   > GET http://127.0.0.1:41233/v2/
//   //   < 401 (1 ms)
//   //   < WWW-Authenticate: Bearer realm="…"
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "harness/execute/executor.h"

namespace regauth::harness {

// TerminalSafe escapes `text` for a terminal as described above; newlines are kept.
std::string TerminalSafe(std::string_view text);

// CaseTranscript renders the exchanges (request line, headers, body; status line, headers, body
// or the transport error) and tool runs (argv, exit code, output) of `e`, each line indented by
// two spaces; "" when the case recorded neither.
std::string CaseTranscript(const ExecutedCase& e, std::size_t max_body);

}  // namespace regauth::harness
