#include "passwd_options.h"

#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace ringnats::passwd {
namespace {

absl::StatusOr<Options> Parse(std::vector<std::string_view> args) {
  return ParseOptions(args);
}

TEST(PasswdOptionsTest, DefaultsMatchMkpasswd) {
  absl::StatusOr<Options> o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->prompt);
  EXPECT_FALSE(o->help);
  EXPECT_FALSE(o->bench);
  EXPECT_EQ(o->cost, 11);
}

TEST(PasswdOptionsTest, CostForms) {
  for (const std::vector<std::string_view>& args : std::vector<std::vector<std::string_view>>{
           {"-c", "7"}, {"-c=7"}, {"--cost", "7"}, {"--cost=7"}, {"--c", "7"}}) {
    absl::StatusOr<Options> o = Parse(args);
    ASSERT_TRUE(o.ok()) << args[0] << ": " << o.status();
    EXPECT_EQ(o->cost, 7) << args[0];
  }
}

TEST(PasswdOptionsTest, CostLimits) {
  EXPECT_EQ(Parse({"-c", "4"})->cost, 4);
  EXPECT_EQ(Parse({"-c", "31"})->cost, 31);
  for (std::string_view bad : {"3", "32", "-1", "0", "abc", "7x", "", " 7"}) {
    EXPECT_FALSE(Parse({"-c", bad}).ok()) << "'" << bad << "'";
  }
  EXPECT_FALSE(Parse({"-c"}).ok());
  EXPECT_FALSE(Parse({"--cost"}).ok());
}

TEST(PasswdOptionsTest, PromptAndHelp) {
  absl::StatusOr<Options> o = Parse({"-p", "-c", "5"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->prompt);
  EXPECT_EQ(o->cost, 5);
  EXPECT_TRUE(Parse({"-h"})->help);
  EXPECT_TRUE(Parse({"--help"})->help);
  EXPECT_FALSE(Parse({"-p=1"}).ok());
}

TEST(PasswdOptionsTest, Bench) {
  absl::StatusOr<Options> o = Parse({"--bench", "--threads", "3", "--seconds=2.5"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->bench);
  EXPECT_EQ(o->threads, 3);
  EXPECT_EQ(o->budget, absl::Milliseconds(2500));
  absl::StatusOr<Options> defaults = Parse({"--bench"});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->threads, 0);  // online CPUs, decided when run
  EXPECT_LE(defaults->budget, absl::Seconds(60));

  EXPECT_FALSE(Parse({"--bench", "--threads", "0"}).ok());
  EXPECT_FALSE(Parse({"--bench", "--seconds", "0"}).ok());
  EXPECT_FALSE(Parse({"--bench", "--seconds", "-1"}).ok());
  EXPECT_FALSE(Parse({"--bench", "--seconds", "nan"}).ok());
  EXPECT_FALSE(Parse({"--bench", "--seconds", "1s"}).ok());
  // Bench settings without --bench are a mistake worth saying.
  EXPECT_FALSE(Parse({"--threads", "2"}).ok());
}

TEST(PasswdOptionsTest, UnknownArguments) {
  EXPECT_FALSE(Parse({"-x"}).ok());
  EXPECT_FALSE(Parse({"secret"}).ok());
  EXPECT_FALSE(Parse({"--cost7"}).ok());
}

TEST(PasswdOptionsTest, UsageNamesEveryFlag) {
  const std::string usage = Usage("ringnats-passwd");
  for (std::string_view flag : {"-p", "-c", "--cost", "--bench", "--threads", "--seconds", "-h"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace ringnats::passwd
