// Route authentication: a node (or a raw connection) without the cluster credentials never
// joins, carries no message and no interest, and the accepting node logs it the way
// nats-server 2.9 does; bcrypt cluster passwords work; a client is turned away from the route
// port.

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_format.h"
#include "auth/credentials.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "harness/raw_client.h"

namespace ringnats::clustertest {
namespace {

using harness::RawClient;

// nats-server 2.9.10's log line for a refused route: `[ERR] 127.0.0.1:PORT - rid:N -
// authentication error`.
constexpr std::string_view kAuthErrorLog =
    R"(\[ERR\] 127\.0\.0\.1:[0-9]+ - rid:[0-9]+ - authentication error$)";
constexpr std::string_view kWrongPassword = "Wrong-route-pw-8d1";

class RouteAuthTest : public ClusterTest {
 protected:
  // A raw connection to node 0's route port that has read the route INFO.
  std::unique_ptr<RawClient> RouteConnection(nlohmann::ordered_json* info = nullptr) {
    absl::StatusOr<std::unique_ptr<RawClient>> raw = RawClient::Connect(cluster_port(0));
    if (!raw.ok()) {
      ADD_FAILURE() << raw.status();
      return nullptr;
    }
    if (::testing::AssertionResult read = (*raw)->ReadInfo(info); !read) {
      ADD_FAILURE() << read.message();
      return nullptr;
    }
    return std::move(*raw);
  }

  // A route CONNECT as a soliciting server sends it.
  static std::string RouteConnect(std::string_view user, std::string_view password,
                                  std::string_view cluster = kClusterName) {
    return absl::StrFormat(
        "CONNECT {\"echo\":true,\"verbose\":false,\"pedantic\":false,\"user\":\"%s\","
        "\"pass\":\"%s\",\"tls_required\":false,\"headers\":true,"
        "\"name\":\"NTESTROUTE000000000000000000000000000000000000000000000\","
        "\"cluster\":\"%s\",\"lnoc\":true}\r\n",
        user, password, cluster);
  }
};

TEST_F(RouteAuthTest, NodesWithWrongOrMissingCredentialsNeverJoin) {
  ASSERT_NO_FATAL_FAILURE(StartNode(0, {}));
  NodeConfig wrong;
  wrong.routes = {RouteUrl(cluster_port(0), kRouteUser, kWrongPassword)};
  ASSERT_NO_FATAL_FAILURE(StartNode(1, wrong));
  ASSERT_TRUE(node(0).WaitForLog(kAuthErrorLog, kInterestTimeout));
  NodeConfig missing;
  missing.routes = {RouteUrl(cluster_port(0), "", "")};
  ASSERT_NO_FATAL_FAILURE(StartNode(2, missing));
  ASSERT_TRUE(node(0).WaitForLogCount(kAuthErrorLog, 2, kInterestTimeout));
  // A node with the right credentials still joins A meanwhile.
  NodeConfig good;
  good.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(3, good));
  ASSERT_TRUE(AwaitMesh({0, 3}));

  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(1, 0));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(2, 0));
  // Nor did A gossip them to D.
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(1, 3));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(2, 3));
}

