// step_support.h — what the step kinds share (internal to harness/execute/): the Sender that
// performs one recorded, redacted exchange; Subst, which resolves ${…} references into a step's
// error or stop; and the small helpers of the step files (step_token_request.cc,
// step_registry_request.cc, step_forge_token.cc, step_docker_login_flow.cc,
// step_client_tool.cc). steps.cc dispatches a step to its kind.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/execute/steps.h"
#include "protocol/token_response.h"

namespace regauth::harness::stepping {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// kMaxRepeatBytes bounds what one ${repeat:N:text} produces (4 MiB: above the 1 MiB header
// limit of Go's net/http, so a case can cross it).
constexpr std::size_t kMaxRepeatBytes = 4u << 20;

// HeaderOf is the first value of header `name` (ASCII case-insensitive); ContentTypeOf is its
// Content-Type.
std::optional<std::string> HeaderOf(const std::vector<std::pair<std::string, std::string>>& h,
                                    std::string_view name);
std::string ContentTypeOf(const std::vector<std::pair<std::string, std::string>>& headers);
// OurTransportFailure: failures of the suite's setup or the network, not of the target.
bool OurTransportFailure(net::ClientErrorCode code);
// WithQuery appends query parameters (already escaped) to `base`.
std::string WithQuery(const std::string& base, const std::vector<std::string>& params);
// NowOffset reads "now", "now+N" or "now-N" (seconds); nullopt for anything else.
std::optional<int64_t> NowOffset(std::string_view name);
// AttackerJwk is the attacker's RSA public JWK (the key forge_token signs with for
// sign_with attacker_key and an RS* header) carrying the TRUSTED key's libtrust kid as its "kid"
// member: the header of CVE-2025-24976, where a verifier looked the kid member up and then
// verified with the embedded key material. nullopt when the run lacks the trusted key.
std::optional<nlohmann::json> AttackerJwk(const RunContext& ctx, std::string* why);
// SplitLocation splits a saved Location into its path part and its query (without '?').
std::pair<std::string_view, std::string_view> SplitLocation(std::string_view location);
// SkipOrError: a missing client tool is SKIP with the reason, an ERROR under CI=true.
void SkipOrError(const RunContext& ctx, StepResult& result, std::string reason);
// TakeTokens parses a token endpoint answer as the Go client would and registers every
// secret it holds with the redactor.
void TakeTokens(const net::ClientResponse& res, protocol::TokenResponseForm form,
                const RunContext& ctx, std::optional<std::string>* token,
                std::optional<std::string>* refresh);

// Sender sends one request for a step and records it, redacted, into the step's output.
class Sender {
 public:
  Sender(const RunContext& ctx, CaseState& state, StepResult& result, std::string_view step)
      : ctx_(ctx), state_(state), result_(result), step_(step) {}

