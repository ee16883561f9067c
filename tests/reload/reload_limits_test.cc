// Limits and permissions changed by a reload apply to clients that are already connected.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "harness/raw_client.h"
#include "reload/reload_fixture.h"

namespace ringnats::reloadtest {
namespace {

using harness::Msg;
using harness::RawClient;

class ReloadLimitsTest : public ReloadTest {};

TEST_F(ReloadLimitsTest, LoweredMaxPayloadAppliesToConnectedClients) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_payload: 1000\n"));
  std::unique_ptr<RawClient> client = Client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(absl::StrFormat("PUB big 500\r\n%s\r\n", std::string(500, 'x'))));
  ASSERT_TRUE(client->Ping()) << "500 bytes fit before the reload";

  ASSERT_TRUE(Reload("max_payload: 100\n"));
  std::unique_ptr<RawClient> fresh = Connect();
  ASSERT_TRUE(fresh);
  nlohmann::ordered_json info;
  ASSERT_TRUE(fresh->ReadInfo(&info));
  EXPECT_EQ(info["max_payload"], 100);

  ASSERT_TRUE(client->Send(absl::StrFormat("PUB big 100\r\n%s\r\n", std::string(100, 'x'))));
  ASSERT_TRUE(client->Ping()) << "exactly max_payload is allowed";
  ASSERT_TRUE(client->Send(absl::StrFormat("PUB big 101\r\n%s\r\n", std::string(101, 'x'))));
  EXPECT_TRUE(client->ExpectClosed("-ERR 'Maximum Payload Violation'\r\n"));
  EXPECT_TRUE(ServerStillWorks());
}

// Lowering max_connections closes the clients beyond it, as nats-server's reload does: any
// of them, each told `-ERR 'maximum connections exceeded'`; the rest keep going.
TEST_F(ReloadLimitsTest, LoweredMaxConnectionsClosesTheClientsBeyondIt) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_connections: 10\n"));
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(Client());
    ASSERT_TRUE(clients.back()) << "client " << i;
  }
  ASSERT_TRUE(Reload("max_connections: 2\n"));
  // The workers apply the new limit as they see it: ask every open client until three were
  // closed (or the deadline says they never will be).
  int closed_count = 0;
  std::vector<bool> open(clients.size(), true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (closed_count < 3 && std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < clients.size(); ++i) {
      if (!open[i]) continue;
      std::string before;
      bool closed = false;
      ASSERT_TRUE(clients[i]->PingCollect(&before, &closed));
      if (!closed) {
        EXPECT_EQ(before, "") << "client " << i;
        continue;
      }
      EXPECT_EQ(before, "-ERR 'maximum connections exceeded'\r\n") << "client " << i;
      open[i] = false;
      ++closed_count;
    }
  }
  EXPECT_EQ(closed_count, 3);
  for (size_t i = 0; i < clients.size(); ++i) {
    if (open[i]) {
      EXPECT_TRUE(clients[i]->Ping()) << "client " << i << " must stay";
    }
  }
}

TEST_F(ReloadLimitsTest, LoweredMaxControlLineAppliesToConnectedClients) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_control_line: 4096\n"));
  std::unique_ptr<RawClient> client = Client();
  ASSERT_TRUE(client);
  const std::string long_subject(100, 's');
  ASSERT_TRUE(client->Send(absl::StrFormat("SUB %s 1\r\n", long_subject)));
  ASSERT_TRUE(client->Ping());

  ASSERT_TRUE(Reload("max_control_line: 64\n"));
  ASSERT_TRUE(client->Send(absl::StrFormat("SUB %s 2\r\n", long_subject)));
  EXPECT_TRUE(client->ExpectClosed("-ERR 'maximum control line exceeded'\r\n"));
  EXPECT_TRUE(ServerStillWorks());
}

