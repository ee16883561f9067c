// Rendering cases the captured situation does not reach: time-based sorts, zones, optional
// fields, the account and user filters, nats-server's cid quirk, the ringnats object.

#include "ringnats/monitor/render.h"

#include <gtest/gtest.h>

#include "situation.h"

namespace ringnats::monitor {
namespace {

using testing::CaptureConnections;
using testing::CaptureStart;
using testing::Connection;

std::vector<uint64_t> Cids(const Json& connz) {
  std::vector<uint64_t> cids;
  for (const Json& c : connz["connections"]) cids.push_back(c["cid"].get<uint64_t>());
  return cids;
}

Json Render(const std::vector<ConnectionInfo>& connections, ConnzQuery query,
            absl::Time now = CaptureStart() + absl::Seconds(10)) {
  ConnzData data;
  data.connections = connections;
  return ConnzJson("ID", data, query, now, absl::UTCTimeZone());
}

TEST(ConnzRenderTest, SortsByTimeAsNatsServer) {
  std::vector<ConnectionInfo> list;
  for (uint64_t cid : {1, 2, 3}) list.push_back(Connection(cid, ""));
  // cid 1: oldest, active longest; cid 2: most recent activity; cid 3: newest.
  list[0].start = CaptureStart();
  list[0].last_activity = CaptureStart() + absl::Seconds(8);
  list[1].start = CaptureStart() + absl::Seconds(2);
  list[1].last_activity = CaptureStart() + absl::Seconds(9);
  list[2].start = CaptureStart() + absl::Seconds(5);
  list[2].last_activity = CaptureStart() + absl::Seconds(6);
  ConnzQuery query;
  query.sort = ConnzSort::kLast;
  EXPECT_EQ(Cids(Render(list, query)), (std::vector<uint64_t>{2, 1, 3}));
  query.sort = ConnzSort::kIdle;  // last activity minus start, longest first
  EXPECT_EQ(Cids(Render(list, query)), (std::vector<uint64_t>{1, 2, 3}));
  query.sort = ConnzSort::kUptime;  // shortest first
  EXPECT_EQ(Cids(Render(list, query)), (std::vector<uint64_t>{3, 2, 1}));
  query.sort = ConnzSort::kStart;
  EXPECT_EQ(Cids(Render(list, query)), (std::vector<uint64_t>{1, 2, 3}));
}

TEST(ConnzRenderTest, SortsClosedByStopAndReason) {
  std::vector<ConnectionInfo> list;
  for (uint64_t cid : {1, 2, 3}) {
    list.push_back(Connection(cid, ""));
    list.back().stop = CaptureStart() + absl::Seconds(static_cast<int64_t>(cid % 3));
  }
  list[0].reason = "Stale Connection";
  list[1].reason = "Client Closed";
  list[2].reason = "Read Error";
  ConnzQuery query;
  query.state = ConnState::kClosed;
  query.sort = ConnzSort::kStop;
  EXPECT_EQ(Cids(Render(list, query)), (std::vector<uint64_t>{2, 1, 3}));
  query.sort = ConnzSort::kReason;
  EXPECT_EQ(Cids(Render(list, query)), (std::vector<uint64_t>{2, 3, 1}));
}

TEST(ConnzRenderTest, ClosedConnectionTimesEndAtStop) {
  std::vector<ConnectionInfo> list = {Connection(1, "")};
  list[0].start = CaptureStart();
  list[0].last_activity = CaptureStart() + absl::Seconds(30);
  list[0].stop = CaptureStart() + absl::Seconds(95);
  list[0].reason = "Client Closed";
  ConnzQuery query;
  query.state = ConnState::kClosed;
  const Json connz = Render(list, query, CaptureStart() + absl::Hours(5));
  EXPECT_EQ(connz["connections"][0]["uptime"], "1m35s");
  EXPECT_EQ(connz["connections"][0]["idle"], "1m5s");
}

TEST(ConnzRenderTest, LocalTimesUseTheServersZoneAndStopIsUtc) {
  std::vector<ConnectionInfo> list = {Connection(1, "")};
  list[0].start = CaptureStart();
  list[0].stop = CaptureStart() + absl::Seconds(1);
  ConnzQuery query;
  query.state = ConnState::kAll;
  ConnzData data;
  data.connections = list;
  const Json connz = ConnzJson("ID", data, query, CaptureStart() + absl::Seconds(2),
                               absl::FixedTimeZone(2 * 3600));
  EXPECT_EQ(connz["now"], "2026-12-06T04:53:17Z");
  EXPECT_EQ(connz["connections"][0]["start"], "2026-12-06T06:53:15+02:00");
  EXPECT_EQ(connz["connections"][0]["stop"], "2026-12-06T04:53:16Z");
}

TEST(ConnzRenderTest, OptionalFieldsAppearOnlyWhenSetAndAsked) {
  std::vector<ConnectionInfo> list = {Connection(1, "tok")};
  list[0].tls_version = "1.3";
  list[0].tls_cipher_suite = "TLS_AES_128_GCM_SHA256";
  list[0].tls_peer_certs = {{"CN=client", "aa", "bb"}};
  list[0].account = "A";
  list[0].rtt = absl::Nanoseconds(1234567);
  ConnzQuery query;
  Json c = Render(list, query)["connections"][0];
  EXPECT_EQ(c["rtt"], "1.234567ms");
  EXPECT_EQ(c["tls_version"], "1.3");
  EXPECT_FALSE(c.contains("tls_peer_certs"));
  EXPECT_FALSE(c.contains("authorized_user"));
  EXPECT_FALSE(c.contains("account"));
  EXPECT_FALSE(c.contains("name"));
  query.auth = true;
  c = Render(list, query)["connections"][0];
  EXPECT_EQ(c["tls_peer_certs"][0]["subject"], "CN=client");
  EXPECT_EQ(c["authorized_user"], "tok");
  EXPECT_EQ(c["account"], "A");
  std::vector<std::string> keys;
  for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"cid",
                                            "kind",
                                            "type",
                                            "ip",
                                            "port",
                                            "start",
                                            "last_activity",
                                            "rtt",
                                            "uptime",
                                            "idle",
                                            "pending_bytes",
                                            "in_msgs",
                                            "out_msgs",
                                            "in_bytes",
                                            "out_bytes",
                                            "subscriptions",
                                            "tls_version",
                                            "tls_cipher_suite",
                                            "tls_peer_certs",
                                            "authorized_user",
                                            "account"}));
}

