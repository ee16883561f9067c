#include "ringnats/auth/permissions.h"

#include "ringnats/sublist/subject.h"

namespace ringnats::auth {
namespace {

// Splits a subscribe entry "subject [queue]".
struct SubscribeEntry {
  std::string_view subject;
  std::string_view queue;
};

SubscribeEntry SplitEntry(std::string_view entry) {
  const size_t space = entry.find(' ');
  if (space == std::string_view::npos) return SubscribeEntry{entry, {}};
  std::string_view queue = entry.substr(space + 1);
  while (!queue.empty() && queue.front() == ' ') queue.remove_prefix(1);
  return SubscribeEntry{entry.substr(0, space), queue};
}

std::string_view NextToken(std::string_view& rest) {
  const size_t dot = rest.find('.');
  std::string_view token = rest.substr(0, dot);
  rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  return token;
}

}  // namespace

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
  if (!rules.allow.empty()) {
    bool allowed = false;
    for (const std::string& text : rules.allow) {
      const SubscribeEntry entry = SplitEntry(text);
      if (!entry.queue.empty() && entry.queue != queue) continue;
      if (SubjectIsSubsetOf(subject, entry.subject)) {
        allowed = true;
        break;
      }
    }
    if (!allowed) return false;
  }
  for (const std::string& text : rules.deny) {
    const SubscribeEntry entry = SplitEntry(text);
    if (!entry.queue.empty() && entry.queue != queue) continue;
    // The subscription's own subject, taken literally, against the deny pattern.
    if (sublist::SubjectMatches(entry.subject, subject)) return false;
  }
  return true;
}

bool DeliveryDenied(const Permissions& permissions, std::string_view subject) {
  for (const std::string& text : permissions.subscribe.deny) {
    const SubscribeEntry entry = SplitEntry(text);
    if (entry.queue.empty() && sublist::SubjectMatches(entry.subject, subject)) return true;
  }
  return false;
}

}  // namespace ringnats::auth
