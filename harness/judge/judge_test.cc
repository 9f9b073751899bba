#include "harness/judge/judge.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>

#include "harness/judge/baseline.h"
#include "harness/suite/facts.h"
#include "harness/suite/matrix.h"
#include "harness/testing/steps.h"
#include "harness/testing/world.h"
#include "protocol/jws.h"
#include "protocol/keys.h"
#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

using test_support::DefaultWorld;
using test_support::kNow;
using test_support::Source;

const Profile& ShippedProfile(std::string_view name) {
  static const std::vector<Profile> profiles = [] {
    auto r = LoadProfileDir(Source("cases/profiles"));
    EXPECT_TRUE(r.has_value()) << (r ? "" : DescribeLoadError(r.error()));
    return std::move(*r);
  }();
  const Profile* p = FindProfile(profiles, name);
  EXPECT_NE(p, nullptr) << name;
  return *p;
}

protocol::Key LoadKey(const char* file) {
  auto text = ReadTextFile(Source(std::string("protocol/testdata/") + file));
  EXPECT_TRUE(text.has_value());
  auto key = protocol::LoadPrivateKeyPem(*text);
  EXPECT_TRUE(key.has_value());
  return *key;
}

const protocol::Key& SigningKey() {
  static const protocol::Key key = LoadKey("rsa2048.key.pem");
  return key;
}
const protocol::Key& OtherKey() {
  static const protocol::Key key = LoadKey("rsa2048_other.key.pem");
  return key;
}

const TargetInfo& Target() {
  static const TargetInfo t{"reference",
                            "http://127.0.0.1:5000",
                            "127.0.0.1:5000",
                            "http://127.0.0.1:5001/jwt/auth",
                            "container_registry",
                            "gitlab-issuer",
                            ""};
  return t;
}

JudgeContext Context(bool with_key = true, bool strict = false) {
  JudgeContext ctx;
  ctx.target = &Target();
  ctx.world = &DefaultWorld();
  ctx.now = kNow;
  ctx.strict = strict;
  if (with_key) ctx.signing_key = SigningKey();
  return ctx;
}

// NestedUser is GitLab's `user` claim for a user: a signed JWT holding user_info
// (container_registry_authentication_service.rb user_info_token).
std::string NestedUser(const std::string& username) {
  auto t = protocol::SignCompact(
      {{"typ", "JWT"}},
      {{"user_info",
        {{"token_type", "personal_access_token"}, {"username", username}, {"user_id", 4}}},
       {"jti", "n"},
       {"iat", kNow},
       {"nbf", kNow - 5},
       {"exp", kNow + 60}},
      protocol::Alg::kRS256, SigningKey());
  EXPECT_TRUE(t.has_value());
  return t ? *t : "";
}

// Scenario is a GitLab-shaped answer to dana-pat-read-registry asking pull on
// acme/private-enabled (token-auth.md §3.8); tests change one thing at a time.
struct Scenario {
  Json header = {{"typ", "JWT"}};
  std::optional<std::string> kid;  // default: libtrust kid of the signing key
  bool omit_kid = false;
  Json claims = {{"iss", "gitlab-issuer"},
                 {"aud", "container_registry"},
                 {"sub", "dana-developer"},
                 {"iat", kNow},
                 {"nbf", kNow - 5},
                 {"exp", kNow + 300},
                 {"jti", "5a0c6f6e-2f5e-4f0a-9a59-3b1f8c1d2e3f"},
                 {"auth_type", "personal_access_token"},
                 {"user", NestedUser("dana-developer")},
                 {"access", Json::array({{{"type", "repository"},
                                          {"name", "acme/private-enabled"},
                                          {"actions", {"pull"}},
                                          {"meta",
                                           {{"project_path", "acme/private-enabled"},
                                            {"project_id", 7},
                                            {"root_namespace_id", 10}}}}})}};
  const protocol::Key* key = &SigningKey();
  std::optional<std::string> token;  // verbatim token instead of signing
  std::optional<std::string> body;   // verbatim body instead of {"token": …}
  Json extra_members = Json::object();
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json; charset=utf-8"}};

  StepOutput Output() const {
    StepOutput out;
    out.status = status;
    out.response_headers = headers;
    std::string t;
    if (token) {
      t = *token;
    } else {
      Json h = header;
      if (!omit_kid) h["kid"] = kid ? *kid : protocol::LibtrustKeyId(SigningKey());
      auto signed_token = protocol::SignCompact(h, claims, protocol::Alg::kRS256, *key);
      EXPECT_TRUE(signed_token.has_value());
      t = *signed_token;
    }
    Json b = extra_members;
    b["token"] = t;
    out.response_body = body ? *body : b.dump();
    return out;
  }
};

// WithExpectation sets the case's expectation as a case file states it, typed by the loader.
Case WithExpectation(Case c, Json expect) {
  auto e = ParseExpectation(expect, c.layer, c.id, "/expect", c.steps.size());
  EXPECT_TRUE(e.has_value()) << (e ? "" : DescribeLoadError(e.error()));
  if (e) c.expectation = std::move(*e);
  c.expect = std::move(expect);
  return c;
}

Case TokenCase(Json expect, Json step_params = nullptr) {
  Case c;
  c.id = "test/judge/x";
  c.layer = Layer::kTokenEndpoint;
  c.steps.push_back(test_support::MakeStep(
      StepKind::kTokenRequest, step_params.is_null()
                                   ? Json{{"credential", "dana-pat-read-registry"},
                                          {"scopes", {"repository:acme/private-enabled:pull"}}}
                                   : step_params));
  return WithExpectation(std::move(c), std::move(expect));
}

Json GrantedPull() {
  return Json::parse(
      R"({"outcome": "granted", "access": [{"type": "repository", "name": "acme/private-enabled",
          "actions": ["pull"]}]})");
}

