// Query decoding beyond what the captured fixtures cover: defaults, nats-server's
// adjustments, which error wins, repeated parameters.

#include "ringnats/monitor/query.h"

#include <gtest/gtest.h>

namespace ringnats::monitor {
namespace {

// Go's url.ParseQuery, which nats-server's handlers read.
TEST(GoQueryTest, ParsedAsGoParsesIt) {
  using P = QueryParams;
  EXPECT_EQ(ParseGoQuery("a=1&b=2&a=3"), (P{{"a", "1"}, {"b", "2"}, {"a", "3"}}));
  // The value keeps every '=' after the first; a name alone has an empty value.
  EXPECT_EQ(ParseGoQuery("test=a=b&subs"), (P{{"test", "a=b"}, {"subs", ""}}));
  // A pair holding ';' is dropped, and so is one with a bad escape.
  EXPECT_EQ(ParseGoQuery("limit=5;x&offset=%zz&cid=%4&auth=1"), (P{{"auth", "1"}}));
  // '+' is a space and %XX a byte; empty pieces are skipped.
  EXPECT_EQ(ParseGoQuery("&user=a+b%21&&acc=%24G"), (P{{"user", "a b!"}, {"acc", "$G"}}));
  EXPECT_TRUE(ParseGoQuery("").empty());
}

TEST(ConnzQueryTest, DefaultsAndAdjustments) {
  absl::StatusOr<ConnzQuery> query = ParseConnzQuery({});
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->offset, 0);
  EXPECT_EQ(query->limit, 1024);
  EXPECT_EQ(query->state, ConnState::kOpen);
  EXPECT_EQ(query->subs, SubsOption::kNone);
  EXPECT_FALSE(query->auth);

  query = ParseConnzQuery({{"offset", "-5"}, {"limit", "0"}});
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->offset, 0);
  EXPECT_EQ(query->limit, 1024);

  query = ParseConnzQuery({{"cid", "7"}, {"limit", "50"}, {"state", "Closed"}});
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->cid, 7u);
  EXPECT_EQ(query->limit, 1);  // a cid asks for one connection
  EXPECT_EQ(query->state, ConnState::kClosed);

  query = ParseConnzQuery({{"subs", "DETAIL"}, {"auth", "t"}, {"user", "bob"}, {"acc", "A"}});
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->subs, SubsOption::kDetail);
  EXPECT_TRUE(query->auth);
  EXPECT_EQ(query->user, "bob");
  EXPECT_EQ(query->account, "A");
}

TEST(ConnzQueryTest, FirstBadParameterInNatsServersOrderWins) {
  // nats-server decodes auth, subs, offset, limit, cid, state in that order.
  absl::StatusOr<ConnzQuery> query =
      ParseConnzQuery({{"state", "x"}, {"limit", "y"}, {"subs", "z"}});
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().message(),
            R"(Error decoding boolean for 'subs': strconv.ParseBool: parsing "z": invalid syntax)");
  query = ParseConnzQuery({{"state", "x"}, {"cid", "1"}});
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().message(), "Error decoding state for x");
}

TEST(ConnzQueryTest, RepeatedParameterCountsByItsFirstValue) {
  absl::StatusOr<ConnzQuery> query = ParseConnzQuery({{"limit", "2"}, {"limit", "x"}});
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->limit, 2);
}

TEST(ConnzQueryTest, SortOptions) {
  ConnzQuery query;
  EXPECT_TRUE(ApplyConnzSort("", &query).ok());
  EXPECT_EQ(query.sort, ConnzSort::kCid);
  EXPECT_TRUE(ApplyConnzSort("bytes_to", &query).ok());
  EXPECT_EQ(query.sort, ConnzSort::kBytesTo);
  EXPECT_EQ(ApplyConnzSort("CID", &query).message(), "invalid sorting option: CID");
  EXPECT_EQ(ApplyConnzSort("stop", &query).message(),
            "sort by stop only valid on closed connections");
  query.state = ConnState::kClosed;
  EXPECT_TRUE(ApplyConnzSort("stop", &query).ok());
  EXPECT_TRUE(ApplyConnzSort("reason", &query).ok());
  EXPECT_EQ(query.sort, ConnzSort::kReason);
}

TEST(SubszQueryTest, TestSubjectMustBeLiteral) {
  absl::StatusOr<SubszQuery> query = ParseSubszQuery({{"test", "foo.>"}});
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().message(), "invalid test subject, must be valid publish subject: foo.>");
  EXPECT_FALSE(ParseSubszQuery({{"test", "foo..bar"}}).ok());
  // nats-server's check does not look at whitespace.
  EXPECT_TRUE(ParseSubszQuery({{"test", "foo bar"}}).ok());
  query = ParseSubszQuery({{"subs", "1"}, {"offset", "-1"}, {"limit", "-1"}, {"test", "a.b"}});
  ASSERT_TRUE(query.ok());
  EXPECT_TRUE(query->subs);
  EXPECT_EQ(query->offset, 0);
  EXPECT_EQ(query->limit, 1024);
  EXPECT_EQ(query->test, "a.b");
}

}  // namespace
}  // namespace ringnats::monitor
