#pragma once
// The monitoring endpoints as one request -> response function: nats-server 2.9.10's paths
// (under http_base_path), query parameters, status codes, content types, JSONP and error
// bodies, plus ringnats' /metrics and its status page at the base path. No sockets here
// (MonitorServer carries requests to it).
//
// Thread-safe: Handle may run on several HTTP threads at once. It calls the DataSource on the
// calling thread, so the source must be callable from any thread, concurrently, and should
// bound its own waiting (a slow source delays only the request that called it).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ringnats/monitor/process_usage.h"
#include "ringnats/monitor/query.h"
#include "ringnats/monitor/snapshot.h"

namespace ringnats::monitor {

// What the broker provides. An error status from any of them answers the request with
// HTTP 503 and the status message (nats-server has no such case).
struct DataSource {
  // /varz, /accountz, /accstatz, /metrics. The monitor fills `now`, `mem`, `cpu`,
  // `http_req_stats` and (when 0) `cores` itself.
  std::function<absl::StatusOr<ServerSnapshot>()> server;
  // /connz, and /metrics' gnatsd_connz_* sums (state open, no subscriptions).
  std::function<absl::StatusOr<ConnzData>(const ConnzQuery&)> connections;
  // /subsz and /subscriptionsz.
  std::function<absl::StatusOr<SubszData>(const SubszQuery&)> subscriptions;
  // Optional, /routez: this server's routes. Unset: none.
  std::function<absl::StatusOr<RoutezData>(SubsOption)> routes;
  // Optional, /healthz: an error answers 503 {"status":"error","error":"<message>"} (as
  // nats-server does before it is ready for connections). Unset: always ok.
  std::function<absl::Status()> health;
};

struct EndpointsOptions {
  std::string server_id;
  std::string base_path;  // http_base_path as configured; "" serves from "/"
  absl::TimeZone local_zone = absl::LocalTimeZone();
};

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // URL-decoded, without the query
  QueryParams params;
  std::string raw_query;  // as received (kept on redirects)
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

// nats-server's normalisation of http_base_path: leading '/', cleaned, "" -> "/".
std::string NormalizeBasePath(std::string_view base_path);
// Go's path.Clean.
std::string CleanPath(std::string_view path);

class Endpoints {
 public:
  Endpoints(EndpointsOptions options, DataSource source);
  Endpoints(const Endpoints&) = delete;
  Endpoints& operator=(const Endpoints&) = delete;

  HttpResponse Handle(const HttpRequest& request);

  // "/varz" -> requests served, as /varz's http_req_stats shows them.
  std::map<std::string, uint64_t> RequestStats() const;
  const std::string& base_path() const { return base_path_; }

 private:
  // Counts a request under nats-server's path name; returns the counts after it.
  std::map<std::string, uint64_t> Count(std::string_view path);
  absl::StatusOr<ServerSnapshot> Server(std::string_view counted_path);

  HttpResponse Varz(const HttpRequest& request);
  HttpResponse Connz(const HttpRequest& request);
  HttpResponse Routez(const HttpRequest& request);
  HttpResponse Subsz(const HttpRequest& request);
  HttpResponse Healthz(const HttpRequest& request);
  HttpResponse Accountz(const HttpRequest& request);
  HttpResponse Accstatz(const HttpRequest& request);
  HttpResponse Jsz(const HttpRequest& request);
  HttpResponse Leafz(const HttpRequest& request);
  HttpResponse Gatewayz(const HttpRequest& request);
  HttpResponse Ipqueuesz(const HttpRequest& request);
  HttpResponse Metrics(const HttpRequest& request);
  HttpResponse Root(const HttpRequest& request);

  const EndpointsOptions options_;
  const DataSource source_;
  const std::string base_path_;  // normalised
  ProcessUsage process_usage_;
  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t> request_stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ringnats::monitor
