// Publishing: match on the publisher's worker, write local deliveries straight into the
// subscribers' outbound buffers, batch the rest per destination worker.

#include "absl/strings/str_format.h"
#include "ringnats/auth/permissions.h"
#include "ringnats/broker/worker.h"
#include "ringnats/sublist/subject.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {
namespace {

// Refs a trie walk collects in the time one delivery takes, for the work budget (input.cc).
constexpr size_t kMatchedRefsPerWorkUnit = 4;

}  // namespace

void Worker::HandlePublish(Session& publisher, const proto::Op& op) {
  // HPUB without "headers":true never gets here: the parser refuses it.
  const bool has_headers = op.type == proto::OpType::kHpub;
  publisher.last_activity_ns = now_ns_;
  ++publisher.in_msgs;
  publisher.in_bytes += op.payload.size();
  WorkerCounters::Add(counters_.in_msgs, 1);
  WorkerCounters::Add(counters_.in_bytes, op.payload.size());

  // nats-server's order: the pedantic subject check (reported, yet still routed), publish
  // permission, reserved reply subjects, then +OK, then delivery.
  if (publisher.connect.pedantic && !sublist::IsValidPublishSubject(op.subject)) {
    SendErr(publisher, "Invalid Publish Subject");
  }
  if (publisher.permissions != nullptr && !CheckPublishPermission(publisher, op.subject)) {
    return;
  }
  if (op.reply.starts_with("_R_.") || op.reply.starts_with("$JS.ACK.")) {
    SendErr(publisher,
            absl::StrFormat("Permissions Violation for Publish with Reply of \"%s\"", op.reply));
    return;
  }
  if (publisher.connect.verbose) SendOk(publisher);

  Message message{op.subject, op.reply,     has_headers ? op.header_len : 0u,
                  op.payload, op.size_text, has_headers ? op.header_size_text : std::string_view(),
                  index_,     publisher.conn};
  const uint64_t misses_before = match_cache_.misses();
  const sublist::MatchResult& result = match_cache_.Match(op.subject);
  const uint64_t fanout = result.plain.size() + result.queues.size();
  fanout_sum_ += fanout;
  fanout_max_ = std::max(fanout_max_, fanout);
  if (match_cache_.misses() != misses_before) {
    // A miss walked the trie and copied every matching ref: that is work for the budget too
    // (20,000 queue members on `>` make each new subject cost as much as thousands of
    // publishes).
    size_t refs = result.plain.size();
    for (const sublist::QueueGroupMatch& group : result.queues) refs += group.members.size();
    deliveries_of_last_op_ += static_cast<uint32_t>(refs / kMatchedRefsPerWorkUnit);
  }
  // Formatted at the first local delivery: a message whose subscribers are all on other
  // workers is formatted there, not here.
  bool framed = false;
  auto frame = [&]() -> const MsgFrame& {
    if (!framed) frame_.Format(message);
    framed = true;
    return frame_;
  };
  bool delivered = false;
  for (const sublist::SubRef& ref : result.plain) {
    if (ref.worker == index_) {
      delivered |= DeliverLocal(ref, message, frame(), &publisher);
    } else {
      mesh_.QueueRemote(ref);
      delivered = true;
    }
  }
  for (const sublist::QueueGroupMatch& group : result.queues) {
    const size_t count = group.members.size();
    if (count == 0) continue;
    const size_t start = absl::Uniform<size_t>(random_, 0, count);
    for (size_t i = 0; i < count; ++i) {
      const sublist::SubRef& ref = group.members[(start + i) % count];
      if (ref.worker != index_) {
        mesh_.QueueRemote(ref);
        delivered = true;
        break;
      }
      if (DeliverLocal(ref, message, frame(), &publisher)) {
        delivered = true;
        break;
      }
    }
  }
  if (route_protocol_.has_targets()) route_protocol_.FlushTargets(message, &publisher);
  if (mesh_.HasQueuedRefs()) {
    if (mesh_.QueuedDestinationOwesMoreThan(CrossWorkerCreditBytes())) {
      // A destination is not keeping up: stop reading this publisher until it pays back.
      WaitForCredit(publisher);
    }
    mesh_.FlushQueuedRefs(message);
  }

  if (!delivered && !op.reply.empty() && publisher.connect.no_responders) {
    SendNoResponders(publisher, op.reply);
  }
}

