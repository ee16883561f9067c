#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "generations.h"
#include "ringnats/sublist/trie.h"
#include "ringnats/util/string_map.h"
#include "tokens.h"

namespace ringnats::sublist {
namespace {

// Set-associative rather than a growing hash map: a lookup probes a few slots of one set,
// a miss overwrites a slot in place (its string and vectors keep their capacity, so refilling
// usually allocates nothing), and the entry bound needs no eviction sweep.
constexpr size_t kWays = 4;

// How much unused capacity a refilled slot may keep for its next refill. Beyond these, a
// vector (or string) holding less than half its capacity is shrunk: otherwise one large
// result would pin its size in the slot for as long as the slot lives.
constexpr size_t kRetainedRefs = 64;
constexpr size_t kRetainedGroups = 8;
constexpr size_t kRetainedSubjectBytes = 256;

// Roughly what malloc adds to each block (header and rounding). Counted so that a result made
// of many small blocks (one member vector per queue group) is not under-accounted.
constexpr size_t kAllocationOverhead = 16;

struct Slot {
  bool used = false;
  uint32_t bucket = 0;  // Generations bucket of the subject's first token
  uint64_t hash = 0;
  uint64_t bucket_generation = 0;
  uint64_t global_generation = 0;
  size_t bytes = 0;  // HeapBytes of subject and result; 0 when unused
  std::string subject;
  MatchResult result;
};

size_t HeapBytes(const std::string& s) {
  constexpr size_t kInline = std::string().capacity();
  return s.capacity() > kInline ? s.capacity() + 1 + kAllocationOverhead : 0;
}

template <typename T>
size_t HeapBytes(const std::vector<T>& v) {
  return v.capacity() == 0 ? 0 : v.capacity() * sizeof(T) + kAllocationOverhead;
}

size_t HeapBytes(const MatchResult& result) {
  size_t bytes = HeapBytes(result.plain) + HeapBytes(result.queues);
  for (const QueueGroupMatch& group : result.queues) {
    bytes += HeapBytes(group.name) + HeapBytes(group.members);
  }
  return bytes;
}

template <typename Container>
void ShrinkSlack(Container* c, size_t retained) {
  if (c->capacity() > retained && c->size() * 2 < c->capacity()) {
    c->shrink_to_fit();
  }
}

size_t FloorPowerOfTwo(size_t n) {
  size_t p = 1;
  while (p * 2 <= n) {
    p *= 2;
  }
  return p;
}

}  // namespace

struct MatchCache::Impl {
  Impl(const Trie::Generations& gens, size_t max_entries, size_t max_bytes_in)
      : generations(gens),
        max_bytes(max_bytes_in),
        max_entry_bytes(max_bytes_in / kLargestEntryDivisor) {
    if (max_entries == 0) {
      return;  // caching disabled: every call matches into `uncached`
    }
    ways = std::min(kWays, max_entries);
    const size_t sets = FloorPowerOfTwo(max_entries / ways);
    set_mask = sets - 1;
    slots.resize(sets * ways);
  }

  bool IsCurrent(const Slot& slot) const {
    return generations.buckets[slot.bucket].Load() == slot.bucket_generation &&
           generations.global.Load() == slot.global_generation;
  }

  // Frees everything the slot holds.
  void Release(Slot& slot) {
    bytes -= slot.bytes;
    if (slot.used) {
      --used;
    }
    slot = Slot();
    if (last == &slot) {
      last = nullptr;
    }
  }

  // Releases entries other than `keep`, in round-robin order, until the bytes held fit the
  // bound. Entries holding no heap cost nothing against it and stay. Each entry is passed at
  // most once per call, and the cursor carries on from there next time.
  void EvictToFit(const Slot* keep) {
    for (size_t step = 0; bytes > max_bytes && step < slots.size(); ++step) {
      Slot& victim = slots[evict_cursor];
      evict_cursor = evict_cursor + 1 == slots.size() ? 0 : evict_cursor + 1;
      if (&victim != keep && victim.bytes > 0) {
        Release(victim);
      }
    }
  }

  // Changes whenever any generation counter does (they only grow).
  uint64_t GenerationStamp() const {
    uint64_t stamp = generations.global.Load();
    for (const Trie::Generations::Counter& counter : generations.buckets) {
      stamp += counter.Load();
    }
    return stamp;
  }

