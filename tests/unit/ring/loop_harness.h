#pragma once
// What the loop tests share: a handler that records what the loop reports (the test thread
// waits for it), an EventLoop on its own thread, and blocking loopback sockets for the test's
// side of a connection. Calls to the handler arrive on the loop's thread; waits happen on the
// test's.

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
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "ringnats/ring/event_loop.h"

namespace ringnats::ring::testing {

inline constexpr auto kLiveness = std::chrono::seconds(5);

enum class Kind {
  kAccepted,
  kConnected,
  kConnectFailed,
  kReceived,
  kPeerGone,
  kClosed,
  kTlsEstablished,
  kTlsFailed,
};

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
  // Runs on the loop's thread inside OnConnected, before the loop arms the first receive.
  std::function<void(ConnId)> on_connected;
  void OnConnected(ConnId id, uint64_t tag) override {
    if (on_connected) on_connected(id);
    Push({.kind = Kind::kConnected, .id = id, .tag = tag});
  }
  void OnConnectFailed(uint64_t tag, int error) override {
    Push({.kind = Kind::kConnectFailed, .tag = tag, .error = error});
  }
  // Runs on the loop's thread for every receive, before it is recorded.
  std::function<void(ConnId, std::string_view)> on_received;
  void OnReceived(ConnId id, std::string_view data) override {
    if (on_received) on_received(id, data);
    Push({.kind = Kind::kReceived, .id = id, .data = std::string(data)});
  }
  void OnPeerGone(ConnId id, PeerGone) override { Push({.kind = Kind::kPeerGone, .id = id}); }
  void OnPeerHangup(ConnId) override {}
  void OnConnClosed(ConnId id) override { Push({.kind = Kind::kClosed, .id = id}); }
  void OnTlsEstablished(ConnId id) override { Push({.kind = Kind::kTlsEstablished, .id = id}); }
  void OnTlsFailed(ConnId id, std::string_view error, bool in_handshake) override {
    Push({.kind = Kind::kTlsFailed,
          .id = id,
          .error = in_handshake ? 1 : 0,
          .data = std::string(error)});
  }
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

inline sockaddr_storage Loopback(int port) {
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

inline void SetTimeouts(int fd) {
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
}

inline void BindLoopback(TestSocket& s, int backlog) {
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
inline int ConnectFromTest(int port) {
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

inline std::string ReadExactly(int fd, size_t size) {
  std::string got;
  char buf[256];
  while (got.size() < size) {
    const ssize_t n = read(fd, buf, std::min(sizeof buf, size - got.size()));
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

}  // namespace ringnats::ring::testing
