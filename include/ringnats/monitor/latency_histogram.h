#pragma once
// A fixed-bucket latency histogram that any thread may record into and any thread may read
// (relaxed atomics: a snapshot taken during recording may be off by the observations in
// flight, never torn). For bcrypt hash times on the auth pool and auth waits on the rings:
// Record is a binary search and two atomic adds, no allocation, no lock.

#include <atomic>
#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "ringnats/monitor/snapshot.h"

namespace ringnats::monitor {

// 0.5 ms .. 10 s: covers a cache hit, bcrypt cost 4 to cost 15, and an auth timeout.
std::vector<double> DefaultAuthBucketsSeconds();

class LatencyHistogram {
 public:
  // `upper_bounds_seconds` must be ascending; observations beyond the last go to an
  // overflow bucket.
  explicit LatencyHistogram(std::vector<double> upper_bounds_seconds = DefaultAuthBucketsSeconds());
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  void Record(absl::Duration duration);
  HistogramSnapshot Snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<uint64_t> sum_nanos_{0};
};

// Adds `from` into `into` (same bounds, or `into` empty): per-thread histograms summed on
// read.
void MergeHistogram(const HistogramSnapshot& from, HistogramSnapshot* into);

}  // namespace ringnats::monitor
