// The client operations other than publishing: CONNECT, SUB, UNSUB, PING, PONG.

#include <algorithm>

#include "absl/random/uniform_real_distribution.h"
#include "absl/strings/str_format.h"
#include "ringnats/auth/permissions.h"
#include "ringnats/broker/worker.h"
#include "ringnats/sublist/subject.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {
namespace {

// nats-server measures RTT with a first PING soon after CONNECT: min(ping_interval, 2s)
// plus up to 20% jitter.
constexpr int64_t kFirstPingNs = 2'000'000'000;

// The CONNECT JSON as traced: the string values of "pass" and "auth_token" replaced by
// [REDACTED], as nats-server does, so -V never logs a secret.
std::string RedactSecrets(std::string_view json) {
  std::string out(json);
  for (std::string_view key : {"\"pass\"", "\"auth_token\""}) {
    size_t at = 0;
    while ((at = out.find(key, at)) != std::string::npos) {
      size_t value = out.find_first_not_of(" \t:", at + key.size());
      if (value == std::string::npos || out[value] != '"') break;
      size_t end = value + 1;
      while (end < out.size() && out[end] != '"') end += out[end] == '\\' ? 2 : 1;
      end = std::min(end, out.size());
      out.replace(value + 1, end - value - 1, "[REDACTED]");
      at = value;
    }
  }
  return out;
}

void TraceOp(const Session& session, const proto::Op& op) {
  switch (op.type) {
    case proto::OpType::kConnect: {
      log::Trace("%s - <<- [CONNECT %s]", session.log_prefix, RedactSecrets(op.json));
      break;
    }
    case proto::OpType::kPub:
      log::Trace("%s - <<- [PUB %s%s%s %d]", session.log_prefix, op.subject,
                 op.reply.empty() ? "" : " ", op.reply, op.payload.size());
      break;
    case proto::OpType::kHpub:
      log::Trace("%s - <<- [HPUB %s%s%s %d %d]", session.log_prefix, op.subject,
                 op.reply.empty() ? "" : " ", op.reply, op.header_len, op.payload.size());
      break;
    case proto::OpType::kSub:
      log::Trace("%s - <<- [SUB %s%s%s %s]", session.log_prefix, op.subject,
                 op.queue.empty() ? "" : " ", op.queue, op.sid);
      break;
    case proto::OpType::kUnsub:
      if (op.unsub_max >= 0) {
        log::Trace("%s - <<- [UNSUB %s %d]", session.log_prefix, op.sid, op.unsub_max);
      } else {
        log::Trace("%s - <<- [UNSUB %s]", session.log_prefix, op.sid);
      }
      break;
    case proto::OpType::kPing: log::Trace("%s - <<- [PING]", session.log_prefix); break;
    case proto::OpType::kPong: log::Trace("%s - <<- [PONG]", session.log_prefix); break;
    case proto::OpType::kInfo:
    case proto::OpType::kOk: break;
  }
}

}  // namespace

void Worker::HandleOp(Session& session, const proto::Op& op) {
  if (log::TraceEnabled()) TraceOp(session, op);
  // Any operation ends the wait for the client to speak (with no_auth_user the client may
  // start without CONNECT; otherwise the parser lets only CONNECT through first).
  session.auth_deadline_ns = 0;
  switch (op.type) {
    case proto::OpType::kConnect: HandleConnect(session, op); break;
    case proto::OpType::kPub:
    case proto::OpType::kHpub: HandlePublish(session, op); break;
    case proto::OpType::kSub: HandleSub(session, op); break;
    case proto::OpType::kUnsub: HandleUnsub(session, op); break;
    case proto::OpType::kPing: HandlePing(session); break;
    case proto::OpType::kPong: HandlePong(session); break;
    case proto::OpType::kInfo:
      // Ignored, but nats-server closes on one that is not valid JSON.
      if (!proto::CheckInfoJson(op.json).ok()) Close(session, CloseReason::kProtocolViolation);
      break;
    case proto::OpType::kOk: break;
  }
}

void Worker::SendOk(Session& session) {
  Write(session, "+OK\r\n");
}

