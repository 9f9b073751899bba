#include "reports/results.h"

#include <initializer_list>
#include <optional>
#include <unordered_set>
#include <utility>

#include "reports/escape.h"
#include "reports/evidence.h"

namespace regauth::reports {
namespace {

using nlohmann::json;

// Kind is the JSON type a member must have. kInteger accepts any integral number; kNumber any
// number.
enum class Kind { kObject, kArray, kString, kBool, kInteger, kNumber };

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kObject:
      return "an object";
    case Kind::kArray:
      return "an array";
    case Kind::kString:
      return "a string";
    case Kind::kBool:
      return "a boolean";
    case Kind::kInteger:
      return "an integer";
    case Kind::kNumber:
      return "a number";
  }
  return "a value";
}

std::string_view TypeName(const json& v) {
  if (v.is_number_float()) return "a non-integral number";
  if (v.is_number()) return "a number";
  return v.type_name();  // "null", "object", "array", "string", "boolean"
}

bool HasKind(const json& v, Kind kind) {
  switch (kind) {
    case Kind::kObject:
      return v.is_object();
    case Kind::kArray:
      return v.is_array();
    case Kind::kString:
      return v.is_string();
    case Kind::kBool:
      return v.is_boolean();
    case Kind::kInteger:
      return v.is_number_integer();
    case Kind::kNumber:
      return v.is_number();
  }
  return false;
}

// Pointer appends one reference token to a JSON pointer (RFC 6901 §3: '~' → "~0", '/' → "~1").
std::string Pointer(std::string_view base, std::string_view token) {
  std::string out(base);
  out += '/';
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Pointer(std::string_view base, std::size_t index) {
  return std::string(base) + "/" + std::to_string(index);
}

enum class Need { kRequired, kOptional };  // kOptional: absent or null is fine

// Validator walks the document and keeps the first failure.
class Validator {
 public:
  const std::optional<ReportFailure>& failure() const { return failure_; }

  bool Fail(ReportError code, std::string where, std::string detail) {
    failure_ = ReportFailure{code, std::move(where), std::move(detail)};
    return false;
  }

  // Member checks object[key] against `kind`. Returns the member, or nullptr when it is absent or
  // null and optional (`*ok` stays true) or when the check failed (`*ok` becomes false).
  const json* Member(const json& object, std::string_view where, std::string_view key, Kind kind,
                     Need need, bool* ok) {
    const std::string here = Pointer(where, key);
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
      if (need == Need::kOptional) return nullptr;
      if (it == object.end()) {
        *ok = Fail(ReportError::kMissingMember, here,
                   "missing; expected " + std::string(KindName(kind)));
      } else {
        *ok = Fail(ReportError::kWrongType, here,
                   "expected " + std::string(KindName(kind)) + ", got null");
      }
      return nullptr;
    }
    if (!HasKind(*it, kind)) {
      *ok = Fail(ReportError::kWrongType, here,
                 "expected " + std::string(KindName(kind)) + ", got " + std::string(TypeName(*it)));
      return nullptr;
    }
    return &*it;
  }

  // Enum checks that object[key] is a string from `allowed`.
  bool Enum(const json& object, std::string_view where, std::string_view key,
            std::initializer_list<std::string_view> allowed, Need need) {
    bool ok = true;
    const json* v = Member(object, where, key, Kind::kString, need, &ok);
    if (!ok || v == nullptr) return ok;
    const auto& s = v->get_ref<const std::string&>();
    std::string list;
    for (const std::string_view a : allowed) {
      if (s == a) return true;
      if (!list.empty()) list += '|';
      list += a;
    }
    return Fail(ReportError::kBadValue, Pointer(where, key),
                "expected one of " + list + ", got \"" + SanitizeUtf8(TruncateUtf8(s, 40)) + "\"");
  }

  bool NonNegative(const json& object, std::string_view where, std::string_view key, Need need) {
    bool ok = true;
    const json* v = Member(object, where, key, Kind::kNumber, need, &ok);
    if (!ok || v == nullptr) return ok;
    if (v->get<double>() < 0) {
      return Fail(ReportError::kBadValue, Pointer(where, key), "expected a number >= 0");
    }
    return true;
  }

  bool NonEmptyString(const json& object, std::string_view where, std::string_view key) {
    bool ok = true;
    const json* v = Member(object, where, key, Kind::kString, Need::kRequired, &ok);
    if (!ok) return false;
    if (v->get_ref<const std::string&>().empty()) {
      return Fail(ReportError::kBadValue, Pointer(where, key), "expected a non-empty string");
    }
    return true;
  }

  // Strings checks that every listed member is a string (or absent/null when optional).
  bool Strings(const json& object, std::string_view where,
               std::initializer_list<std::string_view> keys, Need need) {
    bool ok = true;
    for (const std::string_view key : keys) {
      Member(object, where, key, Kind::kString, need, &ok);
      if (!ok) return false;
    }
    return true;
  }

  // StringArray checks an optional array of strings.
  bool StringArray(const json& object, std::string_view where, std::string_view key) {
    bool ok = true;
    const json* v = Member(object, where, key, Kind::kArray, Need::kOptional, &ok);
    if (!ok || v == nullptr) return ok;
    const std::string here = Pointer(where, key);
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) {
        return Fail(ReportError::kWrongType, Pointer(here, i),
                    "expected a string, got " + std::string(TypeName((*v)[i])));
      }
    }
    return true;
  }

  // Headers checks a header list: an array of [name, value] string pairs.
  bool Headers(const json& object, std::string_view where) {
    bool ok = true;
    const json* v = Member(object, where, "headers", Kind::kArray, Need::kOptional, &ok);
    if (!ok || v == nullptr) return ok;
    const std::string here = Pointer(where, "headers");
    for (std::size_t i = 0; i < v->size(); ++i) {
      const json& h = (*v)[i];
      if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string()) {
        return Fail(ReportError::kWrongType, Pointer(here, i),
                    "expected a [name, value] pair of strings");
      }
    }
    return true;
  }

  bool Document(const json& doc);

 private:
  bool Header(const json& doc);
  bool Case(const json& c, const std::string& where);
  bool SummaryCase(const json& c, const std::string& where);
  bool Tables(const json& doc);
  bool Index(const json& c, const std::string& where, std::string_view key, std::string_view table,
             Need need);
  bool Check(const json& check, const std::string& where);
  bool Exchange(const json& exchange, const std::string& where);
  bool Tool(const json& tool, const std::string& where);

  std::optional<ReportFailure> failure_;
  const json* doc_ = nullptr;
};

