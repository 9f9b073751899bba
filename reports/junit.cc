#include "reports/junit.h"

#include <cstdio>
#include <map>
#include <string_view>
#include <vector>

#include "reports/escape.h"
#include "reports/results.h"

namespace regauth::reports {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxMessageBytes = 512;    // message="" attributes stay one short line
constexpr std::size_t kMaxBodyBytes = 4 * 1024;  // per body in <system-out>
// kRunSuite is the testsuite (and classname) of the run itself when it stopped early.
constexpr std::string_view kRunSuite = "regauth.run";

// Seconds formats a millisecond count as JUnit's decimal seconds ("0.003").
std::string Seconds(double ms) {
  if (!(ms >= 0)) ms = 0;  // also catches NaN
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", ms / 1000.0);
  return buf;
}

// Timestamp returns the "YYYY-MM-DDTHH:MM:SS" prefix of an RFC 3339 time: the Ant JUnit schema's
// ISO8601_DATETIME_PATTERN has no fraction and no zone (the run's times are UTC). Empty when
// `rfc3339` does not start that way.
std::string Timestamp(std::string_view rfc3339) {
  constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:dd";
  if (rfc3339.size() < kPattern.size()) return "";
  for (std::size_t i = 0; i < kPattern.size(); ++i) {
    const char p = kPattern[i];
    const char c = rfc3339[i];
    if (p == 'd' ? (c < '0' || c > '9') : c != p) return "";
  }
  return std::string(rfc3339.substr(0, kPattern.size()));
}

// Message makes a one-line attribute value: newlines become spaces, cut at kMaxMessageBytes.
std::string Message(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (line.size() <= kMaxMessageBytes) return line;
  return std::string(TruncateUtf8(line, kMaxMessageBytes)) + "\xE2\x80\xA6";  // …
}

void Attr(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  out += XmlEscape(value);
  out += '"';
}

struct Counts {
  int tests = 0;
  int failures = 0;
  int errors = 0;
  int skipped = 0;
  double ms = 0;

  void Add(CaseOutcome outcome, double case_ms) {
    ++tests;
    ms += case_ms;
    switch (outcome) {
      case CaseOutcome::kFailed:
      case CaseOutcome::kStaleBaseline:
      case CaseOutcome::kUnexpected:
        ++failures;
        break;
      case CaseOutcome::kErrored:
        ++errors;
        break;
      case CaseOutcome::kSkipped:
        ++skipped;
        break;
      case CaseOutcome::kPassed:
      case CaseOutcome::kPassedWithNotes:
      case CaseOutcome::kExpectedFailure:
        break;
    }
  }

  void Write(std::string& out) const {
    Attr(out, "tests", std::to_string(tests));
    Attr(out, "failures", std::to_string(failures));
    Attr(out, "errors", std::to_string(errors));
    Attr(out, "skipped", std::to_string(skipped));
  }
};

// FailedChecks lists the checks whose result is "fail" whose severity is in `severities`
// ("MUST", "SHOULD", "INFO"; empty = any) as readable text, and their ids in `ids`.
std::string FailedChecks(const json& c, std::initializer_list<std::string_view> severities,
                         std::string* ids) {
  std::string text;
  const json& checks = GetMember(c, "checks");
  if (!checks.is_array()) return text;
  for (const json& check : checks) {
    if (GetString(check, "result") != "fail") continue;
    const std::string_view severity = GetString(check, "severity");
    bool wanted = severities.size() == 0;
    for (const std::string_view s : severities) wanted = wanted || s == severity;
    if (!wanted) continue;
    const std::string_view id = GetString(check, "id");
    if (ids != nullptr) {
      if (!ids->empty()) *ids += ", ";
      *ids += id;
    }
    text += "[";
    text += severity;
    text += "] ";
    text += id;
    text += "\n  expected: ";
    text += GetString(check, "expected");
    text += "\n  observed: ";
    text += GetString(check, "observed");
    if (const std::string_view m = GetString(check, "message"); !m.empty()) {
      text += "\n  message:  ";
      text += m;
    }
    text += "\n";
  }
  return text;
}

std::string CaseHeader(const json& c) {
  std::string text;
  if (const std::string_view t = GetString(c, "title"); !t.empty()) {
    text += "title: ";
    text += t;
    text += "\n";
  }
  if (const std::string_view r = GetString(c, "requirement"); !r.empty()) {
    text += "requirement: ";
    text += r;
    text += "\n";
  }
  if (const std::string_view s = GetString(c, "source"); !s.empty()) {
    text += "source: ";
    text += s;
    text += "\n";
  }
  return text;
}

void AppendHeaders(std::string& text, const json& message) {
  const json& headers = GetMember(message, "headers");
  if (!headers.is_array()) return;
  for (const json& h : headers) {
    if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string()) continue;
    text += "  ";
    text += h[0].get_ref<const std::string&>();
    text += ": ";
    text += h[1].get_ref<const std::string&>();
    text += "\n";
  }
}

