#include "ringnats/util/go_duration.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ringnats::util {

std::string GoDuration(absl::Duration duration) {
  const int64_t nanos = absl::ToInt64Nanoseconds(duration);
  if (nanos == 0) return "0s";
  const bool negative = nanos < 0;
  // INT64_MIN's magnitude still fits in uint64.
  uint64_t u = negative ? ~static_cast<uint64_t>(nanos) + 1 : static_cast<uint64_t>(nanos);
  std::string out;
  // Integer part and fraction of `value` / 10^digits, the fraction without trailing zeros.
  const auto fixed = [](uint64_t value, int digits) {
    uint64_t scale = 1;
    for (int i = 0; i < digits; ++i) scale *= 10;
    std::string text = absl::StrCat(value / scale);
    std::string fraction = absl::StrFormat("%0*d", digits, value % scale);
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    if (!fraction.empty()) absl::StrAppend(&text, ".", fraction);
    return text;
  };
  if (u < 1000000000ULL) {
    if (u < 1000ULL) {
      out = absl::StrCat(u, "ns");
    } else if (u < 1000000ULL) {
      out = fixed(u, 3) + "\xC2\xB5s";  // µs
    } else {
      out = fixed(u, 6) + "ms";
    }
  } else {
    const uint64_t seconds_total = u / 1000000000ULL;
    const uint64_t fraction_nanos = u % 1000000000ULL;
    const uint64_t hours = seconds_total / 3600;
    const uint64_t minutes = (seconds_total / 60) % 60;
    const uint64_t seconds = seconds_total % 60;
    std::string seconds_text = fixed(seconds * 1000000000ULL + fraction_nanos, 9) + "s";
    if (hours > 0) {
      out = absl::StrCat(hours, "h", minutes, "m", seconds_text);
    } else if (minutes > 0) {
      out = absl::StrCat(minutes, "m", seconds_text);
    } else {
      out = seconds_text;
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace ringnats::util
