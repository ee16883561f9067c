#include "ringnats/config/config_value.h"

#include <charconv>

#include "absl/strings/str_format.h"

namespace ringnats::config {

namespace {

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

void AppendQuoted(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\x%02x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

bool IsPlainKey(std::string_view key) {
  if (key.empty()) {
    return false;
  }
  for (char c : key) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || c == '.' || c == '$';
    if (!plain) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string Position::ToString() const { return absl::StrFormat("%s:%d:%d", file, line, column); }

int NatsColumn(const Position& position) {
  return position.line == 1 ? position.column - 1 : position.column;
}

ConfigValue::ConfigValue() = default;
ConfigValue::ConfigValue(const ConfigValue& other) = default;
ConfigValue::ConfigValue(ConfigValue&& other) noexcept = default;
ConfigValue& ConfigValue::operator=(const ConfigValue& other) = default;
ConfigValue& ConfigValue::operator=(ConfigValue&& other) noexcept = default;
ConfigValue::~ConfigValue() = default;

ConfigValue ConfigValue::Make(Kind kind, std::string text, Position position) {
  ConfigValue value;
  value.kind_ = kind;
  value.text_ = std::move(text);
  value.position_ = std::move(position);
  return value;
}

ConfigValue ConfigValue::MakeMap(Map entries, Position position) {
  ConfigValue value = Make(Kind::kMap, {}, std::move(position));
  value.map_ = std::move(entries);
  return value;
}

ConfigValue ConfigValue::MakeArray(Array elements, Position position) {
  ConfigValue value = Make(Kind::kArray, {}, std::move(position));
  value.array_ = std::move(elements);
  return value;
}

ConfigValue ConfigValue::MakeString(std::string text, bool quoted, Position position) {
  ConfigValue value = Make(Kind::kString, std::move(text), std::move(position));
  value.quoted_ = quoted;
  return value;
}

ConfigValue ConfigValue::MakeInt(int64_t number, std::string raw_text, Position position) {
  ConfigValue value = Make(Kind::kInt, std::move(raw_text), std::move(position));
  value.int_ = number;
  return value;
}

ConfigValue ConfigValue::MakeDouble(double number, std::string raw_text, Position position) {
  ConfigValue value = Make(Kind::kDouble, std::move(raw_text), std::move(position));
  value.double_ = number;
  return value;
}

ConfigValue ConfigValue::MakeBool(bool flag, std::string raw_text, Position position) {
  ConfigValue value = Make(Kind::kBool, std::move(raw_text), std::move(position));
  value.bool_ = flag;
  return value;
}

ConfigValue ConfigValue::MakeDatetime(std::string text, Position position) {
  return Make(Kind::kDatetime, std::move(text), std::move(position));
}

const MapEntry* ConfigValue::FindEntry(std::string_view key) const {
  if (kind_ != Kind::kMap) {
    return nullptr;
  }
  for (auto it = map_.rbegin(); it != map_.rend(); ++it) {
    if (EqualsIgnoringAsciiCase(it->key, key)) {
      return &*it;
    }
  }
  return nullptr;
}

const ConfigValue* ConfigValue::Find(std::string_view key) const {
  const MapEntry* entry = FindEntry(key);
  return entry == nullptr ? nullptr : &entry->value;
}

const ConfigValue* ConfigValue::FindExact(std::string_view key) const {
  if (kind_ != Kind::kMap) {
    return nullptr;
  }
  for (auto it = map_.rbegin(); it != map_.rend(); ++it) {
    if (it->key == key) {
      return &it->value;
    }
  }
  return nullptr;
}

std::string_view ConfigValue::KindName(Kind kind) {
  switch (kind) {
    case Kind::kMap:
      return "map";
    case Kind::kArray:
      return "array";
    case Kind::kString:
      return "string";
    case Kind::kInt:
      return "integer";
    case Kind::kDouble:
      return "float";
    case Kind::kBool:
      return "bool";
    case Kind::kDatetime:
      return "datetime";
  }
  return "unknown";
}

std::string ConfigValue::DebugString() const {
  std::string out;
  AppendDebugString(out);
  return out;
}

void ConfigValue::AppendDebugString(std::string& out) const {
  switch (kind_) {
    case Kind::kMap: {
      out += '{';
      bool first = true;
      for (const MapEntry& entry : map_) {
        if (!first) {
          out += ", ";
        }
        first = false;
        if (IsPlainKey(entry.key)) {
          out += entry.key;
        } else {
          AppendQuoted(out, entry.key);
        }
        out += ": ";
        entry.value.AppendDebugString(out);
      }
      out += '}';
      break;
    }
    case Kind::kArray: {
      out += '[';
      bool first = true;
      for (const ConfigValue& element : array_) {
        if (!first) {
          out += ", ";
        }
        first = false;
        element.AppendDebugString(out);
      }
      out += ']';
      break;
    }
    case Kind::kString:
      AppendQuoted(out, text_);
      break;
    case Kind::kInt:
      out += absl::StrFormat("%d", int_);
      break;
    case Kind::kDouble: {
      char buffer[64];
      auto result = std::to_chars(buffer, buffer + sizeof(buffer), double_);
      out.append(buffer, result.ptr);
      break;
    }
    case Kind::kBool:
      out += bool_ ? "true" : "false";
      break;
    case Kind::kDatetime:
      out += text_;
      break;
  }
}

}  // namespace ringnats::config
