// /metrics of a running broker as Prometheus reads it: promtool's lint of what the endpoint
// serves, then Debian's Prometheus scraping the broker every second until its query API
// returns the series with the values the test's clients produced.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "child_process.h"
#include "harness/http_get.h"
#include "harness/server_fixture.h"
#include "harness/server_process.h"

namespace ringnats::scrapers {
namespace {

using harness::HttpGet;
using Json = nlohmann::json;

constexpr std::chrono::seconds kPrometheusStartTimeout{15};
constexpr std::chrono::seconds kSeriesTimeout{20};
constexpr std::chrono::seconds kPrometheusStopGrace{10};
// Between two reads of Prometheus' query API while waiting for a scrape to land.
constexpr std::chrono::milliseconds kQueryInterval{200};

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// `promtool check metrics` on `text`: its output (empty when the exposition is clean) and
// exit status.
::testing::AssertionResult PromtoolAccepts(const std::string& text, const std::string& dir) {
  const std::string path = dir + "/metrics.txt";
  std::ofstream(path, std::ios::binary) << text;
  const std::string command = absl::StrCat(RINGNATS_PROMTOOL, " check metrics < '", path, "' 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return ::testing::AssertionFailure() << "popen " << command;
  std::string output;
  char buffer[512];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0 || !output.empty()) {
    return ::testing::AssertionFailure()
           << "promtool check metrics: " << harness::DescribeWaitStatus(status) << "\n"
           << output << "\n--- /metrics ---\n"
           << text;
  }
  return ::testing::AssertionSuccess();
}

// Prometheus on a loopback port the kernel picks (it logs the address it bound), scraping
// one target every second, with its own storage in `dir`.
class Prometheus {
 public:
  static absl::StatusOr<std::unique_ptr<Prometheus>> Start(const std::string& dir, int target_port,
                                                           const std::string& metrics_path) {
    const std::string config_path = dir + "/prometheus.yml";
    std::ofstream(config_path) << absl::StrFormat(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: ringnats\n"
        "    metrics_path: %s\n"
        "    static_configs:\n"
        "      - targets: ['127.0.0.1:%d']\n",
        metrics_path, target_port);
    ChildOptions options;
    options.argv = {RINGNATS_PROMETHEUS, "--config.file=" + config_path,
                    "--storage.tsdb.path=" + dir + "/data", "--web.listen-address=127.0.0.1:0",
                    "--log.level=info"};
    options.log_path = dir + "/prometheus.log";
    absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(options);
    if (!process.ok()) return process.status();
    auto prometheus = std::unique_ptr<Prometheus>(new Prometheus(std::move(*process)));
    std::vector<std::string> groups;
    if (::testing::AssertionResult listening = prometheus->process_->WaitForLogLine(
            R"(msg="Listening on" address=127\.0\.0\.1:([0-9]+))", kPrometheusStartTimeout,
            &groups);
        !listening) {
      return absl::UnavailableError(listening.message());
    }
    prometheus->port_ = std::stoi(groups[0]);
    return prometheus;
  }

  ~Prometheus() { (void)Stop(); }

  int port() const { return port_; }
  std::string ReadLog() const { return process_->ReadLog(); }

  // SIGTERM; Prometheus shuts down cleanly and exits 0.
  ::testing::AssertionResult Stop() {
    absl::StatusOr<int> status = process_->Stop(SIGTERM, kPrometheusStopGrace);
    if (!status.ok()) {
      return ::testing::AssertionFailure() << status.status().message() << "; log:\n" << ReadLog();
    }
    if (*status != 0) {
      return ::testing::AssertionFailure()
             << "prometheus " << harness::DescribeWaitStatus(*status) << " after SIGTERM; log:\n"
             << ReadLog();
    }
    return ::testing::AssertionSuccess();
  }

