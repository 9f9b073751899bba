// runner_test_support.h — test-only fixtures shared by the runner's tests (steps, target,
// executor, runner, replay): the shipped world and profiles at a fixed clock, the test signing
// key, and FakeGitlab, a small GitLab-like token endpoint + registry served by the reference
// server's HTTP adapter (test-only link of regauth::server_http, as http_client_test does) with
// canned answers.
//
// FakeGitlab answers (one origin for both, like a GitLab instance):
//   GET /v2/                    401 + Bearer challenge (realm <base>/jwt/auth, service
//                               container_registry); 200 with a valid token, or always 200 in
//                               open_v2 mode
//   GET /jwt/auth               Basic credentials of a world credential (secret + login username;
//                               the username is ignored for PATs and access tokens, as GitLab
//                               does) → 200 {"token": <GitLab-shaped RS256 JWT granting "pull" on
//                               every requested repository scope asking for pull, and "push"
//                               too when asked and the credential has write_registry>}; wrong
//                               credentials → 401 UNAUTHORIZED JSON; anonymous → 403 DENIED JSON;
//                               unknown service → 404; ban mode → 403 text/plain "Forbidden"
//   GET /v2/<name>/tags/list    valid token with pull on <name> → 200; else 401 with challenge
//   POST /v2/<name>/blobs/uploads/  202 with Location = upload_location (default: same origin)
//   anything else               404
// Every request is recorded; every token issued is kept (tests check none leaks).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/execute/steps.h"
#include "harness/judge/profile.h"
#include "harness/suite/case_loader.h"
#include "harness/suite/data_file.h"
#include "harness/testing/world.h"
#include "net/http_server.h"
#include "protocol/credentials.h"
#include "protocol/jws.h"
#include "protocol/jwt.h"
#include "protocol/keys.h"
#include "protocol/scope.h"
#include "protocol/world.h"

namespace regauth::harness::test_support {

using Json = nlohmann::json;
inline const Profile& ShippedProfile(std::string_view name) {
  static const std::vector<Profile> profiles = [] {
    auto r = LoadProfileDir(Source("cases/profiles"));
    EXPECT_TRUE(r.has_value()) << (r ? "" : DescribeLoadError(r.error()));
    return std::move(*r);
  }();
  const Profile* p = FindProfile(profiles, name);
  EXPECT_NE(p, nullptr) << name;
  return *p;
}

inline const protocol::Key& TestKey() {
  static const protocol::Key key = [] {
    auto text = ReadTextFile(Source("protocol/testdata/rsa2048.key.pem"));
    EXPECT_TRUE(text.has_value());
    auto k = protocol::LoadPrivateKeyPem(*text);
    EXPECT_TRUE(k.has_value());
    return *k;
  }();
  return key;
}

// MakeCase parses one case object (cases/README.md format; requirement and source default to
// "test"); failures are test failures.
inline Case MakeCase(Json j) {
  for (const char* member : {"requirement", "source"}) {
    if (!j.contains(member)) j[member] = "test";
  }
  auto c = CaseFromJson(j, "test", "/cases/0");
  EXPECT_TRUE(c.has_value()) << (c ? "" : DescribeLoadError(c.error()));
  return c ? *c : Case{};
}

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string authorization;
};

class FakeGitlab {
 public:
  FakeGitlab() {
    net::HttpServerOptions o;
    o.threads = 2;
    auto s = net::HttpServer::Start(o, [this](const net::HttpRequest& r) { return Handle(r); });
    EXPECT_TRUE(s.has_value());
    if (s) server_ = std::move(*s);
    base_ = server_ ? server_->BaseUrl() : "http://127.0.0.1:1";
    std::lock_guard<std::mutex> lock(mu_);
    upload_location_ = base_ + "/v2/acme/app/blobs/uploads/u-1";
  }

  const std::string& base() const { return base_; }
  std::string realm() const { return base_ + "/jwt/auth"; }
  std::atomic<bool> ban{false};
  std::atomic<bool> open_v2{false};
  std::atomic<int> ban_after{-1};       // ban once this many token requests were answered
  std::atomic<bool> real_clock{false};  // iat = the wall clock instead of kNow (RunSuite tests)

  void set_upload_location(std::string l) {
    std::lock_guard<std::mutex> lock(mu_);
    upload_location_ = std::move(l);
  }
  std::vector<RecordedRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<std::string> issued() {
    std::lock_guard<std::mutex> lock(mu_);
    return issued_;
  }

  TargetInfo Info() const {
    TargetInfo t;
    t.kind = "black-box";
    t.registry_url = base_;
    t.registry_host = base_.substr(std::string("http://").size());
    t.realm = base_ + "/jwt/auth";
    t.service = "container_registry";
    t.issuer = "gitlab-issuer";
    t.challenge = Challenge("");
    return t;
  }

