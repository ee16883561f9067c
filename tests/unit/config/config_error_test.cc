// Every way the text can be refused, with the exact position reported.

#include <string>

#include "absl/status/status.h"
#include "config_test_util.h"
#include "gtest/gtest.h"

namespace ringnats::config {
namespace {

using testing::ErrorOf;

TEST(ConfigErrorTest, ErrorsAreInvalidArgumentWithFileLineColumn) {
  absl::StatusOr<ConfigValue> result = testing::ParseText("a: 1\nb: 2 3\n");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(result.status().message()),
            "t.conf:2:6: expected a newline, ';', ',' or a comment after a value, found '3'");
}

TEST(ConfigErrorTest, KeyStart) {
  EXPECT_EQ(ErrorOf("a: 1\n/b: 2"), "t.conf:2:1: found '/' where a key was expected");
  EXPECT_EQ(ErrorOf("a: 1\n: 2"), "t.conf:2:1: found ':' where a key was expected");
  EXPECT_EQ(ErrorOf("  = 2"), "t.conf:1:3: found '=' where a key was expected");
  std::string nul = "a: 1\n";
  nul += '\0';
  EXPECT_EQ(ErrorOf(nul), "t.conf:2:1: found a NUL byte where a key was expected");
  EXPECT_EQ(ErrorOf("a: 1\n\"bc"), "t.conf:2:4: quoted key not closed: found end of input");
  EXPECT_EQ(ErrorOf("'a\nb"), "t.conf:2:2: quoted key not closed: found end of input");
}

TEST(ConfigErrorTest, TopLevelValueEnd) {
  EXPECT_EQ(ErrorOf("a: 1 2"),
            "t.conf:1:6: expected a newline, ';', ',' or a comment after a value, found '2'");
  EXPECT_EQ(ErrorOf("a: \"x\"y"),
            "t.conf:1:7: expected a newline, ';', ',' or a comment after a value, found 'y'");
  EXPECT_EQ(ErrorOf("a: 1# c"),
            "t.conf:1:7: expected a newline, ';', ',' or a comment after a value, found 'c'");
  EXPECT_EQ(ErrorOf("a: 1k5"),
            "t.conf:1:6: expected a newline, ';', ',' or a comment after a value, found '5'");
  EXPECT_EQ(ErrorOf("a: -5x"),
            "t.conf:1:6: expected a newline, ';', ',' or a comment after a value, found 'x'");
  EXPECT_EQ(ErrorOf("a: 1.5s"),
            "t.conf:1:7: expected a newline, ';', ',' or a comment after a value, found 's'");
  EXPECT_EQ(ErrorOf("a: 2006-01-02T15:04:05Zx"),
            "t.conf:1:24: expected a newline, ';', ',' or a comment after a value, found 'x'");
}

TEST(ConfigErrorTest, MissingValue) {
  EXPECT_EQ(ErrorOf("a:\n1"), "t.conf:1:3: expected a value, found end of line");
  EXPECT_EQ(ErrorOf("a =  \r\n1"), "t.conf:1:6: expected a value, found end of line");
}

TEST(ConfigErrorTest, Numbers) {
  EXPECT_EQ(ErrorOf("a: .5"), "t.conf:1:4: a number must start with a digit, not '.'");
  EXPECT_EQ(ErrorOf("a: -.5"), "t.conf:1:5: a number must start with a digit, not '.'");
  EXPECT_EQ(ErrorOf("a: -x"), "t.conf:1:5: expected a digit after '-', found 'x'");
  EXPECT_EQ(ErrorOf("a: -"), "t.conf:1:5: expected a digit after '-', found end of input");
  EXPECT_EQ(ErrorOf("a: 1.x"), "t.conf:1:6: expected a digit after '.', found 'x'");
  EXPECT_EQ(ErrorOf("a: 1."), "t.conf:1:6: expected a digit after '.', found end of input");
  EXPECT_EQ(ErrorOf("a: 9223372036854775808"),
            "t.conf:1:4: integer '9223372036854775808' is out of range");
  EXPECT_EQ(ErrorOf("x: 1\na: -9223372036854775809k"),
            "t.conf:2:4: integer '-9223372036854775809k' is out of range");
  const std::string huge = "1" + std::string(400, '0') + ".0";
  EXPECT_EQ(ErrorOf("a: " + huge), "t.conf:1:4: float '" + huge + "' is out of range");
}

TEST(ConfigErrorTest, Datetimes) {
  EXPECT_EQ(ErrorOf("a: 12-3"), "t.conf:1:6: a date must be written in full as "
                                "YYYY-MM-DDTHH:MM:SSZ");
  EXPECT_EQ(ErrorOf("a: 2006-1-02T15:04:05Z"),
            "t.conf:1:10: expected a digit in a datetime, found '-'");
  EXPECT_EQ(ErrorOf("a: 2006-01-02 15:04:05Z"),
            "t.conf:1:14: expected 'T' in a datetime, found a space");
  EXPECT_EQ(ErrorOf("a: 2006-01-02T15:04:05"),
            "t.conf:1:23: expected 'Z' in a datetime, found end of input");
  EXPECT_EQ(ErrorOf("a: 2006-02-30T00:00:00Z"),
            "t.conf:1:4: '2006-02-30T00:00:00Z' is not a valid date and time");
  EXPECT_EQ(ErrorOf("a: 2023-02-29T00:00:00Z"),
            "t.conf:1:4: '2023-02-29T00:00:00Z' is not a valid date and time");
  EXPECT_EQ(ErrorOf("a: 2006-01-02T24:00:00Z"),
            "t.conf:1:4: '2006-01-02T24:00:00Z' is not a valid date and time");
  EXPECT_EQ(ErrorOf("a: 2006-01-02T23:59:60Z"),
            "t.conf:1:4: '2006-01-02T23:59:60Z' is not a valid date and time");
  EXPECT_EQ(ErrorOf("a: 2000-02-29T00:00:00Z"), "OK");
}

TEST(ConfigErrorTest, Escapes) {
  EXPECT_EQ(ErrorOf(R"(a: "x\q")"),
            R"(t.conf:1:7: invalid escape: found 'q' after '\' (allowed: \t \n \r \" \\ \xHH))");
  EXPECT_EQ(ErrorOf(R"(a: x\q)"),
            R"(t.conf:1:6: invalid escape: found 'q' after '\' (allowed: \t \n \r \" \\ \xHH))");
  EXPECT_EQ(ErrorOf(R"(a: "\x4g")"),
            R"(t.conf:1:5: '\x' must be followed by two hexadecimal digits, found '4g')");
  EXPECT_EQ(ErrorOf("a: \"\\x4\nb\""),
            R"(t.conf:1:8: '\x' must be followed by two hexadecimal digits, found end of line)");
  EXPECT_EQ(ErrorOf(R"(a: "\x)"),
            R"(t.conf:1:5: '\x' must be followed by two hexadecimal digits, found '\x')");
}

TEST(ConfigErrorTest, UnclosedStrings) {
  EXPECT_EQ(ErrorOf("a: \"abc"), "t.conf:1:8: string not closed: found end of input");
  EXPECT_EQ(ErrorOf("a: 'abc\n"), "t.conf:2:1: string not closed: found end of input");
  std::string nul = "a: \"a";
  nul += '\0';
  nul += "b\"";
  EXPECT_EQ(ErrorOf(nul), "t.conf:1:6: string not closed: found a NUL byte");
}

TEST(ConfigErrorTest, Maps) {
  EXPECT_EQ(ErrorOf("m { a: 1 b: 2 }"),
            "t.conf:1:10: expected ',', ';', a newline or '}' after a map value, found 'b'");
  EXPECT_EQ(ErrorOf("m { ] }"), "t.conf:1:5: found ']' where a map key was expected");
  EXPECT_EQ(ErrorOf("m {\n  : 1 }"), "t.conf:2:3: found ':' where a key was expected");
  EXPECT_EQ(ErrorOf("m {\n a: 1\n"), "t.conf:3:1: map not closed: found end of input");
  EXPECT_EQ(ErrorOf("m { abc"), "t.conf:1:8: map not closed: found end of input in a key");
  EXPECT_EQ(ErrorOf("m { \"abc"), "t.conf:1:9: quoted key not closed: found end of input");
  EXPECT_EQ(ErrorOf("m { a: , }"), "t.conf:1:8: found ',' where a value was expected");
  EXPECT_EQ(ErrorOf("m { a: 1"),
            "t.conf:1:9: expected ',', ';', a newline or '}' after a map value, found end of "
            "input");
}

TEST(ConfigErrorTest, Arrays) {
  EXPECT_EQ(ErrorOf("a: [ , ]"), "t.conf:1:6: found ',' where an array element was expected");
  EXPECT_EQ(ErrorOf("a: [ x,, y ]"),
            "t.conf:1:8: found ',' where an array element was expected");
  EXPECT_EQ(ErrorOf("a: [ / ]"), "t.conf:1:6: found '/' where an array element was expected");
  EXPECT_EQ(ErrorOf("a: [ x y ]"),
            "t.conf:1:8: expected ',', a newline or ']' after an array element, found 'y'");
  EXPECT_EQ(ErrorOf("a: [1; 2]"),
            "t.conf:1:6: expected ',', a newline or ']' after an array element, found ';'");
  EXPECT_EQ(ErrorOf("a: [1]"),
            "t.conf:1:7: expected ',', a newline or ']' after an array element, found end of "
            "input");
  EXPECT_EQ(ErrorOf("a: [\n  x\n"),
            "t.conf:3:1: expected ',', a newline or ']' after an array element, found end of "
            "input");
}

TEST(ConfigErrorTest, Blocks) {
  EXPECT_EQ(ErrorOf("a: (\nabc\n"),
            "t.conf:3:1: block not closed by a ')' alone on a line: found end of input");
  // Windows line ends never close a block: ')' must be followed by '\n'.
  EXPECT_EQ(ErrorOf("a: (\r\nx\r\n)\r\n"),
            "t.conf:4:1: block not closed by a ')' alone on a line: found end of input");
}

TEST(ConfigErrorTest, IncludeSyntax) {
  EXPECT_EQ(ErrorOf("include [x]"), "t.conf:1:9: expected an include path, found '['");
  EXPECT_EQ(ErrorOf("include {x}"), "t.conf:1:9: expected an include path, found '{'");
  EXPECT_EQ(ErrorOf("include (x)"), "t.conf:1:9: expected an include path, found '('");
  EXPECT_EQ(ErrorOf("include 1.conf"), "t.conf:1:9: expected an include path, found '1'");
  EXPECT_EQ(ErrorOf("include -x"), "t.conf:1:9: expected an include path, found '-'");
  EXPECT_EQ(ErrorOf("include \\x"), "t.conf:1:9: expected an include path, found '\\'");
  EXPECT_EQ(ErrorOf("include\nfoo"), "t.conf:1:8: expected an include path, found end of line");
  EXPECT_EQ(ErrorOf("m {\n  include \"abc"),
            "t.conf:2:15: include path not closed: found end of input");
}

TEST(ConfigErrorTest, UndefinedVariable) {
  EXPECT_EQ(ErrorOf("a: 1\nb: $nope"),
            "t.conf:2:4: variable reference for 'nope' on line 2 can not be found");
  EXPECT_EQ(ErrorOf("m {\n  l: [ 1, $x ]\n}"),
            "t.conf:2:11: variable reference for 'x' on line 2 can not be found");
  EXPECT_EQ(ErrorOf("a: $"), "t.conf:1:4: variable reference for '' on line 1 can not be found");
}

TEST(ConfigErrorTest, ColumnsCountBytesAndLinesCountNewlinesOnly) {
  EXPECT_EQ(ErrorOf("\xC3\xA9t\xC3\xA9: 1 2"),
            "t.conf:1:10: expected a newline, ';', ',' or a comment after a value, found '2'");
  EXPECT_EQ(ErrorOf("a: 1\r\rb: 2 3"),
            "t.conf:1:12: expected a newline, ';', ',' or a comment after a value, found '3'");
}

TEST(ConfigErrorTest, NothingAfterAnErrorIsParsed) {
  // The first error wins even when later text has others.
  EXPECT_EQ(ErrorOf("a: $undefined\nb: [1]\n"),
            "t.conf:1:4: variable reference for 'undefined' on line 1 can not be found");
}

}  // namespace
}  // namespace ringnats::config
