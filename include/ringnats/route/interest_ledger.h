#pragma once
// The node's local client interest as routes must hear it: how many client subscriptions
// exist, over all workers, per (subject, queue). A route is told `RS+` when a plain subject
// gains its first subscriber and `RS-` when it loses its last; a queue group is re-announced
// with its new weight on every change.
//
// Shared between all workers: one mutex, taken on SUB/UNSUB and when a route is
// (re)synchronised, never on publish.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ringnats/util/string_map.h"

namespace ringnats::route {

// "subject" or "subject queue": subjects and queue names hold no spaces.
std::string InterestKeyOf(std::string_view subject, std::string_view queue);
// Splits a key back into subject and queue (empty for plain interest).
std::pair<std::string_view, std::string_view> SplitInterestKey(std::string_view key);

class InterestLedger {
 public:
  // One more / one less local subscription under `key` (InterestKeyOf). True when routes
  // must be told (see above).
  bool Add(std::string_view key);
  bool Remove(std::string_view key);

  // The weight of each key now (0: no interest left), in order.
  void WeightsOf(std::span<const std::string> keys, std::vector<int64_t>* weights) const;
  // Every key with interest, and its weight: what a new route is sent first.
  std::vector<std::pair<std::string, int64_t>> Snapshot() const;

 private:
  mutable absl::Mutex mu_;
  StringMap<int64_t> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ringnats::route
