#include "ringnats/monitor/latency_histogram.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ringnats::monitor {
namespace {

TEST(LatencyHistogramTest, BucketsAreUpperInclusive) {
  LatencyHistogram histogram({0.001, 0.01});
  histogram.Record(absl::Microseconds(500));
  histogram.Record(absl::Milliseconds(1));  // on the bound: that bucket
  histogram.Record(absl::Milliseconds(5));
  histogram.Record(absl::Seconds(1));   // beyond the last bound
  histogram.Record(-absl::Seconds(1));  // a clock step counts as zero
  const HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_EQ(snapshot.counts, (std::vector<uint64_t>{3, 1, 1}));
  EXPECT_EQ(snapshot.count, 5u);
  EXPECT_NEAR(snapshot.sum_seconds, 1.0065, 1e-9);
}

TEST(LatencyHistogramTest, MergesSnapshots) {
  LatencyHistogram a({1});
  LatencyHistogram b({1});
  a.Record(absl::Milliseconds(10));
  b.Record(absl::Seconds(2));
  b.Record(absl::Seconds(3));
  HistogramSnapshot total;
  MergeHistogram(a.Snapshot(), &total);
  MergeHistogram(b.Snapshot(), &total);
  EXPECT_EQ(total.counts, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(total.count, 3u);
  EXPECT_NEAR(total.sum_seconds, 5.01, 1e-9);
}

TEST(LatencyHistogramTest, RecordsFromManyThreadsWhileRead) {
  LatencyHistogram histogram;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kPerThread; ++i) histogram.Record(absl::Microseconds(100 * (t + 1)));
    });
  }
  for (int i = 0; i < 100; ++i) EXPECT_LE(histogram.Snapshot().count, 40000u);
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(histogram.Snapshot().count, static_cast<uint64_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace ringnats::monitor
