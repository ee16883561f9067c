// A side-pool thread's scheduling class: idle class while jobs get the CPU, nice 10 once a
// job was starved (judged at its end, or by the starvation watch while it still runs), idle
// again when jobs run unhindered. Real syscalls on threads of the test's own; where the
// process may not leave the idle class (no root, CAP_SYS_NICE or RLIMIT_NICE), the thread
// must stay at nice 10 throughout.

#include "ringnats/util/pool_thread_priority.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
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

// Pins the calling thread to CPU `cpu`; false where that is not allowed.
bool PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// Runs `body` on a thread pinned to CPU 0 beside a normal-class thread that keeps CPU 0 busy
// until `body` returns.
template <typename Body>
void BesideABusyThread(Body body) {
  std::atomic<bool> done{false};
  std::atomic<bool> pinned{true};
  std::thread hog([&] {
    pinned = pinned && PinTo(0);
    volatile uint64_t sink = 0;
    while (!done.load(std::memory_order_relaxed)) sink = sink + 1;
  });
  OnThread([&] {
    pinned = pinned && PinTo(0);
    body();
  });
  done = true;
  hog.join();
  EXPECT_TRUE(pinned) << "could not pin both threads to CPU 0";
}

// A thread in the idle class on a CPU that a normal thread keeps busy gets about 0.3% of it.
// Each case spins until it sees its own class change, so without the watch's rescue it would
// never end (the test would time out).
void SpinUntilMovedToNiceTen() {
  volatile uint64_t sink = 0;
  while (Now().policy == SCHED_IDLE) sink = sink + 1;
  EXPECT_EQ(Now().policy, SCHED_OTHER);
  EXPECT_EQ(Now().nice, 10);
}

// On a watched pool thread beside a busy thread, with a job queued: `take_job_first` says
// whether the thread takes it (and then runs starved) or leaves it in the queue.
void StarveWithAJobQueued(bool take_job_first) {
  util::StarvationWatch watch;
  BesideABusyThread([&] {
    util::PoolThreadPriority priority(&watch);
    priority.Start();
    EXPECT_EQ(Now().policy, SCHED_IDLE);
    watch.JobQueued();
    if (take_job_first) priority.JobStarted();
    SpinUntilMovedToNiceTen();
    if (!take_job_first) priority.JobStarted();
    priority.JobDone();
  });
}

// A job that runs starved: moved to nice 10 while it still runs.
TEST(PoolThreadPriorityTest, StarvedJobRescuedWhileItRuns) {
  if (!MayLeaveIdleClass()) GTEST_SKIP() << "this process may not leave SCHED_IDLE";
  StarveWithAJobQueued(/*take_job_first=*/true);
}

// A job left in the queue: the idle-class thread that should take it is moved to nice 10
// (here it never takes it until then, as a woken thread that gets no CPU would not).
TEST(PoolThreadPriorityTest, QueuedJobRescuesTheThreadThatShouldTakeIt) {
  if (!MayLeaveIdleClass()) GTEST_SKIP() << "this process may not leave SCHED_IDLE";
  StarveWithAJobQueued(/*take_job_first=*/false);
}

// Shutdown joins the pool's threads: an unwatched idle-class thread starved in the middle of
// a job is moved to nice 10 from another thread, so the job ends and the join returns.
TEST(PoolThreadPriorityTest, ShutdownMovesAStarvedThreadOutOfTheIdleClass) {
  if (!MayLeaveIdleClass()) GTEST_SKIP() << "this process may not leave SCHED_IDLE";
  std::atomic<pid_t> starved{0};
  std::thread shutdown([&] {
    while (starved.load() == 0) std::this_thread::yield();  // not pinned: runs on CPU 1
    util::LeaveIdleClassForShutdown(starved.load());
  });
  BesideABusyThread([&] {
    util::PoolThreadPriority priority;  // no watch: nothing else would rescue it mid-job
    priority.Start();
    EXPECT_EQ(Now().policy, SCHED_IDLE);
    priority.JobStarted();
    starved = gettid();
    SpinUntilMovedToNiceTen();
    priority.JobDone();
  });
  shutdown.join();
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
