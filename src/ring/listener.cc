#include "ringnats/ring/listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"

namespace ringnats::ring {
namespace {

int PortOf(const sockaddr_storage& address) {
  return address.ss_family == AF_INET6
             ? ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port)
             : ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

}  // namespace

absl::StatusOr<int> ReservePortExclusively(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const char* node = host.empty() ? nullptr : host.c_str();
  if (int rc = getaddrinfo(node, service.c_str(), &hints, &found); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("can not resolve listen address %s: %s", host, gai_strerror(rc)));
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int err = errno;
    freeaddrinfo(found);
    return absl::InternalError(absl::StrFormat("socket: %s", strerror(err)));
  }
  const int one = 1;
  // SO_REUSEADDR as the real listeners have it, so TIME_WAIT leftovers of a previous run do
  // not count as a listener; SO_REUSEPORT deliberately absent.
  int rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (rc == 0) rc = ::bind(fd, found->ai_addr, found->ai_addrlen);
  const int err = errno;
  freeaddrinfo(found);
  if (rc != 0) {
    ::close(fd);
    // Go's wording, which nats-server prints: "listen tcp HOST:PORT: bind: <reason>".
    return absl::UnavailableError(absl::StrFormat("listen tcp %s:%d: bind: %s", host, port,
                                                  err == EADDRINUSE ? "address already in use"
                                                                    : strerror(err)));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  const bool named = getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) == 0;
  const int name_err = errno;
  ::close(fd);
  if (!named) return absl::InternalError(absl::StrFormat("getsockname: %s", strerror(name_err)));
  return PortOf(bound);
}

absl::StatusOr<BoundListener> ListenReusePort(const std::string& host, int port, int backlog) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const char* node = host.empty() ? nullptr : host.c_str();
  if (int rc = getaddrinfo(node, service.c_str(), &hints, &found); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("can not resolve listen address %s: %s", host, gai_strerror(rc)));
  }
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return absl::InternalError(absl::StrFormat("socket: %s", strerror(errno)));
  }
  const int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    const int err = errno;
    ::close(fd);
    freeaddrinfo(found);
    return absl::InternalError(absl::StrFormat("setsockopt: %s", strerror(err)));
  }
  if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, backlog) != 0) {
    const int err = errno;
    ::close(fd);
    freeaddrinfo(found);
    return absl::UnavailableError(
        absl::StrFormat("can not listen on %s:%d: %s", host, port, strerror(err)));
  }
  freeaddrinfo(found);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrFormat("getsockname: %s", strerror(err)));
  }
  BoundListener listener;
  listener.fd = fd;
  listener.port = PortOf(bound);
  return listener;
}

}  // namespace ringnats::ring
