#include "ringnats/monitor/http_server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "https_server.h"
#include "plain_http_server.h"
#include "ringnats/monitor/query.h"
#include "ringnats/util/log.h"
#include "ringnats/util/thread_name.h"

namespace ringnats::monitor {
namespace {

// RFC 7231's IMF-fixdate, as Go's net/http sends in Date.
std::string HttpDate(absl::Time now) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", now, absl::UTCTimeZone());
}

HttpRequest ToRequest(const httplib::Request& in) {
  HttpRequest request;
  request.method = in.method;
  request.path = in.path;
  const size_t question = in.target.find('?');
  if (question != std::string::npos) request.raw_query = in.target.substr(question + 1);
  // nats-server reads parameters from the URL only, by Go's rules (not cpp-httplib's, which
  // keeps the last '=' part, ';' pairs and bad escapes, and adds a form body's fields).
  request.params = ParseGoQuery(request.raw_query);
  return request;
}

// Moves the body: a /connz answer can be tens of MB, and cpp-httplib 0.11's set_content
// would copy it.
void Respond(HttpResponse&& from, httplib::Response* to) {
  to->status = from.status;
  for (const auto& [name, value] : from.headers) to->set_header(name, value);
  to->set_header("Date", HttpDate(absl::Now()));
  if (!from.content_type.empty()) to->set_header("Content-Type", from.content_type);
  to->body = std::move(from.body);
}

}  // namespace

MonitorServer::MonitorServer(MonitorServerOptions options, DataSource source)
    : options_(std::move(options)),
      endpoints_(EndpointsOptions{options_.server_id, options_.base_path, options_.local_zone},
                 std::move(source)) {}

MonitorServer::~MonitorServer() {
  Stop();
}

namespace {

// Monitoring is throughput work and the rings are latency work: a /connz over tens of
// thousands of connections renders for hundreds of milliseconds, taken from the rings on a
// machine with as many cores as workers unless the HTTP threads yield to them. Nice 10 (about
// a tenth of a core against a busy one) still lets a scrape finish on a saturated machine.
constexpr int kHttpThreadNice = 10;

void YieldToRingsOnce() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kHttpThreadNice) != 0) {
    log::Warn("monitor: could not lower an HTTP thread's priority: %s", strerror(errno));
  }
}

}  // namespace

absl::Status MonitorServer::Start() {
  if (server_ != nullptr) return absl::FailedPreconditionError("monitor server already started");
  std::unique_ptr<httplib::Server> server;
  if (options_.tls_context) {
    std::shared_ptr<const tls::ServerContext> initial = options_.tls_context();
    // nats-server's words when https_port is set without a `tls` block.
    if (initial == nullptr) {
      return absl::FailedPreconditionError("TLS cert and key required for HTTPS");
    }
    server =
        std::make_unique<HttpsServer>(options_.tls_context, std::move(initial), &YieldToRingsOnce);
  } else {
    server = std::make_unique<PlainHttpServer>();
  }
  const int threads = options_.threads > 0 ? options_.threads : 1;
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // cpp-httplib's default also sets SO_REUSEPORT, which would let a second server bind the
  // same port unnoticed.
  server->set_socket_options([](socket_t sock) {
    int on = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  });
  const auto seconds = [](absl::Duration d) {
    return std::chrono::microseconds(absl::ToInt64Microseconds(d));
  };
  server->set_keep_alive_timeout(
      std::max<time_t>(1, absl::ToInt64Seconds(options_.keep_alive_timeout)));
  server->set_read_timeout(seconds(options_.read_timeout));
  server->set_write_timeout(seconds(options_.write_timeout));
  server->set_payload_max_length(options_.max_request_body);
  const httplib::Server::Handler handler = [this](const httplib::Request& in,
                                                  httplib::Response& out) {
    YieldToRingsOnce();
    Respond(endpoints_.Handle(ToRequest(in)), &out);
  };
  // Every method, as nats-server's handlers answer any. A request that declares a body is
  // routed to handlers registered per method, so cpp-httplib reads the body first; one that
  // does not is answered before routing, since cpp-httplib would otherwise wait for a POST's
  // body until the connection closes (RFC 7230: no length, no body).
  server->set_pre_routing_handler([handler](const httplib::Request& in, httplib::Response& out) {
    if (in.has_header("Content-Length") || in.has_header("Transfer-Encoding")) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    handler(in, out);
    return httplib::Server::HandlerResponse::Handled;
  });
  server->Get(".*", handler);
  server->Post(".*", handler);
  server->Put(".*", handler);
  server->Patch(".*", handler);
  server->Delete(".*", handler);
  server->Options(".*", handler);
  server->set_exception_handler(
      [](const httplib::Request&, httplib::Response& out, std::exception_ptr) {
        out.status = 500;
        out.set_content("internal error", "text/plain; charset=utf-8");
      });

  errno = 0;
  const std::string host = options_.host.empty() ? "0.0.0.0" : options_.host;
  int port = options_.port;
  if (port <= 0) {
    port = server->bind_to_any_port(host);
  } else if (!server->bind_to_port(host, port)) {
    port = -1;
  }
  if (port < 0) {
    const int error = errno;
    // Go's wording, e.g. "listen tcp 127.0.0.1:8222: bind: address already in use".
    std::string reason = error != 0 ? std::strerror(error) : "cannot bind";
    if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
    return absl::UnavailableError(
        absl::StrFormat("can't listen to the monitor port: listen tcp %s:%d: bind: %s", host,
                        options_.port, reason));
  }
  port_ = port;
  server_ = std::move(server);
  httplib::Server* raw = server_.get();
  loop_ended_.store(false);
  thread_ = std::thread([this, raw] {
    util::NameThisThread("http");
    raw->listen_after_bind();
    loop_ended_.store(true);
  });
  // cpp-httplib 0.11 offers no "ready" event, and a stop() before its loop starts is lost:
  // wait for the loop (microseconds), so that Stop always ends it.
  while (!raw->is_running() && !loop_ended_.load()) std::this_thread::yield();
  if (loop_ended_.load()) {
    thread_.join();
    server_.reset();
    return absl::InternalError("can't listen to the monitor port: the accept loop ended");
  }
  return absl::OkStatus();
}

void MonitorServer::Stop() {
  if (server_ == nullptr) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace ringnats::monitor
