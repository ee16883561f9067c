// The auth pool thread's scheduling class: idle class while hashes get the CPU, nice 10 once a
// hash was starved, idle again when hashes run unhindered. Real syscalls on a thread of the
// test's own; where the process may not leave the idle class (no root, CAP_SYS_NICE or
// RLIMIT_NICE), the thread must stay at nice 10 throughout.

#include "ringnats/util/pool_thread_priority.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ringnats/util/thread_cpu_time.h"

namespace ringnats::auth {
namespace {

struct Observed {
  int policy = -1;
  int nice = 0;
};

Observed Now() {
  return Observed{sched_getscheduler(0), getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()))};
}

// Runs `body` on a fresh thread, so the test process keeps its own scheduling class.
template <typename Body>
void OnThread(Body body) {
  std::thread thread(body);
  thread.join();
}

bool MayLeaveIdleClass() {
  bool ok = false;
  OnThread([&ok] {
    sched_param param{};
    ok = sched_setscheduler(0, SCHED_IDLE, &param) == 0 &&
         sched_setscheduler(0, SCHED_OTHER, &param) == 0;
  });
  return ok;
}

TEST(PoolThreadPriorityTest, IdleUntilStarvedThenNiceUntilUnhindered) {
  if (!MayLeaveIdleClass()) GTEST_SKIP() << "this process may not leave SCHED_IDLE";
  OnThread([] {
    util::PoolThreadPriority priority;
    priority.Start();
    EXPECT_EQ(Now().policy, SCHED_IDLE);

    // Short hashes say nothing about contention.
    priority.AfterHash(absl::Milliseconds(5), absl::Microseconds(100));
    EXPECT_EQ(Now().policy, SCHED_IDLE);

    // A hash that got 10% of its wall time: starved in the idle class.
    priority.AfterHash(absl::Milliseconds(100), absl::Milliseconds(10));
    EXPECT_EQ(Now().policy, SCHED_OTHER);
    EXPECT_EQ(Now().nice, 10);

    // Half the CPU at nice 10 is contention, not room: stays.
    priority.AfterHash(absl::Milliseconds(100), absl::Milliseconds(50));
    EXPECT_EQ(Now().policy, SCHED_OTHER);

    // Nearly all of it: the CPUs have room again.
    priority.AfterHash(absl::Milliseconds(100), absl::Milliseconds(95));
    EXPECT_EQ(Now().policy, SCHED_IDLE);
  });
}

TEST(PoolThreadPriorityTest, NiceTenWhereIdleClassCouldNotBeLeft) {
  if (MayLeaveIdleClass()) GTEST_SKIP() << "this process may leave SCHED_IDLE";
  OnThread([] {
    util::PoolThreadPriority priority;
    priority.Start();
    EXPECT_EQ(Now().policy, SCHED_OTHER);
    EXPECT_EQ(Now().nice, 10);
    priority.AfterHash(absl::Milliseconds(100), absl::Milliseconds(95));
    EXPECT_EQ(Now().policy, SCHED_OTHER);
  });
}

// The share is CPU over wall time, so ThreadCpuTime must count running, not waiting.
TEST(PoolThreadPriorityTest, ThreadCpuTimeCountsRunningNotWaiting) {
  const absl::Duration start = ThreadCpuTime();
  volatile uint64_t sink = 0;
  while (ThreadCpuTime() - start < absl::Milliseconds(5)) sink = sink + 1;
  EXPECT_GE(ThreadCpuTime() - start, absl::Milliseconds(5));

  const absl::Duration before_sleep = ThreadCpuTime();
  absl::SleepFor(absl::Milliseconds(50));  // the thing measured, not a synchronisation
  EXPECT_LT(ThreadCpuTime() - before_sleep, absl::Milliseconds(25));
}

}  // namespace
}  // namespace ringnats::auth
