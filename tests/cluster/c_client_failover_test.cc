// A client nobody here wrote fails over inside a cluster: the NATS C client (Debian's
// libnats) is given only node A's URL, learns B's client URL from `connect_urls` in INFO and
// C's from the asynchronous INFO A sends when C joins, and when A stops it reconnects to B
// or C by itself (its reconnected callback fires), restores its subscription there and
// keeps publishing and receiving through the cluster.

#include <gtest/gtest.h>
#include <nats/nats.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "c_client/nats_handles.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "harness/raw_client.h"

namespace ringnats::clustertest {
namespace {

using harness::RawClient;
using interop::Connection;
using interop::Msg;
using interop::NatsOk;
using interop::Options;
using interop::Subscription;

constexpr int64_t kTimeoutMs = 10000;
constexpr int kMessages = 100;
// The C client waits this long before it tries a server of its pool a second time.
constexpr int64_t kReconnectWaitMs = 100;
constexpr std::chrono::milliseconds kReconnectTimeout{20000};

// The port of a URL such as "nats://127.0.0.1:4222"; 0 when there is none.
int UrlPort(std::string_view url) {
  const size_t colon = url.rfind(':');
  int port = 0;
  if (colon == std::string_view::npos ||
      !absl::SimpleAtoi(std::string(url.substr(colon + 1)), &port)) {
    return 0;
  }
  return port;
}

// Connection events the client reports on its own threads, for the test thread.
class Events {
 public:
  static void OnDisconnected(natsConnection* /*nc*/, void* closure) {
    static_cast<Events*>(closure)->Count(&Events::disconnected_);
  }
  static void OnReconnected(natsConnection* /*nc*/, void* closure) {
    static_cast<Events*>(closure)->Count(&Events::reconnected_);
  }
  static void OnDiscovered(natsConnection* /*nc*/, void* closure) {
    static_cast<Events*>(closure)->Count(&Events::discovered_);
  }
  // The client's last callback for a connection: after it, none touches this object.
  static void OnClosed(natsConnection* /*nc*/, void* closure) {
    static_cast<Events*>(closure)->Count(&Events::closed_);
  }

  bool AwaitClosed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [this] { return closed_ > 0; });
  }

  bool AwaitDiscovered(int count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return discovered_ >= count; });
  }

  bool AwaitReconnected(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [this] { return reconnected_ > 0; });
  }
  int disconnected() {
    std::lock_guard<std::mutex> lock(mu_);
    return disconnected_;
  }

 private:
  void Count(int Events::*counter) {
    std::lock_guard<std::mutex> lock(mu_);
    ++(this->*counter);
    changed_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable changed_;
  int disconnected_ = 0;
  int reconnected_ = 0;
  int discovered_ = 0;
  int closed_ = 0;
};

class CClientFailoverTest : public ClusterTest {
 protected:
  // Reads `sub` until a message with payload `tag:end`; the ones before it that start with
  // `tag:` must be tag:0 .. tag:<count-1> in order. Messages with the payload "probe" (sent
  // before the burst to find out whether interest has spread) are skipped.
  static ::testing::AssertionResult ReceiveBurst(natsSubscription* sub, std::string_view tag,
                                                 int count) {
    int next = 0;
    while (true) {
      natsMsg* raw = nullptr;
      if (natsStatus s = natsSubscription_NextMsg(&raw, sub, kTimeoutMs); s != NATS_OK) {
        return ::testing::AssertionFailure()
               << "after " << next << " messages of " << tag << ": " << natsStatus_GetText(s);
      }
      Msg msg(raw);
      const std::string_view payload = interop::Payload(msg.get());
      if (payload == "probe") continue;
      if (payload == absl::StrFormat("%s:end", tag)) break;
      if (payload != absl::StrFormat("%s:%d", tag, next)) {
        return ::testing::AssertionFailure()
               << "expected " << tag << ":" << next << ", got \"" << payload << "\"";
      }
      ++next;
    }
    if (next != count) {
      return ::testing::AssertionFailure() << "got " << next << " of " << count << " messages";
    }
    return ::testing::AssertionSuccess();
  }

  // Publishes "probe" on `subject` from `publisher` until `sub` gets one: the subscription
  // is known on the publisher's node.
  static ::testing::AssertionResult AwaitSubscription(RawClient& publisher,
                                                      std::string_view subject,
                                                      natsSubscription* sub) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto sent = publisher.Send(absl::StrFormat("PUB %s 5\r\nprobe\r\n", subject)); !sent) {
        return sent;
      }
      if (auto ponged = publisher.Ping(); !ponged) return ponged;
      natsMsg* raw = nullptr;
      if (natsSubscription_NextMsg(&raw, sub, 100) == NATS_OK) {
        Msg msg(raw);
        return ::testing::AssertionSuccess();
      }
    }
    return ::testing::AssertionFailure() << "no probe on " << subject << " reached the C client";
  }

  // The client ports of the servers `nc` learnt from the cluster.
  static std::set<int> Discovered(natsConnection* nc) {
    char** servers = nullptr;
    int count = 0;
    std::set<int> ports;
    if (!NatsOk(natsConnection_GetDiscoveredServers(nc, &servers, &count),
                "natsConnection_GetDiscoveredServers")) {
      return ports;
    }
    for (int i = 0; i < count; ++i) {
      ports.insert(UrlPort(servers[i]));
      free(servers[i]);
    }
    free(servers);
    return ports;
  }
};

