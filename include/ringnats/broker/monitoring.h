#pragma once
// The broker's side of monitoring: what the monitor's HTTP threads call to learn about the
// running server (monitor::DataSource). Counters are read from atomics and summed over the
// workers; per-connection and per-subscription data is asked of each worker through its
// mailbox (Worker::SnapshotConnections), never read from another thread.
//
// The callbacks run on the monitor's HTTP threads, concurrently; they hold `shared` by
// reference, so the monitor must be stopped before the workers and `shared` go away.

#include "absl/time/time.h"
#include "ringnats/broker/shared_state.h"
#include "ringnats/monitor/endpoints.h"

namespace ringnats::broker {

struct MonitorSourceSettings {
  // How long a request waits for every worker's answer before it fails with 503.
  absl::Duration worker_timeout = absl::Seconds(10);
  int auth_threads = 0;  // the auth pool's size, as /varz's ringnats object shows it
};

monitor::DataSource MonitorDataSource(SharedState& shared, MonitorSourceSettings settings);

}  // namespace ringnats::broker
