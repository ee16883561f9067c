// How the loop reads a connection's socket. Streaming keeps a multishot receive armed that
// fills whole provided buffers; one at a time reads at most LoopSettings::one_at_a_time_bytes
// per receive, which is what bounds the input a connection waiting for a bcrypt verdict holds
// however large the receive buffers are.

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "gtest/gtest.h"
#include "loop_harness.h"
#include "ringnats/ring/event_loop.h"

namespace ringnats::ring {
namespace {

using namespace ringnats::ring::testing;  // NOLINT: the shared loop harness

constexpr size_t kBulk = 256 * 1024;

struct Received {
  size_t total = 0;
  size_t largest = 0;
};

// Sends kBulk bytes to the loop's connection `id` and collects what the loop hands over.
Received SendBulk(LoopThread& lt, int fd, ConnId id) {
  const std::string bulk(kBulk, 'x');
  size_t sent = 0;
  while (sent < bulk.size()) {
    const ssize_t n = write(fd, bulk.data() + sent, bulk.size() - sent);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  Received received;
  while (received.total < sent) {
    std::optional<Event> event = lt.handler.Wait(Kind::kReceived);
    if (!event) break;
    if (event->id != id) continue;
    received.total += event->data.size();
    received.largest = std::max(received.largest, event->data.size());
  }
  return received;
}

TEST(ReceiveModeTest, OneAtATimeReadsAtMostItsBoundStreamingFillsBuffers) {
  TestSocket server;
  BindLoopback(server, 4);
  LoopSettings settings;
  settings.buffer_count = 8;
  settings.buffer_size = 64 * 1024;
  settings.one_at_a_time_bytes = 4096;
  LoopThread lt(settings);
  lt.handler.on_connected = [&lt](ConnId id) {
    lt.loop()->SetReceiveMode(id, ReceiveMode::kOneBufferAtATime);
  };
  ASSERT_TRUE(
      lt.OnLoop([&](EventLoop& loop) { return loop.Connect(Loopback(server.port), 1); }).ok());
  const int fd = accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(fd, 0);
  SetTimeouts(fd);
  std::optional<Event> connected = lt.handler.Wait(Kind::kConnected);
  ASSERT_TRUE(connected.has_value());

  const Received one_at_a_time = SendBulk(lt, fd, connected->id);
  EXPECT_EQ(one_at_a_time.total, kBulk);
  EXPECT_LE(one_at_a_time.largest, settings.one_at_a_time_bytes);

  lt.OnLoop([&](EventLoop& loop) {
    loop.SetReceiveMode(connected->id, ReceiveMode::kStreaming);
    return 0;
  });
  const Received streaming = SendBulk(lt, fd, connected->id);
  EXPECT_EQ(streaming.total, kBulk);
  EXPECT_GT(streaming.largest, settings.one_at_a_time_bytes);
  EXPECT_LE(streaming.largest, settings.buffer_size);
  close(fd);
}

}  // namespace
}  // namespace ringnats::ring
