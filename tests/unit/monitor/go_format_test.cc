// Go's text forms, with expectations taken from what Go 1.19 (nats-server 2.9.10) writes.

#include "ringnats/monitor/go_format.h"

#include <gtest/gtest.h>

namespace ringnats::monitor {
namespace {

TEST(GoJsonTest, IndentsAsMarshalIndent) {
  Json json;
  json["a"] = 1;
  json["list"] = Json::array({1, "x"});
  json["empty_list"] = Json::array();
  json["empty_object"] = Json::object();
  json["nested"] = Json::object({{"b", true}});
  json["null"] = nullptr;
  EXPECT_EQ(GoJsonIndent(json),
            "{\n"
            "  \"a\": 1,\n"
            "  \"list\": [\n"
            "    1,\n"
            "    \"x\"\n"
            "  ],\n"
            "  \"empty_list\": [],\n"
            "  \"empty_object\": {},\n"
            "  \"nested\": {\n"
            "    \"b\": true\n"
            "  },\n"
            "  \"null\": null\n"
            "}");
  EXPECT_EQ(GoJsonCompact(json),
            R"({"a":1,"list":[1,"x"],"empty_list":[],"empty_object":{},"nested":{"b":true},)"
            R"("null":null})");
}

TEST(GoJsonTest, IndentWriterWritesWhatGoJsonIndentWrites) {
  const std::string hostile = "<a&b> \"q\\ \n\x01 \xFF \xE2\x80\xA8 \xC2\xB5";
  Json json;
  json["n"] = -3;
  json["u"] = UINT64_MAX;
  json[hostile] = hostile;
  json["empty_list"] = Json::array();
  json["empty_object"] = Json::object();
  json["none"] = nullptr;
  json["list"] = Json::array({Json::object({{"a", 1}, {"b", Json::array({"x"})}}), "y"});
  json["embedded"] = Json::object({{"deep", Json::array({1, Json::object()})}});

  std::string text;
  GoJsonIndentWriter w(&text);
  w.BeginObject();
  w.Key("n");
  w.Int(-3);
  w.Key("u");
  w.Uint(UINT64_MAX);
  w.Key(hostile);
  w.String(hostile);
  w.Key("empty_list");
  w.BeginArray();
  w.EndArray();
  w.Key("empty_object");
  w.BeginObject();
  w.EndObject();
  w.Key("none");
  w.Null();
  w.Key("list");
  w.BeginArray();
  w.BeginObject();
  w.Key("a");
  w.Int(1);
  w.Key("b");
  w.BeginArray();
  w.String("x");
  w.EndArray();
  w.EndObject();
  w.String("y");
  w.EndArray();
  w.Key("embedded");
  w.Value(json["embedded"]);
  w.EndObject();
  EXPECT_EQ(text, GoJsonIndent(json));

  std::string top;
  GoJsonIndentWriter array(&top);
  array.BeginArray();
  array.Value(Json::array({1, 2}));
  array.EndArray();
  EXPECT_EQ(top, GoJsonIndent(Json::array({Json::array({1, 2})})));
}

TEST(GoJsonTest, EscapesStringsAsEncodingJson) {
  const auto quoted = [](std::string_view text) {
    std::string out;
    AppendGoJsonString(&out, text);
    return out;
  };
  EXPECT_EQ(quoted("baz.>"), R"("baz.\u003e")");
  EXPECT_EQ(quoted("<a&b>"), R"("\u003ca\u0026b\u003e")");
  EXPECT_EQ(quoted("q\"b\\s"), R"("q\"b\\s")");
  EXPECT_EQ(quoted("\n\r\t\b\f\x01\x7f"), R"("\n\r\t\u0008\u000c\u0001)"
                                          "\x7f\"");
  EXPECT_EQ(quoted("280\xC2\xB5s"), "\"280\xC2\xB5s\"");  // µ stays raw
  EXPECT_EQ(quoted("\xE2\x80\xA8"), R"("\u2028")");
  EXPECT_EQ(quoted("a\xFF"
                   "b\xC3"),
            R"("a\ufffdb\ufffd")");
  EXPECT_EQ(quoted("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate, byte by byte
}

TEST(GoJsonTest, WritesFloatsAsEncodingJson) {
  EXPECT_EQ(GoJsonFloat(0), "0");
  EXPECT_EQ(GoJsonFloat(-0.0), "0");
  EXPECT_EQ(GoJsonFloat(2), "2");
  EXPECT_EQ(GoJsonFloat(0.8), "0.8");
  EXPECT_EQ(GoJsonFloat(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(GoJsonFloat(12.5), "12.5");
  EXPECT_EQ(GoJsonFloat(1e20), "100000000000000000000");
  EXPECT_EQ(GoJsonFloat(1e21), "1e+21");
  EXPECT_EQ(GoJsonFloat(0.000001), "0.000001");
  EXPECT_EQ(GoJsonFloat(0.0000001), "1e-7");
  EXPECT_EQ(GoJsonFloat(1.5e-10), "1.5e-10");
  EXPECT_EQ(GoJsonFloat(-3.25), "-3.25");
  Json json = Json::object({{"cpu", 0.0}, {"rate", 0.75}});
  EXPECT_EQ(GoJsonCompact(json), R"({"cpu":0,"rate":0.75})");
}

TEST(GoTimeTest, WritesRfc3339WithTrimmedNanoseconds) {
  const absl::Time base = absl::FromUnixSeconds(1796532795);  // 2026-12-06T04:53:15Z
  EXPECT_EQ(GoTime(base, absl::UTCTimeZone()), "2026-12-06T04:53:15Z");
  EXPECT_EQ(GoTime(base + absl::Nanoseconds(481274261), absl::UTCTimeZone()),
            "2026-12-06T04:53:15.481274261Z");
  EXPECT_EQ(GoTime(base + absl::Nanoseconds(487466470), absl::UTCTimeZone()),
            "2026-12-06T04:53:15.48746647Z");
  EXPECT_EQ(GoTime(base + absl::Milliseconds(500), absl::UTCTimeZone()), "2026-12-06T04:53:15.5Z");
  EXPECT_EQ(GoTime(base, absl::FixedTimeZone(3600)), "2026-12-06T05:53:15+01:00");
  EXPECT_EQ(GoTime(base, absl::FixedTimeZone(-(5 * 3600 + 30 * 60))), "2026-12-05T23:23:15-05:30");
}

TEST(GoDurationTest, WritesTimeDurationString) {
  EXPECT_EQ(GoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(GoDuration(absl::Nanoseconds(850)), "850ns");
  EXPECT_EQ(GoDuration(absl::Microseconds(280)), "280\xC2\xB5s");
  EXPECT_EQ(GoDuration(absl::Nanoseconds(1500)), "1.5\xC2\xB5s");
  EXPECT_EQ(GoDuration(absl::Nanoseconds(4012379)), "4.012379ms");
  EXPECT_EQ(GoDuration(absl::Milliseconds(1)), "1ms");
  EXPECT_EQ(GoDuration(absl::Milliseconds(1500)), "1.5s");
  EXPECT_EQ(GoDuration(absl::Seconds(123) + absl::Milliseconds(4)), "2m3.004s");
  EXPECT_EQ(GoDuration(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(GoDuration(absl::Hours(26) + absl::Seconds(1)), "26h0m1s");
  EXPECT_EQ(GoDuration(-absl::Milliseconds(2)), "-2ms");
}

TEST(GoDurationTest, RoundsRttAsNatsServer) {
  EXPECT_EQ(GoRttRounding(absl::Nanoseconds(768123)), absl::Microseconds(768));
  EXPECT_EQ(GoRttRounding(absl::Nanoseconds(4012379)), absl::Nanoseconds(4012379));
  EXPECT_EQ(GoRttRounding(absl::Nanoseconds(900)), absl::Nanoseconds(900));
}

TEST(GoUptimeTest, WritesNatsServerUptime) {
  EXPECT_EQ(GoUptime(absl::Milliseconds(999)), "0s");
  EXPECT_EQ(GoUptime(absl::Seconds(5)), "5s");
  EXPECT_EQ(GoUptime(absl::Seconds(252)), "4m12s");
  EXPECT_EQ(GoUptime(absl::Hours(3) + absl::Seconds(1)), "3h0m1s");
  EXPECT_EQ(GoUptime(absl::Hours(49)), "2d1h0m0s");
  EXPECT_EQ(GoUptime(absl::Hours(24 * 367) + absl::Hours(3) + absl::Minutes(4) + absl::Seconds(5)),
            "1y2d3h4m5s");
  EXPECT_EQ(GoUptime(-absl::Seconds(3)), "-3s");  // clock steps: as Go would print it
}

TEST(GoQuoteTest, QuotesAsStrconv) {
  EXPECT_EQ(GoQuote("yes"), "\"yes\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(GoQuote("\x01\n\t\x7f"), R"("\x01\n\t\x7f")");
  EXPECT_EQ(GoQuote("\xFF"), R"("\xff")");
  EXPECT_EQ(GoQuote("\xC2\xB5"), "\"\xC2\xB5\"");
  EXPECT_EQ(GoQuote("\xC2\x85"), R"("\u0085")");
}

TEST(GoParseTest, ParsesAndFailsAsStrconv) {
  bool flag = false;
  int64_t number = 0;
  uint64_t unsigned_number = 0;
  std::string error;
  for (const char* text : {"1", "t", "T", "TRUE", "true", "True"}) {
    EXPECT_TRUE(GoParseBool(text, &flag, &error) && flag) << text;
  }
  for (const char* text : {"0", "f", "F", "FALSE", "false", "False"}) {
    EXPECT_TRUE(GoParseBool(text, &flag, &error) && !flag) << text;
  }
  EXPECT_FALSE(GoParseBool("yes", &flag, &error));
  EXPECT_EQ(error, R"(strconv.ParseBool: parsing "yes": invalid syntax)");
  EXPECT_FALSE(GoParseBool("tRUE", &flag, &error));

  EXPECT_TRUE(GoAtoi("-3", &number, &error));
  EXPECT_EQ(number, -3);
  EXPECT_TRUE(GoAtoi("+7", &number, &error));
  EXPECT_EQ(number, 7);
  EXPECT_TRUE(GoAtoi("-9223372036854775808", &number, &error));
  EXPECT_EQ(number, INT64_MIN);
  EXPECT_FALSE(GoAtoi("9223372036854775808", &number, &error));
  EXPECT_EQ(error, R"(strconv.Atoi: parsing "9223372036854775808": value out of range)");
  EXPECT_FALSE(GoAtoi("1.5", &number, &error));
  EXPECT_EQ(error, R"(strconv.Atoi: parsing "1.5": invalid syntax)");
  EXPECT_FALSE(GoAtoi("-", &number, &error));
  EXPECT_EQ(error, R"(strconv.Atoi: parsing "-": invalid syntax)");
  EXPECT_FALSE(GoAtoi("1_000", &number, &error));

  EXPECT_TRUE(GoParseUint("18446744073709551615", &unsigned_number, &error));
  EXPECT_EQ(unsigned_number, UINT64_MAX);
  EXPECT_FALSE(GoParseUint("18446744073709551616", &unsigned_number, &error));
  EXPECT_EQ(error, R"(strconv.ParseUint: parsing "18446744073709551616": value out of range)");
  EXPECT_FALSE(GoParseUint("+1", &unsigned_number, &error));
  EXPECT_EQ(error, R"(strconv.ParseUint: parsing "+1": invalid syntax)");
  // The overflow is met before the bad byte.
  EXPECT_FALSE(GoParseUint("99999999999999999999x", &unsigned_number, &error));
  EXPECT_EQ(error, R"(strconv.ParseUint: parsing "99999999999999999999x": value out of range)");
}

}  // namespace
}  // namespace ringnats::monitor
