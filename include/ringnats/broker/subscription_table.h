#pragma once
// The subscriptions of one worker's sessions, by slot. The shared trie names them by
// SubRef{worker, slot, generation}; a delivery checks the generation, so a message that
// raced an UNSUB on another worker is dropped instead of reaching a reused slot.
// Owned by one worker.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ringnats/ring/event_loop.h"
#include "ringnats/sublist/sub_ref.h"

namespace ringnats::broker {

struct Subscription {
  uint32_t generation = 0;
  bool in_use = false;
  ring::ConnId owner;  // the session's connection
  std::string subject;
  std::string queue;  // empty: plain subscription
  std::string sid;
  int64_t max_msgs = 0;  // 0: no auto-unsubscribe
  int64_t delivered = 0;
};

// The top bit of a generation marks a subscription a route holds for its peer, so any
// worker can tell from a SubRef alone that a delivery would go back out over a route.
inline constexpr uint32_t kRouteGenerationBit = 0x8000'0000u;
inline bool IsRouteRef(const sublist::SubRef& ref) {
  return (ref.generation & kRouteGenerationBit) != 0;
}

class SubscriptionTable {
 public:
  // Returns the new slot; fields other than generation/in_use are the caller's to fill.
  // `for_route`: a route's subscription on behalf of its peer (see kRouteGenerationBit).
  uint32_t Allocate(bool for_route = false) {
    uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<uint32_t>(size_);
      if (size_ == chunks_.size() * kChunk) {
        chunks_.push_back(std::make_unique<Subscription[]>(kChunk));
      }
      ++size_;
    }
    Subscription& sub = at(slot);
    sub.generation = (((sub.generation & ~kRouteGenerationBit) + 1) & ~kRouteGenerationBit) |
                     (for_route ? kRouteGenerationBit : 0);
    sub.in_use = true;
    sub.max_msgs = sub.delivered = 0;
    return slot;
  }

  void Free(uint32_t slot) {
    Subscription& sub = at(slot);
    sub.in_use = false;
    sub.subject.clear();
    sub.queue.clear();
    sub.sid.clear();
    free_.push_back(slot);
  }

  Subscription& at(uint32_t slot) { return chunks_[slot / kChunk][slot % kChunk]; }
  // Slots ever allocated (in use or free): for walking every subscription by slot.
  size_t slot_count() const { return size_; }

  // The live subscription a ref names, or null if it is gone.
  Subscription* Resolve(sublist::SubRef ref) {
    if (ref.slot >= size_) return nullptr;
    Subscription& sub = at(ref.slot);
    return sub.in_use && sub.generation == ref.generation ? &sub : nullptr;
  }

 private:
  // Fixed-size chunks, not one vector: growing to 100,000 subscriptions moved every one of
  // them at each doubling (a tenth of a node's time taking a peer's interest), and a
  // Subscription& stays valid while others are added.
  static constexpr size_t kChunk = 1024;
  std::vector<std::unique_ptr<Subscription[]>> chunks_;
  size_t size_ = 0;
  std::vector<uint32_t> free_;
};

}  // namespace ringnats::broker
