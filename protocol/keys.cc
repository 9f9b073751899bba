#include "protocol/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <ctime>
#include <memory>
#include <utility>

#include "protocol/base64.h"

namespace regauth::protocol {
namespace {

// Deleters so that every OpenSSL object is owned by a unique_ptr.
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct X509NameFree {
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
struct X509ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct X509StackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_free(p); }  // borrowed elements
};
struct OpensslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};

using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;

// Failure paths leave reasons on OpenSSL's thread-local error queue; they must not leak into
// the next, unrelated call on this thread.
template <typename T>
Result<T, KeyError> KeyFail(KeyError code, std::string_view reason) {
  ERR_clear_error();
  return Fail(code, 0, reason);
}
Status<KeyError> KeyStatusFail(KeyError code, std::string_view reason) {
  ERR_clear_error();
  return Fail(code, 0, reason);
}

// NoPassphrase refuses to supply a passphrase, so an encrypted PEM fails instead of prompting
// on the terminal (OpenSSL's default callback would read from the tty).
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

BioPtr MemBio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string EcGroupName(EVP_PKEY* pkey) {
  char name[64] = {0};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) !=
      1) {
    ERR_clear_error();
    return {};
  }
  return std::string(name, len);
}

std::optional<KeyType> ClassifyPkey(EVP_PKEY* pkey) {
  if (pkey == nullptr) return std::nullopt;
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      return KeyType::kRsa;
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    case EVP_PKEY_EC: {
      const std::string group = EcGroupName(pkey);
      if (group == "prime256v1" || group == "P-256") return KeyType::kEcP256;
      if (group == "secp384r1" || group == "P-384") return KeyType::kEcP384;
      if (group == "secp521r1" || group == "P-521") return KeyType::kEcP521;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

// CheckUsable rejects key types and sizes the JOSE code does not use.
Status<KeyError> CheckUsable(EVP_PKEY* pkey) {
  const auto type = ClassifyPkey(pkey);
  if (!type) return KeyStatusFail(KeyError::kUnsupportedKeyType, "unsupported key type");
  if (*type == KeyType::kRsa) {
    const int bits = EVP_PKEY_get_bits(pkey);
    if (bits < kMinRsaBits) return KeyStatusFail(KeyError::kWeakKey, "RSA key under 2048 bits");
    if (bits > kMaxRsaBits) {
      return KeyStatusFail(KeyError::kTooLarge, "RSA key over 16384 bits");
    }
  }
  return {};
}

// PublicOnly returns a new EVP_PKEY with only the public half of `pkey` (a SubjectPublicKeyInfo
// round trip). X509_set_pubkey caches the EVP_PKEY it is given, so a certificate built from a
// private key would otherwise hand that private key back from X509_get_pubkey.
PkeyPtr PublicOnly(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) {
    ERR_clear_error();
    return nullptr;
  }
  const unsigned char* p = der;
  PkeyPtr pub(d2i_PUBKEY(nullptr, &p, len));
  OPENSSL_free(der);
  ERR_clear_error();
  return pub;
}

Result<Key, KeyError> Accept(PkeyPtr pkey) {
  auto usable = CheckUsable(pkey.get());
  if (!usable) return Fail(usable.error());
  return Key(pkey.release());
}

bool HasPrivate(EVP_PKEY* pkey) {
  if (pkey == nullptr) return false;
  bool has = false;
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA: {
      BIGNUM* d = nullptr;
      has = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d) == 1;
      BN_clear_free(d);
      break;
    }
    case EVP_PKEY_EC: {
      BIGNUM* d = nullptr;
      has = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1;
      BN_clear_free(d);
      break;
    }
    case EVP_PKEY_ED25519: {
      std::size_t len = 0;
      has = EVP_PKEY_get_raw_private_key(pkey, nullptr, &len) == 1 && len > 0;
      break;
    }
    default:
      break;
  }
  ERR_clear_error();
  return has;
}

