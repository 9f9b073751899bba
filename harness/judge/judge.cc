#include "harness/judge/judge.h"

#include <algorithm>
#include <cctype>
#include <utility>

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

namespace regauth::harness {
namespace {

namespace p = protocol;
using Json = nlohmann::json;

using protocol::AsciiLower;
using protocol::EqualsIgnoreAsciiCase;

std::string StatusList(const std::vector<int>& v) {
  std::string out;
  for (int s : v) {
    if (!out.empty()) out += "|";
    out += std::to_string(s);
  }
  return out;
}

// ParseErrorText renders a core parser's error: "<code> at byte <offset>: <reason>".
template <typename Code>
std::string ParseErrorText(const p::Error<Code>& e) {
  return std::string(CodeName(e.code)) + " at byte " + std::to_string(e.offset) + ": " +
         std::string(e.reason);
}

std::vector<std::string_view> HeaderValues(const StepOutput& out, std::string_view name) {
  return protocol::HeaderValues(out.response_headers, name);
}

// Checks collects results and applies the profile's overrides and --strict.
class Checks {
 public:
  Checks(const Profile& profile, bool strict) : profile_(profile), strict_(strict) {}

  void Add(std::string id, Severity severity, bool passed, std::string expected,
           std::string observed, std::string message = "") {
    if (auto o = profile_.SeverityFor(id)) severity = *o;
    if (strict_ && severity == Severity::kShould) severity = Severity::kMust;
    out_.push_back(CheckResult{std::move(id), severity, passed, std::move(expected),
                               std::move(observed), std::move(message)});
  }
  // Observe records an INFO check that passes: what was seen where the profile does not know.
  void Observe(std::string id, std::string observed, std::string message) {
    out_.push_back(CheckResult{std::move(id), Severity::kInfo, true, "unknown (profile)",
                               std::move(observed), std::move(message)});
  }
  std::vector<CheckResult> Take() { return std::move(out_); }

