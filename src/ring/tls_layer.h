#pragma once
// One connection's TLS layer inside its loop (private to src/ring): the engine, the plaintext
// the handler wrote and the loop has not encrypted yet, and the ciphertext that arrived while
// the engine was away on the handshake pool. The loop decides when to feed, advance, read and
// encrypt; this keeps the buffers and their bounds.
//
// Owned by the connection's loop thread, like the rest of the connection.

#include <memory>
#include <string>
#include <string_view>

#include "ringnats/ring/outbound_buffer.h"
#include "ringnats/tls/engine.h"

namespace ringnats::ring {

class TlsLayer {
 public:
  TlsLayer(tls::Engine engine, ChunkPool* pool);

  // The handler's side of the connection: plaintext waiting to be encrypted.
  OutboundBuffer& plain() { return plain_; }
  const OutboundBuffer& plain() const { return plain_; }
  // Null while the engine is on the handshake pool.
  tls::Engine* engine() { return engine_.get(); }
  const tls::Engine* engine() const { return engine_.get(); }
  bool away() const { return engine_ == nullptr; }

  // Hands the engine to the pool; Return gives it back and feeds what arrived meanwhile.
  std::unique_ptr<tls::Engine> Lend();
  void Return(std::unique_ptr<tls::Engine> engine);

  // Ciphertext from the socket: fed to the engine, or held while it is away. Held input is
  // bounded like the engine's own handshake input; past it the engine fails when it returns.
  void Receive(std::string_view ciphertext);
  void ReceiveEof();

  // Moves the engine's ciphertext (handshake flights, alerts, records) to the socket's buffer.
  void TakeCiphertext(OutboundBuffer& wire);
  // Encrypts plaintext while the socket's buffer holds less than `high_water` bytes; the
  // ciphertext goes to `wire`. Plaintext the engine cannot take (not established, failed)
  // stays.
  void Encrypt(OutboundBuffer& wire, size_t high_water);
  // Whether plaintext is waiting that the engine could still encrypt.
  bool CanSendMore() const;

  // Plaintext may be waiting inside the engine that the handler was not given (reading was
  // paused): the loop tries again when reading resumes.
  bool undelivered_input = false;
  bool established_reported = false;
  bool close_notify_queued = false;

 private:
  std::unique_ptr<tls::Engine> engine_;
  OutboundBuffer plain_;
  std::string held_input_;
  bool held_eof_ = false;
  bool held_overflow_ = false;
};

}  // namespace ringnats::ring
