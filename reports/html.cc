#include "reports/html.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/base64.h"
#include "reports/escape.h"
#include "reports/report_assets.h"
#include "reports/results.h"

namespace regauth::reports {
namespace {

using nlohmann::json;

// kMeanings are the legend's one-line explanations (results-schema.md "Verdicts").
constexpr std::pair<std::string_view, std::string_view> kMeanings[] = {
    {"PASS", "every check held"},
    {"FAIL", "a MUST-level check failed"},
    {"NON-STRICT", "only SHOULD-level checks failed"},
    {"INFORMATIONAL", "implementation-defined behaviour, recorded"},
    {"SKIP", "the run lacked something the case needs"},
    {"ERROR", "the suite or the network broke, not the target"},
};

std::string Duration(double ms) {
  char buf[64];
  if (!(ms >= 0)) ms = 0;  // also NaN
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  } else if (ms < 120000) {
    std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000);
  } else {
    const double minutes = std::floor(ms / 60000);
    std::snprintf(buf, sizeof buf, "%.0f min %.0f s", minutes, (ms - minutes * 60000) / 1000);
  }
  return buf;
}

// MetaItem appends <div><dt>label</dt><dd>value</dd></div>; `value` is escaped, nothing is added
// when it is empty.
void MetaItem(std::string& out, std::string_view label, std::string_view value, bool code = false) {
  if (value.empty()) return;
  out += "<div><dt>";
  out += label;
  out += "</dt><dd>";
  if (code) out += "<code>";
  out += HtmlEscape(value);
  if (code) out += "</code>";
  out += "</dd></div>";
}

std::string Meta(const json& results, const CaseCounts& counts) {
  const json& suite = GetMember(results, "suite");
  const json& run = GetMember(results, "run");
  const json& target = GetMember(results, "target");
  const json& config = GetMember(results, "config");
  const json& summary = GetMember(results, "summary");
  std::string out;

  std::string suite_text(GetString(suite, "name"));
  if (const std::string_view v = GetString(suite, "version"); !v.empty()) {
    suite_text += " ";
    suite_text += v;
  }
  if (const std::string_view commit = GetString(suite, "git_commit"); !commit.empty()) {
    suite_text += " \xC2\xB7 ";
    suite_text += commit;
  }
  MetaItem(out, "Suite", suite_text);

  std::string target_text(GetString(target, "kind"));
  if (const std::string_view url = GetString(target, "registry_url"); !url.empty()) {
    target_text += " \xC2\xB7 ";
    target_text += url;
  }
  MetaItem(out, "Target", target_text);
  MetaItem(out, "Profile", GetString(results, "profile"));
  MetaItem(out, "Started", GetString(run, "started_at"));
  if (GetMember(run, "duration_ms").is_number()) {
    MetaItem(out, "Duration", Duration(GetNumber(run, "duration_ms")));
  }
  MetaItem(out, "Cases", std::to_string(counts.total));
  if (GetMember(config, "strict").is_boolean()) {
    MetaItem(out, "Strict", GetBool(config, "strict") ? "yes" : "no");
  }
  MetaItem(out, "Baseline", GetString(config, "baseline"));
  const json& exit_code = GetMember(summary, "exit_code");
  if (exit_code.is_number_integer()) MetaItem(out, "Exit code", exit_code.dump());
  return out;
}

std::string Plural(int n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// Banner renders the same sentence the script writes, so a page viewed without JavaScript says
// whether the run was as expected. A run that stopped early never is: its error comes first.
std::string Banner(const CaseCounts& counts, std::string_view run_error, bool* ok) {
  *ok = counts.unexpected == 0 && counts.stale == 0 && run_error.empty();
  if (*ok) {
    return "\xE2\x9C\x93 All " + Plural(counts.total, "result", "results") + " as expected";
  }
  std::vector<std::string> parts;
  if (!run_error.empty()) parts.push_back("The run stopped early: " + std::string(run_error));
  if (counts.unexpected) {
    parts.push_back(Plural(counts.unexpected, "unexpected result", "unexpected results"));
  }
  if (counts.stale) {
    parts.push_back(Plural(counts.stale, "stale baseline entry", "stale baseline entries"));
  }
  std::string text = "\xE2\x9C\x97 ";
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i ? " \xC2\xB7 " : "") + parts[i];
  return text;
}

