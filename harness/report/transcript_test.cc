#include "harness/report/transcript.h"

#include <gtest/gtest.h>

namespace regauth::harness {
namespace {

// Bytes from the registry cannot drive the terminal: C0 controls (ESC), DEL and UTF-8 C1
// controls are escaped; newlines, tabs, printable ASCII and other UTF-8 stay.
TEST(TerminalSafe, EscapesControlsAndKeepsText) {
  EXPECT_EQ(TerminalSafe("ok\n\tdone"), "ok\n\tdone");
  EXPECT_EQ(TerminalSafe("\x1b]0;owned\x07 \x7f"), "\\x1b]0;owned\\x07 \\x7f");
  EXPECT_EQ(TerminalSafe("csi \xC2\x9B"
                         "31m"),
            "csi \\u009b31m");
  EXPECT_EQ(TerminalSafe("caf\xC3\xA9 \xE2\x80\xA6"), "caf\xC3\xA9 \xE2\x80\xA6");
}

// The transcript shows each exchange (request, status, headers, body) and tool run, indented,
// bodies cut at the limit.
TEST(CaseTranscript, RendersExchangesAndToolRuns) {
  ExecutedCase e;
  Exchange x;
  x.step = "token_request";
  x.request = {"GET",
               "http://127.0.0.1:1/jwt/auth?scope=x",
               {{"Authorization", "Basic «redacted user=dana»"}},
               ""};
  x.response = RecordedResponse{403, {{"Content-Type", "text/plain"}}, std::string(3000, 'b')};
  x.duration_ms = 4;
  e.result.exchanges.push_back(x);
  Exchange lost;
  lost.step = "registry_request";
  lost.request = {"GET", "http://127.0.0.1:2/v2/", {}, ""};
  lost.error = "connection refused";
  e.result.exchanges.push_back(lost);
  e.tools.push_back({"docker",
                     {"docker", "login", "127.0.0.1:2"},
                     "«redacted»\n",
                     1,
                     false,
                     "Error: \x1b[31mdenied\n",
                     7});
  const std::string t = CaseTranscript(e, 2048);
  EXPECT_NE(t.find("  > GET http://127.0.0.1:1/jwt/auth?scope=x  [token_request]\n"
                   "  > Authorization: Basic «redacted user=dana»\n"
                   "  < 403 (4 ms)\n"
                   "  < Content-Type: text/plain\n"
                   "  < " +
                   std::string(2048, 'b') + "… [3000 bytes; results.json has them all]\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("  > GET http://127.0.0.1:2/v2/  [registry_request]\n"
                   "  < no response: connection refused\n"),
            std::string::npos);
  EXPECT_NE(t.find("  $ docker login 127.0.0.1:2  [exit 1]\n  | Error: \\x1b[31mdenied\n"),
            std::string::npos)
      << t;
  EXPECT_EQ(CaseTranscript(ExecutedCase{}, 10), "");
}

}  // namespace
}  // namespace regauth::harness
