#pragma once
// The counters that tell a MatchCache whether a cached result may have changed.
//
// A subscription whose first token is literal can only match subjects with that same first
// token, so its insert/remove bumps just the bucket of that token; one whose first token is a
// wildcard can match anything and bumps `global`. A cached result is current while both its
// bucket and `global` are unchanged. This keeps request/reply churn (`_INBOX.*` subscriptions
// coming and going) from invalidating cached results for unrelated subjects.
//
// Ordering: writers bump with release while holding the trie's lock, after changing the trie;
// readers load with acquire. A reader that sees the new value therefore also sees the change,
// and a reader that loads the generation before matching stores a value that is already stale
// if a writer changes the trie concurrently.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ringnats/sublist/trie.h"

namespace ringnats::sublist {

struct Trie::Generations {
  static constexpr size_t kBuckets = 256;
  static_assert(kBuckets == 256, "BucketOf's final shift assumes 256 buckets");

  // One cache line each: a writer bumping one bucket should not evict its neighbours from
  // every reader's cache.
  struct alignas(64) Counter {
    std::atomic<uint64_t> value{0};

    uint64_t Load() const { return value.load(std::memory_order_acquire); }
    void Bump() { value.fetch_add(1, std::memory_order_release); }
  };

  std::array<Counter, kBuckets> buckets;
  Counter global;

  // Deterministic (FNV-1a, then the top bits of a multiplicative mix) so that which tokens
  // share a bucket does not change from run to run.
  static uint32_t BucketOf(std::string_view first_token) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : first_token) {
      h = (h ^ c) * 0x100000001b3ull;
    }
    return static_cast<uint32_t>((h * 0x9e3779b97f4a7c15ull) >> 56);  // 56 = 64 - log2(256)
  }

  // The counter a change to a subscription with this first token must bump.
  Counter& ForSubscription(std::string_view first_token) {
    if (first_token == "*" || first_token == ">") {
      return global;
    }
    return buckets[BucketOf(first_token)];
  }
};

}  // namespace ringnats::sublist
