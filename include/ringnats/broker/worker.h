#pragma once
// A worker: one ring thread and everything it owns, i.e. its client sessions, their
// subscriptions, its match cache and its outgoing batches to other workers. It speaks the
// NATS client protocol on top of its EventLoop.
//
// Owned by one thread: every member is touched only from the worker's own thread, except
// the cross-worker queues in SharedState, which are SPSC and documented there.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "ringnats/auth/authenticate.h"
#include "ringnats/broker/delivery_batch.h"
#include "ringnats/broker/mesh_port.h"
#include "ringnats/broker/msg_frame.h"
#include "ringnats/broker/route_protocol.h"
#include "ringnats/broker/session.h"
#include "ringnats/broker/shared_state.h"
#include "ringnats/broker/subscription_table.h"
#include "ringnats/broker/worker_gather.h"
#include "ringnats/monitor/closed_connections.h"
#include "ringnats/monitor/snapshot.h"
#include "ringnats/ring/backoff.h"
#include "ringnats/ring/event_loop.h"
#include "ringnats/sublist/trie.h"

namespace ringnats::broker {

// The id of the cluster (route) listener on every worker's loop.
inline constexpr uint32_t kClusterListenerId = 1;

// Closed connections each worker keeps for /connz: nats-server keeps 10,000 in all.
size_t ClosedConnectionsPerWorker(size_t workers);

// The auth pool's opaque name for one of a worker's connections.
uint64_t SessionKey(ring::ConnId id, uint8_t ticket);

class Worker final : public ring::LoopHandler {
 public:
  Worker(uint32_t index, SharedState& shared, ring::EventLoop& loop);
  ~Worker() override;

  // Flow control between workers (flow_control.cc); run on this worker's thread through its
  // mailbox. Another worker found `producer`'s messages filling a consumer past half of its
  // max_pending: stop reading `producer` for at most `ttl_ns` or until released.
  void StallProducer(ring::ConnId producer, int64_t ttl_ns);
  void ReleaseProducer(ring::ConnId producer);

  // Monitoring (snapshots.cc), run on this worker's thread through its mailbox. Each call
  // covers a slice of the worker's sessions or subscriptions and posts itself again for the
  // rest, so a /connz of 50,000 connections never holds the ring for long.
  struct ConnectionsRequest {
    ConnectionsRequest(monitor::ConnzQuery q, size_t workers) : query(std::move(q)), gather(workers) {}
    const monitor::ConnzQuery query;
    WorkerGather<monitor::ConnectionInfo> gather;
    // Connections in the requested state before the cid filter (/connz's "total").
    std::atomic<int64_t> open_total{0};
    std::atomic<int64_t> closed_total{0};
  };
  struct SubscriptionsRequest {
    explicit SubscriptionsRequest(size_t workers) : gather(workers) {}
    WorkerGather<monitor::SubscriptionInfo> gather;
  };
  struct RoutesRequest {
    RoutesRequest(monitor::SubsOption s, size_t workers) : subs(s), gather(workers) {}
    const monitor::SubsOption subs;
    WorkerGather<monitor::RouteInfo> gather;
  };
  void SnapshotConnections(std::shared_ptr<ConnectionsRequest> request, size_t next_slot);
  // A worker has few routes: one turn covers them all.
  void SnapshotRoutes(std::shared_ptr<RoutesRequest> request);
  void SnapshotSubscriptions(std::shared_ptr<SubscriptionsRequest> request, size_t next_slot);


  // The route side of this worker (same thread): for tasks posted to this worker.
  RouteProtocol& routes() { return route_protocol_; }

