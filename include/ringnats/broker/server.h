#pragma once
// The whole broker: listeners, one worker thread per ring, signals, and the files nats-server
// writes (pid file, ports file). Runs on the process's main (control) thread.

#include "absl/status/statusor.h"
#include "ringnats/config/options.h"

namespace ringnats::broker {

// Serves until SIGINT/SIGTERM. Returns the process exit status (nats-server: 0 after SIGINT,
// 1 after SIGTERM) or an error if the server could not start.
absl::StatusOr<int> RunServer(const config::ServerOptions& options);

}  // namespace ringnats::broker
