#include "harness/clients/client_spec.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace regauth::harness::clients {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    std::string tmpl = ::testing::TempDir() + "regauth-client-spec-XXXXXX";
    dir_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
    path_ = dir_ + "/client.json";
    std::ofstream(path_) << text;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

constexpr const char* kValid = R"({
  "$schema": "../schema/client.schema.json",
  "name": "mytool",
  "title": "my tool",
  "executable": "${CLIENT_DIR}/mytool",
  "env": {"MYTOOL_CONFIG": "${WORK_DIR}/config"},
  "ca_env": {"SSL_CERT_FILE": "${CA_FILE}"},
  "operations": {
    "login": [{"args": ["login", "${REGISTRY}", "-u", "${USERNAME}"], "stdin": "${PASSWORD}\n"}]
  },
  "unsupported": {"pull": "not yet"}
})";

// A complete description loads; ${CLIENT_DIR} is the file's directory.
TEST(ClientSpec, LoadsADescription) {
  TempFile f(kValid);
  auto spec = LoadClientSpec(f.path());
  ASSERT_TRUE(spec) << DescribeLoadError(spec.error());
  EXPECT_EQ(spec->name, "mytool");
  ASSERT_NE(spec->Operation("login"), nullptr);
  EXPECT_EQ(spec->Operation("login")->front().args.size(), 4u);
  EXPECT_EQ(spec->Operation("pull"), nullptr);
  EXPECT_EQ(spec->unsupported.at("pull"), "not yet");
  EXPECT_EQ(spec->dir, std::filesystem::path(f.path()).parent_path().string());
  const std::map<std::string, std::string, std::less<>> v = {{"REGISTRY", "127.0.0.1:5"},
                                                             {"USERNAME", "u"}};
  EXPECT_EQ(ExpandPlaceholders("${REGISTRY}/x ${USERNAME}", v), "127.0.0.1:5/x u");
}

// Each malformed description is rejected with its code and the JSON pointer of the culprit.
TEST(ClientSpec, RejectsMalformedDescriptions) {
  struct Row {
    const char* label;
    std::string from, to;
    LoadErrorCode code;
    const char* pointer;
  };
  const Row rows[] = {
      {"unknown member", "\"title\"", "\"titel\"", LoadErrorCode::kUnknownMember, "/titel"},
      {"unknown placeholder", "${USERNAME}\"]", "${USER}\"]", LoadErrorCode::kUnknownName,
       "/operations/login/0/args/3"},
      {"unterminated placeholder", "${REGISTRY}\"", "${REGISTRY\"", LoadErrorCode::kBadValue,
       "/operations/login/0/args/1"},
      {"empty argv", R"("args": ["login", "${REGISTRY}", "-u", "${USERNAME}"])", R"("args": [])",
       LoadErrorCode::kBadValue, "/operations/login/0/args"},
      {"unknown operation", "\"login\":", "\"logon\":", LoadErrorCode::kUnknownMember,
       "/operations/logon"},
      {"both operation and unsupported", "\"pull\": \"not yet\"", "\"login\": \"no\"",
       LoadErrorCode::kConflict, "/unsupported/login"},
      {"bad name", "\"mytool\"", "\"My Tool\"", LoadErrorCode::kBadValue, "/name"},
      {"built-in name", "\"mytool\"", "\"regauth\"", LoadErrorCode::kConflict, "/name"},
  };
  for (const Row& r : rows) {
    std::string text = kValid;
    const std::size_t at = text.find(r.from);
    ASSERT_NE(at, std::string::npos) << r.label;
    text.replace(at, r.from.size(), r.to);
    TempFile f(text);
    auto spec = LoadClientSpec(f.path());
    ASSERT_FALSE(spec) << r.label;
    EXPECT_EQ(spec.error().code, r.code) << r.label << ": " << DescribeLoadError(spec.error());
    EXPECT_EQ(spec.error().pointer, r.pointer)
        << r.label << ": " << DescribeLoadError(spec.error());
  }
}

// The shipped descriptions load, with unique names, and the negative control too.
TEST(ClientSpec, ShippedDescriptionsLoad) {
  auto specs = LoadClientSpecs(std::string(REGAUTH_SOURCE_DIR) + "/cases/clients");
  ASSERT_TRUE(specs) << DescribeLoadError(specs.error());
  EXPECT_GE(specs->size(), 7u);
  auto control =
      LoadClientSpec(std::string(REGAUTH_SOURCE_DIR) + "/cases/clients/controls/leaky-client.json");
  ASSERT_TRUE(control) << DescribeLoadError(control.error());
}

}  // namespace
}  // namespace regauth::harness::clients
