// Reloading users, passwords and tokens while clients are connected: the clients whose
// credentials no longer pass are closed with Authorization Violation, everyone else stays
// connected and keeps receiving.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "harness/raw_client.h"
#include "reload/reload_fixture.h"

namespace ringnats::reloadtest {
namespace {

using harness::Msg;
using harness::RawClient;

// Cost-4 bcrypt hashes (made once with `htpasswd -bnBC 4`). $2y$ hashes must be quoted in
// the config: unquoted, `$2y...` would be read as a variable.
constexpr char kAlicePassword[] = "Pw-alice-rl-4k2";
constexpr char kAliceHash[] = "$2y$04$audoM7P1f7eIOL607pc3zukiMK8z/tvTs3qb6PW4AAC9.6.zECK2W";
constexpr char kCarolOldPassword[] = "Pw-carol-rl-old8";
constexpr char kCarolOldHash[] = "$2y$04$upLecQV/h5b9/nbYPWabNeG.8PIHvXyKkXPX6DnkFa4meJTgQJTyu";
constexpr char kCarolNewPassword[] = "Pw-carol-rl-new3";
constexpr char kCarolNewHash[] = "$2y$04$rK0aSWZ/UAS4kJL0FrlHXOrRBbVVncDnaaikCjGLe5H9kEpUhpyXq";
constexpr char kBobPassword[] = "Pw-bob-rl-plain";
constexpr char kDavePassword[] = "Pw-dave-rl-plain";

std::string UsersConfig(const std::string& users) {
  return absl::StrFormat("authorization {\n  users: [\n%s  ]\n}\n", users);
}

std::string User(const std::string& name, const std::string& password) {
  return absl::StrFormat("    {user: %s, password: \"%s\"}\n", name, password);
}

class ReloadAuthTest : public ReloadTest {};

TEST_F(ReloadAuthTest, UsersAddedRemovedAndChangedWhileConnected) {
  ASSERT_NO_FATAL_FAILURE(StartServer(UsersConfig(
      User("alice", kAliceHash) + User("bob", kBobPassword) + User("carol", kCarolOldHash))));
  std::unique_ptr<RawClient> alice = Client(UserConnect("alice", kAlicePassword));
  std::unique_ptr<RawClient> bob = Client(UserConnect("bob", kBobPassword));
  std::unique_ptr<RawClient> carol = Client(UserConnect("carol", kCarolOldPassword));
  ASSERT_TRUE(alice && bob && carol);
  ASSERT_TRUE(alice->Send("SUB news 1\r\n"));
  ASSERT_TRUE(alice->Ping());
  // dave does not exist yet.
  ASSERT_TRUE(Rejected(UserConnect("dave", kDavePassword)));

  // bob removed, carol's password changed, dave added, alice (bcrypt) untouched.
  ASSERT_TRUE(Reload(UsersConfig(User("alice", kAliceHash) + User("carol", kCarolNewHash) +
                                 User("dave", kDavePassword))));

  // nats-server closes the client of a user that no longer exists without a word (it treats
  // it as having moved to another account), and a client whose password no longer matches
  // with Authorization Violation.
  EXPECT_TRUE(bob->ExpectClosed("")) << "removed user";
  EXPECT_TRUE(carol->ExpectClosed(kAuthViolation)) << "changed password";
  EXPECT_TRUE(alice->Ping()) << "unchanged user must stay connected";

  std::unique_ptr<RawClient> dave = Client(UserConnect("dave", kDavePassword));
  ASSERT_TRUE(dave) << "user added by the reload";
  ASSERT_TRUE(dave->Send("PUB news 5\r\nhello\r\n"));
  ASSERT_TRUE(dave->Ping());
  Msg msg;
  ASSERT_TRUE(alice->ReadMsg(&msg));
  EXPECT_EQ(msg.subject, "news");
  EXPECT_EQ(msg.sid, "1");
  EXPECT_EQ(msg.payload, "hello");

  EXPECT_TRUE(Rejected(UserConnect("bob", kBobPassword)));
  EXPECT_TRUE(Rejected(UserConnect("carol", kCarolOldPassword)));
  EXPECT_TRUE(Client(UserConnect("carol", kCarolNewPassword)));
  EXPECT_TRUE(Client(UserConnect("alice", kAlicePassword)));
  EXPECT_TRUE(alice->Ping());
}

TEST_F(ReloadAuthTest, UnchangedUsersSurviveManyReloads) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer(UsersConfig(User("alice", kAliceHash) + User("bob", kBobPassword))));
  std::unique_ptr<RawClient> alice = Client(UserConnect("alice", kAlicePassword));
  std::unique_ptr<RawClient> bob = Client(UserConnect("bob", kBobPassword));
  ASSERT_TRUE(alice && bob);
  ASSERT_TRUE(alice->Send("SUB news 1\r\n"));
  ASSERT_TRUE(alice->Ping());
  for (int round = 0; round < 3; ++round) {
    const std::string extra = User(absl::StrFormat("extra%d", round), kDavePassword);
    ASSERT_TRUE(Reload(UsersConfig(User("alice", kAliceHash) + User("bob", kBobPassword) + extra)))
        << "round " << round;
    const std::string payload = absl::StrFormat("round-%d", round);
    ASSERT_TRUE(bob->Send(absl::StrFormat("PUB news %d\r\n%s\r\n", payload.size(), payload)));
    ASSERT_TRUE(bob->Ping()) << "round " << round;
    Msg msg;
    ASSERT_TRUE(alice->ReadMsg(&msg)) << "round " << round;
    EXPECT_EQ(msg.payload, payload);
  }
  EXPECT_TRUE(alice->Ping());
  EXPECT_TRUE(bob->Ping());
}

