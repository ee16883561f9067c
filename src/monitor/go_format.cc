#include "ringnats/monitor/go_format.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl_view.h"
#include "ringnats/util/utf8.h"

namespace ringnats::monitor {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// ASCII that encoding/json writes unescaped.
bool IsPlainJsonByte(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

void AppendUnicodeEscape(std::string* out, uint32_t rune) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(rune >> shift) & 0xF]);
}

void AppendValue(std::string* out, const Json& value, int indent, bool pretty) {
  switch (value.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded: out->append("null"); return;
    case Json::value_t::boolean: out->append(value.get<bool>() ? "true" : "false"); return;
    case Json::value_t::number_integer: absl::StrAppend(out, value.get<int64_t>()); return;
    case Json::value_t::number_unsigned: absl::StrAppend(out, value.get<uint64_t>()); return;
    case Json::value_t::number_float: out->append(GoJsonFloat(value.get<double>())); return;
    case Json::value_t::string:
      AppendGoJsonString(out, value.get_ref<const std::string&>());
      return;
    case Json::value_t::binary: out->append("null"); return;
    case Json::value_t::array: {
      if (value.empty()) {
        out->append("[]");
        return;
      }
      out->push_back('[');
      bool first = true;
      for (const Json& element : value) {
        if (!first) out->push_back(',');
        first = false;
        if (pretty) {
          out->push_back('\n');
          out->append(static_cast<size_t>(indent + 2), ' ');
        }
        AppendValue(out, element, indent + 2, pretty);
      }
      if (pretty) {
        out->push_back('\n');
        out->append(static_cast<size_t>(indent), ' ');
      }
      out->push_back(']');
      return;
    }
    case Json::value_t::object: {
      if (value.empty()) {
        out->append("{}");
        return;
      }
      out->push_back('{');
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        if (pretty) {
          out->push_back('\n');
          out->append(static_cast<size_t>(indent + 2), ' ');
        }
        AppendGoJsonString(out, it.key());
        out->append(pretty ? ": " : ":");
        AppendValue(out, it.value(), indent + 2, pretty);
      }
      if (pretty) {
        out->push_back('\n');
        out->append(static_cast<size_t>(indent), ' ');
      }
      out->push_back('}');
      return;
    }
  }
}

// Go's strconv keeps printable runes; this treats every valid rune from U+00A0 up as
// printable except the few format characters Go also escapes.
bool GoIsPrint(uint32_t rune) {
  if (rune < 0x20 || rune == 0x7F) return false;
  if (rune < 0x7F) return true;
  if (rune < 0xA0 || rune == 0xAD) return false;
  if (rune == 0x2028 || rune == 0x2029 || rune == 0xFEFF) return false;
  return true;
}

std::string NumError(std::string_view function, std::string_view text, bool range) {
  return absl::StrCat("strconv.", AbslView(function), ": parsing ", GoQuote(text), ": ",
                      range ? "value out of range" : "invalid syntax");
}

// strconv.ParseUint(s, 10, 64)'s loop: the first bad byte or the first overflow decides.
bool ParseDecimal(std::string_view digits, uint64_t* value, bool* range) {
  *range = false;
  if (digits.empty()) return false;
  constexpr uint64_t kCutoff = UINT64_MAX / 10 + 1;
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    if (n >= kCutoff) {
      *range = true;
      return false;
    }
    n *= 10;
    const uint64_t n1 = n + static_cast<uint64_t>(c - '0');
    if (n1 < n) {
      *range = true;
      return false;
    }
    n = n1;
  }
  *value = n;
  return true;
}

}  // namespace

std::string GoJsonIndent(const Json& value) {
  std::string out;
  AppendValue(&out, value, 0, true);
  return out;
}

std::string GoJsonCompact(const Json& value) {
  std::string out;
  AppendValue(&out, value, 0, false);
  return out;
}

void GoJsonIndentWriter::Newline(size_t depth) {
  out_->push_back('\n');
  out_->append(2 * depth, ' ');
}

void GoJsonIndentWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (nonempty_.empty()) return;  // the top-level value
  // An array element: separated and indented as MarshalIndent does.
  if (nonempty_.back()) out_->push_back(',');
  nonempty_.back() = true;
  Newline(nonempty_.size());
}

void GoJsonIndentWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  nonempty_.push_back(false);
}

void GoJsonIndentWriter::EndObject() {
  const bool nonempty = nonempty_.back();
  nonempty_.pop_back();
  if (nonempty) Newline(nonempty_.size());
  out_->push_back('}');
}

void GoJsonIndentWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  nonempty_.push_back(false);
}

void GoJsonIndentWriter::EndArray() {
  const bool nonempty = nonempty_.back();
  nonempty_.pop_back();
  if (nonempty) Newline(nonempty_.size());
  out_->push_back(']');
}

void GoJsonIndentWriter::Key(std::string_view key) {
  if (nonempty_.back()) out_->push_back(',');
  nonempty_.back() = true;
  Newline(nonempty_.size());
  AppendGoJsonString(out_, key);
  out_->append(": ");
  after_key_ = true;
}

void GoJsonIndentWriter::String(std::string_view value) {
  BeforeValue();
  AppendGoJsonString(out_, value);
}

void GoJsonIndentWriter::Int(int64_t value) {
  BeforeValue();
  absl::StrAppend(out_, value);
}

void GoJsonIndentWriter::Uint(uint64_t value) {
  BeforeValue();
  absl::StrAppend(out_, value);
}

void GoJsonIndentWriter::Null() {
  BeforeValue();
  out_->append("null");
}

void GoJsonIndentWriter::Value(const Json& value) {
  BeforeValue();
  AppendValue(out_, value, static_cast<int>(2 * nonempty_.size()), /*pretty=*/true);
}

void AppendGoJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    // Runs of bytes that stay as they are go in at once (most strings are only that).
    size_t run = i;
    while (run < text.size() && IsPlainJsonByte(static_cast<unsigned char>(text[run]))) ++run;
    if (run > i) {
      out->append(text.substr(i, run - i));
      i = run;
      if (i == text.size()) break;
    }
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '<':
        case '>':
        case '&': AppendUnicodeEscape(out, c); break;
        default:
          if (c < 0x20) {
            AppendUnicodeEscape(out, c);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    const size_t len = util::DecodeUtf8(text, i, &rune);
    if (len == 0) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      AppendUnicodeEscape(out, rune);
    } else {
      out->append(text.substr(i, len));
    }
    i += len;
  }
  out->push_back('"');
}

std::string GoJsonFloat(double value) {
  if (!std::isfinite(value)) return "0";  // Go refuses to encode these; never expected
  if (value == 0) return "0";             // also -0
  char buffer[64];
  const double magnitude = std::fabs(value);
  const bool exponent = magnitude < 1e-6 || magnitude >= 1e21;
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value,
                    exponent ? std::chars_format::scientific : std::chars_format::fixed);
  std::string text(buffer, result.ptr);
  if (exponent) {
    // Go writes "1e-07" and encoding/json shortens a negative two-digit exponent's zero.
    const size_t n = text.size();
    if (n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' && text[n - 2] == '0') {
      text.erase(n - 2, 1);
    }
  }
  return text;
}

std::string GoTime(absl::Time time, absl::TimeZone zone) {
  const absl::TimeZone::CivilInfo info = zone.At(time);
  const absl::CivilSecond& cs = info.cs;
  std::string out = absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", cs.year(), cs.month(),
                                    cs.day(), cs.hour(), cs.minute(), cs.second());
  const int64_t nanos = absl::ToInt64Nanoseconds(info.subsecond);
  if (nanos > 0) {
    std::string fraction = absl::StrFormat("%09d", nanos);
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    absl::StrAppend(&out, ".", fraction);
  }
  if (info.offset == 0) {
    out.push_back('Z');
  } else {
    const int offset_minutes = std::abs(info.offset) / 60;
    absl::StrAppendFormat(&out, "%c%02d:%02d", info.offset < 0 ? '-' : '+', offset_minutes / 60,
                          offset_minutes % 60);
  }
  return out;
}

std::string GoUptime(absl::Duration duration) {
  const int64_t seconds = absl::ToInt64Seconds(duration);  // truncates, as Go's division does
  const int64_t minutes = seconds / 60;
  const int64_t hours = minutes / 60;
  const int64_t days = hours / 24;
  const int64_t years = days / 365;
  if (years > 0) {
    return absl::StrFormat("%dy%dd%dh%dm%ds", years, days % 365, hours % 24, minutes % 60,
                           seconds % 60);
  }
  if (days > 0) {
    return absl::StrFormat("%dd%dh%dm%ds", days, hours % 24, minutes % 60, seconds % 60);
  }
  if (hours > 0) return absl::StrFormat("%dh%dm%ds", hours, minutes % 60, seconds % 60);
  if (minutes > 0) return absl::StrFormat("%dm%ds", minutes, seconds % 60);
  return absl::StrFormat("%ds", seconds);
}

absl::Duration GoRttRounding(absl::Duration rtt) {
  if (rtt > absl::Microseconds(1) && rtt < absl::Milliseconds(1)) {
    return absl::Trunc(rtt, absl::Microseconds(1));
  }
  return absl::Trunc(rtt, absl::Nanoseconds(1));
}

std::string GoQuote(std::string_view text) {
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    uint32_t rune = 0;
    const size_t len = util::DecodeUtf8(text, i, &rune);
    if (len == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
      ++i;
      continue;
    }
    if (rune == '"' || rune == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(rune));
    } else if (GoIsPrint(rune)) {
      out.append(text.substr(i, len));
    } else {
      switch (rune) {
        case '\a': out.append("\\a"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\v': out.append("\\v"); break;
        default:
          if (rune < 0x20 || rune == 0x7F) {
            absl::StrAppendFormat(&out, "\\x%02x", rune);
          } else if (rune < 0x10000) {
            absl::StrAppendFormat(&out, "\\u%04x", rune);
          } else {
            absl::StrAppendFormat(&out, "\\U%08x", rune);
          }
      }
    }
    i += len;
  }
  out.push_back('"');
  return out;
}

bool GoParseBool(std::string_view text, bool* value, std::string* error) {
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" ||
      text == "True") {
    *value = true;
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" ||
      text == "False") {
    *value = false;
    return true;
  }
  *error = NumError("ParseBool", text, false);
  return false;
}

bool GoAtoi(std::string_view text, int64_t* value, std::string* error) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  uint64_t magnitude = 0;
  bool range = false;
  if (!ParseDecimal(digits, &magnitude, &range)) {
    *error = NumError("Atoi", text, range);
    return false;
  }
  constexpr uint64_t kLimit = static_cast<uint64_t>(INT64_MAX);
  if (negative ? magnitude > kLimit + 1 : magnitude > kLimit) {
    *error = NumError("Atoi", text, true);
    return false;
  }
  *value = negative ? static_cast<int64_t>(~magnitude + 1) : static_cast<int64_t>(magnitude);
  return true;
}

bool GoParseUint(std::string_view text, uint64_t* value, std::string* error) {
  bool range = false;
  if (!ParseDecimal(text, value, &range)) {
    *error = NumError("ParseUint", text, range);
    return false;
  }
  return true;
}

}  // namespace ringnats::monitor
