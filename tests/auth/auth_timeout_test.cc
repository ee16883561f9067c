// The authentication deadline (nats-reference.md §2.4): a client that sends no CONNECT
// within authorization.timeout gets `-ERR 'Authentication Timeout'` and is closed; one that
// logs in in time is never timed out. Assertions follow events (one timeout having fired
// proves an earlier deadline has passed), never the clock; timeouts are failure guards.

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_format.h"
#include "auth/auth_fixture.h"
#include "auth/credentials.h"

namespace ringnats::authtest {
namespace {

constexpr std::chrono::milliseconds kGuard{5000};

const std::string kTimeoutConfig = absl::StrFormat(
    "authorization {\n  timeout: 0.5\n  user: alice\n  password: \"%s\"\n}\n", kPlainPassword);

class AuthTimeoutTest : public AuthTest {};

TEST_F(AuthTimeoutTest, SilentClientIsTimedOut) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kTimeoutConfig, {"-D"}));
  auto client = ConnectWithInfo();
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->ExpectClosed(kAuthTimeout, kGuard));
  EXPECT_TRUE(LogShows(
      R"(\[DBG\] 127\.0\.0\.1:\d+ - cid:\d+ - Client connection closed: Authentication Timeout$)"));
  EXPECT_TRUE(Accepts(UserConnect("alice", kPlainPassword)));
}

TEST_F(AuthTimeoutTest, UnfinishedConnectIsTimedOut) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kTimeoutConfig));
  auto client = ConnectWithInfo();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("CONNECT {\"user\":\"alice\""));
  EXPECT_TRUE(client->ExpectClosed(kAuthTimeout, kGuard));
}

TEST_F(AuthTimeoutTest, ClientThatLoggedInIsNotTimedOut) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kTimeoutConfig));
  auto early = Login(UserConnect("alice", kPlainPassword));
  ASSERT_TRUE(early);
  // Two silent clients, the second opened only after the first was timed out: by then a
  // full timeout has passed since the second one connected, and `early` connected before
  // both, so a wrongly armed deadline of `early` would have expired well before.
  for (int i = 0; i < 2; ++i) {
    auto silent = ConnectWithInfo();
    ASSERT_TRUE(silent);
    ASSERT_TRUE(silent->ExpectClosed(kAuthTimeout, kGuard)) << "silent client " << i;
  }
  EXPECT_TRUE(early->Ping());
  ASSERT_TRUE(early->Send("SUB t 1\r\nPUB t 2\r\nok\r\n"));
  EXPECT_TRUE(early->Expect("MSG t 1 2\r\nok\r\n"));
}

TEST_F(AuthTimeoutTest, RejectedLoginIsNotReportedAsTimeout) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kTimeoutConfig));
  EXPECT_TRUE(Rejects(UserConnect("alice", "late-guess")));
}

TEST_F(AuthTimeoutTest, NoDeadlineWithoutAuth) {
  ASSERT_NO_FATAL_FAILURE(StartServer("authorization {\n  timeout: 0.5\n}\n"));
  auto idle = ConnectWithInfo();
  ASSERT_TRUE(idle);
  // A server with auth in the same test run shows when 0.5 s deadlines have passed.
  harness::ServerOptions options{spec(), kTimeoutConfig, {}};
  auto with_auth = harness::ServerProcess::Start(options);
  ASSERT_TRUE(with_auth.ok()) << with_auth.status();
  auto silent = harness::RawClient::Connect((*with_auth)->port());
  ASSERT_TRUE(silent.ok()) << silent.status();
  ASSERT_TRUE((*silent)->ReadInfo());
  ASSERT_TRUE((*silent)->ExpectClosed(kAuthTimeout, kGuard));
  EXPECT_TRUE(idle->Ping());
}

}  // namespace
}  // namespace ringnats::authtest
