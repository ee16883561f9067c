#include "ringnats/broker/worker.h"

#include <arpa/inet.h>
#include <malloc.h>

#include "absl/strings/str_format.h"
#include "ringnats/auth/authenticate.h"
#include "ringnats/broker/info.h"
#include "ringnats/ring/listener.h"
#include "ringnats/util/check.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {
namespace {

constexpr size_t kMaxSpareBatches = 64;
// Subscriptions of closed sessions removed from the trie per loop iteration.
constexpr size_t kTeardownPerIteration = 2048;
// A teardown at least this large returns free memory to the system when it ends, at most
// once per kTrimIntervalNs per worker.
constexpr size_t kLargeTeardown = 10'000;
constexpr int64_t kTrimIntervalNs = 1'000'000'000;

}  // namespace

std::string_view CloseReasonText(CloseReason reason) {
  switch (reason) {
    case CloseReason::kClientClosed: return "Client Closed";
    case CloseReason::kReadError: return "Read Error";
    case CloseReason::kWriteError: return "Write Error";
    case CloseReason::kParseError: return "Parse Error";
    case CloseReason::kProtocolViolation: return "Protocol Violation";
    case CloseReason::kStaleConnection: return "Stale Connection";
    case CloseReason::kSlowConsumerPendingBytes: return "Slow Consumer (Pending Bytes)";
    case CloseReason::kSlowConsumerWriteDeadline: return "Slow Consumer (Write Deadline)";
    case CloseReason::kMaxConnectionsExceeded: return "Maximum Connections Exceeded";
    case CloseReason::kMaxPayloadExceeded: return "Maximum Message Payload Exceeded";
    case CloseReason::kMaxControlLineExceeded: return "Maximum Control Line Exceeded";
    case CloseReason::kBadClientProtocolVersion: return "Bad Client Protocol Version";
    case CloseReason::kNoRespondersRequiresHeaders: return "No Responders Requires Headers";
    case CloseReason::kAuthenticationViolation: return "Authentication Failure";
    case CloseReason::kAuthenticationTimeout: return "Authentication Timeout";
    case CloseReason::kServerShutdown: return "Server Shutdown";
    case CloseReason::kDuplicateRoute: return "Duplicate Route";
    case CloseReason::kRouteRemoved: return "Route Removed";
    case CloseReason::kClusterNameConflict: return "Cluster Name Conflict";
    case CloseReason::kTlsHandshakeFailure: return "TLS Handshake Failure";
  }
  return "Unknown";
}

Worker::Worker(uint32_t index, SharedState& shared, ring::EventLoop& loop)
    : index_(index),
      shared_(shared),
      loop_(loop),
      config_(shared.config.Load()),
      config_generation_(shared.config.generation()),
      options_(&config_->options),
      counters_(*shared.worker_counters[index]),
      match_cache_(shared.trie),
      mesh_(index, shared, loop),
      closed_(ClosedConnectionsPerWorker(shared.mesh.size())) {}

Worker::~Worker() = default;

Session* Worker::Find(ring::ConnId id) {
  if (id.slot >= sessions_.size()) return nullptr;
  Session* session = sessions_[id.slot].get();
  if (session == nullptr || session->conn.generation != id.generation) return nullptr;
  return session;
}

Session& Worker::NewSession(ring::ConnId id, const sockaddr_storage& peer, SessionKind kind) {
  if (id.slot >= sessions_.size()) sessions_.resize(id.slot + 1);
  auto session = std::make_unique<Session>();
  session->conn = id;
  session->kind = kind;
  session->client_id = shared_.next_client_id.fetch_add(1, std::memory_order_relaxed);
  session->start = absl::Now();
  session->peer_ip = ring::AddressIp(peer, &session->peer_port);
  session->log_prefix =
      absl::StrFormat("%s:%d - %s:%d", session->peer_ip, session->peer_port,
                      kind == SessionKind::kRoute ? "rid" : "cid", session->client_id);
  session->last_activity_ns = now_ns_;
  Session& s = *session;
  sessions_[id.slot] = std::move(session);
  return s;
}

void Worker::OnAcceptedFrom(ring::ConnId id, const sockaddr_storage& peer, uint32_t listener_id) {
  if (listener_id == kClusterListenerId) {
    route_protocol_.Start(NewSession(id, peer, SessionKind::kRoute));
    return;
  }
  OnAccepted(id, peer);
}

void Worker::OnConnected(ring::ConnId id, uint64_t tag) { route_protocol_.OnConnected(id, tag); }

void Worker::OnConnectFailed(uint64_t tag, int error) {
  route_protocol_.OnConnectFailed(tag, error);
}

