// html_browser_test.cc — renders report.html and loads it in headless Chromium (Debian's
// `chromium`), so the page's JavaScript runs for real: the counts it computes, the matrix and the
// lazily built case list are checked in the DOM Chromium dumps, with the sample and with a
// 5,000-case document. Also writes screenshots to <build>/reports/report-*.png for a human look.
//
// Without chromium the tests skip with the reason, except under CI=true, where they fail
// (STYLE.md: a test that needs a real component fails loudly in CI).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>

#include "reports/evidence.h"
#include "reports/html.h"
#include "reports/report_test_support.h"

namespace regauth::reports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

std::string FindChromium() {
  // REGAUTH_CHROMIUM overrides the search; pointing it at a missing file simulates "no chromium".
  if (const char* env = std::getenv("REGAUTH_CHROMIUM"); env != nullptr && *env != '\0') {
    return ::access(env, X_OK) == 0 ? env : "";
  }
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

#define REQUIRE_CHROMIUM(var)                                                                   \
  const std::string var = FindChromium();                                                       \
  if (var.empty()) {                                                                            \
    if (InCi()) FAIL() << "chromium not found (apt-get install chromium) and CI=true";          \
    GTEST_SKIP() << "chromium not found (/usr/bin/chromium; set REGAUTH_CHROMIUM to override)"; \
  }

// Chromium runs the page with its network features off and a throw-away profile.
std::string ChromiumCommand(const std::string& chromium, const fs::path& profile,
                            const std::string& extra, const std::string& url, const fs::path& log) {
  return "timeout 180 " + test_support::ShellQuote(chromium) +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
         " --disable-background-networking --disable-component-update --disable-sync"
         " --disable-dev-shm-usage --user-data-dir=" +
         test_support::ShellQuote(profile.string()) + " --virtual-time-budget=5000 " + extra + " " +
         test_support::ShellQuote(url) + " 2>" + test_support::ShellQuote(log.string());
}

struct Dom {
  std::string html;
  std::string log;
};

// RenderAndDump writes RenderHtml(doc) to a fresh directory and returns Chromium's --dump-dom.
Dom RenderAndDump(const std::string& chromium, const json& doc, const std::string& fragment = "") {
  const fs::path dir = test_support::TempDir("browser");
  const fs::path page = dir / "report.html";
  test_support::WriteFile(page, RenderHtml(doc));
  const fs::path profile = dir / "profile";
  fs::create_directories(profile);
  const auto r = test_support::Run(ChromiumCommand(
      chromium, profile, "--dump-dom", "file://" + page.string() + fragment, dir / "chromium.log"));
  Dom dom{r.out, test_support::ReadFile(dir / "chromium.log")};
  EXPECT_EQ(r.exit_code, 0) << "chromium failed; its log:\n" << dom.log;
  fs::remove_all(dir);
  return dom;
}

// Element returns the start tag and the text of the element with id="`id`" ("" if absent).
std::pair<std::string, std::string> Element(const std::string& html, const std::string& id) {
  const std::size_t at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return {};
  const std::size_t open = html.rfind('<', at);
  const std::size_t close = html.find('>', at);
  const std::size_t text_end = html.find('<', close);
  if (open == std::string::npos || close == std::string::npos || text_end == std::string::npos) {
    return {};
  }
  return {html.substr(open, close - open + 1), html.substr(close + 1, text_end - close - 1)};
}

std::size_t Count(const std::string& html, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = 0; (pos = html.find(needle, pos)) != std::string::npos;
       pos += needle.size()) {
    ++n;
  }
  return n;
}

struct Expected {
  std::map<std::string, int> counts;  // count-<name> → value, computed here from the document
  std::size_t matrix_cells = 0;
};

