// step_docker_login_flow.cc — the docker_login_flow step: /v2/ → challenge → token → retry, as the
// docker CLI performs a login.
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

StepResult DockerLoginFlow(const Step& step, const RunContext& ctx, CaseState& state) {
  StepResult result;
  result.output.kind = StepKind::kDockerLoginFlow;
  Subst subst(ctx, state, result);
  const DockerLoginFlowStep& p = step.As<DockerLoginFlowStep>();
  const std::string& id = p.credential;
  const protocol::Credential* c = ctx.world->FindCredential(id);
  if (c == nullptr) {
    result.skip = "credential '" + id + "' is not in the world";
    return result;
  }
  std::string username = c->login_username;
  if (!p.username.empty()) {
    auto v = subst(p.username);
    if (!v) return result;
    username = *v;
  }
  Sender sender(ctx, state, result, "docker_login_flow");
  // 1. Ping without credentials (docker: registry.PingV2Registry).
  auto ping = sender.Send({"GET", ctx.target->registry_url + "/v2/", {}, ""}, {});
  if (!ping || ping->status != 401) return result;  // 200: docker logs in without asking
  // 2. The challenge, read with distribution's client parser as docker does.
  protocol::ChallengeOptions lenient;
  lenient.leniency = protocol::ChallengeLeniency::kDistributionClient;
  auto challenges = protocol::ParseChallengeHeaders(ping->Headers("WWW-Authenticate"), lenient);
  std::optional<protocol::BearerChallenge> bearer;
  if (challenges) {
    for (const auto& ch : *challenges) {
      if (!ch.SchemeIs("bearer")) continue;
      if (auto b = protocol::ToBearerChallenge(ch)) {
        bearer = *b;
        break;
      }
    }
  }
  if (!bearer) return result;  // no Bearer challenge: docker cannot log in
  // 3. The realm, with exactly the query docker sends (Go's url.Values.Encode: sorted keys).
  std::vector<std::string> query = {"account=" + QueryEscape(username), "client_id=docker",
                                    "offline_token=true"};
  if (bearer->service) query.push_back("service=" + QueryEscape(*bearer->service));
  const std::string realm_url = WithQuery(bearer->realm, query);
  if (auto why = ctx.guard.Check(realm_url)) {
    result.error = *why;
    return result;
  }
  auto basic = protocol::SerializeBasic(username, c->secret);
  if (!basic) {
    result.error = "credential '" + id + "' cannot be sent as Basic";
    return result;
  }
  std::optional<std::string> token, refresh;
  auto got = sender.Send({"GET", realm_url, {{"Authorization", *basic}}, ""}, {{id, "", username}},
                         [&](const net::ClientResponse& r) {
                           TakeTokens(r, protocol::TokenResponseForm::kGet, ctx, &token, &refresh);
                         });
  if (!got) return result;
  if (IsIpBanAnswer(got->status, got->Header("Content-Type").value_or(""), got->body)) {
    result.ip_ban = true;
    return result;
  }
  if (got->status != 200) return result;
  if (!token) {
    result.output.status = 0;  // a 200 without a usable token: docker reports a failure
    return result;
  }
  result.output.token = token;
  if (!step.save_as.empty()) state.tokens[step.save_as] = *token;
  // 4. The authenticated ping: login succeeded when it answers 200.
  sender.Send(
      {"GET", ctx.target->registry_url + "/v2/", {{"Authorization", "Bearer " + *token}}, ""}, {});
  return result;
}

}  // namespace regauth::harness::stepping
