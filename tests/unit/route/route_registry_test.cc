// One route per peer: when both servers dial each other, both keep the route dialled by the
// lower server id, and the route it replaces is marked displaced at once (its worker stops
// sending on it before it closes it), so no message goes out on both.

#include "ringnats/route/route_registry.h"

#include <memory>
#include <optional>

#include "gtest/gtest.h"

namespace ringnats::route {
namespace {

RouteEntry Route(std::string_view peer, bool solicited, uint32_t slot) {
  RouteEntry entry;
  entry.server_id = std::string(peer);
  entry.solicited = solicited;
  entry.conn = ring::ConnId{slot, 1};
  entry.displaced = std::make_shared<std::atomic<bool>>(false);
  return entry;
}

TEST(RouteRegistryTest, TheRouteDialledByTheLowerIdDisplacesTheOtherAndMarksIt) {
  // We are "A", the peer "B": A < B, so both keep the route A dialled.
  RouteRegistry registry("c", false);
  const RouteEntry accepted = Route("B", /*solicited=*/false, 1);
  std::optional<RouteEntry> displaced;
  ASSERT_TRUE(registry.Register(accepted, "A", &displaced));
  EXPECT_FALSE(displaced.has_value());

  const RouteEntry dialled = Route("B", /*solicited=*/true, 2);
  ASSERT_TRUE(registry.Register(dialled, "A", &displaced));
  ASSERT_TRUE(displaced.has_value());
  EXPECT_EQ(displaced->conn, accepted.conn);
  EXPECT_TRUE(accepted.displaced->load());
  EXPECT_FALSE(dialled.displaced->load());
  ASSERT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.All()[0].conn, dialled.conn);
}

TEST(RouteRegistryTest, ADuplicateThatLosesIsRefusedAndMarksNothing) {
  // We are "C", the peer "B": B < C, so both keep the route B dialled (accepted here).
  RouteRegistry registry("c", false);
  const RouteEntry accepted = Route("B", /*solicited=*/false, 1);
  std::optional<RouteEntry> displaced;
  ASSERT_TRUE(registry.Register(accepted, "C", &displaced));
  const RouteEntry dialled = Route("B", /*solicited=*/true, 2);
  EXPECT_FALSE(registry.Register(dialled, "C", &displaced));
  EXPECT_FALSE(displaced.has_value());
  EXPECT_FALSE(accepted.displaced->load());
  EXPECT_FALSE(dialled.displaced->load());
  EXPECT_EQ(registry.All()[0].conn, accepted.conn);
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
