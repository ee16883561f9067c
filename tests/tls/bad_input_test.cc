// Clients that do not do TLS properly on a TLS port: plaintext CONNECT, garbage, a truncated
// ClientHello (then EOF, or then silence), a client that reads INFO and says nothing (the
// TLS timeout), renegotiation after the handshake, TLS 1.1 only. Each is closed with what
// nats-server 2.9.10 sends (recorded below), its log line and its /connz closed reason, while
// two established TLS clients beside it keep working.

#include <gmock/gmock.h>
#include <openssl/ssl.h>

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "tls_fixture.h"

namespace ringnats::tlstest {
namespace {

using ::testing::HasSubstr;

class BadInputTest : public TlsTest {
 protected:
  void SetUp() override {
    // -D: nats-server logs why each connection closed at debug level.
    ASSERT_NO_FATAL_FAILURE(
        StartServer(TlsBlock(certs().server_ecdsa, absl::StrFormat("  timeout: %s\n", kTimeout)),
                    {"-m", "-1", "-D"}));
    ASSERT_GT(server().monitor_port(), 0) << "no monitoring port in the ports file";
    subscriber_ = TlsClient(Trusting());
    publisher_ = TlsClient(Trusting());
    ASSERT_NE(subscriber_, nullptr);
    ASSERT_NE(publisher_, nullptr);
  }

  // A plain TCP client that read INFO; `client_port_` is its local port.
  std::unique_ptr<RawClient> Plain() {
    std::unique_ptr<RawClient> client = PlainAfterInfo();
    if (client != nullptr) client_port_ = harness::LocalPort(client->fd());
    return client;
  }

  // The end every bad client here gets: the log line of its close, the closed reason in
  // /connz, and the neighbours unaffected.
  void ExpectClosedAs(std::string_view reason) {
    EXPECT_TRUE(
        WaitForClientLog(client_port_, absl::StrFormat("Client connection closed: %s", reason)));
    EXPECT_EQ(ClosedReason(client_port_), reason);
    EXPECT_TRUE(StillCarries(*subscriber_, *publisher_));
  }

  // nats-server's timer logs "TLS handshake timeout" and closes; its handshake, which has a
  // read deadline at the same moment, then logs "TLS handshake error: read tcp
  // 127.0.0.1:<server port>->127.0.0.1:<client port>: i/o timeout" (seen in that order in
  // every run, after or before the "Client connection closed" line). When the deadline wins
  // the race only the second one can appear, so either one will do.
  std::string TimeoutLog() const {
    return absl::StrFormat(
        R"((TLS handshake timeout$|TLS handshake error: read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:%d: i/o timeout$))",
        client_port_);
  }

  // Short, for the tests that wait for it, but long enough for the two good clients'
  // handshakes on a loaded machine (ring and handshake pool threads share the CPUs with
  // other tests' servers there; a sanitizer build is several times slower).
  static constexpr const char* kTimeout = kSanitized ? "2" : "1";

