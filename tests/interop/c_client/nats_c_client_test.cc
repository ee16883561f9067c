// The NATS C client (libnats, as Debian ships it) against the server under test, which comes
// from RINGNATS_SERVER / RINGNATS_SERVER_ARGS (nats-server when unset). Nothing here was
// written with ringnats in mind: the client's own expectations are the test.

#include <nats/nats.h>

#include <atomic>
#include <cstdlib>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "c_client/message_collector.h"
#include "c_client/nats_handles.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"

namespace ringnats::interop {
namespace {

constexpr int64_t kTimeoutMs = kWaitTimeout.count();

int Len(std::string_view text) { return static_cast<int>(text.size()); }

// Replies to every request with the request's own payload.
void EchoResponder(natsConnection* nc, natsSubscription* /*sub*/, natsMsg* msg,
                   void* /*closure*/) {
  Msg owned(msg);
  if (natsMsg_GetReply(msg) != nullptr) {
    natsConnection_Publish(nc, natsMsg_GetReply(msg), natsMsg_GetData(msg),
                           natsMsg_GetDataLength(msg));
  }
}

class NatsCClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness::ServerOptions options;
    options.spec = harness::ServerUnderTest();
    auto server = harness::ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << harness::Describe(options.spec) << ": " << server.status();
    server_ = *std::move(server);
    url_ = absl::StrFormat("nats://127.0.0.1:%d", server_->port());
  }

  // A connection that fails instead of reconnecting, so a server that drops it is noticed.
  void Connect(Connection* out, bool no_echo = false, natsConnectionHandler closed_cb = nullptr,
               void* closed_closure = nullptr) {
    natsOptions* raw_opts = nullptr;
    RN_ASSERT_NATS_OK(natsOptions_Create(&raw_opts));
    Options opts(raw_opts);
    RN_ASSERT_NATS_OK(natsOptions_SetURL(opts.get(), url_.c_str()));
    RN_ASSERT_NATS_OK(natsOptions_SetAllowReconnect(opts.get(), false));
    RN_ASSERT_NATS_OK(natsOptions_SetTimeout(opts.get(), kTimeoutMs));
    RN_ASSERT_NATS_OK(natsOptions_SetNoEcho(opts.get(), no_echo));
    if (closed_cb != nullptr) {
      RN_ASSERT_NATS_OK(natsOptions_SetClosedCB(opts.get(), closed_cb, closed_closure));
    }
    natsConnection* nc = nullptr;
    RN_ASSERT_NATS_OK(natsConnection_Connect(&nc, opts.get()));
    out->reset(nc);
  }

  static void SubscribeSync(Subscription* out, natsConnection* nc, const char* subject) {
    natsSubscription* sub = nullptr;
    RN_ASSERT_NATS_OK(natsConnection_SubscribeSync(&sub, nc, subject));
    out->reset(sub);
  }

  static void Subscribe(Subscription* out, natsConnection* nc, const char* subject,
                        natsMsgHandler handler, void* closure) {
    natsSubscription* sub = nullptr;
    RN_ASSERT_NATS_OK(natsConnection_Subscribe(&sub, nc, subject, handler, closure));
    out->reset(sub);
  }

  static void NextMsg(Msg* out, natsSubscription* sub) {
    natsMsg* msg = nullptr;
    RN_ASSERT_NATS_OK(natsSubscription_NextMsg(&msg, sub, kTimeoutMs));
    out->reset(msg);
  }

  // Collectors outlive every connection (members are destroyed in reverse order), so no
  // delivery thread can call into a destroyed collector.
  MessageCollector collector_;
  std::unique_ptr<harness::ServerProcess> server_;
  std::string url_;
};

