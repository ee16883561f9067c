// Reloads that must be refused: a file that does not parse, an unknown key, a change that
// needs a restart, and a server started without a config file. The error is logged and the
// old configuration stays in force for connected and new clients alike.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_format.h"
#include "harness/http_get.h"
#include "harness/raw_client.h"
#include "reload/reload_fixture.h"

namespace ringnats::reloadtest {
namespace {

using harness::RawClient;

constexpr char kAlicePassword[] = "Pw-alice-rl-err";
constexpr char kBobPassword[] = "Pw-bob-rl-err";
constexpr char kBobNewPassword[] = "Pw-bob-rl-err-new";

// alice and bob, with an optional header of top-level keys.
std::string TwoUsers(const std::string& header = "",
                     const std::string& bob_password = kBobPassword) {
  return absl::StrFormat(
      "%sauthorization {\n  users: [\n    {user: alice, password: %s}\n"
      "    {user: bob, password: %s}\n  ]\n}\n",
      header, kAlicePassword, bob_password);
}

// bob's password changed: what a bad file would have done had it been applied.
std::string BobChanged(const std::string& header = "") {
  return TwoUsers(header, kBobNewPassword);
}

class ReloadErrorsTest : public ReloadTest {
 protected:
  // The configuration of TwoUsers() is still the one in force.
  void ExpectOldConfig(RawClient& bob) {
    EXPECT_TRUE(bob.Ping()) << "bob must stay connected";
    EXPECT_TRUE(Client(UserConnect("bob", kBobPassword))) << "bob must still be able to log in";
    EXPECT_TRUE(Rejected(UserConnect("carol", "whatever")));
  }
};

TEST_F(ReloadErrorsTest, SyntaxErrorKeepsTheOldConfig) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TwoUsers()));
  std::unique_ptr<RawClient> bob = Client(UserConnect("bob", kBobPassword));
  ASSERT_TRUE(bob);
  // The users array is never closed.
  ASSERT_TRUE(
      ReloadFails(absl::StrFormat("authorization {\n  users: [\n    {user: bob, password: %s}\n",
                                  kBobNewPassword),
                  ".+"));
  ExpectOldConfig(*bob);

  // A good file afterwards is applied as usual.
  ASSERT_TRUE(Reload(BobChanged()));
  EXPECT_TRUE(bob->ExpectClosed(kAuthViolation));
  EXPECT_TRUE(Rejected(UserConnect("bob", kBobPassword)));
}

TEST_F(ReloadErrorsTest, UnknownKeyKeepsTheOldConfig) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TwoUsers()));
  std::unique_ptr<RawClient> bob = Client(UserConnect("bob", kBobPassword));
  ASSERT_TRUE(bob);
  ASSERT_TRUE(
      ReloadFails(BobChanged("bogus_reload_key: 1\n"), ".*unknown field \"bogus_reload_key\""));
  ExpectOldConfig(*bob);
}

TEST_F(ReloadErrorsTest, ServerNameChangeIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TwoUsers("server_name: rl-one\n")));
  std::unique_ptr<RawClient> bob = Client(UserConnect("bob", kBobPassword));
  ASSERT_TRUE(bob);
  // Everything else in the file would be reloadable; the whole file is refused.
  ASSERT_TRUE(ReloadFails(BobChanged("server_name: rl-two\nmax_payload: 100\n"),
                          "config reload not supported for ServerName: old=rl-one, new=rl-two$"));
  ExpectOldConfig(*bob);

  std::unique_ptr<RawClient> fresh = Connect();
  ASSERT_TRUE(fresh);
  nlohmann::ordered_json info;
  ASSERT_TRUE(fresh->ReadInfo(&info));
  EXPECT_EQ(info["server_name"], "rl-one");
  EXPECT_EQ(info["max_payload"], 1048576);
}

