// The `ringnats` object of /varz and its ringnats_* series in /metrics on a live broker: every
// counter is driven by real clients (plain and bcrypt logins, wrong passwords, concurrent
// logins with one credential, a client that never sends CONNECT, a slow consumer, reloads
// applied and refused) and read back over HTTP, where the unit tests only format made-up
// numbers. ringnats only: nats-server has no such counters.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "auth/credentials.h"
#include "harness/http_get.h"
#include "harness/raw_client.h"
#include "harness/server_fixture.h"

namespace ringnats::monitortest {
namespace {

using authtest::kCoalesceHash;
using authtest::kCoalescePassword;
using authtest::kPlainPassword;
using harness::RawClient;
using std::chrono::milliseconds;

constexpr std::string_view kAuthViolation = "-ERR 'Authorization Violation'\r\n";
constexpr std::string_view kAuthTimeout = "-ERR 'Authentication Timeout'\r\n";
// How long a counter may take to show a client-visible event in /varz: the worker counts it
// on its own thread, the HTTP thread reads it afterwards. A liveness bound, not a timing.
constexpr auto kCounterDeadline = std::chrono::seconds(10);
constexpr int kConcurrentLogins = 5;
constexpr int kFloodMessages = 560;
constexpr int kFloodPayload = 30000;

std::string Login(std::string_view user, std::string_view pass) {
  return absl::StrFormat(R"({"verbose":false,"pedantic":false,"user":"%s","pass":"%s"})", user,
                         pass);
}

std::string Config(const std::string& extra = "") {
  // Big messages against a small max_pending make one slow consumer quickly (as in the
  // liveness test); a 1 s auth timeout keeps the silent client short.
  return "http_port: -1\nmax_payload: 32768\nmax_pending: 65536\nwrite_deadline: \"2s\"\n" + extra +
         "authorization {\n  timeout: 1\n  users: [\n    {user: alice, password: \"" +
         std::string(kPlainPassword) +
         "\"}\n    {user: carol, password: " + std::string(kCoalesceHash) + "}\n  ]\n}\n";
}

class RingnatsCountersTest : public harness::ServerTest {
 protected:
  nlohmann::json Varz() {
    absl::StatusOr<harness::HttpAnswer> answer = harness::HttpGet(server().monitor_port(), "/varz");
    if (!answer.ok() || answer->status != 200) return nlohmann::json::object();
    return nlohmann::json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  }

  // Reads /varz until `holds(varz)`; the last /varz read either way.
  nlohmann::json AwaitVarz(const std::function<bool(const nlohmann::json&)>& holds) {
    const auto deadline = std::chrono::steady_clock::now() + kCounterDeadline;
    nlohmann::json varz = Varz();
    while (!holds(varz) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));  // polling an HTTP endpoint
      varz = Varz();
    }
    return varz;
  }

  // A CONNECT presenting `login` is refused with Authorization Violation.
  ::testing::AssertionResult Refused(const std::string& login) {
    std::unique_ptr<RawClient> client = Connect();
    if (client == nullptr) return ::testing::AssertionFailure() << "no connection";
    if (::testing::AssertionResult info = client->ReadInfo(); !info) return info;
    if (::testing::AssertionResult sent = client->Send("CONNECT " + login + "\r\nPING\r\n");
        !sent) {
      return sent;
    }
    return client->ExpectClosed(kAuthViolation);
  }

  // The value of `series` (name and labels exactly as exposed) in /metrics; -1 if missing.
  double Metric(const std::string& series) {
    absl::StatusOr<harness::HttpAnswer> answer =
        harness::HttpGet(server().monitor_port(), "/metrics");
    if (!answer.ok()) return -1;
    for (absl::string_view line : absl::StrSplit(answer->body, '\n')) {
      if (!absl::StartsWith(line, series + " ")) continue;
      double value = -1;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
    }
    return -1;
  }

  double MetricSum(const std::string& name) {
    absl::StatusOr<harness::HttpAnswer> answer =
        harness::HttpGet(server().monitor_port(), "/metrics");
    if (!answer.ok()) return -1;
    double sum = 0;
    for (absl::string_view line : absl::StrSplit(answer->body, '\n')) {
      if (!absl::StartsWith(line, name + "{")) continue;
      double value = 0;
      if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) sum += value;
    }
    return sum;
  }
};

