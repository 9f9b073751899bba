// usage.h — what the `regauth` binary says when its command line names something that does not
// exist: the nearest command to an unknown one (`regauth rnu` → did you mean `run`?) and the
// nearest flag to an unknown one (`regauth run --filtr` → did you mean --filter?), as git and
// cargo do. CLI11 alone says "A subcommand is required" and "The following arguments were not
// expected", which name nothing to try instead. Every message here means exit code 2.
//
// Usage (cli/main.cc):
//   if (auto why = UnknownCommand(app, argc, argv)) { std::cerr << *why << "\n"; return 2; }
//   try { app.parse(argc, argv); } catch (const CLI::ExtrasError&) {
//     if (auto why = UnknownFlags(app, argc, argv)) ...
//   }
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace regauth::cli {

// NearestName returns the candidate that `word` most likely misspells: the one at the smallest
// optimal-string-alignment distance (insertion, deletion, substitution, adjacent transposition:
// "rnu" is one edit from "run"), when that distance is at most max(1, |word| / 3); else the only
// candidate that `word` is a prefix of; else nullopt. Ties go to the earlier candidate.
std::optional<std::string> NearestName(std::string_view word,
                                       const std::vector<std::string>& candidates);

// UnknownCommand follows the command words of argv (argv[1], then a nested command such as
// `world check`) and returns "regauth: unknown command 'rnu'; did you mean 'run'? …" for the
// first word that names no subcommand of a command that needs one, or nullopt.
std::optional<std::string> UnknownCommand(const CLI::App& app, int argc, const char* const* argv);

// UnknownFlags returns "regauth run: unknown flag --filtr; did you mean --filter? …" for each
// argument of the selected subcommand that looks like a flag ("-x", "--name", "--name=value")
// and that neither it nor a parent command declares, or nullopt when there is none.
std::optional<std::string> UnknownFlags(const CLI::App& app, int argc, const char* const* argv);

}  // namespace regauth::cli
