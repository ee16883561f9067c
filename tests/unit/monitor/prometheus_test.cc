// /metrics: Prometheus' own linter accepts it, and it carries prometheus-nats-exporter's
// names for the /varz and /connz figures.

#include "ringnats/monitor/prometheus.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "ringnats/monitor/latency_histogram.h"
#include "situation.h"

namespace ringnats::monitor {
namespace {

ServerSnapshot BusyServer() {
  ServerSnapshot server = testing::CaptureServer();
  server.now = server.start + absl::Minutes(3);
  server.mem = 12345678;
  server.cpu = 12.5;
  server.cores = 2;
  server.http_req_stats = {{"/", 1}, {"/varz", 7}, {"/connz", 2}};
  server.cluster.name = "c1";  // a string field the exporter turns into a label gauge
  RingnatsStats& r = server.ringnats;
  r.auth_successes = 100;
  r.auth_failures = 3;
  r.auth_timeouts = 1;
  r.auth_pool_threads = 2;
  r.auth_pool_queue_depth = 5;
  r.auth_hashes = 40;
  r.auth_cache_hits = 60;
  r.auth_coalesced = 4;
  LatencyHistogram hash;
  hash.Record(absl::Milliseconds(80));
  hash.Record(absl::Milliseconds(90));
  hash.Record(absl::Seconds(20));
  r.auth_hash_time = hash.Snapshot();
  LatencyHistogram wait;
  wait.Record(absl::Microseconds(300));
  r.auth_wait_time = wait.Snapshot();
  r.workers = {{2, 10, 20, 300, 400}, {2, 5, 6, 70, 80}};
  r.slow_consumer_closes = 1;
  r.reloads = 3;
  r.reload_failures = 1;
  r.last_reload = server.start + absl::Minutes(1);
  r.last_reload_error = "bad \"quoted\" config\nline 2";
  return server;
}

ConnzData OpenConnections() {
  ConnzData data;
  data.connections = testing::CaptureConnections();
  return data;
}

TEST(PrometheusTest, PromtoolAcceptsTheExposition) {
  const std::string promtool = RINGNATS_PROMTOOL;
  if (promtool.empty()) GTEST_SKIP() << "promtool not found (Debian package prometheus)";
  const std::string text = MetricsText(BusyServer(), OpenConnections(), absl::UTCTimeZone());
  const std::string path =
      ::testing::TempDir() + "/ringnats_metrics_" + std::to_string(getpid()) + ".txt";
  {
    std::ofstream file(path);
    file << text;
  }
  const std::string command = promtool + " check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  std::remove(path.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "promtool: " << output << "\n--- exposition ---\n"
      << text;
  EXPECT_EQ(output, "") << text;
}

TEST(PrometheusTest, CarriesTheExportersNamesAndRingnatsMetrics) {
  const std::string text = MetricsText(BusyServer(), OpenConnections(), absl::UTCTimeZone());
  const std::string id = "{server_id=\"NBKYLKTJDP4RMKARI2AWVUY7MLAMV7VSTHQVOZBRVNEDDLJ3MFVWJIWC\"}";
  const std::vector<std::string> lines = {
      "gnatsd_varz_connections" + id + " 4",
      "gnatsd_varz_total_connections" + id + " 6",
      "gnatsd_varz_in_msgs" + id + " 7",
      "gnatsd_varz_out_msgs" + id + " 15",
      "gnatsd_varz_in_bytes" + id + " 22",
      "gnatsd_varz_out_bytes" + id + " 54",
      "gnatsd_varz_subscriptions" + id + " 7",
      "gnatsd_varz_slow_consumers" + id + " 0",
      "gnatsd_varz_mem" + id + " 12345678",
      "gnatsd_varz_cpu" + id + " 12.5",
      "gnatsd_varz_max_payload" + id + " 1048576",
      "gnatsd_varz_ping_interval" + id + " 120000000000",
      "gnatsd_varz_http_req_stats_varz" + id + " 7",
      "gnatsd_varz_http_req_stats" + id + " 1",  // "/" flattens to the prefix itself
      "gnatsd_varz_start" + id + " 1796532795000",
      "# TYPE gnatsd_varz_version gauge",
      "gnatsd_connz_num_connections" + id + " 4",
      "gnatsd_connz_subscriptions" + id + " 7",
      "gnatsd_connz_out_msgs" + id + " 12",
      "gnatsd_connz_in_bytes" + id + " 22",
      "gnatsd_subsz_num_subscriptions" + id + " 7",
      "gnatsd_routez_num_routes" + id + " 0",
      "ringnats_auth_successes_total 100",
      "ringnats_auth_pool_queue_depth 5",
      "ringnats_auth_hash_duration_seconds_bucket{le=\"0.1\"} 2",
      "ringnats_auth_hash_duration_seconds_bucket{le=\"10\"} 2",
      "ringnats_auth_hash_duration_seconds_bucket{le=\"+Inf\"} 3",
      "ringnats_auth_hash_duration_seconds_count 3",
      "ringnats_auth_wait_duration_seconds_bucket{le=\"0.0005\"} 1",
      "ringnats_worker_out_bytes_total{worker=\"1\"} 80",
      "ringnats_reloads_total{outcome=\"success\"} 2",
      "ringnats_reloads_total{outcome=\"failure\"} 1",
      "ringnats_last_reload_success 0",
  };
  for (const std::string& line : lines) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << line << "\n" << text;
  }
  EXPECT_NE(
      text.find(
          "gnatsd_varz_version{server_id="
          "\"NBKYLKTJDP4RMKARI2AWVUY7MLAMV7VSTHQVOZBRVNEDDLJ3MFVWJIWC\",value=\"2.9.10\"} 1\n"),
      std::string::npos);
  EXPECT_NE(text.find("gnatsd_varz_cluster_name{"), std::string::npos);
  // Exporter-derived names that promtool refuses, and ringnats' object inside /varz.
  EXPECT_EQ(text.find("gnatsd_connz_total"), std::string::npos);
  EXPECT_EQ(text.find("gnatsd_varz_ringnats"), std::string::npos);
  EXPECT_EQ(text.find("gnatsd_varz_leaf{"), std::string::npos);
  EXPECT_EQ(text.find("gnatsd_varz_leaf_"), std::string::npos);
}

}  // namespace
}  // namespace ringnats::monitor
