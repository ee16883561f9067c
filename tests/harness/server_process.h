#pragma once
// A server (ringnats or nats-server) running as a child process on a free loopback port.
//
// The child gets `-a 127.0.0.1 -p -1 --ports_file_dir <temp dir>` so the kernel picks the
// port and the server reports it through its ports file; nothing here ever assumes a fixed
// port. stdout and stderr go to a log file in the same temp dir for log assertions. The
// child is killed if the thread that started it dies (PR_SET_PDEATHSIG), so a test killed by
// a timeout leaves no servers behind.
//
// How the server ended is part of every test that starts one: when it is stopped (at the
// latest by the destructor) it must exit with status 0 after SIGINT and its output must hold
// no sanitizer report (ASan, LSan, UBSan, TSan); otherwise the test fails with the report's
// first lines, and the temp dir with the full log is kept. See StopAndCheck.
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
#include "harness/server_spec.h"

namespace ringnats::harness {

inline constexpr std::chrono::milliseconds kServerStartTimeout{10000};
// Generous: a sanitizer build checks the whole heap for leaks at exit, on a loaded machine.
inline constexpr std::chrono::milliseconds kServerStopTimeout{15000};
inline constexpr std::chrono::milliseconds kLogWaitTimeout{5000};

struct ServerOptions {
  ServerSpec spec;
  // Config file contents; when non-empty it is written to the temp dir and passed with -c.
  std::string config;
  std::vector<std::string> extra_args;  // per-test flags such as "-D", "-V"
  // 0: `-a 127.0.0.1 -p -1 --ports_file_dir <temp dir>`, the port read from the ports file.
  // Otherwise `-a 127.0.0.1 -p <fixed_port>` and no ports file, the way client test suites
  // start a server on a port they picked: Start returns once the kernel shows a listening
  // socket on that port (no probe connection, so the server sees no extra client), and
  // monitor_port() stays 0.
  int fixed_port = 0;
};

class ServerProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const ServerOptions& options);

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  // Stops the server and judges its end (see StopAndCheck) unless the test already did; a
  // failed verdict is a gtest failure of the running test. Removes the temp dir unless the
  // verdict failed or RINGNATS_KEEP_SERVER_DIRS is set.
  ~ServerProcess();

  int port() const { return port_; }
  // The monitoring (HTTP) port from the ports file; 0 when the server has none (no -m).
  int monitor_port() const { return monitor_port_; }
  // The route (cluster) port from the ports file; 0 when the server listens for no routes.
  int cluster_port() const { return cluster_port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string log_path() const;
  // Where ServerOptions::config was written (only exists when it was non-empty). A reload
  // test rewrites this file and sends SIGHUP.
  std::string config_path() const;

  // Everything the server wrote to stdout/stderr so far.
  std::string ReadLog() const;

  // Succeeds once some line of the log matches `pattern` (ECMAScript regex, searched within
  // the line). Fails if the deadline passes or the server exits first.
  ::testing::AssertionResult WaitForLog(std::string_view pattern,
                                        std::chrono::milliseconds timeout = kLogWaitTimeout);

  // Like WaitForLog, but succeeds only once `count` lines match (e.g. the Nth reload).
  ::testing::AssertionResult WaitForLogCount(std::string_view pattern, int count,
                                             std::chrono::milliseconds timeout = kLogWaitTimeout);

  // Like WaitForLog for another file the server writes, e.g. its `-l` log file.
  ::testing::AssertionResult WaitForFileLine(const std::string& path, std::string_view pattern,
                                             std::chrono::milliseconds timeout = kLogWaitTimeout);

  // True while the child has not exited.
  bool Running();

  // Sends `sig` to the child; nothing once it has exited (its pid may have been reused).
  void Signal(int sig);

  // Waits, without signalling, for the child to exit; returns the wait status. A status
  // returned here is the test's to judge: StopAndCheck no longer requires it to be 0.
  absl::StatusOr<int> WaitForExit(std::chrono::milliseconds timeout = kServerStopTimeout);

  // SIGINT, then SIGKILL if the child is still alive after `grace`. Returns the wait status.
  // Idempotent.
  absl::StatusOr<int> Stop(std::chrono::milliseconds grace = kServerStopTimeout);

  // Stop, then the verdict on how the server ended. Fails when its output holds a sanitizer
  // report (the message quotes the report's first lines), when it had to be killed after
  // `grace`, or, unless the test read the exit status through WaitForExit (or Start failed
  // and returned it), when it did not exit with status 0: a non-zero exit, death by a signal,
  // or an exit before it was stopped with a status other than 0.
  ::testing::AssertionResult StopAndCheck(std::chrono::milliseconds grace = kServerStopTimeout);

 private:
  ServerProcess() = default;

  absl::Status Launch(const ServerOptions& options);
  absl::Status AwaitPortsFile(std::chrono::milliseconds timeout);
  absl::Status AwaitListening(int port, std::chrono::milliseconds timeout);
  // Blocks until something in the temp dir changes, the child exits, or `timeout` passes.
  void WaitForActivity(std::chrono::milliseconds timeout);
  void Reap(bool block);
  // Blocks until the child exits or `deadline` passes.
  void AwaitExit(std::chrono::steady_clock::time_point deadline);
  ::testing::AssertionResult WaitForLines(const std::string& path, std::string_view pattern,
                                          int count, std::chrono::milliseconds timeout);

  std::string description_;  // "ringnats --workers 2", for failure messages
  std::string dir_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int inotify_fd_ = -1;
  int port_ = 0;
  int monitor_port_ = 0;
  int cluster_port_ = 0;
  bool exited_ = false;
  int wait_status_ = 0;
  bool exit_status_claimed_ = false;  // the test (or Start's error) reported the status
  bool checked_ = false;              // StopAndCheck ran
  bool keep_dir_ = false;             // a failed verdict: the log stays for a look
};

// "exited with status 3", "killed by signal 6 (Aborted)": for failure messages.
std::string DescribeWaitStatus(int wait_status);

}  // namespace ringnats::harness
