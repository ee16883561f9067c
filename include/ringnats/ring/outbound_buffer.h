#pragma once
// Bytes queued for one connection's socket, as a list of fixed-size chunks that can be sent
// with one sendmsg over iovecs. Owned by the worker that owns the connection.

#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <vector>

namespace ringnats::ring {

inline constexpr size_t kOutboundChunkSize = 32 * 1024;

struct OutboundChunk {
  OutboundChunk* next = nullptr;  // the buffer's chunks form a list, so queueing never allocates
  size_t begin = 0;  // first unsent byte
  size_t end = 0;    // one past the last written byte
  char data[kOutboundChunkSize];
};

// Recycles chunks so steady-state traffic does not touch the heap. Owned by one worker.
class ChunkPool {
 public:
  ChunkPool() { free_.reserve(kMaxFree); }
  ~ChunkPool();
  OutboundChunk* Get();
  void Put(OutboundChunk* chunk);

 private:
  static constexpr size_t kMaxFree = 1024;
  std::vector<OutboundChunk*> free_;
};

class OutboundBuffer {
 public:
  explicit OutboundBuffer(ChunkPool* pool) : pool_(pool) {}
  ~OutboundBuffer() { Clear(); }
  OutboundBuffer(const OutboundBuffer&) = delete;
  OutboundBuffer& operator=(const OutboundBuffer&) = delete;

  void Append(std::string_view bytes) {
    if (tail_ != nullptr && bytes.size() <= kOutboundChunkSize - tail_->end) {
      CopyBytes(tail_->data + tail_->end, bytes.data(), bytes.size());
      tail_->end += bytes.size();
      pending_ += bytes.size();
      return;
    }
    AppendSpanningChunks(bytes);
  }

  // Appends several pieces; used to build a MSG line without a temporary string. The pieces
  // of one delivery are mostly a few bytes long: when they fit in the current chunk they are
  // copied inline rather than through a memcpy call each.
  void Append(std::initializer_list<std::string_view> pieces) {
    size_t total = 0;
    for (std::string_view piece : pieces) total += piece.size();
    if (tail_ != nullptr && total <= kOutboundChunkSize - tail_->end) {
      char* at = tail_->data + tail_->end;
      for (std::string_view piece : pieces) {
        CopyBytes(at, piece.data(), piece.size());
        at += piece.size();
      }
      tail_->end += total;
      pending_ += total;
      return;
    }
    for (std::string_view piece : pieces) AppendSpanningChunks(piece);
  }

  // For writers that produce bytes in place (TLS records): the free room at the end of the
  // last chunk (a new chunk when it is full; never empty), then Commit(n) for the n bytes
  // written there.
  char* TailRoom(size_t* room);
  void Commit(size_t n) {
    tail_->end += n;
    pending_ += n;
  }

  // Fills at most `max` iovecs with unsent bytes; returns how many.
  size_t FillIovecs(iovec* iov, size_t max) const;
  // Chunks holding unsent bytes (walks the list: for reports, not the hot path).
  size_t ChunkCount() const;
  // `n` bytes were written to the socket.
  void Consume(size_t n);
  void Clear();

  size_t pending_bytes() const { return pending_; }
  bool empty() const { return pending_ == 0; }

 private:
  // Exact-length copy; up to 32 bytes as two overlapping loads and stores.
  static void CopyBytes(char* to, const char* from, size_t n) {
    if (n <= 32) {
      if (n >= 16) {
        CopyFixed<16>(to, from);
        CopyFixed<16>(to + n - 16, from + n - 16);
      } else if (n >= 8) {
        CopyFixed<8>(to, from);
        CopyFixed<8>(to + n - 8, from + n - 8);
      } else if (n >= 4) {
        CopyFixed<4>(to, from);
        CopyFixed<4>(to + n - 4, from + n - 4);
      } else if (n > 0) {
        to[0] = from[0];
        to[n / 2] = from[n / 2];
        to[n - 1] = from[n - 1];
      }
      return;
    }
    std::memcpy(to, from, n);
  }
  template <size_t N>
  static void CopyFixed(char* to, const char* from) {
    char word[N];
    std::memcpy(word, from, N);
    std::memcpy(to, word, N);
  }

  void AppendSpanningChunks(std::string_view bytes);
  // The last chunk, a new one when it is full (or there is none).
  OutboundChunk* TailWithRoom();

  ChunkPool* pool_;
  OutboundChunk* head_ = nullptr;
  OutboundChunk* tail_ = nullptr;
  size_t pending_ = 0;
};

}  // namespace ringnats::ring
