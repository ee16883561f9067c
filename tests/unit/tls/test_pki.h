#pragma once
// Certificates for the TLS tests, made at run time with OpenSSL's API in a temporary
// directory (removed when the Pki is destroyed): CAs, server and client certificates with
// RSA 2048, ECDSA P-256 or Ed25519 keys, any validity window and any SANs.
//
// Test-only; one thread.

#include <map>
#include <string>
#include <vector>

namespace ringnats::tls::testing {

enum class KeyType { kRsa2048, kEcdsaP256, kEd25519 };

struct CertSpec {
  std::string common_name;
  std::string organization = "Acme";
  std::string organizational_unit;
  std::string country;
  // Subject attributes beyond those: domain components (first, in this order) and an
  // emailAddress (last).
  std::vector<std::string> domain_components;
  std::string email_address;
  // OpenSSL's subjectAltName syntax: "DNS:localhost", "IP:127.0.0.1", "email:a@b", "URI:x:y".
  std::vector<std::string> sans;
  KeyType key = KeyType::kEcdsaP256;
  bool ca = false;
  long not_before_seconds = -3600;  // relative to now
  long not_after_seconds = 30L * 24 * 3600;
};

struct Issued {
  std::string cert_file;
  std::string key_file;
};

class Pki {
 public:
  Pki();
  ~Pki();
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  // A self-signed CA named `name` (files name.pem, name-key.pem).
  Issued MakeCa(const std::string& name, KeyType key = KeyType::kEcdsaP256);
  // A certificate signed by the CA made as `ca_name`.
  Issued Issue(const std::string& name, const CertSpec& spec, const std::string& ca_name);
  // A file with any content, for the bad-input cases.
  std::string WriteFile(const std::string& name, const std::string& content) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::map<std::string, Issued> cas_;
};

}  // namespace ringnats::tls::testing