const CheckResult* Find(const std::vector<CheckResult>& checks, std::string_view id) {
  for (const auto& c : checks) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string_view SeverityText(Severity s) {
  return s == Severity::kMust ? "MUST" : s == Severity::kShould ? "SHOULD" : "INFO";
}

std::string Failed(const std::vector<CheckResult>& checks) {
  std::string out;
  for (const auto& c : checks) {
    if (!c.passed) {
      out += c.id + " (" + std::string(SeverityText(c.severity)) + ": expected " + c.expected +
             ", observed " + c.observed + "; " + c.message + ")\n";
    }
  }
  return out;
}

// A token exactly as GitLab issues it passes every check of the gitlab profile.
TEST(JudgeTokenEndpoint, GitLabShapedGrantPasses) {
  Scenario s;
  auto checks = Judge(TokenCase(GrantedPull()), ShippedProfile("gitlab"), Context(), {s.Output()});
  EXPECT_EQ(Failed(checks), "");
  for (const char* id : {"status",
                         "content_type",
                         "token_response.parse",
                         "token_response.token",
                         "token_response.access_token",
                         "token_response.refresh_token",
                         "jwt.parse",
                         "jwt.header.alg",
                         "jwt.header.typ",
                         "jwt.header.kid",
                         "jwt.header.kid_matches_key",
                         "jwt.signature",
                         "claims.iss",
                         "claims.aud",
                         "claims.aud_form",
                         "claims.exp",
                         "claims.lifetime",
                         "claims.nbf",
                         "claims.nbf_offset",
                         "claims.iat",
                         "claims.jti",
                         "claims.sub",
                         "claims.auth_type",
                         "claims.user_info",
                         "claims.meta",
                         "access",
                         "access.order",
                         "access.denied_shape"}) {
    EXPECT_NE(Find(checks, id), nullptr) << id;
  }
  EXPECT_EQ(WorstVerdict(checks, false), Verdict::kPass);
}

struct Deviation {
  const char* label;
  std::function<void(Scenario&)> change;
  const char* check;
  Severity severity;
  const char* message_contains;
};
REGAUTH_PRINT_LABEL(Deviation)

class JudgeDeviations : public ::testing::TestWithParam<Deviation> {};

// Each deviation from GitLab's token fails exactly the check that names it, at its severity.
TEST_P(JudgeDeviations, FailsTheNamedCheck) {
  const auto& d = GetParam();
  Scenario s;
  d.change(s);
  auto checks = Judge(TokenCase(GrantedPull()), ShippedProfile("gitlab"), Context(), {s.Output()});
  const CheckResult* c = Find(checks, d.check);
  ASSERT_NE(c, nullptr) << d.check << "\n" << Failed(checks);
  EXPECT_FALSE(c->passed) << Failed(checks);
  EXPECT_EQ(c->severity, d.severity);
  EXPECT_NE(c->message.find(d.message_contains), std::string::npos) << c->message;
}

using Sv = Severity;

const Deviation kDeviations[] = {
    {"push granted too",
     [](Scenario& s) {
       s.claims["access"][0]["actions"] = {"pull", "push"};
     },
     "access", Sv::kMust, ""},
    {"nothing granted", [](Scenario& s) { s.claims["access"] = Json::array(); }, "access",
     Sv::kMust, ""},
    {"no access claim", [](Scenario& s) { s.claims.erase("access"); }, "access.claim", Sv::kShould,
     "access"},
    {"sub of another user", [](Scenario& s) { s.claims["sub"] = "ada-admin"; }, "claims.sub",
     Sv::kMust, "acting user"},
    {"aud array", [](Scenario& s) { s.claims["aud"] = {"container_registry"}; }, "claims.aud_form",
     Sv::kShould, "aud array"},
    {"aud other service", [](Scenario& s) { s.claims["aud"] = "other"; }, "claims.aud", Sv::kMust,
     "service"},
    {"iss other case", [](Scenario& s) { s.claims["iss"] = "GitLab-Issuer"; }, "claims.iss",
     Sv::kMust, "exact"},
    {"expired", [](Scenario& s) { s.claims["exp"] = kNow - 600; }, "claims.exp", Sv::kMust, ""},
    {"no exp", [](Scenario& s) { s.claims.erase("exp"); }, "claims.exp", Sv::kMust, "1970"},
    // Issue 8 item 11: longer than the configured delay (+1 s rounding) is a MUST failure under
    // the gitlab profile, shorter a SHOULD.
    {"lifetime ten minutes", [](Scenario& s) { s.claims["exp"] = kNow + 600; }, "claims.lifetime",
     Sv::kMust, "§9"},
    {"lifetime five minutes and two seconds", [](Scenario& s) { s.claims["exp"] = kNow + 302; },
     "claims.lifetime", Sv::kMust, "configured delay"},
    {"lifetime four minutes", [](Scenario& s) { s.claims["exp"] = kNow + 240; }, "claims.lifetime",
     Sv::kShould, "delay"},
    {"nbf equals iat", [](Scenario& s) { s.claims["nbf"] = kNow; }, "claims.nbf_offset",
     Sv::kShould, ""},
    {"nbf in the future", [](Scenario& s) { s.claims["nbf"] = kNow + 600; }, "claims.nbf",
     Sv::kMust, "not yet valid"},
    {"iat far off", [](Scenario& s) { s.claims["iat"] = kNow - 3600; }, "claims.iat", Sv::kShould,
     ""},
    {"no jti", [](Scenario& s) { s.claims.erase("jti"); }, "claims.jti", Sv::kShould, "jti"},
    {"auth_type of a password", [](Scenario& s) { s.claims["auth_type"] = "gitlab_or_ldap"; },
     "claims.auth_type", Sv::kShould, "auth_type"},
    // GitLab RSpec 'has encoded user information in the payload' (issue 8).
    {"no nested user JWT", [](Scenario& s) { s.claims.erase("user"); }, "claims.user_info",
     Sv::kShould, "user_info"},
    {"user claim not a JWT", [](Scenario& s) { s.claims["user"] = "dana-developer"; },
     "claims.user_info", Sv::kShould, "user_info"},
    {"user_info of another user",
     [](Scenario& s) { s.claims["user"] = NestedUser("rita-reporter"); }, "claims.user_info",
     Sv::kShould, "user_info"},
    {"no meta", [](Scenario& s) { s.claims["access"][0].erase("meta"); }, "claims.meta",
     Sv::kShould, "meta"},
    {"wrong project id in meta",
     [](Scenario& s) { s.claims["access"][0]["meta"]["project_id"] = 8; }, "claims.meta",
     Sv::kShould, "project_id"},
    {"denied resource listed empty",
     [](Scenario& s) {
       s.claims["access"].push_back(
           {{"type", "repository"}, {"name", "acme/private-private"}, {"actions", Json::array()}});
     },
     "access.denied_shape", Sv::kShould, "§6 item 2"},
    {"thumbprint kid", [](Scenario& s) { s.kid = protocol::JwkThumbprint(SigningKey()); },
     "jwt.header.kid", Sv::kMust, "kid"},
    {"kid of another key", [](Scenario& s) { s.kid = protocol::LibtrustKeyId(OtherKey()); },
     "jwt.header.kid_matches_key", Sv::kMust, "signed"},
    {"no kid", [](Scenario& s) { s.omit_kid = true; }, "jwt.header.kid", Sv::kMust, ""},
    {"signed by another key", [](Scenario& s) { s.key = &OtherKey(); }, "jwt.signature", Sv::kMust,
     "bad_signature"},
    {"no typ", [](Scenario& s) { s.header.erase("typ"); }, "jwt.header.typ", Sv::kShould, "JWT"},
    {"alg none",
     [](Scenario& s) {
       s.token = protocol::EncodeCompact(R"({"alg":"none","typ":"JWT","kid":"x"})", "{}", "");
     },
     "jwt.header.alg", Sv::kMust, "never accepted"},
    {"not a jwt", [](Scenario& s) { s.token = "abc"; }, "jwt.parse", Sv::kMust,
     "segment_count at byte 3"},
    {"claims not an object",
     [](Scenario& s) { s.token = protocol::EncodeCompact(R"({"alg":"RS256"})", "[1]", "sig"); },
     "claims.parse", Sv::kMust, "not_object"},
    {"body not json", [](Scenario& s) { s.body = "<html>"; }, "token_response.parse", Sv::kMust,
     "not_json at byte 0"},
    {"body without token", [](Scenario& s) { s.body = R"({"tokn": "x"})"; }, "token_response.parse",
     Sv::kMust, "no_token"},
    {"access_token added", [](Scenario& s) { s.extra_members["access_token"] = "x"; },
     "token_response.access_token", Sv::kShould, ""},
    {"short expires_in", [](Scenario& s) { s.extra_members["expires_in"] = 30; },
     "token_response.expires_in_below_minimum", Sv::kShould, ""},
    {"refresh token unasked", [](Scenario& s) { s.extra_members["refresh_token"] = "r"; },
     "token_response.refresh_token", Sv::kShould, ""},
    {"status 401", [](Scenario& s) { s.status = 401; }, "status", Sv::kMust, ""},
    {"text content type",
     [](Scenario& s) {
       s.headers = {{"Content-Type", "text/plain"}};
     },
     "content_type", Sv::kShould, ""},
};

INSTANTIATE_TEST_SUITE_P(Table, JudgeDeviations, ::testing::ValuesIn(kDeviations),
                         testing_support::LabelName());

// GitLab keeps request order and duplicates; the set comparison does not care, the order
// check (SHOULD, gitlab profile) does.
TEST(JudgeTokenEndpoint, OrderIsShouldSetIsMust) {
  Scenario s;
  s.claims["access"] = Json::parse(R"([
    {"type":"repository","name":"acme/public-enabled","actions":["pull"],
     "meta":{"project_path":"acme/public-enabled","project_id":1,"root_namespace_id":10}},
    {"type":"repository","name":"acme/private-enabled","actions":["pull"],
     "meta":{"project_path":"acme/private-enabled","project_id":7,"root_namespace_id":10}}])");
  Json expect = Json::parse(R"({"outcome": "granted", "access": [
    {"type": "repository", "name": "acme/private-enabled", "actions": ["pull"]},
    {"type": "repository", "name": "acme/public-enabled", "actions": ["pull"]}]})");
  auto checks = Judge(TokenCase(expect), ShippedProfile("gitlab"), Context(), {s.Output()});
  EXPECT_TRUE(Find(checks, "access")->passed);
  EXPECT_FALSE(Find(checks, "access.order")->passed);
  EXPECT_EQ(WorstVerdict(checks, false), Verdict::kNonStrict);
  // --strict turns the SHOULD into a MUST.
  auto strict =
      Judge(TokenCase(expect), ShippedProfile("gitlab"), Context(true, true), {s.Output()});
  EXPECT_EQ(Find(strict, "access.order")->severity, Severity::kMust);
  EXPECT_EQ(WorstVerdict(strict, true), Verdict::kFail);
}