  // GET /api/v1/<path>; the `data` member of a successful answer.
  absl::StatusOr<Json> Api(const std::string& path) {
    absl::StatusOr<harness::HttpAnswer> answer =
        HttpGet(port_, "/api/v1/" + path, std::chrono::seconds(5));
    if (!answer.ok()) return answer.status();
    Json doc = Json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
    if (answer->status != 200 || doc.is_discarded() || doc.value("status", "") != "success") {
      return absl::InternalError(
          absl::StrCat("/api/v1/", path, ": HTTP ", answer->status, ": ", answer->body));
    }
    return doc["data"];
  }

  // Polls the instant query `query` until its result (a vector) satisfies `done`. The last
  // answer is quoted when the deadline passes.
  ::testing::AssertionResult WaitForQuery(const std::string& query,
                                          const std::function<bool(const Json&)>& done,
                                          Json* result = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + kSeriesTimeout;
    std::string last = "(no answer)";
    while (true) {
      absl::StatusOr<Json> data = Api("query?query=" + UrlEncode(query));
      if (data.ok() && (*data)["resultType"] == "vector" && done((*data)["result"])) {
        if (result != nullptr) *result = (*data)["result"];
        return ::testing::AssertionSuccess();
      }
      last = data.ok() ? data->dump() : std::string(data.status().message());
      if (std::chrono::steady_clock::now() >= deadline) {
        return ::testing::AssertionFailure()
               << "query " << query << " not as expected after " << kSeriesTimeout.count()
               << " s; last answer: " << last << "\ntargets: " << Targets() << "\nprometheus log:\n"
               << ReadLog();
      }
      std::this_thread::sleep_for(kQueryInterval);
    }
  }

  std::string Targets() {
    absl::StatusOr<Json> data = Api("targets");
    return data.ok() ? data->dump() : std::string(data.status().message());
  }

 private:
  explicit Prometheus(std::unique_ptr<ChildProcess> process) : process_(std::move(process)) {}

  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

// One sample whose value is `expected`, as Prometheus prints it ("3").
std::function<bool(const Json&)> SingleValue(const std::string& expected) {
  return [expected](const Json& result) {
    return result.size() == 1 && result[0]["value"].size() == 2 &&
           result[0]["value"][1] == expected;
  };
}

class PrometheusScrapeTest : public harness::ServerTest {
 protected:
  // Three clients (one subscribed) and `kPublished` messages, so the counters Prometheus
  // reads have values the test knows.
  void MakeTraffic() {
    for (int i = 0; i < 3; ++i) {
      clients_.push_back(Client());
      ASSERT_NE(clients_.back(), nullptr);
    }
    ASSERT_TRUE(clients_[0]->Send("SUB scrape.> 1\r\n"));
    ASSERT_TRUE(clients_[0]->Ping());
    std::string publishes;
    for (int i = 0; i < kPublished; ++i) publishes += "PUB scrape.x 5\r\nhello\r\n";
    ASSERT_TRUE(clients_[1]->Send(publishes));
    ASSERT_TRUE(clients_[1]->Ping());
    std::string delivered;
    bool closed = false;
    ASSERT_TRUE(clients_[0]->PingCollect(&delivered, &closed));
    ASSERT_FALSE(closed);
    int messages = 0;
    for (size_t at = delivered.find("MSG "); at != std::string::npos;
         at = delivered.find("MSG ", at + 1)) {
      ++messages;
    }
    ASSERT_EQ(messages, kPublished);
  }

