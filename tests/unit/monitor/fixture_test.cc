// Every request capture_fixtures.py sent to nats-server 2.9.10, replayed in the same order
// against Endpoints fed with the same situation (situation.h): the same status, content type
// and body, JSON compared field by field (json_compare.h), error texts byte for byte, and
// http_req_stats counting the same requests.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "json_compare.h"
#include "ringnats/monitor/endpoints.h"
#include "ringnats/monitor/render.h"
#include "situation.h"

namespace ringnats::monitor {
namespace {

using testing::CompareOptions;
using testing::ExpectSameDocument;
using testing::OrderedJson;

std::string ReadFixture(const std::string& name) {
  std::ifstream file(std::string(RINGNATS_MONITOR_FIXTURES) + "/" + name, std::ios::binary);
  EXPECT_TRUE(file.good()) << name;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

HttpRequest ToRequest(const std::string& target) {
  HttpRequest request;
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question == std::string::npos) return request;
  request.raw_query = target.substr(question + 1);
  std::istringstream pairs(request.raw_query);
  for (std::string pair; std::getline(pairs, pair, '&');) {
    const size_t equals = pair.find('=');
    request.params.emplace_back(pair.substr(0, equals),
                                equals == std::string::npos ? "" : pair.substr(equals + 1));
  }
  return request;
}

DataSource SituationSource(ServerSnapshot server, std::vector<ConnectionInfo> connections,
                           SubszData subscriptions) {
  DataSource source;
  source.server = [server] { return server; };
  source.connections = [connections](const ConnzQuery&) -> absl::StatusOr<ConnzData> {
    ConnzData data;
    data.connections = connections;
    return data;
  };
  source.subscriptions = [subscriptions](const SubszQuery&) { return subscriptions; };
  return source;
}

std::vector<std::pair<std::string, std::string>> Links(const std::string& html) {
  static const std::regex kLink(R"re(<a href="?([^" >]+)"?[^>]*>([^<]*)</a>)re");
  std::vector<std::pair<std::string, std::string>> links;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kLink);
       it != std::sregex_iterator(); ++it) {
    links.emplace_back((*it)[1], (*it)[2]);
  }
  return links;
}

// A page of subscriptions from an unordered list: the right number, each one of the full
// list's.
void ExpectPageOf(const OrderedJson& full, const OrderedJson& expected_page,
                  const OrderedJson& actual_page, const std::string& name) {
  ASSERT_EQ(expected_page["subscriptions_list"].size(), actual_page["subscriptions_list"].size())
      << name;
  for (const OrderedJson& sub : actual_page["subscriptions_list"]) {
    bool found = false;
    for (const OrderedJson& candidate : full["subscriptions_list"]) found |= candidate == sub;
    EXPECT_TRUE(found) << name << ": " << sub.dump();
  }
  OrderedJson expected_rest = expected_page;
  OrderedJson actual_rest = actual_page;
  expected_rest.erase("subscriptions_list");
  actual_rest.erase("subscriptions_list");
  ExpectSameDocument(expected_rest, actual_rest, CompareOptions{}, name);
}

// Our list is in the order the sort option asks for (the comparison ignores order).
void ExpectSorted(const std::string& sort, const OrderedJson& connz) {
  static const std::map<std::string, std::string> kDescendingField = {
      {"subs", "subscriptions"}, {"pending", "pending_bytes"},
      {"msgs_to", "out_msgs"},   {"msgs_from", "in_msgs"},
      {"bytes_to", "out_bytes"}, {"bytes_from", "in_bytes"},
      {"last", "last_activity"}, {"stop", "stop"}};
  const OrderedJson& list = connz["connections"];
  for (size_t i = 1; i < list.size(); ++i) {
    if (auto it = kDescendingField.find(sort); it != kDescendingField.end()) {
      // Numbers, or RFC 3339 times of one zone (which order as text).
      EXPECT_FALSE(list[i - 1][it->second] < list[i][it->second]) << sort << " at " << i;
    } else if (sort == "reason") {
      EXPECT_LE(list[i - 1]["reason"].get<std::string>(), list[i]["reason"].get<std::string>());
    }
  }
}

void ExpectSameAnswer(const OrderedJson& entry, const HttpResponse& response) {
  const std::string name = entry["name"];
  SCOPED_TRACE(name + " " + entry["path"].get<std::string>());
  EXPECT_EQ(entry["status"].get<int>(), response.status);
  EXPECT_EQ(entry["content_type"].get<std::string>(), response.content_type);
  if (entry.contains("links")) {
    // nats-server's index links, minus its own source link, in order within ours.
    const auto ours = Links(response.body);
    size_t at = 0;
    for (size_t i = 1; i < entry["links"].size(); ++i) {
      const std::pair<std::string, std::string> link = {entry["links"][i][0], entry["links"][i][1]};
      while (at < ours.size() && ours[at] != link) ++at;
      EXPECT_LT(at, ours.size()) << "missing link " << link.first << " " << link.second;
    }
    return;
  }
  const std::string file = entry["file"];
  const std::string expected = ReadFixture(file);
  if (file.ends_with(".txt")) {
    EXPECT_EQ(expected, response.body);
    return;
  }
  std::string expected_json = expected;
  std::string actual_json = response.body;
  if (file.ends_with(".js")) {
    ASSERT_TRUE(expected.starts_with("cb(") && expected.ends_with(")"));
    ASSERT_TRUE(actual_json.starts_with("cb(") && actual_json.ends_with(")")) << actual_json;
    expected_json = expected.substr(3, expected.size() - 4);
    actual_json = actual_json.substr(3, actual_json.size() - 4);
  }
  const OrderedJson want = OrderedJson::parse(expected_json);
  const OrderedJson got = OrderedJson::parse(actual_json);
  if (name == "subsz_subs_offset_limit" || name == "subscriptionsz_subs") {
    ExpectPageOf(OrderedJson::parse(ReadFixture("subsz_subs.json")), want, got, name);
    return;
  }
  CompareOptions options;
  // A sort other than by cid: nats-server leaves ties in its map's order, and times follow
  // each server's clock; so the lists are compared as sets, and ours must be in order.
  const std::string sort(QueryValue(ToRequest(entry["path"]).params, "sort"));
  if (!sort.empty() && sort != "cid" && sort != "start") {
    options.unordered_connections = true;
    ExpectSorted(sort, got);
  }
  ExpectSameDocument(want, got, options, name);
  // Beyond structure: Go's exact layout (indentation, escaping, number forms) once the
  // volatile values are equal. Checked where nothing is volatile.
  if (expected_json.find("\"now\"") == std::string::npos &&
      expected_json.find("\"start\"") == std::string::npos) {
    EXPECT_EQ(expected_json, actual_json);
  }
}

TEST(MonitorFixtureTest, AnswersEveryCapturedRequestAsNatsServer) {
  const OrderedJson index = OrderedJson::parse(ReadFixture("index.json"));
  ASSERT_GT(index.size(), 90u);
  EndpointsOptions options;
  options.server_id = testing::CaptureServer().server_id;
  options.local_zone = absl::UTCTimeZone();
  Endpoints endpoints(options,
                      SituationSource(testing::CaptureServer(), testing::CaptureConnections(),
                                      testing::CaptureSubscriptions()));
  // The base-path server of the capture is a fresh one with no clients.
  ServerSnapshot empty = testing::CaptureServer();
  empty.http_base_path = "/nats";
  empty.connections = empty.total_connections = 0;
  empty.in_msgs = empty.out_msgs = empty.in_bytes = empty.out_bytes = 0;
  empty.subscriptions = 0;
  empty.sublist = SublistStats{};
  EndpointsOptions base_options = options;
  base_options.base_path = "/nats";
  Endpoints base(base_options, SituationSource(empty, {}, {}));

  int compared = 0;
  for (const OrderedJson& entry : index) {
    const std::string name = entry["name"];
    Endpoints& target = name.starts_with("base_") ? base : endpoints;
    const HttpRequest request = ToRequest(entry["path"]);
    if (entry.contains("repeat")) {
      for (int i = 0; i < entry["repeat"].get<int>(); ++i) target.Handle(request);
      continue;
    }
    const HttpResponse response = target.Handle(request);
    // Where ringnats answers by design what nats-server does not have.
    if (name == "not_found_metrics") {
      EXPECT_EQ(200, response.status);
      continue;
    }
    ExpectSameAnswer(entry, response);
    ++compared;
  }
  EXPECT_EQ(compared, static_cast<int>(index.size()) - 2);
}

}  // namespace
}  // namespace ringnats::monitor

