#pragma once
// The scheduling class of one side-pool thread: the auth pool's bcrypt threads and the TLS
// handshake pool's threads. Each object belongs to the one thread it sets.
//
// Hashing must never delay a ring. Niceness alone does not ensure that: on Linux's fair
// scheduler a ring that wakes up may wait for a running nice-10 hashing thread to finish its
// slice (measured here: a request/reply p99 of 2 ms beside a bcrypt storm, 7x its p99 without
// one). A SCHED_IDLE thread is preempted at once by any waking normal thread, and wakeups
// prefer CPUs that run only idle-class threads. But an idle-class thread on a machine
// saturated by normal threads gets almost no CPU, and logins would stall until the load drops.
// So the thread adapts after every hash: idle class while a hash gets most of the CPU time it
// asks for, nice 10 (a bounded share under contention) once a hash got less than a quarter
// of its wall time, back to idle when hashes run unhindered again.

#include "absl/time/time.h"

namespace ringnats::util {

class PoolThreadPriority {
 public:
  // Sets the calling thread to the idle class, or to nice 10 where the process could not
  // leave the idle class again.
  void Start();
  // Call on the same thread after each hash with its wall-clock time and the thread's CPU
  // time over it.
  void AfterHash(absl::Duration wall, absl::Duration cpu);

 private:
  enum class Class { kIdle, kNice };
  bool Apply(Class wanted);

  Class current_ = Class::kNice;
};

}  // namespace ringnats::util
