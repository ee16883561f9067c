// Every monitoring endpoint of the server under test against Debian's nats-server in the
// same situation (side_by_side.h): the same requests, answered with the same status, keys in
// the same order, the same JSON types, and the same values wherever nats-server's own values
// do not vary between runs (json_diff.h says which vary). Each query parameter and each
// error case of issue 10 is asked once.
//
// The tests of this suite share one pair of servers and one situation, built before the
// first test; requests go to both in lockstep, so /varz http_req_stats can be compared.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "monitoring/endpoints/answer_diff.h"
#include "monitoring/endpoints/json_diff.h"
#include "monitoring/endpoints/side_by_side.h"

namespace ringnats::monitoring {
namespace {

struct World {
  std::unique_ptr<ServerPair> servers;
  Situation reference;
  Situation actual;
  CidMap cids;
  std::string error;  // why the world could not be built; every test fails with it
};

absl::Status BuildWorld(World* world) {
  auto servers = ServerPair::Start(kUsersConfig);
  if (!servers.ok()) return servers.status();
  world->servers = *std::move(servers);
  if (auto s = BuildSituation(world->servers->reference().port(), &world->reference); !s.ok()) {
    return absl::InternalError(absl::StrCat("nats-server: ", s.message()));
  }
  if (auto s = BuildSituation(world->servers->actual().port(), &world->actual); !s.ok()) {
    return absl::InternalError(absl::StrCat("the server under test: ", s.message()));
  }
  // Wait until both list every closed connection; the polls are counted alike on both.
  if (auto s = world->servers->PollBoth("/connz?state=closed",
                                        [](const std::string& body) {
                                          Json doc = Json::parse(body, nullptr, false);
                                          return !doc.is_discarded() &&
                                                 doc.value("num_connections", 0) == kClosedClients;
                                        });
      !s.ok()) {
    return s;
  }
  auto cids = MapCids(*world->servers, world->reference, world->actual);
  if (!cids.ok()) return cids.status();
  world->cids = *std::move(cids);
  return absl::OkStatus();
}

// A cid query written with "{cid:N}" for the test's client #N: each server gets its own cid.
std::string WithCid(const std::string& path, const std::map<int64_t, int>& cids) {
  const size_t open = path.find("{cid:");
  if (open == std::string::npos) return path;
  const size_t close = path.find('}', open);
  const int client = std::stoi(path.substr(open + 5, close - open - 5));
  int64_t cid = -1;
  for (const auto& [id, number] : cids) {
    if (number == client) cid = id;
  }
  return path.substr(0, open) + std::to_string(cid) + path.substr(close + 1);
}

// Nanoseconds from `from` to `to`, two time fields of a connection (or the answer's "now"
// when `to` is "end" and the connection is open, its "stop" when closed).
int64_t Span(const Json& doc, const Json& connection, const char* from, const char* to) {
  std::string end;
  if (std::string(to) == "end") {
    end = connection.contains("stop") ? connection["stop"].get<std::string>()
                                      : doc["now"].get<std::string>();
  } else {
    end = connection[to].get<std::string>();
  }
  return ParseGoTimeNanos(end) - ParseGoTimeNanos(connection[from].get<std::string>());
}

// How nats-server 2.9.10 orders /connz?sort=X: the value it sorts on and the direction.
// Ties may come in any order (Go's sort.Sort is not stable).
struct SortRule {
  std::string sort;
  bool ascending;
  std::function<double(const Json& doc, const Json& connection)> value;
};

std::function<double(const Json&, const Json&)> Field(const char* name) {
  return [name](const Json&, const Json& connection) { return connection[name].get<double>(); };
}

std::function<double(const Json&, const Json&)> Time(const char* name) {
  return [name](const Json&, const Json& connection) {
    return static_cast<double>(ParseGoTimeNanos(connection[name].get<std::string>()));
  };
}

const std::vector<SortRule>& SortRules() {
  static const auto* rules = new std::vector<SortRule>{
      {"cid", true, Field("cid")},
      {"start", true, Field("cid")},  // nats-server sorts by cid here too
      {"subs", false, Field("subscriptions")},
      {"pending", false, Field("pending_bytes")},
      {"msgs_to", false, Field("out_msgs")},
      {"msgs_from", false, Field("in_msgs")},
      {"bytes_to", false, Field("out_bytes")},
      {"bytes_from", false, Field("in_bytes")},
      {"last", false, Time("last_activity")},
      // Idle is measured from start to the last activity, the longest first.
      {"idle", false,
       [](const Json& doc, const Json& c) {
         return static_cast<double>(Span(doc, c, "start", "last_activity"));
       }},
      // Uptime (until now or until closed), the shortest first.
      {"uptime", true,
       [](const Json& doc, const Json& c) {
         return static_cast<double>(Span(doc, c, "start", "end"));
       }},
      {"stop", false, Time("stop")},
      {"reason", true, nullptr},  // by the reason string
  };
  return *rules;
}

// Empty when `doc`'s connections are ordered by `rule`; else what is out of order.
std::string CheckOrder(const Json& doc, const SortRule& rule) {
  if (!doc.contains("connections") || !doc["connections"].is_array()) return "no connections";
  const Json& list = doc["connections"];
  for (size_t i = 1; i < list.size(); ++i) {
    const Json& a = list[i - 1];
    const Json& b = list[i];
    int order = 0;  // <0: a before b in ascending order
    try {
      if (rule.value == nullptr) {
        order = a["reason"].get<std::string>().compare(b["reason"].get<std::string>());
      } else {
        const double x = rule.value(doc, a);
        const double y = rule.value(doc, b);
        order = x < y ? -1 : (x > y ? 1 : 0);
      }
    } catch (const Json::exception& error) {
      return absl::StrCat("connection ", i, ": ", error.what());
    }
    if (rule.ascending ? order > 0 : order < 0) {
      return absl::StrCat("sort=", rule.sort, ": ", a.dump(), "\nbefore ", b.dump());
    }
  }
  return "";
}

class Conformance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world_ = new World();
    if (absl::Status status = BuildWorld(world_); !status.ok()) {
      world_->error = std::string(status.message());
    }
  }

