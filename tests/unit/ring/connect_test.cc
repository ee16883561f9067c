// Outbound connects and extra listeners on the event loop, over real loopback sockets: a
// connection made by Connect carries bytes both ways and closes like an accepted one; a
// refused or timed-out connect reports its errno; a second listener reports its own id and
// can be closed on its own; a pending connect is cancelled by CancelConnect and by stop.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "loop_harness.h"
#include "ringnats/ring/event_loop.h"
#include "ringnats/ring/listener.h"

namespace ringnats::ring {
namespace {

using namespace ringnats::ring::testing;  // NOLINT: the shared loop harness

// A listener whose accept queue is full, so further SYNs are dropped and a connect to it
// stays pending until its timeout: backlog 0 admits one queued connection, which the test
// makes and never accepts.
struct FullListener {
  TestSocket listener;
  int filler = -1;
  FullListener() {
    BindLoopback(listener, 0);
    filler = ConnectFromTest(listener.port);
  }
  ~FullListener() {
    if (filler >= 0) close(filler);
  }
};

TEST(ConnectTest, ConnectedConnectionCarriesBytesBothWaysAndCloses) {
  TestSocket server;
  BindLoopback(server, 16);
  LoopThread lt(LoopSettings{});
  ASSERT_NE(lt.loop(), nullptr);
  const absl::Status started =
      lt.OnLoop([&](EventLoop& loop) { return loop.Connect(Loopback(server.port), 7); });
  ASSERT_TRUE(started.ok()) << started;
  const int peer = accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(peer, 0) << strerror(errno);
  SetTimeouts(peer);
  std::optional<Event> connected = lt.handler.Wait(Kind::kConnected);
  ASSERT_TRUE(connected);
  EXPECT_EQ(connected->tag, 7u);
  const ConnId id = connected->id;

  ASSERT_EQ(write(peer, "hello ring", 10), 10);
  EXPECT_EQ(lt.handler.WaitBytes(id, 10), "hello ring");

  lt.OnLoop([&](EventLoop& loop) {
    loop.OutboundToSend(id).Append("hello peer");
    return 0;
  });
  EXPECT_EQ(ReadExactly(peer, 10), "hello peer");

  // Queued bytes go out before the close, as for an accepted connection.
  lt.OnLoop([&](EventLoop& loop) {
    loop.OutboundToSend(id).Append("bye");
    loop.Close(id, CloseMode::kAfterFlush);
    return 0;
  });
  std::optional<Event> closed = lt.handler.Wait(Kind::kClosed);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->id, id);
  EXPECT_EQ(ReadExactly(peer, 3), "bye");
  char c;
  EXPECT_EQ(read(peer, &c, 1), 0);  // EOF
  EXPECT_FALSE(lt.OnLoop([&](EventLoop& loop) { return loop.IsLive(id); }));
  EXPECT_EQ(lt.OnLoop([](EventLoop& loop) { return loop.stats().connects_started; }), 1u);
  close(peer);
}

TEST(ConnectTest, PeerClosingAConnectedConnectionIsReportedLikeForAnAcceptedOne) {
  TestSocket server;
  BindLoopback(server, 16);
  LoopThread lt(LoopSettings{});
  ASSERT_TRUE(
      lt.OnLoop([&](EventLoop& loop) { return loop.Connect(Loopback(server.port), 1); }).ok());
  const int peer = accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(peer, 0);
  std::optional<Event> connected = lt.handler.Wait(Kind::kConnected);
  ASSERT_TRUE(connected);
  close(peer);
  std::optional<Event> gone = lt.handler.Wait(Kind::kPeerGone);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->id, connected->id);
  std::optional<Event> closed = lt.handler.Wait(Kind::kClosed);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->id, connected->id);
}

