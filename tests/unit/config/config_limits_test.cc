// Bounds that keep hostile input from exhausting the stack, memory or time.

#include <string>

#include "absl/strings/str_cat.h"
#include "config_test_util.h"
#include "gtest/gtest.h"

namespace ringnats::config {
namespace {

using testing::FakeWorld;

std::string DumpWith(std::string_view text, const ParseOptions& options) {
  absl::StatusOr<ConfigValue> result = ParseConfigString(text, "t.conf", "", options);
  return result.ok() ? result->DebugString() : "ERROR " + std::string(result.status().message());
}

std::string Repeat(std::string_view piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) {
    out += piece;
  }
  return out;
}

TEST(ConfigLimitsTest, NestingDepth) {
  FakeWorld world;
  ParseOptions options = world.Options();
  options.limits.max_depth = 4;
  EXPECT_EQ(DumpWith("a: [[{b: 1}]]", options), "{a: [[{b: 1}]]}");
  EXPECT_EQ(DumpWith("a: [[[[1 ]]]]", options),
            "ERROR t.conf:1:7: maps and arrays nested deeper than 4 levels");
  EXPECT_EQ(DumpWith("a { b { c { d {} } } }", options),
            "ERROR t.conf:1:15: maps and arrays nested deeper than 4 levels");
}

TEST(ConfigLimitsTest, HugeNestingFailsWithoutRecursion) {
  EXPECT_EQ(testing::ErrorOf("a: " + std::string(100000, '[')),
            "t.conf:1:131: maps and arrays nested deeper than 128 levels");
  EXPECT_EQ(testing::ErrorOf("a " + Repeat("{b ", 100000)),
            "t.conf:1:384: maps and arrays nested deeper than 128 levels");
}

TEST(ConfigLimitsTest, VariablesCannotBuildDeeperTrees) {
  FakeWorld world;
  ParseOptions options = world.Options();
  options.limits.max_depth = 3;
  EXPECT_EQ(DumpWith("v: {a: {b: 1}}\nw: $v", options), "{v: {a: {b: 1}}, w: {a: {b: 1}}}");
  EXPECT_EQ(DumpWith("v: {a: {b: 1}}\nw: {x: $v}", options),
            "ERROR t.conf:2:8: maps and arrays nested deeper than 3 levels");
}

TEST(ConfigLimitsTest, IncludesCannotBuildDeeperTrees) {
  FakeWorld world;
  world.files["i.conf"] = "m {a: 1}";
  ParseOptions options = world.Options();
  options.limits.max_depth = 2;
  EXPECT_EQ(DumpWith("include i.conf", options), "{m: {a: 1}}");
  EXPECT_EQ(DumpWith("n {\n include i.conf }", options),
            "ERROR t.conf:2:2: maps and arrays nested deeper than 2 levels");
}

TEST(ConfigLimitsTest, DoublingVariablesHitTheSizeBound) {
  // Each line doubles the previous one: 2^60 elements if nothing stopped it.
  std::string text = "v0: [x, x]\n";
  for (int i = 1; i <= 60; ++i) {
    absl::StrAppend(&text, "v", i, ": [$v", i - 1, ", $v", i - 1, "]\n");
  }
  FakeWorld world;
  ParseOptions options = world.Options();
  options.limits.max_tree_bytes = 4 * 1024 * 1024;
  const std::string result = DumpWith(text, options);
  EXPECT_NE(result.find("configuration larger than 4194304 bytes once variables are expanded"),
            std::string::npos)
      << result.substr(0, 200);
}

TEST(ConfigLimitsTest, ManyKeysAndDuplicatesStayLinear) {
  std::string text;
  for (int i = 0; i < 100000; ++i) {
    absl::StrAppend(&text, "k", i, ": 1\n");
  }
  text += Repeat("dup: 1\n", 100000);
  absl::StatusOr<ConfigValue> root = testing::ParseText(text);
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->map().size(), 100001u);
}

}  // namespace
}  // namespace ringnats::config