// The monitoring listener is fixed at start, as in nats-server: a reload that would move it
// is refused whole, and the listener keeps serving where it was.
TEST_F(ReloadErrorsTest, MonitoringListenerChangesAreRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TwoUsers("http_port: -1\n")));
  const int monitor_port = server().monitor_port();
  ASSERT_GT(monitor_port, 0);
  std::unique_ptr<RawClient> bob = Client(UserConnect("bob", kBobPassword));
  ASSERT_TRUE(bob);

  ASSERT_TRUE(ReloadFails(BobChanged("http_port: 18333\n"),
                          "config reload not supported for HTTPPort: old=-1, new=18333$"));
  ASSERT_TRUE(ReloadFails(BobChanged("http_port: -1\nhttp_base_path: /x\n"),
                          "config reload not supported for HTTPBasePath: old=, new=/x$"));
  ASSERT_TRUE(
      ReloadFails(BobChanged("http: \"127.0.0.2:-1\"\n"),
                  "config reload not supported for HTTPHost: old=127.0.0.1, new=127.0.0.2$"));
  ExpectOldConfig(*bob);
  const auto varz_base_path = [&]() -> std::string {
    absl::StatusOr<harness::HttpAnswer> varz = harness::HttpGet(monitor_port, "/varz");
    if (!varz.ok() || varz->status != 200) return "<no /varz>";
    return nlohmann::json::parse(varz->body).value("http_base_path", "<missing>");
  };
  EXPECT_EQ(varz_base_path(), "");
  absl::StatusOr<harness::HttpAnswer> moved = harness::HttpGet(monitor_port, "/x/varz");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->status, 404);

  // The same listener in the file: the rest of it applies, the monitor stays.
  ASSERT_TRUE(Reload(BobChanged("http_port: -1\n")));
  EXPECT_TRUE(bob->ExpectClosed(kAuthViolation));
  EXPECT_EQ(varz_base_path(), "");
}

// A reload whose certificate is no certificate fails. Nothing of the file may stay behind,
// though the debug flag and the log file come earlier in it: neither of them is applied.
TEST_F(ReloadErrorsTest, AReloadFailingOnItsCertificateLeavesLoggingAsItWas) {
  ScratchDir scratch;
  const std::string new_log = scratch.File("after-reload.log");
  const std::string not_a_certificate = scratch.File("garbage.pem");
  {
    std::ofstream garbage(not_a_certificate);
    garbage << "not a certificate\n";
  }
  ASSERT_NO_FATAL_FAILURE(StartServer(TwoUsers()));
  ASSERT_TRUE(
      ReloadFails(TwoUsers(absl::StrFormat("debug: true\nlog_file: \"%s\"\n"
                                           "tls {\n  cert_file: \"%s\"\n  key_file: \"%s\"\n}\n",
                                           new_log, not_a_certificate, not_a_certificate)),
                  ".+"));
  std::unique_ptr<RawClient> bob = Client(UserConnect("bob", kBobPassword));
  ASSERT_TRUE(bob);
  ExpectOldConfig(*bob);
  // Everything logged so far is in the old log; a good reload marks the end of it.
  ASSERT_TRUE(Reload(TwoUsers()));
  EXPECT_NE(access(new_log.c_str(), F_OK), 0) << "the failed reload opened its log file";
  EXPECT_EQ(server().ReadLog().find("[DBG]"), std::string::npos)
      << "the failed reload turned debug logging on";
}

TEST_F(ReloadErrorsTest, RefusedReloadThenGoodReload) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TwoUsers("server_name: rl-one\n")));
  std::unique_ptr<RawClient> bob = Client(UserConnect("bob", kBobPassword));
  ASSERT_TRUE(bob);
  ASSERT_TRUE(ReloadFails(TwoUsers("server_name: rl-two\n"), "config reload not supported"));
  ASSERT_TRUE(ReloadFails(TwoUsers("server_name: rl-one\nmax_payload: [1\n"), ".+"));
  EXPECT_TRUE(bob->Ping());
  ASSERT_TRUE(Reload(BobChanged("server_name: rl-one\n")));
  EXPECT_TRUE(bob->ExpectClosed(kAuthViolation));
}

TEST_F(ReloadErrorsTest, CommandLineStillOverridesTheFileOnReload) {
  // The harness passes `-a 127.0.0.1 -p -1`: a port in the file is overridden at start and
  // again at every reload, so changing it is not a change and the rest of the file applies.
  ASSERT_NO_FATAL_FAILURE(StartServer("port: 4\nmax_payload: 2000\n"));
  std::unique_ptr<RawClient> before = Client();
  ASSERT_TRUE(before);
  ASSERT_TRUE(Reload("port: 5\nmax_payload: 1000\n"));
  std::unique_ptr<RawClient> fresh = Connect();
  ASSERT_TRUE(fresh) << "still listening on the same port";
  nlohmann::ordered_json info;
  ASSERT_TRUE(fresh->ReadInfo(&info));
  EXPECT_EQ(info["port"], port());
  EXPECT_EQ(info["max_payload"], 1000);
  EXPECT_TRUE(before->Ping());
}

TEST_F(ReloadErrorsTest, WithoutConfigFileReloadIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  std::unique_ptr<RawClient> client = Client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(SignalReload(/*ok=*/false));
  EXPECT_TRUE(server().WaitForLog(
      "\\[ERR\\] Failed to reload server configuration: can only reload config when a file is "
      "provided using -c or --config$"));
  EXPECT_TRUE(client->Ping());
  EXPECT_TRUE(ServerStillWorks());
}

}  // namespace
}  // namespace ringnats::reloadtest