std::string Sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string BnBytes(const BIGNUM* bn, int width) {
  std::string out(static_cast<std::size_t>(width > 0 ? width : BN_num_bytes(bn)), '\0');
  if (width > 0) {
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), width);
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

int EcCoordinateBytes(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return 32;
    case KeyType::kEcP384:
      return 48;
    case KeyType::kEcP521:
      return 66;
    default:
      return 0;
  }
}

std::string_view JwkCurveName(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return "P-256";
    case KeyType::kEcP384:
      return "P-384";
    case KeyType::kEcP521:
      return "P-521";
    case KeyType::kEd25519:
      return "Ed25519";
    case KeyType::kRsa:
      break;
  }
  return "";
}

// JwkMembers holds the base64url public members of a key, from which both the JWK and the
// RFC 7638 canonical form are built.
struct JwkMembers {
  KeyType type = KeyType::kRsa;
  std::string n, e;  // RSA
  std::string x, y;  // EC (x, y) and OKP (x)
};

std::optional<JwkMembers> PublicMembers(const Key& key) {
  const auto type = TypeOf(key);
  if (!type) return std::nullopt;
  JwkMembers m;
  m.type = *type;
  EVP_PKEY* pkey = key.get();
  if (*type == KeyType::kRsa) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    const bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
                    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1;
    BnPtr n_owner(n), e_owner(e);
    if (!ok) {
      ERR_clear_error();
      return std::nullopt;
    }
    m.n = Base64UrlEncode(BnBytes(n, 0));
    m.e = Base64UrlEncode(BnBytes(e, 0));
  } else if (*type == KeyType::kEd25519) {
    unsigned char raw[32];
    std::size_t len = sizeof(raw);
    if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != sizeof(raw)) {
      ERR_clear_error();
      return std::nullopt;
    }
    m.x = Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(raw), len));
  } else {
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    const bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
    BnPtr x_owner(x), y_owner(y);
    if (!ok) {
      ERR_clear_error();
      return std::nullopt;
    }
    const int width = EcCoordinateBytes(*type);
    m.x = Base64UrlEncode(BnBytes(x, width));
    m.y = Base64UrlEncode(BnBytes(y, width));
  }
  return m;
}

// JwkBytes decodes a required base64url member of a JWK.
Result<std::string, KeyError> JwkBytes(const nlohmann::json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return KeyFail<std::string>(KeyError::kBadJwk, "JWK member missing or not a string");
  }
  auto bytes = Base64Decode(it->get_ref<const std::string&>(), Base64Options::JoseStrict());
  if (!bytes) return KeyFail<std::string>(KeyError::kBadJwk, "JWK member is not base64url");
  return std::move(*bytes);
}

Status<KeyError> PublicCheck(EVP_PKEY* pkey) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx) return KeyStatusFail(KeyError::kCryptoFailure, "EVP_PKEY_CTX_new failed");
  if (EVP_PKEY_public_check(ctx.get()) != 1) {
    return KeyStatusFail(KeyError::kBadJwk, "JWK public key fails OpenSSL's check");
  }
  return {};
}

Result<Key, KeyError> FromData(const char* algorithm, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return KeyFail<Key>(KeyError::kCryptoFailure, "EVP_PKEY_fromdata_init failed");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return KeyFail<Key>(KeyError::kBadJwk, "JWK key material rejected by OpenSSL");
  }
  PkeyPtr pkey(raw);
  auto checked = PublicCheck(pkey.get());
  if (!checked) return Fail(checked.error());
  return Accept(std::move(pkey));
}

