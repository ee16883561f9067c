// A publisher faster than its subscribers (issue items 0 and 1).
//
// nats-server 2.9.10 holds a fast producer back while a subscriber's queued bytes are above
// half of max_pending, so a subscriber that keeps reading, however slowly, gets every
// message; only a subscriber that stops reading reaches max_pending (or write_deadline) and
// is closed as a slow consumer, and the producer carries on.

#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "adversarial/adversarial_fixture.h"

namespace ringnats::adversarial {
namespace {

constexpr char kFlowConfig[] = "max_pending: 4MB\n";
constexpr char kDropConfig[] = "max_pending: 4MB\nwrite_deadline: \"2s\"\n";
constexpr int kSeqDigits = 10;
constexpr int kPerChunk = 64;
constexpr std::string_view kQuiet = R"({"verbose":false,"pedantic":false})";
// A publisher must not answer server PINGs: RawClient::Send reads while the socket is full
// and would write its PONG into the middle of a half-sent PUB. Its PINGs just stay buffered
// (a test is over long before the keepalive gives up on it).
constexpr harness::ClientOptions kPublisher = {.answer_pings = false};

// `count` PUB frames on `subject` whose payloads start with their sequence number (first
// is `first`) and are padded to `size` bytes.
std::string PubChunk(std::string_view subject, size_t size, uint64_t first, int count) {
  std::string chunk;
  const std::string head = absl::StrFormat("PUB %s %d\r\n", subject, size);
  for (int i = 0; i < count; ++i) {
    chunk += head;
    const std::string seq = absl::StrFormat("%0*d", kSeqDigits, first + i);
    chunk += seq.substr(0, size);
    if (size > seq.size()) chunk.append(size - seq.size(), 'x');
    chunk += "\r\n";
  }
  return chunk;
}

// Checks the payload PubChunk made for message `index`.
std::string CheckPayload(uint64_t index, std::string_view payload, size_t size) {
  if (payload.size() != size) return absl::StrFormat("payload of %d bytes", payload.size());
  uint64_t seq = 0;
  std::from_chars(payload.data(), payload.data() + kSeqDigits, seq);
  if (seq != index) return absl::StrFormat("sequence %d out of order (expected %d)", seq, index);
  return "";
}

class FlowControlTest : public AdversarialTest {
 protected:
  // One publisher and one throttled subscriber, both fresh connections, so every round
  // draws a new worker placement: over the rounds the pair lands on the same worker and on
  // different workers (with 2 workers, each round is 50/50).
  void ThrottledRound(int round, size_t size, uint64_t count) {
    const std::string subject = absl::StrFormat("adv.flow.%d", round);
    std::unique_ptr<harness::RawClient> sub = Client();
    std::unique_ptr<harness::RawClient> pub = Client(kQuiet, kPublisher);
    ASSERT_TRUE(sub && pub);
    ASSERT_TRUE(sub->Send(absl::StrFormat("SUB %s 1\r\n", subject)));
    ASSERT_TRUE(sub->Ping());
    ThrottledSubscriber reader(std::move(sub),
                               {.read_size = 64 * 1024,
                                .pause = std::chrono::microseconds(1000),
                                .expected = count,
                                .timeout = Millis(kSanitized ? 240000 : 120000)},
                               [size](uint64_t index, std::string_view payload) {
                                 return CheckPayload(index, payload, size);
                               });
    for (uint64_t first = 0; first < count; first += kPerChunk) {
      const int n = static_cast<int>(std::min<uint64_t>(kPerChunk, count - first));
      auto sent = pub->Send(PubChunk(subject, size, first, n), Millis(60000));
      if (!sent) reader.Cancel();
      ASSERT_TRUE(sent) << "round " << round << ", message " << first;
    }
    EXPECT_TRUE(pub->Sync(Millis(60000))) << "round " << round;
    reader.Join();
    EXPECT_EQ(reader.error(), "") << "round " << round;
    EXPECT_EQ(reader.received(), count) << "round " << round;
    if (reader.client() != nullptr && !reader.closed_by_server()) {
      EXPECT_TRUE(reader.client()->Ping()) << "subscriber of round " << round;
    }
  }

  void ThrottledSubscriberGetsEverything(size_t size, uint64_t count, int rounds) {
    ASSERT_NO_FATAL_FAILURE(StartServer(kFlowConfig));
    ASSERT_NO_FATAL_FAILURE(OpenNeighbours());
    StartWatch();
    for (int round = 0; round < rounds; ++round) {
      ASSERT_NO_FATAL_FAILURE(ThrottledRound(round, size, count));
    }
    FinishWatch();
    EXPECT_EQ(CountLogLines("Slow Consumer"), 0) << server().ReadLog();
    ExpectPeakRssBelow(RssBoundMib(200));
    EXPECT_TRUE(ServerStillWorks());
    ExpectCleanStop();
  }
};

// Item 0: 200,000 x 1 KiB as fast as one connection can publish, to a subscriber that reads
// 64 KiB and then pauses a millisecond: everything arrives in order, nobody is closed.
TEST_F(FlowControlTest, ThrottledSubscriberGetsEvery1KiBMessage) {
  ThrottledSubscriberGetsEverything(1024, 200'000, 3);
}

// The same with 16-byte payloads (many more frames per byte).
TEST_F(FlowControlTest, ThrottledSubscriberGetsEvery16ByteMessage) {
  ThrottledSubscriberGetsEverything(16, 200'000, 4);
}

// Item 0, the other half: a subscriber that stops reading altogether is still closed as a
// slow consumer, and the publisher keeps going afterwards.
TEST_F(FlowControlTest, SubscriberThatStopsReadingIsDroppedPublisherContinues) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kDropConfig));
  ASSERT_NO_FATAL_FAILURE(OpenNeighbours());
  std::unique_ptr<harness::RawClient> stopped = Client(kQuiet, {.receive_buffer = 4096});
  std::unique_ptr<harness::RawClient> pub = Client(kQuiet, kPublisher);
  ASSERT_TRUE(stopped && pub);
  ASSERT_TRUE(stopped->Send("SUB adv.stop 1\r\n"));
  ASSERT_TRUE(stopped->Ping());
  StartWatch();

