#include "c_client/message_collector.h"

#include <utility>

namespace ringnats::interop {

void MessageCollector::OnMessage(natsConnection* /*nc*/, natsSubscription* /*sub*/,
                                 natsMsg* msg, void* closure) {
  auto* self = static_cast<MessageCollector*>(closure);
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    self->messages_.emplace_back(msg);
    ++self->total_;
  }
  self->arrived_.notify_all();
}

::testing::AssertionResult MessageCollector::WaitForCount(size_t count,
                                                          std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (arrived_.wait_for(lock, timeout, [&] { return total_ >= count; })) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "received " << total_ << " of " << count << " messages within " << timeout.count()
         << " ms";
}

std::vector<Msg> MessageCollector::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(messages_, {});
}

size_t MessageCollector::Count() {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

}  // namespace ringnats::interop
