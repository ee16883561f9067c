// The routes a worker dials: configured ones (worker i % workers dials configured route i,
// retried forever) and implicit ones learnt from gossip (retried connect_retries times).
// A failed or lost route is dialled again after an exponential backoff with jitter, capped
// (ring::Backoff); the first failure is logged as an error, later ones at debug level, so a
// peer that stays down does not flood the log.

#include <arpa/inet.h>

#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ringnats/broker/info.h"
#include "ringnats/broker/worker.h"
#include "ringnats/monitor/go_format.h"
#include "ringnats/route/route_info.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {
namespace {

// A gossiped "host:port" (numeric, as nats-server gossips the address it saw) as a socket
// address; false for a name, which a ring must not resolve.
bool NumericAddress(std::string_view host_port, sockaddr_storage* address) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return false;
  int port = 0;
  if (!absl::SimpleAtoi(std::string(host_port.substr(colon + 1)), &port) || port <= 0 || port > 65535) {
    return false;
  }
  std::string host(host_port.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::memset(address, 0, sizeof *address);
  auto* in4 = reinterpret_cast<sockaddr_in*>(address);
  if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    return true;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(address);
  if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    return true;
  }
  return false;
}

}  // namespace

void RouteProtocol::SolicitConfigured() {
  started_ = true;
  const std::vector<ClusterShared::Target>& configured = worker_.shared_.cluster->configured;
  for (size_t i = worker_.index_; i < configured.size(); i += worker_.shared_.workers.size()) {
    const ClusterShared::Target& target = configured[i];
    if (!target.resolved) continue;  // reported at start
    AddConfigured(target);
  }
}

void RouteProtocol::AddConfigured(const ClusterShared::Target& target) {
  SolicitedRoute route;
  route.url = target.url.Redacted();
  route.source = target.url;
  route.user = target.url.user;
  route.password = target.url.password;
  route.address = target.address;
  route.configured = true;
  solicited_.push_back(std::move(route));
  Solicit(solicited_.size() - 1);
}

void RouteProtocol::RemoveConfigured(const config::RouteUrl& url) {
  for (SolicitedRoute& route : solicited_) {
    if (!route.configured || !(route.source == url) ||
        route.state == SolicitedRoute::State::kDone) {
      continue;
    }
    const bool connected = route.state == SolicitedRoute::State::kConnected;
    if (route.state == SolicitedRoute::State::kConnecting) {
      worker_.loop_.CancelConnect(static_cast<uint64_t>(&route - solicited_.data()));
    }
    route.state = SolicitedRoute::State::kDone;
    if (!connected) continue;
    if (Session* session = worker_.Find(route.conn); session != nullptr && !session->closing) {
      worker_.Close(*session, CloseReason::kRouteRemoved);
    }
  }
}

void RouteProtocol::SolicitImplicit(std::string url) {
  for (const SolicitedRoute& route : solicited_) {
    if (route.url == url && route.state != SolicitedRoute::State::kDone) return;
  }
  // A finished implicit entry is reused (its connection, if any, is closed and none of its
  // connects is pending), so gossip about servers that come and go does not grow the list.
  size_t reuse = solicited_.size();
  for (size_t i = 0; i < solicited_.size(); ++i) {
    if (!solicited_[i].configured && solicited_[i].state == SolicitedRoute::State::kDone) {
      reuse = i;
      break;
    }
  }
  SolicitedRoute route;
  if (!NumericAddress(route::HostPortOfUrl(url), &route.address)) {
    log::Debug("Not dialling gossiped route %s: not a numeric address", url);
    return;
  }
  route.url = std::move(url);
  // nats-server dials a gossiped peer with this server's own cluster credentials.
  route.user = worker_.options_->cluster.user;
  route.password = worker_.options_->cluster.password;
  route.retries_left = worker_.options_->cluster.connect_retries;
  if (reuse < solicited_.size()) {
    solicited_[reuse] = std::move(route);
  } else {
    solicited_.push_back(std::move(route));
  }
  Solicit(reuse);
}

void RouteProtocol::Solicit(size_t index) {
  SolicitedRoute& route = solicited_[index];
  if (!route.peer_id.empty() && worker_.shared_.cluster->registry.Has(route.peer_id)) {
    // Already routed to that server (it dialled us): look again later.
    route.state = SolicitedRoute::State::kWaiting;
    route.next_attempt_ns = worker_.now_ns_ + route.backoff.cap_ns();
    return;
  }
  ++route.attempts;
  route.state = SolicitedRoute::State::kConnecting;
  if (absl::Status started = worker_.loop_.Connect(route.address, index); !started.ok()) {
    log::Error("Error trying to connect to route (attempt %d): %s", route.attempts,
               started.message());
    ScheduleRetry(index, EIO);
  }
}

void RouteProtocol::OnConnectFailed(uint64_t tag, int error) {
  if (tag >= solicited_.size()) return;
  if (solicited_[tag].state == SolicitedRoute::State::kDone) return;  // removed meanwhile
  ScheduleRetry(static_cast<size_t>(tag), error);
}

void RouteProtocol::ScheduleRetry(size_t index, int error) {
  SolicitedRoute& route = solicited_[index];
  route.state = SolicitedRoute::State::kWaiting;
  if (error != 0) {
    if (route.attempts <= 1) {
      log::Error("Error trying to connect to route (attempt %d): dial tcp %s: %s", route.attempts,
                 route::HostPortOfUrl(route.url), strerror(error));
    } else {
      log::Debug("Error trying to connect to route (attempt %d): dial tcp %s: %s", route.attempts,
                 route::HostPortOfUrl(route.url), strerror(error));
    }
  }
  if (!route.configured) {
    if (route.retries_left == 0) {
      route.state = SolicitedRoute::State::kDone;
      return;
    }
    if (route.retries_left > 0) --route.retries_left;
  }
  route.next_attempt_ns = worker_.now_ns_ + route.backoff.NextDelayNs(worker_.random_);
}