  // ring::LoopHandler
  void OnAccepted(ring::ConnId id, const sockaddr_storage& peer) override;
  void OnAcceptedFrom(ring::ConnId id, const sockaddr_storage& peer,
                      uint32_t listener_id) override;
  void OnConnected(ring::ConnId id, uint64_t tag) override;
  void OnConnectFailed(uint64_t tag, int error) override;
  void OnReceived(ring::ConnId id, std::string_view data) override;
  void OnPeerGone(ring::ConnId id, ring::PeerGone why) override;
  void OnPeerHangup(ring::ConnId id) override;
  void OnConnClosed(ring::ConnId id) override;
  void OnWake() override;
  void OnIterationEnd() override;
  void OnTick(int64_t now_ns) override;
  bool HasPendingWork() override;
  void OnTlsEstablished(ring::ConnId id) override;
  void OnTlsFailed(ring::ConnId id, std::string_view error, bool in_handshake) override;

 private:
  // input.cc: parsing a connection's input within a per-iteration work budget, and parking
  // what cannot be parsed yet (auth verdict pending, producer stalled, budget used up).
  void ProcessInput(Session& session, std::string_view input);
  // Parses from `input` until it is used up or the session must stop; returns the rest.
  std::string_view ParseWithinBudget(Session& session, std::string_view input);
  bool InputBlocked(const Session& session) const;
  void ParkInput(Session& session, std::string_view input);
  // The session may read and parse again (verdict in, stall released): parse what waited.
  void ContinueInput(Session& session);
  void ContinueParkedInput();
  uint32_t& WorkDone(Session& session);
  void PauseReading(Session& session);
  void ResumeReading(Session& session);
  void HandleParseError(Session& session, const proto::ParseStep& step);

  // client_ops.cc: one parsed operation from a client.
  void HandleOp(Session& session, const proto::Op& op);
  void HandleConnect(Session& session, const proto::Op& op);
  // What follows a successful authentication: nats-server's remaining CONNECT checks.
  void FinishConnect(Session& session);
  void HandleSub(Session& session, const proto::Op& op);
  void HandleUnsub(Session& session, const proto::Op& op);
  void HandlePing(Session& session);
  void HandlePong(Session& session);
  void SendOk(Session& session);
  // Sends `-ERR '<text>'`; the connection stays open.
  void SendErr(Session& session, std::string_view text);
  // Sends `-ERR '<text>'` and closes once it is flushed.
  void CloseWithError(Session& session, std::string_view text, CloseReason reason);
  // Closes without a word; what is already queued is still flushed unless the reason says
  // the socket cannot take it.
  void Close(Session& session, CloseReason reason);
  // Every byte queued for a client goes through Write or DeliverLocal, and both count it
  // against max_pending (EnforcePendingLimit).
  void Write(Session& session, std::string_view bytes);
  // Closes a client whose queued output passed max_pending as a slow consumer; true if so.
  // Never a route (nats-server holds only clients to max_pending): the producers feeding a
  // route are stalled instead, and a route is closed only when a whole write_deadline goes
  // by without a byte sent (CheckWriteDeadline).
  bool EnforcePendingLimit(Session& session, size_t pending);

  // authentication.cc
  // Checks the credentials of the CONNECT just decoded: settles it at once, or leaves the
  // session auth_pending while the auth pool runs bcrypt.
  void Authenticate(Session& session);
  // The bcrypt check the auth pool is to run for this session's presented secret.
  auth::HashCheck HashCheckFor(const Session& session, const auth::Verdict& verdict) const;
  void AuthenticationSucceeded(Session& session);
  void SetUser(Session& session, const auth::User* user);
  void AuthenticationFailed(Session& session);
  // CONNECT to verdict, once per connection, for the auth wait histogram.
  void RecordAuthWait(Session& session);
  // Hands a bcrypt check to the pool, for a first authentication or (`recheck`) for a
  // session that is checked again after a reload. A full pool queue is not a verdict: the
  // check waits on this worker (auth_waiting_) and is submitted again on a later tick.
  void SubmitHashCheck(Session& session, const auth::Verdict& verdict, bool recheck);
  void RetryQueuedAuthentications();
  void RecheckPassed(Session& session, const auth::User* user);
  void ReceiveAuthResults();