// Without the target's key the signature is recorded, not verified (black-box runs).
TEST(JudgeTokenEndpoint, SignatureNotVerifiedWithoutKey) {
  Scenario s;
  s.key = &OtherKey();
  auto checks =
      Judge(TokenCase(GrantedPull()), ShippedProfile("gitlab"), Context(false), {s.Output()});
  const CheckResult* sig = Find(checks, "jwt.signature");
  ASSERT_NE(sig, nullptr);
  EXPECT_TRUE(sig->passed);
  EXPECT_EQ(sig->severity, Severity::kInfo);
  EXPECT_EQ(sig->observed, "not verified");
  EXPECT_EQ(Find(checks, "jwt.header.kid_matches_key"), nullptr);
}

// An informational action may be present or absent; presence is an INFO finding.
TEST(JudgeTokenEndpoint, InformationalActionIsRecorded) {
  Json expect = Json::parse(R"({"outcome": "granted", "access": [], "informational": [
    {"type": "repository", "name": "acme/private-enabled", "action": "pull", "reason": "why"}]})");
  Scenario present;
  auto a = Judge(TokenCase(expect), ShippedProfile("gitlab"), Context(), {present.Output()});
  EXPECT_TRUE(Find(a, "access")->passed) << Failed(a);
  EXPECT_FALSE(Find(a, "access.informational")->passed);
  EXPECT_EQ(WorstVerdict(a, false), Verdict::kInformational);
  Scenario absent;
  absent.claims["access"] = Json::array();
  auto b = Judge(TokenCase(expect), ShippedProfile("gitlab"), Context(), {absent.Output()});
  EXPECT_TRUE(Find(b, "access.informational")->passed);
  EXPECT_EQ(WorstVerdict(b, false), Verdict::kPass) << Failed(b);
}

