// `cluster { permissions { import, export } }` as nats-server 2.9 enforces them on node A:
// A tells its peers only of local interest it may import (so they never send it anything
// else), and ignores a peer's interest in subjects it may not export (so A sends nothing
// there). Each check pairs a permitted subscription with a refused one made first on the
// same connection: once the permitted one is known across the route, the refused one
// would be too if it had been announced or accepted.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "harness/raw_client.h"

namespace ringnats::clustertest {
namespace {

// The fixture's probes (_probe.*) are allowed both ways, so the mesh can be awaited.
constexpr std::string_view kPermissions =
    "  permissions {\n"
    "    import: [\"in.>\", \"_probe.>\"]\n"
    "    export: [\"out.>\", \"_probe.>\"]\n"
    "  }\n";

class RoutePermissionsTest : public ClusterTest {
 protected:
  // A subscriber on node `to` subscribes to `refused` and then to `permitted`; once messages
  // from node `from` reach `permitted`, a request from `from` on `refused` must find no
  // responders, and of a burst on both subjects only the `permitted` one arrives.
  void ExpectOnlyPermittedCrosses(int from, int to, std::string_view refused,
                                  std::string_view permitted) {
    auto subscriber = Client(to);
    auto publisher = Client(from);
    auto requester = Client(from, kNoRespondersConnect);
    ASSERT_TRUE(subscriber && publisher && requester);
    ASSERT_TRUE(subscriber->Send(absl::StrFormat("SUB %s 1\r\nSUB %s 2\r\n", refused, permitted)));
    ASSERT_TRUE(AwaitInterest(*subscriber, {from}));
    bool no_responders = false;
    ASSERT_TRUE(RequestOnce(*requester, refused, &no_responders));
    EXPECT_TRUE(no_responders) << "interest in " << refused << " crossed the route";
    ASSERT_TRUE(publisher->Send(NumberedBurst(refused, "X", 5) + NumberedBurst(permitted, "P", 20) +
                                EndMarker(permitted, "P")));
    // A message on the refused subject would be read first and fail this.
    EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*subscriber, {"P"}, 20));
  }
};

TEST_F(RoutePermissionsTest, ImportAndExportLimitWhatCrossesTheRoute) {
  ASSERT_NO_FATAL_FAILURE(
      StartNode(0, NodeConfig{.name = "A", .cluster_extra = std::string(kPermissions)}));
  ASSERT_NO_FATAL_FAILURE(
      StartNode(1, NodeConfig{.name = "B", .routes = {RouteUrl(cluster_port(0))}}));
  ASSERT_TRUE(AwaitMesh({0, 1}));
  // Import: A announces only the interest it may import.
  ASSERT_NO_FATAL_FAILURE(ExpectOnlyPermittedCrosses(/*from=*/1, /*to=*/0, "other.a", "in.a"));
  // Export: A takes a peer's interest only in what it may export.
  ASSERT_NO_FATAL_FAILURE(ExpectOnlyPermittedCrosses(/*from=*/0, /*to=*/1, "secret.b", "out.b"));
}

}  // namespace
}  // namespace ringnats::clustertest
