// The route protocol parser against the forms nats-server 2.9.10 sends and accepts. Every
// expectation is checked for the whole buffer, every two-way split and byte-by-byte feeding.
// Malformed inputs are named by what nats-server 2.9.10 did with them on a route (observed with
// a raw route connection to `nats-server --cluster ... -DV`, see each test).

#include "ringnats/proto/route_parser.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "parser_feed.h"

namespace ringnats::proto::testing {
namespace {

std::string_view RouteErrorName(RouteParseError e) {
  switch (e) {
    case RouteParseError::kUnknownOperation: return "UnknownOperation";
    case RouteParseError::kBadArguments: return "BadArguments";
    case RouteParseError::kPeerSentError: return "PeerSentError";
    case RouteParseError::kAuthViolation: return "AuthViolation";
    case RouteParseError::kMaxControlLine: return "MaxControlLine";
    case RouteParseError::kMaxPayload: return "MaxPayload";
  }
  return "?";
}

std::string RenderQueues(const RouteOp& op) {
  std::string out;
  std::string_view rest = op.queues;
  std::string_view name;
  uint32_t n = 0;
  while (NextQueueName(rest, name)) {
    out += " q=" + Escape(name);
    ++n;
  }
  EXPECT_EQ(n, op.queue_count);
  return out;
}

std::string Render(const RouteParseStep& step) {
  if (step.status == RouteParseStatus::kError) {
    std::string s = absl::StrFormat("ERROR %s", RouteErrorName(step.error));
    if (step.error == RouteParseError::kPeerSentError) {
      s += " [" + Escape(step.op.json) + "]";
    }
    return s;
  }
  const RouteOp& op = step.op;
  const std::string reply = op.reply.empty() ? "" : " reply=" + Escape(op.reply);
  switch (op.type) {
    case RouteOpType::kInfo: return absl::StrFormat("INFO [%s]", Escape(op.json));
    case RouteOpType::kConnect: return absl::StrFormat("CONNECT [%s]", Escape(op.json));
    case RouteOpType::kPing: return "PING";
    case RouteOpType::kPong: return "PONG";
    case RouteOpType::kOk: return "+OK";
    case RouteOpType::kSubPlus:
      return absl::StrFormat(
          "RS+ %s %s%s", Escape(op.account), Escape(op.subject),
          op.queue.empty() ? "" : absl::StrFormat(" q=%s w=%d", Escape(op.queue), op.weight));
    case RouteOpType::kSubMinus:
      return absl::StrFormat("RS- %s %s%s", Escape(op.account), Escape(op.subject),
                             op.queue.empty() ? "" : " q=" + Escape(op.queue));
    case RouteOpType::kRmsg:
      return absl::StrFormat("RMSG %s %s%s%s size=%s [%s]", Escape(op.account), Escape(op.subject),
                             reply, RenderQueues(op), Escape(op.size_text), Escape(op.payload));
    case RouteOpType::kHmsg:
      return absl::StrFormat("HMSG %s %s%s%s hdr=%d [%s]", Escape(op.account), Escape(op.subject),
                             reply, RenderQueues(op), op.header_len, Escape(op.payload));
  }
  return "?";
}

struct RouteSetup {
  RouteParserLimits limits;
  bool connect_required = false;
};

std::vector<std::string> Feed(const std::vector<std::string_view>& chunks,
                              const RouteSetup& setup) {
  RouteParser parser(setup.limits);
  parser.set_connect_required(setup.connect_required);
  std::vector<std::string> out;
  for (std::string_view chunk : chunks) {
    // A private copy, scribbled over once the parser asks for more: catches kept views.
    std::string buffer(chunk);
    std::string_view input = buffer;
    while (true) {
      const RouteParseStep& step = parser.Next(input);
      if (step.status == RouteParseStatus::kNeedMore) {
        EXPECT_TRUE(input.empty());
        break;
      }
      out.push_back(Render(step));
      if (step.status == RouteParseStatus::kError) {
        return out;
      }
    }
    buffer.assign(buffer.size(), '#');
  }
  out.push_back(absl::StrFormat("MORE %d", parser.buffered_bytes()));
  return out;
}

void ExpectRoute(std::string_view bytes, const std::vector<std::string>& expected,
                 const RouteSetup& setup = {}) {
  SCOPED_TRACE("input: " + Escape(bytes.substr(0, 200)));
  EXPECT_EQ(Feed({bytes}, setup), expected) << "whole buffer";
  for (size_t at = 0; at <= bytes.size(); ++at) {
    const std::vector<std::string> got = Feed({bytes.substr(0, at), bytes.substr(at)}, setup);
    EXPECT_EQ(got, expected) << "split at " << at;
    if (got != expected) {
      break;
    }
  }
  std::vector<std::string_view> single;
  for (size_t i = 0; i < bytes.size(); ++i) {
    single.push_back(bytes.substr(i, 1));
  }
  EXPECT_EQ(Feed(single, setup), expected) << "byte by byte";
}

TEST(RouteParser, HandshakeVerbs) {
  ExpectRoute(
      "CONNECT {\"echo\":true,\"name\":\"N1\",\"cluster\":\"test\",\"lnoc\":true}\r\n"
      "INFO {\"server_id\":\"N1\",\"proto\":2} \r\n"
      "PING\r\nPONG\r\n+OK\r\n",
      {"CONNECT [{\"echo\":true,\"name\":\"N1\",\"cluster\":\"test\",\"lnoc\":true}]",
       "INFO [{\"server_id\":\"N1\",\"proto\":2} ]", "PING", "PONG", "+OK", "MORE 0"});
  // Verbs of any case; CONNECT/INFO without a space; PING/PONG ignore the rest of the line.
  ExpectRoute("connect{}\ninfo\t{}\nping junk\npOnG\r\n+ok\n",
              {"CONNECT [{}]", "INFO [{}]", "PING", "PONG", "+OK", "MORE 0"});
}

TEST(RouteParser, InterestForms) {
  // As 2.9.10 sends them (captured on a route, see tests/fuzz/corpus/route_parser).
  ExpectRoute(
      "RS+ $G foo\r\nRS+ $G foo workers 1\r\nRS+ $G bar q1 2\r\nRS- $G foo\r\n"
      "RS- $G foo workers\r\nRS+ $SYS $SYS.REQ.SERVER.PING.ROUTEZ\r\nRS+ $G foo.* \r\n",
      {"RS+ $G foo", "RS+ $G foo q=workers w=1", "RS+ $G bar q=q1 w=2", "RS- $G foo",
       "RS- $G foo q=workers", "RS+ $SYS $SYS.REQ.SERVER.PING.ROUTEZ", "RS+ $G foo.*", "MORE 0"});
  // Case-insensitive letters, TABs, several blanks; a weight that is not a number is kept as -1
  // (nats-server stores parseSize's -1 and keeps the route: `RS+ $G foo q abc` then PING got a
  // PONG, observed).
  ExpectRoute("rs+\t$G  foo\tq  abc\r\nrS-  $G foo\r\nRs+ a b c 007\n",
              {"RS+ $G foo q=q w=-1", "RS- $G foo", "RS+ a b q=c w=7", "MORE 0"});
}

TEST(RouteParser, RmsgForms) {
  // Every form observed from nats-server 2.9.10 (-DV trace and proxy capture).
  ExpectRoute(
      "RMSG $G foo 5\r\nhello\r\n"
      "RMSG $G foo.x rep 2\r\nhi\r\n"
      "RMSG $G foo | workers 5\r\nhello\r\n"
      "RMSG $G foo + _INBOX.abc workers 2\r\nhi\r\n"
      "RMSG $G baz | q2 q3 3\r\ntwo\r\n"
      "RMSG $G baz + rr q2 q3 3\r\nrep\r\n"
      "RMSG $G foo | workers 0\r\n\r\n",
      {"RMSG $G foo size=5 [hello]", "RMSG $G foo.x reply=rep size=2 [hi]",
       "RMSG $G foo q=workers size=5 [hello]", "RMSG $G foo reply=_INBOX.abc q=workers size=2 [hi]",
       "RMSG $G baz q=q2 q=q3 size=3 [two]", "RMSG $G baz reply=rr q=q2 q=q3 size=3 [rep]",
       "RMSG $G foo q=workers size=0 []", "MORE 0"});
  // nats-server's argument counting, accepted on a real route (each followed by PING -> PONG):
  // four arguments make the third the reply even when it is `|`; `+ reply` with no queue;
  // TABs and repeated blanks; LF alone ends the line; lower case.
  ExpectRoute(
      "RMSG $G foo | 2\r\nhi\r\nRMSG $G foo + r 2\r\nhi\r\nRMSG\t$G\tfoo\t\t2\r\nhi\r\n"
      "RMSG $G foo 2\nhi\r\nrmsg $G foo x 2\r\nhi\r\nRMSG $G s |  a\tb  c 1\r\nx\r\n",
      {"RMSG $G foo reply=| size=2 [hi]", "RMSG $G foo reply=r size=2 [hi]",
       "RMSG $G foo size=2 [hi]", "RMSG $G foo size=2 [hi]", "RMSG $G foo reply=x size=2 [hi]",
       "RMSG $G s q=a q=b q=c size=1 [x]", "MORE 0"});
}

TEST(RouteParser, RmsgQueueSpanIsZeroCopy) {
  const std::string bytes = "RMSG $G baz + rr q2 q3 q4 3\r\nrep\r\n";
  RouteParser parser;
  std::string_view in = bytes;
  const RouteParseStep& step = parser.Next(in);
  ASSERT_EQ(step.status, RouteParseStatus::kOp);
  EXPECT_EQ(step.op.queues, "q2 q3 q4");
  EXPECT_EQ(step.op.queue_count, 3u);
  EXPECT_EQ(step.op.queues.data(), bytes.data() + bytes.find("q2"));
  EXPECT_EQ(step.op.payload.data(), bytes.data() + bytes.find("rep\r"));
  EXPECT_TRUE(in.empty());
}

TEST(RouteParser, HmsgForms) {
  const std::string h = "NATS/1.0\r\nK: v\r\n\r\n";  // 18 bytes, as in the capture
  ExpectRoute(
      "HMSG $G foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
      "HMSG $G foo R 18 20\r\n" +
          h +
          "ok\r\n"
          "HMSG $G foo | workers 18 20\r\n" +
          h +
          "ok\r\n"
          "HMSG $G foo + R workers 18 20\r\n" +
          h +
          "ok\r\n"
          "HMSG $G baz | q2 q3 18 20\r\n" +
          h +
          "ok\r\n"
          "HMSG $G baz + R3 q2 q3 18 20\r\n" +
          h +
          "ok\r\n"
          "hmsg $G foo + R 18 20\r\n" +
          h + "ok\r\n",
      {"HMSG $G foo hdr=12 [NATS/1.0\\r\\n\\r\\nhi]",
       "HMSG $G foo reply=R hdr=18 [NATS/1.0\\r\\nK: v\\r\\n\\r\\nok]",
       "HMSG $G foo q=workers hdr=18 [NATS/1.0\\r\\nK: v\\r\\n\\r\\nok]",
       "HMSG $G foo reply=R q=workers hdr=18 [NATS/1.0\\r\\nK: v\\r\\n\\r\\nok]",
       "HMSG $G baz q=q2 q=q3 hdr=18 [NATS/1.0\\r\\nK: v\\r\\n\\r\\nok]",
       "HMSG $G baz reply=R3 q=q2 q=q3 hdr=18 [NATS/1.0\\r\\nK: v\\r\\n\\r\\nok]",
       "HMSG $G foo reply=R hdr=18 [NATS/1.0\\r\\nK: v\\r\\n\\r\\nok]", "MORE 0"});
}

TEST(RouteParser, MalformedAsNatsServer) {
  // Silent close, logged as "processRemoteSub Parse Error" / "processRemoteUnsub parse error" /
  // "processRoutedMsgArgs ..." / "processRoutedHeaderMsgArgs ..." (observed).
  for (std::string_view bad :
       {"RS+ $G\r\n", "RS+ $G foo q\r\n", "RS+ $G foo q 1 x\r\n", "RS- $G\r\n", "RS- $G a b c\r\n",
        "RMSG $G foo\r\n", "RMSG $G foo ++ r q 2\r\nhi\r\n", "RMSG $G foo x r q 2\r\nhi\r\n",
        "RMSG $G foo 1234567890\r\n", "RMSG $G foo -1\r\n", "HMSG $G foo 5 3\r\n",
        "HMSG $G foo 3\r\n", "HMSG $G foo | q x 3\r\n"}) {
    ExpectRoute(bad, {"ERROR BadArguments"});
  }
  // -ERR 'Unknown Protocol Operation' then close: a payload not followed by CRLF, unknown verbs,
  // client/leafnode verbs (see route_parser.h), a missing separator.
  for (std::string_view bad :
       {"RMSG $G foo 2\r\nhiX\r\n", "RMSG $G foo 2\r\nhi\rX", "XYZ\r\n", "MSG foo 1 2\r\n",
        "Rx\r\n", "RS* $G foo\r\n", "LS+ $G foo\r\n", "PUB foo 2\r\n", "SUB foo 1\r\n",
        "HPUB foo 1 2\r\n", "RMSGx\r\n", "RS+\r\n"}) {
    ExpectRoute(bad, {"ERROR UnknownOperation"});
  }
  // -ERR from the peer: "Route Error 'boom'", closed as Parse Error (observed).
  ExpectRoute("PING\r\n-ERR 'boom'\r\nPING\r\n", {"PING", "ERROR PeerSentError ['boom']"});
  // INFO with bad JSON is the session's business (nats-server closes silently).
  ExpectRoute("INFO {bad\r\n", {"INFO [{bad]", "MORE 0"});
}

TEST(RouteParser, ConnectRequired) {
  RouteSetup setup;
  setup.connect_required = true;
  ExpectRoute("RS+ $G foo\r\n", {"ERROR AuthViolation"}, setup);
  ExpectRoute("CONNECT {}\r\n", {"CONNECT [{}]", "MORE 0"}, setup);
  EXPECT_EQ(RouteErrorLineFor(RouteParseError::kAuthViolation),
            "-ERR 'Authorization Violation'\r\n");
  EXPECT_EQ(RouteErrorLineFor(RouteParseError::kUnknownOperation),
            "-ERR 'Unknown Protocol Operation'\r\n");
  EXPECT_EQ(RouteErrorLineFor(RouteParseError::kBadArguments), "");
}

TEST(RouteParser, NoLimitsByDefault) {
  // nats-server accepted a 2,000,000-byte RMSG on a default route (max_payload 1 MB) and a
  // control line far above 4096 bytes.
  std::string big(2000000, 'x');
  std::string queues;
  for (int i = 0; i < 2000; ++i) {
    queues += absl::StrFormat(" group%d", i);
  }
  const std::string bytes = "RMSG $G foo |" + queues + " 2000000\r\n" + big + "\r\nPING\r\n";
  for (size_t at : {size_t{0}, size_t{5}, size_t{9000}, bytes.size() / 2, bytes.size() - 3}) {
    const std::vector<std::string> got =
        Feed({std::string_view(bytes).substr(0, at), std::string_view(bytes).substr(at)}, {});
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[1], "PING");
    EXPECT_EQ(got[2], "MORE 0");
  }
  RouteParser parser;
  std::string_view in = bytes;
  const RouteParseStep& step = parser.Next(in);
  ASSERT_EQ(step.status, RouteParseStatus::kOp);
  EXPECT_EQ(step.op.queue_count, 2000u);
  EXPECT_EQ(step.op.payload.size(), 2000000u);
}

TEST(RouteParser, LimitsWhenSet) {
  RouteSetup setup;
  setup.limits.max_control_line = 16;
  setup.limits.max_payload = 4;
  ExpectRoute("RMSG $G foo 5\r\nhello\r\n", {"ERROR MaxPayload"}, setup);
  ExpectRoute("RMSG $G foo 4\r\nhell\r\n", {"RMSG $G foo size=4 [hell]", "MORE 0"}, setup);
  ExpectRoute("RS+ $G a.very.long.subject\r\n", {"ERROR MaxControlLine"}, setup);
}

TEST(RouteParser, CapturedStream) {
  // A real A->B route stream from 2.9.10 (system account traffic included), fed in random
  // chunks, must give the same ops as fed whole.
  std::string stream;
  stream += "INFO {\"server_id\":\"NCTU\",\"proto\":2,\"lnoc\":true} \r\n";
  stream += "RS+ $SYS $SYS.REQ.SERVER.NCTU.CONNZ\r\nRS+ $SYS _INBOX.Abc.* \r\nPING\r\n";
  std::mt19937 rng(99);
  for (int i = 0; i < 200; ++i) {
    std::string payload(rng() % 300, static_cast<char>('a' + i % 26));
    switch (i % 4) {
      case 0: stream += absl::StrFormat("RMSG $G foo | g%d %d\r\n", i, payload.size()); break;
      case 1: stream += absl::StrFormat("RMSG $G foo + r.%d g a %d\r\n", i, payload.size()); break;
      case 2: stream += absl::StrFormat("RMSG $G foo.%d %d\r\n", i, payload.size()); break;
      default:
        payload = "NATS/1.0\r\n\r\n" + payload;
        stream += absl::StrFormat("HMSG $G foo + r g 12 %d\r\n", payload.size());
    }
    stream += payload + "\r\n";
    if (i % 10 == 0) stream += "RS- $G foo g\r\n";
  }
  const std::vector<std::string> whole = Feed({stream}, {});
  ASSERT_EQ(whole.back(), "MORE 0");
  ASSERT_EQ(whole.size(), 1u + 3u + 200u + 20u + 1u);
  for (int round = 0; round < 30; ++round) {
    std::vector<std::string_view> chunks;
    size_t pos = 0;
    while (pos < stream.size()) {
      const size_t len = 1 + rng() % (round < 15 ? 9 : 700);
      chunks.push_back(std::string_view(stream).substr(pos, len));
      pos += len;
    }
    EXPECT_EQ(Feed(chunks, {}), whole) << "round " << round;
  }
}

TEST(RouteParser, ErrorIsSticky) {
  RouteParser parser;
  std::string_view in = "XYZ\r\nPING\r\n";
  EXPECT_EQ(parser.Next(in).status, RouteParseStatus::kError);
  std::string_view more = "PING\r\n";
  EXPECT_EQ(parser.Next(more).status, RouteParseStatus::kError);
}

}  // namespace
}  // namespace ringnats::proto::testing