void Worker::OnAccepted(ring::ConnId id, const sockaddr_storage& peer) {
  Session* session = &NewSession(id, peer, SessionKind::kClient);
  session->parser.set_limits(
      proto::ParserLimits{static_cast<size_t>(options_->max_control_line), options_->max_payload});
  session->parser.set_headers_allowed(false);
  session->next_ping_ns = now_ns_ + absl::ToInt64Nanoseconds(options_->ping_interval);
  ScheduleTimer(session->next_ping_ns);
  session->auth_snapshot = config_->auth;
  const auth::AuthConfig& auth_config = *session->auth_snapshot;
  if (!auth_config.enabled()) {
    session->authenticated = true;
  } else if (const auth::User* fallback = auth::NoAuthUser(auth_config)) {
    // no_auth_user: a client that never sends credentials is that user from the start.
    session->authenticated = true;
    SetUser(*session, fallback);
    // nats-server still times out a client that never says anything.
    session->auth_deadline_ns = now_ns_ + absl::ToInt64Nanoseconds(auth_config.timeout);
    ScheduleTimer(session->auth_deadline_ns);
  } else {
    session->parser.set_connect_required(true);
    session->auth_deadline_ns = now_ns_ + absl::ToInt64Nanoseconds(auth_config.timeout);
    ScheduleTimer(session->auth_deadline_ns);
    // Until the credentials pass, read one buffer at a time: what waits for a verdict is at
    // most one buffer, not whatever the client manages to send.
    loop_.SetReceiveMode(id, ring::ReceiveMode::kOneBufferAtATime);
  }
  Session& s = *session;
  shared_.total_connections.fetch_add(1, std::memory_order_relaxed);
  log::Debug("%s - Client connection created", s.log_prefix);

  WorkerCounters::Add(counters_.connections, 1);
  const int64_t open = shared_.connections.fetch_add(1, std::memory_order_relaxed) + 1;
  shared_.clients_not_closing.fetch_add(1, std::memory_order_relaxed);
  // A negative max_connections means no limit, as in nats-server.
  const bool over_limit = options_->max_connections > 0 && open > options_->max_connections;
  // With TLS, INFO goes out in plaintext and the client starts the handshake after reading
  // it; nats-server 2.10's handshake_first has the handshake first and INFO inside it.
  const bool tls = config_->tls.clients != nullptr;
  const bool tls_first = tls && options_->tls.handshake_first;
  if (tls_first && options_->tls.handshake_first_fallback > absl::ZeroDuration()) {
    // nats-server counts the connection before it waits to see which kind of client it is.
    if (over_limit) {
      log::Error("%s - maximum connections exceeded", s.log_prefix);
      CloseWithError(s, "maximum connections exceeded", CloseReason::kMaxConnectionsExceeded);
      return;
    }
    AwaitTlsFirstClient(s, options_->tls.handshake_first_fallback);
    return;
  }
  if (tls_first) {
    StartClientTls(s);
    if (s.closing) return;
  }
  SendClientInfo(s);
  if (over_limit) {
    log::Error("%s - maximum connections exceeded", s.log_prefix);
    CloseWithError(s, "maximum connections exceeded", CloseReason::kMaxConnectionsExceeded);
    return;
  }
  if (tls && !tls_first) StartClientTls(s);
}

void Worker::SendClientInfo(Session& session) {
  std::string info = config_->info_prefix;
  if (shared_.cluster != nullptr) route_protocol_.RefreshClientInfo(/*announce=*/true);
  AppendInfoClientFields(&info, session.client_id, session.peer_ip, /*lame_duck=*/false,
                         route_protocol_.client_info_fields());
  Write(session, info);
}

void Worker::OnReceived(ring::ConnId id, std::string_view data) {
  Session* session = Find(id);
  if (session == nullptr || session->closing) return;
  if (session->tls_first_fallback_ns != 0) {
    BeginTlsFirst(*session, data);
    return;
  }
  ProcessInput(*session, data);  // input.cc picks the client or the route protocol
}

void Worker::HandleParseError(Session& session, const proto::ParseStep& step) {
  switch (step.error) {
    case proto::ParseError::kUnknownOperation:
      // nats-server closes any parse failure as a protocol violation; its "Parse Error" is
      // for a client that sent -ERR.
      CloseWithError(session, "Unknown Protocol Operation", CloseReason::kProtocolViolation);
      break;
    case proto::ParseError::kMaxControlLine:
      CloseWithError(session, "maximum control line exceeded",
                     CloseReason::kMaxControlLineExceeded);
      break;
    case proto::ParseError::kMaxPayload:
      CloseWithError(session, "Maximum Payload Violation", CloseReason::kMaxPayloadExceeded);
      break;
    case proto::ParseError::kBadArguments: Close(session, CloseReason::kProtocolViolation); break;
    case proto::ParseError::kClientSentError:
      log::Error("%s - Client Error %s", session.log_prefix, step.op.json);
      Close(session, CloseReason::kParseError);
      break;
    case proto::ParseError::kAuthViolation:
      // In users mode nats-server names the (absent) user.
      if (session.auth_snapshot->mode == auth::AuthConfig::Mode::kUsers) {
        session.auth_log_user = " - User \"\"";
      }
      AuthenticationFailed(session);
      break;
  }
}

