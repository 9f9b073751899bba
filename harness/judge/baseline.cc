#include "harness/judge/baseline.h"

#include <algorithm>
#include <map>
#include <set>

#include "harness/select/selection.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

// The spellings of reports/results-schema.md; PASS is not a legal baseline expectation.
const std::vector<std::string_view> kExpected = {"FAIL", "NON-STRICT", "INFORMATIONAL", "ERROR",
                                                 "SKIP"};

Verdict FromSpelling(std::string_view s) {
  if (s == "FAIL") return Verdict::kFail;
  if (s == "NON-STRICT") return Verdict::kNonStrict;
  if (s == "INFORMATIONAL") return Verdict::kInformational;
  if (s == "ERROR") return Verdict::kError;
  if (s == "SKIP") return Verdict::kSkip;
  return Verdict::kPass;
}

// Rank orders the judged verdicts for "worst of": PASS < INFORMATIONAL < NON-STRICT < FAIL.
int Rank(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return 0;
    case Verdict::kInformational:
      return 1;
    case Verdict::kNonStrict:
      return 2;
    case Verdict::kFail:
      return 3;
    case Verdict::kSkip:
      return 4;
    case Verdict::kError:
      return 5;
  }
  return 5;
}

bool Matches(const BaselineRule& e, std::string_view id) {
  return e.id.empty() ? GlobMatch(e.pattern, id) : e.id == id;
}

}  // namespace

const BaselineRule* Baseline::WholeCaseEntry(std::string_view case_id) const {
  const BaselineRule* pattern_hit = nullptr;
  for (const auto& e : entries) {
    if (!e.check.empty()) continue;
    if (!e.id.empty()) {
      if (e.id == case_id) return &e;
    } else if (pattern_hit == nullptr && GlobMatch(e.pattern, case_id)) {
      pattern_hit = &e;
    }
  }
  return pattern_hit;
}

std::vector<const BaselineRule*> Baseline::CheckEntries(std::string_view case_id) const {
  std::vector<const BaselineRule*> out;
  for (const auto& e : entries) {
    if (!e.check.empty() && Matches(e, case_id)) out.push_back(&e);
  }
  return out;
}

LoadResult<Baseline> ParseBaseline(const nlohmann::json& doc, const std::string& file) {
  DataReader r(file);
  auto fail = [&]() { return protocol::Unexpected<LoadError>(r.error()); };
  if (!r.Object(doc, "", {"entries", "description"})) return fail();
  auto entries = doc.find("entries");
  if (entries == doc.end()) {
    return MakeLoadError(LoadErrorCode::kMissingMember, file, "/entries",
                         "required member is missing");
  }
  if (!r.IsArray(*entries, "/entries")) return fail();
  Baseline b;
  b.file = file;
  std::set<std::pair<std::string, std::string>> keys;  // (id or pattern, check)
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string ptr = PointerAppend("/entries", i);
    const Json& e = (*entries)[i];
    BaselineRule rule;
    rule.pointer = ptr;
    std::string expected;
    if (!r.Object(e, ptr, {"id", "pattern", "check", "expected", "reason"}) ||
        !r.OptionalString(e, ptr, "id", &rule.id) ||
        !r.OptionalString(e, ptr, "pattern", &rule.pattern) ||
        !r.OptionalString(e, ptr, "check", &rule.check)) {
      return fail();
    }
    if (rule.id.empty() == rule.pattern.empty()) {
      return MakeLoadError(LoadErrorCode::kBadValue, file, ptr,
                           "an entry names exactly one of `id` and `pattern`");
    }
    auto exp = e.find("expected");
    if (exp == e.end()) {
      return MakeLoadError(LoadErrorCode::kMissingMember, file, ptr + "/expected",
                           "required member is missing; expected one of " + JoinNames(kExpected));
    }
    if (exp->is_string() && exp->get<std::string>() == "PASS") {
      return MakeLoadError(LoadErrorCode::kBadEnumValue, file, ptr + "/expected",
                           "PASS is the default; a baseline lists only expected non-PASS results");
    }
    if (!r.Enum(*exp, ptr + "/expected", kExpected, &expected)) return fail();
    rule.expected = FromSpelling(expected);
    auto reason = e.find("reason");
    if (reason == e.end()) {
      return MakeLoadError(LoadErrorCode::kMissingMember, file, ptr + "/reason",
                           "every baseline entry needs a reason");
    }
    if (!r.String(*reason, ptr + "/reason", &rule.reason)) return fail();
    if (rule.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
      return MakeLoadError(LoadErrorCode::kBadValue, file, ptr + "/reason",
                           "the reason must say why (not only whitespace)");
    }
    if (!rule.check.empty() &&
        (rule.expected == Verdict::kSkip || rule.expected == Verdict::kError)) {
      return MakeLoadError(LoadErrorCode::kBadValue, file, ptr + "/expected",
                           "a per-check entry expects FAIL, NON-STRICT or INFORMATIONAL (SKIP "
                           "and ERROR are whole-case verdicts)");
    }
    const std::string key = rule.id.empty() ? "pattern:" + rule.pattern : "id:" + rule.id;
    if (!keys.insert({key, rule.check}).second) {
      return MakeLoadError(LoadErrorCode::kDuplicate, file, ptr,
                           "a second entry for the same " +
                               std::string(rule.id.empty() ? "pattern" : "id") +
                               (rule.check.empty() ? "" : " and check"));
    }
    b.entries.push_back(std::move(rule));
  }
  return b;
}

