#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ringnats::load {
namespace {

constexpr int kSubBits = 7;
constexpr uint64_t kSubCount = uint64_t{1} << kSubBits;
// Values up to 2^40 ns (about 18 minutes) get their own buckets; larger ones share the last.
constexpr int kMaxShift = 40 - kSubBits;
constexpr int kBucketCount = static_cast<int>(kSubCount) * (kMaxShift + 2);

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBucketCount, 0) {}

int LatencyHistogram::BucketOf(uint64_t ns) {
  if (ns < kSubCount) return static_cast<int>(ns);
  int msb = 63 - std::countl_zero(ns);
  int shift = msb - kSubBits;
  if (shift > kMaxShift) return kBucketCount - 1;
  uint64_t sub = (ns >> shift) - kSubCount;
  return static_cast<int>(kSubCount * static_cast<uint64_t>(shift + 1) + sub);
}

uint64_t LatencyHistogram::BucketLow(int bucket) {
  uint64_t b = static_cast<uint64_t>(bucket);
  if (b < kSubCount) return b;
  uint64_t shift = b / kSubCount - 1;
  uint64_t sub = b % kSubCount;
  return (kSubCount + sub) << shift;
}

uint64_t LatencyHistogram::BucketHigh(int bucket) {
  uint64_t b = static_cast<uint64_t>(bucket);
  if (b < kSubCount) return b + 1;
  uint64_t shift = b / kSubCount - 1;
  return BucketLow(bucket) + (uint64_t{1} << shift);
}

void LatencyHistogram::Record(int64_t ns) {
  if (ns < 0) ns = 0;
  if (count_ == 0 || ns < min_) min_ = ns;
  if (ns > max_) max_ = ns;
  ++count_;
  sum_ += static_cast<long double>(ns);
  ++buckets_[static_cast<size_t>(BucketOf(static_cast<uint64_t>(ns)))];
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

double LatencyHistogram::Mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

int64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the wanted sample, 1-based: the smallest value with at least q of samples at or
  // below it.
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  if (rank == count_) return max_;  // the extremes are known exactly
  if (rank == 1) return min_;
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      int bucket = static_cast<int>(i);
      uint64_t low = BucketLow(bucket);
      uint64_t high = BucketHigh(bucket);
      int64_t mid = static_cast<int64_t>(low + (high - low - 1) / 2);
      // The true extremes are known exactly; never report beyond them.
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace ringnats::load