TEST(ConnzRenderTest, EscapesClientStringsAsEncodingJson) {
  // Names, languages and versions come from clients' CONNECTs.
  std::vector<ConnectionInfo> list = {Connection(1, "")};
  list[0].name = "<script>&\"\\\n\x7f\xFF\xE2\x80\xA8";
  list[0].lang = "\xC3";
  list[0].tags = {"</x>"};
  list[0].stop = CaptureStart() + absl::Seconds(1);
  list[0].reason = "Client Closed";
  ConnzQuery query;
  query.state = ConnState::kClosed;
  ConnzData data;
  data.connections = list;
  const std::string text =
      ConnzJsonText("ID", data, query, CaptureStart() + absl::Seconds(2), absl::UTCTimeZone());
  EXPECT_NE(text.find("\n      \"name\": \"\\u003cscript\\u003e\\u0026\\\"\\\\\\n\x7f\\ufffd"
                      "\\u2028\",\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"lang\": \"\\ufffd\","), std::string::npos) << text;
  EXPECT_NE(text.find("\"tags\": [\n        \"\\u003c/x\\u003e\"\n      ]"), std::string::npos)
      << text;
  EXPECT_TRUE(Json::accept(text));
}

TEST(ConnzRenderTest, UserFilterKeepsTheUnfilteredTotal) {
  ConnzQuery query;
  query.user = "bob";
  const Json connz = Render(CaptureConnections(), query);
  EXPECT_EQ(Cids(connz), (std::vector<uint64_t>{2}));
  EXPECT_EQ(connz["total"], 4);
  EXPECT_EQ(connz["num_connections"], 1);
}

TEST(ConnzRenderTest, CidWithStateAllLooksAmongClosedOnly) {
  ConnzQuery query;
  query.state = ConnState::kAll;
  query.cid = 1;  // open
  query.limit = 1;
  EXPECT_TRUE(Render(CaptureConnections(), query)["connections"].empty());
  query.cid = 4;  // closed
  EXPECT_EQ(Cids(Render(CaptureConnections(), query)), (std::vector<uint64_t>{4}));
}

TEST(ConnzRenderTest, AccountFilter) {
  std::vector<ConnectionInfo> list = CaptureConnections();
  ConnzQuery query;
  query.account = "$G";
  EXPECT_EQ(Cids(Render(list, query)), (std::vector<uint64_t>{1, 2, 3, 6}));
  // Closed connections of the global account do not match it (nats-server records their
  // account as empty).
  query.state = ConnState::kClosed;
  Json connz = Render(list, query);
  EXPECT_TRUE(connz["connections"].empty());
  EXPECT_EQ(connz["total"], 0);
  query.account = "nobody";
  connz = Render(list, query);
  EXPECT_EQ(connz["server_id"], "");
  EXPECT_TRUE(connz["connections"].is_null());
}

