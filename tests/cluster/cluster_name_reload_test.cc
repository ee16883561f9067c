// A reload that changes `cluster { name }`, as nats-server 2.9 handles it: the node logs
// `Cluster name updated to <name>`, routes already up keep carrying messages, clients get the
// new name in INFO, and routes that connect from then on must agree with the new name: a node
// still configured with the old one is refused, one with the new one joins. Runs in every
// cluster layout, so nats-server and ringnats nodes are held to the same behaviour.

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cluster/cluster_fixture.h"
#include "harness/raw_client.h"

namespace ringnats::clustertest {
namespace {

constexpr char kNewName[] = "t-renamed";

class ClusterNameReloadTest : public ClusterTest {};

TEST_F(ClusterNameReloadTest, NewNameForNewRoutesAndClientsRoutesUpKeepGoing) {
  NodeConfig seed;
  seed.name = "A";
  ASSERT_NO_FATAL_FAILURE(StartNode(0, seed));
  NodeConfig joiner = seed;
  joiner.name = "B";
  joiner.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(1, joiner));
  ASSERT_TRUE(AwaitMesh({0, 1}));

  NodeConfig renamed = node_config(0);
  renamed.cluster_name = kNewName;
  ASSERT_TRUE(ReloadNode(0, renamed));
  EXPECT_TRUE(node(0).WaitForLog(std::string("\\[INF\\] Cluster name updated to ") + kNewName));
  EXPECT_TRUE(node(0).WaitForLog("\\[INF\\] Reloaded: cluster$"));

  // The route that was up before the reload still carries messages both ways.
  EXPECT_TRUE(AwaitMesh({0, 1}));

  // A new client learns the new name.
  absl::StatusOr<std::unique_ptr<harness::RawClient>> fresh =
      harness::RawClient::Connect(node(0).port());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  nlohmann::ordered_json info;
  ASSERT_TRUE((*fresh)->ReadInfo(&info));
  EXPECT_EQ(info.value("cluster", ""), kNewName) << info.dump();

  // A node that still has the old name is refused by the renamed one.
  NodeConfig old_name = seed;
  old_name.name = "C";
  old_name.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(2, old_name));
  EXPECT_TRUE(node(0).WaitForLog(std::string("cluster name \"") + std::string(kClusterName) +
                                     "\" does not match \"" + kNewName + "\"",
                                 kInterestTimeout));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(2, 0));

  // One with the new name joins it.
  NodeConfig new_name = seed;
  new_name.name = "D";
  new_name.cluster_name = kNewName;
  new_name.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(3, new_name));
  EXPECT_TRUE(AwaitMesh({0, 3}));
}

// No node has a configured name: each makes one up, and as routes connect they settle on
// one name (nats-server's dynamic cluster name), which every node's clients then see in
// INFO; gossip still completes the mesh.
TEST_F(ClusterNameReloadTest, NodesWithoutANameSettleOnOne) {
  NodeConfig seed;
  seed.name = "A";
  seed.cluster_name.clear();
  ASSERT_NO_FATAL_FAILURE(StartNode(0, seed));
  for (int index : {1, 2}) {
    NodeConfig joiner = seed;
    joiner.name = index == 1 ? "B" : "C";
    joiner.routes = {RouteUrl(cluster_port(0))};
    ASSERT_NO_FATAL_FAILURE(StartNode(index, joiner));
  }
  ASSERT_TRUE(AwaitMesh(AllNodes()));
  std::string agreed;
  for (int index : AllNodes()) {
    auto client = harness::RawClient::Connect(node(index).port());
    ASSERT_TRUE(client.ok()) << client.status();
    nlohmann::ordered_json info;
    ASSERT_TRUE((*client)->ReadInfo(&info));
    const std::string name = info.value("cluster", "");
    EXPECT_FALSE(name.empty()) << "node " << index << ": " << info.dump();
    if (agreed.empty()) agreed = name;
    EXPECT_EQ(name, agreed) << "node " << index << " has another cluster name";
  }
}

}  // namespace
}  // namespace ringnats::clustertest
