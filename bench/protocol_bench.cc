// protocol_bench — throughput of every core parser, and of JWT signing and verification next to
// OpenSSL's own EVP sign/verify of the same bytes with the same key (the denominator of the
// ratios bench/run.sh prints). Inputs are real captures or GitLab-shaped tokens.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <fstream>
#include <sstream>
#include <string>

#include "protocol/base64.h"
#include "protocol/challenge.h"
#include "protocol/credentials.h"
#include "protocol/json.h"
#include "protocol/jws.h"
#include "protocol/jwt.h"
#include "protocol/keys.h"
#include "protocol/repository_name.h"
#include "protocol/scope.h"
#include "protocol/token_response.h"

namespace p = regauth::protocol;

namespace {

constexpr int64_t kNow = 1800000000;

std::string ReadTestdata(const char* name) {
  std::ifstream in(std::string(REGAUTH_SOURCE_DIR) + "/protocol/testdata/" + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Fixture {
  p::Key rsa;
  p::Key ec;
  p::Certificate rsa_cert;
  std::string rs256_token;
  std::string es256_token;
  p::TrustStore trust;

  Fixture() {
    rsa = *p::LoadPrivateKeyPem(ReadTestdata("rsa2048.key.pem"));
    ec = *p::LoadPrivateKeyPem(ReadTestdata("ec_p256.key.pem"));
    rsa_cert = p::LoadCertificatesPem(ReadTestdata("rsa2048.crt.pem"))->front();
    trust = p::TrustStore::FromRoots({rsa_cert}, p::KeyIdFormat::kLibtrust);
    trust.AddKey(p::LibtrustKeyId(ec), ec);
    rs256_token = Sign(rsa, p::Alg::kRS256);
    es256_token = Sign(ec, p::Alg::kES256);
  }

  // A token shaped like GitLab's (token-auth.md §3.8).
  static nlohmann::json Claims() {
    return {{"auth_type", "personal_access_token"},
            {"access",
             {{{"type", "repository"},
               {"name", "acme/app"},
               {"actions", {"pull", "push"}},
               {"meta", {{"project_path", "acme/app"}, {"project_id", 1}}}}}},
            {"jti", "5b7e0a5c-2f43-4c1c-9d2a-1a2b3c4d5e6f"},
            {"aud", "container_registry"},
            {"sub", "dana-developer"},
            {"iss", "gitlab-issuer"},
            {"iat", kNow},
            {"nbf", kNow - 5},
            {"exp", kNow + 300}};
  }
  std::string Sign(const p::Key& key, p::Alg alg) const {
    return *p::SignCompact({{"kid", p::LibtrustKeyId(key)}, {"typ", "JWT"}}, Claims(), alg, key);
  }
};

const Fixture& F() {
  static const Fixture f;
  return f;
}

void BM_ParseChallenge(benchmark::State& state) {
  const std::string header =
      R"(Bearer realm="http://127.0.0.1:5001/token",service="test-registry",)"
      R"(scope="repository:foo/bar:pull,push",error="insufficient_scope")";
  for (auto _ : state) benchmark::DoNotOptimize(p::ParseChallenges(header));
}
BENCHMARK(BM_ParseChallenge);

void BM_ParseCredentialsBasic(benchmark::State& state) {
  const std::string header =
      "Basic " + p::Base64Encode("dana-developer:glpat-abcdefghij0123456789");
  for (auto _ : state) benchmark::DoNotOptimize(p::ParseCredentials(header));
}
BENCHMARK(BM_ParseCredentialsBasic);

void BM_ParseCredentialsBearer(benchmark::State& state) {
  const std::string header = "Bearer " + F().rs256_token;
  for (auto _ : state) benchmark::DoNotOptimize(p::ParseCredentials(header));
}
BENCHMARK(BM_ParseCredentialsBearer);

void BM_ParseScopeList(benchmark::State& state) {
  const std::string scopes = "repository:other/repo:pull repository:foo/bar:pull,push";
  for (auto _ : state) benchmark::DoNotOptimize(p::ParseScopeList(scopes));
}
BENCHMARK(BM_ParseScopeList);

void BM_ParseRepositoryName(benchmark::State& state) {
  const std::string name = "registry.example.test:5000/acme/platform/lib/image";
  for (auto _ : state) benchmark::DoNotOptimize(p::ParseRepositoryName(name));
}
BENCHMARK(BM_ParseRepositoryName);

void BM_Base64UrlDecode1KiB(benchmark::State& state) {
  const std::string text = p::Base64UrlEncode(std::string(1024, '\x5a'));
  for (auto _ : state)
    benchmark::DoNotOptimize(p::Base64Decode(text, p::Base64Options::JoseStrict()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_Base64UrlDecode1KiB);

void BM_ParseTokenResponse(benchmark::State& state) {
  const std::string body = R"({"token":")" + F().rs256_token + R"("})";
  for (auto _ : state) {
    benchmark::DoNotOptimize(p::ParseTokenResponse(body, p::TokenResponseForm::kGet));
  }
}
BENCHMARK(BM_ParseTokenResponse);

void BM_ParseCompactJws(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(p::ParseCompactJws(F().rs256_token));
}
BENCHMARK(BM_ParseCompactJws);

// Signing: our SignCompact (JSON serialisation + base64url + EVP) vs raw EVP_DigestSign.
void BM_SignCompactRS256(benchmark::State& state) {
  const nlohmann::json header = {{"kid", p::LibtrustKeyId(F().rsa)}, {"typ", "JWT"}};
  const nlohmann::json claims = Fixture::Claims();
  for (auto _ : state) {
    benchmark::DoNotOptimize(p::SignCompact(header, claims, p::Alg::kRS256, F().rsa));
  }
}
BENCHMARK(BM_SignCompactRS256)->Unit(benchmark::kMicrosecond);

void BM_SignCompactES256(benchmark::State& state) {
  const nlohmann::json header = {{"kid", p::LibtrustKeyId(F().ec)}, {"typ", "JWT"}};
  const nlohmann::json claims = Fixture::Claims();
  for (auto _ : state) {
    benchmark::DoNotOptimize(p::SignCompact(header, claims, p::Alg::kES256, F().ec));
  }
}
BENCHMARK(BM_SignCompactES256)->Unit(benchmark::kMicrosecond);

// Verification: the registry's whole VerifyToken (parse, claims, key lookup, signature).
void BM_VerifyTokenRS256(benchmark::State& state) {
  const auto profile = p::VerifierProfile::DistributionV28("gitlab-issuer", "container_registry");
  for (auto _ : state) {
    auto r = p::VerifyToken(F().rs256_token, F().trust, profile, kNow);
    if (!r) state.SkipWithError("token did not verify");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_VerifyTokenRS256)->Unit(benchmark::kMicrosecond);

void BM_VerifyTokenES256(benchmark::State& state) {
  const auto profile = p::VerifierProfile::DistributionV28("gitlab-issuer", "container_registry");
  for (auto _ : state) {
    auto r = p::VerifyToken(F().es256_token, F().trust, profile, kNow);
    if (!r) state.SkipWithError("token did not verify");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_VerifyTokenES256)->Unit(benchmark::kMicrosecond);

// The peer: OpenSSL's EVP one-shot sign/verify of the same signing input with the same key.
std::string SigningInput(const std::string& token) { return token.substr(0, token.rfind('.')); }

void OpenSslSign(benchmark::State& state, const p::Key& key, const EVP_MD* md) {
  const std::string input = SigningInput(F().rs256_token);
  unsigned char sig[1024];
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = sizeof sig;
    EVP_DigestSignInit(ctx, nullptr, md, nullptr, key.get());
    EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    EVP_MD_CTX_free(ctx);
    benchmark::DoNotOptimize(sig);
  }
}
void BM_OpenSslSignRS256(benchmark::State& state) { OpenSslSign(state, F().rsa, EVP_sha256()); }
BENCHMARK(BM_OpenSslSignRS256)->Unit(benchmark::kMicrosecond);
void BM_OpenSslSignES256(benchmark::State& state) { OpenSslSign(state, F().ec, EVP_sha256()); }
BENCHMARK(BM_OpenSslSignES256)->Unit(benchmark::kMicrosecond);

void OpenSslVerify(benchmark::State& state, const p::Key& key, const std::string& token) {
  const std::string input = SigningInput(token);
  // DER signature for EVP (JWS carries raw r||s for ES256; OpenSSL verifies DER).
  unsigned char sig[1024];
  size_t sig_len = sizeof sig;
  {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key.get());
    EVP_DigestSign(ctx, sig, &sig_len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    EVP_MD_CTX_free(ctx);
  }
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.get());
    const int ok = EVP_DigestVerify(
        ctx, sig, sig_len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) state.SkipWithError("OpenSSL verify failed");
  }
}
void BM_OpenSslVerifyRS256(benchmark::State& state) {
  OpenSslVerify(state, F().rsa, F().rs256_token);
}
BENCHMARK(BM_OpenSslVerifyRS256)->Unit(benchmark::kMicrosecond);
void BM_OpenSslVerifyES256(benchmark::State& state) {
  OpenSslVerify(state, F().ec, F().es256_token);
}
BENCHMARK(BM_OpenSslVerifyES256)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