TEST(ConnzRenderTest, PagesAfterSorting) {
  ConnzQuery query;
  query.sort = ConnzSort::kMsgsTo;
  query.offset = 1;
  query.limit = 2;
  const Json connz = Render(CaptureConnections(), query);
  EXPECT_EQ(Cids(connz), (std::vector<uint64_t>{1, 6}));  // out_msgs 7, [4, 1], 0
  EXPECT_EQ(connz["num_connections"], 2);
  EXPECT_EQ(connz["total"], 4);
}

TEST(SubszRenderTest, FiltersByTestSubjectWithWildcards) {
  SubszQuery query;
  query.subs = true;
  query.test = "baz.a.b";
  const Json subsz = SubszJson("ID", testing::CaptureSubscriptions(), query, CaptureStart());
  ASSERT_EQ(subsz["subscriptions_list"].size(), 1u);
  EXPECT_EQ(subsz["subscriptions_list"][0]["subject"], "baz.>");
  EXPECT_EQ(subsz["total"], 1);
}

TEST(VarzRenderTest, OmitsEmptyOptionalFieldsAndShowsSetOnes) {
  ServerSnapshot server = testing::CaptureServer();
  server.now = server.start + absl::Hours(50);
  Json varz = VarzJson(server, absl::UTCTimeZone());
  EXPECT_FALSE(varz.contains("tls_required"));
  EXPECT_FALSE(varz.contains("connect_urls"));
  EXPECT_FALSE(varz.contains("system_account"));
  EXPECT_EQ(varz["uptime"], "2d2h0m0s");
  EXPECT_EQ(varz["ping_interval"], 120000000000);
  EXPECT_EQ(varz["write_deadline"], 10000000000);
  server.tls_required = true;
  server.connect_urls = {"10.0.0.1:4222"};
  server.max_subscriptions = 100;
  server.cluster.name = "c1";
  server.cluster.cluster_port = 6222;
  server.tags = {"az:1"};
  server.system_account = "$SYS";
  varz = VarzJson(server, absl::UTCTimeZone());
  EXPECT_EQ(varz["tls_required"], true);
  EXPECT_EQ(varz["connect_urls"][0], "10.0.0.1:4222");
  EXPECT_EQ(varz["max_subscriptions"], 100);
  EXPECT_EQ(varz["cluster"].dump(), R"({"name":"c1","cluster_port":6222})");
  EXPECT_EQ(varz["tags"][0], "az:1");
  std::vector<std::string> tail;
  for (auto it = varz.begin(); it != varz.end(); ++it) tail.push_back(it.key());
  tail.erase(tail.begin(), tail.end() - 4);
  EXPECT_EQ(tail,
            (std::vector<std::string>{"config_load_time", "tags", "system_account", "ringnats"}));
}

TEST(VarzRenderTest, RingnatsObject) {
  RingnatsStats stats;
  stats.version = "0.1.0";
  stats.auth_successes = 10;
  stats.auth_failures = 2;
  stats.auth_pool_queue_depth = 3;
  stats.auth_hash_time.upper_bounds_seconds = {0.01, 0.1, 1};
  stats.auth_hash_time.counts = {0, 10, 0, 0};
  stats.auth_hash_time.count = 10;
  stats.auth_hash_time.sum_seconds = 0.5;
  stats.workers = {{3, 10, 20, 30, 40}, {1, 0, 0, 0, 0}};
  stats.reloads = 2;
  stats.reload_failures = 1;
  stats.last_reload = CaptureStart();
  stats.last_reload_error = "bad config";
  const Json json = RingnatsJson(stats, absl::UTCTimeZone());
  EXPECT_EQ(json["auth"]["successes"], 10);
  EXPECT_EQ(json["auth"]["pool_queue_depth"], 3);
  EXPECT_DOUBLE_EQ(json["auth"]["hash_time"]["p50_seconds"].get<double>(), 0.055);
  EXPECT_EQ(json["auth"]["hash_time"]["buckets"][1]["count"], 10);
  EXPECT_EQ(json["workers"][0]["out_bytes"], 40);
  EXPECT_EQ(json["reloads"]["last"], "2026-12-06T04:53:15Z");
  EXPECT_EQ(json["reloads"]["last_error"], "bad config");
}

TEST(HistogramQuantileTest, InterpolatesWithinBuckets) {
  HistogramSnapshot h;
  h.upper_bounds_seconds = {1, 2, 4};
  h.counts = {0, 0, 0, 0};
  EXPECT_EQ(HistogramQuantile(h, 0.5), 0);
  h.counts = {2, 2, 0, 0};
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 0.25), 0.5);
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 0.75), 1.5);
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 1), 2);
  h.counts = {0, 0, 0, 5};  // all beyond the last bound
  EXPECT_DOUBLE_EQ(HistogramQuantile(h, 0.5), 4);
}

}  // namespace
}  // namespace ringnats::monitor
