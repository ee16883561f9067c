// Lexical path helpers used for include directives (Go path/filepath semantics).

#include "config_path.h"

#include "gtest/gtest.h"

namespace ringnats::config::internal {
namespace {

TEST(ConfigPathTest, Clean) {
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("."), ".");
  EXPECT_EQ(CleanPath("a//b"), "a/b");
  EXPECT_EQ(CleanPath("./a"), "a");
  EXPECT_EQ(CleanPath("a/b/../c/."), "a/c");
  EXPECT_EQ(CleanPath("a/../.."), "..");
  EXPECT_EQ(CleanPath("../../a"), "../../a");
  EXPECT_EQ(CleanPath("/../a"), "/a");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("//a/"), "/a");
}

TEST(ConfigPathTest, Join) {
  EXPECT_EQ(JoinPath("conf", "x.conf"), "conf/x.conf");
  EXPECT_EQ(JoinPath("conf", "/etc/x.conf"), "conf/etc/x.conf");
  EXPECT_EQ(JoinPath("/srv/conf", "../x.conf"), "/srv/x.conf");
  EXPECT_EQ(JoinPath("", "x.conf"), "x.conf");
  EXPECT_EQ(JoinPath("a", ""), "a");
  EXPECT_EQ(JoinPath("", ""), "");
  EXPECT_EQ(JoinPath(".", "./x"), "x");
}

TEST(ConfigPathTest, DirName) {
  EXPECT_EQ(DirName("a/b.conf"), "a");
  EXPECT_EQ(DirName("b.conf"), ".");
  EXPECT_EQ(DirName("/b.conf"), "/");
  EXPECT_EQ(DirName("a//b/"), "a/b");
  EXPECT_EQ(DirName("./b.conf"), ".");
}

}  // namespace
}  // namespace ringnats::config::internal
