#include "ringnats/ring/mailbox.h"

#include <utility>

namespace ringnats::ring {

void Mailbox::Post(Task task) {
  absl::MutexLock lock(&mu_);
  posted_.push_back(std::move(task));
  has_tasks_.store(true, std::memory_order_release);
}

size_t Mailbox::RunAll() {
  if (!HasTasks()) return 0;
  {
    absl::MutexLock lock(&mu_);
    running_.swap(posted_);
    has_tasks_.store(false, std::memory_order_release);
  }
  const size_t count = running_.size();
  for (Task& task : running_) std::move(task)();
  running_.clear();
  return count;
}

}  // namespace ringnats::ring
