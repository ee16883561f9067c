// /varz and its "ringnats" object.

#include <cmath>

#include "ringnats/monitor/render.h"

namespace ringnats::monitor {
namespace {

Json StringArray(const std::vector<std::string>& values) {
  Json array = Json::array();
  for (const std::string& value : values) array.push_back(value);
  return array;
}

Json ClusterJson(const ClusterVarz& cluster) {
  Json json = Json::object();
  if (!cluster.name.empty()) json["name"] = cluster.name;
  if (!cluster.addr.empty()) json["addr"] = cluster.addr;
  if (cluster.cluster_port != 0) json["cluster_port"] = cluster.cluster_port;
  if (cluster.auth_timeout != 0) json["auth_timeout"] = cluster.auth_timeout;
  if (!cluster.urls.empty()) json["urls"] = StringArray(cluster.urls);
  if (cluster.tls_timeout != 0) json["tls_timeout"] = cluster.tls_timeout;
  if (cluster.tls_required) json["tls_required"] = true;
  if (cluster.tls_verify) json["tls_verify"] = true;
  return json;
}

Json HistogramJson(const HistogramSnapshot& histogram) {
  Json json;
  json["count"] = histogram.count;
  json["sum_seconds"] = histogram.sum_seconds;
  json["p50_seconds"] = HistogramQuantile(histogram, 0.5);
  json["p90_seconds"] = HistogramQuantile(histogram, 0.9);
  json["p99_seconds"] = HistogramQuantile(histogram, 0.99);
  Json buckets = Json::array();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < histogram.upper_bounds_seconds.size(); ++i) {
    if (i < histogram.counts.size()) cumulative += histogram.counts[i];
    Json bucket;
    bucket["le_seconds"] = histogram.upper_bounds_seconds[i];
    bucket["count"] = cumulative;
    buckets.push_back(std::move(bucket));
  }
  json["buckets"] = std::move(buckets);
  return json;
}

}  // namespace

double HistogramQuantile(const HistogramSnapshot& histogram, double quantile) {
  uint64_t total = 0;
  for (uint64_t count : histogram.counts) total += count;
  if (total == 0 || histogram.upper_bounds_seconds.empty()) return 0;
  const double rank = quantile * static_cast<double>(total);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < histogram.counts.size(); ++i) {
    const uint64_t before = cumulative;
    cumulative += histogram.counts[i];
    if (static_cast<double>(cumulative) < rank || histogram.counts[i] == 0) continue;
    if (i >= histogram.upper_bounds_seconds.size()) break;  // beyond the last bound
    const double lower = i == 0 ? 0 : histogram.upper_bounds_seconds[i - 1];
    const double upper = histogram.upper_bounds_seconds[i];
    const double within =
        (rank - static_cast<double>(before)) / static_cast<double>(histogram.counts[i]);
    return lower + (upper - lower) * std::clamp(within, 0.0, 1.0);
  }
  return histogram.upper_bounds_seconds.back();
}

Json RingnatsJson(const RingnatsStats& stats, absl::TimeZone local) {
  Json json;
  json["version"] = stats.version;
  Json auth;
  auth["successes"] = stats.auth_successes;
  auth["failures"] = stats.auth_failures;
  auth["timeouts"] = stats.auth_timeouts;
  auth["pool_threads"] = stats.auth_pool_threads;
  auth["pool_queue_depth"] = stats.auth_pool_queue_depth;
  auth["hashes"] = stats.auth_hashes;
  auth["cache_hits"] = stats.auth_cache_hits;
  auth["coalesced"] = stats.auth_coalesced;
  auth["hash_time"] = HistogramJson(stats.auth_hash_time);
  auth["wait_time"] = HistogramJson(stats.auth_wait_time);
  json["auth"] = std::move(auth);
  Json workers = Json::array();
  for (const WorkerStats& worker : stats.workers) {
    Json entry;
    entry["connections"] = worker.connections;
    entry["in_msgs"] = worker.in_msgs;
    entry["out_msgs"] = worker.out_msgs;
    entry["in_bytes"] = worker.in_bytes;
    entry["out_bytes"] = worker.out_bytes;
    workers.push_back(std::move(entry));
  }
  json["workers"] = std::move(workers);
  json["slow_consumer_closes"] = stats.slow_consumer_closes;
  Json reloads;
  reloads["total"] = stats.reloads;
  reloads["failures"] = stats.reload_failures;
  if (stats.last_reload.has_value()) {
    reloads["last"] = GoTime(*stats.last_reload, local);
    if (!stats.last_reload_error.empty()) reloads["last_error"] = stats.last_reload_error;
  }
  json["reloads"] = std::move(reloads);
  return json;
}

