#pragma once
// Connection scenarios. `connect`: many full handshakes (TCP connect, INFO, CONNECT,
// PING/PONG or -ERR) by a fixed number of concurrent connectors, for connects/s, handshake
// latency and auth outcomes. `idle`: the same with every connection kept open, then the
// broker's resident memory per 10,000 connections.

#include "absl/status/statusor.h"
#include "options.h"
#include "report.h"

namespace ringnats::load {

absl::StatusOr<Report> RunConnectScenario(const Options& options);

}  // namespace ringnats::load
