#pragma once
// Internal to the monitor module: cpp-httplib's Server with its per-connection loop replaced,
// so that a fresh connection waits the read timeout for its first request rather than the
// keep-alive timeout (see NextRequestWaitMillis in socket_io.h). Everything else, request
// parsing and routing included, is cpp-httplib's.

#include <httplib.h>

namespace ringnats::monitor {

class PlainHttpServer final : public httplib::Server {
 private:
  // cpp-httplib's per-connection entry point (a private virtual of Server, which a derived
  // class may override).
  bool process_and_close_socket(socket_t sock) override;
};

}  // namespace ringnats::monitor
