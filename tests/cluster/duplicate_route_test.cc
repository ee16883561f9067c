// A duplicate route that arrives while the route in use carries traffic, as when one node's
// retry of a configured route fires long after the other node dialled it. Two nodes, a
// route between them, clients on each streaming numbered messages to a subscriber on the
// other; then the second node dials the first one too (a route added by reload, through a
// TCP proxy that shows when that connection ends). As nats-server does, the route in use
// stays and the newcomer is closed, and both subscribers get every message once, in order.
//
// The server with the lower id decides between two routes (docs/clustering.md), so both
// orders are run: the late dial by the deciding server, and by the other one.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_format.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "cluster/tcp_proxy.h"
#include "harness/http_get.h"
#include "harness/raw_client.h"

namespace ringnats::clustertest {
namespace {

using harness::RawClient;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using Clock = std::chrono::steady_clock;

constexpr int kMessagesPerChunk = 100;
// Chunks each publisher sends before the late dial, and again after the duplicate closed.
constexpr int kChunksAround = 20;
constexpr std::chrono::milliseconds kStreamTimeout{90000};
constexpr std::chrono::milliseconds kDuplicateTimeout{30000};

// A publisher that streams "<tag>:0", "<tag>:1", ... to `subject` in chunks, each followed by
// a PING round trip (so the stream keeps flowing without piling up), until told to stop;
// then the end marker. Runs on a thread of its own.
class Stream {
 public:
  Stream(std::unique_ptr<RawClient> client, std::string subject, std::string tag)
      : client_(std::move(client)), subject_(std::move(subject)), tag_(std::move(tag)) {}

  void Start() {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        std::string chunk;
        for (int i = 0; i < kMessagesPerChunk; ++i) {
          const std::string payload = absl::StrFormat("%s:%d", tag_, sent_ + i);
          absl::StrAppendFormat(&chunk, "PUB %s %d\r\n%s\r\n", subject_, payload.size(), payload);
        }
        result_ = client_->Send(chunk, kStreamTimeout);
        if (result_) result_ = client_->Ping(kStreamTimeout);
        if (!result_) return;
        sent_ += kMessagesPerChunk;
        chunks_.fetch_add(1);
      }
      result_ = client_->Send(EndMarker(subject_, tag_), kStreamTimeout);
    });
  }

  // Waits until `more` chunks have gone out since the call.
  AssertionResult AwaitChunks(int more) {
    const int target = chunks_.load() + more;
    const Clock::time_point deadline = Clock::now() + kStreamTimeout;
    while (chunks_.load() < target) {
      if (Clock::now() > deadline) return AssertionFailure() << tag_ << "'s stream stalled";
      std::this_thread::yield();
    }
    return AssertionSuccess();
  }

  // Stops the stream after the chunk in flight; the messages sent, or a failure.
  AssertionResult Finish(int* sent) {
    stop_.store(true);
    thread_.join();
    *sent = sent_;
    return result_;
  }

  ~Stream() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::unique_ptr<RawClient> client_;
  const std::string subject_;
  const std::string tag_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> chunks_{0};
  int sent_ = 0;  // written by the thread, read after join
  AssertionResult result_ = AssertionSuccess();
};

class DuplicateRouteTest : public ClusterTest {
 protected:
  std::string ServerId(int index) {
    absl::StatusOr<harness::HttpAnswer> answer =
        harness::HttpGet(node(index).monitor_port(), "/varz");
    if (!answer.ok() || answer->status != 200) {
      ADD_FAILURE() << "/varz of node " << index;
      return "";
    }
    const nlohmann::json varz = nlohmann::json::parse(answer->body, nullptr, false);
    return varz.is_discarded() ? "" : varz.value("server_id", "");
  }