TEST_F(NatsCClientTest, ConnectsAndSeesServerInfo) {
  Connection nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&nc));
  EXPECT_EQ(natsConnection_Status(nc.get()), NATS_CONN_STATUS_CONNECTED);
  char server_id[256] = {};
  RN_ASSERT_NATS_OK(natsConnection_GetConnectedServerId(nc.get(), server_id, sizeof(server_id)));
  EXPECT_STRNE(server_id, "");
  EXPECT_GE(natsConnection_GetMaxPayload(nc.get()), 512 * 1024);
  // Without headers in INFO the client refuses header messages and no-responders.
  RN_EXPECT_NATS_OK(natsConnection_HasHeaderSupport(nc.get()));
  int64_t rtt_ns = -1;
  RN_ASSERT_NATS_OK(natsConnection_GetRTT(nc.get(), &rtt_ns));
  EXPECT_GE(rtt_ns, 0);
}

TEST_F(NatsCClientTest, PublishAndSubscribeSync) {
  Connection sub_nc, pub_nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&sub_nc));
  ASSERT_NO_FATAL_FAILURE(Connect(&pub_nc));
  Subscription sub;
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&sub, sub_nc.get(), "sync.subject"));
  // The SUB has reached the server once the round trip is back.
  RN_ASSERT_NATS_OK(natsConnection_Flush(sub_nc.get()));

  RN_ASSERT_NATS_OK(natsConnection_PublishString(pub_nc.get(), "sync.subject", "first"));
  RN_ASSERT_NATS_OK(natsConnection_PublishString(pub_nc.get(), "sync.other", "not ours"));
  RN_ASSERT_NATS_OK(
      natsConnection_PublishRequestString(pub_nc.get(), "sync.subject", "reply.here", "second"));
  RN_ASSERT_NATS_OK(natsConnection_Publish(pub_nc.get(), "sync.subject", nullptr, 0));
  RN_ASSERT_NATS_OK(natsConnection_Flush(pub_nc.get()));

  Msg msg;
  ASSERT_NO_FATAL_FAILURE(NextMsg(&msg, sub.get()));
  EXPECT_STREQ(natsMsg_GetSubject(msg.get()), "sync.subject");
  EXPECT_EQ(Payload(msg.get()), "first");
  EXPECT_EQ(natsMsg_GetReply(msg.get()), nullptr);

  ASSERT_NO_FATAL_FAILURE(NextMsg(&msg, sub.get()));
  EXPECT_EQ(Payload(msg.get()), "second");
  ASSERT_NE(natsMsg_GetReply(msg.get()), nullptr);
  EXPECT_STREQ(natsMsg_GetReply(msg.get()), "reply.here");

  ASSERT_NO_FATAL_FAILURE(NextMsg(&msg, sub.get()));
  EXPECT_EQ(natsMsg_GetDataLength(msg.get()), 0);

  int64_t delivered = 0;
  RN_ASSERT_NATS_OK(natsSubscription_GetDelivered(sub.get(), &delivered));
  EXPECT_EQ(delivered, 3);
}

TEST_F(NatsCClientTest, AsyncSubscriptionCallsBack) {
  constexpr int kMessages = 100;
  Connection sub_nc, pub_nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&sub_nc));
  ASSERT_NO_FATAL_FAILURE(Connect(&pub_nc));
  Subscription sub;
  ASSERT_NO_FATAL_FAILURE(Subscribe(&sub, sub_nc.get(), "async.subject",
                                    &MessageCollector::OnMessage, &collector_));
  RN_ASSERT_NATS_OK(natsConnection_Flush(sub_nc.get()));

  for (int i = 0; i < kMessages; ++i) {
    const std::string payload = absl::StrFormat("async-%d", i);
    RN_ASSERT_NATS_OK(natsConnection_Publish(pub_nc.get(), "async.subject", payload.data(),
                                             Len(payload)));
  }
  RN_ASSERT_NATS_OK(natsConnection_Flush(pub_nc.get()));

  ASSERT_TRUE(collector_.WaitForCount(kMessages));
  std::vector<Msg> got = collector_.Take();
  ASSERT_EQ(got.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(Payload(got[i].get()), absl::StrFormat("async-%d", i));
  }
}

