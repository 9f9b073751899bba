// junit.h — renders a results document (reports/results-schema.md) as JUnit XML, the format
// GitLab CI's `artifacts:reports:junit`, Jenkins' junit step and xunit-style readers accept.
//
// Shape (the Ant/Surefire dialect those readers share):
//   <testsuites name tests failures errors skipped time>
//     <testsuite name="<family>" tests failures errors skipped time timestamp>   one per family
//       <properties> suite version, commit, profile, target </properties>
//       <testcase classname="<family>" name="<case id>" time="<seconds>">
//         <failure type="FAIL|STALE-BASELINE|UNEXPECTED" message>…</failure> | <error> | <skipped>
//         <system-out>notes, expected-failure reason, transcript</system-out>
// How a verdict maps to an element is decided by ClassifyCase (results.h):
//   FAIL → <failure type="FAIL"> listing the failed checks (expected vs observed);
//   ERROR → <error type="ERROR">; SKIP → <skipped message="skip_reason"/>;
//   NON-STRICT / INFORMATIONAL → pass, with the failed SHOULD/INFO checks in <system-out>;
//   FAIL/ERROR listed in the baseline → pass, <system-out>expected failure: reason</system-out>;
//   a stale baseline entry → <failure type="STALE-BASELINE"> (suite-anchors.md E.4: "expected
//   failure didn't happen" fails CI).
// A run that stopped early (run.error: the sanity probe failed, the target banned the client IP)
// is never green: a first testsuite "regauth.run" holds one testcase "the run completes" with
// <failure type="RUN-ERROR" message="<run.error>">, and every id of run.not_run_ids is a testcase
// of its family with <skipped message="not run: the run stopped early: …"/>.
// Every string goes through XmlEscape: the output is well-formed XML 1.0 in valid UTF-8 whatever
// bytes the registry under test sent. Testsuites are sorted by family name; testcases keep the
// document order. Response bodies in <system-out> are cut to 4 KiB each (report.html has them
// whole).
//
// Usage:
//   std::string xml = RenderJUnit(doc);   // doc passed ValidateResults
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace regauth::reports {

// RenderJUnit returns the JUnit XML document for `results`. `results` should have passed
// ValidateResults; otherwise missing or mistyped members read as empty and the output is still
// well-formed XML. Never throws on document content.
std::string RenderJUnit(const nlohmann::json& results);

}  // namespace regauth::reports