  // Send performs the exchange. `before_record` runs on a response before it is redacted (to
  // register the secrets it carries). Returns the response, or nullopt on a transport failure
  // (result_.error set for ours, output.transport_error for the target's).
  // `transport`, when set, performs the exchange instead of the case's HTTP client (a request
  // built byte for byte).
  using Transport = std::function<protocol::Expected<net::ClientResponse, net::ClientError>(
      const net::ClientRequest&)>;
  std::optional<net::ClientResponse> Send(
      const net::ClientRequest& req, std::vector<CredentialUse> creds,
      const std::function<void(const net::ClientResponse&)>& before_record = nullptr,
      const Transport& transport = nullptr) {
    const Redactor& r = *ctx_.redactor;
    Exchange ex;
    ex.step = step_;
    ex.request.method = req.method;
    ex.request.url = r.RedactUrl(req.url);
    for (const auto& [name, value] : req.headers) {
      ex.request.headers.emplace_back(name, r.RedactHeaderValue(name, value));
    }
    ex.request.body = r.RedactBody(ContentTypeOf(req.headers), req.body);
    const auto start = Clock::now();
    auto res = transport ? transport(req) : state_.client.Send(req);
    ex.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    StepOutput& out = result_.output;
    std::optional<net::ClientResponse> response;
    if (!res) {
      const std::string message =
          std::string(CodeName(res.error().code)) + ": " + r.Redact(res.error().message);
      ex.error = message;
      out.transport_error = true;
      out.status = 0;
      out.response_headers.clear();
      out.response_body.clear();
      if (OurTransportFailure(res.error().code)) {
        result_.error = req.method + " " + ex.request.url + " failed: " + message;
      }
    } else {
      if (before_record) before_record(*res);
      RecordedResponse rec;
      rec.status = res->status;
      for (const auto& [name, value] : res->headers) {
        rec.headers.emplace_back(name, r.RedactHeaderValue(name, value));
      }
      rec.body = r.RedactBody(ContentTypeOf(res->headers), res->body);
      ex.response = std::move(rec);
      out.transport_error = false;
      out.status = res->status;
      out.response_headers = res->headers;
      out.response_body = res->body;
      response = std::move(*res);
    }
    out.exchanges.push_back(std::move(ex));
    result_.credentials.push_back(std::move(creds));
    return response;
  }

 private:
  const RunContext& ctx_;
  CaseState& state_;
  StepResult& result_;
  std::string step_;
};

// Subst resolves references, turning a failure into the step's error or stop.
class Subst {
 public:
  Subst(const RunContext& ctx, const CaseState& state, StepResult& result)
      : ctx_(ctx), state_(state), result_(result) {}

  std::optional<std::string> operator()(std::string_view text,
                                        std::vector<CredentialUse>* used = nullptr) {
    auto r = SubstituteRefs(text, ctx_, state_, used);
    if (r) return std::move(*r);
    if (!failed()) {
      if (r.error().stop) {
        result_.stop = r.error().message;
      } else {
        result_.error = r.error().message;
      }
    }
    return std::nullopt;
  }

  // Json substitutes every string of `value`; a string that is exactly ${now…} becomes a number.
  std::optional<Json> JsonValue(const Json& value) {
    if (value.is_string()) {
      const auto& s = value.get_ref<const std::string&>();
      if (s.size() > 3 && s.starts_with("${") && s.back() == '}' && s.find('}') == s.size() - 1) {
        if (auto offset = NowOffset(std::string_view(s).substr(2, s.size() - 3))) {
          return Json(ctx_.Now() + *offset);
        }
        if (s == "${attacker_jwk}") {
          std::string why;
          if (auto jwk = AttackerJwk(ctx_, &why)) return Json(std::move(*jwk));
          result_.error = why;
          return std::nullopt;
        }
      }
      auto text = (*this)(s);
      if (!text) return std::nullopt;
      return Json(*text);
    }
    if (value.is_array()) {
      Json out = Json::array();
      for (const auto& v : value) {
        auto sub = JsonValue(v);
        if (!sub) return std::nullopt;
        out.push_back(std::move(*sub));
      }
      return out;
    }
    if (value.is_object()) {
      Json out = Json::object();
      for (const auto& [k, v] : value.items()) {
        auto sub = JsonValue(v);
        if (!sub) return std::nullopt;
        out[k] = std::move(*sub);
      }
      return out;
    }
    return value;
  }

  bool failed() const { return result_.error || result_.stop; }

 private:
  const RunContext& ctx_;
  const CaseState& state_;
  StepResult& result_;
};

// The step kinds.
StepResult TokenRequest(const Step& step, const RunContext& ctx, CaseState& state);
StepResult RegistryRequest(const Step& step, const RunContext& ctx, CaseState& state);
StepResult ForgeToken(const Step& step, const RunContext& ctx, CaseState& state);
StepResult DockerLoginFlow(const Step& step, const RunContext& ctx, CaseState& state);
StepResult ClientTool(const Step& step, const RunContext& ctx, CaseState& state);

}  // namespace regauth::harness::stepping
