// The reconnect backoff: exponential ceilings capped, full jitter inside the ceiling, a reset
// after success, and exact sequences under a seeded random source.

#include "ringnats/ring/backoff.h"

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace ringnats::ring {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(BackoffTest, CeilingDoublesUpToTheCap) {
  Backoff backoff(100 * kMs, 2'000 * kMs);
  std::mt19937_64 random(1);
  std::vector<int64_t> ceilings;
  for (int i = 0; i < 8; ++i) {
    ceilings.push_back(backoff.CeilingNs());
    backoff.NextDelayNs(random);
  }
  EXPECT_EQ(ceilings, (std::vector<int64_t>{100 * kMs, 200 * kMs, 400 * kMs, 800 * kMs, 1'600 * kMs,
                                            2'000 * kMs, 2'000 * kMs, 2'000 * kMs}));
  EXPECT_EQ(backoff.failures(), 8u);
}

TEST(BackoffTest, DelaysStayWithinTheCeilingAndAreJittered) {
  Backoff backoff(10 * kMs, 1'000 * kMs);
  std::mt19937_64 random(42);
  std::set<int64_t> at_cap;
  for (int i = 0; i < 200; ++i) {
    const int64_t ceiling = backoff.CeilingNs();
    const int64_t delay = backoff.NextDelayNs(random);
    EXPECT_GE(delay, 0);
    EXPECT_LE(delay, ceiling);
    if (ceiling == 1'000 * kMs) at_cap.insert(delay);
  }
  // Full jitter: draws at the cap spread out instead of repeating the cap.
  EXPECT_GT(at_cap.size(), 150u);
  EXPECT_LT(*at_cap.begin(), 500 * kMs);
  EXPECT_GT(*at_cap.rbegin(), 500 * kMs);
}

TEST(BackoffTest, ResetStartsOverAfterSuccess) {
  Backoff backoff(50 * kMs, 5'000 * kMs);
  std::mt19937_64 random(7);
  for (int i = 0; i < 5; ++i) backoff.NextDelayNs(random);
  EXPECT_EQ(backoff.CeilingNs(), 1'600 * kMs);
  backoff.Reset();
  EXPECT_EQ(backoff.failures(), 0u);
  EXPECT_EQ(backoff.CeilingNs(), 50 * kMs);
  EXPECT_LE(backoff.NextDelayNs(random), 50 * kMs);
}

TEST(BackoffTest, SameSeedGivesTheSameSequence) {
  Backoff a(1 * kMs, 100 * kMs);
  Backoff b = a;  // a value: copies share nothing
  std::mt19937_64 random_a(123);
  std::mt19937_64 random_b(123);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.NextDelayNs(random_a), b.NextDelayNs(random_b));
  std::mt19937_64 other(124);
  Backoff c(1 * kMs, 100 * kMs);
  int differences = 0;
  random_a.seed(123);
  a.Reset();
  for (int i = 0; i < 50; ++i) differences += a.NextDelayNs(random_a) != c.NextDelayNs(other);
  EXPECT_GT(differences, 0);
}

TEST(BackoffTest, ManyFailuresNeitherOverflowNorPassTheCap) {
  Backoff huge(1, INT64_MAX);
  Backoff small(3, 1'000);
  std::mt19937_64 random(9);
  for (int i = 0; i < 1'000; ++i) {
    EXPECT_GE(huge.NextDelayNs(random), 0);
    EXPECT_LE(small.NextDelayNs(random), 1'000);
  }
  EXPECT_EQ(huge.CeilingNs(), INT64_MAX);
  EXPECT_EQ(small.CeilingNs(), 1'000);
}

TEST(BackoffTest, EqualInitialAndCapIsAConstantCeiling) {
  Backoff backoff(500 * kMs, 500 * kMs);
  std::mt19937_64 random(3);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(backoff.CeilingNs(), 500 * kMs);
    EXPECT_LE(backoff.NextDelayNs(random), 500 * kMs);
  }
}

}  // namespace
}  // namespace ringnats::ring