void RouteProtocol::Tick(int64_t now_ns) {
  if (!started_) SolicitConfigured();
  RetrySolicited(now_ns);
  RefreshClientInfo(/*announce=*/true);
}

void RouteProtocol::RetrySolicited(int64_t now_ns) {
  for (size_t i = 0; i < solicited_.size(); ++i) {
    if (solicited_[i].state == SolicitedRoute::State::kWaiting &&
        now_ns >= solicited_[i].next_attempt_ns) {
      Solicit(i);
    }
  }
}

void RouteProtocol::OnConnected(ring::ConnId id, uint64_t tag) {
  if (tag >= solicited_.size() || worker_.shared_.cluster == nullptr) {
    worker_.loop_.Close(id, ring::CloseMode::kNow);
    return;
  }
  SolicitedRoute& solicited = solicited_[tag];
  if (solicited.state == SolicitedRoute::State::kDone) {  // removed by a reload meanwhile
    worker_.loop_.Close(id, ring::CloseMode::kNow);
    return;
  }
  solicited.state = SolicitedRoute::State::kConnected;
  solicited.conn = id;
  Session& session = worker_.NewSession(id, solicited.address, SessionKind::kRoute);
  session.route = std::make_unique<RouteLink>();
  session.route->solicited = static_cast<int64_t>(tag);
  session.route->parser.set_limits(kAuthenticatedRouteLimits);
  session.auth_snapshot = worker_.config_->route_auth;
  session.authenticated = true;  // we dialled; the peer checks our credentials
  session.next_ping_ns = worker_.now_ns_ + 1'000'000'000;
  worker_.ScheduleTimer(session.next_ping_ns);
  log::Info("%s - Route connection created", session.log_prefix);
  route::RouteConnectFacts connect;
  connect.user = solicited.user;
  connect.password = solicited.password;
  connect.headers = !worker_.options_->no_header_support;
  if (worker_.config_->tls.routes_dial != nullptr) {
    // The handshake comes first; CONNECT and INFO go inside it.
    std::string host = solicited.configured ? solicited.source.host : "";
    if (host.empty()) {
      host = route::HostPortOfUrl(solicited.url);
      host = host.substr(0, host.rfind(':'));
      if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    }
    worker_.StartRouteTls(session, host.empty() ? "localhost" : host);
    if (session.closing) return;
    connect.tls_required = true;
  }
  connect.server_id = worker_.shared_.server_id;
  connect.cluster = worker_.shared_.cluster->registry.cluster_name();
  connect.cluster_dynamic = worker_.shared_.cluster->registry.cluster_name_dynamic();
  worker_.Write(session, route::BuildRouteConnect(connect));
  worker_.Write(session, InfoLine(/*lame_duck=*/false));
}

void RouteProtocol::RefreshClientInfo(bool announce) {
  const uint64_t version = worker_.shared_.cluster->registry.version();
  const bool lame_duck = worker_.in_lame_duck_;
  if (version == client_info_version_ && lame_duck == client_info_lame_duck_ &&
      !client_info_fields_.empty()) {
    return;
  }
  const bool changed = !client_info_fields_.empty();
  client_info_version_ = version;
  client_info_lame_duck_ = lame_duck;
  std::vector<std::string> urls;
  if (!lame_duck) urls = worker_.config_->route_facts.connect_urls;
  if (!worker_.options_->cluster.no_advertise) {
    absl::flat_hash_set<std::string> listed(urls.begin(), urls.end());
    for (std::string& url : worker_.shared_.cluster->registry.PeerConnectUrls()) {
      if (listed.insert(url).second) urls.push_back(std::move(url));
    }
  }
  // Peers' URLs and a cluster name learnt from a peer are the peer's strings: escaped as
  // JSON, so none can end the INFO line early and put protocol of its own after it.
  std::string urls_field;
  for (const std::string& url : urls) {
    urls_field.append(urls_field.empty() ? ",\"connect_urls\":[" : ",");
    monitor::AppendGoJsonString(&urls_field, url);
  }
  if (!urls_field.empty()) urls_field.push_back(']');
  client_info_fields_ = ",\"cluster\":";
  monitor::AppendGoJsonString(&client_info_fields_,
                              worker_.shared_.cluster->registry.cluster_name());
  client_info_fields_.append(urls_field);
  // A renamed cluster shows in the next INFO; only new places to reconnect to are announced
  // (nats-server sends no INFO for a new name).
  const bool urls_changed = urls_field != client_info_urls_;
  client_info_urls_ = std::move(urls_field);
  if (!announce || !changed || !urls_changed || worker_.options_->cluster.no_advertise) return;
  // Clients that understand async INFO learn where else they may reconnect.
  for (auto& slot : worker_.sessions_) {
    if (slot == nullptr || slot->closing || slot->kind != SessionKind::kClient) continue;
    if (!slot->connect_received || slot->connect.protocol < 1) continue;
    std::string info = worker_.config_->info_prefix;
    AppendInfoClientFields(&info, slot->client_id, slot->peer_ip, worker_.in_lame_duck_,
                           client_info_fields_);
    worker_.Write(*slot, info);
  }
}

void RouteProtocol::AnnounceLameDuck() {
  const std::string line = InfoLine(/*lame_duck=*/true);
  for (ring::ConnId conn : registered_) WriteTo(conn, line);
}

}  // namespace ringnats::broker
