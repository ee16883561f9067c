#pragma once
// What the reload, signal and lame duck tests share: rewriting the config file of the running
// server and waiting for the outcome of each reload, CONNECT lines with credentials, a
// scratch directory for files the server writes outside the harness' temp dir, and running
// the server binary as a command (`--signal`).

#include <gtest/gtest.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "harness/server_fixture.h"

namespace ringnats::reloadtest {

inline constexpr std::string_view kAuthViolation = "-ERR 'Authorization Violation'\r\n";
inline constexpr std::string_view kReloadedPattern = "\\[INF\\] Reloaded server configuration$";
inline constexpr std::string_view kReloadFailedPattern =
    "\\[ERR\\] Failed to reload server configuration: ";

// CONNECT JSON in quiet mode.
std::string UserConnect(std::string_view user, std::string_view pass);
std::string TokenConnect(std::string_view token);

// A directory that is removed with everything in it when the object goes away.
class ScratchDir {
 public:
  ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();

  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

struct CommandResult {
  int wait_status = -1;
  std::string output;  // stdout and stderr together
};

// Runs `argv` (argv[0] is a path) to completion; a failure is added when it cannot be run or
// does not finish in time.
CommandResult RunCommand(const std::vector<std::string>& argv);

// The exit code for a normal exit, else -1 (so a signal death never looks like success).
int ExitCode(int wait_status);

std::string ReadFile(const std::string& path);

class ReloadTest : public harness::ServerTest {
 protected:
  // Writes `config` over the config file of the running server (atomically, so a reload
  // never reads half of it), sends SIGHUP and waits until the server logs that the reload
  // succeeded.
  ::testing::AssertionResult Reload(const std::string& config);

  // Same, but the reload must fail with a logged error whose text after
  // "Failed to reload server configuration: " matches `reason` (ECMAScript, searched).
  ::testing::AssertionResult ReloadFails(const std::string& config, std::string_view reason);

  // Rewrites the config file without signalling.
  void WriteConfig(const std::string& config);

  // Sends SIGHUP; `ok` says which outcome to wait for. Counts outcomes so the Nth reload
  // waits for the Nth log line.
  ::testing::AssertionResult SignalReload(bool ok);

  // `<binary> --signal <command>` for the binary under test.
  CommandResult SignalCommand(std::string_view command);

  // A new connection presenting `connect_json` is refused with Authorization Violation.
  ::testing::AssertionResult Rejected(std::string_view connect_json);

  // The log shows exactly as many applied and refused reloads as this test caused.
  ::testing::AssertionResult CheckOutcomes();

 private:
  int reloads_ok_ = 0;
  int reloads_failed_ = 0;
};

}  // namespace ringnats::reloadtest
