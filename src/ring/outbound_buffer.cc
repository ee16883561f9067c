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
  chunk->next = nullptr;
  chunk->begin = chunk->end = 0;
  // Keep a bounded reserve; a burst's extra chunks go back to the allocator.
  if (free_.size() >= kMaxFree) {
    delete chunk;
    return;
  }
  free_.push_back(chunk);
}

OutboundChunk* OutboundBuffer::TailWithRoom() {
  if (tail_ == nullptr || tail_->end == kOutboundChunkSize) {
    OutboundChunk* chunk = pool_->Get();
    if (tail_ == nullptr) {
      head_ = chunk;
    } else {
      tail_->next = chunk;
    }
    tail_ = chunk;
  }
  return tail_;
}

void OutboundBuffer::AppendSpanningChunks(std::string_view bytes) {
  pending_ += bytes.size();
  while (!bytes.empty()) {
    TailWithRoom();
    const size_t n = std::min(bytes.size(), kOutboundChunkSize - tail_->end);
    std::memcpy(tail_->data + tail_->end, bytes.data(), n);
    tail_->end += n;
    bytes.remove_prefix(n);
  }
}

char* OutboundBuffer::TailRoom(size_t* room) {
  OutboundChunk* tail = TailWithRoom();
  *room = kOutboundChunkSize - tail->end;
  return tail->data + tail->end;
}

size_t OutboundBuffer::FillIovecs(iovec* iov, size_t max) const {
  size_t count = 0;
  for (const OutboundChunk* chunk = head_; chunk != nullptr && count < max; chunk = chunk->next) {
    if (chunk->end == chunk->begin) continue;
    iov[count].iov_base = const_cast<char*>(chunk->data + chunk->begin);
    iov[count].iov_len = chunk->end - chunk->begin;
    ++count;
  }
  return count;
}

size_t OutboundBuffer::ChunkCount() const {
  size_t count = 0;
  for (const OutboundChunk* chunk = head_; chunk != nullptr; chunk = chunk->next) {
    if (chunk->end != chunk->begin) ++count;
  }
  return count;
}

void OutboundBuffer::Consume(size_t n) {
  pending_ -= n;
  while (n > 0) {
    OutboundChunk* head = head_;
    const size_t used = std::min(n, head->end - head->begin);
    head->begin += used;
    n -= used;
    if (head->begin == head->end && (head->next != nullptr || head->end == kOutboundChunkSize)) {
      head_ = head->next;
      if (head_ == nullptr) tail_ = nullptr;
      pool_->Put(head);
    }
  }
  if (pending_ == 0 && head_ != nullptr && head_ == tail_) head_->begin = head_->end = 0;
}

void OutboundBuffer::Clear() {
  while (head_ != nullptr) {
    OutboundChunk* next = head_->next;
    pool_->Put(head_);
    head_ = next;
  }
  tail_ = nullptr;
  pending_ = 0;
}

}  // namespace ringnats::ring
