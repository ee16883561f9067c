// What authentication failures look like in the server log (nats-reference.md §2.7), and
// that no secret a client sends, right or wrong, ever reaches the log: not at the default
// level, not with -D, and not in the -DV protocol trace, where CONNECT shows
// "pass":"[REDACTED]".

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "auth/auth_fixture.h"
#include "auth/credentials.h"
#include "harness/server_spec.h"

namespace ringnats::authtest {
namespace {

const std::string kTwoUsersConfig = absl::StrFormat(
    "authorization {\n"
    "  users: [\n"
    "    {user: alice, password: \"%s\"}\n"
    "    {user: carol, password: \"%s\"}\n"
    "  ]\n"
    "}\n",
    kPlainPassword, kHash2b);

constexpr char kFailurePrefix[] = R"(\[ERR\] 127\.0\.0\.1:\d+ - cid:\d+ - authentication error)";

class AuthLogTest : public AuthTest {
 protected:
  // Neither any of `secrets` nor a fragment long enough to identify one is in the log.
  void ExpectSecretsAbsent(const std::vector<std::string>& secrets) {
    const std::string log = server().ReadLog();
    for (const std::string& secret : secrets) {
      EXPECT_EQ(log.find(secret), std::string::npos) << "\"" << secret << "\" in log:\n"
                                                     << PrintableLog(log);
    }
  }
};

TEST_F(AuthLogTest, SingleUserFailureNamesNoUser) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer("", {"--user", "alice", "--pass", std::string(kPlainPassword)}));
  EXPECT_TRUE(Rejects(UserConnect("alice", "Guess-one-4471")));
  EXPECT_TRUE(LogShows(std::string(kFailurePrefix) + "$"));
  EXPECT_TRUE(Accepts(UserConnect("alice", kPlainPassword)));
  EXPECT_TRUE(Accepts(UserConnect("alice", kPlainPassword)));
  EXPECT_EQ(CountLogLines("authentication error"), 1) << Log();
  ExpectSecretsAbsent({"Guess-one-4471", std::string(kPlainPassword)});
}

TEST_F(AuthLogTest, TokenFailureNamesNoUser) {
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"-D", "--auth", std::string(kPlainToken)}));
  EXPECT_TRUE(Rejects(TokenConnect("Tok-guess-9902")));
  EXPECT_TRUE(LogShows(std::string(kFailurePrefix) + "$"));
  EXPECT_TRUE(LogShows(
      R"(\[DBG\] 127\.0\.0\.1:\d+ - cid:\d+ - Client connection closed: Authentication Failure$)"));
  EXPECT_TRUE(Accepts(TokenConnect(kPlainToken)));
  ExpectSecretsAbsent({"Tok-guess-9902", std::string(kPlainToken)});
}

TEST_F(AuthLogTest, UsersFailureNamesTheUser) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kTwoUsersConfig));
  EXPECT_TRUE(Rejects(UserConnect("alice", "Guess-two-5521")));
  EXPECT_TRUE(LogShows(std::string(kFailurePrefix) + R"( - User "alice"$)"));
  EXPECT_TRUE(Rejects(UserConnect("carol", "Guess-three-6630")));
  EXPECT_TRUE(LogShows(std::string(kFailurePrefix) + R"( - User "carol"$)"));
  EXPECT_TRUE(Rejects(UserConnect("mallory", "Guess-four-7741")));
  EXPECT_TRUE(LogShows(std::string(kFailurePrefix) + R"( - User "mallory"$)"));
  EXPECT_TRUE(Rejects(AnonymousConnect()));
  EXPECT_TRUE(LogShows(std::string(kFailurePrefix) + R"( - User ""$)"));
  EXPECT_EQ(CountLogLines("authentication error"), 4) << Log();
  ExpectSecretsAbsent({"Guess-two-5521", "Guess-three-6630", "Guess-four-7741",
                       std::string(kPlainPassword), std::string(kPassword2b)});
}

// In users mode an operation before CONNECT fails as a login without a user.
TEST_F(AuthLogTest, UsersModeOpBeforeConnectLogsEmptyUser) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kTwoUsersConfig));
  auto client = ConnectWithInfo();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("PING\r\n"));
  EXPECT_TRUE(client->ExpectClosed(kAuthViolation));
  EXPECT_TRUE(LogShows(std::string(kFailurePrefix) + R"( - User ""$)"));
}

TEST_F(AuthLogTest, TraceRedactsPasswords) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kTwoUsersConfig, {"-DV"}));
  EXPECT_TRUE(Accepts(UserConnect("alice", kPlainPassword)));
  EXPECT_TRUE(Accepts(UserConnect("carol", kPassword2b)));
  EXPECT_TRUE(Rejects(UserConnect("alice", "Guess-five-8852")));
  EXPECT_TRUE(Rejects(UserConnect("carol", "Guess-six-9963")));
  EXPECT_TRUE(
      LogShows(R"(\[TRC\] 127\.0\.0\.1:\d+ - cid:\d+ - <<- \[CONNECT )"
               R"(\{"verbose":false,"pedantic":false,"user":"alice","pass":"\[REDACTED\]"\}\]$)"));
  EXPECT_TRUE(LogShows(R"(<<- \[CONNECT \{.*"user":"carol","pass":"\[REDACTED\]"\}\]$)"));
  EXPECT_TRUE(LogShows(std::string(kFailurePrefix) + R"( - User "carol"$)"));
  EXPECT_EQ(CountLogLines(R"("pass":"\[REDACTED\]")"), 4) << Log();
  ExpectSecretsAbsent(
      {std::string(kPlainPassword), std::string(kPassword2b), "Guess-five-8852", "Guess-six-9963"});
}

TEST_F(AuthLogTest, TraceAndTokens) {
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"-DV", "--auth", std::string(kPlainToken)}));
  EXPECT_TRUE(Accepts(TokenConnect(kPlainToken)));
  EXPECT_TRUE(Rejects(TokenConnect("Tok-guess-1123")));
  EXPECT_TRUE(LogShows(std::string(kFailurePrefix) + "$"));
  if (harness::IsNatsServer(spec())) {
    // nats-server 2.9.10 redacts only "pass": its trace shows tokens. ringnats does not
    // copy that leak.
    EXPECT_TRUE(LogShows(R"(<<- \[CONNECT \{.*"auth_token":"Tok-zq81-plain")"));
    return;
  }
  EXPECT_EQ(CountLogLines(R"(<<- \[CONNECT \{.*"auth_token":"\[REDACTED\]")"), 2) << Log();
  ExpectSecretsAbsent({std::string(kPlainToken), "Tok-guess-1123"});
}

TEST_F(AuthLogTest, PlaintextPasswordWarning) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kTwoUsersConfig));
  EXPECT_TRUE(LogShows(R"(\[WRN\] Plaintext passwords detected, use nkeys or bcrypt$)"));
}

TEST_F(AuthLogTest, NoPlaintextWarningWithOnlyHashesAndTokens) {
  ASSERT_NO_FATAL_FAILURE(StartServer(absl::StrFormat(
      "authorization {\n  users: [\n    {user: carol, password: \"%s\"}\n  ]\n}\n", kHash2b)));
  // The server is up (it has written its ports file), so its start-up lines are logged.
  EXPECT_TRUE(Accepts(UserConnect("carol", kPassword2b)));
  EXPECT_EQ(CountLogLines("Plaintext passwords"), 0) << Log();
}

}  // namespace
}  // namespace ringnats::authtest
