#include "socket_io.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace ringnats::monitor {
namespace {

// How often a connection waiting for its peer looks whether Stop was called.
constexpr int kStopCheckMillis = 50;

}  // namespace

int Millis(time_t seconds, time_t micros) {
  return static_cast<int>(std::min<int64_t>(int64_t{seconds} * 1000 + micros / 1000, 1 << 30));
}

int NextRequestWaitMillis(bool first_request, time_t keep_alive_seconds, int read_millis) {
  return first_request ? read_millis : Millis(keep_alive_seconds, 0);
}

bool WaitReady(int fd, short events, int millis, const std::atomic<socket_t>& listening) {
  pollfd entry{fd, events, 0};
  int left = millis;
  while (events != POLLIN || listening.load() != INVALID_SOCKET) {
    const int slice = std::min(left, kStopCheckMillis);
    const int rc = poll(&entry, 1, slice);
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
    if (rc == 0) {
      left -= slice;
      if (left <= 0) return false;
    }
  }
  return false;
}

bool SendAll(int fd, const char* data, size_t size, int write_millis,
             const std::atomic<socket_t>& listening) {
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitReady(fd, POLLOUT, write_millis, listening)) return false;
    } else {
      return false;
    }
  }
  return true;
}

std::string Address(int fd, bool peer) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  const int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length)
                      : getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (rc != 0) return "?";
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    return absl::StrCat("[", text, "]:", ntohs(in6->sin6_port));
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(&address);
  inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text));
  return absl::StrCat(text, ":", ntohs(in4->sin_port));
}

void SplitAddress(const std::string& address, std::string& ip, int& port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    ip = address;
    port = 0;
    return;
  }
  ip = address.substr(0, colon);
  if (ip.size() >= 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
  port = std::atoi(address.c_str() + colon + 1);
}

}  // namespace ringnats::monitor
