#pragma once
// Work posted to one loop's thread by any other thread: each task runs on the owner's thread
// at the top of its next loop iteration, in the order posted. This is the one general path
// for everything between threads that is not message delivery (publisher stalls, snapshot
// requests, later route interest): a closure instead of a new queue per purpose.
//
// Shared between threads: Post() from any thread; RunAll() only on the owner's thread.
// `mu_` guards the posted tasks; `has_tasks_` lets the owner skip the lock when idle.

#include <atomic>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace ringnats::ring {

class Mailbox {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  // Any thread.
  void Post(Task task);
  // Any thread; may be stale by the time it is used.
  bool HasTasks() const { return has_tasks_.load(std::memory_order_acquire); }
  // Owner thread: runs every task posted before the call; returns how many ran. Tasks
  // posted while they run wait for the next call.
  size_t RunAll();

 private:
  absl::Mutex mu_;
  std::vector<Task> posted_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> has_tasks_{false};
  std::vector<Task> running_;  // owner thread only
};

}  // namespace ringnats::ring
