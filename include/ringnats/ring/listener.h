#pragma once
// Listening sockets. Every worker binds its own SO_REUSEPORT socket to the same address so
// the kernel spreads accepted connections across workers with no cross-core hand-off.

#include <sys/socket.h>

#include <string>

#include "absl/status/statusor.h"

namespace ringnats::ring {

struct BoundListener {
  int fd = -1;
  int port = 0;  // the port actually bound (resolves port 0)
};

// `port` 0 picks a free port; later listeners for other workers pass the port it got.
absl::StatusOr<BoundListener> ListenReusePort(const std::string& host, int port, int backlog);

// SO_REUSEPORT would let a second broker join the first one's port and take part of its
// connections. Before the workers bind, this binds the address once without it: that fails
// while any other process listens there (nats-server's "address already in use"). Returns
// the port, resolving 0 to a free one. Between this and the workers' binds another process
// could still take the port; the window is a few system calls long.
absl::StatusOr<int> ReservePortExclusively(const std::string& host, int port);

// A socket address's IP as text ("127.0.0.1", "::1") and its port.
std::string AddressIp(const sockaddr_storage& address, int* port);
// Go's net.JoinHostPort: "127.0.0.1:4222", "[::1]:4222".
std::string JoinHostPort(const std::string& ip, int port);

}  // namespace ringnats::ring
