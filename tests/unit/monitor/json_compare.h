#pragma once
// Field-by-field comparison of a rendered monitoring document with nats-server's: the same
// keys in the same order, the same JSON types, and the same values except for volatile
// fields (times, ids, ports, measurements), whose type and shape alone are checked.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace ringnats::monitor::testing {

using OrderedJson = nlohmann::ordered_json;

struct CompareOptions {
  // Keys whose values differ between runs: compared by type (and format) only.
  std::set<std::string> volatile_keys = {
      "server_id",  "now",  "start", "last_activity", "stop",  "rtt",        "uptime",
      "idle",       "port", "mem",   "cpu",           "cores", "gomaxprocs", "config_load_time",
      "update_time"};
  // Arrays in no particular order on nats-server (it walks Go maps).
  std::set<std::string> unordered_arrays = {"subscriptions_list", "subscriptions_list_detail"};
  // Arrays whose order depends on volatile values: compared as sets.
  bool unordered_connections = false;
  // Keys ringnats adds at the end of an object (the "ringnats" object of /varz).
  std::set<std::string> trailing_additions = {"ringnats"};
};

inline std::string Kind(const OrderedJson& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "bool";
  if (value.is_number_float()) return "float";
  if (value.is_number()) return "integer";
  if (value.is_string()) return "string";
  if (value.is_array()) return "array";
  return "object";
}

inline void ExpectVolatileShape(const std::string& key, const OrderedJson& expected,
                                const OrderedJson& actual, const std::string& where) {
  // Measurements are integers or floats depending on their value (Go writes 1.0 as 1).
  if (expected.is_number() && actual.is_number()) return;
  ASSERT_EQ(Kind(expected), Kind(actual)) << where;
  if (!actual.is_string()) return;
  const std::string text = actual.get<std::string>();
  static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?(Z|[+-]\d\d:\d\d))");
  static const std::regex kDuration(R"((\d+h)?(\d+m)?\d+(\.\d*[1-9])?(ns|µs|ms|s)|0s)");
  static const std::regex kUptime(R"((\d+y)?(\d+d)?(\d+h)?(\d+m)?\d+s)");
  if (key == "now" || key == "start" || key == "last_activity" || key == "stop" ||
      key == "config_load_time" || key == "update_time") {
    EXPECT_TRUE(std::regex_match(text, kTime)) << where << ": " << text;
  } else if (key == "rtt") {
    EXPECT_TRUE(std::regex_match(text, kDuration)) << where << ": " << text;
  } else if (key == "uptime" || key == "idle") {
    EXPECT_TRUE(std::regex_match(text, kUptime)) << where << ": " << text;
  }
}

inline void ExpectSameDocument(const OrderedJson& expected, const OrderedJson& actual,
                               const CompareOptions& options, const std::string& where = "$") {
  ASSERT_EQ(Kind(expected), Kind(actual))
      << where << "\nexpected: " << expected.dump() << "\nactual:   " << actual.dump();
  if (expected.is_object()) {
    std::vector<std::string> expected_keys;
    std::vector<std::string> actual_keys;
    for (auto it = expected.begin(); it != expected.end(); ++it) expected_keys.push_back(it.key());
    for (auto it = actual.begin(); it != actual.end(); ++it) actual_keys.push_back(it.key());
    // Additions may only follow nats-server's keys.
    while (!actual_keys.empty() && options.trailing_additions.count(actual_keys.back()) != 0 &&
           actual_keys.size() > expected_keys.size()) {
      actual_keys.pop_back();
    }
    ASSERT_EQ(expected_keys, actual_keys) << where;
    for (const std::string& key : expected_keys) {
      const std::string path = where + "." + key;
      if (options.volatile_keys.count(key) != 0) {
        ExpectVolatileShape(key, expected[key], actual[key], path);
      } else if (options.unordered_arrays.count(key) != 0 ||
                 (key == "connections" && options.unordered_connections)) {
        ASSERT_TRUE(actual[key].is_array()) << path;
        ASSERT_EQ(expected[key].size(), actual[key].size()) << path;
        // Pair elements by a stable identity, then compare each pair.
        const auto identity = [](const OrderedJson& element) {
          if (!element.is_object()) return element.dump();
          std::string id;
          for (const char* field : {"cid", "sid", "subject"}) {
            if (element.contains(field)) id += element[field].dump() + "/";
          }
          return id;
        };
        std::vector<OrderedJson> e(expected[key].begin(), expected[key].end());
        std::vector<OrderedJson> a(actual[key].begin(), actual[key].end());
        const auto by_identity = [&](const OrderedJson& x, const OrderedJson& y) {
          return identity(x) < identity(y);
        };
        std::sort(e.begin(), e.end(), by_identity);
        std::sort(a.begin(), a.end(), by_identity);
        for (size_t i = 0; i < e.size(); ++i) {
          ExpectSameDocument(e[i], a[i], options, path + "[" + identity(e[i]) + "]");
        }
      } else {
        ExpectSameDocument(expected[key], actual[key], options, path);
      }
    }
  } else if (expected.is_array()) {
    ASSERT_EQ(expected.size(), actual.size())
        << where << "\nexpected: " << expected.dump() << "\nactual:   " << actual.dump();
    for (size_t i = 0; i < expected.size(); ++i) {
      ExpectSameDocument(expected[i], actual[i], options, where + "[" + std::to_string(i) + "]");
    }
  } else {
    EXPECT_EQ(expected, actual) << where;
  }
}

}  // namespace ringnats::monitor::testing