TEST_F(CClientFailoverTest, ReconnectsToAnotherNodeFromConnectUrls) {
  // A and B first; C joins once the client is connected.
  ASSERT_NO_FATAL_FAILURE(StartNode(0, {}));
  NodeConfig seeded;
  seeded.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(1, seeded));
  ASSERT_TRUE(AwaitMesh({0, 1}));

  natsOptions* raw_opts = nullptr;
  RN_ASSERT_NATS_OK(natsOptions_Create(&raw_opts));
  Options opts(raw_opts);
  Events events;
  RN_ASSERT_NATS_OK(natsOptions_SetURL(
      opts.get(), absl::StrFormat("nats://127.0.0.1:%d", node(0).port()).c_str()));
  RN_ASSERT_NATS_OK(natsOptions_SetTimeout(opts.get(), kTimeoutMs));
  RN_ASSERT_NATS_OK(natsOptions_SetMaxReconnect(opts.get(), 200));
  RN_ASSERT_NATS_OK(natsOptions_SetReconnectWait(opts.get(), kReconnectWaitMs));
  RN_ASSERT_NATS_OK(natsOptions_SetDisconnectedCB(opts.get(), &Events::OnDisconnected, &events));
  RN_ASSERT_NATS_OK(natsOptions_SetReconnectedCB(opts.get(), &Events::OnReconnected, &events));
  RN_ASSERT_NATS_OK(natsOptions_SetDiscoveredServersCB(opts.get(), &Events::OnDiscovered, &events));
  RN_ASSERT_NATS_OK(natsOptions_SetClosedCB(opts.get(), &Events::OnClosed, &events));
  natsConnection* raw_nc = nullptr;
  RN_ASSERT_NATS_OK(natsConnection_Connect(&raw_nc, opts.get()));
  Connection nc(raw_nc);
  // The client delivers callbacks on its own thread, also after Destroy returns: close the
  // connection and await its last callback before `events` goes away, however the test ends.
  struct CloseFirst {
    natsConnection* nc;
    Events* events;
    ~CloseFirst() {
      natsConnection_Close(nc);
      EXPECT_TRUE(events->AwaitClosed(std::chrono::milliseconds(kTimeoutMs)))
          << "the C client never reported the connection closed";
    }
  } close_first{nc.get(), &events};

  // B's client URL came with INFO; C's comes with an asynchronous INFO when C joins.
  EXPECT_EQ(Discovered(nc.get()), std::set<int>{node(1).port()});
  ASSERT_NO_FATAL_FAILURE(StartNode(2, seeded));
  ASSERT_TRUE(AwaitMesh(AllNodes()));
  // Other asynchronous INFOs may come first: wait for the one that names C.
  for (int infos = 1; !Discovered(nc.get()).contains(node(2).port()); ++infos) {
    ASSERT_TRUE(events.AwaitDiscovered(infos, kReconnectTimeout)) << "no asynchronous INFO named C";
  }
  EXPECT_EQ(Discovered(nc.get()), (std::set<int>{node(1).port(), node(2).port()}));

  natsSubscription* raw_sub = nullptr;
  RN_ASSERT_NATS_OK(natsConnection_SubscribeSync(&raw_sub, nc.get(), "cc.in"));
  Subscription sub(raw_sub);
  RN_ASSERT_NATS_OK(natsConnection_FlushTimeout(nc.get(), kTimeoutMs));

  // A goes away; the client must move to B or C on its own.
  ASSERT_TRUE(node(0).StopAndCheck());
  ASSERT_TRUE(events.AwaitReconnected(kReconnectTimeout))
      << "the C client never reconnected (disconnected " << events.disconnected() << " times)";
  char url[256] = {};
  RN_ASSERT_NATS_OK(natsConnection_GetConnectedUrl(nc.get(), url, sizeof url));
  const int now_on_port = UrlPort(url);
  ASSERT_TRUE(now_on_port == node(1).port() || now_on_port == node(2).port())
      << "reconnected to " << url;
  const int here = now_on_port == node(1).port() ? 1 : 2;
  const int there = 3 - here;
  ASSERT_TRUE(AwaitMesh({1, 2}));

  // Its subscription was restored on the new node and spreads to the other one.
  std::unique_ptr<RawClient> far_publisher = Client(there);
  ASSERT_TRUE(far_publisher);
  ASSERT_TRUE(AwaitSubscription(*far_publisher, "cc.in", sub.get()));
  ASSERT_TRUE(
      far_publisher->Send(NumberedBurst("cc.in", "F", kMessages) + EndMarker("cc.in", "F")));
  EXPECT_TRUE(ReceiveBurst(sub.get(), "F", kMessages));

  // What it publishes reaches a subscriber on the other node.
  std::unique_ptr<RawClient> far_subscriber = Client(there);
  ASSERT_TRUE(far_subscriber);
  ASSERT_TRUE(far_subscriber->Send("SUB cc.out 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*far_subscriber, {here}));
  for (int i = 0; i < kMessages; ++i) {
    RN_ASSERT_NATS_OK(
        natsConnection_PublishString(nc.get(), "cc.out", absl::StrFormat("C:%d", i).c_str()));
  }
  RN_ASSERT_NATS_OK(natsConnection_PublishString(nc.get(), "cc.out", "C:end"));
  RN_ASSERT_NATS_OK(natsConnection_FlushTimeout(nc.get(), kTimeoutMs));
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*far_subscriber, {"C"}, kMessages));
}

}  // namespace
}  // namespace ringnats::clustertest

// libnats keeps process-wide state (threads, timers); release it once every test is done so
// leak checkers see a clean exit.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (nats_Open(-1) != NATS_OK) return 1;
  const int result = RUN_ALL_TESTS();
  nats_CloseAndWait(ringnats::clustertest::kTimeoutMs);
  return result;
}
