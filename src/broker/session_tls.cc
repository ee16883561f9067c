// A connection's TLS on its worker: for a client, started after the plaintext INFO
// (nats-server's order); for a route, at once on both sides, before CONNECT and INFO. Bounded
// by the block's timeout, and what the handshake tells the broker (version, suite, the
// peer's certificate). The bytes themselves are the ring's business
// (ring::EventLoop::StartTls): the worker never sees ciphertext.

#include <algorithm>

#include "absl/strings/str_format.h"
#include "ringnats/broker/worker.h"
#include "ringnats/ring/listener.h"
#include "ringnats/tls/go_subject.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {
namespace {

// nats-server's words for a failed handshake: "TLS handshake error" for a client, "TLS route
// handshake error" for a route.
std::string_view TlsErrorPrefix(const Session& session) {
  return session.kind == SessionKind::kRoute ? "TLS route handshake error"
                                             : "TLS handshake error";
}

}  // namespace

bool Worker::PassesPinnedCerts(const Session& session, const tls::Engine& engine) const {
  const std::vector<std::string>& pinned = session.kind == SessionKind::kRoute
                                               ? options_->cluster.tls.pinned_certs
                                               : options_->tls.pinned_certs;
  if (pinned.empty()) return true;
  if (!engine.has_peer_certificate()) {
    log::Debug("%s - Failed pinned cert test as client did not provide a certificate",
               session.log_prefix);
    return false;
  }
  const std::string key = engine.peer_certificate().spki_sha256;
  if (std::find(pinned.begin(), pinned.end(), key) != pinned.end()) return true;
  log::Debug("%s - Failed pinned cert test for key id: %s", session.log_prefix, key);
  return false;
}

void Worker::StartClientTls(Session& session) {
  if (shared_.tls_rate_limiter != nullptr && !shared_.tls_rate_limiter->Allow(absl::Now())) {
    CloseWithError(session, "Connection throttling is active. Please try again later.",
                   CloseReason::kMaxConnectionsExceeded);
    return;
  }
  log::Debug("%s - Starting TLS client connection handshake", session.log_prefix);
  StartSessionTls(session, tls::Engine::NewServer(config_->tls.clients), options_->tls.timeout);
}

void Worker::AwaitTlsFirstClient(Session& session, absl::Duration fallback) {
  session.tls_first_fallback_ns = now_ns_ + absl::ToInt64Nanoseconds(fallback);
  ScheduleTimer(session.tls_first_fallback_ns);
  // The keep-alive clock starts after the wait too: no PING may go out before INFO.
  session.next_ping_ns += absl::ToInt64Nanoseconds(fallback);
  // Either way a handshake follows, and the auth timer starts after it.
  if (session.auth_deadline_ns != 0) {
    session.auth_deadline_ns = 0;
    session.auth_timer_after_tls = true;
  }
}

// As nats-server 2.10, the bytes are not looked at: a client that is not really starting
// TLS fails the handshake, not this choice.
void Worker::BeginTlsFirst(Session& session, std::string_view first_bytes) {
  session.tls_first_fallback_ns = 0;
  StartClientTls(session);
  if (session.closing) return;
  SendClientInfo(session);  // inside TLS, once the handshake is done
  loop_.ReceiveAsTls(session.conn, first_bytes);
}

bool Worker::CheckTlsFirstFallback(Session& session, int64_t now_ns) {
  if (session.tls_first_fallback_ns == 0 || now_ns < session.tls_first_fallback_ns) return false;
  session.tls_first_fallback_ns = 0;
  log::Debug("%s - TLS handshake first: nothing received, INFO in plaintext", session.log_prefix);
  SendClientInfo(session);
  StartClientTls(session);
  return true;
}

void Worker::StartRouteTls(Session& session, std::string_view dialled_host) {
  const bool solicited = !dialled_host.empty();
  log::Debug("%s - Starting TLS route %s handshake", session.log_prefix,
             solicited ? "client" : "server");
  StartSessionTls(session,
                  solicited ? tls::Engine::NewClient(config_->tls.routes_dial, dialled_host)
                            : tls::Engine::NewServer(config_->tls.routes_accept),
                  options_->cluster.tls.timeout);
}

