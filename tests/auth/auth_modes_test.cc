// Every way of configuring client authentication (nats-reference.md §2.1–2.3), each with
// credentials that must be accepted and credentials that must be rejected. Every case starts
// its own server, checks that INFO announces auth_required, and after a rejection shows that
// the right credentials still log in.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "auth/auth_fixture.h"
#include "auth/shared_configs.h"
#include "auth/credentials.h"

namespace ringnats::authtest {
namespace {

struct LoginCase {
  const char* name;
  std::string config;
  std::vector<std::string> args;
  std::string connect;  // CONNECT JSON under test
  bool accepted;
  std::string good_connect;  // credentials that must work on the same server
};

void PrintTo(const LoginCase& c, std::ostream* os) {
  *os << c.name;
}

class LoginTest : public AuthTest, public ::testing::WithParamInterface<LoginCase> {};

TEST_P(LoginTest, AcceptsOnlyTheRightCredentials) {
  const LoginCase& c = GetParam();
  ASSERT_NO_FATAL_FAILURE(StartServer(c.config, c.args));
  nlohmann::ordered_json info;
  auto client = ConnectWithInfo(&info);
  ASSERT_TRUE(client);
  EXPECT_EQ(info.value("auth_required", false), true) << info.dump();
  if (c.accepted) {
    EXPECT_TRUE(LogsIn(*client, c.connect));
    // Logged in means usable: a message goes round through the server.
    ASSERT_TRUE(client->Send("SUB login.check 1\r\nPUB login.check 2\r\nok\r\n"));
    const std::string ok = IsVerboseConnect(c.connect) ? "+OK\r\n" : "";
    EXPECT_TRUE(client->Expect(ok + ok + "MSG login.check 1 2\r\nok\r\n"));
  } else {
    EXPECT_TRUE(IsRejected(*client, c.connect));
    EXPECT_TRUE(Accepts(c.good_connect)) << "right credentials after a rejection";
  }
}

std::string CaseName(const ::testing::TestParamInfo<LoginCase>& info) {
  return info.param.name;
}

std::string Str(std::string_view s) {
  return std::string(s);
}

const std::vector<std::string> kUserFlags = {"--user", Str(kPlainUser), "--pass",
                                             Str(kPlainPassword)};
const std::vector<std::string> kTokenFlags = {"--auth", Str(kPlainToken)};
const std::string kGoodUser = UserConnect(kPlainUser, kPlainPassword);
const std::string kGoodToken = TokenConnect(kPlainToken);

INSTANTIATE_TEST_SUITE_P(
    UserPassFlags, LoginTest,
    ::testing::Values(
        LoginCase{"Right", "", kUserFlags, kGoodUser, true, ""},
        LoginCase{"RightVerbose", "", kUserFlags,
                  UserConnect(kPlainUser, kPlainPassword, /*verbose=*/true), true, ""},
        LoginCase{"WrongPassword", "", kUserFlags, UserConnect(kPlainUser, "Pw-alice-7f3kQ"), false,
                  kGoodUser},
        LoginCase{"WrongUser", "", kUserFlags, UserConnect("bob", kPlainPassword), false,
                  kGoodUser},
        LoginCase{"UserIsCaseSensitive", "", kUserFlags, UserConnect("Alice", kPlainPassword),
                  false, kGoodUser},
        LoginCase{"NoCredentials", "", kUserFlags, AnonymousConnect(), false, kGoodUser},
        LoginCase{"UserWithoutPassword", "", kUserFlags, UserOnlyConnect(kPlainUser), false,
                  kGoodUser},
        LoginCase{"EmptyPassword", "", kUserFlags, UserConnect(kPlainUser, ""), false, kGoodUser},
        LoginCase{"TokenInsteadOfUser", "", kUserFlags, TokenConnect(kPlainPassword), false,
                  kGoodUser},
        LoginCase{"BcryptPassword",
                  "",
                  {"--user", "bob", "--pass", Str(kHash2a)},
                  UserConnect("bob", kPassword2a),
                  true,
                  ""},
        LoginCase{"BcryptPasswordWrong",
                  "",
                  {"--user", "bob", "--pass", Str(kHash2a)},
                  UserConnect("bob", kPassword2b),
                  false,
                  UserConnect("bob", kPassword2a)},
        LoginCase{"BcryptHashItselfIsNotThePassword",
                  "",
                  {"--user", "bob", "--pass", Str(kHash2a)},
                  UserConnect("bob", kHash2a),
                  false,
                  UserConnect("bob", kPassword2a)}),
    CaseName);

const std::vector<std::string> kBothFlags = {
    "--auth", Str(kPlainToken), "--user", Str(kPlainUser), "--pass", Str(kPlainPassword)};

INSTANTIATE_TEST_SUITE_P(
    TokenFlag, LoginTest,
    ::testing::Values(
        LoginCase{"Right", "", kTokenFlags, kGoodToken, true, ""},
        LoginCase{"RightVerbose", "", kTokenFlags, TokenConnect(kPlainToken, /*verbose=*/true),
                  true, ""},
        LoginCase{"Wrong", "", kTokenFlags, TokenConnect("Tok-zq81-plaim"), false, kGoodToken},
        LoginCase{"NoCredentials", "", kTokenFlags, AnonymousConnect(), false, kGoodToken},
        LoginCase{"TokenAsPassword", "", kTokenFlags, UserConnect("alice", kPlainToken), false,
                  kGoodToken},
        // With --auth and --user/--pass together only the token counts.
        LoginCase{"TokenBeatsUserPass", "", kBothFlags, kGoodToken, true, ""},
        LoginCase{"UserPassIgnoredWhenTokenSet", "", kBothFlags, kGoodUser, false, kGoodToken},
        LoginCase{"BcryptToken",
                  "",
                  {"--auth", Str(kBcryptTokenHash)},
                  TokenConnect(kBcryptToken),
                  true,
                  ""},
        LoginCase{"BcryptTokenHashItself",
                  "",
                  {"--auth", Str(kBcryptTokenHash)},
                  TokenConnect(kBcryptTokenHash),
                  false,
                  TokenConnect(kBcryptToken)}),
    CaseName);

const std::string kSingleUserConfig = absl::StrFormat(
    "authorization {\n  user: %s\n  password: \"%s\"\n}\n", kPlainUser, kPlainPassword);
const std::string kAliasConfig = absl::StrFormat(
    "authorization {\n  username: %s\n  pass: \"%s\"\n}\n", kPlainUser, kPlainPassword);
// The unquoted $2a$ hash is nats-server's special case; $2b$ and $2y$ must be quoted.
const std::string kUnquoted2aConfig =
    absl::StrFormat("authorization {\n  user: bob\n  password: %s\n}\n", kHash2a);
const std::string kQuoted2yConfig =
    absl::StrFormat("authorization {\n  user: dave\n  password: \"%s\"\n}\n", kHash2y);
const std::string kVariableConfig =
    "PASS: \"Pw-var-81x\"\n"
    "authorization {\n  user: alice\n  password: $PASS\n}\n";

INSTANTIATE_TEST_SUITE_P(
    ConfigSingleUser, LoginTest,
    ::testing::Values(
        LoginCase{"Right", kSingleUserConfig, {}, kGoodUser, true, ""},
        LoginCase{"WrongPassword",
                  kSingleUserConfig,
                  {},
                  UserConnect(kPlainUser, "nope"),
                  false,
                  kGoodUser},
        LoginCase{"WrongUser",
                  kSingleUserConfig,
                  {},
                  UserConnect("eve", kPlainPassword),
                  false,
                  kGoodUser},
        LoginCase{"NoCredentials", kSingleUserConfig, {}, AnonymousConnect(), false, kGoodUser},
        LoginCase{"AliasKeys", kAliasConfig, {}, kGoodUser, true, ""},
        LoginCase{"AliasKeysWrongPassword",
                  kAliasConfig,
                  {},
                  UserConnect(kPlainUser, "x"),
                  false,
                  kGoodUser},
        LoginCase{
            "Unquoted2aHash", kUnquoted2aConfig, {}, UserConnect("bob", kPassword2a), true, ""},
        LoginCase{"Unquoted2aHashWrong",
                  kUnquoted2aConfig,
                  {},
                  UserConnect("bob", "s3cret-A"),
                  false,
                  UserConnect("bob", kPassword2a)},
        LoginCase{"Quoted2yHash", kQuoted2yConfig, {}, UserConnect("dave", kPassword2y), true, ""},
        LoginCase{"Quoted2yHashWrong",
                  kQuoted2yConfig,
                  {},
                  UserConnect("dave", kPassword2a),
                  false,
                  UserConnect("dave", kPassword2y)},
        LoginCase{"PasswordFromVariable",
                  kVariableConfig,
                  {},
                  UserConnect("alice", "Pw-var-81x"),
                  true,
                  ""},
        LoginCase{"PasswordFromVariableWrong",
                  kVariableConfig,
                  {},
                  UserConnect("alice", "$PASS"),
                  false,
                  UserConnect("alice", "Pw-var-81x")}),
    CaseName);

const std::string kTokenConfig =
    absl::StrFormat("authorization {\n  token: \"%s\"\n}\n", kPlainToken);
const std::string kBcryptTokenConfig =
    absl::StrFormat("authorization {\n  token: \"%s\"\n}\n", kBcryptTokenHash);

INSTANTIATE_TEST_SUITE_P(
    ConfigToken, LoginTest,
    ::testing::Values(
        LoginCase{"Right", kTokenConfig, {}, kGoodToken, true, ""},
        LoginCase{"Wrong", kTokenConfig, {}, TokenConnect("tok-zq81-plain"), false, kGoodToken},
        LoginCase{"Empty", kTokenConfig, {}, TokenConnect(""), false, kGoodToken},
        LoginCase{
            "UserPassInstead", kTokenConfig, {}, UserConnect("x", kPlainToken), false, kGoodToken},
        LoginCase{"Bcrypt", kBcryptTokenConfig, {}, TokenConnect(kBcryptToken), true, ""},
        LoginCase{"BcryptWrong",
                  kBcryptTokenConfig,
                  {},
                  TokenConnect("tok-bcrypT"),
                  false,
                  TokenConnect(kBcryptToken)}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    ConfigUsers, LoginTest,
    ::testing::Values(
        LoginCase{"PlainRight", kUsersConfig, {}, kGoodUser, true, ""},
        LoginCase{"PlainWrongPassword",
                  kUsersConfig,
                  {},
                  UserConnect("alice", "Pw-alice-7f3k"),
                  false,
                  kGoodUser},
        LoginCase{"OtherUsersPassword",
                  kUsersConfig,
                  {},
                  UserConnect("alice", kPassword2a),
                  false,
                  kGoodUser},
        LoginCase{"UnknownUser",
                  kUsersConfig,
                  {},
                  UserConnect("mallory", kPlainPassword),
                  false,
                  kGoodUser},
        LoginCase{"NoUser", kUsersConfig, {}, AnonymousConnect(), false, kGoodUser},
        LoginCase{"PasswordWithoutUser",
                  kUsersConfig,
                  {},
                  UserConnect("", kPlainPassword),
                  false,
                  kGoodUser},
        LoginCase{
            "UserWithoutPassword", kUsersConfig, {}, UserOnlyConnect("alice"), false, kGoodUser},
        LoginCase{
            "TokenNotAccepted", kUsersConfig, {}, TokenConnect(kPlainPassword), false, kGoodUser},
        LoginCase{"Bcrypt2aRight", kUsersConfig, {}, UserConnect("bob", kPassword2a), true, ""},
        LoginCase{
            "Bcrypt2aWrong", kUsersConfig, {}, UserConnect("bob", kPassword2b), false, kGoodUser},
        LoginCase{
            "Bcrypt2aHashItself", kUsersConfig, {}, UserConnect("bob", kHash2a), false, kGoodUser},
        LoginCase{"Bcrypt2bRight", kUsersConfig, {}, UserConnect("carol", kPassword2b), true, ""},
        LoginCase{
            "Bcrypt2bWrong", kUsersConfig, {}, UserConnect("carol", kPassword2y), false, kGoodUser},
        LoginCase{"Bcrypt2yRight", kUsersConfig, {}, UserConnect("dave", kPassword2y), true, ""},
        LoginCase{"Bcrypt2yWrong", kUsersConfig, {}, UserConnect("dave", ""), false, kGoodUser},
        LoginCase{"VariableRight", kUsersConfig, {}, UserConnect("erin", "Pw-var-81x"), true, ""},
        LoginCase{
            "VariableWrong", kUsersConfig, {}, UserConnect("erin", "$PASS"), false, kGoodUser}),
    CaseName);

// Before CONNECT, any operation on a server that requires auth is an Authorization
// Violation, even one that would otherwise be an unknown-operation error.
class FirstOpTest : public AuthTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(FirstOpTest, IsAuthorizationViolation) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kSingleUserConfig));
  auto client = ConnectWithInfo();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(GetParam()));
  EXPECT_TRUE(client->ExpectClosed(kAuthViolation));
  EXPECT_TRUE(Accepts(kGoodUser));
}

