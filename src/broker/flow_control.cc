// Flow control: a fast producer is slowed to its consumers' pace, so a consumer that is
// still reading is not dropped as a slow consumer.
//
// As nats-server 2.9 does: once a delivery leaves a consumer with more than half of
// max_pending queued, the producing client stops being read until the consumer drains below
// that or a stall of 100 ms (growing with the backlog to 1 s at max_pending) runs out; only a
// consumer that still passes max_pending, or whose flush outlives write_deadline, is closed.
// A route is a consumer too, and stalls the clients publishing to it the same way, but is
// never closed for max_pending, and at write_deadline only if nothing at all went out.
// A producer on another worker is stalled through that worker's mailbox. Separately, a
// worker stops reading publishers whose messages another worker has not yet delivered past
// a byte credit, which bounds the memory between workers.

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "ringnats/broker/worker.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {
namespace {

constexpr int64_t kStallMinNs = 100'000'000;
constexpr int64_t kStallMaxNs = 1'000'000'000;
// Producers remembered per stalled consumer; beyond this a producer's stall simply runs out.
constexpr size_t kMaxStalledProducersPerConsumer = 1024;
// Bounds of the cross-worker credit (a quarter of max_pending over the other workers).
constexpr size_t kMinCreditBytes = 256 * 1024;
constexpr size_t kMaxCreditBytes = 8u << 20;

// nats-server's stall length: 100 ms at half of max_pending, 100 ms more for every further
// twentieth of it, 1 s at max_pending.
int64_t StallDuration(size_t pending, size_t max_pending) {
  if (pending >= max_pending) return kStallMaxNs;
  const size_t half = max_pending / 2;
  int64_t ttl = kStallMinNs;
  if (pending > half && half >= 10) {
    ttl += kStallMinNs * static_cast<int64_t>((pending - half) / (half / 10));
  }
  return std::min(ttl, kStallMaxNs);
}

}  // namespace

bool Worker::EnforcePendingLimit(Session& session, size_t pending) {
  if (pending <= static_cast<size_t>(options_->max_pending) || session.closing ||
      session.kind == SessionKind::kRoute) {
    return false;
  }
  WorkerCounters::Add(counters_.slow_consumers, 1);
  log::Info("%s - Slow Consumer Detected: MaxPending of %d Exceeded", session.log_prefix,
            options_->max_pending);
  Close(session, CloseReason::kSlowConsumerPendingBytes);
  return true;
}

void Worker::StallProducerOf(Session& target, const Message& message, Session* publisher) {
  // No client produced it, or a client reading its own messages: nothing to stall (a client
  // that must read to be released would never be).
  if (message.producer.generation == 0 || publisher == &target) return;
  const size_t pending = loop_.outbound(target.conn).pending_bytes();
  const int64_t ttl = StallDuration(pending, static_cast<size_t>(options_->max_pending));
  const Session::StalledProducer producer{message.producer_worker, message.producer};
  if (target.stalled_producers.empty()) stalled_consumers_.push_back(target.conn);
  if (target.stalled_producers.size() < kMaxStalledProducersPerConsumer &&
      std::find(target.stalled_producers.begin(), target.stalled_producers.end(), producer) ==
          target.stalled_producers.end()) {
    target.stalled_producers.push_back(producer);
  }
  if (publisher != nullptr) {
    StallLocalProducer(*publisher, ttl);
    return;
  }
  // One notice per producer per iteration, sent with the iteration's batches.
  for (StallNotice& notice : stall_notices_) {
    if (notice.producer == producer) {
      notice.ttl_ns = std::max(notice.ttl_ns, ttl);
      return;
    }
  }
  stall_notices_.push_back(StallNotice{producer, ttl});
}

void Worker::SendStallNotices() {
  for (const StallNotice& notice : stall_notices_) {
    shared_.PostToWorker(
        notice.producer.worker,
        [conn = notice.producer.conn, ttl = notice.ttl_ns](Worker& worker) {
          worker.StallProducer(conn, ttl);
        },
        &loop_);
  }
  stall_notices_.clear();
}