TEST(ConnectTest, ConnectToClosedPortFailsWithEconnrefused) {
  // Bound but not listening: the port is ours, so nothing else answers on it.
  TestSocket unused;
  BindLoopback(unused, -1);
  LoopThread lt(LoopSettings{});
  ASSERT_TRUE(
      lt.OnLoop([&](EventLoop& loop) { return loop.Connect(Loopback(unused.port), 3); }).ok());
  std::optional<Event> failed = lt.handler.Wait(Kind::kConnectFailed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->tag, 3u);
  EXPECT_EQ(failed->error, ECONNREFUSED) << strerror(failed->error);
  EXPECT_EQ(lt.OnLoop([](EventLoop& loop) { return loop.stats().connects_failed; }), 1u);
}

TEST(ConnectTest, ConnectThatGetsNoAnswerTimesOut) {
  FullListener full;
  ASSERT_GE(full.filler, 0) << strerror(-full.filler);
  LoopThread lt(LoopSettings{});
  const auto begin = std::chrono::steady_clock::now();
  ASSERT_TRUE(lt.OnLoop([&](EventLoop& loop) {
                  return loop.Connect(Loopback(full.listener.port), 4, 200'000'000);
                }).ok());
  std::optional<Event> failed = lt.handler.Wait(Kind::kConnectFailed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->tag, 4u);
  EXPECT_EQ(failed->error, ETIMEDOUT) << strerror(failed->error);
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(200));
}

TEST(ConnectTest, ConnectTimeoutComesFromTheSettings) {
  FullListener full;
  ASSERT_GE(full.filler, 0);
  LoopSettings settings;
  settings.connect_timeout_ns = 100'000'000;
  LoopThread lt(settings);
  ASSERT_TRUE(lt.OnLoop([&](EventLoop& loop) {
                  return loop.Connect(Loopback(full.listener.port), 5);
                }).ok());
  std::optional<Event> failed = lt.handler.Wait(Kind::kConnectFailed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->error, ETIMEDOUT) << strerror(failed->error);
}