uint64_t Auth(const nlohmann::json& varz, const char* key) {
  return varz.contains("ringnats") ? varz["ringnats"]["auth"].value(key, uint64_t{0}) : 0;
}

uint64_t WorkerSum(const nlohmann::json& varz, const char* key) {
  uint64_t sum = 0;
  if (!varz.contains("ringnats")) return 0;
  for (const auto& worker : varz["ringnats"]["workers"]) sum += worker.value(key, uint64_t{0});
  return sum;
}

TEST_F(RingnatsCountersTest, CountersFollowRealClients) {
  ASSERT_NO_FATAL_FAILURE(StartServer(Config()));
  ASSERT_GT(server().monitor_port(), 0);
  uint64_t successes = 0;
  std::vector<std::unique_ptr<RawClient>> open;

  // A plain password: a success, no hash.
  auto alice = Client(Login("alice", kPlainPassword));
  ASSERT_TRUE(alice && alice->Ping());
  ++successes;
  // A wrong plain password: a failure.
  EXPECT_TRUE(Refused(Login("alice", "not-her-password")));

  // kConcurrentLogins CONNECTs with one bcrypt credential sent back to back: one hash; each
  // other check joins it (coalesced) or, if it came after the hash ended, hits the cache.
  for (int i = 0; i < kConcurrentLogins; ++i) {
    open.push_back(Connect());
    ASSERT_TRUE(open.back() && open.back()->ReadInfo());
  }
  const std::string carol_login = "CONNECT " + Login("carol", kCoalescePassword) + "\r\nPING\r\n";
  for (auto& client : open) ASSERT_TRUE(client->Send(carol_login));
  for (auto& client : open) ASSERT_TRUE(client->Expect("PONG\r\n"));
  successes += kConcurrentLogins;
  // One more afterwards: certainly from the cache.
  auto carol_again = Client(Login("carol", kCoalescePassword));
  ASSERT_TRUE(carol_again && carol_again->Ping());
  ++successes;
  // A wrong password for a bcrypt user: hashed, refused.
  EXPECT_TRUE(Refused(Login("carol", "not-carols")));

  // No CONNECT within the auth timeout.
  auto silent = Connect();
  ASSERT_TRUE(silent && silent->ReadInfo());
  EXPECT_TRUE(silent->ExpectClosed(kAuthTimeout, milliseconds(15000)));

  // A subscriber that stops reading, flooded past max_pending.
  auto slow = Client(Login("alice", kPlainPassword), {.receive_buffer = 4096});
  auto publisher = Client(Login("alice", kPlainPassword));
  ASSERT_TRUE(slow && publisher);
  successes += 2;
  ASSERT_TRUE(slow->Send("SUB flood 1\r\n"));
  ASSERT_TRUE(slow->Ping());
  const std::string message = "PUB flood " + std::to_string(kFloodPayload) + "\r\n" +
                              std::string(kFloodPayload, 'f') + "\r\n";
  for (int i = 0; i < kFloodMessages; ++i)
    ASSERT_TRUE(publisher->Send(message, milliseconds(30000)));
  ASSERT_TRUE(publisher->Ping(milliseconds(30000)));
  EXPECT_TRUE(server().WaitForLog("Slow Consumer Detected"));

  const nlohmann::json varz = AwaitVarz([&](const nlohmann::json& v) {
    return Auth(v, "successes") >= successes && Auth(v, "timeouts") >= 1 &&
           v.value("slow_consumers", 0) >= 1 && WorkerSum(v, "in_msgs") >= kFloodMessages;
  });
  ASSERT_TRUE(varz.contains("ringnats")) << varz.dump();
  const nlohmann::json& auth = varz["ringnats"]["auth"];
  EXPECT_EQ(Auth(varz, "successes"), successes) << auth.dump();
  EXPECT_EQ(Auth(varz, "failures"), 2u) << auth.dump();
  EXPECT_EQ(Auth(varz, "timeouts"), 1u) << auth.dump();
  EXPECT_EQ(Auth(varz, "hashes"), 2u) << auth.dump();  // carol's password, and the wrong one
  EXPECT_EQ(Auth(varz, "cache_hits") + Auth(varz, "coalesced"),
            static_cast<uint64_t>(kConcurrentLogins))
      << auth.dump();
  EXPECT_GE(Auth(varz, "cache_hits"), 1u) << auth.dump();
  EXPECT_EQ(Auth(varz, "pool_queue_depth"), 0u) << auth.dump();
  EXPECT_EQ(auth["hash_time"].value("count", 0u), 2u) << auth.dump();
  // One wait per authenticated CONNECT, refused ones included; the silent client sent none.
  EXPECT_EQ(auth["wait_time"].value("count", uint64_t{0}), successes + 2) << auth.dump();
  EXPECT_GT(auth["hash_time"].value("sum_seconds", 0.0), 0.0) << auth.dump();
  EXPECT_EQ(varz["ringnats"].value("slow_consumer_closes", 0), 1) << varz["ringnats"].dump();
  EXPECT_EQ(varz.value("slow_consumers", 0), 1);
  EXPECT_EQ(WorkerSum(varz, "in_msgs"), static_cast<uint64_t>(kFloodMessages));
  EXPECT_EQ(WorkerSum(varz, "in_bytes"), static_cast<uint64_t>(kFloodMessages) * kFloodPayload);
  // alice, carol x6, publisher (the slow consumer is closed).
  EXPECT_EQ(WorkerSum(varz, "connections"), static_cast<uint64_t>(kConcurrentLogins + 3));
  EXPECT_EQ(varz.value("connections", 0), kConcurrentLogins + 3);

  // The same numbers in /metrics.
  EXPECT_EQ(Metric("ringnats_auth_successes_total"), static_cast<double>(successes));
  EXPECT_EQ(Metric("ringnats_auth_failures_total"), 2);
  EXPECT_EQ(Metric("ringnats_auth_timeouts_total"), 1);
  EXPECT_EQ(Metric("ringnats_auth_hashes_total"), 2);
  EXPECT_EQ(Metric("ringnats_auth_cache_hits_total") + Metric("ringnats_auth_coalesced_total"),
            kConcurrentLogins);
  EXPECT_EQ(Metric("ringnats_auth_hash_duration_seconds_count"), 2);
  EXPECT_EQ(Metric("ringnats_auth_wait_duration_seconds_count"),
            static_cast<double>(successes + 2));
  EXPECT_EQ(Metric("ringnats_auth_hash_duration_seconds_bucket{le=\"+Inf\"}"), 2);
  EXPECT_EQ(Metric("ringnats_slow_consumer_closes_total"), 1);
  EXPECT_EQ(MetricSum("ringnats_worker_in_messages_total"), kFloodMessages);
  EXPECT_EQ(MetricSum("ringnats_worker_connections"), kConcurrentLogins + 3);
  EXPECT_EQ(MetricSum("gnatsd_varz_slow_consumers"), 1);  // labelled with server_id

  // Reloads: one applied, one refused (a file that does not parse).
  EXPECT_EQ(Metric("ringnats_reloads_total{outcome=\"success\"}"), 0);
  server().Signal(SIGHUP);
  ASSERT_TRUE(server().WaitForLog("Reloaded server configuration$"));
  {
    std::ofstream broken(server().config_path(), std::ios::trunc);
    broken << Config("max_payload: [1\n");
  }
  server().Signal(SIGHUP);
  ASSERT_TRUE(server().WaitForLog("Failed to reload server configuration: "));
  const nlohmann::json reloaded = AwaitVarz([](const nlohmann::json& v) {
    return v.contains("ringnats") && v["ringnats"]["reloads"].value("total", 0) >= 2;
  });
  ASSERT_TRUE(reloaded.contains("ringnats"));
  const nlohmann::json& reloads = reloaded["ringnats"]["reloads"];
  EXPECT_EQ(reloads.value("total", 0), 2) << reloads.dump();
  EXPECT_EQ(reloads.value("failures", 0), 1) << reloads.dump();
  EXPECT_TRUE(reloads.contains("last")) << reloads.dump();
  EXPECT_FALSE(reloads.value("last_error", "").empty()) << reloads.dump();
  EXPECT_EQ(Metric("ringnats_reloads_total{outcome=\"success\"}"), 1);
  EXPECT_EQ(Metric("ringnats_reloads_total{outcome=\"failure\"}"), 1);
  EXPECT_EQ(Metric("ringnats_last_reload_success"), 0);
}

}  // namespace
}  // namespace ringnats::monitortest
