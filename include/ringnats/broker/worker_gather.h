#pragma once
// A question every worker answers about what it owns (its sessions, its subscriptions),
// asked by a thread that is not a worker (a monitoring HTTP thread) through the workers'
// mailboxes. Each worker fills its own part on its own thread, in slices if it has much to
// say, then calls Finish; the asking thread waits for every part, with a time limit.
//
// Shared between the asking thread and every worker, always through a shared_ptr (a worker
// may still hold it after the asker gave up). `mu_` guards the count of parts still to come.
// A worker touches only its own part, and only before its Finish; the asker reads the parts
// only after every Finish (the mutex orders them), or never (once it has given up).

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ringnats::broker {

template <typename Item>
class WorkerGather {
 public:
  explicit WorkerGather(size_t workers) : parts_(workers), remaining_(workers) {}
  WorkerGather(const WorkerGather&) = delete;
  WorkerGather& operator=(const WorkerGather&) = delete;

  // Worker `index`'s thread, until it calls Finish.
  std::vector<Item>& part(uint32_t index) { return parts_[index]; }
  void Finish() {
    absl::MutexLock lock(&mu_);
    --remaining_;
  }
  // Any thread: the asker stopped waiting, so the rest of the work can be skipped.
  bool abandoned() const { return abandoned_.load(std::memory_order_relaxed); }

  // The asking thread: waits until every worker finished, at most `timeout`. False when the
  // time ran out; the request is abandoned then and the parts must not be read.
  bool Wait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    const bool done = mu_.AwaitWithTimeout(absl::Condition(this, &WorkerGather::AllFinished),
                                           timeout);
    if (!done) abandoned_.store(true, std::memory_order_relaxed);
    return done;
  }
  // The asking thread, after Wait returned true: every part, in worker order.
  std::vector<Item> TakeAll() {
    std::vector<Item> all;
    size_t total = 0;
    for (const std::vector<Item>& part : parts_) total += part.size();
    all.reserve(total);
    for (std::vector<Item>& part : parts_) {
      for (Item& item : part) all.push_back(std::move(item));
      part.clear();
    }
    return all;
  }

 private:
  bool AllFinished() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return remaining_ == 0; }

  std::vector<std::vector<Item>> parts_;
  absl::Mutex mu_;
  size_t remaining_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> abandoned_{false};
};

}  // namespace ringnats::broker
