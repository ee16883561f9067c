#pragma once
// Finds reports of the compiler's sanitizers (AddressSanitizer, LeakSanitizer,
// UndefinedBehaviorSanitizer, ThreadSanitizer, MemorySanitizer) in what a process wrote to
// stderr. ServerProcess calls it on the test's thread when a server stops, so a broker that
// printed a report fails the test that started it even when its exit status looks clean.

#include <string>
#include <string_view>

namespace ringnats::harness {

// How much of a report a failure message quotes: enough for the kind and the top frames.
inline constexpr int kReportExcerptLines = 30;

// True when `line` opens or summarises a sanitizer report.
bool IsSanitizerReportLine(std::string_view line);

// The first report in `output`: up to kReportExcerptLines lines from its first line that
// names a sanitizer. Empty when `output` holds no report.
std::string FindSanitizerReport(std::string_view output);

}  // namespace ringnats::harness
