#pragma once
// Connection scenarios. `connect`: many full handshakes (TCP connect, INFO, CONNECT,
// PING/PONG or -ERR) by a fixed number of concurrent connectors, for connects/s, handshake
// latency and auth outcomes. `idle`: the same with every connection kept open, then the
// broker's resident memory per 10,000 connections.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "options.h"
#include "report.h"

namespace ringnats::load {

absl::StatusOr<Report> RunConnectScenario(const Options& options);

// Handshakes without end through `options.concurrency` connectors on `options.threads`
// threads, attempt i with users[i % size]: the background load of the `storm` scenario.
class ConnectStorm {
 public:
  struct Summary {
    uint64_t attempts = 0;  // finished handshakes, whatever their outcome
    uint64_t ok = 0;
    uint64_t failures = 0;  // neither accepted nor an expected rejection
    double elapsed_s = 0;   // from Start() to the last finished handshake
    double connect_p50_us = 0;
    double connect_p99_us = 0;
    std::vector<std::string> notes;
  };

  static absl::StatusOr<std::unique_ptr<ConnectStorm>> Start(
      const Options& options, const std::vector<Credentials>& users);
  ~ConnectStorm();
  ConnectStorm(const ConnectStorm&) = delete;
  ConnectStorm& operator=(const ConnectStorm&) = delete;

  // Handshakes finished so far (any thread).
  uint64_t finished() const;
  // Stops the connectors, abandoning handshakes in flight.
  Summary Stop();

 private:
  struct State;
  ConnectStorm();
  std::unique_ptr<State> state_;
};

}  // namespace ringnats::load