// Computed independently of the library: straight from the JSON.
Expected Compute(const json& doc) {
  Expected e;
  e.counts["total"] = static_cast<int>(doc["cases"].size());
  for (const char* v : {"PASS", "FAIL", "NON-STRICT", "INFORMATIONAL", "SKIP", "ERROR"}) {
    e.counts[v] = 0;
  }
  e.counts["unexpected"] = 0;
  e.counts["stale"] = 0;
  std::set<std::tuple<std::string, std::string, std::string>> cells;
  for (const json& c : doc["cases"]) {
    e.counts[c["verdict"].get<std::string>()]++;
    if (c["unexpected"] == true) e.counts["unexpected"]++;
    if (c["baseline"].is_object() && c["baseline"].value("stale", false)) e.counts["stale"]++;
    const json& d = c.value("dimensions", json::object());
    auto dim = [&](const char* key) {
      return d.contains(key) && d[key].is_string() ? d[key].get<std::string>() : std::string();
    };
    const std::string k = dim("credential_kind"), s = dim("scopes"), a = dim("actions");
    if (!k.empty() || !s.empty() || !a.empty()) cells.emplace(k, s, a);
  }
  e.matrix_cells = cells.size();
  return e;
}

void ExpectRendered(const Dom& dom, const json& doc, std::size_t want_rows) {
  ASSERT_FALSE(dom.html.empty()) << dom.log;
  const auto [body_tag, unused] = [&] {
    const std::size_t at = dom.html.find("<body");
    const std::size_t end = dom.html.find('>', at);
    return std::make_pair(dom.html.substr(at, end - at + 1), 0);
  }();
  ASSERT_NE(body_tag.find("data-state=\"ready\""), std::string::npos)
      << body_tag << "\nscript error: " << Element(dom.html, "script-error").second << "\n"
      << dom.log;
  const Expected want = Compute(doc);
  for (const auto& [name, value] : want.counts) {
    const auto [tag, text] = Element(dom.html, "count-" + name);
    EXPECT_NE(tag.find("data-filled=\"js\""), std::string::npos) << "count-" << name << ": " << tag;
    EXPECT_EQ(text, std::to_string(value)) << "count-" << name;
  }
  EXPECT_EQ(Count(dom.html, "class=\"cell v-"), want.matrix_cells) << "matrix cells";
  EXPECT_EQ(Count(dom.html, "class=\"case-row\""), want_rows) << "case rows on the first page";
  EXPECT_EQ(Count(dom.html, "class=\"chip v-"), 6u) << "verdict filter chips";
  EXPECT_GE(Count(dom.html, "<tr data-key=\"family\""), 1u) << "family breakdown";
  const auto [status_tag, status] = Element(dom.html, "list-status");
  EXPECT_EQ(status.rfind("Showing 1", 0), 0u) << status;
  std::cout << "[ browser  ] " << body_tag << "\n";
}

// The page's script fills the counts, the matrix and the first page of the case list.
TEST(ReportInChromium, RendersSampleCountsMatrixAndList) {
  REQUIRE_CHROMIUM(chromium);
  const json doc = test_support::LoadSample();
  const Dom dom = RenderAndDump(chromium, doc);
  ExpectRendered(dom, doc, doc["cases"].size());
  // Hostile bodies stay text: no element the sample's payloads would create exists in the DOM.
  EXPECT_EQ(dom.html.find("<img src=\"x\""), std::string::npos);
  EXPECT_EQ(dom.html.find("<svg onload"), std::string::npos);
}

// #case=<id> opens that case: checks and the auto-opened exchange are in the DOM, with the
// hostile body as text.
TEST(ReportInChromium, OpensACaseFromTheFragment) {
  REQUIRE_CHROMIUM(chromium);
  const json doc = test_support::LoadSample();
  const std::string id = "gitlab/job_token/not-allowlisted/private-enabled/developer/pull";
  const Dom dom = RenderAndDump(chromium, doc, "#case=" + id);
  ASSERT_NE(dom.html.find("class=\"case-detail\""), std::string::npos) << dom.log;
  EXPECT_EQ(Count(dom.html, "class=\"case-row\""), 1u);
  EXPECT_NE(dom.html.find("<table class=\"checks\">"), std::string::npos);
  EXPECT_NE(dom.html.find("<details class=\"exchange\" open=\"\">"), std::string::npos);
  // The body's "</script><script>alert(1)</script><img ...>" is rendered as escaped text.
  EXPECT_NE(dom.html.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x"),
            std::string::npos);
  EXPECT_EQ(dom.html.find("<img src=\"x\""), std::string::npos);
}

