#pragma once
// The most recent closed connections, for /connz?state=closed (nats-server keeps 10,000).
// Not thread-safe: owned by one thread (a worker, or whoever guards it); /connz gets a copy
// through the owner.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ringnats/monitor/snapshot.h"

namespace ringnats::monitor {

inline constexpr size_t kDefaultClosedConnections = 10000;

class ClosedConnections {
 public:
  explicit ClosedConnections(size_t capacity = kDefaultClosedConnections);

  // `info` must have `stop` set. Replaces the oldest entry once full.
  void Add(ConnectionInfo info);

  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t total_added() const { return total_added_; }

  // Oldest first.
  std::vector<ConnectionInfo> Snapshot() const;
  // Appends copies to `out` (oldest first), without their subscription lists unless
  // `with_subs`: what a ConnzQuery without subs needs.
  void AppendTo(std::vector<ConnectionInfo>* out, bool with_subs) const;

 private:
  struct Entry {
    ConnectionInfo info;  // with `subs` moved out
    std::vector<SubscriptionInfo> subs;
  };

  size_t capacity_;
  std::vector<Entry> entries_;
  size_t next_ = 0;  // slot the next Add overwrites once full
  uint64_t total_added_ = 0;
};

}  // namespace ringnats::monitor
