// A cut route: node A's only route to node B runs through a TCP proxy the test controls.
// While the link is cut each node drops the other's interest (a request for a subject only
// the other node subscribes gets 503) and keeps serving its own clients; once it is healed
// the route comes back by itself (A redials its configured route) and the subscriptions that
// outlived the cut are known again, so B's subscriber gets A's messages exactly once and
// nothing published during the cut turns up late.
//
// Two cuts: a reset (both ends see the close at once, as when a peer's host reboots) and a
// silent partition (nothing is closed, every byte is lost), which each node can only notice
// by its keepalive. Routes use the clients' ping_interval and ping_max in nats-server 2.9
// (a `cluster {}` block has no keepalive settings), so the nodes here ping every second and
// every client of the test has to answer: the waits below keep all of them busy.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "cluster/tcp_proxy.h"
#include "harness/raw_client.h"
#include "harness/server_frames.h"

namespace ringnats::clustertest {
namespace {

using harness::RawClient;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using Clock = std::chrono::steady_clock;

// A silent partition is noticed after about ping_interval * (ping_max + 1).
constexpr std::string_view kFastKeepalive = "ping_interval: \"1s\"\nping_max: 2\n";
// How long a node may take to drop the interest of a peer it lost: the keepalive above,
// with room for a loaded machine.
constexpr std::chrono::milliseconds kDropTimeout{15000};
// How long the route may take to come back after the heal: ringnats backs off up to 30 s
// between dials, nats-server redials every second.
constexpr std::chrono::milliseconds kRejoinTimeout{40000};
constexpr std::chrono::milliseconds kPollInterval{50};
constexpr int kMessages = 100;

// The clients of one node. Each answers the node's PINGs only while the test reads from
// it, so Touch() has to reach all of them regularly (ping_interval is 1 s here).
struct NodeClients {
  std::unique_ptr<RawClient> requester;   // kNoRespondersConnect
  std::unique_ptr<RawClient> subscriber;  // SUB t.<node> 1
  std::unique_ptr<RawClient> publisher;   // also publishes the probes for the other node
};

class RouteCutTest : public ClusterTest {
 protected:
  void TearDown() override {
    clients_.clear();
    ClusterTest::TearDown();
    proxy_.reset();
  }

  // B (node 1) with no routes, then A (node 0) whose only route leads through the proxy to
  // B's route port; B never dials A, so every route between them crosses the proxy.
  void StartLinkedPair() {
    NodeConfig b;
    b.extra = kFastKeepalive;
    ASSERT_NO_FATAL_FAILURE(StartNode(1, b));
    absl::StatusOr<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start(cluster_port(1));
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
    NodeConfig a;
    a.extra = kFastKeepalive;
    a.routes = {RouteUrl(proxy_->port())};
    ASSERT_NO_FATAL_FAILURE(StartNode(0, a));
    ASSERT_TRUE(AwaitMesh({0, 1}));
    for (int index : {0, 1}) {
      NodeClients& c = clients_[index];
      c.requester = Client(index, kNoRespondersConnect);
      c.subscriber = Client(index);
      c.publisher = Client(index);
      ASSERT_TRUE(c.requester && c.subscriber && c.publisher);
      ASSERT_TRUE(c.subscriber->Send(absl::StrFormat("SUB %s 1\r\n", Subject(index))));
    }
    ASSERT_TRUE(AwaitInterest(*clients_[1].subscriber, {0}));
    ASSERT_TRUE(AwaitInterest(*clients_[0].subscriber, {1}));
  }

  static std::string Subject(int index) { return index == 0 ? "t.a" : "t.b"; }

  // A round trip on every client, so that none goes stale while the test waits elsewhere.
  AssertionResult Touch() {
    for (auto& [index, c] : clients_) {
      for (RawClient* client : {c.requester.get(), c.subscriber.get(), c.publisher.get()}) {
        if (AssertionResult ponged = client->Ping(); !ponged) {
          return ponged << " (a client of node " << index << ")";
        }
      }
    }
    return AssertionSuccess();
  }

  // Requests from node `on` for the other node's subscriber's subject until one gets a 503.
  AssertionResult AwaitDropped(int on) {
    const Clock::time_point deadline = Clock::now() + kDropTimeout;
    const std::string subject = Subject(1 - on);
    while (true) {
      bool no_responders = false;
      if (AssertionResult asked = RequestOnce(*clients_[on].requester, subject, &no_responders);
          !asked) {
        return asked;
      }
      if (no_responders) return AssertionSuccess();
      if (Clock::now() >= deadline) {
        return AssertionFailure() << "node " << on << " still knows interest in " << subject << " "
                                  << kDropTimeout.count() << " ms into the cut";
      }
      if (AssertionResult touched = Touch(); !touched) return touched;
      std::this_thread::sleep_for(kPollInterval);
    }
  }

