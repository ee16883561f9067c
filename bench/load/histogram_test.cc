#include "histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace ringnats::load {
namespace {

TEST(LatencyHistogram, BucketsTileTheRange) {
  for (int b = 0; b < 4000; ++b) {
    uint64_t low = LatencyHistogram::BucketLow(b);
    uint64_t high = LatencyHistogram::BucketHigh(b);
    ASSERT_LT(low, high);
    EXPECT_EQ(LatencyHistogram::BucketOf(low), b);
    EXPECT_EQ(LatencyHistogram::BucketOf(high - 1), b);
    EXPECT_EQ(LatencyHistogram::BucketLow(b + 1), high);
    // Width stays within 1/128 of the value: the quantization error bound.
    if (low >= 128) {
      EXPECT_LE((high - low) * 128, low);
    }
  }
}

TEST(LatencyHistogram, QuantilesMatchSortedSamplesWithinBucketError) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(11.0, 1.5);  // around 60 us, long tail
  std::vector<int64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    int64_t v = static_cast<int64_t>(dist(rng));
    samples.push_back(v);
    h.Record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    size_t rank = static_cast<size_t>(std::ceil(q * samples.size())) - 1;
    double exact = static_cast<double>(samples[rank]);
    double got = static_cast<double>(h.Quantile(q));
    EXPECT_NEAR(got, exact, exact * 0.01 + 1) << q;
  }
  EXPECT_EQ(h.max(), samples.back());
  EXPECT_EQ(h.min(), samples.front());
  EXPECT_EQ(h.Quantile(1.0), samples.back());
  EXPECT_EQ(h.count(), samples.size());
}

TEST(LatencyHistogram, MergeEqualsRecordingEverything) {
  LatencyHistogram a, b, all;
  for (int64_t v = 1; v < 50000; v += 7) {
    (v % 2 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.Quantile(0.99), all.Quantile(0.99));
  EXPECT_DOUBLE_EQ(a.Mean(), all.Mean());
}

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.Quantile(0.5), 0);
  EXPECT_EQ(h.max(), 0);
}

}  // namespace
}  // namespace ringnats::load
