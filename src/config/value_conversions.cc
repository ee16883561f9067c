#include "value_conversions.h"

#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace ringnats::config {

MapEntry AtKey(const MapEntry& entry) {
  MapEntry copy = entry;
  copy.value.set_position(entry.key_position);
  return copy;
}

std::string_view GoTypeName(const ConfigValue& value) {
  switch (value.kind()) {
    case ConfigValue::Kind::kMap: return "map[string]interface {}";
    case ConfigValue::Kind::kArray: return "[]interface {}";
    case ConfigValue::Kind::kString: return "string";
    case ConfigValue::Kind::kInt: return "int64";
    case ConfigValue::Kind::kDouble: return "float64";
    case ConfigValue::Kind::kBool: return "bool";
    case ConfigValue::Kind::kDatetime: return "time.Time";
  }
  return "interface {}";
}

absl::Status ErrorAt(const Position& at, std::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrFormat("%s:%d:%d: %s", at.file, at.line, NatsColumn(at), reason));
}

absl::Status WrongType(const ConfigValue& value, std::string_view want) {
  return ErrorAt(value.position(),
                 absl::StrFormat("interface conversion: interface {} is %s, not %s",
                                 GoTypeName(value), want));
}

absl::StatusOr<int64_t> AsInt(const ConfigValue& value) {
  if (!value.is_int()) return WrongType(value, "int64");
  return value.int_value();
}

absl::StatusOr<bool> AsBool(const ConfigValue& value) {
  if (!value.is_bool()) return WrongType(value, "bool");
  return value.bool_value();
}

absl::StatusOr<std::string> AsString(const ConfigValue& value) {
  if (!value.is_string()) return WrongType(value, "string");
  return value.string_value();
}

absl::StatusOr<absl::Duration> GoDuration(const ConfigValue& value) {
  if (!value.is_string()) return WrongType(value, "string");
  const std::string& text = value.string_value();
  absl::Duration duration;
  // absl::ParseDuration matches Go's time.ParseDuration except that it also takes "inf".
  if (text.find("inf") != std::string::npos ||
      !absl::ParseDuration(absl::string_view(text.data(), text.size()), &duration)) {
    return ErrorAt(value.position(),
                   absl::StrFormat("error parsing duration: time: invalid duration \"%s\"", text));
  }
  return duration;
}

}  // namespace ringnats::config
