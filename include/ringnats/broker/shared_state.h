#pragma once
// What all workers of one server share. Everything here is either immutable after start-up,
// internally synchronised (the trie), or an atomic counter; the comment on each member says
// which.

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ringnats/auth/auth_config.h"
#include "ringnats/auth/auth_pool.h"
#include "ringnats/broker/connection_rate_limiter.h"
#include "ringnats/broker/delivery_batch.h"
#include "ringnats/broker/runtime_config.h"
#include "ringnats/config/options.h"
#include "ringnats/monitor/latency_histogram.h"
#include "ringnats/ring/spsc_queue.h"
#include "ringnats/route/interest_ledger.h"
#include "ringnats/route/route_registry.h"
#include "ringnats/sublist/trie.h"
#include "ringnats/tls/handshake_pool.h"

namespace ringnats::ring {
class EventLoop;
}

namespace ringnats::broker {

// One worker's traffic counters. Written only by that worker (a relaxed load and store, so
// the hot path has no locked instruction and no shared cache line); read by anyone.
struct alignas(64) WorkerCounters {
  std::atomic<uint64_t> in_msgs{0};
  std::atomic<uint64_t> in_bytes{0};
  std::atomic<uint64_t> out_msgs{0};
  std::atomic<uint64_t> out_bytes{0};
  std::atomic<uint64_t> slow_consumers{0};
  std::atomic<int64_t> connections{0};  // open client connections on this worker
  // The trie's statistics as nats-server's /subsz reports them, this worker's share.
  std::atomic<uint64_t> sub_inserts{0};
  std::atomic<uint64_t> sub_removes{0};
  // Published from the worker's match cache once per tick (its own counters are plain).
  std::atomic<uint64_t> matches{0};
  std::atomic<uint64_t> cache_hits{0};
  std::atomic<uint64_t> cache_entries{0};
  std::atomic<uint64_t> fanout_sum{0};  // plain subscriptions + queue groups per match
  std::atomic<uint64_t> fanout_max{0};

  template <typename T, typename N>
  static void Add(std::atomic<T>& counter, N n) {
    counter.store(counter.load(std::memory_order_relaxed) + static_cast<T>(n),
                  std::memory_order_relaxed);
  }
};

// Cross-worker credit of one ordered pair (src, dst). Shared by exactly two threads: src
// adds the bytes of each batch it pushes, dst subtracts them once it has delivered the batch
// (relaxed atomics: a stale value only delays a pause or a resume by one iteration). While
// src has publishers waiting for credit it sets `src_waiting`; dst clears it with an exchange
// and then wakes src.
struct alignas(64) PairCredit {
  std::atomic<size_t> owed_bytes{0};
  std::atomic<bool> src_waiting{false};
};

// The queues between every ordered pair of workers: `to_worker[src][dst]` carries filled
// batches from src to dst, `returned[dst][src]` carries them back to src for reuse.
// Each queue has exactly one producer thread and one consumer thread.
struct WorkerMesh {
  explicit WorkerMesh(size_t workers);
  // Frees the batches still queued when the workers stopped (all threads joined by then).
  ~WorkerMesh();
  size_t size() const { return to_worker.size(); }
  std::vector<std::vector<std::unique_ptr<ring::SpscQueue<DeliveryBatch>>>> to_worker;
  std::vector<std::vector<std::unique_ptr<ring::SpscQueue<DeliveryBatch>>>> returned;
  std::vector<std::vector<std::unique_ptr<PairCredit>>> credit;  // [src][dst]
};

// What the monitoring endpoints report beyond the per-worker counters. Histograms are
// recorded by any thread (relaxed atomics); the reload record is written by the control
// thread and read by the HTTP threads under `reload_mu`.
struct MonitorCounters {
  std::atomic<uint64_t> auth_successes{0};
  std::atomic<uint64_t> auth_timeouts{0};
  monitor::LatencyHistogram auth_wait;  // CONNECT received to verdict, per connection
  monitor::LatencyHistogram hash_time;  // one hash in the auth pool
  absl::Time start = absl::Now();

