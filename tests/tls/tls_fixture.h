#pragma once
// What the TLS tests share: the server under test (ringnats or nats-server, see
// harness/server_spec.h) started from a config with a `tls { }` block, TLS clients made with
// harness/tls_client.h, and checks on the server's log lines about one client.
//
// Test thread only.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "certificates.h"
#include "harness/raw_client.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"
#include "harness/tls_client.h"

namespace ringnats::tlstest {

using harness::RawClient;
using harness::TlsClientOptions;
using harness::TlsSession;

// Sanitizer builds (the test binary and the broker come from the same build) are several
// times slower and keep freed memory in quarantine: their bounds are wider.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

inline constexpr std::string_view kTlsConnect =
    R"({"verbose":false,"pedantic":false,"tls_required":true})";

class TlsTest : public ::testing::Test {
 protected:
  const Certificates& certs() { return TestCertificates(); }

  // Starts the server under test with `config` (fatal failure when it does not come up).
  void StartServer(const std::string& config, const std::vector<std::string>& extra_args = {});

  harness::ServerProcess& server() { return *server_; }
  int port() const { return server_->port(); }
  const harness::ServerSpec& spec() const { return spec_; }
  bool reference() const { return harness::IsNatsServer(spec_); }

  // Options of a client that trusts "Test CA" and checks 127.0.0.1, plus `client` as its
  // certificate when given.
  TlsClientOptions Trusting(const KeyPair* client = nullptr) const;

  // A TLS client past CONNECT and a PING round trip; nullptr plus a test failure otherwise.
  std::unique_ptr<RawClient> TlsClient(const TlsClientOptions& options,
                                       std::string_view connect_json = kTlsConnect,
                                       TlsSession** session = nullptr);

  // A plain TCP connection that read the plaintext INFO.
  std::unique_ptr<RawClient> PlainAfterInfo();

  // `subscriber` and `publisher` (both past CONNECT) still carry a message, and each answers
  // PING: after every error path, the failure stayed on its own connection.
  ::testing::AssertionResult StillCarries(RawClient& subscriber, RawClient& publisher);

  // Waits for the server's log line about the client on local port `client_port`:
  // "127.0.0.1:<port> - cid:<n> - " followed by `message` (a regex), anywhere in the line.
  ::testing::AssertionResult WaitForClientLog(
      int client_port, std::string_view message,
      std::chrono::milliseconds timeout = harness::kLogWaitTimeout);

  // The /connz entry of the open connection from local port `client_port` (the server must
  // have been started with `-m -1`); null when it is not listed.
  nlohmann::json OpenConnection(int client_port);

  // The reason /connz?state=closed gives for the client on local port `client_port`; the
  // server must have been started with `-m -1`. Empty when the client is not listed.
  std::string ClosedReason(int client_port);

 private:
  harness::ServerSpec spec_ = harness::ServerUnderTest();
  std::unique_ptr<harness::ServerProcess> server_;
  int checks_ = 0;
};

}  // namespace ringnats::tlstest
