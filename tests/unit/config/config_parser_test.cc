// The configuration language's constructs and the values they produce.

#include <string>

#include "config_test_util.h"
#include "gtest/gtest.h"
#include "ringnats/config/config_parser.h"

namespace ringnats::config {
namespace {

using testing::Dump;
using testing::ParseText;

ConfigValue MustParse(std::string_view text) {
  absl::StatusOr<ConfigValue> result = ParseText(text);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : ConfigValue();
}

TEST(ConfigParserTest, EmptyInputIsAnEmptyMap) {
  EXPECT_EQ(Dump(""), "{}");
  EXPECT_EQ(Dump("\n\n  \t\n"), "{}");
  EXPECT_EQ(Dump("# only a comment"), "{}");
}

TEST(ConfigParserTest, KeyValueSeparators) {
  EXPECT_EQ(Dump("a: 1\nb = 2\nc 3\nd:4\ne=5\nf\t6\n"), "{a: 1, b: 2, c: 3, d: 4, e: 5, f: 6}");
}

TEST(ConfigParserTest, TopLevelValueTerminators) {
  EXPECT_EQ(Dump("host: 127.0.0.1; port: 4222;"), R"({host: "127.0.0.1", port: 4222})");
  EXPECT_EQ(Dump("a: 1, b: 2,c: 3"), "{a: 1, b: 2, c: 3}");
  EXPECT_EQ(Dump("a: 1\r\nb: 2\r\n"), "{a: 1, b: 2}");
}

TEST(ConfigParserTest, Comments) {
  EXPECT_EQ(Dump("# hash\n// slashes\na: 1 # trailing\nb: 2 // trailing\n  # indented\nc: 3"),
            "{a: 1, b: 2, c: 3}");
  EXPECT_EQ(Dump("m {\n  # in a map\n  a: 1 # after\n  // slashes\n}\n"), "{m: {a: 1}}");
  EXPECT_EQ(Dump("l: [\n  # in an array\n  x // after\n  y # after\n]\n"), R"({l: ["x", "y"]})");
}

TEST(ConfigParserTest, WholeFileMayBeWrappedInBraces) {
  EXPECT_EQ(Dump("{ a: 1, b: 2 }"), "{a: 1, b: 2}");
  EXPECT_EQ(Dump("{\n  a: 1\n  b: 2\n}\n"), "{a: 1, b: 2}");
  EXPECT_EQ(Dump(R"({"port": 4222, "name": "x", "debug": false, "l": ["a", "b"]})"),
            R"({port: 4222, name: "x", debug: false, l: ["a", "b"]})");
}

TEST(ConfigParserTest, Maps) {
  EXPECT_EQ(Dump("cluster { port: 6222, name: x }"), R"({cluster: {port: 6222, name: "x"}})");
  EXPECT_EQ(Dump("cluster {\n  port: 6222\n  name = x; host h\n}"),
            R"({cluster: {port: 6222, name: "x", host: "h"}})");
  EXPECT_EQ(Dump("a = { b: { c: {} } }"), "{a: {b: {c: {}}}}");
  EXPECT_EQ(Dump("a: {}\nb {}\nc={}"), "{a: {}, b: {}, c: {}}");
  // Inside a map a value may follow its separator on the next line.
  EXPECT_EQ(Dump("a {\n  b:\n    1\n}"), "{a: {b: 1}}");
  EXPECT_EQ(Dump("a { b: 1, }"), "{a: {b: 1}}");
}

TEST(ConfigParserTest, Arrays) {
  EXPECT_EQ(Dump("a: [x, y, z]"), R"({a: ["x", "y", "z"]})");
  EXPECT_EQ(Dump("a: [\n  1\n  2\n]"), "{a: [1, 2]}");
  EXPECT_EQ(Dump("a: [1, 2, ]"), "{a: [1, 2]}");
  EXPECT_EQ(Dump("a: []\nb: [ ]"), "{a: [], b: []}");
  EXPECT_EQ(Dump("a: [ 'x', \"y\", true, 1.5, -3, {b: 1}, [] ]"),
            R"({a: ["x", "y", true, 1.5, -3, {b: 1}, []]})");
  EXPECT_EQ(Dump("a: [[1, 2 ], [x]]"), R"({a: [[1, 2], ["x"]]})");
  EXPECT_EQ(Dump("a: [1.5]\nb: [-1]"), "{a: [1.5], b: [-1]}");
}

TEST(ConfigParserTest, AnIntegerRightBeforeTheClosingBracketIsAWord) {
  // nats-server does not end a number at ']': "1]" becomes a word and the array stays
  // open, so `[1]` and `[1, 2, 3]` are refused (checked against nats-server 2.9.10).
  EXPECT_NE(testing::ErrorOf("a: [1]"), "OK");
  EXPECT_NE(testing::ErrorOf("a: [1, 2, 3]"), "OK");
  EXPECT_EQ(Dump("a: [1, 2, 3 ]"), "{a: [1, 2, 3]}");
  // After a size suffix, though, ']' ends a word.
  EXPECT_EQ(Dump("a: [1k]"), R"({a: ["1k"]})");
}

TEST(ConfigParserTest, QuotedKeys) {
  EXPECT_EQ(Dump("\"a b\": 1\n'c d' = 2\n\"e\" 3\n'f':4"), R"({"a b": 1, "c d": 2, e: 3, f: 4})");
  EXPECT_EQ(Dump("m { \"x y\": 1, 'z': 2 }"), R"({m: {"x y": 1, z: 2}})");
  EXPECT_EQ(Dump("\"\": 1"), R"({"": 1})");
  EXPECT_EQ(Dump("a.b-c_d/e: 1"), R"({"a.b-c_d/e": 1})");
}

TEST(ConfigParserTest, DoubleQuotedStringEscapes) {
  ConfigValue root = MustParse(R"(a: "t\tn\nr\rq\"b\\x\x41\x7e")");
  const ConfigValue* a = root.Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->string_value(), "t\tn\nr\rq\"b\\xA~");
  EXPECT_TRUE(a->quoted());
  EXPECT_EQ(MustParse(R"(a: "\xff\x00")").Find("a")->string_value(), std::string("\xff\0", 2));
  EXPECT_EQ(MustParse("a: \"two\nlines\"").Find("a")->string_value(), "two\nlines");
  EXPECT_EQ(MustParse(R"(a: "$NOT_A_VARIABLE")").Find("a")->string_value(), "$NOT_A_VARIABLE");
  EXPECT_EQ(MustParse(R"(a: "")").Find("a")->string_value(), "");
}

TEST(ConfigParserTest, SingleQuotedStringsAreRaw) {
  ConfigValue root = MustParse(R"(a: 'x\ty\q "z"')");
  EXPECT_EQ(root.Find("a")->string_value(), R"(x\ty\q "z")");
  EXPECT_TRUE(root.Find("a")->quoted());
  EXPECT_EQ(MustParse("a: 'two\nlines'").Find("a")->string_value(), "two\nlines");
}

TEST(ConfigParserTest, BareWords) {
  ConfigValue root = MustParse(
      "a: hello\nb: nats://user:pw@host:4222\nc: foo{bar\nd: x\\ty\ne: abc'\nf: a#b\n");
  EXPECT_EQ(root.Find("a")->string_value(), "hello");
  EXPECT_FALSE(root.Find("a")->quoted());
  EXPECT_EQ(root.Find("b")->string_value(), "nats://user:pw@host:4222");
  EXPECT_EQ(root.Find("c")->string_value(), "foo{bar");
  EXPECT_EQ(root.Find("d")->string_value(), "x\ty");  // escapes work in bare words too
  EXPECT_EQ(root.Find("e")->string_value(), "abc");   // a stray quote ends the word
  EXPECT_EQ(root.Find("f")->string_value(), "a#b");
}

TEST(ConfigParserTest, Booleans) {
  EXPECT_EQ(Dump("a: true\nb: FALSE\nc: Yes\nd: no\ne: on\nf: OFF"),
            "{a: true, b: false, c: true, d: false, e: true, f: false}");
  EXPECT_EQ(Dump("g: \"true\"\nh: truex\ni: 'no'"), R"({g: "true", h: "truex", i: "no"})");
  EXPECT_EQ(MustParse("c: Yes").Find("c")->raw_text(), "Yes");
  // Escapes or a trailing stray quote make it a string.
  EXPECT_EQ(Dump("a: tru\\x65\nb: true'"), R"({a: "true", b: "true"})");
}

TEST(ConfigParserTest, Integers) {
  EXPECT_EQ(Dump("a: 0\nb: 42\nc: -17\nd: 007"), "{a: 0, b: 42, c: -17, d: 7}");
  EXPECT_EQ(Dump("a: 9223372036854775807\nb: -9223372036854775808"),
            "{a: 9223372036854775807, b: -9223372036854775808}");
  EXPECT_EQ(MustParse("d: 007").Find("d")->raw_text(), "007");
}

TEST(ConfigParserTest, SizeSuffixes) {
  EXPECT_EQ(Dump("a: 2k\nb: 2K\nc: 1kb\nd: 1KiB\ne: 1Ki\nf: 1kB"),
            "{a: 2000, b: 2000, c: 1024, d: 1024, e: 1024, f: 1024}");
  EXPECT_EQ(Dump("a: 64M\nb: 1MB\nc: 1mib\nd: 1g\ne: 1GB\nf: 1t\ng: 1TiB\nh: 1p\ni: 1PB"),
            "{a: 64000000, b: 1048576, c: 1048576, d: 1000000000, e: 1073741824, "
            "f: 1000000000000, g: 1099511627776, h: 1000000000000000, i: 1125899906842624}");
  EXPECT_EQ(Dump("a: 1e\nb: 1EB\nc: -1k\nd: 2m"),
            "{a: 1000000000000000000, b: 1152921504606846976, c: -1000, d: 2000000}");
  EXPECT_EQ(MustParse("b: 1MB").Find("b")->raw_text(), "1MB");
  // The multiplication wraps like nats-server's int64 arithmetic.
  EXPECT_EQ(MustParse("a: 10e").Find("a")->int_value(), -8446744073709551616);
  EXPECT_EQ(Dump("a: [1k, 2 ]"), "{a: [1000, 2]}");
}

TEST(ConfigParserTest, UnknownSizeSuffixDropsTheKey) {
  // nats-server stores nothing for `1kbb`; the key silently disappears.
  EXPECT_EQ(Dump("a: 1kbb\nb: 2"), "{b: 2}");
  EXPECT_EQ(Dump("l: [1kbi, 2 ]"), "{l: [2]}");
}

TEST(ConfigParserTest, Floats) {
  ConfigValue root = MustParse("a: 1.5\nb: -0.25\nc: 10.0\nd: 0.1");
  EXPECT_TRUE(root.Find("a")->is_double());
  EXPECT_DOUBLE_EQ(root.Find("a")->double_value(), 1.5);
  EXPECT_DOUBLE_EQ(root.Find("b")->double_value(), -0.25);
  EXPECT_DOUBLE_EQ(root.Find("c")->double_value(), 10.0);
  EXPECT_EQ(root.Find("c")->raw_text(), "10.0");
  EXPECT_EQ(root.DebugString(), "{a: 1.5, b: -0.25, c: 10, d: 0.1}");
}

TEST(ConfigParserTest, AddressesAreStrings) {
  EXPECT_EQ(Dump("a: 127.0.0.1\nb: 127.0.0.1:4222\nc: 10.0.0.1-3\nd: -1.2.3"),
            R"({a: "127.0.0.1", b: "127.0.0.1:4222", c: "10.0.0.1-3", d: "-1.2.3"})");
  EXPECT_FALSE(MustParse("a: 127.0.0.1").Find("a")->quoted());
}

TEST(ConfigParserTest, DigitsFollowedByLettersAreWords) {
  EXPECT_EQ(Dump("a: 10s\nb: 3secret\nc: 500ms\nd: 1h30m\ne: 2m"),
            R"({a: "10s", b: "3secret", c: "500ms", d: "1h30m", e: 2000000})");
  // Escapes apply after the first non-digit, not to it.
  EXPECT_EQ(Dump("f: 1x\\ty\ng: 1\\t"), R"({f: "1x\ty", g: "1\\t"})");
}

TEST(ConfigParserTest, Datetimes) {
  ConfigValue root = MustParse("a: 2006-01-02T15:04:05Z\nb: 2024-02-29T23:59:59Z");
  EXPECT_TRUE(root.Find("a")->is_datetime());
  EXPECT_EQ(root.Find("a")->string_value(), "2006-01-02T15:04:05Z");
  EXPECT_TRUE(root.Find("b")->is_datetime());
}

TEST(ConfigParserTest, BlockStrings) {
  ConfigValue root = MustParse("a: (\nline one\n  line (two)\n )\n)\nb: 1");
  EXPECT_EQ(root.Find("a")->string_value(), "\nline one\n  line (two)\n )\n");
  EXPECT_TRUE(root.Find("a")->quoted());
  EXPECT_EQ(root.Find("b")->int_value(), 1);
  // When the closing parenthesis is the last byte of the input, nats keeps it.
  EXPECT_EQ(MustParse("a: (\nx\n)").Find("a")->string_value(), "\nx\n)");
  EXPECT_EQ(MustParse("a: (\n)\n").Find("a")->string_value(), "\n");
  EXPECT_EQ(Dump("a: (x\n)\nb: 2"), R"({a: "x\n", b: 2})");
}

TEST(ConfigParserTest, DuplicateKeysLastDefinitionWins) {
  EXPECT_EQ(Dump("a: 1\nb: 2\na: 3"), "{b: 2, a: 3}");
  EXPECT_EQ(Dump("m { x: 1, x: 2 }"), "{m: {x: 2}}");
  // Keys differing in case are distinct entries; lookups take the last one.
  ConfigValue root = MustParse("port: 1\nPort: 2\nport: 3");
  EXPECT_EQ(root.DebugString(), "{Port: 2, port: 3}");
  EXPECT_EQ(root.Find("PORT")->int_value(), 3);
  EXPECT_EQ(root.FindExact("Port")->int_value(), 2);
}

TEST(ConfigParserTest, TopLevelKeyMayBeSeparatedFromItsValueByNewlines) {
  EXPECT_EQ(Dump("port\n\n4222\n"), "{port: 4222}");
  EXPECT_EQ(Dump("port\n:\n4222\n"), "ERROR t.conf:2:2: expected a value, found end of line");
}

TEST(ConfigParserTest, EmptyAndMissingValues) {
  EXPECT_EQ(Dump("a: ;\nb: 2"), R"({a: "", b: 2})");
  EXPECT_EQ(Dump("a:"), R"({a: ""})");
  EXPECT_EQ(Dump("a: 1\nb"), "{a: 1}");  // a key without a value at the end is dropped
  EXPECT_EQ(Dump("a: 1\n\"b\""), "{a: 1}");
}

TEST(ConfigParserTest, InputEndingRightAfterAnOpeningQuoteEndsTheFileQuietly) {
  EXPECT_EQ(Dump("a: 1\nb: '"), "{a: 1}");
  EXPECT_EQ(Dump("a: 1\nb: \""), "{a: 1}");
  EXPECT_EQ(Dump("a: 1\n\""), "{a: 1}");
  EXPECT_EQ(Dump("a: 1\nc { d: [ \""), "{a: 1}");  // open containers are dropped
  EXPECT_EQ(Dump("a: 1\nb: \"x\\t"), "{a: 1}");     // also right after an escape
}

TEST(ConfigParserTest, KeyWithoutValueBeforeClosingBraceShiftsKeysLikeNatsServer) {
  // nats-server pairs keys and values with one stack: the map closed after the valueless
  // `tls` is stored under `tls`, one level up, and `cluster` is lost.
  EXPECT_EQ(Dump("cluster { tls: }\nport: 1"), "{tls: {}, port: 1}");
  EXPECT_EQ(Dump("a { b: 1kbb }\nport: 5"), "{b: {}, port: 5}");
  EXPECT_EQ(Dump("a { b { c: }, d: 1 }"), "{b: {c: {}, d: 1}}");
  EXPECT_EQ(Dump("a: [ { b: } ]"), "{b: [{}]}");
}

TEST(ConfigParserTest, LoneSlashes) {
  EXPECT_EQ(Dump("cluster { /port: 4222 }"), "{cluster: {port: 4222}}");
  EXPECT_EQ(Dump("m { / a: 1 }"), R"({m: {" a": 1}})");
  EXPECT_EQ(Dump("port: 4222 / \n"), "{port: 4222}");
  EXPECT_EQ(Dump("a: [x / y]"), R"({a: ["x", "y"]})");
  EXPECT_EQ(Dump("m { a: 1 / b: 2 }"), "{m: {a: 1, b: 2}}");
}

TEST(ConfigParserTest, UnicodeSpaceSeparatesKeysButNotWords) {
  EXPECT_EQ(Dump("port\xC2\xA0" "4222"), "{port: 4222}");
  EXPECT_EQ(Dump("a: x\xC2\xA0y"), "{a: \"x\xC2\xA0y\"}");
  EXPECT_EQ(Dump("\xE3\x80\x80port: 1"), "{port: 1}");
}

TEST(ConfigParserTest, NulByteEndsTheFileAfterAKey) {
  std::string text = "a: 1\nb";
  text += '\0';
  text += " garbage";
  EXPECT_EQ(Dump(text), "{a: 1}");
}

TEST(ConfigParserTest, Positions) {
  ConfigValue root = MustParse("a: 1\n  bb: \"x\"\nc {\n  d: [ 5, 'q' ]\n}\n\"k\": 2");
  const auto& entries = root.map();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].key_position, (Position{"t.conf", 1, 1}));
  EXPECT_EQ(entries[0].value.position(), (Position{"t.conf", 1, 4}));
  EXPECT_EQ(entries[1].key_position, (Position{"t.conf", 2, 3}));
  EXPECT_EQ(entries[1].value.position(), (Position{"t.conf", 2, 7}));
  EXPECT_EQ(entries[2].key_position, (Position{"t.conf", 3, 1}));
  EXPECT_EQ(entries[2].value.position(), (Position{"t.conf", 3, 3}));
  const MapEntry& d = entries[2].value.map()[0];
  EXPECT_EQ(d.key_position, (Position{"t.conf", 4, 3}));
  EXPECT_EQ(d.value.position(), (Position{"t.conf", 4, 6}));
  EXPECT_EQ(d.value.array()[0].position(), (Position{"t.conf", 4, 8}));
  EXPECT_EQ(d.value.array()[1].position(), (Position{"t.conf", 4, 11}));
  // A quoted key's position is that of its text, inside the quotes.
  EXPECT_EQ(entries[3].key_position, (Position{"t.conf", 6, 2}));
  EXPECT_EQ(root.position(), (Position{"t.conf", 1, 1}));
}

TEST(ConfigParserTest, ParseConfigStringUsesTheGivenFileName) {
  testing::FakeWorld world;
  absl::StatusOr<ConfigValue> root =
      ParseConfigString("a: 1", "some/where.conf", "some", world.Options());
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->map()[0].key_position.file, "some/where.conf");
}

}  // namespace
}  // namespace ringnats::config