void AppendBody(std::string& text, std::string_view body) {
  if (body.empty()) return;
  text += "  body (";
  text += std::to_string(body.size());
  text += " bytes):\n";
  text += TruncateUtf8(body, kMaxBodyBytes);
  if (body.size() > kMaxBodyBytes) text += "\n  [cut; report.html has the whole body]";
  text += "\n";
}

// Transcript renders the case's exchanges (already redacted at capture, results-schema.md).
std::string Transcript(const json& c) {
  std::string text;
  const json& exchanges = GetMember(c, "exchanges");
  if (!exchanges.is_array() || exchanges.empty()) return text;
  int n = 0;
  for (const json& x : exchanges) {
    const json& req = GetMember(x, "request");
    const json& resp = GetMember(x, "response");
    text += "--- exchange ";
    text += std::to_string(++n);
    text += " (";
    text += GetString(x, "step");
    text += ")\n> ";
    text += GetString(req, "method");
    text += " ";
    text += GetString(req, "url");
    text += "\n";
    AppendHeaders(text, req);
    AppendBody(text, GetString(req, "body"));
    if (resp.is_object()) {
      text += "< ";
      const json& status = GetMember(resp, "status");
      text += status.is_number() ? status.dump() : std::string("?");
      text += "\n";
      AppendHeaders(text, resp);
      AppendBody(text, GetString(resp, "body"));
    }
    if (const std::string_view e = GetString(x, "error"); !e.empty()) {
      text += "! error: ";
      text += e;
      text += "\n";
    }
  }
  return text;
}

void Element(std::string& out, std::string_view name, std::string_view type,
             std::string_view message, const std::string& body) {
  out += "      <";
  out += name;
  if (!type.empty()) Attr(out, "type", type);
  Attr(out, "message", Message(message));
  if (body.empty()) {
    out += "/>\n";
    return;
  }
  out += ">";
  out += XmlEscape(body);
  out += "</";
  out += name;
  out += ">\n";
}

void SystemOut(std::string& out, const std::string& text) {
  if (text.empty()) return;
  out += "      <system-out>";
  out += XmlEscape(text);
  out += "</system-out>\n";
}

std::string Expectation(const json& c) {
  std::string text = "baseline expects ";
  text += GetString(c, "expected_verdict");
  text += ", the case gave ";
  text += GetString(c, "verdict");
  if (const std::string_view reason = GetString(GetMember(c, "baseline"), "reason");
      !reason.empty()) {
    text += ": ";
    text += reason;
  }
  return text;
}

