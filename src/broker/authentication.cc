// Client authentication on a worker: cheap checks (plain passwords, tokens) inline, bcrypt in
// the auth pool. The ring thread never hashes; a connection waiting for its verdict is
// paused, and the result comes back as a message from the pool.

#include "absl/strings/str_format.h"
#include "ringnats/auth/authenticate.h"
#include "ringnats/broker/worker.h"
#include "ringnats/util/log.h"

namespace ringnats::broker {
namespace {

ring::ConnId ConnOf(uint64_t key) {
  return ring::ConnId{static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32) & 0xffffff};
}
uint8_t TicketOf(uint64_t key) { return static_cast<uint8_t>(key >> 56); }

}  // namespace

uint64_t SessionKey(ring::ConnId id, uint8_t ticket) {
  // The ring's connection generations use 24 bits; the top byte names the check.
  return (uint64_t{ticket} << 56) | (uint64_t{id.generation & 0xffffff} << 32) | id.slot;
}

void Worker::Authenticate(Session& session) {
  const auth::Credentials presented{session.connect.user, session.connect.pass,
                                    session.connect.auth_token};
  const auth::Verdict verdict = auth::Authenticate(*session.auth_snapshot, presented,
                                                   session.tls_peer ? &*session.tls_peer : nullptr);
  if (!verdict.certificate_match.empty()) {
    log::Debug("%s - Using %s for auth [\"%s\"]", session.log_prefix, verdict.certificate_match,
               verdict.user->name);
  }
  if (session.auth_snapshot->tls_map && verdict.user != nullptr && !session.connect.user.empty()) {
    log::Warn("%s - User \"%s\" found in connect proto, but user required from cert",
              session.log_prefix, session.connect.user);
  }
  session.auth_log_user =
      verdict.log_user_named ? absl::StrFormat(" - User \"%s\"", verdict.log_user) : std::string();
  switch (verdict.kind) {
    case auth::Verdict::Kind::kAccept:
      session.user = verdict.user;
      AuthenticationSucceeded(session);
      return;
    case auth::Verdict::Kind::kReject: AuthenticationFailed(session); return;
    case auth::Verdict::Kind::kNeedsHash: break;
  }
  session.user = verdict.user;
  SubmitHashCheck(session, verdict, /*recheck=*/false);
}

void Worker::SubmitHashCheck(Session& session, const auth::Verdict& verdict, bool recheck) {
  ++session.auth_ticket;
  session.hash_in_check.assign(verdict.stored_hash);
  if (recheck) {
    session.reauth_user = verdict.user;
    session.reauth_snapshot = session.auth_snapshot;
  }
  switch (shared_.auth_pool->Submit(HashCheckFor(session, verdict))) {
    case auth::AuthPool::Submitted::kCachedOk:
      log::Debug("%s - credentials verified from the cache", session.log_prefix);
      session.verified_hash.swap(session.hash_in_check);
      if (recheck) {
        RecheckPassed(session, verdict.user);
      } else {
        AuthenticationSucceeded(session);
      }
      return;
    case auth::AuthPool::Submitted::kCachedFailed: AuthenticationFailed(session); return;
    case auth::AuthPool::Submitted::kQueueFull:
      // Overload is not a verdict: wait here and submit again on a later tick. A recheck
      // keeps the session working under its current identity meanwhile.
      log::Debug("%s - authentication pool queue is full, the check waits", session.log_prefix);
      session.auth_queued_locally = true;
      auth_waiting_.push_back(session.conn);
      if (!recheck) {
        session.auth_pending = true;
        loop_.WatchForHangup(session.conn);
      }
      return;
    case auth::AuthPool::Submitted::kQueued:
      if (recheck) {
        session.reauth_pending = true;
      } else {
        session.auth_pending = true;
        loop_.WatchForHangup(session.conn);
      }
      return;
  }
}

