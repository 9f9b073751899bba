// `regauth show ID` — one case as the suite holds it, without running it: its requirement and
// source, what its selectors bound in the world (or why the world cannot run it), and its steps
// and expectation (as h2spec and the OCI conformance suite let a reader look a test up).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/usage.h"
#include "harness/execute/runner.h"
#include "harness/select/selection.h"
#include "harness/suite/case_loader.h"
#include "harness/suite/load.h"

namespace regauth::cli {
namespace {

using Json = nlohmann::json;

struct ShowFlags {
  std::string id;
  std::string world_path;
  std::string cases_dir;
  std::string format = "text";
};

Json ShowJson(const harness::Case& c, const std::string& world_path) {
  Json j = harness::CaseToJson(c);
  j["family"] = harness::FamilyOf(c.id);
  j["gitlab_source"] = harness::GitLabSourcesJson(c.gitlab_sources);
  j["gitlab_spec"] = harness::GitLabSpecsJson(c.gitlab_specs);
  Json bound = Json::object();
  for (const auto& [name, entity] : c.bound) bound[name] = entity;
  j["bound"] = std::move(bound);
  j["unmet"] = c.unmet.empty() ? Json(nullptr) : Json(c.unmet);
  j["world"] = world_path;
  return j;
}

std::string Join(const std::vector<std::string>& items, std::string_view empty) {
  if (items.empty()) return std::string(empty);
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void ShowText(const harness::Case& c, const std::string& world_path, std::ostream& out) {
  const Json j = harness::CaseToJson(c);
  out << c.id << "\n";
  out << "  title:        " << c.title << "\n";
  out << "  layer:        " << j.value("layer", "") << " (family " << harness::FamilyOf(c.id)
      << ")\n";
  out << "  tags:         " << Join(c.tags, "-") << "\n";
  out << "  requirement:  " << c.requirement << "\n";
  out << "  source:       " << c.source << "\n";
  for (const harness::GitLabSource& g : c.gitlab_sources) {
    out << "  gitlab:       " << g.Url() << "\n";
    out << "                " << g.symbol << " (" << g.version << ")\n";
  }
  for (const harness::GitLabSpecCitation& g : c.gitlab_specs) {
    out << "  gitlab spec:  " << g.Url() << "\n";
    out << "                " << g.context << " (" << g.version << ")\n";
  }
  out << "  profiles:     " << Join(c.profiles, "every profile") << "\n";
  if (!c.needs.empty()) out << "  needs:        " << Join(c.needs, "") << "\n";
  if (j.contains("dimensions")) {
    std::string dims;
    for (const auto& [k, v] : j["dimensions"].items()) {
      dims += (dims.empty() ? "" : ", ") + k + "=" + v.get<std::string>();
    }
    out << "  dimensions:   " << dims << "\n";
  }
  out << "  world:        " << world_path << "\n";
  if (!c.unmet.empty()) {
    out << "  not runnable in this world (the case is SKIP): " << c.unmet << "\n";
  }
  for (const auto& [name, entity] : c.bound) {
    out << "  bound:        ${" << name << "} = " << entity << "\n";
  }
  out << "  steps:\n";
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    out << "    " << (i + 1) << ". "
        << harness::StepToJson(c.steps[i]).dump(-1, ' ', false, Json::error_handler_t::replace)
        << "\n";
  }
  out << "  expect:       " << c.expect.dump(-1, ' ', false, Json::error_handler_t::replace)
      << "\n";
}

int RunShow(const ShowFlags& f) {
  const std::string cases_dir = f.cases_dir.empty() ? harness::DefaultCasesDir() : f.cases_dir;
  const std::string world_path =
      f.world_path.empty() ? harness::DefaultWorldFile(cases_dir) : f.world_path;
  auto world = harness::LoadWorldFile(world_path);
  if (!world) {
    std::cerr << "regauth show: " << world.error() << "\n";
    return harness::kExitUsage;
  }
  auto cases = harness::LoadCases(cases_dir, *world);
  if (!cases) {
    std::cerr << "regauth show: " << cases.error() << "\n";
    return harness::kExitUsage;
  }
  std::vector<std::string> ids;
  for (const harness::Case& c : *cases) {
    if (c.id != f.id) {
      ids.push_back(c.id);
      continue;
    }
    if (f.format == "json") {
      std::cout << ShowJson(c, world_path).dump(2, ' ', false, Json::error_handler_t::replace)
                << "\n";
    } else {
      ShowText(c, world_path, std::cout);
    }
    return harness::kExitOk;
  }
  std::cerr << "regauth show: no case '" << f.id << "' in " << cases_dir << " over " << world_path;
  if (auto nearest = NearestName(f.id, ids)) std::cerr << "; did you mean '" << *nearest << "'?";
  std::cerr << " (regauth run --list --filter 'PATTERN' lists ids)\n";
  return harness::kExitUsage;
}

}  // namespace

void AddShowCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ShowFlags>();
  CLI::App* cmd = app.add_subcommand(
      "show",
      "Show one case without running it: requirement, source, what it binds in the world, its "
      "steps and expectation");
  cmd->footer(
      "Exit codes:\n"
      "  0  the case was shown\n"
      "  2  usage error: no such case (the nearest id is named), an invalid world or suite");
  cmd->add_option("id", f->id, "The case id (regauth run --list lists them)")->required();
  cmd->add_option("--world", f->world_path,
                  "World file the case is bound to (default <cases>/worlds/gitlab-default.json)");
  cmd->add_option("--cases", f->cases_dir,
                  "The suite's data directory (default ./cases, else the source tree's cases/)");
  cmd->add_option("--format", f->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([f, &exit_code] { exit_code = RunShow(*f); });
}

}  // namespace regauth::cli
