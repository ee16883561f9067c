#include "ringnats/auth/auth_pool.h"

#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>

#include "ringnats/auth/bcrypt.h"
#include "ringnats/auth/secrets.h"
#include "ringnats/util/log.h"
#include "ringnats/util/pool_thread_priority.h"
#include "ringnats/util/thread_name.h"

namespace ringnats::auth {
namespace {

void Wipe(std::string& secret) {
  OPENSSL_cleanse(secret.data(), secret.size());
}

std::string CacheKey(const HashCheck& check) {
  std::string material = check.stored_hash;
  material.push_back('\0');
  material.append(check.secret);
  const Digest digest = KeyedDigest(material);
  Wipe(material);
  std::string key = check.user;
  key.push_back('\0');
  key.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return key;
}

}  // namespace

AuthPool::AuthPool(AuthPoolSettings settings, size_t workers, std::function<void(uint32_t)> wake)
    : settings_(settings), wake_(std::move(wake)), results_ready_(new std::atomic<bool>[workers]) {
  for (size_t i = 0; i < workers; ++i) results_ready_[i].store(false);
  {
    absl::MutexLock lock(&mu_);
    results_.resize(workers);
  }
  thread_ids_.reset(new std::atomic<pid_t>[static_cast<size_t>(std::max(settings_.threads, 0))]);
  for (int i = 0; i < settings_.threads; ++i) {
    thread_ids_[static_cast<size_t>(i)].store(0);
    threads_.emplace_back([this, i] { RunThread(static_cast<size_t>(i)); });
  }
}

AuthPool::~AuthPool() {
  // A thread cannot end before it sees stopping_, so each id is still its thread's here.
  for (size_t i = 0; i < threads_.size(); ++i) {
    util::LeaveIdleClassForShutdown(thread_ids_[i].load(std::memory_order_acquire));
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
  absl::MutexLock lock(&mu_);
  for (Job& job : queue_) Wipe(job.secret);
}

AuthPool::Submitted AuthPool::Submit(HashCheck check) {
  std::string key = CacheKey(check);
  absl::MutexLock lock(&mu_);
  if (settings_.cache_enabled) {
    if (auto it = cache_.find(key); it != cache_.end()) {
      if (it->second.expires > absl::Now()) {
        ++stats_.cache_hits;
        Wipe(check.secret);
        return it->second.ok ? Submitted::kCachedOk : Submitted::kCachedFailed;
      }
      cache_.erase(it);
    }
  }
  const Waiter waiter{check.worker, check.session};
  if (auto it = in_flight_.find(key); it != in_flight_.end()) {
    ++stats_.coalesced;
    it->second.waiters.push_back(waiter);
    waiting_[{check.worker, check.session}] = std::move(key);
    Wipe(check.secret);
    return Submitted::kQueued;
  }
  // Live checks count against the limit; withdrawn ones still in the queue are skipped
  // when reached, and purged here if they pile up behind long hashes.
  if (in_flight_.size() >= settings_.queue_limit) {
    ++stats_.rejected_queue_full;
    Wipe(check.secret);
    return Submitted::kQueueFull;
  }
  if (queue_.size() >= 2 * settings_.queue_limit) {
    const size_t dropped = std::erase_if(queue_, [this](Job& job) ABSL_NO_THREAD_SAFETY_ANALYSIS {
      if (in_flight_.contains(job.key)) return false;
      Wipe(job.secret);
      return true;
    });
    starvation_watch_.JobsDropped(dropped);
  }
  in_flight_[key].waiters.push_back(waiter);
  waiting_[{check.worker, check.session}] = key;
  queue_.push_back(Job{std::move(key), std::move(check.stored_hash), std::move(check.secret)});
  starvation_watch_.JobQueued();
  return Submitted::kQueued;
}

void AuthPool::TakeResults(uint32_t worker, std::vector<HashResult>* out) {
  if (!results_ready_[worker].load(std::memory_order_acquire)) return;
  absl::MutexLock lock(&mu_);
  results_ready_[worker].store(false, std::memory_order_relaxed);
  std::vector<HashResult>& mine = results_[worker];
  out->insert(out->end(), mine.begin(), mine.end());
  mine.clear();
}

void AuthPool::Withdraw(uint32_t worker, uint64_t session) {
  absl::MutexLock lock(&mu_);
  auto waiting = waiting_.find({worker, session});
  if (waiting == waiting_.end()) return;
  if (auto it = in_flight_.find(waiting->second); it != in_flight_.end()) {
    std::vector<Waiter>& waiters = it->second.waiters;
    std::erase_if(waiters, [&](const Waiter& w) { return w.worker == worker && w.session == session; });
    if (waiters.empty()) {
      in_flight_.erase(it);
      ++stats_.withdrawn;
    }
  }
  waiting_.erase(waiting);
}

void AuthPool::ClearCache() {
  absl::MutexLock lock(&mu_);
  cache_.clear();
}

AuthPoolStats AuthPool::stats() {
  absl::MutexLock lock(&mu_);
  AuthPoolStats stats = stats_;
  stats.queue_depth = queue_.size();
  stats.cache_entries = cache_.size();
  return stats;
}

void AuthPool::StoreVerdict(const std::string& key, bool ok) {
  if (!settings_.cache_enabled) return;
  const absl::Time now = absl::Now();
  if (cache_.size() >= settings_.cache_max_entries) {
    // Drop what has expired; if that is not enough, drop an arbitrary half.
    absl::erase_if(cache_, [now](const auto& entry) { return entry.second.expires <= now; });
    if (cache_.size() >= settings_.cache_max_entries) {
      size_t drop = cache_.size() / 2;
      for (auto it = cache_.begin(); it != cache_.end() && drop > 0; --drop) cache_.erase(it++);
    }
  }
  cache_[key] = CacheEntry{ok, now + (ok ? settings_.cache_ttl : settings_.failure_ttl)};
}

void AuthPool::RunThread(size_t index) {
  thread_ids_[index].store(gettid(), std::memory_order_release);
  // Pool threads yield to the rings: hashing is throughput work, message traffic is latency.
  util::NameThisThread("auth-pool");
  // The watch here waits a whole second before it moves a starved hashing thread to nice 10
  // (the TLS handshake pool's waits 50 ms): on a saturated machine a bcrypt storm keeps both
  // threads hashing without end, and moving them to nice 10 at once takes CPU from the rings
  // (request/reply p99 beside the storm rose). But a hash must end: in the idle class beside
  // busy normal threads it gets about 0.3% of a CPU, and a cost-12 hash then takes over a
  // minute, longer than any auth timeout, so a login would never pass. After a starved hash
  // the thread stays at nice 10 (judged when it ends) until hashes run unhindered again.
  util::PoolThreadPriority priority(&starvation_watch_);
  priority.Start();
  BcryptHasher hasher;
  std::vector<uint32_t> to_wake;
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        mu_.Await(absl::Condition(
            +[](AuthPool* pool) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return pool->stopping_ || !pool->queue_.empty();
            },
            this));
        if (stopping_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
        if (in_flight_.contains(job.key)) break;
        Wipe(job.secret);  // withdrawn: nobody waits for it
        priority.JobStarted();  // taken from the queue all the same
        priority.JobDone();
      }
    }
    const absl::Time started = absl::Now();
    priority.JobStarted();
    const bool ok = hasher.Verify(job.stored_hash, job.secret);
    priority.JobDone();
    Wipe(job.secret);
    const absl::Duration took = absl::Now() - started;
    if (settings_.observe_hash_time) settings_.observe_hash_time(took);
    to_wake.clear();
    {
      absl::MutexLock lock(&mu_);
      ++stats_.hashes_computed;
      StoreVerdict(job.key, ok);
      auto it = in_flight_.find(job.key);
      // Tests and operators count these lines: one per bcrypt computation, however many
      // connections were waiting for it.
      log::Debug("auth pool: bcrypt verification computed in %s for %d waiting connection(s)",
                 absl::FormatDuration(took),
                 it != in_flight_.end() ? it->second.waiters.size() : size_t{0});
      if (it != in_flight_.end()) {
        for (const Waiter& waiter : it->second.waiters) {
          waiting_.erase({waiter.worker, waiter.session});
          results_[waiter.worker].push_back(HashResult{waiter.session, ok});
          results_ready_[waiter.worker].store(true, std::memory_order_release);
          to_wake.push_back(waiter.worker);
        }
        in_flight_.erase(it);
      }
    }
    std::sort(to_wake.begin(), to_wake.end());
    to_wake.erase(std::unique(to_wake.begin(), to_wake.end()), to_wake.end());
    for (uint32_t worker : to_wake) wake_(worker);
  }
}

}  // namespace ringnats::auth
