// Connections that misbehave over time: stale peers, slow consumers, silent and half-sent
// clients. None of them may disturb the others.

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_format.h"
#include "harness/server_fixture.h"

namespace ringnats::harness {
namespace {

using std::chrono::milliseconds;

class LivenessTest : public ServerTest {};

TEST_F(LivenessTest, PeerThatNeverAnswersPingsIsStale) {
  // Short timers: first PING after ~1 s, stale one interval later.
  ASSERT_NO_FATAL_FAILURE(StartServer("ping_interval: \"1s\"\nping_max: 1\n"));
  auto silent = Client(kQuietConnect, {.answer_pings = false});
  auto answering = Client(kQuietConnect, {.answer_pings = true});
  ASSERT_TRUE(silent && answering);
  // The answering client reads (and answers PINGs) for three intervals; nothing else may
  // arrive and it must stay connected.
  EXPECT_TRUE(answering->ExpectNothing(milliseconds(3000)));
  EXPECT_GE(answering->pings_answered(), 1);
  EXPECT_TRUE(silent->Expect("PING\r\n"));
  EXPECT_TRUE(silent->ExpectClosed("-ERR 'Stale Connection'\r\n"));
  EXPECT_TRUE(answering->Ping());
  EXPECT_TRUE(ServerStillWorks());
}

// A subscriber to "flood" that stops reading (with a small receive buffer, so the server's
// output to it backs up quickly), a bystander subscribed to "other", and a publisher.
class SlowConsumerTest : public LivenessTest {
 protected:
  void ConnectClients() {
    slow_ = Client(kQuietConnect, {.receive_buffer = 4096});
    bystander_ = Client();
    pub_ = Client();
    ASSERT_TRUE(slow_ && bystander_ && pub_);
    ASSERT_TRUE(slow_->Send("SUB flood 1\r\n"));
    ASSERT_TRUE(bystander_->Send("SUB other 1\r\n"));
    ASSERT_TRUE(slow_->Ping());
    ASSERT_TRUE(bystander_->Ping());
  }

  // Publishes `count` messages of `size` bytes to "flood", eight per write.
  void Flood(int count, size_t size) {
    const std::string message =
        absl::StrFormat("PUB flood %d\r\n", size) + std::string(size, 'f') + "\r\n";
    std::string eight;
    for (int i = 0; i < 8; ++i) eight += message;
    for (int i = 0; i < count / 8; ++i) {
      ASSERT_TRUE(pub_->Send(eight, milliseconds(30000))) << "write " << i;
    }
    ASSERT_TRUE(pub_->Ping(milliseconds(30000)));
    flooded_ = static_cast<size_t>(count / 8 * 8) * message.size();
  }

  // The slow subscriber is closed without having been sent everything, and the publisher
  // and the bystander go on as before.
  void ExpectOnlyTheSlowOneClosed() {
    size_t received = 0;
    EXPECT_TRUE(slow_->DrainUntilClosed(&received, milliseconds(30000)));
    EXPECT_LT(received, flooded_);
    ASSERT_TRUE(pub_->Send("PUB other 5\r\nafter\r\n"));
    ASSERT_TRUE(pub_->Ping());
    EXPECT_TRUE(bystander_->Expect("MSG other 1 5\r\nafter\r\n"));
    EXPECT_TRUE(bystander_->Ping());
    EXPECT_TRUE(ServerStillWorks());
  }

 private:
  std::unique_ptr<RawClient> slow_, bystander_, pub_;
  size_t flooded_ = 0;
};

TEST_F(SlowConsumerTest, PastMaxPendingClosedOthersKeepWorking) {
  // Big messages relative to max_pending: nats-server stalls a fast producer while the
  // consumer's queue is between half and all of max_pending (up to 1 s per message), so
  // few large messages cross that band quickly.
  ASSERT_NO_FATAL_FAILURE(
      StartServer("max_payload: 32768\nmax_pending: 65536\nwrite_deadline: \"2s\"\n"));
  ASSERT_NO_FATAL_FAILURE(ConnectClients());
  // 16 MB: far beyond max_pending plus any socket buffering on loopback.
  ASSERT_NO_FATAL_FAILURE(Flood(560, 30000));
  EXPECT_TRUE(server().WaitForLog("Slow Consumer Detected"));
  ExpectOnlyTheSlowOneClosed();
}

TEST_F(SlowConsumerTest, PastTheWriteDeadlineClosedOthersKeepWorking) {
  // max_pending (64 MB by default) far above what is sent: only the write deadline can close
  // the reader, once a send to it has been blocked for longer than that.
  ASSERT_NO_FATAL_FAILURE(StartServer("write_deadline: \"500ms\"\n"));
  ASSERT_NO_FATAL_FAILURE(ConnectClients());
  // 8 MB: more than loopback's socket buffers hold (4 MB at most), an eighth of max_pending.
  ASSERT_NO_FATAL_FAILURE(Flood(256, 32768));
  EXPECT_TRUE(server().WaitForLog(
      R"(Slow Consumer Detected: WriteDeadline of 500ms exceeded with \d+ chunks of \d+ total bytes\.)"));
  ExpectOnlyTheSlowOneClosed();
}

TEST_F(LivenessTest, ClientThatNeverSpeaksDoesNotBlockOthers) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // Never reads INFO, never sends anything.
  auto mute = Connect();
  ASSERT_TRUE(mute);
  EXPECT_TRUE(ServerStillWorks());
  // It is still a live connection: its INFO is waiting and it can start talking late.
  ASSERT_TRUE(mute->ReadInfo());
  EXPECT_TRUE(mute->Ping());
}

TEST_F(LivenessTest, HalfSentCommandWaitsWithoutBlockingOthers) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  auto sub = Client();
  auto partial = Client();
  ASSERT_TRUE(sub && partial);
  ASSERT_TRUE(sub->Send("SUB half 1\r\n"));
  ASSERT_TRUE(sub->Ping());
  ASSERT_TRUE(partial->Send("PUB half 10\r\nhello"));
  EXPECT_TRUE(ServerStillWorks());
  ASSERT_TRUE(partial->Send("world\r\n"));
  ASSERT_TRUE(partial->Ping());
  EXPECT_TRUE(sub->Expect("MSG half 1 10\r\nhelloworld\r\n"));
}

TEST_F(LivenessTest, ClientsThatVanishAbruptlyAreCleanedUp) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  auto pub = Client();
  ASSERT_TRUE(pub);
  for (int i = 0; i < 20; ++i) {
    auto gone = Client();
    ASSERT_TRUE(gone);
    // Subscribed, mid-command, then closed from our side.
    ASSERT_TRUE(gone->Send("SUB vanish 1\r\nPUB vanish 10\r\nabc"));
    ASSERT_TRUE(gone->Send(""));
    gone->Close();
  }
  // Publishing to the subject of the vanished subscribers is harmless.
  ASSERT_TRUE(pub->Send("PUB vanish 1\r\nx\r\n"));
  EXPECT_TRUE(pub->Ping());
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(LivenessTest, ClientHalfCloseStillGetsRepliesToEverythingSent) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  auto client = Client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n"));
  client->ShutdownWrite();
  EXPECT_TRUE(client->ExpectClosed("MSG foo 1 2\r\nhi\r\nPONG\r\n"));
  EXPECT_TRUE(ServerStillWorks());
}

}  // namespace
}  // namespace ringnats::harness