Json VarzJson(const ServerSnapshot& server, absl::TimeZone local) {
  Json json;
  json["server_id"] = server.server_id;
  json["server_name"] = server.server_name;
  json["version"] = server.version;
  json["proto"] = server.proto;
  if (!server.git_commit.empty()) json["git_commit"] = server.git_commit;
  json["go"] = server.go;
  json["host"] = server.host;
  json["port"] = server.port;
  if (server.auth_required) json["auth_required"] = true;
  if (server.tls_required) json["tls_required"] = true;
  if (server.tls_verify) json["tls_verify"] = true;
  if (!server.ip.empty()) json["ip"] = server.ip;
  if (!server.connect_urls.empty()) json["connect_urls"] = StringArray(server.connect_urls);
  if (!server.ws_connect_urls.empty()) {
    json["ws_connect_urls"] = StringArray(server.ws_connect_urls);
  }
  json["max_connections"] = server.max_connections;
  if (server.max_subscriptions != 0) json["max_subscriptions"] = server.max_subscriptions;
  json["ping_interval"] = absl::ToInt64Nanoseconds(server.ping_interval);
  json["ping_max"] = server.ping_max;
  json["http_host"] = server.http_host;
  json["http_port"] = server.http_port;
  json["http_base_path"] = server.http_base_path;
  json["https_port"] = server.https_port;
  json["auth_timeout"] = server.auth_timeout;
  json["max_control_line"] = server.max_control_line;
  json["max_payload"] = server.max_payload;
  json["max_pending"] = server.max_pending;
  json["cluster"] = ClusterJson(server.cluster);
  json["gateway"] = Json::object();
  json["leaf"] = Json::object();
  json["mqtt"] = Json::object();
  json["websocket"] = Json::object();
  json["jetstream"] = Json::object();
  json["tls_timeout"] = server.tls_timeout;
  json["write_deadline"] = absl::ToInt64Nanoseconds(server.write_deadline);
  json["start"] = GoTime(server.start, local);
  json["now"] = GoTime(server.now, absl::UTCTimeZone());
  json["uptime"] = GoUptime(server.now - server.start);
  json["mem"] = server.mem;
  json["cores"] = server.cores;
  json["gomaxprocs"] = server.gomaxprocs;
  json["cpu"] = server.cpu;
  json["connections"] = server.connections;
  json["total_connections"] = server.total_connections;
  json["routes"] = server.routes;
  json["remotes"] = server.remotes;
  json["leafnodes"] = server.leafnodes;
  json["in_msgs"] = server.in_msgs;
  json["out_msgs"] = server.out_msgs;
  json["in_bytes"] = server.in_bytes;
  json["out_bytes"] = server.out_bytes;
  json["slow_consumers"] = server.slow_consumers;
  json["subscriptions"] = server.subscriptions;
  Json requests = Json::object();  // std::map: sorted keys, as Go writes a map
  for (const auto& [path, count] : server.http_req_stats) requests[path] = count;
  json["http_req_stats"] = std::move(requests);
  json["config_load_time"] = GoTime(server.config_load_time, local);
  if (!server.tags.empty()) json["tags"] = StringArray(server.tags);
  if (!server.system_account.empty()) json["system_account"] = server.system_account;
  json["ringnats"] = RingnatsJson(server.ringnats, local);
  return json;
}

}  // namespace ringnats::monitor
