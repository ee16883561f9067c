#pragma once
// The `tls { }` blocks (top level: clients and HTTPS monitoring; `cluster { tls { } }`: routes)
// and the --tls* flags, as nats-server 2.9.10 reads them, plus 2.10's `min_version` and
// `handshake_first`. Plain values, built on the control thread with the rest of
// ServerOptions; BuildTlsContexts turns them into the tls module's immutable contexts (it
// reads files: the control thread, never a ring).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ringnats/tls/context.h"

namespace ringnats::config {

struct TlsOptions {
  // A `tls` block (even an empty one) or --tls* flags were given: the listener requires TLS.
  bool enabled = false;
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  // Require a client certificate (`verify`, `verify_and_map`, --tlsverify). Routes always
  // require one, whatever this says, as nats-server does.
  bool verify = false;
  // Map the client certificate to a user of `authorization.users` (`verify_and_map`).
  bool verify_and_map = false;
  // Routes only: the dialling side does not verify the peer's certificate.
  bool insecure = false;
  // Routes only (`verify_cert_and_check_known_urls`): a peer's certificate must also name one
  // of the configured route URLs. nats-server refuses it in the top-level block.
  bool verify_cert_and_check_known_urls = false;
  // The handshake deadline. 0 in the file means the default, 2 s; nats-server keeps a
  // negative value (every handshake then times out at once) and so does ringnats.
  absl::Duration timeout = absl::Seconds(2);
  // nats-server's names (tls/names.h); empty: nats-server's defaults.
  std::vector<std::string> cipher_suites;
  std::vector<std::string> curve_preferences;
  // nats-server 2.10's `min_version`: "1.2" (the default) or "1.3".
  tls::MinVersion min_version = tls::MinVersion::kTls12;
  // nats-server 2.10's `handshake_first` (also `first`, `immediate`): the server starts the
  // TLS handshake before sending INFO. With `"auto"` or a duration, a client that says
  // nothing for `handshake_first_fallback` gets INFO in plaintext first, as before.
  bool handshake_first = false;
  absl::Duration handshake_first_fallback = absl::ZeroDuration();
  // New TLS connections per second (`connection_rate_limit`); 0: unlimited.
  int64_t connection_rate_limit = 0;
  // Lower-case hex SHA-256 of the peer certificate's DER SubjectPublicKeyInfo; empty: any.
  std::vector<std::string> pinned_certs;

  friend bool operator==(const TlsOptions&, const TlsOptions&) = default;
};

// The tls module's settings for a listener of clients (nats-server hands the same block to
// HTTPS monitoring, without asking for client certificates: use `for_monitoring`).
tls::ServerSettings ClientListenerSettings(const TlsOptions& options, bool for_monitoring = false);
// The route listener's settings: a client certificate is always required (nats-server's
// rule for routes), verified against ca_file.
tls::ServerSettings RouteListenerSettings(const TlsOptions& options);
// The settings for dialling a route: ca_file verifies the peer (unless `insecure`), the
// certificate and key are presented as this server's client certificate.
tls::ClientSettings RouteDialSettings(const TlsOptions& options);

// Every context the options call for; null where TLS is off.
struct TlsContexts {
  std::shared_ptr<const tls::ServerContext> clients;     // the client listener
  std::shared_ptr<const tls::ServerContext> monitoring;  // https_port (the clients' block)
  std::shared_ptr<const tls::ServerContext> routes_accept;
  std::shared_ptr<const tls::ClientContext> routes_dial;
};

struct ServerOptions;

// Builds the contexts at start and on reload. Errors are nats-server's texts (as it prints
// them for the --tls* flags: "error parsing X509 certificate/key pair: open x.pem: no such
// file or directory"), prefixed with "cluster: " for the route block.
absl::StatusOr<TlsContexts> BuildTlsContexts(const ServerOptions& options);

}  // namespace ringnats::config
