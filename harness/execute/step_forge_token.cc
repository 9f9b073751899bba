// step_forge_token.cc — the forge_token step: a JWS built by hand from the case's header and claims
// (alg none, attacker keys, re-signed or damaged segments) for the registry to refuse.
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

// AlgMember reads "alg" from a header text the way Go would (last duplicate wins); "" if none.
std::string AlgMember(std::string_view header_text) {
  protocol::JsonOptions o;
  o.allow_duplicate_keys = true;
  auto doc = protocol::ParseJson(header_text, o);
  if (!doc || !doc->is_object()) return "";
  auto it = doc->find("alg");
  return it != doc->end() && it->is_string() ? it->get<std::string>() : "";
}

std::string Encode(std::string_view bytes, bool padded) {
  return protocol::Base64Encode(bytes, protocol::Base64Alphabet::kUrl, padded);
}

StepResult ForgeToken(const Step& step, const RunContext& ctx, CaseState& state) {
  StepResult result;
  result.output.kind = StepKind::kForgeToken;
  Subst subst(ctx, state, result);
  const ForgeTokenStep& p = step.As<ForgeTokenStep>();
  const std::string& sign_with = p.sign_with;
  const std::string& variant = p.signature;
  const bool padded = p.encoding == "padded";

  if ((sign_with == "signing_key" && !ctx.signing_key) ||
      (sign_with == "hmac_with_public_pem" && !ctx.verify_key)) {
    result.skip = "forge_token sign_with " + sign_with +
                  " needs the target's signing key (--signing-key, or the reference target)";
    return result;
  }

  // Header and claims texts: verbatim (substituted) text, or the objects serialised compactly.
  std::string header_text;
  if (p.header_text) {
    auto v = subst(*p.header_text);
    if (!v) return result;
    header_text = *v;
  } else {
    Json header;
    if (p.header) {
      auto v = subst.JsonValue(*p.header);
      if (!v) return result;
      header = std::move(*v);
    } else {
      header = {{"typ", "JWT"}};
      const protocol::Key* key = sign_with == "signing_key" ? &*ctx.signing_key : nullptr;
      header["alg"] =
          key ? std::string(protocol::AlgName(protocol::DefaultAlgFor(*protocol::TypeOf(*key))))
              : std::string(sign_with == "hmac_with_public_pem" ? "HS256"
                            : sign_with == "none"               ? "none"
                                                                : "RS256");
      if (ctx.verify_key) header["kid"] = ctx.VerifyKid();
    }
    header_text = header.dump();
  }
  std::string claims_text;
  if (p.claims_text) {
    auto v = subst(*p.claims_text);
    if (!v) return result;
    claims_text = *v;
  } else {
    Json claims;
    if (p.claims) {
      auto v = subst.JsonValue(*p.claims);
      if (!v) return result;
      claims = std::move(*v);
    } else {
      const int64_t now = ctx.Now();
      claims = {{"iss", ctx.target->issuer},
                {"aud", ctx.target->service},
                {"sub", "regauth"},
                {"iat", now},
                {"nbf", now},
                {"exp", now + 300},
                {"access", Json::array()}};
    }
    claims_text = claims.dump();
  }

  const std::string signing_input = Encode(header_text, padded) + "." + Encode(claims_text, padded);
  const protocol::Alg named = protocol::AlgFromName(AlgMember(header_text));
  std::string signature;
  protocol::Alg used_alg = protocol::Alg::kNone;
  if (sign_with == "signing_key" || sign_with == "attacker_key") {
    protocol::Key key;
    protocol::Alg alg = named;
    if (sign_with == "signing_key") {
      key = *ctx.signing_key;
    } else {
      auto type = protocol::KeyTypeForAlg(named);
      if (!type) {
        type = protocol::KeyType::kRsa;
        alg = protocol::Alg::kRS256;
      }
      key = ctx.attacker_keys != nullptr ? ctx.attacker_keys->Get(*type) : protocol::Key();
      if (!key.valid()) {
        result.error = "forge_token: generating the attacker key failed";
        return result;
      }
    }
    const auto type = protocol::TypeOf(key);
    // The header may name an alg that does not sign (none, HS*, a wrong-case spelling): the
    // bytes are then signed with the key's usual algorithm, which is the attack (the verifier
    // must go by the header and reject it).
    if (!type || !protocol::IsAsymmetric(alg) || !protocol::AlgFitsKey(alg, *type)) {
      alg = protocol::DefaultAlgFor(type.value_or(protocol::KeyType::kRsa));
    }
    used_alg = alg;
    auto sig = protocol::SignBytes(alg, key, signing_input);
    if (!sig) {
      result.error =
          "forge_token: signing failed (" + std::string(CodeName(sig.error().code)) + ")";
      return result;
    }
    signature = *sig;
  } else if (sign_with == "hmac_with_public_pem") {
    protocol::Alg alg = named;
    if (alg != protocol::Alg::kHS256 && alg != protocol::Alg::kHS384 &&
        alg != protocol::Alg::kHS512) {
      alg = protocol::Alg::kHS256;
    }
    used_alg = alg;
    auto sig = protocol::SignHmac(alg, protocol::PublicKeyPem(*ctx.verify_key), signing_input);
    if (!sig) {
      result.error = "forge_token: HMAC failed (" + std::string(CodeName(sig.error().code)) + ")";
      return result;
    }
    signature = *sig;
  }

  std::string token;
  if (variant == "strip_segment") {
    token = signing_input;
  } else {
    if (variant == "empty") {
      signature.clear();
    } else if (variant == "zero_rs") {
      signature.assign(signature.empty() ? 64 : signature.size(), '\0');
    } else if (variant == "flip_bit") {
      if (signature.empty()) {
        result.error = "forge_token: signature flip_bit needs a signature (sign_with none)";
        return result;
      }
      signature[signature.size() / 2] = static_cast<char>(signature[signature.size() / 2] ^ 0x01);
    } else if (variant == "der_ecdsa") {
      auto der = DerFromRawEcdsa(signature);
      const bool ecdsa = used_alg == protocol::Alg::kES256 || used_alg == protocol::Alg::kES384 ||
                         used_alg == protocol::Alg::kES512;
      if (!der || !ecdsa) {
        result.error = "forge_token: signature der_ecdsa needs an ES* alg and an EC key";
        return result;
      }
      signature = *der;
    }
    token = signing_input + "." + Encode(signature, padded);
  }
  // Not a secret of the target: recorded whole, so `regauth replay` sends the same bytes.
  ctx.redactor->AddPublicToken(token);
  result.output.token = token;
  if (!step.save_as.empty()) state.tokens[step.save_as] = token;
  return result;
}

}  // namespace regauth::harness::stepping
