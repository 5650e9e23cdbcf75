#include <webhook_common/certificates.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace webhook_common {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("generating certificates: ") + what + " failed");
}

KeyPtr make_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key generation");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "certificate extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

CertPtr make_certificate(EVP_PKEY* key, const std::string& common_name, X509* issuer, long not_before_s = -3600,
                         long not_after_s = 24L * 3600) {
  CertPtr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_s);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("webhook-mock"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

std::string pem_of(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string pem_of(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

bool is_ip_address(const std::string& name) {
  return name.find(':') != std::string::npos ||
         name.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

GeneratedCertificates generate_certificates(const std::vector<std::string>& names) {
  CertificateOptions options;
  options.names = names;
  return generate_certificates(options);
}

GeneratedCertificates generate_certificates(const CertificateOptions& options) {
  const std::vector<std::string>& names = options.names;
  KeyPtr ca_key = make_key();
  CertPtr ca = make_certificate(ca_key.get(), "webhook-mock test CA", nullptr);
  add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()) > 0, "signing the CA");

  KeyPtr key = make_key();
  X509* issuer = options.self_signed ? nullptr : ca.get();
  CertPtr cert = make_certificate(key.get(), names.empty() ? "localhost" : names.front(), issuer,
                                  options.not_before_s, options.not_after_s);
  if (issuer == nullptr) issuer = cert.get();
  std::string alt_names;
  for (const auto& n : names) {
    if (!alt_names.empty()) alt_names += ',';
    alt_names += is_ip_address(n) ? "IP:" : "DNS:";
    alt_names += n;
  }
  add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
  if (!options.self_signed) add_extension(cert.get(), issuer, NID_authority_key_identifier, "keyid");
  if (!alt_names.empty()) add_extension(cert.get(), issuer, NID_subject_alt_name, alt_names);
  EVP_PKEY* signer = options.self_signed ? key.get() : ca_key.get();
  check(X509_sign(cert.get(), signer, EVP_sha256()) > 0, "signing the server certificate");

  const std::string cert_pem = pem_of(cert.get());
  return {options.self_signed ? cert_pem : pem_of(ca.get()), cert_pem, pem_of(key.get())};
}

}  // namespace webhook_common
