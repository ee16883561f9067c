#pragma once
// The subject trie ("sublist"): every subscription of the server, matched against publish
// subjects, with `*`/`>` wildcards and queue groups.
//
// Shared between all workers. Writers (SUB/UNSUB) take a short exclusive lock; readers go
// through a per-worker MatchCache and take no lock when the cached result is still current
// (validated by generation counters). A cache miss matches under a shared lock.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ringnats/sublist/sub_ref.h"

namespace ringnats::sublist {

struct QueueGroupMatch {
  std::string name;
  std::vector<SubRef> members;  // every matching member on every worker
};

// The subscriptions a subject matches: every plain one, and per queue group all members
// (the publisher picks one per group).
struct MatchResult {
  std::vector<SubRef> plain;
  std::vector<QueueGroupMatch> queues;

  bool empty() const { return plain.empty() && queues.empty(); }
  void clear() {
    plain.clear();
    queues.clear();
  }
};

class Trie {
 public:
  Trie();
  ~Trie();
  Trie(const Trie&) = delete;
  Trie& operator=(const Trie&) = delete;

  // `queue` empty = plain subscription. InvalidArgument for an invalid subject.
  // A SubRef names one subscription, so inserting the same (subject, queue, ref) twice is a
  // caller bug: it is rejected with AlreadyExists and the trie is unchanged (one Remove
  // removes it). The same ref under a different subject or queue is a separate entry.
  absl::Status Insert(std::string_view subject, std::string_view queue, SubRef ref);
  // False when no such (subject, queue, ref) is present. Prunes nodes left empty.
  bool Remove(std::string_view subject, std::string_view queue, SubRef ref);

  // Uncached match; takes the shared lock. Appends to `out` (cleared first).
  void Match(std::string_view subject, MatchResult* out) const;

  // Number of subscriptions. Both counts are exact once writers are quiet.
  size_t size() const;
  // Number of trie nodes (excluding the root); 0 again once every subscription is removed.
  size_t node_count() const;

  // Implementation detail shared with MatchCache: generation counters that change whenever
  // the result of any subject whose first token hashes to `bucket` may have changed.
  struct Generations;
  const Generations& generations() const { return *generations_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<Generations> generations_;
};

// Per-worker cache of match results, valid while the trie's generation(s) for that subject
// are unchanged. Owned by one worker; call only from its thread.
class MatchCache {
 public:
  // Holds at most `max_entries` results (rounded down to whole 4-way sets of a power-of-two
  // count); 0 disables caching (every call matches under the trie's shared lock). A hit
  // takes no lock and allocates nothing.
  explicit MatchCache(const Trie& trie, size_t max_entries = 4096);
  ~MatchCache();
  MatchCache(const MatchCache&) = delete;
  MatchCache& operator=(const MatchCache&) = delete;

  // The current result for `subject`. The reference stays valid until the next call.
  const MatchResult& Match(std::string_view subject);

  // Entries held (at most max_entries).
  size_t size() const;
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Impl;
  const Trie& trie_;
  std::unique_ptr<Impl> impl_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace ringnats::sublist
