#pragma once
// A helper program (Prometheus, Chromium) run by a scraper test, in its own process group.
//
// Chromium forks a zygote, renderers and utility processes; stopping only the browser
// process could leave them behind. So the child leads a new process group and every stop
// ends with SIGKILL to that group, sent while the leader is still an unreaped zombie (its pid,
// and so the group id, cannot have been reused yet). The child also gets SIGKILL if the thread
// that started it dies (PR_SET_PDEATHSIG), so a test killed by its timeout leaves no browser
// behind. stdout and stderr go to a log file.
//
// Used from one test thread at a time.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ringnats::scrapers {

struct ChildOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::string log_path;           // stdout and stderr
  // Descriptors the child gets as fds 3, 4, ... in this order (Chromium's
  // --remote-debugging-pipe reads commands from 3 and writes to 4).
  std::vector<int> pass_fds;
};

class ChildProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const ChildOptions& options);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills the whole group unless Stop already ended it.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  std::string ReadLog() const;

  // True while the leader has not exited.
  bool Running();

  // Waits (without signalling) up to `timeout` for the leader to exit, then kills what is left
  // of its group and reaps it. Returns its wait status, or DeadlineExceeded if it was still
  // running (then the group is left alone).
  absl::StatusOr<int> WaitForExit(std::chrono::milliseconds timeout);

  // Sends `sig` to the leader and waits up to `grace` for it to exit; then SIGKILL to the
  // group. Returns the leader's wait status, or DeadlineExceeded when it had to be killed.
  // Idempotent: later calls return the first result.
  absl::StatusOr<int> Stop(int sig, std::chrono::milliseconds grace);

  // Waits until a line of the log matches `pattern` (ECMAScript, searched within the line);
  // `groups` gets the match's capture groups. Fails at the deadline or when the child exits
  // first, quoting the log.
  ::testing::AssertionResult WaitForLogLine(std::string_view pattern,
                                            std::chrono::milliseconds timeout,
                                            std::vector<std::string>* groups = nullptr);

 private:
  ChildProcess() = default;
  // Blocks until the leader exits or `deadline` passes; does not reap.
  bool AwaitExit(std::chrono::steady_clock::time_point deadline);
  // SIGKILL to the group, then reap the (exited) leader.
  void KillGroupAndReap();

  std::string name_;  // the program, for messages
  std::string log_path_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool reaped_ = false;
  int wait_status_ = 0;
  bool stopped_ = false;
  absl::StatusOr<int> stop_result_ = 0;
};

// A fresh directory under $TMPDIR (or /tmp), removed with its contents by the destructor
// unless RINGNATS_KEEP_SERVER_DIRS is set or Keep() was called.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  void Keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

std::string ReadFile(const std::string& path);

}  // namespace ringnats::scrapers
