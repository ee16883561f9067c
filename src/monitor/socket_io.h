#pragma once
// Internal to the monitor module: what the HTTP and HTTPS connection loops share. They run
// on cpp-httplib's pool threads over blocking sockets whose every wait is bounded by poll(),
// and a wait for the peer to send ends early once the server is stopping.

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ringnats::monitor {

int Millis(time_t seconds, time_t micros);

// How long a connection waits for the first byte of its next request. cpp-httplib waits the
// keep-alive timeout before the first request too (1 s here); Go's server, and so
// nats-server, waits without end. A scraper on a saturated machine can be that slow between
// connect and send, so a fresh connection gets the read timeout; an idle keep-alive one
// still gets the shorter wait, since it holds one of the few pool threads.
int NextRequestWaitMillis(bool first_request, time_t keep_alive_seconds, int read_millis);

// True once `events` are ready on `fd`; false after `millis`, on an error, or (for POLLIN)
// once `listening` is INVALID_SOCKET (Stop was called). A wait to send is not cut short:
// Stop lets answers in flight finish.
bool WaitReady(int fd, short events, int millis, const std::atomic<socket_t>& listening);

// Sends all `size` bytes on a non-blocking socket, waiting up to `write_millis` each time the
// peer's window is full; false on a timeout or a socket error.
bool SendAll(int fd, const char* data, size_t size, int write_millis,
             const std::atomic<socket_t>& listening);

// One request's reading, bounded as a whole as nats-server bounds a request's head (Go's
// MaxHeaderBytes 1 MiB; ReadHeaderTimeout 5 s since 2.10): every wait is bounded by the read
// timeout anyway, but a client sending a byte every few seconds, or headers without end,
// would otherwise hold one of the few pool threads (and its memory) for as long as it liked.
// Go gives every connection a goroutine of its own; these threads are shared. The bound
// covers a request's body too (at most max_request_body, 64 KiB).
class RequestReadBudget {
 public:
  static constexpr absl::Duration kTime = absl::Seconds(5);
  static constexpr size_t kBytes = size_t{1} << 20;

  // At the first byte of each request.
  void Start() {
    deadline_ = absl::Now() + kTime;
    bytes_ = 0;
  }
  // False once this request has had its time or its bytes: the read fails and the
  // connection closes.
  bool Allows() const { return bytes_ <= kBytes && absl::Now() < deadline_; }
  void Count(size_t n) { bytes_ += n; }
  // How long the next wait for bytes may be: `per_wait`, or less once the deadline is near
  // (0 once it passed), so a read that needs many waits (a TLS record arriving a byte at a
  // time) still ends with the request's time.
  int WaitMillis(int per_wait) const {
    const int64_t left = absl::ToInt64Milliseconds(deadline_ - absl::Now());
    return static_cast<int>(std::clamp<int64_t>(left, 0, per_wait));
  }

 private:
  absl::Time deadline_ = absl::InfiniteFuture();
  size_t bytes_ = 0;
};

// "127.0.0.1:54321" or "[::1]:54321", as Go prints an address; `peer` picks the remote end.
std::string Address(int fd, bool peer);
void SplitAddress(const std::string& address, std::string& ip, int& port);

}  // namespace ringnats::monitor
