// `connect_retries` bounds how often a node redials an implicit route (one it learnt through
// gossip) after that route is lost. In the seed pattern B learns C from A and dials C; when
// C dies, B tries C connect_retries + 1 times (nats-server 2.9: the first try after the loss
// is not a retry) and then stops, while routes in `routes` are dialled forever.
//
// Absence of a further attempt can only be shown by waiting; the wait is bounded by the
// longest delay either server puts before the next dial (ringnats' backoff at that step).

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

#include "absl/strings/str_format.h"
#include "cluster/cluster_fixture.h"

namespace ringnats::clustertest {
namespace {

constexpr int kConnectRetries = 1;
// B's attempts 1 and 2 follow within about 1 + 2 s (ringnats: backoff with full jitter from
// 1 s; nats-server: every second); a third would follow within 4 s of the second.
constexpr std::chrono::milliseconds kAttemptsTimeout{15000};
constexpr std::chrono::milliseconds kNoFurtherAttempt{5000};

// A line of a node's log about a failed dial of `cluster_port`, attempt `attempt`. Later
// attempts are logged at debug level, hence `debug: true` below.
std::string AttemptPattern(int attempt, int cluster_port) {
  return absl::StrFormat(
      R"(Error trying to connect to route \(attempt %d\): dial tcp 127\.0\.0\.1:%d: )", attempt,
      cluster_port);
}

int CountMatchingLines(const std::string& log, const std::string& pattern) {
  const std::regex re(pattern);
  int count = 0;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    if (std::regex_search(log.begin() + start, log.begin() + end, re)) ++count;
    start = end + 1;
  }
  return count;
}

class ConnectRetriesTest : public ClusterTest {};

TEST_F(ConnectRetriesTest, LostImplicitRouteIsRetriedConnectRetriesTimes) {
  NodeConfig seed;
  seed.extra = "debug: true\n";
  seed.cluster_extra = absl::StrFormat("  connect_retries: %d\n", kConnectRetries);
  ASSERT_NO_FATAL_FAILURE(StartNode(0, seed));
  NodeConfig joiner = seed;
  joiner.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(1, joiner));
  ASSERT_TRUE(AwaitMesh({0, 1}));
  // C joins through A; B hears of C from A and dials it: B's route to C is implicit.
  ASSERT_NO_FATAL_FAILURE(StartNode(2, joiner));
  ASSERT_TRUE(AwaitMesh(AllNodes()));
  const int c_port = cluster_port(2);

  ASSERT_NO_FATAL_FAILURE(KillNode(2));
  const int last = kConnectRetries + 1;
  ASSERT_TRUE(node(1).WaitForLog(AttemptPattern(last, c_port), kAttemptsTimeout))
      << "B did not redial C " << last << " times after losing it; log: " << node(1).log_path();
  // Nothing else may come: the route to C was learnt, not configured.
  EXPECT_FALSE(node(1).WaitForLog(AttemptPattern(last + 1, c_port), kNoFurtherAttempt))
      << "B dialled C more than " << last << " times";
  const std::string log = node(1).ReadLog();
  for (int attempt = 1; attempt <= last; ++attempt) {
    EXPECT_EQ(CountMatchingLines(log, AttemptPattern(attempt, c_port)), 1) << "attempt " << attempt;
  }
  // A never dialled C (C dialled A), so A has nothing to retry.
  EXPECT_EQ(CountMatchingLines(node(0).ReadLog(), AttemptPattern(1, c_port)), 0);
}

}  // namespace
}  // namespace ringnats::clustertest
