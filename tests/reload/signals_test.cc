// Process signals and the files a server writes: exit codes of SIGINT and SIGTERM, log file
// reopening on SIGUSR1, the pid file, the ports file, and `--signal` sent by a second process.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "harness/raw_client.h"
#include "harness/server_spec.h"
#include "reload/reload_fixture.h"

namespace ringnats::reloadtest {
namespace {

using harness::RawClient;

// Ports files the server wrote into its temp dir (the harness passes --ports_file_dir).
int CountPortsFiles(const std::string& dir) {
  int count = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".ports") {
      ++count;
    }
  }
  return count;
}

class SignalsTest : public ReloadTest {
 protected:
  // The server exits by itself with exit code `code`, and removes its ports file.
  void ExpectExit(int code) {
    absl::StatusOr<int> status = server().WaitForExit();
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_TRUE(WIFEXITED(*status)) << "wait status " << *status;
    EXPECT_EQ(ExitCode(*status), code);
    EXPECT_EQ(CountPortsFiles(server().dir()), 0) << "ports file left behind";
  }

  // The pid file holds exactly the server's pid (nats-server writes no newline).
  ::testing::AssertionResult PidFileWritten(const std::string& path) {
    return server().WaitForFileLine(path, absl::StrFormat("^%d$", server().pid()));
  }

  // nats-server 2.9.10 leaves its pid file behind at exit; ringnats removes it.
  void ExpectPidFileRemovedByRingnats(const std::string& path) {
    if (harness::IsNatsServer(spec())) {
      return;
    }
    EXPECT_FALSE(std::filesystem::exists(path)) << path;
  }
};

TEST_F(SignalsTest, SigintExitsZero) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_EQ(CountPortsFiles(server().dir()), 1);
  std::unique_ptr<RawClient> client = Client();
  ASSERT_TRUE(client);
  server().Signal(SIGINT);
  ASSERT_NO_FATAL_FAILURE(ExpectExit(0));
  EXPECT_TRUE(client->DrainUntilClosed(nullptr));
}

TEST_F(SignalsTest, SigtermExitsOne) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  std::unique_ptr<RawClient> client = Client();
  ASSERT_TRUE(client);
  server().Signal(SIGTERM);
  if (harness::IsNatsServer(spec())) {
    // nats-server 2.9.10 races itself here: its signal goroutine calls Shutdown and then
    // os.Exit(1), but Shutdown also releases main's WaitForShutdown, and main returning
    // first exits 0. Either code is what the reference does; ringnats always exits 1.
    absl::StatusOr<int> status = server().WaitForExit();
    ASSERT_TRUE(status.ok()) << status.status();
    ASSERT_TRUE(WIFEXITED(*status)) << "wait status " << *status;
    EXPECT_TRUE(ExitCode(*status) == 1 || ExitCode(*status) == 0) << ExitCode(*status);
    EXPECT_EQ(CountPortsFiles(server().dir()), 0) << "ports file left behind";
  } else {
    ASSERT_NO_FATAL_FAILURE(ExpectExit(1));
  }
  EXPECT_TRUE(client->DrainUntilClosed(nullptr));
}

TEST_F(SignalsTest, Sigusr1ReopensTheLogFile) {
  ScratchDir scratch;
  const std::string log_file = scratch.File("server.log");
  const std::string rotated = scratch.File("server.log.1");
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"-l", log_file}));
  ASSERT_TRUE(server().WaitForFileLine(log_file, "\\[INF\\] Server is ready"));

  // What logrotate does: move the file away, then ask the server to reopen its path.
  ASSERT_EQ(std::rename(log_file.c_str(), rotated.c_str()), 0);
  server().Signal(SIGUSR1);
  ASSERT_TRUE(server().WaitForFileLine(log_file, "\\[INF\\] File log re-opened$"));

  // Later lines go to the new file only: a reload without -c logs an error.
  server().Signal(SIGHUP);
  EXPECT_TRUE(server().WaitForFileLine(log_file, "can only reload config when a file is provided"));
  const std::string old_text = ReadFile(rotated);
  EXPECT_NE(old_text.find("Server is ready"), std::string::npos) << old_text;
  EXPECT_EQ(old_text.find("re-opened"), std::string::npos) << old_text;
  EXPECT_EQ(old_text.find("can only reload"), std::string::npos) << old_text;
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(SignalsTest, PidFileAndSignalCommandWithPidFile) {
  ScratchDir scratch;
  const std::string pid_file = scratch.File("server.pid");
  ASSERT_NO_FATAL_FAILURE(StartServer("max_payload: 2000\n", {"-P", pid_file}));
  ASSERT_TRUE(PidFileWritten(pid_file));

  WriteConfig("max_payload: 1000\n");
  CommandResult sent = SignalCommand("reload=" + pid_file);
  EXPECT_EQ(ExitCode(sent.wait_status), 0) << sent.output;
  ASSERT_TRUE(server().WaitForLogCount(kReloadedPattern, 1));
  std::unique_ptr<RawClient> fresh = Connect();
  ASSERT_TRUE(fresh);
  nlohmann::ordered_json info;
  ASSERT_TRUE(fresh->ReadInfo(&info));
  EXPECT_EQ(info["max_payload"], 1000) << "the reload must have read the new file";

  // A bare pid works as well.
  sent = SignalCommand(absl::StrFormat("reload=%d", server().pid()));
  EXPECT_EQ(ExitCode(sent.wait_status), 0) << sent.output;
  ASSERT_TRUE(server().WaitForLogCount(kReloadedPattern, 2));

  sent = SignalCommand("quit=" + pid_file);
  EXPECT_EQ(ExitCode(sent.wait_status), 0) << sent.output;
  ASSERT_NO_FATAL_FAILURE(ExpectExit(0));
  ExpectPidFileRemovedByRingnats(pid_file);
}

