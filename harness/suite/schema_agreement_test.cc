// schema_agreement_test — the C++ loaders and the JSON Schemas of cases/schema/ reject the same
// broken data files at the same place. Every file of cases/schema/testdata/ is listed in
// expected.json with its kind and the JSON pointer (and loader error code) it must be rejected
// at; this test loads each with its kind's loader, and `scripts/validate-data.py
// --expect-invalid` (ctest schema_and_loader_reject_alike) checks that the schema reports the
// same pointer and nothing else. A schema that drifts from its loader fails one of the two.
// The vocabularies declared once in C++ — step kinds and their parameters
// (harness/suite/step_fields.h), facts and roles (harness/suite/facts.h) — are compared with the
// schemas' too.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness/judge/baseline.h"
#include "harness/judge/profile.h"
#include "harness/suite/case_loader.h"
#include "harness/suite/data_file.h"
#include "harness/suite/facts.h"
#include "harness/suite/grid.h"
#include "harness/suite/matrix.h"
#include "harness/suite/requirements.h"
#include "harness/suite/step_fields.h"
#include "protocol/test_support.h"
#include "protocol/world.h"

namespace regauth::harness {
namespace {

const std::string kSchemas = std::string(REGAUTH_SOURCE_DIR) + "/cases/schema";
const std::string kTestdata = kSchemas + "/testdata";
const std::vector<std::string> kKinds = {"world",    "case-file",    "matrix", "profile",
                                         "baseline", "requirements", "grid"};

// Broken is one entry of expected.json.
struct Broken {
  std::string label;    // the file name, e.g. "world--unknown-member-in-user.json"
  std::string kind;     // world | case-file | matrix | profile | baseline | requirements | grid
  std::string pointer;  // where both the loader and the schema reject it
  std::string code;     // the loader's error code name (unknown_member, ...)
};
REGAUTH_PRINT_LABEL(Broken)

// Manifest reads expected.json; a manifest that does not load yields no entries (and
// ManifestListsEveryBrokenFile fails, naming the problem).
std::vector<Broken> Manifest(std::string* problem = nullptr) {
  auto fail = [&](std::string why) {
    if (problem != nullptr) *problem = std::move(why);
    return std::vector<Broken>{};
  };
  auto text = ReadTextFile(kTestdata + "/expected.json");
  if (!text) return fail(DescribeLoadError(text.error()));
  auto doc = ParseDataFile(*text, "expected.json");
  if (!doc) return fail(DescribeLoadError(doc.error()));
  auto files = doc->find("files");
  if (files == doc->end() || !files->is_array()) return fail("expected.json: no \"files\" array");
  std::vector<Broken> out;
  for (const auto& f : *files) {
    if (!f.is_object() || !f.value("file", nlohmann::json()).is_string() ||
        !f.value("kind", nlohmann::json()).is_string() ||
        !f.value("pointer", nlohmann::json()).is_string() ||
        !f.value("code", nlohmann::json()).is_string()) {
      return fail("expected.json: every entry needs file, kind, pointer and code strings");
    }
    out.push_back({f["file"].get<std::string>(), f["kind"].get<std::string>(),
                   f["pointer"].get<std::string>(), f["code"].get<std::string>()});
  }
  return out;
}

// Rejection is what a loader said about a file.
struct Rejection {
  std::string pointer;
  std::string code;
  std::string message;
};

// Load loads `b` with the loader of its kind: nullopt when it loads.
std::optional<Rejection> Load(const Broken& b) {
  const std::string path = kTestdata + "/" + b.label;
  auto harness_error = [](const LoadError& e) {
    return Rejection{e.pointer, std::string(CodeName(e.code)), DescribeLoadError(e)};
  };
  if (b.kind == "world") {
    auto text = ReadTextFile(path);
    if (!text) return harness_error(text.error());
    // The clock of harness/testing/world.h; no environment, so every ${VAR} secret is unset.
    auto w = protocol::ParseWorld(*text, protocol::WorldContext{1764000000, nullptr});
    if (w) return std::nullopt;
    return Rejection{w.error().pointer, std::string(protocol::CodeName(w.error().code)),
                     protocol::DescribeWorldError(w.error())};
  }
  if (b.kind == "case-file") {
    auto r = LoadCaseFile(path);
    return r ? std::nullopt : std::optional(harness_error(r.error()));
  }
  if (b.kind == "matrix") {
    auto r = LoadMatrixFile(path);
    return r ? std::nullopt : std::optional(harness_error(r.error()));
  }
  if (b.kind == "profile") {
    auto r = LoadProfileFile(path);
    return r ? std::nullopt : std::optional(harness_error(r.error()));
  }
  if (b.kind == "baseline") {
    auto r = LoadBaselineFile(path);
    return r ? std::nullopt : std::optional(harness_error(r.error()));
  }
  if (b.kind == "requirements") {
    auto r = LoadRequirementsFile(path);
    return r ? std::nullopt : std::optional(harness_error(r.error()));
  }
  if (b.kind == "grid") {
    // The broken grids state their requirement as text: no requirements file is needed.
    auto r = LoadGridFile(path, Requirements{});
    return r ? std::nullopt : std::optional(harness_error(r.error()));
  }
  return Rejection{"", "", "unknown kind \"" + b.kind + "\""};
}

class SchemaAgreementTest : public ::testing::TestWithParam<Broken> {};

// The loader rejects each broken file at the manifest's pointer with the manifest's code (the
// schema side is scripts/validate-data.py --expect-invalid).
TEST_P(SchemaAgreementTest, LoaderRejectsAtTheManifestPointer) {
  const Broken& b = GetParam();
  auto rejection = Load(b);
  ASSERT_TRUE(rejection.has_value()) << b.label << " loads, but it is listed as broken";
  EXPECT_EQ(rejection->pointer, b.pointer) << rejection->message;
  EXPECT_EQ(rejection->code, b.code) << rejection->message;
}

INSTANTIATE_TEST_SUITE_P(Testdata, SchemaAgreementTest, ::testing::ValuesIn(Manifest()),
                         testing_support::LabelName());

// Every file of the directory is in the manifest exactly once, named "<kind>--<what>.json", and
// every kind of data file has broken examples.
TEST(SchemaAgreement, ManifestListsEveryBrokenFile) {
  std::string problem;
  const std::vector<Broken> manifest = Manifest(&problem);
  ASSERT_TRUE(problem.empty()) << problem;
  EXPECT_GE(manifest.size(), 15u);
  std::map<std::string, int> listed;
  std::set<std::string> kinds;
  for (const Broken& b : manifest) {
    ++listed[b.label];
    kinds.insert(b.kind);
    EXPECT_NE(std::find(kKinds.begin(), kKinds.end(), b.kind), kKinds.end()) << b.label;
    EXPECT_EQ(b.label.rfind(b.kind + "--", 0), 0u) << b.label << " should start with the kind";
  }
  for (const auto& [file, count] : listed) EXPECT_EQ(count, 1) << file << " is listed twice";
  EXPECT_EQ(kinds, std::set<std::string>(kKinds.begin(), kKinds.end()));
  auto files = ListJsonFiles(kTestdata);
  ASSERT_TRUE(files.has_value()) << DescribeLoadError(files.error());
  for (const std::string& path : *files) {
    const std::string name = std::filesystem::path(path).filename().string();
    if (name != "expected.json") {
      EXPECT_EQ(listed.count(name), 1u) << name << " is not listed";
    }
  }
}

// ---- the vocabularies: declared once in C++, stated again in the schemas -----------------

using Json = nlohmann::json;

// Schema parses cases/schema/<kind>.schema.json (a parse error fails the calling test).
Json Schema(const std::string& kind) {
  auto text = ReadTextFile(kSchemas + "/" + kind + ".schema.json");
  EXPECT_TRUE(text.has_value()) << kind;
  auto doc = ParseDataFile(text ? *text : std::string("{}"), kind);
  EXPECT_TRUE(doc.has_value()) << (doc ? "" : DescribeLoadError(doc.error()));
  return doc ? std::move(*doc) : Json::object();
}

// Resolve follows the local "$ref"s ("#/$defs/x") of `node` within `root`.
const Json& Resolve(const Json& root, const Json& node) {
  const Json* cur = &node;
  for (int hops = 0; cur->is_object() && cur->contains("$ref") && hops < 8; ++hops) {
    const std::string ref = (*cur)["$ref"].get<std::string>();
    cur = &root.at(Json::json_pointer(ref.substr(1)));
  }
  return *cur;
}

std::set<std::string> Names(const std::vector<std::string_view>& names) {
  return std::set<std::string>(names.begin(), names.end());
}

std::set<std::string> StringsOf(const Json& array) {
  std::set<std::string> out;
  for (const auto& v : array) out.insert(v.get<std::string>());
  return out;
}

// A step kind is one C++ type and one schema entry (STYLE.md "A case is a typed value"): the
// schema's step kinds are the loader's, and each kind's parameters are exactly the members of
// its struct (harness/suite/step_fields.cc), besides "step" and "save_as".
TEST(SchemaAgreement, StepKindsAndParametersAreTheLoaders) {
  const Json schema = Schema("case-file");
  const Json& defs = schema["$defs"];
  const Json& kinds = defs["step"]["properties"]["step"]["enum"];
  ASSERT_FALSE(kinds.empty());
  for (const auto& k : kinds) {
    const std::string name = k.get<std::string>();
    auto kind = ParseStepKind(name);
    ASSERT_TRUE(kind.has_value()) << name << " is not a step kind of the loader";
    std::set<std::string> params;
    for (const auto& [param, spec] : defs[name]["properties"].items()) {
      if (param != "step" && param != "save_as") params.insert(param);
    }
    EXPECT_EQ(params, Names(StepParamNames(*kind))) << name;
  }
}

// Every fact of harness/suite/facts.h is a condition member of the matrix, after_grants and
// selector conditions, with the same values; role_at_least takes RoleNames(); every other member is
// one of the documented operators (cases/README.md "Conditions").
TEST(SchemaAgreement, ConditionFactsAreTheLoaders) {
  const std::set<std::string> kOperators = {
      "role_at_least", "admin_counts",    "scopes_any", "scopes_all", "scopes_none",
      "has_ability",   "has_any_ability", "all",        "any",        "not",
      "ref",           "access_empty",    "granted_any"};
  const Json matrix = Schema("matrix");
  const Json cases = Schema("case-file");
  for (const auto& [root, def] :
       std::vector<std::pair<const Json*, std::string>>{{&matrix, "condition"},
                                                        {&matrix, "after_grants_condition"},
                                                        {&cases, "selector_condition"}}) {
    SCOPED_TRACE(def);
    const Json& members = (*root)["$defs"][def]["properties"];
    std::set<std::string> facts;
    for (const FactSpec& spec : FactSchema()) {
      const std::string name(spec.name);
      facts.insert(name);
      ASSERT_TRUE(members.contains(name)) << name;
      const Json& value = Resolve(*root, members[name]);
      switch (spec.type) {
        case FactType::kBool:
          EXPECT_EQ(value.value("type", ""), "boolean") << name;
          break;
        case FactType::kSet:
          EXPECT_TRUE(value.contains("not")) << name << " is a set: the schema must refuse it";
          break;
        case FactType::kEnum:
          EXPECT_EQ(StringsOf(Resolve(*root, value["then"]["items"])["enum"]), Names(spec.values))
              << name;
          EXPECT_EQ(StringsOf(Resolve(*root, value["else"])["enum"]), Names(spec.values)) << name;
          break;
      }
    }
    EXPECT_EQ(StringsOf(Resolve(*root, members["role_at_least"])["enum"]), Names(RoleNames()));
    for (const auto& [member, spec] : members.items()) {
      EXPECT_TRUE(facts.count(member) + kOperators.count(member) == 1) << member;
    }
  }
}

}  // namespace
}  // namespace regauth::harness
