// report_test_support.h — helpers shared by the reports/ tests (test code only; never linked
// into a library): the sample document, files, temporary directories and running a command.
//
// Usage:
//   nlohmann::json doc = test_support::LoadSample();
//   auto dir = test_support::TempDir("junit");
//   auto r = test_support::Run("python3 -c 'print(1)'");   // r.exit_code, r.out
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

namespace regauth::reports::test_support {

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

inline std::filesystem::path SamplePath() {
  return std::filesystem::path(REGAUTH_SOURCE_DIR) / "reports/testdata/sample-results.json";
}

// LoadSample parses reports/testdata/sample-results.json (32 cases, every verdict and layer).
inline nlohmann::json LoadSample() { return nlohmann::json::parse(ReadFile(SamplePath())); }

// TempDir creates a fresh directory under gtest's temporary directory.
inline std::filesystem::path TempDir(std::string_view prefix) {
  std::string pattern = ::testing::TempDir() + "regauth-" + std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern;
    return {};
  }
  return pattern;
}

struct CommandResult {
  int exit_code = -1;  // the command's exit status; -1 when it could not run or was killed
  std::string out;     // its standard output
};

// Run runs `command` with /bin/sh and captures its standard output.
inline CommandResult Run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 65536> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// ShellQuote quotes `s` for /bin/sh.
inline std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace regauth::reports::test_support
