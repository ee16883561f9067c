#pragma once
// TCP plumbing for the load generator: connecting, and the blocking NATS handshake (over
// TLS with --tls) used to set connections up before a measurement starts.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "options.h"
#include "tls_client.h"

namespace ringnats::load {

// Opens a TCP connection to host:port (numeric IPv4). With `nonblocking`, connect() may
// still be in progress when this returns (wait for writability, then CheckConnected).
// A non-empty `source_ip` binds the local end to that address first (port chosen at connect,
// so every source address has the whole ephemeral range to itself: beyond ~28,000
// connections to one broker port, several 127.0.0.x sources are needed).
absl::StatusOr<int> ConnectTcp(const std::string& host, uint16_t port, bool nonblocking,
                               const std::string& source_ip = "");

// The outcome of a non-blocking connect() once the socket became writable.
absl::Status CheckConnected(int fd);

absl::Status SetNonBlocking(int fd);

// Reads INFO, sends `connect_frame` + `setup` (e.g. SUB lines) + PING and waits for the PONG,
// so everything in `setup` has been processed by the broker when this returns. Bytes that
// arrived after the PONG are appended to `leftover`. Blocks for at most `timeout_s` (a
// server that stalls inside a TLS record can hold it longer). With `tls`, the TLS handshake
// runs after INFO, everything after it goes through the session, and `*ssl` gets the session
// (the caller frees it, also on failure).
absl::Status BlockingHandshake(int fd, const TlsContext* tls, SSL** ssl,
                               std::string_view connect_frame, std::string_view setup,
                               double timeout_s, std::string* leftover);

// A connection set up for a measurement: the socket (non-blocking) and its TLS session, or
// null in plaintext; NatsConn takes both over.
struct Link {
  int fd = -1;
  SSL* ssl = nullptr;
};

// ConnectTcp + BlockingHandshake (TLS as `o` says, credentials from `o`) + non-blocking.
absl::StatusOr<Link> ConnectForRun(const Options& o, std::string_view name, std::string_view setup,
                                   double timeout_s, std::string* leftover);

// Sends `PING` and reads until its PONG (answering server PINGs), so a setup phase can wait
// for the broker; anything else but PING/PONG/+OK is an error.
absl::Status BlockingPingPong(int fd, double timeout_s, std::string* leftover);

}  // namespace ringnats::load
