#pragma once
// Plain values describing what the monitoring endpoints report. The broker fills them (on
// its workers or control thread) and hands them to the monitor, which renders them on its
// HTTP threads; nothing here points into a worker. Copyable, no thread affinity.
//
// Units follow nats-server's JSON: durations are absl::Duration (rendered as nanoseconds or
// Go duration strings where nats-server does), times are absl::Time, timeouts in seconds.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace ringnats::monitor {

// What nats-server's Sublist reports for /subsz and /accountz.
struct SublistStats {
  uint32_t num_subscriptions = 0;
  uint32_t num_cache = 0;
  uint64_t num_inserts = 0;
  uint64_t num_removes = 0;
  uint64_t num_matches = 0;
  double cache_hit_rate = 0;  // hits / matches, 0..1
  uint32_t max_fanout = 0;
  double avg_fanout = 0;
};

// One subscription: /subsz's list entries and /connz's subscriptions_list(_detail).
struct SubscriptionInfo {
  std::string account = "$G";
  std::string subject;
  std::string queue;  // empty: not a queue subscription
  std::string sid;
  int64_t msgs = 0;  // messages delivered to it
  int64_t max = 0;   // auto-unsubscribe limit (UNSUB sid max); 0 = none
  uint64_t cid = 0;
};

struct TlsPeerCert {
  std::string subject;
  std::string spki_sha256;
  std::string cert_sha256;
};

// One client connection, open or closed (closed ones have `stop` and `reason`).
struct ConnectionInfo {
  uint64_t cid = 0;
  std::string kind = "Client";
  std::string type = "nats";
  std::string ip;
  int port = 0;
  absl::Time start;
  absl::Time last_activity;
  std::optional<absl::Time> stop;  // set once closed
  // nats-server's closed-state text: "Client Closed", "Authentication Failure",
  // "Authentication Timeout", "Slow Consumer (Pending Bytes)", "Slow Consumer (Write
  // Deadline)", "Write Error", "Read Error", "Parse Error", "Stale Connection", "Protocol
  // Violation", "Maximum Connections Exceeded", "Maximum Message Payload Exceeded",
  // "Maximum Control Line Exceeded", "Maximum Subscriptions Exceeded", "Server Shutdown".
  std::string reason;
  absl::Duration rtt;  // 0 until measured (rendered "0s", as nats-server does)
  int64_t pending_bytes = 0;
  int64_t in_msgs = 0;
  int64_t out_msgs = 0;
  int64_t in_bytes = 0;
  int64_t out_bytes = 0;
  uint32_t num_subs = 0;  // "subscriptions": counted even when `subs` below is not filled
  std::string name;       // from CONNECT
  std::string lang;
  std::string version;
  std::string tls_version;
  std::string tls_cipher_suite;
  std::vector<TlsPeerCert> tls_peer_certs;
  // The CONNECT's user (nats-server: nkey, else user, else the JWT's key, else the token),
  // also for connections that failed authentication. Shown only with auth=1.
  std::string authorized_user;
  std::string account = "$G";
  std::string jwt;
  std::string issuer_key;
  std::string name_tag;
  std::vector<std::string> tags;
  std::string mqtt_client;
  // The connection's subscriptions; needed only when the query asks for subs (ConnzQuery).
  std::vector<SubscriptionInfo> subs;
};

// One route as /routez shows it.
struct RouteInfo {
  uint64_t rid = 0;
  std::string remote_id;
  bool did_solicit = false;
  bool is_configured = false;
  std::string ip;
  int port = 0;
  absl::Time start;
  absl::Time last_activity;
  absl::Duration rtt;
  int64_t pending_size = 0;
  int64_t in_msgs = 0;
  int64_t out_msgs = 0;
  int64_t in_bytes = 0;
  int64_t out_bytes = 0;
  int64_t subscriptions = 0;
  // The peer's interest, listed only when the query asks for subs.
  std::vector<SubscriptionInfo> subs;
};

struct RoutezData {
  std::vector<RouteInfo> routes;  // by rid
};

// Configured routes etc. as /varz's "cluster" object shows them; all omitted when empty.
struct ClusterVarz {
  std::string name;
  std::string addr;
  int cluster_port = 0;
  double auth_timeout = 0;
  std::vector<std::string> urls;
  double tls_timeout = 0;
  bool tls_required = false;
  bool tls_verify = false;
};

// A latency distribution: `counts[i]` observations in (upper_bounds[i-1], upper_bounds[i]],
// the last entry of `counts` (one more than bounds) beyond the last bound. Not cumulative.
struct HistogramSnapshot {
  std::vector<double> upper_bounds_seconds;
  std::vector<uint64_t> counts;
  uint64_t count = 0;
  double sum_seconds = 0;
};

struct WorkerStats {
  int64_t connections = 0;
  int64_t in_msgs = 0;
  int64_t out_msgs = 0;
  int64_t in_bytes = 0;
  int64_t out_bytes = 0;
};

