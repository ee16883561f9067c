// A reloaded configuration reaching one worker: new limits for every session, and every
// authenticated session checked again against the new users, passwords, tokens and
// permissions (routes this node accepted: against new cluster credentials). Sessions that
// no longer pass are closed with Authorization Violation; the others keep their connection
// and their subscriptions.

#include <atomic>
#include <cstdint>

#include "absl/strings/str_format.h"
#include "ringnats/auth/authenticate.h"
#include "ringnats/auth/permissions.h"
#include "ringnats/broker/worker.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {

void Worker::ApplyConfig(RuntimeConfigPtr config) {
  const bool auth_changed = config->auth != config_->auth;
  const bool client_pins_changed =
      config->options.tls.pinned_certs != config_->options.tls.pinned_certs;
  const bool route_pins_changed =
      config->options.cluster.tls.pinned_certs != config_->options.cluster.tls.pinned_certs;
  const bool route_credentials_changed =
      config->options.cluster.user != config_->options.cluster.user ||
      config->options.cluster.password != config_->options.cluster.password;
  config_ = std::move(config);
  options_ = &config_->options;
  next_timer_due_ns_ = 0;  // timeouts may have changed: look at every session on the next tick
  const proto::ParserLimits limits{static_cast<size_t>(options_->max_control_line),
                                   options_->max_payload};
  for (auto& slot : sessions_) {
    if (slot == nullptr || slot->closing) continue;
    if (slot->kind == SessionKind::kRoute && route_credentials_changed) {
      route_protocol_.RecheckAfterReload(*slot);
    }
    if (slot->kind != SessionKind::kClient) continue;
    Session& session = *slot;
    session.parser.set_limits(limits);
    if (auth_changed) ReauthenticateAfterReload(session);
  }
  if (client_pins_changed || route_pins_changed) {
    RecheckPinnedCerts(client_pins_changed, route_pins_changed);
  }
  ShedClientsOverMaxConnections();
}

namespace {

// One of the clients still to be shed, if any are left.
bool TakeOne(std::atomic<int64_t>& count) {
  int64_t left = count.load(std::memory_order_relaxed);
  while (left > 0 && !count.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) {
  }
  return left > 0;
}

}  // namespace

void Worker::ShedClientsOverMaxConnections() {
  size_t closed = 0;
  for (auto& slot : sessions_) {
    if (slot == nullptr || slot->closing || slot->kind != SessionKind::kClient) continue;
    if (!TakeOne(shared_.clients_to_shed)) break;
    log::Error("%s - maximum connections exceeded", slot->log_prefix);
    CloseWithError(*slot, "maximum connections exceeded", CloseReason::kMaxConnectionsExceeded);
    ++closed;
  }
  // nats-server counts the whole server's; each worker counts its own.
  if (closed > 0) log::Info("Closed %d connections to fall within max_connections", closed);
}

void Worker::RecheckPinnedCerts(bool clients, bool routes) {
  size_t disconnected = 0;
  for (auto& slot : sessions_) {
    if (slot == nullptr || slot->closing || !slot->tls || slot->tls_deadline_ns != 0) continue;
    Session& session = *slot;
    const bool route = session.kind == SessionKind::kRoute;
    if (route ? !routes : !clients) continue;
    const tls::Engine* engine = loop_.tls_engine(session.conn);
    if (engine == nullptr || PassesPinnedCerts(session, *engine)) continue;
    ++disconnected;
    Close(session, CloseReason::kTlsHandshakeFailure);
  }
  // nats-server counts the whole server's; each worker counts its own.
  if (disconnected > 0) {
    log::Info("Disconnect %d clients due to pinned certs reload", disconnected);
  }
}

void Worker::ReauthenticateAfterReload(Session& session) {
  // The old snapshot stays alive until this returns: session.user still points into it.
  const auth::AuthConfigPtr previous = std::move(session.auth_snapshot);
  session.auth_snapshot = config_->auth;
  // A check a previous reload queued is superseded by this one.
  session.reauth_pending = false;
  session.reauth_user = nullptr;
  session.reauth_snapshot.reset();
  const auth::AuthConfig& auth_config = *session.auth_snapshot;
  if (!session.authenticated) {
    // Still waiting for CONNECT (or for a verdict under the old rules, which is then checked
    // again when it arrives): the new rules apply from here on.
    if (!auth_config.enabled()) {
      session.authenticated = true;
      session.auth_deadline_ns = 0;
      session.parser.set_connect_required(false);
      // Nothing waits for a verdict any more: read as any authenticated session reads
      // (its CONNECT, when it comes, goes straight to FinishConnect).
      loop_.SetReceiveMode(session.conn, ring::ReceiveMode::kStreaming);
    }
    if (session.auth_pending) session.reauth_pending = true;  // decided again on arrival
    return;
  }
  // Any verdict still owed for this session's previous check no longer counts.
  ++session.auth_ticket;
  if (!auth_config.enabled()) {
    // A client that signed in as a user loses that user: nats-server closes it, silently.
    if (session.user != nullptr) {
      Close(session, CloseReason::kAuthenticationViolation);
      return;
    }
    SetUser(session, nullptr);
    return;
  }
  if (auth_config.mode == auth::AuthConfig::Mode::kUsers && session.user != nullptr &&
      !auth_config.users.contains(session.user->name)) {
    // Removed users are closed without -ERR, as nats-server does (to it they moved away).
    Close(session, CloseReason::kAuthenticationViolation);
    return;
  }
  session.auth_queued_locally = false;  // a check waiting for the pool is decided anew here
  RecheckCredentials(session);
}

void Worker::RecheckCredentials(Session& session) {
  const auth::AuthConfig& auth_config = *session.auth_snapshot;
  const auth::Verdict verdict = auth::Authenticate(
      auth_config,
      auth::Credentials{session.connect.user, session.connect.pass, session.connect.auth_token},
      session.tls_peer ? &*session.tls_peer : nullptr);
  switch (verdict.kind) {
    case auth::Verdict::Kind::kAccept:
      SetUser(session, verdict.user);
      EnforceSubscribePermissions(session);
      return;
    case auth::Verdict::Kind::kReject:
      session.auth_log_user = verdict.log_user_named
                                  ? absl::StrFormat(" - User \"%s\"", verdict.log_user)
                                  : std::string();
      AuthenticationFailed(session);
      return;
    case auth::Verdict::Kind::kNeedsHash: break;
  }
  if (!session.verified_hash.empty() && session.verified_hash == verdict.stored_hash) {
    // The same secret against the same bcrypt hash: the verdict cannot have changed.
    RecheckPassed(session, verdict.user);
    return;
  }
  // bcrypt again, off the ring; the session keeps working under its old identity meanwhile.
  SubmitHashCheck(session, verdict, /*recheck=*/true);
}

void Worker::EnforceSubscribePermissions(Session& session) {
  if (session.permissions == nullptr) return;
  std::vector<uint32_t> revoked;
  for (const auto& [sid, slot] : session.subs_by_sid) {
    const Subscription& sub = subs_.at(slot);
    if (!auth::MaySubscribe(*session.permissions, sub.subject, sub.queue)) revoked.push_back(slot);
  }
  for (uint32_t slot : revoked) {
    const Subscription& sub = subs_.at(slot);
    SendErr(session,
            absl::StrFormat("Permissions Violation for Subscription to \"%s\" (sid \"%s\")",
                            sub.subject, sub.sid));
    RemoveSubscription(slot);
  }
}

}  // namespace ringnats::broker
