#pragma once
// A TCP proxy on a loopback port that forwards every connection to a fixed loopback port,
// and that a test can cut and heal like a network link between two cluster nodes.
//
// Cut(kReset) is a link whose loss both ends see at once: every proxied connection is
// closed on both sides and new connections are closed as soon as they are accepted.
// Cut(kSilent) is a partition nobody is told about: bytes are read and thrown away in both
// directions, nothing is closed, and new connections are accepted and blackholed the same
// way, so each end can only notice through its own keepalive (PING without PONG). Heal()
// closes every connection that lived through the cut (as a peer's RST would once packets
// flow again) and forwards new connections again.
//
// Throttle(rate) forwards at most `rate` bytes per second in each direction of each
// connection (0: nothing, as a peer that stopped reading), so the node writing into the
// proxy finds its socket full and its own queue growing; Unthrottle() forwards at full
// speed again. With a small `receive_buffer` the proxy's accepted sockets hold little, so
// the writer feels the throttle sooner.
//
// The proxy runs its own thread; Cut, Heal, accepted() and the destructor may be called from
// any one thread (the test thread) and return once the proxy thread has applied them.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"

namespace ringnats::clustertest {

class TcpProxy {
 public:
  enum class CutMode { kReset, kSilent };

  // Listens on 127.0.0.1 (a port the kernel picks) and forwards to 127.0.0.1:target_port.
  // `receive_buffer` > 0 sets SO_RCVBUF of the sockets it accepts.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port, int receive_buffer = 0);

  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;
  // Stops the thread and closes every socket.
  ~TcpProxy();

  int port() const { return port_; }
  // Connections accepted so far, forwarded or not.
  int accepted() const { return accepted_.load(); }
  // Forwarded connections that one of the two ends closed (the proxy closed the other).
  int ended() const { return ended_.load(); }

  void Cut(CutMode mode);
  void Heal();
  void Throttle(size_t bytes_per_second);
  void Unthrottle();

 private:
  enum class Command { kNone, kCutReset, kCutSilent, kHeal, kSetRate, kStop };

  TcpProxy() = default;
  void Run();
  // Hands `command` to the proxy thread and waits until it has been applied.
  void Apply(Command command, size_t rate = 0);

  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: a command is waiting
  int port_ = 0;
  int target_port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<int> ended_{0};

  std::mutex mu_;
  Command pending_ = Command::kNone;  // guarded by mu_
  size_t pending_rate_ = 0;           // guarded by mu_: kSetRate's bytes per second
  uint64_t applied_ = 0;              // guarded by mu_: commands the thread has applied
  std::condition_variable applied_cv_;
  std::thread thread_;
};

}  // namespace ringnats::clustertest
