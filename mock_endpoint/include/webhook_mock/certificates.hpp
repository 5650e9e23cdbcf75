// A throw-away certificate authority and a server certificate signed by it,
// made in memory at run time (never committed): for --https without a
// certificate, and for tests of TLS clients.
#pragma once

#include <string>
#include <vector>

namespace webhook_mock {

struct GeneratedCertificates {
  std::string ca_certificate_pem;      // trust this in the client
  std::string server_certificate_pem;  // the chain the server presents
  std::string server_key_pem;
};

// A P-256 CA and a server certificate valid for `names` (DNS names or IP
// addresses, as subject alternative names), both valid for a day from now.
// Throws std::runtime_error when OpenSSL fails.
GeneratedCertificates generate_certificates(const std::vector<std::string>& names = {"localhost", "127.0.0.1", "::1"});

}  // namespace webhook_mock