void Worker::OnPeerGone(ring::ConnId id, ring::PeerGone why) {
  Session* session = Find(id);
  if (session == nullptr || session->closing) return;
  if (session->tls_deadline_ns != 0) {
    TlsHandshakeReadFailed(*session);  // (an EOF in a handshake is the TLS layer's to report)
    return;
  }
  Close(*session, why == ring::PeerGone::kClosedByPeer ? CloseReason::kClientClosed
                                                       : CloseReason::kReadError);
}

void Worker::OnPeerHangup(ring::ConnId id) {
  Session* session = Find(id);
  if (session == nullptr || session->closing) return;
  // A client that left while its credentials were checked, having sent nothing after
  // CONNECT, has nothing left to lose: close it and withdraw its check, so a storm of
  // abandoned logins does not keep the auth pool busy. Anything else waits for its verdict
  // (the input it sent must still be processed), and the read that resumes then sees EOF.
  if (session->auth_pending && session->parked_input.empty()) {
    Close(*session, CloseReason::kClientClosed);
  }
}

void Worker::OnConnClosed(ring::ConnId id) {
  Session* session = Find(id);
  if (session == nullptr) return;
  if (session->kind == SessionKind::kClient) {
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
    if (!session->closing) shared_.clients_not_closing.fetch_sub(1, std::memory_order_relaxed);
    WorkerCounters::Add(counters_.connections, -1);
  }
  sessions_[id.slot].reset();
}

void Worker::Write(Session& session, std::string_view bytes) {
  ring::OutboundBuffer& out = loop_.OutboundToSend(session.conn);
  out.Append(bytes);
  EnforcePendingLimit(session, out.pending_bytes());
}

void Worker::CloseWithError(Session& session, std::string_view text, CloseReason reason) {
  if (session.closing) return;
  scratch_ = absl::StrFormat("-ERR '%s'\r\n", text);
  Write(session, scratch_);
  Close(session, reason);
}

void Worker::Close(Session& session, CloseReason reason) {
  if (session.closing) return;
  session.closing = true;
  if (session.kind == SessionKind::kClient) {
    shared_.clients_not_closing.fetch_sub(1, std::memory_order_relaxed);
  }
  if ((session.auth_pending || session.reauth_pending) && !session.auth_queued_locally) {
    shared_.auth_pool->Withdraw(index_, SessionKey(session.conn, session.auth_ticket));
  }
  ReleaseStalledProducers(session);
  session.parked_input.clear();
  if (session.kind == SessionKind::kRoute) {
    route_protocol_.Closing(session, reason);
  } else {
    RecordClosed(session, reason);
  }
  TearDownLater(session.subs_by_sid);
  if (session.kind == SessionKind::kClient) {
    log::Debug("%s - Client connection closed: %s", session.log_prefix, CloseReasonText(reason));
  }
  // As nats-server: what is already queued (a final -ERR, earlier replies) still goes out,
  // except to a slow consumer or a broken socket.
  const bool flush = session.tls_alert_to_flush ||
                     (reason != CloseReason::kSlowConsumerPendingBytes &&
                      reason != CloseReason::kSlowConsumerWriteDeadline &&
                      reason != CloseReason::kWriteError && reason != CloseReason::kReadError);
  loop_.Close(session.conn, flush ? ring::CloseMode::kAfterFlush : ring::CloseMode::kNow);
}

void Worker::TearDownLater(StringMap<uint32_t>& subs) {
  if (subs.empty()) return;
  // Deliveries check that the owner is open, so the subscriptions may leave the trie over
  // the next iterations (ContinueTeardown).
  auto taken = std::make_unique<StringMap<uint32_t>>(std::move(subs));
  subs.clear();
  auto next = taken->begin();
  teardowns_.push_back(Teardown{std::move(taken), next});
}