TEST_F(NatsCClientTest, NoEchoConnectionDoesNotHearItself) {
  Connection quiet, loud;
  ASSERT_NO_FATAL_FAILURE(Connect(&quiet, /*no_echo=*/true));
  ASSERT_NO_FATAL_FAILURE(Connect(&loud));
  Subscription quiet_sub, loud_sub;
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&quiet_sub, quiet.get(), "echo.subject"));
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&loud_sub, loud.get(), "echo.subject"));
  RN_ASSERT_NATS_OK(natsConnection_Flush(quiet.get()));
  RN_ASSERT_NATS_OK(natsConnection_Flush(loud.get()));

  RN_ASSERT_NATS_OK(natsConnection_PublishString(quiet.get(), "echo.subject", "from quiet"));
  RN_ASSERT_NATS_OK(natsConnection_Flush(quiet.get()));
  RN_ASSERT_NATS_OK(natsConnection_PublishString(loud.get(), "echo.subject", "from loud"));
  RN_ASSERT_NATS_OK(natsConnection_Flush(loud.get()));

  Msg msg;
  ASSERT_NO_FATAL_FAILURE(NextMsg(&msg, loud_sub.get()));
  EXPECT_EQ(Payload(msg.get()), "from quiet");
  ASSERT_NO_FATAL_FAILURE(NextMsg(&msg, loud_sub.get()));
  EXPECT_EQ(Payload(msg.get()), "from loud");
  // The quiet connection's first message is the other connection's: its own was not echoed.
  ASSERT_NO_FATAL_FAILURE(NextMsg(&msg, quiet_sub.get()));
  EXPECT_EQ(Payload(msg.get()), "from loud");
}

TEST_F(NatsCClientTest, WildcardSubscriptions) {
  Connection nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&nc));
  Subscription star, tail, middle;
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&star, nc.get(), "wild.*"));
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&tail, nc.get(), "wild.>"));
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&middle, nc.get(), "wild.*.end"));
  RN_ASSERT_NATS_OK(natsConnection_Flush(nc.get()));

  for (const char* subject : {"wild", "wild.a", "wild.a.b", "wild.b.end", "other.a", "wild.c"}) {
    RN_ASSERT_NATS_OK(natsConnection_PublishString(nc.get(), subject, subject));
  }
  // Published last, so each subscription's next message after its expected ones is this one.
  RN_ASSERT_NATS_OK(natsConnection_PublishString(nc.get(), "wild.z.end", "sentinel"));
  RN_ASSERT_NATS_OK(natsConnection_Flush(nc.get()));

  auto subjects = [&](natsSubscription* sub, int count) {
    std::vector<std::string> seen;
    for (int i = 0; i < count; ++i) {
      Msg msg;
      NextMsg(&msg, sub);
      if (msg == nullptr) {
        break;
      }
      seen.emplace_back(natsMsg_GetSubject(msg.get()));
    }
    return seen;
  };
  EXPECT_EQ(subjects(star.get(), 2), (std::vector<std::string>{"wild.a", "wild.c"}));
  EXPECT_EQ(subjects(tail.get(), 5), (std::vector<std::string>{"wild.a", "wild.a.b", "wild.b.end",
                                                               "wild.c", "wild.z.end"}));
  EXPECT_EQ(subjects(middle.get(), 2), (std::vector<std::string>{"wild.b.end", "wild.z.end"}));
  // "wild.*" matched nothing after wild.c; everything published has been delivered by now
  // because "wild.>" already received the sentinel on the same connection.
  int pending = -1;
  RN_ASSERT_NATS_OK(natsSubscription_GetPending(star.get(), &pending, nullptr));
  EXPECT_EQ(pending, 0);
}

// Counts what one queue member received and forwards the message to the shared collector.
struct QueueMember {
  MessageCollector* all = nullptr;
  std::atomic<int> received{0};

