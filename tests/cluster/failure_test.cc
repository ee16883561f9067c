// Node failure: when a node dies the others drop its interest and keep serving each other;
// when it comes back on the same route port the routes reconnect and its interest spreads
// again.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "harness/free_port.h"

namespace ringnats::clustertest {
namespace {

using harness::RawClient;

class FailureTest : public ClusterTest {
 protected:
  // Three nodes configured as a production cluster usually is: fixed route ports, and each
  // node lists routes to both others (so pairs dial each other and one of each pair of
  // routes is dropped as a duplicate).
  void StartStaticCluster() {
    std::vector<int> ports;
    for (int i = 0; i < 3; ++i) {
      ports.push_back(harness::FreeLoopbackPort());
      ASSERT_GT(ports.back(), 0);
    }
    for (int i = 0; i < 3; ++i) {
      NodeConfig config;
      config.cluster_port = ports[i];
      for (int other = 0; other < 3; ++other) {
        if (other != i) config.routes.push_back(RouteUrl(ports[other]));
      }
      ASSERT_NO_FATAL_FAILURE(StartNode(i, config));
    }
    ASSERT_TRUE(AwaitMesh(AllNodes()));
  }

  // A publisher on node `from` streams numbered messages to subscribers on node `to` and on
  // node `killed`; `killed` is killed with -9 once the first half has been written (so part
  // of it is still on its way), then the second half is written. The subscriber on `to`
  // must get every message once, in order: a dying third node costs the survivors nothing.
  void StreamWhileKilling(int from, int to, int killed) {
    constexpr int kMessages = 20'000;
    const std::string subject = absl::StrFormat("t.kill.%d", killed);
    auto sub = Client(to);
    auto doomed = Client(killed);
    auto pub = Client(from);
    ASSERT_TRUE(sub && doomed && pub);
    ASSERT_TRUE(sub->Send(absl::StrFormat("SUB %s 1\r\n", subject)));
    ASSERT_TRUE(AwaitInterest(*sub, AllNodes()));
    ASSERT_TRUE(doomed->Send(absl::StrFormat("SUB %s 1\r\n", subject)));
    ASSERT_TRUE(AwaitInterest(*doomed, AllNodes()));
    const std::string burst = NumberedBurst(subject, "A", kMessages, 64) + EndMarker(subject, "A");
    const size_t half = burst.size() / 2;
    std::promise<void> first_half_written;
    std::promise<void> killed_done;
    std::future<void> may_go_on = killed_done.get_future();
    ::testing::AssertionResult published = ::testing::AssertionSuccess();
    std::thread publisher([&] {
      published = pub->Send(std::string_view(burst).substr(0, half));
      first_half_written.set_value();
      may_go_on.wait();
      if (published) published = pub->Send(std::string_view(burst).substr(half));
    });
    first_half_written.get_future().wait();
    KillNode(killed);
    killed_done.set_value();
    EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*sub, {"A"}, kMessages, std::chrono::seconds(60)));
    publisher.join();
    EXPECT_TRUE(published);
  }
};

TEST_F(FailureTest, KilledNodeIsDroppedAndRejoinsOnRestart) {
  constexpr int kMessages = 200;
  ASSERT_NO_FATAL_FAILURE(StartStaticCluster());
  auto sub_b = Client(1);
  auto sub_c = Client(2);
  auto pub_a = Client(0);
  auto requester = Client(0, kNoRespondersConnect);
  ASSERT_TRUE(sub_b && sub_c && pub_a && requester);
  ASSERT_TRUE(sub_b->Send("SUB t.x 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*sub_b, AllNodes()));
  ASSERT_TRUE(sub_c->Send("SUB t.c 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*sub_c, AllNodes()));
  bool no_responders = true;
  ASSERT_TRUE(RequestOnce(*requester, "t.c", &no_responders));
  EXPECT_FALSE(no_responders) << "C's subscription is known on A";

  ASSERT_NO_FATAL_FAILURE(KillNode(2));
  // A drops C's interest...
  ASSERT_TRUE(AwaitNoResponders(*requester, "t.c"));
  // ...and A and B keep exchanging messages.
  ASSERT_TRUE(pub_a->Send(NumberedBurst("t.x", "A", kMessages) + EndMarker("t.x", "A")));
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*sub_b, {"A"}, kMessages));

  // C comes back on its route port: its routes and the others' configured ones reconnect.
  ASSERT_NO_FATAL_FAILURE(RestartNode(2));
  ASSERT_TRUE(AwaitMesh(AllNodes()));
  sub_c = Client(2);
  ASSERT_TRUE(sub_c);
  ASSERT_TRUE(sub_c->Send("SUB t.c 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*sub_c, AllNodes()));
  ASSERT_TRUE(pub_a->Send(NumberedBurst("t.c", "A", kMessages) + EndMarker("t.c", "A")));
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*sub_c, {"A"}, kMessages));
  // B's subscriber was untouched by all this and got nothing more.
  EXPECT_TRUE(sub_b->Ping());
}

// Kill -9 under traffic, twice, each time a different node (in a mixed layout, one of each
// kind: nodes 1 and 2 run different servers), each restarted before the next. Every node
// lists every other one, so the survivors' retries to a restarted node arrive as late
// duplicates, possibly while the second stream flows; the route in use must stay.
TEST_F(FailureTest, NodesKilledUnderTrafficCostTheSurvivorsNoMessage) {
  ASSERT_NO_FATAL_FAILURE(StartStaticCluster());
  ASSERT_NO_FATAL_FAILURE(StreamWhileKilling(/*from=*/0, /*to=*/1, /*killed=*/2));
  ASSERT_NO_FATAL_FAILURE(RestartNode(2));
  ASSERT_TRUE(AwaitMesh(AllNodes()));
  ASSERT_NO_FATAL_FAILURE(StreamWhileKilling(/*from=*/0, /*to=*/2, /*killed=*/1));
  ASSERT_NO_FATAL_FAILURE(RestartNode(1));
  ASSERT_TRUE(AwaitMesh(AllNodes()));
}

// The seed pattern: A (the node B and C were given) dies and comes back; B and C, whose
// configured route is to A, reconnect to it.
TEST_F(FailureTest, SeedNodeRestartsAndRejoins) {
  constexpr int kMessages = 100;
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  ASSERT_NO_FATAL_FAILURE(KillNode(0));
  ASSERT_NO_FATAL_FAILURE(RestartNode(0));
  ASSERT_TRUE(AwaitMesh(AllNodes()));
  auto sub_a = Client(0);
  auto pub_b = Client(1);
  auto pub_c = Client(2);
  ASSERT_TRUE(sub_a && pub_b && pub_c);
  ASSERT_TRUE(sub_a->Send("SUB t.> 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*sub_a, AllNodes()));
  ASSERT_TRUE(pub_b->Send(NumberedBurst("t.x", "B", kMessages) + EndMarker("t.x", "B")));
  ASSERT_TRUE(pub_c->Send(NumberedBurst("t.y", "C", kMessages) + EndMarker("t.y", "C")));
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*sub_a, {"B", "C"}, kMessages));
}

}  // namespace
}  // namespace ringnats::clustertest
