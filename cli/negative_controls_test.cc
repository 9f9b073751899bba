// Integration test: the suite catches every negative control of the reference server
// (suite-anchors.md §E must-have 10, "what none of them has" 4). For each misbehaviour of
// reference_server's AllMisbehaviours() it runs the built `regauth` binary
//   regauth run --target reference --misbehave NAME --tag catches:NAME [--tag
//   catches-strict:NAME --strict] --exclude-tag client
// and requires exit code 1 with every selected case FAIL (never ERROR); a run of all catching
// cases without any misbehaviour must pass (exit 0). The cases declare what they catch with the
// tags `catches:<name>` (FAIL in a default run) and `catches-strict:<name>` (the catching check
// is SHOULD-level: NON-STRICT by default, FAIL under --strict) — cases/README.md "Negative
// controls".
//
// The real-client cases (tag `client`: docker CLI, skopeo) are left out so that the test does
// not depend on tools being installed; every misbehaviour they catch is also caught without them
// (CatchingCasesWithoutClientsExist checks that).
//
// Misbehaviours that no case can catch yet (NotYetCatchable, each with the missing runner or
// server feature) are SKIPPED with that reason, never silently passed.
//
// Test-only coupling: the list of misbehaviours comes from reference_server/misbehaviour.h,
// because the point of this test is "every misbehaviour the server can plant".
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "harness/suite/case_loader.h"
#include "harness/suite/load.h"
#include "net/process.h"
#include "protocol/json.h"
#include "reference_server/misbehaviour.h"

