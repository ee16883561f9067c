// A connection's input on its worker: parsed as it arrives, within a per-iteration work
// budget so that one client sending a million SUBs, or publishing to thousands of local
// subscribers, cannot keep its neighbours waiting; and parked whenever it must not be parsed
// yet (a bcrypt verdict pending, the producer stalled behind a slow consumer, credit owed
// by another worker, or the budget used up). Parked input is bounded: reading pauses as soon
// as input is blocked, or once the parked bytes pass kParkedInputPauseBytes, and TCP pushes
// back on the client. What the receive under way delivers before the pause takes effect is
// parked too: at most one streaming burst (ring::LoopSettings::streaming_burst_bytes; on
// kernels before 6.17, which have no burst bound, whatever the kernel drained before the
// pause).

#include "ringnats/broker/worker.h"

namespace ringnats::broker {
namespace {

// Work one session may do per loop iteration before the rest of its input waits for the
// next one. A unit is roughly one publish or one delivery (tens of nanoseconds); SUB and
// UNSUB change the shared trie and count as kSubscriptionWork. About a millisecond of work.
constexpr uint32_t kWorkBudgetPerIteration = 16 * 1024;
constexpr uint32_t kSubscriptionWork = 16;
// Parked input past which reading pauses even while the session may still parse.
constexpr size_t kParkedInputPauseBytes = 256 * 1024;

uint32_t WorkOf(const proto::Op& op, uint32_t deliveries) {
  switch (op.type) {
    case proto::OpType::kSub:
    case proto::OpType::kUnsub: return kSubscriptionWork;
    case proto::OpType::kPub:
    case proto::OpType::kHpub: return 1 + deliveries;
    default: return 1;
  }
}

}  // namespace

uint32_t& Worker::WorkDone(Session& session) {
  if (session.budget_iteration != iteration_) {
    session.budget_iteration = iteration_;
    session.work_done = 0;
  }
  return session.work_done;
}

bool Worker::InputBlocked(const Session& session) const {
  return session.auth_pending || session.stalled_until_ns != 0 || session.waiting_for_credit;
}

void Worker::ProcessInput(Session& session, std::string_view input) {
  if (!session.parked_input.empty() || InputBlocked(session)) {
    // Order is kept: new bytes queue behind the parked ones.
    ParkInput(session, input);
    return;
  }
  const std::string_view rest = ParseWithinBudget(session, input);
  if (!rest.empty() && !session.closing) ParkInput(session, rest);
}

std::string_view Worker::ParseWithinBudget(Session& session, std::string_view input) {
  if (session.kind == SessionKind::kRoute) return ParseRouteWithinBudget(session, input);
  uint32_t& work = WorkDone(session);
  while (!input.empty()) {
    if (InputBlocked(session) || work >= kWorkBudgetPerIteration) return input;
    const proto::ParseStep& step = session.parser.Next(input);
    if (step.status == proto::ParseStatus::kNeedMore) return {};
    if (step.status == proto::ParseStatus::kError) {
      HandleParseError(session, step);
      return {};
    }
    deliveries_of_last_op_ = 0;
    HandleOp(session, step.op);
    if (session.closing) return {};
    work += WorkOf(step.op, deliveries_of_last_op_);
  }
  return input;
}

std::string_view Worker::ParseRouteWithinBudget(Session& session, std::string_view input) {
  uint32_t& work = WorkDone(session);
  proto::RouteParser& parser = session.route->parser;
  while (!input.empty()) {
    if (InputBlocked(session) || work >= kWorkBudgetPerIteration) return input;
    const proto::RouteParseStep& step = parser.Next(input);
    if (step.status == proto::RouteParseStatus::kNeedMore) return {};
    if (step.status == proto::RouteParseStatus::kError) {
      route_protocol_.HandleParseError(session, step);
      return {};
    }
    deliveries_of_last_op_ = 0;
    route_protocol_.HandleOp(session, step.op);
    if (session.closing) return {};
    const bool interest = step.op.type == proto::RouteOpType::kSubPlus ||
                          step.op.type == proto::RouteOpType::kSubMinus;
    work += interest ? kSubscriptionWork : 1 + deliveries_of_last_op_;
  }
  return input;
}

void Worker::ParkInput(Session& session, std::string_view input) {
  session.parked_input.append(input);
  if (InputBlocked(session) || session.parked_input.size() > kParkedInputPauseBytes) {
    PauseReading(session);
  }
  if (!session.parked_listed && !InputBlocked(session)) {
    session.parked_listed = true;
    parked_sessions_.push_back(session.conn);
  }
}

void Worker::PauseReading(Session& session) {
  if (session.receive_paused) return;
  session.receive_paused = true;
  loop_.PauseReceive(session.conn);
}

void Worker::ResumeReading(Session& session) {
  if (!session.receive_paused) return;
  session.receive_paused = false;
  loop_.ResumeReceive(session.conn);
}

void Worker::ContinueInput(Session& session) {
  if (session.closing || InputBlocked(session)) return;
  if (session.parked_input.empty()) {
    ResumeReading(session);
    return;
  }
  if (!session.parked_listed) {
    session.parked_listed = true;
    parked_sessions_.push_back(session.conn);
  }
}

void Worker::ContinueParkedInput() {
  if (parked_sessions_.empty()) return;
  std::vector<ring::ConnId> sessions;
  sessions.swap(parked_sessions_);
  for (ring::ConnId id : sessions) {
    Session* session = Find(id);
    if (session == nullptr) continue;
    session->parked_listed = false;
    if (session->closing || InputBlocked(*session)) continue;  // listed again when unblocked
    std::string parked;
    parked.swap(session->parked_input);
    const std::string_view rest = ParseWithinBudget(*session, parked);
    if (session->closing) continue;
    if (!rest.empty()) {
      // Budget used up or blocked again: what is left keeps its place ahead of anything
      // that arrived meanwhile.
      parked.erase(0, parked.size() - rest.size());
      parked.append(session->parked_input);
      session->parked_input.swap(parked);
      if (InputBlocked(*session)) {
        PauseReading(*session);
      } else {
        session->parked_listed = true;
        parked_sessions_.push_back(id);
      }
    } else if (!session->parked_input.empty()) {
      // Bytes that arrived while this ran.
      session->parked_listed = true;
      parked_sessions_.push_back(id);
    } else {
      ResumeReading(*session);
    }
    // Keep the buffer for the next round unless a burst made it large.
    if (session->parked_input.empty() && parked.capacity() <= 64 * 1024) {
      parked.clear();
      session->parked_input.swap(parked);
    }
  }
}

}  // namespace ringnats::broker