namespace ringnats::monitor {
namespace {

absl::Time ParseGoTime(const OrderedJson& text) {
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text.get<std::string>(), &time, &error))
      << text << ": " << error;
  return time;
}

absl::Duration ParseGoDuration(std::string text) {
  if (const size_t micro = text.find("\xC2\xB5s"); micro != std::string::npos) {
    text.replace(micro, 3, "us");
  }
  absl::Duration duration;
  EXPECT_TRUE(absl::ParseDuration(text, &duration)) << text;
  return duration;
}

// With the volatile values taken over from the capture, the documents are nats-server's
// byte for byte: Go's number, time, duration and string forms, and its layout.
TEST(MonitorFixtureTest, VarzIsByteExactGivenTheCapturedValues) {
  const std::string expected = ReadFixture("varz_after.json");
  const OrderedJson captured = OrderedJson::parse(expected);
  ServerSnapshot server = testing::CaptureServer();
  server.server_id = captured["server_id"];
  server.port = captured["port"];
  server.start = ParseGoTime(captured["start"]);
  server.now = ParseGoTime(captured["now"]);
  server.config_load_time = ParseGoTime(captured["config_load_time"]);
  server.mem = captured["mem"];
  server.cpu = captured["cpu"];
  server.cores = captured["cores"];
  server.gomaxprocs = captured["gomaxprocs"];
  for (auto it = captured["http_req_stats"].begin(); it != captured["http_req_stats"].end(); ++it) {
    server.http_req_stats[it.key()] = it.value();
  }
  Json varz = VarzJson(server, absl::UTCTimeZone());
  varz.erase("ringnats");
  EXPECT_EQ(expected, GoJsonIndent(varz));
}