  absl::Mutex reload_mu;
  uint64_t reloads ABSL_GUARDED_BY(reload_mu) = 0;
  uint64_t reload_failures ABSL_GUARDED_BY(reload_mu) = 0;
  std::optional<absl::Time> last_reload ABSL_GUARDED_BY(reload_mu);
  std::string last_reload_error ABSL_GUARDED_BY(reload_mu);
  absl::Time config_load_time ABSL_GUARDED_BY(reload_mu) = absl::Now();

  void RecordReload(absl::Status outcome);
};

// The cluster, when one is configured. The registry and the ledger are internally
// synchronised; the rest is set before any worker runs and read-only after.
struct ClusterShared {
  ClusterShared(std::string name, bool name_dynamic) : registry(std::move(name), name_dynamic) {}
  route::RouteRegistry registry;
  route::InterestLedger ledger;
  int port = 0;  // the cluster port actually bound
  // The configured routes, their addresses resolved on the control thread at start (a ring
  // never resolves names). Worker `i % workers` solicits route `i`.
  struct Target {
    config::RouteUrl url;
    sockaddr_storage address{};
    bool resolved = false;
  };
  std::vector<Target> configured;
};

class Worker;

struct SharedState {
  explicit SharedState(size_t workers);

  const std::string server_id;  // immutable
  int port = 0;                 // the client port actually bound; set before workers run
  ConfigChannel config;         // see ConfigChannel

  sublist::Trie trie;                         // internally synchronised
  std::unique_ptr<auth::AuthPool> auth_pool;  // internally synchronised; null without auth
  // Where TLS server handshakes sign (internally synchronised); exists even without TLS, so a
  // reload can turn TLS on.
  std::unique_ptr<tls::HandshakePool> handshake_pool;
  // tls { connection_rate_limit } as configured at start (null: none; not reloadable, as in
  // nats-server). Internally synchronised.
  std::unique_ptr<ConnectionRateLimiter> tls_rate_limiter;
  WorkerMesh mesh;                            // see WorkerMesh
  std::unique_ptr<ClusterShared> cluster;     // null without a cluster; see ClusterShared
  // Set before any worker runs, then read-only: lets a worker wake another.
  std::vector<ring::EventLoop*> loops;
  // Set before any worker runs, then read-only. Only dereferenced on that worker's own
  // thread: reach another worker through PostToWorker, never by calling it.
  std::vector<Worker*> workers;

  // Runs `task` on worker `index`'s thread (its loop's mailbox). `from` is the caller's own
  // loop when the caller is a ring thread, else null.
  void PostToWorker(uint32_t index, absl::AnyInvocable<void(Worker&) &&> task,
                    ring::EventLoop* from);

  // Lame duck mode, driven by the control thread: once `lame_duck` is set workers stop
  // accepting and tell their clients; between the two instants they close their clients
  // evenly (monotonic nanoseconds; 0 until the grace period is over).
  std::atomic<bool> lame_duck{false};
  std::atomic<int64_t> lame_duck_close_start_ns{0};
  std::atomic<int64_t> lame_duck_close_end_ns{0};

  std::atomic<uint64_t> next_client_id{1};
  std::atomic<int64_t> connections{0};  // open client connections, for max_connections
  // Of those, the ones not closing yet (a closing one may wait to flush its -ERR for up to
  // write_deadline): what a reload that lowers max_connections counts the excess in.
  std::atomic<int64_t> clients_not_closing{0};
  // Clients a reload that lowered max_connections still wants closed: set by the control
  // thread before it publishes the config, taken one at a time (never below zero) by the
  // workers as they apply it.
  std::atomic<int64_t> clients_to_shed{0};
  std::atomic<uint64_t> auth_failures{0};
  std::atomic<uint64_t> total_connections{0};
  MonitorCounters monitor;  // see MonitorCounters
  // One per worker, indexed like `loops`; see WorkerCounters.
  std::vector<std::unique_ptr<WorkerCounters>> worker_counters;
};

}  // namespace ringnats::broker
