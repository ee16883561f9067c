// CONNECT JSON decoding with Go's json.Unmarshal rules. Accept/reject outcomes were checked
// against nats-server 2.9.10 (a rejected CONNECT closes the connection silently).

#include "ringnats/proto/connect_options.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace ringnats::proto {
namespace {

ConnectOptions MustParse(std::string_view json) {
  absl::StatusOr<ConnectOptions> got = ParseConnectOptions(json);
  EXPECT_TRUE(got.ok()) << json << ": " << got.status();
  return got.ok() ? *got : ConnectOptions{};
}

void ExpectRejected(std::string_view json) {
  EXPECT_FALSE(ParseConnectOptions(json).ok()) << json;
}

TEST(ConnectOptions, Defaults) {
  ConnectOptions o = MustParse("{}");
  EXPECT_TRUE(o.verbose);
  EXPECT_TRUE(o.pedantic);
  EXPECT_TRUE(o.echo);
  EXPECT_FALSE(o.headers);
  EXPECT_FALSE(o.no_responders);
  EXPECT_FALSE(o.tls_required);
  EXPECT_EQ(o.protocol, 0);
  EXPECT_EQ(o.name, "");
  EXPECT_FALSE(o.has_account);
}

TEST(ConnectOptions, AllFields) {
  ConnectOptions o = MustParse(
      R"({"verbose":false,"pedantic":false,"echo":false,"headers":true,"no_responders":true,)"
      R"("tls_required":true,"protocol":1,"name":"n","lang":"go","version":"1.2.2",)"
      R"("user":"u","pass":"p","auth_token":"t","sig":"s","nkey":"k","jwt":"j"})");
  EXPECT_FALSE(o.verbose);
  EXPECT_FALSE(o.pedantic);
  EXPECT_FALSE(o.echo);
  EXPECT_TRUE(o.headers);
  EXPECT_TRUE(o.no_responders);
  EXPECT_TRUE(o.tls_required);
  EXPECT_EQ(o.protocol, 1);
  EXPECT_EQ(o.name, "n");
  EXPECT_EQ(o.lang, "go");
  EXPECT_EQ(o.version, "1.2.2");
  EXPECT_EQ(o.user, "u");
  EXPECT_EQ(o.pass, "p");
  EXPECT_EQ(o.auth_token, "t");
  EXPECT_EQ(o.sig, "s");
  EXPECT_EQ(o.nkey, "k");
  EXPECT_EQ(o.jwt, "j");
  EXPECT_FALSE(o.has_account);
}

TEST(ConnectOptions, TypicalClient) {
  ConnectOptions o =
      MustParse(R"({"verbose":false,"pedantic":false,"tls_required":false,"name":"","lang":"go",)"
                R"("version":"1.2.2","protocol":1})");
  EXPECT_FALSE(o.verbose);
  EXPECT_EQ(o.lang, "go");
  EXPECT_EQ(o.protocol, 1);
}

TEST(ConnectOptions, UnknownKeysIgnored) {
  ConnectOptions o =
      MustParse(R"({"foo":[1,{"a":null,"verbose":false}],"bar":{"echo":false},"baz":1.5e3})");
  EXPECT_TRUE(o.verbose);
  EXPECT_TRUE(o.echo);
  // Numbers too large for a double are fine where nothing decodes them.
  EXPECT_TRUE(ParseConnectOptions(R"({"x":1e400,"y":[-1e999]})").ok());
}

TEST(ConnectOptions, KeysMatchCaseInsensitively) {
  EXPECT_FALSE(MustParse(R"({"VERBOSE":false})").verbose);
  EXPECT_FALSE(MustParse(R"({"Echo":false})").echo);
  EXPECT_EQ(MustParse(R"({"Auth_Token":"x"})").auth_token, "x");
  // Go also folds U+017F (long s) to s and U+212A (Kelvin sign) to k.
  EXPECT_FALSE(MustParse("{\"verbo\xC5\xBF"
                         "e\":false}")
                   .verbose);
  EXPECT_EQ(MustParse("{\"n\xE2\x84\xAA"
                      "ey\":\"K\"}")
                .nkey,
            "K");
  ExpectRejected(
      "{\"n\xE2\x84\xAA"
      "ey\":1}");
  // Escapes are decoded before matching.
  EXPECT_FALSE(MustParse(R"({"verb\u006fse":false})").verbose);
  // No other folding: not a field, so ignored.
  EXPECT_TRUE(MustParse(R"({"verbose ":false,"ver_bose":false})").verbose);
}

TEST(ConnectOptions, LastDuplicateWins) {
  EXPECT_TRUE(MustParse(R"({"verbose":false,"verbose":true})").verbose);
  EXPECT_TRUE(MustParse(R"({"Verbose":false,"verbose":true})").verbose);
  EXPECT_FALSE(MustParse(R"({"verbose":true,"VERBOSE":false})").verbose);
}

TEST(ConnectOptions, NullLeavesDefaults) {
  ConnectOptions o = MustParse(R"({"verbose":null,"name":null,"protocol":null,"user":null})");
  EXPECT_TRUE(o.verbose);
  EXPECT_EQ(o.protocol, 0);
  EXPECT_TRUE(ParseConnectOptions("null").ok());
  EXPECT_TRUE(ParseConnectOptions(" null ").ok());
}

TEST(ConnectOptions, WrongTypesRejected) {
  for (const char* json :
       {R"({"verbose":"yes"})", R"({"verbose":1})", R"({"pedantic":1})", R"({"echo":[]})",
        R"({"headers":{}})", R"({"protocol":"1"})", R"({"protocol":1.0})", R"({"protocol":1e0})",
        R"({"protocol":true})", R"({"protocol":99999999999999999999})", R"({"protocol":1e400})",
        R"({"protocol":9223372036854775808})", R"({"name":1})", R"({"user":false})",
        R"({"pass":["x"]})", R"({"account":1})", R"({"new_account":"x"})",
        R"({"verbose":true,"pedantic":1})"}) {
    ExpectRejected(json);
  }
}

TEST(ConnectOptions, ProtocolRange) {
  EXPECT_EQ(MustParse(R"({"protocol":-0})").protocol, 0);
  EXPECT_EQ(MustParse(R"({"protocol":2})").protocol, 2);
  EXPECT_EQ(MustParse(R"({"protocol":-1})").protocol, -1);
  // Go's int is 64-bit: huge values decode and then fail the range check, never wrap.
  EXPECT_EQ(MustParse(R"({"protocol":9223372036854775807})").protocol,
            std::numeric_limits<int>::max());
  EXPECT_EQ(MustParse(R"({"protocol":-9223372036854775808})").protocol,
            std::numeric_limits<int>::min());
  EXPECT_EQ(MustParse(R"({"protocol":4294967297})").protocol, std::numeric_limits<int>::max());
}

TEST(ConnectOptions, SyntaxErrorsRejected) {
  for (const char* json : {"",           " ",
                           "{",          "}",
                           "{} x",       "{}{}",
                           "[]",         "1",
                           "\"x\"",      "true",
                           "{\"a\":}",   "{'a':1}",
                           "{\"a\":1,}", "{} \f",
                           "\r",         "\n{",
                           "{\"a\":01}", "{\"a\":\"\x01\"}",
                           "{/*c*/}",    "\xEF\xBB\xBF{}"}) {
    ExpectRejected(json);
  }
}

// Anything but JSON whitespace after the object is an error for Go's json.Unmarshal, which
// nats-server runs on the whole rest of the CONNECT line; a NUL byte too (nlohmann alone would
// take it for the end of the input).
TEST(ConnectOptions, BytesAfterTheObjectRejected) {
  using std::string_literals::operator""s;
  for (const std::string& json :
       {R"({"verbose":false} garbage)"s, "{} {}"s, "{}x"s, "{}}"s, "{}]"s, "{}1"s, "{},"s,
        "{} null"s, "null x"s, "{}//c"s, "{}\v"s, "{}\x1a"s, "{}\x80"s, "{}\xEF\xBB\xBF"s, "{}\0"s,
        "{} \0 "s, "{}\0x"s, "{\"verbose\":false}\0garbage"s, "\0{}"s}) {
    ExpectRejected(json);
    EXPECT_FALSE(CheckInfoJson(json).ok()) << json;
  }
  EXPECT_TRUE(ParseConnectOptions("{}  \t ").ok());
  EXPECT_TRUE(ParseConnectOptions("null").ok());
}

TEST(ConnectOptions, WhitespaceAroundAccepted) {
  EXPECT_FALSE(MustParse("\n {\"verbose\":false} \t\r").verbose);
}

TEST(ConnectOptions, BadUtf8BecomesReplacementChar) {
  EXPECT_EQ(MustParse("{\"name\":\"a\xFF"
                      "b\"}")
                .name,
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(MustParse("{\"name\":\"\xE2\x84\"}").name, "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(MustParse("{\"name\":\"\xC3\xA9\"}").name, "\xC3\xA9");
  EXPECT_EQ(MustParse(R"({"name":"\ud800"})").name, "\xEF\xBF\xBD");
  EXPECT_EQ(MustParse(R"({"name":"\udc00x"})").name, "\xEF\xBF\xBDx");
  EXPECT_EQ(MustParse(R"({"name":"\ud800\u0041"})").name,
            "\xEF\xBF\xBD"
            "A");
  EXPECT_EQ(MustParse(R"({"name":"\ud83d\ude00"})").name, "\xF0\x9F\x98\x80");
  EXPECT_EQ(MustParse(R"({"name":"\\ud800"})").name, "\\ud800");
  // Outside strings a bad byte is still a syntax error.
  ExpectRejected("{\"name\":\"x\"\xFF}");
}

TEST(ConnectOptions, Account) {
  EXPECT_FALSE(MustParse(R"({"account":""})").has_account);
  EXPECT_FALSE(MustParse(R"({"new_account":false})").has_account);
  EXPECT_TRUE(MustParse(R"({"account":"a"})").has_account);
  EXPECT_TRUE(MustParse(R"({"new_account":true})").has_account);
}

TEST(ConnectOptions, NestingDepth) {
  const auto nested = [](int depth) {
    return R"({"x":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  EXPECT_TRUE(ParseConnectOptions(nested(10000)).ok());
  EXPECT_FALSE(ParseConnectOptions(nested(10001)).ok());
}

TEST(ConnectOptions, LaterConnectDecodesOverEarlier) {
  ConnectOptions first = MustParse(R"({"verbose":false,"name":"a","headers":true})");
  absl::StatusOr<ConnectOptions> second = ParseConnectOptions(R"({"name":"b"})", first);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->verbose);
  EXPECT_TRUE(second->headers);
  EXPECT_EQ(second->name, "b");
}

TEST(InfoJson, Check) {
  EXPECT_TRUE(CheckInfoJson("{}").ok());
  EXPECT_TRUE(CheckInfoJson(R"({"server_id":"x","port":1,"anything":[1,2]})").ok());
  EXPECT_TRUE(CheckInfoJson("null").ok());
  EXPECT_FALSE(CheckInfoJson("\r").ok());
  EXPECT_FALSE(CheckInfoJson("x").ok());
  EXPECT_FALSE(CheckInfoJson("[]").ok());
  EXPECT_FALSE(CheckInfoJson("1").ok());
}

}  // namespace
}  // namespace ringnats::proto