TEST(ConnectTest, CancelConnectReportsEcanceled) {
  FullListener full;
  ASSERT_GE(full.filler, 0);
  LoopThread lt(LoopSettings{});
  const size_t cancelled = lt.OnLoop([&](EventLoop& loop) -> size_t {
    if (!loop.Connect(Loopback(full.listener.port), 9, 60'000'000'000).ok()) return 99;
    if (!loop.Connect(Loopback(full.listener.port), 10, 60'000'000'000).ok()) return 99;
    return loop.CancelConnect(9);
  });
  EXPECT_EQ(cancelled, 1u);
  std::optional<Event> failed = lt.handler.Wait(Kind::kConnectFailed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->tag, 9u);
  EXPECT_EQ(failed->error, ECANCELED);
  EXPECT_EQ(lt.OnLoop([](EventLoop& loop) { return loop.CancelConnect(9); }), 0u);
  // Stopping the loop cancels the other one; Run does not wait for its 60 s timeout.
  const auto begin = std::chrono::steady_clock::now();
  lt.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, kLiveness);
  failed = lt.handler.Wait(Kind::kConnectFailed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->tag, 10u);
  EXPECT_EQ(failed->error, ECANCELED);
}

TEST(ConnectTest, BadConnectArgumentsFailAtOnceWithoutCallback) {
  LoopThread lt(LoopSettings{});
  sockaddr_storage unix_addr{};
  unix_addr.ss_family = AF_UNIX;
  EXPECT_EQ(lt.OnLoop([&](EventLoop& loop) { return loop.Connect(unix_addr, 1).code(); }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(lt.OnLoop([&](EventLoop& loop) { return loop.Connect(Loopback(1), 1, 0).code(); }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(lt.OnLoop([](EventLoop& loop) { return loop.stats().connects_started; }), 0u);
}

TEST(ListenerTest, SecondListenerAcceptsWithItsOwnIdAndClosesAlone) {
  absl::StatusOr<BoundListener> main_listener = ListenReusePort("127.0.0.1", 0, 16);
  ASSERT_TRUE(main_listener.ok()) << main_listener.status();
  absl::StatusOr<BoundListener> route_listener = ListenReusePort("127.0.0.1", 0, 16);
  ASSERT_TRUE(route_listener.ok()) << route_listener.status();
  LoopSettings settings;
  settings.listen_fd = main_listener->fd;
  absl::Status added;
  LoopThread lt(settings,
                [&](EventLoop& loop) { added = loop.AddListener(route_listener->fd, 42); });
  ASSERT_TRUE(added.ok()) << added;

  int route_peer = ConnectFromTest(route_listener->port);
  ASSERT_GE(route_peer, 0);
  std::optional<Event> accepted = lt.handler.Wait(Kind::kAccepted);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->listener, 42u);
  // The accepted route connection works like any other.
  ASSERT_EQ(write(route_peer, "RS+", 3), 3);
  EXPECT_EQ(lt.handler.WaitBytes(accepted->id, 3), "RS+");

  int client_peer = ConnectFromTest(main_listener->port);
  ASSERT_GE(client_peer, 0);
  accepted = lt.handler.Wait(Kind::kAccepted);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->listener, kMainListenerId);

  // Ids are unique among open listeners.
  TestSocket extra;
  BindLoopback(extra, 4);
  EXPECT_EQ(lt.OnLoop([&](EventLoop& loop) { return loop.AddListener(extra.fd, 42).code(); }),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(lt.OnLoop([&](EventLoop& loop) {
    return loop.AddListener(extra.fd, kMainListenerId).code();
  }),
            absl::StatusCode::kAlreadyExists);

  // Lame duck closes the client listener only.
  lt.OnLoop([](EventLoop& loop) {
    loop.StopAccepting();
    return 0;
  });
  EXPECT_EQ(ConnectFromTest(main_listener->port), -ECONNREFUSED);
  const int second_route = ConnectFromTest(route_listener->port);
  ASSERT_GE(second_route, 0);
  accepted = lt.handler.Wait(Kind::kAccepted);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->listener, 42u);

  EXPECT_TRUE(lt.OnLoop([](EventLoop& loop) { return loop.CloseListener(42); }).ok());
  EXPECT_EQ(ConnectFromTest(route_listener->port), -ECONNREFUSED);
  EXPECT_EQ(lt.OnLoop([](EventLoop& loop) { return loop.CloseListener(42).code(); }),
            absl::StatusCode::kNotFound);
  // Connections accepted earlier stay open.
  EXPECT_TRUE(lt.OnLoop([&](EventLoop& loop) { return loop.IsLive(accepted->id); }));
  lt.Stop();
  close(route_peer);
  close(client_peer);
  close(second_route);
}

TEST(ListenerTest, ListenerAddedWhileRunningAcceptsAndHandlersWithoutIdsStillWork) {
  absl::StatusOr<BoundListener> main_listener = ListenReusePort("127.0.0.1", 0, 16);
  ASSERT_TRUE(main_listener.ok());
  LoopSettings settings;
  settings.listen_fd = main_listener->fd;
  LoopThread lt(settings);
  lt.handler.record_listener_ids = false;  // set before any accept happens

  const int client = ConnectFromTest(main_listener->port);
  ASSERT_GE(client, 0);
  std::optional<Event> accepted = lt.handler.Wait(Kind::kAccepted);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->listener, RecordingHandler::kNoListenerId);  // came through OnAccepted

  lt.handler.record_listener_ids = true;
  absl::StatusOr<BoundListener> late = ListenReusePort("127.0.0.1", 0, 16);
  ASSERT_TRUE(late.ok());
  ASSERT_TRUE(lt.OnLoop([&](EventLoop& loop) { return loop.AddListener(late->fd, 7); }).ok());
  const int route = ConnectFromTest(late->port);
  ASSERT_GE(route, 0);
  accepted = lt.handler.Wait(Kind::kAccepted);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->listener, 7u);

  // An id is free again once its listener is closed.
  ASSERT_TRUE(lt.OnLoop([](EventLoop& loop) { return loop.CloseListener(7); }).ok());
  absl::StatusOr<BoundListener> again = ListenReusePort("127.0.0.1", 0, 16);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(lt.OnLoop([&](EventLoop& loop) { return loop.AddListener(again->fd, 7); }).ok());
  const int route2 = ConnectFromTest(again->port);
  ASSERT_GE(route2, 0);
  accepted = lt.handler.Wait(Kind::kAccepted);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->listener, 7u);
  lt.Stop();
  close(route2);
  // Stop closed the listeners.
  EXPECT_EQ(ConnectFromTest(main_listener->port), -ECONNREFUSED);
  EXPECT_EQ(ConnectFromTest(late->port), -ECONNREFUSED);
  close(client);
  close(route);
}

TEST(ConnectTest, ConnectToTheLoopsOwnListenerGivesBothEnds) {
  absl::StatusOr<BoundListener> main_listener = ListenReusePort("127.0.0.1", 0, 16);
  ASSERT_TRUE(main_listener.ok());
  LoopSettings settings;
  settings.listen_fd = main_listener->fd;
  LoopThread lt(settings);
  ASSERT_TRUE(lt.OnLoop([&](EventLoop& loop) {
                  return loop.Connect(Loopback(main_listener->port), 11);
                }).ok());
  std::optional<Event> connected = lt.handler.Wait(Kind::kConnected);
  std::optional<Event> accepted = lt.handler.Wait(Kind::kAccepted);
  ASSERT_TRUE(connected && accepted);
  EXPECT_FALSE(connected->id == accepted->id);
  lt.OnLoop([&](EventLoop& loop) {
    loop.OutboundToSend(connected->id).Append("INFO {}\r\n");
    loop.OutboundToSend(accepted->id).Append("CONNECT {}\r\n");
    return 0;
  });
  EXPECT_EQ(lt.handler.WaitBytes(accepted->id, 9), "INFO {}\r\n");
  EXPECT_EQ(lt.handler.WaitBytes(connected->id, 12), "CONNECT {}\r\n");
}

TEST(ConnectTest, ConnectStartedBeforeRunCompletesOnceRunning) {
  TestSocket server;
  BindLoopback(server, 4);
  absl::Status started;
  LoopThread lt(LoopSettings{},
                [&](EventLoop& loop) { started = loop.Connect(Loopback(server.port), 12); });
  ASSERT_TRUE(started.ok()) << started;
  const int peer = accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(peer, 0) << strerror(errno);
  std::optional<Event> connected = lt.handler.Wait(Kind::kConnected);
  ASSERT_TRUE(connected);
  EXPECT_EQ(connected->tag, 12u);
  close(peer);
}

TEST(ConnectTest, ConnectsOverIpv6) {
  const int listener = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) GTEST_SKIP() << "no IPv6 sockets here: " << strerror(errno);
  sockaddr_storage addr{};
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&addr);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_addr = in6addr_loopback;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(sockaddr_in6)) != 0) {
    const int err = errno;
    close(listener);
    GTEST_SKIP() << "no IPv6 loopback here: " << strerror(err);
  }
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  SetTimeouts(listener);
  LoopThread lt(LoopSettings{});
  ASSERT_TRUE(lt.OnLoop([&](EventLoop& loop) { return loop.Connect(addr, 6); }).ok());
  const int peer = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(peer, 0) << strerror(errno);
  std::optional<Event> connected = lt.handler.Wait(Kind::kConnected);
  ASSERT_TRUE(connected);
  EXPECT_EQ(connected->tag, 6u);
  close(peer);
  close(listener);
}

}  // namespace
}  // namespace ringnats::ring