INSTANTIATE_TEST_SUITE_P(AuthRequired, FirstOpTest,
                         ::testing::Values("PING\r\n", "PONG\r\n", "SUB foo 1\r\n",
                                           "PUB foo 2\r\nhi\r\n", "UNSUB 1\r\n",
                                           "HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n", "FOO\r\n"));

class AuthBehaviourTest : public AuthTest {};

TEST_F(AuthBehaviourTest, InfoHasNoAuthRequiredWithoutAuth) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  nlohmann::ordered_json info;
  ASSERT_TRUE(ConnectWithInfo(&info));
  EXPECT_FALSE(info.contains("auth_required")) << info.dump();
}

TEST_F(AuthBehaviourTest, ConfigAuthorizationWithoutUsersStillRequiresNothing) {
  // A timeout alone configures no credentials.
  ASSERT_NO_FATAL_FAILURE(StartServer("authorization {\n  timeout: 1\n}\n"));
  nlohmann::ordered_json info;
  auto client = ConnectWithInfo(&info);
  ASSERT_TRUE(client);
  EXPECT_FALSE(info.contains("auth_required")) << info.dump();
  EXPECT_TRUE(LogsIn(*client, AnonymousConnect()));
}

// Operations pipelined behind a CONNECT that needs a bcrypt verification run after it, in
// order.
TEST_F(AuthBehaviourTest, OpsBehindPendingBcryptConnectRunInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kUsersConfig));
  auto client = ConnectWithInfo();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(absl::StrFormat(
      "CONNECT %s\r\nSUB order.a 1\r\nPUB order.a 3\r\none\r\nPING\r\nPUB order.a 3\r\ntwo\r\n"
      "PING\r\n",
      UserConnect("carol", kPassword2b))));
  EXPECT_TRUE(
      client->Expect("MSG order.a 1 3\r\none\r\nPONG\r\nMSG order.a 1 3\r\ntwo\r\nPONG\r\n"));
}

