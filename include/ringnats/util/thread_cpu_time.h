#pragma once
// CPU time the calling thread has consumed so far: the auth pool judges from it whether a
// hash was starved, ringnats-passwd --bench reports it beside the wall-clock time.

#include <time.h>

#include "absl/time/time.h"

namespace ringnats {

// Zero when the thread CPU clock is unavailable.
inline absl::Duration ThreadCpuTime() {
  timespec now{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0) return absl::ZeroDuration();
  return absl::DurationFromTimespec(now);
}

}  // namespace ringnats
