#include "harness/suite/provenance.h"

#include <cstdint>
#include <string_view>
#include <utility>

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

// IsSpecPath: spec/<segments>.rb, each segment of [A-Za-z0-9_.-], none empty, "." or "..".
bool IsSpecPath(std::string_view p) {
  if (!p.starts_with("spec/") || !p.ends_with(".rb") || p.size() > 300) return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    std::string_view seg = p.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    for (char ch : seg) {
      const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace

std::optional<std::string> CheckGitLabSpecShape(const GitLabSpecCitation& c) {
  if (!IsSpecPath(c.file)) {
    return "file \"" + c.file + "\" is not a .rb file under spec/ of GitLab's tree";
  }
  if (c.line < 1) return "line must be 1 or more (the line of the innermost context)";
  if (c.context.empty()) return "context must name the RSpec describe/context chain";
  return std::nullopt;
}

std::optional<std::string> CheckGitLabSpec(const GitLabSpecCitation& c,
                                           const std::map<std::string, GitLabSource>& copies) {
  if (auto why = CheckGitLabSpecShape(c)) return why;
  if (copies.find(c.copy) == copies.end()) {
    return "copy \"" + c.copy + "\" is not a key of gitlab_copies";
  }
  return std::nullopt;
}

std::optional<std::string> ResolveGitLabSpecs(const std::map<std::string, GitLabSource>& copies,
                                              std::vector<GitLabSpecCitation>* specs) {
  for (std::size_t i = 0; i < specs->size(); ++i) {
    GitLabSpecCitation& s = (*specs)[i];
    if (auto why = CheckGitLabSpec(s, copies)) {
      return "gitlab_spec/" + std::to_string(i) + ": " + *why;
    }
    const GitLabSource& copy = copies.at(s.copy);
    s.repo = copy.repo;
    s.commit = copy.commit;
    s.version = copy.version;
  }
  return std::nullopt;
}

bool ParseGitLabSpecs(DataReader& r, const Json& v, const std::string& ptr,
                      std::vector<GitLabSpecCitation>* out) {
  auto it = v.find("gitlab_spec");
  if (it == v.end()) return true;
  const std::string list_ptr = PointerAppend(ptr, "gitlab_spec");
  if (!r.IsArray(*it, list_ptr)) return false;
  if (it->empty()) {
    return r.Fail(LoadErrorCode::kBadValue, list_ptr, "expected at least one RSpec context");
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const std::string p = list_ptr + "/" + std::to_string(i);
    const Json& e = (*it)[i];
    GitLabSpecCitation c;
    int64_t line = 0;
    if (!r.Object(e, p, {"copy", "file", "context", "line"}) ||
        !r.RequiredString(e, p, "copy", &c.copy) || !r.RequiredString(e, p, "file", &c.file) ||
        !r.RequiredString(e, p, "context", &c.context)) {
      return false;
    }
    auto l = e.find("line");
    if (l == e.end()) {
      return r.Fail(LoadErrorCode::kMissingMember, PointerAppend(p, "line"),
                    "required member is missing");
    }
    if (!r.Int(*l, PointerAppend(p, "line"), &line)) return false;
    if (line < 1 || line > 1000000) {
      return r.Fail(LoadErrorCode::kBadValue, PointerAppend(p, "line"),
                    "expected the line of the context: 1 to 1000000");
    }
    c.line = static_cast<int>(line);
    if (auto why = CheckGitLabSpecShape(c)) {
      return r.Fail(LoadErrorCode::kBadValue, PointerAppend(p, "file"), *why);
    }
    out->push_back(std::move(c));
  }
  return true;
}

}  // namespace regauth::harness