void Worker::StallLocalProducer(Session& producer, int64_t ttl_ns) {
  // A route carries every publisher of its peer: pausing it behind one slow subscriber would
  // hold up all of them. That subscriber is cut at max_pending instead.
  if (producer.closing || producer.kind == SessionKind::kRoute) return;
  if (producer.stalled_until_ns == 0) stalled_producers_.push_back(producer.conn);
  producer.stalled_until_ns = std::max(producer.stalled_until_ns, now_ns_ + ttl_ns);
  PauseReading(producer);
}

void Worker::StallProducer(ring::ConnId producer, int64_t ttl_ns) {
  RN_DCHECK_ON_OWNER(loop_);
  if (Session* session = Find(producer)) StallLocalProducer(*session, ttl_ns);
}

void Worker::ReleaseProducer(ring::ConnId producer) {
  RN_DCHECK_ON_OWNER(loop_);
  Session* session = Find(producer);
  if (session == nullptr || session->stalled_until_ns == 0) return;
  session->stalled_until_ns = 0;
  ContinueInput(*session);
}

void Worker::ReleaseStalledProducers(Session& consumer) {
  for (const Session::StalledProducer& producer : consumer.stalled_producers) {
    if (producer.worker == index_) {
      ReleaseProducer(producer.conn);
    } else {
      shared_.PostToWorker(
          producer.worker,
          [conn = producer.conn](Worker& worker) { worker.ReleaseProducer(conn); }, &loop_);
    }
  }
  consumer.stalled_producers.clear();
}

void Worker::ReleaseDrainedConsumers() {
  if (stalled_consumers_.empty()) return;
  const size_t half = static_cast<size_t>(options_->max_pending) / 2;
  size_t kept = 0;
  for (ring::ConnId id : stalled_consumers_) {
    Session* session = Find(id);
    if (session == nullptr || session->stalled_producers.empty()) continue;
    if (!session->closing && loop_.outbound(id).pending_bytes() > half) {
      stalled_consumers_[kept++] = id;
      continue;
    }
    ReleaseStalledProducers(*session);
  }
  stalled_consumers_.resize(kept);
}

void Worker::ReleaseExpiredStalls(int64_t now_ns) {
  size_t kept = 0;
  for (ring::ConnId id : stalled_producers_) {
    Session* session = Find(id);
    if (session == nullptr || session->stalled_until_ns == 0) continue;
    if (now_ns < session->stalled_until_ns) {
      stalled_producers_[kept++] = id;
      continue;
    }
    log::Debug("%s - Timed out of fast producer stall", session->log_prefix);
    session->stalled_until_ns = 0;
    ContinueInput(*session);
  }
  stalled_producers_.resize(kept);
}

size_t Worker::CrossWorkerCreditBytes() const {
  // A quarter of max_pending shared among the other workers: a consumer's worker may deliver
  // what every other worker sent it at once, so with a whole quarter per pair, four workers
  // could put three quarters on a consumer in one pass, from just under the stall threshold
  // (half) to past max_pending, and close a consumer that was still reading.
  const size_t others = std::max<size_t>(1, shared_.workers.size() - 1);
  return std::clamp(static_cast<size_t>(options_->max_pending) / 4 / others, kMinCreditBytes,
                    kMaxCreditBytes);
}

void Worker::WaitForCredit(Session& publisher) {
  if (publisher.waiting_for_credit || publisher.closing) return;
  publisher.waiting_for_credit = true;
  credit_waiters_.push_back(publisher.conn);
  PauseReading(publisher);
}

void Worker::ReleaseCreditWaiters() {
  if (credit_waiters_.empty()) return;
  if (mesh_.AskCongestedToWake(CrossWorkerCreditBytes() / 2)) return;
  std::vector<ring::ConnId> waiters;
  waiters.swap(credit_waiters_);
  for (ring::ConnId id : waiters) {
    Session* session = Find(id);
    if (session == nullptr || !session->waiting_for_credit) continue;
    session->waiting_for_credit = false;
    ContinueInput(*session);
  }
}

}  // namespace ringnats::broker