void TestCase(std::string& out, const json& c, CaseOutcome outcome) {
  const std::string_view family = CaseFamily(c);
  out += "    <testcase";
  Attr(out, "classname", family);
  Attr(out, "name", GetString(c, "id"));
  Attr(out, "time", Seconds(GetNumber(c, "duration_ms")));
  if (outcome == CaseOutcome::kPassed) {
    out += "/>\n";
    return;
  }
  out += ">\n";
  const std::string_view verdict = GetString(c, "verdict");
  switch (outcome) {
    case CaseOutcome::kPassed:
      break;
    case CaseOutcome::kFailed: {
      std::string ids;
      std::string checks = FailedChecks(c, {"MUST"}, &ids);
      if (checks.empty()) checks = FailedChecks(c, {}, &ids);
      const std::string message = ids.empty() ? std::string("FAIL") : "failed checks: " + ids;
      Element(out, "failure", "FAIL", message, CaseHeader(c) + checks);
      SystemOut(out, Transcript(c));
      break;
    }
    case CaseOutcome::kErrored: {
      std::string_view error = GetString(c, "error");
      if (error.empty()) error = "ERROR";
      Element(out, "error", "ERROR", error, CaseHeader(c) + std::string(error) + "\n");
      SystemOut(out, Transcript(c));
      break;
    }
    case CaseOutcome::kSkipped: {
      std::string_view reason = GetString(c, "skip_reason");
      if (reason.empty()) reason = "skipped";
      out += "      <skipped";
      Attr(out, "message", Message(reason));
      out += "/>\n";
      break;
    }
    case CaseOutcome::kPassedWithNotes: {
      std::string notes = std::string(verdict) + ": ";
      notes += verdict == "NON-STRICT" ? "SHOULD-level checks failed\n"
                                       : "implementation-defined behaviour recorded\n";
      notes += FailedChecks(c, {"SHOULD", "INFO"}, nullptr);
      SystemOut(out, notes);
      break;
    }
    case CaseOutcome::kExpectedFailure: {
      std::string text = "expected failure: ";
      text += GetString(GetMember(c, "baseline"), "reason");
      text += "\nverdict: ";
      text += verdict;
      text += "\n";
      if (verdict == "ERROR") {
        text += "error: ";
        text += GetString(c, "error");
        text += "\n";
      }
      text += FailedChecks(c, {}, nullptr);
      SystemOut(out, text);
      break;
    }
    case CaseOutcome::kStaleBaseline: {
      const std::string message = "stale baseline entry: " + Expectation(c);
      Element(out, "failure", "STALE-BASELINE", message,
              message + "\nremove the entry from the baseline file or fix the case\n");
      break;
    }
    case CaseOutcome::kUnexpected: {
      std::string message = "unexpected ";
      message += verdict;
      message += ": expected ";
      message += GetString(c, "expected_verdict");
      Element(out, "failure", "UNEXPECTED", message,
              CaseHeader(c) + message + "\n" + FailedChecks(c, {}, nullptr));
      SystemOut(out, Transcript(c));
      break;
    }
  }
  out += "    </testcase>\n";
}

}  // namespace

