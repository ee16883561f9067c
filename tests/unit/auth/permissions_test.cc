#include "ringnats/auth/permissions.h"

#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace ringnats::auth {
namespace {

Permissions Subscribe(std::vector<std::string> allow, std::vector<std::string> deny = {}) {
  Permissions p;
  p.subscribe.allow = std::move(allow);
  p.subscribe.deny = std::move(deny);
  return p;
}

Permissions Publish(std::vector<std::string> allow, std::vector<std::string> deny = {}) {
  Permissions p;
  p.publish.allow = std::move(allow);
  p.publish.deny = std::move(deny);
  return p;
}

TEST(MayPublishTest, NoListsAllowEverything) {
  const Permissions p;
  EXPECT_TRUE(MayPublish(p, "foo"));
  EXPECT_TRUE(MayPublish(p, "a.b.c"));
}

TEST(MayPublishTest, AllowListMustMatch) {
  const Permissions p = Publish({"foo.>", "*.bar", "baz"});
  EXPECT_TRUE(MayPublish(p, "foo.x"));
  EXPECT_TRUE(MayPublish(p, "foo.x.y"));
  EXPECT_TRUE(MayPublish(p, "q.bar"));
  EXPECT_TRUE(MayPublish(p, "baz"));
  EXPECT_FALSE(MayPublish(p, "foo"));
  EXPECT_FALSE(MayPublish(p, "q.bar.z"));
  EXPECT_FALSE(MayPublish(p, "baz.x"));
  EXPECT_FALSE(MayPublish(p, "other"));
}

TEST(MayPublishTest, DenyListMustNotMatch) {
  const Permissions p = Publish({}, {"secret.>", "*.private"});
  EXPECT_TRUE(MayPublish(p, "public"));
  EXPECT_TRUE(MayPublish(p, "secret"));
  EXPECT_FALSE(MayPublish(p, "secret.x"));
  EXPECT_FALSE(MayPublish(p, "a.private"));
  EXPECT_TRUE(MayPublish(p, "a.b.private"));
}

TEST(MayPublishTest, DenyOverridesAllow) {
  const Permissions p = Publish({"foo.>"}, {"foo.secret"});
  EXPECT_TRUE(MayPublish(p, "foo.public"));
  EXPECT_FALSE(MayPublish(p, "foo.secret"));
  EXPECT_TRUE(MayPublish(p, "foo.secret.not"));
}

TEST(MayPublishTest, AllowResponsesWithoutAllowListDeniesPlainPublishes) {
  // Reference §2.5: allow_responses alone turns publishing into "replies only"; the replies
  // are the session's business, so the plain check says no.
  Permissions p;
  p.allow_responses = ResponsePermission{};
  EXPECT_FALSE(MayPublish(p, "x"));
  EXPECT_FALSE(MayPublish(p, "_INBOX.abc"));
  p.publish.allow = {"x"};
  EXPECT_TRUE(MayPublish(p, "x"));
  EXPECT_FALSE(MayPublish(p, "y"));
}

TEST(MaySubscribeTest, NoListsAllowEverything) {
  const Permissions p;
  EXPECT_TRUE(MaySubscribe(p, "foo", ""));
  EXPECT_TRUE(MaySubscribe(p, ">", ""));
  EXPECT_TRUE(MaySubscribe(p, "foo", "q"));
}

TEST(MaySubscribeTest, ReferenceExample) {
  // subscribe: { allow: ["a.*", "b v1"], deny: ["a.secret"] }
  const Permissions p = Subscribe({"a.*", "b v1"}, {"a.secret"});
  EXPECT_TRUE(MaySubscribe(p, "a.x", ""));
  EXPECT_TRUE(MaySubscribe(p, "a.x", "any"));  // a plain entry allows any queue
  EXPECT_FALSE(MaySubscribe(p, "a.secret", ""));
  EXPECT_FALSE(MaySubscribe(p, "a.secret", "q"));
  EXPECT_FALSE(MaySubscribe(p, "a.x.y", ""));
  EXPECT_FALSE(MaySubscribe(p, "a", ""));
  EXPECT_FALSE(MaySubscribe(p, ">", ""));
  EXPECT_FALSE(MaySubscribe(p, "c", ""));
  // "b v1": only queue v1 may subscribe to b.
  EXPECT_TRUE(MaySubscribe(p, "b", "v1"));
  EXPECT_FALSE(MaySubscribe(p, "b", ""));
  EXPECT_FALSE(MaySubscribe(p, "b", "v2"));
}

TEST(MaySubscribeTest, WildcardSubAllowedDespiteNarrowerDenyButFilteredOnDelivery) {
  // Observed: SUB foo.* is allowed with deny foo.secret; foo.secret is then not delivered.
  const Permissions p = Subscribe({}, {"foo.secret"});
  EXPECT_TRUE(MaySubscribe(p, "foo.*", ""));
  EXPECT_TRUE(MaySubscribe(p, "foo.>", ""));
  EXPECT_TRUE(MaySubscribe(p, ">", ""));
  EXPECT_FALSE(MaySubscribe(p, "foo.secret", ""));
  EXPECT_TRUE(DeliveryDenied(p, "foo.secret"));
  EXPECT_FALSE(DeliveryDenied(p, "foo.public"));
  EXPECT_FALSE(DeliveryDenied(p, "foo.secret.x"));
}

TEST(MaySubscribeTest, WildcardDenyCoversNarrowerSubs) {
  // Observed: deny x.* refuses SUB x.a and SUB x.> (the deny's `*` takes the sub's `>` token).
  const Permissions p = Subscribe({}, {"x.*", "z.secret"});
  EXPECT_FALSE(MaySubscribe(p, "x.a", ""));
  EXPECT_FALSE(MaySubscribe(p, "x.*", ""));
  EXPECT_FALSE(MaySubscribe(p, "x.>", ""));
  EXPECT_TRUE(MaySubscribe(p, "x", ""));
  EXPECT_TRUE(MaySubscribe(p, "x.a.b", ""));
  EXPECT_TRUE(MaySubscribe(p, "z.*", ""));
  EXPECT_FALSE(MaySubscribe(p, "z.secret", ""));
  EXPECT_FALSE(MaySubscribe(p, "z.secret", "g"));
  EXPECT_TRUE(DeliveryDenied(p, "x.a"));
  EXPECT_TRUE(DeliveryDenied(p, "z.secret"));
  EXPECT_FALSE(DeliveryDenied(p, "z.public"));
}

TEST(MaySubscribeTest, QueueEntriesSplitOnAnyWhiteSpaceLikeNatsServer) {
  // nats-server splits "subject queue" with strings.Fields: a tab or several blanks work too,
  // as the load-time check (which accepts such entries) implies.
  const Permissions p = Subscribe({}, {"y\tv1", "z   v2"});
  EXPECT_FALSE(MaySubscribe(p, "y", "v1"));
  EXPECT_TRUE(MaySubscribe(p, "y", "v2"));
  EXPECT_FALSE(MaySubscribe(p, "z", "v2"));
  EXPECT_TRUE(MaySubscribe(p, "z", ""));
}

TEST(MaySubscribeTest, QueueDenyEntries) {
  // Observed: deny "y v1" refuses only queue v1 on y.
  const Permissions p = Subscribe({}, {"y v1"});
  EXPECT_TRUE(MaySubscribe(p, "y", ""));
  EXPECT_FALSE(MaySubscribe(p, "y", "v1"));
  EXPECT_TRUE(MaySubscribe(p, "y", "v2"));
  // A queue deny does not hold back deliveries (2.9.10 matches "y v1" as a whole subject).
  EXPECT_FALSE(DeliveryDenied(p, "y"));
}

TEST(MaySubscribeTest, AllowWildcardTakesWiderSubjectTokensLikeNatsServer) {
  // Observed on 2.9.10: allow "foo.*" lets SUB foo.> through, because the allow list is a
  // sublist matched with the SUB's subject, whose `>` is one token for the allow's `*`.
  // Narrower and unrelated subjects behave as expected.
  const Permissions p = Subscribe({"foo.*"});
  EXPECT_TRUE(MaySubscribe(p, "foo.>", ""));
  EXPECT_TRUE(MaySubscribe(p, "foo.*", ""));
  EXPECT_TRUE(MaySubscribe(p, "foo.bar", ""));
  EXPECT_TRUE(MaySubscribe(p, "foo.*", "g"));
  EXPECT_FALSE(MaySubscribe(p, "foo.*.x", ""));
  EXPECT_FALSE(MaySubscribe(p, ">", ""));
  EXPECT_FALSE(MaySubscribe(p, "*.bar", ""));
}

TEST(MaySubscribeTest, QueueAllowEntryNarrowsAPlainEntryLikeNatsServer) {
  // Observed on 2.9.10 with allow ["foo", "foo v1"]: plain SUB foo and queue v1 are allowed,
  // queue v2 is refused: once a queue entry matches the subject, the queue must match one.
  const Permissions p = Subscribe({"foo", "foo v1"});
  EXPECT_TRUE(MaySubscribe(p, "foo", ""));
  EXPECT_TRUE(MaySubscribe(p, "foo", "v1"));
  EXPECT_FALSE(MaySubscribe(p, "foo", "v2"));
  // Likewise allow ["w.* v1", "w.a"]: SUB w.a v2 is refused, w.a plain is fine.
  const Permissions w = Subscribe({"w.* v1", "w.a"});
  EXPECT_TRUE(MaySubscribe(w, "w.a", ""));
  EXPECT_TRUE(MaySubscribe(w, "w.a", "v1"));
  EXPECT_FALSE(MaySubscribe(w, "w.a", "v2"));
  EXPECT_FALSE(MaySubscribe(w, "w.b", "v2"));
  EXPECT_TRUE(MaySubscribe(w, "w.b", "v1"));
}

TEST(MaySubscribeTest, QueueDenyEntryNarrowsAPlainDenyLikeNatsServer) {
  // Observed on 2.9.10 with deny ["y", "y v1"]: SUB y and SUB y v1 refused, SUB y v2 allowed.
  const Permissions p = Subscribe({}, {"y", "y v1"});
  EXPECT_FALSE(MaySubscribe(p, "y", ""));
  EXPECT_FALSE(MaySubscribe(p, "y", "v1"));
  EXPECT_TRUE(MaySubscribe(p, "y", "v2"));
  // The plain deny still holds back deliveries on y.
  EXPECT_TRUE(DeliveryDenied(p, "y"));
}

TEST(MaySubscribeTest, QueueNamesInEntriesMayBeWildcardsLikeNatsServer) {
  // Observed on 2.9.10 with allow ["bar.x v1.*"]: queues v1.a and (literally) v1.* may
  // subscribe to bar.x; v1, v1.a.b and plain subscriptions may not.
  const Permissions p = Subscribe({"bar.x v1.*"});
  EXPECT_TRUE(MaySubscribe(p, "bar.x", "v1.a"));
  EXPECT_TRUE(MaySubscribe(p, "bar.x", "v1.*"));
  EXPECT_FALSE(MaySubscribe(p, "bar.x", "v1"));
  EXPECT_FALSE(MaySubscribe(p, "bar.x", "v1.a.b"));
  EXPECT_FALSE(MaySubscribe(p, "bar.x", ""));
}

TEST(MaySubscribeTest, EntriesWithExtraSpaces) {
  const Permissions p = Subscribe({"b  v1"});
  EXPECT_TRUE(MaySubscribe(p, "b", "v1"));
  EXPECT_FALSE(MaySubscribe(p, "b", ""));
}

TEST(DeliveryDeniedTest, NothingDeniedWithoutADenyList) {
  const Permissions p = Subscribe({"foo.*"});
  EXPECT_FALSE(DeliveryDenied(p, "foo.bar"));
  EXPECT_FALSE(DeliveryDenied(p, "other"));  // allow lists are enforced at SUB time only
}

struct SubsetCase {
  std::string_view subject;
  std::string_view pattern;
  bool subset;
};

class SubjectIsSubsetOfTest : public testing::TestWithParam<SubsetCase> {};

TEST_P(SubjectIsSubsetOfTest, Table) {
  const SubsetCase& c = GetParam();
  EXPECT_EQ(SubjectIsSubsetOf(c.subject, c.pattern), c.subset)
      << c.subject << " within " << c.pattern;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SubjectIsSubsetOfTest,
    testing::Values(SubsetCase{"foo", "foo", true}, SubsetCase{"foo", "bar", false},
                    SubsetCase{"foo.bar", "foo.*", true}, SubsetCase{"foo.*", "foo.*", true},
                    SubsetCase{"foo.*", "foo.>", true}, SubsetCase{"foo.>", "foo.>", true},
                    SubsetCase{"foo.bar.baz", "foo.>", true}, SubsetCase{"foo.>", "foo.*", false},
                    SubsetCase{"foo.*", "foo.bar", false}, SubsetCase{"foo", "foo.>", false},
                    SubsetCase{"foo", "foo.*", false}, SubsetCase{"foo.bar", "foo", false},
                    SubsetCase{"foo.bar", "foo.bar.baz", false}, SubsetCase{">", ">", true},
                    SubsetCase{"*", ">", true}, SubsetCase{"a.b", "*.*", true},
                    SubsetCase{"*.*", "*.*", true}, SubsetCase{"a", "*.*", false},
                    SubsetCase{">", "*", false}, SubsetCase{"*", "a", false},
                    SubsetCase{"a.*.c", "a.>", true}, SubsetCase{"a.*.c", "*.b.c", false}));

}  // namespace
}  // namespace ringnats::auth
