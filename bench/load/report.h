#pragma once
// The result of one scenario run: named values in the order they were added, printed as a
// human table, one JSON object per line, or CSV (header + one row).

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ringnats::load {

class Report {
 public:
  using Value = std::variant<int64_t, double, std::string, bool>;

  // Setting an existing key replaces its value but keeps its position.
  void Set(std::string_view key, Value value, std::string_view unit = "");
  void AddNote(std::string text) { notes_.push_back(std::move(text)); }

  const Value* Find(std::string_view key) const;

  std::string ToTable() const;
  std::string ToJson() const;  // one line, no trailing newline
  std::string ToCsv(bool header) const;

 private:
  struct Entry {
    std::string key;
    Value value;
    std::string unit;
  };
  std::vector<Entry> entries_;
  std::vector<std::string> notes_;
};

enum class OutputFormat { kTable, kJson, kCsv };

}  // namespace ringnats::load
