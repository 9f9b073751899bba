#include "protocol/scope.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace regauth::protocol {
namespace {

bool IsTypeChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsActionChar(char c) { return c >= 'a' && c <= 'z'; }
// Ruby's awk-style String#split (no argument) splits on these.
bool IsRubySpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Field is a piece of the input with its offset, so errors can point into the input.
struct Field {
  std::string_view text;
  std::size_t offset;
};

// GoSplit is Go's strings.Split(s, sep) for a one-byte separator: n separators give n+1 fields,
// empty fields included ("" → [""]).
std::vector<Field> GoSplit(std::string_view s, std::size_t base, char sep) {
  std::vector<Field> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      out.push_back({s.substr(start), base + start});
      return out;
    }
    out.push_back({s.substr(start, at - start), base + start});
    start = at + 1;
  }
}

// RubySplitComma is Ruby's `s.split(',')`: like GoSplit, then trailing empty fields removed
// ("" → [], "a,," → [a], ",a" → ["", a]).
std::vector<Field> RubySplitComma(std::string_view s, std::size_t base) {
  std::vector<Field> out = GoSplit(s, base, ',');
  while (!out.empty() && out.back().text.empty()) out.pop_back();
  return out;
}

Status<ScopeError> CheckActionCount(const std::vector<Field>& actions, const ScopeLimits& limits) {
  if (actions.size() > limits.max_actions) {
    return Fail(ScopeError::kTooManyActions, actions[limits.max_actions].offset,
                "too many actions in one scope");
  }
  return {};
}

std::vector<std::string> Strings(const std::vector<Field>& fields) {
  std::vector<std::string> out;
  out.reserve(fields.size());
  for (const Field& f : fields) out.emplace_back(f.text);
  return out;
}

// ParseType checks `resourcetype := value ['(' value ')']` over s[0, end).
Status<ScopeError> ParseType(std::string_view s, std::size_t end, ResourceScope* out) {
  std::size_t i = 0;
  while (i < end && IsTypeChar(s[i])) ++i;
  if (i == 0) return Fail(ScopeError::kBadType, 0, "resource type must be [a-z0-9]+");
  out->type = std::string(s.substr(0, i));
  if (i == end) return {};
  if (s[i] != '(') return Fail(ScopeError::kBadType, i, "resource type must be [a-z0-9]+");
  const std::size_t class_start = ++i;
  while (i < end && IsTypeChar(s[i])) ++i;
  if (i == class_start || i == end || s[i] != ')') {
    return Fail(ScopeError::kBadClass, i, "resource class must be '(' [a-z0-9]+ ')'");
  }
  out->resource_class = std::string(s.substr(class_start, i - class_start));
  if (i + 1 != end) return Fail(ScopeError::kBadClass, i + 1, "bytes after the resource class");
  return {};
}

Result<ResourceScope, ScopeError> ParseSpec(std::string_view s, const ScopeOptions& options,
                                            NameError* name_error) {
  const std::size_t first = s.find(':');
  const std::size_t last = s.rfind(':');
  if (first == std::string_view::npos || first == last) {
    return Fail(ScopeError::kMissingName, s.size(), "scope needs type ':' name ':' actions");
  }
  ResourceScope out;
  if (auto t = ParseType(s, first, &out); !t) return Fail(t.error());

  const std::string_view name = s.substr(first + 1, last - first - 1);
  auto parsed = ParseRepositoryName(name, options.name);
  if (!parsed) {
    if (name_error != nullptr) *name_error = parsed.error().code;
    return Fail(ScopeError::kBadName, first + 1 + parsed.error().offset, parsed.error().reason);
  }
  out.name = std::string(name);

  const std::vector<Field> actions = GoSplit(s.substr(last + 1), last + 1, ',');
  if (auto c = CheckActionCount(actions, options.limits); !c) return Fail(c.error());
  for (const Field& a : actions) {
    if (a.text.empty()) {
      if (!options.allow_empty_action) {
        return Fail(ScopeError::kEmptyAction, a.offset, "empty action");
      }
      continue;
    }
    if (a.text == "*") {
      if (!options.allow_star_action) {
        return Fail(ScopeError::kStarActionDisabled, a.offset, "'*' action not enabled");
      }
      continue;
    }
    for (std::size_t k = 0; k < a.text.size(); ++k) {
      if (!IsActionChar(a.text[k])) {
        return Fail(ScopeError::kBadAction, a.offset + k, "action must be [a-z]* or '*'");
      }
    }
  }
  out.actions = Strings(actions);
  return out;
}

