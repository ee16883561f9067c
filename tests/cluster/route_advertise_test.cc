// What a node tells the others about itself, as nats-server 2.9 does it:
// `cluster { advertise }` is the route address the others learn by gossip and dial, and
// `cluster { no_advertise: true }` keeps the node's client address out of the connect_urls
// the other nodes give their clients.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "cluster/cluster_fixture.h"
#include "cluster/tcp_proxy.h"
#include "harness/free_port.h"
#include "harness/raw_client.h"

namespace ringnats::clustertest {
namespace {

using harness::RawClient;

class RouteAdvertiseTest : public ClusterTest {
 protected:
  void TearDown() override {
    ClusterTest::TearDown();
    proxy_.reset();
  }

  // The connect_urls of the INFO a new client of node `index` reads.
  std::vector<std::string> ConnectUrlsOf(int index) {
    std::vector<std::string> urls;
    absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(node(index).port());
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return urls;
    nlohmann::ordered_json info;
    EXPECT_TRUE((*client)->ReadInfo(&info));
    if (auto it = info.find("connect_urls"); it != info.end() && it->is_array()) {
      for (const auto& url : *it) {
        if (url.is_string()) urls.push_back(url.get<std::string>());
      }
    }
    return urls;
  }

  static bool Lists(const std::vector<std::string>& urls, int port) {
    return std::find(urls.begin(), urls.end(), absl::StrFormat("127.0.0.1:%d", port)) != urls.end();
  }

  std::unique_ptr<TcpProxy> proxy_;
};

// B advertises a proxy in front of its route port and joins through A; A passes B's
// address on to C (the nodes already there dial a newcomer), and C dials it: the proxy.
TEST_F(RouteAdvertiseTest, GossipedRoutesDialTheAdvertisedAddress) {
  ASSERT_NO_FATAL_FAILURE(StartNode(0, NodeConfig{.name = "A"}));
  ASSERT_NO_FATAL_FAILURE(
      StartNode(2, NodeConfig{.name = "C", .routes = {RouteUrl(cluster_port(0))}}));
  ASSERT_TRUE(AwaitMesh({0, 2}));

  // The proxy needs B's route port and B's config the proxy's: B gets a port picked first.
  const int b_port = harness::FreeLoopbackPort();
  ASSERT_GT(b_port, 0);
  absl::StatusOr<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start(b_port);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  proxy_ = std::move(*proxy);
  NodeConfig b;
  b.name = "B";
  b.cluster_port = b_port;
  b.cluster_extra = absl::StrFormat("  advertise: \"127.0.0.1:%d\"\n", proxy_->port());
  b.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(1, b));
  ASSERT_TRUE(AwaitMesh(AllNodes()));
  EXPECT_GE(proxy_->accepted(), 1) << "C never dialled the address B advertises";
}

// B keeps its client address to itself: A's and C's clients are not told of it, while C's
// is passed on as usual.
TEST_F(RouteAdvertiseTest, NoAdvertiseKeepsTheNodeOutOfOtherNodesConnectUrls) {
  ASSERT_NO_FATAL_FAILURE(StartNode(0, NodeConfig{.name = "A"}));
  ASSERT_NO_FATAL_FAILURE(StartNode(1, NodeConfig{.name = "B",
                                                  .routes = {RouteUrl(cluster_port(0))},
                                                  .cluster_extra = "  no_advertise: true\n"}));
  ASSERT_NO_FATAL_FAILURE(
      StartNode(2, NodeConfig{.name = "C", .routes = {RouteUrl(cluster_port(0))}}));
  ASSERT_TRUE(AwaitMesh(AllNodes()));
  // Each node names the other advertising one, so its connect_urls are up to date.
  for (auto [index, other] : {std::pair{0, 2}, std::pair{2, 0}}) {
    const std::vector<std::string> urls = ConnectUrlsOf(index);
    EXPECT_TRUE(Lists(urls, node(other).port())) << "node " << index << " lacks node " << other;
    EXPECT_FALSE(Lists(urls, node(1).port())) << "node " << index << " names B's client port";
  }
}

}  // namespace
}  // namespace ringnats::clustertest
