// step_token_request.cc — the token_request step: one request to the realm, recorded, its tokens
// kept for later steps and registered with the redactor.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "harness/execute/step_support.h"
#include "harness/suite/refs.h"
#include "net/process.h"
#include "protocol/ascii.h"
#include "protocol/base64.h"
#include "protocol/challenge.h"
#include "protocol/credentials.h"
#include "protocol/json.h"
#include "protocol/jws.h"
#include "protocol/token_response.h"

namespace regauth::harness::stepping {

using Json = nlohmann::json;
using protocol::Unexpected;
using Clock = std::chrono::steady_clock;

StepResult TokenRequest(const Step& step, const RunContext& ctx, CaseState& state) {
  StepResult result;
  result.output.kind = StepKind::kTokenRequest;
  Subst subst(ctx, state, result);
  const TokenRequestStep& p = step.As<TokenRequestStep>();
  std::vector<CredentialUse> creds;

  std::optional<std::string> basic;
  std::optional<CredentialUse> basic_use;
  const std::optional<std::string>& credential_id = p.credential;
  if (credential_id) {
    const protocol::Credential* c = ctx.world->FindCredential(*credential_id);
    if (c == nullptr) {
      result.skip = "credential '" + *credential_id + "' is not in the world";
      return result;
    }
    const std::string mutation = p.mutate.value_or("");
    std::string username = c->login_username;
    std::string secret = c->secret;
    if (mutation == "wrong_secret") secret = MutatedSecret(*c, *ctx.world);
    if (mutation == "wrong_username") username = MutatedUsername(*c, *ctx.world);
    auto header = protocol::SerializeBasic(username, secret);
    if (!header) {
      result.error = "credential '" + *credential_id + "' cannot be sent as Basic (" +
                     std::string(CodeName(header.error().code)) + ")";
      return result;
    }
    basic = *header;
    basic_use = CredentialUse{*credential_id, mutation, username};
  }

  std::vector<std::string> query;
  if (p.service) {
    auto v = subst(*p.service);
    if (!v) return result;
    query.push_back("service=" + QueryEscape(*v));
  }
  std::vector<std::string> scopes;
  for (const auto& scope : p.scopes) {
    auto v = subst(scope);
    if (!v) return result;
    scopes.push_back(*v);
  }
  if (p.scope_encoding == "space_joined") {
    if (!scopes.empty()) {
      std::string joined;
      for (std::size_t i = 0; i < scopes.size(); ++i) joined += (i ? " " : "") + scopes[i];
      query.push_back("scope=" + QueryEscape(joined));
    }
  } else {
    for (const auto& s : scopes) query.push_back("scope=" + QueryEscape(s));
  }
  for (const auto& [k, v] : p.query) {
    auto value = subst(v, &creds);
    if (!value) return result;
    query.push_back(QueryEscape(k) + "=" + QueryEscape(*value));
  }

  net::ClientRequest req;
  req.method = p.method;
  req.url = WithQuery(ctx.target->realm, query);
  if (p.authorization) {
    auto v = subst(*p.authorization, &creds);
    if (!v) return result;
    req.headers.emplace_back("Authorization", *v);
  } else if (basic) {
    req.headers.emplace_back("Authorization", *basic);
    creds.insert(creds.begin(), *basic_use);
  }
  if (p.form) {
    std::string body;
    for (const auto& [k, v] : *p.form) {
      auto value = subst(v, &creds);
      if (!value) return result;
      if (!body.empty()) body += '&';
      body += QueryEscape(k) + "=" + QueryEscape(*value);
    }
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = std::move(body);
  }
  if (!req.headers.empty() || !creds.empty()) {
    if (auto why = ctx.guard.Check(req.url)) {
      result.error = *why;
      return result;
    }
  }
  const auto form = req.method == "POST" ? protocol::TokenResponseForm::kOAuth2
                                         : protocol::TokenResponseForm::kGet;
  std::optional<std::string> token, refresh;
  Sender sender(ctx, state, result, "token_request");
  auto res = sender.Send(req, std::move(creds), [&](const net::ClientResponse& r) {
    TakeTokens(r, form, ctx, &token, &refresh);
  });
  if (!res) return result;
  if (IsIpBanAnswer(res->status, res->Header("Content-Type").value_or(""), res->body)) {
    result.ip_ban = true;
  }
  result.output.token = token;
  if (!step.save_as.empty()) {
    if (token) state.tokens[step.save_as] = *token;
    if (refresh) state.refresh_tokens[step.save_as] = *refresh;
  }
  return result;
}

}  // namespace regauth::harness::stepping
