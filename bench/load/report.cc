#include "report.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"

namespace ringnats::load {
namespace {

std::string FormatValue(const Report::Value& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return absl::StrFormat("%d", *i);
  if (const auto* d = std::get_if<double>(&value)) {
    double a = *d < 0 ? -*d : *d;
    if (a >= 100 || a == 0) return absl::StrFormat("%.0f", *d);
    if (a >= 1) return absl::StrFormat("%.2f", *d);
    return absl::StrFormat("%.4f", *d);
  }
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return std::get<std::string>(value);
}

// Full precision for machines: CSV and JSON readers should not get rounded values.
std::string FormatMachineValue(const Report::Value& value) {
  if (const auto* d = std::get_if<double>(&value)) return absl::StrFormat("%.3f", *d);
  return FormatValue(value);
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

void Report::Set(std::string_view key, Value value, std::string_view unit) {
  for (Entry& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      e.unit = std::string(unit);
      return;
    }
  }
  entries_.push_back(Entry{std::string(key), std::move(value), std::string(unit)});
}

const Report::Value* Report::Find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

std::string Report::ToTable() const {
  size_t width = 0;
  for (const Entry& e : entries_) width = std::max(width, e.key.size());
  std::string out;
  for (const Entry& e : entries_) {
    out += absl::StrFormat("  %-*s  %s", static_cast<int>(width), e.key, FormatValue(e.value));
    if (!e.unit.empty()) out += absl::StrFormat(" %s", e.unit);
    out += "\n";
  }
  for (const std::string& note : notes_) out += absl::StrFormat("  note: %s\n", note);
  return out;
}

std::string Report::ToJson() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const Entry& e : entries_) {
    std::visit([&](const auto& v) { j[e.key] = v; }, e.value);
  }
  if (!notes_.empty()) j["notes"] = notes_;
  return j.dump();
}

std::string Report::ToCsv(bool header) const {
  std::string out;
  if (header) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i > 0) out += ",";
      out += CsvField(entries_[i].key);
    }
    out += "\n";
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0) out += ",";
    out += CsvField(FormatMachineValue(entries_[i].value));
  }
  out += "\n";
  return out;
}

}  // namespace ringnats::load