TEST(MonitorFixtureTest, ConnzIsByteExactGivenTheCapturedValues) {
  const std::string expected = ReadFixture("connz_state_all_auth_detail.json");
  const OrderedJson captured = OrderedJson::parse(expected);
  ConnzData data;
  for (const OrderedJson& c : captured["connections"]) {
    ConnectionInfo info;
    info.cid = c["cid"];
    info.kind = c["kind"];
    info.type = c["type"];
    info.ip = c["ip"];
    info.port = c["port"];
    info.start = ParseGoTime(c["start"]);
    info.last_activity = ParseGoTime(c["last_activity"]);
    if (c.contains("stop")) info.stop = ParseGoTime(c["stop"]);
    info.reason = c.value("reason", "");
    info.rtt = ParseGoDuration(c["rtt"]);
    info.pending_bytes = c["pending_bytes"];
    info.in_msgs = c["in_msgs"];
    info.out_msgs = c["out_msgs"];
    info.in_bytes = c["in_bytes"];
    info.out_bytes = c["out_bytes"];
    info.num_subs = c["subscriptions"];
    info.name = c.value("name", "");
    info.lang = c.value("lang", "");
    info.version = c.value("version", "");
    info.authorized_user = c.value("authorized_user", "");
    if (c.contains("subscriptions_list_detail")) {
      for (const OrderedJson& s : c["subscriptions_list_detail"]) {
        info.subs.push_back(testing::Sub(s["cid"], s["subject"], s["sid"], s["msgs"],
                                         s.value("qgroup", ""), s.value("max", 0)));
      }
    }
    data.connections.push_back(std::move(info));
  }
  ConnzQuery query;
  query.state = ConnState::kAll;
  query.auth = true;
  query.subs = SubsOption::kDetail;
  EXPECT_EQ(expected, ConnzJsonText(captured["server_id"].get<std::string>(), data, query,
                                    ParseGoTime(captured["now"]), absl::UTCTimeZone()));
}

}  // namespace
}  // namespace ringnats::monitor
