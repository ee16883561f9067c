// The loop's list of connections with a send in flight, which is what a worker checks write
// deadlines against instead of scanning every connection: a send blocked by a peer that does
// not read is listed, with its flush's age, until the peer drains it, whichever connection
// is drained first.

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "loop_harness.h"
#include "ringnats/ring/event_loop.h"

namespace ringnats::ring {
namespace {

using namespace ringnats::ring::testing;  // NOLINT: the shared loop harness

// More than loopback's socket buffers hold while the peer does not read.
constexpr size_t kBulk = 8u << 20;

struct Peer {
  int fd = -1;
  ConnId id;
};

// A connection the loop makes to `server`; the test holds the other end.
Peer ConnectPeer(LoopThread& lt, TestSocket& server, uint64_t tag) {
  Peer peer;
  if (!lt.OnLoop([&](EventLoop& loop) { return loop.Connect(Loopback(server.port), tag); }).ok()) {
    return peer;
  }
  peer.fd = accept4(server.fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (peer.fd >= 0) SetTimeouts(peer.fd);
  std::optional<Event> connected = lt.handler.Wait(Kind::kConnected);
  if (connected) peer.id = connected->id;
  return peer;
}

std::vector<ConnId> Sending(LoopThread& lt) {
  return lt.OnLoop([](EventLoop& loop) {
    std::vector<ConnId> ids;
    loop.ConnsSending(&ids);
    return ids;
  });
}

bool Listed(const std::vector<ConnId>& ids, ConnId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Polls the loop until `want(ids)` holds for its sending list (no event marks the moment a
// send blocks in the kernel); false after kLiveness.
template <typename Want>
bool WaitForSending(LoopThread& lt, Want want) {
  const auto deadline = std::chrono::steady_clock::now() + kLiveness;
  while (std::chrono::steady_clock::now() < deadline) {
    if (want(Sending(lt))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

TEST(SendTrackingTest, BlockedSendsAreListedUntilTheirPeerDrainsThem) {
  TestSocket server;
  BindLoopback(server, 16);
  LoopThread lt(LoopSettings{});
  std::vector<Peer> peers;
  for (uint64_t tag = 1; tag <= 3; ++tag) {
    peers.push_back(ConnectPeer(lt, server, tag));
    ASSERT_GE(peers.back().fd, 0);
  }
  EXPECT_TRUE(Sending(lt).empty());

  const std::string bulk(kBulk, 'b');
  lt.OnLoop([&](EventLoop& loop) {
    for (const Peer& peer : peers) loop.OutboundToSend(peer.id).Append(bulk);
    return 0;
  });
  ASSERT_TRUE(WaitForSending(lt, [&](const std::vector<ConnId>& ids) {
    return ids.size() == 3 && Listed(ids, peers[0].id) && Listed(ids, peers[1].id) &&
           Listed(ids, peers[2].id);
  }));
  EXPECT_EQ(lt.OnLoop([](EventLoop& loop) { return loop.sends_in_flight(); }), 3u);

  // Drained one by one, the middle one first: each leaves the list, the others stay, wherever
  // they were in it.
  for (size_t drained : {1u, 0u, 2u}) {
    const Peer& peer = peers[drained];
    EXPECT_EQ(ReadExactly(peer.fd, kBulk).size(), kBulk);
    ASSERT_TRUE(WaitForSending(lt, [&](const std::vector<ConnId>& ids) {
      if (Listed(ids, peer.id)) return false;
      for (const Peer& other : peers) {
        const bool still_blocked = other.fd >= 0 && &other != &peer;
        if (still_blocked && !Listed(ids, other.id)) return false;
      }
      return true;
    }));
    EXPECT_EQ(
        lt.OnLoop([&](EventLoop& loop) { return loop.FlushUnderWayFor(peer.id, INT64_MAX / 2); }),
        0);
    close(peer.fd);
    peers[drained].fd = -1;
  }
  EXPECT_TRUE(Sending(lt).empty());
  EXPECT_EQ(lt.OnLoop([](EventLoop& loop) { return loop.sends_in_flight(); }), 0u);
}

}  // namespace
}  // namespace ringnats::ring
