#pragma once
// Brute-force reference for the trie: a flat list of subscriptions, each checked with
// SubjectMatches, and a canonical (order-free) form of match results to compare the two.

#include <algorithm>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "ringnats/sublist/sub_ref.h"
#include "ringnats/sublist/subject.h"
#include "ringnats/sublist/trie.h"

namespace ringnats::sublist::testing {

inline std::ostream& operator<<(std::ostream& os, const SubRef& r) {
  return os << "{" << r.worker << "," << r.slot << "," << r.generation << "}";
}

// Plain refs and each group's members as sorted multisets; groups keyed by name.
struct Canonical {
  std::vector<SubRef> plain;
  std::map<std::string, std::vector<SubRef>> queues;

  friend bool operator==(const Canonical&, const Canonical&) = default;

  friend std::ostream& operator<<(std::ostream& os, const Canonical& c) {
    os << "plain[";
    for (const SubRef& r : c.plain) {
      os << r;
    }
    os << "]";
    for (const auto& [name, members] : c.queues) {
      os << " " << name << "[";
      for (const SubRef& r : members) {
        os << r;
      }
      os << "]";
    }
    return os;
  }
};

inline Canonical Canonicalize(const MatchResult& result) {
  Canonical c;
  c.plain = result.plain;
  std::sort(c.plain.begin(), c.plain.end());
  for (const QueueGroupMatch& group : result.queues) {
    std::vector<SubRef>& members = c.queues[group.name];
    // A group name must appear once per result; a second occurrence would be a bug.
    if (!members.empty()) {
      members.push_back(SubRef{~0u, ~0u, ~0u});
    }
    members.insert(members.end(), group.members.begin(), group.members.end());
    std::sort(members.begin(), members.end());
  }
  return c;
}

struct OracleEntry {
  std::string subject;
  std::string queue;
  SubRef ref;
};

class Oracle {
 public:
  void Insert(const std::string& subject, const std::string& queue, SubRef ref) {
    entries_.push_back({subject, queue, ref});
  }

  // Removes one entry equal to (subject, queue, ref), if any.
  bool Remove(const std::string& subject, const std::string& queue, SubRef ref) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      const OracleEntry& e = entries_[i];
      if (e.subject == subject && e.queue == queue && e.ref == ref) {
        entries_[i] = entries_.back();
        entries_.pop_back();
        return true;
      }
    }
    return false;
  }

  bool Contains(const std::string& subject, const std::string& queue, SubRef ref) const {
    for (const OracleEntry& e : entries_) {
      if (e.subject == subject && e.queue == queue && e.ref == ref) {
        return true;
      }
    }
    return false;
  }

  Canonical Match(std::string_view subject) const {
    Canonical c;
    for (const OracleEntry& e : entries_) {
      if (!SubjectMatches(e.subject, subject)) {
        continue;
      }
      if (e.queue.empty()) {
        c.plain.push_back(e.ref);
      } else {
        c.queues[e.queue].push_back(e.ref);
      }
    }
    std::sort(c.plain.begin(), c.plain.end());
    for (auto& [name, members] : c.queues) {
      std::sort(members.begin(), members.end());
    }
    return c;
  }

  const std::vector<OracleEntry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<OracleEntry> entries_;
};

}  // namespace ringnats::sublist::testing
