// Interest across routes: a subscription reaches the other nodes and its removal does too;
// gossip completes the mesh from one seed; clients learn the other nodes' client URLs.

#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "harness/server_frames.h"

namespace ringnats::clustertest {
namespace {

using harness::RawClient;
using Clock = std::chrono::steady_clock;

class InterestTest : public ClusterTest {};

TEST_F(InterestTest, UnsubscribeOnOneNodeEndsInterestOnTheOthers) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  auto subscriber = Client(1);
  auto requester = Client(0, kNoRespondersConnect);
  ASSERT_TRUE(subscriber && requester);
  // Before anyone subscribes: no responders.
  bool no_responders = false;
  ASSERT_TRUE(RequestOnce(*requester, "t.nr", &no_responders));
  EXPECT_TRUE(no_responders) << "a request with no subscriber anywhere";

  ASSERT_TRUE(subscriber->Send("SUB t.nr 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*subscriber, AllNodes()));
  ASSERT_TRUE(RequestOnce(*requester, "t.nr", &no_responders));
  EXPECT_FALSE(no_responders) << "B's subscription is known on A";
  harness::Msg request;
  ASSERT_TRUE(subscriber->ReadMsg(&request));
  EXPECT_EQ(request.subject, "t.nr");
  EXPECT_TRUE(request.reply.starts_with("_INBOX.nr.")) << request.reply;

  ASSERT_TRUE(subscriber->Send("UNSUB 1\r\n"));
  ASSERT_TRUE(subscriber->Ping());
  ASSERT_TRUE(AwaitNoResponders(*requester, "t.nr"));
  // Requests that still went out before A heard of the UNSUB were dropped on B.
  ASSERT_TRUE(subscriber->Ping());

  // Interest comes back with a new subscription, also for a queue group.
  ASSERT_TRUE(subscriber->Send("SUB t.nr grp 2\r\n"));
  ASSERT_TRUE(AwaitInterest(*subscriber, AllNodes()));
  ASSERT_TRUE(RequestOnce(*requester, "t.nr", &no_responders));
  EXPECT_FALSE(no_responders);
  ASSERT_TRUE(subscriber->ReadMsg(&request));
  EXPECT_EQ(request.sid, "2");
  ASSERT_TRUE(subscriber->Send("UNSUB 2\r\n"));
  ASSERT_TRUE(subscriber->Ping());
  ASSERT_TRUE(AwaitNoResponders(*requester, "t.nr"));
}

TEST_F(InterestTest, ClosedConnectionEndsItsInterestOnTheOtherNodes) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  auto subscriber = Client(2);
  auto requester = Client(0, kNoRespondersConnect);
  ASSERT_TRUE(subscriber && requester);
  ASSERT_TRUE(subscriber->Send("SUB t.gone 1\r\nSUB t.gone q 2\r\nSUB t.* 3\r\n"));
  ASSERT_TRUE(AwaitInterest(*subscriber, AllNodes()));
  bool no_responders = true;
  ASSERT_TRUE(RequestOnce(*requester, "t.gone", &no_responders));
  EXPECT_FALSE(no_responders);
  subscriber->Close();
  ASSERT_TRUE(AwaitNoResponders(*requester, "t.gone"));
}

// B and C know only A; they must find each other, so they keep talking once A is gone.
TEST_F(InterestTest, GossipedRoutesCarryTrafficWithoutTheSeed) {
  constexpr int kMessages = 100;
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  ASSERT_NO_FATAL_FAILURE(KillNode(0));
  auto subscriber = Client(2);
  auto publisher = Client(1);
  ASSERT_TRUE(subscriber && publisher);
  ASSERT_TRUE(subscriber->Send("SUB t.x 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*subscriber, {1, 2}));
  ASSERT_TRUE(publisher->Send(NumberedBurst("t.x", "B", kMessages) + EndMarker("t.x", "B")));
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*subscriber, {"B"}, kMessages));
}

TEST_F(InterestTest, MoreInterestThanMaxPendingStillFormsTheRoute) {
  // 10,000 subjects are about 190 KB of RS+ lines, sent at once when the route comes up:
  // three times max_pending. Neither nats-server nor ringnats holds routes to max_pending
  // (slow_route_test.cc), so the route forms and stays.
  constexpr int kSubjects = 10'000;
  const std::string small_pending = "max_pending: 65536\nmax_payload: 65536\n";
  ASSERT_NO_FATAL_FAILURE(StartNode(0, NodeConfig{.name = "A", .extra = small_pending}));
  auto subscriber = Client(0);
  ASSERT_TRUE(subscriber);
  std::string subs;
  for (int i = 1; i <= kSubjects; ++i) subs += absl::StrFormat("SUB many.%d %d\r\n", i, i);
  ASSERT_TRUE(subscriber->Send(subs));
  ASSERT_TRUE(subscriber->Ping());

  ASSERT_NO_FATAL_FAILURE(StartNode(
      1, NodeConfig{.name = "B", .routes = {RouteUrl(cluster_port(0))}, .extra = small_pending}));
  ASSERT_TRUE(AwaitMesh({0, 1}));
  ASSERT_TRUE(AwaitInterest(*subscriber, {1}));
  auto publisher = Client(1);
  ASSERT_TRUE(publisher);
  ASSERT_TRUE(publisher->Send("PUB many.1 5\r\nfirst\r\nPUB many.10000 4\r\nlast\r\n"));
  ASSERT_TRUE(publisher->Ping());
  EXPECT_TRUE(subscriber->Expect("MSG many.1 1 5\r\nfirst\r\nMSG many.10000 10000 4\r\nlast\r\n"));
  EXPECT_FALSE(absl::StrContains(node(0).ReadLog(), "Slow Consumer")) << node(0).ReadLog();
}

// "127.0.0.1:PORT" entries of the INFO's connect_urls.
std::vector<std::string> ConnectUrls(const nlohmann::ordered_json& info) {
  std::vector<std::string> urls;
  if (auto it = info.find("connect_urls"); it != info.end() && it->is_array()) {
    for (const auto& url : *it) {
      if (url.is_string()) urls.push_back(url.get<std::string>());
    }
  }
  return urls;
}

bool Contains(const std::vector<std::string>& urls, int port) {
  const std::string wanted = absl::StrFormat("127.0.0.1:%d", port);
  return std::find(urls.begin(), urls.end(), wanted) != urls.end();
}

// A protocol-1 client of `port` (one that gets async INFO), with the INFO it read first.
std::unique_ptr<RawClient> AsyncInfoClient(int port, nlohmann::ordered_json* info) {
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(port);
  if (!client.ok()) {
    ADD_FAILURE() << client.status();
    return nullptr;
  }
  if (!(*client)->ReadInfo(info) ||
      !(*client)->Send(
          "CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nPING\r\n") ||
      !(*client)->Expect("PONG\r\n")) {
    ADD_FAILURE() << "no protocol-1 session on port " << port;
    return nullptr;
  }
  return *std::move(client);
}

// An async INFO may come a little after the routes work (or stop): reads until one
// satisfies `wanted`; fails on anything but INFO.
template <typename Wanted>
::testing::AssertionResult AwaitAsyncInfo(RawClient& client, Wanted wanted) {
  const Clock::time_point deadline = Clock::now() + kInterestTimeout;
  std::string seen;
  while (Clock::now() < deadline) {
    std::string line;
    if (!client.ReadThrough("\r\n", &line, std::chrono::milliseconds(500))) continue;
    seen += line;
    if (!line.starts_with("INFO ")) {
      return ::testing::AssertionFailure() << "unexpected \"" << harness::Escape(line) << "\"";
    }
    const nlohmann::ordered_json info =
        nlohmann::ordered_json::parse(line.substr(5), nullptr, /*allow_exceptions=*/false);
    if (wanted(info)) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "no such async INFO; got \"" << harness::Escape(seen) << "\"";
}

TEST_F(InterestTest, ClientsLearnTheClientUrlsOfOtherNodes) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  // A protocol-1 client of A gets an async INFO when C joins.
  nlohmann::ordered_json info;
  std::unique_ptr<RawClient> early = AsyncInfoClient(node(0).port(), &info);
  ASSERT_TRUE(early);
  EXPECT_TRUE(Contains(ConnectUrls(info), node(1).port())) << info.dump();

  NodeConfig config;
  config.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(2, config));
  ASSERT_TRUE(AwaitMesh(AllNodes()));
  EXPECT_TRUE(AwaitAsyncInfo(*early,
                             [&](const nlohmann::ordered_json& async_info) {
                               return Contains(ConnectUrls(async_info), node(2).port());
                             }))
      << "C's client port " << node(2).port() << " never announced";