Result<Key, KeyError> EcFromJwk(const nlohmann::json& jwk) {
  const auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) {
    return KeyFail<Key>(KeyError::kBadJwk, "EC JWK without string crv");
  }
  const std::string& curve = crv->get_ref<const std::string&>();
  KeyType type;
  const char* group;
  if (curve == "P-256") {
    type = KeyType::kEcP256;
    group = "prime256v1";
  } else if (curve == "P-384") {
    type = KeyType::kEcP384;
    group = "secp384r1";
  } else if (curve == "P-521") {
    type = KeyType::kEcP521;
    group = "secp521r1";
  } else {
    return KeyFail<Key>(KeyError::kUnsupportedKeyType, "EC JWK curve not supported");
  }
  auto x = JwkBytes(jwk, "x");
  if (!x) return Fail(x.error());
  auto y = JwkBytes(jwk, "y");
  if (!y) return Fail(y.error());
  const auto width = static_cast<std::size_t>(EcCoordinateBytes(type));
  // RFC 7518 §6.2.1.2/3: each coordinate is the full size of a field element.
  if (x->size() != width || y->size() != width) {
    return KeyFail<Key>(KeyError::kBadJwk, "EC JWK coordinate is not full size");
  }
  const std::string point = std::string(1, '\x04') + *x + *y;  // SEC 1 uncompressed form
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return KeyFail<Key>(KeyError::kCryptoFailure, "OSSL_PARAM_BLD failed");
  }
  return FromData("EC", bld.get());
}

Result<Key, KeyError> RsaFromJwk(const nlohmann::json& jwk) {
  auto n = JwkBytes(jwk, "n");
  if (!n) return Fail(n.error());
  auto e = JwkBytes(jwk, "e");
  if (!e) return Fail(e.error());
  // RFC 7518 §6.3.1: Base64urlUInt uses the minimum number of octets.
  if (n->empty() || e->empty() || (*n)[0] == '\0' || (*e)[0] == '\0') {
    return KeyFail<Key>(KeyError::kBadJwk, "RSA JWK n or e is empty or has a leading zero");
  }
  if (n->size() * 8 > static_cast<std::size_t>(kMaxRsaBits)) {
    return KeyFail<Key>(KeyError::kTooLarge, "RSA JWK modulus over 16384 bits");
  }
  // An even modulus or exponent, e < 3 or e > 64 bits never occurs in a real RSA key; e = 1
  // would make every "signature" equal to its encoded message.
  const auto last = [](const std::string& s) { return static_cast<unsigned char>(s.back()); };
  if ((last(*n) & 1) == 0 || (last(*e) & 1) == 0 || e->size() > 8 ||
      (e->size() == 1 && last(*e) < 3)) {
    return KeyFail<Key>(KeyError::kBadJwk, "RSA JWK modulus or exponent out of range");
  }
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                       static_cast<int>(n->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                       static_cast<int>(e->size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return KeyFail<Key>(KeyError::kCryptoFailure, "OSSL_PARAM_BLD failed");
  }
  if (BN_num_bits(bn_n.get()) < kMinRsaBits) {
    return KeyFail<Key>(KeyError::kWeakKey, "RSA JWK modulus under 2048 bits");
  }
  // Not FromData: OpenSSL's RSA public check runs Miller-Rabin on n (milliseconds per key), and
  // the range checks above already cover what a verifier relies on.
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return KeyFail<Key>(KeyError::kBadJwk, "RSA JWK rejected by OpenSSL");
  }
  return Accept(PkeyPtr(raw));
}

Result<Key, KeyError> OkpFromJwk(const nlohmann::json& jwk) {
  const auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) {
    return KeyFail<Key>(KeyError::kBadJwk, "OKP JWK without string crv");
  }
  if (crv->get_ref<const std::string&>() != "Ed25519") {
    return KeyFail<Key>(KeyError::kUnsupportedKeyType, "OKP JWK curve not supported");
  }
  auto x = JwkBytes(jwk, "x");
  if (!x) return Fail(x.error());
  if (x->size() != 32) return KeyFail<Key>(KeyError::kBadJwk, "Ed25519 JWK x is not 32 bytes");
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
  if (!pkey) return KeyFail<Key>(KeyError::kBadJwk, "Ed25519 JWK rejected by OpenSSL");
  return Accept(std::move(pkey));
}

