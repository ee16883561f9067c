// Clients over TLS with each kind of server key: INFO comes first in plaintext and says TLS is
// required, the client upgrades, then NATS works inside TLS (CONNECT, PING/PONG, SUB/PUB/MSG,
// payloads larger than one TLS record), in TLS 1.2 and 1.3.

#include <openssl/ssl.h>

#include <string>
#include <tuple>

#include "absl/strings/str_format.h"
#include "tls_fixture.h"

namespace ringnats::tlstest {
namespace {

enum class ServerKey { kRsa, kEcdsa, kEd25519 };

struct KeyCase {
  ServerKey key;
  const char* name;
  const char* openssl_type;  // EVP_PKEY_get0_type_name of the server's key
  // The TLS 1.2 suite nats-server picks from OpenSSL's default offer: OpenSSL's name and
  // Go's (as /connz shows it). In TLS 1.3 it picks TLS_AES_128_GCM_SHA256 for every key.
  const char* tls12_suite;
  const char* tls12_go_suite;
};

constexpr KeyCase kKeys[] = {
    {ServerKey::kRsa, "Rsa2048", "RSA", "ECDHE-RSA-AES128-GCM-SHA256",
     "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {ServerKey::kEcdsa, "EcdsaP256", "EC", "ECDHE-ECDSA-AES128-GCM-SHA256",
     "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {ServerKey::kEd25519, "Ed25519", "ED25519", "ECDHE-ECDSA-AES128-GCM-SHA256",
     "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
};

class HandshakeTest : public TlsTest,
                      public ::testing::WithParamInterface<std::tuple<KeyCase, int>> {
 protected:
  const KeyPair& ServerPair() {
    switch (std::get<0>(GetParam()).key) {
      case ServerKey::kRsa: return certs().server_rsa;
      case ServerKey::kEcdsa: return certs().server_ecdsa;
      case ServerKey::kEd25519: break;
    }
    return certs().server_ed25519;
  }
  int Version() const { return std::get<1>(GetParam()); }
  TlsClientOptions Options(const KeyPair* client = nullptr) const {
    TlsClientOptions options = Trusting(client);
    options.min_version = Version();
    options.max_version = Version();
    return options;
  }
};

TEST_P(HandshakeTest, InfoInPlaintextThenNatsInsideTls) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(ServerPair()), {"-m", "-1"}));

  // INFO arrives before the client sent anything, in plaintext.
  absl::StatusOr<std::unique_ptr<RawClient>> raw = RawClient::Connect(port());
  ASSERT_TRUE(raw.ok()) << raw.status();
  RawClient& client = **raw;
  nlohmann::ordered_json info;
  ASSERT_TRUE(client.ReadInfo(&info));
  EXPECT_EQ(info.value("tls_required", false), true) << info.dump();
  EXPECT_FALSE(info.contains("tls_verify")) << info.dump();
  EXPECT_FALSE(info.contains("tls_available")) << info.dump();