// A whole-suite document as `regauth run` writes it by default — thousands of summary cases
// (evidence.h), over 1 MiB, so embedded gzipped — is inflated and counted by the page, and a
// summary case opens with its checks (all passed) and the note that its evidence was not kept.
TEST(ReportInChromium, InflatesAGzippedDocumentOfSummaryCases) {
  REQUIRE_CHROMIUM(chromium);
  json doc = test_support::LoadSample();
  EvidenceTables tables;
  const json list = json::array({json::array({"status", "MUST"}), json::array({"access", "MUST"})});
  for (int i = 0; i < 9000; ++i) {
    const json dims = {{"credential_kind", "deploy_token"},
                       {"scopes", "read_registry"},
                       {"actions", i % 2 ? "pull" : "push"}};
    doc["cases"].push_back(
        SummaryCase("gitlab/deploy_token/d" + std::to_string(i) + "/acme/app/pull",
                    "token-endpoint", i % 7, tables.CheckList(list), tables.DimensionSet(dims)));
  }
  tables.WriteTo(doc);
  ASSERT_GT(doc.dump().size(), std::size_t{1} << 20);
  const std::string html = RenderHtml(doc);
  ASSERT_NE(html.find("<script type=\"application/gzip+base64\" id=\"regauth-data\">"),
            std::string::npos);
  json expanded = doc;
  for (json& c : expanded["cases"]) c = ExpandCase(doc, c);
  const std::string id = "gitlab/deploy_token/d7/acme/app/pull";
  Dom dom = RenderAndDump(chromium, doc);
  ExpectRendered(dom, expanded, 50);
  dom = RenderAndDump(chromium, doc, "#case=" + id);
  ASSERT_NE(dom.html.find("class=\"case-detail\""), std::string::npos) << dom.log;
  EXPECT_NE(dom.html.find("summary: this case passed"), std::string::npos);
  EXPECT_NE(dom.html.find("Checks (2)"), std::string::npos);
}

// The script keeps a stopped run's banner red with the error (it rewrites the banner from the
// data, which once turned it green: "All 0 results as expected"; issue 9, item 6).
TEST(ReportInChromium, StoppedRunBannerStaysRed) {
  REQUIRE_CHROMIUM(chromium);
  json doc = test_support::LoadSample();
  doc["cases"] = json::array();
  doc["run"]["error"] = "sanity probe: registry does not require authentication";
  doc["run"]["not_run_ids"] = {"registry/hostile-token/late"};
  const Dom dom = RenderAndDump(chromium, doc);
  ASSERT_NE(dom.html.find("data-state=\"ready\""), std::string::npos) << dom.log;
  const auto [tag, text] = Element(dom.html, "banner");
  EXPECT_NE(tag.find("banner-bad"), std::string::npos) << tag;
  EXPECT_NE(text.find("The run stopped early: sanity probe"), std::string::npos) << text;
  EXPECT_NE(dom.html.find("registry/hostile-token/late"), std::string::npos);
}

// A client_tool case (docker, skopeo) shows its tool runs — argv, standard input, exit code and
// output from results.json — instead of only "No HTTP exchange was recorded" (issue 9, item 7).
TEST(ReportInChromium, ShowsClientToolRuns) {
  REQUIRE_CHROMIUM(chromium);
  json doc = test_support::LoadSample();
  json& c = doc["cases"][0];
  c["verdict"] = "FAIL";
  c["exchanges"] = json::array();
  c["tools"] = {
      {{"tool", "docker"},
       {"argv", {"/usr/bin/docker", "login", "127.0.0.1:5000", "-u", "dana", "--password-stdin"}},
       {"stdin", "«redacted»\n"},
       {"exit_code", 1},
       {"timed_out", false},
       {"output", "Error response from daemon: login attempt failed: unauthorized"},
       {"duration_ms", 812}}};
  const Dom dom = RenderAndDump(chromium, doc, "#case=" + c["id"].get<std::string>());
  ASSERT_NE(dom.html.find("class=\"case-detail\""), std::string::npos) << dom.log;
  EXPECT_NE(dom.html.find("Client tool runs (1)"), std::string::npos);
  EXPECT_NE(dom.html.find("/usr/bin/docker login 127.0.0.1:5000 -u dana --password-stdin"),
            std::string::npos);
  EXPECT_NE(dom.html.find("→ exit 1"), std::string::npos);
  EXPECT_NE(dom.html.find("Error response from daemon: login attempt failed: unauthorized"),
            std::string::npos);
  EXPECT_NE(dom.html.find("«redacted»"), std::string::npos);  // the standard input, as recorded
}