TEST_F(RouteAuthTest, RawRouteConnectionsAreRefusedAsNatsServerDoes) {
  NodeConfig config;
  config.auth->timeout_seconds = 0.5;
  ASSERT_NO_FATAL_FAILURE(StartNode(0, config));

  nlohmann::ordered_json info;
  auto bad_password = RouteConnection(&info);
  ASSERT_TRUE(bad_password);
  EXPECT_EQ(info.value("proto", 0), 2) << info.dump();
  EXPECT_EQ(info.value("cluster", ""), kClusterName) << info.dump();
  EXPECT_TRUE(info.value("auth_required", false)) << info.dump();
  EXPECT_EQ(info.value("server_name", ""), "A") << info.dump();
  EXPECT_EQ(info.value("port", 0), cluster_port(0)) << info.dump();
  ASSERT_TRUE(bad_password->Send(RouteConnect(kRouteUser, kWrongPassword)));
  EXPECT_TRUE(bad_password->ExpectClosed("-ERR 'Authorization Violation'\r\n"));

  auto no_credentials = RouteConnection();
  ASSERT_TRUE(no_credentials);
  ASSERT_TRUE(no_credentials->Send(RouteConnect("", "")));
  EXPECT_TRUE(no_credentials->ExpectClosed("-ERR 'Authorization Violation'\r\n"));

  // A client (it sends "lang") is told it dialled the wrong port, even with good credentials.
  auto client = RouteConnection();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(absl::StrFormat(
      "CONNECT {\"verbose\":false,\"pedantic\":false,\"lang\":\"c\",\"version\":\"3.4.1\","
      "\"user\":\"%s\",\"pass\":\"%s\"}\r\n",
      kRouteUser, kRoutePassword)));
  EXPECT_TRUE(client->ExpectClosed("-ERR 'attempted to connect to route port'\r\n"));

  auto other_cluster = RouteConnection();
  ASSERT_TRUE(other_cluster);
  ASSERT_TRUE(other_cluster->Send(RouteConnect(kRouteUser, kRoutePassword, "other")));
  EXPECT_TRUE(other_cluster->ExpectClosed(absl::StrFormat(
      "-ERR 'Rejecting connection, cluster name \"other\" does not match \"%s\"'\r\n",
      kClusterName)));

  // Silence past the cluster authorization timeout.
  auto silent = RouteConnection();
  ASSERT_TRUE(silent);
  EXPECT_TRUE(silent->ExpectClosed("-ERR 'Authentication Timeout'\r\n", std::chrono::seconds(5)));

  EXPECT_TRUE(node(0).WaitForLogCount(kAuthErrorLog, 2));

  // The right credentials get the route handshake going: the node answers PING.
  auto good = RouteConnection();
  ASSERT_TRUE(good);
  ASSERT_TRUE(good->Send(RouteConnect(kRouteUser, kRoutePassword) + "PING\r\n"));
  std::string reply;
  EXPECT_TRUE(good->ReadThrough("PONG\r\n", &reply));
}

TEST_F(RouteAuthTest, BcryptClusterPassword) {
  constexpr int kMessages = 100;
  NodeConfig seed;
  seed.auth = RouteAuth{std::string(kRouteUser), std::string(authtest::kHash2a)};
  ASSERT_NO_FATAL_FAILURE(StartNode(0, seed));
  // The joining node sends the plaintext from its route URL.
  NodeConfig joiner = seed;
  joiner.routes = {RouteUrl(cluster_port(0), kRouteUser, authtest::kPassword2a)};
  ASSERT_NO_FATAL_FAILURE(StartNode(1, joiner));
  ASSERT_TRUE(AwaitMesh(AllNodes()));

  auto sub_a = Client(0);
  auto sub_b = Client(1);
  ASSERT_TRUE(sub_a && sub_b);
  ASSERT_TRUE(sub_a->Send("SUB t.x 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*sub_a, AllNodes()));
  ASSERT_TRUE(sub_b->Send("SUB t.x 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*sub_b, AllNodes()));
  auto pub_a = Client(0);
  auto pub_b = Client(1);
  ASSERT_TRUE(pub_a && pub_b);
  ASSERT_TRUE(pub_a->Send(NumberedBurst("t.x", "A", kMessages) + EndMarker("t.x", "A")));
  ASSERT_TRUE(pub_b->Send(NumberedBurst("t.x", "B", kMessages) + EndMarker("t.x", "B")));
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*sub_a, {"A", "B"}, kMessages));
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*sub_b, {"A", "B"}, kMessages));

  // The hash itself is not the password.
  auto hash_as_password = RouteConnection();
  ASSERT_TRUE(hash_as_password);
  ASSERT_TRUE(hash_as_password->Send(RouteConnect(kRouteUser, authtest::kHash2a)));
  EXPECT_TRUE(hash_as_password->ExpectClosed("-ERR 'Authorization Violation'\r\n"));
  EXPECT_TRUE(node(0).WaitForLog(kAuthErrorLog));
}

}  // namespace
}  // namespace ringnats::clustertest