// kMaxPlainData: a document longer than this (as JSON) is embedded gzipped and base64-encoded.
constexpr std::size_t kMaxPlainData = std::size_t{1} << 20;

// kMaxNotRunListed bounds the not-run ids listed in the page (results.json has them all).
constexpr std::size_t kMaxNotRunListed = 1000;

// RunErrorPanel explains a run that stopped early (results.json run.error) and lists the
// selected cases that did not run; "" for a run that completed.
std::string RunErrorPanel(const json& results) {
  const std::string_view error = RunError(results);
  if (error.empty()) return "";
  const json& ids = GetMember(GetMember(results, "run"), "not_run_ids");
  const std::size_t missed = ids.is_array() ? ids.size() : 0;
  std::string out =
      "<section class=\"panel run-error\" id=\"run-error\" aria-labelledby=\"run-error-title\">"
      "<div class=\"panel-head\"><h2 id=\"run-error-title\">The run stopped early</h2>"
      "<span class=\"panel-hint\">regauth run exit code 3: the target is unusable; the results "
      "below are incomplete.</span></div><p class=\"run-error-text\">";
  out += HtmlEscape(error);
  out += "</p><p>" + Plural(static_cast<int>(missed), "selected case", "selected cases") +
         " did not run.</p>";
  if (missed > 0) {
    out += "<details class=\"not-run\"><summary>Cases not run (" + std::to_string(missed) +
           ")</summary><ul>";
    std::size_t listed = 0;
    for (const json& id : ids) {
      if (listed == kMaxNotRunListed) break;
      if (!id.is_string()) continue;
      out += "<li><code>" + HtmlEscape(id.get_ref<const std::string&>()) + "</code></li>";
      ++listed;
    }
    out += "</ul>";
    if (missed > listed) {
      out += "<p>\xE2\x80\xA6 and " + std::to_string(missed - listed) +
             " more: results.json lists them all (run.not_run_ids).</p>";
    }
    out += "</details>";
  }
  return out + "</section>";
}

void Card(std::string& out, std::string_view classes, std::string_view data_attribute,
          std::string_view label, std::string_view count_id, int count, std::string_view note,
          std::string_view note_id) {
  out += "<button type=\"button\" class=\"card ";
  out += classes;
  out += "\" ";
  out += data_attribute;
  out += " aria-pressed=\"false\"><span class=\"card-label\">";
  out += label;
  out += "</span><span class=\"num\" id=\"";
  out += count_id;
  out += "\">";
  out += std::to_string(count);
  out += "</span><span class=\"card-note\"";
  if (!note_id.empty()) {
    out += " id=\"";
    out += note_id;
    out += "\"";
  }
  out += ">";
  out += note;
  out += "</span></button>";
}

std::string Cards(const CaseCounts& counts) {
  std::string out;
  Card(out, "card-total", "data-filter=\"all\"", "Total", "count-total", counts.total, "cases", "");
  Card(out, counts.unexpected ? "card-unexpected" : "card-unexpected zero",
       "data-filter=\"unexpected\"", "Unexpected", "count-unexpected", counts.unexpected,
       "differ from expectation", "");
  Card(out, "card-stale", "data-filter=\"stale\"", "Stale baseline", "count-stale", counts.stale,
       "expected failures that passed", "");
  for (std::size_t i = 0; i < kVerdicts.size(); ++i) {
    const std::string verdict(kVerdicts[i]);
    Card(out, "v-" + verdict, "data-verdict=\"" + verdict + "\"", "<i class=\"dot\"></i>" + verdict,
         "count-" + verdict, counts.by_verdict[i], "", "pct-" + verdict);
  }
  return out;
}

