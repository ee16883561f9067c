// INFO, CONNECT, PING/PONG and verbose mode: the first bytes every client sees.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/server_fixture.h"

namespace ringnats::harness {
namespace {

class InfoConnectTest : public ServerTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer()); }
};

TEST_F(InfoConnectTest, InfoHasTrailingSpaceAndNatsFieldsInOrder) {
  auto client = Connect();
  ASSERT_TRUE(client);
  nlohmann::ordered_json info;
  std::string line;
  ASSERT_TRUE(client->ReadInfo(&info, &line));
  EXPECT_TRUE(line.ends_with("} \r\n")) << line;

  std::vector<std::string> keys;
  for (const auto& item : info.items()) {
    keys.push_back(item.key());
  }
  // nats-server's fields. ringnats, a C++ program, has no "go" runtime to report and adds
  // its own version as "ringnats_version" (README, "INFO"); everything else is identical.
  std::vector<std::string> expected_keys = {"server_id",   "server_name", "version",  "proto",
                                            "go",          "host",        "port",     "headers",
                                            "max_payload", "client_id",   "client_ip"};
  const bool is_ringnats = info.contains("ringnats_version");
  if (is_ringnats) {
    expected_keys = {
        "server_id", "server_name", "version",          "proto",     "host",     "port",
        "headers",   "max_payload", "ringnats_version", "client_id", "client_ip"};
  }
  EXPECT_EQ(keys, expected_keys) << info.dump();

  EXPECT_EQ(info["version"], "2.9.10");
  EXPECT_EQ(info["proto"], 1);
  EXPECT_EQ(info["headers"], true);
  EXPECT_EQ(info["max_payload"], 1048576);
  EXPECT_EQ(info["client_ip"], "127.0.0.1");
  EXPECT_TRUE(info["server_id"].is_string() && !info["server_id"].get<std::string>().empty());
  EXPECT_TRUE(info["server_name"].is_string());
  EXPECT_TRUE(is_ringnats ? info["ringnats_version"].is_string() : info["go"].is_string());
  EXPECT_TRUE(info["host"].is_string());
  EXPECT_TRUE(info["port"].is_number_integer());
  EXPECT_TRUE(info["client_id"].is_number_unsigned());
  // INFO is the only thing sent before the client speaks.
  EXPECT_TRUE(client->Ping());
}

TEST_F(InfoConnectTest, EachConnectionGetsItsOwnClientId) {
  auto first = Connect();
  auto second = Connect();
  ASSERT_TRUE(first && second);
  nlohmann::ordered_json info1;
  nlohmann::ordered_json info2;
  ASSERT_TRUE(first->ReadInfo(&info1));
  ASSERT_TRUE(second->ReadInfo(&info2));
  EXPECT_NE(info1["client_id"], info2["client_id"]);
  EXPECT_EQ(info1["server_id"], info2["server_id"]);
}

TEST_F(InfoConnectTest, EmptyConnectDefaultsToVerbose) {
  auto client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->ReadInfo());
  ASSERT_TRUE(client->Send("CONNECT {}\r\n"));
  EXPECT_TRUE(client->Expect("+OK\r\n"));
  ASSERT_TRUE(client->Send("SUB foo 1\r\nPUB foo 5\r\nhello\r\nUNSUB 1\r\nPING\r\n"));
  EXPECT_TRUE(client->Expect("+OK\r\n+OK\r\nMSG foo 1 5\r\nhello\r\n+OK\r\nPONG\r\n"));
}

TEST_F(InfoConnectTest, NoConnectAtAllIsVerbose) {
  auto client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->ReadInfo());
  ASSERT_TRUE(client->Send("SUB foo 1\r\nPUB foo 2\r\nhi\r\nPING\r\n"));
  EXPECT_TRUE(client->Expect("+OK\r\n+OK\r\nMSG foo 1 2\r\nhi\r\nPONG\r\n"));
}

TEST_F(InfoConnectTest, QuietConnectSendsNoOk) {
  auto client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->ReadInfo());
  ASSERT_TRUE(
      client->Send("CONNECT {\"verbose\":false}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n"
                   "UNSUB 1\r\nPING\r\n"));
  EXPECT_TRUE(client->Expect("MSG foo 1 2\r\nhi\r\nPONG\r\n"));
}