bool Validator::Document(const json& doc) {
  if (!doc.is_object()) {
    return Fail(ReportError::kWrongType, "",
                "expected an object, got " + std::string(TypeName(doc)));
  }
  bool ok = true;
  const json* schema = Member(doc, "", "schema", Kind::kString, Need::kRequired, &ok);
  if (!ok) return false;
  if (schema->get_ref<const std::string&>() != kSchemaId) {
    return Fail(ReportError::kUnsupportedSchema, "/schema",
                "expected \"" + std::string(kSchemaId) + "\", got \"" +
                    SanitizeUtf8(TruncateUtf8(schema->get_ref<const std::string&>(), 40)) + "\"");
  }
  doc_ = &doc;
  if (!Header(doc) || !Tables(doc)) return false;
  const json* cases = Member(doc, "", "cases", Kind::kArray, Need::kRequired, &ok);
  if (!ok) return false;
  std::unordered_set<std::string_view> ids;
  for (std::size_t i = 0; i < cases->size(); ++i) {
    const std::string where = Pointer("/cases", i);
    const json& c = (*cases)[i];
    if (!Case(c, where)) return false;
    const auto& id = c["id"].get_ref<const std::string&>();
    if (!ids.insert(id).second) {
      return Fail(ReportError::kDuplicateCaseId, where + "/id",
                  "case id repeats an earlier case's id");
    }
  }
  return true;
}

