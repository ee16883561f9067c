#pragma once
// Delay before the next reconnect attempt: exponential growth with full jitter and a cap
// (the delay is drawn uniformly from [0, min(cap, initial * 2^failures)]), so peers that lost
// a node at the same moment do not all come back at the same moment, and a node that stays
// down costs one attempt per `cap` at most. Reset after a success.
//
// A plain value with no thread affinity: each owner (e.g. the worker soliciting a route)
// keeps its own. The random source is passed in so tests can make the sequence exact.

#include <cstdint>

#include "absl/random/bit_gen_ref.h"

namespace ringnats::ring {

class Backoff {
 public:
  // `initial_ns` > 0 and `cap_ns` >= `initial_ns` (checked).
  Backoff(int64_t initial_ns, int64_t cap_ns);

  // The delay to wait before the next attempt; each call counts one more failure.
  int64_t NextDelayNs(absl::BitGenRef random);
  // After a successful connect: the next failure starts over from `initial_ns`.
  void Reset() { failures_ = 0; }

  // Failures counted since the last Reset.
  uint32_t failures() const { return failures_; }
  // Upper bound of the delay the next NextDelayNs draws from.
  int64_t CeilingNs() const;

  int64_t initial_ns() const { return initial_ns_; }
  int64_t cap_ns() const { return cap_ns_; }

 private:
  int64_t initial_ns_;
  int64_t cap_ns_;
  uint32_t failures_ = 0;
};

}  // namespace ringnats::ring
