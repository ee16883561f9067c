// Fuzz target for the subject trie: the input is a script of newline-separated operations
// (insert, insert into a queue group, re-insert, remove, match) whose results are checked
// against a brute-force list of subscriptions matched with SubjectMatches, both through
// Trie::Match and through a small MatchCache.
//
// Line format: the first byte selects the operation ('+', 'q', 'd', '-', '?' for readable
// seeds; any other byte b selects operation b % 5 in this order); the rest of the line, with
// no separator, is its argument:
//   + <subject>            insert a plain subscription
//   q <q> <subject>        insert into queue group "q<q % 3>" (<q> is one byte)
//   d <i>                  insert again the entry i % size: must be rejected as duplicate
//   - <i>                  remove the entry i % size (<i> is one byte)
//   ? <subject>            match and compare
// e.g. "+foo.*\nqAfoo.>\n?foo.bar\n-\x00\n?foo.bar\n".

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ringnats/sublist/subject.h"
#include "ringnats/sublist/trie.h"

namespace {

using ringnats::sublist::IsLiteralSubject;
using ringnats::sublist::IsValidPublishSubject;
using ringnats::sublist::IsValidSubscribeSubject;
using ringnats::sublist::MatchCache;
using ringnats::sublist::MatchResult;
using ringnats::sublist::SubjectMatches;
using ringnats::sublist::SubRef;
using ringnats::sublist::Trie;

constexpr size_t kMaxEntries = 256;
constexpr size_t kMaxLines = 512;

struct Entry {
  std::string subject;
  std::string queue;
  SubRef ref;
};

struct Canonical {
  std::vector<SubRef> plain;
  std::map<std::string, std::vector<SubRef>> queues;
  bool operator==(const Canonical&) const = default;
};

[[noreturn]] void Fail(const char* what, std::string_view subject) {
  std::fprintf(stderr, "subject_fuzz: %s (subject \"%.*s\")\n", what,
               static_cast<int>(subject.size()), subject.data());
  std::abort();
}

Canonical Canonicalize(const MatchResult& result, std::string_view subject) {
  Canonical c;
  c.plain = result.plain;
  std::sort(c.plain.begin(), c.plain.end());
  for (const auto& group : result.queues) {
    if (c.queues.count(group.name) != 0) {
      Fail("queue group listed twice", subject);
    }
    std::vector<SubRef>& members = c.queues[group.name];
    members = group.members;
    std::sort(members.begin(), members.end());
  }
  return c;
}

Canonical BruteForce(const std::vector<Entry>& entries, std::string_view subject) {
  Canonical c;
  for (const Entry& e : entries) {
    if (SubjectMatches(e.subject, subject)) {
      (e.queue.empty() ? c.plain : c.queues[e.queue]).push_back(e.ref);
    }
  }
  std::sort(c.plain.begin(), c.plain.end());
  for (auto& [name, members] : c.queues) {
    std::sort(members.begin(), members.end());
  }
  return c;
}

void CheckSubjectFunctions(std::string_view s) {
  const bool subscribe = IsValidSubscribeSubject(s);
  const bool publish = IsValidPublishSubject(s);
  if (publish != (subscribe && IsLiteralSubject(s))) {
    Fail("publish validity is not subscribe validity without wildcards", s);
  }
  // A valid literal subject matches itself, and `>` matches every valid subject.
  if (publish && !SubjectMatches(s, s)) {
    Fail("literal subject does not match itself", s);
  }
  if (subscribe && !SubjectMatches(">", s)) {
    Fail("'>' does not match a valid subject", s);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Trie trie;
  MatchCache cache(trie, 8);
  std::vector<Entry> entries;
  uint32_t next_slot = 0;

  size_t start = 0;
  for (size_t line_no = 0; line_no < kMaxLines && start < input.size(); ++line_no) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) {
      end = input.size();
    }
    const std::string_view line = input.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      continue;
    }
    uint8_t op = static_cast<uint8_t>(line[0]) % 5;
    switch (line[0]) {
      case '+': op = 0; break;
      case 'q': op = 1; break;
      case 'd': op = 2; break;
      case '-': op = 3; break;
      case '?': op = 4; break;
      default: break;
    }
    std::string_view arg = line.substr(1);
    switch (op) {
      case 0:
      case 1: {
        std::string queue;
        if (op == 1) {
          if (arg.empty()) {
            break;
          }
          queue = "q" + std::to_string(static_cast<uint8_t>(arg[0]) % 3);
          arg.remove_prefix(1);
        }
        CheckSubjectFunctions(arg);
        if (entries.size() >= kMaxEntries) {
          break;
        }
        const SubRef ref{next_slot % 4, next_slot, 0};
        ++next_slot;
        const absl::Status status = trie.Insert(arg, queue, ref);
        if (status.ok() != IsValidSubscribeSubject(arg)) {
          Fail("Insert disagrees with IsValidSubscribeSubject", arg);
        }
        if (status.ok()) {
          entries.push_back({std::string(arg), queue, ref});
        }
        break;
      }
      case 2:
      case 3: {
        if (entries.empty() || arg.empty()) {
          break;
        }
        const size_t index = static_cast<uint8_t>(arg[0]) % entries.size();
        const Entry e = entries[index];
        if (op == 2) {
          if (trie.Insert(e.subject, e.queue, e.ref).code() != absl::StatusCode::kAlreadyExists) {
            Fail("duplicate insert not rejected", e.subject);
          }
        } else {
          if (!trie.Remove(e.subject, e.queue, e.ref)) {
            Fail("Remove of a present entry failed", e.subject);
          }
          if (trie.Remove(e.subject, e.queue, e.ref)) {
            Fail("second Remove succeeded", e.subject);
          }
          entries[index] = entries.back();
          entries.pop_back();
        }
        break;
      }
      default: {
        CheckSubjectFunctions(arg);
        const Canonical expected = BruteForce(entries, arg);
        MatchResult result;
        trie.Match(arg, &result);
        if (!(Canonicalize(result, arg) == expected)) {
          Fail("Trie::Match differs from brute force", arg);
        }
        if (!(Canonicalize(cache.Match(arg), arg) == expected)) {
          Fail("MatchCache::Match differs from brute force", arg);
        }
        break;
      }
    }
    if (trie.size() != entries.size()) {
      Fail("size differs", "");
    }
  }

  for (const Entry& e : entries) {
    if (!trie.Remove(e.subject, e.queue, e.ref)) {
      Fail("final Remove failed", e.subject);
    }
  }
  if (trie.size() != 0 || trie.node_count() != 0) {
    Fail("trie not empty after removing everything", "");
  }
  return 0;
}
