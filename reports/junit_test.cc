#include "reports/junit.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "protocol/test_support.h"
#include "reports/escape.h"
#include "reports/report_test_support.h"
#include "reports/results.h"

namespace regauth::reports {
namespace {

using nlohmann::json;

// kParseScript parses a JUnit file with Python's xml.etree (expat: a conforming XML 1.0 parser
// that rejects ill-formed documents and non-Char characters) and prints its structure as JSON.
constexpr std::string_view kParseScript = R"py(
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
def node(e):
    return {"tag": e.tag, "attrib": dict(e.attrib), "text": e.text or "",
            "children": [node(c) for c in e]}
print(json.dumps(node(root), ensure_ascii=True))
)py";

// ParseXml renders `doc`, writes it and parses it with Python; fails the test if the parser does.
json ParseXml(const json& doc, std::string* xml_out = nullptr) {
  const std::string xml = RenderJUnit(doc);
  if (xml_out != nullptr) *xml_out = xml;
  const auto dir = test_support::TempDir("junit");
  test_support::WriteFile(dir / "junit.xml", xml);
  test_support::WriteFile(dir / "parse.py", kParseScript);
  const auto r =
      test_support::Run("python3 " + test_support::ShellQuote((dir / "parse.py").string()) + " " +
                        test_support::ShellQuote((dir / "junit.xml").string()));
  EXPECT_EQ(r.exit_code, 0) << "python3 could not parse the JUnit XML (kept in " << dir << ")";
  if (r.exit_code != 0) return json();
  std::filesystem::remove_all(dir);
  return json::parse(r.out);
}

void RequirePython() {
  if (test_support::Run("python3 -c 'import xml.etree.ElementTree' 2>/dev/null").exit_code != 0) {
    if (const char* ci = std::getenv("CI"); ci != nullptr && std::string_view(ci) == "true") {
      FAIL() << "python3 with xml.etree is required under CI";
    }
    GTEST_SKIP() << "python3 (xml.etree) not found: cannot parse the XML";
  }
}

const json* Child(const json& node, std::string_view tag) {
  for (const json& c : node["children"]) {
    if (c["tag"] == tag) return &c;
  }
  return nullptr;
}

// FindCase returns the parsed <testcase> whose name is `id`.
const json* FindCase(const json& root, std::string_view id) {
  for (const json& suite : root["children"]) {
    for (const json& c : suite["children"]) {
      if (c["tag"] == "testcase" && c["attrib"]["name"] == id) return &c;
    }
  }
  return nullptr;
}

struct SuiteCounts {
  int tests, failures, errors, skipped;
};

// One <testsuite> per family with the counts of ClassifyCase, computed by hand from the sample
// (results-schema.md "Families"; stale baseline entries are failures, expected failures pass).
TEST(RenderJUnit, CountsPerFamilySuite) {
  RequirePython();
  const json root = ParseXml(test_support::LoadSample());
  ASSERT_EQ(root["tag"], "testsuites");
  EXPECT_EQ(root["attrib"]["tests"], "32");
  EXPECT_EQ(root["attrib"]["failures"], "6");
  EXPECT_EQ(root["attrib"]["errors"], "1");
  EXPECT_EQ(root["attrib"]["skipped"], "2");
  EXPECT_EQ(root["attrib"]["time"], "10.912");
  EXPECT_EQ(root["attrib"]["name"], "regauth (gitlab)");

  const std::map<std::string, SuiteCounts> want = {
      {"flow/ci-login", {4, 1, 0, 1}},
      {"gitlab/anonymous", {3, 1, 0, 0}},
      {"gitlab/deploy_token", {4, 0, 1, 0}},
      {"gitlab/job_token", {5, 1, 0, 1}},
      {"gitlab/personal_access_token", {9, 1, 0, 0}},
      {"registry/challenge", {3, 1, 0, 0}},
      {"registry/hostile-token", {3, 1, 0, 0}},
      {"token/aud", {1, 0, 0, 0}},
  };
  std::map<std::string, SuiteCounts> got;
  std::vector<std::string> order;
  for (const json& suite : root["children"]) {
    ASSERT_EQ(suite["tag"], "testsuite");
    const json& a = suite["attrib"];
    const std::string name = a["name"];
    order.push_back(name);
    got[name] = {
        std::stoi(a["tests"].get<std::string>()), std::stoi(a["failures"].get<std::string>()),
        std::stoi(a["errors"].get<std::string>()), std::stoi(a["skipped"].get<std::string>())};
    EXPECT_EQ(a["timestamp"], "2026-11-25T13:17:41") << name;
    int testcases = 0, failures = 0, errors = 0, skipped = 0;
    for (const json& c : suite["children"]) {
      if (c["tag"] != "testcase") continue;
      ++testcases;
      EXPECT_EQ(c["attrib"]["classname"], name);
      failures += Child(c, "failure") != nullptr;
      errors += Child(c, "error") != nullptr;
      skipped += Child(c, "skipped") != nullptr;
    }
    // The attributes agree with the elements.
    EXPECT_EQ(testcases, got[name].tests) << name;
    EXPECT_EQ(failures, got[name].failures) << name;
    EXPECT_EQ(errors, got[name].errors) << name;
    EXPECT_EQ(skipped, got[name].skipped) << name;
  }
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, w] : want) {
    ASSERT_TRUE(got.count(name)) << name;
    const SuiteCounts& g = got[name];
    EXPECT_EQ(g.tests, w.tests) << name;
    EXPECT_EQ(g.failures, w.failures) << name;
    EXPECT_EQ(g.errors, w.errors) << name;
    EXPECT_EQ(g.skipped, w.skipped) << name;
  }
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

