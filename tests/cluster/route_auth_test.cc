// Route authentication: a node (or a raw connection) without the cluster credentials never
// joins, carries no message and no interest, and the accepting node logs it the way
// nats-server 2.9 does; bcrypt cluster passwords work; a client is turned away from the route
// port; a reload that changes the cluster credentials closes routes that no longer pass.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_format.h"
#include "auth/credentials.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "harness/raw_client.h"
#include "harness/server_spec.h"

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

  // Node 0 with cluster credentials `auth` and node 1 joining it with `password`; the mesh
  // awaited. Fatal failures; call under ASSERT_NO_FATAL_FAILURE.
  void StartPair(const RouteAuth& auth, std::string_view password) {
    NodeConfig seed;
    seed.auth = auth;
    ASSERT_NO_FATAL_FAILURE(StartNode(0, seed));
    NodeConfig joiner = seed;
    joiner.routes = {RouteUrl(cluster_port(0), kRouteUser, password)};
    ASSERT_NO_FATAL_FAILURE(StartNode(1, joiner));
    ASSERT_TRUE(AwaitMesh(AllNodes()));
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

// A node without a configured cluster name takes a dialling peer's name, but only from a
// peer that logged in: nats-server checks the credentials before the name, so a stranger
// on the route port cannot rename the cluster (and split it from the nodes that know the
// old name).
TEST_F(RouteAuthTest, ARouteConnectThatFailsToLogInDoesNotRenameADynamicCluster) {
  NodeConfig dynamic;
  dynamic.cluster_name.clear();
  ASSERT_NO_FATAL_FAILURE(StartNode(0, dynamic));

  nlohmann::ordered_json info;
  auto stranger = RouteConnection(&info);
  ASSERT_TRUE(stranger);
  const std::string generated = info.value("cluster", "");
  ASSERT_FALSE(generated.empty()) << info.dump();
  ASSERT_NE(generated, "evil");
  ASSERT_TRUE(stranger->Send(RouteConnect(kRouteUser, kWrongPassword, "evil")));
  EXPECT_TRUE(stranger->ExpectClosed("-ERR 'Authorization Violation'\r\n"));

  nlohmann::ordered_json after;
  auto next = RouteConnection(&after);
  ASSERT_TRUE(next);
  EXPECT_EQ(after.value("cluster", ""), generated) << after.dump();

  // A node that logs in and names the same dynamic cluster still joins.
  NodeConfig joiner = dynamic;
  joiner.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(1, joiner));
  ASSERT_TRUE(AwaitMesh(AllNodes()));
}

// A reload that changes the cluster password while a route's bcrypt check is still running
// (cost 14: about a second) decides that route under the new password: it is refused. Either
// order of CONNECT and reload must end so. nats-server lets such a route finish under the
// old password (its reload only checks routes already registered), a window ringnats
// closes; so this runs where node 0 is ringnats.
TEST_F(RouteAuthTest, ReloadDuringARouteBcryptCheckDecidesUnderTheNewPassword) {
  if (harness::IsNatsServer(NodeSpec(0))) GTEST_SKIP() << "nats-server decides it under the old";
  NodeConfig config;
  // An auth timeout far above the hash's time, even on a busy machine: the verdict decides.
  config.auth = RouteAuth{std::string(kRouteUser), std::string(authtest::kSlowHash), 60};
  ASSERT_NO_FATAL_FAILURE(StartNode(0, config));
  auto in_check = RouteConnection();
  ASSERT_TRUE(in_check);
  ASSERT_TRUE(in_check->Send(RouteConnect(kRouteUser, authtest::kSlowPassword) + "PING\r\n"));
  ASSERT_TRUE(
      ReloadNodeAuth(0, RouteAuth{std::string(kRouteUser), std::string(kRoutePassword), 60}));
  EXPECT_TRUE(
      in_check->ExpectClosed("-ERR 'Authorization Violation'\r\n", std::chrono::seconds(60)));

  // The new password is the one that lets a route in now.
  auto good = RouteConnection();
  ASSERT_TRUE(good);
  ASSERT_TRUE(good->Send(RouteConnect(kRouteUser, kRoutePassword) + "PING\r\n"));
  std::string reply;
  EXPECT_TRUE(good->ReadThrough("PONG\r\n", &reply));
}

TEST_F(RouteAuthTest, BcryptClusterPassword) {
  constexpr int kMessages = 100;
  // The joining node sends the plaintext from its route URL.
  ASSERT_NO_FATAL_FAILURE(StartPair(
      RouteAuth{std::string(kRouteUser), std::string(authtest::kHash2a)}, authtest::kPassword2a));

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

// A reload that changes the cluster password closes the routes this node accepted with the
// old one (`-ERR 'Authorization Violation'`, logged as at connect time), as nats-server's
// reload does; the node that dialled with the old password is refused when it tries again,
// so the two stay apart. Reloading the old password back lets it in again.
TEST_F(RouteAuthTest, ReloadedClusterPasswordClosesRoutesAcceptedWithTheOldOne) {
  ASSERT_NO_FATAL_FAILURE(
      StartPair(RouteAuth{std::string(kRouteUser), std::string(kRoutePassword)}, kRoutePassword));

  ASSERT_TRUE(ReloadNodeAuth(0, RouteAuth{std::string(kRouteUser), std::string(kWrongPassword)}));
  // The route is closed, and the node's reconnect with the old password is refused too.
  ASSERT_TRUE(node(0).WaitForLogCount(kAuthErrorLog, 2, kInterestTimeout));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(1, 0));

  ASSERT_TRUE(ReloadNodeAuth(0, RouteAuth{std::string(kRouteUser), std::string(kRoutePassword)}));
  EXPECT_TRUE(AwaitMesh(AllNodes()));
}

// The same with a bcrypt cluster password: the route is checked again on the auth pool
// against the new hash, and closed when its password does not match it.
TEST_F(RouteAuthTest, ReloadedBcryptClusterPasswordClosesRoutesAcceptedWithTheOldOne) {
  ASSERT_NO_FATAL_FAILURE(StartPair(
      RouteAuth{std::string(kRouteUser), std::string(authtest::kHash2a)}, authtest::kPassword2a));

  ASSERT_TRUE(
      ReloadNodeAuth(0, RouteAuth{std::string(kRouteUser), std::string(authtest::kHash2b)}));
  ASSERT_TRUE(node(0).WaitForLogCount(kAuthErrorLog, 2, kInterestTimeout));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(1, 0));
}

// A reload that keeps the cluster credentials (here: another client setting) leaves the
// routes alone.
TEST_F(RouteAuthTest, ReloadWithTheSameClusterPasswordKeepsTheRoutes) {
  ASSERT_NO_FATAL_FAILURE(
      StartPair(RouteAuth{std::string(kRouteUser), std::string(kRoutePassword)}, kRoutePassword));
  auto sub = Client(1);
  ASSERT_TRUE(sub);
  ASSERT_TRUE(sub->Send("SUB kept.x 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*sub, AllNodes()));

  ASSERT_TRUE(ReloadNodeAuth(0, RouteAuth{std::string(kRouteUser), std::string(kRoutePassword)}));
  auto pub = Client(0);
  ASSERT_TRUE(pub);
  ASSERT_TRUE(pub->Send("PUB kept.x 2\r\nok\r\nPING\r\n"));
  EXPECT_TRUE(sub->Expect("MSG kept.x 1 2\r\nok\r\n"));
  EXPECT_EQ(node(0).ReadLog().find("authentication error"), std::string::npos);
}

}  // namespace
}  // namespace ringnats::clustertest