void Worker::RetryQueuedAuthentications() {
  if (auth_waiting_.empty()) return;
  std::vector<ring::ConnId> waiting;
  waiting.swap(auth_waiting_);
  for (ring::ConnId id : waiting) {
    Session* session = Find(id);
    if (session == nullptr || session->closing || !session->auth_queued_locally) continue;
    session->auth_queued_locally = false;
    if (session->auth_pending) {
      // A first authentication: decide again under the rules in force now.
      session->auth_pending = false;
      session->reauth_pending = false;
      Authenticate(*session);
      if (!session->closing && !session->auth_pending) ContinueInput(*session);
    } else {
      RecheckCredentials(*session);
    }
  }
}

void Worker::RecheckPassed(Session& session, const auth::User* user) {
  session.reauth_user = nullptr;
  session.reauth_snapshot.reset();
  SetUser(session, user);
  EnforceSubscribePermissions(session);
}

auth::HashCheck Worker::HashCheckFor(const Session& session, const auth::Verdict& verdict) const {
  auth::HashCheck check;
  check.worker = index_;
  check.session = SessionKey(session.conn, session.auth_ticket);
  check.user = verdict.user != nullptr ? verdict.user->name : std::string();
  check.stored_hash.assign(verdict.stored_hash);
  check.secret.assign(verdict.secret);
  return check;
}

void Worker::RecordAuthWait(Session& session) {
  if (session.connect_received_ns == 0) return;
  shared_.monitor.auth_wait.Record(absl::Nanoseconds(now_ns_ - session.connect_received_ns));
  session.connect_received_ns = 0;
}

void Worker::AuthenticationSucceeded(Session& session) {
  shared_.monitor.auth_successes.fetch_add(1, std::memory_order_relaxed);
  RecordAuthWait(session);
  session.authenticated = true;
  SetUser(session, session.user);
  session.parser.set_connect_required(false);
  loop_.SetReceiveMode(session.conn, ring::ReceiveMode::kStreaming);
  if (session.kind == SessionKind::kRoute) {
    route_protocol_.Authenticated(session);
  } else {
    FinishConnect(session);
  }
}

void Worker::SetUser(Session& session, const auth::User* user) {
  // `user` always comes from the session's current snapshot.
  session.user_snapshot = user != nullptr ? session.auth_snapshot : nullptr;
  session.user = user;
  session.permissions =
      user != nullptr && user->permissions.has_value() ? &*user->permissions : nullptr;
  session.publish_verdicts.clear();
  session.responses.clear();
}

void Worker::AuthenticationFailed(Session& session) {
  shared_.auth_failures.fetch_add(1, std::memory_order_relaxed);
  RecordAuthWait(session);
  session.user = nullptr;
  log::Error("%s - authentication error%s", session.log_prefix, session.auth_log_user);
  CloseWithError(session, "Authorization Violation", CloseReason::kAuthenticationViolation);
}

void Worker::ReceiveAuthResults() {
  auth_results_.clear();
  shared_.auth_pool->TakeResults(index_, &auth_results_);
  for (const auth::HashResult& result : auth_results_) {
    Session* session = Find(ConnOf(result.session));
    if (session == nullptr || session->closing) continue;
    // A verdict for a check that a later one replaced (a reload came in between) is stale.
    if (TicketOf(result.session) != session->auth_ticket) continue;
    if (session->reauth_pending && !session->auth_pending) {
      // The check a reload asked for; a later reload may have replaced the rules since.
      session->reauth_pending = false;
      const bool current = session->reauth_snapshot == session->auth_snapshot;
      if (!current) {
        session->reauth_snapshot.reset();
        continue;
      }
      if (!result.ok) {
        AuthenticationFailed(*session);
      } else {
        session->verified_hash.swap(session->hash_in_check);
        RecheckPassed(*session, session->reauth_user);
      }
      continue;
    }
    if (!session->auth_pending) continue;
    session->auth_pending = false;
    if (session->reauth_pending) {
      // The rules changed while this verdict was computed: decide again under the new ones.
      session->reauth_pending = false;
      Authenticate(*session);
      if (!session->auth_pending && !session->closing) ContinueInput(*session);
      continue;
    }
    if (!result.ok) {
      AuthenticationFailed(*session);
      continue;
    }
    session->verified_hash.swap(session->hash_in_check);
    AuthenticationSucceeded(*session);
    if (!session->closing) ContinueInput(*session);
  }
}

}  // namespace ringnats::broker
