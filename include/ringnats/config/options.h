#pragma once
// Everything the server is told to do, from the command line and the config file. A plain
// value: built on the control thread, then copied (or shared as an immutable snapshot) into
// the workers.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ringnats/auth/auth_config.h"
#include "ringnats/config/cluster_options.h"
#include "ringnats/config/tls_options.h"

namespace ringnats::config {

struct ServerOptions {
  // Client listener.
  std::string host = "0.0.0.0";
  int port = 4222;          // -1: pick a random free port
  std::string server_name;  // empty: the server id
  std::string client_advertise;

  // Monitoring over HTTP (-m, http_port, http: host:port, ...). http_port 0: off; -1: a
  // random free port. An empty http_host means the client listener's host, as nats-server
  // does. https_port (-ms, `https: host:port`) serves the same over TLS with the clients'
  // `tls` block; nats-server refuses both ports at once, and https without TLS, at start.
  std::string http_host;
  int http_port = 0;
  int https_port = 0;
  std::string http_base_path;

  // The client listener's TLS: the top-level `tls { }` block, or the --tls* flags over it.
  TlsOptions tls;

  // The cluster listener and the routes to solicit (`cluster { ... }`, --cluster, --routes).
  ClusterOptions cluster;

  // Limits, with nats-server 2.9's defaults.
  int64_t max_payload = 1024 * 1024;
  int64_t max_pending = 64 * 1024 * 1024;
  int64_t max_control_line = 4096;
  int max_connections = 64 * 1024;
  int max_subscriptions = 0;  // 0: unlimited
  absl::Duration ping_interval = absl::Minutes(2);
  int ping_max = 2;
  absl::Duration write_deadline = absl::Seconds(10);
  bool no_header_support = false;

  // Client authorization: the `authorization` block (and no_auth_user) of the config file.
  auth::AuthConfig authorization;
  // The authorization block named a non-zero timeout. Without one the timeout is
  // nats-server's default, 2 s, or the TLS timeout plus 1 s with TLS (see ResolveAuth).
  bool authorization_timeout_given = false;
  // --user/--pass/--auth from the command line; they override the file (see ResolveAuth).
  std::string cli_user;
  std::string cli_pass;
  std::string cli_token;

  // The bcrypt pool and its verified-credential cache (ringnats' own options).
  int auth_threads = 0;  // 0: sized to the machine
  bool auth_cache_enabled = true;
  absl::Duration auth_cache_ttl = absl::Minutes(2);
  int64_t auth_cache_max_entries = 100'000;

  // Lame duck mode (SIGUSR2): stop accepting, wait the grace period, then close the clients
  // spread over the rest of the duration.
  absl::Duration lame_duck_duration = absl::Minutes(2);
  absl::Duration lame_duck_grace_period = absl::Seconds(10);

  // Logging.
  bool debug = false;
  bool trace = false;
  bool logtime = true;
  std::string log_file;

  // Files.
  std::string pid_file;
  std::string ports_file_dir;
  std::string config_file;

  // ringnats' own.
  int workers = 0;  // 0: one per online CPU
  // Pin worker i to cpu_affinity[i % size] (cpu_affinity: [0, 1, ...]); `cpu_affinity: true`
  // pins worker i to CPU i. Empty: no pinning.
  std::vector<int> cpu_affinity;

  // Actions instead of serving.
  bool show_help = false;
  bool show_tls_help = false;  // --help_tls
  bool show_version = false;
  bool check_config = false;   // -t
  std::string signal_command;  // -sl/--signal: "reload", "ldm=<pid>", ...
};

// The monitoring listener's host: nats-server's default is the client listener's host.
inline std::string MonitorHost(const ServerOptions& options) {
  return options.http_host.empty() ? options.host : options.http_host;
}

// The authorization in force: --auth beats --user/--pass (as in nats-server), either beats
// the config file. Its timeout defaults to the TLS timeout + 1 s when clients use TLS.
auth::AuthConfig ResolveAuth(const ServerOptions& options);

}  // namespace ringnats::config
