#include "reports/html.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <regex>
#include <string>

#include "protocol/base64.h"
#include "reports/escape.h"
#include "reports/report_assets.h"
#include "reports/report_test_support.h"
#include "reports/results.h"

namespace regauth::reports {
namespace {

using nlohmann::json;

constexpr std::string_view kDataOpen = "<script type=\"application/json\" id=\"regauth-data\">";

// Page splits a rendered page into the embedded data and everything else.
struct Page {
  std::string html;
  std::string data;     // between the data <script> tags
  std::string outside;  // the page with the data block removed
  std::string script;   // the inline script
};

Page Split(std::string html) {
  Page p;
  p.html = std::move(html);
  const std::size_t open = p.html.find(kDataOpen);
  EXPECT_NE(open, std::string::npos);
  if (open == std::string::npos) return p;
  const std::size_t start = open + kDataOpen.size();
  const std::size_t end = p.html.find("</script>", start);
  EXPECT_NE(end, std::string::npos);
  p.data = p.html.substr(start, end - start);
  p.outside = p.html.substr(0, start) + p.html.substr(end);
  const std::size_t script_open = p.html.find("<script>", end);
  const std::size_t script_end = p.html.find("</script>", script_open);
  if (script_open != std::string::npos && script_end != std::string::npos) {
    p.script = p.html.substr(script_open + 8, script_end - script_open - 8);
  }
  return p;
}

// The summary counts are in the page's HTML (and the page works without JavaScript for them).
TEST(RenderHtml, ContainsSummaryCounts) {
  const Page p = Split(RenderHtml(test_support::LoadSample()));
  const std::pair<std::string, int> want[] = {
      {"total", 32},     {"unexpected", 7},    {"stale", 1}, {"PASS", 17}, {"FAIL", 6},
      {"NON-STRICT", 2}, {"INFORMATIONAL", 3}, {"SKIP", 2},  {"ERROR", 2},
  };
  for (const auto& [name, count] : want) {
    const std::string element = "id=\"count-" + name + "\">" + std::to_string(count) + "<";
    EXPECT_NE(p.outside.find(element), std::string::npos) << element;
  }
  EXPECT_NE(p.outside.find("\xE2\x9C\x97 7 unexpected results \xC2\xB7 1 stale baseline entry"),
            std::string::npos);
  EXPECT_NE(p.outside.find("regauth 0.1.0 \xC2\xB7 b5142eb"), std::string::npos);
  EXPECT_NE(p.outside.find("reference \xC2\xB7 http://127.0.0.1:41233"), std::string::npos)
      << "the target URL is shown as text";
}

// HTML §4.12.1.3: "</script>" in a body cannot end the data element; the data parses back.
TEST(RenderHtml, DataBlockCannotBreakOut) {
  json doc = test_support::LoadSample();
  const std::string hostile =
      "</script><script>alert(1)</script><!--<script>--></SCRIPT>\xE2\x80\xA8\xE2\x80\xA9&amp;";
  doc["cases"][0]["exchanges"][0]["response"]["body"] = hostile;
  doc["cases"][0]["title"] = hostile;
  doc["profile"] = hostile;
  const Page p = Split(RenderHtml(doc));
  EXPECT_EQ(p.data.find('<'), std::string::npos);
  EXPECT_EQ(p.data.find('>'), std::string::npos);
  EXPECT_EQ(p.data.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(json::parse(p.data), doc);
  // Outside the data the hostile profile only appears escaped (title, header).
  EXPECT_EQ(p.outside.find("<script>alert"), std::string::npos);
  EXPECT_NE(p.outside.find("&lt;/script&gt;&lt;script&gt;alert(1)"), std::string::npos);
  // Exactly the two script elements of the template exist.
  std::size_t scripts = 0;
  for (std::size_t pos = 0; (pos = p.html.find("<script", pos)) != std::string::npos; ++pos) {
    ++scripts;
  }
  EXPECT_EQ(scripts, 2u);
}

// The page loads nothing: no src=/href= attributes, no <link>, no CSS url()/@import, no URL
// outside the data (the data does hold http:// URLs of the target, as text).
TEST(RenderHtml, ReferencesNoExternalResource) {
  const Page p = Split(RenderHtml(test_support::LoadSample()));
  const std::string lower = [&] {
    std::string s = p.outside;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }();
  for (const std::string_view banned :
       {" src=", " href=", "<link", "@import", "url(", "<iframe", "<object", "<embed", "<img",
        "<base", "srcset", "<form", "https://", "//fonts", "<meta http-equiv=\"refresh\""}) {
    EXPECT_EQ(lower.find(banned), std::string::npos) << banned;
  }
  // The only http:// outside the data is the target URL written as header text.
  std::size_t pos = 0;
  while ((pos = lower.find("http://", pos)) != std::string::npos) {
    EXPECT_EQ(lower.compare(pos, 22, "http://127.0.0.1:41233"), 0) << lower.substr(pos, 40);
    ++pos;
  }
}

// The CSP allows no network and only the inline script whose SHA-256 it lists; the hash is
// recomputed here from the bytes in the page.
TEST(RenderHtml, CspPinsTheInlineScriptByHash) {
  const Page p = Split(RenderHtml(test_support::LoadSample()));
  ASSERT_EQ(p.script, ReportJs());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ASSERT_EQ(EVP_Digest(p.script.data(), p.script.size(), digest, &length, EVP_sha256(), nullptr),
            1);
  const std::string hash =
      "sha256-" + protocol::Base64Encode(std::string_view(reinterpret_cast<char*>(digest), length));
  EXPECT_EQ(ReportScriptHash(), hash);
  const std::regex csp("<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\">");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(p.outside, m, csp));
  const std::string policy = m[1];
  EXPECT_EQ(policy.rfind("default-src 'none'; script-src '" + hash + "';", 0), 0u) << policy;
  EXPECT_NE(policy.find("require-trusted-types-for 'script'"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(policy.find("script-src 'unsafe-inline'"), std::string::npos);
}

// The assets cannot end their own elements or open a comment, and the script never assigns
// HTML strings (textContent only; Trusted Types would throw anyway).
TEST(ReportAssets, AreInertInsideTheirElements) {
  for (const std::string_view asset : {ReportJs(), ReportCss()}) {
    std::string lower(asset);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(lower.find("</script"), std::string::npos);
    EXPECT_EQ(lower.find("</style"), std::string::npos);
    EXPECT_EQ(lower.find("<!--"), std::string::npos);
    EXPECT_EQ(lower.find("<script"), std::string::npos);
  }
  const std::string js(ReportJs());
  for (const std::string_view sink : {".innerHTML", ".outerHTML", "insertAdjacentHTML",
                                      "document.write", "eval(", "new Function", "srcdoc ="}) {
    EXPECT_EQ(js.find(sink), std::string::npos) << sink;
  }
  EXPECT_FALSE(ReportTemplate().empty());
  EXPECT_FALSE(ReportCss().empty());
}

// Every @@PLACEHOLDER@@ of the template is substituted; the page is valid UTF-8 even when the
// document holds ill-formed bytes (an in-memory document can).
TEST(RenderHtml, SubstitutesAllPlaceholdersAndStaysValidUtf8) {
  json doc = test_support::LoadSample();
  doc["cases"][1]["exchanges"][0]["response"]["body"] =
      std::string("bad \xFF\xFE\xC0 bytes @@DATA@@");
  doc["suite"]["version"] = std::string("0.1\xFF");
  const Page p = Split(RenderHtml(doc));
  EXPECT_EQ(p.outside.find("@@"), std::string::npos);
  EXPECT_TRUE(IsValidUtf8(p.html));
  EXPECT_EQ(p.html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(p.html.find("</html>"), std::string::npos);
  EXPECT_NE(p.data.find("bad \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD bytes @@DATA@@"),
            std::string::npos);
}

// Markup from the document's header members is escaped.
TEST(RenderHtml, EscapesHeaderMembers) {
  json doc = test_support::LoadSample();
  doc["target"]["registry_url"] = "http://x\"><img src=x onerror=alert(1)>";
  doc["config"]["baseline"] = "<b>baseline</b>";
  const Page p = Split(RenderHtml(doc));
  EXPECT_EQ(p.outside.find("<img"), std::string::npos);
  EXPECT_EQ(p.outside.find("<b>baseline"), std::string::npos);
  EXPECT_NE(p.outside.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
}

// An empty or unvalidated document still renders a page (counts 0) and never throws.
// A run the sanity probe stopped shows its error first, in a red banner and panel, with the cases
// that did not run — never a green "All 0 results as expected" (issue 9, item 6).
TEST(RenderHtml, RunStoppedEarlyShowsTheErrorFirst) {
  json doc = test_support::LoadSample();
  doc["cases"] = json::array();
  doc["run"]["error"] = "sanity probe: registry does not require authentication <b>";
  doc["run"]["not_run_ids"] = {"gitlab/job_token/x/pull", "registry/hostile-token/late"};
  const Page p = Split(RenderHtml(doc));
  EXPECT_EQ(p.outside.find("All 0 results as expected"), std::string::npos);
  EXPECT_NE(p.outside.find("banner-bad\">\xE2\x9C\x97 The run stopped early: sanity probe: "
                           "registry does not require authentication &lt;b&gt;"),
            std::string::npos);
  const std::size_t panel = p.outside.find("id=\"run-error\"");
  ASSERT_NE(panel, std::string::npos);
  EXPECT_LT(panel, p.outside.find("id=\"summary\""));  // before the summary
  EXPECT_NE(p.outside.find("2 selected cases did not run."), std::string::npos);
  EXPECT_NE(p.outside.find("<li><code>registry/hostile-token/late</code></li>"), std::string::npos);
  // A completed run has no such panel.
  EXPECT_EQ(Split(RenderHtml(test_support::LoadSample())).outside.find("id=\"run-error\""),
            std::string::npos);
}

TEST(RenderHtml, RendersEmptyDocuments) {
  const Page empty = Split(RenderHtml(json::object()));
  EXPECT_NE(empty.outside.find("id=\"count-total\">0<"), std::string::npos);
  EXPECT_NE(empty.outside.find("All 0 results as expected"), std::string::npos);
  const Page odd = Split(RenderHtml(json{{"cases", json::array({json(1), json{{"verdict", 7}}})}}));
  EXPECT_NE(odd.outside.find("id=\"count-total\">2<"), std::string::npos);
}

}  // namespace
}  // namespace regauth::reports
