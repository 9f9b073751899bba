#include "harness/suite/requirements.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

std::string Source(const char* rel) { return std::string(REGAUTH_SOURCE_DIR) + "/" + rel; }

Json ValidFile() {
  return Json::parse(R"({
    "$schema": "schema/requirements.schema.json",
    "requirements": {
      "registry.method-access": {"text": "Methods need their access.", "source": "token-auth.md §1.8"},
      "flow.ci-login-succeeds": {"text": "docker login works.", "source": "token-auth.md §3.10"}
    }
  })");
}

// Ids are '.'-separated segments of lower-case words joined by '-', at least two segments.
TEST(RequirementIds, FollowTheGrammar) {
  EXPECT_TRUE(IsRequirementId("registry.method-access"));
  EXPECT_TRUE(IsRequirementId("token.cve-2019-12825.job-token"));
  EXPECT_FALSE(IsRequirementId("registry"));
  EXPECT_FALSE(IsRequirementId("registry."));
  EXPECT_FALSE(IsRequirementId(".registry.x"));
  EXPECT_FALSE(IsRequirementId("Registry.x"));
  EXPECT_FALSE(IsRequirementId("registry.method_access"));
  EXPECT_FALSE(IsRequirementId("registry.method--access"));
  EXPECT_FALSE(IsRequirementId("registry.-access"));
  EXPECT_FALSE(IsRequirementId("registry.9lives"));
  EXPECT_FALSE(IsRequirementId(""));
}

TEST(Requirements, ParsesTextAndSourceById) {
  auto reqs = ParseRequirements(ValidFile(), "r.json");
  ASSERT_TRUE(reqs.has_value()) << DescribeLoadError(reqs.error());
  ASSERT_EQ(reqs->size(), 2u);
  EXPECT_EQ(reqs->at("registry.method-access").text, "Methods need their access.");
  EXPECT_EQ(reqs->at("flow.ci-login-succeeds").source, "token-auth.md §3.10");
}

struct ErrorCase {
  const char* label;
  const char* pointer;  // where to write `value` in ValidFile() ("" replaces the document)
  const char* value;
  LoadErrorCode code;
  const char* want_pointer;
};
REGAUTH_PRINT_LABEL(ErrorCase)

class RequirementsErrors : public ::testing::TestWithParam<ErrorCase> {};

// The file is validated on load; the error names the JSON pointer.
TEST_P(RequirementsErrors, ReportsPointerAndCode) {
  const auto& p = GetParam();
  Json doc = ValidFile();
  doc[Json::json_pointer(p.pointer)] = Json::parse(p.value);
  auto r = ParseRequirements(doc, "r.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, p.code) << r.error().message;
  EXPECT_EQ(r.error().pointer, p.want_pointer) << r.error().message;
}

const ErrorCase kErrors[] = {
    {"unknown top-level member", "/requirement", "{}", LoadErrorCode::kUnknownMember,
     "/requirement"},
    {"id outside the grammar", "/requirements/Registry.X", R"({"text": "t", "source": "s"})",
     LoadErrorCode::kBadValue, "/requirements/Registry.X"},
    {"one-segment id", "/requirements/registry", R"({"text": "t", "source": "s"})",
     LoadErrorCode::kBadValue, "/requirements/registry"},
    {"missing source", "/requirements/registry.x", R"({"text": "t"})",
     LoadErrorCode::kMissingMember, "/requirements/registry.x/source"},
    {"empty text", "/requirements/registry.x", R"({"text": "", "source": "s"})",
     LoadErrorCode::kBadValue, "/requirements/registry.x/text"},
    {"unknown requirement member", "/requirements/registry.x",
     R"({"text": "t", "source": "s", "sources": []})", LoadErrorCode::kUnknownMember,
     "/requirements/registry.x/sources"},
    {"requirements not an object", "/requirements", "[]", LoadErrorCode::kWrongType,
     "/requirements"},
};

INSTANTIATE_TEST_SUITE_P(Table, RequirementsErrors, ::testing::ValuesIn(kErrors),
                         testing_support::LabelName());

TEST(Requirements, RequiresTheRequirementsMember) {
  auto r = ParseRequirements(Json::object(), "r.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, LoadErrorCode::kMissingMember);
  EXPECT_EQ(r.error().pointer, "/requirements");
}

// ReadRequirement: a text needs its source; a reference takes the requirement's text and source,
// and a source given beside the reference is appended.
TEST(Requirements, ResolvesTextsAndReferences) {
  auto reqs = ParseRequirements(ValidFile(), "r.json");
  ASSERT_TRUE(reqs.has_value());
  struct Row {
    const char* label;
    const char* object;
    const char* text;
    const char* source;
    const char* id;
  };
  const Row rows[] = {
      {"text", R"({"requirement": "Own.", "source": "s"})", "Own.", "s", ""},
      {"reference", R"({"requirement": {"ref": "registry.method-access"}})",
       "Methods need their access.", "token-auth.md §1.8", "registry.method-access"},
      {"reference and own source",
       R"({"requirement": {"ref": "registry.method-access"}, "source": "CVE-1"})",
       "Methods need their access.", "token-auth.md §1.8; CVE-1", "registry.method-access"},
  };
  for (const Row& row : rows) {
    DataReader r("c.json");
    ResolvedRequirement out;
    ASSERT_TRUE(ReadRequirement(r, Json::parse(row.object), "/cases/0", nullptr, "", *reqs, &out))
        << row.label << ": " << DescribeLoadError(r.error());
    EXPECT_EQ(out.text, row.text) << row.label;
    EXPECT_EQ(out.source, row.source) << row.label;
    EXPECT_EQ(out.id, row.id) << row.label;
  }
}

// The shipped requirements file loads.
TEST(Requirements, LoadsTheShippedFile) {
  auto reqs = LoadRequirementsFile(Source("cases/requirements.json"));
  ASSERT_TRUE(reqs.has_value()) << DescribeLoadError(reqs.error());
  EXPECT_TRUE(reqs->count("registry.method-access"));
}

}  // namespace
}  // namespace regauth::harness