bool Worker::DeliverLocal(sublist::SubRef ref, const Message& message, const MsgFrame& frame,
                          Session* publisher) {
  Subscription* sub = subs_.Resolve(ref);
  if (sub == nullptr) return false;
  Session* target = Find(sub->owner);
  if (target == nullptr || target->closing) return false;
  if (target->kind == SessionKind::kRoute) {
    // A peer's interest: the message goes out once per route after every match is seen.
    route_protocol_.AddTarget(*sub);
    return true;
  }
  if (target == publisher && !publisher->connect.echo) return false;
  if (target->permissions != nullptr) {
    if (auth::DeliveryDenied(*target->permissions, message.subject)) return false;
    if (target->permissions->allow_responses.has_value() && !message.reply.empty()) {
      AllowResponse(*target, message.reply);
    }
  }

  ring::OutboundBuffer& out = loop_.OutboundToSend(target->conn);
  std::string_view body = message.data;
  if (message.header_len == 0 || target->connect.headers) {
    out.Append({frame.head, sub->sid, frame.tail, body, "\r\n"});
  } else {
    // A subscriber that did not announce headers gets the payload alone.
    char size_buf[24];
    body.remove_prefix(std::min<size_t>(message.header_len, body.size()));
    const std::string_view reply_sep = message.reply.empty() ? "" : " ";
    out.Append({"MSG ", message.subject, " ", sub->sid, " ", message.reply, reply_sep,
                DecimalDigits(body.size(), size_buf), "\r\n", body, "\r\n"});
  }
  ++target->out_msgs;
  target->out_bytes += body.size();
  WorkerCounters::Add(counters_.out_msgs, 1);
  // The server-wide count includes headers even when this subscriber gets the payload alone
  // (nats-server counts the message it sent; the connection counts what it received).
  WorkerCounters::Add(counters_.out_bytes, message.data.size());

  ++deliveries_of_last_op_;

  ++sub->delivered;
  if (sub->max_msgs > 0 && sub->delivered >= sub->max_msgs) {
    RemoveSubscription(ref.slot);
  }
  const size_t pending = out.pending_bytes();
  if (pending > static_cast<size_t>(options_->max_pending) / 2 &&
      !EnforcePendingLimit(*target, pending)) {
    StallProducerOf(*target, message, publisher);
  }
  return true;
}

bool Worker::CheckPublishPermission(Session& publisher, std::string_view subject) {
  constexpr size_t kMaxCachedVerdicts = 128;  // as nats-server's per-connection cache
  bool allowed;
  if (auto it = publisher.publish_verdicts.find(subject); it != publisher.publish_verdicts.end()) {
    allowed = it->second;
  } else {
    allowed = auth::MayPublish(*publisher.permissions, subject);
    if (publisher.publish_verdicts.size() >= kMaxCachedVerdicts) publisher.publish_verdicts.clear();
    publisher.publish_verdicts.emplace(subject, allowed);
  }
  if (!allowed) {
    if (auto it = publisher.responses.find(subject); it != publisher.responses.end()) {
      if (it->second.expires_ns > now_ns_ && it->second.remaining > 0) {
        if (--it->second.remaining == 0) publisher.responses.erase(it);
        return true;
      }
      publisher.responses.erase(it);
    }
    log::Error("%s - Publish Violation - User \"%s\", Subject \"%s\"", publisher.log_prefix,
               publisher.user != nullptr ? std::string_view(publisher.user->name) : "", subject);
    SendErr(publisher, absl::StrFormat("Permissions Violation for Publish to \"%s\"", subject));
  }
  return allowed;
}

void Worker::AllowResponse(Session& target, std::string_view reply) {
  constexpr size_t kMaxTrackedReplies = 10'000;
  if (target.responses.size() >= kMaxTrackedReplies) {
    absl::erase_if(target.responses,
                   [this](const auto& entry) { return entry.second.expires_ns <= now_ns_; });
    if (target.responses.size() >= kMaxTrackedReplies) target.responses.clear();
  }
  const auth::ResponsePermission& allowance = *target.permissions->allow_responses;
  target.responses.insert_or_assign(
      std::string(reply),
      Session::ResponseAllowance{allowance.max_msgs,
                                 now_ns_ + absl::ToInt64Nanoseconds(allowance.expires)});
}

void Worker::SendNoResponders(Session& publisher, std::string_view reply) {
  // The publisher's own plain subscription on the reply subject, found through the trie:
  // the cost follows the subscribers of `reply`, not how many subscriptions the client has.
  for (const sublist::SubRef& ref : match_cache_.Match(reply).plain) {
    if (ref.worker != index_) continue;
    const Subscription* sub = subs_.Resolve(ref);
    if (sub == nullptr || !(sub->owner == publisher.conn)) continue;
    ring::OutboundBuffer& out = loop_.OutboundToSend(publisher.conn);
    out.Append({"HMSG ", reply, " ", sub->sid, " 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"});
    EnforcePendingLimit(publisher, out.pending_bytes());
    return;
  }
}

}  // namespace ringnats::broker
