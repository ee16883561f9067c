// The harness's verdict on how a started server ended (ServerProcess::StopAndCheck and the
// destructor), driven with fake_server through the same Start path every test uses: a
// sanitizer report, a non-zero exit, death by a signal or an ignored SIGINT each fail the
// test that started the server.

#include "harness/server_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "harness/sanitizer_report.h"

namespace ringnats::harness {
namespace {

using ::testing::HasSubstr;

constexpr std::chrono::milliseconds kShortGrace{300};

std::unique_ptr<ServerProcess> StartFake(const std::string& on_stop) {
  ServerOptions options;
  options.spec = {RINGNATS_FAKE_SERVER_PATH, {}};
  options.extra_args = {"--on-stop", on_stop};
  absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

// A failed verdict keeps the server's temp dir for a look; these failures are on purpose.
void RemoveKeptDir(const ServerProcess& server) {
  std::error_code error;
  std::filesystem::remove_all(server.dir(), error);
}

TEST(SanitizerReportTest, FindsEachSanitizersOpeningLine) {
  EXPECT_TRUE(IsSanitizerReportLine(
      "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010"));
  EXPECT_TRUE(IsSanitizerReportLine("==4242==ERROR: LeakSanitizer: detected memory leaks"));
  EXPECT_TRUE(IsSanitizerReportLine("WARNING: ThreadSanitizer: data race (pid=4242)"));
  EXPECT_TRUE(IsSanitizerReportLine("AddressSanitizer:DEADLYSIGNAL"));
  EXPECT_TRUE(IsSanitizerReportLine(
      "../src/ring/x.cc:12:7: runtime error: signed integer overflow: 2147483647 + 1"));
  EXPECT_TRUE(IsSanitizerReportLine(
      "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior ../src/ring/x.cc:12:7"));
}

TEST(SanitizerReportTest, IgnoresOrdinaryLogLines) {
  EXPECT_FALSE(IsSanitizerReportLine("[1] 2024/01/01 00:00:00.000000 [INF] Server is ready"));
  // A client's payload in a trace line is not a report.
  EXPECT_FALSE(IsSanitizerReportLine(
      "[1] [TRC] 127.0.0.1:5 - cid:1 - <<- MSG_PAYLOAD: [\"x: runtime error: y\"]"));
  EXPECT_EQ(FindSanitizerReport("one\ntwo\nthree\n"), "");
}

TEST(SanitizerReportTest, QuotesTheReportFromItsFirstLine) {
  std::string output =
      "[INF] Server is ready\n==================\n"
      "WARNING: ThreadSanitizer: data race (pid=7)\n";
  for (int i = 0; i < 2 * kReportExcerptLines; ++i) {
    output += "    #" + std::to_string(i) + " frame\n";
  }
  const std::string report = FindSanitizerReport(output);
  EXPECT_TRUE(report.starts_with("WARNING: ThreadSanitizer: data race (pid=7)\n")) << report;
  EXPECT_THAT(report, HasSubstr("#0 frame\n"));
  EXPECT_THAT(report, ::testing::Not(HasSubstr("#40 frame")));
}

TEST(ServerVerdictTest, CleanExitAfterSigintPasses) {
  std::unique_ptr<ServerProcess> server = StartFake("clean");
  ASSERT_TRUE(server);
  EXPECT_TRUE(server->StopAndCheck());
}

TEST(ServerVerdictTest, UbsanReportFails) {
  std::unique_ptr<ServerProcess> server = StartFake("ubsan-overflow");
  ASSERT_TRUE(server);
  const ::testing::AssertionResult verdict = server->StopAndCheck();
  EXPECT_FALSE(verdict);
  EXPECT_THAT(verdict.message(), HasSubstr("runtime error: signed integer overflow"));
  EXPECT_THAT(verdict.message(), HasSubstr("fake_server"));
  EXPECT_TRUE(std::filesystem::exists(server->log_path())) << "the log is kept for a look";
  RemoveKeptDir(*server);
}

TEST(ServerVerdictTest, ReportFailsEvenWithExitStatusZero) {
  std::unique_ptr<ServerProcess> server = StartFake("report-exit0");
  ASSERT_TRUE(server);
  const ::testing::AssertionResult verdict = server->StopAndCheck();
  EXPECT_FALSE(verdict);
  EXPECT_THAT(verdict.message(), HasSubstr("WARNING: ThreadSanitizer: data race"));
  EXPECT_THAT(verdict.message(), ::testing::Not(HasSubstr("exited with status")));
  RemoveKeptDir(*server);
}

TEST(ServerVerdictTest, NonZeroExitFails) {
  std::unique_ptr<ServerProcess> server = StartFake("exit3");
  ASSERT_TRUE(server);
  const ::testing::AssertionResult verdict = server->StopAndCheck();
  EXPECT_FALSE(verdict);
  EXPECT_THAT(verdict.message(), HasSubstr("exited with status 3 after SIGINT"));
  RemoveKeptDir(*server);
}

TEST(ServerVerdictTest, DeathBySignalFails) {
  std::unique_ptr<ServerProcess> server = StartFake("abort");
  ASSERT_TRUE(server);
  const ::testing::AssertionResult verdict = server->StopAndCheck();
  EXPECT_FALSE(verdict);
  EXPECT_THAT(verdict.message(), HasSubstr("killed by signal 6"));
  RemoveKeptDir(*server);
}

TEST(ServerVerdictTest, IgnoredSigintFails) {
  std::unique_ptr<ServerProcess> server = StartFake("ignore");
  ASSERT_TRUE(server);
  const ::testing::AssertionResult verdict = server->StopAndCheck(kShortGrace);
  EXPECT_FALSE(verdict);
  EXPECT_THAT(verdict.message(), HasSubstr("ignored SIGINT"));
  RemoveKeptDir(*server);
}

TEST(ServerVerdictTest, ExitStatusTheTestReadIsTheTestsToJudge) {
  std::unique_ptr<ServerProcess> server = StartFake("exit3");
  ASSERT_TRUE(server);
  server->Signal(SIGINT);
  absl::StatusOr<int> status = server->WaitForExit();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_TRUE(server->StopAndCheck());
}

TEST(ServerVerdictTest, ReportFailsEvenAfterTheTestReadTheStatus) {
  std::unique_ptr<ServerProcess> server = StartFake("ubsan-overflow");
  ASSERT_TRUE(server);
  server->Signal(SIGINT);
  ASSERT_TRUE(server->WaitForExit().ok());
  EXPECT_FALSE(server->StopAndCheck());
  RemoveKeptDir(*server);
}

// The path every test takes: nobody calls StopAndCheck, the destructor does, and its verdict
// is a failure of the running test.
TEST(ServerVerdictTest, DestructorFailsTheRunningTest) {
  std::unique_ptr<ServerProcess> server = StartFake("ubsan-overflow");
  ASSERT_TRUE(server);
  const std::string dir = server->dir();
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter intercept(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    server.reset();
  }
  ASSERT_EQ(failures.size(), 1);
  EXPECT_TRUE(failures.GetTestPartResult(0).nonfatally_failed());
  EXPECT_THAT(failures.GetTestPartResult(0).message(),
              HasSubstr("runtime error: signed integer overflow"));
  std::error_code error;
  std::filesystem::remove_all(dir, error);
}

TEST(ServerVerdictTest, DestructorOfACleanServerAddsNoFailure) {
  std::unique_ptr<ServerProcess> server = StartFake("clean");
  ASSERT_TRUE(server);
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter intercept(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    server.reset();
  }
  EXPECT_EQ(failures.size(), 0);
}

}  // namespace
}  // namespace ringnats::harness