  static void OnMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure) {
    auto* self = static_cast<QueueMember*>(closure);
    self->received.fetch_add(1);
    MessageCollector::OnMessage(nc, sub, msg, self->all);
  }
};

TEST_F(NatsCClientTest, QueueGroupDeliversEachMessageToOneMember) {
  constexpr int kMembers = 3;
  constexpr int kMessages = 300;
  QueueMember members[kMembers];
  Connection conns[kMembers];
  Subscription subs[kMembers];
  for (int i = 0; i < kMembers; ++i) {
    members[i].all = &collector_;
    ASSERT_NO_FATAL_FAILURE(Connect(&conns[i]));
    natsSubscription* sub = nullptr;
    RN_ASSERT_NATS_OK(natsConnection_QueueSubscribe(&sub, conns[i].get(), "work.items", "workers",
                                                    &QueueMember::OnMessage, &members[i]));
    subs[i].reset(sub);
  }
  // A plain subscriber beside the group still gets every message.
  Subscription watcher;
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&watcher, conns[0].get(), "work.items"));
  for (Connection& nc : conns) {
    RN_ASSERT_NATS_OK(natsConnection_Flush(nc.get()));
  }

  Connection pub;
  ASSERT_NO_FATAL_FAILURE(Connect(&pub));
  for (int i = 0; i < kMessages; ++i) {
    const std::string payload = absl::StrFormat("item-%d", i);
    RN_ASSERT_NATS_OK(
        natsConnection_Publish(pub.get(), "work.items", payload.data(), Len(payload)));
  }
  RN_ASSERT_NATS_OK(natsConnection_Flush(pub.get()));

  for (int i = 0; i < kMessages; ++i) {
    Msg msg;
    ASSERT_NO_FATAL_FAILURE(NextMsg(&msg, watcher.get()));
  }
  ASSERT_TRUE(collector_.WaitForCount(kMessages));
  // A round trip on each member lets a duplicate still in flight arrive before counting.
  for (Connection& nc : conns) {
    RN_ASSERT_NATS_OK(natsConnection_Flush(nc.get()));
  }
  std::map<std::string, int> times_seen;
  for (const Msg& msg : collector_.Take()) {
    ++times_seen[std::string(Payload(msg.get()))];
  }
  EXPECT_EQ(times_seen.size(), static_cast<size_t>(kMessages));
  for (const auto& [payload, times] : times_seen) {
    EXPECT_EQ(times, 1) << payload;
  }
  // nats-server picks members at random: an idle member among 300 messages has probability
  // 3 * (2/3)^300, so it means the group is not balanced.
  for (const QueueMember& member : members) {
    EXPECT_GT(member.received.load(), 0);
  }
}

TEST_F(NatsCClientTest, RequestReply) {
  Connection responder, requester;
  ASSERT_NO_FATAL_FAILURE(Connect(&responder));
  ASSERT_NO_FATAL_FAILURE(Connect(&requester));
  Subscription service;
  ASSERT_NO_FATAL_FAILURE(
      Subscribe(&service, responder.get(), "svc.echo", &EchoResponder, nullptr));
  RN_ASSERT_NATS_OK(natsConnection_Flush(responder.get()));

  for (int i = 0; i < 20; ++i) {
    const std::string payload = absl::StrFormat("request-%d", i);
    natsMsg* reply = nullptr;
    RN_ASSERT_NATS_OK(natsConnection_Request(&reply, requester.get(), "svc.echo", payload.data(),
                                             Len(payload), kTimeoutMs));
    Msg owned(reply);
    EXPECT_EQ(Payload(reply), payload);
  }

  natsMsg* request = nullptr;
  RN_ASSERT_NATS_OK(natsMsg_Create(&request, "svc.echo", nullptr, "as msg", 6));
  Msg owned_request(request);
  natsMsg* reply = nullptr;
  RN_ASSERT_NATS_OK(natsConnection_RequestMsg(&reply, requester.get(), request, kTimeoutMs));
  Msg owned_reply(reply);
  EXPECT_EQ(Payload(reply), "as msg");
}

