// keys.h — public and private keys, X.509 certificates, key IDs and JWKs for the JOSE core.
//
// Provides RAII wrappers over OpenSSL 3 (Key = EVP_PKEY, Certificate = X509), PEM load/save,
// the two key-ID formats that registries use to name a token-signing key (the libtrust
// fingerprint of distribution v2.x and GitLab, token-auth.md §1.6; the RFC 7638 JWK thumbprint of
// distribution v3, token-auth.md §2.6), JWK conversion (RFC 7517/7518 §6, public keys only),
// certificate creation for the reference server, and X.509 chain verification with an explicit
// time (the x5c step of token-auth.md §2.4 "Key selection").
//
// Supported key types: RSA (2048 to 16384 bits), EC P-256/P-384/P-521, Ed25519. Anything else
// (DSA, secp256k1, Ed448, X25519, RSA-PSS-restricted keys, RSA < 2048 bits) is rejected at load
// time, so a Key in hand is always one the JOSE code can use.
//
// All crypto is OpenSSL's; nothing here does I/O (PEM text comes in and goes out as strings).
// GenerateKey is the one function that draws randomness (OpenSSL's RNG); signing a certificate
// with an ECDSA or a randomized key also does, inside OpenSSL. Every other function is
// deterministic.
//
// Usage:
//   auto key = LoadPrivateKeyPem(pem_text);                 // registry.key
//   if (!key) return Fail(key.error());
//   std::string kid = LibtrustKeyId(*key);                   // "PYYO:TEWU:...:Z7Q6"
//   auto roots = LoadCertificatesPem(bundle_text);           // rootcertbundle
//   nlohmann::json jwk = PublicJwk(*key, kid);
//   auto same = KeyFromJwk(jwk);                             // strict member checks
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"

// OpenSSL types, forward-declared so that users of this header need not include OpenSSL.
typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace regauth::protocol {

// KeyError is the reason a key, JWK or certificate operation failed.
enum class KeyError {
  kTooLarge = 1,            // PEM text over kMaxPemBytes, RSA modulus over 16384 bits
  kBadPem,                  // no PEM block of the wanted kind, or its DER does not parse
                            // (incl. an encrypted private key: it is never decrypted, never
                            // prompted for)
  kUnsupportedKeyType,      // a key OpenSSL parses but JOSE here does not use (DSA,
                            // secp256k1, Ed448, X25519, ...)
  kWeakKey,                 // RSA modulus below 2048 bits
  kNotPrivate,              // a private-key operation on a public-only Key
  kBadJwk,                  // JWK not an object, missing/mistyped member, bad base64url,
                            // wrong coordinate length, point not on the curve, private
                            // material ("d") present
  kBadCertificate,          // certificate DER does not parse, or has trailing bytes
  kNoCertificate,           // LoadCertificatesPem: no CERTIFICATE block in the text
  kChainUntrusted,          // no path from the leaf to one of the roots (incl. bad signature,
                            // intermediate not a CA, path too long)
  kCertificateExpired,      // a certificate of the chain is past its notAfter at `now`
  kCertificateNotYetValid,  // a certificate of the chain is before its notBefore at `now`
  kBadArgument,             // a caller-supplied value OpenSSL refuses (empty CN, bad time,
                            // key type not matching the request)
  kCryptoFailure,           // OpenSSL failed internally (out of memory, RNG failure)
};

// CodeName returns the stable snake_case name of `code` ("bad_pem", ...).
std::string_view CodeName(KeyError code);

// kMaxPemBytes bounds every PEM text this module parses (a CA bundle of a few hundred
// certificates fits).
inline constexpr std::size_t kMaxPemBytes = 1 << 20;

// KeyType is the kind of a supported key. The EC curve is part of the type because JOSE binds
// each ES* algorithm to one curve (RFC 7518 §3.4).
enum class KeyType { kRsa, kEcP256, kEcP384, kEcP521, kEd25519 };

// KeyTypeName returns "RSA", "EC P-256", "EC P-384", "EC P-521" or "Ed25519".
std::string_view KeyTypeName(KeyType type);

// Key is a shared, immutable handle to an OpenSSL EVP_PKEY (public, or private with its public
// half). Copying is cheap (EVP_PKEY_up_ref) and copies share the key; nothing in this API
// mutates a key after construction, so copies may be used from several threads at once (OpenSSL
// 3 allows concurrent use of one EVP_PKEY with separate operation contexts). A default-
// constructed Key is empty (valid() == false); functions taking a Key treat an empty one as a
// programming error and fail with kBadArgument / an equivalent code, never crash.
class Key {
 public:
  Key() = default;
  // Key takes ownership of one reference to `pkey` (may be null: empty Key).
  explicit Key(EVP_PKEY* pkey) : pkey_(pkey) {}
  Key(const Key& other);
  Key& operator=(const Key& other);
  Key(Key&& other) noexcept : pkey_(other.pkey_) { other.pkey_ = nullptr; }
  Key& operator=(Key&& other) noexcept;
  ~Key();

  bool valid() const { return pkey_ != nullptr; }
  // is_private reports whether the key holds private material (can sign).
  bool is_private() const;
  // get returns the borrowed EVP_PKEY (null when empty); valid while this Key lives.
  EVP_PKEY* get() const { return pkey_; }
  // bits returns the key size in bits (RSA modulus, EC field size, 253 for Ed25519).
  int bits() const;

 private:
  EVP_PKEY* pkey_ = nullptr;
};

// SamePublicKey reports whether two keys have the same public part (EVP_PKEY_eq).
bool SamePublicKey(const Key& a, const Key& b);

// Certificate is a shared, immutable handle to an OpenSSL X509, with the same copy and thread
// semantics as Key.
class Certificate {
 public:
  Certificate() = default;
  // Certificate takes ownership of one reference to `x509` (may be null: empty).
  explicit Certificate(X509* x509) : x509_(x509) {}
  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&& other) noexcept : x509_(other.x509_) { other.x509_ = nullptr; }
  Certificate& operator=(Certificate&& other) noexcept;
  ~Certificate();

  bool valid() const { return x509_ != nullptr; }
  X509* get() const { return x509_; }
  // PublicKey returns the subject public key (empty Key if the certificate is empty or its key
  // cannot be decoded).
  Key PublicKey() const;
  // Der returns the DER encoding ("" when empty).
  std::string Der() const;
  // SubjectCommonName returns the first CN of the subject ("" when absent).
  std::string SubjectCommonName() const;

 private:
  X509* x509_ = nullptr;
};

