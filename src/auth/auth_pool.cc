#include "ringnats/auth/auth_pool.h"

#include <openssl/crypto.h>

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
  for (int i = 0; i < settings_.threads; ++i) threads_.emplace_back([this] { RunThread(); });
}

AuthPool::~AuthPool() {
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
    std::erase_if(queue_, [this](Job& job) ABSL_NO_THREAD_SAFETY_ANALYSIS {
      if (in_flight_.contains(job.key)) return false;
      Wipe(job.secret);
      return true;
    });
  }
  in_flight_[key].waiters.push_back(waiter);
  waiting_[{check.worker, check.session}] = key;
  queue_.push_back(Job{std::move(key), std::move(check.stored_hash), std::move(check.secret)});
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

void AuthPool::RunThread() {
  // Pool threads yield to the rings: hashing is throughput work, message traffic is latency.
  util::NameThisThread("auth-pool");
  // No starvation watch here, unlike the TLS handshake pool: on a saturated machine a bcrypt
  // storm keeps both threads hashing without end, and moving them to nice 10 mid-hash took
  // CPU from everything else (monitoring scrapes timed out in the adversarial tests,
  // request/reply p99 beside the storm doubled). A starved hash moves its thread to nice 10
  // when it ends, for the hashes after it.
  util::PoolThreadPriority priority;
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
