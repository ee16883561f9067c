// /routez and /varz's cluster fields on a two-node cluster: nats-server 2.9.10's field names
// and order, which route is whose, and the peer's interest with ?subs=1 and ?subs=detail.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cluster/cluster_fixture.h"
#include "harness/http_get.h"

namespace ringnats::clustertest {
namespace {

using Json = nlohmann::ordered_json;

class RoutezTest : public ClusterTest {
 protected:
  Json Get(int index, std::string_view path) {
    absl::StatusOr<harness::HttpAnswer> answer = harness::HttpGet(node(index).monitor_port(), path);
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (!answer.ok()) return Json();
    EXPECT_EQ(answer->status, 200) << answer->body;
    Json json = Json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(json.is_discarded()) << answer->body;
    return json;
  }
};

std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

bool Contains(const Json& list, std::string_view subject) {
  return std::any_of(list.begin(), list.end(),
                     [&](const Json& entry) { return entry.is_string() && entry == subject; });
}

TEST_F(RoutezTest, ShowsEachSideOfTheRouteAsNatsServerDoes) {
  NodeConfig a{"A"};
  a.extra = "http_port: -1";
  ASSERT_NO_FATAL_FAILURE(StartNode(0, a));
  NodeConfig b{"B"};
  b.extra = "http_port: -1";
  b.routes = {RouteUrl(cluster_port(0))};
  ASSERT_NO_FATAL_FAILURE(StartNode(1, b));
  ASSERT_TRUE(AwaitMesh({0, 1}));
  ASSERT_NE(node(0).monitor_port(), 0);

  auto subscriber = Client(1);
  ASSERT_TRUE(subscriber);
  ASSERT_TRUE(subscriber->Send("SUB rz.plain 1\r\nSUB rz.queue workers 2\r\n"));
  ASSERT_TRUE(AwaitInterest(*subscriber, {0}));

  const Json b_varz = Get(1, "/varz");
  const Json a_routez = Get(0, "/routez");
  ASSERT_EQ(a_routez["num_routes"], 1) << a_routez.dump(2);
  EXPECT_EQ(Keys(a_routez), (std::vector<std::string>{"server_id", "now", "num_routes", "routes"}));
  const Json& route = a_routez["routes"][0];
  EXPECT_EQ(Keys(route),
            (std::vector<std::string>{"rid", "remote_id", "did_solicit", "is_configured", "ip",
                                      "port", "start", "last_activity", "rtt", "uptime", "idle",
                                      "pending_size", "in_msgs", "out_msgs", "in_bytes",
                                      "out_bytes", "subscriptions"}))
      << route.dump(2);
  EXPECT_EQ(route["remote_id"], b_varz["server_id"]);
  EXPECT_EQ(route["did_solicit"], false);  // B dialled A
  EXPECT_EQ(route["is_configured"], false);
  EXPECT_EQ(route["ip"], "127.0.0.1");
  EXPECT_GE(route["subscriptions"].get<int64_t>(), 2);

  const Json b_routez = Get(1, "/routez");
  ASSERT_EQ(b_routez["num_routes"], 1);
  EXPECT_EQ(b_routez["routes"][0]["did_solicit"], true);
  EXPECT_EQ(b_routez["routes"][0]["is_configured"], true);
  EXPECT_EQ(b_routez["routes"][0]["port"], cluster_port(0));

  const Json listed = Get(0, "/routez?subs=1")["routes"][0];
  ASSERT_TRUE(listed.contains("subscriptions_list")) << listed.dump(2);
  EXPECT_TRUE(Contains(listed["subscriptions_list"], "rz.plain"));
  EXPECT_TRUE(Contains(listed["subscriptions_list"], "rz.queue"));

  const Json detailed = Get(0, "/routez?subs=detail")["routes"][0];
  ASSERT_TRUE(detailed.contains("subscriptions_list_detail")) << detailed.dump(2);
  bool found_queue = false;
  for (const Json& sub : detailed["subscriptions_list_detail"]) {
    if (sub["subject"] != "rz.queue") continue;
    found_queue = true;
    EXPECT_EQ(sub["qgroup"], "workers");
    EXPECT_EQ(sub["sid"], "$G rz.queue workers");
  }
  EXPECT_TRUE(found_queue) << detailed.dump(2);

  const Json a_varz = Get(0, "/varz");
  EXPECT_EQ(a_varz["routes"], 1);
  EXPECT_EQ(a_varz["cluster"]["name"], kClusterName);
  EXPECT_EQ(a_varz["cluster"]["cluster_port"], cluster_port(0));
  EXPECT_EQ(Get(1, "/varz")["cluster"]["urls"][0],
            "127.0.0.1:" + std::to_string(cluster_port(0)));
}

}  // namespace
}  // namespace ringnats::clustertest
