// Parser behaviour, one input at a time, each checked whole, split at every byte position
// and byte by byte (ExpectParse). Expected outcomes were checked against nats-server 2.9.10.

#include "ringnats/proto/parser.h"

#include <string>

#include "gtest/gtest.h"
#include "parser_feed.h"

namespace ringnats::proto::testing {
namespace {

using Lines = std::vector<std::string>;

TEST(ParserOps, Connect) {
  ExpectParse("CONNECT {\"verbose\":false}\r\n", {"CONNECT [{\"verbose\":false}]", "MORE 0"});
  ExpectParse("CONNECT{}\r\n", {"CONNECT [{}]", "MORE 0"});
  ExpectParse("connect\t \t{} \t\r\n", {"CONNECT [{} \\t]", "MORE 0"});
  ExpectParse("CoNnEcT {}\n", {"CONNECT [{}]", "MORE 0"});
  // The first byte after the verb starts the argument even when it is CR or LF.
  ExpectParse("CONNECT\r\n", {"CONNECT [\\r]", "MORE 0"});
  ExpectParse("CONNECT\n{}\r\n", {"CONNECT [\\n{}]", "MORE 0"});
}

TEST(ParserOps, Info) {
  ExpectParse("INFO {\"a\":1}\r\n", {"INFO [{\"a\":1}]", "MORE 0"});
  ExpectParse("info{}\n", {"INFO [{}]", "MORE 0"});
  ExpectParse("INFO\r\n", {"INFO [\\r]", "MORE 0"});
}

TEST(ParserOps, Pub) {
  ExpectParse("PUB foo 5\r\nhello\r\n", {"PUB foo [hello]", "MORE 0"});
  ExpectParse("PUB foo bar.reply 1\r\na\r\n", {"PUB foo reply=bar.reply [a]", "MORE 0"});
  ExpectParse("pub foo 1\r\na\r\n", {"PUB foo [a]", "MORE 0"});
  ExpectParse("pUb\tfoo\t\t1  \r\na\r\n", {"PUB foo [a]", "MORE 0"});
  ExpectParse("PUB    foo   r    2\nhi\r\n", {"PUB foo reply=r [hi]", "MORE 0"});
  ExpectParse("PUB foo 000000001\r\na\r\n", {"PUB foo [a]", "MORE 0"});
}

// Tokens are scanned eight bytes at a time with a byte-wise tail: every token length across
// and around those word boundaries, ended by each separator.
TEST(ParserOps, TokensOfEveryLengthAroundWordBoundaries) {
  for (size_t len = 1; len <= 27; ++len) {
    std::string subject;
    for (size_t i = 0; i < len; ++i) subject.push_back(static_cast<char>('a' + i % 26));
    const std::string reply = "r" + subject;
    for (const char* sep : {" ", "\t", " \t "}) {
      SCOPED_TRACE(::testing::Message() << "length " << len << " separator " << int(sep[0]));
      ExpectParse("PUB " + subject + sep + "1\r\nx\r\n", {"PUB " + subject + " [x]", "MORE 0"});
      ExpectParse("PUB " + subject + sep + reply + sep + "1\r\nx\r\n",
                  {"PUB " + subject + " reply=" + reply + " [x]", "MORE 0"});
      ExpectParse("SUB " + subject + sep + reply + sep + subject + "\r\n",
                  {"SUB " + subject + " q=" + reply + " sid=" + subject, "MORE 0"});
    }
  }
}

TEST(ParserOps, PubPayloads) {
  ExpectParse("PUB foo 0\r\n\r\n", {"PUB foo []", "MORE 0"});
  ExpectParse("PUB foo 4\r\n\r\n\r\n\r\n", {"PUB foo [\\r\\n\\r\\n]", "MORE 0"});
  ExpectParse("PUB foo 3\r\n\n\r\r\r\n", {"PUB foo [\\n\\r\\r]", "MORE 0"});
  ExpectParse("PUB foo 8\r\nPING\r\n\r\n\r\n", {"PUB foo [PING\\r\\n\\r\\n]", "MORE 0"});
}

TEST(ParserOps, Hpub) {
  ExpectParse("HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n",
              {"HPUB foo hdr=12 [NATS/1.0\\r\\n\\r\\n]", "MORE 0"});
  ExpectParse("HPUB foo 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n",
              {"HPUB foo hdr=18 [NATS/1.0\\r\\nA: b\\r\\n\\r\\nhi]", "MORE 0"});
  ExpectParse("hpub foo rep 0 0\r\n\r\n", {"HPUB foo reply=rep hdr=0 []", "MORE 0"});
  ExpectParse("HPUB foo 0 2\r\nhi\r\n", {"HPUB foo hdr=0 [hi]", "MORE 0"});
}

TEST(ParserOps, Sub) {
  ExpectParse("SUB foo 1\r\n", {"SUB foo sid=1", "MORE 0"});
  ExpectParse("SUB foo.* grp 22\r\n", {"SUB foo.* q=grp sid=22", "MORE 0"});
  ExpectParse("sub\tfoo\t \tbar   baz  \t\r\n", {"SUB foo q=bar sid=baz", "MORE 0"});
  ExpectParse("SUB foo 1\n", {"SUB foo sid=1", "MORE 0"});
  // SUB separates arguments on CR and LF too.
  ExpectParse("SUB foo\r 1\r\n", {"SUB foo sid=1", "MORE 0"});
  ExpectParse("SUB \nfoo 1\r\n", {"SUB foo sid=1", "MORE 0"});
}

TEST(ParserOps, Unsub) {
  ExpectParse("UNSUB 1\r\n", {"UNSUB 1 max=-1", "MORE 0"});
  ExpectParse("UNSUB 1 5\r\n", {"UNSUB 1 max=5", "MORE 0"});
  ExpectParse("unsub\tabc\t0\r\n", {"UNSUB abc max=0", "MORE 0"});
  ExpectParse("UNSUB 1 x\r\n", {"UNSUB 1 max=0", "MORE 0"});
  ExpectParse("UNSUB 1 -3\r\n", {"UNSUB 1 max=0", "MORE 0"});
  ExpectParse("UNSUB 1 1234567890\r\n", {"UNSUB 1 max=0", "MORE 0"});
  ExpectParse("UNSUB 1 999999999\r\n", {"UNSUB 1 max=999999999", "MORE 0"});
}

TEST(ParserOps, PingPongOk) {
  ExpectParse("PING\r\n", {"PING", "MORE 0"});
  ExpectParse("PING\n", {"PING", "MORE 0"});
  ExpectParse("ping\r\n", {"PING", "MORE 0"});
  ExpectParse("PINGX\r\n", {"PING", "MORE 0"});
  ExpectParse("PING foo bar\r\n", {"PING", "MORE 0"});
  ExpectParse("PONG\r\n", {"PONG", "MORE 0"});
  ExpectParse("pOnG whatever\n", {"PONG", "MORE 0"});
  ExpectParse("+OK\r\n", {"+OK", "MORE 0"});
  ExpectParse("+ok junk\r\n", {"+OK", "MORE 0"});
  ExpectParse("+OKfoo\r\nPING\r\n", {"+OK", "PING", "MORE 0"});
  // Junk after PING is never buffered and has no length limit.
  ExpectParse("PING " + std::string(10000, 'a') + "\r\n", {"PING", "MORE 0"});
}

TEST(ParserOps, LongSeparatorRunsAreNotBuffered) {
  ExpectParse("PUB" + std::string(10000, ' ') + "foo 0\r\n\r\n", {"PUB foo []", "MORE 0"});
  ExpectParse("CONNECT" + std::string(5000, ' ') + "{}\r\n", {"CONNECT [{}]", "MORE 0"});
}

TEST(ParserOps, Pipelined) {
  ExpectParse(
      "CONNECT {\"verbose\":false}\r\nPING\r\nSUB foo 1\r\nSUB bar q 2\n"
      "PUB foo 5\r\nhello\r\nHPUB bar r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
      "UNSUB 1\r\nUNSUB 2 10\r\nPONG\r\n+OK\r\nPUB foo 0\r\n\r\nPING\r\n",
      {"CONNECT [{\"verbose\":false}]", "PING", "SUB foo sid=1", "SUB bar q=q sid=2",
       "PUB foo [hello]", "HPUB bar reply=r hdr=12 [NATS/1.0\\r\\n\\r\\nhi]", "UNSUB 1 max=-1",
       "UNSUB 2 max=10", "PONG", "+OK", "PUB foo []", "PING", "MORE 0"});
}

TEST(ParserOps, PartialFramesAreKept) {
  ExpectParse("PUB foo 5\r\nhel", {"MORE 8"});  // "foo 5" + "hel"
  ExpectParse("SUB fo", {"MORE 2"});
  ExpectParse("PU", {"MORE 0"});
  ExpectParse("PING abc", {"MORE 0"});
  ExpectParse("PING\r\nPUB foo 2\r\nhi\r", {"PING", "MORE 8"});
}

TEST(ParserErrors, UnknownOperation) {
  const Lines unknown = {"ERROR UnknownOperation"};
  for (const char* bad : {"x\r\n",
                          "\r\n",
                          "\n",
                          " PING\r\n",
                          "\tPING\r\n",
                          "PUBfoo 1\r\n",
                          "PUB\r\n",
                          "SUB\r\n",
                          "UNSUB\r\n",
                          "HPUB\r\n",
                          "-ERR\r\n",
                          "-ERRX\r\n",
                          "PIN\r\n",
                          "+O\r\n",
                          "PX",
                          "CONNEKT {}\r\n",
                          "INFX\r\n",
                          "MSG foo 1 1\r\na\r\n",
                          "HMSG foo 1 2 3\r\n",
                          "RS+ foo\r\n",
                          "RMSG foo\r\n",
                          "A+ foo\r\n",
                          "LS+ foo\r\n",
                          "*\r\n"}) {
    ExpectParse(bad, unknown);
  }
  ExpectParse("PING\r\nPUB\r\n", {"PING", "ERROR UnknownOperation"});
}

TEST(ParserErrors, PayloadTerminator) {
  const Lines unknown = {"ERROR UnknownOperation"};
  ExpectParse("PUB foo 2\nhi\n", unknown);
  ExpectParse("PUB foo 2\r\nhi\rX", unknown);
  ExpectParse("PUB foo 2\r\nhiX", unknown);  // caught before any further byte arrives
  ExpectParse("PUB foo 2\r\nhi\n\r", unknown);
  ExpectParse("PUB foo 1\r\nhi\r\n", unknown);  // payload longer than declared
  ExpectParse("HPUB foo 2 2\r\nhi\r\r", unknown);
  ExpectParse("PUB foo 0\r\nX", unknown);
}

TEST(ParserErrors, BadArguments) {
  const Lines bad = {"ERROR BadArguments"};
  for (const char* line :
       {"PUB foo\r\n", "PUB a b c 1\r\n", "PUB foo -1\r\n", "PUB foo x\r\n", "PUB foo 1x\r\n",
        "PUB foo 0000000001\r\n", "PUB foo \r\n", "PUB \r\n", "HPUB foo 12\r\n",
        "HPUB foo 13 12\r\n", "HPUB a b c 1 2\r\n", "HPUB foo x 2\r\n", "HPUB foo 1 y\r\n",
        "SUB foo\r\n", "SUB a b c d\r\n", "SUB \r\n", "UNSUB \r\n", "UNSUB 1 2 3\r\n",
        // The byte before LF is dropped once a CR was seen, as nats-server does.
        "SUB foo\r 1\n", "PUB foo 5\rX\nhello\r\n"}) {
    ExpectParse(line, bad);
  }
}

TEST(ParserErrors, ClientError) {
  ExpectParse("-ERR 'boom'\r\n", {"ERROR ClientSentError"});
  ExpectParse("-err\tx\n", {"ERROR ClientSentError"});
  Parser parser;
  std::string_view in = "-ERR 'Slow Consumer'\r\n";
  ParseStep step = parser.Next(in);
  ASSERT_EQ(step.status, ParseStatus::kError);
  EXPECT_EQ(step.error, ParseError::kClientSentError);
  EXPECT_EQ(step.op.json, "'Slow Consumer'");
}

TEST(ParserErrors, ErrorIsSticky) {
  Parser parser;
  std::string_view in = "PUBX";
  EXPECT_EQ(parser.Next(in).status, ParseStatus::kError);
  std::string_view more = "PING\r\n";
  ParseStep again = parser.Next(more);
  EXPECT_EQ(again.status, ParseStatus::kError);
  EXPECT_EQ(again.error, ParseError::kUnknownOperation);
}

TEST(ParserErrors, OddButAccepted) {
  // The first argument byte may be an LF; the line then runs to the next LF.
  ExpectParse("PUB \nfoo 1\r\na\r\n", {"PUB \\nfoo [a]", "MORE 0"});
  // PUB splits on space/TAB only, so a CR stays inside the subject.
  ExpectParse("PUB foo\r 1\r\na\r\n", {"PUB foo\\r [a]", "MORE 0"});
}

TEST(ParserLimitsTest, ControlLineAtLimitAndOver) {
  FeedOptions s;
  s.limits.max_control_line = 16;
  const std::string at = "SUB " + std::string(14, 'a') + " 1";  // 16 argument bytes
  const std::string over = "SUB " + std::string(15, 'a') + " 1";
  ExpectParse(at + "\r\n", {"SUB " + std::string(14, 'a') + " sid=1", "MORE 0"}, s);
  ExpectParse(at + "\n", {"SUB " + std::string(14, 'a') + " sid=1", "MORE 0"}, s);
  ExpectParse(over + "\r\n", {"ERROR MaxControlLine"}, s);
  ExpectParse(over + "\n", {"ERROR MaxControlLine"}, s);
  // Trailing blanks count: they are part of the argument bytes.
  ExpectParse(at + " \r\n", {"ERROR MaxControlLine"}, s);
  // A partial line is judged before its LF arrives.
  ExpectParse(at, {"MORE 16"}, s);
  ExpectParse(at + "\r", {"MORE 17"}, s);
  ExpectParse(over, {"ERROR MaxControlLine"}, s);
  ExpectParse(at + "\r\r", {"ERROR MaxControlLine"}, s);
  ExpectParse(at + " ", {"ERROR MaxControlLine"}, s);
  // PUB's limit is checked before its size.
  ExpectParse("PUB " + std::string(20, 'a') + " 99999999\r\n", {"ERROR MaxControlLine"}, s);
  // CONNECT, INFO and -ERR are limited too; PING/PONG/+OK are not.
  ExpectParse("CONNECT {\"name\":\"" + std::string(20, 'x') + "\"}\r\n", {"ERROR MaxControlLine"},
              s);
  ExpectParse("INFO " + std::string(17, 'x') + "\r\n", {"ERROR MaxControlLine"}, s);
  ExpectParse("-ERR " + std::string(17, 'x') + "\r\n", {"ERROR MaxControlLine"}, s);
  ExpectParse("PING " + std::string(100, 'x') + "\r\n", {"PING", "MORE 0"}, s);
}

TEST(ParserLimitsTest, DefaultControlLine) {
  const std::string at = "SUB " + std::string(4094, 'a') + " 1";
  EXPECT_EQ(FeedWhole(at + "\r\n").size(), 2u);
  EXPECT_EQ(FeedWhole(at + "a\r\n"), Lines{"ERROR MaxControlLine"});
  EXPECT_EQ(FeedSplitAt(at + "\r\n", 3000).size(), 2u);
  EXPECT_EQ(FeedSplitAt(at + "a", 3000), Lines{"ERROR MaxControlLine"});
  EXPECT_EQ(FeedWhole(at), Lines{"MORE 4096"});
}

TEST(ParserLimitsTest, PayloadAtLimitAndOver) {
  FeedOptions s;
  s.limits.max_payload = 8;
  ExpectParse("PUB foo 8\r\n12345678\r\n", {"PUB foo [12345678]", "MORE 0"}, s);
  ExpectParse("PUB foo 9\r\n123456789\r\n", {"ERROR MaxPayload"}, s);
  ExpectParse("PUB foo 9\r\n", {"ERROR MaxPayload"}, s);  // no payload byte needed
  ExpectParse("HPUB foo 2 8\r\nAB123456\r\n", {"HPUB foo hdr=2 [AB123456]", "MORE 0"}, s);
  ExpectParse("HPUB foo 2 9\r\n", {"ERROR MaxPayload"}, s);
  ExpectParse("HPUB foo 9 9\r\n", {"ERROR MaxPayload"}, s);
  // Bad arguments are found before the size limit.
  ExpectParse("HPUB foo 10 9\r\n", {"ERROR BadArguments"}, s);
  s.limits.max_payload = 0;
  ExpectParse("PUB foo 0\r\n\r\n", {"PUB foo []", "MORE 0"}, s);
  ExpectParse("PUB foo 1\r\n", {"ERROR MaxPayload"}, s);
  s.limits.max_payload = -1;
  ExpectParse("PUB foo 20\r\n01234567890123456789\r\n",
              {"PUB foo [01234567890123456789]", "MORE 0"}, s);
}

TEST(ParserLimitsTest, DefaultPayloadLimit) {
  const std::string payload(1048576, 'p');
  Parser parser;
  std::string frame = "PUB foo 1048576\r\n" + payload + "\r\n";
  std::string_view in = frame;
  ParseStep step = parser.Next(in);
  ASSERT_EQ(step.status, ParseStatus::kOp);
  EXPECT_EQ(step.op.payload.size(), payload.size());
  std::string_view over = "PUB foo 1048577\r\n";
  Parser other;
  EXPECT_EQ(other.Next(over).error, ParseError::kMaxPayload);
}

TEST(ParserLimitsTest, HeadersNotAllowed) {
  FeedOptions s;
  s.headers_allowed = false;
  s.limits.max_payload = 8;
  ExpectParse("HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n", {"ERROR BadArguments"}, s);
  // nats-server checks headers support before the payload size.
  ExpectParse("HPUB foo 0 9\r\n", {"ERROR BadArguments"}, s);
  ExpectParse("PUB foo 1\r\na\r\n", {"PUB foo [a]", "MORE 0"}, s);
}

TEST(ParserLimitsTest, ConnectRequired) {
  FeedOptions s;
  s.connect_required = true;
  ExpectParse("PING\r\n", {"ERROR AuthViolation"}, s);
  ExpectParse("xyz", {"ERROR AuthViolation"}, s);
  ExpectParse("\r\n", {"ERROR AuthViolation"}, s);
  ExpectParse("PUB foo 99999999\r\n", {"ERROR AuthViolation"}, s);
  ExpectParse("cOnnect {}\r\n", {"CONNECT [{}]", "MORE 0"}, s);
  ExpectParse("CX", {"ERROR UnknownOperation"}, s);
  // Until the session lifts it, every op must be a CONNECT.
  ExpectParse("CONNECT {}\r\nPING\r\n", {"CONNECT [{}]", "ERROR AuthViolation"}, s);
}

TEST(ParserLimitsTest, ConnectRequiredLifted) {
  Parser parser;
  parser.set_connect_required(true);
  std::string_view in = "CONNECT {}\r\nPING\r\n";
  ASSERT_EQ(parser.Next(in).op.type, OpType::kConnect);
  parser.set_connect_required(false);
  ParseStep step = parser.Next(in);
  ASSERT_EQ(step.status, ParseStatus::kOp);
  EXPECT_EQ(step.op.type, OpType::kPing);
}

TEST(ParserAssembly, BoundedAndReleased) {
  ParserLimits limits;
  limits.max_control_line = 64;
  limits.max_payload = 100000;
  Parser parser(limits);
  const std::string frame = "PUB subject 100000\r\n" + std::string(100000, 'z') + "\r\n";
  const size_t bound = limits.max_control_line + 1 + 100000 + 2;
  for (size_t i = 0; i < frame.size(); i += 997) {
    std::string chunk = frame.substr(i, 997);
    std::string_view in = chunk;
    while (!in.empty()) {
      ParseStep step = parser.Next(in);
      ASSERT_NE(step.status, ParseStatus::kError);
      EXPECT_LE(parser.buffered_bytes(), bound);
      if (step.status == ParseStatus::kOp) {
        EXPECT_EQ(step.op.payload.size(), 100000u);
      }
    }
  }
  std::string_view ping = "PING\r\n";
  EXPECT_EQ(parser.Next(ping).op.type, OpType::kPing);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_LE(parser.assembly_capacity(), 16u * 1024);
}

TEST(ParserAssembly, SplitPayloadViewsSurviveUntilNextCall) {
  Parser parser;
  std::string a = "PUB foo bar 5\r\nhe";
  std::string b = "llo\r\nPING\r\n";
  std::string_view in = a;
  EXPECT_EQ(parser.Next(in).status, ParseStatus::kNeedMore);
  a.assign(a.size(), '#');
  in = b;
  ParseStep step = parser.Next(in);
  ASSERT_EQ(step.status, ParseStatus::kOp);
  EXPECT_EQ(step.op.subject, "foo");
  EXPECT_EQ(step.op.reply, "bar");
  EXPECT_EQ(step.op.payload, "hello");
  EXPECT_EQ(in, "PING\r\n");
}

TEST(ParserErrorLines, ExactText) {
  EXPECT_EQ(ErrorLineFor(ParseError::kUnknownOperation), "-ERR 'Unknown Protocol Operation'\r\n");
  EXPECT_EQ(ErrorLineFor(ParseError::kMaxControlLine), "-ERR 'maximum control line exceeded'\r\n");
  EXPECT_EQ(ErrorLineFor(ParseError::kMaxPayload), "-ERR 'Maximum Payload Violation'\r\n");
  EXPECT_EQ(ErrorLineFor(ParseError::kAuthViolation), "-ERR 'Authorization Violation'\r\n");
  EXPECT_EQ(ErrorLineFor(ParseError::kBadArguments), "");
  EXPECT_EQ(ErrorLineFor(ParseError::kClientSentError), "");
}

}  // namespace
}  // namespace ringnats::proto::testing
