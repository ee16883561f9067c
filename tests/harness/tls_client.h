#pragma once
// The client side of TLS for byte-level tests: a RawClient that read the server's plaintext
// INFO (nats-server 2.9 order) is upgraded with an OpenSSL client handshake on its socket,
// after which Send/Expect/ReadMsg/Ping work on the plaintext inside TLS. Also the misbehaving
// clients' tools: a ClientHello's raw bytes (to send part of one), renegotiation.
//
// Every wait is bounded by a deadline (a guard, never a synchronisation). Used from one test
// thread at a time per client.

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "harness/raw_client.h"

namespace ringnats::harness {

struct TlsClientOptions {
  // Trusted CA file; empty: the server's certificate is not verified.
  std::string ca_file;
  // Client certificate chain and key; empty: none is offered.
  std::string cert_file;
  std::string key_file;
  // Checked against the server certificate when ca_file is set: an IPv4 literal matches IP
  // SANs, anything else DNS names (and goes out as SNI). Empty: no name check.
  std::string expected_host = "127.0.0.1";
  // TLS1_VERSION ... TLS1_3_VERSION; 0 leaves OpenSSL's default. Versions below 1.2 also
  // lower the security level so OpenSSL 3 offers them at all.
  int min_version = 0;
  int max_version = 0;
  std::string cipher_list;   // TLS <= 1.2, OpenSSL syntax; empty: default
  std::string ciphersuites;  // TLS 1.3; empty: default
};

// What was negotiated, from the client's view.
struct TlsSessionInfo {
  std::string version;        // "TLSv1.3"
  std::string cipher;         // OpenSSL's name, "TLS_AES_128_GCM_SHA256"
  std::string peer_subject;   // RFC 2253, "CN=localhost,O=Acme"; empty without a certificate
  std::string peer_key_type;  // "RSA", "EC", "ED25519"
};

// The TLS session a RawClient was upgraded with (its ByteTransport).
class TlsSession : public ByteTransport {
 public:
  ~TlsSession() override;
  ssize_t Receive(char* data, size_t size) override;
  ssize_t Transmit(const char* data, size_t size) override;
  bool HasPending() const override;
  std::string LastError() const override { return last_error_; }

  TlsSessionInfo Info() const;

  // Starts a TLS 1.2 renegotiation (a new ClientHello inside the session); the server's
  // answer shows in the client's next reads (also when it already came, an alert that ended
  // the session). Fails only when OpenSSL refuses to start one.
  ::testing::AssertionResult Renegotiate();

 private:
  friend ::testing::AssertionResult StartTls(RawClient&, const TlsClientOptions&, TlsSession**,
                                             std::chrono::milliseconds);
  TlsSession() = default;
  ssize_t Result(int ret);

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string last_error_;
  // The server's answer to a renegotiation already failed it: reads report last_error_.
  bool failed_ = false;
};

// Performs the client handshake on `client`'s socket and upgrades it. The INFO line must
// already have been read and nothing else be buffered. On failure the message has OpenSSL's
// error queue and the certificate verification result; `client` stays plaintext. `session`
// (optional) points at the session now owned by `client`.
::testing::AssertionResult StartTls(RawClient& client, const TlsClientOptions& options,
                                    TlsSession** session = nullptr,
                                    std::chrono::milliseconds timeout = kIoTimeout);

// The bytes of the ClientHello a client with `options` sends first (from a handshake run
// against memory, no socket): a test sends part of it and stops.
absl::StatusOr<std::string> ClientHelloBytes(const TlsClientOptions& options = {});

// Connects, reads the plaintext INFO (into `info` when given), upgrades with `options`.
absl::StatusOr<std::unique_ptr<RawClient>> ConnectTls(int port, const TlsClientOptions& options,
                                                      nlohmann::ordered_json* info = nullptr,
                                                      TlsSession** session = nullptr);

// ConnectTls, then CONNECT `connect_json` checked with a PING round trip (a +OK tolerated).
absl::StatusOr<std::unique_ptr<RawClient>> ConnectTlsAndHandshake(
    int port, const TlsClientOptions& options,
    std::string_view connect_json = R"({"verbose":false,"pedantic":false,"tls_required":true})",
    TlsSession** session = nullptr);

// The local port of a connected socket (what a server's log line names the client by).
int LocalPort(int fd);

}  // namespace ringnats::harness
