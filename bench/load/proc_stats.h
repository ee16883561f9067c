#pragma once
// Reads another process's resource use from /proc, for reporting what the broker spent while
// the load ran.

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace ringnats::load {

// CPU time of all live threads of `pid`, in ns: the sum over /proc/PID/task/*/schedstat of
// the first field (time spent on a CPU). Threads that exited are no longer counted, so take
// both samples while the broker's thread set is stable.
std::optional<int64_t> ReadProcessCpuNs(pid_t pid);

// Both times schedstat has for all live threads of `pid`: on a CPU (first field) and
// runnable but waiting for one (second field). A high wait share says the broker was short
// of CPU (the machine is busy), not short of work.
struct SchedNs {
  int64_t on_cpu = 0;
  int64_t run_queue_wait = 0;
  // The part of run_queue_wait of threads named ring-N (ringnats' workers; nats-server has
  // none): separate because ringnats' side pools run in the idle scheduling class, whose
  // threads are runnable-but-waiting by design whenever anything else wants the CPU.
  int64_t ring_run_queue_wait = 0;
  bool has_ring_threads = false;
};
std::optional<SchedNs> ReadProcessSchedNs(pid_t pid);

// Resident set size of `pid` in KiB (VmRSS in /proc/PID/status).
std::optional<int64_t> ReadRssKb(pid_t pid);

// CPU time of this process, in ns.
int64_t SelfCpuNs();

// Raises the soft open-file limit to the hard limit; returns the soft limit in force.
uint64_t RaiseFdLimit();

}  // namespace ringnats::load
