// ConfigValue's accessors, lookups and rendering.

#include "ringnats/config/config_value.h"

#include "gtest/gtest.h"

namespace ringnats::config {
namespace {

Position At(int line, int column) { return Position{"f.conf", line, column}; }

ConfigValue SampleMap() {
  ConfigValue::Map entries;
  entries.push_back({"Port", At(1, 1), ConfigValue::MakeInt(1, "1", At(1, 7))});
  entries.push_back({"name", At(2, 1), ConfigValue::MakeString("x", true, At(2, 7))});
  entries.push_back({"port", At(3, 1), ConfigValue::MakeInt(2, "2", At(3, 7))});
  return ConfigValue::MakeMap(std::move(entries), At(1, 1));
}

TEST(ConfigValueTest, FindIsCaseInsensitiveAndTakesTheLastMatch) {
  const ConfigValue map = SampleMap();
  ASSERT_NE(map.Find("PORT"), nullptr);
  EXPECT_EQ(map.Find("PORT")->int_value(), 2);
  EXPECT_EQ(map.FindEntry("Name")->key, "name");
  EXPECT_EQ(map.FindEntry("Name")->key_position, At(2, 1));
  EXPECT_EQ(map.Find("missing"), nullptr);
  EXPECT_EQ(map.FindExact("Port")->int_value(), 1);
  EXPECT_EQ(map.FindExact("NAME"), nullptr);
}

TEST(ConfigValueTest, FindOnANonMapIsNull) {
  const ConfigValue text = ConfigValue::MakeString("x", false, At(1, 1));
  EXPECT_EQ(text.Find("x"), nullptr);
  EXPECT_EQ(text.FindExact("x"), nullptr);
  EXPECT_EQ(ConfigValue::MakeArray({}, At(1, 1)).Find("x"), nullptr);
}

TEST(ConfigValueTest, KindsAndAccessors) {
  EXPECT_TRUE(ConfigValue().is_map());
  EXPECT_TRUE(ConfigValue().map().empty());
  const ConfigValue i = ConfigValue::MakeInt(1048576, "1MB", At(4, 2));
  EXPECT_TRUE(i.is_int());
  EXPECT_EQ(i.raw_text(), "1MB");
  EXPECT_EQ(i.position(), At(4, 2));
  const ConfigValue d = ConfigValue::MakeDouble(2.5, "2.5", At(1, 1));
  EXPECT_TRUE(d.is_double());
  EXPECT_DOUBLE_EQ(d.double_value(), 2.5);
  const ConfigValue b = ConfigValue::MakeBool(true, "on", At(1, 1));
  EXPECT_TRUE(b.is_bool());
  EXPECT_TRUE(b.bool_value());
  EXPECT_EQ(b.raw_text(), "on");
  const ConfigValue t = ConfigValue::MakeDatetime("2006-01-02T15:04:05Z", At(1, 1));
  EXPECT_TRUE(t.is_datetime());
  EXPECT_EQ(t.string_value(), "2006-01-02T15:04:05Z");
  const ConfigValue s = ConfigValue::MakeString("x", false, At(1, 1));
  EXPECT_TRUE(s.is_string());
  EXPECT_FALSE(s.quoted());
  EXPECT_EQ(ConfigValue::KindName(ConfigValue::Kind::kInt), "integer");
  EXPECT_EQ(ConfigValue::KindName(s.kind()), "string");
}

TEST(ConfigValueTest, DebugString) {
  ConfigValue::Array elements;
  elements.push_back(ConfigValue::MakeString("a\"b\\c\n\x01", true, At(1, 1)));
  elements.push_back(ConfigValue::MakeBool(false, "no", At(1, 1)));
  elements.push_back(ConfigValue::MakeDouble(0.5, "0.5", At(1, 1)));
  elements.push_back(ConfigValue::MakeDatetime("2006-01-02T15:04:05Z", At(1, 1)));
  ConfigValue::Map entries;
  entries.push_back({"list", At(1, 1), ConfigValue::MakeArray(std::move(elements), At(1, 1))});
  entries.push_back({"odd key", At(1, 1), ConfigValue::MakeInt(-3, "-3", At(1, 1))});
  entries.push_back({"", At(1, 1), ConfigValue::MakeMap({}, At(1, 1))});
  EXPECT_EQ(ConfigValue::MakeMap(std::move(entries), At(1, 1)).DebugString(),
            R"({list: ["a\"b\\c\n\x01", false, 0.5, 2006-01-02T15:04:05Z], )"
            R"("odd key": -3, "": {}})");
}

TEST(ConfigValueTest, UsedAsVariableFlag) {
  ConfigValue value = ConfigValue::MakeInt(1, "1", At(1, 1));
  EXPECT_FALSE(value.used_as_variable());
  value.set_used_as_variable(true);
  EXPECT_TRUE(value.used_as_variable());
  ConfigValue copy = value;
  EXPECT_TRUE(copy.used_as_variable());
}

TEST(ConfigValueTest, PositionFormatting) {
  EXPECT_EQ(At(3, 7).ToString(), "f.conf:3:7");
  // nats-server's columns start at 0 on a file's first line only.
  EXPECT_EQ(NatsColumn(At(1, 1)), 0);
  EXPECT_EQ(NatsColumn(At(1, 10)), 9);
  EXPECT_EQ(NatsColumn(At(2, 1)), 1);
  EXPECT_EQ(NatsColumn(At(2, 3)), 3);
}

}  // namespace
}  // namespace ringnats::config