// TypeOf returns the type of a valid key. Keys built by this module are always of a supported
// type; for an empty key or a foreign EVP_PKEY it returns std::nullopt.
std::optional<KeyType> TypeOf(const Key& key);

// LoadPrivateKeyPem reads the first private key in `pem` (PKCS#8 "PRIVATE KEY", or the
// traditional "RSA PRIVATE KEY" / "EC PRIVATE KEY" forms; other blocks before it are skipped).
// An encrypted key fails with kBadPem: no passphrase callback ever runs.
// Errors: kTooLarge (over kMaxPemBytes), kBadPem, kUnsupportedKeyType, kWeakKey.
Result<Key, KeyError> LoadPrivateKeyPem(std::string_view pem);

// LoadPublicKeyPem reads the first "PUBLIC KEY" (SubjectPublicKeyInfo) or "CERTIFICATE" block
// in `pem`; for a certificate it returns the certificate's subject key. A private-key PEM is not
// accepted here (kBadPem): callers holding one use LoadPrivateKeyPem.
// Errors: kTooLarge, kBadPem, kBadCertificate, kUnsupportedKeyType, kWeakKey.
Result<Key, KeyError> LoadPublicKeyPem(std::string_view pem);

// LoadCertificatesPem reads every "CERTIFICATE" block of `pem`, in order, skipping other blocks
// and any text between blocks, as distribution reads its rootcertbundle (token-auth.md §2.1).
// Errors: kTooLarge, kBadCertificate (a CERTIFICATE block whose DER does not parse),
// kNoCertificate (no CERTIFICATE block at all).
Result<std::vector<Certificate>, KeyError> LoadCertificatesPem(std::string_view pem);

// CertificateFromDer parses one DER certificate; trailing bytes are an error (as Go's
// x509.ParseCertificate). Errors: kTooLarge (over kMaxPemBytes), kBadCertificate.
Result<Certificate, KeyError> CertificateFromDer(std::string_view der);

// PrivateKeyPem returns the unencrypted PKCS#8 PEM of a private key ("" for a public-only or
// empty key). The text is a secret: never log it.
std::string PrivateKeyPem(const Key& key);
// PublicKeyPem returns the SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
std::string PublicKeyPem(const Key& key);
// CertificatePem returns the "-----BEGIN CERTIFICATE-----" PEM.
std::string CertificatePem(const Certificate& cert);
// SpkiDer returns the DER SubjectPublicKeyInfo of the key's public part ("" when empty): the
// input of LibtrustKeyId, and the text the algorithm-confusion forgeries key HMAC with.
std::string SpkiDer(const Key& key);

// GenerateKey creates a fresh key of `type` (RSA: 2048 bits, e = 65537). It is the only
// non-deterministic function of this module: it draws from OpenSSL's RNG. The reference server
// uses it once to create its signing key into its state directory; tests use the fixed keys in
// protocol/testdata/. Errors: kCryptoFailure.
Result<Key, KeyError> GenerateKey(KeyType type);

