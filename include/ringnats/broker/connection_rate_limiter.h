#pragma once
// tls { connection_rate_limit }: at most `limit` new TLS client connections per one-second
// window across all workers, counted as nats-server counts them; the rest are refused with
// -ERR 'Connection throttling is active. Please try again later.' and the refusals are
// logged once a second.
//
// Shared by every worker (Allow) and the control thread (TakeBlocked); guarded by `mu_`,
// which only TLS connects take.

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ringnats::broker {

class ConnectionRateLimiter {
 public:
  explicit ConnectionRateLimiter(int64_t limit) : limit_(limit) {}

  // Any thread: whether one more connection fits this window.
  bool Allow(absl::Time now);
  // Any thread: refusals since the last call.
  uint64_t TakeBlocked();

 private:
  const int64_t limit_;
  absl::Mutex mu_;
  absl::Time window_end_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t count_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t blocked_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ringnats::broker
