#pragma once
// One connection's TLS session over two OpenSSL memory BIOs and no socket: the ring feeds it
// the ciphertext it received and sends the ciphertext it takes out; whoever sits above (the
// broker) only sees plaintext.
//
// Owned by one thread (the connection's ring): no locks, movable, never shared.
//
// Driving it (what the ring calls):
//   start:     a server engine is made when the connection switches to TLS (for a NATS client
//              port: after the plaintext INFO is flushed; every byte received after that goes
//              to Feed); a client engine needs one Advance() to write its ClientHello;
//   on recv:   Feed(bytes);
//              if (handshaking()) Advance();          // see "Handshake CPU" below
//              if (established()) ReadPlaintext(&in, room) -> hand `in` to the broker;
//   on flush:  WritePlaintext(out) (takes what fits, returns the count);
//   always:    after any call, if (HasCiphertext()) TakeCiphertext(&chunk) -> send it;
//              (handshake flights, alerts, KeyUpdate replies and close_notify are produced by
//              Feed/Advance/ReadPlaintext/Shutdown too, not only by WritePlaintext)
//   on EOF:    FeedEof();
//   failed():  log "TLS handshake error: " + error() if the handshake was not done, send
//              what TakeCiphertext still gives (an alert) best-effort, close.
//
// Handshake CPU: each Advance() is one SSL_do_handshake call, which processes the peer's
// flight that has arrived and writes at most our next flight, so it performs at most one
// private-key operation (the signature in CertificateVerify or ServerKeyExchange, or an RSA
// key-exchange decryption). WillSign() says whether the next Advance may sign; the Step it
// returns says whether it did. The ring (ring/event_loop.cc) hands a step that may sign to
// the handshake pool, except a few per loop iteration whose key signs cheaply
// (cheap_signature(): ECDSA P-256, Ed25519), and advances all other handshake steps (cheap:
// Finished checks, session tickets) at once. A client cannot send application data before it has
// our signed flight, so an engine waiting for the pool holds at most the peer's hello.
//
// Memory bounds (the caller pulls):
//   - ciphertext fed and not yet decrypted: what the caller fed. While handshaking it is
//     capped at Options::max_handshake_input (the engine fails past it: a peer flooding a
//     handshake cannot grow it); after the handshake the caller bounds it by not feeding
//     while it is not reading (as it bounds plaintext input today); buffered_input() says how
//     much there is.
//   - decrypted and not yet read: at most one TLS record (16 KiB) inside OpenSSL.
//   - ciphertext to send: WritePlaintext stops at Options::max_buffered_ciphertext (plus one
//     record's overhead); handshake flights, alerts and KeyUpdate replies add a few KiB.
//   - SSL_MODE_RELEASE_BUFFERS: an idle session keeps no record buffers.

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ringnats/tls/context.h"
#include "ringnats/tls/go_subject.h"

namespace ringnats::tls {
namespace internal {
int OnClientHello(SSL* ssl, int* alert, void* arg);
}  // namespace internal

// What verify_and_map needs from a client certificate.
struct PeerCertificate {
  // OpenSSL's RFC 2253 printing: every attribute, the last first, UTF-8 as \XX escapes:
  // "CN=alice,OU=eng,O=Acme,C=US".
  std::string subject;
  // The subject's attributes, for Go's printings of it (go_subject.h).
  std::vector<NameAttribute> subject_attributes;
  std::string issuer;
  std::vector<std::string> emails;     // rfc822Name SANs
  std::vector<std::string> dns_names;  // dNSName SANs
  std::vector<std::string> uris;       // uniformResourceIdentifier SANs
  std::vector<std::string> ip_addresses;
  // Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo (pinned_certs, /connz) and of the
  // whole DER certificate (/connz).
  std::string spki_sha256;
  std::string cert_sha256;
};

class Engine {
 public:
  enum class State {
    kHandshaking,
    kEstablished,  // data may flow both ways
    kPeerClosed,   // close_notify received (or EOF after the handshake); nothing more to read
    kFailed,       // error() says why; only TakeCiphertext (a pending alert) is still useful
  };

  // What the engine fails with, for callers that branch (the text is in error()).
  enum class ErrorKind {
    kNone,
    kNotTls,              // the first bytes are not a TLS record: a plaintext client
    kNoPeerCertificate,   // verify is on and the client sent none
    kPeerCertificateBad,  // the peer's certificate did not verify (CA, expiry, host)
    kRemoteAlert,         // the peer sent a fatal alert
    kEof,                 // the peer closed (FeedEof) during the handshake
    kProtocol,            // anything else OpenSSL refused (versions, ciphers, garbage)
    kInputLimit,          // more handshake input than Options::max_handshake_input
  };

  struct Options {
    size_t max_handshake_input = 128 * 1024;
    size_t max_buffered_ciphertext = 256 * 1024;
  };