  TlsSession* session = nullptr;
  ASSERT_TRUE(harness::StartTls(client, Options(), &session));
  const harness::TlsSessionInfo negotiated = session->Info();
  EXPECT_EQ(negotiated.version, Version() == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2");
  EXPECT_EQ(negotiated.peer_subject, "CN=localhost,O=Acme");
  EXPECT_EQ(negotiated.peer_key_type, std::get<0>(GetParam()).openssl_type);
  const bool tls13 = Version() == TLS1_3_VERSION;
  EXPECT_EQ(negotiated.cipher,
            tls13 ? "TLS_AES_128_GCM_SHA256" : std::get<0>(GetParam()).tls12_suite);

  ASSERT_TRUE(client.Send(absl::StrFormat("CONNECT %s\r\n", kTlsConnect)));
  ASSERT_TRUE(client.Ping());
  // /connz names the version and suite as Go does.
  const nlohmann::json entry = OpenConnection(harness::LocalPort(client.fd()));
  ASSERT_TRUE(entry.is_object()) << "not in /connz";
  EXPECT_EQ(entry.value("tls_version", ""), tls13 ? "1.3" : "1.2") << entry.dump();
  EXPECT_EQ(entry.value("tls_cipher_suite", ""),
            tls13 ? "TLS_AES_128_GCM_SHA256" : std::get<0>(GetParam()).tls12_go_suite)
      << entry.dump();
  ASSERT_TRUE(client.Send("SUB tls.echo 1\r\nPUB tls.echo 5\r\nhello\r\n"));
  ASSERT_TRUE(client.Expect("MSG tls.echo 1 5\r\nhello\r\n"));
  ASSERT_TRUE(client.Ping());

  // Another TLS client publishes to this one; a payload of several TLS records (16 KiB each)
  // arrives whole in both directions.
  std::unique_ptr<RawClient> publisher = TlsClient(Options());
  ASSERT_NE(publisher, nullptr);
  const std::string big(100000, 'x');
  ASSERT_TRUE(publisher->Send(absl::StrFormat("PUB tls.echo %d\r\n%s\r\n", big.size(), big)));
  ASSERT_TRUE(publisher->Ping());
  harness::Msg msg;
  ASSERT_TRUE(client.ReadMsg(&msg));
  EXPECT_EQ(msg.subject, "tls.echo");
  EXPECT_EQ(msg.payload, big);
  EXPECT_TRUE(StillCarries(*publisher, client));
}

TEST_P(HandshakeTest, VerifyAdvertisedAndClientCertificateAccepted) {
  ASSERT_NO_FATAL_FAILURE(StartServer(
      TlsBlock(ServerPair(), absl::StrFormat("  ca_file: \"%s\"\n  verify: true\n", certs().ca))));
  absl::StatusOr<std::unique_ptr<RawClient>> raw = RawClient::Connect(port());
  ASSERT_TRUE(raw.ok()) << raw.status();
  nlohmann::ordered_json info;
  ASSERT_TRUE((*raw)->ReadInfo(&info));
  EXPECT_EQ(info.value("tls_required", false), true) << info.dump();
  EXPECT_EQ(info.value("tls_verify", false), true) << info.dump();
  ASSERT_TRUE(harness::StartTls(**raw, Options(&certs().client)));
  ASSERT_TRUE((*raw)->Send(absl::StrFormat("CONNECT %s\r\n", kTlsConnect)));
  ASSERT_TRUE((*raw)->Ping());

  std::unique_ptr<RawClient> other = TlsClient(Options(&certs().client_dn));
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(StillCarries(**raw, *other));
}

// The same from the command line: --tls, --tlscert, --tlskey, --tlsverify, --tlscacert.
class FlagsTest : public TlsTest {};

TEST_F(FlagsTest, TlsFromTheCommandLine) {
  ASSERT_NO_FATAL_FAILURE(StartServer(
      "", {"--tls", "--tlscert", certs().server_ecdsa.cert, "--tlskey", certs().server_ecdsa.key}));
  absl::StatusOr<std::unique_ptr<RawClient>> raw = RawClient::Connect(port());
  ASSERT_TRUE(raw.ok()) << raw.status();
  nlohmann::ordered_json info;
  ASSERT_TRUE((*raw)->ReadInfo(&info));
  EXPECT_EQ(info.value("tls_required", false), true) << info.dump();
  EXPECT_FALSE(info.contains("tls_verify")) << info.dump();
  ASSERT_TRUE(harness::StartTls(**raw, Trusting()));
  ASSERT_TRUE((*raw)->Send(absl::StrFormat("CONNECT %s\r\n", kTlsConnect)));
  EXPECT_TRUE((*raw)->Ping());
}

TEST_F(FlagsTest, VerifyFromTheCommandLine) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer("", {"--tlsverify", "--tlscert", certs().server_ecdsa.cert, "--tlskey",
                       certs().server_ecdsa.key, "--tlscacert", certs().ca}));
  absl::StatusOr<std::unique_ptr<RawClient>> raw = RawClient::Connect(port());
  ASSERT_TRUE(raw.ok()) << raw.status();
  nlohmann::ordered_json info;
  ASSERT_TRUE((*raw)->ReadInfo(&info));
  EXPECT_EQ(info.value("tls_required", false), true) << info.dump();
  EXPECT_EQ(info.value("tls_verify", false), true) << info.dump();
  ASSERT_TRUE(harness::StartTls(**raw, Trusting(&certs().client)));
  ASSERT_TRUE((*raw)->Send(absl::StrFormat("CONNECT %s\r\n", kTlsConnect)));
  EXPECT_TRUE((*raw)->Ping());
  // Without a certificate: refused, in the handshake (TLS 1.2) or right after it (1.3).
  TlsClientOptions no_certificate = Trusting();
  no_certificate.max_version = TLS1_2_VERSION;
  EXPECT_FALSE(harness::ConnectTls(port(), no_certificate).ok());
}

// curve_preferences without X25519, the only key share OpenSSL's (and Go's) clients send
// first: TLS 1.3 asks the client for another share with a HelloRetryRequest, and the second
// ClientHello completes the handshake (it is not a renegotiation).
class CurvesTest : public TlsTest {};

TEST_F(CurvesTest, ClientWithoutAKeyShareForTheServersCurvesIsAskedForOne) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer(TlsBlock(certs().server_ecdsa, "  curve_preferences: [\"CurveP256\"]\n")));
  TlsClientOptions options = Trusting();
  options.min_version = TLS1_3_VERSION;
  TlsSession* session = nullptr;
  std::unique_ptr<RawClient> first = TlsClient(options, kTlsConnect, &session);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(session->Info().version, "TLSv1.3");
  std::unique_ptr<RawClient> second = TlsClient(options);
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(StillCarries(*first, *second));
}

INSTANTIATE_TEST_SUITE_P(Keys, HandshakeTest,
                         ::testing::Combine(::testing::ValuesIn(kKeys),
                                            ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION)),
                         [](const ::testing::TestParamInfo<std::tuple<KeyCase, int>>& param_info) {
                           return absl::StrFormat(
                               "%s_%s", std::get<0>(param_info.param).name,
                               std::get<1>(param_info.param) == TLS1_3_VERSION ? "Tls13" : "Tls12");
                         });

}  // namespace
}  // namespace ringnats::tlstest