 private:
  std::string Challenge(const std::string& extra) const {
    return "Bearer realm=\"" + base_ + "/jwt/auth\",service=\"container_registry\"" + extra;
  }

  static net::HttpResponse Unauthorized401Json() {
    return net::HttpResponse::Json(
        401, R"({"errors":[{"code":"UNAUTHORIZED","message":"HTTP Basic: Access denied."}]})");
  }

  net::HttpResponse Handle(const net::HttpRequest& r) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(
          {r.method, r.target, std::string(r.Header("Authorization").value_or(""))});
    }
    if (r.path == "/jwt/auth") return Token(r);
    if (r.path == "/v2/" || r.path == "/v2") {
      if (open_v2.load() || ValidToken(r, "")) {
        auto ok = net::HttpResponse::Json(200, "{}");
        ok.AddHeader("Docker-Distribution-Api-Version", "registry/2.0");
        return ok;
      }
      auto res = net::HttpResponse::Json(
          401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
      res.AddHeader("WWW-Authenticate", Challenge(""));
      res.AddHeader("Docker-Distribution-Api-Version", "registry/2.0");
      return res;
    }
    const std::string tags = "/tags/list";
    if (r.path.starts_with("/v2/") && r.path.ends_with(tags)) {
      const std::string name = r.path.substr(4, r.path.size() - 4 - tags.size());
      if (ValidToken(r, name)) {
        return net::HttpResponse::Json(200, R"({"name":")" + name + R"(","tags":[]})");
      }
      auto res = net::HttpResponse::Json(
          401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
      res.AddHeader("WWW-Authenticate", Challenge(",scope=\"repository:" + name +
                                                  ":pull\",error=\"insufficient_scope\""));
      return res;
    }
    if (r.method == "POST" && r.path.ends_with("/blobs/uploads/")) {
      net::HttpResponse res;
      res.status = 202;
      std::lock_guard<std::mutex> lock(mu_);
      res.AddHeader("Location", upload_location_);
      return res;
    }
    return net::HttpResponse::Json(404, R"({"errors":[{"code":"NAME_UNKNOWN"}]})");
  }

  // ValidToken: a Bearer token we issued, granting pull on `name` ("" = any valid token).
  bool ValidToken(const net::HttpRequest& r, const std::string& name) {
    auto auth = r.Header("Authorization");
    if (!auth || !auth->starts_with("Bearer ")) return false;
    auto jws = protocol::ParseCompactJws(auth->substr(7));
    if (!jws ||
        !protocol::VerifySignature(*jws, TestKey(), protocol::AlgPolicy::DistributionV28())) {
      return false;
    }
    if (name.empty()) return true;
    auto claims = protocol::ParseClaims(jws->payload);
    if (!claims || !claims->access) return false;
    for (const auto& a : *claims->access) {
      if (a.name == name &&
          std::find(a.actions.begin(), a.actions.end(), "pull") != a.actions.end()) {
        return true;
      }
    }
    return false;
  }

  net::HttpResponse Token(const net::HttpRequest& r) {
    const int after = ban_after.load();
    const int answered = token_requests_.fetch_add(1);
    if (ban.load() || (after >= 0 && answered >= after)) {
      return net::HttpResponse::Text(403, "Forbidden\n");
    }
    if (r.method != "GET") return net::HttpResponse::Text(404, "Not Found");
    const protocol::World& world = DefaultWorld();
    const protocol::Credential* cred = nullptr;
    if (auto auth = r.Header("Authorization")) {
      auto parsed = protocol::ParseCredentials(*auth);
      if (!parsed || !parsed->SchemeIs("Basic")) return Unauthorized401Json();
      const auto& basic = std::get<protocol::BasicCredentials>(parsed->value);
      cred = world.FindCredentialBySecret(basic.password);
      const bool username_ignored =
          cred != nullptr && (cred->kind == protocol::CredentialKind::kPersonalAccessToken ||
                              cred->kind == protocol::CredentialKind::kProjectAccessToken ||
                              cred->kind == protocol::CredentialKind::kGroupAccessToken);
      if (cred == nullptr || (!username_ignored && basic.username != cred->login_username)) {
        return Unauthorized401Json();
      }
    }
    if (r.QueryParam("service").value_or("") != "container_registry") {
      return net::HttpResponse::Text(404, "");
    }
    Json access = Json::array();
    for (const auto& scope_text : r.QueryParams("scope")) {
      auto scopes = protocol::ParseScopeList(scope_text);
      if (!scopes) continue;
      for (const auto& s : *scopes) {
        const bool writer = cred != nullptr && std::find(cred->scopes.begin(), cred->scopes.end(),
                                                         "write_registry") != cred->scopes.end();
        auto asked = [&](const char* a) {
          return std::find(s.actions.begin(), s.actions.end(), a) != s.actions.end();
        };
        if (!asked("pull")) continue;
        Json actions = Json::array({"pull"});
        if (writer && asked("push")) actions.push_back("push");
        Json meta;
        if (const protocol::Project* p = world.FindProject(s.name)) {
          meta = {{"project_path", p->path}, {"project_id", p->id}};
          const auto groups = world.AncestorGroups(p->path);
          if (!groups.empty()) meta["root_namespace_id"] = groups.front()->id;
        }
        Json entry = {{"type", s.type}, {"name", s.name}, {"actions", actions}};
        if (!meta.is_null()) entry["meta"] = meta;
        access.push_back(entry);
      }
    }
    if (cred == nullptr && access.empty()) {
      return net::HttpResponse::Json(
          403, R"({"errors":[{"code":"DENIED","message":"access forbidden"}],"http_status":403})");
    }
    const int64_t now = real_clock.load() ? std::chrono::duration_cast<std::chrono::seconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count()
                                          : kNow;
    Json claims = {{"iss", "gitlab-issuer"},
                   {"aud", "container_registry"},
                   {"iat", now},
                   {"nbf", now - 5},
                   {"exp", now + 300},
                   {"jti", "jti-" + std::to_string(jti_.fetch_add(1))},
                   {"access", access}};
    claims["auth_type"] = "none";
    if (cred != nullptr) {
      if (!cred->user.empty()) claims["sub"] = cred->user;
      switch (cred->kind) {
        case protocol::CredentialKind::kPassword:
          claims["auth_type"] = "gitlab_or_ldap";
          break;
        case protocol::CredentialKind::kDeployToken:
        case protocol::CredentialKind::kGroupDeployToken:
          claims["auth_type"] = "deploy_token";
          break;
        case protocol::CredentialKind::kJobToken:
          claims["auth_type"] = "build";
          break;
        case protocol::CredentialKind::kOAuthToken:
          claims["auth_type"] = "oauth";
          break;
        default:
          claims["auth_type"] = "personal_access_token";
      }
    }
    // GitLab's nested `user` JWT (user_info_token): the caller's user_info, null without a user.
    Json user_info = nullptr;
    if (cred != nullptr && !cred->user.empty()) {
      user_info = {{"token_type", claims["auth_type"]}, {"username", cred->user}};
    }
    auto user_jwt =
        protocol::SignCompact({{"typ", "JWT"}}, {{"user_info", user_info}, {"iat", now}},
                              protocol::Alg::kRS256, TestKey());
    EXPECT_TRUE(user_jwt.has_value());
    if (user_jwt) claims["user"] = *user_jwt;
    static const std::string kid = protocol::LibtrustKeyId(TestKey());
    const Json header = {{"typ", "JWT"}, {"kid", kid}};
    auto token = protocol::SignCompact(header, claims, protocol::Alg::kRS256, TestKey());
    EXPECT_TRUE(token.has_value());
    {
      std::lock_guard<std::mutex> lock(mu_);
      issued_.push_back(*token);
    }
    return net::HttpResponse::Json(200, Json{{"token", *token}}.dump());
  }

  std::unique_ptr<net::HttpServer> server_;
  std::string base_;
  std::mutex mu_;
  std::vector<RecordedRequest> requests_;
  std::vector<std::string> issued_;
  std::string upload_location_;
  std::atomic<int> jti_{1};
  std::atomic<int> token_requests_{0};
};

