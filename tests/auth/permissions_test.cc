// Publish and subscribe permissions (nats-reference.md §2.5): allow and deny lists, queue
// entries, deny filtering at delivery, allow_responses, default_permissions, the exact -ERR
// lines and log lines. A violation never closes the connection.

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_format.h"
#include "auth/auth_fixture.h"
#include "auth/shared_configs.h"

namespace ringnats::authtest {
namespace {

class PermissionsTest : public AuthTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer(kPermissionsConfig, {"-D"}));
    admin_ = Login(UserConnect("admin", "Pw-admin-77"));
    ASSERT_TRUE(admin_);
  }

  std::unique_ptr<harness::RawClient> admin_;
};

TEST_F(PermissionsTest, PublishAllowAndDeny) {
  ASSERT_TRUE(admin_->Send("SUB foo.> 1\r\nSUB bar 2\r\nSUB baz 3\r\n"));
  ASSERT_TRUE(admin_->Ping());
  auto pub = Login(UserConnect("pub", "Pw-pub-12"));
  ASSERT_TRUE(pub);
  ASSERT_TRUE(
      pub->Send("PUB foo.a 1\r\n1\r\nPUB foo.secret 1\r\n2\r\nPUB baz 1\r\n3\r\nPUB bar 1\r\n4\r\n"
                "PUB foo.b.c 1\r\n5\r\nPING\r\n"));
  EXPECT_TRUE(pub->Expect(PubViolation("foo.secret") + PubViolation("baz") + "PONG\r\n"));
  // Messages from one publisher arrive in order: had a denied one been routed, it would
  // show up between these.
  EXPECT_TRUE(admin_->Expect("MSG foo.a 1 1\r\n1\r\nMSG bar 2 1\r\n4\r\nMSG foo.b.c 1 1\r\n5\r\n"));
  EXPECT_TRUE(LogShows(
      R"(\[ERR\] 127\.0\.0\.1:\d+ - cid:\d+ - Publish Violation - User "pub", Subject "baz"$)"));
  EXPECT_EQ(CountLogLines(R"(Publish Violation - User "pub", Subject "foo\.secret"$)"), 1);
}

TEST_F(PermissionsTest, SubscribeAllowDenyAndQueues) {
  auto pub = Login(UserConnect("pub", "Pw-pub-12"));
  ASSERT_TRUE(pub);
  ASSERT_TRUE(
      pub->Send("SUB foo.* 1\r\nSUB foo.secret 2\r\nSUB bar 3\r\nSUB q.x v1 4\r\nSUB q.x v2 5\r\n"
                "SUB q.x 6\r\nSUB other q 7\r\nSUB foo.a 8\r\nPING\r\n"));
  EXPECT_TRUE(pub->Expect(SubViolation("foo.secret") + SubViolation("bar") +
                          SubViolation("q.x", "v2") + SubViolation("q.x") +
                          SubViolation("other", "q") + "PONG\r\n"));
  // Only the allowed subscriptions exist.
  ASSERT_TRUE(admin_->Send("PUB q.x 1\r\nq\r\nPUB bar 1\r\nb\r\nPUB foo.a 1\r\na\r\n"));
  ASSERT_TRUE(admin_->Ping());
  EXPECT_TRUE(pub->Expect("MSG q.x 4 1\r\nq\r\n"));
  std::string foo_a;
  ASSERT_TRUE(pub->ReadBytes(2 * std::string("MSG foo.a 1 1\r\na\r\n").size(), &foo_a));
  EXPECT_TRUE(foo_a == "MSG foo.a 1 1\r\na\r\nMSG foo.a 8 1\r\na\r\n" ||
              foo_a == "MSG foo.a 8 1\r\na\r\nMSG foo.a 1 1\r\na\r\n")
      << harness::Escape(foo_a);
  EXPECT_TRUE(pub->Ping());
  EXPECT_TRUE(
      LogShows(R"(\[ERR\] 127\.0\.0\.1:\d+ - cid:\d+ - Subscription Violation - User "pub", )"
               R"(Subject "foo\.secret", SID 2$)"));
  EXPECT_TRUE(
      LogShows(R"( - Subscription Violation - User "pub", Subject "q\.x", Queue: "v2", SID 5$)"));
  EXPECT_TRUE(
      LogShows(R"( - Subscription Violation - User "pub", Subject "other", Queue: "q", SID 7$)"));
}

TEST_F(PermissionsTest, DenyFiltersDeliveryToWiderWildcardSubscription) {
  auto pub = Login(UserConnect("pub", "Pw-pub-12"));
  ASSERT_TRUE(pub);
  ASSERT_TRUE(pub->Send("SUB foo.* 1\r\n"));
  ASSERT_TRUE(pub->Ping());
  ASSERT_TRUE(admin_->Send("PUB foo.secret 1\r\ns\r\nPUB foo.open 1\r\no\r\n"));
  ASSERT_TRUE(admin_->Ping());
  EXPECT_TRUE(pub->Expect("MSG foo.open 1 1\r\no\r\n"));
  EXPECT_TRUE(pub->Ping());
}

