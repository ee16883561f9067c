#pragma once
// Splitting subjects into tokens, shared by the trie and the match cache.

#include <string_view>

#include "absl/container/inlined_vector.h"

namespace ringnats::sublist {

// Real subjects rarely exceed a handful of tokens; longer ones spill to the heap.
using Tokens = absl::InlinedVector<std::string_view, 16>;

// Splits `subject` at every '.'. False (with `tokens` partly filled) when any token is empty,
// which includes the empty subject.
inline bool SplitTokens(std::string_view subject, Tokens* tokens) {
  tokens->clear();
  size_t start = 0;
  while (true) {
    const size_t dot = subject.find('.', start);
    const std::string_view token = subject.substr(start, dot - start);
    if (token.empty()) {
      return false;
    }
    tokens->push_back(token);
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

inline std::string_view FirstToken(std::string_view subject) {
  return subject.substr(0, subject.find('.'));
}

inline bool IsWildcard(std::string_view token) {
  return token.size() == 1 && (token[0] == '*' || token[0] == '>');
}

}  // namespace ringnats::sublist
