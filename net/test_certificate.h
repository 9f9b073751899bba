// test_certificate.h — a throwaway self-signed TLS identity for tests (test code only: it is
// linked by tests, never by the server or the runner).
//
// Generated in memory with OpenSSL at test time (EC P-256, valid from one hour ago for one day,
// CN=localhost, subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1), so no private key is
// committed and no openssl CLI is needed.
//
// Usage:
//   TestCertificate cert = MakeTestCertificate();
//   options.tls = TlsConfig{cert.certificate_pem, cert.private_key_pem};
//   client_options.ca_file = WriteTempFile(cert.certificate_pem);  // trust it as its own root
#pragma once

#include <string>

namespace regauth::net {

// TestCertificate holds a PEM certificate and its PEM (PKCS#8) private key.
struct TestCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

// MakeTestCertificate returns a fresh self-signed identity. It aborts the test program on an
// OpenSSL failure (there is no input to be wrong about).
TestCertificate MakeTestCertificate();

}  // namespace regauth::net
