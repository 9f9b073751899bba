// report_fuzzer — RenderJUnit, RenderHtml and the escapes of reports/ on a results document whose
// strings are fuzz bytes (fields separated by 0x1E; the first byte picks verdict and baseline).
// Invariants: junit.xml is valid UTF-8 made of XML Chars; XmlEscape never lets < > " ' through;
// the page is valid UTF-8; its data block holds no '<', is ended by the template's own
// </script>, re-serialises to the same bytes, and keeps every well-formed string unchanged.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "reports/escape.h"
#include "reports/html.h"
#include "reports/junit.h"

using namespace regauth::reports;
using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const unsigned flags = size > 0 ? data[0] : 0;
  std::vector<std::string> f(1);
  for (const char c : in.substr(size > 0 ? 1 : 0)) {
    if (c == '\x1e') {
      f.emplace_back();
    } else {
      f.back().push_back(c);
    }
  }
  f.resize(8);
  const char* verdicts[] = {"PASS", "FAIL", "NON-STRICT", "INFORMATIONAL", "SKIP", "ERROR"};
  const json check = {{"id", f[5]},
                      {"severity", "MUST"},
                      {"result", "fail"},
                      {"expected", f[6]},
                      {"observed", f[7]}};
  const json exchange = {
      {"step", f[2]},
      {"request",
       {{"method", "GET"},
        {"url", f[4]},
        {"headers", json::array({json::array({f[5], f[6]})})},
        {"body", f[7]}}},
      {"response",
       {{"status", 200}, {"headers", json::array({json::array({f[1], f[2]})})}, {"body", f[0]}}}};
  const json c = {
      {"id", f[0]},
      {"title", f[1]},
      {"family", f[2]},
      {"layer", "registry"},
      {"verdict", verdicts[flags % 6]},
      {"expected_verdict", "FAIL"},
      {"unexpected", (flags & 8) != 0},
      {"baseline", (flags & 16) ? json{{"reason", f[3]}, {"stale", (flags & 32) != 0}} : json()},
      {"skip_reason", f[3]},
      {"error", f[4]},
      {"duration_ms", 1},
      {"dimensions", {{"scopes", f[1]}}},
      {"checks", json::array({check})},
      {"exchanges", json::array({exchange})}};
  const json doc = {{"schema", "regauth-results/1"},
                    {"suite", {{"name", f[3]}, {"version", f[4]}}},
                    {"run", {{"started_at", f[1]}}},
                    {"target", {{"kind", f[2]}}},
                    {"profile", f[3]},
                    {"summary", json::object()},
                    {"cases", json::array({c})}};

  const std::string xml = RenderJUnit(doc);
  FUZZ_CHECK(SanitizeUtf8(xml) == xml);
  for (const std::string& s : f)
    FUZZ_CHECK(XmlEscape(s).find_first_of("<>\"'") == std::string::npos);

  const std::string html = RenderHtml(doc);
  FUZZ_CHECK(IsValidUtf8(html));
  constexpr std::string_view kOpen = "<script type=\"application/json\" id=\"regauth-data\">";
  const std::size_t start = html.find(kOpen) + kOpen.size();
  const std::size_t end = html.find("</script>", start);
  FUZZ_CHECK(start > kOpen.size() && end != std::string::npos);
  const std::string_view block = std::string_view(html).substr(start, end - start);
  FUZZ_CHECK(block.find('<') == std::string_view::npos);
  FUZZ_CHECK(html.compare(end, 18, "</script>\n<script>") == 0);
  const json back = json::parse(block);
  FUZZ_CHECK(JsonForScript(back) == block);
  if (IsValidUtf8(f[0])) FUZZ_CHECK(back["cases"][0]["id"] == f[0]);
  return 0;
}
