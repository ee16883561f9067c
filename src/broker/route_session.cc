// A route connection's life on its worker: the handshake (INFO both ways, CONNECT from the
// side that dialled), the cluster's credentials checked like a client's (bcrypt in the auth
// pool), registration under the peer's server id (one route per peer), gossip about new
// peers, and what closing a route undoes.

#include <algorithm>

#include "absl/strings/str_format.h"
#include "ringnats/broker/worker.h"
#include "ringnats/route/route_info.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {
namespace {

// nats-server sends a route's first PING about a second after the route is created.
constexpr int64_t kFirstRoutePingNs = 1'000'000'000;

// Before the credentials pass, a CONNECT line of 64 KiB (a real one is a few hundred bytes),
// so an unauthenticated socket cannot grow a line without end.
constexpr proto::RouteParserLimits kUnauthenticatedRouteLimits{64 * 1024, 64 * 1024};

std::string_view RouteOpName(proto::RouteOpType type) {
  switch (type) {
    case proto::RouteOpType::kSubPlus: return "RS+";
    case proto::RouteOpType::kSubMinus: return "RS-";
    case proto::RouteOpType::kRmsg: return "RMSG";
    case proto::RouteOpType::kHmsg: return "HMSG";
    default: return "";
  }
}

}  // namespace

std::string RouteProtocol::InfoLine(bool lame_duck) const {
  route::LocalRouteFacts facts = worker_.config_->route_facts;
  facts.lame_duck = lame_duck;
  facts.cluster = worker_.shared_.cluster->registry.cluster_name();
  facts.cluster_dynamic = worker_.shared_.cluster->registry.cluster_name_dynamic();
  return route::BuildRouteInfo(facts, /*nonce=*/"");
}

void RouteProtocol::Start(Session& session) {
  session.route = std::make_unique<RouteLink>();
  session.auth_snapshot = worker_.config_->route_auth;
  session.next_ping_ns = worker_.now_ns_ + kFirstRoutePingNs;
  worker_.ScheduleTimer(session.next_ping_ns);
  log::Info("%s - Route connection created", session.log_prefix);
  if (session.auth_snapshot->enabled()) {
    session.route->parser.set_limits(kUnauthenticatedRouteLimits);
    session.route->parser.set_connect_required(true);
    session.auth_deadline_ns = worker_.now_ns_ + absl::ToInt64Nanoseconds(session.auth_snapshot->timeout);
    worker_.ScheduleTimer(session.auth_deadline_ns);
    worker_.loop_.SetReceiveMode(session.conn, ring::ReceiveMode::kOneBufferAtATime);
  } else {
    session.route->parser.set_limits(kAuthenticatedRouteLimits);
    session.authenticated = true;
  }
  // With route TLS the handshake comes first and INFO goes inside it.
  if (worker_.config_->tls.routes_accept != nullptr) {
    worker_.StartRouteTls(session, /*dialled_host=*/"");
    if (session.closing) return;
  }
  worker_.Write(session, InfoLine(/*lame_duck=*/false));
}

void RouteProtocol::HandleParseError(Session& session, const proto::RouteParseStep& step) {
  switch (step.error) {
    case proto::RouteParseError::kAuthViolation: worker_.AuthenticationFailed(session); return;
    case proto::RouteParseError::kPeerSentError:
      log::Error("%s - Route Error %s", session.log_prefix, step.op.json);
      worker_.Close(session, CloseReason::kParseError);
      return;
    default: break;
  }
  const std::string_view line = proto::RouteErrorLineFor(step.error);
  if (!line.empty()) worker_.Write(session, line);
  worker_.Close(session, CloseReason::kProtocolViolation);
}

void RouteProtocol::HandleOp(Session& session, const proto::RouteOp& op) {
  session.last_activity_ns = worker_.now_ns_;
  if (log::TraceEnabled() && !RouteOpName(op.type).empty()) {
    log::Trace("%s - <<- [%s %s %s%s%s]", session.log_prefix, RouteOpName(op.type), op.account,
               op.subject, op.queue.empty() && op.queues.empty() ? "" : " ",
               op.queue.empty() ? op.queues : op.queue);
  }
  switch (op.type) {
    case proto::RouteOpType::kInfo: HandleInfo(session, op); break;
    case proto::RouteOpType::kConnect: HandleConnect(session, op); break;
    case proto::RouteOpType::kPing: worker_.Write(session, "PONG\r\n"); break;
    case proto::RouteOpType::kPong: worker_.HandlePong(session); break;
    case proto::RouteOpType::kOk: break;
    case proto::RouteOpType::kSubPlus: HandleRemoteSub(session, op); break;
    case proto::RouteOpType::kSubMinus: HandleRemoteUnsub(session, op); break;
    case proto::RouteOpType::kRmsg:
    case proto::RouteOpType::kHmsg: HandleRoutedMessage(session, op); break;
  }
}

