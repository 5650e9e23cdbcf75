// What a TLS client checks of a server's certificate, and what it says when
// the check fails: "certificate is for a.example, not b.example", "expired
// on ...", "self-signed ...", "issued by an unknown CA ...", rather than
// OpenSSL's bare reason.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

namespace webhook {

// Tells OpenSSL to check the peer's certificate against `host` (a DNS name,
// or an address when `is_address`). False when OpenSSL refuses the name.
bool expect_peer(SSL* ssl, const std::string& host, bool is_address);

// A sentence on why the certificate `context` is at failed, for a
// connection to `host`.
std::string describe_verify_failure(X509_STORE_CTX* context, const std::string& host);

}  // namespace webhook
