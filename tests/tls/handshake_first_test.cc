// nats-server 2.10's `handshake_first` (ringnats only: Debian's nats-server 2.9 refuses the
// key). `true`: the client starts TLS at once and INFO comes inside it. With a fallback
// (`"auto"`, 50 ms, or a duration) the server waits that long for the client's first bytes:
// any byte starts the handshake, silence gets INFO in plaintext and the usual upgrade, so
// TLS-first clients and ordinary ones share the port.

#include <string>

#include "absl/strings/str_format.h"
#include "tls_fixture.h"

namespace ringnats::tlstest {
namespace {

class HandshakeFirstTest : public TlsTest {
 protected:
  void SetUp() override {
    if (reference()) GTEST_SKIP() << "nats-server 2.9 does not know handshake_first";
  }

  void Start(const std::string& handshake_first, const std::string& extra_config = "") {
    StartServer(TlsBlock(certs().server_ecdsa,
                         absl::StrFormat("  handshake_first: %s\n", handshake_first)) +
                    extra_config,
                {"-m", "-1"});
  }

  // Connects and starts TLS before reading anything: INFO must then come inside TLS.
  ::testing::AssertionResult TlsFirstClientWorks() {
    absl::StatusOr<std::unique_ptr<RawClient>> raw = RawClient::Connect(port());
    if (!raw.ok()) return ::testing::AssertionFailure() << raw.status();
    RawClient& client = **raw;
    if (auto r = harness::StartTls(client, Trusting()); !r) return r << " (TLS first)";
    nlohmann::ordered_json info;
    if (auto r = client.ReadInfo(&info); !r) return r << " (INFO inside TLS)";
    if (info.value("tls_required", false) != true) {
      return ::testing::AssertionFailure() << "INFO without tls_required: " << info.dump();
    }
    if (auto r = client.Send(absl::StrFormat("CONNECT %s\r\n", kTlsConnect)); !r) return r;
    return client.Ping();
  }

  // A client that speaks NATS in plaintext at once: its bytes start a handshake that fails,
  // and it hears nothing before the close.
  ::testing::AssertionResult PlaintextClientFailsTheHandshake() {
    absl::StatusOr<std::unique_ptr<RawClient>> plain = RawClient::Connect(port());
    if (!plain.ok()) return ::testing::AssertionFailure() << plain.status();
    const int client_port = harness::LocalPort((*plain)->fd());
    if (auto r = (*plain)->Send("CONNECT {\"verbose\":false}\r\nPING\r\n"); !r) return r;
    if (auto r = (*plain)->ExpectClosed(""); !r) return r;
    return WaitForClientLog(
        client_port, "TLS handshake error: tls: first record does not look like a TLS handshake$");
  }

  // Connects, waits for INFO in plaintext, then upgrades as a 2.9 client does.
  ::testing::AssertionResult InfoFirstClientWorks(std::string_view connect_json = kTlsConnect) {
    absl::StatusOr<std::unique_ptr<RawClient>> raw = RawClient::Connect(port());
    if (!raw.ok()) return ::testing::AssertionFailure() << raw.status();
    RawClient& client = **raw;
    nlohmann::ordered_json info;
    if (auto r = client.ReadInfo(&info); !r) return r << " (plaintext INFO)";
    if (info.value("tls_required", false) != true) {
      return ::testing::AssertionFailure() << "INFO without tls_required: " << info.dump();
    }
    if (auto r = harness::StartTls(client, Trusting()); !r) return r << " (upgrade)";
    if (auto r = client.Send(absl::StrFormat("CONNECT %s\r\n", connect_json)); !r) return r;
    return client.Ping();
  }
};

TEST_F(HandshakeFirstTest, TrueHasTheHandshakeFirstAndInfoInsideIt) {
  ASSERT_NO_FATAL_FAILURE(Start("true"));
  EXPECT_TRUE(TlsFirstClientWorks());

  EXPECT_TRUE(PlaintextClientFailsTheHandshake());
}

TEST_F(HandshakeFirstTest, FallbackServesTlsFirstClientsAndInfoFirstClients) {
  for (const char* fallback : {"\"auto\"", "\"300ms\""}) {
    SCOPED_TRACE(fallback);
    ASSERT_NO_FATAL_FAILURE(Start(fallback));
    // Had INFO gone out in plaintext, this client would read it as a broken TLS record.
    EXPECT_TRUE(TlsFirstClientWorks());
    EXPECT_TRUE(InfoFirstClientWorks());
  }
}

TEST_F(HandshakeFirstTest, FallbackTakesAnyFirstByteAsTheStartOfTls) {
  // A long wait: the plaintext client below sends long before it ends.
  ASSERT_NO_FATAL_FAILURE(Start("\"30s\""));
  EXPECT_TRUE(PlaintextClientFailsTheHandshake());
  EXPECT_TRUE(TlsFirstClientWorks());
}

TEST_F(HandshakeFirstTest, FallbackWaitDoesNotCountAgainstTheAuthTimeout) {
  // The wait (1 s) is longer than the auth timeout (0.5 s): as in nats-server the auth timer
  // starts after the handshake, so a client that waited for INFO still logs in.
  ASSERT_NO_FATAL_FAILURE(
      Start("\"1s\"", "authorization { user: alice, password: s3cret, timeout: 0.5 }\n"));
  EXPECT_TRUE(InfoFirstClientWorks(
      R"({"verbose":false,"pedantic":false,"tls_required":true,"user":"alice","pass":"s3cret"})"));
}

TEST_F(HandshakeFirstTest, FallbackWaitHoldsBackTheKeepAliveToo) {
  // A PING due (1 s) inside the wait (2 s) must not go out before INFO: the keep-alive clock,
  // like the auth timer, starts after the wait.
  ASSERT_NO_FATAL_FAILURE(Start("\"2s\"", "ping_interval: \"1s\"\n"));
  EXPECT_TRUE(InfoFirstClientWorks());
}

TEST_F(HandshakeFirstTest, FallbackRefusesPastMaxConnectionsBeforeWaiting) {
  ASSERT_NO_FATAL_FAILURE(Start("\"30s\"", "max_connections: 1\n"));
  absl::StatusOr<std::unique_ptr<RawClient>> first = RawClient::Connect(port());
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(harness::StartTls(**first, Trusting()));
  ASSERT_TRUE((*first)->ReadInfo());
  // The second is refused at once, in plaintext, without INFO (nats-server 2.10's order).
  absl::StatusOr<std::unique_ptr<RawClient>> second = RawClient::Connect(port());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE((*second)->ExpectClosed("-ERR 'maximum connections exceeded'\r\n"));
}

}  // namespace
}  // namespace ringnats::tlstest
