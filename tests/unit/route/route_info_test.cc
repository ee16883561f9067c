// The route handshake's JSON as nats-server 2.9 writes and reads it.

#include "ringnats/route/route_info.h"

#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

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

// Gossip passes a peer's INFO on with the name this node and the peer agreed on, not the
// one the peer had when it connected (nats-server checks the name of every INFO).
TEST(RouteInfoTest, GossipCarriesTheAgreedClusterName) {
  absl::StatusOr<PeerRouteInfo> peer = ParsePeerRouteInfo(
      R"({"server_id":"NPEER","cluster":"GEN-OLD","cluster_dynamic":true,"nonce":"n","port":7})");
  ASSERT_TRUE(peer.ok()) << peer.status();
  const std::string line = BuildGossipInfo(*peer, "nats-route://127.0.0.1:7/", "prod", false);
  ASSERT_TRUE(line.starts_with("INFO ") && line.ends_with("\r\n")) << line;
  const nlohmann::json info =
      nlohmann::json::parse(line.substr(5, line.size() - 7), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(info.is_object()) << line;
  EXPECT_EQ(info.value("cluster", ""), "prod");
  EXPECT_FALSE(info.contains("cluster_dynamic"));
  EXPECT_FALSE(info.contains("nonce"));
  EXPECT_EQ(info.value("ip", ""), "nats-route://127.0.0.1:7/");
  EXPECT_EQ(info.value("server_id", ""), "NPEER");
}

// A peer's client URLs are kept up to a bound: a list of thousands would only grow the INFO
// of every client of this node.
TEST(RouteInfoTest, APeersClientUrlsAreKeptUpToTheBound) {
  nlohmann::json info = {{"server_id", "NPEER"}, {"port", 7}};
  for (size_t i = 0; i < kMaxPeerConnectUrls + 10; ++i) {
    info["connect_urls"].push_back("10.0.0." + std::to_string(i) + ":4222");
  }
  absl::StatusOr<PeerRouteInfo> peer = ParsePeerRouteInfo(info.dump());
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_EQ(peer->connect_urls.size(), kMaxPeerConnectUrls);
  EXPECT_EQ(peer->connect_urls.front(), "10.0.0.0:4222");
  EXPECT_EQ(peer->connect_urls.back(),
            "10.0.0." + std::to_string(kMaxPeerConnectUrls - 1) + ":4222");
}

// Lame duck mode is told to routes with nats-server's "ldm" key, after the client URLs, and
// read back from a peer's INFO; an ordinary INFO leaves the key out.
TEST(RouteInfoTest, LameDuckModeTravelsAsLdm) {
  LocalRouteFacts facts;
  facts.server_id = "NSELF";
  facts.cluster = "prod";
  facts.connect_urls = {"127.0.0.1:4222"};
  EXPECT_EQ(BuildRouteInfo(facts, "").find("ldm"), std::string::npos);
  facts.lame_duck = true;
  const std::string line = BuildRouteInfo(facts, "");
  EXPECT_NE(line.find(R"("connect_urls":["127.0.0.1:4222"],"ldm":true)"), std::string::npos)
      << line;
  absl::StatusOr<PeerRouteInfo> peer = ParsePeerRouteInfo(line.substr(5, line.size() - 8));
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_TRUE(peer->lame_duck);
}

}  // namespace
}  // namespace ringnats::route
