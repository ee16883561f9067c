#pragma once
// The TLS handshake side pool: a few low-priority threads that run the one expensive step of
// a server handshake, the private-key operation (1-2 ms of CPU for RSA 2048), so a TLS
// connect storm never holds a ring, as the auth pool keeps bcrypt off the rings. A ring hands
// a connection's Engine over inside the job and gets it back through its own mailbox: an
// engine belongs to one thread at a time and is never shared.
//
// Shared between every worker and the pool's threads: Submit from any thread; the queue is
// guarded by `mu_`. Destroying the pool joins its threads and drops the jobs still queued
// (their engines are freed on the destroying thread); the rings the jobs post back to must
// outlive it.

#include <atomic>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "ringnats/util/pool_thread_priority.h"

namespace ringnats::tls {

struct HandshakePoolStats {
  uint64_t jobs_done = 0;
  uint64_t queue_depth = 0;
};

class HandshakePool {
 public:
  using Job = absl::AnyInvocable<void() &&>;

  explicit HandshakePool(int threads);
  ~HandshakePool();
  HandshakePool(const HandshakePool&) = delete;
  HandshakePool& operator=(const HandshakePool&) = delete;

  // Any thread. Jobs start in the order submitted. The queue needs no bound of its own: each
  // connection has at most one job in it, so connections (max_connections) bound it.
  void Submit(Job job);
  HandshakePoolStats stats();

 private:
  void RunThread();

  absl::Mutex mu_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t jobs_done_ ABSL_GUARDED_BY(mu_) = 0;
  util::StarvationWatch starvation_watch_;  // outlives threads_, which are joined first
  std::vector<std::thread> threads_;
};

}  // namespace ringnats::tls
