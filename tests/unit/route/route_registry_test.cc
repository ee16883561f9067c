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

}  // namespace
}  // namespace ringnats::route
