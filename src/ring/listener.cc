#include "ringnats/ring/listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"

namespace ringnats::ring {
namespace {

// A TCP socket bound to host:port with SO_REUSEADDR (so TIME_WAIT leftovers of a previous run
// do not block it) and, if asked, SO_REUSEPORT. Returns the fd and the port actually bound.
absl::StatusOr<BoundListener> BindSocket(const std::string& host, int port, bool reuse_port) {
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
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)) {
    const int err = errno;
    ::close(fd);
    freeaddrinfo(found);
    return absl::InternalError(absl::StrFormat("setsockopt: %s", strerror(err)));
  }
  const int bound_rc = ::bind(fd, found->ai_addr, found->ai_addrlen);
  const int bind_err = errno;
  freeaddrinfo(found);
  if (bound_rc != 0) {
    ::close(fd);
    // Go's wording, which nats-server prints: "listen tcp HOST:PORT: bind: <reason>".
    return absl::UnavailableError(absl::StrFormat(
        "listen tcp %s:%d: bind: %s", host, port,
        bind_err == EADDRINUSE ? "address already in use" : strerror(bind_err)));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrFormat("getsockname: %s", strerror(err)));
  }
  BoundListener socket;
  socket.fd = fd;
  socket.port = bound.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port)
                    : ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  return socket;
}

bool IsAddressInUse(const absl::Status& status) {
  return absl::IsUnavailable(status) &&
         absl::EndsWith(status.message(), "bind: address already in use");
}

}  // namespace

absl::StatusOr<int> ReservePortExclusively(const std::string& host, int port) {
  // A ringnats killed a moment ago still listens until the kernel has torn down its
  // io_uring rings, which it does after the process is gone (the rings' pending accepts
  // hold the listeners): a restart right after a crash would fail on its own port (measured
  // here: 1 restart in 30 straight after SIGKILL). So a port in use is asked again for a
  // while before it counts as taken.
  constexpr int kAttempts = 50;
  constexpr useconds_t kPauseMicros = 20'000;  // 1 s in all
  absl::StatusOr<BoundListener> probe = BindSocket(host, port, /*reuse_port=*/false);
  for (int attempt = 1; attempt < kAttempts && port != 0 && IsAddressInUse(probe.status());
       ++attempt) {
    ::usleep(kPauseMicros);
    probe = BindSocket(host, port, /*reuse_port=*/false);
  }
  if (!probe.ok()) return probe.status();
  ::close(probe->fd);
  return probe->port;
}

absl::StatusOr<BoundListener> ListenReusePort(const std::string& host, int port, int backlog) {
  absl::StatusOr<BoundListener> listener = BindSocket(host, port, /*reuse_port=*/true);
  if (!listener.ok()) return listener.status();
  if (::listen(listener->fd, backlog) != 0) {
    const int err = errno;
    ::close(listener->fd);
    return absl::UnavailableError(
        absl::StrFormat("listen tcp %s:%d: listen: %s", host, port, strerror(err)));
  }
  return listener;
}

std::string AddressIp(const sockaddr_storage& address, int* port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    *port = ntohs(in6.sin6_port);
  } else {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    *port = ntohs(in.sin_port);
  }
  return text;
}

std::string JoinHostPort(const std::string& ip, int port) {
  if (ip.find(':') != std::string::npos) return absl::StrFormat("[%s]:%d", ip, port);
  return absl::StrFormat("%s:%d", ip, port);
}

}  // namespace ringnats::ring
