#pragma once
// How the shared trie names a subscription: a handle, never a pointer. Only the worker that
// owns the subscription (`worker`) dereferences it, after checking the generation.

#include <compare>
#include <cstdint>
#include <utility>

namespace ringnats::sublist {

struct SubRef {
  uint32_t worker = 0;      // index of the owning worker (ring thread)
  uint32_t slot = 0;        // slot in that worker's subscription table
  uint32_t generation = 0;  // bumped each time the slot is reused

  friend bool operator==(const SubRef&, const SubRef&) = default;
  // Ordered by (worker, slot, generation), so results can be sorted per worker.
  friend auto operator<=>(const SubRef&, const SubRef&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const SubRef& r) {
    return H::combine(std::move(h), r.worker, r.slot, r.generation);
  }
};

}  // namespace ringnats::sublist
