#pragma once
// A bounded single-producer single-consumer queue of pointers between two ring threads.
//
// Shared between exactly two threads: the producer calls TryPush, the consumer TryPop. The
// producer publishes with a release store of `tail_`, the consumer with a release store of
// `head_`; each side reads the other's index with acquire. Indices live on separate cache
// lines so the two cores do not bounce one line on every operation.

#include <atomic>
#include <cstddef>
#include <memory>

namespace ringnats::ring {

template <typename T>
class SpscQueue {
 public:
  explicit SpscQueue(size_t capacity_pow2)
      : mask_(capacity_pow2 - 1), slots_(new T*[capacity_pow2]) {}

  bool TryPush(T* item) {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - cached_head_ > mask_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - cached_head_ > mask_) return false;
    }
    slots_[tail & mask_] = item;
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  T* TryPop() {
    const size_t head = head_.load(std::memory_order_relaxed);
    if (head == cached_tail_) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head == cached_tail_) return nullptr;
    }
    T* item = slots_[head & mask_];
    head_.store(head + 1, std::memory_order_release);
    return item;
  }

  // Either side may ask; the answer may be stale by the time it is used.
  bool LooksEmpty() const {
    return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
  }

 private:
  const size_t mask_;
  std::unique_ptr<T*[]> slots_;
  alignas(64) std::atomic<size_t> head_{0};  // written by the consumer
  size_t cached_tail_ = 0;                   // consumer's copy
  alignas(64) std::atomic<size_t> tail_{0};  // written by the producer
  size_t cached_head_ = 0;                   // producer's copy
};

}  // namespace ringnats::ring
