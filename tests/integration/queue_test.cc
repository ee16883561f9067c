// Queue groups: each message goes to exactly one member of every matching group, and to
// every plain subscriber.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "harness/server_fixture.h"

namespace ringnats::harness {
namespace {

class QueueTest : public ServerTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer()); }

  // Publishes `count` messages with payloads "0", "1", ... on `subject` and waits until the
  // server has processed them.
  void Publish(RawClient& pub, const std::string& subject, int count) {
    std::string burst;
    for (int i = 0; i < count; ++i) {
      const std::string payload = std::to_string(i);
      burst += absl::StrFormat("PUB %s %d\r\n%s\r\n", subject, payload.size(), payload);
    }
    ASSERT_TRUE(pub.Send(burst));
    ASSERT_TRUE(pub.Ping());
  }

  // Every member connection also has a plain subscription to kEndSubject (sid "end"); the
  // publisher sends one message there after the burst. Messages from one publisher reach a
  // connection in publish order, so everything a member gets before the marker is its whole
  // share. Returns sid → number of messages before the marker.
  std::map<std::string, int> CountUntilMarker(RawClient& client) {
    std::map<std::string, int> counts;
    while (true) {
      Msg msg;
      if (!client.ReadMsg(&msg)) {
        ADD_FAILURE() << "no end marker after " << counts.size() << " sids";
        return counts;
      }
      if (msg.sid == "end") {
        return counts;
      }
      ++counts[msg.sid];
    }
  }

  static constexpr char kEndSubject[] = "queue.test.end";
};

TEST_F(QueueTest, OneMemberPerGroupPlusEveryPlainSubscriber) {
  constexpr int kMessages = 300;
  // Three members of g1 and one of g2 on separate connections, plus one plain subscriber.
  std::vector<std::unique_ptr<RawClient>> g1;
  for (int i = 0; i < 3; ++i) {
    g1.push_back(Client());
    ASSERT_TRUE(g1.back());
    ASSERT_TRUE(g1.back()->Send(absl::StrFormat("SUB jobs g1 1\r\nSUB %s end\r\n", kEndSubject)));
    ASSERT_TRUE(g1.back()->Ping());
  }
  auto g2 = Client();
  auto plain = Client();
  auto pub = Client();
  ASSERT_TRUE(g2 && plain && pub);
  ASSERT_TRUE(g2->Send("SUB jobs g2 1\r\n"));
  ASSERT_TRUE(plain->Send("SUB jobs 1\r\n"));
  ASSERT_TRUE(g2->Ping());
  ASSERT_TRUE(plain->Ping());

  ASSERT_NO_FATAL_FAILURE(Publish(*pub, "jobs", kMessages));
  ASSERT_NO_FATAL_FAILURE(Publish(*pub, kEndSubject, 1));

  Msg msg;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(g2->ReadMsg(&msg)) << i;
    EXPECT_EQ(msg.payload, std::to_string(i));
    ASSERT_TRUE(plain->ReadMsg(&msg)) << i;
    EXPECT_EQ(msg.payload, std::to_string(i));
  }
  EXPECT_TRUE(g2->Ping());
  EXPECT_TRUE(plain->Ping());

  int g1_total = 0;
  for (size_t m = 0; m < g1.size(); ++m) {
    std::map<std::string, int> counts = CountUntilMarker(*g1[m]);
    g1_total += counts["1"];
    // Random choice: the chance that one of three members gets nothing of 300 is (2/3)^300.
    EXPECT_GT(counts["1"], 0) << "member " << m;
    EXPECT_EQ(counts.size(), 1u);
    EXPECT_TRUE(g1[m]->Ping());
  }
  EXPECT_EQ(g1_total, kMessages);
}

TEST_F(QueueTest, GroupSpansSubscriptionsWithDifferentSubjects) {
  constexpr int kMessages = 100;
  auto a = Client();
  auto b = Client();
  auto pub = Client();
  ASSERT_TRUE(a && b && pub);
  ASSERT_TRUE(a->Send(absl::StrFormat("SUB orders.* workers 1\r\nSUB %s end\r\n", kEndSubject)));
  ASSERT_TRUE(b->Send(absl::StrFormat("SUB orders.new workers 1\r\nSUB %s end\r\n", kEndSubject)));
  ASSERT_TRUE(a->Ping());
  ASSERT_TRUE(b->Ping());
  ASSERT_NO_FATAL_FAILURE(Publish(*pub, "orders.new", kMessages));
  ASSERT_NO_FATAL_FAILURE(Publish(*pub, "orders.old", kMessages));
  ASSERT_NO_FATAL_FAILURE(Publish(*pub, kEndSubject, 1));
  // orders.new matches both members: one copy per message. orders.old only matches a.
  std::map<std::string, int> from_a = CountUntilMarker(*a);
  std::map<std::string, int> from_b = CountUntilMarker(*b);
  EXPECT_EQ(from_a["1"] + from_b["1"], 2 * kMessages);
  EXPECT_GE(from_a["1"], kMessages);
  EXPECT_TRUE(a->Ping());
  EXPECT_TRUE(b->Ping());
}

TEST_F(QueueTest, SameConnectionMembersShareTheGroup) {
  constexpr int kMessages = 60;
  auto client = Client();
  auto pub = Client();
  ASSERT_TRUE(client && pub);
  ASSERT_TRUE(client->Send("SUB q.x grp 1\r\nSUB q.x grp 2\r\nSUB q.x other 3\r\n"));
  ASSERT_TRUE(client->Ping());
  ASSERT_NO_FATAL_FAILURE(Publish(*pub, "q.x", kMessages));
  std::map<std::string, int> counts;
  int received = 0;
  while (received < 2 * kMessages) {
    Msg msg;
    ASSERT_TRUE(client->ReadMsg(&msg)) << received;
    ++counts[msg.sid];
    ++received;
  }
  EXPECT_EQ(counts["1"] + counts["2"], kMessages);
  EXPECT_EQ(counts["3"], kMessages);
  EXPECT_TRUE(client->Ping());
}

TEST_F(QueueTest, RemainingMemberGetsEverythingAfterUnsub) {
  constexpr int kMessages = 40;
  auto leaving = Client();
  auto staying = Client();
  auto pub = Client();
  ASSERT_TRUE(leaving && staying && pub);
  ASSERT_TRUE(leaving->Send("SUB tasks q 1\r\nUNSUB 1\r\n"));
  ASSERT_TRUE(staying->Send("SUB tasks q 1\r\n"));
  ASSERT_TRUE(leaving->Ping());
  ASSERT_TRUE(staying->Ping());
  ASSERT_NO_FATAL_FAILURE(Publish(*pub, "tasks", kMessages));
  for (int i = 0; i < kMessages; ++i) {
    Msg msg;
    ASSERT_TRUE(staying->ReadMsg(&msg));
    EXPECT_EQ(msg.payload, std::to_string(i));
  }
  EXPECT_TRUE(staying->Ping());
  EXPECT_TRUE(leaving->Ping());
}

TEST_F(QueueTest, QueueSubscriptionWithAutoUnsubscribe) {
  auto member = Client();
  auto pub = Client();
  ASSERT_TRUE(member && pub);
  ASSERT_TRUE(member->Send("SUB once q 1\r\nUNSUB 1 1\r\n"));
  ASSERT_TRUE(member->Ping());
  ASSERT_NO_FATAL_FAILURE(Publish(*pub, "once", 3));
  EXPECT_TRUE(member->Expect("MSG once 1 1\r\n0\r\n"));
  EXPECT_TRUE(member->Ping());
}

}  // namespace
}  // namespace ringnats::harness