// sub per subject (token-auth.md §3.8, §6 item 18): omitted for anonymous and deploy tokens,
// the job's user for job tokens.
TEST(JudgeTokenEndpoint, SubFollowsTheSubject) {
  Json expect = Json::parse(R"({"outcome": "granted", "access": []})");
  Scenario anon;
  anon.claims.erase("sub");
  anon.claims["auth_type"] = "none";
  anon.claims["access"] = Json::array();
  auto a = Judge(TokenCase(expect, Json{{"credential", nullptr}, {"scopes", Json::array()}}),
                 ShippedProfile("gitlab"), Context(), {anon.Output()});
  EXPECT_EQ(Failed(a), "");
  Scenario anon_sub = anon;
  anon_sub.claims["sub"] = "";
  auto b = Judge(TokenCase(expect, Json{{"credential", nullptr}}), ShippedProfile("gitlab"),
                 Context(), {anon_sub.Output()});
  EXPECT_FALSE(Find(b, "claims.sub")->passed);
  EXPECT_EQ(Find(b, "claims.sub")->severity, Severity::kShould);
  Scenario job;
  job.claims["sub"] = "rita-reporter";
  job.claims["user"] = NestedUser("rita-reporter");
  job.claims["auth_type"] = "build";
  job.claims["access"] = Json::array();
  auto c = Judge(TokenCase(expect, Json{{"credential", "job-104"}}), ShippedProfile("gitlab"),
                 Context(), {job.Output()});
  EXPECT_EQ(Failed(c), "");
  Scenario ci = job;
  ci.claims.erase("sub");
  ci.claims["auth_type"] = "ci";
  auto d = Judge(TokenCase(expect, Json{{"credential", "job-105"}}), ShippedProfile("gitlab"),
                 Context(), {ci.Output()});
  EXPECT_EQ(Failed(d), "");
}

// A profile's severity overrides apply to the check ids it names.
TEST(JudgeTokenEndpoint, ProfileSeverityOverride) {
  Profile p = ShippedProfile("gitlab");
  p.severity["claims.sub"] = Severity::kInfo;
  Scenario s;
  s.claims["sub"] = "someone";
  auto checks = Judge(TokenCase(GrantedPull()), p, Context(), {s.Output()});
  EXPECT_EQ(Find(checks, "claims.sub")->severity, Severity::kInfo);
  EXPECT_EQ(WorstVerdict(checks, false), Verdict::kInformational);
}

// GitLab's refusals (token-auth.md §3.1, §3.4).
TEST(JudgeTokenEndpoint, GitLabRefusals) {
  StepOutput unauthorized;
  unauthorized.status = 401;
  unauthorized.response_headers = {{"Content-Type", "application/json"}};
  unauthorized.response_body =
      R"({"errors":[{"code":"UNAUTHORIZED","message":"HTTP Basic: Access denied."}]})";
  auto a = Judge(TokenCase(Json{{"outcome", "unauthorized"}}), ShippedProfile("gitlab"), Context(),
                 {unauthorized});
  EXPECT_EQ(Failed(a), "");
  EXPECT_NE(Find(a, "body.error_code"), nullptr);

  StepOutput with_challenge = unauthorized;
  with_challenge.response_headers.push_back({"WWW-Authenticate", "Basic realm=\"gitlab\""});
  auto b = Judge(TokenCase(Json{{"outcome", "unauthorized"}}), ShippedProfile("gitlab"), Context(),
                 {with_challenge});
  EXPECT_FALSE(Find(b, "www_authenticate")->passed);

  StepOutput forbidden;
  forbidden.status = 403;
  forbidden.response_body =
      R"({"errors":[{"code":"DENIED","message":"access forbidden"}],"http_status":403})";
  auto c = Judge(TokenCase(Json{{"outcome", "forbidden"}}), ShippedProfile("gitlab"), Context(),
                 {forbidden});
  EXPECT_EQ(Failed(c), "");
  StepOutput no_http_status = forbidden;
  no_http_status.response_body = R"({"errors":[{"code":"DENIED","message":"access forbidden"}]})";
  auto d = Judge(TokenCase(Json{{"outcome", "forbidden"}}), ShippedProfile("gitlab"), Context(),
                 {no_http_status});
  EXPECT_FALSE(Find(d, "body.http_status")->passed);

  StepOutput not_found;
  not_found.status = 404;
  auto e = Judge(TokenCase(Json{{"outcome", "not_found"}}), ShippedProfile("gitlab"), Context(),
                 {not_found});
  EXPECT_EQ(Failed(e), "");
}

// A refusal that still hands out a token is a MUST failure twice over.
TEST(JudgeTokenEndpoint, RefusalWithTokenFails) {
  Scenario s;
  auto checks = Judge(TokenCase(Json{{"outcome", "forbidden"}}), ShippedProfile("gitlab"),
                      Context(), {s.Output()});
  EXPECT_FALSE(Find(checks, "status")->passed);
  EXPECT_FALSE(Find(checks, "no_token")->passed);
  EXPECT_EQ(Find(checks, "no_token")->severity, Severity::kMust);
}

// The error body and challenge are parsed by the core parsers; failures carry code and offset.
TEST(JudgeTokenEndpoint, ParserErrorsAreReported) {
  StepOutput out;
  out.status = 401;
  out.response_body = R"({"errors":[{"code":""}]})";
  auto a = Judge(TokenCase(Json{{"outcome", "unauthorized"}}), ShippedProfile("gitlab"), Context(),
                 {out});
  const CheckResult* shape = Find(a, "body.shape");
  ASSERT_NE(shape, nullptr);
  EXPECT_FALSE(shape->passed);
  EXPECT_NE(shape->message.find("bad_error_entry at byte 0"), std::string::npos) << shape->message;
  StepOutput bad_challenge;
  bad_challenge.status = 401;
  bad_challenge.response_headers = {{"WWW-Authenticate", "Bearer realm=\"x"}};
  auto b = Judge(TokenCase(Json{{"outcome", "unauthorized"}}), ShippedProfile("distribution"),
                 Context(), {bad_challenge});
  const CheckResult* parse = Find(b, "challenge.parse");
  ASSERT_NE(parse, nullptr);
  EXPECT_FALSE(parse->passed);
  EXPECT_NE(parse->message.find("unterminated_quoted_string at byte 13"), std::string::npos)
      << parse->message;
}

