#pragma once
// Listening sockets. Every worker binds its own SO_REUSEPORT socket to the same address so
// the kernel spreads accepted connections across workers with no cross-core hand-off.

#include <string>

#include "absl/status/statusor.h"

namespace ringnats::ring {

struct BoundListener {
  int fd = -1;
  int port = 0;  // the port actually bound (resolves port 0)
};

// `port` 0 picks a free port; later listeners for other workers pass the port it got.
absl::StatusOr<BoundListener> ListenReusePort(const std::string& host, int port, int backlog);

}  // namespace ringnats::ring
