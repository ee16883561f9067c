#include "ringnats/auth/permissions.h"

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "ringnats/sublist/subject.h"

namespace ringnats::auth {
namespace {

// Splits a subscribe entry "subject [queue]".
struct SubscribeEntry {
  std::string_view subject;
  std::string_view queue;
};

// "subject queue", split as nats-server splits it (strings.Fields: any white space; the
// ASCII kinds are the ones a subject can meet).
SubscribeEntry SplitEntry(std::string_view entry) {
  constexpr std::string_view kWhiteSpace = " \t\n\v\f\r";
  const size_t first = entry.find_first_not_of(kWhiteSpace);
  if (first == std::string_view::npos) return SubscribeEntry{entry, {}};
  entry.remove_prefix(first);
  const size_t space = entry.find_first_of(kWhiteSpace);
  if (space == std::string_view::npos) return SubscribeEntry{entry, {}};
  std::string_view queue = entry.substr(space);
  const size_t queue_start = queue.find_first_not_of(kWhiteSpace);
  queue = queue_start == std::string_view::npos ? std::string_view() : queue.substr(queue_start);
  queue = queue.substr(0, queue.find_first_of(kWhiteSpace));
  return SubscribeEntry{entry.substr(0, space), queue};
}

std::string_view NextToken(std::string_view& rest) {
  const size_t dot = rest.find('.');
  std::string_view token = rest.substr(0, dot);
  rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  return token;
}

// One UTF-8 sequence read as Go reads it (utf8.DecodeRuneInString): a byte that does not
// start a well-formed sequence reads as an invalid rune of width 1.
struct Rune {
  char32_t value = 0;
  size_t width = 1;
  bool valid = false;
};

Rune DecodeRune(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  const unsigned b0 = byte(0);
  if (b0 < 0x80) return Rune{b0, 1, true};
  size_t width = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  char32_t value = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    width = 2;
    value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    width = 3;
    value = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    width = 4;
    value = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return Rune{};
  }
  for (size_t k = 1; k < width; ++k) {
    const unsigned b = byte(k);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return Rune{};
    value = (value << 6) | (b & 0x3F);
  }
  return Rune{value, width, true};
}

// Go's unicode.IsSpace, which strings.Fields splits on.
bool IsGoSpace(char32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000: return true;
    default: return r >= 0x2000 && r <= 0x200A;
  }
}

// Go's strings.Fields.
std::vector<std::string_view> GoFields(std::string_view s) {
  std::vector<std::string_view> fields;
  size_t start = std::string_view::npos;
  size_t i = 0;
  while (i < s.size()) {
    const Rune rune = DecodeRune(s, i);
    const bool space = rune.valid && IsGoSpace(rune.value);
    if (space && start != std::string_view::npos) {
      fields.push_back(s.substr(start, i - start));
      start = std::string_view::npos;
    } else if (!space && start == std::string_view::npos) {
      start = i;
    }
    i += rune.width;
  }
  if (start != std::string_view::npos) fields.push_back(s.substr(start));
  return fields;
}

// Go's strconv.IsPrint, short of its tables: controls, non-ASCII spaces, the common format
// characters, private use and noncharacters are unprintable; other code points (unassigned
// ones included, which Go would escape) print as they are.
bool IsGoPrint(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r != 0x7F;
  if (r <= 0xA0 || r == 0xAD) return false;
  if (IsGoSpace(r)) return false;
  if ((r >= 0x600 && r <= 0x605) || r == 0x61C || r == 0x6DD || r == 0x70F || r == 0x8E2 ||
      r == 0x180E || (r >= 0x200B && r <= 0x200F) || (r >= 0x202A && r <= 0x202E) ||
      (r >= 0x2060 && r <= 0x206F) || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || r == 0x110BD ||
      r == 0x110CD || (r >= 0xE0000 && r <= 0xE007F)) {
    return false;
  }
  if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000) return false;
  if ((r >= 0xFDD0 && r <= 0xFDEF) || (r & 0xFFFE) == 0xFFFE) return false;
  return true;
}

