#include "ringnats/monitor/latency_histogram.h"

#include <algorithm>

#include "ringnats/util/check.h"

namespace ringnats::monitor {

std::vector<double> DefaultAuthBucketsSeconds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

LatencyHistogram::LatencyHistogram(std::vector<double> upper_bounds_seconds)
    : bounds_(std::move(upper_bounds_seconds)),
      counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  RN_CHECK(std::is_sorted(bounds_.begin(), bounds_.end()));
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void LatencyHistogram::Record(absl::Duration duration) {
  if (duration < absl::ZeroDuration()) duration = absl::ZeroDuration();
  const double seconds = absl::ToDoubleSeconds(duration);
  // The first bound not below the observation: buckets are upper-inclusive, as `le`.
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<uint64_t>(absl::ToInt64Nanoseconds(duration)),
                       std::memory_order_relaxed);
}

HistogramSnapshot LatencyHistogram::Snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.upper_bounds_seconds = bounds_;
  snapshot.counts.resize(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    snapshot.counts[i] = counts_[i].load(std::memory_order_relaxed);
    snapshot.count += snapshot.counts[i];
  }
  snapshot.sum_seconds = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
  return snapshot;
}

void MergeHistogram(const HistogramSnapshot& from, HistogramSnapshot* into) {
  if (into->upper_bounds_seconds.empty() && into->counts.empty()) {
    *into = from;
    return;
  }
  RN_CHECK(into->upper_bounds_seconds == from.upper_bounds_seconds);
  into->counts.resize(std::max(into->counts.size(), from.counts.size()));
  for (size_t i = 0; i < from.counts.size(); ++i) into->counts[i] += from.counts[i];
  into->count += from.count;
  into->sum_seconds += from.sum_seconds;
}

}  // namespace ringnats::monitor
