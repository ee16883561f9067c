// `$NAME` references: scoping, the environment, the bcrypt exception, usage tracking.

#include <string>

#include "config_test_util.h"
#include "gtest/gtest.h"

namespace ringnats::config {
namespace {

using testing::Dump;
using testing::ErrorOf;
using testing::FakeWorld;

absl::StatusOr<ConfigValue> ParseWithEnv(std::string_view text,
                                         std::map<std::string, std::string> env) {
  FakeWorld world;
  world.env = std::move(env);
  return ParseConfigString(text, "t.conf", "", world.Options());
}

std::string DumpWithEnv(std::string_view text, std::map<std::string, std::string> env) {
  absl::StatusOr<ConfigValue> result = ParseWithEnv(text, std::move(env));
  return result.ok() ? result->DebugString() : "ERROR " + std::string(result.status().message());
}

TEST(ConfigVariableTest, ReferenceCopiesTheValue) {
  EXPECT_EQ(Dump("PASS: s3cret\npassword: $PASS"), R"({PASS: "s3cret", password: "s3cret"})");
  EXPECT_EQ(Dump("N: 42\nport: $N"), "{N: 42, port: 42}");
  EXPECT_EQ(Dump("M { a: 1 }\nx: $M\nL: [1, 2 ]\ny: $L"),
            "{M: {a: 1}, x: {a: 1}, L: [1, 2], y: [1, 2]}");
  EXPECT_EQ(Dump("a.b: 1\nc: $a.b"), "{a.b: 1, c: 1}");
}

TEST(ConfigVariableTest, ReferenceHasItsOwnPositionAndKeepsQuoting) {
  absl::StatusOr<ConfigValue> root = testing::ParseText("P: 'x'\n\npassword:   $P");
  ASSERT_TRUE(root.ok());
  const ConfigValue* password = root->Find("password");
  EXPECT_EQ(password->position(), (Position{"t.conf", 3, 13}));
  EXPECT_TRUE(password->quoted());
}

TEST(ConfigVariableTest, MarksTheReferencedValueAsUsed) {
  absl::StatusOr<ConfigValue> root =
      testing::ParseText("A: 1\nB: 2\nx: $A\nm { P: 1, q: $P, R: 3 }");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->Find("A")->used_as_variable());
  EXPECT_FALSE(root->Find("B")->used_as_variable());
  EXPECT_FALSE(root->Find("x")->used_as_variable());
  EXPECT_TRUE(root->Find("m")->Find("P")->used_as_variable());
  EXPECT_FALSE(root->Find("m")->Find("q")->used_as_variable());
  EXPECT_FALSE(root->Find("m")->Find("R")->used_as_variable());
}

TEST(ConfigVariableTest, RedefinitionReplacesTheUsedValue) {
  absl::StatusOr<ConfigValue> root = testing::ParseText("A: 1\nx: $A\nA: 2\ny: $A\nA: 3");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->DebugString(), "{x: 1, y: 2, A: 3}");
  EXPECT_FALSE(root->Find("A")->used_as_variable());  // the last definition was never used
}

TEST(ConfigVariableTest, LooksInTheCurrentMapThenEnclosingMapsSkippingArrays) {
  EXPECT_EQ(Dump("A: 1\nm { B: 2\n n { c: $A, d: $B } }"),
            "{A: 1, m: {B: 2, n: {c: 1, d: 2}}}");
  EXPECT_EQ(Dump("m { B: 2, c: $B }"), "{m: {B: 2, c: 2}}");
  EXPECT_EQ(Dump("A: 1\nl: [ $A, { x: $A } ]"), "{A: 1, l: [1, {x: 1}]}");
  EXPECT_EQ(Dump("A: 1\nm { A: 2, b: $A }\nc: $A"), "{A: 1, m: {A: 2, b: 2}, c: 1}");
}

TEST(ConfigVariableTest, MustBeDefinedBeforeUseInAVisibleScope) {
  EXPECT_EQ(ErrorOf("b: $A\nA: 1"),
            "t.conf:1:4: variable reference for 'A' on line 1 can not be found");
  EXPECT_EQ(ErrorOf("m { X: 1 }\nn { y: $X }"),
            "t.conf:2:8: variable reference for 'X' on line 2 can not be found");
  EXPECT_EQ(ErrorOf("abc: 1\nx: $ABC"),
            "t.conf:2:4: variable reference for 'ABC' on line 2 can not be found");
  // A map being defined is not visible inside itself.
  EXPECT_EQ(ErrorOf("m { x: $m }"),
            "t.conf:1:8: variable reference for 'm' on line 1 can not be found");
}

TEST(ConfigVariableTest, QuotedDollarIsLiteral) {
  absl::StatusOr<ConfigValue> root = testing::ParseText("A: 1\nb: \"$A\"\nc: '$A'");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->DebugString(), R"({A: 1, b: "$A", c: "$A"})");
  EXPECT_FALSE(root->Find("A")->used_as_variable());
}