namespace regauth::harness {
namespace {

constexpr std::string_view kCatches = "catches:";
constexpr std::string_view kCatchesStrict = "catches-strict:";
constexpr std::string_view kClientTag = "client";

// NotYetCatchable: misbehaviours no case can express with the current step vocabulary or
// reference target, each with what is missing. A misbehaviour listed here must have no catching
// case (the test fails once one appears, so the entry is removed with the case that needs it).
const std::map<std::string_view, std::string_view>& NotYetCatchable() {
  static const std::map<std::string_view, std::string_view> kPending = {};
  return kPending;
}

std::string SourceDir() { return REGAUTH_SOURCE_DIR; }
std::string RegauthBinary() { return std::string(REGAUTH_BINARY_DIR) + "/regauth"; }

bool HasTag(const Case& c, std::string_view tag) {
  return std::find(c.tags.begin(), c.tags.end(), tag) != c.tags.end();
}

// HandWrittenCases loads the world-independent cases once, as the runner does (case files and
// grids; matrix cases never carry catches tags).
const std::vector<Case>& HandWrittenCases() {
  static const std::vector<Case>* cases = [] {
    auto loaded = LoadSuiteCases(SourceDir() + "/cases");
    EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : DescribeLoadError(loaded.error()));
    return new std::vector<Case>(loaded ? std::move(*loaded) : std::vector<Case>{});
  }();
  return *cases;
}

// Catching is the selection for one misbehaviour: the case ids and whether --strict is needed.
struct Catching {
  std::set<std::string> ids;
  bool strict = false;
};

Catching CatchingCases(std::string_view name, bool with_clients) {
  Catching out;
  const std::string plain = std::string(kCatches) + std::string(name);
  const std::string strict = std::string(kCatchesStrict) + std::string(name);
  for (const Case& c : HandWrittenCases()) {
    if (!with_clients && HasTag(c, kClientTag)) continue;
    if (HasTag(c, plain)) out.ids.insert(c.id);
    if (HasTag(c, strict)) {
      out.ids.insert(c.id);
      out.strict = true;
    }
  }
  return out;
}

// RunResult is one `regauth run`: its exit code, its output (for failure messages) and the
// verdict of every case in results.json.
struct RunResult {
  int exit_code = -1;
  std::string output;
  std::map<std::string, std::string> verdicts;
  std::map<std::string, std::string> errors;
};

RunResult RunRegauth(const std::vector<std::string>& selection, const std::string& misbehaviour,
                     bool strict) {
  RunResult r;
  auto out_dir = net::ScratchDir::Create("regauth-negative-controls-");
  if (!out_dir) {
    r.output = "scratch directory: " + out_dir.error();
    return r;
  }
  net::ProcessSpec spec;
  spec.argv = {RegauthBinary(),
               "run",
               "--target",
               "reference",
               "--cases",
               SourceDir() + "/cases",
               "--out",
               (*out_dir)->path() + "/out",
               "--no-progress",
               "--jobs",
               "2",
               "--exclude-tag",
               std::string(kClientTag)};
  for (const std::string& s : selection) spec.argv.push_back(s);
  if (!misbehaviour.empty()) {
    spec.argv.push_back("--misbehave");
    spec.argv.push_back(misbehaviour);
  }
  if (strict) spec.argv.push_back("--strict");
  spec.env_deny = {"CI"};  // no real client runs here; CI=true would only change SKIP handling
  spec.timeout = std::chrono::seconds(90);
  auto p = net::RunProcess(spec);
  if (!p) {
    r.output = "regauth did not run: " + p.error().message;
    return r;
  }
  r.exit_code = p->timed_out ? -1 : p->exit_code;
  r.output = p->stdout_text + p->stderr_text;
  std::ifstream in((*out_dir)->path() + "/out/results.json");
  std::stringstream text;
  text << in.rdbuf();
  protocol::JsonOptions options;
  options.limits.max_bytes = 64 * 1024 * 1024;
  auto doc = protocol::ParseJsonObject(text.str(), options);
  if (!doc) {
    r.output += "\n(results.json missing or unparsable)";
    return r;
  }
  for (const auto& c : (*doc)["cases"]) {
    const std::string id = c.value("id", "");
    r.verdicts[id] = c.value("verdict", "");
    if (c.contains("error") && c["error"].is_string()) r.errors[id] = c["error"];
  }
  return r;
}

std::vector<std::string> TagSelection(std::string_view name, bool strict) {
  std::vector<std::string> s = {"--tag", std::string(kCatches) + std::string(name)};
  if (strict) {
    s.push_back("--tag");
    s.push_back(std::string(kCatchesStrict) + std::string(name));
  }
  return s;
}

std::vector<std::string> MisbehaviourNames() {
  std::vector<std::string> out;
  for (const auto& info : server::AllMisbehaviours()) out.emplace_back(info.name);
  return out;
}

// Every catches tag names a misbehaviour the server has (a typo would catch nothing).
TEST(NegativeControls, EveryCatchesTagNamesAMisbehaviour) {
  const auto names = MisbehaviourNames();
  ASSERT_FALSE(HandWrittenCases().empty());
  for (const Case& c : HandWrittenCases()) {
    for (const std::string& tag : c.tags) {
      for (std::string_view prefix : {kCatches, kCatchesStrict}) {
        if (!std::string_view(tag).starts_with(prefix)) continue;
        const std::string name = tag.substr(prefix.size());
        EXPECT_NE(std::find(names.begin(), names.end(), name), names.end())
            << c.id << ": tag " << tag << " names no misbehaviour of AllMisbehaviours()";
      }
    }
  }
}

// Each catchable misbehaviour is caught without the real clients too, so the hermetic runs below
// prove it; the pending ones have no catching case at all.
TEST(NegativeControls, CatchingCasesWithoutClientsExist) {
  for (const std::string& name : MisbehaviourNames()) {
    const bool pending = NotYetCatchable().count(name) != 0;
    const Catching with = CatchingCases(name, true);
    const Catching without = CatchingCases(name, false);
    if (pending) {
      EXPECT_TRUE(with.ids.empty())
          << name << " has catching cases now: remove it from NotYetCatchable()";
    } else {
      EXPECT_FALSE(without.ids.empty())
          << name << ": no case outside the real-client cases declares catches:" << name;
    }
  }
}

// Without a misbehaviour, every catching case passes (under --strict, which only makes the
// catches-strict cases' SHOULD checks count): the FAILs below are the planted bugs, not the
// cases.
TEST(NegativeControls, ReferenceWithoutMisbehaviourPassesEveryCatchingCase) {
  std::vector<std::string> selection;
  std::set<std::string> ids;
  for (const std::string& name : MisbehaviourNames()) {
    const Catching c = CatchingCases(name, false);
    if (c.ids.empty()) continue;
    const auto tags = TagSelection(name, c.strict);
    selection.insert(selection.end(), tags.begin(), tags.end());
    ids.insert(c.ids.begin(), c.ids.end());
  }
  ASSERT_FALSE(ids.empty());
  const RunResult r = RunRegauth(selection, "", true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const std::string& id : ids) {
    ASSERT_EQ(r.verdicts.count(id), 1u) << id << " was not run\n" << r.output;
    EXPECT_TRUE(r.verdicts.at(id) == "PASS" || r.verdicts.at(id) == "INFORMATIONAL")
        << id << ": " << r.verdicts.at(id);
  }
}

class CaughtTest : public ::testing::TestWithParam<std::string> {};

// The planted bug makes every case that declares it FAIL (not ERROR), and the run exit 1.
TEST_P(CaughtTest, EveryDeclaredCaseFails) {
  const std::string& name = GetParam();
  const Catching c = CatchingCases(name, false);
  if (auto it = NotYetCatchable().find(name); it != NotYetCatchable().end()) {
    ASSERT_TRUE(c.ids.empty()) << "remove " << name << " from NotYetCatchable()";
    GTEST_SKIP() << name << " cannot be caught yet: " << it->second;
  }
  ASSERT_FALSE(c.ids.empty()) << "no case declares catches:" << name;
  const RunResult r = RunRegauth(TagSelection(name, c.strict), name, c.strict);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  std::string caught;
  for (const std::string& id : c.ids) {
    ASSERT_EQ(r.verdicts.count(id), 1u) << id << " was not run\n" << r.output;
    const std::string& v = r.verdicts.at(id);
    EXPECT_EQ(v, "FAIL") << id << " is " << v
                         << (r.errors.count(id) ? " (" + r.errors.at(id) + ")" : "");
    caught += "\n  " + id;
  }
  std::cout << "[ caught   ] " << name << (c.strict ? " (--strict)" : "") << " by:" << caught
            << "\n";
}

INSTANTIATE_TEST_SUITE_P(AllMisbehaviours, CaughtTest, ::testing::ValuesIn(MisbehaviourNames()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string s = param.param;
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

}  // namespace
}  // namespace regauth::harness
