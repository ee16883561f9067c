// Delivery across routes: every plain subscriber in the cluster gets each message exactly
// once and in publish order, a queue group spread over nodes gets each message exactly once,
// and a message from a route never goes on to another route.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "cluster/cluster_fixture.h"
#include "cluster/numbered_messages.h"
#include "harness/server_frames.h"

namespace ringnats::clustertest {
namespace {

using harness::RawClient;

const std::vector<std::string> kAllTags = {"A", "B", "C"};

class DeliveryTest : public ClusterTest {
 protected:
  // A client of `index` whose SUB lines `subs` every running node has heard of.
  std::unique_ptr<RawClient> Subscribed(int index, const std::string& subs) {
    std::unique_ptr<RawClient> client = Client(index);
    if (client == nullptr) return nullptr;
    EXPECT_TRUE(client->Send(subs));
    if (::testing::AssertionResult known = AwaitInterest(*client, AllNodes()); !known) {
      ADD_FAILURE() << known.message();
      return nullptr;
    }
    return client;
  }
};

TEST_F(DeliveryTest, EveryPlainSubscriberGetsEveryMessageOnceInPublisherOrder) {
  constexpr int kMessages = 300;
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  // On every node one subscriber to the wildcard and one to the literal subject.
  std::vector<std::unique_ptr<RawClient>> subscribers;
  for (int node : {0, 1, 2}) {
    for (const char* subject : {"t.>", "t.x"}) {
      subscribers.push_back(Subscribed(node, absl::StrFormat("SUB %s 1\r\n", subject)));
      ASSERT_TRUE(subscribers.back());
    }
  }
  std::vector<std::unique_ptr<RawClient>> publishers;
  for (int node : {0, 1, 2}) {
    publishers.push_back(Client(node));
    ASSERT_TRUE(publishers.back());
  }
  // All three bursts are in flight at once, so the routes carry traffic both ways together.
  for (int node : {0, 1, 2}) {
    ASSERT_TRUE(publishers[node]->Send(NumberedBurst("t.x", kAllTags[node], kMessages) +
                                       EndMarker("t.x", kAllTags[node])));
  }
  for (auto& publisher : publishers) ASSERT_TRUE(publisher->Ping());
  for (size_t i = 0; i < subscribers.size(); ++i) {
    EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*subscribers[i], kAllTags, kMessages))
        << "subscriber " << i % 2 << " on node " << kAllTags[i / 2];
  }
  // Nothing more is on its way: a copy relayed through a third node would come late.
  for (int node : {0, 1, 2}) {
    ASSERT_TRUE(publishers[node]->Send(EndMarker("t.x", kAllTags[node])));
  }
  for (size_t i = 0; i < subscribers.size(); ++i) {
    Received late;
    EXPECT_TRUE(ReadUntilEnds(*subscribers[i], kAllTags, &late));
    EXPECT_TRUE(late.numbers.empty())
        << "subscriber " << i % 2 << " on node " << kAllTags[i / 2] << " got late copies";
  }
}

TEST_F(DeliveryTest, QueueGroupAcrossNodesGetsEachMessageOnce) {
  constexpr int kMessages = 600;
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  // Members of `g`: one on A, two on B, one on C. Each also has a plain subscription to the
  // end markers; per publisher they arrive after all of its numbered messages.
  std::vector<std::unique_ptr<RawClient>> members;
  std::vector<int> member_node;
  for (int node : {0, 1, 1, 2}) {
    members.push_back(Subscribed(node, "SUB q.x g 1\r\nSUB q.end 2\r\n"));
    ASSERT_TRUE(members.back());
    member_node.push_back(node);
  }
  auto from_a = Client(0);
  auto from_c = Client(2);
  ASSERT_TRUE(from_a && from_c);
  // The numbered messages go to the group; the end markers to every member plainly.
  ASSERT_TRUE(from_a->Send(NumberedBurst("q.x", "A", kMessages) + EndMarker("q.end", "A")));
  ASSERT_TRUE(from_c->Send(NumberedBurst("q.x", "C", kMessages) + EndMarker("q.end", "C")));
  ASSERT_TRUE(from_a->Ping());
  ASSERT_TRUE(from_c->Ping());

  std::map<std::string, std::set<int>> delivered;  // tag -> numbers, over all members
  std::map<std::string, int> copies;
  std::map<int, int> per_node;
  for (size_t i = 0; i < members.size(); ++i) {
    Received received;
    ASSERT_TRUE(ReadUntilEnds(*members[i], {"A", "C"}, &received))
        << "member " << i << " on node " << kAllTags[member_node[i]];
    for (const auto& [tag, numbers] : received.numbers) {
      copies[tag] += static_cast<int>(numbers.size());
      per_node[member_node[i]] += static_cast<int>(numbers.size());
      delivered[tag].insert(numbers.begin(), numbers.end());
    }
  }
  for (const std::string tag : {"A", "C"}) {
    EXPECT_EQ(copies[tag], kMessages) << "deliveries of " << tag << "'s messages to the group";
    EXPECT_EQ(delivered[tag].size(), static_cast<size_t>(kMessages))
        << "distinct messages of " << tag << " the group got";
  }
  for (const auto& [node, count] : per_node) {
    RecordProperty("node_" + kAllTags[node], count);
  }
}