// Spec-style servers may express "forbidden" as a token granting nothing (token-auth.md §6.2).
TEST(JudgeTokenEndpoint, DistributionAcceptsEmptyGrantAsForbidden) {
  Scenario s;
  s.claims["access"] = Json::array();
  auto ok = Judge(TokenCase(Json{{"outcome", "forbidden"}}), ShippedProfile("distribution"),
                  Context(), {s.Output()});
  EXPECT_TRUE(Find(ok, "status")->passed) << Failed(ok);
  Scenario granting;
  auto bad = Judge(TokenCase(Json{{"outcome", "forbidden"}}), ShippedProfile("distribution"),
                   Context(), {granting.Output()});
  EXPECT_FALSE(Find(bad, "status")->passed);
}

// any_but_5xx: hardening cases only require that the server does not break.
TEST(JudgeTokenEndpoint, AnyBut5xx) {
  Case c = TokenCase(Json{{"outcome", "any_but_5xx"}});
  StepOutput bad_request;
  bad_request.status = 400;
  EXPECT_TRUE(Judge(c, ShippedProfile("gitlab"), Context(), {bad_request})[0].passed);
  StepOutput crash;
  crash.status = 500;
  EXPECT_FALSE(Judge(c, ShippedProfile("gitlab"), Context(), {crash})[0].passed);
}

// The outcome may come from a profile key (POST → 404 at GitLab, OAuth2 elsewhere).
TEST(JudgeTokenEndpoint, OutcomeFromProfile) {
  Json expect = Json::parse(R"({"outcome": {"profile": "token_endpoint.post",
      "by_value": {"not_found": "not_found", "oauth2": "granted"}},
      "access": [{"type": "repository", "name": "acme/private-enabled", "actions": ["pull"]}]})");
  Json params = Json::parse(R"({"credential": null, "method": "POST", "service": null,
      "form": {"grant_type": "password", "access_type": "offline"}})");
  StepOutput not_found;
  not_found.status = 404;
  auto a = Judge(TokenCase(expect, params), ShippedProfile("gitlab"), Context(), {not_found});
  EXPECT_EQ(Failed(a), "");
  Scenario oauth;
  oauth.extra_members = Json::parse(
      R"({"scope": "repository:acme/private-enabled:pull", "expires_in": 300,
          "issued_at": "2025-11-24T16:00:00Z", "refresh_token": "r"})");
  StepOutput out = oauth.Output();
  Json body = Json::parse(out.response_body);
  body["access_token"] = body["token"];
  body.erase("token");
  out.response_body = body.dump();
  auto b = Judge(TokenCase(expect, params), ShippedProfile("distribution"), Context(), {out});
  EXPECT_TRUE(Find(b, "token_response.parse")->passed) << Failed(b);
  EXPECT_TRUE(Find(b, "token_response.refresh_token")->passed) << Failed(b);
  EXPECT_TRUE(Find(b, "access")->passed) << Failed(b);
  EXPECT_EQ(Find(b, "token_response.token"), nullptr);
  // zot does not say: the status is recorded, not judged.
  auto c = Judge(TokenCase(expect, params), ShippedProfile("zot"), Context(), {not_found});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].passed);
  EXPECT_EQ(c[0].severity, Severity::kInfo);
}

// Steps that did not run, transport errors and broken expectations are reported as such.
TEST(JudgeTokenEndpoint, EngineProblems) {
  auto missing = Judge(TokenCase(GrantedPull()), ShippedProfile("gitlab"), Context(), {});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].id, "steps");
  StepOutput broken;
  broken.transport_error = true;
  auto transport = Judge(TokenCase(GrantedPull()), ShippedProfile("gitlab"), Context(), {broken});
  ASSERT_EQ(transport.size(), 1u);
  EXPECT_EQ(transport[0].id, "transport");
  // An invalid expectation never reaches the judge: the loader rejects it (CaseLoader tests).
}

// --- registry ----------------------------------------------------------------------------------

Case RegistryCase(Json expect, std::string path = "/v2/acme/x/blobs/uploads/") {
  Case c;
  c.id = "registry/test/x";
  c.layer = Layer::kRegistry;
  c.steps.push_back(test_support::MakeStep(StepKind::kRegistryRequest,
                                           {{"method", "POST"}, {"path", path}, {"token", "t"}}));
  return WithExpectation(std::move(c), std::move(expect));
}

StepOutput RegistryAnswer(int status, std::string challenge, std::string body) {
  StepOutput out;
  out.kind = StepKind::kRegistryRequest;
  out.status = status;
  if (!challenge.empty()) out.response_headers.push_back({"WWW-Authenticate", challenge});
  out.response_body = std::move(body);
  return out;
}

const char* kInsufficient =
    R"(Bearer realm="http://127.0.0.1:5001/jwt/auth",service="container_registry",scope="repository:acme/x:push,pull",error="insufficient_scope")";
const char* kUnauthorizedBody =
    R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]})";

Json InsufficientExpect() {
  return Json::parse(R"({"status": {"profile": "registry.insufficient_scope_status"},
      "challenge": {"error": "insufficient_scope", "scope": ["repository:acme/x:pull,push"]},
      "error_code": "UNAUTHORIZED"})");
}

// distribution's insufficient_scope answer (token-auth.md §2.5): scopes compared as sets.
TEST(JudgeRegistry, InsufficientScopeComparedAsSets) {
  auto checks = Judge(RegistryCase(InsufficientExpect()), ShippedProfile("distribution"), Context(),
                      {RegistryAnswer(401, kInsufficient, kUnauthorizedBody)});
  EXPECT_EQ(Failed(checks), "");
  for (const char* id : {"status", "challenge.bearer", "challenge.service", "challenge.error",
                         "challenge.scope", "body.error_code"}) {
    EXPECT_NE(Find(checks, id), nullptr) << id;
  }
}

struct RegistryDeviation {
  const char* label;
  int status;
  const char* challenge;
  const char* body;
  const char* check;
  const char* message_contains;
};
REGAUTH_PRINT_LABEL(RegistryDeviation)

class JudgeRegistryDeviations : public ::testing::TestWithParam<RegistryDeviation> {};

