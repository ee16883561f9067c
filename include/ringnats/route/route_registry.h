#pragma once
// Which peer servers this node has a route to, by their server id: the rule that keeps the
// mesh at one route per peer (a second route to the same server is a duplicate, closed by
// the server with the lower id),
// what gossip forwards, the client URLs of the whole cluster for `connect_urls`, and the
// cluster name (which a node with a generated name adopts from its peers).
//
// Shared between all workers and the monitor: one mutex, taken when routes come and go.
// `version()` is a lock-free read that changes whenever the peer list or the name does.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ringnats/ring/event_loop.h"

namespace ringnats::route {

struct RouteEntry {
  std::string server_id;
  std::string server_name;
  uint32_t worker = 0;  // the worker owning the route connection
  ring::ConnId conn;
  bool solicited = false;
  bool configured = false;             // solicited from a configured (not gossiped) URL
  std::string gossip_url;              // "nats-route://ip:port/" others may dial
  std::vector<std::string> connect_urls;  // the peer's client URLs
  std::string info_json;               // the peer's INFO, for gossip
  std::string remote_ip;
  int remote_port = 0;
};

class RouteRegistry {
 public:
  RouteRegistry(std::string cluster_name, bool name_dynamic)
      : cluster_name_(std::move(cluster_name)), name_dynamic_(name_dynamic) {}

  // Claims `entry.server_id` for this route. Of two routes between a pair of servers, the
  // server with the lower id decides which one lives, as nats-server does: the one it
  // registered first, so a route in use is kept however late a duplicate arrives; for the
  // later one this returns false and it must close. The server with the higher id keeps
  // every route until the peer closes the ones it refused: the peer announces its interest
  // only on the route it keeps, so messages follow that route, and none goes out twice or
  // is dropped while the two servers saw the routes arrive in different orders.
  bool Register(RouteEntry entry, std::string_view our_server_id);
  // Forgets the route on `worker`'s connection `conn` (another route to the same peer stays).
  void Unregister(std::string_view server_id, uint32_t worker, ring::ConnId conn);
  bool Has(std::string_view server_id) const;
  std::vector<RouteEntry> All() const;
  // The workers owning a route, each once: what a worker with interest changes needs to
  // know every iteration, without copying every peer's INFO as All() does.
  std::vector<uint32_t> OwningWorkers() const;
  size_t size() const;
  // The peer entered lame duck mode: its client URLs are no longer offered to clients.
  void ForgetConnectUrls(std::string_view server_id);
  // The client URLs of every peer, deduplicated, in registration order.
  std::vector<std::string> PeerConnectUrls() const;
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  std::string cluster_name() const;
  bool cluster_name_dynamic() const;
  // A peer announced `name`: adopted if ours was generated and theirs is not, or both were
  // generated and theirs sorts after ours, as nats-server does (so a cluster of generated
  // names settles on the greatest). Otherwise a different name is refused, as nats-server
  // refuses it: the peer adopts ours when it reads our INFO and connects again.
  bool AgreeOnName(std::string_view name, bool theirs_dynamic);
  // A reload configured `name`: it replaces the current one (configured or generated) for
  // routes that connect from now on and for clients' INFO. Routes already up keep going, as
  // in nats-server. False when the name was already this.
  bool Rename(std::string_view name);

 private:
  mutable absl::Mutex mu_;
  std::vector<RouteEntry> routes_ ABSL_GUARDED_BY(mu_);
  std::string cluster_name_ ABSL_GUARDED_BY(mu_);
  bool name_dynamic_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> version_{0};
};

}  // namespace ringnats::route
