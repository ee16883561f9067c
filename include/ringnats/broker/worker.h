#pragma once
// A worker: one ring thread and everything it owns, i.e. its client sessions, their
// subscriptions, its match cache and its outgoing batches to other workers. It speaks the
// NATS client protocol on top of its EventLoop.
//
// Owned by one thread: every member is touched only from the worker's own thread, except
// the cross-worker queues in SharedState, which are SPSC and documented there.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "ringnats/auth/authenticate.h"
#include "ringnats/broker/delivery_batch.h"
#include "ringnats/broker/msg_frame.h"
#include "ringnats/broker/session.h"
#include "ringnats/broker/shared_state.h"
#include "ringnats/broker/subscription_table.h"
#include "ringnats/ring/event_loop.h"
#include "ringnats/sublist/trie.h"

namespace ringnats::broker {

// The auth pool's opaque name for one of a worker's connections.
uint64_t SessionKey(ring::ConnId id, uint8_t ticket);

class Worker final : public ring::LoopHandler {
 public:
  Worker(uint32_t index, SharedState& shared, ring::EventLoop& loop);
  ~Worker() override;

  // ring::LoopHandler
  void OnAccepted(ring::ConnId id, const sockaddr_storage& peer) override;
  void OnReceived(ring::ConnId id, std::string_view data) override;
  void OnPeerGone(ring::ConnId id, ring::PeerGone why) override;
  void OnConnClosed(ring::ConnId id) override;
  void OnWake() override;
  void OnIterationEnd() override;
  void OnTick(int64_t now_ns) override;
  bool HasPendingWork() override;

 private:
  void ProcessInput(Session& session, std::string_view input);
  void HandleParseError(Session& session, const proto::ParseStep& step);

  // client_ops.cc: one parsed operation from a client.
  void HandleOp(Session& session, const proto::Op& op);
  void HandleConnect(Session& session, const proto::Op& op);
  // What follows a successful authentication: nats-server's remaining CONNECT checks.
  void FinishConnect(Session& session);
  void HandleSub(Session& session, const proto::Op& op);
  void HandleUnsub(Session& session, const proto::Op& op);
  void HandlePing(Session& session);
  void HandlePong(Session& session);
  void SendOk(Session& session);
  // Sends `-ERR '<text>'`; the connection stays open.
  void SendErr(Session& session, std::string_view text);
  // Sends `-ERR '<text>'` and closes once it is flushed.
  void CloseWithError(Session& session, std::string_view text, CloseReason reason);
  // Closes without a word; what is already queued is still flushed unless the reason says
  // the socket cannot take it.
  void Close(Session& session, CloseReason reason);
  void Write(Session& session, std::string_view bytes);

  // authentication.cc
  // Checks the credentials of the CONNECT just decoded: settles it at once, or leaves the
  // session auth_pending while the auth pool runs bcrypt.
  void Authenticate(Session& session);
  // The bcrypt check the auth pool is to run for this session's presented secret.
  auth::HashCheck HashCheckFor(const Session& session, const auth::Verdict& verdict) const;
  void AuthenticationSucceeded(Session& session);
  void SetUser(Session& session, const auth::User* user);
  void AuthenticationFailed(Session& session);
  void ReceiveAuthResults();
  // Reading resumes and the input that waited for the verdict is parsed.
  void ResumeAfterAuthentication(Session& session);

  // publish.cc: routing a PUB/HPUB to every matching subscription.
  void HandlePublish(Session& publisher, const proto::Op& op);
  // Returns whether the message was delivered (false for a stale or echo-suppressed ref).
  bool DeliverLocal(sublist::SubRef ref, const Message& message, const MsgFrame& frame,
                    const Session* publisher);
  void QueueRemote(sublist::SubRef ref);
  void FlushRemoteRefs(const Message& message);
  void SendNoResponders(Session& publisher, std::string_view reply);
  // Publish permission for this session, logging and answering a refusal.
  bool CheckPublishPermission(Session& publisher, std::string_view subject);
  // Remember that `target` may answer `reply` (allow_responses).
  void AllowResponse(Session& target, std::string_view reply);
  void ReceiveBatches();
  void SendBatches();

  // subscriptions
  void RemoveSubscription(uint32_t sub_slot);

  // reload.cc: a new configuration snapshot reached this worker.
  void ApplyConfig(RuntimeConfigPtr config);
  void ReauthenticateAfterReload(Session& session);
  void EnforceSubscribePermissions(Session& session);

  // lame_duck.cc
  void EnterLameDuck();
  void CloseForLameDuck(int64_t now_ns);

  // timers.cc
  void CheckTimers(Session& session, int64_t now_ns);

  Session* Find(ring::ConnId id);

  const uint32_t index_;
  SharedState& shared_;
  ring::EventLoop& loop_;
  // The configuration in force (replaced on reload) and a shortcut to its options.
  RuntimeConfigPtr config_;
  uint64_t config_generation_ = 0;
  const config::ServerOptions* options_;
  WorkerCounters& counters_;
  sublist::MatchCache match_cache_;
  SubscriptionTable subs_;
  std::vector<std::unique_ptr<Session>> sessions_;  // by loop slot
  std::vector<Session*> live_sessions_;             // for timers
  int64_t now_ns_ = 0;
  // The earliest keep-alive or auth deadline of any session, so idle ticks skip the scan.
  // Lowered by ScheduleTimer whenever a session sets an earlier one.
  int64_t next_timer_due_ns_ = 0;
  void ScheduleTimer(int64_t at_ns) { next_timer_due_ns_ = std::min(next_timer_due_ns_, at_ns); }
  bool in_lame_duck_ = false;
  size_t lame_duck_initial_sessions_ = 0;
  size_t lame_duck_closed_ = 0;

  // Per destination worker: the batch being filled this iteration, batches the queue had no
  // room for, and spare batches returned by the destination.
  struct Outgoing {
    DeliveryBatch* filling = nullptr;
    std::vector<DeliveryBatch*> overflow;
    size_t overflow_bytes = 0;
  };
  std::vector<Outgoing> outgoing_;
  std::vector<DeliveryBatch*> spare_batches_;
  // Scratch for one publish: matched refs grouped by destination worker.
  std::vector<std::vector<sublist::SubRef>> remote_refs_;
  std::vector<uint32_t> remote_touched_;
  // Publishers paused because a destination worker is not keeping up.
  std::vector<ring::ConnId> paused_publishers_;

  std::vector<auth::HashResult> auth_results_;
  absl::InsecureBitGen random_;
  std::string scratch_;
  MsgFrame frame_;  // the message being delivered (publish.cc, ReceiveBatches)
};

}  // namespace ringnats::broker
