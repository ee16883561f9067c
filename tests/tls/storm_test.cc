// A storm of stalled handshakes: 300 sockets each send part of a ClientHello and then
// nothing, while two established TLS clients keep doing PING/PONG and publish/subscribe
// between every batch of new sockets. Every stalled socket is closed by the server's TLS
// timeout, the server stays alive and its memory stays bounded.

#include <sys/types.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "tls_fixture.h"

namespace ringnats::tlstest {
namespace {

constexpr int kStalled = 300;
constexpr int kBatch = 30;
// RSS growth allowed for the whole storm: 300 stalled handshakes cost nats-server a few MiB;
// a sanitizer build keeps freed blocks in quarantine.
constexpr int64_t kGrowthBoundMib = kSanitized ? 512 : 128;

int64_t VmRssKib(pid_t pid) {
  std::ifstream in(absl::StrFormat("/proc/%d/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoll(line.substr(6));
    }
  }
  return -1;
}

class StormTest : public TlsTest {};

TEST_F(StormTest, StalledHandshakesStallNothingAndAreAllClosed) {
  // A timeout long enough that every stalled socket is still open when the last one is
  // made; the server closes them all by itself afterwards.
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsBlock(certs().server_rsa, "  timeout: 3\n")));
  std::unique_ptr<RawClient> subscriber = TlsClient(Trusting());
  std::unique_ptr<RawClient> publisher = TlsClient(Trusting());
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  ASSERT_TRUE(subscriber->Send("SUB storm.> 1\r\n"));
  ASSERT_TRUE(subscriber->Ping());
  const int64_t rss_before = VmRssKib(server().pid());
  ASSERT_GT(rss_before, 0);

  absl::StatusOr<std::string> hello = harness::ClientHelloBytes();
  ASSERT_TRUE(hello.ok()) << hello.status();
  const std::string partial = hello->substr(0, hello->size() / 2);

  int round = 0;
  auto traffic = [&]() -> ::testing::AssertionResult {
    ++round;
    const std::string payload = absl::StrFormat("round-%d", round);
    if (auto r = publisher->Send(
            absl::StrFormat("PUB storm.%d %d\r\n%s\r\n", round, payload.size(), payload));
        !r) {
      return r;
    }
    if (auto r = publisher->Ping(); !r) {
      return r << " (publisher, round " << round << ")";
    }
    if (auto r = subscriber->Expect(
            absl::StrFormat("MSG storm.%d 1 %d\r\n%s\r\n", round, payload.size(), payload));
        !r) {
      return r << " (round " << round << ")";
    }
    return subscriber->Ping();
  };

  using Clock = std::chrono::steady_clock;
  const Clock::time_point storm_start = Clock::now();
  std::vector<std::unique_ptr<RawClient>> stalled;
  stalled.reserve(kStalled);
  int64_t rss_peak = rss_before;
  for (int i = 0; i < kStalled; ++i) {
    absl::StatusOr<std::unique_ptr<RawClient>> raw = RawClient::Connect(port());
    ASSERT_TRUE(raw.ok()) << "socket " << i << ": " << raw.status();
    ASSERT_TRUE((*raw)->ReadInfo()) << "socket " << i;
    ASSERT_TRUE((*raw)->Send(partial)) << "socket " << i;
    stalled.push_back(std::move(*raw));
    if ((i + 1) % kBatch == 0) {
      ASSERT_TRUE(traffic()) << "after " << i + 1 << " stalled handshakes";
      rss_peak = std::max(rss_peak, VmRssKib(server().pid()));
    }
  }
  ASSERT_TRUE(traffic());
  const Clock::time_point storm_made = Clock::now();

  // The server's TLS timeout ends every one of them, with nothing sent (the guard is wide:
  // 300 timers on a loaded machine).
  for (int i = 0; i < kStalled; ++i) {
    ASSERT_TRUE(stalled[i]->ExpectClosed("", std::chrono::seconds(30))) << "socket " << i;
  }
  const Clock::time_point all_closed = Clock::now();
  ASSERT_TRUE(traffic());
  rss_peak = std::max(rss_peak, VmRssKib(server().pid()));
  // For the record only (never asserted): how long things took, and the memory.
  auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  std::cout << "[ INFO     ] " << kStalled << " stalled handshakes made in "
            << ms(storm_made - storm_start) << " ms, all closed " << ms(all_closed - storm_start)
            << " ms after the first; VmRSS " << rss_before / 1024 << " MiB before the storm, peak "
            << rss_peak / 1024 << " MiB\n";
  EXPECT_LT((rss_peak - rss_before) / 1024, kGrowthBoundMib)
      << "VmRSS " << rss_before / 1024 << " MiB before the storm, peak " << rss_peak / 1024
      << " MiB";

  // New TLS clients still get in.
  std::unique_ptr<RawClient> late = TlsClient(Trusting());
  ASSERT_NE(late, nullptr);
  EXPECT_TRUE(StillCarries(*late, *publisher));
}

}  // namespace
}  // namespace ringnats::tlstest
