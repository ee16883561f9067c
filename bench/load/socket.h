#pragma once
// TCP plumbing for the load generator: connecting, and the blocking NATS handshake used to
// set connections up before a measurement starts.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

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
// arrived after the PONG are appended to `leftover`. Blocks for at most `timeout_s`.
absl::Status BlockingHandshake(int fd, std::string_view connect_frame, std::string_view setup,
                               double timeout_s, std::string* leftover);

// Sends `PING` and reads until its PONG (answering server PINGs), so a setup phase can wait
// for the broker; anything else but PING/PONG/+OK is an error.
absl::Status BlockingPingPong(int fd, double timeout_s, std::string* leftover);

}  // namespace ringnats::load