  void CheckScrape(const std::string& metrics_path) {
    const int monitor_port = server().monitor_port();
    ASSERT_GT(monitor_port, 0) << "no monitoring port in the ports file";
    ASSERT_NO_FATAL_FAILURE(MakeTraffic());

    absl::StatusOr<harness::HttpAnswer> metrics = HttpGet(monitor_port, metrics_path);
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    ASSERT_EQ(metrics->status, 200) << metrics->body;
    EXPECT_TRUE(absl::StartsWith(metrics->content_type, "text/plain")) << metrics->content_type;
    ASSERT_TRUE(PromtoolAccepts(metrics->body, dir_.path()));
    EXPECT_TRUE(absl::StrContains(metrics->body, "\ngnatsd_varz_connections{")) << metrics->body;
    EXPECT_TRUE(absl::StrContains(metrics->body, "\nringnats_worker_connections{"))
        << metrics->body;

    absl::StatusOr<std::unique_ptr<Prometheus>> started =
        Prometheus::Start(dir_.path(), monitor_port, metrics_path);
    ASSERT_TRUE(started.ok()) << started.status();
    Prometheus& prometheus = **started;

    // The scrape itself: Prometheus parsed it (a parse error would mark the target down).
    EXPECT_TRUE(prometheus.WaitForQuery("up{job=\"ringnats\"}", SingleValue("1")));
    // Exporter-compatible names from /varz and /connz.
    EXPECT_TRUE(prometheus.WaitForQuery("gnatsd_varz_connections", SingleValue("3")));
    EXPECT_TRUE(prometheus.WaitForQuery("gnatsd_varz_in_msgs", SingleValue(kPublishedText)));
    EXPECT_TRUE(prometheus.WaitForQuery("gnatsd_varz_out_msgs", SingleValue(kPublishedText)));
    EXPECT_TRUE(prometheus.WaitForQuery("gnatsd_varz_subscriptions", SingleValue("1")));
    EXPECT_TRUE(prometheus.WaitForQuery("gnatsd_connz_num_connections", SingleValue("3")));
    // ringnats' own: per-worker series summed, the counters, the histograms' buckets.
    EXPECT_TRUE(prometheus.WaitForQuery("sum(ringnats_worker_connections)", SingleValue("3")));
    EXPECT_TRUE(
        prometheus.WaitForQuery("count(ringnats_worker_connections)", SingleValue(kWorkersText)));
    EXPECT_TRUE(prometheus.WaitForQuery("sum(ringnats_worker_in_messages_total)",
                                        SingleValue(kPublishedText)));
    EXPECT_TRUE(prometheus.WaitForQuery("ringnats_auth_failures_total", SingleValue("0")));
    EXPECT_TRUE(prometheus.WaitForQuery(
        "count(ringnats_auth_hash_duration_seconds_bucket{le=\"+Inf\"})", SingleValue("1")));
    EXPECT_TRUE(prometheus.WaitForQuery("ringnats_info", [](const Json& result) {
      return result.size() == 1 && result[0]["metric"].value("nats_version", "") == "2.9.10" &&
             !result[0]["metric"].value("version", "").empty();
    }));

    absl::StatusOr<Json> targets = prometheus.Api("targets");
    ASSERT_TRUE(targets.ok()) << targets.status();
    ASSERT_EQ((*targets)["activeTargets"].size(), 1u) << targets->dump();
    const Json& target = (*targets)["activeTargets"][0];
    EXPECT_EQ(target.value("health", ""), "up") << target.dump();
    EXPECT_EQ(target.value("lastError", "?"), "") << target.dump();
    EXPECT_EQ(target.value("scrapeUrl", ""),
              absl::StrCat("http://127.0.0.1:", monitor_port, metrics_path));

    EXPECT_TRUE(prometheus.Stop());
  }

  static constexpr int kPublished = 25;
  static constexpr char kPublishedText[] = "25";
  static constexpr char kWorkersText[] = "2";  // meson.build runs the broker with --workers 2

  TempDir dir_;
  std::vector<std::unique_ptr<harness::RawClient>> clients_;
};

TEST_F(PrometheusScrapeTest, ScrapesMetrics) {
  ASSERT_NO_FATAL_FAILURE(StartServer("", {"-m", "-1"}));
  CheckScrape("/metrics");
}

// http_base_path moves every endpoint, /metrics included, under the prefix.
TEST_F(PrometheusScrapeTest, ScrapesMetricsUnderHttpBasePath) {
  ASSERT_NO_FATAL_FAILURE(StartServer("http_base_path: \"/nats/monitor\"\n", {"-m", "-1"}));
  absl::StatusOr<harness::HttpAnswer> outside = HttpGet(server().monitor_port(), "/metrics");
  ASSERT_TRUE(outside.ok()) << outside.status();
  EXPECT_EQ(outside->status, 404);
  CheckScrape("/nats/monitor/metrics");
}

}  // namespace
}  // namespace ringnats::scrapers
