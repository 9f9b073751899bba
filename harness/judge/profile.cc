#include "harness/judge/profile.h"

#include <algorithm>
#include <set>
#include <utility>

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

const std::vector<std::string_view> kOutcomes = {"granted", "unauthorized", "forbidden",
                                                 "not_found"};
const std::vector<std::string_view> kMembers = {"token",     "access_token",  "expires_in",
                                                "issued_at", "refresh_token", "scope"};
const std::vector<std::string_view> kFindingCodes = {
    "expires_in_below_minimum", "expires_in_absent",         "tokens_differ", "empty_token_member",
    "only_access_token",        "unrequested_refresh_token", "missing_scope", "missing_expires_in",
    "issued_at_not_rfc3339",    "issued_at_not_utc"};
const std::vector<std::string_view> kSubjectKinds = {"anonymous",
                                                     "password",
                                                     "personal_access_token",
                                                     "project_access_token",
                                                     "group_access_token",
                                                     "oauth_token",
                                                     "deploy_token",
                                                     "group_deploy_token",
                                                     "job_token",
                                                     "job_token_without_user"};

// RegistryKey describes one member of "registry": the types and values it admits.
struct RegistryKey {
  std::string_view name;
  bool integer = false;                  // an integer is allowed
  bool boolean = false;                  // a boolean is allowed
  bool any_string = false;               // any string is allowed
  std::vector<std::string_view> values;  // allowed strings ("unknown" always)
};

const std::vector<RegistryKey>& RegistryKeys() {
  static const std::vector<RegistryKey> kKeys = {
      {"insufficient_scope_status", true, false, false, {}},
      {"missing_token_error", false, false, false, {"absent", "invalid_token"}},
      {"invalid_token_error", false, false, false, {"invalid_token", "absent"}},
      {"bad_signature_error", false, false, false, {"invalid_token", "absent"}},
      {"invalid_token_status", true, false, false, {}},
      {"invalid_token_has_challenge", false, true, false, {}},
      {"invalid_token_error_code", false, false, false, {"UNAUTHORIZED", "UNSUPPORTED"}},
      {"star_wildcard", false, true, false, {}},
      {"push_requires_pull", false, true, false, {}},
      {"aud_array", false, false, false, {"rejected", "accepted"}},
      {"checks_iss", false, true, false, {}},
      {"checks_aud", false, true, false, {}},
      {"leeway_seconds", true, false, false, {}},
      {"max_header_section_bytes", true, false, false, {}},
      {"missing_exp", false, false, false, {"rejected", "accepted"}},
      {"kid_format", false, false, false, {"libtrust", "jwk_thumbprint", "any"}},
      {"algs", false, false, true, {}},
      {"authorization_whitespace",
       false,
       false,
       false,
       {"exactly_one_space", "first_space", "regex"}},
      {"api_version_header", false, false, true, {}},
      {"challenge_quoting", false, false, false, {"go_quoted", "rfc9110"}},
      {"empty_scope_param", false, false, false, {"omitted", "empty_string"}},
      {"delete_requires", false, false, false, {"delete", "push"}},
  };
  return kKeys;
}

Severity SeverityFromName(std::string_view s) {
  if (s == "MUST") return Severity::kMust;
  if (s == "SHOULD") return Severity::kShould;
  return Severity::kInfo;
}

bool ParseShape(DataReader& r, const Json& v, const std::string& ptr, OutcomeShape* out) {
  if (!r.Object(v, ptr,
                {"status", "body", "error_code", "www_authenticate", "http_status_member",
                 "accept_empty_grant"})) {
    return false;
  }
  if (auto it = v.find("status"); it != v.end()) {
    if (it->is_string()) {
      std::string s;
      if (!r.Enum(*it, ptr + "/status", {"unknown"}, &s)) return false;
    } else {
      if (!r.IsArray(*it, ptr + "/status")) return false;
      for (std::size_t i = 0; i < it->size(); ++i) {
        int64_t n = 0;
        if (!r.Int((*it)[i], PointerAppend(ptr + "/status", i), &n)) return false;
        if (n < 100 || n > 599) {
          return r.Fail(LoadErrorCode::kBadValue, PointerAppend(ptr + "/status", i),
                        "expected an HTTP status code (100-599)");
        }
        out->status.push_back(static_cast<int>(n));
      }
    }
  }
  return r.OptionalEnum(v, ptr, "body",
                        {"registry_error", "empty", "text", "json", "any", "unknown"},
                        &out->body) &&
         r.OptionalString(v, ptr, "error_code", &out->error_code) &&
         r.OptionalEnum(v, ptr, "www_authenticate", {"absent", "basic", "bearer", "any", "unknown"},
                        &out->www_authenticate) &&
         r.OptionalBool(v, ptr, "http_status_member", &out->http_status_member) &&
         r.OptionalBool(v, ptr, "accept_empty_grant", &out->accept_empty_grant);
}

