#pragma once
// The JSON a route speaks at the handshake: the INFO each side sends (and gossips), and the
// CONNECT the soliciting side sends, with nats-server 2.9.10's field names and order.
// Plain values and pure functions; any thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ringnats::route {

// What this server tells a peer about itself in its route INFO.
struct LocalRouteFacts {
  std::string server_id;
  std::string server_name;
  std::string host;  // cluster listen host, or the advertised one
  int port = 0;      // cluster port, or the advertised one
  bool auth_required = false;
  bool tls_required = false;  // cluster { tls { } }: routes verify each other's certificates
  int64_t max_payload = 0;
  bool headers = true;
  std::string cluster;
  bool cluster_dynamic = false;
  std::vector<std::string> connect_urls;  // "host:port" of our client listener(s)
  bool lame_duck = false;  // "ldm": told once to the routes up when lame duck mode starts
};

// `INFO {...} \r\n` for a route (the handshake INFO carries a nonce, as nats-server's does).
std::string BuildRouteInfo(const LocalRouteFacts& facts, std::string_view nonce);

// The most client URLs kept from one peer's INFO (the rest are ignored).
inline constexpr size_t kMaxPeerConnectUrls = 64;

// What we learn from a peer's INFO (handshake or gossip).
struct PeerRouteInfo {
  std::string server_id;
  std::string server_name;
  std::string host;
  int port = 0;
  bool auth_required = false;
  bool headers = false;
  std::string cluster;
  bool cluster_dynamic = false;
  std::vector<std::string> connect_urls;
  std::string ip;  // gossip only: "nats-route://host:port/"
  bool lame_duck = false;
  // The INFO as received, so it can be gossiped on with "ip" added.
  std::string json;
};

absl::StatusOr<PeerRouteInfo> ParsePeerRouteInfo(std::string_view json);

// `INFO {...}\r\n` telling our other routes about `peer`, reachable at `ip`
// ("nats-route://host:port/"): the peer's own INFO with its nonce dropped, "ip" added, and
// the cluster name the two agreed on (`cluster`, `cluster_dynamic`) in place of the one the
// peer had when it connected: nats-server checks the name of every INFO, and a stale one
// would make it drop the route.
std::string BuildGossipInfo(const PeerRouteInfo& peer, std::string_view ip,
                            std::string_view cluster, bool cluster_dynamic);

// The CONNECT a soliciting server sends (credentials from the route URL).
struct RouteConnectFacts {
  std::string user;
  std::string password;
  bool headers = true;
  bool tls_required = false;
  std::string server_id;  // "name"
  std::string cluster;
  bool cluster_dynamic = false;
};
std::string BuildRouteConnect(const RouteConnectFacts& facts);

// What the accepting side reads from a route CONNECT.
struct PeerRouteConnect {
  std::string user;
  std::string password;
  std::string server_id;  // "name"
  std::string cluster;
  bool cluster_dynamic = false;
  bool headers = false;
  bool is_client = false;   // "lang" present: a client dialled the route port
  bool is_gateway = false;  // "gateway" present
};
absl::StatusOr<PeerRouteConnect> ParsePeerRouteConnect(std::string_view json);

// "host:port" of a gossiped or configured route URL ("nats-route://h:p/" -> "h:p").
std::string HostPortOfUrl(std::string_view url);

}  // namespace ringnats::route