// A FAIL lists the failed checks, expected vs observed; its message names them.
TEST(RenderJUnit, FailListsFailedChecks) {
  RequirePython();
  const json root = ParseXml(test_support::LoadSample());
  const json* c = FindCase(
      root,
      "gitlab/personal_access_token/read_registry+write_registry/private-enabled/developer/delete");
  ASSERT_NE(c, nullptr);
  const json* failure = Child(*c, "failure");
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(failure->at("attrib")["type"], "FAIL");
  EXPECT_EQ(failure->at("attrib")["message"], "failed checks: access");
  const std::string text = failure->at("text");
  EXPECT_NE(text.find("[MUST] access\n  expected: repository:acme/private-enabled:pull,push\n"
                      "  observed: repository:acme/private-enabled:*"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("[MUST] status"), std::string::npos) << "passed checks are not listed";
  EXPECT_NE(Child(*c, "system-out"), nullptr) << "the transcript goes to system-out";
}

// A baseline entry that still fails passes with its reason; an ERROR baseline entry too.
TEST(RenderJUnit, ExpectedFailurePassesWithReason) {
  RequirePython();
  const json root = ParseXml(test_support::LoadSample());
  for (const auto& [id, reason] : {std::pair<std::string, std::string>{
                                       "gitlab/personal_access_token/read_registry+write_registry/"
                                       "private-enabled/reporter/push",
                                       "Known GitLab 16.2 bug"},
                                   {"flow/ci-login/skopeo-login", "skopeo 1.9.3 hangs"}}) {
    const json* c = FindCase(root, id);
    ASSERT_NE(c, nullptr) << id;
    EXPECT_EQ(Child(*c, "failure"), nullptr) << id;
    EXPECT_EQ(Child(*c, "error"), nullptr) << id;
    const json* out = Child(*c, "system-out");
    ASSERT_NE(out, nullptr) << id;
    EXPECT_EQ(out->at("text").get<std::string>().rfind("expected failure: " + reason, 0), 0u)
        << out->at("text");
  }
}

// suite-anchors.md E.4: "expected failure didn't happen" fails CI.
TEST(RenderJUnit, StaleBaselineEntryIsAFailure) {
  RequirePython();
  const json root = ParseXml(test_support::LoadSample());
  const json* c = FindCase(root, "gitlab/anonymous/internal-enabled/pull");
  ASSERT_NE(c, nullptr);
  const json* failure = Child(*c, "failure");
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(failure->at("attrib")["type"], "STALE-BASELINE");
  EXPECT_EQ(failure->at("attrib")["message"],
            "stale baseline entry: baseline expects FAIL, the case gave PASS: GitLab < 15.0 let "
            "anonymous users pull internal images");
}

// SKIP → <skipped message=skip_reason>; ERROR → <error>; NON-STRICT/INFORMATIONAL pass with notes.
TEST(RenderJUnit, SkipErrorAndNotes) {
  RequirePython();
  const json root = ParseXml(test_support::LoadSample());
  const json* skip = FindCase(root, "flow/ci-login/docker-auth-config");
  ASSERT_NE(skip, nullptr);
  ASSERT_NE(Child(*skip, "skipped"), nullptr);
  EXPECT_EQ(Child(*skip, "skipped")->at("attrib")["message"],
            "needs the docker CLI (not installed)");

  const json* error = FindCase(root, "gitlab/deploy_token/write_registry/private-enabled/push");
  ASSERT_NE(error, nullptr);
  ASSERT_NE(Child(*error, "error"), nullptr);
  EXPECT_EQ(Child(*error, "error")->at("attrib")["message"],
            "token_request: curl: (56) Recv failure: Connection reset by peer");

  const json* non_strict = FindCase(root, "registry/challenge/error-body");
  ASSERT_NE(non_strict, nullptr);
  EXPECT_EQ(Child(*non_strict, "failure"), nullptr);
  ASSERT_NE(Child(*non_strict, "system-out"), nullptr);
  const std::string notes = Child(*non_strict, "system-out")->at("text");
  EXPECT_NE(notes.find("NON-STRICT: SHOULD-level checks failed\n[SHOULD] errors[0].detail"),
            std::string::npos)
      << notes;

  const json* info = FindCase(root, "token/aud/array");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(Child(*info, "failure"), nullptr);
  ASSERT_NE(Child(*info, "system-out"), nullptr);
  EXPECT_NE(Child(*info, "system-out")->at("text").get<std::string>().find("[INFO] claim.aud"),
            std::string::npos);

  const json* pass = FindCase(root, "registry/hostile-token/expired");
  ASSERT_NE(pass, nullptr);
  EXPECT_TRUE(pass->at("children").empty()) << "a plain PASS has no child element";
}

// Hostile strings (markup, quotes, control characters, non-Chars, ill-formed UTF-8, CR/LF/TAB in
// attributes) survive a real XML parser: the parsed text equals SanitizeUtf8 of the input.
TEST(RenderJUnit, HostileStringsRoundTripThroughAnXmlParser) {
  RequirePython();
  static constexpr char kControls[] =
      "nul\0 bell\x07 esc\x1b[0m nonchar\xEF\xBF\xBE bad\xFF\xC0 half\xE2\x82";
  const std::string hostile =
      std::string("</testcase>]]><![CDATA[ \"'&amp; <img src=x onerror=alert(1)>\ttab\r\ncrlf ") +
      std::string(kControls, sizeof kControls - 1) + " ls\xE2\x80\xA8 emoji\xF0\x9F\x98\x80";
  json doc = test_support::LoadSample();
  json& c = doc["cases"][5];  // a FAIL without baseline
  c["id"] = "hostile/" + hostile;
  c["family"] = "hostile/" + hostile;
  c["checks"][1]["expected"] = hostile;
  c["checks"][1]["observed"] = hostile;
  c["checks"][1]["id"] = hostile;
  c["exchanges"][0]["response"]["body"] = hostile;
  c["exchanges"][0]["response"]["headers"] = json::array({json::array({hostile, hostile})});

  std::string xml;
  const json root = ParseXml(doc, &xml);
  ASSERT_FALSE(root.is_null());
  EXPECT_EQ(SanitizeUtf8(xml), xml) << "output is valid UTF-8 with XML Chars only";
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
  EXPECT_EQ(xml.find("<img"), std::string::npos);

  const std::string clean = SanitizeUtf8(hostile);
  const json* parsed = FindCase(root, "hostile/" + clean);
  ASSERT_NE(parsed, nullptr) << "name attribute did not round-trip";
  EXPECT_EQ(parsed->at("attrib")["classname"], "hostile/" + clean);
  const json* failure = Child(*parsed, "failure");
  ASSERT_NE(failure, nullptr);
  const std::string text = failure->at("text");
  EXPECT_NE(text.find("  expected: " + clean + "\n  observed: " + clean), std::string::npos)
      << text;
  // The message attribute is one line: TAB/CR/LF became spaces before escaping.
  const std::string message = failure->at("attrib")["message"];
  EXPECT_EQ(message.find_first_of("\r\n\t"), std::string::npos) << message;
  const std::string transcript = Child(*parsed, "system-out")->at("text");
  EXPECT_NE(transcript.find(clean + ": " + clean), std::string::npos) << "header round-trip";
}

// Bodies in <system-out> are cut at 4 KiB (on a character boundary); messages at 512 bytes.
TEST(RenderJUnit, CutsLongBodiesAndMessages) {
  RequirePython();
  json doc = test_support::LoadSample();
  doc["cases"][5]["checks"][1]["id"] = std::string(600, 'x') + "\xC3\xA9";
  const json root = ParseXml(doc);
  const json* c = FindCase(root, "registry/hostile-token/cve-2025-24976-kid-only");
  ASSERT_NE(c, nullptr);
  const std::string transcript = Child(*c, "system-out")->at("text");
  EXPECT_NE(transcript.find("body (40000 bytes):"), std::string::npos);
  EXPECT_NE(transcript.find("[cut; report.html has the whole body]"), std::string::npos);
  EXPECT_LT(transcript.size(), 6000u);
  const json* cut = FindCase(
      root,
      "gitlab/personal_access_token/read_registry+write_registry/private-enabled/developer/delete");
  ASSERT_NE(cut, nullptr);
  const std::string message = Child(*cut, "failure")->at("attrib")["message"];
  EXPECT_LE(message.size(), 512u + 3u);
  EXPECT_EQ(message.substr(message.size() - 3), "\xE2\x80\xA6");
}

// A document without cases still renders a well-formed, empty <testsuites>.
// A run the sanity probe stopped (or an IP ban) is never green in CI: a first testsuite holds a
// failing testcase with run.error, and every selected case that did not run is a skipped
// testcase of its family, not dropped (issue 9, item 6).
TEST(RenderJUnit, RunStoppedEarlyFailsAndListsCasesNotRun) {
  RequirePython();
  json doc = test_support::LoadSample();
  const std::string error =
      "sanity probe: GET http://127.0.0.1:5000/v2/ answered 200: registry does not require "
      "authentication";
  doc["run"]["error"] = error;
  doc["run"]["not_run_ids"] = {"gitlab/job_token/x/pull", "registry/hostile-token/late"};
  doc["cases"] = json::array();  // the probe failed: nothing ran
  doc["summary"]["exit_code"] = 3;
  ASSERT_TRUE(ValidateResults(doc).has_value());
  const json root = ParseXml(doc);
  EXPECT_EQ(root["attrib"]["tests"], "3");
  EXPECT_EQ(root["attrib"]["failures"], "1");
  EXPECT_EQ(root["attrib"]["skipped"], "2");
  ASSERT_FALSE(root["children"].empty());
  const json& first = root["children"][0];
  EXPECT_EQ(first["attrib"]["name"], "regauth.run");
  const json* run = FindCase(root, "the run completes");
  ASSERT_NE(run, nullptr);
  const json* failure = Child(*run, "failure");
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(failure->at("attrib")["type"], "RUN-ERROR");
  EXPECT_EQ(failure->at("attrib")["message"], error);
  EXPECT_NE(failure->at("text").get<std::string>().find("2 selected cases did not run"),
            std::string::npos);
  const json* late = FindCase(root, "registry/hostile-token/late");
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->at("attrib")["classname"], "registry/hostile-token");
  const json* skipped = Child(*late, "skipped");
  ASSERT_NE(skipped, nullptr);
  EXPECT_EQ(skipped->at("attrib")["message"], "not run: the run stopped early: " + error);
}

TEST(RenderJUnit, EmptyAndUnvalidatedDocumentsStayWellFormed) {
  RequirePython();
  const json empty = ParseXml(json::object());
  EXPECT_EQ(empty["attrib"]["tests"], "0");
  EXPECT_TRUE(empty["children"].empty());
  const json odd = ParseXml(json{{"cases", json::array({json(1), json{{"verdict", 7}}})}});
  EXPECT_EQ(odd["attrib"]["tests"], "2");
  EXPECT_EQ(odd["attrib"]["errors"], "2") << "unknown verdicts never pass";
}

}  // namespace
}  // namespace regauth::reports