bool ParseTokenEndpoint(DataReader& r, const Json& v, Profile* p) {
  const std::string ptr = "/token_endpoint";
  if (!r.Object(v, ptr,
                {"post", "outcomes", "denied_resources", "members", "accepted_findings",
                 "offline_token", "account_mismatch"}) ||
      !r.OptionalEnum(v, ptr, "post", {"not_found", "oauth2", "unknown"}, &p->post) ||
      !r.OptionalEnum(v, ptr, "denied_resources", {"omitted", "empty_actions", "either", "unknown"},
                      &p->denied_resources) ||
      !r.OptionalEnum(v, ptr, "offline_token", {"ignored", "refresh_token", "unknown"},
                      &p->offline_token) ||
      !r.OptionalEnum(v, ptr, "account_mismatch", {"ignored", "bad_request", "unknown"},
                      &p->account_mismatch)) {
    return false;
  }
  if (auto it = v.find("outcomes"); it != v.end()) {
    if (!r.IsObject(*it, ptr + "/outcomes")) return false;
    for (const auto& [name, shape] : it->items()) {
      if (name.starts_with("$")) continue;
      const std::string optr = PointerAppend(ptr + "/outcomes", name);
      if (std::find(kOutcomes.begin(), kOutcomes.end(), name) == kOutcomes.end()) {
        return r.Fail(LoadErrorCode::kUnknownMember, optr,
                      "unknown outcome; expected one of " + JoinNames(kOutcomes));
      }
      OutcomeShape s;
      if (!ParseShape(r, shape, optr, &s)) return false;
      p->outcomes[name] = std::move(s);
    }
  }
  if (auto it = v.find("members"); it != v.end()) {
    if (!r.IsObject(*it, ptr + "/members")) return false;
    for (const auto& [name, value] : it->items()) {
      if (name.starts_with("$")) continue;
      const std::string mptr = PointerAppend(ptr + "/members", name);
      if (std::find(kMembers.begin(), kMembers.end(), name) == kMembers.end()) {
        return r.Fail(LoadErrorCode::kUnknownMember, mptr,
                      "unknown response member; expected one of " + JoinNames(kMembers));
      }
      std::string s;
      if (!r.Enum(value, mptr, {"required", "absent", "optional", "unknown"}, &s)) return false;
      p->members[name] = s;
    }
  }
  if (auto it = v.find("accepted_findings"); it != v.end()) {
    if (!r.IsArray(*it, ptr + "/accepted_findings")) return false;
    for (std::size_t i = 0; i < it->size(); ++i) {
      std::string s;
      if (!r.Enum((*it)[i], PointerAppend(ptr + "/accepted_findings", i), kFindingCodes, &s)) {
        return false;
      }
      p->accepted_findings.push_back(std::move(s));
    }
  }
  return true;
}

