// The -v/--version line. Tools and client test suites read the first vX.Y.Z (or "version
// X.Y.Z") in it as the server's version and gate features on it, so it must be the
// nats-server release ringnats reproduces, in nats-server's own format
// (`nats-server -v` prints "nats-server: v2.9.10\n").

#include "ringnats/config/command_line.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace ringnats::config {
namespace {

TEST(VersionTextTest, StartsWithNatsServersLine) {
  const std::string text = VersionText();
  EXPECT_EQ(text.rfind("nats-server: v" RINGNATS_NATS_COMPAT_VERSION " ", 0), 0u) << text;
  EXPECT_EQ(text,
            "nats-server: v" RINGNATS_NATS_COMPAT_VERSION " (ringnats v" RINGNATS_VERSION ")\n");
}

TEST(VersionTextTest, FirstVersionFoundIsTheNatsServerOne) {
  const std::string text = VersionText();
  std::smatch match;
  ASSERT_TRUE(std::regex_search(text, match, std::regex(R"(v(\d+\.\d+\.\d+))")));
  EXPECT_EQ(match[1].str(), RINGNATS_NATS_COMPAT_VERSION);
  ASSERT_TRUE(std::regex_search(text, match, std::regex(R"((\d+)\.(\d+)\.(\d+))")));
  EXPECT_EQ(match[0].str(), RINGNATS_NATS_COMPAT_VERSION);
  // The feature gates clients apply (headers need 2.2).
  EXPECT_GT(std::stoi(match[1].str()) * 100 + std::stoi(match[2].str()), 202);
}

TEST(VersionTextTest, FlagsThatAskForIt) {
  for (const char* word : {"-v", "--version", "-version", "version"}) {
    const char* argv[] = {"ringnats", word};
    absl::StatusOr<ServerOptions> options = ParseCommandLine(2, argv);
    ASSERT_TRUE(options.ok()) << word << ": " << options.status();
    EXPECT_TRUE(options->show_version) << word;
  }
}

}  // namespace
}  // namespace ringnats::config
