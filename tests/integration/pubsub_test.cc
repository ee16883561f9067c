// PUB/SUB/UNSUB semantics: delivery, auto-unsubscribe, wildcards, echo, ordering and many
// connections.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "harness/server_fixture.h"

namespace ringnats::harness {
namespace {

class PubSubTest : public ServerTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer()); }
};

TEST_F(PubSubTest, DeliversToSubscriberOnAnotherConnection) {
  auto sub = Client();
  auto pub = Client();
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->Send("SUB foo 1\r\n"));
  ASSERT_TRUE(sub->Ping());
  ASSERT_TRUE(pub->Send("PUB foo 5\r\nhello\r\nPUB foo reply.to 3\r\nabc\r\nPUB bar 1\r\nx\r\n"));
  ASSERT_TRUE(pub->Ping());
  EXPECT_TRUE(sub->Expect("MSG foo 1 5\r\nhello\r\nMSG foo 1 reply.to 3\r\nabc\r\n"));
  EXPECT_TRUE(sub->Ping());
}

TEST_F(PubSubTest, ZeroLengthAndBinaryPayloads) {
  auto client = Client();
  ASSERT_TRUE(client);
  const std::string binary("a\r\nb\0c\r\n\xff", 9);
  ASSERT_TRUE(client->Send("SUB foo 1\r\nPUB foo 0\r\n\r\nPUB foo 9\r\n" + binary + "\r\n"));
  EXPECT_TRUE(client->Expect("MSG foo 1 0\r\n\r\nMSG foo 1 9\r\n" + binary + "\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, LargePayloadUpToDefaultMaxPayload) {
  auto sub = Client();
  auto pub = Client();
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->Send("SUB big 1\r\n"));
  ASSERT_TRUE(sub->Ping());
  std::string payload(1048576, 'x');
  for (size_t i = 0; i < payload.size(); i += 4096) {
    payload[i] = static_cast<char>('a' + (i / 4096) % 26);
  }
  ASSERT_TRUE(pub->Send("PUB big 1048576\r\n" + payload + "\r\n"));
  ASSERT_TRUE(pub->Ping());
  Msg msg;
  ASSERT_TRUE(sub->ReadMsg(&msg));
  EXPECT_EQ(msg.subject, "big");
  EXPECT_TRUE(msg.payload == payload) << "payload differs";
}

TEST_F(PubSubTest, ControlLinesAndPayloadSurviveByteByByteDelivery) {
  auto client = Client();
  ASSERT_TRUE(client);
  const std::string input = "SUB foo.bar 7\r\nPUB foo.bar rep 5\r\nhe\r\no\r\n";
  for (const char c : input) {
    ASSERT_TRUE(client->Send(std::string(1, c)));
  }
  EXPECT_TRUE(client->Expect("MSG foo.bar 7 rep 5\r\nhe\r\no\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, VerbsAreCaseInsensitiveAndSeparatorsFlexible) {
  auto client = Client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(
      client->Send("sub foo 1\r\nSub\tbar\t2\r\npub foo 1\r\na\r\n"
                   "Pub  bar   1  \r\nb\r\nPUB foo 1\nc\r\nunsub 1\r\nPUB foo 1\r\nd\r\n"));
  EXPECT_TRUE(client->Expect("MSG foo 1 1\r\na\r\nMSG bar 2 1\r\nb\r\nMSG foo 1 1\r\nc\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, UnsubStopsDelivery) {
  auto sub = Client();
  auto pub = Client();
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->Send("SUB foo 1\r\n"));
  ASSERT_TRUE(sub->Ping());
  ASSERT_TRUE(pub->Send("PUB foo 1\r\na\r\n"));
  ASSERT_TRUE(pub->Ping());
  ASSERT_TRUE(sub->Expect("MSG foo 1 1\r\na\r\n"));
  ASSERT_TRUE(sub->Send("UNSUB 1\r\n"));
  ASSERT_TRUE(sub->Ping());
  ASSERT_TRUE(pub->Send("PUB foo 1\r\nb\r\n"));
  ASSERT_TRUE(pub->Ping());
  EXPECT_TRUE(sub->Ping());
}

TEST_F(PubSubTest, UnsubWithMaxDeliversExactlyMax) {
  auto sub = Client();
  auto pub = Client();
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->Send("SUB foo 1\r\nUNSUB 1 2\r\n"));
  ASSERT_TRUE(sub->Ping());
  ASSERT_TRUE(pub->Send("PUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\n"));
  ASSERT_TRUE(pub->Ping());
  EXPECT_TRUE(sub->Expect("MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\n"));
  EXPECT_TRUE(sub->Ping());
  // The subscription is gone, so the sid can be used again.
  ASSERT_TRUE(sub->Send("SUB foo 1\r\n"));
  ASSERT_TRUE(sub->Ping());
  ASSERT_TRUE(pub->Send("PUB foo 1\r\nd\r\n"));
  ASSERT_TRUE(pub->Ping());
  EXPECT_TRUE(sub->Expect("MSG foo 1 1\r\nd\r\n"));
}

TEST_F(PubSubTest, UnsubMaxCountsMessagesAlreadyDelivered) {
  auto client = Client();
  ASSERT_TRUE(client);
  // Two delivered, then UNSUB 1 3: one more.
  ASSERT_TRUE(
      client->Send("SUB foo 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nUNSUB 1 3\r\n"
                   "PUB foo 1\r\nc\r\nPUB foo 1\r\nd\r\n"));
  EXPECT_TRUE(client->Expect("MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\nMSG foo 1 1\r\nc\r\n"));
  EXPECT_TRUE(client->Ping());
  // Two delivered, then UNSUB 2 2 (already reached): removed at once.
  ASSERT_TRUE(
      client->Send("SUB bar 2\r\nPUB bar 1\r\na\r\nPUB bar 1\r\nb\r\nUNSUB 2 2\r\n"
                   "PUB bar 1\r\nc\r\n"));
  EXPECT_TRUE(client->Expect("MSG bar 2 1\r\na\r\nMSG bar 2 1\r\nb\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, UnsubWithZeroOrInvalidMaxRemovesAtOnce) {
  auto client = Client(R"({"verbose":true})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(
      client->Send("SUB a 1\r\nUNSUB 1 0\r\nSUB b 2\r\nUNSUB 2 abc\r\nSUB c 3\r\n"
                   "UNSUB 3 -1\r\nPUB a 0\r\n\r\nPUB b 0\r\n\r\nPUB c 0\r\n\r\n"));
  std::string nine_oks;
  for (int i = 0; i < 9; ++i) {
    nine_oks += "+OK\r\n";
  }
  EXPECT_TRUE(client->Expect(nine_oks));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, UnsubOfUnknownSidIsNotAnError) {
  auto client = Client(R"({"verbose":true})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("UNSUB 99\r\nUNSUB 98 5\r\n"));
  EXPECT_TRUE(client->Expect("+OK\r\n+OK\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, TwoSubscriptionsOnOneSubjectEachGetACopy) {
  auto sub = Client();
  auto pub = Client();
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->Send("SUB foo 1\r\nSUB foo 2\r\nSUB foo q 3\r\n"));
  ASSERT_TRUE(sub->Ping());
  ASSERT_TRUE(pub->Send("PUB foo 2\r\nhi\r\n"));
  ASSERT_TRUE(pub->Ping());
  std::multiset<std::string> sids;
  for (int i = 0; i < 3; ++i) {
    Msg msg;
    ASSERT_TRUE(sub->ReadMsg(&msg));
    EXPECT_EQ(msg.payload, "hi");
    sids.insert(msg.sid);
  }
  EXPECT_EQ(sids, (std::multiset<std::string>{"1", "2", "3"}));
  EXPECT_TRUE(sub->Ping());
}

TEST_F(PubSubTest, ReusedSidIsIgnoredAndKeepsTheFirstSubscription) {
  auto client = Client(R"({"verbose":true})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB foo 1\r\nSUB bar 1\r\n"));
  EXPECT_TRUE(client->Expect("+OK\r\n+OK\r\n"));
  ASSERT_TRUE(client->Send("CONNECT {\"verbose\":false}\r\nPUB bar 1\r\na\r\nPUB foo 1\r\nb\r\n"));
  EXPECT_TRUE(client->Expect("MSG foo 1 1\r\nb\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, SidsAreArbitraryTokens) {
  auto client = Client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB foo abc.DEF-1\r\nPUB foo 1\r\nx\r\n"));
  EXPECT_TRUE(client->Expect("MSG foo abc.DEF-1 1\r\nx\r\n"));
  EXPECT_TRUE(client->Ping());
}

struct WildcardCase {
  const char* subscription;
  std::vector<std::string> matching;
  std::vector<std::string> not_matching;
};

class WildcardTest : public PubSubTest, public ::testing::WithParamInterface<WildcardCase> {};

TEST_P(WildcardTest, MatchesExactlyTheRightSubjects) {
  const WildcardCase& c = GetParam();
  auto sub = Client();
  auto pub = Client();
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->Send(absl::StrFormat("SUB %s 1\r\n", c.subscription)));
  ASSERT_TRUE(sub->Ping());
  std::string published;
  for (const std::string& subject : c.not_matching) {
    published += absl::StrFormat("PUB %s 1\r\nn\r\n", subject);
  }
  std::string expected;
  for (const std::string& subject : c.matching) {
    published += absl::StrFormat("PUB %s 1\r\ny\r\n", subject);
    expected += absl::StrFormat("MSG %s 1 1\r\ny\r\n", subject);
  }
  ASSERT_TRUE(pub->Send(published));
  ASSERT_TRUE(pub->Ping());
  EXPECT_TRUE(sub->Expect(expected));
  EXPECT_TRUE(sub->Ping());
}

INSTANTIATE_TEST_SUITE_P(
    Subjects, WildcardTest,
    ::testing::Values(
        WildcardCase{"foo.*", {"foo.bar", "foo.baz"}, {"foo", "foo.bar.baz", "bar.foo"}},
        WildcardCase{"foo.>", {"foo.bar", "foo.bar.baz", "foo.a.b.c.d"}, {"foo", "bar.foo"}},
        WildcardCase{"*.bar.*", {"a.bar.c", "foo.bar.baz"}, {"a.bar", "a.bar.c.d", "a.baz.c"}},
        WildcardCase{"foo.*.>", {"foo.a.b", "foo.a.b.c"}, {"foo.a", "foo"}},
        WildcardCase{">", {"a", "a.b", "foo.bar.baz"}, {}},
        WildcardCase{"*", {"a", "foo"}, {"a.b"}},
        WildcardCase{"foo*.bar", {"foo*.bar"}, {"foox.bar", "foo.bar"}},
        WildcardCase{"f>", {"f>"}, {"f.x", "fx"}},
        WildcardCase{"Foo.Bar", {"Foo.Bar"}, {"foo.bar", "FOO.BAR"}}));

TEST_F(PubSubTest, WildcardAndLiteralSubscriptionsBothMatch) {
  auto client = Client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(
      client->Send("SUB foo.bar 1\r\nSUB foo.* 2\r\nSUB foo.> 3\r\nSUB > 4\r\n"
                   "PUB foo.bar 1\r\nx\r\n"));
  std::multiset<std::string> sids;
  for (int i = 0; i < 4; ++i) {
    Msg msg;
    ASSERT_TRUE(client->ReadMsg(&msg));
    EXPECT_EQ(msg.subject, "foo.bar");
    sids.insert(msg.sid);
  }
  EXPECT_EQ(sids, (std::multiset<std::string>{"1", "2", "3", "4"}));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, VerboseAcknowledgesEveryOperation) {
  auto client = Client(R"({"verbose":true,"pedantic":false})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB foo 1\r\nPUB foo 1\r\na\r\nUNSUB 1\r\nPUB foo 1\r\nb\r\n"));
  EXPECT_TRUE(client->Expect("+OK\r\n+OK\r\nMSG foo 1 1\r\na\r\n+OK\r\n+OK\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, PedanticInvalidPublishSubjectIsReportedButStillRouted) {
  auto client = Client(R"({"verbose":false,"pedantic":true})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\n"));
  EXPECT_TRUE(client->Expect("-ERR 'Invalid Publish Subject'\r\nMSG foo.* 1 2\r\nhi\r\n"));
  ASSERT_TRUE(client->Send("SUB > 2\r\nPUB foo..bar 1\r\na\r\nPUB .foo 1\r\nb\r\n"));
  EXPECT_TRUE(
      client->Expect("-ERR 'Invalid Publish Subject'\r\n"
                     "-ERR 'Invalid Publish Subject'\r\n"));
  EXPECT_TRUE(client->Ping());
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(PubSubTest, PedanticVerboseSendsErrorThenOk) {
  auto client = Client(R"({"verbose":true,"pedantic":true})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("PUB foo.> 1\r\na\r\n"));
  EXPECT_TRUE(client->Expect("-ERR 'Invalid Publish Subject'\r\n+OK\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, NonPedanticWildcardPublishIsSilentlyRouted) {
  auto client = Client(R"({"verbose":false,"pedantic":false})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\n"));
  EXPECT_TRUE(client->Expect("MSG foo.* 1 2\r\nhi\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, InvalidSubscriptionSubjectIsRejectedAndConnectionStays) {
  auto client = Client();
  ASSERT_TRUE(client);
  for (const char* subject : {"foo..bar", "foo.>.bar", ".foo", "foo.", ".", ">.foo"}) {
    SCOPED_TRACE(subject);
    ASSERT_TRUE(client->Send(absl::StrFormat("SUB %s 1\r\n", subject)));
    EXPECT_TRUE(client->Expect("-ERR 'Invalid Subject'\r\n"));
  }
  // No subscription was created: sid 1 is still free.
  ASSERT_TRUE(client->Send("SUB foo 1\r\nPUB foo 1\r\na\r\n"));
  EXPECT_TRUE(client->Expect("MSG foo 1 1\r\na\r\n"));
  EXPECT_TRUE(client->Ping());
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(PubSubTest, InvalidSubjectInVerboseModeGetsNoOk) {
  auto client = Client(R"({"verbose":true})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB foo..bar 1\r\n"));
  EXPECT_TRUE(client->Expect("-ERR 'Invalid Subject'\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, ReservedReplyPrefixIsAPermissionsViolation) {
  auto client = Client(R"({"verbose":true})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB foo 1\r\nPUB foo _R_.x 1\r\na\r\nPUB foo $JS.ACK.x 1\r\nb\r\n"));
  EXPECT_TRUE(
      client->Expect("+OK\r\n-ERR 'Permissions Violation for Publish with Reply of \"_R_.x\"'\r\n"
                     "-ERR 'Permissions Violation for Publish with Reply of \"$JS.ACK.x\"'\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(PubSubTest, EchoFalseSkipsOwnSubscriptionsOnly) {
  auto self = Client(R"({"verbose":false,"echo":false})");
  auto other = Client();
  ASSERT_TRUE(self && other);
  ASSERT_TRUE(self->Send("SUB foo 1\r\n"));
  ASSERT_TRUE(other->Send("SUB foo 9\r\n"));
  ASSERT_TRUE(self->Ping());
  ASSERT_TRUE(other->Ping());
  ASSERT_TRUE(self->Send("PUB foo 1\r\na\r\n"));
  ASSERT_TRUE(self->Ping());
  ASSERT_TRUE(other->Expect("MSG foo 9 1\r\na\r\n"));
  // Messages from others still reach the echo=false connection.
  ASSERT_TRUE(other->Send("PUB foo 1\r\nb\r\n"));
  EXPECT_TRUE(other->Expect("MSG foo 9 1\r\nb\r\n"));
  EXPECT_TRUE(self->Expect("MSG foo 1 1\r\nb\r\n"));
  EXPECT_TRUE(self->Ping());
}

TEST_F(PubSubTest, EchoFalseWorksWithProtocolZero) {
  auto self = Client(R"({"verbose":false,"echo":false,"protocol":0})");
  ASSERT_TRUE(self);
  ASSERT_TRUE(self->Send("SUB foo 1\r\nPUB foo 1\r\na\r\n"));
  EXPECT_TRUE(self->Ping());
}

TEST_F(PubSubTest, EchoFalseQueueMemberIsSkippedForOwnMessages) {
  auto self = Client(R"({"verbose":false,"echo":false})");
  auto other = Client();
  ASSERT_TRUE(self && other);
  ASSERT_TRUE(self->Send("SUB work q 1\r\n"));
  ASSERT_TRUE(other->Send("SUB work q 2\r\n"));
  ASSERT_TRUE(self->Ping());
  ASSERT_TRUE(other->Ping());
  constexpr int kMessages = 50;
  std::string burst;
  std::string expected;
  for (int i = 0; i < kMessages; ++i) {
    burst += absl::StrFormat("PUB work %d\r\n%d\r\n", std::to_string(i).size(), i);
    expected += absl::StrFormat("MSG work 2 %d\r\n%d\r\n", std::to_string(i).size(), i);
  }
  ASSERT_TRUE(self->Send(burst));
  ASSERT_TRUE(self->Ping());
  EXPECT_TRUE(other->Expect(expected));
  EXPECT_TRUE(other->Ping());
}

TEST_F(PubSubTest, EchoFalseSoleQueueMemberGetsNothingFromItself) {
  auto self = Client(R"({"verbose":false,"echo":false})");
  auto other = Client();
  ASSERT_TRUE(self && other);
  ASSERT_TRUE(self->Send("SUB work q 1\r\nPUB work 1\r\na\r\n"));
  ASSERT_TRUE(self->Ping());
  ASSERT_TRUE(other->Send("PUB work 1\r\nb\r\n"));
  ASSERT_TRUE(other->Ping());
  EXPECT_TRUE(self->Expect("MSG work 1 1\r\nb\r\n"));
  EXPECT_TRUE(self->Ping());
}

// One publisher, subscribers on separate connections (with several workers they live on
// different cores): every subscriber sees every message in publish order.
TEST_F(PubSubTest, PerPublisherOrderIsPreservedForEverySubscriber) {
  constexpr int kSubscribers = 6;
  constexpr int kMessages = 2000;
  std::vector<std::unique_ptr<RawClient>> subs;
  for (int i = 0; i < kSubscribers; ++i) {
    subs.push_back(Client());
    ASSERT_TRUE(subs.back());
    ASSERT_TRUE(subs.back()->Send(i % 2 == 0 ? "SUB order.x 1\r\n" : "SUB order.* 1\r\n"));
    ASSERT_TRUE(subs.back()->Ping());
  }
  auto pub = Client();
  ASSERT_TRUE(pub);
  std::string burst;
  for (int i = 0; i < kMessages; ++i) {
    const std::string payload = std::to_string(i);
    burst += absl::StrFormat("PUB order.x %d\r\n%s\r\n", payload.size(), payload);
  }
  ASSERT_TRUE(pub->Send(burst));
  ASSERT_TRUE(pub->Ping());
  for (int s = 0; s < kSubscribers; ++s) {
    for (int i = 0; i < kMessages; ++i) {
      Msg msg;
      ASSERT_TRUE(subs[s]->ReadMsg(&msg)) << "subscriber " << s << " message " << i;
      ASSERT_EQ(msg.payload, std::to_string(i)) << "subscriber " << s;
    }
    EXPECT_TRUE(subs[s]->Ping());
  }
}

TEST_F(PubSubTest, FiftyConnectionsEachSubscribeAndReceive) {
  constexpr int kConnections = 50;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(Client());
    ASSERT_TRUE(clients.back()) << i;
    ASSERT_TRUE(clients.back()->Send(absl::StrFormat("SUB many.%d 1\r\nSUB many.all 2\r\n", i)));
  }
  for (auto& client : clients) {
    ASSERT_TRUE(client->Ping());
  }
  // Every connection publishes once to its right neighbour and once to everybody.
  for (int i = 0; i < kConnections; ++i) {
    const int target = (i + 1) % kConnections;
    const std::string payload = std::to_string(i);
    ASSERT_TRUE(clients[i]->Send(
        absl::StrFormat("PUB many.%d %d\r\n%s\r\n", target, payload.size(), payload)));
  }
  ASSERT_TRUE(clients[0]->Send("PUB many.all 3\r\nall\r\n"));
  for (auto& client : clients) {
    ASSERT_TRUE(client->Sync());
  }
  for (int i = 0; i < kConnections; ++i) {
    const int from = (i + kConnections - 1) % kConnections;
    std::multiset<std::string> got;
    for (int n = 0; n < 2; ++n) {
      Msg msg;
      ASSERT_TRUE(clients[i]->ReadMsg(&msg)) << "connection " << i;
      got.insert(msg.subject + " " + msg.sid + " " + msg.payload);
    }
    const std::multiset<std::string> want = {absl::StrFormat("many.%d 1 %d", i, from),
                                             "many.all 2 all"};
    EXPECT_EQ(got, want) << "connection " << i;
    EXPECT_TRUE(clients[i]->Ping());
  }
}

}  // namespace
}  // namespace ringnats::harness