TEST(ConfigVariableTest, EnvironmentTextIsParsedAsAValue) {
  EXPECT_EQ(DumpWithEnv("port: $P", {{"P", "2048"}}), "{port: 2048}");
  EXPECT_EQ(DumpWithEnv("size: $S", {{"S", "1MB"}}), "{size: 1048576}");
  EXPECT_EQ(DumpWithEnv("on: $B", {{"B", "yes"}}), "{on: true}");
  EXPECT_EQ(DumpWithEnv("s: $S", {{"S", "\"quoted\""}}), R"({s: "quoted"})");
  EXPECT_EQ(DumpWithEnv("l: $L", {{"L", "[a, b]"}}), R"({l: ["a", "b"]})");
  EXPECT_EQ(DumpWithEnv("m: $M", {{"M", "{ x: 1 }"}}), "{m: {x: 1}}");
  EXPECT_EQ(DumpWithEnv("e: $E", {{"E", ""}}), R"({e: ""})");
  EXPECT_EQ(DumpWithEnv("e: $E", {{"E", "1\nother: 2"}}), "{e: 1}");
  EXPECT_EQ(DumpWithEnv("e: $E1", {{"E1", "$E2"}, {"E2", "7"}}), "{e: 7}");
}

TEST(ConfigVariableTest, EnvironmentValueTakesTheReferencePosition) {
  absl::StatusOr<ConfigValue> root = ParseWithEnv("\n  port: $P", {{"P", "2048"}});
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->Find("port")->position(), (Position{"t.conf", 2, 9}));
}

TEST(ConfigVariableTest, DefinedKeysShadowTheEnvironment) {
  EXPECT_EQ(DumpWithEnv("X: 1\ny: $X", {{"X", "2"}}), "{X: 1, y: 1}");
}

TEST(ConfigVariableTest, EnvironmentErrors) {
  EXPECT_EQ(DumpWithEnv("a: $E", {{"E", "hello world"}}),
            "ERROR t.conf:1:4: variable reference for 'E' on line 1 could not be parsed: "
            "expected a newline, ';', ',' or a comment after a value, found 'w'");
  // A lone quote ends the environment's text before the value: nothing was defined.
  EXPECT_EQ(DumpWithEnv("a: $E", {{"E", "'"}}),
            "ERROR t.conf:1:4: variable reference for 'E' on line 1 can not be found");
  EXPECT_EQ(DumpWithEnv("a: $E", {{"E", "$E"}}),
            "ERROR t.conf:1:4: variable reference for 'E' on line 1 could not be parsed: "
            "variable reference for 'E' on line 1 could not be parsed: "
            "variable reference for 'E' on line 1 could not be parsed: "
            "variable reference for 'E' on line 1 could not be parsed: "
            "variable reference for 'E' on line 1 could not be parsed: "
            "variable reference for 'E' on line 1 could not be parsed: "
            "variable reference for 'E' on line 1 could not be parsed: "
            "variable reference for 'E' on line 1 could not be parsed: "
            "variable reference for 'E' on line 1: environment variables refer to each other "
            "more than 8 levels deep");
}

TEST(ConfigVariableTest, RealEnvironmentIsTheDefault) {
  ASSERT_EQ(setenv("RINGNATS_CONFIG_TEST_VARIABLE", "4333", 1), 0);
  absl::StatusOr<ConfigValue> root =
      ParseConfigString("port: $RINGNATS_CONFIG_TEST_VARIABLE", "t.conf", "");
  unsetenv("RINGNATS_CONFIG_TEST_VARIABLE");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->Find("port")->int_value(), 4333);
}

TEST(ConfigVariableTest, UnquotedBcrypt2aHashIsLiteral) {
  const std::string hash = "$2a$11$VfbXlUXH3EADV1gASmdqB.4eD6zR3j5.5jAf0yaGxJ16dOPh4u6Py";
  absl::StatusOr<ConfigValue> root = testing::ParseText("password: " + hash);
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->Find("password")->string_value(), hash);
  EXPECT_FALSE(root->Find("password")->quoted());
}

TEST(ConfigVariableTest, UnquotedBcrypt2bAnd2yHashesAreVariableReferences) {
  EXPECT_EQ(ErrorOf("password: $2b$11$abc"),
            "t.conf:1:11: variable reference for '2b$11$abc' on line 1 can not be found");
  EXPECT_EQ(ErrorOf("password: $2y$11$abc"),
            "t.conf:1:11: variable reference for '2y$11$abc' on line 1 can not be found");
  EXPECT_EQ(Dump("password: \"$2b$11$abc\""), R"({password: "$2b$11$abc"})");
}

}  // namespace
}  // namespace ringnats::config
