#include "net/test_certificate.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace regauth::net {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "MakeTestCertificate: %s failed\n", what);
  std::abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Die(what);
}

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};

void AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, const_cast<char*>(value)));
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  Check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

TestCertificate MakeTestCertificate() {
  std::unique_ptr<EVP_PKEY, Free> key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EVP_EC_gen");
  std::unique_ptr<X509, Free> cert(X509_new());
  Check(cert != nullptr, "X509_new");
  Check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  Check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1, "serial");
  Check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  Check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) != nullptr, "notAfter");
  Check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  Check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                                   0) == 1,
        "X509_NAME_add_entry_by_txt");
  Check(X509_set_issuer_name(cert.get(), name) == 1, "X509_set_issuer_name");
  AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert.get(), NID_subject_key_identifier, "hash");
  AddExtension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  Check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

  std::unique_ptr<BIO, Free> cert_bio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, Free> key_bio(BIO_new(BIO_s_mem()));
  Check(cert_bio && key_bio, "BIO_new");
  Check(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "PEM_write_bio_X509");
  Check(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
            1,
        "PEM_write_bio_PrivateKey");
  return TestCertificate{BioText(cert_bio.get()), BioText(key_bio.get())};
}

}  // namespace regauth::net
