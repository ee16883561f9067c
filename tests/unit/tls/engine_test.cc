// A server Engine and a client Engine pumped against each other in memory: handshakes with
// each key type and version, data both ways split at every byte, large payloads under the
// ciphertext bound, close_notify, client certificates, and the handshake CPU hooks.

#include "ringnats/tls/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "pump.h"

namespace ringnats::tls {
namespace {

using testing::Certs;
using testing::DefaultClientSettings;
using testing::DefaultServerSettings;
using ::testing::ElementsAre;
using testing::EnginePair;
using ::testing::HasSubstr;
using testing::MustClient;
using testing::MustServer;
using ::testing::StartsWith;

// A client context limited to one version (tests only: the context is not yet shared).
std::shared_ptr<const ClientContext> ClientAt(int version,
                                              ClientSettings settings = DefaultClientSettings()) {
  auto ctx = MustClient(settings);
  SSL_CTX_set_max_proto_version(ctx->native(), version);
  return ctx;
}

struct KeyCase {
  const char* name;
  testing::Issued* (*cert)();
  int version;
  const char* version_name;
  const char* cipher;
};

class HandshakeTest : public ::testing::TestWithParam<KeyCase> {};

TEST_P(HandshakeTest, CompletesAndNamesVersionAndCipher) {
  const KeyCase& c = GetParam();
  EnginePair pair =
      EnginePair::Make(MustServer(DefaultServerSettings(*c.cert())), ClientAt(c.version));
  ASSERT_TRUE(pair.Handshake()) << pair.server.error() << " / " << pair.client.error();
  EXPECT_EQ(pair.server.version_name(), c.version_name);
  EXPECT_EQ(pair.client.version_name(), c.version_name);
  EXPECT_EQ(pair.server.cipher_suite_name(), c.cipher);
  EXPECT_EQ(pair.client.cipher_suite_name(), c.cipher);
  EXPECT_FALSE(pair.server.has_peer_certificate());
  EXPECT_TRUE(pair.client.has_peer_certificate());
  EXPECT_EQ(pair.client.peer_certificate().subject, "CN=localhost,O=Acme");
  EXPECT_EQ(pair.server_signing_steps, 1);  // one signature per full handshake
}

INSTANTIATE_TEST_SUITE_P(
    KeysAndVersions, HandshakeTest,
    ::testing::Values(KeyCase{"Rsa13", [] { return &Certs().server_rsa; }, TLS1_3_VERSION, "1.3",
                              "TLS_AES_128_GCM_SHA256"},
                      KeyCase{"Ecdsa13", [] { return &Certs().server_ecdsa; }, TLS1_3_VERSION,
                              "1.3", "TLS_AES_128_GCM_SHA256"},
                      KeyCase{"Ed25519_13", [] { return &Certs().server_ed25519; }, TLS1_3_VERSION,
                              "1.3", "TLS_AES_128_GCM_SHA256"},
                      KeyCase{"Rsa12", [] { return &Certs().server_rsa; }, TLS1_2_VERSION, "1.2",
                              "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
                      KeyCase{"Ecdsa12", [] { return &Certs().server_ecdsa; }, TLS1_2_VERSION,
                              "1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
                      KeyCase{"Ed25519_12", [] { return &Certs().server_ed25519; }, TLS1_2_VERSION,
                              "1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// A server whose curves do not include the client's key share asks for another with a
// HelloRetryRequest; the client's second ClientHello belongs to the handshake and is not a
// renegotiation.
TEST(Engine, HelloRetryRequestCompletesTheHandshake) {
  ServerSettings settings = DefaultServerSettings();
  settings.curve_preferences = {"CurveP256"};  // the client's key share is X25519
  EnginePair pair = EnginePair::Make(MustServer(settings), ClientAt(TLS1_3_VERSION));
  ASSERT_TRUE(pair.Handshake()) << pair.server.error() << " / " << pair.client.error();
  EXPECT_EQ(pair.server.renegotiation_attempts(), 0u);
  pair.client.WritePlaintext("PING\r\n");
  pair.Pump();
  pair.server.WritePlaintext("PONG\r\n");
  pair.Pump();
  EXPECT_EQ(pair.server_got, "PING\r\n");
  EXPECT_EQ(pair.client_got, "PONG\r\n");
}

TEST(Engine, HandshakeWithEveryChunkSize) {
  auto server_ctx = MustServer(DefaultServerSettings());
  auto client_ctx = MustClient(DefaultClientSettings());
  for (size_t chunk : {1, 2, 3, 4, 5, 6, 7, 13, 64, 517, 4096}) {
    EnginePair pair = EnginePair::Make(server_ctx, client_ctx);
    pair.chunk = chunk;
    ASSERT_TRUE(pair.Handshake()) << chunk << ": " << pair.server.error() << pair.client.error();
  }
}

TEST(Engine, RecordSplitAtEveryByte) {
  EnginePair pair =
      EnginePair::Make(MustServer(DefaultServerSettings()), MustClient(DefaultClientSettings()));
  ASSERT_TRUE(pair.Handshake());
  const std::string message = "PUB foo 5\r\nhello\r\n";
  for (int direction = 0; direction < 2; ++direction) {
    Engine& from = direction == 0 ? pair.client : pair.server;
    Engine& to = direction == 0 ? pair.server : pair.client;
    std::string probe;
    ASSERT_EQ(from.WritePlaintext(message), message.size());
    from.TakeCiphertext(&probe);
    const size_t record_size = probe.size();
    to.Feed(probe);
    std::string got;
    to.ReadPlaintext(&got);
    ASSERT_EQ(got, message);
    for (size_t split = 0; split <= record_size; ++split) {
      std::string wire;
      ASSERT_EQ(from.WritePlaintext(message), message.size());
      from.TakeCiphertext(&wire);
      ASSERT_EQ(wire.size(), record_size);
      got.clear();
      to.Feed(std::string_view(wire).substr(0, split));
      to.ReadPlaintext(&got);
      if (split < record_size) {
        EXPECT_EQ(got, "") << split;
      }
      to.Feed(std::string_view(wire).substr(split));
      to.ReadPlaintext(&got);
      ASSERT_EQ(got, message) << "split at " << split;
      ASSERT_TRUE(to.established());
    }
  }
}

TEST(Engine, LargePayloadsBothWaysStayUnderTheCiphertextBound) {
  EnginePair pair =
      EnginePair::Make(MustServer(DefaultServerSettings()), MustClient(DefaultClientSettings()));
  ASSERT_TRUE(pair.Handshake());
  std::string payload(5 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 31 + i / 7);
  const size_t bound = Engine::Options().max_buffered_ciphertext + 1024;
  for (int direction = 0; direction < 2; ++direction) {
    Engine& from = direction == 0 ? pair.client : pair.server;
    Engine& to = direction == 0 ? pair.server : pair.client;
    std::string got;
    size_t sent = 0;
    size_t max_pending = 0;
    while (got.size() < payload.size()) {
      size_t n = from.WritePlaintext(std::string_view(payload).substr(sent));
      sent += n;
      max_pending = std::max(max_pending, from.pending_ciphertext());
      // The caller pulls in pieces, as a socket with a small send buffer would.
      std::string wire;
      from.TakeCiphertext(&wire, 10000);
      to.Feed(wire);
      to.ReadPlaintext(&got, 7000);
      ASSERT_TRUE(from.established() && to.established()) << from.error() << to.error();
    }
    EXPECT_EQ(sent, payload.size());
    EXPECT_TRUE(got == payload);
    EXPECT_LE(max_pending, bound);
    EXPECT_GT(max_pending, bound / 2);  // the bound, not the caller, stopped the writes
  }
}

TEST(Engine, ReadPlaintextHonoursItsLimit) {
  EnginePair pair =
      EnginePair::Make(MustServer(DefaultServerSettings()), MustClient(DefaultClientSettings()));
  ASSERT_TRUE(pair.Handshake());
  std::string data(100000, 'x');
  ASSERT_EQ(pair.client.WritePlaintext(data), data.size());
  std::string wire;
  pair.client.TakeCiphertext(&wire);
  pair.server.Feed(wire);
  std::string got;
  EXPECT_EQ(pair.server.ReadPlaintext(&got, 1000), 1000u);
  EXPECT_EQ(pair.server.ReadPlaintext(&got, 50000), 50000u);
  EXPECT_EQ(pair.server.ReadPlaintext(&got), 49000u);
  EXPECT_EQ(got, data);
}

TEST(Engine, CloseNotify) {
  EnginePair pair =
      EnginePair::Make(MustServer(DefaultServerSettings()), MustClient(DefaultClientSettings()));
  ASSERT_TRUE(pair.Handshake());
  pair.client.WritePlaintext("last words");
  pair.client.Shutdown();
  EXPECT_EQ(pair.client.WritePlaintext("more"), 0u);  // nothing after close_notify
  pair.Pump();
  EXPECT_EQ(pair.server_got, "last words");
  EXPECT_TRUE(pair.server.peer_closed());
  EXPECT_EQ(pair.server.error(), "");
  pair.server.Shutdown();
  pair.Pump();
  EXPECT_TRUE(pair.client.peer_closed());
}

TEST(Engine, EofAfterHandshakeIsAPeerCloseWithoutError) {
  EnginePair pair =
      EnginePair::Make(MustServer(DefaultServerSettings()), MustClient(DefaultClientSettings()));
  ASSERT_TRUE(pair.Handshake());
  pair.client.WritePlaintext("PING\r\n");
  std::string wire;
  pair.client.TakeCiphertext(&wire);
  pair.server.Feed(wire);
  pair.server.FeedEof();
  std::string got;
  pair.server.ReadPlaintext(&got);
  EXPECT_EQ(got, "PING\r\n");
  EXPECT_TRUE(pair.server.peer_closed());
}

// The peer's EOF arrives while part of a record is decrypted but not yet read: that part is
// still read before the engine says the peer closed.
TEST(Engine, EofKeepsPlaintextNotYetRead) {
  EnginePair pair =
      EnginePair::Make(MustServer(DefaultServerSettings()), MustClient(DefaultClientSettings()));
  ASSERT_TRUE(pair.Handshake());
  const std::string message(10000, 'm');
  ASSERT_EQ(pair.client.WritePlaintext(message), message.size());
  std::string ciphertext;
  pair.client.TakeCiphertext(&ciphertext);
  pair.server.Feed(ciphertext);
  std::string got;
  ASSERT_EQ(pair.server.ReadPlaintext(&got, 100), 100u);
  pair.server.FeedEof();
  EXPECT_TRUE(pair.server.established());
  while (pair.server.ReadPlaintext(&got, 1000) > 0) {
  }
  EXPECT_EQ(got, message);
  EXPECT_TRUE(pair.server.peer_closed());
}

TEST(Engine, ClientCertificateRequiredAndGiven) {
  ServerSettings server = DefaultServerSettings();
  server.ca_file = Certs().ca.cert_file;
  server.verify = true;
  ClientSettings client = DefaultClientSettings();
  client.cert_file = Certs().client.cert_file;
  client.key_file = Certs().client.key_file;
  EnginePair pair = EnginePair::Make(MustServer(server), MustClient(client));
  ASSERT_TRUE(pair.Handshake()) << pair.server.error() << pair.client.error();
  ASSERT_TRUE(pair.server.has_peer_certificate());
  PeerCertificate peer = pair.server.peer_certificate();
  EXPECT_EQ(peer.subject, "CN=alice,OU=Eng,O=Acme,C=US");
  EXPECT_EQ(peer.issuer, "CN=ca,O=Acme");
  EXPECT_THAT(peer.emails, ElementsAre("alice@example.com"));
  EXPECT_THAT(peer.dns_names, ElementsAre("alice.example.com"));
  EXPECT_THAT(peer.uris, ElementsAre("nats://alice"));
  EXPECT_THAT(peer.ip_addresses, ElementsAre("10.0.0.1"));
}

TEST(Engine, ClientCertificateRequiredAndMissing) {
  ServerSettings server = DefaultServerSettings();
  server.ca_file = Certs().ca.cert_file;
  server.verify = true;
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    EnginePair pair = EnginePair::Make(MustServer(server), ClientAt(version));
    pair.Pump();
    EXPECT_TRUE(pair.server.failed()) << version;
    EXPECT_EQ(pair.server.error_kind(), Engine::ErrorKind::kNoPeerCertificate);
    EXPECT_EQ(pair.server.error(), "tls: client didn't provide a certificate");
    // TLS 1.3 clients finish before the server checks; the server's alert then ends them.
    EXPECT_TRUE(pair.client.failed()) << version;
    EXPECT_EQ(pair.client.error_kind(), Engine::ErrorKind::kRemoteAlert) << pair.client.error();
  }
}

TEST(Engine, ClientCertificateFromAnotherCa) {
  ServerSettings server = DefaultServerSettings();
  server.ca_file = Certs().ca.cert_file;
  server.verify = true;
  ClientSettings client = DefaultClientSettings();
  client.cert_file = Certs().client_other_ca.cert_file;
  client.key_file = Certs().client_other_ca.key_file;
  EnginePair pair = EnginePair::Make(MustServer(server), MustClient(client));
  pair.Pump();
  EXPECT_TRUE(pair.server.failed());
  EXPECT_EQ(pair.server.error_kind(), Engine::ErrorKind::kPeerCertificateBad);
  EXPECT_EQ(pair.server.error(),
            "tls: failed to verify client certificate: x509: certificate signed by unknown "
            "authority");
  EXPECT_TRUE(pair.client.failed());
  // Go's server answers any refused client certificate with bad_certificate, and so do we.
  EXPECT_EQ(pair.client.error(), "remote error: tls: bad certificate");
}

TEST(Engine, ExpiredClientCertificate) {
  ServerSettings server = DefaultServerSettings();
  server.ca_file = Certs().ca.cert_file;
  server.verify = true;
  ClientSettings client = DefaultClientSettings();
  client.cert_file = Certs().client_expired.cert_file;
  client.key_file = Certs().client_expired.key_file;
  EnginePair pair = EnginePair::Make(MustServer(server), MustClient(client));
  pair.Pump();
  EXPECT_TRUE(pair.server.failed());
  EXPECT_EQ(pair.server.error_kind(), Engine::ErrorKind::kPeerCertificateBad);
  EXPECT_THAT(pair.server.error(),
              StartsWith("tls: failed to verify client certificate: x509: certificate has "
                         "expired or is not yet valid: current time "));
  EXPECT_THAT(pair.server.error(), HasSubstr("Z is after "));
}

TEST(Engine, ClientRefusesServerFromAnotherCa) {
  ClientSettings client = DefaultClientSettings();
  client.ca_file = Certs().other_ca.cert_file;
  EnginePair pair = EnginePair::Make(MustServer(DefaultServerSettings()), MustClient(client));
  pair.Pump();
  EXPECT_TRUE(pair.client.failed());
  EXPECT_EQ(pair.client.error(), "x509: certificate signed by unknown authority");
  EXPECT_TRUE(pair.server.failed());
  EXPECT_EQ(pair.server.error(), "remote error: tls: unknown certificate authority");
}

TEST(Engine, ClientRefusesExpiredServerAndWrongHost) {
  EnginePair expired = EnginePair::Make(MustServer(DefaultServerSettings(Certs().server_expired)),
                                        MustClient(DefaultClientSettings()));
  expired.Pump();
  EXPECT_THAT(expired.client.error(),
              StartsWith("x509: certificate has expired or is not yet valid: current time "));
  EXPECT_EQ(expired.server.error(), "remote error: tls: expired certificate");

  EnginePair wrong_host = EnginePair::Make(MustServer(DefaultServerSettings()),
                                           MustClient(DefaultClientSettings()), "nats.example");
  wrong_host.Pump();
  EXPECT_EQ(wrong_host.client.error(), "x509: certificate is not valid for nats.example");

  EnginePair by_ip = EnginePair::Make(MustServer(DefaultServerSettings()),
                                      MustClient(DefaultClientSettings()), "127.0.0.1");
  EXPECT_TRUE(by_ip.Handshake()) << by_ip.client.error();

  ClientSettings insecure = DefaultClientSettings();
  insecure.ca_file = Certs().other_ca.cert_file;
  insecure.insecure_skip_verify = true;
  EnginePair skip =
      EnginePair::Make(MustServer(DefaultServerSettings()), MustClient(insecure), "nats.example");
  EXPECT_TRUE(skip.Handshake()) << skip.client.error();
}

TEST(Engine, MinVersionEnforced) {
  ServerSettings server = DefaultServerSettings();
  server.min_version = MinVersion::kTls13;
  EnginePair pair = EnginePair::Make(MustServer(server), ClientAt(TLS1_2_VERSION));
  pair.Pump();
  EXPECT_TRUE(pair.server.failed());
  EXPECT_EQ(pair.server.error(), "tls: client offered only unsupported versions: [303 302 301]");
  EXPECT_TRUE(pair.client.failed());
  EXPECT_EQ(pair.client.error(), "remote error: tls: protocol version not supported");
}

TEST(Engine, HandshakeCpuHooks) {
  EnginePair pair = EnginePair::Make(MustServer(DefaultServerSettings(Certs().server_rsa)),
                                     MustClient(DefaultClientSettings()));
  EXPECT_TRUE(pair.server.WillSign());
  EXPECT_FALSE(pair.client.WillSign());
  pair.client.Advance();  // ClientHello
  std::string hello;
  pair.client.TakeCiphertext(&hello);
  // Half a hello: a step that cannot sign yet.
  pair.server.Feed(std::string_view(hello).substr(0, hello.size() / 2));
  EXPECT_FALSE(pair.server.Advance().signed_with_private_key);
  EXPECT_TRUE(pair.server.WillSign());
  pair.server.Feed(std::string_view(hello).substr(hello.size() / 2));
  EXPECT_TRUE(pair.server.HasInput());
  Engine::Step step = pair.server.Advance();
  EXPECT_TRUE(step.signed_with_private_key);
  EXPECT_FALSE(step.completed);
  EXPECT_FALSE(pair.server.WillSign());
  EXPECT_FALSE(pair.server.HasInput());
  std::string flight;
  pair.server.TakeCiphertext(&flight);
  pair.client.Feed(flight);
  EXPECT_TRUE(pair.client.Advance().completed);
  std::string finished;
  pair.client.TakeCiphertext(&finished);
  pair.server.Feed(finished);
  step = pair.server.Advance();
  EXPECT_FALSE(step.signed_with_private_key);
  EXPECT_TRUE(step.completed);
  EXPECT_TRUE(pair.server.established());
}

TEST(Engine, SessionsOutliveTheirContext) {
  auto server_ctx = MustServer(DefaultServerSettings());
  auto client_ctx = MustClient(DefaultClientSettings());
  EnginePair pair = EnginePair::Make(server_ctx, client_ctx);
  std::weak_ptr<const ServerContext> weak = server_ctx;
  server_ctx.reset();  // a reload swapped it out
  EXPECT_TRUE(weak.expired());
  ASSERT_TRUE(pair.Handshake());
  pair.client.WritePlaintext("still here");
  pair.Pump();
  EXPECT_EQ(pair.server_got, "still here");
}

TEST(Engine, MovedEngineKeepsWorking) {
  EnginePair pair =
      EnginePair::Make(MustServer(DefaultServerSettings()), MustClient(DefaultClientSettings()));
  pair.client.Advance();
  Engine moved = std::move(pair.server);
  pair.server = std::move(moved);
  ASSERT_TRUE(pair.Handshake());
  pair.server.WritePlaintext("INFO {}\r\n");
  pair.Pump();
  EXPECT_EQ(pair.client_got, "INFO {}\r\n");
}

}  // namespace
}  // namespace ringnats::tls
