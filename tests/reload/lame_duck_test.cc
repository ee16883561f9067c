// Lame duck mode (SIGUSR2): the listener closes, protocol-1 clients are told with an INFO
// carrying "ldm":true, and the server exits 0 — at once when nobody is connected.
//
// Closing the clients spread over lame_duck_duration (at least 30 s) is too slow for this
// suite; the tests stop the server with SIGINT once the start of lame duck mode is proven.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/raw_client.h"
#include "reload/reload_fixture.h"

namespace ringnats::reloadtest {
namespace {

using harness::RawClient;

constexpr char kLameDuckConfig[] = "lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"1s\"\n";
constexpr char kLameDuckLog[] = "\\[INF\\] Entering lame duck mode, stop accepting new clients$";
constexpr std::chrono::seconds kRefusalDeadline{5};

class LameDuckTest : public ReloadTest {
 protected:
  // New connections are refused. Every worker closes its own listener, so a connection may
  // still slip into one that has not closed yet for a moment; after the first refusal, every
  // further attempt must be refused.
  ::testing::AssertionResult RefusesNewConnections() {
    const auto deadline = std::chrono::steady_clock::now() + kRefusalDeadline;
    bool refused = false;
    while (!refused && std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(port());
      refused = !client.ok();
    }
    if (!refused) {
      return ::testing::AssertionFailure() << "new connections were still accepted after "
                                           << kRefusalDeadline.count() << " s of lame duck mode";
    }
    for (int attempt = 0; attempt < 8; ++attempt) {
      absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(port());
      if (client.ok()) {
        return ::testing::AssertionFailure()
               << "attempt " << attempt << " connected after an earlier one was refused";
      }
      if (client.status().message().find("Connection refused") == std::string::npos) {
        return ::testing::AssertionFailure() << client.status();
      }
    }
    return ::testing::AssertionSuccess();
  }

  void ExpectExitZero() {
    absl::StatusOr<int> status = server().WaitForExit();
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_TRUE(WIFEXITED(*status)) << "wait status " << *status;
    EXPECT_EQ(ExitCode(*status), 0);
  }
};

TEST_F(LameDuckTest, ClientsAreToldAndNewConnectionsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kLameDuckConfig));
  std::unique_ptr<RawClient> modern = Client(R"({"verbose":false,"pedantic":false,"protocol":1})");
  std::unique_ptr<RawClient> original = Client(R"({"verbose":false,"pedantic":false})");
  ASSERT_TRUE(modern && original);

  server().Signal(SIGUSR2);
  ASSERT_TRUE(server().WaitForLog(kLameDuckLog));

  nlohmann::ordered_json info;
  ASSERT_TRUE(modern->ReadInfo(&info));
  ASSERT_TRUE(info.contains("ldm")) << info.dump();
  EXPECT_EQ(info["ldm"], true);
  EXPECT_EQ(info.items().begin().key(), "server_id");
  EXPECT_EQ(std::prev(info.end()).key(), "ldm") << "ldm comes last: " << info.dump();

  EXPECT_TRUE(RefusesNewConnections());

  // A protocol-0 client gets no async INFO. The grace period may already be over on a slow
  // machine, so being closed is fine; an INFO is not.
  std::string before;
  bool closed = false;
  ASSERT_TRUE(original->PingCollect(&before, &closed));
  EXPECT_EQ(before.find("INFO"), std::string::npos) << before;

  server().Signal(SIGINT);
  ASSERT_NO_FATAL_FAILURE(ExpectExitZero());
}

TEST_F(LameDuckTest, WithoutClientsExitsAtOnce) {
  // The grace period is far longer than the exit wait below: exiting in time proves that
  // nobody waited for it.
  ASSERT_NO_FATAL_FAILURE(
      StartServer("lame_duck_duration: \"60s\"\nlame_duck_grace_period: \"30s\"\n"));
  server().Signal(SIGUSR2);
  ASSERT_NO_FATAL_FAILURE(ExpectExitZero());
  EXPECT_TRUE(server().WaitForLog(kLameDuckLog));
}

TEST_F(LameDuckTest, SignalCommandLdm) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kLameDuckConfig));
  CommandResult sent = SignalCommand("ldm=" + std::to_string(server().pid()));
  EXPECT_EQ(ExitCode(sent.wait_status), 0) << sent.output;
  ASSERT_NO_FATAL_FAILURE(ExpectExitZero());
  EXPECT_TRUE(server().WaitForLog(kLameDuckLog));
}

}  // namespace
}  // namespace ringnats::reloadtest
