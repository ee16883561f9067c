#include "harness/sanitizer_report.h"

#include <regex>

namespace ringnats::harness {

bool IsSanitizerReportLine(std::string_view line) {
  // Cheap test first: logs of trace-level tests are long and almost never match.
  if (line.find("Sanitizer") == std::string_view::npos &&
      line.find("runtime error: ") == std::string_view::npos) {
    return false;
  }
  // "==12==ERROR: AddressSanitizer: heap-use-after-free", "WARNING: ThreadSanitizer: data
  // race", "SUMMARY: UndefinedBehaviorSanitizer: ...", "AddressSanitizer:DEADLYSIGNAL", and
  // UBSan's "file.cc:3:7: runtime error: signed integer overflow" (anchored, so a client's
  // payload quoted in a trace line cannot look like one).
  static const std::regex kReport(
      R"((ERROR|WARNING|FATAL|SUMMARY): [A-Za-z]+Sanitizer\b|[A-Za-z]+Sanitizer:DEADLYSIGNAL|^\S+: runtime error: )");
  return std::regex_search(line.begin(), line.end(), kReport);
}

std::string FindSanitizerReport(std::string_view output) {
  std::string excerpt;
  int lines = 0;
  size_t start = 0;
  while (start < output.size() && lines < kReportExcerptLines) {
    size_t end = output.find('\n', start);
    if (end == std::string_view::npos) {
      end = output.size();
    }
    const std::string_view line = output.substr(start, end - start);
    if (lines > 0 || IsSanitizerReportLine(line)) {
      excerpt.append(line);
      excerpt.push_back('\n');
      ++lines;
    }
    start = end + 1;
  }
  return excerpt;
}

}  // namespace ringnats::harness
