#include "ringnats/config/tls_options.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ringnats/config/options.h"
#include "tls_from_config.h"

namespace ringnats::config {
namespace {

// What nats-server accepts but ringnats cannot serve, refused before any file is read past
// the checks nats-server itself makes (so its errors come first, as there).
absl::Status RefuseUnservable(const TlsOptions& o) {
  if (o.cert_file.empty()) {
    return absl::InvalidArgumentError(
        "a tls block without 'cert_file' and 'key_file' is not supported by ringnats "
        "(nats-server accepts it, then fails every TLS handshake)");
  }
  return absl::OkStatus();
}

}  // namespace

tls::ServerSettings ClientListenerSettings(const TlsOptions& o, bool for_monitoring) {
  tls::ServerSettings s;
  s.cert_file = o.cert_file;
  s.key_file = o.key_file;
  s.ca_file = o.ca_file;
  s.verify = o.verify && !for_monitoring;
  s.min_version = o.min_version;
  s.cipher_suites = o.cipher_suites;
  s.curve_preferences = o.curve_preferences;
  return s;
}

tls::ServerSettings RouteListenerSettings(const TlsOptions& o) {
  tls::ServerSettings s = ClientListenerSettings(o);
  s.verify = true;
  return s;
}

tls::ClientSettings RouteDialSettings(const TlsOptions& o) {
  tls::ClientSettings s;
  s.cert_file = o.cert_file;
  s.key_file = o.key_file;
  s.ca_file = o.ca_file;
  s.insecure_skip_verify = o.insecure;
  s.min_version = o.min_version;
  s.cipher_suites = o.cipher_suites;
  s.curve_preferences = o.curve_preferences;
  return s;
}

absl::Status CheckTlsOptions(const TlsOptions& o) {
  if (!o.cert_file.empty() && o.key_file.empty()) {
    return absl::InvalidArgumentError("missing 'key_file' in TLS configuration");
  }
  if (o.cert_file.empty() && !o.key_file.empty()) {
    return absl::InvalidArgumentError("missing 'cert_file' in TLS configuration");
  }
  if (o.cert_file.empty()) {
    // No key pair: nats-server still reads ca_file; a client context checks it, and the
    // suites and curves, without needing a certificate.
    tls::ClientSettings probe = RouteDialSettings(o);
    if (auto context = tls::ClientContext::Create(probe); !context.ok()) return context.status();
  } else {
    // The key pair, ca_file, suites and curves are what is checked.
    tls::ServerSettings probe = ClientListenerSettings(o);
    if (auto context = tls::ServerContext::Create(probe); !context.ok()) return context.status();
  }
  return RefuseUnservable(o);
}

absl::StatusOr<TlsContexts> BuildTlsContexts(const ServerOptions& options) {
  TlsContexts contexts;
  if (options.tls.enabled) {
    if (absl::Status st = CheckTlsOptions(options.tls); !st.ok()) return st;
    auto clients = tls::ServerContext::Create(ClientListenerSettings(options.tls));
    if (!clients.ok()) return clients.status();
    contexts.clients = *std::move(clients);
    if (options.https_port != 0) {
      auto monitoring = tls::ServerContext::Create(ClientListenerSettings(options.tls, true));
      if (!monitoring.ok()) return monitoring.status();
      contexts.monitoring = *std::move(monitoring);
    }
  }
  const TlsOptions& route = options.cluster.tls;
  if (route.enabled) {
    auto cluster_error = [](const absl::Status& st) {
      return absl::Status(st.code(), absl::StrCat("cluster: ", st.message()));
    };
    if (absl::Status st = CheckTlsOptions(route); !st.ok()) return cluster_error(st);
    auto accept = tls::ServerContext::Create(RouteListenerSettings(route));
    if (!accept.ok()) return cluster_error(accept.status());
    auto dial = tls::ClientContext::Create(RouteDialSettings(route));
    if (!dial.ok()) return cluster_error(dial.status());
    contexts.routes_accept = *std::move(accept);
    contexts.routes_dial = *std::move(dial);
  }
  return contexts;
}

}  // namespace ringnats::config