bool ParseToken(DataReader& r, const Json& v, Profile* p) {
  const std::string ptr = "/token";
  if (!r.Object(v, ptr,
                {"alg", "typ", "kid_format", "nbf_minus_iat", "lifetime", "aud", "sub", "auth_type",
                 "meta", "access_order", "jti", "user_info"}) ||
      !r.OptionalEnum(v, ptr, "typ", {"JWT", "absent", "any", "unknown"}, &p->typ) ||
      !r.OptionalEnum(v, ptr, "kid_format", {"libtrust", "jwk_thumbprint", "any", "unknown"},
                      &p->kid_format) ||
      !r.OptionalEnum(v, ptr, "aud", {"string", "array", "either", "unknown"}, &p->aud_form) ||
      !r.OptionalEnum(v, ptr, "meta", {"gitlab", "absent", "any", "unknown"}, &p->meta) ||
      !r.OptionalEnum(v, ptr, "access_order", {"request_order", "any", "unknown"},
                      &p->access_order) ||
      !r.OptionalEnum(v, ptr, "jti", {"required", "optional", "unknown"}, &p->jti) ||
      !r.OptionalEnum(v, ptr, "user_info", {"gitlab", "any", "unknown"}, &p->user_info)) {
    return false;
  }
  if (auto it = v.find("alg"); it != v.end()) {
    if (it->is_string()) {
      std::string s;
      if (!r.Enum(*it, ptr + "/alg", {"unknown"}, &s)) return false;
    } else if (!r.StringList(*it, ptr + "/alg", &p->algs)) {
      return false;
    }
  }
  if (auto it = v.find("nbf_minus_iat"); it != v.end()) {
    const std::string nptr = ptr + "/nbf_minus_iat";
    if (it->is_string()) {
      std::string s;
      if (!r.Enum(*it, nptr, {"unknown"}, &s)) return false;
    } else {
      int64_t lo = 0, hi = 0;
      if (!r.Object(*it, nptr, {"min", "max"}) || !r.OptionalInt(*it, nptr, "min", &lo) ||
          !r.OptionalInt(*it, nptr, "max", &hi)) {
        return false;
      }
      if (!it->contains("min") || !it->contains("max") || lo > hi) {
        return r.Fail(LoadErrorCode::kBadValue, nptr, "expected {\"min\": a, \"max\": b}, a <= b");
      }
      p->nbf_offset_min = lo;
      p->nbf_offset_max = hi;
    }
  }
  if (auto it = v.find("lifetime"); it != v.end()) {
    const std::string lptr = ptr + "/lifetime";
    if (it->is_string()) {
      if (!r.Enum(*it, lptr, {"delay", "unknown"}, &p->lifetime)) return false;
    } else {
      if (!r.Object(*it, lptr, {"min", "max"}) ||
          !r.OptionalInt(*it, lptr, "min", &p->lifetime_min) ||
          !r.OptionalInt(*it, lptr, "max", &p->lifetime_max)) {
        return false;
      }
      if (!it->contains("min") || !it->contains("max") || p->lifetime_min > p->lifetime_max) {
        return r.Fail(LoadErrorCode::kBadValue, lptr, "expected {\"min\": a, \"max\": b}, a <= b");
      }
      p->lifetime = "range";
    }
  }
  if (auto it = v.find("sub"); it != v.end()) {
    const std::string sptr = ptr + "/sub";
    if (!r.Object(*it, sptr, {"anonymous", "deploy_token", "job_token_without_user"}) ||
        !r.OptionalEnum(*it, sptr, "anonymous", {"absent", "empty", "any", "unknown"},
                        &p->sub_anonymous) ||
        !r.OptionalEnum(*it, sptr, "deploy_token", {"absent", "username", "any", "unknown"},
                        &p->sub_deploy_token) ||
        !r.OptionalEnum(*it, sptr, "job_token_without_user", {"absent", "any", "unknown"},
                        &p->sub_job_without_user)) {
      return false;
    }
  }
  if (auto it = v.find("auth_type"); it != v.end()) {
    const std::string aptr = ptr + "/auth_type";
    if (it->is_string()) {
      if (!r.Enum(*it, aptr, {"absent", "any", "unknown"}, &p->auth_type_mode)) return false;
    } else {
      if (!r.IsObject(*it, aptr)) return false;
      for (const auto& [kind, value] : it->items()) {
        if (kind.starts_with("$")) continue;
        const std::string kptr = PointerAppend(aptr, kind);
        if (std::find(kSubjectKinds.begin(), kSubjectKinds.end(), kind) == kSubjectKinds.end()) {
          return r.Fail(LoadErrorCode::kUnknownMember, kptr,
                        "unknown subject kind; expected one of " + JoinNames(kSubjectKinds));
        }
        std::string s;
        if (!r.String(value, kptr, &s)) return false;
        p->auth_type[kind] = s;
      }
      p->auth_type_mode = "expected";
    }
  }
  return true;
}

