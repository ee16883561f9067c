// A slow route, handled as nats-server 2.9 handles it: node A's only route to node B runs
// through a TCP proxy that forwards slowly or not at all, and A's clients publish to a
// subscriber on B faster than the proxy lets through.
//
// nats-server holds only client connections to max_pending. A route past half of it stalls
// the clients publishing into it (as a slow client consumer does); past max_pending it is
// kept; at write_deadline it is closed only if nothing at all of the flush went out, else it
// is logged as a slow consumer and kept. So a route whose peer reads slowly loses nothing,
// and one whose peer stopped reading is closed and redialled.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/strings/str_format.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "cluster/tcp_proxy.h"
#include "harness/http_get.h"
#include "harness/raw_client.h"

namespace ringnats::clustertest {
namespace {

using harness::RawClient;

constexpr std::string_view kSubject = "slow.route";
// Small, so that a node's route socket fills after little and its own queue grows.
constexpr int kProxyReceiveBuffer = 16 * 1024;
// Long enough for a throttled flood on a loaded (or sanitized) machine.
constexpr std::chrono::milliseconds kFloodTimeout{120000};
constexpr std::chrono::milliseconds kRejoinTimeout{40000};

class SlowRouteTest : public ClusterTest {
 protected:
  void TearDown() override {
    if (publishing_.joinable()) {
      // A publisher still blocked in a send (a failed test) gets an error at once instead
      // of waiting out kFloodTimeout.
      if (publisher_ != nullptr) shutdown(publisher_->fd(), SHUT_RDWR);
      publishing_.join();
    }
    publisher_.reset();
    subscriber_.reset();
    ClusterTest::TearDown();
    proxy_.reset();
  }

  // B (node 1) with no routes, then A (node 0), with `a_extra` in its config, whose only
  // route leads through the proxy to B's route port; B never dials A. A subscriber on B,
  // known on A, and a publisher on A.
  void StartThrottledPair(std::string_view a_extra) {
    ASSERT_NO_FATAL_FAILURE(StartNode(1, NodeConfig{}));
    absl::StatusOr<std::unique_ptr<TcpProxy>> proxy =
        TcpProxy::Start(cluster_port(1), kProxyReceiveBuffer);
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
    NodeConfig a;
    a.extra = a_extra;
    a.routes = {RouteUrl(proxy_->port())};
    ASSERT_NO_FATAL_FAILURE(StartNode(0, a));
    ASSERT_TRUE(AwaitMesh({0, 1}));
    subscriber_ = Client(1);
    publisher_ = Client(0);
    ASSERT_TRUE(subscriber_ && publisher_);
    ASSERT_TRUE(subscriber_->Send(absl::StrFormat("SUB %s 1\r\n", kSubject)));
    ASSERT_TRUE(AwaitInterest(*subscriber_, {0}));
  }

  // Publishes `count` numbered messages of about `padding` bytes and the end marker on A,
  // from a thread of its own (the proxy lets them through slowly), then a PING round trip.
  void PublishInBackground(int count, size_t padding) {
    publishing_ = std::thread([this, count, padding] {
      const std::string burst =
          NumberedBurst(kSubject, "A", count, padding) + EndMarker(kSubject, "A");
      published_ = publisher_->Send(burst, kFloodTimeout);
      if (published_) published_ = publisher_->Ping(kFloodTimeout);
    });
  }

  ::testing::AssertionResult FinishPublishing() {
    publishing_.join();
    return published_;
  }

