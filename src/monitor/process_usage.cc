#include "ringnats/monitor/process_usage.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"

namespace ringnats::monitor {
namespace {

struct ProcStat {
  int64_t cpu_ticks = -1;  // utime + stime
  int64_t rss_pages = -1;
};

// /proc/self/stat's fields after the parenthesised command name (which may hold spaces).
ProcStat ReadProcStat() {
  ProcStat stat;
  std::ifstream file("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return stat;
  std::istringstream rest(text.substr(paren + 1));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string field; rest >> field;) fields.push_back(field);
  // utime, stime, rss are fields 14, 15 and 24 (1-based).
  if (fields.size() < 22) return stat;
  int64_t utime = 0;
  int64_t stime = 0;
  int64_t rss = 0;
  if (!absl::SimpleAtoi(fields[11], &utime) || !absl::SimpleAtoi(fields[12], &stime) ||
      !absl::SimpleAtoi(fields[21], &rss)) {
    return stat;
  }
  stat.cpu_ticks = utime + stime;
  stat.rss_pages = rss;
  return stat;
}

}  // namespace

ProcessUsage::ProcessUsage() {
  absl::MutexLock lock(&mu_);
  window_start_ = absl::Now();
  window_cpu_ticks_ = ReadProcStat().cpu_ticks;
}

ProcessUsageSample ProcessUsage::Sample() {
  const ProcStat stat = ReadProcStat();
  const absl::Time now = absl::Now();
  ProcessUsageSample sample;
  if (stat.rss_pages >= 0) sample.rss_bytes = stat.rss_pages * sysconf(_SC_PAGESIZE);
  absl::MutexLock lock(&mu_);
  const absl::Duration window = now - window_start_;
  if (window >= absl::Seconds(1) && stat.cpu_ticks >= 0 && window_cpu_ticks_ >= 0) {
    const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double busy = static_cast<double>(stat.cpu_ticks - window_cpu_ticks_) / ticks_per_second;
    // Tenths of a percent, truncated, as nats-server's figure.
    const double permille =
        static_cast<double>(static_cast<int64_t>(busy * 1000 / absl::ToDoubleSeconds(window)));
    cpu_percent_ = permille / 10.0;
    window_start_ = now;
    window_cpu_ticks_ = stat.cpu_ticks;
  }
  sample.cpu_percent = cpu_percent_;
  return sample;
}

}  // namespace ringnats::monitor
