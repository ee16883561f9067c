#include "ringnats/broker/mesh_port.h"

namespace ringnats::broker {
namespace {

// Spare batches kept per worker for reuse; more are freed.
constexpr size_t kMaxSpareBatches = 64;

}  // namespace

MeshPort::MeshPort(uint32_t self, SharedState& shared, ring::EventLoop& loop)
    : self_(self),
      shared_(shared),
      loop_(loop),
      outgoing_(shared.mesh.size()),
      queued_refs_(shared.mesh.size()) {}

MeshPort::~MeshPort() {
  for (Outgoing& out : outgoing_) {
    delete out.filling;
    for (DeliveryBatch* batch : out.overflow) delete batch;
  }
  for (DeliveryBatch* batch : spare_batches_) delete batch;
}

void MeshPort::QueueRemote(sublist::SubRef ref) {
  std::vector<sublist::SubRef>& refs = queued_refs_[ref.worker];
  if (refs.empty()) touched_.push_back(ref.worker);
  refs.push_back(ref);
}

bool MeshPort::QueuedDestinationOwesMoreThan(size_t credit_bytes) const {
  for (uint32_t dst : touched_) {
    if (OwedBy(dst) > credit_bytes) return true;
  }
  return false;
}

void MeshPort::FlushQueuedRefs(const Message& message) {
  for (uint32_t dst : touched_) {
    Outgoing& out = outgoing_[dst];
    if (out.filling == nullptr) {
      if (!spare_batches_.empty()) {
        out.filling = spare_batches_.back();
        spare_batches_.pop_back();
      } else {
        out.filling = new DeliveryBatch;
      }
    }
    out.filling->Add(queued_refs_[dst], message);
    queued_refs_[dst].clear();
  }
  touched_.clear();
}

void MeshPort::ReceiveBatches(
    size_t max_bytes_per_source,
    absl::FunctionRef<void(std::span<const sublist::SubRef>, const Message&)> deliver) {
  for (uint32_t src = 0; src < shared_.mesh.size(); ++src) {
    if (src == self_) continue;
    auto& inbox = *shared_.mesh.to_worker[src][self_];
    PairCredit& credit = *shared_.mesh.credit[src][self_];
    size_t delivered_bytes = 0;
    while (delivered_bytes < max_bytes_per_source) {
      DeliveryBatch* batch = inbox.TryPop();
      if (batch == nullptr) break;
      batch->ForEach(deliver);
      delivered_bytes += batch->size_bytes();
      credit.owed_bytes.fetch_sub(batch->size_bytes(), std::memory_order_relaxed);
      batch->Reset();
      if (!shared_.mesh.returned[self_][src]->TryPush(batch)) delete batch;
    }
    // The source has publishers waiting for this credit (AskCongestedToWake).
    if (credit.src_waiting.load(std::memory_order_seq_cst) &&
        credit.src_waiting.exchange(false, std::memory_order_seq_cst)) {
      shared_.loops[src]->WakeFrom(loop_);
    }
  }
}

void MeshPort::SendBatches() {
  for (uint32_t dst = 0; dst < outgoing_.size(); ++dst) {
    if (dst == self_) continue;
    // Reclaim batches the destination has finished with.
    auto& returns = *shared_.mesh.returned[dst][self_];
    while (DeliveryBatch* spare = returns.TryPop()) {
      if (spare_batches_.size() < kMaxSpareBatches) {
        spare_batches_.push_back(spare);
      } else {
        delete spare;
      }
    }
    Outgoing& out = outgoing_[dst];
    if (out.filling != nullptr) {
      // Owed from here until dst has delivered it (ReceiveBatches pays it back).
      shared_.mesh.credit[self_][dst]->owed_bytes.fetch_add(out.filling->size_bytes(),
                                                             std::memory_order_relaxed);
      out.overflow.push_back(out.filling);
      out.filling = nullptr;
    }
    if (out.overflow.empty()) continue;
    auto& queue = *shared_.mesh.to_worker[self_][dst];
    size_t pushed = 0;
    while (pushed < out.overflow.size() && queue.TryPush(out.overflow[pushed])) ++pushed;
    out.overflow.erase(out.overflow.begin(), out.overflow.begin() + pushed);
    if (pushed > 0) shared_.loops[dst]->WakeFrom(loop_);
  }
}

size_t MeshPort::OwedBy(uint32_t dst) const {
  const Outgoing& out = outgoing_[dst];
  return shared_.mesh.credit[self_][dst]->owed_bytes.load(std::memory_order_relaxed) +
         (out.filling != nullptr ? out.filling->size_bytes() : 0);
}

bool MeshPort::AskCongestedToWake(size_t resume_below) {
  bool congested = false;
  for (uint32_t dst = 0; dst < outgoing_.size(); ++dst) {
    if (dst == self_) continue;
    if (OwedBy(dst) <= resume_below) continue;
    // Ask dst to wake this worker when it pays back, then look again: a payment that came
    // between the first look and the flag is seen by the second.
    shared_.mesh.credit[self_][dst]->src_waiting.store(true, std::memory_order_seq_cst);
    if (OwedBy(dst) > resume_below) congested = true;
  }
  return congested;
}

bool MeshPort::HasPendingWork() const {
  for (size_t src = 0; src < shared_.mesh.size(); ++src) {
    if (src != self_ && !shared_.mesh.to_worker[src][self_]->LooksEmpty()) return true;
  }
  for (const Outgoing& out : outgoing_) {
    if (!out.overflow.empty()) return true;
  }
  return false;
}

}  // namespace ringnats::broker
