// `include` directives: path resolution, merging, errors, and the real file system.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "config_test_util.h"
#include "gtest/gtest.h"

namespace ringnats::config {
namespace {

using testing::FakeWorld;

std::string DumpResult(const absl::StatusOr<ConfigValue>& result) {
  return result.ok() ? result->DebugString() : "ERROR " + std::string(result.status().message());
}

TEST(ConfigIncludeTest, MergesTheIncludedKeysIntoTheCurrentMap) {
  FakeWorld world;
  world.files["dir/main.conf"] = "port: 1\ninclude sub/a.conf\nserver_name: $NAME\n";
  world.files["dir/sub/a.conf"] = "NAME: x\ninclude 'b.conf'\n";
  world.files["dir/sub/b.conf"] = "max_payload: 2MB\n";
  absl::StatusOr<ConfigValue> root = ParseConfigFile("dir/main.conf", world.Options());
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->DebugString(),
            R"({port: 1, NAME: "x", max_payload: 2097152, server_name: "x"})");
  EXPECT_TRUE(root->Find("NAME")->used_as_variable());
  EXPECT_EQ(root->FindEntry("NAME")->key_position, (Position{"dir/sub/a.conf", 1, 1}));
  EXPECT_EQ(root->Find("max_payload")->position(), (Position{"dir/sub/b.conf", 1, 14}));
  EXPECT_EQ(world.reads,
            (std::vector<std::string>{"dir/main.conf", "dir/sub/a.conf", "dir/sub/b.conf"}));
}

TEST(ConfigIncludeTest, KeywordIsCaseInsensitiveAndPathMayBeQuoted) {
  FakeWorld world;
  world.files["x.conf"] = "a: 1";
  world.files["y z.conf"] = "b: 2";
  world.files["w.conf"] = "c: 3";
  absl::StatusOr<ConfigValue> root = ParseConfigString(
      "INCLUDE x.conf\nInclude \"y z.conf\"\ninclude\t'w.conf'", "t.conf", "", world.Options());
  EXPECT_EQ(DumpResult(root), "{a: 1, b: 2, c: 3}");
}

TEST(ConfigIncludeTest, WorksInsideMapsAndIsTerminatedLikeAValue) {
  FakeWorld world;
  world.files["conf/x.conf"] = "a: 1\nb: 2";
  absl::StatusOr<ConfigValue> root = ParseConfigString(
      "m {\n  include x.conf\n  y: 2\n}\nn { include x.conf }\ninclude x.conf; c: $a",
      "conf/t.conf", "conf", world.Options());
  EXPECT_EQ(DumpResult(root), "{m: {a: 1, b: 2, y: 2}, n: {a: 1, b: 2}, a: 1, b: 2, c: 1}");
}

TEST(ConfigIncludeTest, IncludedKeysOverrideEarlierOnesAndLaterOnesOverrideThem) {
  FakeWorld world;
  world.files["i.conf"] = "a: 2\nb: 2";
  absl::StatusOr<ConfigValue> root =
      ParseConfigString("a: 1\nb: 1\ninclude i.conf\nb: 3", "t.conf", "", world.Options());
  EXPECT_EQ(DumpResult(root), "{a: 2, b: 3}");
}

TEST(ConfigIncludeTest, IncludedFileDoesNotSeeTheIncludersVariables) {
  FakeWorld world;
  world.files["i.conf"] = "b: $A";
  absl::StatusOr<ConfigValue> root =
      ParseConfigString("A: 1\ninclude i.conf", "t.conf", "", world.Options());
  EXPECT_EQ(DumpResult(root),
            "ERROR i.conf:1:4: variable reference for 'A' on line 1 can not be found "
            "(in i.conf, included from t.conf:2:1)");
}

TEST(ConfigIncludeTest, PathsAreJoinedToTheIncludingFilesDirectory) {
  FakeWorld world;
  world.files["a/b/t.conf"] =
      "include ../c.conf\ninclude /etc/x.conf\ninclude ./d/../e.conf\ninclude sub/f.conf";
  world.files["a/c.conf"] = "c: 1";
  world.files["a/b/etc/x.conf"] = "x: 1";  // an absolute path ends up below the directory
  world.files["a/b/e.conf"] = "e: 1";
  world.files["a/b/sub/f.conf"] = "include g.conf";
  world.files["a/b/sub/g.conf"] = "g: 1";
  absl::StatusOr<ConfigValue> root = ParseConfigFile("a/b/t.conf", world.Options());
  EXPECT_EQ(DumpResult(root), "{c: 1, x: 1, e: 1, g: 1}");
}

TEST(ConfigIncludeTest, MissingFile) {
  FakeWorld world;
  absl::StatusOr<ConfigValue> root =
      ParseConfigString("port: 1\n  include nope.conf", "t.conf", "base", world.Options());
  EXPECT_EQ(DumpResult(root),
            "ERROR t.conf:2:3: error parsing include file 'nope.conf', open base/nope.conf: no "
            "such file or directory");
}

TEST(ConfigIncludeTest, ErrorInsideAnIncludedFileNamesBothFiles) {
  FakeWorld world;
  world.files["one.conf"] = "include two.conf";
  world.files["two.conf"] = "a: 1\nb: [1]";
  absl::StatusOr<ConfigValue> root =
      ParseConfigString("m {\n include one.conf\n}", "t.conf", "", world.Options());
  EXPECT_EQ(DumpResult(root),
            "ERROR two.conf:2:7: expected ',', a newline or ']' after an array element, found "
            "end of input (in two.conf, included from one.conf:1:1) (in one.conf, included "
            "from t.conf:2:2)");
}

TEST(ConfigIncludeTest, CyclesAreRefused) {
  FakeWorld world;
  world.files["self.conf"] = "a: 1\ninclude self.conf";
  EXPECT_EQ(DumpResult(ParseConfigFile("self.conf", world.Options())),
            "ERROR self.conf:2:1: include cycle: 'self.conf' is already being parsed");
  world.files["a.conf"] = "include b.conf";
  world.files["b.conf"] = "include ./a.conf";
  EXPECT_EQ(DumpResult(ParseConfigFile("a.conf", world.Options())),
            "ERROR b.conf:1:1: include cycle: 'a.conf' is already being parsed (in b.conf, "
            "included from a.conf:1:1)");
}

TEST(ConfigIncludeTest, DepthIsBounded) {
  FakeWorld world;
  for (int i = 0; i < 20; ++i) {
    // StrCat, not "literal" + std::string: GCC 12 warns (-Wrestrict) on the latter.
    world.files[absl::StrCat("f", i, ".conf")] = absl::StrCat("include f", i + 1, ".conf");
  }
  absl::StatusOr<ConfigValue> root = ParseConfigFile("f0.conf", world.Options());
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(std::string(root.status().message()).rfind(
                "f10.conf:1:1: includes nested deeper than 10 files (in f10.conf, included from "
                "f9.conf:1:1)",
                0),
            0u)
      << root.status();
}

TEST(ConfigIncludeTest, CountIsBounded) {
  FakeWorld world;
  world.files["x.conf"] = "a: 1";
  ParseOptions options = world.Options();
  options.limits.max_includes = 3;
  EXPECT_EQ(DumpResult(ParseConfigString("include x.conf\ninclude x.conf\ninclude x.conf", "t.conf",
                                         "", options)),
            "{a: 1}");
  EXPECT_EQ(DumpResult(ParseConfigString(
                "include x.conf\ninclude x.conf\ninclude x.conf\ninclude x.conf", "t.conf", "",
                options)),
            "ERROR t.conf:4:1: more than 3 includes");
}

TEST(ConfigIncludeTest, FileSizeIsBounded) {
  FakeWorld world;
  world.files["big.conf"] = "a: " + std::string(100, 'x');
  ParseOptions options = world.Options();
  options.limits.max_file_bytes = 64;
  EXPECT_EQ(DumpResult(ParseConfigString("include big.conf", "t.conf", "", options)),
            "ERROR t.conf:1:1: include file 'big.conf' is larger than 64 bytes");
}

TEST(ConfigIncludeTest, TopLevelFileErrors) {
  FakeWorld world;
  absl::StatusOr<ConfigValue> root = ParseConfigFile("missing.conf", world.Options());
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(root.status().message()),
            "error opening config file: open missing.conf: no such file or directory");
}

class ConfigIncludeDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ringnats_config_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (const std::string& file : files_) {
      std::remove(file.c_str());
    }
    rmdir((dir_ + "/sub").c_str());
    rmdir(dir_.c_str());
  }
  void Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    files_.push_back(path);
  }

  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(ConfigIncludeDiskTest, ReadsRealFiles) {
  ASSERT_EQ(mkdir((dir_ + "/sub").c_str(), 0700), 0);
  Write("main.conf", "port: 4222\ninclude sub/auth.conf\n");
  Write("sub/auth.conf", "authorization { user: a, password: b }\n");
  absl::StatusOr<ConfigValue> root = ParseConfigFile(dir_ + "/main.conf");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->DebugString(), R"({port: 4222, authorization: {user: "a", password: "b"}})");
  EXPECT_EQ(root->Find("authorization")->position().file, dir_ + "/sub/auth.conf");
}

TEST_F(ConfigIncludeDiskTest, MissingFilesAndDirectories) {
  absl::StatusOr<ConfigValue> root = ParseConfigFile(dir_ + "/none.conf");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(root.status().message()),
            "error opening config file: open " + dir_ + "/none.conf: no such file or directory");
  Write("main.conf", "include \"\"\n");
  root = ParseConfigFile(dir_ + "/main.conf");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(std::string(root.status().message()),
            dir_ + "/main.conf:1:1: error parsing include file '', read " + dir_ +
                ": is a directory");
}

}  // namespace
}  // namespace ringnats::config
