#pragma once
// Debian's abseil is built with its own string_view type (ABSL_OPTION_USE_STD_STRING_VIEW
// 0): this passes a std::string_view to absl's string functions.

#include <string_view>

#include "absl/strings/string_view.h"

namespace ringnats::monitor {

inline absl::string_view AbslView(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

}  // namespace ringnats::monitor
