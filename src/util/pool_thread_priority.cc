#include "ringnats/util/pool_thread_priority.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <thread>

#include "ringnats/util/log.h"

namespace ringnats::util {
namespace {

constexpr int kNiceness = 10;
// Hashes shorter than this say little about contention (cost 4 takes about 1 ms).
constexpr absl::Duration kMinWallToJudge = absl::Milliseconds(20);
constexpr double kStarvedBelow = 0.25;     // CPU / wall under which idle class starves logins
constexpr double kUnhinderedAbove = 0.75;  // CPU / wall at which idle class is safe again

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

int SetSchedulingClass(int policy) {
  SchedAttr attr{};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<uint32_t>(policy);
  attr.sched_nice = kNiceness;  // kept in the idle class too, for tools that show it
  return static_cast<int>(syscall(SYS_sched_setattr, 0, &attr, 0));
}

// Leaving the idle class needs root, CAP_SYS_NICE or an RLIMIT_NICE that allows nice 10; a
// thread that entered it without one of those could never get a share back. Probed once, on
// a thread of its own (which may end stuck in the idle class).
bool CanLeaveIdleClass() {
  static const bool can = [] {
    bool ok = false;
    std::thread probe([&ok] {
      ok = SetSchedulingClass(SCHED_IDLE) == 0 && SetSchedulingClass(SCHED_OTHER) == 0;
    });
    probe.join();
    return ok;
  }();
  return can;
}

}  // namespace

bool PoolThreadPriority::Apply(Class wanted) {
  if (SetSchedulingClass(wanted == Class::kIdle ? SCHED_IDLE : SCHED_OTHER) != 0) {
    if (wanted == Class::kIdle) return false;
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kNiceness) != 0) return false;
  }
  current_ = wanted;
  return true;
}

void PoolThreadPriority::Start() {
  if (CanLeaveIdleClass() && Apply(Class::kIdle)) return;
  if (!Apply(Class::kNice)) log::Debug("auth pool: could not lower thread priority");
}

void PoolThreadPriority::AfterHash(absl::Duration wall, absl::Duration cpu) {
  if (wall < kMinWallToJudge) return;
  const double share = absl::FDivDuration(cpu, wall);
  if (current_ == Class::kIdle && share < kStarvedBelow) {
    if (Apply(Class::kNice)) {
      log::Debug(
          "auth pool: a hash got %.0f%% of a CPU; hashing at nice %d until the CPUs "
          "have room",
          share * 100, kNiceness);
    }
  } else if (current_ == Class::kNice && share > kUnhinderedAbove) {
    if (Apply(Class::kIdle)) log::Debug("auth pool: hashing in the idle scheduling class again");
  }
}

}  // namespace ringnats::util
