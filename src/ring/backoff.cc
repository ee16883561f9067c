#include "ringnats/ring/backoff.h"

#include "absl/random/distributions.h"
#include "ringnats/util/check.h"

namespace ringnats::ring {

Backoff::Backoff(int64_t initial_ns, int64_t cap_ns) : initial_ns_(initial_ns), cap_ns_(cap_ns) {
  RN_CHECK(initial_ns > 0 && cap_ns >= initial_ns);
}

int64_t Backoff::CeilingNs() const {
  // Doubling stops at the cap; shifting by the raw failure count would overflow after 63.
  int64_t ceiling = initial_ns_;
  for (uint32_t i = 0; i < failures_ && ceiling < cap_ns_; ++i) {
    ceiling = ceiling > cap_ns_ / 2 ? cap_ns_ : ceiling * 2;
  }
  return ceiling < cap_ns_ ? ceiling : cap_ns_;
}

int64_t Backoff::NextDelayNs(absl::BitGenRef random) {
  const int64_t ceiling = CeilingNs();
  if (failures_ < UINT32_MAX) ++failures_;
  return absl::Uniform<int64_t>(absl::IntervalClosed, random, 0, ceiling);
}

}  // namespace ringnats::ring
