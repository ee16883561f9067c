#include "tls_fixture.h"

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "absl/strings/str_format.h"
#include "harness/http_get.h"

namespace ringnats::tlstest {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

void TlsTest::StartServer(const std::string& config, const std::vector<std::string>& extra_args) {
  ASSERT_FALSE(certs().dir.empty()) << "no certificates";
  absl::StatusOr<std::unique_ptr<harness::ServerProcess>> server =
      harness::ServerProcess::Start({spec_, config, extra_args});
  ASSERT_TRUE(server.ok()) << harness::Describe(spec_) << ": " << server.status() << "\nconfig:\n"
                           << config;
  server_ = std::move(*server);
}

TlsClientOptions TlsTest::Trusting(const KeyPair* client) const {
  TlsClientOptions options;
  options.ca_file = TestCertificates().ca;
  if (client != nullptr) {
    options.cert_file = client->cert;
    options.key_file = client->key;
  }
  return options;
}

std::unique_ptr<RawClient> TlsTest::TlsClient(const TlsClientOptions& options,
                                              std::string_view connect_json, TlsSession** session) {
  absl::StatusOr<std::unique_ptr<RawClient>> client =
      harness::ConnectTlsAndHandshake(port(), options, connect_json, session);
  if (!client.ok()) {
    ADD_FAILURE() << "TLS client: " << client.status();
    return nullptr;
  }
  return std::move(*client);
}

std::unique_ptr<RawClient> TlsTest::PlainAfterInfo() {
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(port());
  if (!client.ok()) {
    ADD_FAILURE() << client.status();
    return nullptr;
  }
  if (AssertionResult r = (*client)->ReadInfo(); !r) {
    ADD_FAILURE() << "plaintext INFO: " << r.message();
    return nullptr;
  }
  return std::move(*client);
}

AssertionResult TlsTest::StillCarries(RawClient& subscriber, RawClient& publisher) {
  const std::string subject = absl::StrFormat("tls.still.%d", ++checks_);
  if (AssertionResult r = subscriber.Send(absl::StrFormat("SUB %s 77\r\n", subject)); !r) {
    return r << " (SUB)";
  }
  if (AssertionResult r = subscriber.Ping(); !r) {
    return r << " (subscriber PING)";
  }
  if (AssertionResult r = publisher.Send(absl::StrFormat("PUB %s 5\r\nhello\r\n", subject)); !r) {
    return r << " (PUB)";
  }
  if (AssertionResult r = publisher.Ping(); !r) {
    return r << " (publisher PING)";
  }
  if (AssertionResult r = subscriber.Expect(absl::StrFormat("MSG %s 77 5\r\nhello\r\n", subject));
      !r) {
    return r << " (MSG)";
  }
  return subscriber.Send(absl::StrFormat("UNSUB 77\r\n"));
}

AssertionResult TlsTest::WaitForClientLog(int client_port, std::string_view message,
                                          std::chrono::milliseconds timeout) {
  return server_->WaitForLog(
      absl::StrFormat(R"(127\.0\.0\.1:%d - cid:\d+ - %s)", client_port, message), timeout);
}

nlohmann::json TlsTest::OpenConnection(int client_port) {
  absl::StatusOr<harness::HttpAnswer> answer =
      harness::HttpGet(server_->monitor_port(), "/connz?limit=1024");
  if (!answer.ok() || answer->status != 200) {
    ADD_FAILURE() << "/connz: "
                  << (answer.ok() ? absl::StrFormat("HTTP %d", answer->status)
                                  : answer.status().ToString());
    return nullptr;
  }
  const nlohmann::json connz = nlohmann::json::parse(answer->body, nullptr, false);
  if (connz.is_object() && connz.contains("connections") && connz["connections"].is_array()) {
    for (const nlohmann::json& c : connz["connections"]) {
      if (c.value("port", 0) == client_port) {
        return c;
      }
    }
  }
  return nullptr;
}

std::string TlsTest::ClosedReason(int client_port) {
  // The closed list is filled after the connection is torn down: ask until it shows up.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<harness::HttpAnswer> answer =
        harness::HttpGet(server_->monitor_port(), "/connz?state=closed&limit=1024");
    if (answer.ok() && answer->status == 200) {
      const nlohmann::json connz = nlohmann::json::parse(answer->body, nullptr, false);
      if (connz.is_object() && connz.contains("connections") && connz["connections"].is_array()) {
        for (const nlohmann::json& c : connz["connections"]) {
          if (c.value("port", 0) == client_port) {
            return c.value("reason", std::string("<no reason field>"));
          }
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, not a sync
  }
  return "";
}

}  // namespace ringnats::tlstest