// TestRun is a RunContext against a FakeGitlab (or any TargetInfo), with the world's secrets
// registered, a fixed clock and the test key as the target's signing key.
struct TestRun {
  explicit TestRun(TargetInfo target, bool with_key = true) : info(std::move(target)) {
    RegisterWorldSecrets(DefaultWorld(), redactor);
    ctx.target = &info;
    ctx.world = &DefaultWorld();
    ctx.redactor = &redactor;
    std::vector<Origin> allowed;
    if (auto o = OriginOf(info.registry_url)) allowed.push_back(*o);
    if (auto o = OriginOf(info.realm)) allowed.push_back(*o);
    ctx.guard = CredentialGuard(allowed);
    ctx.client_options.timeout = std::chrono::milliseconds(5000);
    if (with_key) {
      ctx.signing_key = TestKey();
      ctx.verify_key = TestKey();
    }
    ctx.attacker_keys = &attacker;
    ctx.image = &image;
    ctx.clock = [] { return kNow; };
  }
  TestRun(const TestRun&) = delete;
  TestRun& operator=(const TestRun&) = delete;

  TargetInfo info;
  Redactor redactor;
  AttackerKeys attacker;
  net::OciImage image = net::BuildTinyImage("test");
  RunContext ctx;
};

}  // namespace regauth::harness::test_support
