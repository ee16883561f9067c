// ringnats' own options, which nats-server's corpus cannot cover (nats-server refuses them),
// and the command line over the file.

#include "ringnats/config/options_from_config.h"

#include <gtest/gtest.h>

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