  // publish.cc: routing a PUB/HPUB to every matching subscription.
  void HandlePublish(Session& publisher, const proto::Op& op);
  // Returns whether the message was delivered (false for a stale or echo-suppressed ref).
  // `publisher` is the local session that published, null for a message from another
  // worker (whose producer is message.producer on message.producer_worker).
  bool DeliverLocal(sublist::SubRef ref, const Message& message, const MsgFrame& frame,
                    Session* publisher);
  void SendNoResponders(Session& publisher, std::string_view reply);
  // Publish permission for this session, logging and answering a refusal.
  bool CheckPublishPermission(Session& publisher, std::string_view subject);
  // Remember that `target` may answer `reply` (allow_responses).
  void AllowResponse(Session& target, std::string_view reply);
  void ReceiveBatches();

  // subscriptions
  void RemoveSubscription(uint32_t sub_slot);
  // A closed session's subscriptions leave the trie a slice per loop iteration, so closing
  // a connection with a million subscriptions does not stall its neighbours.
  void ContinueTeardown();
  // Takes `subs` (sid or interest key -> slot) to leave the trie in ContinueTeardown's slices.
  void TearDownLater(StringMap<uint32_t>& subs);

  // flow_control.cc
  // After a delivery to `target`: past half of max_pending, the producer is stalled (as
  // nats-server stalls a fast producer) until `target` drains or the stall times out.
  void StallProducerOf(Session& target, const Message& message, Session* publisher);
  void StallLocalProducer(Session& producer, int64_t ttl_ns);
  void SendStallNotices();
  void ReleaseStalledProducers(Session& consumer);
  void ReleaseDrainedConsumers();
  void ReleaseExpiredStalls(int64_t now_ns);
  // Cross-worker credit: publishers wait while a destination worker owes too many bytes.
  size_t CrossWorkerCreditBytes() const;
  void WaitForCredit(Session& publisher);
  void ReleaseCreditWaiters();

  // reload.cc: a new configuration snapshot reached this worker.
  void ApplyConfig(RuntimeConfigPtr config);
  void ReauthenticateAfterReload(Session& session);
  // The authenticated session's credentials against its current auth snapshot.
  void RecheckCredentials(Session& session);
  void EnforceSubscribePermissions(Session& session);
  // pinned_certs changed: TLS sessions whose certificate is no longer pinned are closed.
  void RecheckPinnedCerts(bool clients, bool routes);
  // After a reload lowered max_connections: closes this worker's share of the excess
  // (SharedState::clients_to_shed).
  void ShedClientsOverMaxConnections();

  // snapshots.cc
  // How many of a connection's subscriptions to list, and how many bytes of subjects, queues
  // and sids they may hold between them (the count of subscriptions is always exact).
  struct SubsListed {
    size_t max_count = 0;
    size_t max_bytes = SIZE_MAX;
  };
  monitor::ConnectionInfo ConnectionInfoOf(const Session& session, SubsListed listed,
                                           int64_t now_ns, absl::Time now);
  // Keeps a closing connection for /connz?state=closed.
  void RecordClosed(const Session& session, CloseReason reason);
  // The match cache's statistics, published to counters_ for /subsz.
  void PublishMatchStats();

  // lame_duck.cc
  void EnterLameDuck();
  void CloseForLameDuck(int64_t now_ns);

  void CheckTimers(Session& session, int64_t now_ns);
  void CheckWriteDeadline(Session& session, int64_t now_ns);

  // session_tls.cc
  // After the plaintext INFO: the client speaks TLS from here on.
  void StartClientTls(Session& session);
  // handshake_first with a fallback: the first bytes decide (session_tls.cc).
  void AwaitTlsFirstClient(Session& session, absl::Duration fallback);
  void BeginTlsFirst(Session& session, std::string_view first_bytes);
  bool CheckTlsFirstFallback(Session& session, int64_t now_ns);
  void SendClientInfo(Session& session);
  // A route's TLS, before anything is written: the client side when we dialled
  // `dialled_host` (the name or IP its certificate must match), the server side when empty.
  void StartRouteTls(Session& session, std::string_view dialled_host);
  void StartSessionTls(Session& session, absl::StatusOr<tls::Engine> engine,
                       absl::Duration timeout);
  // Closes a client whose handshake is past the tls timeout; true if so.
  bool CheckTlsDeadline(Session& session, int64_t now_ns);
  // The socket failed (a reset) while the handshake was under way.
  void TlsHandshakeReadFailed(Session& session);
  void FailHandshakeRead(Session& session, std::string_view why);
  // tls { pinned_certs }: the client's key must be one of them (when any are set).
  bool PassesPinnedCerts(const Session& session, const tls::Engine& engine) const;

