// `regauth inspect KIND [INPUT|-]` — thin flag parsing around harness::Inspect.
#include "harness/inspect/inspect.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/commands.h"

namespace regauth::cli {
namespace {

constexpr std::size_t kMaxInput = 1 << 20;

struct InspectFlags {
  std::string kind;
  std::string input = "-";
  std::vector<std::string> lenient;
  std::string key_file;
  std::string form = "get";
};

// ReadStdin reads at most kMaxInput bytes; more is a usage error, never a silent truncation.
bool ReadStdin(std::string& out) {
  std::string data;
  char buf[4096];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(std::cin.gcount()));
    if (data.size() > kMaxInput) return false;
  }
  // `echo VALUE | regauth inspect …` appends one newline that is not part of the value.
  if (!data.empty() && data.back() == '\n') data.pop_back();
  if (!data.empty() && data.back() == '\r') data.pop_back();
  out = std::move(data);
  return true;
}

int RunInspect(const InspectFlags& flags) {
  harness::InspectRequest request;
  request.kind = flags.kind;
  request.lenient = flags.lenient;
  request.form = flags.form;
  if (flags.input == "-") {
    if (!ReadStdin(request.input)) {
      std::cerr << "regauth inspect: input larger than " << kMaxInput << " bytes\n";
      return 2;
    }
  } else {
    request.input = flags.input;
  }
  if (!flags.key_file.empty()) {
    std::ifstream in(flags.key_file, std::ios::binary);
    if (!in) {
      std::cerr << "regauth inspect: cannot read --key " << flags.key_file << "\n";
      return 2;
    }
    std::ostringstream pem;
    pem << in.rdbuf();
    request.key_pem = pem.str();
  }
  const harness::InspectOutcome out = Inspect(request);
  std::cout << out.json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  if (out.exit_code == 2 && out.json.contains("usage_error")) {
    std::cerr << "regauth inspect: " << out.json["usage_error"].get<std::string>() << "\n";
  }
  return out.exit_code;
}

}  // namespace

void AddInspectCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<InspectFlags>();
  std::string kinds_help = "What to parse:";
  for (const harness::InspectKind& k : harness::InspectKinds()) {
    kinds_help += "\n  " + std::string(k.name) + ": " + std::string(k.description);
    if (!k.lenient_modes.empty()) {
      kinds_help += " [--lenient";
      for (std::string_view m : k.lenient_modes) kinds_help += " " + std::string(m);
      kinds_help += "]";
    }
  }
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Parse a header, scope, name, token or body with the core parsers and print the result "
      "as JSON (exit 0 parsed, 1 rejected or, with --key, not verified, 2 usage)");
  cmd->footer(
      "Exit codes:\n"
      "  0  parsed (with --key: and the signature verified)\n"
      "  1  rejected: the input did not parse, or with --key the signature did not verify (the "
      "JSON says why)\n"
      "  2  usage error: unknown kind or --lenient mode, an unreadable --key, input over 1 MiB");
  cmd->add_option("kind", flags->kind, kinds_help)->required();
  cmd->add_option("input", flags->input, "The value to parse, or - (default) for standard input");
  // One mode per occurrence: a vector option would otherwise swallow the INPUT after it
  // (`--lenient gitlab 'repository:…'` read both words as modes).
  cmd->add_option("--lenient", flags->lenient, "A named lenient mode of the parser (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--key", flags->key_file,
                  "jwt: PEM public key or certificate; prints kid_libtrust and verified (exit 1 "
                  "when the signature does not verify)");
  cmd->add_option("--form", flags->form, "token-response: get (token.md) or oauth2 (oauth.md)");
  cmd->callback([flags, &exit_code] { exit_code = RunInspect(*flags); });
}

}  // namespace regauth::cli
