#include "ringnats/util/pool_thread_priority.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "ringnats/util/log.h"
#include "ringnats/util/thread_name.h"

namespace ringnats::util {
namespace {

constexpr int kNiceness = 10;
// Less wall time than this says little about contention (a bcrypt cost-4 hash takes about
// 1 ms, a handshake step 1-2 ms).
constexpr absl::Duration kMinWallToJudge = absl::Milliseconds(20);
constexpr double kStarvedBelow = 0.25;     // CPU / wall under which the idle class starves jobs
constexpr double kUnhinderedAbove = 0.75;  // CPU / wall at which the idle class is safe again
constexpr absl::Duration kWatchEvery = absl::Milliseconds(5);
// The watch steps in only for real starvation (an idle-class thread beside busy normal threads
// gets well under 10% of a CPU): a job that merely shares the CPUs with the rings for a while
// stays in the idle class, where it cannot delay them.
constexpr double kRescueBelow = 0.10;

// The kernel's struct sched_attr (first version); <linux/sched/types.h> clashes with glibc's
// <sched.h>, and glibc 2.36 has no sched_setattr wrapper.
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

// `tid` 0 is the calling thread.
int SetSchedulingClass(pid_t tid, int policy) {
  SchedAttr attr{};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<uint32_t>(policy);
  attr.sched_nice = kNiceness;  // kept in the idle class too, for tools that show it
  return static_cast<int>(syscall(SYS_sched_setattr, tid, &attr, 0));
}

// Leaving the idle class needs root, CAP_SYS_NICE or an RLIMIT_NICE that allows nice 10; a
// thread that entered it without one of those could never get a share back. Probed once, on
// a thread of its own that sleeps meanwhile: a thread that moved itself to the idle class on
// a busy machine might wait seconds for the CPU to move itself back.
bool CanLeaveIdleClass() {
  static const bool can = [] {
    absl::Notification have_tid, probed;
    pid_t probe_tid = 0;
    std::thread probe([&] {
      probe_tid = gettid();
      have_tid.Notify();
      probed.WaitForNotification();
    });
    have_tid.WaitForNotification();
    const bool ok = SetSchedulingClass(probe_tid, SCHED_IDLE) == 0 &&
                    SetSchedulingClass(probe_tid, SCHED_OTHER) == 0;
    probed.Notify();
    probe.join();
    return ok;
  }();
  return can;
}

}  // namespace

PoolThreadPriority::PoolThreadPriority(StarvationWatch* watch) : watch_(watch) {}

PoolThreadPriority::~PoolThreadPriority() {
  if (watch_ != nullptr) watch_->Leave(this);
}

bool PoolThreadPriority::InIdleClass() const {
  return sched_getscheduler(tid_.load(std::memory_order_relaxed)) == SCHED_IDLE;
}

bool PoolThreadPriority::Apply(Class wanted) {
  const pid_t tid = tid_.load(std::memory_order_relaxed);
  if (SetSchedulingClass(tid, wanted == Class::kIdle ? SCHED_IDLE : SCHED_OTHER) == 0) return true;
  if (wanted == Class::kIdle) return false;
  return setpriority(PRIO_PROCESS, static_cast<id_t>(tid), kNiceness) == 0;
}

absl::Duration PoolThreadPriority::CpuTime() const {
  timespec now{};
  if (clock_gettime(cpu_clock_.load(std::memory_order_relaxed), &now) != 0) {
    return absl::ZeroDuration();
  }
  return absl::DurationFromTimespec(now);
}

void LeaveIdleClassForShutdown(pid_t tid) {
  if (tid == 0 || !CanLeaveIdleClass()) return;  // without the probe it never entered it
  if (SetSchedulingClass(tid, SCHED_OTHER) != 0) {
    log::Debug("side pool: could not raise a thread's priority for shutdown: %s", strerror(errno));
  }
}

void PoolThreadPriority::Start() {
  tid_.store(gettid(), std::memory_order_relaxed);
  // A clock id another thread (the watch) can read this thread's CPU time from.
  clockid_t clock;
  if (pthread_getcpuclockid(pthread_self(), &clock) == 0) {
    cpu_clock_.store(clock, std::memory_order_relaxed);
  }
  if (!(CanLeaveIdleClass() && Apply(Class::kIdle)) && !Apply(Class::kNice)) {
    log::Debug("side pool: could not lower thread priority");
  }
  if (watch_ != nullptr) watch_->Enrol(this);
}

void PoolThreadPriority::JobStarted() {
  job_started_ = absl::Now();
  job_cpu_before_ = CpuTime();
  job_cpu_before_ns_.store(absl::ToInt64Nanoseconds(job_cpu_before_), std::memory_order_relaxed);
  job_started_ns_.store(absl::ToUnixNanos(job_started_), std::memory_order_release);
  if (watch_ != nullptr) {
    // Running before taken: the watch, which sleeps when no job is queued or running, must
    // never see this job as neither.
    watch_->running_jobs_.fetch_add(1, std::memory_order_relaxed);
    watch_->taken_.fetch_add(1, std::memory_order_release);
  }
}

void PoolThreadPriority::JobDone() {
  job_started_ns_.store(0, std::memory_order_relaxed);
  if (watch_ != nullptr) watch_->running_jobs_.fetch_sub(1, std::memory_order_relaxed);
  Judge(absl::Now() - job_started_, CpuTime() - job_cpu_before_);
}

void PoolThreadPriority::AfterHash(absl::Duration wall, absl::Duration cpu) {
  Judge(wall, cpu);
}

void PoolThreadPriority::Judge(absl::Duration wall, absl::Duration cpu) {
  unjudged_wall_ += wall;
  unjudged_cpu_ += cpu;
  if (unjudged_wall_ < kMinWallToJudge) return;
  const double share = absl::FDivDuration(unjudged_cpu_, unjudged_wall_);
  unjudged_wall_ = unjudged_cpu_ = absl::ZeroDuration();
  const bool idle = InIdleClass();
  if (idle && share < kStarvedBelow) {
    if (Apply(Class::kNice)) {
      log::Debug(
          "side pool: a job got %.0f%% of a CPU; running at nice %d until the CPUs have room",
          share * 100, kNiceness);
    }
  } else if (!idle && share > kUnhinderedAbove && CanLeaveIdleClass()) {
    if (Apply(Class::kIdle)) log::Debug("side pool: jobs in the idle scheduling class again");
  }
}

void PoolThreadPriority::RescueIfStarved(absl::Time now, bool queue_stalled) {
  const int64_t started_ns = job_started_ns_.load(std::memory_order_acquire);
  if (started_ns == 0) {
    if (queue_stalled && InIdleClass() && Apply(Class::kNice)) {
      log::Debug("side pool: queued jobs waited for a thread in the idle class; moved to nice %d",
                 kNiceness);
    }
    return;
  }
  const absl::Duration wall = now - absl::FromUnixNanos(started_ns);
  if (wall < watch_->rescue_after_) return;
  const absl::Duration cpu =
      CpuTime() - absl::Nanoseconds(job_cpu_before_ns_.load(std::memory_order_relaxed));
  const double share = absl::FDivDuration(cpu, wall);
  if (share >= kRescueBelow || !InIdleClass()) return;
  if (Apply(Class::kNice)) {
    log::Debug("side pool: a running job got %.0f%% of a CPU; moved to nice %d", share * 100,
               kNiceness);
  }
}

StarvationWatch::StarvationWatch(absl::Duration rescue_after)
    : rescue_after_(rescue_after), thread_([this] { Run(); }) {}

StarvationWatch::~StarvationWatch() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void StarvationWatch::Enrol(PoolThreadPriority* thread) {
  absl::MutexLock lock(&mu_);
  threads_.push_back(thread);
}

void StarvationWatch::Leave(PoolThreadPriority* thread) {
  absl::MutexLock lock(&mu_);
  threads_.erase(std::remove(threads_.begin(), threads_.end(), thread), threads_.end());
}

void StarvationWatch::JobQueued() {
  queued_.fetch_add(1, std::memory_order_relaxed);
  // Releasing the lock makes a sleeping watch re-check its condition.
  absl::MutexLock lock(&mu_);
}

void StarvationWatch::JobsDropped(uint64_t count) {
  taken_.fetch_add(count, std::memory_order_release);
}

void StarvationWatch::Run() {
  NameThisThread("pool-watch");
  absl::MutexLock lock(&mu_);
  const auto has_work = [this] {
    // taken_ first: a job counts as running before it counts as taken.
    const uint64_t taken = taken_.load(std::memory_order_acquire);
    return running_jobs_.load(std::memory_order_relaxed) > 0 ||
           queued_.load(std::memory_order_relaxed) != taken;
  };
  while (true) {
    // Asleep while the pool has no work; a look every few milliseconds while it has some.
    mu_.Await(absl::Condition(
        +[](StarvationWatch* watch) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return watch->stopping_ ||
                 watch->queued_.load(std::memory_order_relaxed) !=
                     watch->taken_.load(std::memory_order_relaxed) ||
                 watch->running_jobs_.load(std::memory_order_relaxed) > 0;
        },
        this));
    // The queue is judged by whether it moves: stalled when jobs wait, a thread is free to
    // take one, and none was taken for a while.
    uint64_t last_taken = taken_.load(std::memory_order_relaxed);
    absl::Time last_progress = absl::Now();
    while (!stopping_ && has_work()) {
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), kWatchEvery);
      if (stopping_) break;
      const absl::Time now = absl::Now();
      const uint64_t taken = taken_.load(std::memory_order_acquire);
      // A queue waits for a thread only while some thread is not running a job: with all
      // of them busy on long hashes, a full queue is just a busy pool.
      const bool waits_for_a_thread =
          queued_.load(std::memory_order_relaxed) != taken &&
          static_cast<size_t>(running_jobs_.load(std::memory_order_relaxed)) < threads_.size();
      if (taken != last_taken || !waits_for_a_thread) {
        last_taken = taken;
        last_progress = now;
      }
      const bool queue_stalled = now - last_progress >= rescue_after_;
      for (PoolThreadPriority* thread : threads_) thread->RescueIfStarved(now, queue_stalled);
    }
    if (stopping_) return;
  }
}

}  // namespace ringnats::util
