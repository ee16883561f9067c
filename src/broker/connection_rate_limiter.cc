#include "ringnats/broker/connection_rate_limiter.h"

namespace ringnats::broker {

bool ConnectionRateLimiter::Allow(absl::Time now) {
  absl::MutexLock lock(&mu_);
  // nats-server's window: the connection that opens it counts as 0, so `limit` fit.
  if (now > window_end_) {
    count_ = 0;
    window_end_ = now + absl::Seconds(1);
  } else {
    ++count_;
  }
  const bool allowed = count_ < limit_;
  if (!allowed) ++blocked_;
  return allowed;
}

uint64_t ConnectionRateLimiter::TakeBlocked() {
  absl::MutexLock lock(&mu_);
  const uint64_t blocked = blocked_;
  blocked_ = 0;
  return blocked;
}

}  // namespace ringnats::broker