  static void TearDownTestSuite() {
    delete world_;  // stops both servers; a bad exit is a failure of the suite
    world_ = nullptr;
  }

  void SetUp() override {
    if (!world_->error.empty()) {
      GTEST_FAIL() << "the side-by-side situation could not be built: " << world_->error;
    }
  }

  // GETs `path` from both (a "{cid:N}" in it becomes each server's cid of client #N) and
  // returns the differences, each prefixed with the request.
  std::vector<std::string> Differences(const std::string& path, DiffOptions options = {}) {
    auto answers = Get(path);
    if (!answers.ok()) return {absl::StrCat(path, ": ", answers.status().message())};
    if (options.cids == nullptr) options.cids = &world_->cids;
    std::vector<std::string> diffs = DiffAnswers(answers->reference, answers->actual, options);
    for (std::string& diff : diffs) diff = absl::StrCat(path, " ", diff);
    return diffs;
  }

  absl::StatusOr<AnswerPair> Get(const std::string& path) {
    AnswerPair answers;
    // Lockstep as ServerPair::Get, with each server's own cid substituted.
    auto reference = harness::HttpGet(world_->servers->reference().monitor_port(),
                                      WithCid(path, world_->cids.reference));
    if (!reference.ok()) return reference.status();
    auto actual = harness::HttpGet(world_->servers->actual().monitor_port(),
                                   WithCid(path, world_->cids.actual));
    if (!actual.ok()) return actual.status();
    answers.reference = *std::move(reference);
    answers.actual = *std::move(actual);
    return answers;
  }

  void ExpectConforms(const std::vector<std::string>& paths, DiffOptions options = {}) {
    for (const std::string& path : paths) {
      const std::vector<std::string> diffs = Differences(path, options);
      EXPECT_TRUE(diffs.empty()) << diffs.size() << " difference(s):\n"
                                 << absl::StrJoin(diffs, "\n");
    }
  }

