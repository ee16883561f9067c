// The cross-worker mesh as two workers' ports see it, driven from one thread: batches a
// worker sends are delivered, paid back and bounded per iteration, so a worker whose source
// refills the queue as fast as it empties it still gets back to its own loop.

#include "ringnats/broker/mesh_port.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>

#include "gtest/gtest.h"
#include "ringnats/broker/shared_state.h"
#include "ringnats/ring/event_loop.h"

namespace ringnats::broker {
namespace {

constexpr size_t kNoBound = std::numeric_limits<size_t>::max();

// Two workers' loops (created, never run: the ports only ring each other's doorbell) and
// their ends of the mesh; worker 0 sends, worker 1 receives.
class MeshPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<std::unique_ptr<ring::EventLoop>> loop = ring::EventLoop::Create({});
      ASSERT_TRUE(loop.ok()) << loop.status();
      loops_[i] = std::move(*loop);
      shared_.loops[i] = loops_[i].get();
    }
    sender_ = std::make_unique<MeshPort>(0, shared_, *loops_[0]);
    receiver_ = std::make_unique<MeshPort>(1, shared_, *loops_[1]);
  }

  // One publish matching one subscription on worker 1, sent as one batch (one iteration of
  // worker 0).
  void SendOne() {
    sender_->QueueRemote(sublist::SubRef{.worker = 1, .slot = 7, .generation = 1});
    sender_->FlushQueuedRefs(Message{.subject = "mesh.test", .data = payload_});
    sender_->SendBatches();
  }

  SharedState shared_{2};
  std::unique_ptr<ring::EventLoop> loops_[2];
  std::unique_ptr<MeshPort> sender_;
  std::unique_ptr<MeshPort> receiver_;
  const std::string payload_ = std::string(1000, 'p');
};

TEST_F(MeshPortTest, DeliversEveryBatchAndPaysItBack) {
  for (int i = 0; i < 5; ++i) SendOne();
  EXPECT_GE(sender_->OwedBy(1), 5 * payload_.size());
  EXPECT_TRUE(receiver_->HasPendingWork());
  int delivered = 0;
  receiver_->ReceiveBatches(kNoBound,
                            [&](std::span<const sublist::SubRef> refs, const Message& message) {
                              ++delivered;
                              ASSERT_EQ(refs.size(), 1u);
                              EXPECT_EQ(refs[0].slot, 7u);
                              EXPECT_EQ(message.subject, "mesh.test");
                              EXPECT_EQ(message.data, payload_);
                            });
  EXPECT_EQ(delivered, 5);
  EXPECT_EQ(sender_->OwedBy(1), 0u);
  EXPECT_FALSE(receiver_->HasPendingWork());
}

TEST_F(MeshPortTest, TakesAtMostTheBoundFromASourcePerIteration) {
  for (int i = 0; i < 10; ++i) SendOne();
  const size_t batch_bytes = sender_->OwedBy(1) / 10;
  int delivered = 0;
  auto count = [&](std::span<const sublist::SubRef>, const Message&) { ++delivered; };
  // Stops at the first batch that reaches the bound: three of them pass 2.5 batches.
  receiver_->ReceiveBatches(batch_bytes * 5 / 2, count);
  EXPECT_EQ(delivered, 3);
  EXPECT_EQ(sender_->OwedBy(1), 7 * batch_bytes);
  EXPECT_TRUE(receiver_->HasPendingWork());
  receiver_->ReceiveBatches(kNoBound, count);
  EXPECT_EQ(delivered, 10);
  EXPECT_FALSE(receiver_->HasPendingWork());
}

// The flood that closed readers which were keeping up: the source (on another core) sends
// again as soon as it is paid back, so the queue never looks empty. Here the delivery itself
// refills it; without the bound this call would deliver all kRefills.
TEST_F(MeshPortTest, ASourceThatRefillsWhileDeliveringDoesNotHoldTheReceiver) {
  constexpr int kRefills = 1000;
  SendOne();
  const size_t batch_bytes = sender_->OwedBy(1);
  int delivered = 0;
  int refills = 0;
  receiver_->ReceiveBatches(batch_bytes * 4, [&](std::span<const sublist::SubRef>, const Message&) {
    ++delivered;
    if (refills < kRefills) {
      ++refills;
      SendOne();
    }
  });
  EXPECT_EQ(delivered, 4);
  EXPECT_TRUE(receiver_->HasPendingWork());
}

}  // namespace
}  // namespace ringnats::broker
