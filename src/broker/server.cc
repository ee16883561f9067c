#include "ringnats/broker/server.h"

#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "ringnats/auth/secrets.h"
#include "ringnats/broker/info.h"
#include "ringnats/broker/monitoring.h"
#include "ringnats/broker/shared_state.h"
#include "ringnats/broker/worker.h"
#include "ringnats/monitor/go_format.h"
#include "ringnats/monitor/http_server.h"
#include "ringnats/ring/backoff.h"
#include "ringnats/ring/event_loop.h"
#include "ringnats/ring/listener.h"
#include "ringnats/util/log.h"
#include "ringnats/util/thread_name.h"

namespace ringnats::broker {
namespace {

constexpr int kListenBacklog = 4096;

int ResolveWorkerCount(int requested) {
  if (requested > 0) return requested;
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<int>(online) : 1;
}

absl::Status WriteFile(const std::string& path, std::string_view contents) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    return absl::InternalError(absl::StrFormat("can not write %s: %s", path, strerror(errno)));
  }
  const bool ok = std::fwrite(contents.data(), 1, contents.size(), file) == contents.size();
  if (std::fclose(file) != 0 || !ok) {
    return absl::InternalError(absl::StrFormat("can not write %s", path));
  }
  return absl::OkStatus();
}

// <program>_<pid>.ports, as nats-server names it after its executable: "ringnats_<pid>", or
// "nats-server_<pid>" when installed under that name.
std::string PortsFilePath(const config::ServerOptions& options) {
  return absl::StrFormat("%s/%s_%d.ports", options.ports_file_dir, program_invocation_short_name,
                         getpid());
}

// A host for client URLs: a wildcard listen address is reached through loopback locally.
std::string AdvertisedHost(const std::string& host) {
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "[::1]";
  return host;
}

// Fails only when a TLS certificate, key or CA file cannot be used.
absl::StatusOr<RuntimeConfigPtr> BuildRuntimeConfig(const config::ServerOptions& options,
                                                    const SharedState& shared) {
  absl::StatusOr<config::TlsContexts> tls = config::BuildTlsContexts(options);
  if (!tls.ok()) return tls.status();
  auto runtime = std::make_shared<RuntimeConfig>();
  runtime->options = options;
  runtime->tls = *std::move(tls);
  runtime->auth = std::make_shared<const auth::AuthConfig>(config::ResolveAuth(options));
  runtime->info_prefix =
      BuildInfoPrefix(options, InfoFacts{.server_id = shared.server_id,
                                         .port = shared.port,
                                         .auth_required = runtime->auth->auth_required(),
                                         .tls_required = options.tls.enabled,
                                         .tls_verify = options.tls.enabled && options.tls.verify});
  auto route_auth = std::make_shared<auth::AuthConfig>();
  if (!options.cluster.user.empty() || !options.cluster.password.empty()) {
    route_auth->mode = auth::AuthConfig::Mode::kSingleUser;
    route_auth->single_user.name = options.cluster.user;
    route_auth->single_user.password = options.cluster.password;
  }
  if (options.cluster.tls.enabled) {
    // The certificate takes the password's place (nats-server's isRouterAuthorized).
    auth::RouteCertificateRule& rule = route_auth->route_certificate;
    rule.map_user = options.cluster.tls.verify_and_map;
    rule.check_known_urls = options.cluster.tls.verify_cert_and_check_known_urls;
    rule.user = options.cluster.user;
    for (const config::RouteUrl& url : options.cluster.routes) rule.known_hosts.push_back(url.host);
    if (rule.enabled()) {
      route_auth->mode = auth::AuthConfig::Mode::kRouteCertificate;
      route_auth->single_user.name = options.cluster.user;
    }
  }
  route_auth->timeout = options.cluster.auth_timeout;
  runtime->route_auth = std::move(route_auth);
  if (options.cluster.permissions.has_value()) {
    if (!options.cluster.permissions->imports.empty()) {
      runtime->route_imports.emplace().subscribe = options.cluster.permissions->imports;
    }
    if (!options.cluster.permissions->exports.empty()) {
      runtime->route_exports.emplace().subscribe = options.cluster.permissions->exports;
    }
  }
  route::LocalRouteFacts& facts = runtime->route_facts;
  facts.server_id = shared.server_id;
  facts.server_name = options.server_name.empty() ? shared.server_id : options.server_name;
  facts.host = options.cluster.host.empty() ? "0.0.0.0" : options.cluster.host;
  facts.port = shared.cluster != nullptr ? shared.cluster->port : 0;
  if (!options.cluster.advertise.empty()) {
    const std::string& advertise = options.cluster.advertise;
    const size_t colon = advertise.rfind(':');
    int port = 0;
    if (colon != std::string::npos && absl::SimpleAtoi(advertise.substr(colon + 1), &port)) {
      facts.host = advertise.substr(0, colon);
      facts.port = port;
    } else {
      facts.host = advertise;
    }
  }
  // nats-server: whether a cluster user is configured (a certificate may stand in for it).
  facts.auth_required = !options.cluster.user.empty();
  facts.tls_required = options.cluster.tls.enabled;
  facts.max_payload = options.max_payload;
  facts.headers = !options.no_header_support;
  if (!options.cluster.no_advertise) {
    facts.connect_urls.push_back(
        options.client_advertise.empty()
            ? absl::StrFormat("%s:%d", AdvertisedHost(options.host), shared.port)
            : options.client_advertise);
  }
  return runtime;
}