bool Validator::Header(const json& doc) {
  bool ok = true;
  const json* suite = Member(doc, "", "suite", Kind::kObject, Need::kRequired, &ok);
  if (!ok || !Strings(*suite, "/suite", {"name", "version"}, Need::kRequired) ||
      !Strings(*suite, "/suite", {"git_commit"}, Need::kOptional)) {
    return false;
  }
  const json* run = Member(doc, "", "run", Kind::kObject, Need::kRequired, &ok);
  if (!ok || !Strings(*run, "/run", {"started_at"}, Need::kRequired) ||
      !Strings(*run, "/run", {"finished_at", "error"}, Need::kOptional) ||
      !NonNegative(*run, "/run", "duration_ms", Need::kOptional) ||
      !StringArray(*run, "/run", "argv") || !StringArray(*run, "/run", "not_run_ids")) {
    return false;
  }
  Member(*run, "/run", "jobs", Kind::kInteger, Need::kOptional, &ok);
  Member(*run, "/run", "not_run", Kind::kInteger, Need::kOptional, &ok);
  Member(*run, "/run", "selection", Kind::kObject, Need::kOptional, &ok);
  if (!ok) return false;
  const json* target = Member(doc, "", "target", Kind::kObject, Need::kRequired, &ok);
  if (!ok || !Strings(*target, "/target", {"kind"}, Need::kRequired) ||
      !Strings(*target, "/target", {"registry_url", "realm", "service"}, Need::kOptional)) {
    return false;
  }
  if (!Strings(doc, "", {"profile"}, Need::kRequired)) return false;
  Member(doc, "", "config", Kind::kObject, Need::kOptional, &ok);
  const json* summary = Member(doc, "", "summary", Kind::kObject, Need::kRequired, &ok);
  if (!ok) return false;
  for (const std::string_view key : {"total", "unexpected", "stale_baseline", "exit_code"}) {
    Member(*summary, "/summary", key, Kind::kInteger, Need::kOptional, &ok);
    if (!ok) return false;
  }
  return true;
}

// Tables checks the optional "check_lists" (arrays of [id, severity] pairs) and
// "dimension_sets" (objects of strings) that summary cases index, and "citation_lists" (objects
// with gitlab_source/gitlab_spec arrays) that whole cases index (evidence.h).
bool Validator::Tables(const json& doc) {
  bool ok = true;
  if (const json* lists = Member(doc, "", "check_lists", Kind::kArray, Need::kOptional, &ok)) {
    for (std::size_t i = 0; i < lists->size(); ++i) {
      const std::string here = Pointer("/check_lists", i);
      if (!(*lists)[i].is_array()) {
        return Fail(ReportError::kWrongType, here, "expected an array of [id, severity] pairs");
      }
      for (std::size_t j = 0; j < (*lists)[i].size(); ++j) {
        const json& pair = (*lists)[i][j];
        if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
          return Fail(ReportError::kWrongType, Pointer(here, j),
                      "expected an [id, severity] pair of strings");
        }
      }
    }
  }
  if (!ok) return false;
  if (const json* lists = Member(doc, "", "citation_lists", Kind::kArray, Need::kOptional, &ok)) {
    for (std::size_t i = 0; i < lists->size(); ++i) {
      const std::string here = Pointer("/citation_lists", i);
      if (!(*lists)[i].is_object())
        return Fail(ReportError::kWrongType, here, "expected an object");
      for (const char* member : {"gitlab_source", "gitlab_spec"}) {
        Member((*lists)[i], here, member, Kind::kArray, Need::kOptional, &ok);
      }
      if (!ok) return false;
    }
  }
  if (!ok) return false;
  if (const json* sets = Member(doc, "", "dimension_sets", Kind::kArray, Need::kOptional, &ok)) {
    for (std::size_t i = 0; i < sets->size(); ++i) {
      const json& set = (*sets)[i];
      const std::string here = Pointer("/dimension_sets", i);
      if (!set.is_object()) return Fail(ReportError::kWrongType, here, "expected an object");
      for (const auto& [key, value] : set.items()) {
        if (!value.is_string()) {
          return Fail(ReportError::kWrongType, Pointer(here, key), "expected a string");
        }
      }
    }
  }
  return ok;
}

// Index checks that c[key] is an index into the document's `table`.
bool Validator::Index(const json& c, const std::string& where, std::string_view key,
                      std::string_view table, Need need) {
  bool ok = true;
  const json* v = Member(c, where, key, Kind::kInteger, need, &ok);
  if (!ok || v == nullptr) return ok;
  const json& list = GetMember(*doc_, table);
  const int64_t i = v->get<int64_t>();
  if (i < 0 || !list.is_array() || static_cast<std::size_t>(i) >= list.size()) {
    return Fail(ReportError::kBadValue, Pointer(where, key),
                "expected an index into /" + std::string(table));
  }
  return true;
}

