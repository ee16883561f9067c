#pragma once
// `storm`: request/reply latency (the reqrep scenario, closed loop or --rate) while a connect
// storm runs beside it: --concurrency connectors doing handshakes without pause, typically
// with bcrypt credentials, so the broker spends its CPU hashing. Shows whether logins can
// starve message traffic.

#include "absl/status/statusor.h"
#include "options.h"
#include "report.h"

namespace ringnats::load {

absl::StatusOr<Report> RunStormScenario(const Options& options);

}  // namespace ringnats::load