const EVP_MD* CertificateDigest(KeyType type) {
  switch (type) {
    case KeyType::kEcP384:
      return EVP_sha384();
    case KeyType::kEcP521:
      return EVP_sha512();
    case KeyType::kEd25519:
      return nullptr;  // Ed25519 signs the message itself
    default:
      return EVP_sha256();
  }
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, X509ExtFree> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// AddSubjectAltNames builds the GENERAL_NAMES directly (never through OpenSSL's config-string
// syntax, where a ',' in a name would inject another entry).
bool AddSubjectAltNames(X509* cert, const std::vector<std::string>& sans) {
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(sk_GENERAL_NAME_new_null());
  if (!names) return false;
  for (const std::string& san : sans) {
    if (san.empty() || san.find('\0') != std::string::npos) return false;
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (name == nullptr) return false;
    if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(san.c_str()); ip != nullptr) {
      GENERAL_NAME_set0_value(name, GEN_IPADD, ip);
    } else {
      ERR_clear_error();
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      if (dns == nullptr || ASN1_STRING_set(dns, san.data(), static_cast<int>(san.size())) != 1) {
        ASN1_IA5STRING_free(dns);
        GENERAL_NAME_free(name);
        return false;
      }
      GENERAL_NAME_set0_value(name, GEN_DNS, dns);
    }
    if (sk_GENERAL_NAME_push(names.get(), name) == 0) {
      GENERAL_NAME_free(name);
      return false;
    }
  }
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

// BuildCertificate is the common body of MakeSelfSignedCertificate and MakeCertificate.
// issuer_cert == nullptr means self-signed.
Result<Certificate, KeyError> BuildCertificate(const Key& subject, std::string_view common_name,
                                               const Key& issuer_key, X509* issuer_cert,
                                               int64_t not_before, int64_t not_after,
                                               uint64_t serial, bool is_ca,
                                               const std::vector<std::string>& sans) {
  if (!subject.valid() || !issuer_key.valid()) {
    return KeyFail<Certificate>(KeyError::kBadArgument, "empty key");
  }
  if (!issuer_key.is_private()) {
    return KeyFail<Certificate>(KeyError::kNotPrivate, "issuer key has no private part");
  }
  const auto issuer_type = TypeOf(issuer_key);
  const auto subject_type = TypeOf(subject);
  if (!issuer_type || !subject_type) {
    return KeyFail<Certificate>(KeyError::kUnsupportedKeyType, "unsupported key type");
  }
  if (common_name.empty() || common_name.size() > 64 ||
      common_name.find('\0') != std::string_view::npos || not_after < not_before) {
    return KeyFail<Certificate>(KeyError::kBadArgument, "bad common name or validity");
  }
  if (issuer_cert != nullptr && X509_check_private_key(issuer_cert, issuer_key.get()) != 1) {
    return KeyFail<Certificate>(KeyError::kBadArgument, "issuer key does not match its cert");
  }
  std::unique_ptr<X509, X509Free> cert(X509_new());
  std::unique_ptr<X509_NAME, X509NameFree> name(X509_NAME_new());
  PkeyPtr subject_public = PublicOnly(subject.get());
  if (!cert || !name || !subject_public) {
    return KeyFail<Certificate>(KeyError::kCryptoFailure, "X509_new failed");
  }
  if (X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return KeyFail<Certificate>(KeyError::kBadArgument, "common name rejected (not UTF-8?)");
  }
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_after)) == nullptr) {
    return KeyFail<Certificate>(KeyError::kBadArgument, "validity time not representable");
  }
  X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1 ||
      X509_set_subject_name(cert.get(), name.get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer_cert != nullptr ? X509_get_subject_name(issuer_cert)
                                                              : name.get()) != 1 ||
      X509_set_pubkey(cert.get(), subject_public.get()) != 1) {
    return KeyFail<Certificate>(KeyError::kCryptoFailure, "X509 field setup failed");
  }
  std::string usage =
      is_ca ? "critical,keyCertSign,cRLSign,digitalSignature" : "critical,digitalSignature";
  if (!is_ca && *subject_type == KeyType::kRsa) usage += ",keyEncipherment";
  if (!AddExtension(cert.get(), issuer, NID_basic_constraints,
                    is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") ||
      !AddExtension(cert.get(), issuer, NID_key_usage, usage.c_str()) ||
      !AddExtension(cert.get(), issuer, NID_subject_key_identifier, "hash") ||
      (issuer_cert != nullptr &&
       !AddExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid"))) {
    return KeyFail<Certificate>(KeyError::kCryptoFailure, "X509 extension setup failed");
  }
  if (!sans.empty() && !AddSubjectAltNames(cert.get(), sans)) {
    return KeyFail<Certificate>(KeyError::kBadArgument, "subjectAltName entry rejected");
  }
  if (X509_sign(cert.get(), issuer_key.get(), CertificateDigest(*issuer_type)) <= 0) {
    return KeyFail<Certificate>(KeyError::kCryptoFailure, "X509_sign failed");
  }
  return Certificate(cert.release());
}

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

}  // namespace