TEST_P(JudgeRegistryDeviations, FailsTheNamedCheck) {
  const auto& d = GetParam();
  auto checks = Judge(RegistryCase(InsufficientExpect()), ShippedProfile("distribution"), Context(),
                      {RegistryAnswer(d.status, d.challenge, d.body)});
  const CheckResult* c = Find(checks, d.check);
  ASSERT_NE(c, nullptr) << Failed(checks);
  EXPECT_FALSE(c->passed);
  EXPECT_NE(c->message.find(d.message_contains), std::string::npos) << c->message;
}

const RegistryDeviation kRegistryDeviations[] = {
    {"403 instead of 401", 403, kInsufficient, kUnauthorizedBody, "status", ""},
    {"scope missing push", 401,
     R"(Bearer realm="r",service="container_registry",scope="repository:acme/x:pull",error="insufficient_scope")",
     kUnauthorizedBody, "challenge.scope", "sets"},
    {"invalid scope in challenge", 401,
     R"(Bearer realm="r",service="container_registry",scope="repository:ACME/x:pull",error="insufficient_scope")",
     kUnauthorizedBody, "challenge.scope", "bad_name"},
    {"no error param", 401,
     R"(Bearer realm="r",service="container_registry",scope="repository:acme/x:pull,push")",
     kUnauthorizedBody, "challenge.error", ""},
    {"malformed challenge", 401, R"(Bearer realm="r",,=x)", kUnauthorizedBody, "challenge.parse",
     "at byte"},
    {"basic challenge", 401, R"(Basic realm="r")", kUnauthorizedBody, "challenge.bearer",
     "not_bearer"},
    {"no challenge", 401, "", kUnauthorizedBody, "challenge.parse", ""},
    {"other service", 401,
     R"(Bearer realm="r",service="other",scope="repository:acme/x:pull,push",error="insufficient_scope")",
     kUnauthorizedBody, "challenge.service", ""},
    {"denied code", 401, kInsufficient, R"({"errors":[{"code":"DENIED"}]})", "body.error_code", ""},
    {"body not json", 401, kInsufficient, "nope", "body.error_code", "not_json"},
};

INSTANTIATE_TEST_SUITE_P(Table, JudgeRegistryDeviations, ::testing::ValuesIn(kRegistryDeviations),
                         testing_support::LabelName());

// The insufficient_scope status comes from the profile (token-auth.md §6 item 1).
TEST(JudgeRegistry, StatusFromProfile) {
  Profile p = ShippedProfile("distribution");
  p.raw["registry"]["insufficient_scope_status"] = 403;
  auto checks = Judge(RegistryCase(InsufficientExpect()), p, Context(),
                      {RegistryAnswer(403, kInsufficient, kUnauthorizedBody)});
  EXPECT_TRUE(Find(checks, "status")->passed) << Failed(checks);
}

// implementation_defined: the profile's value picks the expectation; unknown → INFO only.
TEST(JudgeRegistry, ImplementationDefined) {
  Json expect = Json::parse(R"({"status": [401], "implementation_defined": {
      "key": "registry.aud_array",
      "by_value": {"rejected": {"status": [401], "challenge": {"error": "invalid_token"}},
                   "accepted": {"status": [200, 404]}}}})");
  const char* invalid = R"(Bearer realm="r",service="container_registry",error="invalid_token")";
  auto v28 = Judge(RegistryCase(expect, "/v2/acme/x/tags/list"), ShippedProfile("distribution"),
                   Context(), {RegistryAnswer(401, invalid, kUnauthorizedBody)});
  EXPECT_EQ(Failed(v28), "");
  EXPECT_NE(Find(v28, "challenge.error"), nullptr);
  auto v3 = Judge(RegistryCase(expect, "/v2/acme/x/tags/list"), ShippedProfile("distribution-v3"),
                  Context(), {RegistryAnswer(401, invalid, kUnauthorizedBody)});
  EXPECT_FALSE(Find(v3, "status")->passed);
  auto gitlab = Judge(RegistryCase(expect, "/v2/acme/x/tags/list"), ShippedProfile("gitlab"),
                      Context(), {RegistryAnswer(200, "", "")});
  for (const auto& c : gitlab) EXPECT_EQ(c.severity, Severity::kInfo) << c.id;
  EXPECT_EQ(WorstVerdict(gitlab, false), Verdict::kInformational);
}

// An error= from a profile key, and "challenge": "absent" (zot's invalid-token answer).
TEST(JudgeRegistry, ChallengeErrorFromProfileAndAbsentChallenge) {
  Json expect = Json::parse(R"({"status": [401],
      "challenge": {"error": {"profile": "registry.bad_signature_error"}}})");
  const char* no_error = R"(Bearer realm="r",service="container_registry")";
  auto v3 = Judge(RegistryCase(expect), ShippedProfile("distribution-v3"), Context(),
                  {RegistryAnswer(401, no_error, kUnauthorizedBody)});
  EXPECT_EQ(Failed(v3), "");
  auto v28 = Judge(RegistryCase(expect), ShippedProfile("distribution"), Context(),
                   {RegistryAnswer(401, no_error, kUnauthorizedBody)});
  EXPECT_FALSE(Find(v28, "challenge.error")->passed);
  Json absent = Json::parse(R"({"status": [401], "challenge": "absent"})");
  auto zot = Judge(RegistryCase(absent), ShippedProfile("zot"), Context(),
                   {RegistryAnswer(401, no_error, "")});
  EXPECT_FALSE(Find(zot, "challenge.absent")->passed);
}

// /v2/ answers carry Docker-Distribution-API-Version (api.md), per profile.
TEST(JudgeRegistry, ApiVersionHeaderOnBase) {
  Json expect = Json::parse(R"({"status": [401]})");
  StepOutput out = RegistryAnswer(401, R"(Bearer realm="r",service="container_registry")", "");
  auto missing =
      Judge(RegistryCase(expect, "/v2/"), ShippedProfile("distribution"), Context(), {out});
  EXPECT_FALSE(Find(missing, "header.api_version")->passed);
  out.response_headers.push_back({"Docker-Distribution-API-Version", "registry/2.0"});
  auto present =
      Judge(RegistryCase(expect, "/v2/"), ShippedProfile("distribution"), Context(), {out});
  EXPECT_TRUE(Find(present, "header.api_version")->passed);
  auto zot = Judge(RegistryCase(expect, "/v2/"), ShippedProfile("zot"), Context(), {out});
  EXPECT_EQ(Find(zot, "header.api_version"), nullptr);
}