TEST_F(ReloadAuthTest, TokenChangeClosesClientsOfTheOldToken) {
  ASSERT_NO_FATAL_FAILURE(StartServer("authorization { token: \"Tok-rl-first\" }\n"));
  std::unique_ptr<RawClient> old_token = Client(TokenConnect("Tok-rl-first"));
  ASSERT_TRUE(old_token);
  ASSERT_TRUE(Reload("authorization { token: \"Tok-rl-second\" }\n"));
  EXPECT_TRUE(old_token->ExpectClosed(kAuthViolation));
  EXPECT_TRUE(Rejected(TokenConnect("Tok-rl-first")));
  EXPECT_TRUE(Client(TokenConnect("Tok-rl-second")));
}

TEST_F(ReloadAuthTest, TurningAuthOnClosesAnonymousClients) {
  ASSERT_NO_FATAL_FAILURE(StartServer("max_payload: 1048576\n"));
  std::unique_ptr<RawClient> anonymous = Client();
  ASSERT_TRUE(anonymous);
  ASSERT_TRUE(Reload(UsersConfig(User("bob", kBobPassword))));
  EXPECT_TRUE(anonymous->ExpectClosed(kAuthViolation));
  EXPECT_TRUE(Rejected(R"({"verbose":false,"pedantic":false})"));
  EXPECT_TRUE(Client(UserConnect("bob", kBobPassword)));
}

TEST_F(ReloadAuthTest, TurningAuthOffAdmitsAnonymousAndDropsFormerUsers) {
  ASSERT_NO_FATAL_FAILURE(StartServer(UsersConfig(User("bob", kBobPassword))));
  std::unique_ptr<RawClient> bob = Client(UserConnect("bob", kBobPassword));
  ASSERT_TRUE(bob);
  ASSERT_TRUE(Reload("max_payload: 1048576\n"));
  std::unique_ptr<RawClient> anonymous = Client();
  ASSERT_TRUE(anonymous) << "auth is off after the reload";
  // bob's user no longer exists: nats-server closes his connection silently, as for a user
  // removed from the list. He can come back at once.
  EXPECT_TRUE(bob->ExpectClosed(""));
  EXPECT_TRUE(Client(UserConnect("bob", kBobPassword)));
  EXPECT_TRUE(anonymous->Ping());
}

}  // namespace
}  // namespace ringnats::reloadtest
