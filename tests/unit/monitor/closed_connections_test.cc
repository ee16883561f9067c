#include "ringnats/monitor/closed_connections.h"

#include <gtest/gtest.h>

namespace ringnats::monitor {
namespace {

ConnectionInfo Closed(uint64_t cid) {
  ConnectionInfo info;
  info.cid = cid;
  info.stop = absl::FromUnixSeconds(static_cast<int64_t>(cid));
  info.reason = "Client Closed";
  info.subs = {SubscriptionInfo{"$G", "s" + std::to_string(cid), "", "1", 0, 0, cid}};
  return info;
}

std::vector<uint64_t> Cids(const std::vector<ConnectionInfo>& list) {
  std::vector<uint64_t> cids;
  for (const ConnectionInfo& info : list) cids.push_back(info.cid);
  return cids;
}

TEST(ClosedConnectionsTest, KeepsTheMostRecentOldestFirst) {
  ClosedConnections ring(3);
  ring.Add(Closed(1));
  ring.Add(Closed(2));
  EXPECT_EQ(Cids(ring.Snapshot()), (std::vector<uint64_t>{1, 2}));
  for (uint64_t cid = 3; cid <= 7; ++cid) ring.Add(Closed(cid));
  EXPECT_EQ(Cids(ring.Snapshot()), (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.total_added(), 7u);
}

TEST(ClosedConnectionsTest, CopiesSubscriptionsOnlyWhenAsked) {
  ClosedConnections ring(2);
  ring.Add(Closed(1));
  std::vector<ConnectionInfo> out;
  ring.AppendTo(&out, /*with_subs=*/false);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].subs.empty());
  EXPECT_EQ(out[0].reason, "Client Closed");
  out.clear();
  ring.AppendTo(&out, /*with_subs=*/true);
  ASSERT_EQ(out[0].subs.size(), 1u);
  EXPECT_EQ(out[0].subs[0].subject, "s1");
}

}  // namespace
}  // namespace ringnats::monitor