// carol may use a.> and b.>; the reload leaves her only a.>.
std::string PermissionsConfig(const std::string& carol_subjects) {
  return absl::StrFormat(
      "authorization {\n  users: [\n"
      "    {user: carol, password: Pw-carol-rl-perm, permissions: "
      "{publish: %s, subscribe: %s}}\n"
      "    {user: admin, password: Pw-admin-rl-perm}\n"
      "  ]\n}\n",
      carol_subjects, carol_subjects);
}

TEST_F(ReloadLimitsTest, TightenedPermissionsRevokeSubscriptions) {
  ASSERT_NO_FATAL_FAILURE(StartServer(PermissionsConfig("[\"a.>\", \"b.>\"]")));
  std::unique_ptr<RawClient> carol = Client(UserConnect("carol", "Pw-carol-rl-perm"));
  std::unique_ptr<RawClient> admin = Client(UserConnect("admin", "Pw-admin-rl-perm"));
  ASSERT_TRUE(carol && admin);
  ASSERT_TRUE(carol->Send("SUB b.x 1\r\nSUB a.x 2\r\n"));
  ASSERT_TRUE(carol->Ping());

  ASSERT_TRUE(Reload(PermissionsConfig("[\"a.>\"]")));
  EXPECT_TRUE(
      carol->Expect("-ERR 'Permissions Violation for Subscription to \"b.x\" (sid \"1\")'\r\n"));
  EXPECT_TRUE(carol->Ping()) << "losing a subscription does not close the connection";

  // Only the subscription that is still allowed delivers.
  ASSERT_TRUE(admin->Send("PUB b.x 3\r\nbbb\r\nPUB a.x 3\r\naaa\r\n"));
  ASSERT_TRUE(admin->Ping());
  Msg msg;
  ASSERT_TRUE(carol->ReadMsg(&msg));
  EXPECT_EQ(msg.subject, "a.x");
  EXPECT_EQ(msg.sid, "2");
  EXPECT_EQ(msg.payload, "aaa");
  EXPECT_TRUE(carol->Ping()) << "nothing on b.x may arrive";

  // New operations are checked against the new permissions too.
  ASSERT_TRUE(carol->Send("PUB b.x 1\r\nz\r\n"));
  EXPECT_TRUE(carol->Expect("-ERR 'Permissions Violation for Publish to \"b.x\"'\r\n"));
  ASSERT_TRUE(carol->Send("SUB b.y 3\r\n"));
  EXPECT_TRUE(carol->Expect("-ERR 'Permissions Violation for Subscription to \"b.y\"'\r\n"));
  EXPECT_TRUE(carol->Ping());
}

TEST_F(ReloadLimitsTest, LoosenedPermissionsAllowNewSubscriptions) {
  ASSERT_NO_FATAL_FAILURE(StartServer(PermissionsConfig("[\"a.>\"]")));
  std::unique_ptr<RawClient> carol = Client(UserConnect("carol", "Pw-carol-rl-perm"));
  std::unique_ptr<RawClient> admin = Client(UserConnect("admin", "Pw-admin-rl-perm"));
  ASSERT_TRUE(carol && admin);
  ASSERT_TRUE(carol->Send("SUB b.x 1\r\n"));
  ASSERT_TRUE(carol->Expect("-ERR 'Permissions Violation for Subscription to \"b.x\"'\r\n"));

  ASSERT_TRUE(Reload(PermissionsConfig("[\"a.>\", \"b.>\"]")));
  ASSERT_TRUE(carol->Send("SUB b.x 2\r\n"));
  ASSERT_TRUE(carol->Ping());
  ASSERT_TRUE(admin->Send("PUB b.x 2\r\nok\r\n"));
  ASSERT_TRUE(admin->Ping());
  Msg msg;
  ASSERT_TRUE(carol->ReadMsg(&msg));
  EXPECT_EQ(msg.sid, "2");
  EXPECT_EQ(msg.payload, "ok");
}

}  // namespace
}  // namespace ringnats::reloadtest
