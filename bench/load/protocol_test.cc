#include "protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringnats::load {
namespace {

struct Recorder {
  std::vector<std::string> events;
  bool stop_after_pong = false;
  bool stopped = false;
  bool Stopped() const { return stopped; }
  void OnMsg(const MsgView& m) {
    events.push_back("MSG " + std::string(m.subject) + "|" + std::string(m.sid) + "|" +
                     std::string(m.reply) + "|" + std::string(m.payload));
  }
  void OnPing() { events.push_back("PING"); }
  void OnPong() {
    events.push_back("PONG");
    stopped = stop_after_pong;
  }
  void OnOk() { events.push_back("+OK"); }
  void OnErr(std::string_view t) { events.push_back("ERR " + std::string(t)); }
  void OnInfo(std::string_view j) { events.push_back("INFO " + std::string(j)); }
};

TEST(ParseServerFrames, ParsesEveryFrameKind) {
  std::string data =
      "INFO {\"server_id\":\"x\"} \r\n+OK\r\nPING\r\nPONG\r\n"
      "MSG foo 1 5\r\nhello\r\nMSG foo.bar 22 _INBOX.1 2\r\nhi\r\n"
      "HMSG h 3 12 14\r\nNATS/1.0\r\n\r\nab\r\n-ERR 'Authorization Violation'\r\n";
  Recorder r;
  ParseResult res = ParseServerFrames(data, r);
  EXPECT_FALSE(res.error);
  EXPECT_EQ(res.consumed, data.size());
  std::vector<std::string> want = {"INFO {\"server_id\":\"x\"}",
                                   "+OK",
                                   "PING",
                                   "PONG",
                                   "MSG foo|1||hello",
                                   "MSG foo.bar|22|_INBOX.1|hi",
                                   "MSG h|3||NATS/1.0\r\n\r\nab",
                                   "ERR Authorization Violation"};
  EXPECT_EQ(r.events, want);
}

TEST(ParseServerFrames, PayloadMayContainLineBreaks) {
  std::string data = "MSG a 1 4\r\n\r\n\r\n\r\n";
  Recorder r;
  ParseResult res = ParseServerFrames(data, r);
  EXPECT_FALSE(res.error);
  EXPECT_EQ(res.consumed, data.size());
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0], "MSG a|1||\r\n\r\n");
}

TEST(ParseServerFrames, EverySplitPointGivesTheSameFrames) {
  std::string data = "MSG foo 1 5\r\nhello\r\nPING\r\nMSG bar 2 r 0\r\n\r\nPONG\r\n";
  Recorder whole;
  ParseServerFrames(data, whole);
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    Recorder r;
    std::string buffer = data.substr(0, cut);
    ParseResult first = ParseServerFrames(buffer, r);
    ASSERT_FALSE(first.error) << cut;
    buffer.erase(0, first.consumed);
    buffer += data.substr(cut);
    ParseResult second = ParseServerFrames(buffer, r);
    ASSERT_FALSE(second.error) << cut;
    EXPECT_EQ(second.consumed, buffer.size()) << cut;
    EXPECT_EQ(r.events, whole.events) << cut;
  }
}

TEST(ParseServerFrames, RejectsGarbageAndBadTerminators) {
  for (std::string bad : {"XYZ\r\n", "MSG foo 1\r\n", "MSG foo 1 2\r\nabXY", "MSGfoo 1 2\r\n",
                          "MSG foo 1 -2\r\n", "HMSG foo 1 5 2\r\n"}) {
    Recorder r;
    EXPECT_TRUE(ParseServerFrames(bad, r).error) << bad;
  }
}

TEST(ParseServerFrames, IncompleteInputConsumesNothing) {
  Recorder r;
  ParseResult res = ParseServerFrames("MSG foo 1 10\r\nabc", r);
  EXPECT_FALSE(res.error);
  EXPECT_EQ(res.consumed, 0u);
  EXPECT_TRUE(r.events.empty());
}

TEST(ParseServerFrames, StopsWhenTheSinkSaysSo) {
  std::string data = "PONG\r\nMSG foo 1 2\r\nhi\r\n";
  Recorder r;
  r.stop_after_pong = true;
  ParseResult res = ParseServerFrames(data, r);
  EXPECT_EQ(res.consumed, 6u);
  EXPECT_EQ(r.events, std::vector<std::string>{"PONG"});
}

TEST(Builders, PubSubAndConnectFrames) {
  std::string out;
  AppendPub(out, "foo", "", "hey");
  AppendPub(out, "foo", "_INBOX.7", "");
  AppendSub(out, "bench.>", "", "9");
  AppendSub(out, "q.sub", "workers", "10");
  EXPECT_EQ(
      out,
      "PUB foo 3\r\nhey\r\nPUB foo _INBOX.7 0\r\n\r\nSUB bench.> 9\r\nSUB q.sub workers 10\r\n");

  std::string connect = ConnectFrame(Credentials{"al\"ice", "pw", ""}, "n");
  EXPECT_EQ(connect.rfind("CONNECT {", 0), 0u);
  EXPECT_NE(connect.find("\"verbose\":false"), std::string::npos);
  EXPECT_NE(connect.find("\"pedantic\":false"), std::string::npos);
  EXPECT_NE(connect.find("\"user\":\"al\\\"ice\""), std::string::npos);
  EXPECT_NE(connect.find("\"pass\":\"pw\""), std::string::npos);
  EXPECT_EQ(connect.find("auth_token"), std::string::npos);
  EXPECT_EQ(connect.substr(connect.size() - 2), "\r\n");
}

}  // namespace
}  // namespace ringnats::load