std::string Legend() {
  std::string out;
  for (const auto& [verdict, meaning] : kMeanings) {
    out += "<li><i class=\"dot v-";
    out += verdict;
    out += "\"></i><b>";
    out += verdict;
    out += "</b> ";
    out += meaning;
    out += "</li>";
  }
  return out;
}

std::string Sha256Base64(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return "";  // the CSP then matches no script: the page shows its no-JS content
  }
  return protocol::Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

// Gzip compresses `bytes` into a gzip member (RFC 1952) at level 6; "" if zlib fails.
std::string Gzip(std::string_view bytes) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : "";
}

// Substitute copies `page`, replacing each "@@NAME@@" by `lookup(NAME)`. One pass: a replacement
// is never scanned again, so data that contains "@@DATA@@" stays data.
template <typename Lookup>
std::string Substitute(std::string_view page, std::size_t reserve, const Lookup& lookup) {
  std::string out;
  out.reserve(page.size() + reserve);
  std::size_t pos = 0;
  while (pos < page.size()) {
    const std::size_t open = page.find("@@", pos);
    if (open == std::string_view::npos) break;
    const std::size_t close = page.find("@@", open + 2);
    if (close == std::string_view::npos) break;
    const std::string_view name = page.substr(open + 2, close - open - 2);
    out.append(page.substr(pos, open - pos));
    out += lookup(name);
    pos = close + 2;
  }
  out.append(page.substr(pos));
  return out;
}

}  // namespace

std::string ReportScriptHash() {
  static const std::string hash = "sha256-" + Sha256Base64(ReportJs());
  return hash;
}

std::string RenderHtml(const nlohmann::json& results) {
  const CaseCounts counts = CountCases(results);
  const json& run = GetMember(results, "run");
  const json& target = GetMember(results, "target");

  std::string title = "regauth report";
  for (const std::string_view part :
       {GetString(results, "profile"), GetString(target, "kind"), GetString(run, "started_at")}) {
    if (part.empty()) continue;
    title += " \xC2\xB7 ";
    title += part;
  }
  bool ok = true;
  const std::string banner = Banner(counts, RunError(results), &ok);
  std::string footer = "Rendered by regauth from results.json (schema ";
  footer += kSchemaId;
  footer +=
      "). Self-contained: no external resources, no network access; the data is embedded in "
      "this file.";

  std::string data = JsonForScript(results);
  std::string data_type = "application/json";
  if (data.size() > kMaxPlainData && data.size() < (std::size_t{1} << 31)) {
    // A whole-suite document: gzip shrinks it ~10x and the browser inflates it in ~0.1 s.
    if (std::string gz = Gzip(data); !gz.empty()) {
      data = protocol::Base64Encode(gz);
      data_type = "application/gzip+base64";
    }
  }
  return Substitute(ReportTemplate(), data.size() + ReportCss().size() + ReportJs().size(),
                    [&](std::string_view name) -> std::string {
                      if (name == "SCRIPT_HASH") return ReportScriptHash();
                      if (name == "TITLE") return HtmlEscape(title);
                      if (name == "STYLE") return std::string(ReportCss());
                      if (name == "META") return Meta(results, counts);
                      if (name == "BANNER_CLASS") return ok ? "banner-ok" : "banner-bad";
                      if (name == "BANNER") return HtmlEscape(banner);
                      if (name == "RUN_ERROR") return RunErrorPanel(results);
                      if (name == "CARDS") return Cards(counts);
                      if (name == "LEGEND") return Legend();
                      if (name == "FOOTER") return HtmlEscape(footer);
                      if (name == "DATA_TYPE") return data_type;
                      if (name == "DATA") return std::move(data);
                      if (name == "SCRIPT") return std::string(ReportJs());
                      return "";  // unknown placeholder: a template bug, caught by html_test
                    });
}

}  // namespace regauth::reports
