#pragma once
// The `cluster { ... }` block and the cluster flags, as nats-server 2.9.10 reads them: the
// cluster listener, its route authorization and permissions, and the routes to solicit.
// Plain values, built on the control thread with the rest of ServerOptions; the parsing
// functions are pure (any thread).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ringnats/auth/auth_config.h"
#include "ringnats/config/tls_options.h"

namespace ringnats::config {

// A route URL (`nats-route://user:pass@host:port`, `nats://host:port`) as Go's url.Parse
// splits it. nats-server accepts whatever url.Parse accepts (a URL without a host or port
// too: it fails later, when dialled), so these fields may be empty.
struct RouteUrl {
  std::string scheme;  // lower case
  bool has_authority = false;
  bool has_user = false;
  bool has_password = false;
  std::string user;       // %-unescaped
  std::string password;   // %-unescaped; never put it in a log line or error: use Redacted()
  std::string host_port;  // Go's URL.Host: what is dialled ("h:6222", "[::1]:6222", "h")
  std::string host;       // IPv6 without its brackets
  int port = -1;          // -1: none given (or "host:"); beyond int's range: INT_MAX
  std::string rest;       // path, query and fragment (or the opaque part), raw

  // The URL with the password replaced by "xxxxx" (Go's URL.Redacted), for logs and errors.
  std::string Redacted() const;
  // "host:port" for dialling, as written in the URL ("[::1]:6222" for IPv6).
  const std::string& HostPort() const { return host_port; }

  // Two routes are the same route when every part is equal (nats-server's urlsAreEqual):
  // what a reload compares to find routes added and removed.
  friend bool operator==(const RouteUrl&, const RouteUrl&) = default;
};

// Go's url.Parse of `text` (nats-server trims blanks first for the routes of a file and of
// --routes, not for --cluster; the caller does). The error is Go's
// reason ("invalid port \":x\" after host", "invalid URL escape \"%zz\"", ...); it never
// contains the URL.
absl::StatusOr<RouteUrl> ParseRouteUrl(std::string_view text);

// `text` with the password of a `scheme://user:password@host` prefix replaced by "xxxxx",
// for errors about a URL that does not even parse (nats-server prints those as written).
std::string RedactUrlText(std::string_view text);

// What a route may import (interest it sends to the peer) and export (interest it accepts
// from the peer): `permissions { import, export }` (also spelt publish/subscribe).
struct RoutePermissions {
  auth::SubjectRules imports;
  auth::SubjectRules exports;
  friend bool operator==(const RoutePermissions& a, const RoutePermissions& b) {
    return a.imports.allow == b.imports.allow && a.imports.deny == b.imports.deny &&
           a.exports.allow == b.exports.allow && a.exports.deny == b.exports.deny;
  }
};

struct ClusterOptions {
  std::string name;  // empty: generated when the server starts, as nats-server does
  std::string host;  // empty: 0.0.0.0 when the listener starts
  int port = 0;      // 0: no cluster listener; -1: a random free port
  std::string advertise;
  bool no_advertise = false;
  int connect_retries = 0;

  // The `authorization` block: a single user (password plain or bcrypt), no token, no
  // users list. A timeout of 0 (or none) means nats-server's default: 2 s, or the TLS
  // timeout plus 1 s when the routes use TLS (resolved when the block is read).
  std::string user;
  std::string password;
  absl::Duration auth_timeout = absl::Seconds(2);

  // Routes over TLS (`tls { }` in the block): both directions, a client certificate always
  // required, as nats-server does.
  TlsOptions tls;

  std::vector<RouteUrl> routes;
  std::optional<RoutePermissions> permissions;

  // --routes as given (nats-server checks after merging the file that a route flag has a
  // cluster listener to go with it: see ValidateForStart) and whether --cluster or
  // --cluster_listen was given.
  std::string flag_routes;
  bool flag_listen_given = false;

  bool enabled() const { return port != 0; }
  bool auth_required() const { return !user.empty(); }

  friend bool operator==(const ClusterOptions&, const ClusterOptions&) = default;
};

// nats-server's check of the advertised cluster address when the route listener starts
// ("host:port" or "host"); the reason is Go's ("strconv.Atoi: parsing \"y\": invalid
// syntax").
absl::Status CheckClusterAdvertise(std::string_view advertise);

}  // namespace ringnats::config