  // Nodes 0 and 1 without routes; `first` (0 or 1: the node with the lower server id when
  // `lower_dials_first`) dials the other by reload. Streams both ways; the other node dials
  // `first` by reload, through a proxy; once that connection ended, the streams go on a
  // while, then every message must have arrived once, in order.
  void StreamAcrossALateDuplicate(bool lower_dials_first) {
    ASSERT_NO_FATAL_FAILURE(StartNode(0, NodeConfig{.name = "A", .extra = "http_port: -1"}));
    ASSERT_NO_FATAL_FAILURE(StartNode(1, NodeConfig{.name = "B", .extra = "http_port: -1"}));
    const std::string id0 = ServerId(0);
    const std::string id1 = ServerId(1);
    ASSERT_FALSE(id0.empty() || id1.empty());
    const int lower = id0 < id1 ? 0 : 1;
    const int first = lower_dials_first ? lower : 1 - lower;
    const int late = 1 - first;

    NodeConfig dialling = node_config(first);
    dialling.routes = {RouteUrl(cluster_port(late))};
    ASSERT_TRUE(ReloadNode(first, dialling));
    ASSERT_TRUE(AwaitMesh({0, 1}));

    std::vector<std::unique_ptr<RawClient>> subscribers;
    for (int index : {0, 1}) {
      subscribers.push_back(Client(index));
      ASSERT_TRUE(subscribers.back());
      ASSERT_TRUE(subscribers.back()->Send(absl::StrFormat("SUB dup.to.%d 1\r\n", index)));
      ASSERT_TRUE(AwaitInterest(*subscribers.back(), {1 - index}));
    }
    std::vector<Received> received(2);
    std::vector<AssertionResult> read(2, AssertionSuccess());
    std::vector<std::thread> readers;
    std::vector<std::unique_ptr<Stream>> streams;
    // On an early return the streams stop and the readers are woken from their wait.
    absl::Cleanup stop_threads = [&] {
      streams.clear();
      for (std::thread& reader : readers) {
        if (!reader.joinable()) continue;
        for (auto& subscriber : subscribers) shutdown(subscriber->fd(), SHUT_RDWR);
        reader.join();
      }
    };
    for (int index : {0, 1}) {
      readers.emplace_back([&, index] {
        read[index] = ReadUntilEnds(*subscribers[index], {"P"}, &received[index], kStreamTimeout);
      });
    }
    for (int index : {0, 1}) {
      // Node `index`'s publisher writes to the subscriber on the other node.
      auto publisher = Client(index);
      ASSERT_TRUE(publisher);
      streams.push_back(std::make_unique<Stream>(std::move(publisher),
                                                 absl::StrFormat("dup.to.%d", 1 - index), "P"));
      streams.back()->Start();
    }
    for (auto& stream : streams) ASSERT_TRUE(stream->AwaitChunks(kChunksAround));

    absl::StatusOr<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start(cluster_port(first));
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    NodeConfig late_dialling = node_config(late);
    late_dialling.routes = {RouteUrl((*proxy)->port())};
    ASSERT_TRUE(ReloadNode(late, late_dialling));
    const Clock::time_point deadline = Clock::now() + kDuplicateTimeout;
    while ((*proxy)->ended() == 0 && Clock::now() < deadline) std::this_thread::yield();
    EXPECT_EQ((*proxy)->accepted(), 1) << "the late route was dialled once";
    EXPECT_EQ((*proxy)->ended(), 1)
        << "the newcomer is closed as a duplicate, the route in use stays";

    for (auto& stream : streams) EXPECT_TRUE(stream->AwaitChunks(kChunksAround));
    std::vector<int> sent(2, 0);
    for (int index : {0, 1}) EXPECT_TRUE(streams[index]->Finish(&sent[index]));
    for (std::thread& reader : readers) reader.join();
    for (int index : {0, 1}) {
      // The subscriber on `index` got what the publisher on the other node sent.
      EXPECT_TRUE(read[index]) << "subscriber on node " << index;
      const std::vector<int>& numbers = received[index].numbers["P"];
      const int expected = sent[1 - index];
      EXPECT_EQ(static_cast<int>(numbers.size()), expected) << "subscriber on node " << index;
      bool in_order = true;
      for (size_t i = 0; i < numbers.size(); ++i)
        in_order = in_order && numbers[i] == static_cast<int>(i);
      EXPECT_TRUE(in_order) << "subscriber on node " << index << " got a gap, copy or reordering";
    }
    ASSERT_TRUE(AwaitMesh({0, 1}));
  }
};

TEST_F(DuplicateRouteTest, LateDialByTheDecidingServerKeepsTheRouteInUseAndLosesNothing) {
  StreamAcrossALateDuplicate(/*lower_dials_first=*/false);
}

TEST_F(DuplicateRouteTest, LateDialByTheOtherServerKeepsTheRouteInUseAndLosesNothing) {
  StreamAcrossALateDuplicate(/*lower_dials_first=*/true);
}

}  // namespace
}  // namespace ringnats::clustertest