Result<ResourceScope, ScopeError> ParseGitLab(std::string_view s, const ScopeOptions& options) {
  const std::size_t first = s.find(':');
  const std::size_t second =
      first == std::string_view::npos ? std::string_view::npos : s.find(':', first + 1);
  if (second == std::string_view::npos) {
    return Fail(ScopeError::kGitLabWouldRaise, s.size(),
                "split(':', 3) leaves actions nil; GitLab raises on nil.split");
  }
  const std::vector<Field> actions = RubySplitComma(s.substr(second + 1), second + 1);
  if (auto c = CheckActionCount(actions, options.limits); !c) return Fail(c.error());
  ResourceScope out;
  out.type = std::string(s.substr(0, first));
  out.name = std::string(s.substr(first + 1, second - first - 1));
  out.actions = Strings(actions);
  return out;
}

Result<ResourceScope, ScopeError> ParseGoSplit(std::string_view s, const ScopeOptions& options) {
  const bool docker_auth = options.dialect == ScopeDialect::kDockerAuth;
  const std::vector<Field> parts = GoSplit(s, 0, ':');
  ResourceScope out;
  if (docker_auth) {
    // The first [a-z0-9]+ run anywhere in part 0 (unanchored regex), checked before the count.
    const std::string_view t = parts[0].text;
    std::size_t i = 0;
    while (i < t.size() && !IsTypeChar(t[i])) ++i;
    if (i == t.size()) {
      return Fail(ScopeError::kBadType, 0, "docker_auth: no [a-z0-9] in the resource type");
    }
    std::size_t j = i;
    while (j < t.size() && IsTypeChar(t[j])) ++j;
    out.type = std::string(t.substr(i, j - i));
  } else {
    out.type = std::string(parts[0].text);
  }
  const std::size_t max_parts = docker_auth ? 4 : 3;
  if (parts.size() < 3) {
    return Fail(ScopeError::kMissingName, s.size(), "scope needs type ':' name ':' actions");
  }
  if (parts.size() > max_parts) {
    return Fail(ScopeError::kTooManyColons, parts[max_parts].offset - 1,
                "more ':' than this peer accepts");
  }
  const Field& action_field = parts.back();
  out.name = std::string(s.substr(parts[1].offset, action_field.offset - 1 - parts[1].offset));
  const std::vector<Field> actions = GoSplit(action_field.text, action_field.offset, ',');
  if (auto c = CheckActionCount(actions, options.limits); !c) return Fail(c.error());
  out.actions = Strings(actions);
  if (docker_auth) std::sort(out.actions.begin(), out.actions.end());
  return out;
}

Error<ScopeError> Shift(Error<ScopeError> e, std::size_t by) {
  e.offset += by;
  return e;
}

}  // namespace

std::string_view CodeName(ScopeError code) {
  switch (code) {
    case ScopeError::kEmpty:
      return "empty";
    case ScopeError::kTooLarge:
      return "too_large";
    case ScopeError::kTooManyScopes:
      return "too_many_scopes";
    case ScopeError::kTooManyActions:
      return "too_many_actions";
    case ScopeError::kMissingName:
      return "missing_name";
    case ScopeError::kTooManyColons:
      return "too_many_colons";
    case ScopeError::kBadType:
      return "bad_type";
    case ScopeError::kBadClass:
      return "bad_class";
    case ScopeError::kBadName:
      return "bad_name";
    case ScopeError::kBadAction:
      return "bad_action";
    case ScopeError::kEmptyAction:
      return "empty_action";
    case ScopeError::kStarActionDisabled:
      return "star_action_disabled";
    case ScopeError::kBadSeparator:
      return "bad_separator";
    case ScopeError::kGitLabWouldRaise:
      return "gitlab_would_raise";
  }
  return "unknown";
}

Result<ResourceScope, ScopeError> ParseScope(std::string_view scope, const ScopeOptions& options,
                                             NameError* name_error) {
  if (scope.empty()) return Fail(ScopeError::kEmpty, 0, "empty scope");
  if (scope.size() > options.limits.max_scope_length) {
    return Fail(ScopeError::kTooLarge, options.limits.max_scope_length, "scope too long");
  }
  switch (options.dialect) {
    case ScopeDialect::kSpec:
      return ParseSpec(scope, options, name_error);
    case ScopeDialect::kGitLab:
      return ParseGitLab(scope, options);
    case ScopeDialect::kDockerAuth:
    case ScopeDialect::kContainersImage:
      return ParseGoSplit(scope, options);
  }
  return Fail(ScopeError::kEmpty, 0, "unknown dialect");
}