 private:
  const Profile& profile_;
  bool strict_;
  std::vector<CheckResult> out_;
};

// StepParams gives typed access to a step's parameters with the judge's substitutions.
struct StepView {
  const Step* step = nullptr;
  const StepOutput* out = nullptr;
  std::size_t index = 0;
};

std::optional<StepView> LastStep(const Case& c, const std::vector<StepOutput>& outputs,
                                 StepKind kind) {
  for (std::size_t i = c.steps.size(); i-- > 0;) {
    if (c.steps[i].kind != kind) continue;
    StepView v;
    v.step = &c.steps[i];
    v.index = i;
    v.out = i < outputs.size() ? &outputs[i] : nullptr;
    return v;
  }
  return std::nullopt;
}

// StepCredentialId is the world credential a token_request or docker_login_flow step sent ("" for
// anonymous requests and other kinds).
std::string StepCredentialId(const Step& step) {
  if (const auto* t = std::get_if<TokenRequestStep>(&step.params)) {
    return t->credential.value_or("");
  }
  if (const auto* l = std::get_if<DockerLoginFlowStep>(&step.params)) return l->credential;
  return "";
}

const p::Credential* StepCredential(const Step& step, const JudgeContext& ctx) {
  if (ctx.world == nullptr) return nullptr;
  const std::string id = StepCredentialId(step);
  return id.empty() ? nullptr : ctx.world->FindCredential(id);
}

std::string Issuer(const JudgeContext& ctx) {
  if (ctx.target != nullptr && !ctx.target->issuer.empty()) return ctx.target->issuer;
  if (ctx.world != nullptr) return ctx.world->instance().issuer;
  return "";
}

// ExpectedService is the `service` the step sent (nullopt when it sent none).
std::optional<std::string> ExpectedService(const Step& step, const JudgeContext& ctx) {
  const auto& service = step.As<TokenRequestStep>().service;
  if (!service) return std::nullopt;
  return Substitute(*service, ctx.target, ctx.world);
}

bool RefreshRequested(const Step& step) {
  const auto& t = step.As<TokenRequestStep>();
  if (auto o = t.query.find("offline_token"); o != t.query.end() && o->second == "true") {
    return true;
  }
  if (t.form) {
    if (auto a = t.form->find("access_type"); a != t.form->end() && a->second == "offline") {
      return true;
    }
  }
  return false;
}

std::vector<p::ResourceScope> ToScopes(const std::vector<AccessEntry>& entries) {
  std::vector<p::ResourceScope> out;
  for (const auto& e : entries) out.push_back({e.type, "", e.name, e.actions});
  return out;
}

std::string Render(const std::vector<p::ResourceScope>& scopes) {
  if (scopes.empty()) return "(none)";
  return p::SerializeScopeList(p::Normalize(scopes));
}

// --- refusals (unauthorized, forbidden, not_found) ------------------------------------------

void JudgeBody(Checks& checks, const OutcomeShape& shape, const StepOutput& out) {
  const std::string& body = out.response_body;
  if (shape.body == "registry_error") {
    auto parsed = p::ParseErrorBody(body);
    if (!parsed) {
      checks.Add("body.shape", Severity::kShould, false, "registry error envelope",
                 body.empty() ? "(empty body)" : "unparsable",
                 "error body: " + ParseErrorText(parsed.error()));
      return;
    }
    checks.Add("body.shape", Severity::kShould, true, "registry error envelope",
               "registry error envelope");
    if (!shape.error_code.empty()) {
      const std::string got = parsed->errors.empty() ? "(no errors)" : parsed->errors[0].code;
      checks.Add("body.error_code", Severity::kShould, got == shape.error_code, shape.error_code,
                 got);
    }
    if (shape.http_status_member) {
      const std::string got =
          parsed->http_status ? std::to_string(*parsed->http_status) : "(absent)";
      checks.Add("body.http_status", Severity::kShould, got == std::to_string(out.status),
                 std::to_string(out.status), got,
                 "GitLab renders the service hash, http_status included (token-auth.md §3.1)");
    }
  } else if (shape.body == "empty") {
    checks.Add("body.shape", Severity::kShould, body.empty(), "empty body",
               body.empty() ? "empty body" : std::to_string(body.size()) + " bytes");
  } else if (shape.body == "json") {
    auto parsed = p::ParseJson(body);
    checks.Add("body.shape", Severity::kShould, parsed.has_value(), "JSON body",
               parsed ? "JSON body" : "not JSON",
               parsed ? "" : "body: " + ParseErrorText(parsed.error()));
  } else if (shape.body == "text") {
    checks.Add("body.shape", Severity::kInfo, true, "text body",
               std::to_string(body.size()) + " bytes");
  }
}

void JudgeWwwAuthenticate(Checks& checks, const OutcomeShape& shape, const StepOutput& out) {
  const auto values = HeaderValues(out, "WWW-Authenticate");
  if (shape.www_authenticate == "absent") {
    checks.Add("www_authenticate", Severity::kShould, values.empty(), "absent",
               values.empty() ? "absent" : std::string(values[0]));
    if (values.empty()) return;
  }
  if (values.empty()) {
    if (shape.www_authenticate == "basic" || shape.www_authenticate == "bearer") {
      checks.Add("www_authenticate", Severity::kShould, false, shape.www_authenticate, "absent");
    }
    return;
  }
  // Whatever the profile says, a challenge that is sent must parse (RFC 9110 §11.6.1).
  auto parsed = p::ParseChallengeHeaders(values);
  if (!parsed) {
    checks.Add("challenge.parse", Severity::kShould, false, "RFC 9110 challenge",
               std::string(values[0]), "WWW-Authenticate: " + ParseErrorText(parsed.error()));
    return;
  }
  if (shape.www_authenticate == "basic" || shape.www_authenticate == "bearer") {
    const bool ok = !parsed->empty() && (*parsed)[0].SchemeIs(shape.www_authenticate);
    checks.Add("www_authenticate", Severity::kShould, ok, shape.www_authenticate,
               parsed->empty() ? "(none)" : (*parsed)[0].scheme);
  }
}

// TokenIfAny returns the token a 2xx JSON body carries, if any.
std::optional<std::string> TokenIfAny(const StepOutput& out) {
  if (out.token) return out.token;
  auto r = p::ParseTokenResponse(out.response_body, p::TokenResponseForm::kGet,
                                 p::TokenResponseOptions::GoClient());
  if (r && !r->EffectiveToken().empty()) return r->EffectiveToken();
  return std::nullopt;
}

// EmptyGrant reports whether a 200 answer's token grants nothing (an acceptable form of
// "forbidden" for spec-style servers, token-auth.md §6 item 2).
bool EmptyGrant(const StepOutput& out, std::string* observed) {
  auto token = TokenIfAny(out);
  if (!token) {
    *observed = "200 without a token";
    return false;
  }
  auto jws = p::ParseCompactJws(*token);
  if (!jws) {
    *observed = "unparsable token: " + ParseErrorText(jws.error());
    return false;
  }
  p::ClaimsParseOptions o;
  o.allow_aud_array = true;
  auto claims = p::ParseClaims(jws->payload, o);
  if (!claims) {
    *observed = "unparsable claims: " + ParseErrorText(claims.error());
    return false;
  }
  if (claims->access) {
    for (const auto& a : *claims->access) {
      if (!a.actions.empty()) {
        *observed = "200 granting " + a.type + ":" + a.name + ":" + Join(a.actions, ",");
        return false;
      }
    }
  }
  *observed = "200 with nothing granted";
  return true;
}

void JudgeRefusal(Checks& checks, Outcome outcome, const Profile& profile, const StepOutput& out) {
  const OutcomeShape& shape = profile.OutcomeShapeOf(OutcomeName(outcome));
  const std::string name(OutcomeName(outcome));
  if (outcome == Outcome::kForbidden && shape.accept_empty_grant && out.status == 200) {
    std::string observed;
    const bool ok = EmptyGrant(out, &observed);
    checks.Add("status", Severity::kMust, ok,
               name + " (" + StatusList(shape.status) + ") or a token granting nothing", observed,
               "token-auth.md §6 item 2: spec servers intersect instead of refusing");
    return;
  }
  if (shape.status.empty()) {
    checks.Add("status", Severity::kMust, out.status >= 400 && out.status < 500,
               name + " (4xx; exact status unknown for this profile)", std::to_string(out.status));
  } else {
    const bool ok =
        std::find(shape.status.begin(), shape.status.end(), out.status) != shape.status.end();
    checks.Add("status", Severity::kMust, ok, StatusList(shape.status), std::to_string(out.status));
  }
  const auto token = TokenIfAny(out);
  checks.Add("no_token", Severity::kMust, !token.has_value(), "no token",
             token ? "a token was issued" : "no token",
             token ? "a refused request must not yield a bearer token" : "");
  JudgeBody(checks, shape, out);
  JudgeWwwAuthenticate(checks, shape, out);
}

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

void JudgeMeta(Checks& checks, const std::vector<p::Access>& access, const JudgeContext& ctx) {
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
  JudgeAccess(checks, te, profile, claims, step);
  if (profile.meta == "gitlab" && claims.access) {
    std::vector<p::Access> granted;
    for (const auto& a : *claims.access) {
      if (!a.actions.empty()) granted.push_back(a);
    }
    JudgeMeta(checks, granted, ctx);
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

void JudgeTokenEndpoint(Checks& checks, const Case& c, const Expectation& e, const Profile& profile,
                        const JudgeContext& ctx, const std::vector<StepOutput>& outputs) {
  auto sv = LastStep(c, outputs, StepKind::kTokenRequest);
  if (!sv) {
    checks.Add("steps", Severity::kMust, false, "a token_request step", "none",
               "a token-endpoint case is judged on its last token_request");
    return;
  }
  if (sv->out == nullptr) {
    checks.Add("steps", Severity::kMust, false, "step " + std::to_string(sv->index) + " ran",
               "not run");
    return;
  }
  if (sv->out->transport_error) {
    checks.Add("transport", Severity::kMust, false, "an HTTP response", "transport error");
    return;
  }
  const TokenExpectation& te = e.token;
  Outcome outcome = te.outcome;
  if (!te.outcome_profile_key.empty()) {
    const auto value = profile.Lookup(te.outcome_profile_key);
    auto it = value ? te.outcome_by_value.find(*value) : te.outcome_by_value.end();
    if (it == te.outcome_by_value.end()) {
      checks.Observe("status", std::to_string(sv->out->status),
                     te.outcome_profile_key + " = " + value.value_or("(absent)"));
      return;
    }
    outcome = it->second;
  }
  switch (outcome) {
    case Outcome::kAnyBut5xx:
      checks.Add("status", Severity::kMust, sv->out->status > 0 && sv->out->status < 500, "not 5xx",
                 std::to_string(sv->out->status),
                 "hostile input must be refused, never crash the server");
      return;
    case Outcome::kGranted:
      JudgeGranted(checks, te, profile, ctx, *sv);
      return;
    case Outcome::kUnauthorized:
    case Outcome::kForbidden:
    case Outcome::kNotFound:
      JudgeRefusal(checks, outcome, profile, *sv->out);
      return;
  }
}

// --- registry --------------------------------------------------------------------------------

std::vector<int> StatusesOf(const StatusExpectation& s, const Profile& profile, bool* known) {
  *known = true;
  if (!s.profile_key.empty()) {
    const Json* v = profile.LookupJson(s.profile_key);
    std::vector<int> out;
    if (v != nullptr && v->is_number_integer()) out.push_back(v->get<int>());
    if (v != nullptr && v->is_array()) {
      for (const auto& x : *v) {
        if (x.is_number_integer()) out.push_back(x.get<int>());
      }
    }
    if (out.empty()) *known = false;
    return out;
  }
  return s.any_of;
}

void JudgeRegistryWith(Checks& checks, const RegistryExpectation& re, const Profile& profile,
                       const JudgeContext& ctx, const StepView& sv, bool informational) {
  const StepOutput& out = *sv.out;
  const Severity must = informational ? Severity::kInfo : Severity::kMust;
  const Severity should = informational ? Severity::kInfo : Severity::kShould;
  if (re.status.present()) {
    bool known = true;
    const auto want = StatusesOf(re.status, profile, &known);
    if (!known) {
      checks.Observe("status", std::to_string(out.status), re.status.profile_key);
    } else {
      checks.Add("status", must, std::find(want.begin(), want.end(), out.status) != want.end(),
                 StatusList(want), std::to_string(out.status));
    }
  }
  const auto values = HeaderValues(out, "WWW-Authenticate");
  if (re.challenge_absent) {
    checks.Add("challenge.absent", must, values.empty(), "no WWW-Authenticate",
               values.empty() ? "absent" : std::string(values[0]));
  }
  if (re.challenge) {
    const ChallengeExpectation& ce = *re.challenge;
    if (values.empty()) {
      checks.Add("challenge.parse", must, false, "a Bearer challenge", "no WWW-Authenticate");
    } else {
      auto parsed = p::ParseChallengeHeaders(values);
      if (!parsed) {
        checks.Add("challenge.parse", must, false, "an RFC 9110 challenge", std::string(values[0]),
                   "WWW-Authenticate: " + ParseErrorText(parsed.error()));
      } else {
        std::optional<p::BearerChallenge> bearer;
        p::ChallengeError last = p::ChallengeError::kNotBearer;
        for (const auto& ch : *parsed) {
          auto b = p::ToBearerChallenge(ch);
          if (b) {
            bearer = *b;
            break;
          }
          last = b.error().code;
        }
        checks.Add("challenge.bearer", must, bearer.has_value(), "a Bearer challenge with realm",
                   bearer ? "Bearer realm=\"" + bearer->realm + "\"" : std::string(values[0]),
                   bearer ? "" : std::string(p::CodeName(last)));
        if (bearer) {
          if (ctx.target != nullptr && !ctx.target->service.empty()) {
            checks.Add("challenge.service", should,
                       bearer->service && *bearer->service == ctx.target->service,
                       ctx.target->service, bearer->service.value_or("(absent)"));
          }
          std::string want_error = ce.error;
          bool error_known = true;
          if (!ce.error_profile_key.empty()) {
            const auto v = profile.Lookup(ce.error_profile_key);
            if (!v || *v == kUnknown) {
              error_known = false;
            } else {
              want_error = *v;
            }
          }
          const std::string got_error = bearer->error.value_or("absent");
          if (!error_known) {
            checks.Observe("challenge.error", got_error, ce.error_profile_key);
          } else if (!want_error.empty()) {
            checks.Add("challenge.error", must, got_error == want_error, want_error, got_error,
                       "RFC 6750 §3.1 error codes; token-auth.md §2.5");
          }
          if (ce.scope) {
            std::vector<p::ResourceScope> want, got;
            std::string problem;
            for (const auto& s : *ce.scope) {
              auto one = p::ParseScope(Substitute(s, ctx.target, ctx.world));
              if (one) want.push_back(*one);
            }
            for (const auto& s : bearer->ScopeList()) {
              auto one = p::ParseScope(s);
              if (!one) {
                problem = "scope \"" + s + "\": " + ParseErrorText(one.error());
                break;
              }
              got.push_back(*one);
            }
            if (!problem.empty()) {
              checks.Add("challenge.scope", must, false, Render(want),
                         bearer->scope.value_or("(absent)"), problem);
            } else {
              checks.Add("challenge.scope", must, p::SameScopeSet(got, want), Render(want),
                         Render(got),
                         "compared as sets: registries emit Go-map order (token-auth.md §1.2)");
            }
          }
        }
      }
    }
  }
  if (!re.error_code.empty()) {
    auto body = p::ParseErrorBody(out.response_body);
    if (!body) {
      checks.Add("body.error_code", should, false, re.error_code, "unparsable",
                 "error body: " + ParseErrorText(body.error()));
    } else {
      const std::string got = body->errors.empty() ? "(no errors)" : body->errors[0].code;
      checks.Add("body.error_code", should, got == re.error_code, re.error_code, got);
    }
  }
  const auto api = profile.Lookup("registry.api_version_header");
  const std::string& path = sv.step->As<RegistryRequestStep>().path;
  if (api && *api != kUnknown && (path == "/v2/" || path == "/v2") &&
      (out.status == 200 || out.status == 401)) {
    const auto h = HeaderValues(out, "Docker-Distribution-API-Version");
    const std::string got = h.empty() ? "absent" : std::string(h[0]);
    checks.Add("header.api_version", should, got == *api, *api, got,
               "api.md: /v2/ answers carry Docker-Distribution-API-Version");
  }
}

void JudgeRegistry(Checks& checks, const Case& c, const Expectation& e, const Profile& profile,
                   const JudgeContext& ctx, const std::vector<StepOutput>& outputs) {
  auto sv = LastStep(c, outputs, StepKind::kRegistryRequest);
  if (!sv) {
    checks.Add("steps", Severity::kMust, false, "a registry_request step", "none");
    return;
  }
  if (sv->out == nullptr) {
    checks.Add("steps", Severity::kMust, false, "step " + std::to_string(sv->index) + " ran",
               "not run");
    return;
  }
  if (sv->out->transport_error) {
    checks.Add("transport", Severity::kMust, false, "an HTTP response", "transport error");
    return;
  }
  const RegistryExpectation& re = e.registry;
  if (re.impl_key.empty()) {
    JudgeRegistryWith(checks, re, profile, ctx, *sv, false);
    return;
  }
  const auto value = profile.Lookup(re.impl_key);
  auto it = value ? re.by_value.find(*value) : re.by_value.end();
  if (it == re.by_value.end()) {
    // The profile does not know: record what happened against the base expectation, as INFO.
    checks.Observe("implementation_defined", std::to_string(sv->out->status),
                   re.impl_key + " = " + value.value_or("(absent)"));
    JudgeRegistryWith(checks, re, profile, ctx, *sv, true);
    return;
  }
  RegistryExpectation merged = re;
  const RegistryExpectation& sub = it->second;
  if (sub.status.present()) merged.status = sub.status;
  if (sub.challenge) merged.challenge = sub.challenge;
  if (sub.challenge_absent) {
    merged.challenge_absent = true;
    merged.challenge.reset();
  }
  if (!sub.error_code.empty()) merged.error_code = sub.error_code;
  JudgeRegistryWith(checks, merged, profile, ctx, *sv, false);
}

// --- flow ------------------------------------------------------------------------------------

bool StepAllowed(const Step& step, const StepOutput& out, const std::string& label,
                 std::string* observed) {
  switch (step.kind) {
    case StepKind::kClientTool:
      *observed = out.exit_code ? "exit " + std::to_string(*out.exit_code) : "no exit status";
      return out.exit_code && *out.exit_code == 0;
    case StepKind::kTokenRequest: {
      *observed = std::to_string(out.status);
      if (out.status != 200) return false;
      if (label == "outcome") return true;
      auto token = TokenIfAny(out);
      if (!token) return false;
      auto jws = p::ParseCompactJws(*token);
      if (!jws) return false;
      p::ClaimsParseOptions o;
      o.allow_aud_array = true;
      auto claims = p::ParseClaims(jws->payload, o);
      if (!claims || !claims->access) return false;
      for (const auto& a : *claims->access) {
        if (std::find(a.actions.begin(), a.actions.end(), label) != a.actions.end()) {
          *observed = "200 granting " + label;
          return true;
        }
      }
      *observed = "200 without " + label;
      return false;
    }
    default:
      *observed = std::to_string(out.status);
      // 404 after authorization (NAME_UNKNOWN, BLOB_UNKNOWN) still means access was allowed.
      return (out.status >= 200 && out.status < 300) || out.status == 404;
  }
}

void JudgeFlow(Checks& checks, const Case& c, const Expectation& e,
               const std::vector<StepOutput>& outputs) {
  const FlowExpectation& fe = e.flow;
  if (!fe.login.empty()) {
    std::optional<std::size_t> login;
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      if (c.steps[i].kind == StepKind::kDockerLoginFlow ||
          c.steps[i].kind == StepKind::kClientTool) {
        login = i;
        break;
      }
    }
    if (!login) {
      checks.Add("login", Severity::kMust, false, fe.login, "no login step");
    } else if (*login >= outputs.size()) {
      checks.Add("login", Severity::kMust, false, fe.login, "login step did not run");
    } else {
      const StepOutput& out = outputs[*login];
      bool ok = false;
      std::string observed;
      if (c.steps[*login].kind == StepKind::kClientTool) {
        ok = out.exit_code && *out.exit_code == 0;
        observed = out.exit_code ? "exit " + std::to_string(*out.exit_code) : "no exit status";
      } else {
        ok = !out.transport_error && out.status == 200;
        observed =
            out.transport_error ? "transport error" : "GET /v2/ " + std::to_string(out.status);
      }
      checks.Add("login", Severity::kMust, ok == (fe.login == "succeeds"), fe.login,
                 (ok ? "succeeded (" : "failed (") + observed + ")");
    }
  }
  for (const FlowThen& t : fe.then) {
    const std::string id = "then." + std::to_string(t.step);
    const std::string want = t.label + " " + (t.allowed ? "allowed" : "denied");
    if (t.step >= outputs.size() || t.step >= c.steps.size()) {
      checks.Add(id, Severity::kMust, false, want, "step did not run");
      continue;
    }
    if (outputs[t.step].transport_error) {
      checks.Add(id, Severity::kMust, false, want, "transport error");
      continue;
    }
    std::string observed;
    const bool allowed = StepAllowed(c.steps[t.step], outputs[t.step], t.label, &observed);
    checks.Add(id, Severity::kMust, allowed == t.allowed, want, observed);
  }
}

bool IsBase32(char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); }

bool IsBase64Url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

bool IsLibtrustKeyId(std::string_view kid) {
  if (kid.size() != 59) return false;  // 12 × 4 + 11 separators
  for (std::size_t i = 0; i < kid.size(); ++i) {
    if (i % 5 == 4) {
      if (kid[i] != ':') return false;
    } else if (!IsBase32(kid[i])) {
      return false;
    }
  }
  return true;
}

bool IsJwkThumbprint(std::string_view kid) {
  return kid.size() == 43 && std::all_of(kid.begin(), kid.end(), IsBase64Url);
}

std::string Substitute(std::string_view text, const TargetInfo* target,
                       const protocol::World* world) {
  // Only the values the target announced (and the world's instance) resolve here; every other
  // reference is kept as written.
  auto resolve =
      [&](std::string_view name) -> protocol::Expected<std::optional<std::string>, std::string> {
    if (target != nullptr) {
      if (name == "registry") return std::optional(target->registry_url);
      if (name == "registry_host") return std::optional(target->registry_host);
      if (name == "realm") return std::optional(target->realm);
      if (name == "service" && !target->service.empty()) return std::optional(target->service);
      if (name == "issuer" && !target->issuer.empty()) return std::optional(target->issuer);
    }
    if (world != nullptr) {
      if (name == "service") return std::optional(world->instance().service);
      if (name == "issuer") return std::optional(world->instance().issuer);
    }
    return std::optional<std::string>();
  };
  return *ExpandRefs<std::string>(text, resolve);
}

std::vector<CheckResult> Judge(const Case& c, const Profile& profile, const JudgeContext& ctx,
                               const std::vector<StepOutput>& outputs) {
  Checks checks(profile, ctx.strict);
  // The typed expectation was parsed when the case was loaded (and again after binding).
  const Expectation& e = c.expectation;
  switch (c.layer) {
    case Layer::kTokenEndpoint:
      JudgeTokenEndpoint(checks, c, e, profile, ctx, outputs);
      break;
    case Layer::kRegistry:
      JudgeRegistry(checks, c, e, profile, ctx, outputs);
      break;
    case Layer::kFlow:
      JudgeFlow(checks, c, e, outputs);
      break;
  }
  return checks.Take();
}

}  // namespace regauth::harness
