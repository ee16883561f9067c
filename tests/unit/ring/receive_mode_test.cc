// How the loop reads a connection's socket. Streaming keeps a multishot receive armed that
// fills whole provided buffers, at most LoopSettings::streaming_burst_bytes before it is
// re-armed, which is what bounds how far a pause overshoots; one at a time reads at most
// LoopSettings::one_at_a_time_bytes per receive, which is what bounds the input a connection
// waiting for a bcrypt verdict holds however large the receive buffers are.

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "absl/cleanup/cleanup.h"
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

// The loop connects to `server`; the test's end of that connection and the loop's id for it.
struct LoopConnection {
  int fd = -1;
  ConnId id;
};

std::optional<LoopConnection> ConnectLoop(LoopThread& lt, const TestSocket& server) {
  if (!lt.OnLoop([&](EventLoop& loop) { return loop.Connect(Loopback(server.port), 1); }).ok()) {
    return std::nullopt;
  }
  const int fd = accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return std::nullopt;
  SetTimeouts(fd);
  std::optional<Event> connected = lt.handler.Wait(Kind::kConnected);
  if (!connected) {
    close(fd);
    return std::nullopt;
  }
  return LoopConnection{fd, connected->id};
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
  std::optional<LoopConnection> connected = ConnectLoop(lt, server);
  ASSERT_TRUE(connected.has_value());
  const int fd = connected->fd;

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

// Writes until the socket takes no more (the peer is not reading); returns the bytes sent.
size_t FillSocket(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return 0;
  const std::string chunk(16 * 1024, 'f');
  size_t sent = 0;
  while (sent < 64 * 1024 * 1024) {
    const ssize_t n = write(fd, chunk.data(), chunk.size());
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  fcntl(fd, F_SETFL, flags);
  return sent;
}

// A flood is already waiting in the socket when streaming starts, and the handler pauses the
// connection on its first bytes. What arrives meanwhile must stay within one burst (and the
// buffer that crosses its end), not whatever the kernel can drain into free buffers before
// the pause takes effect; after a resume the rest arrives, nothing lost.
TEST(ReceiveModeTest, APauseTakesEffectWithinOneStreamingBurst) {
  TestSocket server;
  BindLoopback(server, 4);
  LoopSettings settings;
  settings.buffer_count = 64;
  settings.buffer_size = 16 * 1024;
  settings.streaming_burst_bytes = 64 * 1024;
  // Declared before the loop, which uses them until it stops.
  std::atomic<bool> pause_on_data{true};
  std::atomic<size_t> received_before_resume{0};
  LoopThread lt(settings);
  lt.handler.on_connected = [&lt](ConnId id) { lt.loop()->PauseReceive(id); };
  lt.handler.on_received = [&](ConnId id, std::string_view data) {
    if (!pause_on_data) return;
    received_before_resume += data.size();
    lt.loop()->PauseReceive(id);
  };
  std::optional<LoopConnection> connected = ConnectLoop(lt, server);
  ASSERT_TRUE(connected.has_value());
  const int fd = connected->fd;
  const ConnId id = connected->id;

  absl::Cleanup close_fd = [fd] { close(fd); };
  const size_t sent = FillSocket(fd);
  const size_t bound = settings.streaming_burst_bytes + settings.buffer_size;
  ASSERT_GT(sent, 4 * bound) << "the socket must hold far more than one burst";
  // Paused from OnConnected on: nothing is read until the resume.
  for (int i = 0; i < 4; ++i) lt.OnLoop([](EventLoop&) { return 0; });
  ASSERT_EQ(received_before_resume.load(), 0u);
  lt.OnLoop([&](EventLoop& loop) {
    loop.ResumeReceive(id);
    return 0;
  });
  std::optional<Event> first = lt.handler.Wait(Kind::kReceived);
  ASSERT_TRUE(first.has_value());
  // The cancel goes out with the iteration that paused; a few more iterations hand over
  // anything the kernel delivered before it took effect.
  for (int i = 0; i < 4; ++i) lt.OnLoop([](EventLoop&) { return 0; });
  if (!lt.OnLoop([](EventLoop& loop) { return loop.streaming_bursts_limited(); })) {
    GTEST_SKIP() << "this kernel does not limit multishot receives (Linux 6.17+ does)";
  }
  EXPECT_GT(received_before_resume.load(), 0u);
  EXPECT_LE(received_before_resume.load(), bound);

  pause_on_data = false;
  lt.OnLoop([&](EventLoop& loop) {
    loop.ResumeReceive(id);
    return 0;
  });
  // Everything, the bytes received before the resume included, in order and complete.
  const std::string got = first->data + lt.handler.WaitBytes(id, sent - first->data.size());
  EXPECT_EQ(got.size(), sent);
  EXPECT_EQ(got.find_first_not_of('f'), std::string::npos);
  EXPECT_GT(lt.OnLoop([](EventLoop& loop) { return loop.stats().recv_bursts_ended; }), 0u);
}

// Without a burst bound (none asked for, or a kernel before 6.17) a flooding socket is
// drained into free buffers until its handler's pause takes effect; 16 KiB buffers keep that
// drain four times smaller than 64 KiB ones would, for the same memory.
TEST(ReceiveModeTest, WithoutABurstBoundReceivesAreAtMostSixteenKiB) {
  TestSocket server;
  BindLoopback(server, 4);
  LoopSettings settings;
  settings.buffer_count = 8;
  settings.buffer_size = 64 * 1024;
  settings.streaming_burst_bytes = 0;
  LoopThread lt(settings);
  std::optional<LoopConnection> connected = ConnectLoop(lt, server);
  ASSERT_TRUE(connected.has_value());
  absl::Cleanup close_fd = [fd = connected->fd] { close(fd); };
  EXPECT_FALSE(lt.OnLoop([](EventLoop& loop) { return loop.streaming_bursts_limited(); }));
  const Received streaming = SendBulk(lt, connected->fd, connected->id);
  EXPECT_EQ(streaming.total, kBulk);
  EXPECT_LE(streaming.largest, 16u * 1024);
  // Four times as many buffers (the same memory): the bulk fitted without running out.
  EXPECT_EQ(lt.OnLoop([](EventLoop& loop) { return loop.stats().recv_enobufs; }), 0u);
}

}  // namespace
}  // namespace ringnats::ring
