// jwt_verify_fuzzer — VerifyToken with a fixed trust store and a fixed `now`, under the
// distribution v2.8, v3 and strict profiles. Invariants: an error offset stays inside the input;
// a token verifies only if its alg is an asymmetric alg the profile allows (never none, HS* or
// an unknown name), the key that verified it re-verifies the same signing input, that key is
// the trusted key named by the reported key ID or an x5c leaf, and the claims pass the profile's
// issuer, audience and expiry rules. The trust material is public (certificates and public
// keys from protocol/testdata/); seeds in fuzz/corpus/jwt_verify/ were signed with the private
// halves (protocol/testdata/make_jwt_seeds.cc).
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/jwt.h"

using namespace regauth::protocol;

namespace {

constexpr int64_t kNow = 1700000000;  // the seeds' signing time; certificates valid 2020..2100

const char kRootCerts[] = R"(-----BEGIN CERTIFICATE-----
MIIDBTCCAe2gAwIBAgICEAEwDQYJKoZIhvcNAQELBQAwJDEiMCAGA1UEAwwZcmVn
YXV0aCB0ZXN0IHRva2VuIHNpZ25lcjAgFw0yMDAxMDEwMDAwMDBaGA8yMTAwMDEw
MTAwMDAwMFowJDEiMCAGA1UEAwwZcmVnYXV0aCB0ZXN0IHRva2VuIHNpZ25lcjCC
ASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAKCFiYVc/J+wc7CloWWn/gsX
FbJXMPFBh6Te1YdRGJfZPrl9OmAmLSJ1qbnslTVP5gUS0h+spcEj8y/v+RmQR5dD
RGDstGd62dvwWw3+6x07m4mMbNLjxhgLZFf9FZ+9wa26uf1Bq3pdHKuNdjxu/fXg
psOkA61GV6tullZwgcoXQONjxWy+gWrg7znt9hmBLmSWsC2wAfuTV+id3hXekEWQ
5KXyuY0Qf3SKmam1+kmMHwMbNAhcXa/fmhZwvMXe7lQ85dwlSgLbSVsooUUgE3Dg
yROvq1SbIcrX9LKKhBOd4mBYUCB/NISyD1qoAO7BqhKtIgUDsLuIID7qEalsjVUC
AwEAAaM/MD0wDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYE
FIIxU3hS3FDij/Ydu7r7zd79Z1rVMA0GCSqGSIb3DQEBCwUAA4IBAQByAL5RX0lQ
Ng7xwRNVt8Qf/19QHHyS3+rurcd8IQnvud3lBa8b/5kzSCQjQDW03deSnnwqfn5N
rbUk7WgMmWUG0d1O8XzRSz95Mk5t+TscAcxheO0KV4o+iCdjnNSD/cOa8mbgtuue
OA+ZoJaIPqZrqQPo+sbhGuPgg5A6I/wFE/NjDK5iTERtqJkD0La4n+D4tvNBg3A1
2gejL9v4sL0T1lYvLAcGVncR2xbvMo1hBDkC6sWr/hKNMQAfWk8Fh4it1k2ZuCvK
nD0quyI31TmVy8e7y4A3edps5HdI7x0NpMQgHTDS0Xif3nlQgZq2UJPLKM+uGUX2
6Bgz7NIjdpyC
-----END CERTIFICATE-----
)"
                          R"(-----BEGIN CERTIFICATE-----
