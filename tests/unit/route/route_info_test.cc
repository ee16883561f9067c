// The route handshake's JSON as nats-server 2.9 writes and reads it.

#include "ringnats/route/route_info.h"

#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace ringnats::route {
namespace {

// nats-server reads the flag of a route CONNECT as `cluster_dynamic`: under another key a
// generated name looks configured, and a nats-server peer takes it over for good.
TEST(RouteInfoTest, RouteConnectCarriesClusterDynamicUnderNatsServersKey) {
  RouteConnectFacts connect;
  connect.server_id = "NSERVER";
  connect.cluster = "GEN-A";
  connect.cluster_dynamic = true;
  const std::string line = BuildRouteConnect(connect);
  EXPECT_NE(line.find("\"cluster_dynamic\":true"), std::string::npos) << line;
  absl::StatusOr<PeerRouteConnect> parsed =
      ParsePeerRouteConnect(line.substr(8, line.size() - 10));  // "CONNECT " ... "\r\n"
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->cluster_dynamic);
  EXPECT_EQ(parsed->cluster, "GEN-A");
}

}  // namespace
}  // namespace ringnats::route
