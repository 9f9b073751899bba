#include "harness/suite/load.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "harness/data_file.h"

namespace regauth::harness {

std::string DefaultCasesDir() {
  std::error_code ec;
  if (std::filesystem::is_directory("cases/profiles", ec)) return "cases";
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

}  // namespace regauth::harness
