#include "ringnats/util/log.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

namespace ringnats::log {
namespace {

std::atomic<bool> g_debug{false};
std::atomic<bool> g_trace{false};
std::atomic<bool> g_logtime{true};
std::atomic<int> g_fd{STDERR_FILENO};

std::string_view LevelTag(Level level) {
  switch (level) {
    case Level::kFatal: return "[FTL] ";
    case Level::kError: return "[ERR] ";
    case Level::kWarn: return "[WRN] ";
    case Level::kInfo: return "[INF] ";
    case Level::kDebug: return "[DBG] ";
    case Level::kTrace: return "[TRC] ";
  }
  return "[INF] ";
}

}  // namespace

void Configure(const Settings& settings) {
  g_debug.store(settings.debug, std::memory_order_relaxed);
  g_trace.store(settings.trace, std::memory_order_relaxed);
  g_logtime.store(settings.logtime, std::memory_order_relaxed);
}

absl::Status UseLogFile(const std::string& path) {
  if (path.empty()) {
    g_fd.store(STDERR_FILENO, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrFormat("can not open log file %s: %s", path, strerror(errno)));
  }
  const int current = g_fd.load(std::memory_order_relaxed);
  if (current == STDERR_FILENO) {
    g_fd.store(fd, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  // Keep the descriptor number writers already hold; only the file behind it changes.
  const int rc = ::dup2(fd, current);
  const int err = errno;
  ::close(fd);
  if (rc < 0) {
    return absl::UnavailableError(absl::StrFormat("can not reopen log file: %s", strerror(err)));
  }
  return absl::OkStatus();
}

bool DebugEnabled() {
  return g_debug.load(std::memory_order_relaxed);
}
bool TraceEnabled() {
  return g_trace.load(std::memory_order_relaxed);
}

void Write(Level level, std::string_view text) {
  std::string line = absl::StrFormat("[%d] ", getpid());
  if (g_logtime.load(std::memory_order_relaxed)) {
    timeval now;
    gettimeofday(&now, nullptr);
    tm local;
    localtime_r(&now.tv_sec, &local);
    absl::StrAppendFormat(&line, "%04d/%02d/%02d %02d:%02d:%02d.%06d ", local.tm_year + 1900,
                          local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min,
                          local.tm_sec, static_cast<int>(now.tv_usec));
  }
  line.append(LevelTag(level));
  line.append(text);
  line.push_back('\n');
  const int fd = g_fd.load(std::memory_order_relaxed);
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // Nowhere left to report a failing log sink.
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace ringnats::log
