#include "ringnats/auth/authenticate.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace ringnats::auth {
namespace {

using Kind = Verdict::Kind;

// "foo", from nats-server's test/configs/authorization.conf.
constexpr std::string_view kFooHash =
    "$2a$04$P/.bd.7unw9Ew7yWJqXsl.f4oNRLQGvadEL2YnqQXbbb.IVQajRdK";

AuthConfig TokenConfig(std::string token) {
  AuthConfig config;
  config.mode = AuthConfig::Mode::kToken;
  config.token = std::move(token);
  return config;
}

AuthConfig SingleUserConfig(std::string user, std::string password) {
  AuthConfig config;
  config.mode = AuthConfig::Mode::kSingleUser;
  config.single_user.name = std::move(user);
  config.single_user.password = std::move(password);
  return config;
}

// alice: plain "wonderland"; bob: bcrypt of "foo".
AuthConfig UsersConfig(std::string no_auth_user = "") {
  AuthConfig config;
  config.mode = AuthConfig::Mode::kUsers;
  config.users["alice"] = User{.name = "alice", .password = "wonderland"};
  config.users["bob"] = User{.name = "bob", .password = std::string(kFooHash)};
  config.no_auth_user = std::move(no_auth_user);
  return config;
}

Credentials UserPass(std::string_view user, std::string_view pass) {
  return Credentials{.user = user, .pass = pass};
}

Credentials Token(std::string_view token) {
  return Credentials{.token = token};
}

TEST(AuthenticateTest, NoAuthAcceptsAnything) {
  AuthConfig config;
  EXPECT_FALSE(config.enabled());
  EXPECT_FALSE(config.auth_required());
  for (const Credentials& c : {Credentials{}, UserPass("x", "y"), Token("t")}) {
    const Verdict v = Authenticate(config, c);
    EXPECT_EQ(v.kind, Kind::kAccept);
    EXPECT_EQ(v.user, nullptr);
  }
}

TEST(AuthenticateTest, PlainToken) {
  const AuthConfig config = TokenConfig("s3cr3t");
  EXPECT_TRUE(config.auth_required());
  EXPECT_EQ(Authenticate(config, Token("s3cr3t")).kind, Kind::kAccept);
  EXPECT_EQ(Authenticate(config, Token("s3cr3T")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, Token("s3cr3")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, Credentials{}).kind, Kind::kReject);
  // The token goes in auth_token; the same text as a password does not count.
  EXPECT_EQ(Authenticate(config, UserPass("s3cr3t", "s3cr3t")).kind, Kind::kReject);
  // User and password next to the right token are ignored.
  Credentials both = Token("s3cr3t");
  both.user = "who";
  both.pass = "ever";
  EXPECT_EQ(Authenticate(config, both).kind, Kind::kAccept);
}

TEST(AuthenticateTest, TokenVerdictsNameNoUser) {
  const AuthConfig config = TokenConfig("s3cr3t");
  for (std::string_view token : {"s3cr3t", "wrong"}) {
    const Verdict v = Authenticate(config, Token(token));
    EXPECT_EQ(v.user, nullptr);
    EXPECT_FALSE(v.log_user_named);
    EXPECT_TRUE(v.log_user.empty());
  }
}

TEST(AuthenticateTest, BcryptTokenNeedsHash) {
  const AuthConfig config = TokenConfig(std::string(kFooHash));
  const Verdict v = Authenticate(config, Token("foo"));
  EXPECT_EQ(v.kind, Kind::kNeedsHash);
  EXPECT_EQ(v.stored_hash, kFooHash);
  EXPECT_EQ(v.secret, "foo");
  EXPECT_EQ(v.user, nullptr);
  // Whatever was sent is for the hash to judge, even empty.
  const Verdict empty = Authenticate(config, Credentials{});
  EXPECT_EQ(empty.kind, Kind::kNeedsHash);
  EXPECT_EQ(empty.secret, "");
}

TEST(AuthenticateTest, SingleUser) {
  const AuthConfig config = SingleUserConfig("derek", "p@ss");
  const Verdict ok = Authenticate(config, UserPass("derek", "p@ss"));
  EXPECT_EQ(ok.kind, Kind::kAccept);
  EXPECT_EQ(ok.user, &config.single_user);
  EXPECT_FALSE(ok.log_user_named);

  EXPECT_EQ(Authenticate(config, UserPass("derek", "p@sS")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, UserPass("derek", "")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, UserPass("Derek", "p@ss")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, UserPass("derekk", "p@ss")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, UserPass("", "p@ss")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, Token("p@ss")).kind, Kind::kReject);
  const Verdict bad = Authenticate(config, UserPass("derek", "nope"));
  EXPECT_EQ(bad.user, nullptr);  // authenticate.h: null for rejections
  EXPECT_FALSE(bad.log_user_named);
}

TEST(AuthenticateTest, SingleUserWithoutPassword) {
  // `--user derek` alone: that user, empty password.
  const AuthConfig config = SingleUserConfig("derek", "");
  EXPECT_EQ(Authenticate(config, UserPass("derek", "")).kind, Kind::kAccept);
  EXPECT_EQ(Authenticate(config, UserPass("derek", "x")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, Credentials{}).kind, Kind::kReject);
}

TEST(AuthenticateTest, SingleUserBcrypt) {
  const AuthConfig config = SingleUserConfig("derek", std::string(kFooHash));
  const Verdict v = Authenticate(config, UserPass("derek", "foo"));
  EXPECT_EQ(v.kind, Kind::kNeedsHash);
  EXPECT_EQ(v.user, &config.single_user);
  EXPECT_EQ(v.stored_hash, kFooHash);
  EXPECT_EQ(v.secret, "foo");
  // A wrong name is refused without spending a hash on it.
  EXPECT_EQ(Authenticate(config, UserPass("other", "foo")).kind, Kind::kReject);
}

TEST(AuthenticateTest, UsersListPlainPassword) {
  const AuthConfig config = UsersConfig();
  EXPECT_TRUE(config.auth_required());
  const Verdict ok = Authenticate(config, UserPass("alice", "wonderland"));
  EXPECT_EQ(ok.kind, Kind::kAccept);
  ASSERT_NE(ok.user, nullptr);
  EXPECT_EQ(ok.user->name, "alice");
  EXPECT_EQ(ok.user, &config.users.find("alice")->second);

  const Verdict bad = Authenticate(config, UserPass("alice", "Wonderland"));
  EXPECT_EQ(bad.kind, Kind::kReject);
  EXPECT_EQ(bad.user, nullptr);  // authenticate.h: null for rejections
  EXPECT_TRUE(bad.log_user_named);
  EXPECT_EQ(bad.log_user, "alice");
  // Someone else's password does not do.
  EXPECT_EQ(Authenticate(config, UserPass("bob", "wonderland")).kind, Kind::kNeedsHash);
  EXPECT_EQ(Authenticate(config, UserPass("ALICE", "wonderland")).kind, Kind::kReject);
}

TEST(AuthenticateTest, UsersListBcryptPasswordNeedsHash) {
  const AuthConfig config = UsersConfig();
  const Verdict v = Authenticate(config, UserPass("bob", "foo"));
  EXPECT_EQ(v.kind, Kind::kNeedsHash);
  ASSERT_NE(v.user, nullptr);
  EXPECT_EQ(v.user->name, "bob");
  EXPECT_EQ(v.stored_hash, kFooHash);
  EXPECT_EQ(v.secret, "foo");
  EXPECT_TRUE(v.log_user_named);
  EXPECT_EQ(v.log_user, "bob");
}

TEST(AuthenticateTest, UnknownUserIsNamedInTheLog) {
  // nats-server: `authentication error - User "dave"`.
  const AuthConfig config = UsersConfig();
  const Verdict v = Authenticate(config, UserPass("dave", "wonderland"));
  EXPECT_EQ(v.kind, Kind::kReject);
  EXPECT_EQ(v.user, nullptr);
  EXPECT_TRUE(v.log_user_named);
  EXPECT_EQ(v.log_user, "dave");
}

TEST(AuthenticateTest, UsersListWithoutUserFails) {
  // `authentication error - User ""`: no user in CONNECT falls through to a check that fails.
  const AuthConfig config = UsersConfig();
  for (const Credentials& c : {Credentials{}, UserPass("", "wonderland"), Token("wonderland")}) {
    const Verdict v = Authenticate(config, c);
    EXPECT_EQ(v.kind, Kind::kReject);
    EXPECT_TRUE(v.log_user_named);
    EXPECT_EQ(v.log_user, "");
  }
}

TEST(AuthenticateTest, NoAuthUserTakesClientsWithoutCredentials) {
  const AuthConfig config = UsersConfig("alice");
  EXPECT_TRUE(config.enabled());
  EXPECT_FALSE(config.auth_required());
  ASSERT_NE(NoAuthUser(config), nullptr);
  EXPECT_EQ(NoAuthUser(config)->name, "alice");

  const Verdict v = Authenticate(config, Credentials{});
  EXPECT_EQ(v.kind, Kind::kAccept);
  EXPECT_EQ(v.user, NoAuthUser(config));
}

TEST(AuthenticateTest, NoAuthUserDoesNotRescueBadCredentials) {
  const AuthConfig config = UsersConfig("alice");
  // Credentials given: checked as usual, no fallback.
  EXPECT_EQ(Authenticate(config, UserPass("alice", "wonderland")).kind, Kind::kAccept);
  EXPECT_EQ(Authenticate(config, UserPass("alice", "nope")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, UserPass("dave", "")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, UserPass("", "wonderland")).kind, Kind::kReject);
  EXPECT_EQ(Authenticate(config, Token("wonderland")).kind, Kind::kReject);
  const Verdict other = Authenticate(config, UserPass("bob", "foo"));
  EXPECT_EQ(other.kind, Kind::kNeedsHash);
  EXPECT_EQ(other.user->name, "bob");
}

TEST(AuthenticateTest, NoAuthUserWithBcryptPasswordIsRejectedLikeNatsServer) {
  // Observed on nats-server 2.9.10: it logs the client in as no_auth_user by copying that
  // user's stored password into the client's and comparing as usual, so a bcrypt hash is
  // checked against itself and fails: `authentication error - User ""`,
  // -ERR 'Authorization Violation'. (Still so in nats-server's main branch.)
  const AuthConfig config = UsersConfig("bob");
  const Verdict v = Authenticate(config, Credentials{});
  EXPECT_EQ(v.kind, Kind::kReject);
  EXPECT_TRUE(v.log_user_named);
  EXPECT_EQ(v.log_user, "");
}

TEST(AuthenticateTest, NoAuthUserThatDoesNotExist) {
  // The config loader refuses this at start-up; here it just means no fallback.
  const AuthConfig config = UsersConfig("zed");
  EXPECT_EQ(NoAuthUser(config), nullptr);
  EXPECT_EQ(Authenticate(config, Credentials{}).kind, Kind::kReject);
}

TEST(AuthenticateTest, NoAuthUserOnlyMeansSomethingWithAUsersList) {
  AuthConfig config = SingleUserConfig("derek", "p@ss");
  config.no_auth_user = "derek";
  EXPECT_EQ(NoAuthUser(config), nullptr);
  EXPECT_EQ(Authenticate(config, Credentials{}).kind, Kind::kReject);
}

}  // namespace
}  // namespace ringnats::auth
