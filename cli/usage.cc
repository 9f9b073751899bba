#include "cli/usage.h"

#include <CLI/CLI.hpp>
#include <algorithm>

namespace regauth::cli {
namespace {

// Distance is the optimal string alignment distance between a and b.
std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> SubcommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// CommandPath is "regauth run" / "regauth world check" for `app`.
std::string CommandPath(const CLI::App& app) {
  std::string path;
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    const std::string name = a->get_parent() == nullptr ? "regauth" : a->get_name();
    path = path.empty() ? name : name + " " + path;
  }
  return path;
}

// Selected follows the command words of argv from `root`; *next is the index after them.
const CLI::App* Selected(const CLI::App& root, int argc, const char* const* argv, int* next) {
  const CLI::App* app = &root;
  int i = 1;
  while (i < argc && !SubcommandNames(*app).empty()) {
    const std::string_view word = argv[i];
    if (word.empty() || word[0] == '-') break;
    const auto subs =
        app->get_subcommands([&](const CLI::App* s) { return s->get_name() == word; });
    if (subs.empty()) break;
    app = subs.front();
    ++i;
  }
  *next = i;
  return app;
}

}  // namespace

std::optional<std::string> NearestName(std::string_view word,
                                       const std::vector<std::string>& candidates) {
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const std::string& c : candidates) {
    const std::size_t d = Distance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  if (best) return best;
  std::optional<std::string> prefixed;
  for (const std::string& c : candidates) {
    if (!word.empty() && c.starts_with(word)) {
      if (prefixed) return std::nullopt;  // ambiguous
      prefixed = c;
    }
  }
  return prefixed;
}

std::optional<std::string> UnknownCommand(const CLI::App& app, int argc, const char* const* argv) {
  int next = 1;
  const CLI::App* selected = Selected(app, argc, argv, &next);
  const std::vector<std::string> names = SubcommandNames(*selected);
  if (names.empty() || next >= argc) return std::nullopt;
  const std::string_view word = argv[next];
  if (word.empty() || word[0] == '-') return std::nullopt;
  std::string message = CommandPath(*selected) + ": unknown command '" + std::string(word) + "'";
  if (auto nearest = NearestName(word, names)) {
    message += "; did you mean '" + *nearest + "'?";
  } else {
    message += ".";
  }
  return message + " Commands: " + Join(names) + " (" + CommandPath(*selected) + " --help)";
}

std::optional<std::string> UnknownFlags(const CLI::App& app, int argc, const char* const* argv) {
  int next = 1;
  const CLI::App* selected = Selected(app, argc, argv, &next);
  std::vector<std::string> declared;  // "--name" and "-x", of the command and its parents
  std::vector<std::string> own_long;  // "--name" of the command itself, for suggestions
  for (const CLI::App* a = selected; a != nullptr; a = a->get_parent()) {
    for (const CLI::Option* o : a->get_options()) {
      for (const std::string& n : o->get_lnames()) {
        declared.push_back("--" + n);
        if (a == selected) own_long.push_back("--" + n);
      }
      for (const std::string& n : o->get_snames()) declared.push_back("-" + n);
    }
  }
  std::string message;
  for (int i = next; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;  // everything after it is a value
    if (arg.size() < 2 || arg[0] != '-') continue;
    if (arg[1] >= '0' && arg[1] <= '9') continue;  // a negative number is a value
    const std::string name(arg.substr(0, arg.find('=')));
    if (std::find(declared.begin(), declared.end(), name) != declared.end()) continue;
    if (!message.empty()) message += "\n";
    message += CommandPath(*selected) + ": unknown flag " + name;
    if (auto nearest = NearestName(name, own_long)) message += "; did you mean " + *nearest + "?";
  }
  if (message.empty()) return std::nullopt;
  return message + " (" + CommandPath(*selected) + " --help lists the flags)";
}

}  // namespace regauth::cli
