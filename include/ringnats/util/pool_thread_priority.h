#pragma once
// The scheduling class of the side pools' threads (the auth pool's bcrypt threads and the TLS
// handshake pool's threads), and the watch that rescues a starved one.
//
// Hashing must never delay a ring. Niceness alone does not ensure that: on Linux's fair
// scheduler a ring that wakes up may wait for a running nice-10 hashing thread to finish its
// slice (measured here: a request/reply p99 of 2 ms beside a bcrypt storm, 7x its p99 without
// one). A SCHED_IDLE thread is preempted at once by any waking normal thread, and wakeups
// prefer CPUs that run only idle-class threads. But an idle-class thread on a machine
// saturated by normal threads gets almost no CPU (about 0.3% of one), and logins and TLS
// handshakes would stall until the load drops. So a thread adapts: idle class while its jobs
// get most of the CPU time they ask for, nice 10 (a bounded share under contention) once they
// got less than a quarter of their wall time, back to idle when jobs run unhindered again.
// Judging only when a job ends is too late: at 0.3% of a CPU a 1 ms handshake step takes a
// third of a second and a bcrypt hash half a minute, and an idle-class thread woken for a new
// job may not even get to take it from the queue. So a StarvationWatch looks at the queue and
// the running jobs while there are any, and moves starved threads to nice 10 within a few
// milliseconds.

#include <sys/types.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ringnats::util {

class StarvationWatch;

// Moves pool thread `tid` out of the idle class (to nice 10) from another thread, so that a
// job it is running ends in CPU time rather than when the machine next idles. For shutdown,
// which joins the pool's threads: on a saturated machine an idle-class thread in the middle
// of a cost-14 bcrypt hash would hold the exit for minutes.
void LeaveIdleClassForShutdown(pid_t tid);

// One pool thread's scheduling class. Created, started and destroyed on the pool thread it
// sets, and read by its pool's StarvationWatch from the watch's thread: what the watch reads
// is atomic, and nothing here holds a lock, because a starved idle-class thread preempted
// while holding one would hold up the watch meant to rescue it.
class PoolThreadPriority {
 public:
  // `watch` (may be null: no rescue while a job runs) must outlive this object.
  explicit PoolThreadPriority(StarvationWatch* watch = nullptr);
  ~PoolThreadPriority();
  PoolThreadPriority(const PoolThreadPriority&) = delete;
  PoolThreadPriority& operator=(const PoolThreadPriority&) = delete;

  // Sets the calling thread to the idle class, or to nice 10 where the process could not
  // leave the idle class again.
  void Start();
  // Around each job, on the same thread: JobStarted as the thread takes the job out of the
  // pool's queue (every job went through StarvationWatch::JobQueued). JobDone judges the jobs since
  // the last judgement by their wall-clock time and the thread's CPU time over it (together, until
  // they add up to enough wall time to say something about contention).
  void JobStarted();
  void JobDone();
  // The same judgement for a job whose times were measured by the caller.
  void AfterHash(absl::Duration wall, absl::Duration cpu);

 private:
  friend class StarvationWatch;
  enum class Class { kIdle, kNice };

  // The class is read back from the kernel rather than remembered: the watch may have
  // changed it from its thread.
  bool InIdleClass() const;
  bool Apply(Class wanted);
  void Judge(absl::Duration wall, absl::Duration cpu);
  // On the watch's thread: a job running in the idle class with under a quarter of a CPU
  // over enough wall time moves the thread to nice 10 now; so does `queue_stalled` (queued
  // jobs waited long enough while a thread was free, and none was taken) for an idle-class
  // thread not running one,
  // which can only be a thread woken for it that got no CPU to take it.
  void RescueIfStarved(absl::Time now, bool queue_stalled);
  absl::Duration CpuTime() const;

  StarvationWatch* const watch_;
  std::atomic<pid_t> tid_{0};
  std::atomic<clockid_t> cpu_clock_{CLOCK_THREAD_CPUTIME_ID};
  // Nanoseconds since the epoch when the running job started; 0 while none runs.
  std::atomic<int64_t> job_started_ns_{0};
  std::atomic<int64_t> job_cpu_before_ns_{0};
  // The pool thread's own.
  absl::Time job_started_;
  absl::Duration job_cpu_before_;
  absl::Duration unjudged_wall_;
  absl::Duration unjudged_cpu_;
};

// A thread that looks at a pool's queue and running jobs every few milliseconds and rescues
// starved threads; it sleeps while the pool has no work. Shared between the threads that
// queue jobs, the pool's threads and its own thread: counters are atomic, `mu_` guards the
// list of threads and is what the sleeping watch waits on (never taken by a pool thread
// while it runs jobs). Destroy it after the pool's threads ended.
class StarvationWatch {
 public:
  // `rescue_after`: how long a running job (or a queue nothing is taken from) must starve
  // before the watch steps in.
  explicit StarvationWatch(absl::Duration rescue_after = absl::Milliseconds(50));
  ~StarvationWatch();
  StarvationWatch(const StarvationWatch&) = delete;
  StarvationWatch& operator=(const StarvationWatch&) = delete;

  // Any thread, when a job enters the pool's queue; wakes the watch. The pool thread that
  // takes it out says so with PoolThreadPriority::JobStarted.
  void JobQueued();
  // Queued jobs that will never be taken (the pool dropped them).
  void JobsDropped(uint64_t count);

 private:
  friend class PoolThreadPriority;
  const absl::Duration rescue_after_;
  void Enrol(PoolThreadPriority* thread);
  void Leave(PoolThreadPriority* thread);
  void Run();

  std::atomic<uint64_t> queued_{0};
  std::atomic<uint64_t> taken_{0};
  std::atomic<int> running_jobs_{0};
  absl::Mutex mu_;
  std::vector<PoolThreadPriority*> threads_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ringnats::util
