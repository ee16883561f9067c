#include "test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "absl/strings/str_join.h"

namespace ringnats::tls::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  throw std::runtime_error("test PKI: " + what);
}

EVP_PKEY* NewKey(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::kRsa2048: key = EVP_RSA_gen(2048); break;
    case KeyType::kEcdsaP256: key = EVP_EC_gen("P-256"); break;
    case KeyType::kEd25519: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
  }
  if (key == nullptr) Die("key generation failed");
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) Die("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

void WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) Die("cannot write " + path);
  const bool ok = cert != nullptr
                      ? PEM_write_X509(file, cert) == 1
                      : PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(file);
  if (!ok) Die("PEM write failed for " + path);
}

X509* ReadCert(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) Die("cannot read " + path);
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (cert == nullptr) Die("bad certificate " + path);
  return cert;
}

EVP_PKEY* ReadKey(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) Die("cannot read " + path);
  EVP_PKEY* key = PEM_read_PrivateKey(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (key == nullptr) Die("bad key " + path);
  return key;
}

// Signs `spec`'s certificate with `issuer_key` (itself when issuer is null) and writes it.
Issued Make(const std::string& dir, const std::string& name, const CertSpec& spec, X509* issuer,
            EVP_PKEY* issuer_key) {
  EVP_PKEY* key = NewKey(spec.key);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  unsigned char serial[8];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert), spec.not_before_seconds);
  X509_gmtime_adj(X509_getm_notAfter(cert), spec.not_after_seconds);
  X509_NAME* subject = X509_get_subject_name(cert);
  auto add = [&](const char* field, const std::string& value) {
    if (value.empty()) return;
    X509_NAME_add_entry_by_txt(subject, field, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  };
  for (const std::string& component : spec.domain_components) add("DC", component);
  add("C", spec.country);
  add("O", spec.organization);
  add("OU", spec.organizational_unit);
  add("CN", spec.common_name);
  add("emailAddress", spec.email_address);
  X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : subject);
  X509_set_pubkey(cert, key);
  X509* issuer_cert = issuer != nullptr ? issuer : cert;
  AddExtension(cert, issuer_cert, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "CA:FALSE");
  AddExtension(
      cert, issuer_cert, NID_key_usage,
      spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment");
  if (!spec.ca) AddExtension(cert, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
  AddExtension(cert, issuer_cert, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) AddExtension(cert, issuer_cert, NID_authority_key_identifier, "keyid");
  if (!spec.sans.empty()) {
    AddExtension(cert, issuer_cert, NID_subject_alt_name, absl::StrJoin(spec.sans, ","));
  }
  EVP_PKEY* signer = issuer_key != nullptr ? issuer_key : key;
  const bool no_digest = EVP_PKEY_get_id(signer) == EVP_PKEY_ED25519;
  if (X509_sign(cert, signer, no_digest ? nullptr : EVP_sha256()) <= 0) Die("signing " + name);
  Issued issued{dir + "/" + name + ".pem", dir + "/" + name + "-key.pem"};
  WritePem(issued.cert_file, cert, nullptr);
  WritePem(issued.key_file, nullptr, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return issued;
}

}  // namespace

Pki::Pki() {
  std::string templ = (std::filesystem::temp_directory_path() / "ringnats-tls-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) Die("mkdtemp failed");
  dir_ = templ;
}

Pki::~Pki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

Issued Pki::MakeCa(const std::string& name, KeyType key) {
  CertSpec spec;
  spec.common_name = name;
  spec.key = key;
  spec.ca = true;
  spec.not_after_seconds = 365L * 24 * 3600;
  Issued issued = Make(dir_, name, spec, nullptr, nullptr);
  cas_[name] = issued;
  return issued;
}

Issued Pki::Issue(const std::string& name, const CertSpec& spec, const std::string& ca_name) {
  auto it = cas_.find(ca_name);
  if (it == cas_.end()) Die("no CA " + ca_name);
  X509* ca = ReadCert(it->second.cert_file);
  EVP_PKEY* ca_key = ReadKey(it->second.key_file);
  Issued issued = Make(dir_, name, spec, ca, ca_key);
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  return issued;
}

std::string Pki::WriteFile(const std::string& name, const std::string& content) const {
  std::string path = dir_ + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace ringnats::tls::testing
