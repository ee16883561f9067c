#include "plain_http_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "socket_io.h"

namespace ringnats::monitor {
namespace {

// A blocking socket read through a buffer: cpp-httplib reads request lines a byte at a time.
class BufferedSocketStream final : public httplib::Stream {
 public:
  BufferedSocketStream(int fd, int read_millis, int write_millis,
                       const std::atomic<socket_t>& listening)
      : fd_(fd), read_millis_(read_millis), write_millis_(write_millis), listening_(listening) {}

  bool HasBuffered() const { return offset_ < filled_; }
  RequestReadBudget& budget() { return budget_; }

  bool is_readable() const override {
    return HasBuffered() || WaitReady(fd_, POLLIN, read_millis_, listening_);
  }
  bool is_writable() const override { return WaitReady(fd_, POLLOUT, write_millis_, listening_); }

  ssize_t read(char* ptr, size_t size) override {
    if (!budget_.Allows()) return -1;
    if (!HasBuffered()) {
      if (!is_readable()) return -1;
      while (true) {
        const ssize_t n = recv(fd_, buffer_, sizeof(buffer_), MSG_DONTWAIT);
        if (n >= 0) {
          offset_ = 0;
          filled_ = static_cast<size_t>(n);
          if (n == 0) return 0;
          break;
        }
        if (errno == EINTR) continue;
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && is_readable()) continue;
        return -1;
      }
    }
    const size_t n = std::min(size, filled_ - offset_);
    std::memcpy(ptr, buffer_ + offset_, n);
    offset_ += n;
    budget_.Count(n);
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    return SendAll(fd_, ptr, size, write_millis_, listening_) ? static_cast<ssize_t>(size) : -1;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    SplitAddress(Address(fd_, true), ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    SplitAddress(Address(fd_, false), ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  const int fd_;
  const int read_millis_;
  const int write_millis_;
  const std::atomic<socket_t>& listening_;
  size_t offset_ = 0;
  size_t filled_ = 0;
  RequestReadBudget budget_;
  char buffer_[4096];
};

}  // namespace

bool PlainHttpServer::process_and_close_socket(socket_t sock) {
  const int read_millis = Millis(read_timeout_sec_, read_timeout_usec_);
  BufferedSocketStream stream(sock, read_millis, Millis(write_timeout_sec_, write_timeout_usec_),
                              svr_sock_);
  bool served = false;
  for (size_t count = keep_alive_max_count_; count > 0; --count) {
    const int wait_millis =
        NextRequestWaitMillis(count == keep_alive_max_count_, keep_alive_timeout_sec_, read_millis);
    const bool ready = stream.HasBuffered() || WaitReady(sock, POLLIN, wait_millis, svr_sock_);
    if (!ready || svr_sock_ == INVALID_SOCKET) break;
    stream.budget().Start();
    bool connection_closed = false;
    served = process_request(stream, count == 1, connection_closed, [](httplib::Request&) {});
    if (!served || connection_closed) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return served;
}

}  // namespace ringnats::monitor