  // Both answers parsed as JSON; a test failure when either is not.
  bool GetJson(const std::string& path, Json* reference, Json* actual) {
    auto answers = Get(path);
    if (!answers.ok()) {
      ADD_FAILURE() << path << ": " << answers.status().message();
      return false;
    }
    *reference = Json::parse(answers->reference.body, nullptr, false);
    *actual = Json::parse(answers->actual.body, nullptr, false);
    if (reference->is_discarded() || actual->is_discarded()) {
      ADD_FAILURE() << path << ": not JSON:\nnats-server: " << answers->reference.body
                    << "\nringnats: " << answers->actual.body;
      return false;
    }
    return true;
  }

  static World* world_;
};

World* Conformance::world_ = nullptr;

TEST_F(Conformance, Varz) {
  DiffOptions options;
  // By design: ringnats adds its own counters in a "ringnats" object after nats-server's
  // last key (issue 10, item 4); clients that decode /varz ignore unknown keys.
  options.allowed_additions = {"$.ringnats"};
  ExpectConforms({"/varz", "/varz?callback=cb"}, options);
  Json reference, actual;
  if (!GetJson("/varz", &reference, &actual)) return;
  EXPECT_FALSE(reference.contains("ringnats"));
  if (harness::IsNatsServer(harness::ServerUnderTest())) return;
  ASSERT_TRUE(actual.contains("ringnats")) << actual.dump(2);
  EXPECT_TRUE(actual["ringnats"].is_object());
  // Its last key: additions come after everything nats-server has.
  EXPECT_EQ((--actual.end()).key(), "ringnats");
}

TEST_F(Conformance, ConnzSubscriptionsAuthAndFilters) {
  ExpectConforms({
      "/connz",
      "/connz?subs=1",
      "/connz?subs=true",
      "/connz?subs=detail",
      "/connz?auth=1",
      "/connz?auth=true&subs=detail",
      "/connz?auth=1&user=bob",
      "/connz?auth=1&user=guest&subs=1",
      "/connz?user=nobody",
      "/connz?acc=$G",
      "/connz?auth=1&acc=$G&subs=detail",
      "/connz?acc=nope",
      "/connz?callback=cb&limit=1",
  });
}

// Query strings as Go reads them: a value keeps every '=' after the first, a pair holding ';'
// or a bad escape is dropped, '+' is a space.
TEST_F(Conformance, QueryStringsReadAsGoReadsThem) {
  ExpectConforms({
      "/connz?limit=1;x",
      "/connz?limit=%zz",
      "/connz?limit=%2",
      "/connz?callback=a=b&limit=1",
      "/connz?auth=1&user=a+b",
      "/subsz?subs=1&test=foo=bar",
  });
}

TEST_F(Conformance, ConnzPaging) {
  ExpectConforms({
      "/connz?offset=1",
      "/connz?limit=2",
      "/connz?offset=1&limit=1",
      "/connz?offset=10",
      "/connz?offset=-3&limit=-1",
      "/connz?limit=0",
      "/connz?state=all&offset=2&limit=3",
      "/connz?state=closed&offset=1",
  });
}

TEST_F(Conformance, ConnzCid) {
  ExpectConforms({
      "/connz?cid={cid:1}",
      "/connz?cid={cid:0}&subs=detail&auth=1",
      "/connz?cid={cid:3}",  // closed: not found among the open ones
      "/connz?state=closed&cid={cid:3}",
      "/connz?state=closed&cid={cid:4}&auth=1",
      "/connz?state=all&cid={cid:6}",
      "/connz?state=all&cid={cid:5}&subs=detail",
      "/connz?cid=999",
  });
}

TEST_F(Conformance, ConnzState) {
  ExpectConforms({
      "/connz?state=open",
      "/connz?state=closed",
      "/connz?state=closed&subs=1",
      "/connz?state=closed&subs=detail&auth=1",
      "/connz?state=all",
      "/connz?state=ANY",
      "/connz?state=all&auth=1&subs=detail",
      "/connz?state=closed&user=bob&auth=1",
  });
}