  // A new session of either kind, registered under its connection's slot.
  Session& NewSession(ring::ConnId id, const sockaddr_storage& peer, SessionKind kind);
  // input.cc: a route's input, parsed within the same work budget as a client's.
  std::string_view ParseRouteWithinBudget(Session& session, std::string_view input);


  Session* Find(ring::ConnId id);

  const uint32_t index_;
  SharedState& shared_;
  ring::EventLoop& loop_;
  // The configuration in force (replaced on reload) and a shortcut to its options.
  RuntimeConfigPtr config_;
  uint64_t config_generation_ = 0;
  const config::ServerOptions* options_;
  WorkerCounters& counters_;
  sublist::MatchCache match_cache_;
  SubscriptionTable subs_;
  std::vector<std::unique_ptr<Session>> sessions_;  // by loop slot
  int64_t now_ns_ = 0;
  uint64_t iteration_ = 0;
  // Sessions whose parked input may be parsed again (unblocked, or budget renewed).
  std::vector<ring::ConnId> parked_sessions_;
  // Subscriptions of closed sessions still to be removed from the trie (ContinueTeardown).
  struct Teardown {
    std::unique_ptr<StringMap<uint32_t>> subs;
    StringMap<uint32_t>::iterator next;
  };
  std::deque<Teardown> teardowns_;
  int64_t last_trim_ns_ = 0;
  // Consumers with stalled producers, and producers stalled with a deadline.
  std::vector<ring::ConnId> stalled_consumers_;
  std::vector<ring::ConnId> stalled_producers_;
  // Stalls for producers on other workers, posted at the end of the iteration.
  struct StallNotice {
    Session::StalledProducer producer;
    int64_t ttl_ns;
  };
  std::vector<StallNotice> stall_notices_;
  // Sessions whose bcrypt check is waiting for room in the auth pool's queue.
  std::vector<ring::ConnId> auth_waiting_;
  // The earliest keep-alive or auth deadline of any session, so idle ticks skip the scan.
  // Lowered by ScheduleTimer whenever a session sets an earlier one.
  int64_t next_timer_due_ns_ = 0;
  void ScheduleTimer(int64_t at_ns) { next_timer_due_ns_ = std::min(next_timer_due_ns_, at_ns); }
  std::vector<ring::ConnId> sending_scratch_;  // OnTick's connections with a send under way
  bool in_lame_duck_ = false;
  size_t lame_duck_initial_sessions_ = 0;
  size_t lame_duck_closed_ = 0;


  // The cluster protocol on this worker's route connections (a part of this worker, on its
  // thread; a friend because it works on the worker's sessions and subscriptions).
  friend class RouteProtocol;
  RouteProtocol route_protocol_{*this};

  // This worker's end of the mesh to the other workers.
  MeshPort mesh_;
  // Publishers waiting for cross-worker credit.
  std::vector<ring::ConnId> credit_waiters_;

  // The most recent closed connections of this worker (monitoring).
  monitor::ClosedConnections closed_;
  // Per publish: plain subscriptions plus queue groups matched (published on tick).
  uint64_t fanout_sum_ = 0;
  uint64_t fanout_max_ = 0;

  std::vector<auth::HashResult> auth_results_;
  absl::InsecureBitGen random_;
  std::string scratch_;
  uint32_t deliveries_of_last_op_ = 0;  // set by HandlePublish, for the work budget
  MsgFrame frame_;  // the message being delivered (publish.cc, ReceiveBatches)
};

}  // namespace ringnats::broker