  // A client arriving now hears of both other nodes in its first INFO.
  for (int at : {0, 1, 2}) {
    absl::StatusOr<std::unique_ptr<RawClient>> late = RawClient::Connect(node(at).port());
    ASSERT_TRUE(late.ok()) << late.status();
    ASSERT_TRUE((*late)->ReadInfo(&info));
    for (int other : {0, 1, 2}) {
      if (other == at) continue;
      EXPECT_TRUE(Contains(ConnectUrls(info), node(other).port()))
          << "INFO of node " << at << " lacks node " << other << ": " << info.dump();
    }
  }

  // C goes away: A tells its clients, and C's client port leaves connect_urls.
  const int c_port = node(2).port();
  ASSERT_NO_FATAL_FAILURE(KillNode(2));
  EXPECT_TRUE(AwaitAsyncInfo(*early,
                             [&](const nlohmann::ordered_json& async_info) {
                               const std::vector<std::string> urls = ConnectUrls(async_info);
                               return !Contains(urls, c_port) && Contains(urls, node(1).port());
                             }))
      << "C's client port " << c_port << " never withdrawn";
}

// A node entering lame duck mode (SIGUSR2) says so to its routes ("ldm" in its route INFO):
// the other nodes stop offering its client URL to their clients, and its own clients get an
// INFO with "ldm" that offers only the others, as nats-server does. The lame duck period is
// far longer than the test; the node is stopped at the end.
TEST_F(InterestTest, NodeInLameDuckModeIsNoLongerOfferedToClients) {
  ASSERT_NO_FATAL_FAILURE(StartNode(0, NodeConfig{.name = "A"}));
  ASSERT_NO_FATAL_FAILURE(StartNode(
      1, NodeConfig{.name = "B",
                    .routes = {RouteUrl(cluster_port(0))},
                    .extra = "lame_duck_duration: \"60s\"\nlame_duck_grace_period: \"30s\"\n"}));
  ASSERT_TRUE(AwaitMesh({0, 1}));
  const int a_port = node(0).port();
  const int b_port = node(1).port();
  nlohmann::ordered_json info;
  std::unique_ptr<RawClient> client_of_a = AsyncInfoClient(a_port, &info);
  ASSERT_TRUE(client_of_a);
  ASSERT_TRUE(Contains(ConnectUrls(info), b_port)) << info.dump();
  std::unique_ptr<RawClient> client_of_b = AsyncInfoClient(b_port, &info);
  ASSERT_TRUE(client_of_b);

  node(1).Signal(SIGUSR2);
  EXPECT_TRUE(AwaitAsyncInfo(*client_of_a,
                             [&](const nlohmann::ordered_json& async_info) {
                               const std::vector<std::string> urls = ConnectUrls(async_info);
                               return !Contains(urls, b_port) && Contains(urls, a_port);
                             }))
      << "B's client port " << b_port << " still offered by A";
  EXPECT_TRUE(AwaitAsyncInfo(*client_of_b, [&](const nlohmann::ordered_json& async_info) {
    return async_info.value("ldm", false) &&
           ConnectUrls(async_info) ==
               std::vector<std::string>{absl::StrFormat("127.0.0.1:%d", a_port)};
  })) << "B's clients are not sent to A alone";
}

}  // namespace
}  // namespace ringnats::clustertest
