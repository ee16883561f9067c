#include "cost_bench.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ringnats::passwd {
namespace {

// A machine where a cost-4 hash takes exactly 1 ms and each step doubles it; records what it
// was asked to hash.
struct FakeMachine {
  std::vector<int> asked;
  absl::Duration spent;

  static absl::Duration PerHash(int cost) { return absl::Milliseconds(1 << (cost - 4)); }

  HashTimer Timer() {
    return [this](int cost) -> absl::StatusOr<HashTiming> {
      asked.push_back(cost);
      spent += PerHash(cost);
      return HashTiming{PerHash(cost), PerHash(cost) / 2};
    };
  }
};

TEST(CostBenchTest, MeasuresEveryCostWhenTheBudgetAllows) {
  FakeMachine machine;
  BenchPlan plan;
  plan.budget = absl::Hours(1);
  absl::StatusOr<std::vector<CostMeasurement>> rows = MeasureCosts(plan, machine.Timer());
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 11u);
  for (size_t i = 0; i < rows->size(); ++i) {
    const CostMeasurement& row = (*rows)[i];
    EXPECT_EQ(row.cost, 4 + static_cast<int>(i));
    EXPECT_EQ(row.samples, plan.max_samples);
    EXPECT_EQ(row.per_hash, FakeMachine::PerHash(row.cost));
    EXPECT_EQ(row.cpu_per_hash, FakeMachine::PerHash(row.cost) / 2);
  }
  EXPECT_EQ(machine.asked.size(), 11u * static_cast<size_t>(plan.max_samples));
}

TEST(CostBenchTest, SkipsWhatWouldNotFitTheBudget) {
  FakeMachine machine;
  BenchPlan plan;
  plan.budget = absl::Milliseconds(300);
  absl::StatusOr<std::vector<CostMeasurement>> rows = MeasureCosts(plan, machine.Timer());
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 11u);
  // Measuring overshoots the budget by less than one hash of the last cost measured.
  int last_measured = 0;
  bool skipping = false;
  for (const CostMeasurement& row : *rows) {
    if (row.samples == 0) {
      skipping = true;
      // The estimate doubles the cost below.
      EXPECT_EQ(row.per_hash, FakeMachine::PerHash(row.cost)) << row.cost;
      EXPECT_EQ(row.cpu_per_hash, absl::ZeroDuration());
      continue;
    }
    EXPECT_FALSE(skipping) << "cost " << row.cost << " measured after a skipped one";
    EXPECT_GE(row.samples, 1);
    EXPECT_LE(row.samples, plan.max_samples);
    EXPECT_EQ(row.per_hash, FakeMachine::PerHash(row.cost));
    last_measured = row.cost;
  }
  EXPECT_TRUE(skipping);
  EXPECT_GE(last_measured, 8);  // 1+2+4+8+16+32+64 ms fit in 300 ms
  EXPECT_LT(machine.spent, plan.budget + FakeMachine::PerHash(last_measured));
  for (int cost : machine.asked) EXPECT_LE(cost, last_measured);
}

TEST(CostBenchTest, TinyBudgetStillMeasuresTheCheapestCost) {
  FakeMachine machine;
  BenchPlan plan;
  plan.budget = absl::Microseconds(10);
  absl::StatusOr<std::vector<CostMeasurement>> rows = MeasureCosts(plan, machine.Timer());
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].samples, 1);
  for (size_t i = 1; i < rows->size(); ++i) EXPECT_EQ((*rows)[i].samples, 0);
  EXPECT_EQ(machine.asked, std::vector<int>{4});
}

TEST(CostBenchTest, TimerErrorsStopTheBench) {
  BenchPlan plan;
  int calls = 0;
  absl::StatusOr<std::vector<CostMeasurement>> rows =
      MeasureCosts(plan, [&calls](int) -> absl::StatusOr<HashTiming> {
        ++calls;
        return absl::InternalError("no crypt");
      });
  EXPECT_FALSE(rows.ok());
  EXPECT_EQ(calls, 1);
}

TEST(CostBenchTest, ConnectsPerSecondScalesWithThreads) {
  EXPECT_DOUBLE_EQ(ConnectsPerSecond(absl::Milliseconds(100), 1), 10.0);
  EXPECT_DOUBLE_EQ(ConnectsPerSecond(absl::Milliseconds(100), 4), 40.0);
  EXPECT_DOUBLE_EQ(ConnectsPerSecond(absl::Milliseconds(250), 2), 8.0);
  EXPECT_DOUBLE_EQ(ConnectsPerSecond(absl::ZeroDuration(), 2), 0.0);
}

TEST(CostBenchTest, TableShowsRatesSkipsAndTimeoutNotes) {
  BenchPlan plan;
  std::vector<CostMeasurement> rows = {
      {.cost = 10,
       .samples = 5,
       .per_hash = absl::Milliseconds(100),
       .cpu_per_hash = absl::Milliseconds(90)},
      {.cost = 11,
       .samples = 3,
       .per_hash = absl::Milliseconds(200),
       .cpu_per_hash = absl::Milliseconds(180)},
      {.cost = 12,
       .samples = 1,
       .per_hash = absl::Milliseconds(2500),
       .cpu_per_hash = absl::Milliseconds(2400)},
      {.cost = 13, .samples = 0, .per_hash = absl::Milliseconds(5000)},
  };
  const std::string table = RenderCostTable(rows, plan, 4, absl::Seconds(2));
  // cost 10: 10/s per thread, 40/s for 4 threads, so 1000 logins keep the pool busy 25 s.
  EXPECT_NE(table.find("   100.00     90.00             10.0             40.0            25.0s"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("11*"), std::string::npos) << table;
  EXPECT_NE(table.find("skipped: about 5000 ms/hash"), std::string::npos) << table;
  EXPECT_NE(table.find("takes longer than the auth timeout"), std::string::npos) << table;
  EXPECT_NE(table.find("connects/s (x4)"), std::string::npos) << table;
  EXPECT_NE(table.find("covers the wait for\nCONNECT, not the hashing"), std::string::npos) << table;
}

}  // namespace
}  // namespace ringnats::passwd