TEST_F(DeliveryTest, PlainAndQueueSubscribersOnOneRemoteNodeEachGetTheirCopy) {
  constexpr int kMessages = 200;
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  // Everything on C: a plain subscriber and two members of one group, so one RMSG per
  // message from A carries both kinds of interest.
  auto plain = Subscribed(2, "SUB t.m 1\r\nSUB t.m.end 2\r\n");
  auto member1 = Subscribed(2, "SUB t.m g 1\r\nSUB t.m.end 2\r\n");
  auto member2 = Subscribed(2, "SUB t.m g 1\r\nSUB t.m.end 2\r\n");
  ASSERT_TRUE(plain && member1 && member2);
  auto publisher = Client(0);
  ASSERT_TRUE(publisher);
  ASSERT_TRUE(publisher->Send(NumberedBurst("t.m", "A", kMessages) + EndMarker("t.m.end", "A")));
  ASSERT_TRUE(publisher->Ping());

  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*plain, {"A"}, kMessages));
  // The group's share: every message once over the two members, each member's in order.
  std::set<int> numbers;
  int copies = 0;
  for (RawClient* member : {member1.get(), member2.get()}) {
    Received received;
    ASSERT_TRUE(ReadUntilEnds(*member, {"A"}, &received));
    const std::vector<int>& got = received.numbers["A"];
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
    copies += static_cast<int>(got.size());
    numbers.insert(got.begin(), got.end());
  }
  EXPECT_EQ(copies, kMessages);
  EXPECT_EQ(numbers.size(), static_cast<size_t>(kMessages));
}

TEST_F(DeliveryTest, RequestOnOneNodeIsAnsweredFromAnother) {
  constexpr int kRequests = 20;
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  // The responder on C is a queue member (RMSG with reply and queue), the observer on B a
  // plain subscriber (RMSG with reply only).
  auto responder = Subscribed(2, "SUB svc workers 1\r\n");
  auto observer = Subscribed(1, "SUB svc 1\r\n");
  auto requester = Client(0);
  ASSERT_TRUE(responder && observer && requester);
  ASSERT_TRUE(requester->Send("SUB _INBOX.req.* 1\r\n"));
  ASSERT_TRUE(AwaitInterest(*requester, AllNodes()));
  for (int i = 0; i < kRequests; ++i) {
    const std::string inbox = absl::StrFormat("_INBOX.req.%d", i);
    const std::string question = absl::StrFormat("q%d", i);
    ASSERT_TRUE(requester->Send(
        absl::StrFormat("PUB svc %s %d\r\n%s\r\n", inbox, question.size(), question)));
    harness::Msg request;
    ASSERT_TRUE(responder->ReadMsg(&request));
    EXPECT_EQ(request.subject, "svc");
    EXPECT_EQ(request.reply, inbox);
    EXPECT_EQ(request.payload, question);
    harness::Msg seen;
    ASSERT_TRUE(observer->ReadMsg(&seen));
    EXPECT_EQ(seen.reply, inbox);
    EXPECT_EQ(seen.payload, question);
    const std::string answer = absl::StrFormat("a%d", i);
    ASSERT_TRUE(responder->Send(
        absl::StrFormat("PUB %s %d\r\n%s\r\n", request.reply, answer.size(), answer)));
    harness::Msg reply;
    ASSERT_TRUE(requester->ReadMsg(&reply));
    EXPECT_EQ(reply.subject, inbox);
    EXPECT_EQ(reply.payload, answer);
    EXPECT_EQ(reply.reply, "");
  }
}

