#pragma once
// The typed tree a nats-style configuration file parses into. Every node remembers where it
// was written so the options layer can point at the offending text, and keeps the details
// nats-server's rules depend on (quoted or bare, the number as written, variable use).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringnats::config {

// 1-based line and column; the column counts bytes.
struct Position {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:column"
  std::string ToString() const;
  friend bool operator==(const Position&, const Position&) = default;
};

// nats-server counts columns from 0 on the first line of a file and from 1 on the others
// (it measures from the preceding newline). Use this to reproduce its "file:line:col:"
// prefixes, e.g. for `unknown field` errors.
int NatsColumn(const Position& position);

struct MapEntry;

class ConfigValue {
 public:
  enum class Kind : uint8_t { kMap, kArray, kString, kInt, kDouble, kBool, kDatetime };
  // Insertion order; keys keep their case. A key defined twice keeps only its last
  // definition, at the place of that definition.
  using Map = std::vector<MapEntry>;
  using Array = std::vector<ConfigValue>;

  ConfigValue();  // an empty map without a position
  ConfigValue(const ConfigValue& other);
  ConfigValue(ConfigValue&& other) noexcept;
  ConfigValue& operator=(const ConfigValue& other);
  ConfigValue& operator=(ConfigValue&& other) noexcept;
  ~ConfigValue();

  static ConfigValue MakeMap(Map entries, Position position);
  static ConfigValue MakeArray(Array elements, Position position);
  // `quoted`: written as "..." or '...' or a ( ... ) block rather than as a bare word.
  static ConfigValue MakeString(std::string text, bool quoted, Position position);
  static ConfigValue MakeInt(int64_t value, std::string raw_text, Position position);
  static ConfigValue MakeDouble(double value, std::string raw_text, Position position);
  static ConfigValue MakeBool(bool value, std::string raw_text, Position position);
  // `text` is the Zulu form as written: 2006-01-02T15:04:05Z.
  static ConfigValue MakeDatetime(std::string text, Position position);

  Kind kind() const { return kind_; }
  bool is_map() const { return kind_ == Kind::kMap; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_double() const { return kind_ == Kind::kDouble; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_datetime() const { return kind_ == Kind::kDatetime; }

  // Where the value's text starts: the opening quote of a quoted string, the '$' of a
  // variable reference (the reference, not the definition), the '{' of a map. nats-server
  // reports a map value at its key (use MapEntry::key_position for that) and an array
  // element one column further for quoted strings and references.
  const Position& position() const { return position_; }
  void set_position(Position position) { position_ = std::move(position); }

  // kString and kDatetime.
  const std::string& string_value() const { return text_; }
  // kString only.
  bool quoted() const { return quoted_; }
  int64_t int_value() const { return int_; }
  double double_value() const { return double_; }
  bool bool_value() const { return bool_; }
  // kInt, kDouble, kBool: the text as written ("1MB", "2.5", "yes").
  const std::string& raw_text() const { return text_; }

  const Map& map() const { return map_; }
  Map& mutable_map() { return map_; }
  const Array& array() const { return array_; }
  Array& mutable_array() { return array_; }

  // Whether some `$NAME` reference resolved to this value. nats-server does not report a key
  // as an unknown field when its value was used as a variable.
  bool used_as_variable() const { return used_as_variable_; }
  void set_used_as_variable(bool used) { used_as_variable_ = used; }

  // Map lookups. Option names match case-insensitively; when a map holds several keys that
  // differ only in case, the one defined last wins. Null when absent or not a map.
  const MapEntry* FindEntry(std::string_view key) const;
  const ConfigValue* Find(std::string_view key) const;
  // Exact, case-sensitive match (what variable references use).
  const ConfigValue* FindExact(std::string_view key) const;

  // Compact one-line rendering for tests and debugging: {a: 1, b: [x, "y"]}.
  std::string DebugString() const;
  static std::string_view KindName(Kind kind);

 private:
  // The fields every kind sets; the Make* functions add their own.
  static ConfigValue Make(Kind kind, std::string text, Position position);
  void AppendDebugString(std::string& out) const;

  Kind kind_ = Kind::kMap;
  bool quoted_ = false;
  bool bool_ = false;
  bool used_as_variable_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string text_;
  Position position_;
  Map map_;
  Array array_;
};

struct MapEntry {
  std::string key;
  // Where the key's text starts (inside the quotes of a quoted key, as nats-server reports).
  Position key_position;
  ConfigValue value;
};

}  // namespace ringnats::config
