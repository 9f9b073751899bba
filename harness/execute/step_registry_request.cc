// step_registry_request.cc — the registry_request step: one request to the registry with the case's
// token (or none), recorded.
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

StepResult RegistryRequest(const Step& step, const RunContext& ctx, CaseState& state) {
  StepResult result;
  result.output.kind = StepKind::kRegistryRequest;
  Subst subst(ctx, state, result);
  const RegistryRequestStep& p = step.As<RegistryRequestStep>();
  std::vector<CredentialUse> creds;
  net::ClientRequest req;
  req.method = p.method;
  auto path = subst(p.path);
  if (!path) return result;
  req.url = path->starts_with("http://") || path->starts_with("https://")
                ? *path
                : ctx.target->registry_url + *path;
  bool credentials = false;
  if (p.token) {
    auto it = state.tokens.find(*p.token);
    if (it == state.tokens.end()) {
      result.stop = "token '" + *p.token + "' was not obtained by an earlier step";
      return result;
    }
    req.headers.emplace_back("Authorization", "Bearer " + it->second);
    credentials = true;
  }
  if (p.authorization) {
    auto v = subst(*p.authorization, &creds);
    if (!v) return result;
    req.headers.emplace_back("Authorization", *v);
    credentials = true;
  }
  {
    for (const auto& [k, v] : p.headers) {
      auto value = subst(v, &creds);
      if (!value) return result;
      if (protocol::EqualsIgnoreAsciiCase(k, "Authorization") ||
          protocol::EqualsIgnoreAsciiCase(k, "Proxy-Authorization") ||
          protocol::EqualsIgnoreAsciiCase(k, "Cookie")) {
        credentials = true;
      }
      req.headers.emplace_back(k, *value);
    }
  }
  if (!p.body.empty()) {
    if (p.body.text) {
      auto v = subst(*p.body.text, &creds);
      if (!v) return result;
      req.body = *v;
    } else {
      const std::string& name = p.body.blob;
      const net::OciBlob* blob = ctx.image != nullptr ? ctx.image->Blob(name) : nullptr;
      if (blob == nullptr) {
        result.error = "unknown blob '" + name + "' (generated blobs: layer, config, manifest)";
        return result;
      }
      req.body = blob->content;
    }
  }
  if (credentials || !creds.empty()) {
    if (auto why = ctx.guard.Check(req.url)) {
      result.error = *why;
      return result;
    }
  }
  Sender sender(ctx, state, result, "registry_request");
  auto res = sender.Send(req, std::move(creds));
  if (!res) return result;
  if (!step.save_as.empty()) {
    if (auto loc = res->Header("Location")) {
      std::string location(*loc);
      if (location.starts_with("/")) {
        const auto origin = OriginOf(ctx.target->registry_url);
        location = (origin ? origin->scheme + "://" + HostPortOf(ctx.target->registry_url)
                           : ctx.target->registry_url) +
                   location;
      }
      state.locations[step.save_as] = location;
    }
  }
  return result;
}

}  // namespace regauth::harness::stepping
