#pragma once
// Internal to the monitor module: cpp-httplib's Server with each accepted connection served
// through a tls::Engine (the same engine and context the client port uses), for https_port.
//
// Why not cpp-httplib's own SSLServer: it builds its SSL_CTX itself, from files, so it would
// not have the `tls {}` block's cipher suites, curves and minimum version as the tls module
// applies them, nor follow a reload. Here every connection takes the context that is current
// when it is accepted, as nats-server asks for its current TLS configuration at each handshake.
//
// Connections run on cpp-httplib's pool threads (blocking sockets with poll() deadlines); the
// context source is called there, so it must be thread-safe.

#include <httplib.h>

#include <functional>
#include <memory>

namespace ringnats::tls {
class ServerContext;
}

namespace ringnats::monitor {

class HttpsServer final : public httplib::Server {
 public:
  using ContextSource = std::function<std::shared_ptr<const tls::ServerContext>()>;

  // `source` gives the context for each new connection; when it gives null, `initial` is
  // used. `on_connection` runs on the pool thread before each handshake.
  HttpsServer(ContextSource source, std::shared_ptr<const tls::ServerContext> initial,
              std::function<void()> on_connection);

 private:
  // cpp-httplib's per-connection entry point (a private virtual of Server, which a derived
  // class may override): handshake, then its request loop over a TLS stream.
  bool process_and_close_socket(socket_t sock) override;

  const ContextSource source_;
  const std::shared_ptr<const tls::ServerContext> initial_;
  const std::function<void()> on_connection_;
};

}  // namespace ringnats::monitor