// --- flow --------------------------------------------------------------------------------------

// docker login then a pull and a push (cases/README.md "Flow").
TEST(JudgeFlow, LoginThenSteps) {
  Case c;
  c.id = "flow/ci/x";
  c.layer = Layer::kFlow;
  const Json pull = {{"method", "GET"}, {"path", "/v2/acme/app-ci/tags/list"}};
  Json push = pull;
  push["method"] = "POST";
  c.steps = {test_support::MakeStep(StepKind::kDockerLoginFlow, {{"credential", "job-101"}}),
             test_support::MakeStep(StepKind::kRegistryRequest, pull),
             test_support::MakeStep(StepKind::kRegistryRequest, push)};
  c = WithExpectation(std::move(c), Json::parse(R"({"login": "succeeds", "then": [
                                                      {"step": 1, "pull": "allowed"},
                                                      {"step": 2, "push": "denied"}]})"));
  StepOutput ok;
  ok.status = 200;
  StepOutput name_unknown;
  name_unknown.status = 404;
  StepOutput refused;
  refused.status = 401;
  auto good = Judge(c, ShippedProfile("gitlab"), Context(), {ok, name_unknown, refused});
  EXPECT_EQ(Failed(good), "");
  ASSERT_EQ(good.size(), 3u);
  EXPECT_EQ(good[1].id, "then.1");
  auto bad = Judge(c, ShippedProfile("gitlab"), Context(), {refused, refused});
  EXPECT_FALSE(Find(bad, "login")->passed);
  EXPECT_FALSE(Find(bad, "then.1")->passed);
  EXPECT_EQ(Find(bad, "then.2")->observed, "step did not run");
}

// --- the matrix and the judge agree -------------------------------------------------------------

// IdealMeta is GitLab's access[].meta for a repository of `name`: root_namespace_id is the
// top-level group, or the personal namespace of the owner when the world gives its id; with
// protected tags on and tag rules, tag_deny_access_patterns for `user` (the service's
// tag_deny_access_patterns: one list per granted push/delete, `*` both; admins none denied).
Json IdealMeta(const protocol::World& world, const std::string& name, const protocol::User* user,
               const Json& actions) {
  const protocol::Project* p = world.FindProject(name);
  Json meta = {{"project_path", name}, {"project_id", p->id}};
  if (user != nullptr && world.instance().protected_tags &&
      !p->container_protection_tag_rules.empty()) {
    Json deny = Json::object();
    for (const auto& a : actions) {
      for (const char* kind : {"push", "delete"}) {
        if (a == kind || a == "*") deny[kind] = Json::array();
      }
    }
    const auto role = EffectiveRole(world, user->username, p->path);
    const int level = user->admin ? 100 : role ? static_cast<int>(*role) : 0;
    for (const auto& rule : p->container_protection_tag_rules) {
      if (deny.contains("push") && static_cast<int>(rule.minimum_access_level_for_push) > level) {
        deny["push"].push_back(rule.tag_name_pattern);
      }
      if (deny.contains("delete") &&
          static_cast<int>(rule.minimum_access_level_for_delete) > level) {
        deny["delete"].push_back(rule.tag_name_pattern);
      }
    }
    meta["tag_deny_access_patterns"] = deny;
  }
  const auto groups = world.AncestorGroups(name);
  if (!groups.empty()) {
    meta["root_namespace_id"] = groups.front()->id;
  } else if (const protocol::User* owner = world.FindUser(p->namespace_path);
             owner != nullptr && owner->namespace_id) {
    meta["root_namespace_id"] = *owner->namespace_id;
  }
  return meta;
}

// IdealGitLabAnswer answers a matrix case the way GitLab would if the matrix is right
// (token-auth.md §3.1, §3.4, §3.8), so the judge must pass it: the matrix's expectations and
// the judge's reading of subjects (sub, auth_type, meta) are consistent.
StepOutput IdealGitLabAnswer(const Case& c) {
  const Json& e = c.expect;
  const std::string outcome = e["outcome"].get<std::string>();
  StepOutput out;
  if (outcome == "unauthorized") {
    out.status = 401;
    out.response_body =
        R"({"errors":[{"code":"UNAUTHORIZED","message":"HTTP Basic: Access denied"}]})";
    return out;
  }
  if (outcome == "forbidden") {
    out.status = 403;
    out.response_body =
        R"({"errors":[{"code":"DENIED","message":"access forbidden"}],"http_status":403})";
    return out;
  }
  const auto& world = DefaultWorld();
  const auto& credential_id = c.steps[0].As<TokenRequestStep>().credential;
  const Json cred = credential_id ? Json(*credential_id) : Json(nullptr);
  Json claims = {{"iss", "gitlab-issuer"}, {"aud", "container_registry"}, {"iat", kNow},
                 {"nbf", kNow - 5},        {"exp", kNow + 300},           {"jti", "j"}};
  std::string auth_type = "none";
  const protocol::User* user = nullptr;
  if (cred.is_string()) {
    const protocol::Credential* credential = world.FindCredential(cred.get<std::string>());
    user = ActingUser(world, *credential);
    if (user != nullptr) claims["sub"] = user->username;
    switch (credential->kind) {
      case protocol::CredentialKind::kPassword:
        auth_type = "gitlab_or_ldap";
        break;
      case protocol::CredentialKind::kOAuthToken:
        auth_type = "oauth";
        break;
      case protocol::CredentialKind::kDeployToken:
      case protocol::CredentialKind::kGroupDeployToken:
        auth_type = "deploy_token";
        break;
      case protocol::CredentialKind::kJobToken:
        auth_type = user != nullptr ? "build" : "ci";
        break;
      default:
        auth_type = "personal_access_token";
    }
  }
  claims["auth_type"] = auth_type;
  claims["user"] = NestedUser(user != nullptr ? user->username : "");
  Json access = Json::array();
  auto add = [&](const std::string& type, const std::string& name, const std::string& action) {
    for (auto& a : access) {
      if (a["type"] == type && a["name"] == name) {
        a["actions"].push_back(action);
        return;
      }
    }
    Json entry = {{"type", type}, {"name", name}, {"actions", {action}}};
    if (type == "repository") {
      entry["meta"] = IdealMeta(world, name, user, entry["actions"]);
    }
    access.push_back(entry);
  };
  for (const auto& a : e["access"]) {
    Json entry = {{"type", a["type"]}, {"name", a["name"]}, {"actions", a["actions"]}};
    if (a["type"] == "repository") {
      const std::string name = a["name"].get<std::string>();
      entry["meta"] = IdealMeta(world, name, user, a["actions"]);
    }
    access.push_back(entry);
  }
  if (auto it = e.find("informational"); it != e.end()) {
    for (const auto& i : *it) add(i["type"], i["name"], i["action"]);
  }
  claims["access"] = access;
  auto token =
      protocol::SignCompact({{"typ", "JWT"}, {"kid", protocol::LibtrustKeyId(SigningKey())}},
                            claims, protocol::Alg::kRS256, SigningKey());
  EXPECT_TRUE(token.has_value());
  out.status = 200;
  out.response_headers = {{"Content-Type", "application/json"}};
  out.response_body = Json{{"token", *token}}.dump();
  return out;
}

