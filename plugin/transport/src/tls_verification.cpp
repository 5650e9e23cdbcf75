#include "tls_verification.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509v3.h>

#include <memory>
#include <vector>

namespace webhook {
namespace {

std::string one_line(const X509_NAME* name) {
  if (name == nullptr) return "?";
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string time_text(const ASN1_TIME* time) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  ASN1_TIME_print(bio.get(), time);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string address_text(const ASN1_OCTET_STRING* ip) {
  char text[64] = {0};
  const unsigned char* p = ASN1_STRING_get0_data(ip);
  if (ASN1_STRING_length(ip) == 4) {
    std::snprintf(text, sizeof text, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
    return text;
  }
  std::string out;
  for (int i = 0; i + 1 < ASN1_STRING_length(ip); i += 2) {
    std::snprintf(text, sizeof text, "%s%x", i ? ":" : "", (p[i] << 8) | p[i + 1]);
    out += text;
  }
  return out;
}

// The names a certificate is for: its subject alternative names, or its
// common name when it has none.
std::string names_of(X509* cert) {
  std::string names;
  auto* alt = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; alt != nullptr && i < sk_GENERAL_NAME_num(alt); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt, i);
    std::string one;
    if (name->type == GEN_DNS) {
      one.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                 static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)));
    } else if (name->type == GEN_IPADD) {
      one = address_text(name->d.iPAddress);
    }
    if (!one.empty()) names += (names.empty() ? "" : ", ") + one;
  }
  GENERAL_NAMES_free(alt);
  if (names.empty()) {
    char cn[256] = {0};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) names = cn;
  }
  return names.empty() ? "no name" : names;
}

}  // namespace

bool expect_peer(SSL* ssl, const std::string& host, bool is_address) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (is_address) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

std::string describe_verify_failure(X509_STORE_CTX* context, const std::string& host) {
  const int error = X509_STORE_CTX_get_error(context);
  X509* cert = X509_STORE_CTX_get_current_cert(context);
  const bool leaf = X509_STORE_CTX_get_error_depth(context) == 0;
  const std::string whose = cert == nullptr ? std::string("the certificate")
                                            : (leaf ? "the certificate of " : "the CA certificate ") +
                                                  one_line(X509_get_subject_name(cert));
  switch (error) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "certificate is for " + (cert ? names_of(cert) : std::string("other names")) + ", not " + host;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return whose + " expired on " + (cert ? time_text(X509_get0_notAfter(cert)) : std::string("?"));
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return whose + " is not valid before " + (cert ? time_text(X509_get0_notBefore(cert)) : std::string("?"));
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return whose + " is self-signed and not trusted (trust it with delivery.tls.ca_file)";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "the chain ends in a self-signed CA that is not trusted: " + whose +
             " (trust it with delivery.tls.ca_file)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return whose + " is issued by an unknown CA, " +
             (cert ? one_line(X509_get_issuer_name(cert)) : std::string("?")) +
             " (trust it with delivery.tls.ca_file)";
    default:
      return whose + ": " + X509_verify_cert_error_string(error);
  }
}

}  // namespace webhook
