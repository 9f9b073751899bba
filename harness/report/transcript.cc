#include "harness/report/transcript.h"

namespace regauth::harness {
namespace {

void Hex(std::string& out, std::string_view prefix, unsigned value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 15];
}

// Body appends `body` under `marker` lines, cut at `max_body` bytes.
void Body(std::string& out, std::string_view marker, std::string_view body, std::size_t max_body) {
  if (body.empty()) return;
  const bool cut = body.size() > max_body;
  std::string text = TerminalSafe(cut ? body.substr(0, max_body) : body);
  if (cut) text += "… [" + std::to_string(body.size()) + " bytes; results.json has them all]";
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += "  ";
    out += marker;
    out += ' ';
    out.append(text, start, end - start);
    out += '\n';
    start = end + 1;
  }
}

void Headers(std::string& out, std::string_view marker,
             const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    out += "  ";
    out += marker;
    out += ' ';
    out += TerminalSafe(name);
    out += ": ";
    out += TerminalSafe(value);
    out += '\n';
  }
}

}  // namespace

std::string TerminalSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f) || c >= 0x80) {
      // UTF-8 C1 controls: 0xC2 followed by 0x80..0x9F.
      if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
          static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
        Hex(out, "\\u", static_cast<unsigned char>(text[i + 1]), 4);
        ++i;
        continue;
      }
      out += static_cast<char>(c);
    } else {
      Hex(out, "\\x", c, 2);
    }
  }
  return out;
}

std::string CaseTranscript(const ExecutedCase& e, std::size_t max_body) {
  std::string out;
  for (const Exchange& x : e.result.exchanges) {
    out += "  > " + TerminalSafe(x.request.method) + " " + TerminalSafe(x.request.url) + "  [" +
           TerminalSafe(x.step) + "]\n";
    Headers(out, ">", x.request.headers);
    Body(out, ">", x.request.body, max_body);
    if (x.response) {
      out += "  < " + std::to_string(x.response->status) + " (" + std::to_string(x.duration_ms) +
             " ms)\n";
      Headers(out, "<", x.response->headers);
      Body(out, "<", x.response->body, max_body);
    } else {
      out += "  < no response: " + TerminalSafe(x.error.value_or("")) + "\n";
    }
  }
  for (const ToolRun& t : e.tools) {
    std::string argv;
    for (const std::string& a : t.argv) argv += (argv.empty() ? "" : " ") + a;
    out += "  $ " + TerminalSafe(argv) + "  [exit " + std::to_string(t.exit_code) +
           (t.timed_out ? ", timed out" : "") + "]\n";
    Body(out, "|", t.output, max_body);
  }
  return out;
}

}  // namespace regauth::harness