// SummaryCase checks a PASS case written without its evidence (evidence.h).
bool Validator::SummaryCase(const json& c, const std::string& where) {
  return NonEmptyString(c, where, "id") &&
         Enum(c, where, "layer", {kLayers[0], kLayers[1], kLayers[2]}, Need::kRequired) &&
         Enum(c, where, "verdict", {"PASS"}, Need::kRequired) &&
         NonNegative(c, where, "duration_ms", Need::kRequired) &&
         Index(c, where, "check_list", "check_lists", Need::kRequired) &&
         Index(c, where, "dimension_set", "dimension_sets", Need::kOptional);
}

bool Validator::Case(const json& c, const std::string& where) {
  if (!c.is_object()) {
    return Fail(ReportError::kWrongType, where,
                "expected an object, got " + std::string(TypeName(c)));
  }
  if (IsSummaryCase(c)) return SummaryCase(c, where);
  if (!NonEmptyString(c, where, "id") || !Strings(c, where, {"title"}, Need::kRequired) ||
      !NonEmptyString(c, where, "family") ||
      !Enum(c, where, "layer", {kLayers[0], kLayers[1], kLayers[2], kLayers[3]}, Need::kRequired) ||
      !StringArray(c, where, "tags") ||
      !Strings(c, where, {"requirement", "source", "requirement_id", "skip_reason", "error"},
               Need::kOptional)) {
    return false;
  }
  const auto verdicts = {kVerdicts[0], kVerdicts[1], kVerdicts[2],
                         kVerdicts[3], kVerdicts[4], kVerdicts[5]};
  if (!Enum(c, where, "verdict", verdicts, Need::kRequired) ||
      !Enum(c, where, "expected_verdict", verdicts, Need::kRequired) ||
      !NonNegative(c, where, "duration_ms", Need::kRequired)) {
    return false;
  }
  bool ok = true;
  Member(c, where, "unexpected", Kind::kBool, Need::kRequired, &ok);
  if (!ok || !Index(c, where, "gitlab_citations", "citation_lists", Need::kOptional)) return false;
  if (const json* dims = Member(c, where, "dimensions", Kind::kObject, Need::kOptional, &ok)) {
    const std::string here = where + "/dimensions";
    for (const auto& [key, value] : dims->items()) {
      if (!value.is_null() && !value.is_string()) {
        return Fail(ReportError::kWrongType, Pointer(here, key),
                    "expected a string or null, got " + std::string(TypeName(value)));
      }
    }
  }
  if (!ok) return false;
  if (const json* baseline = Member(c, where, "baseline", Kind::kObject, Need::kOptional, &ok)) {
    const std::string here = where + "/baseline";
    if (!Strings(*baseline, here, {"reason"}, Need::kRequired)) return false;
    Member(*baseline, here, "stale", Kind::kBool, Need::kOptional, &ok);
  }
  if (!ok) return false;
  const json* checks = Member(c, where, "checks", Kind::kArray, Need::kRequired, &ok);
  if (!ok) return false;
  for (std::size_t i = 0; i < checks->size(); ++i) {
    if (!Check((*checks)[i], Pointer(where + "/checks", i))) return false;
  }
  const json* exchanges = Member(c, where, "exchanges", Kind::kArray, Need::kRequired, &ok);
  if (!ok) return false;
  for (std::size_t i = 0; i < exchanges->size(); ++i) {
    if (!Exchange((*exchanges)[i], Pointer(where + "/exchanges", i))) return false;
  }
  const json* tools = Member(c, where, "tools", Kind::kArray, Need::kOptional, &ok);
  if (!ok) return false;
  for (std::size_t i = 0; tools != nullptr && i < tools->size(); ++i) {
    if (!Tool((*tools)[i], Pointer(where + "/tools", i))) return false;
  }
  return true;
}

