#include "ringnats/monitor/endpoints.h"

#include <cstdint>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl_view.h"
#include "ringnats/monitor/go_format.h"
#include "ringnats/monitor/prometheus.h"
#include "ringnats/monitor/render.h"
#include "ringnats/monitor/status_page.h"

namespace ringnats::monitor {
namespace {

constexpr char kJson[] = "application/json";
constexpr char kJavascript[] = "application/javascript";
constexpr char kText[] = "text/plain; charset=utf-8";
constexpr char kHtml[] = "text/html; charset=utf-8";

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = kText;
  response.body = std::move(body);
  return response;
}

HttpResponse BadRequest(const absl::Status& status) {
  return Text(400, std::string(status.message()));
}

HttpResponse Unavailable(const absl::Status& status) {
  return Text(503, absl::StrCat("monitoring data unavailable: ", status.message()));
}

HttpResponse NotFound() {
  HttpResponse response = Text(404, "404 page not found\n");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

// nats-server's ResponseHandler: JSON, or JSONP when `callback` is given.
HttpResponse JsonResponse(const HttpRequest& request, std::string body, int status = 200) {
  HttpResponse response;
  response.status = status;
  const std::string_view callback = QueryValue(request.params, "callback");
  if (callback.empty()) {
    response.content_type = kJson;
    response.body = std::move(body);
  } else {
    response.content_type = kJavascript;
    response.body = absl::StrCat(AbslView(callback), "(", body, ")");
  }
  return response;
}

HttpResponse JsonResponse(const HttpRequest& request, const Json& json) {
  return JsonResponse(request, GoJsonIndent(json));
}

// Go's url.URL.EscapedPath for a path we built: keeps what a path may hold unescaped.
std::string EscapePath(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      absl::StrContains("-_.~$&+,/:;=@", static_cast<char>(c));
    if (keep) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// Go's ServeMux answer to an unclean path: 301 to the cleaned one, query kept.
HttpResponse Redirect(const HttpRequest& request, std::string_view clean) {
  std::string location = EscapePath(clean);
  if (!request.raw_query.empty()) absl::StrAppend(&location, "?", request.raw_query);
  HttpResponse response;
  response.status = 301;
  response.headers.emplace_back("Location", location);
  if (request.method == "GET" || request.method == "HEAD") {
    response.content_type = kHtml;
    const std::string escaped = absl::StrReplaceAll(
        location, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&#34;"}, {"'", "&#39;"}});
    if (request.method == "GET") {
      response.body = absl::StrCat("<a href=\"", escaped, "\">Moved Permanently</a>.\n\n");
    }
  }
  return response;
}

}  // namespace

std::string CleanPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view part = path.substr(start, slash - start);
    if (part.empty() || part == ".") {
      // dropped
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
    } else {
      parts.push_back(part);
    }
    start = slash + 1;
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(parts[i]);
  }
  if (out.empty()) return ".";
  return out;
}

std::string NormalizeBasePath(std::string_view base_path) {
  if (base_path.empty()) return "/";
  return CleanPath(base_path[0] == '/' ? std::string(base_path)
                                       : absl::StrCat("/", AbslView(base_path)));
}

Endpoints::Endpoints(EndpointsOptions options, DataSource source)
    : options_(std::move(options)),
      source_(std::move(source)),
      base_path_(NormalizeBasePath(options_.base_path)) {}

std::map<std::string, uint64_t> Endpoints::RequestStats() const {
  absl::MutexLock lock(&mu_);
  return request_stats_;
}

std::map<std::string, uint64_t> Endpoints::Count(std::string_view path) {
  absl::MutexLock lock(&mu_);
  ++request_stats_[std::string(path)];
  return request_stats_;
}

absl::StatusOr<ServerSnapshot> Endpoints::Server(std::string_view counted_path) {
  std::map<std::string, uint64_t> stats =
      counted_path.empty() ? RequestStats() : Count(counted_path);
  if (!source_.server) return absl::UnavailableError("no server data source");
  absl::StatusOr<ServerSnapshot> server = source_.server();
  if (!server.ok()) return server.status();
  const ProcessUsageSample usage = process_usage_.Sample();
  server->now = absl::Now();
  server->mem = usage.rss_bytes;
  server->cpu = usage.cpu_percent;
  if (server->cores == 0) server->cores = static_cast<int>(std::thread::hardware_concurrency());
  server->http_req_stats = std::move(stats);
  return server;
}

HttpResponse Endpoints::Handle(const HttpRequest& request) {
  // Go's ServeMux: an unclean path (doubled or trailing-dot segments) redirects to its clean
  // form; the clean form keeps a trailing slash.
  std::string clean = request.path.empty() ? "/" : request.path;
  if (clean[0] != '/') clean.insert(0, "/");
  {
    std::string cleaned = CleanPath(clean);
    if (clean.back() == '/' && cleaned != "/") cleaned.push_back('/');
    if (cleaned != request.path) return Redirect(request, cleaned);
  }
  const std::string& path = request.path;
  if (path == base_path_) return Root(request);
  std::string_view relative = path;
  if (base_path_ != "/") {
    if (!absl::StartsWith(path, base_path_) || path.size() <= base_path_.size() ||
        path[base_path_.size()] != '/') {
      return NotFound();
    }
    relative.remove_prefix(base_path_.size());
  }
  if (relative == "/varz") return Varz(request);
  if (relative == "/connz") return Connz(request);
  if (relative == "/routez") return Routez(request);
  if (relative == "/subsz" || relative == "/subscriptionsz") return Subsz(request);
  if (relative == "/healthz") return Healthz(request);
  if (relative == "/accountz") return Accountz(request);
  if (relative == "/accstatz") return Accstatz(request);
  if (relative == "/jsz") return Jsz(request);
  if (relative == "/leafz") return Leafz(request);
  if (relative == "/gatewayz") return Gatewayz(request);
  if (relative == "/ipqueuesz") return Ipqueuesz(request);
  if (relative == "/metrics") return Metrics(request);
  return NotFound();
}

HttpResponse Endpoints::Root(const HttpRequest& request) {
  (void)request;
  Count("/");
  HttpResponse response;
  response.content_type = kHtml;
  response.body = StatusPageHtml(base_path_);
  return response;
}

HttpResponse Endpoints::Varz(const HttpRequest& request) {
  absl::StatusOr<ServerSnapshot> server = Server("/varz");
  if (!server.ok()) return Unavailable(server.status());
  return JsonResponse(request, VarzJson(*server, options_.local_zone));
}

HttpResponse Endpoints::Connz(const HttpRequest& request) {
  // Bad parameters are refused before the request is counted, a bad sort after, as
  // nats-server does.
  absl::StatusOr<ConnzQuery> query = ParseConnzQuery(request.params);
  if (!query.ok()) return BadRequest(query.status());
  Count("/connz");
  if (absl::Status sort = ApplyConnzSort(QueryValue(request.params, "sort"), &*query); !sort.ok()) {
    return BadRequest(sort);
  }
  if (!source_.connections) return Unavailable(absl::UnavailableError("no connection source"));
  const absl::Time now = absl::Now();
  absl::StatusOr<ConnzData> data = source_.connections(*query);
  if (!data.ok()) return Unavailable(data.status());
  return JsonResponse(request,
                      ConnzJsonText(options_.server_id, *data, *query, now, options_.local_zone));
}

HttpResponse Endpoints::Routez(const HttpRequest& request) {
  absl::StatusOr<SubsOption> subs = DecodeSubs(request.params);
  if (!subs.ok()) return BadRequest(subs.status());
  Count("/routez");
  RoutezData data;
  if (source_.routes) {
    absl::StatusOr<RoutezData> routes = source_.routes(*subs);
    if (!routes.ok()) return Unavailable(routes.status());
    data = *std::move(routes);
  }
  return JsonResponse(request, RoutezJson(options_.server_id, data, *subs, absl::Now(),
                                          options_.local_zone));
}

HttpResponse Endpoints::Subsz(const HttpRequest& request) {
  Count("/subsz");  // /subscriptionsz too, under nats-server's one name
  absl::StatusOr<SubszQuery> query = ParseSubszQuery(request.params);
  if (!query.ok()) return BadRequest(query.status());
  if (!source_.subscriptions) return Unavailable(absl::UnavailableError("no subscription source"));
  const absl::Time now = absl::Now();
  absl::StatusOr<SubszData> data = source_.subscriptions(*query);
  if (!data.ok()) return Unavailable(data.status());
  return JsonResponse(request, SubszJson(options_.server_id, *data, *query, now));
}

HttpResponse Endpoints::Healthz(const HttpRequest& request) {
  Count("/healthz");
  for (std::string_view name : {"js-enabled", "js-enabled-only", "js-server-only"}) {
    absl::StatusOr<bool> value = DecodeBool(request.params, name);
    if (!value.ok()) return BadRequest(value.status());
  }
  const absl::Status health = source_.health ? source_.health() : absl::OkStatus();
  const std::string error = health.ok() ? "" : std::string(health.message());
  return JsonResponse(request, GoJsonCompact(HealthzJson(error)), health.ok() ? 200 : 503);
}

HttpResponse Endpoints::Accountz(const HttpRequest& request) {
  absl::StatusOr<ServerSnapshot> server = Server("/accountz");
  if (!server.ok()) return Unavailable(server.status());
  absl::StatusOr<Json> json =
      AccountzJson(*server, QueryValue(request.params, "acc"), options_.local_zone);
  if (!json.ok()) return BadRequest(json.status());
  return JsonResponse(request, *json);
}

HttpResponse Endpoints::Accstatz(const HttpRequest& request) {
  Count("/accstatz");
  absl::StatusOr<bool> unused = DecodeBool(request.params, "unused");
  if (!unused.ok()) return BadRequest(unused.status());
  if (!source_.server) return Unavailable(absl::UnavailableError("no server data source"));
  absl::StatusOr<ServerSnapshot> server = source_.server();
  if (!server.ok()) return Unavailable(server.status());
  server->now = absl::Now();
  return JsonResponse(request, AccstatzJson(*server, *unused));
}

HttpResponse Endpoints::Jsz(const HttpRequest& request) {
  Count("/jsz");
  for (std::string_view name : {"accounts", "streams", "consumers", "config"}) {
    absl::StatusOr<bool> value = DecodeBool(request.params, name);
    if (!value.ok()) return BadRequest(value.status());
  }
  for (std::string_view name : {"offset", "limit"}) {
    absl::StatusOr<int64_t> value = DecodeInt(request.params, name);
    if (!value.ok()) return BadRequest(value.status());
  }
  absl::StatusOr<bool> leader_only = DecodeBool(request.params, "leader-only");
  if (!leader_only.ok()) return BadRequest(leader_only.status());
  // Without JetStream, a leader-only query is nats-server's "skip this server" answer.
  if (*leader_only) return Text(400, "filtered response: not leader");
  return JsonResponse(request, JszJson(options_.server_id, absl::Now()));
}

HttpResponse Endpoints::Leafz(const HttpRequest& request) {
  Count("/leafz");
  absl::StatusOr<bool> subs = DecodeBool(request.params, "subs");
  if (!subs.ok()) return BadRequest(subs.status());
  return JsonResponse(request, LeafzJson(options_.server_id, absl::Now()));
}

HttpResponse Endpoints::Gatewayz(const HttpRequest& request) {
  Count("/gatewayz");
  absl::StatusOr<bool> accounts = DecodeBool(request.params, "accs");
  if (!accounts.ok()) return BadRequest(accounts.status());
  return JsonResponse(request, GatewayzJson(options_.server_id, absl::Now()));
}

HttpResponse Endpoints::Ipqueuesz(const HttpRequest& request) {
  // Not counted by nats-server; ringnats has no internal queues of that kind to list.
  absl::StatusOr<bool> all = DecodeBool(request.params, "all");
  if (!all.ok()) return BadRequest(all.status());
  return JsonResponse(request, std::string("{}"));
}

HttpResponse Endpoints::Metrics(const HttpRequest& request) {
  (void)request;
  // Not counted in http_req_stats, which then keeps nats-server's keys however often
  // Prometheus scrapes.
  absl::StatusOr<ServerSnapshot> server = Server("");
  if (!server.ok()) return Unavailable(server.status());
  ConnzData open;
  if (source_.connections) {
    ConnzQuery query;
    query.limit = INT64_MAX;
    absl::StatusOr<ConnzData> data = source_.connections(query);
    if (!data.ok()) return Unavailable(data.status());
    open = *std::move(data);
  }
  HttpResponse response;
  response.content_type = kMetricsContentType;
  response.body = MetricsText(*server, open, options_.local_zone);
  return response;
}

}  // namespace ringnats::monitor
