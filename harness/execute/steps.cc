#include "harness/execute/steps.h"

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

namespace regauth::harness {

using Json = nlohmann::json;
using protocol::Unexpected;

protocol::Key AttackerKeys::Get(protocol::KeyType type) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(type);
  if (it != keys_.end()) return it->second;
  auto key = protocol::GenerateKey(type);
  if (!key) return protocol::Key();
  keys_.emplace(type, *key);
  return *key;
}

std::string RunContext::VerifyKid() const {
  if (!verify_kid.empty() || !verify_key) return verify_kid;
  return protocol::LibtrustKeyId(*verify_key);
}

int64_t RunContext::Now() const {
  if (clock) return clock();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StepResult RunStep(const Step& step, const RunContext& ctx, CaseState& state) {
  switch (step.kind) {
    case StepKind::kTokenRequest:
      return stepping::TokenRequest(step, ctx, state);
    case StepKind::kRegistryRequest:
      return stepping::RegistryRequest(step, ctx, state);
    case StepKind::kForgeToken:
      return stepping::ForgeToken(step, ctx, state);
    case StepKind::kDockerLoginFlow:
      return stepping::DockerLoginFlow(step, ctx, state);
    case StepKind::kClientTool:
      return stepping::ClientTool(step, ctx, state);
  }
  StepResult r;
  r.error = "unknown step kind";
  return r;
}

protocol::Expected<std::string, SubstitutionFailure> SubstituteRefs(
    std::string_view text, const RunContext& ctx, const CaseState& state,
    std::vector<CredentialUse>* used) {
  auto fail = [](bool stop, std::string message) {
    return Unexpected<SubstitutionFailure>(SubstitutionFailure{stop, std::move(message)});
  };
  if (auto at = FindUnterminatedRef(text)) {
    return fail(false, "unterminated ${ in '" + std::string(text.substr(*at, 40)) + "'");
  }
  const TargetInfo& t = *ctx.target;
  using Value = protocol::Expected<std::optional<std::string>, SubstitutionFailure>;
  return ExpandRefs<SubstitutionFailure>(text, [&](std::string_view name) -> Value {
    std::string out;
    auto prefixed = [&](std::string_view prefix) -> std::optional<std::string_view> {
      if (!name.starts_with(prefix)) return std::nullopt;
      return name.substr(prefix.size());
    };
    if (name == "registry") {
      out += t.registry_url;
    } else if (name == "registry_host") {
      out += t.registry_host;
    } else if (name == "realm") {
      out += t.realm;
    } else if (name == "service") {
      out += !t.service.empty() || ctx.world == nullptr ? t.service : ctx.world->instance().service;
    } else if (name == "issuer") {
      out += !t.issuer.empty() || ctx.world == nullptr ? t.issuer : ctx.world->instance().issuer;
    } else if (auto offset = stepping::NowOffset(name)) {
      out += std::to_string(ctx.Now() + *offset);
    } else if (name == "signing_kid") {
      if (!ctx.verify_key) return fail(false, "${signing_kid} needs the target's signing key");
      out += ctx.VerifyKid();
    } else if (name == "attacker_jwk") {
      std::string why;
      auto jwk = stepping::AttackerJwk(ctx, &why);
      if (!jwk) return fail(false, why);
      out += jwk->dump();
    } else if (name == "oci_layout") {
      if (ctx.tools.oci_layout.empty()) return fail(false, "${oci_layout}: no image was written");
      out += ctx.tools.oci_layout;
    } else if (auto cred_ref = prefixed("cred:")) {
      const std::size_t dot = cred_ref->rfind('.');
      const std::string id(cred_ref->substr(0, dot));
      const std::string_view field = dot == std::string_view::npos ? "" : cred_ref->substr(dot + 1);
      const protocol::Credential* c = ctx.world != nullptr && dot != std::string_view::npos
                                          ? ctx.world->FindCredential(id)
                                          : nullptr;
      if (c == nullptr)
        return fail(false, "${cred:" + std::string(*cred_ref) + "}: no such credential");
      if (field == "username") {
        out += c->login_username;
      } else if (field == "secret") {
        out += c->secret;
        if (used != nullptr) used->push_back({id, "", c->login_username});
      } else if (field == "basic") {
        // base64(login username ":" secret): what a Basic Authorization header carries (RFC 7617).
        out += protocol::Base64Encode(c->login_username + ":" + c->secret);
        if (used != nullptr) used->push_back({id, "", c->login_username});
      } else {
        return fail(
            false, "${cred:" + std::string(*cred_ref) + "}: expected .username, .secret or .basic");
      }
    } else if (auto token_ref = prefixed("token:")) {
      auto it = state.tokens.find(std::string(*token_ref));
      if (it == state.tokens.end()) {
        return fail(true,
                    "${token:" + std::string(*token_ref) + "}: no token was saved under that name");
      }
      out += it->second;
    } else if (auto refresh_ref = prefixed("refresh_token:")) {
      auto it = state.refresh_tokens.find(std::string(*refresh_ref));
      if (it == state.refresh_tokens.end()) {
        return fail(true, "${refresh_token:" + std::string(*refresh_ref) +
                              "}: the response saved under that name had no refresh_token");
      }
      out += it->second;
    } else if (auto location_ref = prefixed("location:")) {
      auto it = state.locations.find(std::string(*location_ref));
      if (it == state.locations.end()) {
        return fail(true, "${location:" + std::string(*location_ref) + "}: no Location was saved");
      }
      out += it->second;
    } else if (auto repeat_ref = prefixed("repeat:")) {
      // ${repeat:N:text}: text N times (text cannot contain '}'); bounded by
      // stepping::kMaxRepeatBytes.
      const std::size_t colon = repeat_ref->find(':');
      std::size_t n = 0;
      bool number = colon != std::string_view::npos && colon > 0 && colon <= 8;
      for (std::size_t i = 0; number && i < colon; ++i) {
        const char d = (*repeat_ref)[i];
        number = d >= '0' && d <= '9';
        n = n * 10 + static_cast<std::size_t>(d - '0');
      }
      const std::string_view unit = number ? repeat_ref->substr(colon + 1) : std::string_view();
      if (!number || unit.empty() || n == 0 || n * unit.size() > stepping::kMaxRepeatBytes) {
        return fail(false, "${repeat:" + std::string(repeat_ref->substr(0, 40)) +
                               "}: expected ${repeat:N:text} with N >= 1 and at most " +
                               std::to_string(stepping::kMaxRepeatBytes) + " bytes in all");
      }
      out.reserve(out.size() + n * unit.size());
      for (std::size_t i = 0; i < n; ++i) out.append(unit);
    } else if (auto uuid_ref = prefixed("upload_uuid:")) {
      auto it = state.locations.find(std::string(*uuid_ref));
      if (it == state.locations.end()) {
        return fail(true, "${upload_uuid:" + std::string(*uuid_ref) + "}: no Location was saved");
      }
      const std::string_view path = stepping::SplitLocation(it->second).first;
      const std::size_t slash = path.rfind('/');
      if (slash == std::string_view::npos || slash + 1 == path.size()) {
        return fail(true, "${upload_uuid:" + std::string(*uuid_ref) +
                              "}: the saved Location has no last path segment");
      }
      out += path.substr(slash + 1);
    } else if (auto query_ref = prefixed("location_query:")) {
      auto it = state.locations.find(std::string(*query_ref));
      if (it == state.locations.end()) {
        return fail(true,
                    "${location_query:" + std::string(*query_ref) + "}: no Location was saved");
      }
      out += stepping::SplitLocation(it->second).second;
    } else if (auto digest_ref = prefixed("digest:")) {
      const net::OciBlob* b = ctx.image != nullptr ? ctx.image->Blob(*digest_ref) : nullptr;
      if (b == nullptr)
        return fail(false, "${digest:" + std::string(*digest_ref) + "}: no such blob");
      out += b->digest;
    } else if (auto size_ref = prefixed("size:")) {
      const net::OciBlob* b = ctx.image != nullptr ? ctx.image->Blob(*size_ref) : nullptr;
      if (b == nullptr) return fail(false, "${size:" + std::string(*size_ref) + "}: no such blob");
      out += std::to_string(b->content.size());
    } else if (name.starts_with("project:")) {
      return fail(false, "${" + std::string(name) + "} is resolved by matrix expansion only");
    } else {
      return fail(false, "unknown reference ${" + std::string(name) + "}");
    }
    return std::optional<std::string>(std::move(out));
  });
}

std::string MutatedSecret(const protocol::Credential& c, const protocol::World& world) {
  static constexpr std::string_view kAlphabet = "xyzXYZ0123456789abcdefghijklmnopqrstuvw";
  const std::string base =
      c.secret.empty() ? std::string() : c.secret.substr(0, c.secret.size() - 1);
  const char last = c.secret.empty() ? '\0' : c.secret.back();
  for (char ch : kAlphabet) {
    if (ch == last) continue;
    std::string candidate = base + ch;
    if (world.FindCredentialBySecret(candidate) == nullptr) return candidate;
  }
  return c.secret + "-wrong";
}

std::string MutatedUsername(const protocol::Credential& c, const protocol::World& world) {
  std::string candidate = c.login_username + "-wrong";
  auto taken = [&](const std::string& name) {
    if (world.FindUser(name) != nullptr || world.FindUserByEmail(name) != nullptr) return true;
    return std::any_of(world.Credentials().begin(), world.Credentials().end(),
                       [&](const protocol::Credential& o) {
                         return protocol::EqualsIgnoreAsciiCase(o.login_username, name);
                       });
  };
  while (taken(candidate)) candidate += "x";
  return candidate;
}

void RegisterWorldSecrets(const protocol::World& world, Redactor& redactor) {
  for (const auto& c : world.Credentials()) {
    const std::string wrong_secret = MutatedSecret(c, world);
    const std::string wrong_user = MutatedUsername(c, world);
    redactor.AddSecret(c.secret);
    redactor.AddBasicCredential(c.login_username, c.secret);
    redactor.AddBasicCredential(wrong_user, c.secret);
    redactor.AddSecret(wrong_secret);
    redactor.AddBasicCredential(c.login_username, wrong_secret);
  }
}

std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

bool IsIpBanAnswer(int status, std::string_view content_type, std::string_view body) {
  if (status != 403) return false;
  std::string ct(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  if (!protocol::EqualsIgnoreAsciiCase(ct, "text/plain")) return false;
  return !protocol::ParseJson(body).has_value();
}

std::optional<std::string> DerFromRawEcdsa(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 264) return std::nullopt;
  auto integer = [](std::string_view v) {
    while (v.size() > 1 && v.front() == '\0') v.remove_prefix(1);
    std::string content(v);
    if (static_cast<unsigned char>(content.front()) & 0x80) content.insert(content.begin(), '\0');
    std::string out = "\x02";
    out += static_cast<char>(content.size());
    return out + content;
  };
  const std::string body =
      integer(raw.substr(0, raw.size() / 2)) + integer(raw.substr(raw.size() / 2));
  std::string out = "\x30";
  if (body.size() >= 128) out += '\x81';
  out += static_cast<char>(body.size());
  return out + body;
}

}  // namespace regauth::harness
