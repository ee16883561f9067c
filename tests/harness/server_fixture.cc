#include "harness/server_fixture.h"

#include "absl/strings/str_format.h"

namespace ringnats::harness {

void ServerTest::StartServer(const std::string& config,
                             const std::vector<std::string>& extra_args) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({spec_, config, extra_args});
  ASSERT_TRUE(server.ok()) << Describe(spec_) << ": " << server.status();
  server_ = std::move(*server);
}

std::unique_ptr<RawClient> ServerTest::Connect(ClientOptions options) {
  if (server_ == nullptr) {
    ADD_FAILURE() << "no server started";
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(port(), options);
  if (!client.ok()) {
    ADD_FAILURE() << client.status();
    return nullptr;
  }
  return std::move(*client);
}

std::unique_ptr<RawClient> ServerTest::Client(std::string_view connect_json,
                                              ClientOptions options) {
  if (server_ == nullptr) {
    ADD_FAILURE() << "no server started";
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<RawClient>> client =
      ConnectAndHandshake(port(), connect_json, options);
  if (!client.ok()) {
    ADD_FAILURE() << client.status();
    return nullptr;
  }
  return std::move(*client);
}

::testing::AssertionResult ServerTest::ServerStillWorks() {
  if (server_ == nullptr) {
    return ::testing::AssertionFailure() << "no server started";
  }
  const std::string subject = absl::StrFormat("health.check.%d", ++health_checks_);
  absl::StatusOr<std::unique_ptr<RawClient>> sub = ConnectAndHandshake(port());
  if (!sub.ok()) {
    return ::testing::AssertionFailure() << "subscriber: " << sub.status();
  }
  absl::StatusOr<std::unique_ptr<RawClient>> pub = ConnectAndHandshake(port());
  if (!pub.ok()) {
    return ::testing::AssertionFailure() << "publisher: " << pub.status();
  }
  if (auto r = (*sub)->Send(absl::StrFormat("SUB %s 1\r\n", subject)); !r) {
    return r;
  }
  if (auto r = (*sub)->Ping(); !r) {
    return r << " (after SUB)";
  }
  if (auto r = (*pub)->Send(absl::StrFormat("PUB %s 2\r\nok\r\n", subject)); !r) {
    return r;
  }
  if (auto r = (*pub)->Ping(); !r) {
    return r << " (after PUB)";
  }
  return (*sub)->Expect(absl::StrFormat("MSG %s 1 2\r\nok\r\n", subject));
}

}  // namespace ringnats::harness
