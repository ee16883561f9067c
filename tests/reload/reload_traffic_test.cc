// No message is lost or reordered for unaffected clients while reloads happen: a publisher
// streams numbered messages and SIGHUPs land in the middle of the stream.

#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "harness/raw_client.h"
#include "reload/reload_fixture.h"

namespace ringnats::reloadtest {
namespace {

using harness::Msg;
using harness::RawClient;

constexpr int kMessages = 20000;
constexpr int kReloads = 5;
constexpr int kPerReload = kMessages / kReloads;
// Several subscriber connections, so that with SO_REUSEPORT spreading connections over the
// workers some subscriber almost surely sits on another worker than the publisher.
constexpr int kSubscribers = 3;

// Every round adds a user and changes reloadable limits, so each reload really publishes a
// new configuration and re-checks every connected client.
std::string RoundConfig(int round) {
  std::string extra_users;
  for (int i = 0; i < round; ++i) {
    extra_users += absl::StrFormat("    {user: extra%d, password: Pw-extra-%d}\n", i, i);
  }
  return absl::StrFormat(
      "max_payload: %d\nping_interval: \"%ds\"\nauthorization {\n  users: [\n"
      "    {user: app, password: Pw-app-rl-flow}\n%s  ]\n}\n",
      1048576 - round, 120 + round, extra_users);
}

class ReloadTrafficTest : public ReloadTest {};

TEST_F(ReloadTrafficTest, NoMessageLostDuringReloads) {
  ASSERT_NO_FATAL_FAILURE(StartServer(RoundConfig(0)));
  const std::string login = UserConnect("app", "Pw-app-rl-flow");
  std::vector<std::unique_ptr<RawClient>> subscribers;
  for (int i = 0; i < kSubscribers; ++i) {
    subscribers.push_back(Client(login));
    ASSERT_TRUE(subscribers.back());
    ASSERT_TRUE(subscribers.back()->Send("SUB flow.seq 1\r\n"));
    ASSERT_TRUE(subscribers.back()->Ping());
  }
  std::unique_ptr<RawClient> publisher = Client(login);
  ASSERT_TRUE(publisher);

  int next_expected = 0;
  for (int round = 1; round <= kReloads; ++round) {
    WriteConfig(RoundConfig(round));
    ASSERT_FALSE(HasFatalFailure());
    // The signal goes out before the batch, so the reload runs while the batch flows.
    server().Signal(SIGHUP);
    std::string batch;
    for (int i = 0; i < kPerReload; ++i) {
      const std::string payload = absl::StrFormat("seq-%06d", (round - 1) * kPerReload + i);
      absl::StrAppendFormat(&batch, "PUB flow.seq %d\r\n%s\r\n", payload.size(), payload);
    }
    ASSERT_TRUE(publisher->Send(batch)) << "round " << round;
    ASSERT_TRUE(server().WaitForLogCount(kReloadedPattern, round)) << "round " << round;
    for (int s = 0; s < kSubscribers; ++s) {
      for (int i = 0; i < kPerReload; ++i) {
        const int seq = next_expected + i;
        Msg msg;
        ASSERT_TRUE(subscribers[s]->ReadMsg(&msg))
            << "subscriber " << s << " waiting for message " << seq;
        ASSERT_EQ(msg.payload, absl::StrFormat("seq-%06d", seq)) << "subscriber " << s;
      }
    }
    next_expected += kPerReload;
  }
  ASSERT_EQ(next_expected, kMessages);
  // Nothing extra (no duplicate, no -ERR) is queued for anyone.
  EXPECT_TRUE(publisher->Ping());
  for (int s = 0; s < kSubscribers; ++s) {
    EXPECT_TRUE(subscribers[s]->Ping()) << "subscriber " << s;
  }
  EXPECT_EQ(server().ReadLog().find("Failed to reload"), std::string::npos) << server().ReadLog();
}

}  // namespace
}  // namespace ringnats::reloadtest
