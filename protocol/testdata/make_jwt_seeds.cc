// make_jwt_seeds — writes the seed corpora of fuzz/jwt_verify and fuzz/jwt_parse: tokens signed
// with the keys of this directory at now = 1700000000 (the jwt_verify fuzzer's fixed time), one
// per valid form and one per hostile class of suite-anchors.md §C3, plus the RFC 7515 examples.
// Not part of the build; run it by hand after regenerating the keys:
//   B=build/<dir>/protocol   # a build with the regauth_protocol_jose target built
//   g++ -std=c++20 -I. protocol/testdata/make_jwt_seeds.cc $B/libregauth_protocol_jose.a \
//       $B/libregauth_protocol_base.a -lcrypto -o /tmp/make_jwt_seeds
//   /tmp/make_jwt_seeds .    # from the repository root
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "protocol/base64.h"
#include "protocol/jws.h"
#include "protocol/jwt.h"

using namespace regauth::protocol;

namespace {

constexpr int64_t kNow = 1700000000;
std::string root;

std::string Read(const std::string& name) {
  std::ifstream in(root + "/protocol/testdata/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
Key Priv(const std::string& name) { return *LoadPrivateKeyPem(Read(name + ".key.pem")); }
Certificate Cert(const std::string& name) {
  return LoadCertificatesPem(Read(name + ".crt.pem"))->front();
}

void Write(const std::string& target, const std::string& name, const std::string& token) {
  std::ofstream out(root + "/fuzz/corpus/" + target + "/" + name, std::ios::binary);
  out << token;
}
void Both(const std::string& name, const std::string& token) {
  Write("jwt_verify", name, token);
  Write("jwt_parse", name, token);
}

nlohmann::json TokenClaims(nlohmann::json overrides = nlohmann::json::object()) {
  nlohmann::json c = {{"iss", "gitlab-issuer"},
                      {"sub", "alice"},
                      {"aud", "registry"},
                      {"exp", kNow + 300},
                      {"nbf", kNow - 5},
                      {"iat", kNow - 5},
                      {"jti", "a1b2"},
                      {"access",
                       {{{"type", "repository"},
                         {"name", "group/project"},
                         {"actions", {"pull", "push"}},
                         {"meta", {{"project_path", "group/project"}, {"project_id", 7}}}}}}};
  for (auto& [k, v] : overrides.items()) {
    if (v.is_null()) {
      c.erase(k);
    } else {
      c[k] = v;
    }
  }
  return c;
}

std::string Signed(nlohmann::json header, const nlohmann::json& claims, Alg alg, const Key& k) {
  return *SignCompact(header, claims, alg, k);
}
std::string Raw(const std::string& header, const std::string& payload, Alg alg, const Key& k) {
  const std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return input + "." + Base64UrlEncode(*SignBytes(alg, k, input));
}
nlohmann::json X5c(std::initializer_list<Certificate> certs) {
  nlohmann::json a = nlohmann::json::array();
  for (const Certificate& c : certs) a.push_back(Base64Encode(c.Der()));
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  root = argc > 1 ? argv[1] : ".";
  const Key rsa = Priv("rsa2048"), ec = Priv("ec_p256"), ec384 = Priv("ec_p384"),
            ed = Priv("ed25519"), attacker = Priv("ec_p256_other"), leaf = Priv("leaf");
  const Certificate leaf_cert = Cert("leaf"), inter = Cert("ca_intermediate"),
                    rogue_leaf = Cert("rogue_leaf"), rogue_root = Cert("rogue_root");
  const auto lt = [](const Key& k) {
    return nlohmann::json{{"typ", "JWT"}, {"kid", LibtrustKeyId(k)}};
  };
  const auto tp = [](const Key& k) {
    return nlohmann::json{{"typ", "JWT"}, {"kid", JwkThumbprint(k)}};
  };

  // Valid forms.
  Both("valid_rs256_libtrust_kid", Signed(lt(rsa), TokenClaims(), Alg::kRS256, rsa));
  Both("valid_rs256_thumbprint_kid", Signed(tp(rsa), TokenClaims(), Alg::kRS256, rsa));
  Both("valid_es256_libtrust_kid", Signed(lt(ec), TokenClaims(), Alg::kES256, ec));
  Both("valid_es384_thumbprint_kid", Signed(tp(ec384), TokenClaims(), Alg::kES384, ec384));
  Both("valid_eddsa_thumbprint_kid", Signed(tp(ed), TokenClaims(), Alg::kEdDSA, ed));
  Both("valid_ps256_thumbprint_kid", Signed(tp(rsa), TokenClaims(), Alg::kPS256, rsa));
  Both("valid_x5c_chain",
       Signed({{"x5c", X5c({leaf_cert, inter})}}, TokenClaims(), Alg::kES256, leaf));
  Both("valid_jwk_trusted", Signed({{"jwk", PublicJwk(ec)}}, TokenClaims(), Alg::kES256, ec));
  nlohmann::json chained = PublicJwk(leaf);
  chained["x5c"] = X5c({leaf_cert, inter});
  Both("valid_jwk_with_x5c", Signed({{"jwk", chained}}, TokenClaims(), Alg::kES256, leaf));
  Both("valid_aud_array_thumbprint",
       Signed(tp(rsa), TokenClaims({{"aud", {"registry"}}}), Alg::kRS256, rsa));
  Both("v28_valid_dup_aud_good_last",
       Raw(lt(rsa).dump().insert(1, R"("alg":"RS256",)"),
           TokenClaims({{"aud", nullptr}}).dump().insert(1, R"("aud":"other","aud":"registry",)"),
           Alg::kRS256, rsa));
  nlohmann::json crit = lt(rsa);
  crit["crit"] = {"exp"};
  Both("v28_valid_unknown_crit", Signed(crit, TokenClaims(), Alg::kRS256, rsa));
  {
    std::string h = lt(rsa).dump().insert(1, R"("alg":"RS256",)");
    std::string p = TokenClaims().dump();
    while (h.size() % 3 != 1) h.push_back(' ');
    while (p.size() % 3 != 1) p.push_back(' ');
    const std::string input = Base64UrlEncode(h) + "==." + Base64UrlEncode(p) + "==";
    Both("v28_valid_padded_segments",
         input + "." + Base64UrlEncode(*SignBytes(Alg::kRS256, rsa, input)) + "==");
  }

  // Hostile classes (suite-anchors.md §C3).
  Both("none_empty_signature",
       EncodeCompact(R"({"alg":"none","typ":"JWT"})", TokenClaims().dump(), ""));
  Both("none_upper_with_signature",
       EncodeCompact(R"({"alg":"NONE"})", TokenClaims().dump(), "sig"));
  Both("hs256_keyed_with_rsa_pem",
       *SignCompactHmac(lt(rsa), TokenClaims(), Alg::kHS256, PublicKeyPem(rsa)));
  nlohmann::json es = lt(ec);
  es["alg"] = "ES256";
  Both("es256_zero_r_s", EncodeCompact(es.dump(), TokenClaims().dump(), std::string(64, '\0')));
  Both("jwk_attacker_with_trusted_kid", Signed({{"jwk", PublicJwk(attacker, LibtrustKeyId(ec))}},
                                               TokenClaims(), Alg::kES256, attacker));
  Both("x5c_untrusted_root",
       Signed({{"x5c", X5c({rogue_leaf, rogue_root})}}, TokenClaims(), Alg::kES256, leaf));
  Both("kid_path_traversal", Signed({{"kid", "../../dev/null"}}, TokenClaims(), Alg::kRS256, rsa));
  Both("jku_x5u_present", Signed({{"kid", LibtrustKeyId(rsa)},
                                  {"jku", "http://127.0.0.1:1/k"},
                                  {"x5u", "http://127.0.0.1:1/c"}},
                                 TokenClaims(), Alg::kRS256, rsa));
  Both("dup_alg_none_last",
       Raw(R"({"alg":"RS256","kid":")" + LibtrustKeyId(rsa) + R"(","alg":"none"})",
           TokenClaims().dump(), Alg::kRS256, rsa));
  Both("exp_float", Signed(lt(rsa), TokenClaims({{"exp", 1700000300.5}}), Alg::kRS256, rsa));
  Both("exp_missing", Signed(lt(rsa), TokenClaims({{"exp", nullptr}}), Alg::kRS256, rsa));
  Both("exp_expired_61s", Signed(lt(rsa), TokenClaims({{"exp", kNow - 61}}), Alg::kRS256, rsa));
  Both("aud_array_libtrust",
       Signed(lt(rsa), TokenClaims({{"aud", {"registry"}}}), Alg::kRS256, rsa));
  Both("access_actions_string",
       Signed(lt(rsa),
              TokenClaims(
                  {{"access", {{{"type", "repository"}, {"name", "a"}, {"actions", "pull"}}}}}),
              Alg::kRS256, rsa));
  Both("stripped_signature", EncodeCompact(lt(rsa).dump(), TokenClaims().dump(), ""));

  // RFC 7515 Appendix A examples (parse corpus).
  const std::string rfc_payload =
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
      "fQ";
  Write("jwt_parse", "rfc7515_a1_hs256",
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + rfc_payload +
            ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  Write("jwt_parse", "rfc7515_a3_es256",
        "eyJhbGciOiJFUzI1NiJ9." + rfc_payload +
            ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-"
            "Kg6NU1Q");
  Write("jwt_parse", "rfc7515_a5_unsecured", "eyJhbGciOiJub25lIn0." + rfc_payload + ".");
  Write("jwt_parse", "dots", std::string(64, '.'));
  std::puts("seeds written");
  return 0;
}
