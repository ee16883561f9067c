#pragma once
// The certificates of the TLS tests, made once per test process at first use by
// make_certificates.sh (the openssl CLI) in a temporary directory that is removed at exit.
// See that script for what each certificate is.
//
// Test thread only.

#include <string>

namespace ringnats::tlstest {

struct KeyPair {
  std::string cert;  // PEM file paths
  std::string key;
};

struct Certificates {
  std::string dir;
  std::string ca;        // "Test CA"
  std::string other_ca;  // "Other CA", unrelated
  KeyPair server_rsa;    // CN=localhost, SAN DNS:localhost, IP:127.0.0.1
  KeyPair server_ecdsa;
  KeyPair server_ed25519;
  KeyPair server_next;  // CN=next.localhost, same SANs: what a reload swaps in
  KeyPair server_wrong_host;
  KeyPair server_expired;
  KeyPair client;        // CN=client,O=Acme
  KeyPair client_dn;     // CN=alice,OU=eng,O=Acme
  KeyPair client_email;  // SAN email:bob@example.com
  KeyPair client_dns;    // SAN DNS:carol.example.com
  KeyPair client_utf8;   // CN=José,O=Acme (UTF-8)
  KeyPair client_literal_plus;  // CN=dave\+OU=ops,O=Acme: one CN holding a plus sign
  // Subjects with attributes Go's RDN string leaves out: /O=Acme/CN=erin/emailAddress=... and
  // /DC=test/DC=acme/O=Acme/CN=frank/emailAddress=...
  KeyPair client_email_dn;
  KeyPair client_dc;
  KeyPair client_multi_rdn;
  KeyPair client_no_subject;
  KeyPair client_wrong_ca;
  KeyPair client_expired;
};

// Makes the certificates on the first call (a fatal gtest failure, and an empty `dir`, when
// the script fails); later calls return the same ones.
const Certificates& TestCertificates();

// A `tls { }` block for a server config: `extra` lines go inside it as they are.
std::string TlsBlock(const KeyPair& server, const std::string& extra = "");

}  // namespace ringnats::tlstest