std::string_view CodeName(KeyError code) {
  switch (code) {
    case KeyError::kTooLarge:
      return "too_large";
    case KeyError::kBadPem:
      return "bad_pem";
    case KeyError::kUnsupportedKeyType:
      return "unsupported_key_type";
    case KeyError::kWeakKey:
      return "weak_key";
    case KeyError::kNotPrivate:
      return "not_private";
    case KeyError::kBadJwk:
      return "bad_jwk";
    case KeyError::kBadCertificate:
      return "bad_certificate";
    case KeyError::kNoCertificate:
      return "no_certificate";
    case KeyError::kChainUntrusted:
      return "chain_untrusted";
    case KeyError::kCertificateExpired:
      return "certificate_expired";
    case KeyError::kCertificateNotYetValid:
      return "certificate_not_yet_valid";
    case KeyError::kBadArgument:
      return "bad_argument";
    case KeyError::kCryptoFailure:
      return "crypto_failure";
  }
  return "unknown";
}

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEcP256:
      return "EC P-256";
    case KeyType::kEcP384:
      return "EC P-384";
    case KeyType::kEcP521:
      return "EC P-521";
    case KeyType::kEd25519:
      return "Ed25519";
  }
  return "unknown";
}

// --- Key ---------------------------------------------------------------------------------------

Key::Key(const Key& other) : pkey_(other.pkey_) {
  if (pkey_ != nullptr) EVP_PKEY_up_ref(pkey_);
}

Key& Key::operator=(const Key& other) {
  if (this != &other) {
    if (other.pkey_ != nullptr) EVP_PKEY_up_ref(other.pkey_);
    EVP_PKEY_free(pkey_);
    pkey_ = other.pkey_;
  }
  return *this;
}

Key& Key::operator=(Key&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(pkey_);
    pkey_ = other.pkey_;
    other.pkey_ = nullptr;
  }
  return *this;
}

Key::~Key() { EVP_PKEY_free(pkey_); }

bool Key::is_private() const { return HasPrivate(pkey_); }

int Key::bits() const { return pkey_ != nullptr ? EVP_PKEY_get_bits(pkey_) : 0; }

bool SamePublicKey(const Key& a, const Key& b) {
  if (!a.valid() || !b.valid()) return false;
  const bool same = EVP_PKEY_eq(a.get(), b.get()) == 1;
  ERR_clear_error();
  return same;
}

// --- Certificate -------------------------------------------------------------------------------

Certificate::Certificate(const Certificate& other) : x509_(other.x509_) {
  if (x509_ != nullptr) X509_up_ref(x509_);
}

Certificate& Certificate::operator=(const Certificate& other) {
  if (this != &other) {
    if (other.x509_ != nullptr) X509_up_ref(other.x509_);
    X509_free(x509_);
    x509_ = other.x509_;
  }
  return *this;
}

Certificate& Certificate::operator=(Certificate&& other) noexcept {
  if (this != &other) {
    X509_free(x509_);
    x509_ = other.x509_;
    other.x509_ = nullptr;
  }
  return *this;
}

