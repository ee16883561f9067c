#include "ringnats/ring/outbound_buffer.h"

#include <algorithm>

namespace ringnats::ring {

ChunkPool::~ChunkPool() {
  for (OutboundChunk* chunk : free_) delete chunk;
}

OutboundChunk* ChunkPool::Get() {
  if (free_.empty()) return new OutboundChunk;
  OutboundChunk* chunk = free_.back();
  free_.pop_back();
  return chunk;
}

void ChunkPool::Put(OutboundChunk* chunk) {
  chunk->begin = chunk->end = 0;
  // Keep a bounded reserve; a burst's extra chunks go back to the allocator.
  if (free_.size() >= 1024) {
    delete chunk;
    return;
  }
  free_.push_back(chunk);
}

void OutboundBuffer::Append(std::string_view bytes) {
  pending_ += bytes.size();
  while (!bytes.empty()) {
    if (chunks_.empty() || chunks_.back()->end == kOutboundChunkSize) {
      chunks_.push_back(pool_->Get());
    }
    OutboundChunk* tail = chunks_.back();
    const size_t n = std::min(bytes.size(), kOutboundChunkSize - tail->end);
    std::memcpy(tail->data + tail->end, bytes.data(), n);
    tail->end += n;
    bytes.remove_prefix(n);
  }
}

size_t OutboundBuffer::FillIovecs(iovec* iov, size_t max) const {
  size_t count = 0;
  for (const OutboundChunk* chunk : chunks_) {
    if (count == max) break;
    if (chunk->end == chunk->begin) continue;
    iov[count].iov_base = const_cast<char*>(chunk->data + chunk->begin);
    iov[count].iov_len = chunk->end - chunk->begin;
    ++count;
  }
  return count;
}

void OutboundBuffer::Consume(size_t n) {
  pending_ -= n;
  while (n > 0) {
    OutboundChunk* head = chunks_.front();
    const size_t available = head->end - head->begin;
    const size_t used = std::min(n, available);
    head->begin += used;
    n -= used;
    if (head->begin == head->end && (chunks_.size() > 1 || head->end == kOutboundChunkSize)) {
      chunks_.pop_front();
      pool_->Put(head);
    }
  }
  if (pending_ == 0 && chunks_.size() == 1) {
    chunks_.front()->begin = chunks_.front()->end = 0;
  }
}

void OutboundBuffer::Clear() {
  for (OutboundChunk* chunk : chunks_) pool_->Put(chunk);
  chunks_.clear();
  pending_ = 0;
}

}  // namespace ringnats::ring