// A route URL's host and port as a socket address. On the control thread: name resolution
// blocks.
bool ResolveRouteAddress(const config::RouteUrl& url, sockaddr_storage* address) {
  if (url.port <= 0 || url.port > 65535) return false;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string host = url.host.empty() ? "127.0.0.1" : url.host;
  if (getaddrinfo(host.c_str(), std::to_string(url.port).c_str(), &hints, &found) != 0) {
    return false;
  }
  bool ok = false;
  for (addrinfo* at = found; at != nullptr; at = at->ai_next) {
    if (at->ai_addrlen <= sizeof *address) {
      std::memcpy(address, at->ai_addr, at->ai_addrlen);
      ok = true;
      break;
    }
  }
  freeaddrinfo(found);
  return ok;
}

bool HasPlaintextPasswords(const auth::AuthConfig& config) {
  if (config.mode == auth::AuthConfig::Mode::kSingleUser) {
    return !auth::IsBcryptHash(config.single_user.password);
  }
  for (const auto& [name, user] : config.users) {
    // A user named by its certificate needs no password (nats-server does not warn).
    if (config.tls_map && user.password.empty()) continue;
    if (!auth::IsBcryptHash(user.password)) return true;
  }
  return false;
}

// What nats-server refuses to change without a restart, named as it names them.
std::string NotReloadable(const config::ServerOptions& old_options,
                          const config::ServerOptions& new_options) {
  // Values shown as nats-server shows them (Go's %v).
  auto text = [](const auto& value) -> std::string {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, bool>) {
      return value ? "true" : "false";
    } else if constexpr (std::is_arithmetic_v<T>) {
      return std::to_string(value);
    } else {
      return std::string(value);
    }
  };
  auto differs = [&text](std::string_view name, const auto& a, const auto& b) -> std::string {
    if (a == b) return "";
    return absl::StrFormat("config reload not supported for %s: old=%s, new=%s", name, text(a),
                           text(b));
  };
  for (std::string error : {
           differs("Host", old_options.host, new_options.host),
           differs("Port", old_options.port, new_options.port),
           differs("ServerName", old_options.server_name, new_options.server_name),
           // The monitor's host compares as resolved (empty means the client host), its port
           // as configured (-1 stays -1), as nats-server compares them.
           differs("HTTPHost", config::MonitorHost(old_options),
                   config::MonitorHost(new_options)),
           differs("HTTPPort", old_options.http_port, new_options.http_port),
           differs("HTTPBasePath", old_options.http_base_path, new_options.http_base_path),
           differs("HTTPSPort", old_options.https_port, new_options.https_port),
           differs("cluster host", old_options.cluster.enabled() ? old_options.cluster.host : "",
                   new_options.cluster.enabled() ? new_options.cluster.host : ""),
           differs("cluster port", old_options.cluster.port, new_options.cluster.port),
           differs("NoAuthUser", old_options.authorization.no_auth_user,
                   new_options.authorization.no_auth_user),
           differs("NoHeaderSupport", old_options.no_header_support, new_options.no_header_support),
           differs("PortsFileDir", old_options.ports_file_dir, new_options.ports_file_dir),
           differs("workers", old_options.workers, new_options.workers),
           differs("cpu_affinity", absl::StrJoin(old_options.cpu_affinity, ","),
                   absl::StrJoin(new_options.cpu_affinity, ",")),
           differs("auth_threads", old_options.auth_threads, new_options.auth_threads),
           differs("auth_cache.enabled", old_options.auth_cache_enabled,
                   new_options.auth_cache_enabled),
           differs("auth_cache.ttl", absl::FormatDuration(old_options.auth_cache_ttl),
                   absl::FormatDuration(new_options.auth_cache_ttl)),
           differs("auth_cache.max_entries", old_options.auth_cache_max_entries,
                   new_options.auth_cache_max_entries),
       }) {
    if (!error.empty()) return error;
  }
  return "";
}