  // 24 MiB: six times max_pending, far beyond what the socket buffers hold.
  constexpr uint64_t kMessages = 24 * 1024;
  for (uint64_t first = 0; first < kMessages; first += kPerChunk) {
    ASSERT_TRUE(pub->Send(PubChunk("adv.stop", 1024, first, kPerChunk), Millis(60000)))
        << "message " << first;
  }
  EXPECT_TRUE(pub->Sync(Millis(60000)));
  EXPECT_TRUE(server().WaitForLog("Slow Consumer Detected", Millis(30000)));

  // The publisher is not held back any more: more messages and a round trip go through.
  for (uint64_t first = 0; first < 1024; first += kPerChunk) {
    ASSERT_TRUE(pub->Send(PubChunk("adv.stop", 1024, kMessages + first, kPerChunk)));
  }
  EXPECT_TRUE(pub->Sync(Millis(10000)));
  FinishWatch();

  size_t received = 0;
  EXPECT_TRUE(stopped->DrainUntilClosed(&received, Millis(30000)));
  EXPECT_LT(received, kMessages * 1024);
  ExpectPeakRssBelow(RssBoundMib(200));
  EXPECT_TRUE(ServerStillWorks());
  ExpectCleanStop();
}

// Item 1: slow consumers closed in the middle of a 1 KiB flood, on several workers at once,
// run after run (this crashed in OutboundBuffer::Consume). Subscribers of three kinds: some
// never read, some read slowly, some read a little and then vanish.
TEST_F(FlowControlTest, SlowConsumerClosesDuringFloodDoNotCrash) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kDropConfig));
  ASSERT_NO_FATAL_FAILURE(OpenNeighbours());
  StartWatch();
  constexpr int kRuns = 3;
  constexpr int kPublishers = 2;
  constexpr uint64_t kPerPublisher = 8 * 1024;  // 8 MiB each, 16 MiB to every subscriber
  for (int run = 0; run < kRuns; ++run) {
    const std::string subject = absl::StrFormat("adv.crash.%d", run);
    const std::string sub_line = absl::StrFormat("SUB %s 1\r\n", subject);
    std::vector<std::unique_ptr<harness::RawClient>> mute;
    for (int i = 0; i < 2; ++i) {
      mute.push_back(Client(kQuiet, {.receive_buffer = 4096}));
      ASSERT_NE(mute.back(), nullptr);
      ASSERT_TRUE(mute.back()->Send(sub_line));
      ASSERT_TRUE(mute.back()->Ping());
    }
    std::vector<std::unique_ptr<ThrottledSubscriber>> readers;
    for (int i = 0; i < 4; ++i) {
      std::unique_ptr<harness::RawClient> client = Client(kQuiet, {.receive_buffer = 8192});
      ASSERT_NE(client, nullptr);
      ASSERT_TRUE(client->Send(sub_line));
      ASSERT_TRUE(client->Ping());
      const bool vanishes = i >= 2;
      readers.push_back(std::make_unique<ThrottledSubscriber>(
          std::move(client),
          ThrottledSubscriber::Options{
              .read_size = 16 * 1024,
              .pause = std::chrono::microseconds(1000),
              .expected = kPublishers * kPerPublisher,
              .timeout = Millis(kSanitized ? 60000 : 30000),
              .close_after_bytes = vanishes ? size_t{256 * 1024} : size_t{0}},
          [](uint64_t, std::string_view) { return std::string(); }));
    }
    std::vector<std::unique_ptr<harness::RawClient>> pubs;
    for (int p = 0; p < kPublishers; ++p) {
      pubs.push_back(Client(kQuiet, kPublisher));
      ASSERT_NE(pubs.back(), nullptr);
    }
    std::vector<std::thread> publishers;
    std::vector<std::string> errors(kPublishers);
    for (int p = 0; p < kPublishers; ++p) {
      publishers.emplace_back([&, p, pub = pubs[p].get()] {
        for (uint64_t first = 0; first < kPerPublisher; first += kPerChunk) {
          if (auto r = pub->Send(PubChunk(subject, 1024, first, kPerChunk), Millis(60000)); !r) {
            errors[p] = r.message();
            return;
          }
        }
        if (auto r = pub->Sync(Millis(60000)); !r) errors[p] = r.message();
      });
    }
    for (std::thread& t : publishers) t.join();
    for (int p = 0; p < kPublishers; ++p) {
      EXPECT_EQ(errors[p], "") << "run " << run << ", publisher " << p;
    }
    for (auto& reader : readers) reader->Join();
    for (size_t i = 0; i < mute.size(); ++i) {
      size_t received = 0;
      EXPECT_TRUE(mute[i]->DrainUntilClosed(&received, Millis(30000)))
          << "run " << run << ": a subscriber that never reads was not closed";
    }
    ASSERT_TRUE(server().Running()) << "run " << run << "; log:\n" << server().ReadLog();
  }
  FinishWatch();
  EXPECT_GE(CountLogLines("Slow Consumer Detected"), 2 * kRuns);
  ExpectPeakRssBelow(RssBoundMib(200));
  EXPECT_TRUE(ServerStillWorks());
  ExpectCleanStop();
}

}  // namespace
}  // namespace ringnats::adversarial