bool Validator::Tool(const json& tool, const std::string& where) {
  if (!tool.is_object()) {
    return Fail(ReportError::kWrongType, where,
                "expected an object, got " + std::string(TypeName(tool)));
  }
  bool ok = true;
  Member(tool, where, "exit_code", Kind::kInteger, Need::kOptional, &ok);
  Member(tool, where, "timed_out", Kind::kBool, Need::kOptional, &ok);
  return ok && Strings(tool, where, {"tool"}, Need::kRequired) &&
         StringArray(tool, where, "argv") &&
         Strings(tool, where, {"stdin", "output"}, Need::kOptional) &&
         NonNegative(tool, where, "duration_ms", Need::kOptional);
}

bool Validator::Check(const json& check, const std::string& where) {
  if (!check.is_object()) {
    return Fail(ReportError::kWrongType, where,
                "expected an object, got " + std::string(TypeName(check)));
  }
  return NonEmptyString(check, where, "id") &&
         Enum(check, where, "severity", {"MUST", "SHOULD", "INFO"}, Need::kRequired) &&
         Enum(check, where, "result", {"pass", "fail"}, Need::kRequired) &&
         Strings(check, where, {"expected", "observed", "message"}, Need::kOptional);
}

bool Validator::Exchange(const json& exchange, const std::string& where) {
  if (!exchange.is_object()) {
    return Fail(ReportError::kWrongType, where,
                "expected an object, got " + std::string(TypeName(exchange)));
  }
  bool ok = true;
  if (!Strings(exchange, where, {"step"}, Need::kRequired) ||
      !Strings(exchange, where, {"error"}, Need::kOptional) ||
      !NonNegative(exchange, where, "duration_ms", Need::kOptional)) {
    return false;
  }
  const json* request = Member(exchange, where, "request", Kind::kObject, Need::kRequired, &ok);
  if (!ok) return false;
  const std::string req = where + "/request";
  if (!Strings(*request, req, {"method", "url"}, Need::kRequired) ||
      !Strings(*request, req, {"body"}, Need::kOptional) || !Headers(*request, req)) {
    return false;
  }
  const json* response = Member(exchange, where, "response", Kind::kObject, Need::kOptional, &ok);
  if (!ok) return false;
  if (response == nullptr) return true;
  const std::string resp = where + "/response";
  Member(*response, resp, "status", Kind::kInteger, Need::kRequired, &ok);
  return ok && Strings(*response, resp, {"body"}, Need::kOptional) && Headers(*response, resp);
}

const json& NullJson() {
  static const json kNull;
  return kNull;
}

}  // namespace

std::string_view CodeName(ReportError code) {
  switch (code) {
    case ReportError::kMissingMember:
      return "missing_member";
    case ReportError::kWrongType:
      return "wrong_type";
    case ReportError::kBadValue:
      return "bad_value";
    case ReportError::kUnsupportedSchema:
      return "unsupported_schema";
    case ReportError::kDuplicateCaseId:
      return "duplicate_case_id";
    case ReportError::kBadRunName:
      return "bad_run_name";
    case ReportError::kRunExists:
      return "run_exists";
    case ReportError::kIo:
      return "io";
  }
  return "unknown";
}

std::string ReportFailure::Describe() const {
  return (where.empty() ? std::string("(document)") : where) + ": " + detail + " [" +
         std::string(CodeName(code)) + "]";
}

ReportStatus ValidateResults(const nlohmann::json& results) {
  Validator v;
  if (v.Document(results)) return {};
  return protocol::Unexpected<ReportFailure>(*v.failure());
}

CaseOutcome ClassifyCase(const nlohmann::json& c) {
  const json& baseline = GetMember(c, "baseline");
  const bool has_baseline = baseline.is_object();
  if (has_baseline && GetBool(baseline, "stale")) return CaseOutcome::kStaleBaseline;
  const std::string_view verdict = GetString(c, "verdict");
  const bool unexpected = GetBool(c, "unexpected");
  if (verdict == "FAIL" || verdict == "ERROR") {
    if (!unexpected && has_baseline) return CaseOutcome::kExpectedFailure;
    return verdict == "FAIL" ? CaseOutcome::kFailed : CaseOutcome::kErrored;
  }
  if (unexpected) return CaseOutcome::kUnexpected;
  if (verdict == "PASS") return CaseOutcome::kPassed;
  if (verdict == "SKIP") return CaseOutcome::kSkipped;
  if (verdict == "NON-STRICT" || verdict == "INFORMATIONAL") return CaseOutcome::kPassedWithNotes;
  return CaseOutcome::kErrored;  // an unknown verdict (unvalidated document) is never a pass
}