void Worker::ContinueTeardown() {
  size_t budget = kTeardownPerIteration;
  while (budget > 0 && !teardowns_.empty()) {
    Teardown& teardown = teardowns_.front();
    for (; budget > 0 && teardown.next != teardown.subs->end(); ++teardown.next, --budget) {
      const uint32_t slot = teardown.next->second;
      Subscription& sub = subs_.at(slot);
      shared_.trie.Remove(sub.subject, sub.queue, sublist::SubRef{index_, slot, sub.generation});
      route_protocol_.NoteLocalInterest(sub, /*added=*/false);
      subs_.Free(slot);
      WorkerCounters::Add(counters_.sub_removes, 1);
    }
    if (teardown.next != teardown.subs->end()) break;
    const bool large = teardown.subs->size() >= kLargeTeardown;
    teardowns_.pop_front();
    if (large && teardowns_.empty() && now_ns_ - last_trim_ns_ > kTrimIntervalNs) {
      // glibc keeps freed memory inside a fragmented heap; a big teardown is the moment to
      // hand its pages back, so the memory a million subscriptions took does not stay.
      last_trim_ns_ = now_ns_;
      malloc_trim(0);
    }
  }
}

void Worker::RemoveSubscription(uint32_t sub_slot) {
  Subscription& sub = subs_.at(sub_slot);
  shared_.trie.Remove(sub.subject, sub.queue, sublist::SubRef{index_, sub_slot, sub.generation});
  route_protocol_.NoteLocalInterest(sub, /*added=*/false);
  if (Session* owner = Find(sub.owner)) owner->subs_by_sid.erase(sub.sid);
  subs_.Free(sub_slot);
  WorkerCounters::Add(counters_.sub_removes, 1);
}

void Worker::OnWake() {
  ++iteration_;
  now_ns_ = ring::MonotonicNowNs();
  if (!in_lame_duck_ && shared_.lame_duck.load(std::memory_order_acquire)) EnterLameDuck();
  if (shared_.config.generation() != config_generation_) {
    config_generation_ = shared_.config.generation();
    ApplyConfig(shared_.config.Load());
  }
  ReceiveBatches();
  if (shared_.auth_pool != nullptr) ReceiveAuthResults();
}

void Worker::OnIterationEnd() {
  ContinueParkedInput();
  ContinueTeardown();
  ReleaseDrainedConsumers();
  SendStallNotices();
  route_protocol_.PostInterestChanges();
  mesh_.SendBatches();
  ReleaseCreditWaiters();
}

bool Worker::HasPendingWork() {
  if (!parked_sessions_.empty() || !teardowns_.empty()) return true;
  return mesh_.HasPendingWork();
}

void Worker::OnTick(int64_t now_ns) {
  now_ns_ = now_ns;
  if (in_lame_duck_) CloseForLameDuck(now_ns);
  ReleaseExpiredStalls(now_ns);
  RetryQueuedAuthentications();
  if (shared_.cluster != nullptr) {
    route_protocol_.Tick(now_ns);
  }
  // Results of subscriptions that went away are freed, not kept until evicted.
  match_cache_.Trim();
  PublishMatchStats();
  if (now_ns < next_timer_due_ns_) {
    // No session timer is due: only a send under way can pass its write deadline, so look
    // at those, not at every session (tens of thousands of idle ones cost milliseconds).
    if (loop_.sends_in_flight() == 0) return;
    loop_.ConnsSending(&sending_scratch_);
    for (ring::ConnId id : sending_scratch_) {
      Session* session = Find(id);
      if (session != nullptr && !session->closing) CheckWriteDeadline(*session, now_ns);
    }
    return;
  }
  int64_t next_due = INT64_MAX;
  for (auto& session : sessions_) {
    if (session == nullptr || session->closing) continue;
    CheckTimers(*session, now_ns);
    next_due = std::min(next_due, session->next_ping_ns);
    if (session->auth_deadline_ns != 0) next_due = std::min(next_due, session->auth_deadline_ns);
    if (session->tls_deadline_ns != 0) next_due = std::min(next_due, session->tls_deadline_ns);
    if (session->tls_first_fallback_ns != 0) {
      next_due = std::min(next_due, session->tls_first_fallback_ns);
    }
  }
  next_timer_due_ns_ = next_due;
}

// ---- cross-worker batches ----

void Worker::ReceiveBatches() {
  // At most one credit's worth from each worker per iteration: as much as it may have
  // outstanding at once.
  mesh_.ReceiveBatches(CrossWorkerCreditBytes(),
                       [this](std::span<const sublist::SubRef> refs, const Message& message) {
                         frame_.Format(message);
                         for (const sublist::SubRef& ref : refs)
                           DeliverLocal(ref, message, frame_, nullptr);
                         if (route_protocol_.has_targets())
                           route_protocol_.FlushTargets(message, nullptr);
                       });
}

}  // namespace ringnats::broker
