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
//
// Bounded twice: by entries and by the heap bytes the entries hold, since one result can
// list tens of thousands of subscriptions (20,000 queue subscribers on `>` make every
// subject's result about 240 KB; 4,096 such entries would be close to 1 GB per worker).
class MatchCache {
 public:
  // A publisher's working set of subjects, kept cheap to hit.
  static constexpr size_t kDefaultMaxEntries = 4096;
  // Per cache, so per worker. Ordinary results (a few refs) take about 100 bytes each, so
  // kDefaultMaxEntries of them use a tenth of this; the rest leaves room for a dozen large
  // fan-out results (~20,000 refs each) while keeping a server with a cache per core within
  // tens of MB, whatever its subscriptions.
  static constexpr size_t kDefaultMaxBytes = size_t{4} << 20;
  // A result holding more than max_bytes / kLargestEntryDivisor (1 MiB by default, about
  // 87,000 refs) is returned but not kept: each refill of it would push most other entries
  // out. Not caching it costs a copy of its refs under the shared lock per lookup.
  static constexpr size_t kLargestEntryDivisor = 4;

  // Holds at most `max_entries` results (rounded down to whole 4-way sets of a power-of-two
  // count) holding at most `max_bytes` of heap between them; max_entries 0 disables caching
  // (every call matches under the trie's shared lock). A hit takes no lock and allocates
  // nothing.
  explicit MatchCache(const Trie& trie, size_t max_entries = kDefaultMaxEntries,
                      size_t max_bytes = kDefaultMaxBytes);
  ~MatchCache();
  MatchCache(const MatchCache&) = delete;
  MatchCache& operator=(const MatchCache&) = delete;

  // The current result for `subject`. The reference stays valid until the next call.
  const MatchResult& Match(std::string_view subject);

  // Frees the entries whose subscriptions have changed since they were cached (their next
  // lookup would recompute them anyway) and the last uncached result, so memory held for
  // subscriptions that are gone is returned even if their subjects are never published
  // again. For the owning worker's periodic tick: costs a few hundred loads when the trie has
  // not changed since the last call, one pass over the entries when it has. Invalidates the
  // reference Match returned.
  void Trim();

  // Entries held (at most max_entries).
  size_t size() const;
  // Heap bytes held by the entries (subjects and results, with an allowance per allocation
  // for the allocator's overhead); at most max_bytes after every call. For tests and
  // monitoring.
  size_t cached_bytes() const;
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
