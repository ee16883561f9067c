#include "ringnats/sublist/subject.h"

#include <cstddef>

namespace ringnats::sublist {
namespace {

constexpr char kSeparator = '.';

bool IsSubjectWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

bool IsWildcardToken(std::string_view token) {
  return token.size() == 1 && (token[0] == '*' || token[0] == '>');
}

// Calls `fn(token, is_last)` for every token (empty ones included) until it returns false.
// Returns whether every call returned true.
template <typename Fn>
bool ForEachToken(std::string_view subject, Fn&& fn) {
  size_t start = 0;
  while (true) {
    const size_t dot = subject.find(kSeparator, start);
    if (dot == std::string_view::npos) {
      return fn(subject.substr(start), true);
    }
    if (!fn(subject.substr(start, dot - start), false)) {
      return false;
    }
    start = dot + 1;
  }
}

}  // namespace

bool IsValidSubscribeSubject(std::string_view subject) {
  if (subject.empty()) {
    return false;
  }
  for (char c : subject) {
    if (IsSubjectWhitespace(c)) {
      return false;
    }
  }
  return ForEachToken(subject, [](std::string_view token, bool last) {
    if (token.empty()) {
      return false;
    }
    return last || token != ">";
  });
}

bool IsValidPublishSubject(std::string_view subject) {
  return IsValidSubscribeSubject(subject) && IsLiteralSubject(subject);
}

bool IsLiteralSubject(std::string_view subject) {
  return ForEachToken(subject,
                      [](std::string_view token, bool) { return !IsWildcardToken(token); });
}

bool SubjectMatches(std::string_view pattern, std::string_view subject) {
  if (!IsValidSubscribeSubject(pattern) || subject.empty()) {
    return false;
  }
  size_t p = 0;
  size_t s = 0;
  while (true) {
    const size_t p_dot = pattern.find(kSeparator, p);
    const size_t s_dot = subject.find(kSeparator, s);
    // With no dot left, `npos - start` still exceeds the remaining length: substr clamps.
    const std::string_view p_token = pattern.substr(p, p_dot - p);
    const std::string_view s_token = subject.substr(s, s_dot - s);
    // An empty token anywhere in a published subject makes it match nothing, even where a
    // `>` would otherwise have swallowed the rest.
    if (s_token.empty()) {
      return false;
    }
    if (p_token == ">") {
      // `>` is last (the pattern is valid); it takes this token and all the rest, provided
      // none of them is empty.
      return subject.substr(s).find("..") == std::string_view::npos && subject.back() != kSeparator;
    }
    if (p_token != "*" && p_token != s_token) {
      return false;
    }
    const bool p_end = p_dot == std::string_view::npos;
    const bool s_end = s_dot == std::string_view::npos;
    if (p_end || s_end) {
      return p_end && s_end;
    }
    p = p_dot + 1;
    s = s_dot + 1;
  }
}

}  // namespace ringnats::sublist