Result<std::vector<ResourceScope>, ScopeError> ParseScopeList(std::string_view list,
                                                              const ScopeOptions& options,
                                                              NameError* name_error) {
  if (list.size() > options.limits.max_list_length) {
    return Fail(ScopeError::kTooLarge, options.limits.max_list_length, "scope list too long");
  }
  std::vector<Field> entries;
  switch (options.dialect) {
    case ScopeDialect::kSpec:
      if (list.empty()) return Fail(ScopeError::kEmpty, 0, "empty scope list");
      entries = GoSplit(list, 0, ' ');
      break;
    case ScopeDialect::kDockerAuth:
      if (list.empty()) return std::vector<ResourceScope>{};
      entries = GoSplit(list, 0, ' ');
      break;
    case ScopeDialect::kGitLab:
      for (std::size_t i = 0; i < list.size();) {
        if (IsRubySpace(list[i])) {
          ++i;
          continue;
        }
        std::size_t j = i;
        while (j < list.size() && !IsRubySpace(list[j])) ++j;
        entries.push_back({list.substr(i, j - i), i});
        i = j;
      }
      break;
    case ScopeDialect::kContainersImage:
      entries.push_back({list, 0});
      break;
  }
  if (entries.size() > options.limits.max_scopes) {
    return Fail(ScopeError::kTooManyScopes, entries[options.limits.max_scopes].offset,
                "too many scopes in one list");
  }
  std::vector<ResourceScope> out;
  out.reserve(entries.size());
  for (const Field& e : entries) {
    if (e.text.empty() && options.dialect != ScopeDialect::kContainersImage) {
      return Fail(ScopeError::kBadSeparator, e.offset, "scopes are separated by exactly one space");
    }
    auto s = ParseScope(e.text, options, name_error);
    if (!s) return Fail(Shift(s.error(), e.offset));
    out.push_back(std::move(*s));
  }
  return out;
}

std::string SerializeScope(const ResourceScope& scope) {
  std::string out = scope.type;
  if (!scope.resource_class.empty()) out += "(" + scope.resource_class + ")";
  out += ":";
  out += scope.name;
  out += ":";
  for (std::size_t i = 0; i < scope.actions.size(); ++i) {
    if (i > 0) out += ",";
    out += scope.actions[i];
  }
  return out;
}

std::string SerializeScopeList(const std::vector<ResourceScope>& scopes) {
  std::string out;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    if (i > 0) out += " ";
    out += SerializeScope(scopes[i]);
  }
  return out;
}

namespace {

using ResourceKey = std::pair<std::string, std::string>;  // (type, name)

std::map<ResourceKey, std::set<std::string>> AsSet(const std::vector<ResourceScope>& scopes) {
  std::map<ResourceKey, std::set<std::string>> out;
  for (const ResourceScope& s : scopes) {
    auto& actions = out[{s.type, s.name}];
    actions.insert(s.actions.begin(), s.actions.end());
  }
  return out;
}

}  // namespace

bool SameScopeSet(const std::vector<ResourceScope>& a, const std::vector<ResourceScope>& b) {
  return AsSet(a) == AsSet(b);
}

std::vector<ResourceScope> Normalize(const std::vector<ResourceScope>& scopes) {
  std::map<std::tuple<std::string, std::string, std::string>, std::set<std::string>> merged;
  for (const ResourceScope& s : scopes) {
    auto& actions = merged[{s.type, s.resource_class, s.name}];
    actions.insert(s.actions.begin(), s.actions.end());
  }
  std::vector<ResourceScope> out;
  out.reserve(merged.size());
  for (auto& [key, actions] : merged) {
    out.push_back(ResourceScope{std::get<0>(key), std::get<1>(key), std::get<2>(key),
                                std::vector<std::string>(actions.begin(), actions.end())});
  }
  return out;
}

bool Covers(const std::vector<ResourceScope>& granted, std::string_view type, std::string_view name,
            std::string_view action) {
  for (const ResourceScope& s : granted) {
    if (s.type != type || s.name != name) continue;
    for (const std::string& a : s.actions) {
      if (a == action || a == "*") return true;
    }
  }
  return false;
}

}  // namespace regauth::protocol