TEST_F(NatsCClientTest, HeadersRoundTrip) {
  Connection nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&nc));
  Subscription sub;
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&sub, nc.get(), "hdr.subject"));
  RN_ASSERT_NATS_OK(natsConnection_Flush(nc.get()));

  natsMsg* raw = nullptr;
  RN_ASSERT_NATS_OK(natsMsg_Create(&raw, "hdr.subject", nullptr, "body", 4));
  Msg out(raw);
  RN_ASSERT_NATS_OK(natsMsgHeader_Set(out.get(), "X-Single", "value one"));
  RN_ASSERT_NATS_OK(natsMsgHeader_Add(out.get(), "X-Multi", "a"));
  RN_ASSERT_NATS_OK(natsMsgHeader_Add(out.get(), "X-Multi", "b"));
  RN_ASSERT_NATS_OK(natsConnection_PublishMsg(nc.get(), out.get()));

  RN_ASSERT_NATS_OK(natsMsg_Create(&raw, "hdr.subject", nullptr, nullptr, 0));
  Msg headers_only(raw);
  RN_ASSERT_NATS_OK(natsMsgHeader_Set(headers_only.get(), "X-Only", "no payload"));
  RN_ASSERT_NATS_OK(natsConnection_PublishMsg(nc.get(), headers_only.get()));
  RN_ASSERT_NATS_OK(natsConnection_PublishString(nc.get(), "hdr.subject", "plain"));
  RN_ASSERT_NATS_OK(natsConnection_Flush(nc.get()));

  Msg in;
  ASSERT_NO_FATAL_FAILURE(NextMsg(&in, sub.get()));
  EXPECT_EQ(Payload(in.get()), "body");
  const char* value = nullptr;
  RN_ASSERT_NATS_OK(natsMsgHeader_Get(in.get(), "X-Single", &value));
  EXPECT_STREQ(value, "value one");
  const char** values = nullptr;
  int count = 0;
  RN_ASSERT_NATS_OK(natsMsgHeader_Values(in.get(), "X-Multi", &values, &count));
  ASSERT_EQ(count, 2);
  EXPECT_STREQ(values[0], "a");
  EXPECT_STREQ(values[1], "b");
  std::free(values);  // The array is the caller's; the strings stay the message's.
  EXPECT_EQ(natsMsgHeader_Get(in.get(), "X-Absent", &value), NATS_NOT_FOUND);

  ASSERT_NO_FATAL_FAILURE(NextMsg(&in, sub.get()));
  EXPECT_EQ(natsMsg_GetDataLength(in.get()), 0);
  RN_ASSERT_NATS_OK(natsMsgHeader_Get(in.get(), "X-Only", &value));
  EXPECT_STREQ(value, "no payload");

  ASSERT_NO_FATAL_FAILURE(NextMsg(&in, sub.get()));
  EXPECT_EQ(Payload(in.get()), "plain");
  const char** keys = nullptr;
  EXPECT_EQ(natsMsgHeader_Keys(in.get(), &keys, &count), NATS_NOT_FOUND);
}

// Answers with the request's payload and a header that repeats the request's X-Ask header.
void HeaderResponder(natsConnection* nc, natsSubscription* /*sub*/, natsMsg* msg,
                     void* /*closure*/) {
  Msg request(msg);
  const char* ask = nullptr;
  if (natsMsgHeader_Get(msg, "X-Ask", &ask) != NATS_OK) {
    ask = "missing";
  }
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, natsMsg_GetReply(msg), nullptr, natsMsg_GetData(msg),
                     natsMsg_GetDataLength(msg)) != NATS_OK) {
    return;
  }
  Msg reply(raw);
  natsMsgHeader_Set(reply.get(), "X-Seen", ask);
  natsConnection_PublishMsg(nc, reply.get());
}