TEST_F(DeliveryTest, HeadersCrossRoutesIntact) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(3));
  constexpr std::string_view kHeadersConnect =
      R"({"verbose":false,"pedantic":false,"headers":true})";
  auto plain_on_c = Client(2, kHeadersConnect);
  auto member_on_b = Client(1, kHeadersConnect);
  auto publisher = Client(0, kHeadersConnect);
  ASSERT_TRUE(plain_on_c && member_on_b && publisher);
  ASSERT_TRUE(plain_on_c->Send("SUB t.h 7\r\n"));
  ASSERT_TRUE(AwaitInterest(*plain_on_c, AllNodes()));
  ASSERT_TRUE(member_on_b->Send("SUB t.h grp 9\r\n"));
  ASSERT_TRUE(AwaitInterest(*member_on_b, AllNodes()));

  const std::string headers = "NATS/1.0\r\nX-Key: v1\r\nX-Multi: a\r\nX-Multi: b\r\n\r\n";
  const std::string payload = "hello\r\nbody";
  ASSERT_TRUE(publisher->Send(absl::StrFormat("HPUB t.h rep.1 %d %d\r\n%s%s\r\n", headers.size(),
                                              headers.size() + payload.size(), headers, payload)));
  ASSERT_TRUE(publisher->Send(absl::StrFormat("HPUB t.h %d %d\r\n%s%s\r\n", headers.size(),
                                              headers.size() + payload.size(), headers, payload)));
  ASSERT_TRUE(publisher->Ping());
  for (RawClient* client : {plain_on_c.get(), member_on_b.get()}) {
    const std::string sid = client == plain_on_c.get() ? "7" : "9";
    ASSERT_TRUE(
        client->Expect(absl::StrFormat("HMSG t.h %s rep.1 %d %d\r\n%s%s\r\n", sid, headers.size(),
                                       headers.size() + payload.size(), headers, payload),
                       std::chrono::seconds(10)));
    ASSERT_TRUE(client->Expect(absl::StrFormat("HMSG t.h %s %d %d\r\n%s%s\r\n", sid, headers.size(),
                                               headers.size() + payload.size(), headers, payload),
                               std::chrono::seconds(10)));
  }
}

// Two nodes, a subscriber on each, publishers on each: had a node sent a routed message back
// over a route, the publisher's own node would see its messages twice.
TEST_F(DeliveryTest, TwoNodesNothingComesBackOverTheRoute) {
  constexpr int kMessages = 300;
  ASSERT_NO_FATAL_FAILURE(StartCluster(2));
  const std::vector<std::string> tags = {"A", "B"};
  auto sub_a = Subscribed(0, "SUB t.x 1\r\n");
  auto sub_b = Subscribed(1, "SUB t.> 1\r\n");
  auto pub_a = Client(0);
  auto pub_b = Client(1);
  ASSERT_TRUE(sub_a && sub_b && pub_a && pub_b);
  ASSERT_TRUE(pub_a->Send(NumberedBurst("t.x", "A", kMessages) + EndMarker("t.x", "A")));
  ASSERT_TRUE(pub_b->Send(NumberedBurst("t.x", "B", kMessages) + EndMarker("t.x", "B")));
  ASSERT_TRUE(pub_a->Ping());
  ASSERT_TRUE(pub_b->Ping());
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*sub_a, tags, kMessages)) << "subscriber on A";
  EXPECT_TRUE(ExpectEveryMessageOnceInOrder(*sub_b, tags, kMessages)) << "subscriber on B";
  // An echo would trail the originals: one more round, which must bring nothing else.
  ASSERT_TRUE(pub_a->Send(EndMarker("t.x", "A")));
  ASSERT_TRUE(pub_b->Send(EndMarker("t.x", "B")));
  for (RawClient* sub : {sub_a.get(), sub_b.get()}) {
    Received late;
    EXPECT_TRUE(ReadUntilEnds(*sub, tags, &late));
    EXPECT_TRUE(late.numbers.empty()) << "late copies";
  }
}

}  // namespace
}  // namespace ringnats::clustertest
