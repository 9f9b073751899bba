#include "reports/output.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "protocol/test_support.h"
#include "reports/report_test_support.h"

namespace regauth::reports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A run directory is created and `latest` points at it with a relative target; the next run
// moves `latest`.
TEST(PrepareRunDirectory, CreatesDirectoryAndMovesLatest) {
  const fs::path base = test_support::TempDir("out") / "reports" / "out";
  auto first = PrepareRunDirectory(base, "20261125T131741Z");
  ASSERT_TRUE(first.has_value()) << first.error().Describe();
  EXPECT_EQ(*first, base / "20261125T131741Z");
  EXPECT_TRUE(fs::is_directory(*first));
  EXPECT_EQ(fs::read_symlink(base / "latest"), fs::path("20261125T131741Z"));

  auto second = PrepareRunDirectory(base, "2026-11-25T13:20:00Z");
  ASSERT_TRUE(second.has_value()) << second.error().Describe();
  EXPECT_EQ(fs::read_symlink(base / "latest"), fs::path("2026-11-25T13:20:00Z"));
  EXPECT_TRUE(fs::equivalent(base / "latest", *second));
  EXPECT_TRUE(fs::is_directory(*first)) << "older runs are kept";
  for (const auto& entry : fs::directory_iterator(base)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
        << "temporary link left behind: " << entry.path();
  }
  fs::remove_all(base.parent_path().parent_path());
}

// Runs never overwrite each other.
TEST(PrepareRunDirectory, RefusesAnExistingRun) {
  const fs::path base = test_support::TempDir("out");
  ASSERT_TRUE(PrepareRunDirectory(base, "run1").has_value());
  auto again = PrepareRunDirectory(base, "run1");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ReportError::kRunExists);
  EXPECT_EQ(again.error().where, (base / "run1").string());
  fs::remove_all(base);
}

struct BadName {
  const char* label;
  std::string name;
};
REGAUTH_PRINT_LABEL(BadName)

const BadName kBadNames[] = {
    {"empty", ""},         {"dot", "."},
    {"dotdot", ".."},      {"hidden", ".run"},
    {"slash", "a/b"},      {"parent escape", "../x"},
    {"latest", "latest"},  {"space", "a b"},
    {"backslash", "a\\b"}, {"nul", std::string("a\0b", 3)},
    {"newline", "a\nb"},   {"too long", std::string(101, 'a')},
};

class PrepareRunDirectoryBadName : public testing::TestWithParam<BadName> {};

// The timestamp becomes a path segment: only a plain, single segment is accepted.
TEST_P(PrepareRunDirectoryBadName, RejectsUnsafeNames) {
  const fs::path base = test_support::TempDir("out");
  auto r = PrepareRunDirectory(base, GetParam().name);
  ASSERT_FALSE(r.has_value()) << GetParam().label;
  EXPECT_EQ(r.error().code, ReportError::kBadRunName);
  EXPECT_TRUE(fs::is_empty(base)) << "nothing created";
  fs::remove_all(base);
}

INSTANTIATE_TEST_SUITE_P(Table, PrepareRunDirectoryBadName, testing::ValuesIn(kBadNames),
                         testing_support::LabelName());

// `latest` that is a real directory is not replaced; the error names it.
TEST(PrepareRunDirectory, ReportsIoErrorWithPath) {
  const fs::path base = test_support::TempDir("out");
  fs::create_directories(base / "latest" / "keep");
  auto r = PrepareRunDirectory(base, "run1");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ReportError::kIo);
  EXPECT_EQ(r.error().where, (base / "latest").string());
  EXPECT_EQ(r.error().detail.rfind("rename: ", 0), 0u) << r.error().detail;
  EXPECT_TRUE(fs::is_directory(base / "latest" / "keep"));

  const fs::path file = base / "plain-file";
  test_support::WriteFile(file, "x");
  auto under_file = PrepareRunDirectory(file / "out", "run1");
  ASSERT_FALSE(under_file.has_value());
  EXPECT_EQ(under_file.error().code, ReportError::kIo);
  EXPECT_EQ(under_file.error().where, (file / "out").string());
  fs::remove_all(base);
}

