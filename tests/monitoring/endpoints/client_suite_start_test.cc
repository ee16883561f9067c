// The way client libraries' test suites start a server: they pick two free ports themselves,
// start `-p PORT -m HTTP_PORT -a 127.0.0.1` (no ports file), connect a client on PORT and
// read /varz on HTTP_PORT. Also the configuration file's ways of setting the monitoring
// port (`http: host:port`, `http_port`). Runs against the server under test only.

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "harness/free_port.h"
#include "harness/http_get.h"
#include "harness/raw_client.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"
#include "monitoring/endpoints/json_diff.h"

namespace ringnats::monitoring {
namespace {

struct StartCase {
  std::string name;
  // HTTP_PORT is replaced by the picked monitoring port.
  std::vector<std::string> args;
  std::string config;
};

class ClientSuiteStart : public ::testing::TestWithParam<StartCase> {};

std::string Substitute(std::string text, int http_port) {
  const std::string token = "HTTP_PORT";
  for (size_t at = text.find(token); at != std::string::npos; at = text.find(token)) {
    text.replace(at, token.size(), std::to_string(http_port));
  }
  return text;
}

TEST_P(ClientSuiteStart, ClientConnectsAndVarzNamesBothPorts) {
  const StartCase& start = GetParam();
  const int port = harness::FreeLoopbackPort();
  int http_port = harness::FreeLoopbackPort();
  while (http_port == port) http_port = harness::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  ASSERT_GT(http_port, 0);

  harness::ServerOptions options;
  options.spec = harness::ServerUnderTest();
  options.fixed_port = port;
  for (const std::string& arg : start.args) {
    options.extra_args.push_back(Substitute(arg, http_port));
  }
  options.config = Substitute(start.config, http_port);
  auto server = harness::ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << harness::Describe(options.spec) << ": " << server.status().message();

  auto client = harness::ConnectAndHandshake(port);
  ASSERT_TRUE(client.ok()) << client.status().message();
  ASSERT_TRUE((*client)->Ping());

  // nats-server listens for HTTP before it accepts clients, so once a client is in, the
  // monitoring port answers at once; suites rely on that and do not retry.
  auto varz = harness::HttpGet(http_port, "/varz");
  ASSERT_TRUE(varz.ok()) << varz.status().message() << "\nlog:\n" << (*server)->ReadLog();
  ASSERT_EQ(varz->status, 200) << varz->body;
  const Json doc = Json::parse(varz->body, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << varz->body;
  EXPECT_EQ(doc.value("port", 0), port);
  EXPECT_EQ(doc.value("http_port", 0), http_port);
  EXPECT_EQ(doc.value("http_host", ""), "127.0.0.1");
  EXPECT_EQ(doc.value("host", ""), "127.0.0.1");
  EXPECT_EQ(doc.value("connections", -1), 1);

  auto connz = harness::HttpGet(http_port, "/connz");
  ASSERT_TRUE(connz.ok()) << connz.status().message();
  EXPECT_EQ(connz->status, 200) << connz->body;
  (*client)->Close();
}

INSTANTIATE_TEST_SUITE_P(
    Ways, ClientSuiteStart,
    ::testing::Values(StartCase{"FlagM", {"-m", "HTTP_PORT"}, ""},
                      StartCase{"FlagHttpPort", {"--http_port", "HTTP_PORT"}, ""},
                      StartCase{"FlagHttpPortEquals", {"--http_port=HTTP_PORT"}, ""},
                      StartCase{"ConfigHttp", {}, "http: 127.0.0.1:HTTP_PORT\n"},
                      StartCase{"ConfigHttpPort", {}, "http_port: HTTP_PORT\n"},
                      StartCase{"ConfigMonitorPort", {}, "monitor_port: HTTP_PORT\n"}),
    [](const ::testing::TestParamInfo<StartCase>& param) { return param.param.name; });

}  // namespace
}  // namespace ringnats::monitoring
