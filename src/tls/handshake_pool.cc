#include "ringnats/tls/handshake_pool.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "ringnats/util/pool_thread_priority.h"
#include "ringnats/util/thread_cpu_time.h"

namespace ringnats::tls {
namespace {

// One handshake step is too short for PoolThreadPriority to judge contention by; it judges
// the steps of about this much wall time together.
constexpr absl::Duration kJudgeAfter = absl::Milliseconds(20);

}  // namespace

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
}

HandshakePoolStats HandshakePool::stats() {
  absl::MutexLock lock(&mu_);
  return HandshakePoolStats{jobs_done_, queue_.size()};
}

void HandshakePool::RunThread() {
  // Handshakes are throughput work, message traffic is latency: the threads yield to the rings.
  util::PoolThreadPriority priority;
  priority.Start();
  absl::Duration wall_sum, cpu_sum;
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
    const absl::Time started = absl::Now();
    const absl::Duration cpu_before = ThreadCpuTime();
    std::move(job)();
    job = nullptr;
    wall_sum += absl::Now() - started;
    cpu_sum += ThreadCpuTime() - cpu_before;
    if (wall_sum >= kJudgeAfter) {
      priority.AfterHash(wall_sum, cpu_sum);
      wall_sum = cpu_sum = absl::ZeroDuration();
    }
    absl::MutexLock lock(&mu_);
    ++jobs_done_;
  }
}

}  // namespace ringnats::tls
