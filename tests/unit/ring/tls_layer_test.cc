// TLS as a layer of the loop's connection, over real loopback sockets: both ends of a
// connection the loop made to its own listener run TLS (the server end's signing step on a
// real handshake pool thread), data crosses both ways in order and intact, reading paused on
// a TLS connection holds its plaintext until resumed, a plaintext peer fails the handshake
// alone, and a flushed close ends with close_notify the peer sees as an orderly end.

#include <string>

#include "../tls/test_pki.h"
#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "loop_harness.h"
#include "ringnats/ring/event_loop.h"
#include "ringnats/ring/listener.h"
#include "ringnats/tls/context.h"
#include "ringnats/tls/engine.h"
#include "ringnats/tls/handshake_pool.h"

namespace ringnats::ring {
namespace {

using namespace ringnats::ring::testing;  // NOLINT: the shared loop harness
using tls::testing::CertSpec;
using tls::testing::Issued;
using tls::testing::KeyType;
using tls::testing::Pki;

struct Contexts {
  Pki pki;
  std::shared_ptr<const tls::ServerContext> server;  // RSA: the expensive signature
  std::shared_ptr<const tls::ServerContext> ecdsa_server;
  std::shared_ptr<const tls::ClientContext> client;
  std::shared_ptr<const tls::ServerContext> Server(const char* name, KeyType key) {
    CertSpec spec;
    spec.common_name = "localhost";
    spec.sans = {"DNS:localhost", "IP:127.0.0.1"};
    spec.key = key;
    const Issued issued = pki.Issue(name, spec, "ca");
    tls::ServerSettings server_settings;
    server_settings.cert_file = issued.cert_file;
    server_settings.key_file = issued.key_file;
    return *tls::ServerContext::Create(server_settings);
  }
  Contexts() {
    const Issued ca = pki.MakeCa("ca");
    server = Server("server", KeyType::kRsa2048);
    ecdsa_server = Server("ecdsa-server", KeyType::kEcdsaP256);
    tls::ClientSettings client_settings;
    client_settings.ca_file = ca.cert_file;
    this->client = *tls::ClientContext::Create(client_settings);
  }
};

Contexts& SharedContexts() {
  static Contexts* contexts = new Contexts();
  return *contexts;
}

// A loop with a listener and a handshake pool, and one TLS connection it made to itself.
class TlsLoop {
 public:
  explicit TlsLoop(unsigned cheap_signs_per_iteration = LoopSettings().cheap_signs_per_iteration)
      : pool_(1) {
    absl::StatusOr<BoundListener> bound = ListenReusePort("127.0.0.1", 0, 16);
    EXPECT_TRUE(bound.ok());
    port_ = bound->port;
    LoopSettings settings;
    settings.listen_fd = bound->fd;
    settings.handshake_pool = &pool_;
    settings.cheap_signs_per_iteration = cheap_signs_per_iteration;
    loop_ = std::make_unique<LoopThread>(settings);
  }
  ~TlsLoop() { loop_->Stop(); }  // before the pool goes: its jobs post to the loop

  // Connects the loop to itself and starts TLS on both ends (the server end with `server`,
  // RSA by default); true once both are established.
  bool ConnectBothEnds(std::shared_ptr<const tls::ServerContext> server = SharedContexts().server) {
    if (!loop_->OnLoop([&](EventLoop& loop) { return loop.Connect(Loopback(port_), 1); }).ok()) {
      return false;
    }
    std::optional<Event> connected = handler().Wait(Kind::kConnected);
    std::optional<Event> accepted = handler().Wait(Kind::kAccepted);
    if (!connected || !accepted) return false;
    client_ = connected->id;
    server_ = accepted->id;
    // One task: the server end speaks TLS before the client's hello can reach it.
    loop_->OnLoop([&](EventLoop& loop) {
      loop.StartTls(server_, *tls::Engine::NewServer(server));
      loop.StartTls(client_, *tls::Engine::NewClient(SharedContexts().client, "localhost"));
      return 0;
    });
    std::optional<Event> first = handler().Wait(Kind::kTlsEstablished);
    std::optional<Event> second = handler().Wait(Kind::kTlsEstablished);
    return first && second;
  }

  void Send(ConnId id, const std::string& bytes) {
    loop_->OnLoop([&](EventLoop& loop) {
      loop.OutboundToSend(id).Append(bytes);
      return 0;
    });
  }

  LoopStats Stats() {
    return loop_->OnLoop([](EventLoop& loop) { return loop.stats(); });
  }

  RecordingHandler& handler() { return loop_->handler; }
  LoopThread& loop() { return *loop_; }
  int port() const { return port_; }
  ConnId client() const { return client_; }
  ConnId server() const { return server_; }