  // What one Advance() did.
  struct Step {
    bool signed_with_private_key = false;  // this step performed a private-key operation
    bool completed = false;                // the handshake finished in this step
  };

  static absl::StatusOr<Engine> NewServer(std::shared_ptr<const ServerContext> context);
  static absl::StatusOr<Engine> NewServer(std::shared_ptr<const ServerContext> context,
                                          Options options);
  // `server_name`: SNI (not sent for an IP address, as Go) and the name or IP the server's
  // certificate must match unless the context skips verification.
  static absl::StatusOr<Engine> NewClient(std::shared_ptr<const ClientContext> context,
                                          std::string_view server_name);
  static absl::StatusOr<Engine> NewClient(std::shared_ptr<const ClientContext> context,
                                          std::string_view server_name, Options options);

  Engine(Engine&& other) noexcept;
  Engine& operator=(Engine&& other) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine();

  // Input. Any amount; ignored once failed. A server engine checks the first record header the
  // way Go does and fails at once with kNotTls ("tls: first record does not look like a TLS
  // handshake") for a plaintext client, before OpenSSL sees it.
  void Feed(std::string_view ciphertext);
  // The peer closed its side (recv returned 0): fails with "EOF" during the handshake, moves
  // to kPeerClosed after it (a truncation: no close_notify).
  void FeedEof();

  // One handshake step (see "Handshake CPU"); a no-op unless handshaking.
  Step Advance();

  // Appends up to `max_bytes` decrypted bytes to `out`; returns how many. 0 with state() still
  // kEstablished means "feed more".
  size_t ReadPlaintext(std::string* out, size_t max_bytes = SIZE_MAX);
  // Encrypts a prefix of `plaintext` that keeps the ciphertext waiting to be taken under
  // Options::max_buffered_ciphertext; returns its length (0 unless established).
  size_t WritePlaintext(std::string_view plaintext);
  // Queues close_notify (once); the caller takes it and may close after sending it.
  void Shutdown();

  // Output: appends up to `max_bytes` of ciphertext to `out`, returns how many.
  size_t TakeCiphertext(std::string* out, size_t max_bytes = SIZE_MAX);
  // The same into a caller's buffer (e.g. the ring's outbound chunk).
  size_t TakeCiphertext(char* buffer, size_t capacity);
  bool HasCiphertext() const { return pending_ciphertext() > 0; }
  size_t pending_ciphertext() const;
  // Ciphertext fed and not yet processed.
  size_t buffered_input() const;
  bool HasInput() const { return buffered_input() > 0; }

  State state() const { return state_; }
  bool handshaking() const { return state_ == State::kHandshaking; }
  bool established() const { return state_ == State::kEstablished; }
  bool failed() const { return state_ == State::kFailed; }
  bool peer_closed() const { return state_ == State::kPeerClosed; }
  bool is_server() const { return is_server_; }
  // True while the next Advance() may sign (a server that has not sent its flight yet).
  bool WillSign() const;
  // Its context's key signs cheaply (ServerContext::cheap_signature).
  bool cheap_signature() const { return cheap_signature_; }
  // Go's wording where nats-server logs one ("tls: client didn't provide a certificate",
  // "remote error: tls: bad certificate", "EOF", ...), else OpenSSL's reason. Empty unless
  // failed().
  const std::string& error() const { return error_; }
  ErrorKind error_kind() const { return error_kind_; }

  // After the handshake: "1.2"/"1.3" and nats-server's cipher suite name (names.h).
  std::string version_name() const;
  std::string cipher_suite_name() const;
  int protocol_version() const;
  uint16_t cipher_suite_id() const;
  // The peer's verified certificate; all fields empty when it sent none.
  bool has_peer_certificate() const;
  PeerCertificate peer_certificate() const;
  // Handshakes the peer started after the first. The first attempt is refused with a
  // no_renegotiation alert and fails the engine ("local error: tls: no renegotiation"), as
  // nats-server's Go TLS ends such a connection.
  uint32_t renegotiation_attempts() const;

 private:
  friend int internal::OnClientHello(SSL* ssl, int* alert, void* arg);
  struct Impl;
  Engine(std::unique_ptr<Impl> impl, bool is_server);
  void Fail(ErrorKind kind, std::string text);
  void FailFromOpenSsl(int ssl_error);
  bool CheckFirstRecord(std::string_view data);
  void FailWithPlaintextAlert(ErrorKind kind, std::string text, unsigned char alert);
  std::string EofText() const;

  std::unique_ptr<Impl> impl_;
  bool is_server_ = false;
  bool cheap_signature_ = false;
  State state_ = State::kHandshaking;
  ErrorKind error_kind_ = ErrorKind::kNone;
  std::string error_;
};

}  // namespace ringnats::tls