MIIBcTCCARigAwIBAgICEAIwCgYIKoZIzj0EAwIwHzEdMBsGA1UEAwwUcmVnYXV0
aCB0ZXN0IHJvb3QgQ0EwIBcNMjAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBa
MB8xHTAbBgNVBAMMFHJlZ2F1dGggdGVzdCByb290IENBMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEJThq05MBDKFCbZrQrObWzdZUxEb3TjUgRdJthIEmdygLaLq+
p8rEASkYJ0rawVBUy9VDTd95P/MqGrPvgpUn6KNCMEAwDwYDVR0TAQH/BAUwAwEB
/zAOBgNVHQ8BAf8EBAMCAYYwHQYDVR0OBBYEFBE68kTEPkRdPAlHUWnVF4NJoBrH
MAoGCCqGSM49BAMCA0cAMEQCIBXfm0L4tvUyWFGOnsWDiymCsCJVP1sWnMRhC3UF
6PdjAiBTee42wHu1IiPhiIx2HOovg6voQsC/D/S76/fOvmh3OQ==
-----END CERTIFICATE-----
)";
const char* const kExtraKeys[] = {R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAER7qSLrVrOLr3OlVyXG7/VGBiLHEW
31auDL+dgG1TTR8wLYnhFp6+FXVd61TjNLRlJySZPe2nleDQMeG6YgSUDg==
-----END PUBLIC KEY-----
)",
                                  R"(-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEK0O+nLYImvv0DI0AQ8D5ENhPcDTPAOu1
do7VwuGTqyvqC4GotdLP7NmIvNYvEc3zijxD+w2Rx0rzmsIbJG1/GbeBS22jKDf4
L5Xw0ZY70AxLKhjGSkFDr6oyWEXUL+g8
-----END PUBLIC KEY-----
)",
                                  R"(-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA+CEE+c5B22bcthPVrIMRhQJgvoU7MYiCG4s5ie0SUhI=
-----END PUBLIC KEY-----
)"};

TrustStore MakeTrust(KeyIdFormat format) {
  TrustStore trust = TrustStore::FromRoots(*LoadCertificatesPem(kRootCerts), format);
  for (const char* pem : kExtraKeys) {
    Key key = *LoadPublicKeyPem(pem);
    trust.AddKey(KeyIdOf(key, format), key);
  }
  return trust;
}

void Check(std::string_view in, const VerifierProfile& profile, const TrustStore& trust) {
  auto verified = VerifyToken(in, trust, profile, kNow);
  if (!verified) {
    FUZZ_CHECK(verified.error().offset <= in.size());
    (void)CategoryOf(verified.error().code, profile);
    return;
  }
  auto jws = ParseCompactJws(in, profile.jws);
  FUZZ_CHECK(jws.has_value());
  const Alg alg = jws->header.alg;
  FUZZ_CHECK(alg != Alg::kNone && alg != Alg::kUnknown && IsAsymmetric(alg));
  FUZZ_CHECK(profile.algs.Allows(alg));
  FUZZ_CHECK(!jws->signature.empty());
  FUZZ_CHECK(VerifySignature(*jws, verified->key, profile.algs).has_value());
  const auto trusted = trust.keys_by_id.find(verified->key_id);
  if (trusted != trust.keys_by_id.end()) {
    FUZZ_CHECK(SamePublicKey(trusted->second, verified->key));
    FUZZ_CHECK(VerifySignature(*jws, trusted->second, profile.algs).has_value());
  } else {
    // Only a certificate chain (header x5c, or x5c inside the jwk) can supply an untabled key.
    FUZZ_CHECK(!jws->header.x5c.empty() || (jws->header.jwk && jws->header.jwk->is_object() &&
                                            jws->header.jwk->contains("x5c")));
  }
  const Claims& c = verified->claims;
  FUZZ_CHECK(c.iss == profile.trusted_issuers.front());
  FUZZ_CHECK(!c.aud.empty());
  FUZZ_CHECK(c.exp.has_value() && *c.exp >= kNow - profile.leeway_seconds);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const VerifierProfile v28 = VerifierProfile::DistributionV28("gitlab-issuer", "registry");
  static const VerifierProfile v3 = VerifierProfile::DistributionV3("gitlab-issuer", "registry");
  static const VerifierProfile strict = VerifierProfile::Strict("gitlab-issuer", "registry");
  static const TrustStore libtrust = MakeTrust(KeyIdFormat::kLibtrust);
  static const TrustStore thumbprint = MakeTrust(KeyIdFormat::kJwkThumbprint);
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Check(in, v28, libtrust);
  Check(in, v3, thumbprint);
  Check(in, strict, thumbprint);
  return 0;
}
