// Messages and routes. A client's message reaches each route with matching interest once
// (RMSG, or HMSG with headers), naming the queue groups whose chosen member is on that peer;
// a message from a route reaches this node's clients: its plain subscribers, and one member
// of each queue group the RMSG names. A message from a route goes to a route only when a
// named queue group has no member here any more (its interest was late): then, as in
// nats-server, to a route with a member, so the message is not lost. Otherwise never, which
// is what makes delivery exactly-once in a full mesh.

#include <algorithm>

#include "ringnats/broker/worker.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {
namespace {

bool ListsQueue(std::string_view queues, std::string_view name) {
  std::string_view listed;
  while (proto::NextQueueName(queues, listed)) {
    if (listed == name) return true;
  }
  return false;
}

}  // namespace

void RouteProtocol::AddTarget(const Subscription& sub) {
  targets_.push_back(Target{sub.owner, sub.queue});
}

void RouteProtocol::FlushTargets(const Message& message, Session* publisher) {
  std::stable_sort(targets_.begin(), targets_.end(),
                   [](const Target& a, const Target& b) { return a.conn.slot < b.conn.slot; });
  char size_buf[24];
  char header_buf[24];
  for (size_t i = 0; i < targets_.size();) {
    const ring::ConnId conn = targets_[i].conn;
    size_t end = i;
    while (end < targets_.size() && targets_[end].conn == conn) ++end;
    Session* route = worker_.Find(conn);
    if (route == nullptr || route->closing || !route->route->registered) {
      i = end;
      continue;
    }
    // Queue names, each once, in the order they were chosen.
    std::string& queues = worker_.scratch_;
    queues.clear();
    for (size_t j = i; j < end; ++j) {
      const std::string_view queue = targets_[j].queue;
      if (queue.empty()) continue;
      bool seen = false;
      for (size_t k = i; k < j; ++k) seen |= targets_[k].queue == queue;
      if (!seen) {
        queues.push_back(' ');
        queues.append(queue);
      }
    }
    i = end;

    const bool headers = message.header_len > 0 && route->route->peer.headers;
    std::string_view body = message.data;
    if (message.header_len > 0 && !headers) body.remove_prefix(message.header_len);
    ring::OutboundBuffer& out = worker_.loop_.OutboundToSend(route->conn);
    std::string_view reply_part_1;  // " + reply", " | ", " reply" or ""
    std::string_view reply_part_2;
    if (!queues.empty()) {
      reply_part_1 = message.reply.empty() ? " |" : " + ";
      reply_part_2 = message.reply;
    } else if (!message.reply.empty()) {
      reply_part_1 = " ";
      reply_part_2 = message.reply;
    }
    if (headers) {
      out.Append({"HMSG $G ", message.subject, reply_part_1, reply_part_2, queues, " ",
                  DecimalDigits(message.header_len, header_buf), " ",
                  DecimalDigits(body.size(), size_buf), "\r\n", body, "\r\n"});
    } else {
      out.Append({"RMSG $G ", message.subject, reply_part_1, reply_part_2, queues, " ",
                  DecimalDigits(body.size(), size_buf), "\r\n", body, "\r\n"});
    }
    ++route->out_msgs;
    route->out_bytes += body.size();
    WorkerCounters::Add(worker_.counters_.out_msgs, 1);
    WorkerCounters::Add(worker_.counters_.out_bytes, body.size());
    ++worker_.deliveries_of_last_op_;
    if (out.pending_bytes() > static_cast<size_t>(worker_.options_->max_pending) / 2) {
      worker_.StallProducerOf(*route, message, publisher);
    }
  }
  targets_.clear();
}

void RouteProtocol::HandleRoutedMessage(Session& route, const proto::RouteOp& op) {
  if (op.account != "$G" || !route.route->registered) return;
  const bool has_headers = op.type == proto::RouteOpType::kHmsg;
  ++route.in_msgs;
  route.in_bytes += op.payload.size();
  WorkerCounters::Add(worker_.counters_.in_msgs, 1);
  WorkerCounters::Add(worker_.counters_.in_bytes, op.payload.size());
  Message message{op.subject,    op.reply, has_headers ? op.header_len : 0u,
                  op.payload,    op.size_text,
                  has_headers ? op.header_size_text : std::string_view(),
                  worker_.index_,        route.conn};
  const sublist::MatchResult& result = worker_.match_cache_.Match(op.subject);
  bool framed = false;
  auto frame = [&]() -> const MsgFrame& {
    if (!framed) worker_.frame_.Format(message);
    framed = true;
    return worker_.frame_;
  };
  for (const sublist::SubRef& ref : result.plain) {
    if (IsRouteRef(ref)) continue;
    if (ref.worker == worker_.index_) {
      worker_.DeliverLocal(ref, message, frame(), &route);
    } else {
      worker_.mesh_.QueueRemote(ref);
    }
  }
  if (!op.queues.empty()) {
    for (const sublist::QueueGroupMatch& group : result.queues) {
      if (!ListsQueue(op.queues, group.name)) continue;
      const size_t count = group.members.size();
      if (count == 0) continue;
      const size_t start = absl::Uniform<size_t>(worker_.random_, 0, count);
      bool taken = false;
      // A member on another worker is taken on trust; one here only if it can deliver.
      auto take = [&](const sublist::SubRef& ref) {
        if (ref.worker != worker_.index_) {
          worker_.mesh_.QueueRemote(ref);
          return true;
        }
        return worker_.DeliverLocal(ref, message, frame(), &route);
      };
      for (size_t i = 0; i < count && !taken; ++i) {
        const sublist::SubRef& ref = group.members[(start + i) % count];
        if (!IsRouteRef(ref)) taken = take(ref);
      }
      // As nats-server: a peer sent it here for a member this node no longer has (or never
      // had, its interest being late), so it goes to a route that has one (the first in the
      // group, even the route it came on) rather than being lost.
      for (size_t i = 0; i < count && !taken; ++i) {
        if (IsRouteRef(group.members[i])) taken = take(group.members[i]);
      }
    }
  }
  if (has_targets()) FlushTargets(message, nullptr);
  if (worker_.mesh_.HasQueuedRefs()) {
    if (worker_.mesh_.QueuedDestinationOwesMoreThan(worker_.CrossWorkerCreditBytes())) worker_.WaitForCredit(route);
    worker_.mesh_.FlushQueuedRefs(message);
  }
}

}  // namespace ringnats::broker