// Every sort value: the same connections, each server's list in its sort order. Ties and
// time-based orders are not pinned to one sequence, so the lists are paired by client.
TEST_F(Conformance, ConnzSort) {
  DiffOptions unordered;
  unordered.unordered_connections = true;
  for (const SortRule& rule : SortRules()) {
    const bool closed_only = rule.sort == "stop" || rule.sort == "reason";
    std::vector<std::string> paths = {"/connz?state=closed&sort=" + rule.sort};
    if (!closed_only) {
      paths.push_back("/connz?sort=" + rule.sort);
      paths.push_back("/connz?state=all&subs=1&sort=" + rule.sort);
    }
    for (const std::string& path : paths) {
      SCOPED_TRACE(path);
      ExpectConforms({path}, unordered);
      Json reference, actual;
      if (!GetJson(path, &reference, &actual)) continue;
      const std::string reference_order = CheckOrder(reference, rule);
      EXPECT_EQ(reference_order, "")
          << "nats-server does not sort " << path << " as this test believes: fix SortRules()";
      EXPECT_EQ(CheckOrder(actual, rule), "") << path << " not in nats-server's order";
    }
  }
}

TEST_F(Conformance, ConnzBadParameters) {
  ExpectConforms({
      "/connz?sort=foo",
      "/connz?sort=rtt",
      "/connz?sort=stop",
      "/connz?sort=stop&state=open",
      "/connz?sort=reason&state=all",
      "/connz?auth=yes",
      "/connz?subs=2",
      "/connz?subs=foo",
      "/connz?offset=x",
      "/connz?limit=1.5",
      "/connz?cid=-1",
      "/connz?cid=abc",
      "/connz?cid=99999999999999999999",
      "/connz?state=bad",
  });
}

TEST_F(Conformance, Routez) {
  ExpectConforms({"/routez", "/routez?subs=1", "/routez?subs=detail", "/routez?subs=x"});
}

TEST_F(Conformance, Subsz) {
  ExpectConforms({
      "/subsz",
      "/subsz?subs=1",
      "/subsz?subs=1&test=foo",
      "/subsz?subs=1&test=bar.x",
      "/subsz?subs=1&test=work",
      "/subsz?subs=1&test=lim2",
      "/subsz?subs=1&test=nothing.here",
      "/subsz?test=foo",
      "/subsz?subs=1&offset=50",
      "/subsz?subs=1&acc=$G",
      "/subscriptionsz",
      "/subscriptionsz?subs=1&test=baz.a.b",
      "/subsz?subs=1&test=foo.*",
      "/subsz?subs=detail",
      "/subsz?offset=-x",
      "/subsz?limit=ten",
  });
}

// A page of an unordered list: the same size on both, each element one of that server's
// full list, and everything around the list as in nats-server's answer.
TEST_F(Conformance, SubszPaging) {
  for (const std::string path :
       {"/subsz?subs=1&offset=1&limit=2", "/subscriptionsz?subs=true&limit=3",
        "/subsz?subs=1&offset=5&limit=5"}) {
    SCOPED_TRACE(path);
    Json reference, actual, reference_full, actual_full;
    if (!GetJson(path, &reference, &actual)) continue;
    if (!GetJson("/subsz?subs=1", &reference_full, &actual_full)) continue;
    ASSERT_TRUE(reference.contains("subscriptions_list")) << reference.dump(2);
    ASSERT_TRUE(actual.contains("subscriptions_list")) << actual.dump(2);
    EXPECT_EQ(reference["subscriptions_list"].size(), actual["subscriptions_list"].size());
    for (const auto& [page, full, who] : {std::tuple(&reference, &reference_full, "nats-server"),
                                          std::tuple(&actual, &actual_full, "ringnats")}) {
      for (const Json& sub : (*page)["subscriptions_list"]) {
        const Json& all = (*full)["subscriptions_list"];
        EXPECT_NE(std::find(all.begin(), all.end(), sub), all.end())
            << who << " paged a subscription not in its full list: " << sub.dump();
      }
    }
    // Everything else, with the pages replaced by their sizes.
    Json reference_rest = reference;
    Json actual_rest = actual;
    reference_rest["subscriptions_list"] = reference["subscriptions_list"].size();
    actual_rest["subscriptions_list"] = actual["subscriptions_list"].size();
    DiffOptions options;
    options.cids = &world_->cids;
    const std::vector<std::string> diffs = DiffJson(reference_rest, actual_rest, options);
    EXPECT_TRUE(diffs.empty()) << absl::StrJoin(diffs, "\n");
  }
}

