#include "ringnats/auth/permissions.h"

#include <string>
#include <vector>

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