void WakeAll(const SharedState& shared) {
  for (ring::EventLoop* loop : shared.loops) {
    if (loop != nullptr) loop->WakeFromForeignThread();
  }
}

// Configured routes whose host did not resolve: the control thread tries again, with the
// same backoff as a failed dial, and hands each one that resolves to its worker. A ring
// never resolves a name (it blocks). Control thread only.
class RouteResolver {
 public:
  void Add(config::RouteUrl url, uint32_t worker) {
    pending_.push_back(Pending{std::move(url), worker, 0, ring::Backoff(1'000'000'000, 30'000'000'000)});
    pending_.back().next_ns = ring::MonotonicNowNs() + pending_.back().backoff.NextDelayNs(random_);
  }
  void Remove(const config::RouteUrl& url) {
    std::erase_if(pending_, [&](const Pending& p) { return p.url == url; });
  }
  // Timed work of the control loop.
  void Run(SharedState& shared) {
    const int64_t now = ring::MonotonicNowNs();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (now < it->next_ns) {
        ++it;
        continue;
      }
      ClusterShared::Target target;
      target.url = it->url;
      if (!ResolveRouteAddress(it->url, &target.address)) {
        it->next_ns = now + it->backoff.NextDelayNs(random_);
        ++it;
        continue;
      }
      target.resolved = true;
      log::Info("Resolved route %s", it->url.Redacted());
      shared.PostToWorker(
          it->worker, [target](Worker& worker) { worker.routes().AddConfigured(target); },
          nullptr);
      it = pending_.erase(it);
    }
  }

 private:
  struct Pending {
    config::RouteUrl url;
    uint32_t worker;
    int64_t next_ns;
    ring::Backoff backoff;
  };
  std::vector<Pending> pending_;
  absl::InsecureBitGen random_;
};

// Routes added to or removed from `cluster { routes }` by a reload: each added one is
// resolved here and handed to a worker to dial; a removed one is closed by its worker and
// not dialled again. Other cluster changes (credentials, permissions) apply to routes as
// they connect.
void ReloadRoutes(SharedState& shared, const config::ClusterOptions& before,
                  const config::ClusterOptions& after, RouteResolver& resolver) {
  auto contains = [](const std::vector<config::RouteUrl>& urls, const config::RouteUrl& url) {
    return std::find(urls.begin(), urls.end(), url) != urls.end();
  };
  bool changed = false;
  const size_t workers = shared.workers.size();
  for (const config::RouteUrl& url : before.routes) {
    if (contains(after.routes, url)) continue;
    changed = true;
    log::Info("Removed route %s", url.Redacted());
    resolver.Remove(url);
    for (uint32_t i = 0; i < workers; ++i) {
      shared.PostToWorker(
          i, [url](Worker& worker) { worker.routes().RemoveConfigured(url); }, nullptr);
    }
  }
  for (size_t i = 0; i < after.routes.size(); ++i) {
    const config::RouteUrl& url = after.routes[i];
    if (contains(before.routes, url)) continue;
    changed = true;
    ClusterShared::Target target;
    target.url = url;
    target.resolved = ResolveRouteAddress(url, &target.address);
    if (!target.resolved) {
      log::Error("Error trying to connect to route: could not resolve %s", url.Redacted());
      resolver.Add(url, static_cast<uint32_t>(i % workers));
      continue;
    }
    shared.PostToWorker(
        static_cast<uint32_t>(i % workers),
        [target](Worker& worker) { worker.routes().AddConfigured(target); }, nullptr);
  }
  if (changed) log::Info("Reloaded: cluster routes");
}

