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
  const auth::Verdict verdict = auth::Authenticate(*session.auth_snapshot, presented);
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
  ++session.auth_ticket;
  switch (shared_.auth_pool->Submit(HashCheckFor(session, verdict))) {
    case auth::AuthPool::Submitted::kCachedOk:
      log::Debug("%s - credentials verified from the cache", session.log_prefix);
      AuthenticationSucceeded(session);
      return;
    case auth::AuthPool::Submitted::kCachedFailed: AuthenticationFailed(session); return;
    case auth::AuthPool::Submitted::kQueueFull:
      log::Error("%s - authentication pool queue is full, refusing the connection",
                 session.log_prefix);
      AuthenticationFailed(session);
      return;
    case auth::AuthPool::Submitted::kQueued:
      session.auth_pending = true;
      loop_.PauseReceive(session.conn);
      return;
  }
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

void Worker::AuthenticationSucceeded(Session& session) {
  session.authenticated = true;
  SetUser(session, session.user);
  session.parser.set_connect_required(false);
  FinishConnect(session);
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
      session->reauth_snapshot.reset();
      if (!current) continue;
      if (!result.ok) {
        AuthenticationFailed(*session);
      } else {
        SetUser(*session, session->reauth_user);
        EnforceSubscribePermissions(*session);
      }
      continue;
    }
    if (!session->auth_pending) continue;
    session->auth_pending = false;
    if (session->reauth_pending) {
      // The rules changed while this verdict was computed: decide again under the new ones.
      session->reauth_pending = false;
      Authenticate(*session);
      if (!session->auth_pending && !session->closing) ResumeAfterAuthentication(*session);
      continue;
    }
    if (!result.ok) {
      AuthenticationFailed(*session);
      continue;
    }
    AuthenticationSucceeded(*session);
    if (!session->closing) ResumeAfterAuthentication(*session);
  }
}

void Worker::ResumeAfterAuthentication(Session& session) {
  loop_.ResumeReceive(session.conn);
  std::string stashed;
  stashed.swap(session.stash);
  ProcessInput(session, stashed);
}

}  // namespace ringnats::broker
