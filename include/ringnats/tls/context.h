#pragma once
// Immutable TLS configurations, one per listener or per outbound route: the certificate and
// key, the CAs peers are verified against, versions, cipher suites and curves. Built once
// (at start and on reload, on the control thread), then shared read-only by every worker's
// Engines through std::shared_ptr<const ...>: an SSL_CTX is safe to share once nothing
// modifies it, and each SSL made from it holds its own reference, so a reload swaps in a new
// context while sessions made from the old one keep it until they end.
//
// Create may be called on any thread (it reads files: not on a ring); the contexts are
// immutable afterwards and usable from any thread.

#include <openssl/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ringnats::tls {

// Wire values of the protocol versions a context may be limited to.
enum class MinVersion : int { kTls12 = 0x0303, kTls13 = 0x0304 };

// A `tls { }` block for a listener (clients, routes, https monitoring).
struct ServerSettings {
  std::string cert_file;  // PEM: the certificate first, then any intermediates
  std::string key_file;   // PEM: RSA, ECDSA or Ed25519
  // PEM CAs that client certificates are verified against; without `verify` nothing asks for
  // a client certificate (as nats-server, where ca_file alone does not).
  std::string ca_file;
  bool verify = false;  // require a client certificate signed by ca_file (verify_and_map too)
  MinVersion min_version = MinVersion::kTls12;
  // nats-server names (names.h); empty: nats-server's defaults. TLS 1.3 names are accepted and
  // change nothing (OpenSSL's TLS 1.3 suites always apply, as Go's do).
  std::vector<std::string> cipher_suites;
  // nats-server names ("X25519", "CurveP256", ...); empty: nats-server's defaults.
  std::vector<std::string> curve_preferences;
};

// An outbound connection's TLS (a solicited route).
struct ClientSettings {
  std::string cert_file;  // optional client certificate (both or neither with key_file)
  std::string key_file;
  std::string ca_file;  // PEM CAs the server is verified against; empty: the system store
  bool insecure_skip_verify = false;  // no verification of the server at all
  MinVersion min_version = MinVersion::kTls12;
  std::vector<std::string> cipher_suites;
  std::vector<std::string> curve_preferences;
};

class ServerContext {
 public:
  // Errors name the file and the reason in nats-server's wording, e.g.
  // "error parsing X509 certificate/key pair: open /x/cert.pem: no such file or directory",
  // "error parsing X509 certificate/key pair: tls: failed to find any PEM data in certificate
  // input (/x/cert.pem)", "... tls: private key does not match public key (/x/cert.pem,
  // /x/key.pem)", "open /x/ca.pem: no such file or directory", "failed to parse root ca
  // certificate (/x/ca.pem)", "unrecognized cipher NAME", "unrecognized curve preference NAME".
  static absl::StatusOr<std::shared_ptr<const ServerContext>> Create(
      const ServerSettings& settings);

  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  const ServerSettings& settings() const { return settings_; }
  // SHA-256 of the served certificate (DER): tells a reloaded certificate from the same one.
  std::string CertificateDigest() const;
  // For Engine only: never modify it.
  SSL_CTX* native() const { return ctx_; }
  // The key signs in tens of microseconds (ECDSA P-256, Ed25519), not a millisecond or more
  // (RSA, larger curves): a ring may
  // sign a few handshakes itself rather than pay two thread hand-offs to the handshake pool.
  bool cheap_signature() const { return cheap_signature_; }

 private:
  ServerContext(ServerSettings settings, SSL_CTX* ctx);
  ServerSettings settings_;
  SSL_CTX* ctx_;
  bool cheap_signature_;
};

class ClientContext {
 public:
  static absl::StatusOr<std::shared_ptr<const ClientContext>> Create(
      const ClientSettings& settings);

  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  const ClientSettings& settings() const { return settings_; }
  SSL_CTX* native() const { return ctx_; }

 private:
  ClientContext(ClientSettings settings, SSL_CTX* ctx)
      : settings_(std::move(settings)), ctx_(ctx) {}
  ClientSettings settings_;
  SSL_CTX* ctx_;
};

}  // namespace ringnats::tls
