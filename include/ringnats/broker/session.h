#pragma once
// One client connection's protocol state. Owned by the worker that accepted it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ringnats/auth/auth_config.h"
#include "ringnats/auth/certificate_user.h"
#include "ringnats/broker/route_link.h"
#include "ringnats/proto/connect_options.h"
#include "ringnats/proto/parser.h"
#include "ringnats/ring/event_loop.h"
#include "ringnats/util/string_map.h"

namespace ringnats::broker {

// Why a connection closed, with nats-server's wording (logs, and later /connz).
enum class CloseReason : uint8_t {
  kClientClosed,
  kReadError,
  kWriteError,
  kParseError,
  kProtocolViolation,
  kStaleConnection,
  kSlowConsumerPendingBytes,
  kSlowConsumerWriteDeadline,
  kMaxConnectionsExceeded,
  kMaxPayloadExceeded,
  kMaxControlLineExceeded,
  kBadClientProtocolVersion,
  kNoRespondersRequiresHeaders,
  kAuthenticationViolation,
  kAuthenticationTimeout,
  kServerShutdown,
  kDuplicateRoute,
  kRouteRemoved,
  kClusterNameConflict,
  kTlsHandshakeFailure,
};

// What speaks on the connection: a client, or a peer server of the cluster.
enum class SessionKind : uint8_t { kClient, kRoute };

std::string_view CloseReasonText(CloseReason reason);

struct Session {
  ring::ConnId conn;
  SessionKind kind = SessionKind::kClient;
  std::unique_ptr<RouteLink> route;  // kRoute only
  uint64_t client_id = 0;
  std::string peer_ip;
  int peer_port = 0;
  std::string log_prefix;  // "ip:port - cid:N"
  absl::Time start;        // accepted (wall clock, for /connz)

  proto::Parser parser;
  proto::ConnectOptions connect;  // defaults until CONNECT arrives
  bool connect_received = false;
  bool closing = false;

  // Authentication. Until `authenticated`, the first op must be CONNECT (the parser enforces
  // it) and `auth_deadline_ns` (0: none) bounds the wait for it; the socket is read one
  // buffer at a time meanwhile. While a bcrypt check runs in the auth pool (or waits for
  // room in its queue: `auth_queued_locally`), `auth_pending` is set and input is parked.
  bool authenticated = false;
  bool auth_pending = false;
  bool auth_queued_locally = false;
  // A reload asked for this session's credentials to be checked again by the auth pool; the
  // session keeps running meanwhile. `reauth_user` is who it becomes if they pass.
  bool reauth_pending = false;
  const auth::User* reauth_user = nullptr;
  uint8_t auth_ticket = 0;              // bumped for every check sent to the auth pool
  auth::AuthConfigPtr reauth_snapshot;  // keeps `reauth_user` alive; the verdict counts only
                                        // while it is still the session's snapshot
  int64_t auth_deadline_ns = 0;
  // TLS (a client port with a tls block): the handshake must end by `tls_deadline_ns` (0: it
  // did, or no TLS), and the auth timer only starts after it, as in nats-server.
  bool tls = false;
  int64_t tls_deadline_ns = 0;
  bool auth_timer_after_tls = false;
  // handshake_first with a fallback: until this time (0: not waiting) the session waits to
  // see whether the client starts TLS. Any byte it sends starts the handshake; silence gets
  // INFO in plaintext and the usual upgrade, as in nats-server 2.10.
  int64_t tls_first_fallback_ns = 0;
  std::string tls_version;  // "1.3" and nats-server's suite name, for /connz
  std::string tls_cipher_suite;
  // Who the client's verified certificate names (verify / verify_and_map); unset without one.
  std::optional<auth::CertificateIdentity> tls_peer;
  // A TLS error after the handshake closes as a read error, but its alert still goes out.
  bool tls_alert_to_flush = false;
  std::string tls_peer_spki_sha256;  // for /connz?auth=1
  std::string tls_peer_cert_sha256;
  // The bcrypt hash this client's secret was last verified against: a reload that keeps the
  // same hash for it needs no new hash computation (bcrypt is deterministic).
  std::string verified_hash;
  std::string hash_in_check;  // the hash the auth pool is checking the secret against
  auth::AuthConfigPtr auth_snapshot;  // the rules this session was last checked against
  auth::AuthConfigPtr user_snapshot;  // keeps `user` and `permissions` alive across reloads
  const auth::User* user = nullptr;   // who the client is; null: no user (token or no auth)
  std::string auth_log_user;          // for the "authentication error" log line

  // Permissions of `user` (null: everything allowed), with nats-server's per-connection
  // cache of publish decisions and, for allow_responses, the reply subjects this client may
  // still answer.
  const auth::Permissions* permissions = nullptr;
  StringMap<bool> publish_verdicts;
  struct ResponseAllowance {
    int64_t remaining = 0;
    int64_t expires_ns = 0;
  };
  StringMap<ResponseAllowance> responses;

  StringMap<uint32_t> subs_by_sid;  // sid -> slot in the worker's SubscriptionTable

  // Input received but not parsed yet: while the credentials are checked, while this client
  // is stalled as a producer, or after it used its share of a loop iteration. Bounded:
  // reading pauses once it holds kParkedInputPauseBytes (see input.cc).
  std::string parked_input;
  bool parked_listed = false;     // in the worker's list of sessions with parked input
  bool receive_paused = false;    // the worker asked the loop to stop reading
  uint64_t budget_iteration = 0;  // the loop iteration `work_done` counts for
  uint32_t work_done = 0;

  // Flow control, producer side (flow_control.cc): stalled behind a consumer whose pending
  // output passed half of max_pending, until it drains or this deadline; or waiting for the
  // cross-worker credit of a destination worker.
  int64_t stalled_until_ns = 0;
  bool waiting_for_credit = false;
  // Consumer side: producers stalled on this session's output, released when it drains.
  struct StalledProducer {
    uint32_t worker;
    ring::ConnId conn;
    friend bool operator==(const StalledProducer&, const StalledProducer&) = default;
  };
  std::vector<StalledProducer> stalled_producers;

  // Keep-alive.
  int64_t next_ping_ns = 0;
  int64_t last_activity_ns = 0;
  int64_t last_ping_sent_ns = 0;
  int pings_out = 0;
  bool rtt_known = false;
  int64_t rtt_ns = 0;  // the last PING we sent to its PONG
  // When CONNECT arrived, for the auth wait histogram; 0 once the verdict is recorded.
  int64_t connect_received_ns = 0;

  uint64_t in_msgs = 0;
  uint64_t in_bytes = 0;
  uint64_t out_msgs = 0;
  uint64_t out_bytes = 0;
};

}  // namespace ringnats::broker
