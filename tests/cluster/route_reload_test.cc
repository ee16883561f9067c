// `cluster { routes }` changed by a reload (SIGHUP), as nats-server 2.9 applies it: a route
// added is dialled at once, a route removed is closed and not dialled again; either way the
// node logs `Reloaded: cluster routes`, and `Removed route <url>` for each one removed.
//
// Without route credentials: nats-server 2.9.10 writes the URL of a removed route with its
// password into that notice (ringnats redacts it), which the fixture counts as a leak.

#include <gtest/gtest.h>

#include <optional>

#include "cluster/cluster_fixture.h"

namespace ringnats::clustertest {
namespace {

using RouteReloadTest = ClusterTest;

TEST_F(RouteReloadTest, RouteAddedByReloadIsDialledAndRemovedOneIsClosed) {
  ASSERT_NO_FATAL_FAILURE(StartNode(1, NodeConfig{.name = "B", .auth = std::nullopt}));
  ASSERT_NO_FATAL_FAILURE(StartNode(0, NodeConfig{.name = "A", .auth = std::nullopt}));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(0, 1));

  NodeConfig with_route = node_config(0);
  with_route.routes = {RouteUrl(cluster_port(1), "", "")};
  ASSERT_TRUE(ReloadNode(0, with_route));
  EXPECT_TRUE(node(0).WaitForLog("Reloaded: cluster routes"));
  ASSERT_TRUE(AwaitMesh({0, 1}));
  // B's subscriber is known on A while the route is up...
  auto subscriber = Client(1);
  auto requester = Client(0, kNoRespondersConnect);
  ASSERT_TRUE(subscriber && requester);
  ASSERT_TRUE(subscriber->Send("SUB t.reload 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*subscriber, {0}));

  NodeConfig without_route = node_config(0);
  without_route.routes.clear();
  ASSERT_TRUE(ReloadNode(0, without_route));
  EXPECT_TRUE(node(0).WaitForLog("Removed route nats-route://"));
  // ...and forgotten once the route is closed; a new subscription does not cross either.
  ASSERT_TRUE(AwaitNoResponders(*requester, "t.reload"));
  ASSERT_NO_FATAL_FAILURE(ExpectIsolated(0, 1));
}

}  // namespace
}  // namespace ringnats::clustertest
