#include "ringnats/tls/handshake_pool.h"

#include <algorithm>
#include <utility>

#include "ringnats/util/pool_thread_priority.h"
#include "ringnats/util/thread_name.h"

namespace ringnats::tls {

HandshakePool::HandshakePool(int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { RunThread(); });
}

HandshakePool::~HandshakePool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
  std::deque<Job> dropped;
  {
    absl::MutexLock lock(&mu_);
    dropped.swap(queue_);
  }
}

void HandshakePool::Submit(Job job) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(job));
  starvation_watch_.JobQueued();
}

HandshakePoolStats HandshakePool::stats() {
  absl::MutexLock lock(&mu_);
  return HandshakePoolStats{jobs_done_, queue_.size()};
}

void HandshakePool::RunThread() {
  // Handshakes are throughput work, message traffic is latency: the threads yield to the rings.
  util::NameThisThread("tls-pool");
  util::PoolThreadPriority priority(&starvation_watch_);
  priority.Start();
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](HandshakePool* pool)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return pool->stopping_ || !pool->queue_.empty(); },
          this));
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    priority.JobStarted();
    std::move(job)();
    job = nullptr;
    priority.JobDone();
    absl::MutexLock lock(&mu_);
    ++jobs_done_;
  }
}

}  // namespace ringnats::tls