  const Trie::Generations& generations;
  const size_t max_bytes;
  const size_t max_entry_bytes;
  std::vector<Slot> slots;
  size_t ways = 0;
  size_t set_mask = 0;
  size_t used = 0;
  size_t bytes = 0;          // sum of slots' `bytes`
  uint32_t next_victim = 0;  // round-robin within a set: cheap and good enough
  size_t evict_cursor = 0;   // next slot EvictToFit looks at
  // GenerationStamp when Trim last looked at every entry: if unchanged, nothing went stale.
  uint64_t trimmed_stamp = UINT64_MAX;
  // The slot of the previous lookup. A publisher usually repeats its subject, and comparing
  // against the last one first skips hashing it (a tenth of a small publish's cost).
  Slot* last = nullptr;
  // Results not kept: every result when caching is disabled, else the ones too big to cache.
  MatchResult uncached;
};

MatchCache::MatchCache(const Trie& trie, size_t max_entries, size_t max_bytes)
    : trie_(trie), impl_(std::make_unique<Impl>(trie.generations(), max_entries, max_bytes)) {}

MatchCache::~MatchCache() = default;

size_t MatchCache::size() const {
  return impl_->used;
}

size_t MatchCache::cached_bytes() const {
  return impl_->bytes;
}

const MatchResult& MatchCache::Match(std::string_view subject) {
  Impl& impl = *impl_;
  if (impl.slots.empty()) {
    ++misses_;
    trie_.Match(subject, &impl.uncached);
    return impl.uncached;
  }
  if (Slot* last = impl.last;
      last != nullptr && last->subject == subject && impl.IsCurrent(*last)) {
    ++hits_;
    return last->result;
  }
  const uint64_t hash = StringViewHash{}(subject);
  Slot* set = &impl.slots[(hash & impl.set_mask) * impl.ways];
  Slot* target = nullptr;
  for (size_t way = 0; way < impl.ways; ++way) {
    Slot& slot = set[way];
    if (slot.used && slot.hash == hash && slot.subject == subject) {
      if (impl.IsCurrent(slot)) {
        ++hits_;
        impl.last = &slot;
        return slot.result;
      }
      target = &slot;  // stale: recompute in place
      break;
    }
  }
  if (target == nullptr) {
    for (size_t way = 0; way < impl.ways && target == nullptr; ++way) {
      if (!set[way].used) {
        target = &set[way];
      }
    }
  }
  if (target == nullptr) {
    target = &set[impl.next_victim++ % impl.ways];
  }

  ++misses_;
  // The previous oversized result, if any, is no longer referenced.
  if (impl.uncached.plain.capacity() != 0 || impl.uncached.queues.capacity() != 0) {
    impl.uncached = MatchResult();
  }
  Slot& slot = *target;
  if (!slot.used) {
    slot.used = true;
    ++impl.used;
  }
  slot.hash = hash;
  slot.subject.assign(subject);
  slot.bucket = Trie::Generations::BucketOf(FirstToken(subject));
  // Generations first, then the match: if a writer changes the trie in between, the entry
  // is already stale and the next lookup recomputes it.
  slot.bucket_generation = impl.generations.buckets[slot.bucket].Load();
  slot.global_generation = impl.generations.global.Load();
  trie_.Match(subject, &slot.result);
  ShrinkSlack(&slot.result.plain, kRetainedRefs);
  ShrinkSlack(&slot.result.queues, kRetainedGroups);
  ShrinkSlack(&slot.subject, kRetainedSubjectBytes);
  const size_t bytes = HeapBytes(slot.subject) + HeapBytes(slot.result);
  impl.bytes = impl.bytes - slot.bytes + bytes;
  slot.bytes = bytes;
  if (bytes > impl.max_entry_bytes) {
    std::swap(impl.uncached, slot.result);
    impl.Release(slot);
    return impl.uncached;
  }
  if (impl.bytes > impl.max_bytes) {
    impl.EvictToFit(&slot);
  }
  impl.last = &slot;
  return slot.result;
}

void MatchCache::Trim() {
  Impl& impl = *impl_;
  impl.uncached = MatchResult();
  if (impl.bytes == 0) {
    return;
  }
  const uint64_t stamp = impl.GenerationStamp();
  if (stamp == impl.trimmed_stamp) {
    return;
  }
  impl.trimmed_stamp = stamp;
  for (Slot& slot : impl.slots) {
    if (slot.bytes > 0 && !impl.IsCurrent(slot)) {
      impl.Release(slot);
    }
  }
}

}  // namespace ringnats::sublist