  // Until `done`, reads node `index`'s /routez and keeps the largest pending_size of any
  // route seen; returns it. Only a bound can be asserted on it: a sample may miss a peak.
  int64_t LargestRoutePendingUntil(int index, const std::atomic<bool>& done) {
    int64_t largest = 0;
    while (!done.load()) {
      absl::StatusOr<harness::HttpAnswer> answer =
          harness::HttpGet(node(index).monitor_port(), "/routez");
      if (!answer.ok() || answer->status != 200) {
        ADD_FAILURE() << "/routez: " << (answer.ok() ? answer->body : answer.status().ToString());
        return largest;
      }
      const nlohmann::json routez = nlohmann::json::parse(answer->body, nullptr, false);
      if (routez.is_discarded() || !routez.contains("routes")) {
        ADD_FAILURE() << "/routez: " << answer->body;
        return largest;
      }
      for (const nlohmann::json& route : routez["routes"]) {
        largest = std::max(largest, route.value("pending_size", int64_t{0}));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return largest;
  }

  std::unique_ptr<TcpProxy> proxy_;
  std::unique_ptr<RawClient> subscriber_;
  std::unique_ptr<RawClient> publisher_;
  std::thread publishing_;
  ::testing::AssertionResult published_ = ::testing::AssertionSuccess();
};

// Two messages are more than max_pending: once A's socket is full, the route passes half of
// max_pending with every message and max_pending soon after. nats-server stalls the
// publisher there, so the route's queue stays near max_pending rather than taking the whole
// flood (12 MB), and keeps the route; closing it (as a client) would lose what was queued.
TEST_F(SlowRouteTest, RoutePastMaxPendingIsKeptAndLosesNothing) {
  ASSERT_NO_FATAL_FAILURE(
      StartThrottledPair("max_pending: 256KB\nmax_payload: 256KB\nhttp_port: -1\n"));
  ASSERT_NE(node(0).monitor_port(), 0);
  const int dialled = proxy_->accepted();
  proxy_->Throttle(8u << 20);
  constexpr int kMessages = 60;
  PublishInBackground(kMessages, 200 * 1024);
  std::atomic<bool> received{false};
  int64_t largest_pending = 0;
  std::thread sampler([&] { largest_pending = LargestRoutePendingUntil(0, received); });
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*subscriber_, {"A"}, kMessages, kFloodTimeout));
  received = true;
  sampler.join();
  EXPECT_TRUE(FinishPublishing());
  EXPECT_EQ(proxy_->accepted(), dialled) << "A closed the route and dialled it again";
  EXPECT_EQ(node(0).ReadLog().find("Slow Consumer Detected: MaxPending"), std::string::npos);
  std::cout << "[ cluster ] largest route pending_size seen: " << largest_pending << " bytes\n";
  // Half of max_pending, plus what the publisher's worker may have in flight to the route's
  // (its credit, 256 KiB at least) and a message or two per stall that ran out: about 1 MB
  // at worst on a loaded machine. Without the stall the route takes most of the flood.
  EXPECT_LE(largest_pending, 8 * 256 * 1024) << "the publisher was not stalled";
}

// A flush takes longer than write_deadline but the peer keeps taking bytes: nats-server logs
// the slow consumer and keeps the route. A full socket wakes its writer only once a third of
// its buffer (up to 4 MB here) is free again, so the deadline is long beside that wake-up
// and the flushes (up to half of max_pending) longer still.
TEST_F(SlowRouteTest, RouteThatKeepsTakingBytesOutlivesTheWriteDeadline) {
  ASSERT_NO_FATAL_FAILURE(StartThrottledPair("max_pending: 16MB\nwrite_deadline: \"1s\"\n"));
  const int dialled = proxy_->accepted();
  proxy_->Throttle(4u << 20);
  constexpr int kMessages = 160;
  PublishInBackground(kMessages, 100 * 1024);
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*subscriber_, {"A"}, kMessages, kFloodTimeout));
  EXPECT_TRUE(FinishPublishing());
  EXPECT_EQ(proxy_->accepted(), dialled) << "A closed the route and dialled it again";
  EXPECT_TRUE(node(0).WaitForLog("Slow Consumer Detected: WriteDeadline of 1s exceeded",
                                 std::chrono::milliseconds(0)));
}

// The peer stopped reading: nothing of the flush goes out for write_deadline, so A closes
// the route (its interest is gone there) and keeps serving; once the peer reads again the
// route is dialled anew and carries messages.
TEST_F(SlowRouteTest, RouteThatTakesNothingIsClosedAtTheWriteDeadlineAndComesBack) {
  ASSERT_NO_FATAL_FAILURE(StartThrottledPair("max_pending: 1MB\nwrite_deadline: \"500ms\"\n"));
  const int dialled = proxy_->accepted();
  proxy_->Throttle(0);
  PublishInBackground(80, 100 * 1024);
  EXPECT_TRUE(
      node(0).WaitForLog("Slow Consumer Detected: WriteDeadline of 500ms exceeded", kFloodTimeout));
  std::unique_ptr<RawClient> requester = Client(0, kNoRespondersConnect);
  ASSERT_NE(requester, nullptr);
  EXPECT_TRUE(AwaitNoResponders(*requester, kSubject));
  EXPECT_TRUE(FinishPublishing());

  proxy_->Unthrottle();
  // Whatever of the flood B got before the stop (or after) is not counted: the new route
  // must carry the subscriber's interest and a message again.
  std::unique_ptr<RawClient> fresh = Client(1);
  ASSERT_NE(fresh, nullptr);
  ASSERT_TRUE(fresh->Send("SUB slow.route.after 1\r\n"));
  EXPECT_TRUE(AwaitInterest(*fresh, {0}, kRejoinTimeout));
  EXPECT_GT(proxy_->accepted(), dialled);
}

}  // namespace
}  // namespace ringnats::clustertest
