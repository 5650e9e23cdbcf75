// A throw-away certificate authority and a server certificate signed by it,
// made in memory at run time (never committed): for --https without a
// certificate, and for tests of TLS clients.
#pragma once

#include <string>
#include <vector>

namespace webhook_common {

struct GeneratedCertificates {
  std::string ca_certificate_pem;      // trust this in the client
  std::string server_certificate_pem;  // the chain the server presents
  std::string server_key_pem;
};

struct CertificateOptions {
  // DNS names or IP addresses, as subject alternative names.
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  // The server certificate's validity, in seconds from now (an expired
  // one: both negative).
  long not_before_s = -3600;
  long not_after_s = 24L * 3600;
  // The server certificate signs itself (ca_certificate_pem is then the
  // same certificate).
  bool self_signed = false;
};

// A P-256 CA and a server certificate signed by it, as `options` say.
// Throws std::runtime_error when OpenSSL fails.
GeneratedCertificates generate_certificates(const CertificateOptions& options);

// A P-256 CA and a server certificate valid for `names`, both valid for a
// day from now.
GeneratedCertificates generate_certificates(const std::vector<std::string>& names = {"localhost", "127.0.0.1", "::1"});

}  // namespace webhook_common