// results.json has one line per top-level member and per case, and parses back to the document.
TEST(ResultsText, OneLinePerCase) {
  const json doc = test_support::LoadSample();
  const std::string text = ResultsText(doc);
  EXPECT_EQ(json::parse(text), doc);
  std::size_t case_lines = 0, pos = 0;
  while ((pos = text.find("\n  {\"baseline\"", pos)) != std::string::npos) {
    ++case_lines;
    ++pos;
  }
  EXPECT_EQ(case_lines, doc["cases"].size());
  EXPECT_EQ(text.find("\n \"cases\": [\n  {"), text.find("\n \"cases\""));
  EXPECT_EQ(ResultsText(json::array({1, 2})), "[1,2]\n");
}

// results.json, junit.xml and report.html are written whole (no temporary files left) and
// results.json parses back to the document.
TEST(WriteRunReports, WritesTheThreeFiles) {
  const fs::path base = test_support::TempDir("out");
  auto dir = PrepareRunDirectory(base, "run1");
  ASSERT_TRUE(dir.has_value());
  const json doc = test_support::LoadSample();
  const ReportStatus s = WriteRunReports(doc, *dir);
  ASSERT_TRUE(s.has_value()) << s.error().Describe();
  EXPECT_EQ(json::parse(test_support::ReadFile(*dir / "results.json")), doc);
  EXPECT_EQ(test_support::ReadFile(*dir / "results.json").substr(0, 3), "{\n ");
  EXPECT_EQ(test_support::ReadFile(*dir / "junit.xml").rfind("<?xml", 0), 0u);
  EXPECT_EQ(test_support::ReadFile(*dir / "report.html").rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_TRUE(fs::exists(base / "latest" / "report.html"));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(*dir)) {
    ++files;
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
  }
  EXPECT_EQ(files, 3);
  fs::remove_all(base);
}

// An invalid document still leaves results.json (the data is never lost), but no renderings.
TEST(WriteRunReports, KeepsResultsJsonWhenValidationFails) {
  const fs::path dir = test_support::TempDir("out");
  json doc = test_support::LoadSample();
  doc["cases"][0]["verdict"] = "MAYBE";
  const ReportStatus s = WriteRunReports(doc, dir);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ReportError::kBadValue);
  EXPECT_EQ(s.error().where, "/cases/0/verdict");
  EXPECT_TRUE(fs::exists(dir / "results.json"));
  EXPECT_FALSE(fs::exists(dir / "junit.xml"));
  EXPECT_FALSE(fs::exists(dir / "report.html"));
  fs::remove_all(dir);
}

// I/O errors name the file and the failing call.
TEST(WriteRunReports, ReportsTheFailingPath) {
  const fs::path base = test_support::TempDir("out");
  const fs::path dir = base / "missing";
  const ReportStatus s = WriteRunReports(test_support::LoadSample(), dir);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ReportError::kIo);
  EXPECT_EQ(s.error().where, (dir / "results.json.tmp").string());
  EXPECT_EQ(s.error().detail, "open: No such file or directory");
  EXPECT_EQ(s.error().Describe(),
            (dir / "results.json.tmp").string() + ": open: No such file or directory [io]");
  fs::remove_all(base);
}

// WriteFileAtomically replaces an existing file in one step.
TEST(WriteFileAtomically, ReplacesExistingFile) {
  const fs::path dir = test_support::TempDir("out");
  test_support::WriteFile(dir / "f", "old content");
  ASSERT_TRUE(WriteFileAtomically(dir / "f", "new").has_value());
  EXPECT_EQ(test_support::ReadFile(dir / "f"), "new");
  EXPECT_FALSE(fs::exists(dir / "f.tmp"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace regauth::reports
