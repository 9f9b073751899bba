#include "harness/suite/load.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include "harness/suite/bind.h"
#include "harness/suite/case_loader.h"
#include "harness/suite/data_file.h"
#include "harness/suite/grid.h"
#include "harness/suite/matrix.h"
#include "harness/suite/provenance.h"
#include "harness/suite/requirements.h"

namespace regauth::harness {

std::string DefaultCasesDir() {
  std::error_code ec;
  if (std::filesystem::is_directory("cases/profiles", ec)) return "cases";
  // An installed binary: its data is in ../share/regauth/cases from the executable (Linux).
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed =
        exe.parent_path().parent_path() / "share" / "regauth" / "cases";
    if (std::filesystem::is_directory(installed / "profiles", ec)) return installed.string();
  }
  return std::string(REGAUTH_SOURCE_DIR) + "/cases";
}

std::string DefaultWorldFile(const std::string& cases_dir) {
  return cases_dir + "/worlds/gitlab-default.json";
}

protocol::Expected<protocol::World, std::string> LoadWorldFile(const std::string& path) {
  auto text = ReadTextFile(path, 4 * 1024 * 1024);
  if (!text) return protocol::Unexpected<std::string>(DescribeLoadError(text.error()));
  protocol::WorldContext ctx;
  ctx.now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  ctx.env = [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  auto world = protocol::ParseWorld(*text, ctx);
  if (!world) {
    return protocol::Unexpected<std::string>(path + ": " +
                                             protocol::DescribeWorldError(world.error()));
  }
  return std::move(*world);
}

LoadResult<std::vector<Case>> LoadSuiteCases(const std::string& cases_dir) {
  std::error_code ec;
  Requirements requirements;
  const std::string requirements_path = cases_dir + "/requirements.json";
  if (std::filesystem::exists(requirements_path, ec)) {
    auto loaded = LoadRequirementsFile(requirements_path);
    if (!loaded) return protocol::Unexpected<LoadError>(loaded.error());
    requirements = std::move(*loaded);
  }
  std::vector<Case> out;
  if (std::filesystem::is_directory(cases_dir + "/cases", ec)) {
    auto hand = LoadCaseDir(cases_dir + "/cases", requirements);
    if (!hand) return protocol::Unexpected<LoadError>(hand.error());
    out = std::move(*hand);
  }
  if (std::filesystem::is_directory(cases_dir + "/grids", ec)) {
    auto grids = LoadGridDir(cases_dir + "/grids", requirements);
    if (!grids) return protocol::Unexpected<LoadError>(grids.error());
    for (const Grid& g : *grids) {
      auto expanded = ExpandGrid(g);
      if (!expanded) return protocol::Unexpected<LoadError>(expanded.error());
      for (auto& c : *expanded) out.push_back(std::move(c));
    }
  }
  if (auto dup = CheckUniqueIds(out)) return protocol::Unexpected<LoadError>(*dup);
  return out;
}

protocol::Expected<std::vector<Case>, std::string> LoadCases(const std::string& cases_dir,
                                                             const protocol::World& world) {
  using Err = protocol::Unexpected<std::string>;
  std::vector<Case> out;
  std::error_code ec;
  // The copies of GitLab's source the matrices name: hand-written cases cite GitLab's RSpec in
  // them (`gitlab_spec`, harness/suite/provenance.h).
  std::map<std::string, GitLabSource> copies;
  if (std::filesystem::is_directory(cases_dir + "/matrix", ec)) {
    auto matrices = LoadMatrixDir(cases_dir + "/matrix");
    if (!matrices) return Err(DescribeLoadError(matrices.error()));
    for (const auto& m : *matrices) {
      copies.insert(m.rules.gitlab_copies.begin(), m.rules.gitlab_copies.end());
      auto expanded = ExpandMatrix(m, world);
      if (!expanded) return Err(DescribeLoadError(expanded.error()));
      for (auto& c : *expanded) out.push_back(std::move(c));
    }
  }
  auto suite = LoadSuiteCases(cases_dir);
  if (!suite) return Err(DescribeLoadError(suite.error()));
  for (Case& c : *suite) {
    if (auto why = ResolveGitLabSpecs(copies, &c.gitlab_specs)) {
      return Err("case " + c.id + ": " + *why + " (copies are the gitlab_copies of " + cases_dir +
                 "/matrix/*.json)");
    }
  }
  BindCases(world, &*suite);
  for (auto& c : *suite) out.push_back(std::move(c));
  if (auto dup = CheckUniqueIds(out)) {
    return Err("the matrices and case files together define a case id twice: " + dup->message);
  }
  return out;
}

}  // namespace regauth::harness