TEST(JudgeMatrix, IdealGitLabAnswersPassEverySampledCase) {
  auto m = LoadMatrixFile(Source("cases/matrix/gitlab-token-endpoint.json"));
  ASSERT_TRUE(m.has_value()) << DescribeLoadError(m.error());
  auto cases = ExpandMatrix(*m, DefaultWorld());
  ASSERT_TRUE(cases.has_value());
  std::set<std::string> kinds_seen;
  std::size_t judged = 0;
  for (std::size_t i = 0; i < cases->size(); ++i) {
    const Case& c = (*cases)[i];
    // Every 13th case, plus every case of a kind not judged yet.
    if (i % 13 != 0 && kinds_seen.count(c.dims.credential_kind + c.dims.credential_state) != 0) {
      continue;
    }
    kinds_seen.insert(c.dims.credential_kind + c.dims.credential_state);
    auto checks = Judge(c, ShippedProfile("gitlab"), Context(), {IdealGitLabAnswer(c)});
    const Verdict v = WorstVerdict(checks, false);
    EXPECT_TRUE(v == Verdict::kPass || v == Verdict::kInformational) << c.id << "\n"
                                                                     << Failed(checks);
    ++judged;
  }
  EXPECT_GT(judged, 800u);
}

// --- hostile answers ---------------------------------------------------------------------------

// Whatever a target sends, the judge returns checks and never throws (its inputs are hostile).
TEST(JudgeHostile, NeverThrowsOnGarbage) {
  std::vector<StepOutput> answers;
  const char* bodies[] = {
      "",
      "null",
      "[]",
      "{",
      "\xff\xfe",
      R"({"token": 5})",
      R"({"token": "a.b.c"})",
      R"({"token": "", "access_token": ""})",
      R"({"errors": "x"})",
      R"({"errors": [null]})",
      R"({"errors": [{"code": "DENIED", "detail": {"a": [1, {"b": null}]}}], "http_status": "x"})",
      "{\"token\": \"\u0000\"}"};
  const char* headers[] = {"",
                           "Bearer",
                           "Bearer realm=",
                           "Basic realm=\"x\", Bearer realm=\"y\"",
                           "Bearer realm=\"r\",scope=\"a b  c\",error=\"\"",
                           "\x01\x02"};
  const Json hostile_claims[] = {
      Json::parse(R"({"access": "pull"})"),
      Json::parse(R"({"access": [{"type": 1}]})"),
      Json::parse(R"({"aud": 5, "exp": 1.5})"),
      Json::parse(R"({"exp": 9223372036854775807, "iat": -9223372036854775807, "nbf": 0})"),
      Json::parse(R"({"access": [{"type": "repository", "name": "x", "actions": ["pull"],
                                  "meta": [1]}], "auth_type": {"a": 1}, "sub": ""})"),
  };
  for (int status : {0, 200, 401, 403, 404, 500}) {
    for (const char* body : bodies) {
      for (const char* header : headers) {
        StepOutput out;
        out.status = status;
        out.response_body = body;
        if (header[0] != '\0') out.response_headers = {{"WWW-Authenticate", header}};
        answers.push_back(out);
      }
    }
  }
  for (const Json& claims : hostile_claims) {
    Scenario s;
    s.claims = claims;
    answers.push_back(s.Output());
  }
  std::vector<Case> cases = {TokenCase(GrantedPull()), TokenCase(Json{{"outcome", "unauthorized"}}),
                             TokenCase(Json{{"outcome", "forbidden"}}),
                             TokenCase(Json{{"outcome", "any_but_5xx"}}),
                             RegistryCase(InsufficientExpect())};
  for (const char* profile : {"gitlab", "distribution", "distribution-v3", "zot", "harbor"}) {
    for (const Case& c : cases) {
      for (const StepOutput& out : answers) {
        std::vector<CheckResult> checks;
        EXPECT_NO_THROW(checks = Judge(c, ShippedProfile(profile), Context(), {out}));
        EXPECT_FALSE(checks.empty());
      }
    }
  }
}

// --- helpers -----------------------------------------------------------------------------------

TEST(JudgeHelpers, KidFormats) {
  EXPECT_TRUE(IsLibtrustKeyId("PYYO:TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q6"));
  EXPECT_FALSE(IsLibtrustKeyId("PYYO:TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q1"));
  EXPECT_FALSE(IsLibtrustKeyId("pyyo:TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q6"));
  EXPECT_FALSE(IsLibtrustKeyId("PYYO-TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q6"));
  EXPECT_TRUE(IsLibtrustKeyId(protocol::LibtrustKeyId(SigningKey())));
  EXPECT_TRUE(IsJwkThumbprint(protocol::JwkThumbprint(SigningKey())));
  EXPECT_FALSE(IsJwkThumbprint("abc"));
}

TEST(JudgeHelpers, SubstitutesTargetReferences) {
  EXPECT_EQ(Substitute("${service}/${issuer}/${registry_host}/${unknown}", &Target(), nullptr),
            "container_registry/gitlab-issuer/127.0.0.1:5000/${unknown}");
  EXPECT_EQ(Substitute("${service}", nullptr, &DefaultWorld()), "container_registry");
  EXPECT_EQ(Substitute("plain ${", &Target(), nullptr), "plain ${");
}

}  // namespace
}  // namespace regauth::harness