TEST_F(Conformance, Healthz) {
  ExpectConforms({"/healthz", "/healthz?js-enabled-only=true", "/healthz?callback=cb",
                  "/healthz?js-enabled=maybe"});
}

TEST_F(Conformance, FeaturesRingnatsLacks) {
  ExpectConforms({
      "/accountz",
      "/accountz?acc=$G",
      "/accountz?acc=nope",
      "/accstatz",
      "/accstatz?unused=1",
      "/accstatz?unused=x",
      "/jsz",
      "/jsz?accounts=true&streams=1&consumers=1&config=1",
      "/jsz?leader-only=true",
      "/jsz?accounts=x",
      "/leafz",
      "/leafz?subs=1&acc=$G",
      "/leafz?subs=x",
      "/gatewayz",
      "/gatewayz?accs=1&gw_name=x",
      "/gatewayz?accs=x",
  });
}

TEST_F(Conformance, IndexJsonpAndUnknownPaths) {
  ExpectConforms({"/", "/routez?callback=cb", "/subsz?callback=x_1", "/nosuch", "/varz/",
                  "/connz/x", "/VARZ"});
}

// Last, after every other request: each server counted the same requests per endpoint.
TEST_F(Conformance, VarzCountsEveryRequest) {
  Json reference, actual;
  if (!GetJson("/varz", &reference, &actual)) return;
  EXPECT_EQ(reference["http_req_stats"], actual["http_req_stats"])
      << "nats-server " << reference["http_req_stats"].dump() << ", ringnats "
      << actual["http_req_stats"].dump();
  for (const char* key : {"connections", "total_connections", "in_msgs", "out_msgs", "in_bytes",
                          "out_bytes", "slow_consumers", "subscriptions"}) {
    EXPECT_EQ(reference[key], actual[key]) << key;
  }
}

// http_base_path: what is served under the prefix, and what is not served outside it.
TEST(ConformanceBasePath, ServedUnderThePrefixOnly) {
  auto servers = ServerPair::Start(absl::StrCat(kUsersConfig, "http_base_path: /nats\n"));
  ASSERT_TRUE(servers.ok()) << servers.status().message();
  DiffOptions options;
  options.allowed_additions = {"$.ringnats"};  // as in Conformance.Varz
  for (const std::string path :
       {"/nats/varz", "/nats/connz", "/nats/subsz?subs=1", "/nats", "/nats/", "/varz", "/",
        "/connz", "/nats/healthz", "/nats/nosuch"}) {
    auto answers = (*servers)->Get(path);
    ASSERT_TRUE(answers.ok()) << path << ": " << answers.status().message();
    const std::vector<std::string> diffs =
        DiffAnswers(answers->reference, answers->actual, options);
    EXPECT_TRUE(diffs.empty()) << path << ":\n" << absl::StrJoin(diffs, "\n");
  }
  auto varz = (*servers)->Get("/nats/varz");
  ASSERT_TRUE(varz.ok());
  const Json actual = Json::parse(varz->actual.body, nullptr, false);
  ASSERT_FALSE(actual.is_discarded()) << varz->actual.body;
  EXPECT_EQ(actual.value("http_base_path", ""), "/nats");
}

}  // namespace
}  // namespace ringnats::monitoring
