// Differential auth test: the same raw transcripts go to nats-server (the reference) and to
// the server under test, configured identically; the replies must be byte-identical, and
// both servers must agree on which connections they closed.
//
// INFO is normalised to the fields auth changes or clients depend on (auth_required,
// headers, max_payload, proto, version); ids, ports and names differ by nature.
//
// A step sends bytes on one connection (opened on first use) and then, by default, sends
// PING and records everything before the PONG, or up to the close. Other endings: wait for
// the server to close (auth timeouts), or read through an expected frame (deliveries from
// another connection: everything before it is recorded too, so a message that should have
// been filtered shows up).

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "auth/auth_fixture.h"
#include "auth/shared_configs.h"
#include "auth/credentials.h"
#include "harness/raw_client.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"

namespace ringnats::authtest {
namespace {

using harness::Escape;
using harness::RawClient;

constexpr std::chrono::milliseconds kStepTimeout{3000};
constexpr std::chrono::milliseconds kCloseTimeout{5000};

enum class Then { kPing, kAwaitClose, kReadThrough };

struct Step {
  int conn = 0;
  std::string bytes;
  Then then = Then::kPing;
  std::string needle;  // kReadThrough
};

struct Transcript {
  const char* name;
  std::string config;
  std::vector<std::string> args;
  std::vector<Step> steps;
};

void PrintTo(const Transcript& t, std::ostream* os) {
  *os << t.name;
}

Step Ping(int conn, std::string bytes) {
  return Step{conn, std::move(bytes), Then::kPing, ""};
}
Step AwaitClose(int conn, std::string bytes) {
  return Step{conn, std::move(bytes), Then::kAwaitClose, ""};
}
Step ReadThrough(int conn, std::string needle) {
  return Step{conn, "", Then::kReadThrough, std::move(needle)};
}

std::string Connect(std::string_view json) {
  return absl::StrFormat("CONNECT %s\r\n", json);
}
std::string Login(std::string_view user, std::string_view pass, bool verbose = false) {
  return Connect(UserConnect(user, pass, verbose));
}

std::string NormaliseInfo(const nlohmann::ordered_json& info) {
  auto field = [&](const char* name) {
    return info.contains(name) ? info[name].dump() : std::string("<absent>");
  };
  return absl::StrFormat("INFO auth_required=%s headers=%s max_payload=%s proto=%s version=%s",
                         field("auth_required"), field("headers"), field("max_payload"),
                         field("proto"), field("version"));
}

// Runs `t` against one server; returns a printable record of everything observed.
std::string RunTranscript(const harness::ServerSpec& spec, const Transcript& t) {
  absl::StatusOr<std::unique_ptr<harness::ServerProcess>> server =
      harness::ServerProcess::Start({spec, t.config, t.args});
  if (!server.ok()) {
    ADD_FAILURE() << harness::Describe(spec) << ": " << server.status();
    return "<no server>";
  }
  std::map<int, std::unique_ptr<RawClient>> clients;
  std::map<int, bool> closed;
  std::string record;
  for (size_t i = 0; i < t.steps.size(); ++i) {
    const Step& step = t.steps[i];
    std::unique_ptr<RawClient>& client = clients[step.conn];
    if (client == nullptr) {
      absl::StatusOr<std::unique_ptr<RawClient>> connected = RawClient::Connect((*server)->port());
      if (!connected.ok()) {
        ADD_FAILURE() << connected.status();
        return record + "<no connection>";
      }
      client = std::move(*connected);
      nlohmann::ordered_json info;
      std::string line;
      const bool info_ok = static_cast<bool>(client->ReadInfo(&info, &line));
      record += absl::StrFormat("conn%d %s\n", step.conn,
                                info_ok ? NormaliseInfo(info) : "bad INFO: " + Escape(line));
    }
    if (closed[step.conn]) {
      record += absl::StrFormat("conn%d step%d skipped: closed\n", step.conn, i);
      continue;
    }
    if (!step.bytes.empty()) {
      (void)client->Send(step.bytes);  // the server may have closed already; reading tells
    }
    std::string reply;
    std::string outcome;
    switch (step.then) {
      case Then::kPing: {
        bool was_closed = false;
        if (!client->PingCollect(&reply, &was_closed, kStepTimeout)) {
          reply = client->TakeBuffered();
          outcome = " NO-PONG";
        } else if (was_closed) {
          outcome = " CLOSED";
        }
        closed[step.conn] = was_closed;
        break;
      }
      case Then::kAwaitClose: {
        const bool closed_now = static_cast<bool>(client->ReadUntil(
            [&](std::string_view) { return client->eof(); }, &reply, kCloseTimeout));
        if (!closed_now) {
          reply = client->TakeBuffered();
        }
        closed[step.conn] = closed_now;
        outcome = closed_now ? " CLOSED" : " STILL-OPEN";
        break;
      }
      case Then::kReadThrough:
        if (!client->ReadThrough(step.needle, &reply, kStepTimeout)) {
          reply = client->TakeBuffered();
          outcome = " NOT-RECEIVED";
        }
        break;
    }
    record += absl::StrFormat("conn%d step%d \"%s\"%s\n", step.conn, i, Escape(reply), outcome);
  }
  return record;
}

class AuthDifferentialTest : public ::testing::TestWithParam<Transcript> {};

TEST_P(AuthDifferentialTest, SameBytesAsReference) {
  const std::string expected = RunTranscript(harness::ReferenceServer(), GetParam());
  const std::string actual = RunTranscript(harness::ServerUnderTest(), GetParam());
  EXPECT_EQ(expected, actual) << "reference: " << harness::Describe(harness::ReferenceServer())
                              << "\nunder test: " << harness::Describe(harness::ServerUnderTest());
}

std::string CaseName(const ::testing::TestParamInfo<Transcript>& info) {
  return info.param.name;
}

std::string Str(std::string_view s) {
  return std::string(s);
}

const std::vector<std::string> kUserFlags = {"--user", "alice", "--pass", Str(kPlainPassword)};
const std::string kAlice = Login("alice", kPlainPassword);

INSTANTIATE_TEST_SUITE_P(
    UserPassFlags, AuthDifferentialTest,
    ::testing::Values(
        Transcript{"Ok",
                   "",
                   kUserFlags,
                   {Ping(0, Login("alice", kPlainPassword, true) + "SUB a 1\r\nPUB a 1\r\nx\r\n")}},
        Transcript{"OkQuiet", "", kUserFlags, {Ping(0, kAlice + "SUB a 1\r\nPUB a 1\r\nx\r\n")}},
        Transcript{"WrongPassword", "", kUserFlags, {Ping(0, Login("alice", "nope"))}},
        Transcript{"WrongUser", "", kUserFlags, {Ping(0, Login("bob", kPlainPassword))}},
        Transcript{"NoCredentials", "", kUserFlags, {Ping(0, Connect("{}"))}},
        Transcript{"WrongPasswordNoPing", "", kUserFlags, {AwaitClose(0, Login("alice", "x"))}},
        Transcript{"PingFirst", "", kUserFlags, {AwaitClose(0, "PING\r\n")}},
        Transcript{"SubFirst", "", kUserFlags, {AwaitClose(0, "SUB foo 1\r\n")}},
        Transcript{"PubFirst", "", kUserFlags, {AwaitClose(0, "PUB foo 1\r\nx\r\n")}},
        Transcript{"UnknownOpFirst", "", kUserFlags, {AwaitClose(0, "FOO\r\n")}},
        Transcript{"BadConnectJson", "", kUserFlags, {AwaitClose(0, "CONNECT {bad\r\n")}},
        Transcript{"InvalidProtocol",
                   "",
                   kUserFlags,
                   {Ping(0, Connect(R"({"user":"alice","pass":"Pw-alice-7f3kq","protocol":5})"))}},
        Transcript{"ConnectWithAccount",
                   "",
                   kUserFlags,
                   {Ping(0, Connect(R"({"user":"alice","pass":"Pw-alice-7f3kq","account":"A"})"))}},
        Transcript{"SecondConnectWrong",
                   "",
                   kUserFlags,
                   {Ping(0, kAlice), Ping(0, Login("alice", "wrong"))}},
        Transcript{"SecondConnectRight",
                   "",
                   kUserFlags,
                   {Ping(0, Login("alice", kPlainPassword, true)), Ping(0, kAlice)}},
        Transcript{"ConnectAndOpsPipelined",
                   "",
                   kUserFlags,
                   {Ping(0, Login("alice", kPlainPassword, true) +
                                "SUB p 1\r\nPUB p 2\r\nhi\r\nPING\r\n")}},
        Transcript{
            "OpsAfterRejectedConnect",
            "",
            kUserFlags,
            {Ping(1, kAlice + "SUB leak 1\r\n"),
             AwaitClose(0, Login("alice", "bad") + "PUB leak 4\r\nleak\r\n"),
             Ping(2, kAlice + "PUB leak 2\r\nok\r\n"), ReadThrough(1, "MSG leak 1 2\r\nok\r\n")}}),
    CaseName);

const std::vector<std::string> kTokenFlags = {"--auth", Str(kPlainToken)};
const std::vector<std::string> kBothFlags = {"--auth", Str(kPlainToken), "--user",
                                             "alice",  "--pass",         Str(kPlainPassword)};

INSTANTIATE_TEST_SUITE_P(
    Token, AuthDifferentialTest,
    ::testing::Values(
        Transcript{"Ok", "", kTokenFlags, {Ping(0, Connect(TokenConnect(kPlainToken, true)))}},
        Transcript{"Wrong", "", kTokenFlags, {Ping(0, Connect(TokenConnect("Tok-x")))}},
        Transcript{"UserPassInstead", "", kTokenFlags, {Ping(0, kAlice)}},
        Transcript{"BothFlagsToken", "", kBothFlags, {Ping(0, Connect(TokenConnect(kPlainToken)))}},
        Transcript{"BothFlagsUserPass", "", kBothFlags, {Ping(0, kAlice)}},
        Transcript{"BcryptOk",
                   "",
                   {"--auth", Str(kBcryptTokenHash)},
                   {Ping(0, Connect(TokenConnect(kBcryptToken)))}},
        Transcript{"BcryptHashSent",
                   "",
                   {"--auth", Str(kBcryptTokenHash)},
                   {Ping(0, Connect(TokenConnect(kBcryptTokenHash)))}},
        Transcript{
            "ConfigToken",
            absl::StrFormat("authorization { token: \"%s\" }\n", kPlainToken),
            {},
            {Ping(0, Connect(TokenConnect(kPlainToken))), Ping(1, Connect(TokenConnect("no")))}}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    Users, AuthDifferentialTest,
    ::testing::Values(
        Transcript{
            "AllRight",
            kUsersConfig,
            {},
            {Ping(0, Login("alice", kPlainPassword, true)),
             Ping(1, Login("bob", kPassword2a, true)), Ping(2, Login("carol", kPassword2b, true)),
             Ping(3, Login("dave", kPassword2y, true)),
             Ping(4, Login("erin", "Pw-var-81x", true))}},
        Transcript{"AllWrong",
                   kUsersConfig,
                   {},
                   {Ping(0, Login("alice", kPassword2a)), Ping(1, Login("bob", kHash2a)),
                    Ping(2, Login("carol", "")), Ping(3, Login("dave", kPassword2b)),
                    Ping(4, Login("erin", "$PASS")), Ping(5, Login("zed", kPlainPassword)),
                    Ping(6, Connect("{}")), Ping(7, Connect(UserOnlyConnect("carol"))),
                    Ping(8, Connect(TokenConnect(kPlainPassword)))}},
        Transcript{"BcryptThenPipelinedOps",
                   kUsersConfig,
                   {},
                   {Ping(0, Login("carol", kPassword2b, true) +
                                "SUB o 1\r\nPUB o 3\r\none\r\nPING\r\nPUB o 3\r\ntwo\r\n")}},
        Transcript{"BcryptWrongThenPipelinedOps",
                   kUsersConfig,
                   {},
                   {Ping(0, Login("carol", "wrong") + "SUB o 1\r\nPUB o 3\r\none\r\n")}},
        Transcript{"BcryptSecondConnectWrong",
                   kUsersConfig,
                   {},
                   {Ping(0, Login("dave", kPassword2y)), Ping(0, Login("dave", "wrong"))}},
        Transcript{
            "BcryptTwoConnectsPipelined",
            kUsersConfig,
            {},
            {Ping(0, Login("dave", kPassword2y, true) + Login("carol", kPassword2b) + "PING\r\n")}},
        Transcript{"OpBeforeConnect", kUsersConfig, {}, {AwaitClose(0, "PING\r\n")}}),
    CaseName);

const std::string kTimeoutConfig = absl::StrFormat(
    "authorization {\n  timeout: 0.5\n  user: alice\n  password: \"%s\"\n}\n", kPlainPassword);

INSTANTIATE_TEST_SUITE_P(
    Timeout, AuthDifferentialTest,
    ::testing::Values(
        Transcript{"Silent", kTimeoutConfig, {}, {AwaitClose(0, "")}},
        Transcript{"PartialConnect", kTimeoutConfig, {}, {AwaitClose(0, "CONNECT {\"user\"")}},
        Transcript{"LoggedInInTime",
                   kTimeoutConfig,
                   {},
                   {Ping(0, kAlice), AwaitClose(1, ""), AwaitClose(2, ""), Ping(0, "")}},
        Transcript{"TimeoutWithoutCredentials",
                   "authorization {\n  timeout: 0.5\n}\n",
                   {},
                   {Ping(0, "CONNECT {}\r\nSUB a 1\r\n")}}),
    CaseName);

const std::string kAdmin = Login("admin", "Pw-admin-77");
const std::string kPub = Login("pub", "Pw-pub-12");

INSTANTIATE_TEST_SUITE_P(
    Permissions, AuthDifferentialTest,
    ::testing::Values(
        Transcript{"Publish",
                   kPermissionsConfig,
                   {},
                   {Ping(0, kPub + "PUB foo.a 1\r\n1\r\nPUB foo.secret 1\r\n2\r\nPUB baz 1\r\n3\r\n"
                                   "PUB bar 1\r\n4\r\nPUB foo.b.c 0\r\n\r\n")}},
        Transcript{
            "Subscribe",
            kPermissionsConfig,
            {},
            {Ping(0, kPub + "SUB foo.* 1\r\nSUB foo.secret 2\r\nSUB bar 3\r\nSUB q.x v1 4\r\n"
                            "SUB q.x v2 5\r\nSUB q.x 6\r\nSUB other q 7\r\nSUB > 8\r\n"
                            "SUB foo.a.b 9\r\n")}},
        // nats-server checks a wildcard SUB against the allow list as if it were a literal
        // subject: "foo.*" matches the subject "foo.>".
        Transcript{"SubscribeWiderWildcard",
                   kPermissionsConfig,
                   {},
                   {Ping(0, kPub + "SUB foo.> 1\r\nSUB *.a 2\r\n")}},
        Transcript{
            "Verbose",
            kPermissionsConfig,
            {},
            {Ping(0, Login("pub", "Pw-pub-12", true) +
                         "PUB foo.a 0\r\n\r\nPUB baz 0\r\n\r\nSUB foo.a 1\r\nSUB baz 2\r\n")}},
        Transcript{"DenyFilteredAtDelivery",
                   kPermissionsConfig,
                   {},
                   {Ping(1, kPub + "SUB foo.* 1\r\n"),
                    Ping(0, kAdmin + "PUB foo.secret 1\r\ns\r\nPUB foo.open 1\r\no\r\n"),
                    ReadThrough(1, "MSG foo.open 1 1\r\no\r\n")}},
        Transcript{"QueueDelivery",
                   kPermissionsConfig,
                   {},
                   {Ping(1, kPub + "SUB q.x v1 1\r\nSUB q.x v2 2\r\n"),
                    Ping(0, kAdmin + "PUB q.x 1\r\nq\r\n"), ReadThrough(1, "q\r\n")}},
        Transcript{
            "AllowResponses",
            kPermissionsConfig,
            {},
            {Ping(0, kAdmin + "SUB _INBOX.> 1\r\n"),
             Ping(1, Login("svc", "Pw-svc-34") + "SUB svc 1\r\n"),
             Ping(0, "PUB svc _INBOX.r1 1\r\nq\r\n"), ReadThrough(1, "q\r\n"),
             Ping(1, "PUB _INBOX.r1 1\r\n1\r\nPUB _INBOX.r1 1\r\n2\r\nPUB other 0\r\n\r\n"),
             Ping(0, "PUB svc _INBOX.r2 1\r\nq\r\n"), ReadThrough(1, "q\r\n"),
             Ping(1, "PUB _INBOX.r2 1\r\n3\r\n"), ReadThrough(0, "MSG _INBOX.r2 1 1\r\n3\r\n")}},
        Transcript{"DefaultPermissions",
                   kPermissionsConfig,
                   {},
                   {Ping(0, Login("dflt", "Pw-dflt-78") +
                                "SUB nothing 1\r\nSUB x 2\r\nSUB pub.> 3\r\nPUB pub.x 1\r\n1\r\n"
                                "PUB x 1\r\n2\r\n")}}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    NoAuthUser, AuthDifferentialTest,
    ::testing::Values(Transcript{"NoConnect",
                                 kNoAuthUserConfig,
                                 {},
                                 {Ping(0, "PUB public.a 0\r\n\r\nPUB private 0\r\n\r\n")}},
                      Transcript{"EmptyConnect",
                                 kNoAuthUserConfig,
                                 {},
                                 {Ping(0, "CONNECT {}\r\nPUB private 0\r\n\r\nSUB private 1\r\n")}},
                      Transcript{
                          "Admin",
                          kNoAuthUserConfig,
                          {},
                          {Ping(0, Login("admin", "Pw-admin-77") + "PUB private 0\r\n\r\n")}},
                      Transcript{"WrongCredentials",
                                 kNoAuthUserConfig,
                                 {},
                                 {Ping(0, Login("admin", "x")), Ping(1, Login("guest", "x")),
                                  Ping(2, Connect(TokenConnect("x")))}},
                      Transcript{"Silent", kNoAuthUserConfig, {}, {AwaitClose(0, "")}}),
    CaseName);

}  // namespace
}  // namespace ringnats::authtest
