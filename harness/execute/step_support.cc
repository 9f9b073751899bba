// step_support.cc — the helpers the step kinds share (step_support.h).
#include "harness/execute/step_support.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

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

std::optional<std::string> HeaderOf(const std::vector<std::pair<std::string, std::string>>& h,
                                    std::string_view name) {
  for (const auto& [k, v] : h) {
    if (protocol::EqualsIgnoreAsciiCase(k, name)) return v;
  }
  return std::nullopt;
}

std::string ContentTypeOf(const std::vector<std::pair<std::string, std::string>>& headers) {
  return HeaderOf(headers, "Content-Type").value_or("");
}

// OurTransportFailure: failures of the suite's setup or the network, not of the target.
bool OurTransportFailure(net::ClientErrorCode code) {
  switch (code) {
    case net::ClientErrorCode::kInvalidRequest:
    case net::ClientErrorCode::kResolve:
    case net::ClientErrorCode::kConnect:
    case net::ClientErrorCode::kTls:
    case net::ClientErrorCode::kInternal:
      return true;
    default:
      return false;
  }
}

std::string WithQuery(const std::string& base, const std::vector<std::string>& params) {
  if (params.empty()) return base;
  std::string out = base;
  out += base.find('?') == std::string::npos ? '?' : '&';
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out += '&';
    out += params[i];
  }
  return out;
}

// NowReference parses "now", "now+N", "now-N" (the name inside ${…}).
std::optional<int64_t> NowOffset(std::string_view name) {
  if (name == "now") return 0;
  if (name.size() < 5 || !name.starts_with("now") || (name[3] != '+' && name[3] != '-')) {
    return std::nullopt;
  }
  int64_t n = 0;
  for (char c : name.substr(4)) {
    if (c < '0' || c > '9' || n > 1'000'000'000'000LL) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return name[3] == '-' ? -n : n;
}

// AttackerJwk is the attacker's RSA public JWK (the key forge_token signs with for
// sign_with attacker_key and an RS* header) carrying the TRUSTED key's libtrust kid as its "kid"
// member: the header of CVE-2025-24976, where a verifier looked the kid member up and then
// verified with the embedded key material. nullopt when the run lacks the trusted key.
std::optional<nlohmann::json> AttackerJwk(const RunContext& ctx, std::string* why) {
  if (!ctx.verify_key) {
    *why = "${attacker_jwk} needs the target's signing key (its kid is the trusted one)";
    return std::nullopt;
  }
  protocol::Key key = ctx.attacker_keys != nullptr ? ctx.attacker_keys->Get(protocol::KeyType::kRsa)
                                                   : protocol::Key();
  if (!key.valid()) {
    *why = "${attacker_jwk}: generating the attacker key failed";
    return std::nullopt;
  }
  return protocol::PublicJwk(key, ctx.VerifyKid());
}

// SplitLocation splits a saved Location into its path part and its query (without '?').
std::pair<std::string_view, std::string_view> SplitLocation(std::string_view location) {
  const std::size_t q = location.find('?');
  if (q == std::string_view::npos) return {location, {}};
  return {location.substr(0, q), location.substr(q + 1)};
}

void SkipOrError(const RunContext& ctx, StepResult& result, std::string reason) {
  if (ctx.tools.ci) {
    result.error = reason + " (CI=true: a missing client is an error, never a silent pass)";
  } else {
    result.skip = std::move(reason);
  }
}

// TokenFromResponse parses a token endpoint answer as the Go client would and registers every
// secret it holds with the redactor.
void TakeTokens(const net::ClientResponse& res, protocol::TokenResponseForm form,
                const RunContext& ctx, std::optional<std::string>* token,
                std::optional<std::string>* refresh) {
  if (res.status != 200) return;
  auto parsed =
      protocol::ParseTokenResponse(res.body, form, protocol::TokenResponseOptions::GoClient());
  if (!parsed) {
    // Still register anything token-shaped under the usual names, best effort.
    auto doc = protocol::ParseJson(res.body, protocol::JsonOptions{{}, true});
    if (doc && doc->is_object()) {
      for (const char* name : {"token", "access_token", "refresh_token"}) {
        auto it = doc->find(name);
        if (it != doc->end() && it->is_string()) ctx.redactor->AddSecret(it->get<std::string>());
      }
    }
    return;
  }
  for (const auto* v : {&parsed->token, &parsed->access_token, &parsed->refresh_token}) {
    if (*v) ctx.redactor->AddSecret(**v);
  }
  const std::string effective = parsed->EffectiveToken();
  if (!effective.empty()) *token = effective;
  if (parsed->refresh_token && !parsed->refresh_token->empty()) *refresh = *parsed->refresh_token;
}

}  // namespace regauth::harness::stepping