// 5,000 cases: counts stay right and only one page of rows (50) is built.
TEST(ReportInChromium, StaysLazyWithFiveThousandCases) {
  REQUIRE_CHROMIUM(chromium);
  json doc = test_support::LoadSample();
  const json base = doc["cases"];
  json cases = json::array();
  const char* verdicts[] = {"PASS",       "PASS",          "PASS", "FAIL",
                            "NON-STRICT", "INFORMATIONAL", "SKIP", "ERROR"};
  for (int i = 0; i < 5000; ++i) {
    json c = base[static_cast<std::size_t>(i) % base.size()];
    c["id"] = "synthetic/" + std::to_string(i % 40) + "/" + std::to_string(i);
    c["family"] = "synthetic/" + std::to_string(i % 40);
    c["verdict"] = verdicts[i % 8];
    c["dimensions"]["credential_kind"] = "kind" + std::to_string(i % 7);
    c["dimensions"]["scopes"] = "scope" + std::to_string(i % 5);
    c["dimensions"]["actions"] = i % 3 == 0 ? "pull" : i % 3 == 1 ? "push" : "pull,push";
    for (json& x : c["exchanges"]) {
      if (x["response"].is_object() && x["response"]["body"].get<std::string>().size() > 2000) {
        x["response"]["body"] = "cut for the synthetic run";
      }
    }
    cases.push_back(std::move(c));
  }
  doc["cases"] = std::move(cases);
  const Dom dom = RenderAndDump(chromium, doc);
  ExpectRendered(dom, doc, 50);
  EXPECT_EQ(Count(dom.html, "class=\"case-detail\""), 0u);
}

// Screenshots for a human look at the design (the file viewer shows PNGs).
TEST(ReportInChromium, TakesScreenshots) {
  REQUIRE_CHROMIUM(chromium);
  const fs::path out_dir = fs::path(REGAUTH_BINARY_DIR) / "reports";
  fs::create_directories(out_dir);
  const fs::path dir = test_support::TempDir("shot");
  const fs::path page = out_dir / "report-sample.html";  // kept for a look in a browser
  test_support::WriteFile(page, RenderHtml(test_support::LoadSample()));
  // The case view is a tall window rather than a scrolled one: headless Chromium's --screenshot
  // does not capture a page that scrolled itself while loading.
  const std::tuple<std::string, std::string, std::string> shots[] = {
      {"report-screenshot.png", "", "1400,1000"},
      {"report-screenshot-case.png",
       "#case=gitlab/job_token/not-allowlisted/private-enabled/developer/pull", "1400,2600"},
  };
  for (const auto& [name, fragment, size] : shots) {
    const fs::path png = out_dir / name;
    fs::remove(png);
    const fs::path profile = dir / ("profile-" + name);
    fs::create_directories(profile);
    const auto r = test_support::Run(
        ChromiumCommand(chromium, profile,
                        "--hide-scrollbars --window-size=" + size +
                            " --screenshot=" + test_support::ShellQuote(png.string()),
                        "file://" + page.string() + fragment, dir / "chromium.log"));
    EXPECT_EQ(r.exit_code, 0) << test_support::ReadFile(dir / "chromium.log");
    ASSERT_TRUE(fs::exists(png)) << test_support::ReadFile(dir / "chromium.log");
    EXPECT_GT(fs::file_size(png), 4000u) << "a blank page compresses smaller than this";
    std::cout << "[ browser  ] screenshot " << png.string() << "\n";
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace regauth::reports
