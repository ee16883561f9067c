// Self-test of the harness: frame splitting, PING hiding and the PONG barrier, against a
// scripted peer on a kernel-chosen loopback port.

#include "harness/raw_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "harness/server_frames.h"

namespace ringnats::harness {
namespace {

TEST(FrameSplitterTest, MsgPayloadMayContainProtocolText) {
  FrameSplitter splitter;
  splitter.Append("PING\r\nMSG a 1 6\r\nPONG\r\n\r\nHMSG b 2 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n+O");
  EXPECT_EQ(splitter.Next(), "PING\r\n");
  EXPECT_EQ(splitter.Next(), "MSG a 1 6\r\nPONG\r\n\r\n");
  std::optional<std::string> hmsg = splitter.Next();
  ASSERT_TRUE(hmsg);
  EXPECT_EQ(splitter.Next(), std::nullopt);
  splitter.Append("K\r\n");
  EXPECT_EQ(splitter.Next(), "+OK\r\n");

  std::optional<Msg> msg = ParseMsg(*hmsg);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->subject, "b");
  EXPECT_EQ(msg->sid, "2");
  EXPECT_EQ(msg->reply, "r");
  EXPECT_TRUE(msg->has_headers);
  EXPECT_EQ(msg->headers, "NATS/1.0\r\n\r\n");
  EXPECT_EQ(msg->payload, "hi");
}

TEST(FrameSplitterTest, IncompletePayloadWaits) {
  FrameSplitter splitter;
  splitter.Append("MSG a 1 5\r\nhel");
  EXPECT_EQ(splitter.Next(), std::nullopt);
  splitter.Append("lo\r\n");
  EXPECT_EQ(splitter.Next(), "MSG a 1 5\r\nhello\r\n");
  EXPECT_EQ(splitter.TakeRest(), "");
}

TEST(ParseMsgTest, RejectsWrongSizes) {
  EXPECT_FALSE(ParseMsg("MSG a 1 5\r\nhi\r\n"));
  EXPECT_FALSE(ParseMsg("HMSG a 1 9 5\r\nhello\r\n"));
  EXPECT_FALSE(ParseMsg("+OK\r\n"));
  std::optional<Msg> msg = ParseMsg("MSG a 1 0\r\n\r\n");
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->payload, "");
  EXPECT_FALSE(msg->has_headers);
}

TEST(EscapeTest, ShowsControlBytes) {
  EXPECT_EQ(Escape(std::string("a\r\n\t\\\x01", 6)), "a\\r\\n\\t\\\\\\x01");
}

// A one-connection scripted peer standing in for a server.
class ScriptedPeer {
 public:
  ScriptedPeer() {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(listener_, 1);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~ScriptedPeer() {
    if (conn_ >= 0) {
      close(conn_);
    }
    close(listener_);
  }

  int port() const { return port_; }
  void Accept() { conn_ = accept(listener_, nullptr, nullptr); }
  void Write(const std::string& bytes) {
    ASSERT_EQ(write(conn_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Blocks until exactly `bytes.size()` bytes arrived and returns them.
  std::string Read(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      const ssize_t r = read(conn_, out.data() + got, n - got);
      if (r <= 0) {
        break;
      }
      got += static_cast<size_t>(r);
    }
    out.resize(got);
    return out;
  }
  void CloseConnection() {
    close(conn_);
    conn_ = -1;
  }

 private:
  int listener_ = -1;
  int conn_ = -1;
  int port_ = 0;
};

TEST(RawClientTest, HidesServerPingsAnswersThemAndKeepsPayloads) {
  ScriptedPeer peer;
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(peer.port());
  ASSERT_TRUE(client.ok()) << client.status();
  peer.Accept();
  ASSERT_NO_FATAL_FAILURE(peer.Write("PING\r\nMSG a 1 6\r\nPING\r\n\r\nPING\r\n+OK\r\n"));
  EXPECT_TRUE((*client)->Expect("MSG a 1 6\r\nPING\r\n\r\n+OK\r\n"));
  EXPECT_EQ((*client)->pings_answered(), 2);
  EXPECT_EQ(peer.Read(12), "PONG\r\nPONG\r\n");
}

TEST(RawClientTest, PingCollectStopsAtTheAnsweringPong) {
  ScriptedPeer peer;
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(peer.port());
  ASSERT_TRUE(client.ok()) << client.status();
  peer.Accept();
  // One PONG answers an earlier PING of the caller; a payload that looks like PONG is data.
  ASSERT_NO_FATAL_FAILURE(peer.Write("PONG\r\nMSG a 1 6\r\nPONG\r\n\r\nPONG\r\n-ERR 'x'\r\n"));
  std::string before;
  bool closed = true;
  EXPECT_TRUE((*client)->PingCollect(&before, &closed, kIoTimeout, /*earlier_pongs=*/1));
  EXPECT_FALSE(closed);
  EXPECT_EQ(before, "PONG\r\nMSG a 1 6\r\nPONG\r\n\r\n");
  EXPECT_EQ(peer.Read(6), "PING\r\n");
  peer.CloseConnection();
  EXPECT_TRUE((*client)->ExpectClosed("-ERR 'x'\r\n"));
}

TEST(RawClientTest, SyncLeavesEarlierBytesBuffered) {
  ScriptedPeer peer;
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(peer.port());
  ASSERT_TRUE(client.ok()) << client.status();
  peer.Accept();
  ASSERT_NO_FATAL_FAILURE(peer.Write("+OK\r\nPONG\r\nMSG a 1 1\r\nx\r\n"));
  EXPECT_TRUE((*client)->Sync());
  EXPECT_EQ(peer.Read(6), "PING\r\n");
  Msg msg;
  EXPECT_TRUE((*client)->Expect("+OK\r\n"));
  EXPECT_TRUE((*client)->ReadMsg(&msg));
  EXPECT_EQ(msg.payload, "x");
}

TEST(RawClientTest, ExpectFailuresShowTheBytes) {
  ScriptedPeer peer;
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(peer.port());
  ASSERT_TRUE(client.ok()) << client.status();
  peer.Accept();
  ASSERT_NO_FATAL_FAILURE(peer.Write("-ERR 'nope'\r\n"));
  ::testing::AssertionResult result = (*client)->Expect("+OK\r\n");
  EXPECT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("-ERR 'nope'\\r\\n"), std::string::npos)
      << result.message();
  EXPECT_FALSE((*client)->ExpectLine("\\+OK"));
}

}  // namespace
}  // namespace ringnats::harness
