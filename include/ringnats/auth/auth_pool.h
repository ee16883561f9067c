#pragma once
// The bcrypt side pool: a few low-priority threads that verify password and token hashes so
// no ring thread ever waits on one. Requests come from the workers through a bounded queue;
// results go back to the worker that asked, which is woken to collect them.
//
// It also keeps the verified-credential cache that lets a reconnect storm cost one bcrypt
// per distinct credential: entries are keyed by user and an HMAC (per-process random key) of
// the stored hash and the presented secret, expire after a TTL (failures sooner), are
// bounded in number and dropped on reload; identical checks in flight are coalesced.
//
// Shared between all workers and the pool's threads; all state is guarded by `mu_`.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ringnats/util/pool_thread_priority.h"

namespace ringnats::auth {

struct AuthPoolSettings {
  int threads = 2;
  size_t queue_limit = 4096;  // distinct checks waiting for a thread
  bool cache_enabled = true;
  absl::Duration cache_ttl = absl::Minutes(2);
  absl::Duration failure_ttl = absl::Seconds(1);
  size_t cache_max_entries = 100'000;
  // Called on a pool thread after each hash with the time it took (monitoring); may be unset.
  std::function<void(absl::Duration)> observe_hash_time;
};

struct HashCheck {
  uint32_t worker = 0;      // who gets the result
  uint64_t session = 0;     // opaque to the pool: the worker's name for the connection
  std::string user;         // for the cache key and logs
  std::string stored_hash;  // bcrypt hash from the config
  std::string secret;       // what the client presented; wiped after use
};

struct HashResult {
  uint64_t session = 0;
  bool ok = false;
};

struct AuthPoolStats {
  uint64_t hashes_computed = 0;
  uint64_t cache_hits = 0;
  uint64_t coalesced = 0;
  uint64_t rejected_queue_full = 0;
  uint64_t withdrawn = 0;  // checks skipped because every waiter went away
  uint64_t queue_depth = 0;  // distinct checks waiting for a thread, when the stats were taken
  uint64_t cache_entries = 0;
};

class AuthPool {
 public:
  enum class Submitted : uint8_t {
    kCachedOk,      // answered now from the cache
    kCachedFailed,  // answered now from the cache
    kQueued,        // the result comes later through TakeResults(worker)
    kQueueFull,     // overloaded: fail fast
  };

  // `wake(worker)` is called from a pool thread when results for `worker` are ready.
  AuthPool(AuthPoolSettings settings, size_t workers, std::function<void(uint32_t)> wake);
  ~AuthPool();
  AuthPool(const AuthPool&) = delete;
  AuthPool& operator=(const AuthPool&) = delete;

  // Any thread. Takes ownership of the check (its secret is wiped when done).
  Submitted Submit(HashCheck check);
  // Moves the finished results for `worker` into `out`. Any thread (called by the worker on
  // every loop iteration, so the empty case takes no lock).
  void TakeResults(uint32_t worker, std::vector<HashResult>* out);
  // The connection behind `session` is gone: it no longer waits for its verdict, and a check
  // nobody waits for any more is skipped instead of hashed. Any thread.
  void Withdraw(uint32_t worker, uint64_t session);
  // Forget every cached verdict (config reload). Checks in flight still answer their waiters.
  void ClearCache();
  AuthPoolStats stats();

 private:
  struct Waiter {
    uint32_t worker;
    uint64_t session;
  };
  struct InFlight {
    std::vector<Waiter> waiters;
  };
  struct Job {
    std::string key;
    std::string stored_hash;
    std::string secret;
  };
  struct CacheEntry {
    bool ok;
    absl::Time expires;
  };

  void RunThread(size_t index);
  void StoreVerdict(const std::string& key, bool ok) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const AuthPoolSettings settings_;
  const std::function<void(uint32_t)> wake_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Jobs whose key is no longer in `in_flight_` were withdrawn and are skipped.
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, InFlight> in_flight_ ABSL_GUARDED_BY(mu_);
  // Which check each waiting connection waits for, so Withdraw can find it.
  absl::flat_hash_map<std::pair<uint32_t, uint64_t>, std::string> waiting_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, CacheEntry> cache_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<HashResult>> results_ ABSL_GUARDED_BY(mu_);
  // Per worker: set (release, under mu_) when results_[worker] becomes non-empty, cleared by
  // TakeResults; lets a worker skip the lock when nothing is waiting for it.
  std::unique_ptr<std::atomic<bool>[]> results_ready_;
  AuthPoolStats stats_ ABSL_GUARDED_BY(mu_);
  // Rescues a pool thread whose hash starved in the idle class for a second (see RunThread);
  // outlives threads_, which are joined first.
  util::StarvationWatch starvation_watch_{absl::Seconds(1)};
  std::vector<std::thread> threads_;
  // Each pool thread's kernel id, written by the thread as it starts, read by the destructor.
  std::unique_ptr<std::atomic<pid_t>[]> thread_ids_;
};

}  // namespace ringnats::auth
