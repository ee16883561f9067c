// Certificates reloaded on SIGHUP: the cert and key files the config names are replaced, the
// server is signalled, new connections get the new certificate and sessions established
// before keep going. A reload with a broken certificate file is refused and the old one stays.
// Reloads in a row under TLS traffic and a stream of new handshakes lose nothing.

#include <signal.h>

#include <atomic>
#include <charconv>
#include <filesystem>
#include <string>
#include <thread>

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

// An operator's reload loop while TLS clients publish and new ones keep handshaking: every
// message published over TLS arrives once and in order, every handshake completes with one of
// the two certificates, and the server answers throughout.
TEST_F(ReloadTest, ReloadsUnderTlsTrafficAndHandshakesLoseNothing) {
  constexpr int kReloads = 10;
  constexpr int kBurst = 100;
  // Far under what the unread subscriber may have pending (max_pending, 64 MiB).
  constexpr int kMaxMessages = 500'000;
  std::unique_ptr<RawClient> subscriber = TlsClient(Trusting());
  std::unique_ptr<RawClient> publisher = TlsClient(Trusting());
  ASSERT_TRUE(subscriber && publisher);
  ASSERT_TRUE(subscriber->Send("SUB load.x 1\r\n"));
  ASSERT_TRUE(subscriber->Ping());

  std::atomic<bool> stop{false};
  std::atomic<int> published{0};
  std::atomic<bool> publisher_failed{false};
  std::thread publishing([&] {
    while (!stop.load() && published.load() < kMaxMessages) {
      std::string burst;
      for (int i = 0; i < kBurst; ++i) {
        const std::string seq = std::to_string(published.load() + i);
        burst += absl::StrFormat("PUB load.x %d\r\n%s\r\n", seq.size(), seq);
      }
      // The PONG paces the publisher to what the server has read.
      if (!publisher->Send(burst) || !publisher->Ping(std::chrono::seconds(30))) {
        publisher_failed = true;
        return;
      }
      published += kBurst;
    }
  });
  std::atomic<int> handshakes{0};
  std::atomic<bool> handshake_failed{false};
  std::thread handshaking([&] {
    while (!stop.load()) {
      TlsSession* session = nullptr;
      std::unique_ptr<RawClient> client = TlsClient(Trusting(), kTlsConnect, &session);
      const std::string subject = client != nullptr ? session->Info().peer_subject : "";
      if (subject != "CN=localhost,O=Acme" && subject != "CN=next.localhost,O=Acme") {
        handshake_failed = true;
        return;
      }
      ++handshakes;
    }
  });

  // Traffic and handshakes go on between reloads: each reload waits until both made
  // progress since the one before.
  const auto await_progress = [&](int messages_before, int handshakes_before) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (((published.load() == messages_before && messages_before < kMaxMessages) ||
            handshakes.load() == handshakes_before) &&
           !publisher_failed.load() && !handshake_failed.load() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  };
  for (int i = 1; i <= kReloads; ++i) {
    await_progress(published.load(), handshakes.load());
    ASSERT_NO_FATAL_FAILURE(Install(i % 2 == 1 ? certs().server_next : certs().server_ecdsa));
    server().Signal(SIGHUP);
    ASSERT_TRUE(server().WaitForLogCount("Reloaded server configuration", i));
  }
  await_progress(published.load(), handshakes.load());
  stop = true;
  publishing.join();
  handshaking.join();
  EXPECT_FALSE(publisher_failed.load());
  EXPECT_FALSE(handshake_failed.load()) << "after " << handshakes.load() << " handshakes";
  EXPECT_GT(handshakes.load(), kReloads);
  RecordProperty("messages", published.load());
  RecordProperty("handshakes", handshakes.load());

  // Every message, once, in order.
  const int total = published.load();
  for (int expected = 0; expected < total; ++expected) {
    harness::Msg msg;
    ASSERT_TRUE(subscriber->ReadMsg(&msg, std::chrono::seconds(30))) << "message " << expected;
    int seq = -1;
    std::from_chars(msg.payload.data(), msg.payload.data() + msg.payload.size(), seq);
    ASSERT_EQ(seq, expected);
  }
  EXPECT_TRUE(subscriber->Ping());
  EXPECT_TRUE(StillCarries(*subscriber, *publisher));
}

}  // namespace
}  // namespace ringnats::tlstest