bool ParseRegistry(DataReader& r, const Json& v, Profile* p) {
  const std::string ptr = "/registry";
  if (!r.IsObject(v, ptr)) return false;
  for (const auto& [name, value] : v.items()) {
    if (name.starts_with("$")) continue;
    const std::string kptr = PointerAppend(ptr, name);
    const auto& keys = RegistryKeys();
    auto key = std::find_if(keys.begin(), keys.end(),
                            [&](const RegistryKey& k) { return k.name == name; });
    if (key == keys.end()) {
      std::vector<std::string_view> names;
      for (const auto& k : keys) names.push_back(k.name);
      return r.Fail(LoadErrorCode::kUnknownMember, kptr,
                    "unknown registry behaviour; expected one of " + JoinNames(names));
    }
    if (value.is_string()) {
      const auto& s = value.get_ref<const std::string&>();
      if (s == kUnknown || key->any_string) continue;
      if (std::find(key->values.begin(), key->values.end(), s) == key->values.end()) {
        std::vector<std::string_view> allowed = key->values;
        allowed.push_back(kUnknown);
        return r.Fail(LoadErrorCode::kBadEnumValue, kptr, "expected one of " + JoinNames(allowed));
      }
      continue;
    }
    if (key->integer && value.is_number_integer()) continue;
    if (key->boolean && value.is_boolean()) continue;
    if (key->any_string && value.is_array()) {
      std::vector<std::string> list;
      if (!r.StringList(value, kptr, &list)) return false;
      continue;
    }
    return r.Fail(LoadErrorCode::kWrongType, kptr,
                  std::string("wrong type ") + std::string(JsonTypeName(value)) +
                      (key->integer   ? "; expected an integer or \"unknown\""
                       : key->boolean ? "; expected a boolean or \"unknown\""
                                      : "; expected a string"));
  }
  p->registry = v;
  return true;
}

const OutcomeShape& UnknownShape() {
  static const OutcomeShape kShape;
  return kShape;
}

}  // namespace

const OutcomeShape& Profile::OutcomeShapeOf(std::string_view outcome) const {
  auto it = outcomes.find(std::string(outcome));
  return it == outcomes.end() ? UnknownShape() : it->second;
}

const nlohmann::json* Profile::LookupJson(std::string_view dotted_key) const {
  const Json* cur = &raw;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted_key.find('.', start);
    const std::string part(dotted_key.substr(start, dot - start));
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
}

std::optional<std::string> Profile::Lookup(std::string_view dotted_key) const {
  const Json* v = LookupJson(dotted_key);
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
  return v->dump();
}

std::optional<Severity> Profile::SeverityFor(std::string_view check_id) const {
  if (auto it = severity.find(std::string(check_id)); it != severity.end()) return it->second;
  std::optional<Severity> best;
  std::size_t best_len = 0;
  for (const auto& [pattern, sev] : severity) {
    if (!pattern.ends_with(".*")) continue;
    const std::string_view prefix(pattern.data(), pattern.size() - 1);  // keeps the '.'
    if (check_id.starts_with(prefix) && prefix.size() > best_len) {
      best = sev;
      best_len = prefix.size();
    }
  }
  return best;
}

nlohmann::json MergeJson(const nlohmann::json& base, const nlohmann::json& child) {
  if (!base.is_object() || !child.is_object()) return child;
  Json out = base;
  for (const auto& [k, v] : child.items()) {
    auto it = out.find(k);
    out[k] = it == out.end() ? v : MergeJson(*it, v);
  }
  return out;
}