TEST_F(InfoConnectTest, SecondConnectChangesVerbose) {
  auto client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->ReadInfo());
  ASSERT_TRUE(
      client->Send("CONNECT {\"verbose\":false}\r\nCONNECT {\"verbose\":true}\r\n"
                   "SUB foo 1\r\nPING\r\n"));
  EXPECT_TRUE(client->Expect("+OK\r\n+OK\r\nPONG\r\n"));
}

TEST_F(InfoConnectTest, ConnectWithoutSeparatorAndTypicalClientFields) {
  auto client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->ReadInfo());
  ASSERT_TRUE(client->Send(
      "CONNECT{\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"name\":\"x\","
      "\"lang\":\"go\",\"version\":\"1.2.2\",\"protocol\":1,\"unknown_key\":[1,2]}\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(InfoConnectTest, PingVariantsAllGetPong) {
  auto client = Client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("PING\r\nping\r\nPing\r\nPING foo\r\nPINGX\r\nPING\n"));
  EXPECT_TRUE(client->Expect("PONG\r\nPONG\r\nPONG\r\nPONG\r\nPONG\r\nPONG\r\n"));
}

TEST_F(InfoConnectTest, PingGetsNoOkEvenWhenVerbose) {
  auto client = Client("{}");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("PING\r\nPONG\r\nPING\r\n"));
  EXPECT_TRUE(client->Expect("PONG\r\nPONG\r\n"));
}

TEST_F(InfoConnectTest, ClientPongInfoAndOkAreIgnored) {
  auto client = Client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("PONG\r\nINFO {\"server_id\":\"x\"}\r\n+OK\r\n+OKAY\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(InfoConnectTest, ProtocolOneIsAccepted) {
  auto client = Client(R"({"verbose":true,"protocol":1})");
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->Ping());
}

TEST_F(InfoConnectTest, InvalidClientProtocolClosesWithError) {
  for (const char* protocol : {"2", "-1", "100"}) {
    SCOPED_TRACE(protocol);
    auto client = Connect();
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->ReadInfo());
    ASSERT_TRUE(client->Send(std::string("CONNECT {\"protocol\":") + protocol + "}\r\n"));
    EXPECT_TRUE(client->ExpectClosed("-ERR 'invalid client protocol'\r\n"));
  }
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(InfoConnectTest, NoRespondersWithoutHeadersClosesWithError) {
  auto client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->ReadInfo());
  ASSERT_TRUE(client->Send("CONNECT {\"verbose\":false,\"no_responders\":true}\r\n"));
  EXPECT_TRUE(client->ExpectClosed("-ERR 'no responders requires headers support'\r\n"));
  EXPECT_TRUE(ServerStillWorks());
}

TEST_F(InfoConnectTest, NoRespondersWithHeadersIsAccepted) {
  auto client = Client(R"({"verbose":true,"headers":true,"no_responders":true})");
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->Ping());
}

class InfoLimitsTest : public ServerTest {};

TEST_F(InfoLimitsTest, InfoAdvertisesConfiguredMaxPayload) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_payload: 1024\n"));
  auto client = Connect();
  ASSERT_TRUE(client);
  nlohmann::ordered_json info;
  ASSERT_TRUE(client->ReadInfo(&info));
  EXPECT_EQ(info["max_payload"], 1024);
}

// Limits written as 0 mean nats-server's defaults (its setBaselineOptions), and a negative
// max_connections means no limit: clients connect, publish and get PONGs.
TEST_F(InfoLimitsTest, ZeroLimitsMeanTheDefaults) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer("max_connections: 0\nmax_payload: 0\nmax_pending: 0\nmax_control_line: 0\n"
                  "ping_max: 0\nwrite_deadline: \"0s\"\n"));
  auto client = Connect();
  ASSERT_TRUE(client);
  nlohmann::ordered_json info;
  ASSERT_TRUE(client->ReadInfo(&info));
  EXPECT_EQ(info["max_payload"], 1024 * 1024);
  ASSERT_TRUE(client->Send("CONNECT {\"verbose\":false}\r\nSUB zero 1\r\nPUB zero 2\r\nok\r\n"));
  EXPECT_TRUE(client->Expect("MSG zero 1 2\r\nok\r\n"));
  EXPECT_TRUE(client->Ping());
}

TEST_F(InfoLimitsTest, NegativeMaxConnectionsIsNoLimit) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_connections: -5\n"));
  auto first = Client(R"({"verbose":false})");
  auto second = Client(R"({"verbose":false})");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_TRUE(first->Ping());
  EXPECT_TRUE(second->Ping());
}

}  // namespace
}  // namespace ringnats::harness