// A `cluster` block changed apart from its routes: a new configured name replaces the one in
// use (configured, generated or adopted from a peer) for routes that connect from now on and
// for clients' INFO; routes already up keep going. Other changes apply as routes connect or,
// for credentials, when each worker checks its accepted routes again. nats-server's notices.
void ReloadClusterName(SharedState& shared, const config::ClusterOptions& before,
                       const config::ClusterOptions& after) {
  if (!after.name.empty() && shared.cluster->registry.Rename(after.name)) {
    log::Info("Cluster name updated to %s", after.name);
  }
  // Host and port cannot change on a reload (refused before this); routes are reported apart.
  config::ClusterOptions before_block = before;
  config::ClusterOptions after_block = after;
  before_block.routes.clear();
  after_block.routes.clear();
  const bool same_block = before_block == after_block;
  if (!same_block) log::Info("Reloaded: cluster");
}

// nats-server reports a reloaded `tls` block when its certificate changed, also when the
// block's text did not.
bool TlsCertificateChanged(const RuntimeConfig& before, const RuntimeConfig& after) {
  const auto& old_context = before.tls.clients;
  const auto& new_context = after.tls.clients;
  if (old_context == nullptr || new_context == nullptr) return false;
  return old_context->CertificateDigest() != new_context->CertificateDigest();
}

// nats-server's notices for a reloaded client `tls` block: the TLS configuration itself, the
// handshake timeout and the pinned certificates are reported apart.
void LogTlsReload(const config::TlsOptions& before, const config::TlsOptions& after,
                  bool certificate_changed) {
  config::TlsOptions before_config = before;
  config::TlsOptions after_config = after;
  for (config::TlsOptions* o : {&before_config, &after_config}) {
    o->timeout = absl::ZeroDuration();
    o->pinned_certs.clear();
    o->connection_rate_limit = 0;
  }
  if (before_config != after_config || certificate_changed) {
    log::Info("Reloaded: tls = %s", after.enabled ? "enabled" : "disabled");
  }
  if (before.timeout != after.timeout) {
    log::Info("Reloaded: tls timeout = %s",
              monitor::GoJsonFloat(absl::ToDoubleSeconds(after.timeout)));
  }
  if (before.pinned_certs != after.pinned_certs) {
    log::Info("Reloaded: %d pinned_certs", after.pinned_certs.size());
  }
}

// SIGHUP: parse and check the new configuration here, on the control thread; if it is good,
// hand it to every worker as one immutable snapshot.
void Reload(SharedState& shared, const ReloadOptions& reload_options, RouteResolver& resolver) {
  const RuntimeConfigPtr current = shared.config.Load();
  if (current->options.config_file.empty() || !reload_options) {
    log::Error(
        "Failed to reload server configuration: can only reload config when a file is "
        "provided using -c or --config");
    return;
  }
  absl::StatusOr<config::ServerOptions> next = reload_options();
  if (!next.ok()) {
    log::Error("Failed to reload server configuration: %s", next.status().message());
    shared.monitor.RecordReload(next.status());
    return;
  }
  if (std::string refused = NotReloadable(current->options, *next); !refused.empty()) {
    log::Error("Failed to reload server configuration: %s", refused);
    shared.monitor.RecordReload(absl::FailedPreconditionError(refused));
    return;
  }
  // Parsing checked the TLS files, but they may have changed since: nothing of the new
  // configuration is applied until this last step that can fail has passed.
  absl::StatusOr<RuntimeConfigPtr> runtime = BuildRuntimeConfig(*next, shared);
  if (!runtime.ok()) {
    log::Error("Failed to reload server configuration: %s", runtime.status().message());
    shared.monitor.RecordReload(runtime.status());
    return;
  }
  log::Configure(log::Settings{next->debug, next->trace, next->logtime});
  if (next->log_file != current->options.log_file) {
    if (absl::Status st = log::UseLogFile(next->log_file); !st.ok()) log::Error("%s", st.message());
  }
  // Verdicts cached under the old users and passwords must not outlive them.
  shared.auth_pool->ClearCache();
  LogTlsReload(current->options.tls, next->tls, TlsCertificateChanged(*current, **runtime));
  // As nats-server: a new pid_file is written (the old one stays), and it is the one removed
  // at exit.
  if (next->pid_file != current->options.pid_file && !next->pid_file.empty()) {
    if (absl::Status st = WriteFile(next->pid_file, std::to_string(getpid())); !st.ok()) {
      log::Error("Failed to write pidfile: %s", st.message());
    }
    log::Info("Reloaded: pid_file = %s", next->pid_file);
  }
  // As nats-server: clients beyond a lowered max_connections are closed (any of them).
  // Those already closing do not count: they are on their way out.
  const int64_t over_limit =
      next->max_connections > 0
          ? shared.clients_not_closing.load(std::memory_order_relaxed) - next->max_connections
          : 0;
  shared.clients_to_shed.store(std::max<int64_t>(over_limit, 0), std::memory_order_relaxed);
  shared.config.Publish(*std::move(runtime));
  if (shared.cluster != nullptr) {
    ReloadClusterName(shared, current->options.cluster, next->cluster);
    ReloadRoutes(shared, current->options.cluster, next->cluster, resolver);
  }
  WakeAll(shared);
  shared.monitor.RecordReload(absl::OkStatus());
  log::Info("Reloaded server configuration");
}

