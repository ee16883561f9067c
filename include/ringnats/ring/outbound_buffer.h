#pragma once
// Bytes queued for one connection's socket, as a list of fixed-size chunks that can be sent
// with one sendmsg over iovecs. Owned by the worker that owns the connection.

#include <sys/uio.h>

#include <cstddef>
#include <cstring>
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

  void Append(std::string_view bytes);
  // Appends several pieces; used to build a MSG line without a temporary string.
  void Append(std::initializer_list<std::string_view> pieces) {
    for (std::string_view piece : pieces) Append(piece);
  }

  // Fills at most `max` iovecs with unsent bytes; returns how many.
  size_t FillIovecs(iovec* iov, size_t max) const;
  // `n` bytes were written to the socket.
  void Consume(size_t n);
  void Clear();

  size_t pending_bytes() const { return pending_; }
  bool empty() const { return pending_ == 0; }

 private:
  ChunkPool* pool_;
  OutboundChunk* head_ = nullptr;
  OutboundChunk* tail_ = nullptr;
  size_t pending_ = 0;
};

}  // namespace ringnats::ring
