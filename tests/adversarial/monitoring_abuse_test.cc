// Clients that abuse the monitoring port itself: one that sends its request a byte at a time,
// never slower than a single read times out but never finishing, and one that sends headers
// without end. ringnats bounds a request's head as a whole (5 s, as nats-server 2.10; 1 MiB,
// as nats-server 2.9): its few monitoring threads must not be held by such a client for
// longer, and a normal scrape is answered afterwards.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "adversarial/adversarial_fixture.h"
#include "gtest/gtest.h"
#include "harness/http_get.h"

namespace ringnats::adversarial {
namespace {

// A blocking TCP connection to 127.0.0.1:`port`; -1 on failure.
int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True once the server has ended the connection: within `wait`, the socket turns readable
// and reading it reaches EOF or an error (whatever answer came first is read past).
bool ServerClosedWithin(int fd, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready == 0) return false;
    if (ready < 0) return errno != EINTR ? false : ServerClosedWithin(fd, left);
    char buffer[4096];
    const ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
}

class MonitoringAbuseTest : public AdversarialTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer("", {"-m", "-1"}));
    ASSERT_GT(server().monitor_port(), 0) << "no monitoring port in the ports file";
  }

  void ExpectScrapeAnswered() {
    absl::StatusOr<harness::HttpAnswer> varz = harness::HttpGet(server().monitor_port(), "/varz");
    ASSERT_TRUE(varz.ok()) << varz.status();
    EXPECT_EQ(varz->status, 200);
  }
};

// One byte every 400 ms: each read finishes well inside the read timeout, the head never
// does. Such clients on every monitoring thread (four) would shut out every scrape if only
// single reads were timed; the head as a whole gets 5 s, as nats-server 2.10 gives it
// (ReadHeaderTimeout). nats-server 2.9.10 has no such bound, and needs none: a goroutine per
// connection, so a trickler holds only its own.
TEST_F(MonitoringAbuseTest, ARequestSentAByteAtATimeIsCut) {
  if (reference()) GTEST_SKIP() << "nats-server 2.9.10 serves each connection on its own";
  constexpr int kTricklers = 4;
  std::vector<int> fds;
  for (int i = 0; i < kTricklers; ++i) {
    const int fd = ConnectLoopback(server().monitor_port());
    ASSERT_GE(fd, 0) << "trickler " << i;
    fds.push_back(fd);
    const std::string start = "GET /varz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    ASSERT_EQ(send(fd, start.data(), start.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(start.size()));
  }
  std::vector<bool> closed(kTricklers, false);
  int open = kTricklers;
  // Up to 75 rounds of 400 ms (30 s): a byte to every open trickler, then the round's wait
  // is a wait for the server to close one of them.
  for (int round = 0; round < 75 && open > 0; ++round) {
    for (int i = 0; i < kTricklers; ++i) {
      if (closed[i]) continue;
      if (send(fds[i], "a", 1, MSG_NOSIGNAL) != 1 ||
          ServerClosedWithin(fds[i], std::chrono::milliseconds(400 / kTricklers))) {
        closed[i] = true;
        --open;
      }
    }
  }
  EXPECT_EQ(open, 0) << "a request trickled a byte at a time held its thread for 30 s";
  for (int fd : fds) ::close(fd);
  ExpectScrapeAnswered();
  ExpectCleanStop();
}

// Headers without end: the connection is closed once the head passes 1 MiB, long before
// the client has sent 16 MiB of them (a single read's timeout never fires: they keep
// coming).
TEST_F(MonitoringAbuseTest, EndlessHeadersAreCut) {
  const int fd = ConnectLoopback(server().monitor_port());
  ASSERT_GE(fd, 0);
  timeval send_timeout{10, 0};
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout), 0);
  std::string request = "GET /varz HTTP/1.1\r\nHost: x\r\n";
  const std::string header = "X-Filler: " + std::string(4000, 'h') + "\r\n";
  while (request.size() < 64 * 1024) request += header;
  size_t sent = 0;
  bool refused = false;
  while (sent < 16u << 20) {
    const ssize_t n = send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      refused = true;
      break;
    }
    sent += static_cast<size_t>(n);
  }
  // Taken whole, they would fill the server's memory; refused, the sends fail (reset).
  EXPECT_TRUE(refused) << "16 MiB of headers were all taken";
  ::close(fd);
  ExpectScrapeAnswered();
  ExpectCleanStop();
}

}  // namespace
}  // namespace ringnats::adversarial
