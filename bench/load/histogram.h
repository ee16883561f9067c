#pragma once
// Latency histogram with log-linear buckets: exact below 128 ns, then 128 buckets per power
// of two (relative error below 0.8 %), so memory stays fixed however long a run is.
// Owned by one thread; Merge() combines histograms after the threads have stopped.

#include <cstdint>
#include <vector>

namespace ringnats::load {

class LatencyHistogram {
 public:
  LatencyHistogram();

  void Record(int64_t ns);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  double Mean() const;
  // Value at quantile q in [0, 1] (the representative value of the bucket holding it).
  int64_t Quantile(double q) const;

  // Bucket mapping, exposed for tests.
  static int BucketOf(uint64_t ns);
  static uint64_t BucketLow(int bucket);
  static uint64_t BucketHigh(int bucket);  // exclusive

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace ringnats::load