 private:
  tls::HandshakePool pool_;
  int port_ = 0;
  std::unique_ptr<LoopThread> loop_;
  ConnId client_, server_;
};

std::string Pattern(size_t size, char seed) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(seed + i % 251);
  return bytes;
}

// Large buffers compared without printing them.
::testing::AssertionResult SameBytes(const std::string& got, const std::string& want) {
  if (got == want) return ::testing::AssertionSuccess();
  size_t at = 0;
  while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
  return ::testing::AssertionFailure() << "got " << got.size() << " bytes, want " << want.size()
                                       << "; first difference at byte " << at;
}

TEST(TlsLayerTest, BothEndsEstablishAndCarryMegabytesBothWays) {
  TlsLoop t;
  ASSERT_TRUE(t.ConnectBothEnds());
  // The handler only ever sees plaintext, whole and in order. (One direction at a time:
  // WaitBytes drops what arrives for other connections.)
  const std::string up = Pattern(1 << 20, 'a');
  t.Send(t.client(), up);
  EXPECT_TRUE(SameBytes(t.handler().WaitBytes(t.server(), up.size()), up));
  const std::string down = Pattern(3 << 19, 'k');
  t.Send(t.server(), down);
  EXPECT_TRUE(SameBytes(t.handler().WaitBytes(t.client(), down.size()), down));
  const LoopStats stats = t.Stats();
  EXPECT_EQ(stats.tls_handshake_steps_offloaded, 1u);  // the RSA signature ran on the pool
  EXPECT_EQ(stats.tls_handshake_signs_inline, 0u);
  const std::string version = t.loop().OnLoop([&](EventLoop& loop) {
    const tls::Engine* engine = loop.tls_engine(t.server());
    return engine == nullptr ? std::string("none") : engine->version_name();
  });
  EXPECT_EQ(version, "1.3");
}

// An ECDSA signature costs less than the two thread hand-offs to the pool: the ring signs a
// few per iteration itself; with no budget it goes to the pool like RSA.
TEST(TlsLayerTest, CheapSignatureOnTheRingWithinItsBudget) {
  {
    TlsLoop t;
    ASSERT_TRUE(t.ConnectBothEnds(SharedContexts().ecdsa_server));
    const LoopStats stats = t.Stats();
    EXPECT_EQ(stats.tls_handshake_signs_inline, 1u);
    EXPECT_EQ(stats.tls_handshake_steps_offloaded, 0u);
  }
  {
    TlsLoop t(/*cheap_signs_per_iteration=*/0);
    ASSERT_TRUE(t.ConnectBothEnds(SharedContexts().ecdsa_server));
    const LoopStats stats = t.Stats();
    EXPECT_EQ(stats.tls_handshake_signs_inline, 0u);
    EXPECT_EQ(stats.tls_handshake_steps_offloaded, 1u);
  }
}

TEST(TlsLayerTest, PausedReadingHoldsPlaintextUntilResumed) {
  TlsLoop t;
  ASSERT_TRUE(t.ConnectBothEnds());
  t.loop().OnLoop([&](EventLoop& loop) {
    loop.PauseReceive(t.server());
    return 0;
  });
  const std::string up = Pattern(600 * 1024, 'p');
  t.Send(t.client(), up);
  // Whatever was read ahead before the pause may be handed over; the rest waits. After the
  // resume everything arrives, once and in order.
  t.loop().OnLoop([&](EventLoop& loop) {
    loop.ResumeReceive(t.server());
    return 0;
  });
  EXPECT_TRUE(SameBytes(t.handler().WaitBytes(t.server(), up.size()), up));
}

TEST(TlsLayerTest, PlaintextPeerFailsTheHandshakeAndOnlyThatConnectionCloses) {
  TlsLoop t;
  ASSERT_TRUE(t.ConnectBothEnds());
  const int raw = ConnectFromTest(t.port());
  ASSERT_GE(raw, 0);
  std::optional<Event> accepted = t.handler().Wait(Kind::kAccepted);
  ASSERT_TRUE(accepted);
  t.loop().OnLoop([&](EventLoop& loop) {
    loop.StartTls(accepted->id, *tls::Engine::NewServer(SharedContexts().server));
    return 0;
  });
  const std::string connect = "CONNECT {}\r\n";
  ASSERT_EQ(write(raw, connect.data(), connect.size()), static_cast<ssize_t>(connect.size()));
  std::optional<Event> failed = t.handler().Wait(Kind::kTlsFailed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->id, accepted->id);
  EXPECT_EQ(failed->error, 1);  // during the handshake
  EXPECT_EQ(failed->data, "tls: first record does not look like a TLS handshake");
  std::optional<Event> closed = t.handler().Wait(Kind::kClosed);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->id, accepted->id);
  char byte;
  EXPECT_LE(read(raw, &byte, 1), 0);  // the server end is gone
  close(raw);
  // The established pair still works.
  t.Send(t.client(), "still here");
  EXPECT_EQ(t.handler().WaitBytes(t.server(), 10), "still here");
}

TEST(TlsLayerTest, FlushedCloseSendsItsDataThenAnOrderlyEnd) {
  TlsLoop t;
  ASSERT_TRUE(t.ConnectBothEnds());
  const std::string last = Pattern(200 * 1024, 'z');
  t.loop().OnLoop([&](EventLoop& loop) {
    loop.OutboundToSend(t.server()).Append(last);
    loop.Close(t.server(), CloseMode::kAfterFlush);
    return 0;
  });
  EXPECT_TRUE(SameBytes(t.handler().WaitBytes(t.client(), last.size()), last));
  // close_notify, not a truncation: the client end reports the peer closed.
  std::optional<Event> gone = t.handler().Wait(Kind::kPeerGone);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->id, t.client());
}

}  // namespace
}  // namespace ringnats::ring
