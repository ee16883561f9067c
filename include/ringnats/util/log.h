#pragma once
// Logging in nats-server's line format: `[pid] 2006/01/02 15:04:05.000000 [INF] text`.
//
// Shared between threads: the settings are atomics written by the control thread (start-up
// and reload) and read by every thread; each line goes out in one write(2), so lines from
// different threads never interleave.

#include <string_view>

#include "absl/strings/str_format.h"

namespace ringnats::log {

enum class Level { kFatal, kError, kWarn, kInfo, kDebug, kTrace };

struct Settings {
  bool debug = false;
  bool trace = false;
  bool logtime = true;
};

void Configure(const Settings& settings);
// Redirects output to `fd` (stderr by default). The caller keeps the fd open.
void SetOutputFd(int fd);

bool DebugEnabled();
bool TraceEnabled();

// Writes one line; `text` must not end in a newline.
void Write(Level level, std::string_view text);

template <typename... Args>
void Info(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Write(Level::kInfo, absl::StrFormat(format, args...));
}
template <typename... Args>
void Warn(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Write(Level::kWarn, absl::StrFormat(format, args...));
}
template <typename... Args>
void Error(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Write(Level::kError, absl::StrFormat(format, args...));
}
template <typename... Args>
void Fatal(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Write(Level::kFatal, absl::StrFormat(format, args...));
}
template <typename... Args>
void Debug(const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (DebugEnabled()) Write(Level::kDebug, absl::StrFormat(format, args...));
}
template <typename... Args>
void Trace(const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (TraceEnabled()) Write(Level::kTrace, absl::StrFormat(format, args...));
}

}  // namespace ringnats::log
