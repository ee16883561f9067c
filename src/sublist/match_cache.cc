#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "generations.h"
#include "ringnats/sublist/trie.h"
#include "ringnats/util/string_map.h"
#include "tokens.h"

namespace ringnats::sublist {
namespace {

// Set-associative rather than a growing hash map: a lookup probes a few slots of one set,
// a miss overwrites a slot in place (its string and vectors keep their capacity, so refilling
// usually allocates nothing), and the bound needs no eviction sweep.
constexpr size_t kWays = 4;
constexpr size_t kRetainedRefs = 1024;

struct Slot {
  bool used = false;
  uint32_t bucket = 0;  // Generations bucket of the subject's first token
  uint64_t hash = 0;
  uint64_t bucket_generation = 0;
  uint64_t global_generation = 0;
  std::string subject;
  MatchResult result;
};

size_t FloorPowerOfTwo(size_t n) {
  size_t p = 1;
  while (p * 2 <= n) {
    p *= 2;
  }
  return p;
}

}  // namespace

struct MatchCache::Impl {
  Impl(const Trie::Generations& gens, size_t max_entries) : generations(gens) {
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

  const Trie::Generations& generations;
  std::vector<Slot> slots;
  size_t ways = 0;
  size_t set_mask = 0;
  size_t used = 0;
  uint32_t next_victim = 0;  // round-robin within a set: cheap and good enough
  // The slot of the previous lookup. A publisher usually repeats its subject, and comparing
  // against the last one first skips hashing it (a tenth of a small publish's cost).
  Slot* last = nullptr;
  MatchResult uncached;
};

MatchCache::MatchCache(const Trie& trie, size_t max_entries)
    : trie_(trie), impl_(std::make_unique<Impl>(trie.generations(), max_entries)) {}

MatchCache::~MatchCache() = default;

size_t MatchCache::size() const {
  return impl_->used;
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
  impl.last = &slot;
  // Slots keep their capacity across refills; not a huge fan-out's worth of it, though.
  std::vector<SubRef>& plain = slot.result.plain;
  if (plain.capacity() > kRetainedRefs && plain.size() * 4 < plain.capacity()) {
    plain.shrink_to_fit();
  }
  return slot.result;
}

}  // namespace ringnats::sublist