// A pid_file changed by a reload is written at once (nats-server's "Reloaded: pid_file"),
// so `--signal` with the new file reaches the server; at exit ringnats removes the new one.
TEST_F(SignalsTest, ReloadedPidFileIsWrittenAndSignalsReachIt) {
  ScratchDir scratch;
  const std::string first = scratch.File("first.pid");
  const std::string second = scratch.File("second.pid");
  ASSERT_NO_FATAL_FAILURE(StartServer(absl::StrFormat("pid_file: \"%s\"\n", first)));
  ASSERT_TRUE(PidFileWritten(first));
  ASSERT_TRUE(Reload(absl::StrFormat("pid_file: \"%s\"\n", second)));
  ASSERT_TRUE(PidFileWritten(second));
  EXPECT_TRUE(server().WaitForLog("Reloaded: pid_file = " + second));
  CommandResult sent = SignalCommand("quit=" + second);
  EXPECT_EQ(ExitCode(sent.wait_status), 0) << sent.output;
  ASSERT_NO_FATAL_FAILURE(ExpectExit(0));
  ExpectPidFileRemovedByRingnats(second);
}

TEST_F(SignalsTest, PidFileFromConfigAndSignalTerm) {
  ScratchDir scratch;
  const std::string pid_file = scratch.File("from-config.pid");
  ASSERT_NO_FATAL_FAILURE(StartServer(absl::StrFormat("pid_file: \"%s\"\n", pid_file)));
  ASSERT_TRUE(PidFileWritten(pid_file));
  CommandResult sent = SignalCommand("term=" + pid_file);
  EXPECT_EQ(ExitCode(sent.wait_status), 0) << sent.output;
  ASSERT_NO_FATAL_FAILURE(ExpectExit(1));
  ExpectPidFileRemovedByRingnats(pid_file);
}

TEST_F(SignalsTest, SignalReopenAndStopByPid) {
  ScratchDir scratch;
  const std::string log_file = scratch.File("server.log");
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"-l", log_file}));
  const std::string pid = std::to_string(server().pid());
  CommandResult sent = SignalCommand("reopen=" + pid);
  EXPECT_EQ(ExitCode(sent.wait_status), 0) << sent.output;
  ASSERT_TRUE(server().WaitForFileLine(log_file, "File log re-opened$"));

  sent = SignalCommand("stop=" + pid);
  EXPECT_EQ(ExitCode(sent.wait_status), 0) << sent.output;
  absl::StatusOr<int> status = server().WaitForExit();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << "wait status " << *status;
}

TEST_F(SignalsTest, UnknownSignalNameFails) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_payload: 2000\n"));
  CommandResult sent = SignalCommand(absl::StrFormat("bogus=%d", server().pid()));
  EXPECT_EQ(ExitCode(sent.wait_status), 1);
  EXPECT_NE(sent.output.find("unknown signal \"bogus\""), std::string::npos) << sent.output;

  ScratchDir scratch;
  sent = SignalCommand("reload=" + scratch.File("no-such.pid"));
  EXPECT_EQ(ExitCode(sent.wait_status), 1);
  EXPECT_NE(sent.output.find("invalid pid"), std::string::npos) << sent.output;

  EXPECT_TRUE(server().Running());
  EXPECT_TRUE(ServerStillWorks());
  EXPECT_TRUE(CheckOutcomes()) << "no reload may have happened";
}

}  // namespace
}  // namespace ringnats::reloadtest
