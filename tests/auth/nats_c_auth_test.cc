// The NATS C client (libnats) logging in with credentials in the URL — `nats://user:pass@…`
// for user/password, `nats://token@…` for a token — against the server under test (from
// RINGNATS_SERVER / RINGNATS_SERVER_ARGS; nats-server when unset). Right credentials give a
// working connection; wrong ones make the connect fail with the authorization error the
// client derives from `-ERR 'Authorization Violation'`.

#include <gtest/gtest.h>
#include <nats/nats.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "auth/credentials.h"
#include "c_client/nats_handles.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"

namespace ringnats::authtest {
namespace {

using interop::Connection;
using interop::Msg;
using interop::NatsOk;
using interop::Options;
using interop::Subscription;

constexpr int64_t kTimeoutMs = 10000;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Asynchronous errors the client reports (permission violations), for the test thread.
class ErrorLog {
 public:
  static void OnError(natsConnection* nc, natsSubscription* /*sub*/, natsStatus status,
                      void* closure) {
    auto* self = static_cast<ErrorLog*>(closure);
    const char* text = nullptr;
    natsConnection_GetLastError(nc, &text);
    std::lock_guard<std::mutex> lock(self->mu_);
    self->errors_.push_back(
        absl::StrFormat("%s: %s", natsStatus_GetText(status), text != nullptr ? text : ""));
    self->changed_.notify_all();
  }

  // The first error, once there is one; empty after the timeout.
  std::string WaitForFirst() {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, std::chrono::milliseconds(kTimeoutMs),
                      [this] { return !errors_.empty(); });
    return errors_.empty() ? std::string() : errors_.front();
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> errors_;
};

class NatsCAuthTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& config, const std::vector<std::string>& args) {
    harness::ServerOptions options{harness::ServerUnderTest(), config, args};
    auto server = harness::ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << harness::Describe(options.spec) << ": " << server.status();
    server_ = *std::move(server);
  }

  std::string Url(std::string_view userinfo) const {
    return absl::StrFormat("nats://%s%s127.0.0.1:%d", userinfo, userinfo.empty() ? "" : "@",
                           server_->port());
  }

  // Connects once (no reconnects, no retries); `nc` is set on success.
  natsStatus ConnectTo(const std::string& url, Connection* nc, ErrorLog* errors = nullptr) {
    natsOptions* raw = nullptr;
    if (natsStatus s = natsOptions_Create(&raw); s != NATS_OK) {
      return s;
    }
    Options opts(raw);
    natsOptions_SetURL(opts.get(), url.c_str());
    natsOptions_SetAllowReconnect(opts.get(), false);
    natsOptions_SetTimeout(opts.get(), kTimeoutMs);
    if (errors != nullptr) {
      natsOptions_SetErrorHandler(opts.get(), &ErrorLog::OnError, errors);
    }
    natsConnection* conn = nullptr;
    const natsStatus s = natsConnection_Connect(&conn, opts.get());
    nc->reset(conn);
    return s;
  }

  // A message published on `nc` comes back through a subscription on `nc`.
  static void ExpectRoundTrip(natsConnection* nc) {
    natsSubscription* raw = nullptr;
    RN_ASSERT_NATS_OK(natsConnection_SubscribeSync(&raw, nc, "auth.c.echo"));
    Subscription sub(raw);
    RN_ASSERT_NATS_OK(natsConnection_PublishString(nc, "auth.c.echo", "hello"));
    natsMsg* msg = nullptr;
    RN_ASSERT_NATS_OK(natsSubscription_NextMsg(&msg, sub.get(), kTimeoutMs));
    Msg owned(msg);
    EXPECT_EQ(interop::Payload(msg), "hello");
  }

  // The connect failed, and the client says why: authorization.
  void ExpectAuthFailure(const std::string& url) {
    Connection nc;
    const natsStatus s = ConnectTo(url, &nc);
    EXPECT_NE(s, NATS_OK) << url;
    const char* text = nats_GetLastError(nullptr);
    EXPECT_NE(Lower(text != nullptr ? text : "").find("authorization violation"), std::string::npos)
        << url << ": " << natsStatus_GetText(s) << " (" << (text != nullptr ? text : "") << ")";
  }

  std::unique_ptr<harness::ServerProcess> server_;
};

TEST_F(NatsCAuthTest, UserAndPasswordInUrl) {
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"--user", "foo", "--pass", "bar"}));
  Connection nc;
  RN_ASSERT_NATS_OK(ConnectTo(Url("foo:bar"), &nc));
  ExpectRoundTrip(nc.get());
}

TEST_F(NatsCAuthTest, WrongPasswordInUrl) {
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"--user", "foo", "--pass", "bar"}));
  ExpectAuthFailure(Url("foo:baz"));
  ExpectAuthFailure(Url("fooo:bar"));
  ExpectAuthFailure(Url(""));
  // The server is fine afterwards.
  Connection nc;
  RN_ASSERT_NATS_OK(ConnectTo(Url("foo:bar"), &nc));
}

TEST_F(NatsCAuthTest, TokenInUrl) {
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"--auth", std::string(kPlainToken)}));
  Connection nc;
  RN_ASSERT_NATS_OK(ConnectTo(Url(kPlainToken), &nc));
  ExpectRoundTrip(nc.get());
}

TEST_F(NatsCAuthTest, WrongTokenInUrl) {
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"--auth", std::string(kPlainToken)}));
  ExpectAuthFailure(Url("not-the-token"));
  ExpectAuthFailure(Url(""));
}

TEST_F(NatsCAuthTest, BcryptPasswordInUrl) {
  ASSERT_NO_FATAL_FAILURE(StartServer(
      absl::StrFormat("authorization {\n  users: [\n    {user: carol, password: \"%s\"}\n  ]\n}\n",
                      kHash2b),
      {}));
  Connection nc;
  RN_ASSERT_NATS_OK(ConnectTo(Url(absl::StrFormat("carol:%s", kPassword2b)), &nc));
  ExpectRoundTrip(nc.get());
  ExpectAuthFailure(Url("carol:s3cret-c"));
}

TEST_F(NatsCAuthTest, PermissionViolationIsAnAsyncErrorAndTheConnectionStays) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer("authorization {\n  users: [\n"
                  "    {user: limited, password: pw, permissions: { publish: \"auth.c.>\" }}\n"
                  "  ]\n}\n",
                  {}));
  ErrorLog errors;
  Connection nc;
  RN_ASSERT_NATS_OK(ConnectTo(Url("limited:pw"), &nc, &errors));
  RN_ASSERT_NATS_OK(natsConnection_PublishString(nc.get(), "forbidden", "x"));
  RN_EXPECT_NATS_OK(natsConnection_FlushTimeout(nc.get(), kTimeoutMs));
  const std::string error = errors.WaitForFirst();
  EXPECT_NE(Lower(error).find("permissions violation for publish to \"forbidden\""),
            std::string::npos)
      << error;
  EXPECT_EQ(natsConnection_Status(nc.get()), NATS_CONN_STATUS_CONNECTED);
  ExpectRoundTrip(nc.get());
}

}  // namespace
}  // namespace ringnats::authtest