TEST_F(NatsCClientTest, HeadersOnRequestAndReply) {
  Connection responder, requester;
  ASSERT_NO_FATAL_FAILURE(Connect(&responder));
  ASSERT_NO_FATAL_FAILURE(Connect(&requester));
  Subscription service;
  ASSERT_NO_FATAL_FAILURE(
      Subscribe(&service, responder.get(), "svc.headers", &HeaderResponder, nullptr));
  RN_ASSERT_NATS_OK(natsConnection_Flush(responder.get()));

  natsMsg* raw = nullptr;
  RN_ASSERT_NATS_OK(natsMsg_Create(&raw, "svc.headers", nullptr, "question", 8));
  Msg request(raw);
  RN_ASSERT_NATS_OK(natsMsgHeader_Set(request.get(), "X-Ask", "what time is it"));
  natsMsg* reply = nullptr;
  RN_ASSERT_NATS_OK(natsConnection_RequestMsg(&reply, requester.get(), request.get(), kTimeoutMs));
  Msg owned(reply);
  EXPECT_EQ(Payload(reply), "question");
  const char* seen = nullptr;
  RN_ASSERT_NATS_OK(natsMsgHeader_Get(reply, "X-Seen", &seen));
  EXPECT_STREQ(seen, "what time is it");
}

TEST_F(NatsCClientTest, RequestWithoutRespondersFailsWithNoResponders) {
  Connection nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&nc));
  natsMsg* reply = nullptr;
  // The server answers at once with a 503 status; the client turns it into this error
  // instead of waiting for the timeout.
  EXPECT_EQ(natsConnection_RequestString(&reply, nc.get(), "nobody.listens", "hello?", kTimeoutMs),
            NATS_NO_RESPONDERS);
  EXPECT_EQ(reply, nullptr);

  // Still connected and usable afterwards.
  Subscription sub;
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&sub, nc.get(), "after.no.responders"));
  RN_ASSERT_NATS_OK(natsConnection_PublishString(nc.get(), "after.no.responders", "still here"));
  Msg msg;
  ASSERT_NO_FATAL_FAILURE(NextMsg(&msg, sub.get()));
  EXPECT_EQ(Payload(msg.get()), "still here");
}

TEST_F(NatsCClientTest, FlushMakesEarlierPublishesVisible) {
  constexpr int kMessages = 50;
  Connection sub_nc, pub_nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&sub_nc));
  ASSERT_NO_FATAL_FAILURE(Connect(&pub_nc));
  Subscription sub;
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&sub, sub_nc.get(), "flush.subject"));
  RN_ASSERT_NATS_OK(natsConnection_Flush(sub_nc.get()));

  for (int i = 0; i < kMessages; ++i) {
    RN_ASSERT_NATS_OK(natsConnection_PublishString(pub_nc.get(), "flush.subject", "x"));
  }
  RN_ASSERT_NATS_OK(natsConnection_FlushTimeout(pub_nc.get(), kTimeoutMs));
  EXPECT_EQ(natsConnection_Buffered(pub_nc.get()), 0);
  // Once the publisher's round trip is back the server has routed every message, and the
  // subscriber's own round trip is answered only after they were written to it.
  RN_ASSERT_NATS_OK(natsConnection_Flush(sub_nc.get()));
  int pending = -1;
  RN_ASSERT_NATS_OK(natsSubscription_GetPending(sub.get(), &pending, nullptr));
  EXPECT_EQ(pending, kMessages);
}

