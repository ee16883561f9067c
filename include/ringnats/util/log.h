#pragma once
// Logging in nats-server's line format: `[pid] 2006/01/02 15:04:05.000000 [INF] text`.
//
// Shared between threads: the settings are atomics written by the control thread (start-up
// and reload) and read by every thread; each line goes out in one write(2), so lines from
// different threads never interleave.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace ringnats::log {

enum class Level { kFatal, kError, kWarn, kInfo, kDebug, kTrace };

struct Settings {
  bool debug = false;
  bool trace = false;
  bool logtime = true;
};

void Configure(const Settings& settings);
// Sends output to the file at `path` (created, appended to) instead of stderr; an empty path
// goes back to stderr. Called again with the same path it reopens the file (SIGUSR1, for
// logrotate). The descriptor in use is replaced atomically (dup2), so a thread writing a line
// at that moment writes it whole to one file or the other.
absl::Status UseLogFile(const std::string& path);

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