Certificate::~Certificate() { X509_free(x509_); }

Key Certificate::PublicKey() const {
  if (x509_ == nullptr) return Key();
  // Always a fresh public-only key, whatever EVP_PKEY the X509 object happens to cache.
  EVP_PKEY* cached = X509_get0_pubkey(x509_);
  if (cached == nullptr) {
    ERR_clear_error();
    return Key();
  }
  return Key(PublicOnly(cached).release());
}

std::string Certificate::Der() const {
  if (x509_ == nullptr) return {};
  unsigned char* der = nullptr;
  const int len = i2d_X509(x509_, &der);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  std::unique_ptr<unsigned char, OpensslFree> owner(der);
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
}

std::string Certificate::SubjectCommonName() const {
  if (x509_ == nullptr) return {};
  X509_NAME* name = X509_get_subject_name(x509_);
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

// --- Loading and saving ------------------------------------------------------------------------

std::optional<KeyType> TypeOf(const Key& key) { return ClassifyPkey(key.get()); }

Result<Key, KeyError> LoadPrivateKeyPem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) return KeyFail<Key>(KeyError::kTooLarge, "PEM text too large");
  BioPtr bio = MemBio(pem);
  if (!bio) return KeyFail<Key>(KeyError::kCryptoFailure, "BIO_new_mem_buf failed");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) return KeyFail<Key>(KeyError::kBadPem, "no readable unencrypted private key");
  return Accept(std::move(pkey));
}

Result<Key, KeyError> LoadPublicKeyPem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) return KeyFail<Key>(KeyError::kTooLarge, "PEM text too large");
  BioPtr bio = MemBio(pem);
  if (!bio) return KeyFail<Key>(KeyError::kCryptoFailure, "BIO_new_mem_buf failed");
  for (;;) {
    char* name_raw = nullptr;
    char* header_raw = nullptr;
    unsigned char* data_raw = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name_raw, &header_raw, &data_raw, &len) != 1) break;
    std::unique_ptr<char, OpensslFree> name(name_raw), header(header_raw);
    std::unique_ptr<unsigned char, OpensslFree> data(data_raw);
    const std::string_view block(name.get());
    const std::string_view der(reinterpret_cast<const char*>(data.get()),
                               static_cast<std::size_t>(len));
    if (block == "PUBLIC KEY") {
      const unsigned char* p = data.get();
      PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, len));
      if (!pkey || p != data.get() + len) {
        return KeyFail<Key>(KeyError::kBadPem, "PUBLIC KEY block does not parse");
      }
      return Accept(std::move(pkey));
    }
    if (block == "CERTIFICATE") {
      auto cert = CertificateFromDer(der);
      if (!cert) return Fail(cert.error());
      Key key = cert->PublicKey();
      if (!key.valid()) return KeyFail<Key>(KeyError::kBadCertificate, "certificate key unusable");
      auto usable = CheckUsable(key.get());
      if (!usable) return Fail(usable.error());
      return key;
    }
  }
  return KeyFail<Key>(KeyError::kBadPem, "no PUBLIC KEY or CERTIFICATE block");
}

Result<Certificate, KeyError> CertificateFromDer(std::string_view der) {
  if (der.size() > kMaxPemBytes) {
    return KeyFail<Certificate>(KeyError::kTooLarge, "certificate too large");
  }
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != begin + der.size()) {
    return KeyFail<Certificate>(KeyError::kBadCertificate, "certificate DER does not parse");
  }
  return Certificate(cert.release());
}