TEST_F(NatsCClientTest, SubscriptionDrainDeliversEverythingPublishedBefore) {
  constexpr int kMessages = 200;
  Connection sub_nc, pub_nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&sub_nc));
  ASSERT_NO_FATAL_FAILURE(Connect(&pub_nc));
  Subscription sub;
  ASSERT_NO_FATAL_FAILURE(Subscribe(&sub, sub_nc.get(), "drain.sub", &MessageCollector::OnMessage,
                                    &collector_));
  RN_ASSERT_NATS_OK(natsConnection_Flush(sub_nc.get()));
  for (int i = 0; i < kMessages; ++i) {
    RN_ASSERT_NATS_OK(natsConnection_PublishString(pub_nc.get(), "drain.sub", "x"));
  }
  RN_ASSERT_NATS_OK(natsConnection_Flush(pub_nc.get()));

  RN_ASSERT_NATS_OK(natsSubscription_Drain(sub.get()));
  RN_ASSERT_NATS_OK(natsSubscription_WaitForDrainCompletion(sub.get(), kTimeoutMs));
  RN_EXPECT_NATS_OK(natsSubscription_DrainCompletionStatus(sub.get()));
  EXPECT_EQ(collector_.Count(), static_cast<size_t>(kMessages));

  // The server dropped the interest too: a request on the subject finds nobody.
  natsMsg* reply = nullptr;
  EXPECT_EQ(natsConnection_RequestString(&reply, pub_nc.get(), "drain.sub", "?", kTimeoutMs),
            NATS_NO_RESPONDERS);
}

void SignalClosed(natsConnection* /*nc*/, void* closure) {
  static_cast<absl::Notification*>(closure)->Notify();
}

TEST_F(NatsCClientTest, ConnectionDrainDeliversEverythingThenCloses) {
  constexpr int kMessages = 200;
  absl::Notification closed;
  Connection sub_nc, pub_nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&sub_nc, /*no_echo=*/false, &SignalClosed, &closed));
  ASSERT_NO_FATAL_FAILURE(Connect(&pub_nc));
  Subscription sub, service;
  ASSERT_NO_FATAL_FAILURE(Subscribe(&sub, sub_nc.get(), "drain.conn", &MessageCollector::OnMessage,
                                    &collector_));
  ASSERT_NO_FATAL_FAILURE(
      Subscribe(&service, sub_nc.get(), "drain.conn.svc", &EchoResponder, nullptr));
  RN_ASSERT_NATS_OK(natsConnection_Flush(sub_nc.get()));
  for (int i = 0; i < kMessages; ++i) {
    RN_ASSERT_NATS_OK(natsConnection_PublishString(pub_nc.get(), "drain.conn", "x"));
  }
  RN_ASSERT_NATS_OK(natsConnection_Flush(pub_nc.get()));

  RN_ASSERT_NATS_OK(natsConnection_Drain(sub_nc.get()));
  ASSERT_TRUE(closed.WaitForNotificationWithTimeout(absl::Milliseconds(kTimeoutMs)));
  EXPECT_TRUE(natsConnection_IsClosed(sub_nc.get()));
  EXPECT_EQ(collector_.Count(), static_cast<size_t>(kMessages));

  natsMsg* reply = nullptr;
  EXPECT_EQ(natsConnection_RequestString(&reply, pub_nc.get(), "drain.conn.svc", "?", kTimeoutMs),
            NATS_NO_RESPONDERS);
}

TEST_F(NatsCClientTest, ManyMessagesArriveCompleteAndInOrder) {
  constexpr int kMessages = 10000;
  Connection sub_nc, pub_nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&sub_nc));
  ASSERT_NO_FATAL_FAILURE(Connect(&pub_nc));
  Subscription sub;
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&sub, sub_nc.get(), "ordered.stream"));
  RN_ASSERT_NATS_OK(natsConnection_Flush(sub_nc.get()));
  for (int i = 0; i < kMessages; ++i) {
    const std::string payload = absl::StrFormat("%d", i);
    RN_ASSERT_NATS_OK(
        natsConnection_Publish(pub_nc.get(), "ordered.stream", payload.data(), Len(payload)));
  }
  RN_ASSERT_NATS_OK(natsConnection_Flush(pub_nc.get()));
  for (int i = 0; i < kMessages; ++i) {
    Msg msg;
    ASSERT_NO_FATAL_FAILURE(NextMsg(&msg, sub.get()));
    ASSERT_EQ(Payload(msg.get()), absl::StrFormat("%d", i));
  }
}