// MakeSelfSignedCertificate issues an X.509 v3 certificate for `key` signed by itself:
// subject = issuer = CN=`common_name`, validity [not_before_unix, not_after_unix], the given
// serial, basicConstraints (critical) CA:`is_ca`, keyUsage (critical) keyCertSign+cRLSign+
// digitalSignature for a CA and digitalSignature (+keyEncipherment for RSA) otherwise, and a
// subjectKeyIdentifier. Signed with SHA-256 (SHA-384 for P-384, SHA-512 for P-521; Ed25519 has
// no separate digest). Errors: kNotPrivate, kBadArgument (empty CN, not_after < not_before),
// kCryptoFailure.
Result<Certificate, KeyError> MakeSelfSignedCertificate(const Key& key,
                                                        std::string_view common_name,
                                                        int64_t not_before_unix,
                                                        int64_t not_after_unix, uint64_t serial,
                                                        bool is_ca);

// MakeCertificate issues a certificate for `subject_public` signed by `issuer_private`, whose
// certificate `issuer_cert` supplies the issuer name and authorityKeyIdentifier. Extensions as
// MakeSelfSignedCertificate, plus a subjectAltName when `sans` is non-empty: each entry that is
// an IPv4 or IPv6 literal becomes an iPAddress name, any other a dNSName (the reference server's
// TLS leaf needs both "localhost" and "127.0.0.1"). Errors: kNotPrivate (issuer key is public),
// kBadArgument (issuer key does not match issuer_cert, empty CN, bad times, empty SAN),
// kCryptoFailure.
Result<Certificate, KeyError> MakeCertificate(
    const Key& subject_public, std::string_view common_name, const Key& issuer_private,
    const Certificate& issuer_cert, int64_t not_before_unix, int64_t not_after_unix,
    uint64_t serial, bool is_ca, std::vector<std::string> sans);

// LibtrustKeyId returns the libtrust fingerprint of the key's public part, the `kid` format of
// distribution v2.x and GitLab (token-auth.md §1.6; libtrust util.go keyIDFromCryptoKey):
// SHA-256 of the DER SubjectPublicKeyInfo, first 30 bytes, RFC 4648 base32 (standard alphabet,
// no padding) = 48 characters, in 12 groups of 4 joined with ':'. "" for an empty key.
std::string LibtrustKeyId(const Key& key);

// JwkThumbprint returns the RFC 7638 thumbprint: base64url (unpadded) SHA-256 of the canonical
// JSON {"crv","kty","x","y"} (EC), {"e","kty","n"} (RSA) or {"crv","kty","x"} (OKP), members
// in lexicographic order with no whitespace. This is distribution v3's rootcertbundle key
// name (token-auth.md §2.6). "" for an empty key.
std::string JwkThumbprint(const Key& key);

// PublicJwk returns the public JWK of `key` (RFC 7518 §6.2.1 EC with full-size coordinates,
// §6.3.1 RSA with minimal-length n and e, RFC 8037 OKP), plus "kid" when given. Private
// material is never included. An empty key yields an empty object.
nlohmann::json PublicJwk(const Key& key, std::optional<std::string> kid = std::nullopt);

// KeyFromJwk builds a public key from a JWK object. Strict (RFC 7517 §4, RFC 7518 §6):
//   - "kty" is "EC", "RSA" or "OKP" (case-sensitive); other members may be present ("kid",
//     "use", "alg", "x5c", ...) and are ignored here, but "d" (private material) is rejected;
//   - EC: "crv" ∈ {"P-256","P-384","P-521"}; "x","y" unpadded base64url of exactly the
//     coordinate size; the point must be on the curve (OpenSSL's public-key check);
//   - RSA: "n","e" unpadded base64url without leading zero octets; 2048..16384-bit modulus;
//   - OKP: "crv" == "Ed25519", "x" 32 bytes.
// Errors: kBadJwk, kUnsupportedKeyType (e.g. EC "secp256k1", OKP "X25519", kty "oct"),
// kWeakKey, kTooLarge.
Result<Key, KeyError> KeyFromJwk(const nlohmann::json& jwk);

// VerifyCertificateChain checks that `leaf` chains through `intermediates` (untrusted, any
// order) to one of `roots`, at the instant `now_unix` (X509_VERIFY_PARAM_set_time; the wall
// clock is never read). As Go's x509 Verify in distribution: any certificate in `roots` is a
// trust anchor even if it is not self-signed (X509_V_FLAG_PARTIAL_CHAIN), and no extended key
// usage is required (ExtKeyUsageAny). Each certificate is valid for notBefore <= now <
// notAfter (OpenSSL's rule; Go's x509 also accepts now == notAfter, a one-second difference at
// the boundary that no real clock hits on purpose). Errors: kChainUntrusted, kCertificateExpired,
// kCertificateNotYetValid, kBadArgument (empty leaf), kCryptoFailure.
Status<KeyError> VerifyCertificateChain(const Certificate& leaf,
                                        const std::vector<Certificate>& intermediates,
                                        const std::vector<Certificate>& roots, int64_t now_unix);

}  // namespace regauth::protocol
