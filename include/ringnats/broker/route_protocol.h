#pragma once
// The cluster (route) protocol on one worker: the handshake and authentication of its route
// connections, the interest it announces to peers and holds for them, messages to and from
// peers, and the routes it dials. The client protocol is the Worker's; this is the route
// side of the same worker, kept apart so neither grows into the other.
//
// Owned by one Worker and run on that worker's thread only: every call comes from the
// worker's own loop callbacks or from tasks posted to it (SharedState::PostToWorker). It
// uses the worker's sessions, subscription table and outbound buffers directly, as part of
// the same thread's state.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ringnats/broker/delivery_batch.h"
#include "ringnats/broker/session.h"
#include "ringnats/broker/shared_state.h"
#include "ringnats/broker/subscription_table.h"
#include "ringnats/monitor/snapshot.h"
#include "ringnats/proto/route_parser.h"
#include "ringnats/ring/backoff.h"
#include "ringnats/ring/event_loop.h"

namespace ringnats::broker {

class Worker;

class RouteProtocol {
 public:
  explicit RouteProtocol(Worker& worker) : worker_(worker) {}
  RouteProtocol(const RouteProtocol&) = delete;
  RouteProtocol& operator=(const RouteProtocol&) = delete;

  // ---- connections (route_session.cc) ----
  // A connection accepted on the cluster listener: send our INFO, await CONNECT.
  void Start(Session& session);
  void HandleOp(Session& session, const proto::RouteOp& op);
  void HandleParseError(Session& session, const proto::RouteParseStep& step);
  // The cluster credentials passed (from the auth pool or inline).
  void Authenticated(Session& session);
  // A reload changed the cluster credentials: an authenticated route this node accepted is
  // checked again against them and closed with Authorization Violation if it no longer
  // passes (nats-server's reload does the same; a route this node dialled is left alone).
  void RecheckAfterReload(Session& session);
  // The route is closing: forget its registration and interest; dial it again if ours.
  void Closing(Session& session, CloseReason reason);
  // Gossip from another worker: write `line` to this worker's route `conn`.
  void WriteTo(ring::ConnId conn, const std::string& line);

  // ---- dialling (route_solicit.cc) ----
  void OnConnected(ring::ConnId id, uint64_t tag);
  void OnConnectFailed(uint64_t tag, int error);
  // Once per tick: first dials, retries due, client URLs refreshed.
  void Tick(int64_t now_ns);
  void AddConfigured(const ClusterShared::Target& target);
  void RemoveConfigured(const config::RouteUrl& url);
  // `,"cluster":...,"connect_urls":[...]` for a client INFO ("" without a cluster).
  const std::string& client_info_fields() const { return client_info_fields_; }
  // Rebuilds client_info_fields() when peers came or went or lame duck mode began (from then
  // on only the other nodes are offered, as nats-server does), telling connected clients
  // when `announce`.
  void RefreshClientInfo(bool announce);
  // Lame duck mode began: each route of this worker gets our INFO with "ldm", so the peers
  // stop offering our client URLs to their clients.
  void AnnounceLameDuck();

  // ---- interest (route_interest.cc) ----
  // A client subscription came or went: counted node-wide, routes told at iteration end.
  void NoteLocalInterest(const Subscription& sub, bool added);
  // End of iteration: hand the changed interest keys to the workers owning routes.
  void PostInterestChanges();
  // Posted by PostInterestChanges: tell this worker's routes what differs.
  void SyncInterest(const std::vector<std::string>& keys);

  // ---- messages (route_delivery.cc) ----
  // A client's message matched a route's subscription: one RMSG per route once every match
  // of the message is seen (FlushTargets). `publisher` is the client that published it when
  // it is on this worker (null when the message came from another worker): a route past half
  // of max_pending stalls it as a client consumer would.
  void AddTarget(const Subscription& sub);
  void FlushTargets(const Message& message, Session* publisher);
  bool has_targets() const { return !targets_.empty(); }

  // /routez: this worker's registered routes.
  void Snapshot(monitor::SubsOption subs, std::vector<monitor::RouteInfo>* out);

 private:
  struct SolicitedRoute {
    std::string url;          // redacted, for logs
    config::RouteUrl source;  // configured routes: as configured (what a reload compares)
    std::string user;
    std::string password;
    sockaddr_storage address{};
    bool configured = false;
    int retries_left = -1;  // -1: forever (configured routes)
    enum class State : uint8_t { kWaiting, kConnecting, kConnected, kDone } state =
        State::kWaiting;
    ring::ConnId conn;
    std::string peer_id;  // the server last reached here; not dialled while routed otherwise
    int64_t next_attempt_ns = 0;
    uint32_t attempts = 0;
    ring::Backoff backoff{1'000'000'000, 30'000'000'000};
  };
  struct Target {
    ring::ConnId conn;
    std::string_view queue;  // empty: plain interest
  };

  // route_session.cc
  std::string InfoLine(bool lame_duck) const;
  void HandleConnect(Session& session, const proto::RouteOp& op);
  void HandleInfo(Session& session, const proto::RouteOp& op);
  // A peer's cluster name against ours (empty: none given); closes the route on a conflict,
  // as nats-server does: with an -ERR when the name came in a CONNECT, silently in an INFO.
  enum class NameRefusal { kError, kSilentClose };
  bool AgreeOnClusterName(Session& session, std::string_view name, bool dynamic,
                          NameRefusal refusal);
  void Register(Session& session);
  void Gossip(const Session& session);
  // route_interest.cc
  void SendAllInterest(Session& route);
  void HandleRemoteSub(Session& route, const proto::RouteOp& op);
  void HandleRemoteUnsub(Session& route, const proto::RouteOp& op);
  std::optional<uint32_t> AddRemoteMember(Session& route, std::string_view subject,
                                          std::string_view queue, std::string_view key);
  // route_delivery.cc
  void HandleRoutedMessage(Session& route, const proto::RouteOp& op);
  // route_solicit.cc
  void SolicitConfigured();
  void SolicitImplicit(std::string url);
  void Solicit(size_t index);
  void ScheduleRetry(size_t index, int error);
  void RetrySolicited(int64_t now_ns);

  Worker& worker_;
  std::vector<SolicitedRoute> solicited_;
  bool started_ = false;
  std::vector<ring::ConnId> registered_;  // this worker's registered routes
  std::vector<std::string> interest_changes_;
  std::vector<Target> targets_;
  uint64_t client_info_version_ = 0;
  bool client_info_lame_duck_ = false;  // client_info_fields_ left our own URLs out
  std::string client_info_fields_;
  std::string client_info_urls_;  // the connect_urls part of client_info_fields_
  std::vector<int64_t> weights_scratch_;
  std::string interest_lines_;  // SyncInterest's RS+/RS- lines for one route, reused
};

}  // namespace ringnats::broker
