#include "tls_layer.h"

#include <sys/uio.h>

#include <utility>

namespace ringnats::ring {
namespace {

// Ciphertext held while the engine is on the pool: a handshake never needs more (the
// engine's own bound on handshake input is the same).
constexpr size_t kMaxHeldInput = 128 * 1024;

}  // namespace

TlsLayer::TlsLayer(tls::Engine engine, ChunkPool* pool)
    : engine_(std::make_unique<tls::Engine>(std::move(engine))), plain_(pool) {}

std::unique_ptr<tls::Engine> TlsLayer::Lend() {
  return std::move(engine_);
}

void TlsLayer::Return(std::unique_ptr<tls::Engine> engine) {
  engine_ = std::move(engine);
  if (held_overflow_) {
    // Too much arrived for a handshake: feeding all of it trips the engine's own bound.
    held_input_.resize(kMaxHeldInput + 1, '\0');
  }
  if (!held_input_.empty()) engine_->Feed(held_input_);
  std::string().swap(held_input_);
  if (held_eof_) engine_->FeedEof();
}

void TlsLayer::Receive(std::string_view ciphertext) {
  if (engine_ != nullptr) {
    engine_->Feed(ciphertext);
    return;
  }
  if (held_overflow_) return;
  if (held_input_.size() + ciphertext.size() > kMaxHeldInput) {
    held_overflow_ = true;
    std::string().swap(held_input_);
    return;
  }
  held_input_.append(ciphertext);
}

void TlsLayer::ReceiveEof() {
  if (engine_ != nullptr) {
    engine_->FeedEof();
  } else {
    held_eof_ = true;
  }
}

void TlsLayer::TakeCiphertext(OutboundBuffer& wire) {
  if (engine_ == nullptr) return;
  while (engine_->HasCiphertext()) {
    size_t room = 0;
    char* at = wire.TailRoom(&room);
    const size_t got = engine_->TakeCiphertext(at, room);
    if (got == 0) break;
    wire.Commit(got);
  }
}

void TlsLayer::Encrypt(OutboundBuffer& wire, size_t high_water) {
  if (engine_ == nullptr || !engine_->established()) return;
  iovec iov[8];
  while (!plain_.empty() && wire.pending_bytes() < high_water) {
    const size_t count = plain_.FillIovecs(iov, 8);
    size_t taken = 0;
    bool stopped = false;
    for (size_t i = 0; i < count; ++i) {
      const std::string_view piece(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
      const size_t n = engine_->WritePlaintext(piece);
      taken += n;
      if (n < piece.size()) {
        stopped = true;
        break;
      }
    }
    plain_.Consume(taken);
    TakeCiphertext(wire);
    if (stopped && taken == 0) break;
  }
}

bool TlsLayer::CanSendMore() const {
  return engine_ != nullptr && engine_->established() && !plain_.empty();
}

}  // namespace ringnats::ring