// Waits up to `limit` for every client to be gone. False if SIGINT cut it short. SIGTERM is
// ignored meanwhile, as nats-server ignores it in lame duck mode.
bool WaitForClientsToLeave(const SharedState& shared, const sigset_t& signals,
                           absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (shared.connections.load(std::memory_order_relaxed) == 0) return true;
    const timespec poll{0, 100'000'000};
    if (sigtimedwait(&signals, nullptr, &poll) == SIGINT) return false;
  }
  return true;
}

// SIGUSR2: stop accepting, let clients know, wait the grace period, then close the clients
// spread over the rest of lame_duck_duration; SIGINT ends it early.
void RunLameDuck(SharedState& shared, const sigset_t& signals) {
  const config::ServerOptions& options = shared.config.Load()->options;
  log::Info("Entering lame duck mode, stop accepting new clients");
  shared.lame_duck.store(true, std::memory_order_release);
  WakeAll(shared);
  if (!WaitForClientsToLeave(shared, signals, options.lame_duck_grace_period)) return;
  if (shared.connections.load(std::memory_order_relaxed) == 0) return;
  const absl::Duration closing = options.lame_duck_duration - options.lame_duck_grace_period;
  const int64_t start = ring::MonotonicNowNs();
  shared.lame_duck_close_end_ns.store(start + absl::ToInt64Nanoseconds(closing),
                                      std::memory_order_release);
  shared.lame_duck_close_start_ns.store(start, std::memory_order_release);
  log::Info("Closing existing clients");
  WaitForClientsToLeave(shared, signals, closing + absl::Seconds(5));
}

}  // namespace