void RouteProtocol::HandleConnect(Session& session, const proto::RouteOp& op) {
  absl::StatusOr<route::PeerRouteConnect> connect = route::ParsePeerRouteConnect(op.json);
  if (!connect.ok()) {
    log::Debug("%s - Error parsing route CONNECT: %s", session.log_prefix,
               connect.status().message());
    worker_.Close(session, CloseReason::kProtocolViolation);
    return;
  }
  // The side that dialled sends CONNECT; one arriving on a route we dialled is ignored.
  if (session.route->solicited >= 0 || session.connect_received) return;
  if (connect->is_client) {
    log::Error("%s - Client connected to route port", session.log_prefix);
    worker_.CloseWithError(session, "attempted to connect to route port", CloseReason::kProtocolViolation);
    return;
  }
  session.connect_received = true;
  session.connect_received_ns = worker_.now_ns_;
  RouteLink& link = *session.route;
  link.cluster_proposal_pending = true;
  link.proposed_cluster = std::move(connect->cluster);
  link.proposed_cluster_dynamic = connect->cluster_dynamic;
  session.connect.headers = connect->headers;
  if (!session.auth_snapshot->enabled()) {
    Authenticated(session);
    return;
  }
  session.connect.user = std::move(connect->user);
  // Kept, as a client's is, so that a reload can check the route against new credentials.
  session.connect.pass = std::move(connect->password);
  worker_.Authenticate(session);  // AuthenticationSucceeded comes back to RouteAuthenticated
}

void RouteProtocol::RecheckAfterReload(Session& session) {
  if (session.route == nullptr || session.route->solicited >= 0) return;
  if (!session.authenticated) {
    // Not decided yet: a CONNECT still to come is checked against the new credentials, and a
    // verdict in flight for the old ones is replaced by a decision under the new ones when it
    // arrives (nats-server lets a route that started authenticating before the reload finish
    // under the old credentials).
    session.auth_snapshot = worker_.config_->route_auth;
    if (session.auth_pending) session.reauth_pending = true;
    return;
  }
  session.auth_snapshot = worker_.config_->route_auth;
  if (!session.auth_snapshot->enabled()) return;
  // Any verdict still owed for an earlier check no longer counts.
  ++session.auth_ticket;
  session.reauth_pending = false;
  session.reauth_user = nullptr;
  session.reauth_snapshot.reset();
  session.auth_queued_locally = false;
  worker_.RecheckCredentials(session);  // a failure closes it through AuthenticationFailed
}

bool RouteProtocol::AgreeOnClusterName(Session& session, std::string_view name, bool dynamic,
                                       NameRefusal refusal) {
  route::RouteRegistry& registry = worker_.shared_.cluster->registry;
  if (name.empty() || registry.AgreeOnName(name, dynamic)) return true;
  const std::string text =
      absl::StrFormat("Rejecting connection, cluster name \"%s\" does not match \"%s\"", name,
                      registry.cluster_name());
  if (refusal == NameRefusal::kSilentClose) {
    log::Debug("%s - %s", session.log_prefix, text);
    worker_.Close(session, CloseReason::kClusterNameConflict);
    return false;
  }
  log::Error("%s - %s", session.log_prefix, text);
  worker_.CloseWithError(session, text, CloseReason::kClusterNameConflict);
  return false;
}

void RouteProtocol::Authenticated(Session& session) {
  RouteLink& link = *session.route;
  if (link.cluster_proposal_pending) {
    link.cluster_proposal_pending = false;
    if (!AgreeOnClusterName(session, link.proposed_cluster, link.proposed_cluster_dynamic,
                            NameRefusal::kError)) {
      return;
    }
  }
  session.authenticated = true;
  session.auth_deadline_ns = 0;
  session.route->parser.set_connect_required(false);
  session.route->parser.set_limits(kAuthenticatedRouteLimits);
  worker_.loop_.SetReceiveMode(session.conn, ring::ReceiveMode::kStreaming);
}

void RouteProtocol::HandleInfo(Session& session, const proto::RouteOp& op) {
  absl::StatusOr<route::PeerRouteInfo> info = route::ParsePeerRouteInfo(op.json);
  if (!info.ok()) {
    worker_.Close(session, CloseReason::kProtocolViolation);
    return;
  }
  RouteLink& link = *session.route;
  route::RouteRegistry& registry = worker_.shared_.cluster->registry;
  if (!link.registered) {
    if (!session.authenticated) return;  // the parser lets nothing but CONNECT through first
    if (info->server_id == worker_.shared_.server_id) {
      log::Debug("%s - Detected route to self, ignoring", session.log_prefix);
      if (link.solicited >= 0) solicited_[link.solicited].state = SolicitedRoute::State::kDone;
      worker_.Close(session, CloseReason::kDuplicateRoute);
      return;
    }
    if (!AgreeOnClusterName(session, info->cluster, info->cluster_dynamic,
                            NameRefusal::kSilentClose)) {
      return;
    }
    link.peer = *std::move(info);
    Register(session);
    return;
  }
  if (info->server_id == link.peer.server_id) {
    // The peer's update about itself. nats-server acts on one kind only: a peer entering lame
    // duck mode is no place for clients to reconnect to any more.
    if (info->lame_duck) registry.ForgetConnectUrls(link.peer.server_id);
    return;
  }
  // Gossip: the peer tells us about a server it routes to. Dial it unless it is us, already
  // routed, or a route of our own configuration (dialled anyway).
  if (info->ip.empty() || info->server_id == worker_.shared_.server_id || registry.Has(info->server_id)) {
    return;
  }
  const std::string host_port = route::HostPortOfUrl(info->ip);
  for (const ClusterShared::Target& target : worker_.shared_.cluster->configured) {
    if (target.url.HostPort() == host_port) return;
  }
  SolicitImplicit(info->ip);
}

