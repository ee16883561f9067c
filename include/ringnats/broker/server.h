#pragma once
// The whole broker: listeners, one worker thread per ring, signals, and the files nats-server
// writes (pid file, ports file). Runs on the process's main (control) thread.

#include <functional>

#include "absl/status/statusor.h"
#include "ringnats/config/options.h"

namespace ringnats::broker {

// Serves until SIGINT/SIGTERM. Returns the process exit status (nats-server: 0 after SIGINT,
// 1 after SIGTERM) or an error if the server could not start.
// Builds the options a reload should apply (the config file read again, the command line
// over it); called on the control thread when SIGHUP arrives.
using ReloadOptions = std::function<absl::StatusOr<config::ServerOptions>()>;

absl::StatusOr<int> RunServer(const config::ServerOptions& options,
                              const ReloadOptions& reload_options);

}  // namespace ringnats::broker