absl::StatusOr<int> RunServer(const config::ServerOptions& options,
                              const ReloadOptions& reload_options) {
  // Signals are taken synchronously by this thread. Block them before any other thread
  // exists (workers, auth pool) so every thread inherits the mask and none can be killed by
  // a signal meant for the control thread.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&signals, sig);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const int worker_count = ResolveWorkerCount(options.workers);

  // Every worker gets its own SO_REUSEPORT listener on the same address; the first one
  // resolves a random port (-1) for the rest.
  std::vector<int> listen_fds;
  int port = options.port < 0 ? 0 : options.port;
  if (absl::StatusOr<int> free_port = ring::ReservePortExclusively(options.host, port);
      free_port.ok()) {
    port = *free_port;
  } else {
    log::Fatal("Error listening on port: %s:%d, \"%s\"", options.host, port,
               free_port.status().message());
    return 1;
  }
  for (int i = 0; i < worker_count; ++i) {
    absl::StatusOr<ring::BoundListener> listener =
        ring::ListenReusePort(options.host, port, kListenBacklog);
    if (!listener.ok()) {
      for (int fd : listen_fds) ::close(fd);
      return listener.status();
    }
    port = listener->port;
    listen_fds.push_back(listener->fd);
  }

  // The cluster listener: one SO_REUSEPORT socket per worker, like the client port, so
  // accepted routes spread over the workers.
  std::vector<int> cluster_fds;
  int cluster_port = 0;
  const bool cluster_enabled = options.cluster.enabled() || !options.cluster.routes.empty();
  if (options.cluster.enabled()) {
    const std::string cluster_host = options.cluster.host.empty() ? "0.0.0.0" : options.cluster.host;
    cluster_port = options.cluster.port < 0 ? 0 : options.cluster.port;
    absl::StatusOr<int> reserved = ring::ReservePortExclusively(cluster_host, cluster_port);
    if (!reserved.ok()) {
      log::Fatal("Error listening on router: %s:%d, \"%s\"", cluster_host, cluster_port,
                 reserved.status().message());
      for (int fd : listen_fds) ::close(fd);
      return 1;
    }
    cluster_port = *reserved;
    for (int i = 0; i < worker_count; ++i) {
      absl::StatusOr<ring::BoundListener> listener =
          ring::ListenReusePort(cluster_host, cluster_port, kListenBacklog);
      if (!listener.ok()) {
        for (int fd : listen_fds) ::close(fd);
        for (int fd : cluster_fds) ::close(fd);
        return listener.status();
      }
      cluster_port = listener->port;
      cluster_fds.push_back(listener->fd);
    }
  }

  SharedState shared(worker_count);
  shared.port = port;
  RouteResolver route_resolver;  // control thread only
  if (cluster_enabled) {
    const bool dynamic = options.cluster.name.empty();
    shared.cluster = std::make_unique<ClusterShared>(
        dynamic ? NewServerId().substr(0, 22) : options.cluster.name, dynamic);
    shared.cluster->port = cluster_port;
    for (const config::RouteUrl& url : options.cluster.routes) {
      ClusterShared::Target target;
      target.url = url;
      target.resolved = ResolveRouteAddress(url, &target.address);
      if (!target.resolved) {
        log::Error("Error trying to connect to route: could not resolve %s", url.Redacted());
        route_resolver.Add(url, static_cast<uint32_t>(shared.cluster->configured.size() %
                                                      static_cast<size_t>(worker_count)));
      }
      shared.cluster->configured.push_back(std::move(target));
    }
  }
  absl::StatusOr<RuntimeConfigPtr> runtime = BuildRuntimeConfig(options, shared);
  if (!runtime.ok()) return runtime.status();
  shared.config.Publish(*std::move(runtime));
  // The pool exists even without auth, so a reload can turn auth on.
  auth::AuthPoolSettings pool;
  pool.threads = options.auth_threads > 0 ? options.auth_threads : ResolveWorkerCount(0);
  pool.cache_enabled = options.auth_cache_enabled;
  pool.cache_ttl = options.auth_cache_ttl;
  pool.cache_max_entries = static_cast<size_t>(options.auth_cache_max_entries);
  pool.observe_hash_time = [&shared](absl::Duration took) { shared.monitor.hash_time.Record(took); };
  shared.auth_pool = std::make_unique<auth::AuthPool>(
      pool, worker_count,
      [&shared](uint32_t worker) { shared.loops[worker]->WakeFromForeignThread(); });
  shared.handshake_pool = std::make_unique<tls::HandshakePool>(ResolveWorkerCount(0));
  if (options.tls.enabled && options.tls.connection_rate_limit > 0) {
    shared.tls_rate_limiter =
        std::make_unique<ConnectionRateLimiter>(options.tls.connection_rate_limit);
  }

  std::latch loops_created(worker_count);
  std::latch start(1);
  absl::Mutex errors_mu;
  std::vector<std::string> errors;  // guarded by errors_mu
  std::vector<std::unique_ptr<ring::EventLoop>> loops(worker_count);
  std::vector<std::thread> threads;
  for (int i = 0; i < worker_count; ++i) {
    threads.emplace_back([&, i] {
      util::NameThisThread(absl::StrFormat("ring-%d", i));
      if (!options.cpu_affinity.empty()) {
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        CPU_SET(options.cpu_affinity[i % options.cpu_affinity.size()], &cpus);
        if (pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus) != 0) {
          log::Warn("worker %d: could not pin to CPU %d", i,
                    options.cpu_affinity[i % options.cpu_affinity.size()]);
        }
      }
      // The ring must be created by the thread that submits to it (SINGLE_ISSUER).
      ring::LoopSettings settings;
      settings.listen_fd = listen_fds[i];
      settings.handshake_pool = shared.handshake_pool.get();
      absl::StatusOr<std::unique_ptr<ring::EventLoop>> loop = ring::EventLoop::Create(settings);
      if (loop.ok() && !cluster_fds.empty()) {
        if (absl::Status added = (*loop)->AddListener(cluster_fds[i], kClusterListenerId);
            !added.ok()) {
          ::close(cluster_fds[i]);
          loop = added;
        }
      } else if (!loop.ok() && !cluster_fds.empty()) {
        ::close(cluster_fds[i]);
      }
      std::unique_ptr<Worker> worker;
      if (loop.ok()) {
        loops[i] = *std::move(loop);
        shared.loops[i] = loops[i].get();
        worker = std::make_unique<Worker>(static_cast<uint32_t>(i), shared, *loops[i]);
        shared.workers[i] = worker.get();
      } else {
        // The listener went with the failed loop (Create closes it, the loop's destructor
        // after a failed AddListener).
        absl::MutexLock lock(&errors_mu);
        errors.emplace_back(loop.status().message());
      }
      // The latch orders every worker's registration before any worker runs.
      loops_created.count_down();
      start.wait();
      if (worker == nullptr) return;
      loops[i]->Run(*worker);
    });
  }
  loops_created.wait();
  auto stop_all = [&] {
    for (auto& loop : loops) {
      if (loop != nullptr) loop->RequestStop();
    }
    start.count_down();
    for (std::thread& thread : threads) thread.join();
  };
  std::string first_error;
  {
    absl::MutexLock lock(&errors_mu);
    if (!errors.empty()) first_error = errors.front();
  }
  if (!first_error.empty()) {
    stop_all();
    return absl::UnavailableError(first_error);
  }

  log::Info("Starting ringnats");
  log::Info("  Version:  %s (nats-server %s protocol)", RINGNATS_VERSION,
            RINGNATS_NATS_COMPAT_VERSION);
  log::Info("  Name:     %s", options.server_name.empty() ? shared.server_id : options.server_name);
  log::Info("  ID:       %s", shared.server_id);
  log::Info("  Workers:  %d io_uring rings", worker_count);
  if (HasPlaintextPasswords(*shared.config.Load()->auth)) {
    log::Warn("Plaintext passwords detected, use nkeys or bcrypt");
  }
  if (!options.config_file.empty()) {
    log::Info("Using configuration file: %s", options.config_file);
  }
  if (!options.pid_file.empty()) {
    if (absl::Status st = WriteFile(options.pid_file, std::to_string(getpid())); !st.ok()) {
      log::Error("%s", st.message());
    }
  }
  // Monitoring starts before clients are served, as in nats-server; its requests wait in the
  // workers' mailboxes until the workers run.
  std::unique_ptr<monitor::MonitorServer> monitor_server;
  std::string monitoring_url;
  // http_port and https_port together are refused before this (ValidateForStart).
  if (options.http_port != 0 || options.https_port != 0) {
    const bool https = options.http_port == 0;
    const int configured_port = https ? options.https_port : options.http_port;
    monitor::MonitorServerOptions http;
    http.host = config::MonitorHost(options);
    http.port = configured_port < 0 ? 0 : configured_port;
    http.base_path = options.http_base_path;
    http.server_id = shared.server_id;
    if (https) {
      // The top-level `tls` block's context without client certificates (BuildTlsContexts),
      // taken from the current configuration at each connection, so a reloaded certificate
      // is served, as nats-server does.
      http.tls_context = [&shared] { return shared.config.Load()->tls.monitoring; };
    }
    monitor_server = std::make_unique<monitor::MonitorServer>(
        std::move(http),
        MonitorDataSource(shared, MonitorSourceSettings{.auth_threads = pool.threads}));
    if (absl::Status started = monitor_server->Start(); !started.ok()) {
      log::Fatal("Can't start monitoring: %s", started.message());
      stop_all();
      return 1;
    }
    const std::string http_host = config::MonitorHost(options);
    const char* scheme = https ? "https" : "http";
    log::Info("Starting %s monitor on %s:%d", scheme, http_host, monitor_server->port());
    monitoring_url = absl::StrFormat(",\"monitoring\":[\"%s://%s:%d\"]", scheme,
                                     AdvertisedHost(http_host), monitor_server->port());
  }
  log::Info("Listening for client connections on %s:%d", options.host, port);
  if (options.tls.enabled) log::Info("TLS required for client connections");
  std::string cluster_url;
  if (shared.cluster != nullptr) {
    log::Info("Cluster name is %s", shared.cluster->registry.cluster_name());
    if (options.cluster.name.empty()) {
      log::Warn("Cluster name was dynamically generated, consider setting one");
    }
    if (options.cluster.enabled()) {
      const std::string cluster_host =
          options.cluster.host.empty() ? "0.0.0.0" : options.cluster.host;
      log::Info("Listening for route connections on %s:%d", cluster_host, cluster_port);
      // nats-server names TLS listeners tls:// in the ports file.
      cluster_url = absl::StrFormat(",\"cluster\":[\"%s://%s:%d\"]",
                                    options.cluster.tls.enabled ? "tls" : "nats",
                                    AdvertisedHost(cluster_host), cluster_port);
    }
  }
  if (!options.ports_file_dir.empty()) {
    const std::string ports =
        absl::StrFormat("{\"nats\":[\"%s://%s:%d\"]%s%s}", options.tls.enabled ? "tls" : "nats",
                        AdvertisedHost(options.host), port, monitoring_url, cluster_url);
    if (absl::Status st = WriteFile(PortsFilePath(options), ports); !st.ok()) {
      log::Error("%s", st.message());
    }
  }
  log::Info("Server is ready");
  start.count_down();

  // The control loop: signals, and once a second its timed work (route names to resolve).
  int exit_code = 0;
  const timespec tick{1, 0};
  while (true) {
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig < 0) {
      if (shared.cluster != nullptr) route_resolver.Run(shared);
      if (shared.tls_rate_limiter != nullptr) {
        if (const uint64_t blocked = shared.tls_rate_limiter->TakeBlocked(); blocked > 0) {
          log::Warn("Rejected %d connections due to TLS rate limiting", blocked);
        }
      }
      continue;
    }
    if (sig == SIGINT || sig == SIGTERM) {
      log::Info("Trapped \"%s\" signal", sig == SIGINT ? "interrupt" : "terminated");
      exit_code = sig == SIGTERM ? 1 : 0;
      break;
    }
    if (sig == SIGHUP) {
      Reload(shared, reload_options, route_resolver);
    } else if (sig == SIGUSR2) {
      RunLameDuck(shared, signals);  // SIGINT may cut it short; either way the exit is clean
      exit_code = 0;
      break;
    } else if (sig == SIGUSR1) {
      const RuntimeConfigPtr current = shared.config.Load();
      if (absl::Status st = log::UseLogFile(current->options.log_file); !st.ok()) {
        log::Error("%s", st.message());
      } else {
        log::Info("File log re-opened");
      }
    } else {
      log::Warn("Signal %s is not handled yet", strsignal(sig));
    }
  }
  log::Info("Initiating Shutdown...");
  // The monitor's requests wait for the workers: it stops first, while they still answer.
  if (monitor_server != nullptr) monitor_server->Stop();
  for (auto& loop : loops) loop->RequestStop();
  for (std::thread& thread : threads) thread.join();
  shared.auth_pool.reset();  // joins its threads before the loops they wake go away
  shared.handshake_pool.reset();  // likewise, and its jobs post to the loops
  if (!options.ports_file_dir.empty()) ::unlink(PortsFilePath(options).c_str());
  if (const std::string pid_file = shared.config.Load()->options.pid_file; !pid_file.empty()) {
    ::unlink(pid_file.c_str());  // the latest reload's
  }
  log::Info("Server Exiting..");
  return exit_code;
}

}  // namespace ringnats::broker