Result<std::vector<Certificate>, KeyError> LoadCertificatesPem(std::string_view pem) {
  using Certs = std::vector<Certificate>;
  if (pem.size() > kMaxPemBytes) return KeyFail<Certs>(KeyError::kTooLarge, "PEM text too large");
  BioPtr bio = MemBio(pem);
  if (!bio) return KeyFail<Certs>(KeyError::kCryptoFailure, "BIO_new_mem_buf failed");
  Certs certs;
  // Like Go's pem.Decode loop in distribution: stop at the end or at the first malformed block.
  for (;;) {
    char* name_raw = nullptr;
    char* header_raw = nullptr;
    unsigned char* data_raw = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name_raw, &header_raw, &data_raw, &len) != 1) break;
    std::unique_ptr<char, OpensslFree> name(name_raw), header(header_raw);
    std::unique_ptr<unsigned char, OpensslFree> data(data_raw);
    if (std::string_view(name.get()) != "CERTIFICATE") continue;
    auto cert = CertificateFromDer(
        std::string_view(reinterpret_cast<const char*>(data.get()), static_cast<std::size_t>(len)));
    if (!cert) return Fail(cert.error());
    certs.push_back(std::move(*cert));
  }
  ERR_clear_error();
  if (certs.empty()) return KeyFail<Certs>(KeyError::kNoCertificate, "no CERTIFICATE block");
  return certs;
}

std::string PrivateKeyPem(const Key& key) {
  if (!key.valid() || !key.is_private()) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return BioContents(bio.get());
}

std::string PublicKeyPem(const Key& key) {
  if (!key.valid()) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  return BioContents(bio.get());
}

std::string CertificatePem(const Certificate& cert) {
  if (!cert.valid()) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  return BioContents(bio.get());
}

std::string SpkiDer(const Key& key) {
  if (!key.valid()) return {};
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  std::unique_ptr<unsigned char, OpensslFree> owner(der);
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
}

// --- Generation and certificates ---------------------------------------------------------------

Result<Key, KeyError> GenerateKey(KeyType type) {
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::kRsa:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(kMinRsaBits));
      break;
    case KeyType::kEcP256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::kEcP384:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyType::kEcP521:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
      break;
    case KeyType::kEd25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) return KeyFail<Key>(KeyError::kCryptoFailure, "key generation failed");
  return Accept(PkeyPtr(raw));
}

Result<Certificate, KeyError> MakeSelfSignedCertificate(const Key& key,
                                                        std::string_view common_name,
                                                        int64_t not_before_unix,
                                                        int64_t not_after_unix, uint64_t serial,
                                                        bool is_ca) {
  return BuildCertificate(key, common_name, key, nullptr, not_before_unix, not_after_unix, serial,
                          is_ca, {});
}

Result<Certificate, KeyError> MakeCertificate(
    const Key& subject_public, std::string_view common_name, const Key& issuer_private,
    const Certificate& issuer_cert, int64_t not_before_unix, int64_t not_after_unix,
    uint64_t serial, bool is_ca, std::vector<std::string> sans) {
  if (!issuer_cert.valid()) {
    return KeyFail<Certificate>(KeyError::kBadArgument, "empty issuer certificate");
  }
  return BuildCertificate(subject_public, common_name, issuer_private, issuer_cert.get(),
                          not_before_unix, not_after_unix, serial, is_ca, sans);
}

// --- Key IDs and JWK ---------------------------------------------------------------------------

std::string LibtrustKeyId(const Key& key) {
  const std::string spki = SpkiDer(key);
  if (spki.empty()) return {};
  const std::string digest = Sha256(spki);
  if (digest.size() < 30) return {};
  // 30 bytes = 240 bits = 48 base32 characters, no padding needed.
  std::string b32;
  b32.reserve(48);
  uint64_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < 30; ++i) {
    buffer = (buffer << 8) | static_cast<unsigned char>(digest[i]);
    bits += 8;
    while (bits >= 5) {
      b32.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 0x1f]);
      bits -= 5;
    }
  }
  std::string id;
  id.reserve(59);
  for (std::size_t i = 0; i < b32.size(); i += 4) {
    if (i > 0) id.push_back(':');
    id.append(b32, i, 4);
  }
  return id;
}