void Worker::SendErr(Session& session, std::string_view text) {
  scratch_ = absl::StrFormat("-ERR '%s'\r\n", text);
  Write(session, scratch_);
}

void Worker::HandleConnect(Session& session, const proto::Op& op) {
  // A later CONNECT is decoded over the earlier one, as nats-server does.
  absl::StatusOr<proto::ConnectOptions> parsed =
      proto::ParseConnectOptions(op.json, session.connect);
  if (!parsed.ok()) {
    log::Debug("%s - Error parsing CONNECT: %s", session.log_prefix, parsed.status().message());
    Close(session, CloseReason::kProtocolViolation);
    return;
  }
  session.connect = *std::move(parsed);
  session.connect_received = true;
  if (!session.authenticated) session.connect_received_ns = now_ns_;
  // New credentials: whatever was verified before says nothing about them.
  session.verified_hash.clear();
  if (session.connect.has_account) {
    AuthenticationFailed(session);
    return;
  }
  if (session.auth_snapshot->enabled()) {
    Authenticate(session);  // continues in FinishConnect once the credentials pass
  } else {
    FinishConnect(session);
  }
}

void Worker::FinishConnect(Session& session) {
  session.parser.set_headers_allowed(session.connect.headers && !options_->no_header_support);
  if (session.connect.protocol < 0 || session.connect.protocol > 1) {
    CloseWithError(session, "invalid client protocol", CloseReason::kBadClientProtocolVersion);
    return;
  }
  if (session.connect.no_responders && !session.connect.headers) {
    CloseWithError(session, "no responders requires headers support",
                   CloseReason::kNoRespondersRequiresHeaders);
    return;
  }
  const int64_t first = std::min(absl::ToInt64Nanoseconds(options_->ping_interval), kFirstPingNs);
  session.next_ping_ns =
      now_ns_ + first +
      static_cast<int64_t>(absl::uniform_real_distribution<double>(0, 0.2)(random_) * first);
  ScheduleTimer(session.next_ping_ns);
  if (session.connect.verbose) SendOk(session);
}

void Worker::HandleSub(Session& session, const proto::Op& op) {
  session.last_activity_ns = now_ns_;
  // nats-server keeps the queue name `_sys_` (exactly, case-sensitive) for itself: any client
  // SUB in it is a subscription permissions violation, found before the subject is checked.
  const bool reserved_queue = op.queue == "_sys_";
  if (!reserved_queue && !sublist::IsValidSubscribeSubject(op.subject)) {
    SendErr(session, "Invalid Subject");
    return;
  }
  if (reserved_queue || (session.permissions != nullptr &&
                         !auth::MaySubscribe(*session.permissions, op.subject, op.queue))) {
    // nats-server names the CONNECT's user, or N/A.
    const std::string_view user = session.user != nullptr ? std::string_view(session.user->name)
                                  : !session.connect.user.empty()
                                      ? std::string_view(session.connect.user)
                                      : std::string_view("N/A");
    if (op.queue.empty()) {
      log::Error("%s - Subscription Violation - User \"%s\", Subject \"%s\", SID %s",
                 session.log_prefix, user, op.subject, op.sid);
      SendErr(session,
              absl::StrFormat("Permissions Violation for Subscription to \"%s\"", op.subject));
    } else {
      log::Error("%s - Subscription Violation - User \"%s\", Subject \"%s\", Queue: \"%s\", SID %s",
                 session.log_prefix, user, op.subject, op.queue, op.sid);
      SendErr(session,
              absl::StrFormat("Permissions Violation for Subscription to \"%s\" using queue \"%s\"",
                              op.subject, op.queue));
    }
    return;
  }
  if (options_->max_subscriptions > 0 &&
      session.subs_by_sid.size() >= static_cast<size_t>(options_->max_subscriptions)) {
    log::Error("%s - maximum subscriptions exceeded", session.log_prefix);
    SendErr(session, "maximum subscriptions exceeded");
    return;
  }
  if (!session.subs_by_sid.contains(op.sid)) {
    const uint32_t slot = subs_.Allocate();
    Subscription& sub = subs_.at(slot);
    sub.owner = session.conn;
    sub.subject.assign(op.subject);
    sub.queue.assign(op.queue);
    sub.sid.assign(op.sid);
    const absl::Status inserted =
        shared_.trie.Insert(sub.subject, sub.queue, sublist::SubRef{index_, slot, sub.generation});
    if (!inserted.ok()) {
      subs_.Free(slot);
      SendErr(session, "Invalid Subject");
      return;
    }
    session.subs_by_sid.emplace(sub.sid, slot);
    WorkerCounters::Add(counters_.sub_inserts, 1);
    route_protocol_.NoteLocalInterest(sub, /*added=*/true);
  }
  // A reused sid keeps the old subscription, and still gets +OK (nats-server does the same).
  if (session.connect.verbose) SendOk(session);
}