// ringnats' additions, under "ringnats" in /varz and as ringnats_* in /metrics.
struct RingnatsStats {
  std::string version;  // ringnats' own version (not the nats compatibility version)
  // Authentication outcomes of client CONNECTs.
  uint64_t auth_successes = 0;
  uint64_t auth_failures = 0;
  uint64_t auth_timeouts = 0;
  // The auth pool (password hashing off the rings).
  int64_t auth_pool_threads = 0;
  int64_t auth_pool_queue_depth = 0;
  uint64_t auth_hashes = 0;          // hashes computed
  uint64_t auth_cache_hits = 0;      // verdicts served from the verified-credentials cache
  uint64_t auth_coalesced = 0;       // checks that joined an identical check in flight
  HistogramSnapshot auth_hash_time;  // one bcrypt (or other) hash
  HistogramSnapshot auth_wait_time;  // CONNECT received to verdict, per connection
  std::vector<WorkerStats> workers;  // index = worker number
  uint64_t slow_consumer_closes = 0;
  // Configuration reloads (SIGHUP / --signal reload).
  uint64_t reloads = 0;
  uint64_t reload_failures = 0;
  std::optional<absl::Time> last_reload;
  std::string last_reload_error;  // empty when the last reload succeeded
};

// Everything /varz shows, and what /accountz, /accstatz, /subsz's totals and /metrics take
// from it. Fields marked "monitor" are filled by the monitor itself before rendering.
struct ServerSnapshot {
  std::string server_id;
  std::string server_name;
  std::string version;  // the nats-server version ringnats answers as
  int proto = 1;
  std::string git_commit;  // omitted when empty
  std::string go;          // nats-server's Go version field; always present
  std::string host;
  int port = 0;
  bool auth_required = false;
  bool tls_required = false;
  bool tls_verify = false;
  std::string ip;
  std::vector<std::string> connect_urls;
  std::vector<std::string> ws_connect_urls;
  int64_t max_connections = 0;
  int64_t max_subscriptions = 0;  // omitted when 0
  absl::Duration ping_interval;
  int64_t ping_max = 0;
  std::string http_host;
  int http_port = 0;
  std::string http_base_path;
  int https_port = 0;
  double auth_timeout = 0;  // seconds
  int64_t max_control_line = 0;
  int64_t max_payload = 0;
  int64_t max_pending = 0;
  ClusterVarz cluster;
  double tls_timeout = 0;  // seconds
  absl::Duration write_deadline;
  absl::Time start;
  absl::Time now;      // monitor: the time the request is answered
  int64_t mem = 0;     // monitor: resident set, bytes
  int cores = 0;       // monitor when 0: hardware threads
  int gomaxprocs = 0;  // threads that run client work (ringnats: workers)
  double cpu = 0;      // monitor: percent of one core over the last second
  int64_t connections = 0;
  uint64_t total_connections = 0;
  int64_t routes = 0;
  int64_t remotes = 0;
  int64_t leafnodes = 0;
  int64_t in_msgs = 0;
  int64_t out_msgs = 0;
  int64_t in_bytes = 0;
  int64_t out_bytes = 0;
  int64_t slow_consumers = 0;
  uint32_t subscriptions = 0;
  std::map<std::string, uint64_t> http_req_stats;  // monitor
  absl::Time config_load_time;
  std::vector<std::string> tags;
  std::string system_account;  // omitted when empty (ringnats has none)
  // Accounts, for /accountz; the first one's details come from the fields above.
  std::vector<std::string> accounts = {"$G"};
  SublistStats sublist;
  RingnatsStats ringnats;
};

// /connz's query, as parsed from the URL. The data source gets it so it can skip work
// (subscription lists, a single cid); the renderer applies every filter again.
enum class ConnState { kOpen, kClosed, kAll };
enum class SubsOption { kNone, kList, kDetail };
enum class ConnzSort {
  kCid,
  kStart,
  kSubs,
  kPending,
  kMsgsTo,
  kMsgsFrom,
  kBytesTo,
  kBytesFrom,
  kLast,
  kIdle,
  kUptime,
  kStop,
  kReason,
};

struct ConnzQuery {
  ConnzSort sort = ConnzSort::kCid;
  bool auth = false;
  SubsOption subs = SubsOption::kNone;
  int64_t offset = 0;
  int64_t limit = 1024;
  uint64_t cid = 0;  // 0 = all
  ConnState state = ConnState::kOpen;
  std::string user;
  std::string account;
  std::string mqtt_client;
};

// What the data source answers a ConnzQuery with.
struct ConnzData {
  std::string server_id;
  // Open connections (state open/all) and the closed ones kept (state closed/all), in any
  // order. Subscription lists may be left empty unless the query asks for subs.
  std::vector<ConnectionInfo> connections;
  // nats-server's "total": open connections plus kept closed ones in the requested state,
  // before the cid/user filters. Negative: connections.size() (a source that did not
  // pre-filter).
  int64_t total = -1;
};

struct SubszQuery {
  bool subs = false;
  int64_t offset = 0;
  int64_t limit = 1024;
  std::string test;  // a publish subject: only subscriptions it would reach
  std::string account;
};

struct SubszData {
  std::string server_id;
  SublistStats stats;
  // Every subscription (of `account` when set); needed only when the query asks for subs.
  std::vector<SubscriptionInfo> subscriptions;
};

}  // namespace ringnats::monitor