TEST_F(PermissionsTest, AllowResponsesPermitsOneReplyPerRequest) {
  auto svc = Login(UserConnect("svc", "Pw-svc-34"));
  ASSERT_TRUE(svc);
  ASSERT_TRUE(svc->Send("SUB svc 1\r\n"));
  ASSERT_TRUE(svc->Ping());
  ASSERT_TRUE(admin_->Send("SUB _INBOX.> 1\r\nPUB svc _INBOX.r1 3\r\nreq\r\n"));
  ASSERT_TRUE(admin_->Ping());
  EXPECT_TRUE(svc->Expect("MSG svc 1 _INBOX.r1 3\r\nreq\r\n"));
  // Without a publish allow list, allow_responses means "only replies".
  ASSERT_TRUE(
      svc->Send("PUB _INBOX.r1 3\r\none\r\nPUB _INBOX.r1 3\r\ntwo\r\nPUB other 1\r\nx\r\n"
                "PUB _INBOX.never 1\r\nx\r\nPING\r\n"));
  EXPECT_TRUE(svc->Expect(PubViolation("_INBOX.r1") + PubViolation("other") +
                          PubViolation("_INBOX.never") + "PONG\r\n"));
  ASSERT_TRUE(admin_->Send("PUB _INBOX.end 3\r\nend\r\n"));
  EXPECT_TRUE(admin_->Expect("MSG _INBOX.r1 1 3\r\none\r\nMSG _INBOX.end 1 3\r\nend\r\n"));
}

TEST_F(PermissionsTest, AllowResponsesMax) {
  auto svc = Login(UserConnect("svc2", "Pw-svc2-56"));
  ASSERT_TRUE(svc);
  ASSERT_TRUE(svc->Send("SUB svc2 1\r\n"));
  ASSERT_TRUE(svc->Ping());
  ASSERT_TRUE(admin_->Send("SUB _INBOX.> 1\r\nPUB svc2 _INBOX.r1 1\r\nq\r\n"));
  ASSERT_TRUE(admin_->Ping());
  EXPECT_TRUE(svc->Expect("MSG svc2 1 _INBOX.r1 1\r\nq\r\n"));
  ASSERT_TRUE(
      svc->Send("PUB _INBOX.r1 1\r\n1\r\nPUB _INBOX.r1 1\r\n2\r\nPUB _INBOX.r1 1\r\n3\r\n"
                "PING\r\n"));
  EXPECT_TRUE(svc->Expect(PubViolation("_INBOX.r1") + "PONG\r\n"));
  EXPECT_TRUE(admin_->Expect("MSG _INBOX.r1 1 1\r\n1\r\nMSG _INBOX.r1 1 1\r\n2\r\n"));
  EXPECT_TRUE(admin_->Ping());
}

TEST_F(PermissionsTest, DefaultPermissionsApplyToUsersWithoutTheirOwn) {
  auto dflt = Login(UserConnect("dflt", "Pw-dflt-78"));
  ASSERT_TRUE(dflt);
  ASSERT_TRUE(
      dflt->Send("SUB nothing 1\r\nSUB x 2\r\nSUB pub.> 3\r\nPUB pub.x 1\r\n1\r\n"
                 "PUB x 1\r\n2\r\nPING\r\n"));
  EXPECT_TRUE(
      dflt->Expect(SubViolation("x") + "MSG pub.x 3 1\r\n1\r\n" + PubViolation("x") + "PONG\r\n"));
  // Users with their own permissions are not limited by the defaults.
  ASSERT_TRUE(admin_->Send("SUB x 1\r\nPUB x 1\r\na\r\n"));
  EXPECT_TRUE(admin_->Expect("MSG x 1 1\r\na\r\n"));
  EXPECT_TRUE(LogShows(R"( - Publish Violation - User "dflt", Subject "x"$)"));
  EXPECT_TRUE(LogShows(R"( - Subscription Violation - User "dflt", Subject "x", SID 2$)"));
}

TEST_F(PermissionsTest, VerboseClientGetsErrInsteadOfOk) {
  auto pub = Login(UserConnect("pub", "Pw-pub-12", /*verbose=*/true));
  ASSERT_TRUE(pub);
  ASSERT_TRUE(
      pub->Send("PUB foo.a 0\r\n\r\nPUB baz 0\r\n\r\nSUB foo.a 1\r\nSUB baz 2\r\nPING\r\n"));
  EXPECT_TRUE(
      pub->Expect("+OK\r\n" + PubViolation("baz") + "+OK\r\n" + SubViolation("baz") + "PONG\r\n"));
}

}  // namespace
}  // namespace ringnats::authtest