void RouteProtocol::Register(Session& session) {
  RouteLink& link = *session.route;
  route::RouteEntry entry;
  entry.server_id = link.peer.server_id;
  entry.server_name = link.peer.server_name;
  entry.worker = worker_.index_;
  entry.conn = session.conn;
  entry.solicited = link.solicited >= 0;
  entry.configured = link.solicited >= 0 && solicited_[link.solicited].configured;
  entry.gossip_url = absl::StrFormat("nats-route://%s:%d/", session.peer_ip, link.peer.port);
  entry.connect_urls = link.peer.connect_urls;
  entry.info_json = link.peer.json;
  entry.remote_ip = session.peer_ip;
  entry.remote_port = session.peer_port;
  if (link.solicited >= 0) solicited_[link.solicited].peer_id = link.peer.server_id;
  if (!worker_.shared_.cluster->registry.Register(entry, worker_.shared_.server_id)) {
    // Our id is the lower: the route registered first stays, this one goes.
    log::Debug("%s - Detected duplicate remote route \"%s\"", session.log_prefix,
               link.peer.server_id);
    worker_.Close(session, CloseReason::kDuplicateRoute);
    return;
  }
  link.registered = true;
  registered_.push_back(session.conn);
  if (link.solicited >= 0) {
    solicited_[link.solicited].backoff.Reset();
    solicited_[link.solicited].attempts = 0;
  }
  log::Debug("%s - Registering remote route \"%s\"", session.log_prefix, link.peer.server_id);
  SendAllInterest(session);
  log::Debug("%s - Sent local subscriptions to route", session.log_prefix);
  Gossip(session);
}

void RouteProtocol::Gossip(const Session& session) {
  const RouteLink& link = *session.route;
  const route::RouteRegistry& registry = worker_.shared_.cluster->registry;
  const std::string line = route::BuildGossipInfo(
      link.peer, absl::StrFormat("nats-route://%s:%d/", session.peer_ip, link.peer.port),
      registry.cluster_name(), registry.cluster_name_dynamic());
  for (const route::RouteEntry& other : worker_.shared_.cluster->registry.All()) {
    if (other.server_id == link.peer.server_id) continue;
    if (other.worker == worker_.index_) {
      WriteTo(other.conn, line);
    } else {
      worker_.shared_.PostToWorker(
          other.worker,
          [conn = other.conn, line](Worker& worker) { worker.routes().WriteTo(conn, line); }, &worker_.loop_);
    }
  }
}

void RouteProtocol::WriteTo(ring::ConnId conn, const std::string& line) {
  Session* session = worker_.Find(conn);
  if (session == nullptr || session->closing || session->kind != SessionKind::kRoute) return;
  worker_.Write(*session, line);
}

void RouteProtocol::Closing(Session& session, CloseReason reason) {
  RouteLink& link = *session.route;
  log::Info("%s - Router connection closed: %s", session.log_prefix, CloseReasonText(reason));
  if (link.registered) {
    worker_.shared_.cluster->registry.Unregister(link.peer.server_id, worker_.index_, session.conn);
    registered_.erase(std::remove(registered_.begin(), registered_.end(), session.conn), registered_.end());
    link.registered = false;
  }
  // The extra members join the teardown under keys no interest key can have (a line break
  // never reaches a subject or a queue name): a key that collided with a real queue name
  // ("q#0") would leave its member in the trie.
  for (auto& [key, members] : link.extra_members) {
    for (size_t i = 0; i < members.size(); ++i) {
      link.remote_subs.emplace(absl::StrFormat("%s\n%d", key, i), members[i]);
    }
  }
  link.extra_members.clear();
  // The peer's interest leaves the trie over the next iterations, like a client's.
  worker_.TearDownLater(link.remote_subs);
  if (link.solicited >= 0) {
    SolicitedRoute& solicited = solicited_[link.solicited];
    if (solicited.state == SolicitedRoute::State::kConnected) {
      // As nats-server: a lost gossiped route is dialled once more, then connect_retries
      // times (ScheduleRetry spends one for the first redial).
      if (!solicited.configured) {
        solicited.retries_left = worker_.options_->cluster.connect_retries + 1;
      }
      ScheduleRetry(static_cast<size_t>(link.solicited), /*error=*/0);
    }
  }
}

}  // namespace ringnats::broker