  std::unique_ptr<RawClient> subscriber_;
  std::unique_ptr<RawClient> publisher_;
  int client_port_ = 0;
};

// Bytes that are not a TLS handshake, sent right after the plaintext INFO; what nats-server
// answers before it closes (a TLS alert record in plaintext, or nothing) and its log line.
struct Garbage {
  const char* name;
  std::string sent;
  std::string answer;
  const char* log;  // after "TLS handshake error: " (a regex)
};

// gtest names the case instead of dumping the struct's bytes.
void PrintTo(const Garbage& garbage, std::ostream* os) {
  *os << garbage.name;
}

// An alert record as Go sends it before a version is agreed: fatal (2), `description`.
std::string Alert(char description) {
  return std::string("\x15\x03\x01\x00\x02\x02", 6) + description;
}

std::vector<Garbage> GarbageCases() {
  return {
      {"PlaintextConnect", "CONNECT {\"verbose\":false}\r\nPING\r\n", "",
       "tls: first record does not look like a TLS handshake"},
      {"HttpGet", "GET / HTTP/1.1\r\n\r\n", "",
       "tls: first record does not look like a TLS handshake"},
      {"KiBOfJunk", std::string(1024, '\xab'), "",
       "tls: first record does not look like a TLS handshake"},
      // A handshake record around a ClientHello whose body is 4 bytes of junk.
      {"JunkClientHello", std::string("\x16\x03\x01\x00\x08\x01\x00\x00\x04\xff\xff\xff\xff", 13),
       Alert(10), "local error: tls: unexpected message"},  // unexpected_message
      {"EmptyHandshakeRecord", std::string("\x16\x03\x01\x00\x00", 5), Alert(10),
       "local error: tls: unexpected message"},
      // A record header announcing 65535 bytes (more than TLS allows).
      {"OversizedRecord", std::string("\x16\x03\x01\xff\xff", 5) + std::string(100, '\0'),
       Alert(22), "tls: oversized record received with length 65535"},  // record_overflow
      // A handshake message header announcing 16 MiB: refused at once, nothing waits for it.
      {"HugeHandshakeMessage", std::string("\x16\x03\x01\x00\x10", 5) + std::string(16, '\xff'),
       Alert(80),  // internal_error
       R"(tls: handshake message of length 16777215 bytes exceeds maximum of 65536 bytes)"},
      // The client's first record is a fatal handshake_failure alert.
      {"AlertFirst", std::string("\x15\x03\x01\x00\x02\x02\x28", 7), "",
       "remote error: tls: handshake failure"},
  };
}

class GarbageTest : public BadInputTest, public ::testing::WithParamInterface<Garbage> {};

TEST_P(GarbageTest, ClosedWithWhatNatsServerSends) {
  std::unique_ptr<RawClient> client = Plain();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(GetParam().sent));
  EXPECT_TRUE(client->ExpectClosed(GetParam().answer));
  EXPECT_TRUE(
      WaitForClientLog(client_port_, absl::StrFormat("TLS handshake error: %s$", GetParam().log)));
  ExpectClosedAs("TLS Handshake Failure");
}

INSTANTIATE_TEST_SUITE_P(Bytes, GarbageTest, ::testing::ValuesIn(GarbageCases()),
                         [](const ::testing::TestParamInfo<Garbage>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST_F(BadInputTest, TruncatedClientHelloThenEof) {
  absl::StatusOr<std::string> hello = harness::ClientHelloBytes();
  ASSERT_TRUE(hello.ok()) << hello.status();
  std::unique_ptr<RawClient> client = Plain();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(hello->substr(0, hello->size() / 2)));
  client->ShutdownWrite();
  EXPECT_TRUE(client->ExpectClosed(""));
  EXPECT_TRUE(WaitForClientLog(client_port_, R"(TLS handshake error: unexpected EOF$)"));
  ExpectClosedAs("TLS Handshake Failure");
}

TEST_F(BadInputTest, TruncatedClientHelloThenSilence) {
  absl::StatusOr<std::string> hello = harness::ClientHelloBytes();
  ASSERT_TRUE(hello.ok()) << hello.status();
  std::unique_ptr<RawClient> client = Plain();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(hello->substr(0, hello->size() / 2)));
  EXPECT_TRUE(client->ExpectClosed("", std::chrono::seconds(10)));
  EXPECT_TRUE(WaitForClientLog(client_port_, TimeoutLog()));
  ExpectClosedAs("TLS Handshake Failure");
}

TEST_F(BadInputTest, SilentClientTimedOut) {
  std::unique_ptr<RawClient> client = Plain();
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->ExpectClosed("", std::chrono::seconds(10)));
  EXPECT_TRUE(WaitForClientLog(client_port_, TimeoutLog()));
  ExpectClosedAs("TLS Handshake Failure");
}

TEST_F(BadInputTest, RenegotiationRefused) {
  TlsClientOptions options = Trusting();
  options.max_version = TLS1_2_VERSION;
  TlsSession* session = nullptr;
  std::unique_ptr<RawClient> client = TlsClient(options, kTlsConnect, &session);
  ASSERT_NE(client, nullptr);
  client_port_ = harness::LocalPort(client->fd());
  ASSERT_TRUE(session->Renegotiate());
  // nats-server (Go) answers the new ClientHello with an unexpected_message alert (not
  // no_renegotiation), logs no error, and closes the connection as a read error.
  EXPECT_TRUE(client->ExpectClosed(""));
  EXPECT_THAT(session->LastError(), HasSubstr("alert unexpected message"));
  ExpectClosedAs("Read Error");
}

TEST_F(BadInputTest, Tls11OnlyClientRefused) {
  std::unique_ptr<RawClient> client = Plain();
  ASSERT_NE(client, nullptr);
  TlsClientOptions options = Trusting();
  options.min_version = TLS1_1_VERSION;
  options.max_version = TLS1_1_VERSION;
  ::testing::AssertionResult handshake = harness::StartTls(*client, options);
  ASSERT_FALSE(handshake);
  EXPECT_THAT(handshake.message(), HasSubstr("alert protocol version"));
  EXPECT_TRUE(WaitForClientLog(
      // Go lists the versions below the client's maximum as offered.
      client_port_,
      R"(TLS handshake error: tls: client offered only unsupported versions: \[302 301\]$)"));
  ExpectClosedAs("TLS Handshake Failure");
}

}  // namespace
}  // namespace ringnats::tlstest
