// One route per peer, decided by the server with the lower id: it keeps the route it
// registered first (the one in use, however late the duplicate) and refuses the other; the
// server with the higher id keeps both until the peer closes the one it refused.

#include "ringnats/route/route_registry.h"

#include "gtest/gtest.h"

namespace ringnats::route {
namespace {

RouteEntry Route(std::string_view peer, bool solicited, uint32_t slot) {
  RouteEntry entry;
  entry.server_id = std::string(peer);
  entry.solicited = solicited;
  entry.conn = ring::ConnId{slot, 1};
  return entry;
}

TEST(RouteRegistryTest, TheLowerIdKeepsTheRouteItRegisteredFirstWhicheverWayItWasDialled) {
  // We are "A", the peer "B": A < B, so A decides.
  for (const bool first_dialled_by_us : {false, true}) {
    RouteRegistry registry("c", false);
    const RouteEntry first = Route("B", first_dialled_by_us, 1);
    ASSERT_TRUE(registry.Register(first, "A"));
    EXPECT_FALSE(registry.Register(Route("B", !first_dialled_by_us, 2), "A"));
    EXPECT_FALSE(registry.Register(Route("B", first_dialled_by_us, 3), "A"));
    ASSERT_EQ(registry.size(), 1u);
    EXPECT_EQ(registry.All()[0].conn, first.conn);
  }
}

TEST(RouteRegistryTest, TheHigherIdKeepsEveryRouteUntilThePeerClosesOne) {
  // We are "C", the peer "B": B < C, so B decides and C waits for its verdict.
  RouteRegistry registry("c", false);
  const RouteEntry accepted = Route("B", /*solicited=*/false, 1);
  const RouteEntry dialled = Route("B", /*solicited=*/true, 2);
  ASSERT_TRUE(registry.Register(accepted, "C"));
  ASSERT_TRUE(registry.Register(dialled, "C"));
  EXPECT_EQ(registry.size(), 2u);
  // B refused the one C registered first: the other one stays.
  registry.Unregister("B", accepted.worker, accepted.conn);
  ASSERT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.All()[0].conn, dialled.conn);
  EXPECT_TRUE(registry.Has("B"));
}

TEST(RouteRegistryTest, RoutesToDifferentPeersNeverCollide) {
  RouteRegistry registry("c", false);
  ASSERT_TRUE(registry.Register(Route("B", true, 1), "A"));
  ASSERT_TRUE(registry.Register(Route("C", false, 2), "A"));
  EXPECT_EQ(registry.size(), 2u);
}

// The client URLs of every peer once each, in registration order; the workers owning a
// route once each.
TEST(RouteRegistryTest, PeerUrlsAndOwningWorkersAreListedOnceEach) {
  RouteRegistry registry("c", false);
  RouteEntry b = Route("B", true, 1);
  b.worker = 1;
  b.connect_urls = {"b:4222", "shared:4222"};
  RouteEntry c = Route("C", false, 2);
  c.worker = 1;
  c.connect_urls = {"shared:4222", "c:4222"};
  RouteEntry d = Route("D", false, 3);
  d.worker = 0;
  ASSERT_TRUE(registry.Register(b, "A"));
  ASSERT_TRUE(registry.Register(c, "A"));
  ASSERT_TRUE(registry.Register(d, "A"));
  EXPECT_EQ(registry.PeerConnectUrls(),
            (std::vector<std::string>{"b:4222", "shared:4222", "c:4222"}));
  EXPECT_EQ(registry.OwningWorkers(), (std::vector<uint32_t>{0, 1}));
}

// Dynamic cluster names as nats-server 2.9 settles them: a generated name gives way to a
// configured one, and of two generated names the greater wins; the side that keeps its name
// refuses the other (which adopts it from the INFO and connects again).
TEST(RouteRegistryTest, GeneratedNamesSettleOnTheGreatestAndGiveWayToConfiguredOnes) {
  RouteRegistry small("GEN-A", /*name_dynamic=*/true);
  EXPECT_TRUE(small.AgreeOnName("GEN-B", /*theirs_dynamic=*/true));
  EXPECT_EQ(small.cluster_name(), "GEN-B");
  EXPECT_TRUE(small.cluster_name_dynamic());

  RouteRegistry great("GEN-B", /*name_dynamic=*/true);
  EXPECT_FALSE(great.AgreeOnName("GEN-A", /*theirs_dynamic=*/true));
  EXPECT_EQ(great.cluster_name(), "GEN-B") << "the peer adopts ours";

  RouteRegistry generated("GEN-Z", /*name_dynamic=*/true);
  EXPECT_TRUE(generated.AgreeOnName("prod", /*theirs_dynamic=*/false));
  EXPECT_EQ(generated.cluster_name(), "prod");
  EXPECT_FALSE(generated.cluster_name_dynamic());

  RouteRegistry configured("prod", /*name_dynamic=*/false);
  EXPECT_FALSE(configured.AgreeOnName("GEN-Z", /*theirs_dynamic=*/true));
  EXPECT_EQ(configured.cluster_name(), "prod");
  EXPECT_FALSE(configured.AgreeOnName("staging", /*theirs_dynamic=*/false));
  EXPECT_EQ(configured.cluster_name(), "prod");
}

}  // namespace
}  // namespace ringnats::route
