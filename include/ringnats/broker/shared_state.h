#pragma once
// What all workers of one server share. Everything here is either immutable after start-up,
// internally synchronised (the trie), or an atomic counter; the comment on each member says
// which.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "ringnats/auth/auth_config.h"
#include "ringnats/auth/auth_pool.h"
#include "ringnats/broker/delivery_batch.h"
#include "ringnats/broker/runtime_config.h"
#include "ringnats/config/options.h"
#include "ringnats/ring/spsc_queue.h"
#include "ringnats/sublist/trie.h"

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

  static void Add(std::atomic<uint64_t>& counter, uint64_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
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

class Worker;

struct SharedState {
  explicit SharedState(size_t workers);

  const std::string server_id;  // immutable
  int port = 0;                 // the client port actually bound; set before workers run
  ConfigChannel config;         // see ConfigChannel

  sublist::Trie trie;                         // internally synchronised
  std::unique_ptr<auth::AuthPool> auth_pool;  // internally synchronised; null without auth
  WorkerMesh mesh;                            // see WorkerMesh
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
  std::atomic<uint64_t> auth_failures{0};
  std::atomic<uint64_t> total_connections{0};
  // One per worker, indexed like `loops`; see WorkerCounters.
  std::vector<std::unique_ptr<WorkerCounters>> worker_counters;
};

}  // namespace ringnats::broker
