// ringnats' own options, which nats-server's corpus cannot cover (nats-server refuses them),
// and the command line over the file.

#include "ringnats/config/options_from_config.h"

#include <gtest/gtest.h>

#include <climits>

#include "ringnats/config/command_line.h"
#include "ringnats/config/config_parser.h"

namespace ringnats::config {
namespace {

absl::StatusOr<ConfigLoad> Load(std::string_view text) {
  absl::StatusOr<ConfigValue> root = ParseConfigString(text, "test.conf", ".");
  if (!root.ok()) return root.status();
  return OptionsFromConfig(*root, ServerOptions{});
}

TEST(OptionsFromConfigTest, RingnatsOwnOptions) {
  absl::StatusOr<ConfigLoad> load = Load(
      "workers: 3\nauth_threads: 2\ncpu_affinity: [1, 0 ]\n"
      "auth_cache { ttl: \"10s\", max_entries: 50 }\n");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(load->options.workers, 3);
  EXPECT_EQ(load->options.auth_threads, 2);
  EXPECT_EQ(load->options.cpu_affinity, (std::vector<int>{1, 0}));
  EXPECT_TRUE(load->options.auth_cache_enabled);
  EXPECT_EQ(load->options.auth_cache_ttl, absl::Seconds(10));
  EXPECT_EQ(load->options.auth_cache_max_entries, 50);
}

TEST(OptionsFromConfigTest, AuthCacheOffAndAffinityTrue) {
  absl::StatusOr<ConfigLoad> load = Load("auth_cache: false\ncpu_affinity: true\n");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_FALSE(load->options.auth_cache_enabled);
  EXPECT_FALSE(load->options.cpu_affinity.empty());
  EXPECT_EQ(load->options.cpu_affinity.front(), 0);
}

TEST(OptionsFromConfigTest, BadOwnOptionsNameTheirPosition) {
  absl::StatusOr<ConfigLoad> load = Load("port: 4222\ncpu_affinity: \"all\"\n");
  ASSERT_FALSE(load.ok());
  EXPECT_NE(std::string(load.status().message()).find("test.conf:2:"), std::string::npos)
      << load.status();
}

TEST(OptionsFromConfigTest, UnsupportedNatsOptionIsRefusedByName) {
  absl::StatusOr<ConfigLoad> load = Load("gateway { port: 7222 }\n");
  ASSERT_FALSE(load.ok());
  EXPECT_NE(std::string(load.status().message()).find("not supported by ringnats"),
            std::string::npos);
}

TEST(OptionsFromConfigTest, FlagsOverrideTheFile) {
  absl::StatusOr<ConfigLoad> load = Load("port: 4222\nworkers: 3\n");
  ASSERT_TRUE(load.ok()) << load.status();
  const char* argv[] = {"ringnats", "-p", "5222", "--workers=1"};
  absl::StatusOr<ServerOptions> merged = ParseCommandLine(4, argv, load->options);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->port, 5222);
  EXPECT_EQ(merged->workers, 1);
}

}  // namespace
}  // namespace ringnats::config

namespace ringnats::config {
namespace {

// nats-server's setBaselineOptions: a limit, interval or port of 0 means its default.
TEST(BaselineTest, ZerosMeanTheDefaults) {
  absl::StatusOr<ConfigLoad> load = Load(
      "port: 0\nmax_connections: 0\nping_interval: \"0s\"\nping_max: 0\nmax_control_line: 0\n"
      "max_payload: 0\nmax_pending: 0\nwrite_deadline: \"0s\"\n");
  ASSERT_TRUE(load.ok()) << load.status();
  ServerOptions options = load->options;
  EXPECT_EQ(options.max_payload, 0);
  ApplyBaseline(options);
  const ServerOptions defaults;
  EXPECT_EQ(options.port, 4222);
  EXPECT_EQ(options.max_connections, defaults.max_connections);
  EXPECT_EQ(options.ping_interval, absl::Minutes(2));
  EXPECT_EQ(options.ping_max, 2);
  EXPECT_EQ(options.max_control_line, 4096);
  EXPECT_EQ(options.max_payload, 1024 * 1024);
  EXPECT_EQ(options.max_pending, 64 * 1024 * 1024);
  EXPECT_EQ(options.write_deadline, absl::Seconds(10));
  EXPECT_TRUE(ValidateForStart(options).ok());
  // -1 still picks a free port; a negative max_connections stays (no limit).
  load = Load("port: -1\nmax_connections: -5\n");
  ASSERT_TRUE(load.ok()) << load.status();
  options = load->options;
  ApplyBaseline(options);
  EXPECT_EQ(options.port, -1);
  EXPECT_EQ(options.max_connections, -5);
}

TEST(BaselineTest, IntegersBeyondIntSaturateInsteadOfWrapping) {
  absl::StatusOr<ConfigLoad> load = Load("max_connections: 3000000000\nport: 4294971518\n");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(load->options.max_connections, INT_MAX);
  EXPECT_EQ(load->options.port, INT_MAX);  // nats-server then fails to listen: invalid port
}

TEST(BaselineTest, PortOutsideTheTcpRangeIsRefusedAtStart) {
  absl::StatusOr<ConfigLoad> load = Load("port: 70000\n");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(ValidateForStart(load->options).message(),
            "Error listening on port: 0.0.0.0:70000, \"listen tcp: address 70000: invalid port\"");
  load = Load("port: -1\n");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_TRUE(ValidateForStart(load->options).ok());
}

TEST(BaselineTest, HugePingIntervalMeansNeverWithoutOverflow) {
  absl::StatusOr<ConfigLoad> load = Load("ping_interval: 10000000000\n");
  ASSERT_TRUE(load.ok()) << load.status();
  ServerOptions options = load->options;
  ApplyBaseline(options);
  EXPECT_EQ(options.ping_interval, absl::Hours(24 * 365 * 100));
}

TEST(BaselineTest, LameDuckGracePeriodMustBeBelowTheDuration) {
  absl::StatusOr<ConfigLoad> load =
      Load("lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"1m\"\n");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(ValidateForStart(load->options).message(),
            "lame duck grace period (1m0s) should be strictly lower than lame duck duration "
            "(30s)");
  EXPECT_EQ(Load("lame_duck_duration: \"0s\"\n").status().message(),
            "test.conf:1:0: invalid lame_duck_duration of 0s, minimum is 30 seconds");
  EXPECT_EQ(Load("lame_duck_grace_period: \"-5s\"\n").status().message(),
            "test.conf:1:0: invalid lame_duck_grace_period, needs to be positive");
}

TEST(BaselineTest, DurationsAsGoParsesThem) {
  absl::StatusOr<ConfigLoad> load = Load("write_deadline: \"500\xC2\xB5s\"\n");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(load->options.write_deadline, absl::Microseconds(500));
  EXPECT_EQ(Load("ping_interval: \"3000000h\"\n").status().message(),
            "test.conf:1:0: error parsing ping_interval: time: invalid duration \"3000000h\"");
  EXPECT_EQ(Load("write_deadline: \"5 s\"\n").status().message(),
            "test.conf:1:0: error parsing write_deadline: time: unknown unit \" s\" in duration "
            "\"5 s\"");
}

}  // namespace
}  // namespace ringnats::config
