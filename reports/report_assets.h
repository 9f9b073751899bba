// report_assets.h — the files of reports/assets/ (page template, CSS, JS), embedded at build time.
//
// reports/CMakeLists.txt runs reports/assets/embed.cmake, which turns each file into a string
// literal in the generated report_assets.cc (in the build tree); nothing is read at run time, so
// the regauth binary renders a report from anywhere. Edit the files in reports/assets/, not the
// generated source.
//
// Usage:
//   std::string page(ReportTemplate());   // then substitute the @@NAME@@ placeholders
#pragma once

#include <string_view>

namespace regauth::reports {

std::string_view ReportTemplate();  // reports/assets/report.html
std::string_view ReportCss();       // reports/assets/report.css
std::string_view ReportJs();        // reports/assets/report.js

}  // namespace regauth::reports
