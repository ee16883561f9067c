// no_auth_user (nats-reference.md §2.1): a client that presents no credentials (or sends no
// CONNECT at all) is logged in as that user, with its permissions; INFO then omits
// auth_required. Credentials that are presented must still be right.

#include <gtest/gtest.h>

#include <string>

#include "auth/auth_fixture.h"
#include "auth/shared_configs.h"

namespace ringnats::authtest {
namespace {

constexpr std::chrono::milliseconds kGuard{5000};

class NoAuthUserTest : public AuthTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer(kNoAuthUserConfig, {"-D"})); }
};

TEST_F(NoAuthUserTest, InfoOmitsAuthRequired) {
  nlohmann::ordered_json info;
  ASSERT_TRUE(ConnectWithInfo(&info));
  EXPECT_FALSE(info.contains("auth_required")) << info.dump();
}

TEST_F(NoAuthUserTest, ConnectWithoutCredentialsIsTheDefaultUser) {
  auto client = Login(AnonymousConnect());
  ASSERT_TRUE(client);
  ASSERT_TRUE(
      client->Send("SUB public.a 1\r\nSUB private 2\r\nPUB public.a 1\r\na\r\n"
                   "PUB private 1\r\np\r\nPING\r\n"));
  EXPECT_TRUE(client->Expect(SubViolation("private") + "MSG public.a 1 1\r\na\r\n" +
                             PubViolation("private") + "PONG\r\n"));
  EXPECT_TRUE(LogShows(R"( - Publish Violation - User "guest", Subject "private"$)"));
}

TEST_F(NoAuthUserTest, NoConnectAtAllIsTheDefaultUser) {
  auto client = ConnectWithInfo();
  ASSERT_TRUE(client);
  // No CONNECT means the defaults, verbose included.
  ASSERT_TRUE(client->Send("PUB public.a 0\r\n\r\nPUB private 0\r\n\r\nPING\r\n"));
  EXPECT_TRUE(client->Expect("+OK\r\n" + PubViolation("private") + "PONG\r\n"));
}

TEST_F(NoAuthUserTest, RightCredentialsLogInAsThatUser) {
  auto admin = Login(UserConnect("admin", "Pw-admin-77"));
  ASSERT_TRUE(admin);
  ASSERT_TRUE(admin->Send("SUB private 1\r\nPUB private 1\r\np\r\n"));
  EXPECT_TRUE(admin->Expect("MSG private 1 1\r\np\r\n"));
  auto guest = Login(UserConnect("guest", "Pw-guest-31"));
  ASSERT_TRUE(guest);
  ASSERT_TRUE(guest->Send("PUB private 0\r\n\r\nPING\r\n"));
  EXPECT_TRUE(guest->Expect(PubViolation("private") + "PONG\r\n"));
}

TEST_F(NoAuthUserTest, WrongCredentialsAreRejected) {
  EXPECT_TRUE(Rejects(UserConnect("admin", "Pw-admin-78")));
  EXPECT_TRUE(Rejects(UserConnect("guest", "wrong")));
  EXPECT_TRUE(Rejects(UserConnect("nobody", "x")));
  EXPECT_TRUE(Rejects(UserOnlyConnect("admin")));
  EXPECT_TRUE(Rejects(TokenConnect("Pw-admin-77")));
  EXPECT_TRUE(LogShows(R"(authentication error - User "admin"$)"));
}

// nats-server still arms the authentication deadline; only a client that does nothing at
// all runs into it (any operation logs it in as the default user).
TEST_F(NoAuthUserTest, SilentClientIsStillTimedOut) {
  auto client = ConnectWithInfo();
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->ExpectClosed(kAuthTimeout, kGuard));
}

}  // namespace
}  // namespace ringnats::authtest
