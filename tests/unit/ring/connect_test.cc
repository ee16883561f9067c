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
#include "ringnats/ring/event_loop.h"
#include "ringnats/ring/listener.h"

namespace ringnats::ring {
namespace {

constexpr auto kLiveness = std::chrono::seconds(5);

enum class Kind { kAccepted, kConnected, kConnectFailed, kReceived, kPeerGone, kClosed };

struct Event {
  Kind kind;
  ConnId id;
  uint64_t tag = 0;
  int error = 0;
  uint32_t listener = 0;
  std::string data;
};

// Records what the loop reports; the test thread waits for it. Calls arrive on the loop's
// thread, waits happen on the test's.
class RecordingHandler : public LoopHandler {
 public:
  // Off: accepts go through LoopHandler's default OnAcceptedFrom, i.e. OnAccepted, as for a
  // handler written before listeners had ids.
  std::atomic<bool> record_listener_ids{true};
  static constexpr uint32_t kNoListenerId = 0xffffffff;

  void OnAccepted(ConnId id, const sockaddr_storage&) override {
    Push({.kind = Kind::kAccepted, .id = id, .listener = kNoListenerId});
  }
  void OnAcceptedFrom(ConnId id, const sockaddr_storage& peer, uint32_t listener_id) override {
    if (!record_listener_ids) {
      LoopHandler::OnAcceptedFrom(id, peer, listener_id);
      return;
    }
    Push({.kind = Kind::kAccepted, .id = id, .listener = listener_id});
  }
  void OnConnected(ConnId id, uint64_t tag) override {
    Push({.kind = Kind::kConnected, .id = id, .tag = tag});
  }
  void OnConnectFailed(uint64_t tag, int error) override {
    Push({.kind = Kind::kConnectFailed, .tag = tag, .error = error});
  }
  void OnReceived(ConnId id, std::string_view data) override {
    Push({.kind = Kind::kReceived, .id = id, .data = std::string(data)});
  }
  void OnPeerGone(ConnId id, PeerGone) override { Push({.kind = Kind::kPeerGone, .id = id}); }
  void OnPeerHangup(ConnId) override {}
  void OnConnClosed(ConnId id) override { Push({.kind = Kind::kClosed, .id = id}); }
  void OnWake() override {}
  void OnIterationEnd() override {}
  void OnTick(int64_t) override {}
  bool HasPendingWork() override { return false; }

  // The next event of `kind` (earlier events of other kinds stay queued), or nullopt after
  // the liveness bound.
  std::optional<Event> Wait(Kind kind) {
    std::unique_lock lock(mu_);
    std::optional<Event> found;
    cv_.wait_for(lock, kLiveness, [&] {
      for (auto it = events_.begin(); it != events_.end(); ++it) {
        if (it->kind == kind) {
          found = *it;
          events_.erase(it);
          return true;
        }
      }
      return false;
    });
    return found;
  }

  // Bytes received on `id` until `size` have arrived (or the liveness bound).
  std::string WaitBytes(ConnId id, size_t size) {
    std::string got;
    while (got.size() < size) {
      std::optional<Event> e = Wait(Kind::kReceived);
      if (!e) break;
      if (e->id == id) got += e->data;
    }
    return got;
  }

 private:
  void Push(Event e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
};

// An EventLoop running on its own thread (it must be created there: the ring is
// single-issuer). `before_run` runs on that thread between Create and Run.
class LoopThread {
 public:
  explicit LoopThread(LoopSettings settings, std::function<void(EventLoop&)> before_run = nullptr) {
    // Shared: the thread may still be inside set_value when this constructor returns.
    auto ready = std::make_shared<std::promise<EventLoop*>>();
    std::future<EventLoop*> loop = ready->get_future();
    thread_ = std::thread([this, settings, before_run, ready] {
      absl::StatusOr<std::unique_ptr<EventLoop>> created = EventLoop::Create(settings);
      if (!created.ok()) {
        ready->set_value(nullptr);
        return;
      }
      owned_ = std::move(*created);
      if (before_run) before_run(*owned_);
      ready->set_value(owned_.get());
      owned_->Run(handler);
    });
    loop_ = loop.get();
  }
  ~LoopThread() { Stop(); }

  void Stop() {
    if (thread_.joinable()) {
      if (loop_ != nullptr) loop_->RequestStop();
      thread_.join();
    }
  }

  // Runs `fn` on the loop's thread and returns its result.
  template <typename Fn>
  auto OnLoop(Fn fn) -> decltype(fn(std::declval<EventLoop&>())) {
    using Result = decltype(fn(std::declval<EventLoop&>()));
    auto done = std::make_shared<std::promise<Result>>();
    std::future<Result> result = done->get_future();
    loop_->Post([this, fn, done] { done->set_value(fn(*loop_)); }, nullptr);
    return result.get();
  }

  EventLoop* loop() { return loop_; }
  RecordingHandler handler;

 private:
  std::thread thread_;
  std::unique_ptr<EventLoop> owned_;
  EventLoop* loop_ = nullptr;
};

sockaddr_storage Loopback(int port) {
  sockaddr_storage ss{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(static_cast<uint16_t>(port));
  sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ss;
}

// A blocking socket bound to 127.0.0.1 on a free port; listening with `backlog` unless it
// is negative. Reads and accepts on it give up after the liveness bound.
struct TestSocket {
  int fd = -1;
  int port = 0;
  TestSocket(const TestSocket&) = delete;
  TestSocket() = default;
  ~TestSocket() {
    if (fd >= 0) close(fd);
  }
};

void SetTimeouts(int fd) {
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
}

void BindLoopback(TestSocket& s, int backlog) {
  s.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s.fd, 0);
  sockaddr_storage addr = Loopback(0);
  ASSERT_EQ(bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(sockaddr_in)), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(s.fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  s.port = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (backlog >= 0) {
    ASSERT_EQ(listen(s.fd, backlog), 0) << strerror(errno);
  }
  SetTimeouts(s.fd);
}

// A blocking connect from the test thread; returns the fd or -errno.
int ConnectFromTest(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  SetTimeouts(fd);
  sockaddr_storage addr = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(sockaddr_in)) != 0) {
    const int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

std::string ReadExactly(int fd, size_t size) {
  std::string got;
  char buf[256];
  while (got.size() < size) {
    const ssize_t n = read(fd, buf, std::min(sizeof buf, size - got.size()));
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

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
