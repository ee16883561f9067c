#pragma once
// The monitoring HTTP(S) server: cpp-httplib on its own threads (an accept thread and a small
// pool; never a ring thread), answering through Endpoints. Start/Stop/port from one
// controlling thread (the broker's control thread); the pool threads call the DataSource
// (and, for HTTPS, the TLS context source and the handshakes).
//
// A slow DataSource callback holds only the pool thread of the request that called it; the
// others keep answering. Stop waits for requests in flight, so callbacks must bound their
// own waiting (the broker's answer "run this on worker N" with a timeout).

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ringnats/monitor/endpoints.h"

namespace httplib {
class Server;
}
namespace ringnats::tls {
class ServerContext;
}

namespace ringnats::monitor {

struct MonitorServerOptions {
  std::string host = "0.0.0.0";  // "" means the same
  int port = 0;                  // 0 or negative: any free port (nats-server's -m -1); see port()
  std::string base_path;         // http_base_path as configured
  std::string server_id;
  absl::TimeZone local_zone = absl::LocalTimeZone();
  // Pool threads. A keep-alive connection holds one while it stays open (cpp-httplib), so
  // this bounds the clients served at once; the keep-alive timeout bounds how long an idle
  // one keeps it, and how long Stop may wait for it.
  int threads = 4;
  absl::Duration keep_alive_timeout = absl::Seconds(1);
  absl::Duration read_timeout = absl::Seconds(5);
  absl::Duration write_timeout = absl::Seconds(10);
  size_t max_request_body = 64 * 1024;
  // Set: HTTPS (nats-server's https_port). Called from the pool threads for each new
  // connection, so a reloaded certificate is served from the next connection on, as
  // nats-server asks for its current TLS configuration at each handshake; must be
  // thread-safe. Start fails if it gives null then; a later null means the one Start got.
  std::function<std::shared_ptr<const tls::ServerContext>()> tls_context;
};

class MonitorServer {
 public:
  MonitorServer(MonitorServerOptions options, DataSource source);
  MonitorServer(const MonitorServer&) = delete;
  MonitorServer& operator=(const MonitorServer&) = delete;
  ~MonitorServer();  // Stop()

  // Binds host:port (without SO_REUSEPORT, so a second server cannot share the port) and
  // starts serving, over TLS when options.tls_context is set. Returns once requests can be
  // accepted. Errors carry nats-server's "can't listen to the monitor port: ..." wording.
  absl::Status Start();
  // Stops accepting, finishes requests in flight, joins the threads. Idempotent.
  void Stop();

  // The port actually bound (after Start), also when options.port was 0.
  int port() const { return port_; }
  Endpoints& endpoints() { return endpoints_; }

 private:
  const MonitorServerOptions options_;
  Endpoints endpoints_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> loop_ended_{false};
  int port_ = 0;
};

}  // namespace ringnats::monitor
