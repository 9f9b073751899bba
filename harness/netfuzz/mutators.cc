#include "harness/netfuzz/mutators.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "protocol/ascii.h"
#include "protocol/base64.h"

namespace regauth::harness::netfuzz {
namespace {

using Json = nlohmann::json;

const std::vector<std::string> kAuthEdits = {
    "scheme_upper",         "scheme_lower",      "double_space", "tab_separator",
    "trailing_space",       "no_separator",      "scheme_only",  "swap_scheme",
    "drop_padding",         "extra_padding",     "url_alphabet", "invalid_base64_char",
    "truncate_credentials", "non_canonical_bits"};

const std::vector<std::string> kBasic = {
    "basic_no_colon",      "basic_nul_user",       "basic_utf8_user",
    "basic_64k_password",  "basic_empty_user",     "basic_empty_password",
    "basic_colon_in_user", "basic_other_username", "basic_upper_username",
    "anonymous",           "dup_authorization"};

const std::vector<std::string> kScope = {
    "scope_extra_colon", "scope_comma",   "scope_space_joined",  "scope_newline",
    "scope_dotdot",      "scope_upper",   "scope_port",          "scope_repeat_10000",
    "scope_plugin",      "scope_star",    "scope_other_project", "scope_catalog",
    "scope_drop",        "service_other", "service_drop",        "service_upper",
    "account_other",     "account_self",  "dup_scope_param",     "dup_service_param"};

const std::vector<std::string> kJwt = {"alg_none",
                                       "alg_none_signed",
                                       "alg_hs256_public_pem",
                                       "alg_es256",
                                       "alg_ps256",
                                       "alg_wrong_case",
                                       "kid_unknown",
                                       "kid_traversal",
                                       "kid_empty",
                                       "kid_drop",
                                       "jku_inject",
                                       "x5c_garbage",
                                       "jwk_inject",
                                       "jwk_inject_no_kid",
                                       "aud_wrong",
                                       "aud_array",
                                       "aud_drop",
                                       "iss_wrong",
                                       "iss_drop",
                                       "exp_past",
                                       "exp_drop",
                                       "exp_string",
                                       "nbf_future",
                                       "iat_future",
                                       "access_drop_pull",
                                       "access_drop_push",
                                       "access_drop_delete",
                                       "access_other_repo",
                                       "access_upper_name",
                                       "access_wildcard_name",
                                       "dup_header_alg_none_last",
                                       "dup_header_alg_none_first",
                                       "dup_claims_aud",
                                       "sig_empty",
                                       "sig_strip",
                                       "sig_flip",
                                       "sig_zero",
                                       "encoding_padded"};

const std::vector<std::string> kTokenEdits = {"widen_under_old_signature",
                                              "extra_segment",
                                              "bad_base64_char",
                                              "truncate_signature",
                                              "only_dots",
                                              "empty_token",
                                              "huge_token",
                                              "huge_token_1m"};

const std::vector<std::string> kRequestLevel = {
    "method_head", "method_delete",           "method_post", "method_patch", "repo_swap",
    "dup_query_n", "bearer_dup_authorization"};

const std::vector<std::string> kRaw = {"bare_lf",
                                       "cl_te",
                                       "two_content_lengths",
                                       "chunk_size_overflow",
                                       "obs_fold",
                                       "hundred_headers",
                                       "leading_crlf",
                                       "lowercase_method",
                                       "double_space_request_line",
                                       "http_version_2_0",
                                       "missing_version",
                                       "absolute_form",
                                       "space_before_colon",
                                       "nul_in_header",
                                       "no_host",
                                       "two_hosts",
                                       "huge_header",
                                       "control_in_target"};

// kMaxRequestBytes bounds a mutated request: big enough for a 1 MiB token (past Go's 1 MiB
// header limit) and a 10,000-fold scope, small enough that stacking them stays cheap.
constexpr std::size_t kMaxRequestBytes = 2u << 20;

std::size_t ApproximateSize(const FuzzRequest& r) {
  std::size_t n = r.path.size() + r.raw_query.size() + r.body.size() + r.basic_user.size() +
                  r.basic_password.size() + r.issued_token.size();
  for (const auto& [k, v] : r.query) n += k.size() + v.size();
  for (const auto& [k, v] : r.headers) n += k.size() + v.size();
  for (const std::string& e : r.token_edits) n += e.size();
  if (r.auth_override) n += r.auth_override->size();
  return n;
}

bool In(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

template <typename T>
const T& Pick(const std::vector<T>& v, uint64_t arg) {
  return v[arg % v.size()];
}

std::string Upper(std::string_view s) { return protocol::AsciiUpper(s); }

// Scope edits work on the first `scope` query parameter.
std::string* FirstParam(FuzzRequest& r, std::string_view name) {
  for (auto& [k, v] : r.query) {
    if (k == name) return &v;
  }
  return nullptr;
}

// SplitScope splits "type:name:actions" at the first and last ':'.
bool SplitScope(const std::string& s, std::string& type, std::string& name, std::string& actions) {
  const auto a = s.find(':');
  const auto b = s.rfind(':');
  if (a == std::string::npos || b == a) return false;
  type = s.substr(0, a);
  name = s.substr(a + 1, b - a - 1);
  actions = s.substr(b + 1);
  return true;
}

bool ApplyScope(std::string_view n, uint64_t arg, const MutationEnv& env, FuzzRequest& r) {
  if (n == "service_other" || n == "service_drop" || n == "service_upper" ||
      n == "dup_service_param") {
    std::string* service = FirstParam(r, "service");
    if (service == nullptr) return false;
    if (n == "service_other") *service = "not-" + *service;
    if (n == "service_upper") *service = Upper(*service);
    if (n == "dup_service_param") r.query.insert(r.query.begin(), {"service", "not-" + *service});
    if (n == "service_drop") {
      std::erase_if(r.query, [](const auto& p) { return p.first == "service"; });
    }
    return true;
  }
  if (n == "account_other") {
    if (env.usernames.empty()) return false;
    r.query.emplace_back("account", Pick(env.usernames, arg));
    return true;
  }
  if (n == "account_self") {
    if (r.auth != AuthKind::kBasic) return false;
    r.query.emplace_back("account", r.basic_user);
    return true;
  }
  if (n == "scope_catalog") {
    r.query.emplace_back("scope", "registry:catalog:*");
    return true;
  }
  std::string* scope = FirstParam(r, "scope");
  if (scope == nullptr) return false;
  std::string type, name, actions;
  if (!SplitScope(*scope, type, name, actions)) return false;
  const std::string other = env.projects.empty() ? name : Pick(env.projects, arg);
  if (n == "scope_extra_colon") *scope = type + ":" + name + ":" + actions + ":push";
  if (n == "scope_comma") *scope = type + ":" + name + ":" + actions + ",push,delete,*";
  if (n == "scope_space_joined") *scope += " repository:" + other + ":pull,push";
  if (n == "scope_newline") *scope += "\nrepository:" + other + ":push,delete";
  if (n == "scope_dotdot") *scope = type + ":" + name + "/../" + other + ":" + actions;
  if (n == "scope_upper") *scope = type + ":" + Upper(name) + ":" + actions;
  if (n == "scope_port") *scope = type + ":localhost:5000/" + name + ":" + actions;
  if (n == "scope_plugin") *scope = type + "(plugin):" + name + ":" + actions;
  if (n == "scope_star") *scope = type + ":" + name + ":*";
  if (n == "scope_other_project") *scope = type + ":" + other + ":" + actions;
  if (n == "scope_repeat_10000") {
    if (scope->size() > 256) return false;  // 10,000 copies of a long scope: past any bound
    std::string repeated;
    repeated.reserve(scope->size() * 10000 + 10000);
    for (int i = 0; i < 10000; ++i) {
      if (i != 0) repeated.push_back(' ');
      repeated += *scope;
    }
    *scope = std::move(repeated);
  }
  if (n == "scope_drop") {
    std::erase_if(r.query, [](const auto& p) { return p.first == "scope"; });
  }
  if (n == "dup_scope_param") r.query.emplace_back("scope", "repository:" + other + ":pull,push");
  return true;
}

bool ApplyBasic(std::string_view n, uint64_t arg, const MutationEnv& env, FuzzRequest& r) {
  if (n == "anonymous") {
    if (r.auth == AuthKind::kNone) return false;
    r.auth = AuthKind::kNone;
    return true;
  }
  if (n == "dup_authorization") {
    if (env.other_basic.empty()) return false;
    const auto& [u, p] = Pick(env.other_basic, arg);
    FuzzRequest other;
    other.auth = AuthKind::kBasic;
    other.basic_user = u;
    other.basic_password = p;
    auto rendered = Render(other, {});
    if (!rendered) return false;
    r.extra_authorization = rendered->authorization;
    return true;
  }
  if (r.auth != AuthKind::kBasic) return false;
  if (n == "basic_no_colon") {
    // RFC 7617 requires the ':'; this is base64(user ‖ password) without it.
    r.auth_override = "Basic " + protocol::Base64Encode(r.basic_user + r.basic_password);
    return true;
  }
  if (n == "basic_nul_user") r.basic_user.push_back('\0');
  if (n == "basic_utf8_user") r.basic_user = "\xc3\xbc" + r.basic_user;
  if (n == "basic_64k_password") r.basic_password += std::string(64 * 1024, 'a');
  if (n == "basic_empty_user") r.basic_user.clear();
  if (n == "basic_empty_password") r.basic_password.clear();
  if (n == "basic_colon_in_user") r.basic_user += ":x";
  if (n == "basic_upper_username") r.basic_user = Upper(r.basic_user);
  if (n == "basic_other_username") {
    if (env.usernames.empty()) return false;
    r.basic_user = Pick(env.usernames, arg);
  }
  return true;
}

// Forged-token edits: header and claims are the forge_token step's objects.
Json& Header(FuzzRequest& r) {
  if (!r.forge.header) r.forge.header = Json::object();
  return *r.forge.header;
}
Json& Claims(FuzzRequest& r) {
  if (!r.forge.claims) r.forge.claims = Json::object();
  return *r.forge.claims;
}

void EditActions(FuzzRequest& r, std::string_view drop) {
  Json& access = Claims(r)["access"];
  if (!access.is_array()) return;
  for (Json& a : access) {
    if (!a.contains("actions") || !a["actions"].is_array()) continue;
    Json kept = Json::array();
    for (const Json& act : a["actions"]) {
      if (!(act.is_string() && act.get<std::string>() == drop)) kept.push_back(act);
    }
    a["actions"] = kept;
  }
}

void EditNames(FuzzRequest& r, const std::function<std::string(const std::string&)>& f) {
  Json& access = Claims(r)["access"];
  if (!access.is_array()) return;
  for (Json& a : access) {
    if (a.contains("name") && a["name"].is_string() && a.value("type", "") == "repository") {
      a["name"] = f(a["name"].get<std::string>());
    }
  }
}

bool ApplyJwt(std::string_view n, const MutationEnv& env, FuzzRequest& r) {
  if (r.auth != AuthKind::kForged || r.forge.header_text || r.forge.claims_text) return false;
  Json& h = Header(r);
  Json& c = Claims(r);
  if (n == "alg_none") {
    h["alg"] = "none";
    r.forge.sign_with = "none";
    r.forge.signature = "empty";
  }
  if (n == "alg_none_signed") h["alg"] = "none";
  if (n == "alg_hs256_public_pem") {
    h["alg"] = "HS256";
    r.forge.sign_with = "hmac_with_public_pem";
  }
  if (n == "alg_es256") h["alg"] = "ES256";
  if (n == "alg_ps256") h["alg"] = "PS256";
  if (n == "alg_wrong_case") h["alg"] = "rs256";
  if (n == "kid_unknown") h["kid"] = "AAAA:BBBB:CCCC:DDDD:EEEE:FFFF:GGGG:HHHH:IIII:JJJJ:KKKK:LLLL";
  if (n == "kid_traversal") h["kid"] = "../../../../dev/null";
  if (n == "kid_empty") h["kid"] = "";
  if (n == "kid_drop") h.erase("kid");
  if (n == "jku_inject") h["jku"] = "http://127.0.0.1:1/jwks.json";
  if (n == "x5c_garbage") h["x5c"] = Json::array({"AAAA", "MIIB"});
  if (n == "jwk_inject" || n == "jwk_inject_no_kid") {
    h["jwk"] = "${attacker_jwk}";
    if (n == "jwk_inject_no_kid") h.erase("kid");
    r.forge.sign_with = "attacker_key";
  }
  if (n == "aud_wrong") c["aud"] = "not-" + env.service;
  if (n == "aud_array") c["aud"] = Json::array({env.service});
  if (n == "aud_drop") c.erase("aud");
  if (n == "iss_wrong") c["iss"] = "not-" + env.issuer;
  if (n == "iss_drop") c.erase("iss");
  if (n == "exp_past") {
    c["exp"] = "${now-3600}";
    c["iat"] = "${now-3900}";
    c["nbf"] = "${now-3900}";
  }
  if (n == "exp_drop") c.erase("exp");
  if (n == "exp_string") c["exp"] = "4102444800";
  if (n == "nbf_future") c["nbf"] = "${now+3600}";
  if (n == "iat_future") c["iat"] = "${now+3600}";
  if (n == "access_drop_pull") EditActions(r, "pull");
  if (n == "access_drop_push") EditActions(r, "push");
  if (n == "access_drop_delete") EditActions(r, "delete");
  if (n == "access_other_repo") {
    EditNames(r, [&](const std::string& s) { return s == env.repo_a ? env.repo_b : env.repo_a; });
  }
  if (n == "access_upper_name") EditNames(r, [](const std::string& s) { return Upper(s); });
  if (n == "access_wildcard_name") EditNames(r, [](const std::string&) { return "*"; });
  if (n == "dup_header_alg_none_last" || n == "dup_header_alg_none_first") {
    // Duplicate members need verbatim text; the other members keep their JSON form.
    Json rest = h;
    rest.erase("alg");
    std::string inner = rest.dump();
    inner = inner.size() > 2 ? inner.substr(1, inner.size() - 2) + "," : "";
    const std::string alg = h.value("alg", "RS256");
    r.forge.header_text = n == "dup_header_alg_none_last"
                              ? "{\"alg\":\"" + alg + "\"," + inner + "\"alg\":\"none\"}"
                              : "{\"alg\":\"none\"," + inner + "\"alg\":\"" + alg + "\"}";
    r.forge.header.reset();
  }
  if (n == "dup_claims_aud") {
    Json rest = c;
    rest.erase("aud");
    std::string inner = rest.dump();
    inner = inner.size() > 2 ? inner.substr(1, inner.size() - 2) : "";
    r.forge.claims_text =
        "{\"aud\":\"not-" + env.service + "\"," + inner + ",\"aud\":\"" + env.service + "\"}";
    r.forge.claims.reset();
  }
  if (n == "sig_empty") r.forge.signature = "empty";
  if (n == "sig_strip") r.forge.signature = "strip_segment";
  if (n == "sig_flip") r.forge.signature = "flip_bit";
  if (n == "sig_zero") r.forge.signature = "zero_rs";
  if (n == "encoding_padded") r.forge.encoding = "padded";
  return true;
}

bool ApplyTokenEdit(std::string_view n, const MutationEnv& env, FuzzRequest& r) {
  if (r.auth != AuthKind::kIssued && r.auth != AuthKind::kForged) return false;
  if (n == "widen_under_old_signature") {
    // The claims every registry would need to do anything, signed by nobody: the old signature
    // stays. Times are absolute here: the edit is applied to the finished token.
    Json claims = {
        {"iss", env.issuer},
        {"aud", env.service},
        {"sub", "netfuzz"},
        {"access", Json::array({{{"type", "repository"},
                                 {"name", env.repo_a},
                                 {"actions", {"pull", "push", "delete"}}},
                                {{"type", "repository"},
                                 {"name", env.repo_b},
                                 {"actions", {"pull", "push", "delete"}}},
                                {{"type", "registry"}, {"name", "catalog"}, {"actions", {"*"}}}})},
        {"exp", 4102444800},
        {"nbf", 0},
        {"iat", 0}};
    r.token_edits.push_back("swap_claims:" + claims.dump());
    return true;
  }
  if (n == "empty_token") {
    r.token_edits.emplace_back("empty");
    return true;
  }
  if (n == "huge_token") {
    r.token_edits.push_back("append:" + std::string(20000, 'A'));
    return true;
  }
  if (n == "huge_token_1m") {
    r.token_edits.push_back("append:" + std::string(1 << 20, 'A'));
    return true;
  }
  r.token_edits.emplace_back(n);
  return true;
}

bool ApplyRequestLevel(std::string_view n, const MutationEnv& env, FuzzRequest& r) {
  if (r.route.empty()) return false;
  if (n.starts_with("method_")) {
    const std::string m = Upper(std::string(n.substr(7)));
    if (r.method == m) return false;
    r.method = m;
    if (m == "HEAD" || m == "DELETE") r.body.clear();
    return true;
  }
  if (n == "repo_swap") {
    if (r.repo.empty()) return false;
    const std::string to = r.repo == env.repo_a ? env.repo_b : env.repo_a;
    const std::string from = "/v2/" + r.repo + "/";
    if (!r.path.starts_with(from)) return false;
    r.path = "/v2/" + to + "/" + r.path.substr(from.size());
    r.repo = to;
    return true;
  }
  if (n == "dup_query_n") {
    if (r.route != "catalog") return false;
    r.query.emplace_back("n", "5000");
    r.query.insert(r.query.begin(), {"n", "10"});
    r.guard.reset();  // Go's FormValue takes the first n: 10 is within the bound
    return true;
  }
  if (n == "bearer_dup_authorization") {
    if (r.auth == AuthKind::kNone) return false;
    r.extra_authorization = "Bearer netfuzz-second-token";
    return true;
  }
  return false;
}

}  // namespace

const std::vector<std::string>& MutationNames(Family family) {
  static const std::vector<std::string> token = [] {
    std::vector<std::string> v = kAuthEdits;
    v.insert(v.end(), kBasic.begin(), kBasic.end());
    v.insert(v.end(), kScope.begin(), kScope.end());
    return v;
  }();
  static const std::vector<std::string> registry = [] {
    std::vector<std::string> v = kJwt;
    v.insert(v.end(), kTokenEdits.begin(), kTokenEdits.end());
    v.insert(v.end(), kRequestLevel.begin(), kRequestLevel.end());
    v.insert(v.end(), kAuthEdits.begin(), kAuthEdits.begin() + 8);  // scheme and spacing
    return v;
  }();
  switch (family) {
    case Family::kToken:
      return token;
    case Family::kRegistry:
      return registry;
    case Family::kRaw:
      return kRaw;
  }
  return kRaw;
}

bool Applies(std::string_view name, const FuzzRequest& r) {
  FuzzRequest copy = r;
  return Apply({std::string(name), 0}, MutationEnv{{"u"}, {{"u", "p"}}, {"p"}, "s", "i", "a", "b"},
               copy);
}

bool Apply(const Mutation& m, const MutationEnv& env, FuzzRequest& r) {
  FuzzRequest edited = r;
  bool ok = false;
  const std::string& n = m.name;
  if (In(kAuthEdits, n)) {
    ok = edited.auth != AuthKind::kNone || edited.auth_override.has_value();
    if (ok) edited.auth_edits.push_back(n);
  } else if (In(kBasic, n)) {
    ok = edited.family != Family::kRegistry && ApplyBasic(n, m.arg, env, edited);
  } else if (In(kScope, n)) {
    ok = edited.route.empty() && ApplyScope(n, m.arg, env, edited);
  } else if (In(kJwt, n)) {
    ok = ApplyJwt(n, env, edited);
  } else if (In(kTokenEdits, n)) {
    ok = ApplyTokenEdit(n, env, edited);
  } else if (In(kRequestLevel, n)) {
    ok = ApplyRequestLevel(n, env, edited);
  } else if (In(kRaw, n)) {
    ok = edited.family == Family::kRaw;
    if (ok) edited.raw_edits.push_back(n);
  }
  // Stacked size mutations (a 10,000-fold scope repeated again) would grow without bound.
  if (ok && ApproximateSize(edited) > kMaxRequestBytes) ok = false;
  if (ok) r = std::move(edited);
  return ok;
}

std::string Describe(const std::vector<Mutation>& ms) {
  std::string out;
  for (const Mutation& m : ms) {
    if (!out.empty()) out += ", ";
    out += m.name;
    if (m.arg != 0) out += "#" + std::to_string(m.arg % 1000);
  }
  return out.empty() ? "(seed as is)" : out;
}

}  // namespace regauth::harness::netfuzz