std::string JwkThumbprint(const Key& key) {
  const auto m = PublicMembers(key);
  if (!m) return {};
  // RFC 7638 §3.2: required members only, lexicographic order, no whitespace. The member
  // values are base64url or fixed names, so they need no JSON escaping.
  std::string canonical;
  if (m->type == KeyType::kRsa) {
    canonical = R"({"e":")" + m->e + R"(","kty":"RSA","n":")" + m->n + R"("})";
  } else if (m->type == KeyType::kEd25519) {
    canonical = R"({"crv":"Ed25519","kty":"OKP","x":")" + m->x + R"("})";
  } else {
    canonical = R"({"crv":")" + std::string(JwkCurveName(m->type)) + R"(","kty":"EC","x":")" +
                m->x + R"(","y":")" + m->y + R"("})";
  }
  return Base64UrlEncode(Sha256(canonical));
}

nlohmann::json PublicJwk(const Key& key, std::optional<std::string> kid) {
  nlohmann::json jwk = nlohmann::json::object();
  const auto m = PublicMembers(key);
  if (!m) return jwk;
  if (m->type == KeyType::kRsa) {
    jwk["kty"] = "RSA";
    jwk["n"] = m->n;
    jwk["e"] = m->e;
  } else if (m->type == KeyType::kEd25519) {
    jwk["kty"] = "OKP";
    jwk["crv"] = "Ed25519";
    jwk["x"] = m->x;
  } else {
    jwk["kty"] = "EC";
    jwk["crv"] = std::string(JwkCurveName(m->type));
    jwk["x"] = m->x;
    jwk["y"] = m->y;
  }
  if (kid) jwk["kid"] = std::move(*kid);
  return jwk;
}

Result<Key, KeyError> KeyFromJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return KeyFail<Key>(KeyError::kBadJwk, "JWK is not an object");
  const auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) {
    return KeyFail<Key>(KeyError::kBadJwk, "JWK without string kty");
  }
  if (jwk.contains("d")) {
    return KeyFail<Key>(KeyError::kBadJwk, "JWK carries private material");
  }
  if (const auto kid = jwk.find("kid"); kid != jwk.end() && !kid->is_string()) {
    return KeyFail<Key>(KeyError::kBadJwk, "JWK kid is not a string");
  }
  const std::string& type = kty->get_ref<const std::string&>();
  if (type == "EC") return EcFromJwk(jwk);
  if (type == "RSA") return RsaFromJwk(jwk);
  if (type == "OKP") return OkpFromJwk(jwk);
  return KeyFail<Key>(KeyError::kUnsupportedKeyType, "JWK kty not supported");
}

// --- Chain verification ------------------------------------------------------------------------

Status<KeyError> VerifyCertificateChain(const Certificate& leaf,
                                        const std::vector<Certificate>& intermediates,
                                        const std::vector<Certificate>& roots, int64_t now_unix) {
  if (!leaf.valid()) return KeyStatusFail(KeyError::kBadArgument, "empty leaf certificate");
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  std::unique_ptr<STACK_OF(X509), X509StackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) {
    return KeyStatusFail(KeyError::kCryptoFailure, "X509_STORE allocation failed");
  }
  for (const Certificate& root : roots) {
    if (root.valid()) X509_STORE_add_cert(store.get(), root.get());  // duplicates are harmless
  }
  for (const Certificate& intermediate : intermediates) {
    if (intermediate.valid() && sk_X509_push(untrusted.get(), intermediate.get()) == 0) {
      return KeyStatusFail(KeyError::kCryptoFailure, "sk_X509_push failed");
    }
  }
  ERR_clear_error();
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) {
    return KeyStatusFail(KeyError::kCryptoFailure, "X509_STORE_CTX_init failed");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now_unix));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_verify_cert(ctx.get()) == 1) return {};
  switch (X509_STORE_CTX_get_error(ctx.get())) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return KeyStatusFail(KeyError::kCertificateExpired, "certificate has expired");
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return KeyStatusFail(KeyError::kCertificateNotYetValid, "certificate not yet valid");
    default:
      return KeyStatusFail(KeyError::kChainUntrusted, "certificate chain not trusted");
  }
}

}  // namespace regauth::protocol
