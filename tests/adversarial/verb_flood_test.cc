// Floods of every verb whose reply the flooding client never reads (issue item 3).
//
// Whatever produces the output (PONG, +OK, -ERR, a no-responders HMSG), it is queued for the
// flooding client and counts against max_pending like messages do: nats-server 2.9.10 closes
// the client as a slow consumer once the queue passes max_pending, so the broker's memory
// stays bounded whatever the client sends, and the other clients never notice.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "adversarial/adversarial_fixture.h"

namespace ringnats::adversarial {
namespace {

// The write deadline is raised well past the time a flood takes to fill max_pending (20-30 s
// with ASan on 2 cores): with the default 10 s, a slow build closes the flooder for the
// deadline before its queue reaches max_pending, and the queue accounting goes untested.
constexpr char kConfig[] = "max_pending: 4MB\nwrite_deadline: \"120s\"\n";
constexpr std::string_view kQuiet = R"({"verbose":false,"pedantic":false})";
constexpr size_t kMiB = 1024 * 1024;
// A broker that stops reading the flooder (instead of closing it) shows up as no progress.
constexpr Millis kStallTimeout{10000};
// max_pending (4MB) plus what loopback socket buffers hold (a few MB). Each flood's input
// budget asks for at least 40 MiB of replies, so a flooder that was never cut off would
// read far more than this.
constexpr size_t kMaxRepliesSeen = 16 * kMiB;

std::string Repeat(std::string_view unit, size_t times) {
  std::string out;
  out.reserve(unit.size() * times);
  for (size_t i = 0; i < times; ++i) out += unit;
  return out;
}

class VerbFloodTest : public AdversarialTest {
 protected:
  // `flooder` has done its handshake; from here on it never reads until the flood is over.
  void FloodUntilClosed(harness::RawClient& flooder, std::string_view chunk, size_t budget) {
    StartWatch();
    const FloodResult result = FloodWithoutReading(flooder.fd(), chunk, budget, kStallTimeout);
    // nats-server keeps reading a flooder (and throws its input away once it is closed), so
    // the whole budget goes out or the socket is reset; it never stops reading.
    EXPECT_NE(result.end, FloodEnd::kStalled) << Describe(result);
    // Closed for its queue, not for the write deadline: the replies are counted against
    // max_pending as they are queued.
    EXPECT_TRUE(server().WaitForLog("Slow Consumer Detected: MaxPending", Millis(5000)));
    FinishWatch();
    // The server's FIN waits behind the replies the kernel still holds, so only reading
    // shows the close; what arrives is bounded by max_pending plus the socket buffers, far
    // below the replies the whole flood asked for.
    size_t replies = 0;
    EXPECT_TRUE(flooder.DrainUntilClosed(&replies, Millis(30000)))
        << "the flooder was not closed; " << replies << " reply bytes read";
    EXPECT_LT(replies, kMaxRepliesSeen) << "reply bytes the flooder received";
    ExpectPeakRssBelow(RssBoundMib(200));
    EXPECT_TRUE(ServerStillWorks());
    ExpectCleanStop();
  }

  std::unique_ptr<harness::RawClient> Flooder(std::string_view connect_json) {
    // A small receive buffer so that little of the reply stream hides in the kernel.
    return Client(connect_json, {.answer_pings = false, .receive_buffer = 4096});
  }
};

TEST_F(VerbFloodTest, PingFloodWithoutReadingPongs) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kConfig));
  ASSERT_NO_FATAL_FAILURE(OpenNeighbours());
  std::unique_ptr<harness::RawClient> flooder = Flooder(kQuiet);
  ASSERT_NE(flooder, nullptr);
  FloodUntilClosed(*flooder, Repeat("PING\r\n", 8192), 48 * kMiB);
}

TEST_F(VerbFloodTest, VerboseSubPubFloodWithoutReadingOks) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kConfig));
  ASSERT_NO_FATAL_FAILURE(OpenNeighbours());
  std::unique_ptr<harness::RawClient> flooder = Flooder(R"({"verbose":true,"pedantic":false})");
  ASSERT_NE(flooder, nullptr);
  // Every command is answered with +OK.
  constexpr std::string_view kUnit = "SUB adv.v 1\r\nUNSUB 1\r\nPUB adv.v 0\r\n\r\n";
  ASSERT_TRUE(flooder->Send(kUnit));
  ASSERT_TRUE(flooder->Expect("+OK\r\n+OK\r\n+OK\r\n"));
  // 15 reply bytes for 37 sent.
  FloodUntilClosed(*flooder, Repeat(kUnit, 4096), 100 * kMiB);
}

TEST_F(VerbFloodTest, InvalidSubjectFloodWithoutReadingErrors) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kConfig));
  ASSERT_NO_FATAL_FAILURE(OpenNeighbours());
  std::unique_ptr<harness::RawClient> flooder = Flooder(kQuiet);
  ASSERT_NE(flooder, nullptr);
  // A SUB with an invalid subject is answered with -ERR and the connection stays open.
  ASSERT_TRUE(flooder->Send("SUB adv..bad 1\r\n"));
  ASSERT_TRUE(flooder->Expect("-ERR 'Invalid Subject'\r\n"));
  ASSERT_TRUE(flooder->Sync());
  FloodUntilClosed(*flooder, Repeat("SUB adv..bad 1\r\n", 4096), 32 * kMiB);
}

TEST_F(VerbFloodTest, NoRespondersRequestFloodWithoutReadingReplies) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kConfig));
  ASSERT_NO_FATAL_FAILURE(OpenNeighbours());
  std::unique_ptr<harness::RawClient> flooder =
      Flooder(R"({"verbose":false,"pedantic":false,"headers":true,"no_responders":true})");
  ASSERT_NE(flooder, nullptr);
  ASSERT_TRUE(flooder->Send("SUB adv.inbox.> 1\r\n"));
  ASSERT_TRUE(flooder->Sync());
  // A request nobody listens to comes back as a 503 status message on the reply subject.
  ASSERT_TRUE(flooder->Send("PUB adv.nobody adv.inbox.0 0\r\n\r\n"));
  ASSERT_TRUE(flooder->Expect("HMSG adv.inbox.0 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"));
  std::string chunk;
  for (int i = 1; i <= 2048; ++i) {
    chunk += absl::StrFormat("PUB adv.nobody adv.inbox.%d 0\r\n\r\n", i);
  }
  FloodUntilClosed(*flooder, chunk, 40 * kMiB);
}

}  // namespace
}  // namespace ringnats::adversarial
