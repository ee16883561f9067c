#include "auth/round_trips.h"

#include "absl/strings/str_format.h"

namespace ringnats::authtest {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;

absl::StatusOr<std::unique_ptr<RoundTripper>> RoundTripper::Create(int port,
                                                                   std::string_view connect_json,
                                                                   std::string_view subject) {
  std::unique_ptr<RoundTripper> pair(new RoundTripper());
  pair->subject_ = std::string(subject);
  pair->inbox_ = absl::StrFormat("%s.reply", subject);
  absl::StatusOr<std::unique_ptr<harness::RawClient>> responder =
      harness::ConnectAndHandshake(port, connect_json);
  if (!responder.ok()) {
    return responder.status();
  }
  pair->responder_ = std::move(*responder);
  absl::StatusOr<std::unique_ptr<harness::RawClient>> requester =
      harness::ConnectAndHandshake(port, connect_json);
  if (!requester.ok()) {
    return requester.status();
  }
  pair->requester_ = std::move(*requester);
  // The requester's SUB and the responder's SUB are both in place once each PONG is back.
  if (AssertionResult r = pair->requester_->Send(absl::StrFormat("SUB %s 1\r\n", pair->inbox_));
      !r) {
    return absl::InternalError(r.message());
  }
  if (AssertionResult r = pair->requester_->Ping(); !r) {
    return absl::InternalError(r.message());
  }
  if (AssertionResult r = pair->responder_->Send(absl::StrFormat("SUB %s 1\r\n", subject)); !r) {
    return absl::InternalError(r.message());
  }
  if (AssertionResult r = pair->responder_->Ping(); !r) {
    return absl::InternalError(r.message());
  }
  return pair;
}

AssertionResult RoundTripper::RoundTrip(int n) {
  const std::string request = absl::StrFormat("request-%d", n);
  const std::string reply = absl::StrFormat("reply-%d", n);
  if (AssertionResult r = requester_->Send(
          absl::StrFormat("PUB %s %s %d\r\n%s\r\n", subject_, inbox_, request.size(), request));
      !r) {
    return r;
  }
  harness::Msg msg;
  if (AssertionResult r = responder_->ReadMsg(&msg); !r) {
    return r << " (responder, round trip " << n << ")";
  }
  if (msg.payload != request || msg.reply != inbox_) {
    return AssertionFailure() << "round trip " << n << ": responder got \"" << msg.payload
                              << "\" with reply \"" << msg.reply << "\"";
  }
  if (AssertionResult r =
          responder_->Send(absl::StrFormat("PUB %s %d\r\n%s\r\n", msg.reply, reply.size(), reply));
      !r) {
    return r;
  }
  if (AssertionResult r = requester_->ReadMsg(&msg); !r) {
    return r << " (requester, round trip " << n << ")";
  }
  if (msg.payload != reply) {
    return AssertionFailure() << "round trip " << n << ": requester got \"" << msg.payload << "\"";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace ringnats::authtest
