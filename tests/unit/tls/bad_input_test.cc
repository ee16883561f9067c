// What a TLS port must survive: plaintext clients, garbage, truncated and oversized
// handshakes, renegotiation attempts. Each ends that engine with a clear error and no crash.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <random>

#include "pump.h"
#include "ringnats/tls/engine.h"

namespace ringnats::tls {
namespace {

using testing::Certs;
using testing::DefaultClientSettings;
using testing::DefaultServerSettings;
using testing::MustClient;
using testing::MustServer;
using ::testing::StartsWith;

Engine NewServer() {
  static auto ctx = MustServer(DefaultServerSettings());
  auto engine = Engine::NewServer(ctx);
  if (!engine.ok()) std::abort();
  return std::move(*engine);
}

TEST(BadInput, PlaintextConnectOnATlsPort) {
  Engine server = NewServer();
  server.Feed("CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":false}\r\nPING\r\n");
  EXPECT_TRUE(server.failed());
  EXPECT_EQ(server.error_kind(), Engine::ErrorKind::kNotTls);
  // nats-server logs "TLS handshake error: " followed by this.
  EXPECT_EQ(server.error(), "tls: first record does not look like a TLS handshake");
  EXPECT_FALSE(server.HasCiphertext());  // as Go: nothing is sent back
  server.Advance();
  std::string out;
  EXPECT_EQ(server.ReadPlaintext(&out), 0u);
  EXPECT_EQ(server.WritePlaintext("x"), 0u);
}

TEST(BadInput, PlaintextArrivingByteByByte) {
  Engine server = NewServer();
  for (char c : std::string("PING\r\n")) server.Feed(std::string_view(&c, 1));
  EXPECT_EQ(server.error(), "tls: first record does not look like a TLS handshake");
  Engine http = NewServer();
  http.Feed("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(http.error_kind(), Engine::ErrorKind::kNotTls);
  Engine sslv2 = NewServer();
  sslv2.Feed(std::string("\x80\x2e\x01\x00\x02", 5));
  EXPECT_EQ(sslv2.error(), "tls: unsupported SSLv2 handshake received");
}

TEST(BadInput, GarbageAfterAPlausibleHeader) {
  std::mt19937 random(12345);
  for (int round = 0; round < 300; ++round) {
    Engine server = NewServer();
    std::string garbage(1 + random() % 3000, '\0');
    for (char& c : garbage) c = static_cast<char>(random());
    if (round % 2 == 0) garbage.replace(0, std::min<size_t>(3, garbage.size()), "\x16\x03\x01");
    for (size_t at = 0; at < garbage.size() && !server.failed(); at += 1 + random() % 700) {
      server.Feed(std::string_view(garbage).substr(at, 1 + random() % 700));
      server.Advance();
    }
    EXPECT_FALSE(server.established()) << round;
    if (server.failed()) {
      EXPECT_FALSE(server.error().empty()) << round;
    }
    server.FeedEof();
    server.Advance();
    EXPECT_TRUE(server.failed()) << round;
  }
}

TEST(BadInput, GarbageRecordIsAProtocolError) {
  Engine server = NewServer();
  std::string record("\x16\x03\x01\x00\x10", 5);
  record.append(16, '\xff');
  server.Feed(record);
  server.Advance();
  EXPECT_TRUE(server.failed());
  EXPECT_EQ(server.error_kind(), Engine::ErrorKind::kProtocol);
  EXPECT_THAT(server.error(), StartsWith("tls: "));
  EXPECT_TRUE(server.HasCiphertext());  // an alert, which the caller may send before closing
}

TEST(BadInput, TruncatedHandshake) {
  auto client = Engine::NewClient(MustClient(DefaultClientSettings()), "localhost");
  ASSERT_TRUE(client.ok());
  client->Advance();
  std::string hello;
  client->TakeCiphertext(&hello);
  Engine server = NewServer();
  server.Feed(std::string_view(hello).substr(0, hello.size() - 10));
  server.Advance();
  EXPECT_TRUE(server.handshaking());  // waits: the timeout is the ring's
  server.FeedEof();
  server.Advance();
  EXPECT_TRUE(server.failed());
  EXPECT_EQ(server.error_kind(), Engine::ErrorKind::kEof);
  // Cut inside a record: nats-server logs "TLS handshake error: unexpected EOF".
  EXPECT_EQ(server.error(), "unexpected EOF");

  Engine silent = NewServer();
  silent.FeedEof();
  EXPECT_EQ(silent.error(), "EOF");
}

// Go's checks of the first record, with its texts and its plaintext alerts
// (15 03 01 00 02 02 <alert>), before OpenSSL sees a byte.
TEST(BadInput, FirstRecordRefusedAsGoRefusesIt) {
  struct Case {
    std::string input;
    std::string error;
    std::string alert;  // the record the engine answers with; empty: none
  };
  const std::vector<Case> cases = {
      {std::string("\x16\x03\x01\x00\x00", 5), "local error: tls: unexpected message",
       std::string("\x15\x03\x01\x00\x02\x02\x0a", 7)},
      {std::string("\x16\x03\x01\xff\xff", 5), "tls: oversized record received with length 65535",
       std::string("\x15\x03\x01\x00\x02\x02\x16", 7)},
      {std::string("\x16\x03\x01\x00\x08\x01\xff\xff\xff", 9),
       "tls: handshake message of length 16777215 bytes exceeds maximum of 65536 bytes",
       std::string("\x15\x03\x01\x00\x02\x02\x50", 7)},
      {std::string("\x16\x03\x01\x00\x08\x07\x00\x00\x04", 9),
       "local error: tls: unexpected message", std::string("\x15\x03\x01\x00\x02\x02\x0a", 7)},
      {std::string("\x15\x03\x01\x00\x02\x02\x28", 7), "remote error: tls: handshake failure", ""},
  };
  for (const Case& c : cases) {
    Engine server = NewServer();
    server.Feed(c.input);
    EXPECT_TRUE(server.failed());
    EXPECT_EQ(server.error(), c.error);
    std::string answer;
    server.TakeCiphertext(&answer);
    EXPECT_EQ(answer, c.alert) << c.error;
  }
}

TEST(BadInput, HandshakeInputIsBounded) {
  Engine server = NewServer();
  // A record and a ClientHello header within Go's limits, then far more than a hello.
  std::string flood("\x16\x03\x01\x40\x00\x01\x00\xff\xff", 9);
  flood.append(200 * 1024, 'A');
  server.Feed(flood);
  EXPECT_TRUE(server.failed());
  EXPECT_EQ(server.error_kind(), Engine::ErrorKind::kInputLimit);
  EXPECT_EQ(server.buffered_input(), 0u);
}

// A TLS 1.2 client on raw OpenSSL that can ask to renegotiate (ClientContext refuses to).
class RawClient {
 public:
  explicit RawClient(int max_version = TLS1_2_VERSION) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx_, max_version);
    // TLS 1.0 and 1.1 need SHA-1, which OpenSSL 3 allows only at security level 0.
    if (max_version < TLS1_2_VERSION) SSL_CTX_set_cipher_list(ctx_, "DEFAULT:@SECLEVEL=0");
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ctx_);
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio_, -1);
    BIO_set_mem_eof_return(wbio_, -1);
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_connect_state(ssl_);
  }
  ~RawClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  SSL* ssl() { return ssl_; }
  void Feed(const std::string& bytes) {
    BIO_write(rbio_, bytes.data(), static_cast<int>(bytes.size()));
  }
  std::string Take() {
    std::string out(BIO_ctrl_pending(wbio_), '\0');
    if (!out.empty()) BIO_read(wbio_, out.data(), static_cast<int>(out.size()));
    return out;
  }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
  BIO* rbio_;
  BIO* wbio_;
};

