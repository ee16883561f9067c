// Certificates reloaded on SIGHUP: the cert and key files the config names are replaced, the
// server is signalled, new connections get the new certificate and sessions established
// before keep going. A reload with a broken certificate file is refused and the old one stays.

#include <signal.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_format.h"
#include "tls_fixture.h"

namespace ringnats::tlstest {
namespace {

namespace fs = std::filesystem;

class ReloadTest : public TlsTest {
 protected:
  void SetUp() override {
    ASSERT_FALSE(certs().dir.empty());
    live_dir_ = absl::StrFormat("%s/live-%s", certs().dir,
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(live_dir_);
    live_ = {live_dir_ + "/server.pem", live_dir_ + "/server-key.pem"};
    ASSERT_NO_FATAL_FAILURE(Install(certs().server_ecdsa));
    ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(live_)));
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(live_dir_, ignored);
  }

  // Puts `pair`'s files where the config points (each by rename, so the server never reads
  // half a file).
  void Install(const KeyPair& pair) {
    for (const auto& [from, to] : {std::pair{pair.cert, live_.cert}, {pair.key, live_.key}}) {
      fs::copy_file(from, to + ".new", fs::copy_options::overwrite_existing);
      fs::rename(to + ".new", to);
    }
  }

  std::string live_dir_;
  KeyPair live_;
};

TEST_F(ReloadTest, NewConnectionsGetTheNewCertificateOldSessionsKeepGoing) {
  TlsSession* old_session = nullptr;
  std::unique_ptr<RawClient> old_client = TlsClient(Trusting(), kTlsConnect, &old_session);
  ASSERT_NE(old_client, nullptr);
  EXPECT_EQ(old_session->Info().peer_subject, "CN=localhost,O=Acme");
  ASSERT_TRUE(old_client->Send("SUB reload.> 1\r\n"));
  ASSERT_TRUE(old_client->Ping());

  ASSERT_NO_FATAL_FAILURE(Install(certs().server_next));
  server().Signal(SIGHUP);
  ASSERT_TRUE(server().WaitForLog("Reloaded server configuration"));
  // nats-server names what changed; TLS is always among it (the files are reread).
  EXPECT_TRUE(server().WaitForLog(R"(\[INF\] Reloaded: tls = enabled$)"));

  TlsSession* new_session = nullptr;
  std::unique_ptr<RawClient> new_client = TlsClient(Trusting(), kTlsConnect, &new_session);
  ASSERT_NE(new_client, nullptr);
  EXPECT_EQ(new_session->Info().peer_subject, "CN=next.localhost,O=Acme");

  // The session from before the reload still works both ways, subscription included.
  ASSERT_TRUE(new_client->Send("PUB reload.a 3\r\nnew\r\n"));
  ASSERT_TRUE(new_client->Ping());
  EXPECT_TRUE(old_client->Expect("MSG reload.a 1 3\r\nnew\r\n"));
  EXPECT_TRUE(StillCarries(*old_client, *new_client));
  EXPECT_TRUE(StillCarries(*new_client, *old_client));
}

TEST_F(ReloadTest, BrokenCertificateFileRefusedOldCertificateStays) {
  std::unique_ptr<RawClient> old_client = TlsClient(Trusting());
  ASSERT_NE(old_client, nullptr);
  {
    std::FILE* f = std::fopen((live_.cert + ".new").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
    std::fclose(f);
    fs::rename(live_.cert + ".new", live_.cert);
  }
  server().Signal(SIGHUP);
  // nats-server: "[ERR] Failed to reload server configuration: <config>:1:0: error parsing
  // X509 certificate/key pair: tls: failed to find any PEM data in certificate input".
  ASSERT_TRUE(server().WaitForLog(
      R"(\[ERR\] Failed to reload server configuration: .*server\.conf:\d+:\d+: error parsing X509 certificate/key pair)"));
  ASSERT_TRUE(server().Running());

  TlsSession* session = nullptr;
  std::unique_ptr<RawClient> new_client = TlsClient(Trusting(), kTlsConnect, &session);
  ASSERT_NE(new_client, nullptr);
  EXPECT_EQ(session->Info().peer_subject, "CN=localhost,O=Acme");
  EXPECT_TRUE(StillCarries(*old_client, *new_client));
}

}  // namespace
}  // namespace ringnats::tlstest
