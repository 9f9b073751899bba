// test_support.h — helpers shared by table tests (test code only; never linked into a library).
//
//   INSTANTIATE_TEST_SUITE_P(Table, FooTest, testing::ValuesIn(kCases), LabelName());
// names each case after its `label` member, so ctest shows "Table/FooTest.X/duplicate_key"
// instead of a byte dump.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace regauth::testing_support {

// TempDir is a fresh directory "<gtest temp dir><prefix>XXXXXX", removed with everything in it
// by the destructor; path() is "" when it could not be made.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "regauth-test-") {
    std::string tmpl = ::testing::TempDir() + std::string(prefix) + "XXXXXX";
    path_ = ::mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct LabelName {
  template <typename T>
  std::string operator()(const ::testing::TestParamInfo<T>& info) const {
    std::string name;
    for (const char c : std::string(info.param.label)) {
      name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    }
    return name + "_" + std::to_string(info.index);
  }
};

}  // namespace regauth::testing_support

// REGAUTH_PRINT_LABEL(Case) lets gtest print a table case as its label (used in failure
// messages and ctest listings instead of a byte dump). Put it right after the case struct.
#define REGAUTH_PRINT_LABEL(Type) \
  [[maybe_unused]] inline void PrintTo(const Type& c, std::ostream* os) { *os << c.label; }
