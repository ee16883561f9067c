// Every -ERR path that exists without auth, and every silent close (nats-reference.md §1.8).
// After each one, another connection must still work.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "harness/server_fixture.h"

namespace ringnats::harness {
namespace {

constexpr char kUnknownOp[] = "-ERR 'Unknown Protocol Operation'\r\n";

struct CloseCase {
  const char* name;
  std::string input;    // sent after INFO
  std::string replies;  // everything the server sends before closing
};

void PrintTo(const CloseCase& c, std::ostream* os) { *os << c.name; }

class CloseTest : public ServerTest, public ::testing::WithParamInterface<CloseCase> {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer()); }
};

TEST_P(CloseTest, RepliesThenCloses) {
  auto client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->ReadInfo());
  ASSERT_TRUE(client->Send(GetParam().input));
  EXPECT_TRUE(client->ExpectClosed(GetParam().replies));
  EXPECT_TRUE(ServerStillWorks());
}

std::string CaseName(const ::testing::TestParamInfo<CloseCase>& info) { return info.param.name; }

const std::string kQuiet = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
const std::string kHeaders = "CONNECT {\"verbose\":false,\"headers\":true}\r\n";

INSTANTIATE_TEST_SUITE_P(
    UnknownProtocolOperation, CloseTest,
    ::testing::Values(
        CloseCase{"UnknownVerb", kQuiet + "FOO bar\r\n", kUnknownOp},
        CloseCase{"UnknownVerbBeforeConnect", "FOO\r\n", kUnknownOp},
        CloseCase{"MissingSeparatorAfterVerb", kQuiet + "PUBfoo 1\r\n", kUnknownOp},
        CloseCase{"SubWithoutSeparator", kQuiet + "SUBX foo 1\r\n", kUnknownOp},
        CloseCase{"LeadingBlank", kQuiet + " PING\r\n", kUnknownOp},
        CloseCase{"LeadingTab", kQuiet + "\tPING\r\n", kUnknownOp},
        CloseCase{"EmptyLine", kQuiet + "\r\n", kUnknownOp},
        CloseCase{"BareNewline", kQuiet + "\n", kUnknownOp},
        CloseCase{"TruncatedVerb", kQuiet + "PU\r\n", kUnknownOp},
        CloseCase{"PubWithoutArguments", kQuiet + "PUB\r\n", kUnknownOp},
        CloseCase{"SubWithoutArguments", kQuiet + "SUB\r\n", kUnknownOp},
        CloseCase{"UnsubWithoutArguments", kQuiet + "UNSUB\r\n", kUnknownOp},
        CloseCase{"TruncatedConnect", "CONN\r\n", kUnknownOp},
        CloseCase{"TruncatedPing", kQuiet + "PI\r\n", kUnknownOp},
        CloseCase{"ClientSentMsg", kQuiet + "MSG foo 1 1\r\na\r\n", kUnknownOp},
        CloseCase{"ClientSentHmsg", kQuiet + "HMSG foo 1 1 1\r\na\r\n", kUnknownOp},
        CloseCase{"ClientSentRouteSub", kQuiet + "RS+ $G foo\r\n", kUnknownOp},
        CloseCase{"ClientSentRouteMsg", kQuiet + "RMSG $G foo 1\r\na\r\n", kUnknownOp},
        CloseCase{"ClientSentAccountSub", kQuiet + "A+ foo\r\n", kUnknownOp},
        CloseCase{"ClientSentLeafSub", kQuiet + "LS+ foo\r\n", kUnknownOp},
        CloseCase{"PayloadEndsInBareNewline", kQuiet + "PUB foo 2\nhi\n", kUnknownOp},
        CloseCase{"PayloadLongerThanDeclared", kQuiet + "PUB foo 2\r\nhello\r\n", kUnknownOp},
        CloseCase{"PayloadCrNotFollowedByLf", kQuiet + "PUB foo 2\r\nhi\rX", kUnknownOp},
        CloseCase{"PayloadWithoutTerminator", kQuiet + "PUB foo 2\r\nhiXY", kUnknownOp},
        CloseCase{"HpubPayloadLongerThanDeclared",
                  kHeaders + "HPUB foo 12 12\r\nNATS/1.0\r\n\r\nXX\r\n", kUnknownOp},
        CloseCase{"ErrWithoutSeparator", kQuiet + "-ERR\r\n", kUnknownOp},
        CloseCase{"TruncatedOk", kQuiet + "+O\r\n", kUnknownOp},
        CloseCase{"PlusGarbage", kQuiet + "+X\r\n", kUnknownOp},
        CloseCase{"BinaryGarbage", std::string("\x00\x01\x02\xff\xfe", 5), kUnknownOp},
        CloseCase{"HighBytes", kQuiet + "\xff\xfe garbage\r\n", kUnknownOp},
        CloseCase{"VerbPrefixThenBinary", kQuiet + std::string("P\x00\x01", 3), kUnknownOp},
        CloseCase{"GarbageAfterValidTraffic",
                  "CONNECT {\"verbose\":true}\r\nSUB foo 1\r\nPUB foo 1\r\na\r\n\x01\x02\r\n",
                  "+OK\r\n+OK\r\n+OK\r\nMSG foo 1 1\r\na\r\n" + std::string(kUnknownOp)}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    Silent, CloseTest,
    ::testing::Values(CloseCase{"PubOneArgument", kQuiet + "PUB foo\r\n", ""},
                      CloseCase{"PubBlankArguments", kQuiet + "PUB \r\n", ""},
                      CloseCase{"PubFourArguments", kQuiet + "PUB foo bar baz 1\r\n", ""},
                      CloseCase{"PubNonNumericSize", kQuiet + "PUB foo abc\r\n", ""},
                      CloseCase{"PubNegativeSize", kQuiet + "PUB foo -1\r\n", ""},
                      CloseCase{"PubSizeWithSuffix", kQuiet + "PUB foo 1x\r\n", ""},
                      CloseCase{"PubSizeWithPlus", kQuiet + "PUB foo +2\r\n", ""},
                      CloseCase{"PubHugeSize", kQuiet + "PUB foo 99999999999999999999\r\n", ""},
                      CloseCase{"SubOneArgument", kQuiet + "SUB foo\r\n", ""},
                      CloseCase{"SubFourArguments", kQuiet + "SUB a b c d\r\n", ""},
                      CloseCase{"UnsubThreeArguments", kQuiet + "UNSUB 1 2 3\r\n", ""},
                      CloseCase{"HpubTooFewArguments", kHeaders + "HPUB foo 12\r\n", ""},
                      CloseCase{"HpubFiveArguments", kHeaders + "HPUB foo a b 12 12\r\n", ""},
                      CloseCase{"HpubBadHeaderSize", kHeaders + "HPUB foo x 12\r\n", ""},
                      CloseCase{"HpubHeaderLargerThanTotal", kHeaders + "HPUB foo 5 2\r\n", ""},
                      CloseCase{"HpubWithoutHeadersConnect",
                                kQuiet + "HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n", ""},
                      CloseCase{"HpubWithoutAnyConnect", "HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n",
                                ""},
                      CloseCase{"ConnectWithoutJson", "CONNECT\r\n", ""},
                      CloseCase{"ConnectBlankJson", "CONNECT \r\n", ""},
                      CloseCase{"ConnectBrokenJson", "CONNECT {bad\r\n", ""},
                      CloseCase{"ConnectJsonArray", "CONNECT []\r\n", ""},
                      CloseCase{"ConnectTrailingGarbage", "CONNECT {} x\r\n", ""},
                      CloseCase{"ConnectWrongFieldType", "CONNECT {\"verbose\":\"yes\"}\r\n", ""},
                      CloseCase{"VerboseConnectThenBadPub", "CONNECT {}\r\nPUB foo\r\n", "+OK\r\n"},
                      CloseCase{"ClientSentErr", kQuiet + "-ERR 'something broke'\r\n", ""}),
    CaseName);

class LimitsTest : public ServerTest {};

TEST_F(LimitsTest, ControlLineLimitAppliesToTheArguments) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_control_line: 100\n"));
  auto client = Client();
  ASSERT_TRUE(client);
  // "SUB " + 98-byte subject + " 1": exactly 100 argument bytes.
  const std::string subject(98, 'a');
  ASSERT_TRUE(client->Send(absl::StrFormat("SUB %s 1\r\nPUB %s 1\r\nx\r\n", subject, subject)));
  EXPECT_TRUE(client->Expect(absl::StrFormat("MSG %s 1 1\r\nx\r\n", subject)));
  // PING's argument is ignored, not limited.
  EXPECT_TRUE(client->Send("PING " + std::string(300, 'p') + "\r\n"));
  EXPECT_TRUE(client->Expect("PONG\r\n"));
  ASSERT_TRUE(client->Ping());
  ASSERT_TRUE(client->Send(absl::StrFormat("SUB %sa 2\r\n", subject)));
  EXPECT_TRUE(client->ExpectClosed("-ERR 'maximum control line exceeded'\r\n"));
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(LimitsTest, ControlLineLimitCatchesAPartialLine) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_control_line: 100\n"));
  auto client = Client();
  auto short_partial = Client();
  ASSERT_TRUE(client && short_partial);
  // No newline: the server must not wait for one.
  ASSERT_TRUE(client->Send("PUB " + std::string(200, 'a')));
  EXPECT_TRUE(client->ExpectClosed("-ERR 'maximum control line exceeded'\r\n"));
  // A partial line under the limit just waits for the rest.
  ASSERT_TRUE(short_partial->Send("SUB " + std::string(90, 'b')));
  ASSERT_TRUE(short_partial->Send(" 1\r\n"));
  EXPECT_TRUE(short_partial->Ping());
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(LimitsTest, ControlLineLimitAppliesToConnect) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_control_line: 100\n"));
  auto client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->ReadInfo());
  ASSERT_TRUE(client->Send("CONNECT {\"verbose\":false," + std::string(200, ' ') + "}\r\n"));
  EXPECT_TRUE(client->ExpectClosed("-ERR 'maximum control line exceeded'\r\n"));
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(LimitsTest, DefaultControlLineLimitIs4096) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  auto client = Client();
  ASSERT_TRUE(client);
  const std::string subject(4094, 's');  // + " 1" = 4096 argument bytes
  ASSERT_TRUE(client->Send(absl::StrFormat("SUB %s 1\r\n", subject)));
  ASSERT_TRUE(client->Ping());
  ASSERT_TRUE(client->Send(absl::StrFormat("SUB %ss 2\r\n", subject)));
  EXPECT_TRUE(client->ExpectClosed("-ERR 'maximum control line exceeded'\r\n"));
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(LimitsTest, MaxPayloadIsCheckedBeforeThePayloadArrives) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_payload: 1024\n"));
  auto client = Client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB foo 1\r\nPUB foo 1024\r\n" + std::string(1024, 'x') + "\r\n"));
  EXPECT_TRUE(client->Expect("MSG foo 1 1024\r\n" + std::string(1024, 'x') + "\r\n"));
  // Only the control line: the violation is reported without waiting for 1025 bytes.
  ASSERT_TRUE(client->Send("PUB foo 1025\r\n"));
  EXPECT_TRUE(client->ExpectClosed("-ERR 'Maximum Payload Violation'\r\n"));
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(LimitsTest, MaxPayloadAppliesToHpubTotalSize) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_payload: 1024\n"));
  auto client = Client(R"({"verbose":false,"headers":true})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("HPUB foo 12 1025\r\n"));
  EXPECT_TRUE(client->ExpectClosed("-ERR 'Maximum Payload Violation'\r\n"));
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(LimitsTest, MaxConnectionsRejectsAfterInfo) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_connections: 2\n"));
  auto first = Client();
  auto second = Client();
  ASSERT_TRUE(first && second);
  auto third = Connect();
  ASSERT_TRUE(third);
  ASSERT_TRUE(third->ReadInfo());
  EXPECT_TRUE(third->ExpectClosed("-ERR 'maximum connections exceeded'\r\n"));
  // The two admitted connections keep working with each other.
  ASSERT_TRUE(first->Send("SUB full 1\r\n"));
  ASSERT_TRUE(first->Ping());
  ASSERT_TRUE(second->Send("PUB full 2\r\nok\r\n"));
  ASSERT_TRUE(second->Ping());
  EXPECT_TRUE(first->Expect("MSG full 1 2\r\nok\r\n"));
  EXPECT_TRUE(server().WaitForLog("maximum connections exceeded"));
}

TEST_F(LimitsTest, MaxSubscriptionsRejectsWithoutClosing) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_subscriptions: 1\n"));
  auto client = Client(R"({"verbose":true})");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("SUB foo 1\r\nSUB bar 2\r\nPUB bar 1\r\na\r\nPUB foo 1\r\nb\r\n"));
  EXPECT_TRUE(
      client->Expect("+OK\r\n-ERR 'maximum subscriptions exceeded'\r\n+OK\r\n+OK\r\n"
                     "MSG foo 1 1\r\nb\r\n"));
  EXPECT_TRUE(client->Ping());
  // Freeing the slot allows a new subscription.
  ASSERT_TRUE(client->Send("UNSUB 1\r\nSUB bar 2\r\nPUB bar 1\r\nc\r\n"));
  EXPECT_TRUE(client->Expect("+OK\r\n+OK\r\n+OK\r\nMSG bar 2 1\r\nc\r\n"));
  EXPECT_TRUE(client->Ping());
  EXPECT_TRUE(ServerStillWorks());
}

}  // namespace
}  // namespace ringnats::harness
