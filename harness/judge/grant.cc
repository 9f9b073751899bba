// grant.cc — the checks of a granted token: the token response's members, the JWS header and
// signature, the claims (iss, aud, exp, nbf, iat, jti, sub, auth_type, GitLab's meta) and access.
#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "harness/judge/checks.h"
#include "harness/suite/case_loader.h"
#include "harness/suite/facts.h"
#include "harness/suite/refs.h"
#include "protocol/ascii.h"
#include "protocol/challenge.h"
#include "protocol/error_body.h"
#include "protocol/headers.h"
#include "protocol/jws.h"
#include "protocol/jwt.h"
#include "protocol/scope.h"
#include "protocol/token_response.h"

namespace regauth::harness::judging {

namespace p = protocol;
using Json = nlohmann::json;
using protocol::AsciiLower;
using protocol::EqualsIgnoreAsciiCase;

// --- granted ---------------------------------------------------------------------------------

// MemberPresent reports whether a token response has `member`.
bool MemberPresent(const p::TokenResponse& r, std::string_view member) {
  if (member == "token") return r.token.has_value();
  if (member == "access_token") return r.access_token.has_value();
  if (member == "expires_in") return r.expires_in.has_value();
  if (member == "issued_at") return r.issued_at.has_value();
  if (member == "refresh_token") return r.refresh_token.has_value();
  if (member == "scope") return r.scope.has_value();
  return false;
}

// ExpectedSub: the sub a token should carry, or the profile rule for subjects without a user.
struct SubRule {
  std::string mode;  // "user" | profile spelling (absent|empty|username|any|unknown)
  std::string value;
  std::string who;
};

SubRule ExpectedSub(const Step& step, const Profile& profile, const JudgeContext& ctx) {
  const std::string id = StepCredentialId(step);
  if (id.empty()) return {profile.sub_anonymous, "", "anonymous"};
  const p::Credential* c = StepCredential(step, ctx);
  if (c == nullptr) return {"unknown", "", "credential not in the world"};
  if (c->kind == p::CredentialKind::kDeployToken ||
      c->kind == p::CredentialKind::kGroupDeployToken) {
    return {profile.sub_deploy_token, c->login_username, "deploy token"};
  }
  const p::User* u = ActingUser(*ctx.world, *c);
  if (u == nullptr) return {profile.sub_job_without_user, "", "job without a user"};
  return {"user", u->username, "acting user"};
}

// JudgeUserInfo checks GitLab's nested `user` claim (user_info_token in
// container_registry_authentication_service.rb): a compact JWT whose payload holds `user_info`,
// {token_type, username, user_id} for a user and {token_type, username, deploy_token_id} for a
// deploy token, null otherwise. GitLab's RSpec asserts it ('has encoded user information in the
// payload', container_registry_auth_service_shared_examples.rb lines 1084 and 1358 @de09f039).
// Its signature is not verified (GitLab signs it with the same key; the registry ignores it).
void JudgeUserInfo(Checks& checks, const p::Claims& claims, const SubRule& sub) {
  static constexpr const char* kWhy =
      "GitLab nests the caller's user_info in a signed `user` JWT (RSpec 'has encoded user "
      "information in the payload')";
  const Json* user = nullptr;
  if (claims.raw.is_object()) {
    auto it = claims.raw.find("user");
    if (it != claims.raw.end()) user = &*it;
  }
  const std::string want = sub.mode == "user"
                               ? "a `user` JWT whose user_info.username is \"" + sub.value + "\""
                               : "a `user` JWT with user_info";
  if (user == nullptr || !user->is_string()) {
    checks.Add("claims.user_info", Severity::kShould, false, want,
               user == nullptr ? "(absent)" : "not a string", kWhy);
    return;
  }
  auto jws = p::ParseCompactJws(user->get<std::string>());
  Json payload = jws ? Json::parse(jws->payload, nullptr, false) : Json();
  if (!jws || !payload.is_object() || !payload.contains("user_info")) {
    checks.Add("claims.user_info", Severity::kShould, false, want,
               jws ? "a JWT without user_info" : "not a compact JWT", kWhy);
    return;
  }
  const Json& info = payload["user_info"];
  bool ok = info.is_null() || info.is_object();
  if (sub.mode == "user") {
    ok = info.is_object() && info.contains("username") && info["username"].is_string() &&
         info["username"].get<std::string>() == sub.value;
  }
  checks.Add("claims.user_info", Severity::kShould, ok, want, info.dump(), kWhy);
}

std::string AuthTypeKind(const Step& step, const JudgeContext& ctx) {
  const std::string id = StepCredentialId(step);
  if (id.empty()) return "anonymous";
  const p::Credential* c = StepCredential(step, ctx);
  if (c == nullptr) return "";
  if (c->kind == p::CredentialKind::kJobToken) {
    const p::Job* job = ctx.world->JobOf(*c);
    if (job != nullptr && !job->user) return "job_token_without_user";
  }
  return std::string(p::Name(c->kind));
}

const p::Project* ProjectOfRepository(const p::World& world, std::string_view name) {
  const p::Project* best = nullptr;
  for (const auto& pr : world.Projects()) {
    const std::string path = AsciiLower(pr.path);
    if (name == path ||
        (name.size() > path.size() && name.starts_with(path) && name[path.size()] == '/')) {
      if (best == nullptr || pr.path.size() > best->path.size()) best = &pr;
    }
  }
  return best;
}

// ExpectedTagDeny: access[].meta.tag_deny_access_patterns as GitLab 17.9+ computes it with the
// container_registry_protected_tags flag (cases/worlds/README.md; the service's
// tag_deny_access_patterns and TagRule#push_restricted?/#delete_restricted?): absent without the
// flag, tag rules or a current user; else one list per granted action among push and delete (`*`
// standing for both), empty for admins, holding each rule's pattern whose minimum level for that
// action (maintainer 40, owner 50, admin 60) is above the user's project authorization level.
std::optional<Json> ExpectedTagDeny(const p::World& world, const p::User* user,
                                    const p::Project& project,
                                    const std::vector<std::string>& actions) {
  if (user == nullptr || !world.instance().protected_tags ||
      project.container_protection_tag_rules.empty()) {
    return std::nullopt;
  }
  Json want = Json::object();
  const bool star = std::find(actions.begin(), actions.end(), "*") != actions.end();
  for (const std::string& a : actions) {
    if (star || a == "push") want["push"] = Json::array();
    if (star || a == "delete") want["delete"] = Json::array();
  }
  if (user->admin) return want;
  const std::optional<p::Role> role = EffectiveRole(world, user->username, project.path);
  const int level = role ? static_cast<int>(*role) : 0;
  for (const auto& rule : project.container_protection_tag_rules) {
    if (want.contains("push") && static_cast<int>(rule.minimum_access_level_for_push) > level) {
      want["push"].push_back(rule.tag_name_pattern);
    }
    if (want.contains("delete") && static_cast<int>(rule.minimum_access_level_for_delete) > level) {
      want["delete"].push_back(rule.tag_name_pattern);
    }
  }
  return want;
}

void JudgeMeta(Checks& checks, const std::vector<p::Access>& access, const p::User* user,
               const JudgeContext& ctx) {
  if (ctx.world == nullptr) return;
  for (const auto& a : access) {
    const std::string where = a.type + ":" + a.name;
    if (a.type != "repository") {
      checks.Add("claims.meta", Severity::kShould, a.meta.is_null(), "no meta on " + where,
                 a.meta.is_null() ? "no meta" : a.meta.dump(),
                 "token-auth.md §3.8: the catalog entry has no meta");
      continue;
    }
    const p::Project* pr = ProjectOfRepository(*ctx.world, a.name);
    if (pr == nullptr) continue;
    Json want = {{"project_path", AsciiLower(pr->path)}, {"project_id", pr->id}};
    // root_namespace_id is `root_ancestor.id`: the top-level group, or the owner's personal
    // namespace (its id from the world's users[].namespace_id; not checked when absent).
    const auto groups = ctx.world->AncestorGroups(pr->path);
    if (!groups.empty()) {
      want["root_namespace_id"] = groups.front()->id;
    } else if (const p::User* owner = ctx.world->FindUser(pr->namespace_path);
               pr->personal && owner != nullptr && owner->namespace_id) {
      want["root_namespace_id"] = *owner->namespace_id;
    }
    bool ok = a.meta.is_object();
    if (ok) {
      for (const auto& [k, v] : want.items()) {
        auto it = a.meta.find(k);
        if (it == a.meta.end() || *it != v) ok = false;
      }
    }
    checks.Add(
        "claims.meta", Severity::kShould, ok, want.dump(),
        a.meta.is_null() ? "(absent)" : a.meta.dump(),
        "token-auth.md §3.8: meta {project_path, project_id, root_namespace_id} on " + where);
    // A missing deny pattern lets the caller overwrite or delete a protected tag at GitLab's
    // registry: a MUST when the world turns the feature on.
    const std::optional<Json> deny = ExpectedTagDeny(*ctx.world, user, *pr, a.actions);
    const Json* got = nullptr;
    if (a.meta.is_object()) {
      auto it = a.meta.find("tag_deny_access_patterns");
      if (it != a.meta.end()) got = &*it;
    }
    if (deny) {
      checks.Add("claims.meta.tag_deny_access_patterns", Severity::kMust,
                 got != nullptr && *got == *deny, deny->dump(),
                 got == nullptr ? "(absent)" : got->dump(),
                 "container_registry_authentication_service.rb tag_deny_access_patterns "
                 "(gitlabhq@de09f039; TagRule#push_restricted? gitlabhq@9df378cb) on " +
                     where);
    } else if (got != nullptr) {
      checks.Add("claims.meta.tag_deny_access_patterns", Severity::kShould, false, "(absent)",
                 got->dump(),
                 "GitLab sends tag_deny_access_patterns only with the protected-tags flag, tag "
                 "rules and a current user (gitlabhq@de09f039) on " +
                     where);
    }
  }
}

void JudgeAccess(Checks& checks, const TokenExpectation& te, const Profile& profile,
                 const p::Claims& claims, const Step& step) {
  std::vector<p::Access> observed;
  if (!claims.access) {
    checks.Add("access.claim", Severity::kShould, false, "an access claim", "(absent)",
               "jwt.md: the private claim access lists the granted resources");
  } else {
    observed = *claims.access;
  }
  // Informational actions: recorded, then removed before the comparison.
  for (const auto& info : te.informational) {
    bool present = false;
    for (auto& a : observed) {
      if (a.type != info.type || a.name != info.name) continue;
      const auto before = a.actions.size();
      a.actions.erase(std::remove(a.actions.begin(), a.actions.end(), info.action),
                      a.actions.end());
      if (a.actions.size() != before) present = true;
    }
    checks.Add("access.informational", Severity::kInfo, !present,
               info.type + ":" + info.name + ":" + info.action + " present or absent",
               present ? "present" : "absent", info.reason);
  }
  // An entry emptied by that removal was granted (informationally), not denied: drop it.
  if (!te.informational.empty() && claims.access) {
    std::vector<p::Access> kept;
    for (std::size_t i = 0; i < observed.size(); ++i) {
      if (!observed[i].actions.empty() || (*claims.access)[i].actions.empty()) {
        kept.push_back(std::move(observed[i]));
      }
    }
    observed = std::move(kept);
  }
  // Resources listed with no actions: GitLab omits them, docker_auth/Harbor keep them.
  std::vector<std::string> empty_entries;
  std::vector<p::Access> nonempty;
  for (const auto& a : observed) {
    if (a.actions.empty()) {
      empty_entries.push_back(a.type + ":" + a.name);
    } else {
      nonempty.push_back(a);
    }
  }
  if (profile.denied_resources == "omitted") {
    checks.Add(
        "access.denied_shape", Severity::kShould, empty_entries.empty(), "denied resources omitted",
        empty_entries.empty() ? "omitted" : "listed with no actions: " + Join(empty_entries, " "),
        "token-auth.md §3.4 item 6, §6 item 2");
  } else if (profile.denied_resources == "empty_actions") {
    // A requested resource that got nothing should still be listed.
    std::vector<std::string> missing;
    {
      for (const auto& s : step.As<TokenRequestStep>().scopes) {
        auto parsed = p::ParseScope(s);
        if (!parsed) continue;
        const bool listed = std::any_of(observed.begin(), observed.end(), [&](const p::Access& a) {
          return a.type == parsed->type && a.name == parsed->name;
        });
        if (!listed) missing.push_back(parsed->type + ":" + parsed->name);
      }
    }
    checks.Add("access.denied_shape", Severity::kShould, missing.empty(),
               "every requested resource listed (denied ones with actions [])",
               missing.empty() ? "all listed" : "missing: " + Join(missing, " "),
               "token-auth.md §5 (docker_auth, Harbor), §6 item 2");
  }
  std::vector<p::ResourceScope> got;
  for (const auto& a : nonempty) got.push_back({a.type, "", a.name, a.actions});
  const std::vector<p::ResourceScope> want = ToScopes(te.access);
  checks.Add("access", Severity::kMust, p::SameScopeSet(got, want), Render(want), Render(got),
             "granted set compared as sets of resources × actions (token.md: the intersection "
             "of requested and permitted access)");
  if (profile.access_order == "request_order") {
    bool same = got.size() == want.size();
    for (std::size_t i = 0; same && i < got.size(); ++i) {
      same = got[i].type == want[i].type && got[i].name == want[i].name &&
             got[i].actions == want[i].actions;
    }
    auto seq = [](const std::vector<p::ResourceScope>& v) {
      return v.empty() ? std::string("(none)") : p::SerializeScopeList(v);
    };
    checks.Add("access.order", Severity::kShould, same, seq(want), seq(got),
               "GitLab keeps request order and duplicates (actions.select, token-auth.md §3.5)");
  }
}

void JudgeClaims(Checks& checks, const TokenExpectation& te, const Profile& profile,
                 const JudgeContext& ctx, const Step& step, const p::Claims& claims) {
  const std::string issuer = Issuer(ctx);
  if (!issuer.empty()) {
    const std::string got = claims.iss.value_or("(absent)");
    checks.Add("claims.iss", Severity::kMust, claims.iss && *claims.iss == issuer, issuer, got,
               "jwt.md: iss must be the issuer the registry trusts (exact match)");
  }
  if (auto service = ExpectedService(step, ctx); service && !service->empty()) {
    const bool has = std::find(claims.aud.begin(), claims.aud.end(), *service) != claims.aud.end();
    checks.Add("claims.aud", Severity::kMust, has, *service,
               claims.aud.empty() ? "(absent)" : Join(claims.aud, ","),
               "jwt.md: aud is the requested service, which the registry checks");
  }
  if (!claims.aud.empty() && profile.aud_form != kUnknown && profile.aud_form != "either") {
    const bool ok = (profile.aud_form == "array") == claims.aud_is_array;
    const auto aud_array = profile.Lookup("registry.aud_array");
    const Severity sev =
        aud_array && *aud_array == "rejected" ? Severity::kMust : Severity::kShould;
    checks.Add("claims.aud_form", sev, ok, profile.aud_form,
               claims.aud_is_array ? "array" : "string",
               "distribution v2.8 rejects an aud array as malformed (token-auth.md §6 item 11)");
  }
  const int64_t skew = ctx.clock_skew_seconds;
  if (!claims.exp) {
    checks.Add("claims.exp", Severity::kMust, false, "present, in the future", "(absent)",
               "distribution treats a missing exp as 1970 (token-auth.md §2.4)");
  } else {
    checks.Add("claims.exp", Severity::kMust, *claims.exp > ctx.now - skew,
               "> now (" + std::to_string(ctx.now) + ")", std::to_string(*claims.exp));
  }
  if (claims.exp && claims.iat) {
    const int64_t life = *claims.exp - *claims.iat;
    std::string want = ">= 60";
    bool ok = life >= p::kMinimumTokenLifetimeSeconds;
    std::string msg = "token.md: a token should never be returned with less than 60 s to live";
    Severity severity = Severity::kShould;
    if (profile.lifetime == "delay" && ctx.world != nullptr) {
      const int64_t d = ctx.world->instance().token_expire_delay_minutes * 60;
      want = std::to_string(d) + " or " + std::to_string(d + 1);
      ok = life == d || life == d + 1;
      msg = "token-auth.md §9: exp − iat ∈ {delay·60, delay·60+1}";
      // A token that outlives container_registry_token_expire_delay (GitLab: `expire_time =
      // Time.current + delay.minutes`, container_registry_authentication_service.rb
      // token_expire_at) extends every credential's reach past what the administrator
      // configured: a MUST failure (issue 8 item 11). A shorter one only costs a re-login.
      if (life > d + 1) {
        severity = Severity::kMust;
        msg += "; longer than the configured delay extends every credential's reach (MUST)";
      }
    } else if (profile.lifetime == "range") {
      want = std::to_string(profile.lifetime_min) + ".." + std::to_string(profile.lifetime_max);
      ok = life >= profile.lifetime_min && life <= profile.lifetime_max;
    }
    checks.Add("claims.lifetime", severity, ok, want, std::to_string(life), msg);
  }
  if (!claims.nbf) {
    checks.Add("claims.nbf", Severity::kShould, false, "present", "(absent)",
               "jwt.md lists nbf among the claims a registry checks");
  } else {
    checks.Add("claims.nbf", Severity::kMust, *claims.nbf <= ctx.now + skew,
               "<= now + " + std::to_string(skew), std::to_string(*claims.nbf),
               "a token not yet valid is rejected by the registry");
    if (claims.iat && profile.nbf_offset_min) {
      const int64_t off = *claims.nbf - *claims.iat;
      checks.Add(
          "claims.nbf_offset", Severity::kShould,
          off >= *profile.nbf_offset_min && off <= *profile.nbf_offset_max,
          std::to_string(*profile.nbf_offset_min) + ".." + std::to_string(*profile.nbf_offset_max),
          std::to_string(off), "nbf − iat");
    }
  }
  if (!claims.iat) {
    checks.Add("claims.iat", Severity::kShould, false, "present", "(absent)");
  } else {
    const int64_t diff = *claims.iat - ctx.now;
    checks.Add("claims.iat", Severity::kShould, diff <= skew && diff >= -skew,
               "within " + std::to_string(skew) + " s of now", std::to_string(*claims.iat));
  }
  if (profile.jti == "required") {
    const bool ok = claims.jti && !claims.jti->empty();
    checks.Add("claims.jti", Severity::kShould, ok, "non-empty", claims.jti.value_or("(absent)"),
               "jwt.md: jti, a unique identifier usable against replay");
  }
  const SubRule sub = ExpectedSub(step, profile, ctx);
  const std::string got_sub = claims.sub ? "\"" + *claims.sub + "\"" : "(absent)";
  if (sub.mode == "user") {
    checks.Add("claims.sub", Severity::kMust, claims.sub && *claims.sub == sub.value,
               "\"" + sub.value + "\"", got_sub, "sub names the " + sub.who);
  } else if (sub.mode == "absent") {
    checks.Add("claims.sub", Severity::kShould, !claims.sub, "(absent)", got_sub,
               "no sub for a " + sub.who + " (token-auth.md §3.8, §6 item 18)");
  } else if (sub.mode == "empty") {
    checks.Add("claims.sub", Severity::kShould, claims.sub && claims.sub->empty(), "\"\"", got_sub,
               "jwt.md: sub is \"\" when anonymous");
  } else if (sub.mode == "username") {
    checks.Add("claims.sub", Severity::kShould, claims.sub && *claims.sub == sub.value,
               "\"" + sub.value + "\"", got_sub, "sub names the " + sub.who);
  } else if (sub.mode == kUnknown) {
    checks.Observe("claims.sub", got_sub, "sub for a " + sub.who);
  }
  const Json* auth_type = nullptr;
  if (claims.raw.is_object()) {
    auto it = claims.raw.find("auth_type");
    if (it != claims.raw.end()) auth_type = &*it;
  }
  const std::string got_auth = auth_type == nullptr ? "(absent)" : auth_type->dump();
  if (profile.auth_type_mode == "expected") {
    const std::string kind = AuthTypeKind(step, ctx);
    auto it = profile.auth_type.find(kind);
    if (it != profile.auth_type.end()) {
      const bool ok = auth_type != nullptr && auth_type->is_string() &&
                      auth_type->get<std::string>() == it->second;
      checks.Add("claims.auth_type", Severity::kShould, ok, "\"" + it->second + "\"", got_auth,
                 "GitLab sets auth_type to the authentication result type (token-auth.md §3.8)");
    }
  } else if (profile.auth_type_mode == "absent") {
    checks.Add("claims.auth_type", Severity::kShould, auth_type == nullptr, "(absent)", got_auth);
  }
  if (profile.user_info == "gitlab") JudgeUserInfo(checks, claims, sub);
  JudgeAccess(checks, te, profile, claims, step);
  if (profile.meta == "gitlab" && claims.access) {
    std::vector<p::Access> granted;
    for (const auto& a : *claims.access) {
      if (!a.actions.empty()) granted.push_back(a);
    }
    const std::string id = StepCredentialId(step);
    const p::Credential* c = id.empty() ? nullptr : StepCredential(step, ctx);
    const p::User* user =
        c == nullptr || ctx.world == nullptr ? nullptr : ActingUser(*ctx.world, *c);
    JudgeMeta(checks, granted, user, ctx);
  }
}

void JudgeJwt(Checks& checks, const TokenExpectation& te, const Profile& profile,
              const JudgeContext& ctx, const Step& step, const std::string& token) {
  auto jws = p::ParseCompactJws(token);
  if (!jws) {
    p::JwsOptions lenient;
    lenient.base64 = p::JwsBase64::kDistributionV28;
    lenient.allow_duplicate_members = true;
    auto second = p::ParseCompactJws(token, lenient);
    if (!second) {
      checks.Add("jwt.parse", Severity::kMust, false, "a compact JWS (RFC 7515 §7.1)", "unparsable",
                 "token: " + ParseErrorText(jws.error()));
      return;
    }
    checks.Add("jwt.parse", Severity::kShould, false, "a strict compact JWS",
               "accepted only by distribution v2.8's lenient decoder",
               "token: " + ParseErrorText(jws.error()));
    jws = std::move(second);
  } else {
    checks.Add("jwt.parse", Severity::kMust, true, "a compact JWS", "a compact JWS");
  }
  const p::JwsHeader& h = jws->header;
  {
    Severity sev = Severity::kShould;
    bool ok = true;
    std::string why;
    if (!p::IsAsymmetric(h.alg)) {
      ok = false;
      sev = Severity::kMust;
      why = "none, HS* and unknown algorithms are never accepted by a registry";
    } else if (!profile.algs.empty() && std::find(profile.algs.begin(), profile.algs.end(),
                                                  h.alg_name) == profile.algs.end()) {
      ok = false;
      why = "not what this profile's token server emits";
    }
    if (const Json* reg = profile.LookupJson("registry.algs"); reg != nullptr && reg->is_array()) {
      const bool listed = std::any_of(reg->begin(), reg->end(), [&](const Json& a) {
        return a.is_string() && a.get<std::string>() == h.alg_name;
      });
      if (!listed) {
        ok = false;
        sev = Severity::kMust;
        why = "the profile's registry does not accept this algorithm";
      }
    }
    checks.Add("jwt.header.alg", sev, ok,
               profile.algs.empty() ? "an asymmetric algorithm" : Join(profile.algs, "|"),
               h.alg_name.empty() ? "(absent)" : h.alg_name, why);
  }
  if (profile.typ == "JWT") {
    checks.Add("jwt.header.typ", Severity::kShould, h.typ && *h.typ == "JWT", "JWT",
               h.typ.value_or("(absent)"), "jwt.md: typ is \"JWT\"");
  } else if (profile.typ == "absent") {
    checks.Add("jwt.header.typ", Severity::kShould, !h.typ, "(absent)", h.typ.value_or("(absent)"));
  }
  {
    const bool has_key_ref = h.kid.has_value() || !h.x5c.empty() || h.jwk.has_value();
    std::string want = "a kid (or x5c / jwk)";
    bool ok = has_key_ref;
    if (ok && h.kid && profile.kid_format == "libtrust") {
      want = "libtrust fingerprint (12 groups of 4 base32 characters)";
      ok = IsLibtrustKeyId(*h.kid);
    } else if (ok && h.kid && profile.kid_format == "jwk_thumbprint") {
      want = "RFC 7638 thumbprint (43 base64url characters)";
      ok = IsJwkThumbprint(*h.kid);
    }
    checks.Add("jwt.header.kid", Severity::kMust, ok, want, h.kid.value_or("(absent)"),
               "the registry selects its verification key by kid (token-auth.md §1.6, §6 item 12)");
    if (ctx.signing_key && h.kid) {
      std::string expected_kid;
      if (profile.kid_format == "jwk_thumbprint") {
        expected_kid = !ctx.signing_kid_thumbprint.empty()
                           ? ctx.signing_kid_thumbprint
                           : p::KeyIdOf(*ctx.signing_key, p::KeyIdFormat::kJwkThumbprint);
      } else if (profile.kid_format == "libtrust") {
        expected_kid = !ctx.signing_kid_libtrust.empty()
                           ? ctx.signing_kid_libtrust
                           : p::KeyIdOf(*ctx.signing_key, p::KeyIdFormat::kLibtrust);
      }
      if (!expected_kid.empty()) {
        checks.Add("jwt.header.kid_matches_key", Severity::kMust, *h.kid == expected_kid,
                   expected_kid, *h.kid, "the kid must name the key that signed the token");
      }
    }
  }
  if (ctx.signing_key) {
    auto v = p::VerifySignature(*jws, *ctx.signing_key, p::AlgPolicy::AllAsymmetric());
    checks.Add(
        "jwt.signature", Severity::kMust, v.has_value(), "valid signature", v ? "valid" : "invalid",
        v ? "" : std::string(p::CodeName(v.error().code)) + ": " + std::string(v.error().reason));
  } else {
    checks.Add("jwt.signature", Severity::kInfo, true, "valid signature", "not verified",
               "no signing key for this target (--signing-key)");
  }
  p::ClaimsParseOptions options;
  options.allow_aud_array = true;
  auto claims = p::ParseClaims(jws->payload, options);
  if (!claims) {
    checks.Add("claims.parse", Severity::kMust, false, "a JWT claims set (RFC 7519)", "unparsable",
               "claims: " + ParseErrorText(claims.error()));
    return;
  }
  JudgeClaims(checks, te, profile, ctx, step, *claims);
}

void JudgeGranted(Checks& checks, const TokenExpectation& te, const Profile& profile,
                  const JudgeContext& ctx, const StepView& sv) {
  const StepOutput& out = *sv.out;
  const OutcomeShape& shape = profile.OutcomeShapeOf("granted");
  const std::vector<int> want = shape.status.empty() ? std::vector<int>{200} : shape.status;
  const bool status_ok = std::find(want.begin(), want.end(), out.status) != want.end();
  checks.Add("status", Severity::kMust, status_ok, StatusList(want), std::to_string(out.status));
  if (!status_ok) return;
  {
    const auto ct = HeaderValues(out, "Content-Type");
    const bool ok = !ct.empty() && AsciiLower(ct[0]).starts_with("application/json");
    checks.Add("content_type", Severity::kShould, ok, "application/json",
               ct.empty() ? "(absent)" : std::string(ct[0]));
  }
  const bool post = sv.step->As<TokenRequestStep>().method == "POST";
  p::TokenResponseForm form = post ? p::TokenResponseForm::kOAuth2 : p::TokenResponseForm::kGet;
  if (te.response_form == "get") form = p::TokenResponseForm::kGet;
  if (te.response_form == "oauth2") form = p::TokenResponseForm::kOAuth2;
  auto resp = p::ParseTokenResponse(out.response_body, form);
  if (!resp) {
    checks.Add("token_response.parse", Severity::kMust, false,
               form == p::TokenResponseForm::kGet ? "a token.md token response"
                                                  : "an oauth.md token response",
               "unparsable", "body: " + ParseErrorText(resp.error()));
    return;
  }
  checks.Add("token_response.parse", Severity::kMust, true, "a token response", "a token response");
  // Members: the profile's expectations, overridden by the case's.
  std::map<std::string, std::string> members = profile.members;
  const bool refresh = RefreshRequested(*sv.step);
  if (refresh && profile.offline_token == "refresh_token") members["refresh_token"] = "required";
  if (profile.offline_token == "ignored") members["refresh_token"] = "absent";
  for (const auto& [m, v] : te.members) members[m] = v;
  for (const auto& [m, v] : members) {
    // oauth.md's response has no `token` member, token.md's no `scope`.
    if (form == p::TokenResponseForm::kOAuth2 && m == "token") continue;
    const bool present = MemberPresent(*resp, m);
    if (v == "required") {
      const bool spec_required =
          form == p::TokenResponseForm::kOAuth2 && (m == "access_token" || m == "expires_in");
      checks.Add("token_response." + m, spec_required ? Severity::kMust : Severity::kShould,
                 present, "present", present ? "present" : "absent");
    } else if (v == "absent") {
      checks.Add("token_response." + m, Severity::kShould, !present, "absent",
                 present ? "present" : "absent");
    } else if (v == kUnknown) {
      checks.Observe("token_response." + m, present ? "present" : "absent", "response member " + m);
    }
  }
  p::TokenRequestFacts facts;
  facts.refresh_token_requested = refresh;
  for (const auto& f : p::CheckTokenResponse(*resp, form, facts)) {
    const std::string code(p::CodeName(f.code));
    if (std::find(profile.accepted_findings.begin(), profile.accepted_findings.end(), code) !=
        profile.accepted_findings.end()) {
      continue;
    }
    const Severity sev = f.severity == p::TokenResponseFinding::Severity::kMust ? Severity::kMust
                         : f.severity == p::TokenResponseFinding::Severity::kShould
                             ? Severity::kShould
                             : Severity::kInfo;
    checks.Add("token_response." + code, sev, false, "no finding", code, std::string(f.message));
  }
  const std::string token = resp->EffectiveToken();
  JudgeJwt(checks, te, profile, ctx, *sv.step, token);
}

}  // namespace regauth::harness::judging
