#include "ringnats/broker/monitoring.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "ringnats/broker/worker.h"

namespace ringnats::broker {
namespace {

monitor::ServerSnapshot ServerSnapshotOf(SharedState& shared,
                                         const MonitorSourceSettings& settings) {
  const RuntimeConfigPtr config = shared.config.Load();
  const config::ServerOptions& options = config->options;
  monitor::ServerSnapshot s;
  s.server_id = shared.server_id;
  s.server_name = options.server_name.empty() ? shared.server_id : options.server_name;
  s.version = RINGNATS_NATS_COMPAT_VERSION;
  s.proto = 1;
  // nats-server's Go version; ringnats has none, and says what it is instead.
  s.go = absl::StrFormat("ringnats %s", RINGNATS_VERSION);
  s.host = options.host;
  s.port = shared.port;
  // Unlike INFO's, /varz's auth_required stays on with a no_auth_user (nats-server 2.9.10).
  s.auth_required = config->auth->enabled();
  s.max_connections = options.max_connections;
  s.max_subscriptions = options.max_subscriptions;
  s.ping_interval = options.ping_interval;
  s.ping_max = options.ping_max;
  s.http_host = config::MonitorHost(options);
  // As configured (-1 for a random port), as nats-server shows it; the bound port is in the
  // ports file and the log.
  s.http_port = options.http_port;
  s.http_base_path = options.http_base_path;
  s.https_port = options.https_port;
  s.auth_timeout = absl::ToDoubleSeconds(config->auth->timeout);
  s.max_control_line = options.max_control_line;
  s.max_payload = options.max_payload;
  s.max_pending = options.max_pending;
  // As INFO says them; the timeout in seconds, nats-server's 2 also without TLS.
  s.tls_required = options.tls.enabled;
  s.tls_verify = options.tls.enabled && options.tls.verify;
  s.tls_timeout = absl::ToDoubleSeconds(options.tls.timeout);
  s.write_deadline = options.write_deadline;
  s.start = shared.monitor.start;
  s.gomaxprocs = static_cast<int>(shared.workers.size());
  s.connections = shared.connections.load(std::memory_order_relaxed);
  s.total_connections = shared.total_connections.load(std::memory_order_relaxed);
  s.subscriptions = static_cast<uint32_t>(shared.trie.size());
  if (shared.cluster != nullptr) {
    s.routes = static_cast<int64_t>(shared.cluster->registry.size());
    s.cluster.name = shared.cluster->registry.cluster_name();
    if (options.cluster.enabled()) {
      s.cluster.addr = options.cluster.host.empty() ? "0.0.0.0" : options.cluster.host;
      s.cluster.cluster_port = shared.cluster->port;
      s.cluster.auth_timeout = absl::ToDoubleSeconds(options.cluster.auth_timeout);
      s.cluster.tls_timeout = absl::ToDoubleSeconds(options.cluster.tls.timeout);
    }
    // Both mean "a route TLS block" in nats-server's /varz: routes always verify.
    s.cluster.tls_required = options.cluster.tls.enabled;
    s.cluster.tls_verify = options.cluster.tls.enabled;
    for (const config::RouteUrl& url : options.cluster.routes) {
      s.cluster.urls.push_back(url.HostPort());
    }
  }

  monitor::RingnatsStats& r = s.ringnats;
  r.version = RINGNATS_VERSION;
  uint64_t matches = 0, hits = 0, fanout_sum = 0, fanout_max = 0, cache_entries = 0;
  uint64_t inserts = 0, removes = 0, slow = 0;
  for (const std::unique_ptr<WorkerCounters>& c : shared.worker_counters) {
    monitor::WorkerStats& w = r.workers.emplace_back();
    w.connections = c->connections.load(std::memory_order_relaxed);
    w.in_msgs = static_cast<int64_t>(c->in_msgs.load(std::memory_order_relaxed));
    w.out_msgs = static_cast<int64_t>(c->out_msgs.load(std::memory_order_relaxed));
    w.in_bytes = static_cast<int64_t>(c->in_bytes.load(std::memory_order_relaxed));
    w.out_bytes = static_cast<int64_t>(c->out_bytes.load(std::memory_order_relaxed));
    s.in_msgs += w.in_msgs;
    s.out_msgs += w.out_msgs;
    s.in_bytes += w.in_bytes;
    s.out_bytes += w.out_bytes;
    slow += c->slow_consumers.load(std::memory_order_relaxed);
    matches += c->matches.load(std::memory_order_relaxed);
    hits += c->cache_hits.load(std::memory_order_relaxed);
    cache_entries += c->cache_entries.load(std::memory_order_relaxed);
    fanout_sum += c->fanout_sum.load(std::memory_order_relaxed);
    fanout_max = std::max(fanout_max, c->fanout_max.load(std::memory_order_relaxed));
    inserts += c->sub_inserts.load(std::memory_order_relaxed);
    removes += c->sub_removes.load(std::memory_order_relaxed);
  }
  s.slow_consumers = static_cast<int64_t>(slow);
  s.sublist.num_subscriptions = s.subscriptions;
  s.sublist.num_cache = static_cast<uint32_t>(cache_entries);
  s.sublist.num_inserts = inserts;
  s.sublist.num_removes = removes;
  s.sublist.num_matches = matches;
  s.sublist.cache_hit_rate = matches == 0 ? 0 : static_cast<double>(hits) / matches;
  s.sublist.max_fanout = static_cast<uint32_t>(fanout_max);
  s.sublist.avg_fanout = matches == 0 ? 0 : static_cast<double>(fanout_sum) / matches;

  r.auth_successes = shared.monitor.auth_successes.load(std::memory_order_relaxed);
  r.auth_failures = shared.auth_failures.load(std::memory_order_relaxed);
  r.auth_timeouts = shared.monitor.auth_timeouts.load(std::memory_order_relaxed);
  r.auth_pool_threads = settings.auth_threads;
  if (shared.auth_pool != nullptr) {
    const auth::AuthPoolStats pool = shared.auth_pool->stats();
    r.auth_pool_queue_depth = static_cast<int64_t>(pool.queue_depth);
    r.auth_hashes = pool.hashes_computed;
    r.auth_cache_hits = pool.cache_hits;
    r.auth_coalesced = pool.coalesced;
  }
  r.auth_hash_time = shared.monitor.hash_time.Snapshot();
  r.auth_wait_time = shared.monitor.auth_wait.Snapshot();
  r.slow_consumer_closes = slow;
  {
    absl::MutexLock lock(&shared.monitor.reload_mu);
    r.reloads = shared.monitor.reloads;
    r.reload_failures = shared.monitor.reload_failures;
    r.last_reload = shared.monitor.last_reload;
    r.last_reload_error = shared.monitor.last_reload_error;
    s.config_load_time = shared.monitor.config_load_time;
  }
  return s;
}

absl::Status WorkersDidNotAnswer(absl::Duration timeout) {
  return absl::UnavailableError(
      absl::StrFormat("the workers did not answer within %s", absl::FormatDuration(timeout)));
}

// nats-server keeps the newest 10,000 closed connections; the workers keep their own newest
// ones, so the merge keeps the newest overall.
void KeepNewestClosed(std::vector<monitor::ConnectionInfo>* connections) {
  auto closed_begin = std::stable_partition(
      connections->begin(), connections->end(),
      [](const monitor::ConnectionInfo& info) { return !info.stop.has_value(); });
  const size_t closed = static_cast<size_t>(connections->end() - closed_begin);
  if (closed <= monitor::kDefaultClosedConnections) return;
  std::sort(closed_begin, connections->end(),
            [](const monitor::ConnectionInfo& a, const monitor::ConnectionInfo& b) {
              return *a.stop > *b.stop;
            });
  connections->resize(connections->size() - (closed - monitor::kDefaultClosedConnections));
}

}  // namespace

monitor::DataSource MonitorDataSource(SharedState& shared, MonitorSourceSettings settings) {
  monitor::DataSource source;
  source.server = [&shared, settings]() -> absl::StatusOr<monitor::ServerSnapshot> {
    return ServerSnapshotOf(shared, settings);
  };
  source.connections =
      [&shared, settings](const monitor::ConnzQuery& query) -> absl::StatusOr<monitor::ConnzData> {
    const size_t workers = shared.workers.size();
    auto request = std::make_shared<Worker::ConnectionsRequest>(query, workers);
    for (uint32_t i = 0; i < workers; ++i) {
      shared.PostToWorker(
          i, [request](Worker& worker) mutable { worker.SnapshotConnections(request, 0); },
          nullptr);
    }
    if (!request->gather.Wait(settings.worker_timeout)) {
      return WorkersDidNotAnswer(settings.worker_timeout);
    }
    monitor::ConnzData data;
    data.server_id = shared.server_id;
    data.connections = request->gather.TakeAll();
    KeepNewestClosed(&data.connections);
    // Every worker finished (the gather's mutex orders their counts before this read).
    data.total = request->open_total.load(std::memory_order_relaxed) +
                 std::min<int64_t>(request->closed_total.load(std::memory_order_relaxed),
                                   monitor::kDefaultClosedConnections);
    return data;
  };
  source.subscriptions = [&shared, settings](
                             const monitor::SubszQuery& query) -> absl::StatusOr<monitor::SubszData> {
    monitor::SubszData data;
    data.server_id = shared.server_id;
    data.stats = ServerSnapshotOf(shared, settings).sublist;
    if (!query.subs) return data;
    const size_t workers = shared.workers.size();
    auto request = std::make_shared<Worker::SubscriptionsRequest>(workers);
    for (uint32_t i = 0; i < workers; ++i) {
      shared.PostToWorker(
          i, [request](Worker& worker) mutable { worker.SnapshotSubscriptions(request, 0); },
          nullptr);
    }
    if (!request->gather.Wait(settings.worker_timeout)) {
      return WorkersDidNotAnswer(settings.worker_timeout);
    }
    data.subscriptions = request->gather.TakeAll();
    return data;
  };
  if (shared.cluster != nullptr) {
    source.routes = [&shared, settings](
                        monitor::SubsOption subs) -> absl::StatusOr<monitor::RoutezData> {
      const size_t workers = shared.workers.size();
      auto request = std::make_shared<Worker::RoutesRequest>(subs, workers);
      for (uint32_t i = 0; i < workers; ++i) {
        shared.PostToWorker(
            i, [request](Worker& worker) mutable { worker.SnapshotRoutes(request); }, nullptr);
      }
      if (!request->gather.Wait(settings.worker_timeout)) {
        return WorkersDidNotAnswer(settings.worker_timeout);
      }
      monitor::RoutezData data;
      data.routes = request->gather.TakeAll();
      std::sort(data.routes.begin(), data.routes.end(),
                [](const monitor::RouteInfo& a, const monitor::RouteInfo& b) { return a.rid < b.rid; });
      return data;
    };
  }
  return source;
}

}  // namespace ringnats::broker
