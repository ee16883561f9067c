#pragma once
// Receives messages on the C client's delivery threads and lets the test thread wait for
// them: the bridge between asynchronous subscriptions and linear test code.

#include <nats/nats.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "c_client/nats_handles.h"

namespace ringnats::interop {

// Generous so that a loaded CI machine or a sanitizer build does not turn slowness into a
// failure; it bounds a hang, it does not pace the test.
inline constexpr std::chrono::milliseconds kWaitTimeout{15000};

class MessageCollector {
 public:
  // natsMsgHandler; `closure` is the MessageCollector.
  static void OnMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);

  // Succeeds once at least `count` messages have arrived in total.
  ::testing::AssertionResult WaitForCount(size_t count,
                                          std::chrono::milliseconds timeout = kWaitTimeout);

  // The messages received so far, in arrival order; the collector keeps no copy.
  std::vector<Msg> Take();

  size_t Count();

 private:
  std::mutex mu_;
  std::condition_variable arrived_;
  std::vector<Msg> messages_;
  size_t total_ = 0;  // Counts messages already taken too.
};

}  // namespace ringnats::interop
