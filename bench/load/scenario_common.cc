#include "scenario_common.h"

#include "absl/strings/str_format.h"
#include "clock.h"
#include "proc_stats.h"

namespace ringnats::load {

CpuSample SampleCpu(pid_t server_pid) {
  CpuSample s;
  if (server_pid > 0) {
    if (std::optional<SchedNs> times = ReadProcessSchedNs(server_pid)) {
      s.server_ns = times->on_cpu;
      s.server_wait_ns = times->run_queue_wait;
      if (times->has_ring_threads) s.server_ring_wait_ns = times->ring_run_queue_wait;
    }
  }
  s.self_ns = SelfCpuNs();
  s.wall_ns = NowNs();
  return s;
}

void AddHeader(const Options& options, Report& report) {
  report.Set("scenario", std::string(ScenarioName(options.scenario)));
  if (!options.label.empty()) report.Set("label", options.label);
  report.Set("url", absl::StrFormat("%s:%d", options.host, options.port));
  if (options.tls) report.Set("tls", true);
}

void AddCpu(const CpuSample& start, const CpuSample& end, uint64_t ops, std::string_view op,
            Report& report) {
  double wall = static_cast<double>(end.wall_ns - start.wall_ns);
  report.Set("op", std::string(op));
  if (start.server_ns && end.server_ns) {
    double cpu = static_cast<double>(*end.server_ns - *start.server_ns);
    report.Set("server_cpu_ms", cpu / 1e6, "ms");
    if (wall > 0) report.Set("server_cpu_pct", 100.0 * cpu / wall, "% of one core");
    if (ops > 0) {
      report.Set("server_cpu_ns_per_op", cpu / static_cast<double>(ops),
                 absl::StrFormat("ns per %s", op));
    }
  }
  if (start.server_wait_ns && end.server_wait_ns && wall > 0) {
    report.Set("server_runq_wait_pct",
               100.0 * static_cast<double>(*end.server_wait_ns - *start.server_wait_ns) / wall,
               "% of one core: broker threads runnable but waiting for a CPU");
  }
  if (start.server_ring_wait_ns && end.server_ring_wait_ns && wall > 0) {
    report.Set(
        "ring_runq_wait_pct",
        100.0 * static_cast<double>(*end.server_ring_wait_ns - *start.server_ring_wait_ns) / wall,
        "% of one core: ring threads runnable but waiting for a CPU");
  }
  if (wall > 0) {
    report.Set("client_cpu_pct", 100.0 * static_cast<double>(end.self_ns - start.self_ns) / wall,
               "% of one core");
  }
}

}  // namespace ringnats::load