std::string RenderJUnit(const nlohmann::json& results) {
  // Group by family; std::map sorts the suites so the output does not depend on --jobs order.
  struct Suite {
    std::vector<std::pair<const json*, CaseOutcome>> cases;
    std::vector<std::string_view> not_run;  // selected case ids the stopped run never started
    Counts counts;
  };
  std::map<std::string, Suite, std::less<>> suites;
  Counts total;
  const json& cases = GetMember(results, "cases");
  if (cases.is_array()) {
    for (const json& c : cases) {
      const CaseOutcome outcome = ClassifyCase(c);
      Suite& suite = suites[std::string(CaseFamily(c))];
      suite.cases.emplace_back(&c, outcome);
      suite.counts.Add(outcome, GetNumber(c, "duration_ms"));
      total.Add(outcome, GetNumber(c, "duration_ms"));
    }
  }
  const std::string_view run_error = RunError(results);
  const json& not_run = GetMember(GetMember(results, "run"), "not_run_ids");
  if (not_run.is_array()) {
    for (const json& id : not_run) {
      if (!id.is_string()) continue;
      const std::string_view text = id.get_ref<const std::string&>();
      Suite& suite = suites[std::string(FamilyOf(text))];
      suite.not_run.push_back(text);
      suite.counts.Add(CaseOutcome::kSkipped, 0);
      total.Add(CaseOutcome::kSkipped, 0);
    }
  }
  Counts run_counts;  // the run itself, a failing testcase when it stopped early
  if (!run_error.empty()) {
    run_counts.Add(CaseOutcome::kFailed, 0);
    total.Add(CaseOutcome::kFailed, 0);
  }

  const json& suite_info = GetMember(results, "suite");
  const json& run = GetMember(results, "run");
  const json& target = GetMember(results, "target");
  const std::string timestamp = Timestamp(GetString(run, "started_at"));
  const double run_ms =
      GetMember(run, "duration_ms").is_number() ? GetNumber(run, "duration_ms") : total.ms;

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites";
  std::string name(GetString(suite_info, "name"));
  if (name.empty()) name = "regauth";
  if (const std::string_view profile = GetString(results, "profile"); !profile.empty()) {
    name += " (";
    name += profile;
    name += ")";
  }
  Attr(out, "name", name);
  total.Write(out);
  Attr(out, "time", Seconds(run_ms));
  out += ">\n";

  const std::pair<std::string_view, std::string_view> properties[] = {
      {"regauth.version", GetString(suite_info, "version")},
      {"regauth.git_commit", GetString(suite_info, "git_commit")},
      {"regauth.profile", GetString(results, "profile")},
      {"regauth.target.kind", GetString(target, "kind")},
      {"regauth.target.registry_url", GetString(target, "registry_url")},
      {"regauth.run.started_at", GetString(run, "started_at")},
  };
  int suite_id = 0;
  auto open_suite = [&](std::string_view suite_name, const Counts& counts) {
    out += "  <testsuite";
    Attr(out, "name", suite_name);
    Attr(out, "id", std::to_string(suite_id++));
    counts.Write(out);
    Attr(out, "time", Seconds(counts.ms));
    if (!timestamp.empty()) Attr(out, "timestamp", timestamp);
    out += ">\n    <properties>\n";
    for (const auto& [key, value] : properties) {
      if (value.empty()) continue;
      out += "      <property";
      Attr(out, "name", key);
      Attr(out, "value", value);
      out += "/>\n";
    }
    out += "    </properties>\n";
  };
  if (!run_error.empty()) {
    // First, so a CI view that lists failures in document order shows why nothing (or not
    // everything) ran before any case.
    open_suite(kRunSuite, run_counts);
    out += "    <testcase";
    Attr(out, "classname", kRunSuite);
    Attr(out, "name", "the run completes");
    Attr(out, "time", Seconds(run_ms));
    out += ">\n";
    std::string text = "the run stopped early: ";
    text += run_error;
    text += "\n";
    const std::size_t missed = not_run.is_array() ? not_run.size() : 0;
    text += std::to_string(missed) + (missed == 1 ? " selected case" : " selected cases") +
            " did not run (skipped below, message \"not run\")\n";
    const json& exit_code = GetMember(GetMember(results, "summary"), "exit_code");
    if (exit_code.is_number_integer()) text += "exit code " + exit_code.dump() + "\n";
    Element(out, "failure", "RUN-ERROR", run_error, text);
    out += "    </testcase>\n  </testsuite>\n";
  }
  const std::string not_run_message = "not run: the run stopped early: " + std::string(run_error);
  for (const auto& [family, suite] : suites) {
    open_suite(family, suite.counts);
    for (const auto& [c, outcome] : suite.cases) TestCase(out, *c, outcome);
    for (const std::string_view id : suite.not_run) {
      out += "    <testcase";
      Attr(out, "classname", family);
      Attr(out, "name", id);
      Attr(out, "time", "0.000");
      out += ">\n      <skipped";
      Attr(out, "message", Message(not_run_message));
      out += "/>\n    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace regauth::reports