  // Succeeds once a probe published on node `from` reaches node `to`'s subscriber. The probe
  // subscription is made on the subscriber connection after its SUB of Subject(to), so
  // once a probe arrives `from` knows that one as well (a route carries a connection's
  // interest in order, the full set first when it connects). Unsubscribes and consumes every
  // probe before it returns.
  AssertionResult AwaitRejoined(int from, int to) {
    RawClient& subscriber = *clients_[to].subscriber;
    RawClient& prober = *clients_[from].publisher;
    const std::string subject = absl::StrFormat("_cut_probe.%d", to);
    if (AssertionResult sent = subscriber.Send(absl::StrFormat("SUB %s p\r\n", subject)); !sent) {
      return sent;
    }
    if (AssertionResult synced = subscriber.Ping(); !synced) return synced;
    const Clock::time_point deadline = Clock::now() + kRejoinTimeout;
    int probes = 0;
    while (true) {
      ++probes;
      if (AssertionResult sent = prober.Send(absl::StrFormat("PUB %s 1\r\nx\r\n", subject));
          !sent) {
        return sent;
      }
      if (AssertionResult ponged = prober.Ping(); !ponged) return ponged;
      harness::Msg msg;
      if (subscriber.ReadMsg(&msg, std::chrono::milliseconds(100))) {
        if (msg.sid != "p") return AssertionFailure() << "unexpected message on sid " << msg.sid;
        break;
      }
      if (subscriber.eof()) return AssertionFailure() << "subscriber closed";
      if (Clock::now() >= deadline) {
        return AssertionFailure() << "no probe from node " << from << " reached node " << to
                                  << " in " << kRejoinTimeout.count() << " ms (" << probes
                                  << " probes, proxy accepted " << proxy_->accepted()
                                  << " connections)";
      }
      if (AssertionResult touched = Touch(); !touched) return touched;
    }
    if (AssertionResult sent = subscriber.Send("UNSUB p\r\n"); !sent) return sent;
    std::string late;
    bool closed = false;
    if (AssertionResult collected = subscriber.PingCollect(&late, &closed); !collected) {
      return collected;
    }
    if (closed) return AssertionFailure() << "subscriber closed";
    harness::FrameSplitter frames;
    frames.Append(late);
    while (std::optional<std::string> frame = frames.Next()) {
      std::optional<harness::Msg> msg = harness::ParseMsg(*frame);
      if (!msg || msg->sid != "p") {
        return AssertionFailure() << "unexpected frame \"" << harness::Escape(*frame) << "\"";
      }
    }
    return AssertionSuccess();
  }

  // Every message of a burst from node `from` reaches node `to`'s subscriber once, in order.
  AssertionResult ExpectDelivered(int from, int to, std::string_view tag) {
    if (AssertionResult sent = clients_[from].publisher->Send(
            NumberedBurst(Subject(to), tag, kMessages) + EndMarker(Subject(to), tag));
        !sent) {
      return sent;
    }
    return ExpectEveryMessageOnceInOrder(*clients_[to].subscriber, {std::string(tag)}, kMessages);
  }

  void CutAndHeal(TcpProxy::CutMode mode) {
    ASSERT_NO_FATAL_FAILURE(StartLinkedPair());
    ASSERT_TRUE(ExpectDelivered(0, 1, "A"));
    ASSERT_TRUE(ExpectDelivered(1, 0, "B"));

    proxy_->Cut(mode);
    ASSERT_TRUE(AwaitDropped(0));
    ASSERT_TRUE(AwaitDropped(1));
    // Both keep serving their own clients.
    ASSERT_TRUE(ExpectDelivered(0, 0, "a"));
    ASSERT_TRUE(ExpectDelivered(1, 1, "b"));
    // Published into the cut: lost, and never delivered once the route is back (the bursts
    // below would fail on an "X" message).
    ASSERT_TRUE(clients_[0].publisher->Send(NumberedBurst(Subject(1), "X", 10)));
    ASSERT_TRUE(clients_[1].publisher->Send(NumberedBurst(Subject(0), "X", 10)));
    ASSERT_TRUE(Touch());

    proxy_->Heal();
    ASSERT_TRUE(AwaitRejoined(0, 1));
    ASSERT_TRUE(AwaitRejoined(1, 0));
    ASSERT_TRUE(ExpectDelivered(0, 1, "A2"));
    ASSERT_TRUE(ExpectDelivered(1, 0, "B2"));
    ASSERT_TRUE(Touch());
  }

  std::unique_ptr<TcpProxy> proxy_;
  std::map<int, NodeClients> clients_;
};

TEST_F(RouteCutTest, ResetLinkDropsInterestAndHeals) {
  CutAndHeal(TcpProxy::CutMode::kReset);
}

TEST_F(RouteCutTest, SilentPartitionIsFoundByPingsAndHeals) {
  CutAndHeal(TcpProxy::CutMode::kSilent);
}

}  // namespace
}  // namespace ringnats::clustertest
