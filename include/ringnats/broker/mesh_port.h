#pragma once
// One worker's end of the WorkerMesh: the batches it is filling for every other worker this
// iteration, those the queues had no room for yet, spare batches returned for reuse, and the
// publish-time grouping of matched subscriptions by destination worker.
//
// Owned by one worker and used only on its thread. What it shares with the other workers is
// in WorkerMesh (SPSC queues, PairCredit), documented there.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/functional/function_ref.h"
#include "ringnats/broker/delivery_batch.h"
#include "ringnats/broker/shared_state.h"
#include "ringnats/ring/event_loop.h"
#include "ringnats/sublist/sub_ref.h"

namespace ringnats::broker {

class MeshPort {
 public:
  MeshPort(uint32_t self, SharedState& shared, ring::EventLoop& loop);
  ~MeshPort();
  MeshPort(const MeshPort&) = delete;
  MeshPort& operator=(const MeshPort&) = delete;

  // Publish path: remember `ref` (on another worker) for the message being published, then
  // add the message once to each destination's batch with all its refs.
  void QueueRemote(sublist::SubRef ref);
  bool HasQueuedRefs() const { return !touched_.empty(); }
  // Whether a destination of the queued refs owes this worker more than `credit_bytes`.
  bool QueuedDestinationOwesMoreThan(size_t credit_bytes) const;
  void FlushQueuedRefs(const Message& message);

  // Once per loop iteration: hands the batches other workers sent to `deliver` (one call per
  // message with its refs on this worker), pays their bytes back and returns the batches.
  // Stops taking from a worker once `max_bytes_per_source` of its batches were delivered:
  // paying back lets that worker send more at once, and one that refills the queue as fast
  // as this one empties it would keep this worker here, with no socket write, stall notice
  // or timer in between, until its consumers passed max_pending. The rest waits for the
  // next iteration (HasPendingWork).
  void ReceiveBatches(
      size_t max_bytes_per_source,
      absl::FunctionRef<void(std::span<const sublist::SubRef>, const Message&)> deliver);
  // Once per loop iteration: pushes this iteration's batches and waking their destinations.
  void SendBatches();

  // Bytes of this worker's messages that `dst` has not delivered yet.
  size_t OwedBy(uint32_t dst) const;
  // Asks every destination owing more than `resume_below` to wake this worker when it pays
  // back; true if one still owes more after asking (a payment in between is not missed).
  bool AskCongestedToWake(size_t resume_below);
  // Work left for a later iteration: batches waiting to be pushed or to be received.
  bool HasPendingWork() const;

 private:
  struct Outgoing {
    DeliveryBatch* filling = nullptr;
    std::vector<DeliveryBatch*> overflow;
  };

  const uint32_t self_;
  SharedState& shared_;
  ring::EventLoop& loop_;
  std::vector<Outgoing> outgoing_;  // by destination worker
  std::vector<DeliveryBatch*> spare_batches_;
  // The message being published: matched refs grouped by destination worker.
  std::vector<std::vector<sublist::SubRef>> queued_refs_;
  std::vector<uint32_t> touched_;
};

}  // namespace ringnats::broker