void Worker::HandleUnsub(Session& session, const proto::Op& op) {
  session.last_activity_ns = now_ns_;
  if (auto it = session.subs_by_sid.find(op.sid); it != session.subs_by_sid.end()) {
    Subscription& sub = subs_.at(it->second);
    if (op.unsub_max > 0 && sub.delivered < op.unsub_max) {
      sub.max_msgs = op.unsub_max;
    } else {
      RemoveSubscription(it->second);
    }
  }
  if (session.connect.verbose) SendOk(session);
}

void Worker::HandlePing(Session& session) {
  session.last_activity_ns = now_ns_;
  Write(session, "PONG\r\n");
}

void Worker::HandlePong(Session& session) {
  if (session.last_ping_sent_ns != 0 && session.pings_out > 0) {
    session.rtt_known = true;
    session.rtt_ns = now_ns_ - session.last_ping_sent_ns;
  }
  session.pings_out = 0;
}

void Worker::CheckTimers(Session& session, int64_t now_ns) {
  if (CheckTlsFirstFallback(session, now_ns)) return;
  if (CheckTlsDeadline(session, now_ns)) return;
  if (session.auth_deadline_ns != 0 && now_ns >= session.auth_deadline_ns) {
    log::Debug("%s - Authentication Timeout", session.log_prefix);
    shared_.monitor.auth_timeouts.fetch_add(1, std::memory_order_relaxed);
    CloseWithError(session, "Authentication Timeout", CloseReason::kAuthenticationTimeout);
    return;
  }
  const int64_t interval = absl::ToInt64Nanoseconds(options_->ping_interval);
  if (now_ns >= session.next_ping_ns) {
    session.next_ping_ns = now_ns + interval;
    const bool recently_active = now_ns - session.last_activity_ns < interval;
    if (!(session.rtt_known && recently_active)) {
      if (session.pings_out + 1 > options_->ping_max) {
        log::Debug("%s - Stale Client Connection - Closing", session.log_prefix);
        CloseWithError(session, "Stale Connection", CloseReason::kStaleConnection);
        return;
      }
      ++session.pings_out;
      session.last_ping_sent_ns = now_ns;
      Write(session, "PING\r\n");
    }
  }
  CheckWriteDeadline(session, now_ns);
}

void Worker::CheckWriteDeadline(Session& session, int64_t now_ns) {
  const int64_t blocked = loop_.FlushUnderWayFor(session.conn, now_ns);
  if (blocked > absl::ToInt64Nanoseconds(options_->write_deadline)) {
    WorkerCounters::Add(counters_.slow_consumers, 1);
    const ring::OutboundBuffer& out = loop_.outbound(session.conn);
    log::Info(
        "%s - Slow Consumer Detected: WriteDeadline of %s exceeded with %d chunks of %d total "
        "bytes.",
        session.log_prefix, absl::FormatDuration(options_->write_deadline), out.ChunkCount(),
        out.pending_bytes());
    // As nats-server: a route that took part of the flush is slow, not gone; it is kept and
    // judged again on what it has not taken yet.
    if (session.kind == SessionKind::kRoute && loop_.FlushSentBytes(session.conn) > 0) {
      loop_.RestartFlush(session.conn);
      return;
    }
    Close(session, CloseReason::kSlowConsumerWriteDeadline);
  }
}

}  // namespace ringnats::broker