TEST_F(NatsCClientTest, LargePayloadRoundTripsIntact) {
  constexpr int kSize = 512 * 1024;
  std::string payload(kSize, '\0');
  for (int i = 0; i < kSize; ++i) {
    payload[i] = static_cast<char>((i * 31 + 7) & 0xff);
  }
  Connection responder, requester;
  ASSERT_NO_FATAL_FAILURE(Connect(&responder));
  ASSERT_NO_FATAL_FAILURE(Connect(&requester));
  Subscription service;
  ASSERT_NO_FATAL_FAILURE(
      Subscribe(&service, responder.get(), "big.echo", &EchoResponder, nullptr));
  RN_ASSERT_NATS_OK(natsConnection_Flush(responder.get()));

  natsMsg* reply = nullptr;
  RN_ASSERT_NATS_OK(natsConnection_Request(&reply, requester.get(), "big.echo", payload.data(),
                                           kSize, kTimeoutMs));
  Msg owned(reply);
  ASSERT_EQ(natsMsg_GetDataLength(reply), kSize);
  EXPECT_TRUE(Payload(reply) == payload);  // Not EXPECT_EQ: a mismatch would print 1 MiB.
  EXPECT_EQ(natsConnection_Status(requester.get()), NATS_CONN_STATUS_CONNECTED);
}

TEST_F(NatsCClientTest, AutoUnsubscribeStopsAfterMax) {
  Connection nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&nc));
  Subscription sub;
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&sub, nc.get(), "limited.subject"));
  RN_ASSERT_NATS_OK(natsSubscription_AutoUnsubscribe(sub.get(), 3));
  RN_ASSERT_NATS_OK(natsConnection_Flush(nc.get()));

  // The client sent `UNSUB <sid> 3`; seen from another connection the interest is gone once
  // three messages went through.
  Connection other;
  ASSERT_NO_FATAL_FAILURE(Connect(&other));
  for (int i = 0; i < 3; ++i) {
    RN_ASSERT_NATS_OK(natsConnection_PublishString(other.get(), "limited.subject", "x"));
  }
  RN_ASSERT_NATS_OK(natsConnection_Flush(other.get()));
  for (int i = 0; i < 3; ++i) {
    Msg msg;
    ASSERT_NO_FATAL_FAILURE(NextMsg(&msg, sub.get()));
  }
  natsMsg* reply = nullptr;
  EXPECT_EQ(
      natsConnection_RequestString(&reply, other.get(), "limited.subject", "?", kTimeoutMs),
      NATS_NO_RESPONDERS);
}

TEST_F(NatsCClientTest, UnsubscribeRemovesInterestOnTheServer) {
  Connection nc, other;
  ASSERT_NO_FATAL_FAILURE(Connect(&nc));
  ASSERT_NO_FATAL_FAILURE(Connect(&other));
  Subscription sub;
  ASSERT_NO_FATAL_FAILURE(SubscribeSync(&sub, nc.get(), "unsub.subject"));
  RN_ASSERT_NATS_OK(natsConnection_Flush(nc.get()));
  RN_ASSERT_NATS_OK(natsSubscription_Unsubscribe(sub.get()));
  RN_ASSERT_NATS_OK(natsConnection_Flush(nc.get()));

  natsMsg* reply = nullptr;
  EXPECT_EQ(natsConnection_RequestString(&reply, other.get(), "unsub.subject", "?", kTimeoutMs),
            NATS_NO_RESPONDERS);
}

}  // namespace
}  // namespace ringnats::interop

// libnats keeps process-wide state (threads, timers); release it once every test is done so
// leak checkers see a clean exit.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (nats_Open(-1) != NATS_OK) {
    return 1;
  }
  const int result = RUN_ALL_TESTS();
  nats_CloseAndWait(ringnats::interop::kTimeoutMs);
  return result;
}