int CaseCounts::Of(std::string_view verdict) const {
  for (std::size_t i = 0; i < kVerdicts.size(); ++i) {
    if (kVerdicts[i] == verdict) return by_verdict[i];
  }
  return 0;
}

CaseCounts CountCases(const nlohmann::json& results) {
  CaseCounts counts;
  const json& cases = GetMember(results, "cases");
  if (!cases.is_array()) return counts;
  for (const json& c : cases) {
    ++counts.total;
    if (GetBool(c, "unexpected")) ++counts.unexpected;
    if (GetBool(GetMember(c, "baseline"), "stale")) ++counts.stale;
    const std::string_view verdict = GetString(c, "verdict");
    for (std::size_t i = 0; i < kVerdicts.size(); ++i) {
      if (kVerdicts[i] == verdict) ++counts.by_verdict[i];
    }
  }
  return counts;
}

nlohmann::json SummaryOf(const nlohmann::json& cases, int exit_code) {
  auto verdict_counts = [] {
    json out = json::object();
    for (const std::string_view v : kVerdicts) out[std::string(v)] = 0;
    return out;
  };
  json by_verdict = verdict_counts();
  json by_layer = json::object();
  json by_family = json::object();
  json executed_by_layer = json::object();
  json executed_by_family = json::object();
  int total = 0, unexpected = 0, stale = 0;
  for (const json& c : cases.is_array() ? cases : json::array()) {
    ++total;
    const std::string verdict(GetString(c, "verdict"));
    const std::string layer(GetString(c, "layer"));
    const std::string family(CaseFamily(c));
    if (!by_verdict.contains(verdict)) continue;  // an unknown verdict (unvalidated document)
    by_verdict[verdict] = by_verdict[verdict].get<int>() + 1;
    if (!by_layer.contains(layer)) by_layer[layer] = verdict_counts();
    if (!by_family.contains(family)) by_family[family] = verdict_counts();
    by_layer[layer][verdict] = by_layer[layer][verdict].get<int>() + 1;
    by_family[family][verdict] = by_family[family][verdict].get<int>() + 1;
    if (verdict != "SKIP") {
      executed_by_layer[layer] = executed_by_layer.value(layer, 0) + 1;
      executed_by_family[family] = executed_by_family.value(family, 0) + 1;
    }
    if (GetBool(c, "unexpected")) ++unexpected;
    if (GetBool(GetMember(c, "baseline"), "stale")) ++stale;
  }
  json s;
  s["total"] = total;
  s["by_verdict"] = std::move(by_verdict);
  s["by_layer"] = std::move(by_layer);
  s["by_family"] = std::move(by_family);
  s["executed_by_layer"] = std::move(executed_by_layer);
  s["executed_by_family"] = std::move(executed_by_family);
  s["unexpected"] = unexpected;
  s["stale_baseline"] = stale;
  s["exit_code"] = exit_code;
  return s;
}

std::string_view FamilyOf(std::string_view id) {
  const std::size_t first = id.find('/');
  if (first == std::string_view::npos) return id;
  const std::size_t second = id.find('/', first + 1);
  return second == std::string_view::npos ? id : id.substr(0, second);
}

std::string_view CaseFamily(const nlohmann::json& c) {
  const std::string_view family = GetString(c, "family");
  return family.empty() ? FamilyOf(GetString(c, "id")) : family;
}

std::string_view RunError(const nlohmann::json& results) {
  return GetString(GetMember(results, "run"), "error");
}

std::string_view GetString(const nlohmann::json& object, std::string_view key) {
  const json& v = GetMember(object, key);
  return v.is_string() ? std::string_view(v.get_ref<const std::string&>()) : std::string_view();
}

double GetNumber(const nlohmann::json& object, std::string_view key) {
  const json& v = GetMember(object, key);
  return v.is_number() ? v.get<double>() : 0.0;
}

bool GetBool(const nlohmann::json& object, std::string_view key) {
  const json& v = GetMember(object, key);
  return v.is_boolean() && v.get<bool>();
}

const nlohmann::json& GetMember(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return NullJson();
  const auto it = object.find(key);
  return it == object.end() ? NullJson() : *it;
}

}  // namespace regauth::reports
