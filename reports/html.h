// html.h — renders a results document (reports/results-schema.md) as ONE self-contained HTML page:
// inline CSS and JS, no network access, works from file://.
//
// The page: a header (suite version, target, profile, run time), for a run that stopped early
// (run.error) the error and the cases that did not run (run.not_run_ids) in a red panel right
// under a red banner, summary counts by verdict, a
// breakdown by layer and by family, a matrix of credential kind (rows) × token scopes × requested
// action (columns) coloured by the worst verdict of its cases, filters (verdict, layer, family,
// free text on id/title, unexpected only) and the case list with per-case details (requirement,
// source, dimensions, checks with expected vs observed, the HTTP exchanges with headers and
// bodies, the client tool runs of docker/skopeo cases with argv, stdin, exit code and output).
// The list is paginated and built lazily from the embedded JSON, so a 5,000-case run
// does not create 5,000 DOM subtrees.
//
// Where things live: the markup is reports/assets/report.html (placeholders "@@NAME@@"), the
// styles reports/assets/report.css, the behaviour reports/assets/report.js; CMake embeds the
// three files into report_assets.cc at build time (reports/assets/embed.cmake).
//
// Stable hooks (used by tests and by anyone scripting the page): elements id="count-total",
// "count-unexpected", "count-stale" and "count-<VERDICT>" hold the counts (rendered by C++, then
// recomputed by the script, which sets data-filled="js"); <body data-state="ready"> once the
// script finished, "error" if it threw; matrix cells are buttons with class "cell"; case rows are
// elements with class "case-row"; URL fragment #case=<id> opens one case.
//
// Security (results hold bytes from the registry under test):
//   - the document is embedded with JsonForScript in <script type="application/json">, so "<",
//     ">", "&", U+2028, U+2029 are \u-escaped and "</script>" in a body cannot end the element;
//     a document over 1 MiB of JSON (a whole-suite run) is embedded gzipped and base64-encoded
//     instead, in <script type="application/gzip+base64">, and inflated by the page's script
//     (DecompressionStream): about a tenth of the size, and base64 has no markup characters;
//   - the few strings C++ puts in markup go through HtmlEscape;
//   - the script builds DOM with textContent only; the CSP meta tag allows no network at all
//     (default-src 'none'), only the page's own script by its SHA-256 hash, and enforces Trusted
//     Types so no string can reach innerHTML.
//
// Usage:
//   std::string page = RenderHtml(doc);   // doc passed ValidateResults
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace regauth::reports {

// RenderHtml returns the page for `results`. `results` should have passed ValidateResults;
// otherwise missing or mistyped members read as empty. Never throws on document content.
std::string RenderHtml(const nlohmann::json& results);

// ReportScriptHash returns the CSP source expression of the page's script, "sha256-<base64>".
std::string ReportScriptHash();

}  // namespace regauth::reports