LoadResult<Profile> ParseProfile(const nlohmann::json& doc, const std::string& file) {
  DataReader r(file);
  auto fail = [&]() { return protocol::Unexpected<LoadError>(r.error()); };
  Profile p;
  p.file = file;
  std::string extends;
  if (!r.Object(doc, "",
                {"name", "description", "extends", "sources", "token_endpoint", "token", "registry",
                 "severity"}) ||
      !r.RequiredString(doc, "", "name", &p.name) ||
      !r.OptionalString(doc, "", "description", &p.description) ||
      !r.OptionalString(doc, "", "extends", &extends)) {
    return fail();
  }
  if (auto it = doc.find("sources"); it != doc.end()) {
    std::vector<std::string> sources;
    if (!r.StringList(*it, "/sources", &sources)) return fail();
  }
  if (auto it = doc.find("token_endpoint"); it != doc.end() && !ParseTokenEndpoint(r, *it, &p)) {
    return fail();
  }
  if (auto it = doc.find("token"); it != doc.end() && !ParseToken(r, *it, &p)) return fail();
  if (auto it = doc.find("registry"); it != doc.end() && !ParseRegistry(r, *it, &p)) {
    return fail();
  }
  if (auto it = doc.find("severity"); it != doc.end()) {
    if (!r.IsObject(*it, "/severity")) return fail();
    for (const auto& [check, value] : it->items()) {
      if (check.starts_with("$")) continue;
      std::string s;
      if (!r.Enum(value, PointerAppend("/severity", check), {"MUST", "SHOULD", "INFO"}, &s)) {
        return fail();
      }
      if (check.find('*') != std::string::npos &&
          !(check.ends_with(".*") && check.find('*') == check.size() - 1)) {
        return MakeLoadError(LoadErrorCode::kBadValue, file, PointerAppend("/severity", check),
                             "a pattern may only end in \".*\"");
      }
      p.severity[check] = SeverityFromName(s);
    }
  }
  p.raw = doc;
  return p;
}

LoadResult<Profile> LoadProfileFile(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return protocol::Unexpected<LoadError>(text.error());
  auto doc = ParseDataFile(*text, path);
  if (!doc) return protocol::Unexpected<LoadError>(doc.error());
  if (doc->contains("extends")) {
    return MakeLoadError(LoadErrorCode::kBadValue, path, "/extends",
                         "a profile with a base is loaded with its directory (LoadProfileDir)");
  }
  return ParseProfile(*doc, path);
}

LoadResult<std::vector<Profile>> LoadProfileDir(const std::string& dir) {
  auto files = ListJsonFiles(dir);
  if (!files) return protocol::Unexpected<LoadError>(files.error());
  struct Raw {
    std::string file;
    std::string name;
    Json doc;
  };
  std::vector<Raw> raws;
  for (const auto& f : *files) {
    auto text = ReadTextFile(f);
    if (!text) return protocol::Unexpected<LoadError>(text.error());
    auto doc = ParseDataFile(*text, f);
    if (!doc) return protocol::Unexpected<LoadError>(doc.error());
    auto name = doc->find("name");
    if (name == doc->end() || !name->is_string()) {
      return MakeLoadError(LoadErrorCode::kMissingMember, f, "/name",
                           "required member is missing or not a string");
    }
    for (const auto& other : raws) {
      if (other.name == name->get<std::string>()) {
        return MakeLoadError(LoadErrorCode::kDuplicate, f, "/name",
                             "profile name also used by " + other.file);
      }
    }
    raws.push_back({f, name->get<std::string>(), std::move(*doc)});
  }
  std::vector<Profile> out;
  for (const auto& raw : raws) {
    Json merged = raw.doc;
    std::set<std::string> seen = {raw.name};
    const Raw* cur = &raw;
    while (cur->doc.contains("extends")) {
      const auto& ext = cur->doc["extends"];
      if (!ext.is_string()) {
        return MakeLoadError(LoadErrorCode::kWrongType, cur->file, "/extends",
                             "expected a profile name");
      }
      const std::string base_name = ext.get<std::string>();
      auto base =
          std::find_if(raws.begin(), raws.end(), [&](const Raw& x) { return x.name == base_name; });
      if (base == raws.end()) {
        return MakeLoadError(LoadErrorCode::kUnknownName, cur->file, "/extends",
                             "no profile called '" + base_name + "' in " + dir);
      }
      if (!seen.insert(base_name).second) {
        return MakeLoadError(LoadErrorCode::kBadValue, cur->file, "/extends",
                             "profiles extend each other in a cycle");
      }
      Json base_doc = base->doc;
      base_doc.erase("extends");
      base_doc.erase("name");
      base_doc.erase("description");
      merged = MergeJson(base_doc, merged);
      cur = &*base;
    }
    auto p = ParseProfile(merged, raw.file);
    if (!p) return protocol::Unexpected<LoadError>(p.error());
    out.push_back(std::move(*p));
  }
  return out;
}

const Profile* FindProfile(const std::vector<Profile>& profiles, std::string_view name) {
  for (const auto& p : profiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace regauth::harness
