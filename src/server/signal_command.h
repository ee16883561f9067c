#pragma once
// `ringnats --signal CMD[=PID|PIDFILE]`: sends a running ringnats the signal nats-server's
// --signal sends (stop, quit, term, reopen, reload, ldm).

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ringnats::server {

absl::Status SendSignalCommand(const std::string& command);

}  // namespace ringnats::server