void Worker::StartSessionTls(Session& session, absl::StatusOr<tls::Engine> engine,
                             absl::Duration timeout) {
  if (!engine.ok()) {
    log::Error("%s - %s: %s", session.log_prefix, TlsErrorPrefix(session),
               engine.status().message());
    Close(session, CloseReason::kTlsHandshakeFailure);
    return;
  }
  session.tls = true;
  loop_.StartTls(session.conn, *std::move(engine));
  session.tls_deadline_ns = now_ns_ + absl::ToInt64Nanoseconds(timeout);
  ScheduleTimer(session.tls_deadline_ns);
  // The auth timer starts once the handshake is done, as in nats-server.
  if (session.auth_deadline_ns != 0) {
    session.auth_deadline_ns = 0;
    session.auth_timer_after_tls = true;
  }
}

void Worker::OnTlsEstablished(ring::ConnId id) {
  Session* session = Find(id);
  if (session == nullptr || session->closing) return;
  const tls::Engine* engine = loop_.tls_engine(id);
  if (engine == nullptr) return;
  session->tls_deadline_ns = 0;
  session->tls_version = engine->version_name();
  session->tls_cipher_suite = engine->cipher_suite_name();
  if (!PassesPinnedCerts(*session, *engine)) {
    log::Error("%s - %s: certificate not pinned", session->log_prefix, TlsErrorPrefix(*session));
    Close(*session, CloseReason::kTlsHandshakeFailure);
    return;
  }
  if (engine->has_peer_certificate()) {
    tls::PeerCertificate peer = engine->peer_certificate();
    session->tls_peer_spki_sha256 = std::move(peer.spki_sha256);
    session->tls_peer_cert_sha256 = std::move(peer.cert_sha256);
    session->tls_peer = auth::CertificateIdentity{
        .emails = std::move(peer.emails),
        .dns_names = std::move(peer.dns_names),
        .uris = std::move(peer.uris),
        .subject = auth::CanonicalDn(
            tls::NatsServerDn(peer.subject_attributes).value_or(auth::DistinguishedName())),
        .rdn_sequence = tls::GoRdnSequenceString(peer.subject_attributes),
        .domain_components = tls::GoDomainComponents(peer.subject_attributes),
        .name_string = tls::GoNameString(peer.subject_attributes)};
  }
  log::Debug("%s - TLS handshake complete", session->log_prefix);
  log::Debug("%s - TLS version %s, cipher suite %s", session->log_prefix, session->tls_version,
             session->tls_cipher_suite);
  if (session->auth_timer_after_tls) {
    session->auth_timer_after_tls = false;
    session->auth_deadline_ns = now_ns_ + absl::ToInt64Nanoseconds(session->auth_snapshot->timeout);
    ScheduleTimer(session->auth_deadline_ns);
  }
}

void Worker::OnTlsFailed(ring::ConnId id, std::string_view error, bool in_handshake) {
  Session* session = Find(id);
  if (session == nullptr || session->closing) return;
  if (in_handshake) {
    log::Error("%s - %s: %s", session->log_prefix, TlsErrorPrefix(*session), error);
    Close(*session, CloseReason::kTlsHandshakeFailure);
    return;
  }
  // After the handshake a TLS error is a failed read to nats-server.
  log::Debug("%s - Error reading from client: %s", session->log_prefix, error);
  session->tls_alert_to_flush = true;
  Close(*session, CloseReason::kReadError);
}

bool Worker::CheckTlsDeadline(Session& session, int64_t now_ns) {
  if (session.tls_deadline_ns == 0 || now_ns < session.tls_deadline_ns) return false;
  // nats-server's read deadline and its timer expire together; the failed read is what it
  // logs. (Its timer also queues -ERR 'Secure Connection - TLS Required', which cannot reach
  // a client that has not finished its handshake.)
  FailHandshakeRead(session, "i/o timeout");
  return true;
}

void Worker::TlsHandshakeReadFailed(Session& session) {
  FailHandshakeRead(session, "read: connection reset by peer");
}

void Worker::FailHandshakeRead(Session& session, std::string_view why) {
  // Go's text for a failed read: "read tcp LOCAL->PEER: <why>".
  sockaddr_storage local{};
  int local_port = 0;
  const std::string local_ip =
      loop_.LocalAddress(session.conn, &local) ? ring::AddressIp(local, &local_port) : "";
  log::Error("%s - %s: read tcp %s->%s: %s", session.log_prefix, TlsErrorPrefix(session),
             ring::JoinHostPort(local_ip, local_port),
             ring::JoinHostPort(session.peer_ip, session.peer_port), why);
  Close(session, CloseReason::kTlsHandshakeFailure);
}

}  // namespace ringnats::broker