LoadResult<Baseline> LoadBaselineFile(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return protocol::Unexpected<LoadError>(text.error());
  auto doc = ParseDataFile(*text, path);
  if (!doc) return protocol::Unexpected<LoadError>(doc.error());
  return ParseBaseline(*doc, path);
}

std::optional<LoadError> CheckBaseline(const Baseline& baseline, const std::vector<Case>& cases) {
  std::vector<bool> used(baseline.entries.size(), false);
  for (const Case& c : cases) {
    const BaselineRule* whole = nullptr;
    const BaselineRule* per_check = nullptr;
    for (std::size_t i = 0; i < baseline.entries.size(); ++i) {
      const BaselineRule& e = baseline.entries[i];
      if (!Matches(e, c.id)) continue;
      used[i] = true;
      if (e.check.empty()) {
        if (whole == nullptr) whole = &e;
      } else if (per_check == nullptr) {
        per_check = &e;
      }
    }
    if (whole != nullptr && per_check != nullptr) {
      return LoadError{LoadErrorCode::kConflict, baseline.file, per_check->pointer,
                       "case '" + c.id + "' has both a whole-case entry (" + whole->pointer +
                           ") and a per-check entry; keep one"};
    }
  }
  for (std::size_t i = 0; i < used.size(); ++i) {
    if (used[i]) continue;
    const BaselineRule& e = baseline.entries[i];
    return LoadError{LoadErrorCode::kStale, baseline.file, e.pointer,
                     (e.id.empty() ? "pattern '" + e.pattern + "'" : "id '" + e.id + "'") +
                         " matches no case of the suite (renamed or removed?)"};
  }
  return std::nullopt;
}

Verdict CheckVerdict(const CheckResult& check, bool strict) {
  if (check.passed) return Verdict::kPass;
  switch (check.severity) {
    case Severity::kMust:
      return Verdict::kFail;
    case Severity::kShould:
      return strict ? Verdict::kFail : Verdict::kNonStrict;
    case Severity::kInfo:
      return Verdict::kInformational;
  }
  return Verdict::kFail;
}

Verdict WorstVerdict(const std::vector<CheckResult>& checks, bool strict) {
  Verdict worst = Verdict::kPass;
  for (const auto& c : checks) {
    const Verdict v = CheckVerdict(c, strict);
    if (Rank(v) > Rank(worst)) worst = v;
  }
  return worst;
}

bool AcceptableWithoutBaseline(Verdict v, bool strict) {
  switch (v) {
    case Verdict::kPass:
    case Verdict::kInformational:
    case Verdict::kSkip:
      return true;
    case Verdict::kNonStrict:
      return !strict;
    case Verdict::kFail:
    case Verdict::kError:
      return false;
  }
  return false;
}

void ApplyBaseline(const Baseline* baseline, bool strict, CaseResult* r) {
  r->expected_verdict = Verdict::kPass;
  r->baseline.reset();
  r->stale_baseline = false;
  const std::string_view id = r->c != nullptr ? std::string_view(r->c->id) : std::string_view();
  const BaselineRule* whole = baseline != nullptr ? baseline->WholeCaseEntry(id) : nullptr;
  const std::vector<const BaselineRule*> per_check = baseline != nullptr && whole == nullptr
                                                         ? baseline->CheckEntries(id)
                                                         : std::vector<const BaselineRule*>{};
  if (whole != nullptr) {
    r->expected_verdict = whole->expected;
    r->baseline = BaselineEntry{whole->expected, whole->reason};
    r->stale_baseline = r->verdict == Verdict::kPass;
    r->unexpected = r->verdict != whole->expected;
    return;
  }
  if (per_check.empty()) {
    r->unexpected = !AcceptableWithoutBaseline(r->verdict, strict);
    return;
  }
  // Per-check entries: the named checks must fail as listed, the rest as without a baseline.
  Verdict expected = Verdict::kPass;
  std::string reasons;
  for (const BaselineRule* e : per_check) {
    if (Rank(e->expected) > Rank(expected)) expected = e->expected;
    if (!reasons.empty()) reasons += "; ";
    reasons += e->check + ": " + e->reason;
  }
  r->expected_verdict = expected;
  r->baseline = BaselineEntry{expected, reasons};
  if (r->verdict == Verdict::kSkip || r->verdict == Verdict::kError) {
    r->unexpected = !AcceptableWithoutBaseline(r->verdict, strict);
    return;
  }
  bool unexpected = false;
  std::vector<CheckResult> rest;
  for (const CheckResult& check : r->checks) {
    auto entry = std::find_if(per_check.begin(), per_check.end(),
                              [&](const BaselineRule* e) { return e->check == check.id; });
    if (entry == per_check.end()) {
      rest.push_back(check);
      continue;
    }
    const Verdict got = CheckVerdict(check, strict);
    if (got == Verdict::kPass) r->stale_baseline = true;
    if (got != (*entry)->expected) unexpected = true;
  }
  for (const BaselineRule* e : per_check) {
    const bool ran = std::any_of(r->checks.begin(), r->checks.end(),
                                 [&](const CheckResult& c) { return c.id == e->check; });
    if (!ran) {
      r->stale_baseline = true;
      unexpected = true;
    }
  }
  if (!AcceptableWithoutBaseline(WorstVerdict(rest, strict), strict)) unexpected = true;
  r->unexpected = unexpected || r->stale_baseline;
}

}  // namespace regauth::harness
