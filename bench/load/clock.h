#pragma once
// Monotonic nanoseconds; every timestamp in the load generator comes from here so that
// intervals taken on different threads compare.

#include <time.h>

#include <cstdint>

namespace ringnats::load {

inline int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

inline constexpr int64_t kNsPerSec = 1'000'000'000;
inline constexpr int64_t kNsPerMs = 1'000'000;

}  // namespace ringnats::load
