#pragma once
// Owning handles for the NATS C client's objects, and a gtest check for its status codes.

#include <nats/nats.h>

#include <memory>
#include <string_view>

#include <gtest/gtest.h>

namespace ringnats::interop {

struct OptionsDeleter {
  void operator()(natsOptions* opts) const { natsOptions_Destroy(opts); }
};
struct ConnectionDeleter {
  // Destroy closes the connection first when it is still open.
  void operator()(natsConnection* nc) const { natsConnection_Destroy(nc); }
};
struct SubscriptionDeleter {
  // Destroy unsubscribes first when the subscription is still active.
  void operator()(natsSubscription* sub) const { natsSubscription_Destroy(sub); }
};
struct MsgDeleter {
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
};

using Options = std::unique_ptr<natsOptions, OptionsDeleter>;
using Connection = std::unique_ptr<natsConnection, ConnectionDeleter>;
using Subscription = std::unique_ptr<natsSubscription, SubscriptionDeleter>;
using Msg = std::unique_ptr<natsMsg, MsgDeleter>;

// Success when `status` is NATS_OK; otherwise names the call, the status and the library's
// last error text, which is where the C client explains what went wrong.
inline ::testing::AssertionResult NatsOk(natsStatus status, std::string_view call) {
  if (status == NATS_OK) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << call << " returned " << natsStatus_GetText(status) << " (" << nats_GetLastError(nullptr)
         << ")";
}

#define RN_ASSERT_NATS_OK(expr) ASSERT_TRUE(::ringnats::interop::NatsOk((expr), #expr))
#define RN_EXPECT_NATS_OK(expr) EXPECT_TRUE(::ringnats::interop::NatsOk((expr), #expr))

// The payload of `msg` as text (payloads in these tests are not NUL-terminated on the wire).
inline std::string_view Payload(natsMsg* msg) {
  return std::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
}

}  // namespace ringnats::interop
