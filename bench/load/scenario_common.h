#pragma once
// Pieces every scenario shares: broker sampling around the measured window and the report
// fields derived from it.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "options.h"
#include "report.h"

namespace ringnats::load {

// CPU of the broker (when its pid is known) and of this process at one instant.
struct CpuSample {
  int64_t wall_ns = 0;
  std::optional<int64_t> server_ns;
  std::optional<int64_t> server_wait_ns;  // broker threads runnable but not running
  std::optional<int64_t> server_ring_wait_ns;  // the same for ringnats' ring threads only
  int64_t self_ns = 0;
};

CpuSample SampleCpu(pid_t server_pid);

// Adds the identification fields every report starts with.
void AddHeader(const Options& options, Report& report);

// Adds server_cpu_ms, server_cpu_pct, server_cpu_ns_per_op, server_runq_wait_pct,
// ring_runq_wait_pct (ringnats only), client_cpu_pct for the window
// [start, end] in which `ops` operations (named by `op`) completed.
void AddCpu(const CpuSample& start, const CpuSample& end, uint64_t ops, std::string_view op,
            Report& report);

}  // namespace ringnats::load
