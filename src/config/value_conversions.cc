#include "value_conversions.h"

#include <climits>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
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

// Go's time.ParseDuration reason for a string it refuses.
std::string GoDurationError(std::string_view text) {
  std::string_view rest = text;
  if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) rest.remove_prefix(1);
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() &&
           (absl::ascii_isdigit(static_cast<unsigned char>(rest[digits])) || rest[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) break;
    rest.remove_prefix(digits);
    size_t unit = 0;
    while (unit < rest.size() && !absl::ascii_isdigit(static_cast<unsigned char>(rest[unit])) &&
           rest[unit] != '.') {
      ++unit;
    }
    if (unit == 0) return absl::StrFormat("time: missing unit in duration \"%s\"", text);
    const std::string_view name = rest.substr(0, unit);
    static constexpr std::string_view kUnits[] = {"ns", "us", "\u00b5s", "\u03bcs",
                                                  "ms", "s",  "m",       "h"};
    bool known = false;
    for (std::string_view u : kUnits) known = known || name == u;
    if (!known) {
      return absl::StrFormat("time: unknown unit \"%s\" in duration \"%s\"", name, text);
    }
    rest.remove_prefix(unit);
  }
  return absl::StrFormat("time: invalid duration \"%s\"", text);
}

absl::StatusOr<absl::Duration> GoDuration(const ConfigValue& value, std::string_view field) {
  if (!value.is_string()) return WrongType(value, "string");
  std::string text = value.string_value();
  // Go spells microseconds "us", "µs" (U+00B5) or "μs" (U+03BC); absl only "us".
  for (std::string_view micro : {"\u00b5s", "\u03bcs"}) {
    for (size_t at = text.find(micro); at != std::string::npos; at = text.find(micro, at)) {
      text.replace(at, micro.size(), "us");
    }
  }
  absl::Duration duration;
  // absl::ParseDuration matches Go's time.ParseDuration except that it also takes "inf" and
  // goes beyond Go's range of an int64 of nanoseconds.
  if (text.find("inf") != std::string::npos ||
      !absl::ParseDuration(absl::string_view(text.data(), text.size()), &duration) ||
      duration > absl::Nanoseconds(INT64_MAX) || duration < absl::Nanoseconds(INT64_MIN)) {
    return ErrorAt(value.position(), absl::StrFormat("error parsing %s: %s", field,
                                                     GoDurationError(value.string_value())));
  }
  return duration;
}

namespace {

// net.SplitHostPort's acceptance rules; false where Go returns an error.
bool SplitGoHostPort(std::string_view text, std::string_view* host, std::string_view* port) {
  const size_t last_colon = text.rfind(':');
  if (last_colon == std::string_view::npos) return false;
  size_t no_open_from = 0;   // a '[' may not appear from here on
  size_t no_close_from = 0;  // nor a ']' from here on
  if (text.front() == '[') {
    const size_t close = text.find(']');
    // The ']' must be followed directly by the last ':'.
    if (close == std::string_view::npos || close + 1 != last_colon) return false;
    *host = text.substr(1, close - 1);
    no_open_from = 1;
    no_close_from = close + 1;
  } else {
    *host = text.substr(0, last_colon);
    if (host->find(':') != std::string_view::npos) return false;  // IPv6 without brackets
  }
  if (text.find('[', no_open_from) != std::string_view::npos) return false;
  if (text.find(']', no_close_from) != std::string_view::npos) return false;
  *port = text.substr(last_colon + 1);
  return true;
}

// strconv.Atoi: an optional sign, then at least one decimal digit, within int64.
bool GoAtoi(std::string_view text, int64_t* value) {
  std::string_view digits = text;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    digits.remove_prefix(1);
  }
  if (digits.empty()) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  // SimpleAtoi also takes blanks around the number, which the loop above has excluded; it
  // reports an overflow as a failure, as Atoi does.
  return absl::SimpleAtoi(absl::string_view(text.data(), text.size()), value);
}

}  // namespace

absl::StatusOr<HostPort> AsHostPort(const ConfigValue& value) {
  if (value.is_int()) return HostPort{.host = "", .port = value.int_value()};
  if (!value.is_string()) {
    return ErrorAt(value.position(),
                   absl::StrFormat("expected port or host:port, got %s", GoTypeName(value)));
  }
  const std::string& text = value.string_value();
  std::string_view host;
  std::string_view port;
  if (!SplitGoHostPort(text, &host, &port)) {
    return ErrorAt(value.position(),
                   absl::StrFormat("could not parse address string \"%s\"", text));
  }
  HostPort result{.host = std::string(host)};
  if (!GoAtoi(port, &result.port)) {
    return ErrorAt(value.position(), absl::StrFormat("could not parse port \"%s\"", port));
  }
  return result;
}

int SaturateToInt(int64_t value) {
  if (value > INT_MAX) return INT_MAX;
  if (value < INT_MIN) return INT_MIN;
  return static_cast<int>(value);
}

}  // namespace ringnats::config
