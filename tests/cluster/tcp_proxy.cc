#include "cluster/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace ringnats::clustertest {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Writes all of `data`; false when the peer is gone.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

constexpr size_t kUnlimited = std::numeric_limits<size_t>::max();
// A throttle's budget is handed out in slices of this length.
constexpr std::chrono::milliseconds kThrottleSlice{10};

// One proxied connection: `down` was accepted from the dialling node, `up` dialled to the
// target. A blackholed pair forwards nothing and only closes a side whose peer closed it.
// `budget` is what each direction may still forward in this throttle slice.
struct Pair {
  int down = -1;
  int up = -1;
  bool blackholed = false;
  size_t budget[2] = {kUnlimited, kUnlimited};
};

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port, int receive_buffer) {
  std::unique_ptr<TcpProxy> proxy(new TcpProxy());
  proxy->target_port_ = target_port;
  proxy->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (proxy->listen_fd_ < 0) return absl::ErrnoToStatus(errno, "socket");
  const int one = 1;
  setsockopt(proxy->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // Set on the listener, so that accepted sockets start with it (the window is negotiated
  // in the handshake).
  if (receive_buffer > 0 && setsockopt(proxy->listen_fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer,
                                       sizeof receive_buffer) != 0) {
    return absl::ErrnoToStatus(errno, "SO_RCVBUF");
  }
  sockaddr_in address = Loopback(0);
  if (bind(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(proxy->listen_fd_, 64) != 0) {
    return absl::ErrnoToStatus(errno, "bind/listen");
  }
  socklen_t length = sizeof address;
  if (getsockname(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return absl::ErrnoToStatus(errno, "getsockname");
  }
  proxy->port_ = ntohs(address.sin_port);
  proxy->wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (proxy->wake_fd_ < 0) return absl::ErrnoToStatus(errno, "eventfd");
  proxy->thread_ = std::thread([p = proxy.get()] { p->Run(); });
  return proxy;
}

TcpProxy::~TcpProxy() {
  if (thread_.joinable()) {
    Apply(Command::kStop);
    thread_.join();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void TcpProxy::Cut(CutMode mode) {
  Apply(mode == CutMode::kReset ? Command::kCutReset : Command::kCutSilent);
}

void TcpProxy::Heal() {
  Apply(Command::kHeal);
}

void TcpProxy::Throttle(size_t bytes_per_second) {
  Apply(Command::kSetRate, bytes_per_second);
}

void TcpProxy::Unthrottle() {
  Apply(Command::kSetRate, kUnlimited);
}

void TcpProxy::Apply(Command command, size_t rate) {
  std::unique_lock<std::mutex> lock(mu_);
  pending_ = command;
  pending_rate_ = rate;
  const uint64_t target = applied_ + 1;
  const uint64_t wake = 1;
  [[maybe_unused]] const ssize_t written = write(wake_fd_, &wake, sizeof wake);
  applied_cv_.wait(lock, [&] { return applied_ >= target; });
}

void TcpProxy::Run() {
  enum class State { kForwarding, kCutReset, kCutSilent };
  State state = State::kForwarding;
  std::vector<Pair> pairs;
  std::vector<char> buffer(64 * 1024);
  size_t rate = kUnlimited;  // bytes per second per direction of a pair
  const auto slice_budget = [&rate] {
    return rate == kUnlimited ? kUnlimited : rate / (1000 / kThrottleSlice.count());
  };
  using Clock = std::chrono::steady_clock;
  Clock::time_point next_slice = Clock::now();

  const auto close_pairs = [&pairs](bool only_blackholed) {
    std::vector<Pair> kept;
    for (Pair& pair : pairs) {
      if (only_blackholed && !pair.blackholed) {
        kept.push_back(pair);
        continue;
      }
      CloseFd(pair.down);
      CloseFd(pair.up);
    }
    pairs = std::move(kept);
  };

  while (true) {
    int timeout_ms = -1;
    if (rate != kUnlimited) {
      const Clock::time_point now = Clock::now();
      if (now >= next_slice) {
        for (Pair& pair : pairs) pair.budget[0] = pair.budget[1] = slice_budget();
        next_slice = now + kThrottleSlice;
      }
      timeout_ms =
          static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(next_slice - now).count());
    }
    std::vector<pollfd> fds = {{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    // fds[2 + 2 * i] is pairs[i].down, fds[3 + 2 * i] its up (-1 is ignored by poll: a closed
    // side, or one whose throttle budget is spent until the next slice).
    for (const Pair& pair : pairs) {
      fds.push_back({pair.budget[0] > 0 ? pair.down : -1, POLLIN, 0});
      fds.push_back({pair.budget[1] > 0 ? pair.up : -1, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), timeout_ms) < 0) {
      if (errno == EINTR) continue;
      break;
    }

    if (fds[0].revents != 0) {
      uint64_t count = 0;
      [[maybe_unused]] const ssize_t got = read(wake_fd_, &count, sizeof count);
      std::lock_guard<std::mutex> lock(mu_);
      const Command command = pending_;
      pending_ = Command::kNone;
      switch (command) {
        case Command::kCutReset:
          close_pairs(/*only_blackholed=*/false);
          state = State::kCutReset;
          break;
        case Command::kCutSilent:
          for (Pair& pair : pairs) pair.blackholed = true;
          state = State::kCutSilent;
          break;
        case Command::kHeal:
          close_pairs(/*only_blackholed=*/true);
          state = State::kForwarding;
          break;
        case Command::kSetRate:
          rate = pending_rate_;
          for (Pair& pair : pairs) pair.budget[0] = pair.budget[1] = slice_budget();
          next_slice = Clock::now() + kThrottleSlice;
          break;
        case Command::kStop:
          close_pairs(/*only_blackholed=*/false);
          ++applied_;
          applied_cv_.notify_all();
          return;
        case Command::kNone: break;
      }
      ++applied_;
      applied_cv_.notify_all();
      continue;  // `pairs` changed: the fds polled above are stale
    }

    // Pairs accepted below have no entry in `fds` yet: they are polled from the next round.
    const size_t polled_pairs = pairs.size();
    if (fds[1].revents != 0) {
      const int down = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (down >= 0) {
        accepted_.fetch_add(1);
        Pair pair{down, -1, false, {slice_budget(), slice_budget()}};
        switch (state) {
          case State::kCutReset: CloseFd(pair.down); break;
          case State::kCutSilent: pair.blackholed = true; break;
          case State::kForwarding: {
            pair.up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const sockaddr_in target = Loopback(target_port_);
            if (pair.up < 0 ||
                connect(pair.up, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
              CloseFd(pair.up);
              CloseFd(pair.down);
            }
            break;
          }
        }
        if (pair.down >= 0) pairs.push_back(pair);
      }
    }

    for (size_t i = 0; i < polled_pairs; ++i) {
      Pair& pair = pairs[i];
      for (int side = 0; side < 2; ++side) {
        const short revents = fds[2 + 2 * i + side].revents;
        int& from = side == 0 ? pair.down : pair.up;
        int& to = side == 0 ? pair.up : pair.down;
        if (revents == 0 || from < 0) continue;
        const ssize_t n = read(from, buffer.data(), std::min(buffer.size(), pair.budget[side]));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          // A partition hides the close from the other side; a link passes it on.
          CloseFd(from);
          if (!pair.blackholed) CloseFd(to);
          continue;
        }
        if (pair.budget[side] != kUnlimited) pair.budget[side] -= static_cast<size_t>(n);
        if (pair.blackholed) continue;
        if (!WriteAll(to, buffer.data(), static_cast<size_t>(n))) {
          CloseFd(from);
          CloseFd(to);
        }
      }
    }
    std::erase_if(pairs, [this](const Pair& pair) {
      const bool over = pair.down < 0 && pair.up < 0;
      if (over) ended_.fetch_add(1);
      return over;
    });
  }
}

}  // namespace ringnats::clustertest