// Go's strconv.Quote (what a %q in nats-server's messages prints).
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    const Rune rune = DecodeRune(s, i);
    if (!rune.valid) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    const char32_t r = rune.value;
    if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
    } else if (IsGoPrint(r)) {
      out.append(s.substr(i, rune.width));
    } else if (r == '\a' || r == '\b' || r == '\f' || r == '\n' || r == '\r' || r == '\t' ||
               r == '\v') {
      static constexpr char kLetters[] = "abtnvfr";  // escapes for 7..13
      out += '\\';
      out += kLetters[r - '\a'];
    } else if (r < 0x20 || r == 0x7F) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned>(r));
    } else if (r < 0x10000) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned>(r));
    } else {
      absl::StrAppendFormat(&out, "\\U%08x", static_cast<unsigned>(r));
    }
    i += rune.width;
  }
  out += '"';
  return out;
}

absl::Status InvalidEntry(std::string_view subject) {
  return absl::InvalidArgumentError(
      absl::StrFormat("subject %s is not a valid subject", GoQuote(subject)));
}

}  // namespace

absl::Status CheckPermissionEntry(std::string_view entry) {
  if (sublist::IsValidSubscribeSubject(entry)) return absl::OkStatus();
  // Not a subject: it may still be "subject queue".
  const std::vector<std::string_view> fields = GoFields(entry);
  if (fields.size() != 2) return InvalidEntry(entry);
  if (!sublist::IsValidSubscribeSubject(fields[0])) return InvalidEntry(fields[0]);
  return absl::OkStatus();
}

bool SubjectIsSubsetOf(std::string_view subject, std::string_view pattern) {
  std::string_view s = subject;
  std::string_view p = pattern;
  while (true) {
    const bool s_done = s.empty();
    const bool p_done = p.empty();
    if (s_done || p_done) return s_done && p_done;
    const std::string_view st = NextToken(s);
    const std::string_view pt = NextToken(p);
    if (pt == ">") return true;
    if (st == ">") return false;
    if (pt == "*") continue;
    if (st == "*" || st != pt) return false;
  }
}

namespace {

bool HasWildcardToken(std::string_view subject) {
  while (!subject.empty()) {
    const std::string_view token = NextToken(subject);
    if (token == "*" || token == ">") return true;
  }
  return false;
}

// nats-server 2.9's rule for a list of subscribe entries (client.go canSubscribe): the
// entries whose subject matches the SUB's (its wildcards taken as literal tokens) are found;
// plain entries decide, unless the SUB has a queue and some matching entry names a queue, in
// which case one of those queues must match (literally or as a wildcard pattern).
bool MatchesEntries(const std::vector<std::string>& entries, std::string_view subject,
                    std::string_view queue) {
  bool plain = false;
  bool queue_entries = false;
  bool queue_matched = false;
  for (const std::string& text : entries) {
    const SubscribeEntry entry = SplitEntry(text);
    if (!sublist::SubjectMatches(entry.subject, subject)) continue;
    if (entry.queue.empty()) {
      plain = true;
      continue;
    }
    queue_entries = true;
    if (queue == entry.queue ||
        (HasWildcardToken(entry.queue) && SubjectIsSubsetOf(queue, entry.queue))) {
      queue_matched = true;
    }
  }
  if (!queue.empty() && queue_entries) return queue_matched;
  return plain;
}

}  // namespace

bool MayPublish(const Permissions& permissions, std::string_view subject) {
  const SubjectRules& rules = permissions.publish;
  if (!rules.allow.empty() || permissions.allow_responses.has_value()) {
    bool allowed = false;
    for (const std::string& pattern : rules.allow) {
      if (sublist::SubjectMatches(pattern, subject)) {
        allowed = true;
        break;
      }
    }
    if (!allowed) return false;
  }
  for (const std::string& pattern : rules.deny) {
    if (sublist::SubjectMatches(pattern, subject)) return false;
  }
  return true;
}

bool MaySubscribe(const Permissions& permissions, std::string_view subject,
                  std::string_view queue) {
  const SubjectRules& rules = permissions.subscribe;
  if (!rules.allow.empty() && !MatchesEntries(rules.allow, subject, queue)) return false;
  return rules.deny.empty() || !MatchesEntries(rules.deny, subject, queue);
}

bool DeliveryDenied(const Permissions& permissions, std::string_view subject) {
  for (const std::string& text : permissions.subscribe.deny) {
    const SubscribeEntry entry = SplitEntry(text);
    if (entry.queue.empty() && sublist::SubjectMatches(entry.subject, subject)) return true;
  }
  return false;
}

}  // namespace ringnats::auth
