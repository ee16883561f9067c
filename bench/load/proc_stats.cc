#include "proc_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace ringnats::load {
namespace {

// ringnats names its worker threads ring-0, ring-1, ...
bool IsRingThread(const std::string& task_dir) {
  FILE* f = std::fopen((task_dir + "/comm").c_str(), "r");
  if (f == nullptr) return false;
  char name[32] = "";
  const bool ring =
      std::fgets(name, sizeof name, f) != nullptr && std::strncmp(name, "ring-", 5) == 0;
  std::fclose(f);
  return ring;
}

}  // namespace

std::optional<SchedNs> ReadProcessSchedNs(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return std::nullopt;
  SchedNs total;
  bool any = false;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string task = dir + "/" + e->d_name;
    FILE* f = std::fopen((task + "/schedstat").c_str(), "r");
    if (f == nullptr) continue;  // the thread exited between readdir and open
    long long on_cpu = 0;
    long long waited = 0;
    const bool read = std::fscanf(f, "%lld %lld", &on_cpu, &waited) == 2;
    std::fclose(f);
    if (!read) continue;
    total.on_cpu += on_cpu;
    total.run_queue_wait += waited;
    any = true;
    if (IsRingThread(task)) {
      total.ring_run_queue_wait += waited;
      total.has_ring_threads = true;
    }
  }
  closedir(d);
  if (!any) return std::nullopt;
  return total;
}

std::optional<int64_t> ReadProcessCpuNs(pid_t pid) {
  std::optional<SchedNs> times = ReadProcessSchedNs(pid);
  if (!times) return std::nullopt;
  return times->on_cpu;
}

std::optional<int64_t> ReadRssKb(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return std::nullopt;
  char line[256];
  std::optional<int64_t> rss;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    long long kb = 0;
    if (std::strncmp(line, "VmRSS:", 6) == 0 && std::sscanf(line + 6, "%lld", &kb) == 1) {
      rss = kb;
      break;
    }
  }
  std::fclose(f);
  return rss;
}

int64_t SelfCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

uint64_t RaiseFdLimit() {
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

}  // namespace ringnats::load
