// step_registry_request.cc — the registry_request step: one request to the registry with the case's
// token (or none), recorded.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "harness/execute/step_support.h"
#include "harness/suite/refs.h"
#include "net/process.h"
#include "net/raw_exchange.h"
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

namespace {

// ExactRequest is a request built byte for byte whose header section has an exact size.
struct ExactRequest {
  std::string wire;
  std::uint64_t header_section = 0;
};

// WireHeaderSection is the header section the runner sends for `req` to `origin`: request line,
// Host (the URL's authority), User-Agent, the request's fields, the empty line.
std::string WireHeaderSection(const net::ClientRequest& req, std::string_view target,
                              std::string_view authority, std::string_view user_agent) {
  std::string wire = req.method + " " + std::string(target) + " HTTP/1.1\r\n";
  wire += "Host: " + std::string(authority) + "\r\n";
  if (!user_agent.empty()) wire += "User-Agent: " + std::string(user_agent) + "\r\n";
  for (const auto& [name, value] : req.headers) wire += name + ": " + value + "\r\n";
  wire += "\r\n";
  return wire;
}

// PadRequest applies `pad` to `req` (adding the padding header, or lengthening the bearer token)
// so that its header section as sent is exactly the size `pad` names. Returns the wire bytes,
// or sets result.skip (the profile does not know the size) / result.error (a case bug).
std::optional<ExactRequest> PadRequest(const HeaderSectionPad& pad, net::ClientRequest& req,
                                       const RunContext& ctx, StepResult& result) {
  std::int64_t size = 0;
  const auto [end, ec] = std::from_chars(pad.to.data(), pad.to.data() + pad.to.size(), size);
  if (ec != std::errc() || end != pad.to.data() + pad.to.size()) {
    const auto value = ctx.profile_value ? ctx.profile_value(pad.to) : std::nullopt;
    if (!value || *value == "unknown") {
      result.skip = "the profile '" + ctx.profile_name + "' does not know " + pad.to + " (" +
                    value.value_or("absent") + ")";
      return std::nullopt;
    }
    const auto [vend, vec] = std::from_chars(value->data(), value->data() + value->size(), size);
    if (vec != std::errc() || vend != value->data() + value->size()) {
      result.error = "profile key " + pad.to + " is not a byte count: " + *value;
      return std::nullopt;
    }
  }
  const std::int64_t want = size + pad.plus;
  if (!req.body.empty()) {
    result.error = "pad_header_section needs a request without a body";
    return std::nullopt;
  }
  const auto origin = OriginOf(req.url);
  if (!origin || origin->scheme != "http") {
    result.skip = "pad_header_section sends its exact bytes over plain HTTP only";
    return std::nullopt;
  }
  // The URL is scheme://authority/target (no userinfo: OriginOf refuses it).
  const std::size_t authority_at = req.url.find("://") + 3;
  const std::size_t target_at = req.url.find('/', authority_at);
  const std::string authority = req.url.substr(authority_at, target_at - authority_at);
  const std::string target = target_at == std::string::npos ? "/" : req.url.substr(target_at);
  const std::string& ua = ctx.client_options.user_agent;

  std::size_t header_index = req.headers.size();
  if (protocol::EqualsIgnoreAsciiCase(pad.into, "authorization")) {
    for (std::size_t i = 0; i < req.headers.size(); ++i) {
      if (protocol::EqualsIgnoreAsciiCase(req.headers[i].first, "Authorization") &&
          req.headers[i].second.starts_with("Bearer ")) {
        header_index = i;
      }
    }
    if (header_index == req.headers.size()) {
      result.error = "pad_header_section into authorization needs a bearer token (token)";
      return std::nullopt;
    }
  } else {
    req.headers.emplace_back(pad.into, "");
  }
  const std::int64_t base =
      static_cast<std::int64_t>(WireHeaderSection(req, target, authority, ua).size());
  // A padding header needs at least one byte of value (an empty one is sent without its space).
  const std::int64_t fill = want - base;
  if (fill < 1) {
    result.error = "pad_header_section: the request is already " + std::to_string(base) +
                   " bytes, more than the " + std::to_string(want) + " asked for";
    return std::nullopt;
  }
  // 'A' keeps a padded token within the base64url alphabet.
  req.headers[header_index].second += std::string(static_cast<std::size_t>(fill), 'A');
  ExactRequest out;
  out.wire = WireHeaderSection(req, target, authority, ua);
  out.header_section = out.wire.size();
  if (static_cast<std::int64_t>(out.header_section) != want) {
    result.error = "pad_header_section built " + std::to_string(out.header_section) +
                   " bytes instead of " + std::to_string(want);
    return std::nullopt;
  }
  return out;
}

// ParseRawResponse turns the bytes of one response into a ClientResponse.
protocol::Expected<net::ClientResponse, net::ClientError> ParseRawResponse(
    const net::RawResult& raw) {
  using E = protocol::Unexpected<net::ClientError>;
  if (raw.outcome == net::RawOutcome::kConnectFailed) {
    return E(net::ClientError{net::ClientErrorCode::kConnect, "connect failed"});
  }
  if (raw.outcome == net::RawOutcome::kTimeout) {
    return E(net::ClientError{net::ClientErrorCode::kTimeout, "no response in time"});
  }
  if (raw.outcome != net::RawOutcome::kResponse) {
    return E(net::ClientError{net::ClientErrorCode::kProtocol,
                              "the connection closed before a response"});
  }
  net::ClientResponse r;
  r.status = raw.status;
  const std::size_t end = raw.head.find("\r\n\r\n");
  const std::string_view head(raw.head.data(),
                              end == std::string::npos ? raw.head.size() : end + 2);
  std::size_t at = head.find("\r\n");
  r.http_version = std::string(head.substr(0, head.find(' ')));
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const std::size_t next = head.find("\r\n", at + 2);
    const std::string_view line = head.substr(at + 2, next - at - 2);
    at = next;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  if (end != std::string::npos) r.body = raw.head.substr(end + 4);
  return r;
}

}  // namespace

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
  Sender::Transport transport;
  if (p.pad_header_section) {
    auto exact = PadRequest(*p.pad_header_section, req, ctx, result);
    if (!exact) return result;
    const Origin origin = *OriginOf(req.url);
    const auto timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(ctx.client_options.timeout);
    transport = [origin, timeout, wire = std::move(exact->wire)](const net::ClientRequest&) {
      std::string host = origin.host;
      if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
      return ParseRawResponse(net::RawHttpExchange(host, origin.port, wire, timeout));
    };
  }
  auto res = sender.Send(req, std::move(creds), nullptr, transport);
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
