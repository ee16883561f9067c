#pragma once
// `ringnats-passwd --bench`: what each bcrypt cost costs on this machine, and how many logins
// per second the auth pool can then verify.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ringnats::passwd {

struct BenchPlan {
  int min_cost = 4;
  int max_cost = 14;
  int max_samples = 5;  // per cost; the median is reported
  // All measuring together stays within this (give or take the one hash that crosses it);
  // costs predicted not to fit are skipped.
  absl::Duration budget = absl::Seconds(30);
};

struct HashTiming {
  absl::Duration wall;
  absl::Duration cpu;  // of the hashing thread: what the hash costs on an idle machine
};

struct CostMeasurement {
  int cost = 0;
  int samples = 0;              // 0: skipped for the budget
  absl::Duration per_hash;      // wall-clock median when measured; the doubling estimate if not
  absl::Duration cpu_per_hash;  // median; zero when skipped
};

// Times one hash at `cost`.
using HashTimer = std::function<absl::StatusOr<HashTiming>(int cost)>;

// The real timer: one BcryptHasher::Hash on each of `threads` threads at once, on the
// monotonic and the thread CPU clocks; the timing is their mean.
HashTimer BcryptHashTimer(int threads);

absl::StatusOr<std::vector<CostMeasurement>> MeasureCosts(const BenchPlan& plan,
                                                          const HashTimer& timer);

// Verifies per second that `threads` pool threads sustain at a per-hash time.
double ConnectsPerSecond(absl::Duration per_hash, int threads);

std::string RenderCostTable(const std::vector<CostMeasurement>& rows, const BenchPlan& plan,
                            int threads, absl::Duration auth_timeout);

}  // namespace ringnats::passwd