// Nothing pipelined behind a rejected CONNECT may take effect.
TEST_F(AuthBehaviourTest, OpsBehindRejectedConnectNeverRun) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kUsersConfig));
  auto watcher = Login(kGoodUser);
  ASSERT_TRUE(watcher);
  ASSERT_TRUE(watcher->Send("SUB leak 1\r\n"));
  ASSERT_TRUE(watcher->Ping());
  for (const std::string& bad :
       {UserConnect("carol", "wrong-b"), UserConnect("alice", "wrong-a")}) {
    auto attacker = ConnectWithInfo();
    ASSERT_TRUE(attacker);
    ASSERT_TRUE(
        attacker->Send(absl::StrFormat("CONNECT %s\r\nSUB leak 2\r\nPUB leak 4\r\nleak\r\n", bad)));
    EXPECT_TRUE(attacker->ExpectClosed(kAuthViolation)) << bad;
  }
  auto publisher = Login(kGoodUser);
  ASSERT_TRUE(publisher);
  ASSERT_TRUE(publisher->Send("PUB leak 2\r\nok\r\n"));
  ASSERT_TRUE(publisher->Ping());
  EXPECT_TRUE(watcher->Expect("MSG leak 1 2\r\nok\r\n"));
  EXPECT_TRUE(watcher->Ping());
}

// A second CONNECT is authenticated again; wrong credentials there end the connection.
TEST_F(AuthBehaviourTest, SecondConnectWithWrongPasswordIsRejected) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kUsersConfig));
  for (const auto& [good, bad] :
       {std::pair{kGoodUser, UserConnect("alice", "wrong")},
        std::pair{UserConnect("carol", kPassword2b), UserConnect("carol", "wrong")}}) {
    auto client = Login(good);
    ASSERT_TRUE(client);
    EXPECT_TRUE(IsRejected(*client, bad));
  }
}

// A CONNECT carrying an account is rejected without accounts configured.
TEST_F(AuthBehaviourTest, ConnectWithAccountIsRejected) {
  ASSERT_NO_FATAL_FAILURE(StartServer(kSingleUserConfig));
  nlohmann::ordered_json connect = nlohmann::ordered_json::parse(kGoodUser);
  connect["account"] = "A";
  EXPECT_TRUE(Rejects(connect.dump()));
}

}  // namespace
}  // namespace ringnats::authtest
