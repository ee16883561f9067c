#pragma once
// gtest fixture for tests that talk to one server under test (see server_spec.h) per test.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/raw_client.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"

namespace ringnats::harness {

inline constexpr std::string_view kQuietConnect = R"({"verbose":false,"pedantic":false})";

class ServerTest : public ::testing::Test {
 protected:
  // Starts the server under test. Fatal failure when it does not come up; call it as
  // ASSERT_NO_FATAL_FAILURE(StartServer(...)).
  void StartServer(const std::string& config = "", const std::vector<std::string>& extra_args = {});

  // A connection whose INFO has not been read yet; nullptr (plus a test failure) on error.
  std::unique_ptr<RawClient> Connect(ClientOptions options = {});

  // A connection that read INFO and sent CONNECT `connect_json` (quiet mode by default).
  std::unique_ptr<RawClient> Client(std::string_view connect_json = kQuietConnect,
                                    ClientOptions options = {});

  // A fresh pair of connections can still subscribe, publish and receive. Used after every
  // error path to show the failure stayed on its own connection.
  ::testing::AssertionResult ServerStillWorks();

  ServerProcess& server() { return *server_; }
  int port() const { return server_->port(); }
  const ServerSpec& spec() const { return spec_; }

 private:
  ServerSpec spec_ = ServerUnderTest();
  std::unique_ptr<ServerProcess> server_;
  int health_checks_ = 0;
};

}  // namespace ringnats::harness
