#pragma once
// Hash containers keyed by std::string that can be searched with std::string_view.
//
// Debian's abseil is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW
// is 0), so absl's default string hashing does not accept std::string_view lookups; these
// functors make the lookup heterogeneous without a temporary std::string. (For the same
// reason, format with absl::StrFormat, which takes std::string_view, not absl::StrCat.)

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace ringnats {

struct StringViewHash {
  using is_transparent = void;
  // Hashed as absl::string_view: absl::Hash<std::string_view> falls back to std::hash
  // (libstdc++'s murmur), a measurable share of a publish in profiles.
  size_t operator()(std::string_view text) const {
    return absl::Hash<absl::string_view>{}(absl::string_view(text.data(), text.size()));
  }
};

struct StringViewEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

template <typename Value>
using StringMap = absl::flat_hash_map<std::string, Value, StringViewHash, StringViewEq>;

using StringSet = absl::flat_hash_set<std::string, StringViewHash, StringViewEq>;

}  // namespace ringnats
