// output.h — the run directory: reports/out/<timestamp>/{results.json,junit.xml,report.html}
// and the symlink reports/out/latest → <timestamp>.
//
// File I/O lives here (not in protocol/, which is sans-I/O). Every file is written to a temporary
// name in the same directory, flushed with fsync and renamed over the final name, so a reader
// (a CI job collecting artifacts, a browser) never sees a half-written file; `latest` is replaced
// the same way (a new symlink renamed over the old one, rename(2) being atomic). Errors name the
// path and the failing call.
//
// Usage:
//   auto dir = PrepareRunDirectory("reports/out", "20261125T131741Z");
//   if (!dir) return Fail(dir.error());
//   if (auto s = WriteRunReports(doc, *dir); !s) std::cerr << s.error().Describe() << "\n";
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "reports/results.h"

namespace regauth::reports {

// PrepareRunDirectory creates `base` (with parents) and `base/<timestamp>/`, then points the
// symlink `base/latest` at it. The link target is relative ("<timestamp>"), so the whole `base`
// directory can be moved or archived. `timestamp` must be one path segment of 1–100 bytes from
// [A-Za-z0-9._:+-], not starting with '.', and not "latest".
// Returns the new directory (base / timestamp).
// Errors: kBadRunName (timestamp rejected), kRunExists (base/<timestamp> already exists: runs
// never overwrite each other), kIo (creating a directory, the symlink or renaming it failed, e.g.
// because `base/latest` is a directory).
ReportResult<std::filesystem::path> PrepareRunDirectory(const std::filesystem::path& base,
                                                        std::string_view timestamp);

// ResultsText is the text of results.json: each top-level member on its own line, and each
// element of an array member (every case, check list, dimension set, not-run id…) on a line of
// its own, compact; ill-formed UTF-8 replaced by U+FFFD. A whole-suite run stays small and one
// case is one line for grep and diff.
std::string ResultsText(const nlohmann::json& results);

// WriteRunReports writes into `dir` (which must exist): results.json (ResultsText), then — if the
// document passes ValidateResults — junit.xml and report.html. results.json is written first and
// kept even when validation fails, so a runner bug never loses the data. Errors: those of
// ValidateResults (only results.json was written), kIo (where = the path).
ReportStatus WriteRunReports(const nlohmann::json& results, const std::filesystem::path& dir);

// WriteFileAtomically writes `content` to `path` through "<path>.tmp", fsync and rename(2).
// Errors: kIo, where = the temporary or final path, detail = the call and strerror(errno).
ReportStatus WriteFileAtomically(const std::filesystem::path& path, std::string_view content);

}  // namespace regauth::reports