TEST(BadInput, RenegotiationRefusedAndConnectionEnded) {
  RawClient client;
  Engine server = NewServer();
  for (int i = 0; i < 10 && !server.established(); ++i) {
    SSL_do_handshake(client.ssl());
    server.Feed(client.Take());
    server.Advance();
    std::string out;
    server.TakeCiphertext(&out);
    client.Feed(out);
  }
  SSL_do_handshake(client.ssl());
  server.Feed(client.Take());
  ASSERT_TRUE(server.established()) << server.error();
  ASSERT_EQ(SSL_renegotiate(client.ssl()), 1);
  SSL_do_handshake(client.ssl());
  ERR_clear_error();
  server.Feed(client.Take());
  std::string got;
  server.ReadPlaintext(&got);
  EXPECT_TRUE(server.failed());
  EXPECT_EQ(server.error(), "local error: tls: no renegotiation");
  EXPECT_EQ(server.renegotiation_attempts(), 1u);
  EXPECT_TRUE(server.HasCiphertext());  // the unexpected_message alert, as Go sends
}

TEST(BadInput, OldVersionsRefusedAndNamedAsNatsServerLogsThem) {
  RawClient client(TLS1_1_VERSION);
  Engine server = NewServer();
  SSL_do_handshake(client.ssl());
  ERR_clear_error();
  server.Feed(client.Take());
  server.Advance();
  EXPECT_TRUE(server.failed());
  // nats-server 2.9.10 logs "TLS handshake error: " and this for the same client.
  EXPECT_EQ(server.error(), "tls: client offered only unsupported versions: [302 301]");
}

}  // namespace
}  // namespace ringnats::tls
