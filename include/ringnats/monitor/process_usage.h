#pragma once
// The process's resident memory and CPU use, as nats-server reports them in /varz ("mem" in
// bytes, "cpu" in percent of one core over roughly the last second, one decimal). Read from
// /proc/self/stat. Thread-safe: any thread (the monitor's HTTP threads).

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ringnats::monitor {

struct ProcessUsageSample {
  int64_t rss_bytes = 0;
  double cpu_percent = 0;
};

class ProcessUsage {
 public:
  ProcessUsage();
  // The CPU figure covers the time since the previous window ended, once at least a second
  // has passed; in between it repeats the last figure, so frequent callers all see the same.
  ProcessUsageSample Sample();

 private:
  absl::Mutex mu_;
  absl::Time window_start_ ABSL_GUARDED_BY(mu_);
  int64_t window_cpu_ticks_ ABSL_GUARDED_BY(mu_) = 0;
  double cpu_percent_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ringnats::monitor
