// The shape of `nats bench --pub 1 --sub 1` with the NATS C client: one connection publishes
// 1 KiB messages as fast as the library lets it, another in the same process counts them
// on an async subscription. The subscriber reads as fast as one delivery thread can, which
// on loopback is slower than the publisher; nats-server 2.9.10 holds such a publisher back
// instead of dropping the subscriber, so every message arrives and nothing is dropped.
//
// The server comes from RINGNATS_SERVER / RINGNATS_SERVER_ARGS (nats-server when unset).

#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/str_format.h"
#include "c_client/nats_handles.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"

namespace ringnats::interop {
namespace {

constexpr int kMessages = 100'000;
constexpr int kPayloadSize = 1024;
// Hang guards, not performance expectations.
constexpr int64_t kConnectTimeoutMs = 15'000;
constexpr int64_t kFlushTimeoutMs = 120'000;
constexpr std::chrono::milliseconds kDeliveryTimeout{120'000};

// Counts deliveries on the library's delivery thread; the test thread waits for the total.
class DeliveryCounter {
 public:
  static void OnMessage(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg,
                        void* closure) {
    auto* self = static_cast<DeliveryCounter*>(closure);
    if (natsMsg_GetDataLength(msg) != kPayloadSize) self->wrong_size_.fetch_add(1);
    natsMsg_Destroy(msg);
    if (self->count_.fetch_add(1) + 1 == kMessages) {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->done_.notify_all();
    }
  }

  // Also gives up once `nc` is closed: a dropped subscriber gets nothing more.
  bool WaitForAll(natsConnection* nc, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mu_);
    while (count_.load() < kMessages) {
      if (natsConnection_IsClosed(nc) || std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      done_.wait_for(lock, std::chrono::milliseconds(100));
    }
    return true;
  }

  int64_t count() const { return count_.load(); }
  int64_t wrong_size() const { return wrong_size_.load(); }

 private:
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> wrong_size_{0};
  std::mutex mu_;
  std::condition_variable done_;
};

class NatsCBenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness::ServerOptions options;
    options.spec = harness::ServerUnderTest();
    auto server = harness::ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << harness::Describe(options.spec) << ": " << server.status();
    server_ = *std::move(server);
    url_ = absl::StrFormat("nats://127.0.0.1:%d", server_->port());
  }

  // No reconnect: a connection the server drops stays dropped, so the counts show it.
  void Connect(Connection* out) {
    natsOptions* raw_opts = nullptr;
    RN_ASSERT_NATS_OK(natsOptions_Create(&raw_opts));
    Options opts(raw_opts);
    RN_ASSERT_NATS_OK(natsOptions_SetURL(opts.get(), url_.c_str()));
    RN_ASSERT_NATS_OK(natsOptions_SetAllowReconnect(opts.get(), false));
    RN_ASSERT_NATS_OK(natsOptions_SetTimeout(opts.get(), kConnectTimeoutMs));
    natsConnection* nc = nullptr;
    RN_ASSERT_NATS_OK(natsConnection_Connect(&nc, opts.get()));
    out->reset(nc);
  }

  // The counter outlives the connections (members are destroyed in reverse order).
  DeliveryCounter counter_;
  std::unique_ptr<harness::ServerProcess> server_;
  std::string url_;
};

TEST_F(NatsCBenchTest, OnePublisherOneSubscriberLosesNothing) {
  Connection sub_nc, pub_nc;
  ASSERT_NO_FATAL_FAILURE(Connect(&sub_nc));
  ASSERT_NO_FATAL_FAILURE(Connect(&pub_nc));
  natsSubscription* raw_sub = nullptr;
  RN_ASSERT_NATS_OK(natsConnection_Subscribe(&raw_sub, sub_nc.get(), "bench.subject",
                                             &DeliveryCounter::OnMessage, &counter_));
  Subscription sub(raw_sub);
  // The library must not drop on its side either: what the server delivers is counted.
  RN_ASSERT_NATS_OK(natsSubscription_SetPendingLimits(sub.get(), -1, -1));
  RN_ASSERT_NATS_OK(natsConnection_Flush(sub_nc.get()));

  const std::string payload(kPayloadSize, 'b');
  for (int i = 0; i < kMessages; ++i) {
    const natsStatus status =
        natsConnection_Publish(pub_nc.get(), "bench.subject", payload.data(), kPayloadSize);
    ASSERT_TRUE(NatsOk(status, "natsConnection_Publish")) << "message " << i;
  }
  RN_ASSERT_NATS_OK(natsConnection_FlushTimeout(pub_nc.get(), kFlushTimeoutMs));

  EXPECT_TRUE(counter_.WaitForAll(sub_nc.get(), kDeliveryTimeout))
      << "received " << counter_.count() << " of " << kMessages;
  EXPECT_EQ(counter_.count(), kMessages);
  EXPECT_EQ(counter_.wrong_size(), 0);
  int64_t dropped = -1;
  RN_EXPECT_NATS_OK(natsSubscription_GetDropped(sub.get(), &dropped));
  EXPECT_EQ(dropped, 0);
  EXPECT_FALSE(natsConnection_IsClosed(sub_nc.get())) << "the subscriber was disconnected";
  EXPECT_EQ(server_->ReadLog().find("Slow Consumer"), std::string::npos) << server_->ReadLog();
}

}  // namespace
}  // namespace ringnats::interop
