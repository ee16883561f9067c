#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "generations.h"  // private: to pick first tokens that do not share a bucket
#include "oracle.h"
#include "ringnats/sublist/trie.h"

namespace ringnats::sublist {
namespace {

using testing::Canonical;
using testing::Canonicalize;

SubRef Ref(uint32_t n) {
  return SubRef{0, n, 7};
}

Canonical Uncached(const Trie& trie, std::string_view subject) {
  MatchResult result;
  trie.Match(subject, &result);
  return Canonicalize(result);
}

uint32_t BucketOf(std::string_view token) {
  return Trie::Generations::BucketOf(token);
}

TEST(MatchCacheTest, SecondLookupHits) {
  Trie trie;
  ASSERT_TRUE(trie.Insert("foo.*", "", Ref(1)).ok());
  MatchCache cache(trie);
  EXPECT_EQ(Canonicalize(cache.Match("foo.bar")), Uncached(trie, "foo.bar"));
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(Canonicalize(cache.Match("foo.bar")), Uncached(trie, "foo.bar"));
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(MatchCacheTest, EmptyResultsAreCachedAndInvalidated) {
  Trie trie;
  MatchCache cache(trie);
  EXPECT_TRUE(cache.Match("foo.bar").empty());
  EXPECT_TRUE(cache.Match("foo.bar").empty());
  EXPECT_EQ(cache.hits(), 1u);
  ASSERT_TRUE(trie.Insert("foo.bar", "", Ref(1)).ok());
  EXPECT_EQ(cache.Match("foo.bar").plain, std::vector<SubRef>{Ref(1)});
  EXPECT_EQ(cache.misses(), 2u);
  ASSERT_TRUE(trie.Remove("foo.bar", "", Ref(1)));
  EXPECT_TRUE(cache.Match("foo.bar").empty());
  EXPECT_EQ(cache.misses(), 3u);
}

TEST(MatchCacheTest, ChurnUnderAnotherFirstTokenKeepsEntries) {
  ASSERT_NE(BucketOf("svc"), BucketOf("_INBOX"));
  Trie trie;
  ASSERT_TRUE(trie.Insert("svc.*", "workers", Ref(1)).ok());
  MatchCache cache(trie);
  cache.Match("svc.echo");
  for (uint32_t i = 0; i < 100; ++i) {
    const std::string inbox = "_INBOX.reply" + std::to_string(i);
    ASSERT_TRUE(trie.Insert(inbox, "", Ref(100 + i)).ok());
    EXPECT_EQ(Canonicalize(cache.Match("svc.echo")), Uncached(trie, "svc.echo"));
    ASSERT_TRUE(trie.Remove(inbox, "", Ref(100 + i)));
  }
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 100u);
}

TEST(MatchCacheTest, WildcardFirstTokenInvalidatesEverything) {
  ASSERT_NE(BucketOf("a"), BucketOf("b"));
  Trie trie;
  MatchCache cache(trie);
  cache.Match("a.x");
  cache.Match("b.x");
  ASSERT_TRUE(trie.Insert("*.x", "", Ref(1)).ok());
  EXPECT_EQ(cache.Match("a.x").plain, std::vector<SubRef>{Ref(1)});
  EXPECT_EQ(cache.Match("b.x").plain, std::vector<SubRef>{Ref(1)});
  ASSERT_TRUE(trie.Insert(">", "", Ref(2)).ok());
  EXPECT_EQ(Canonicalize(cache.Match("a.x")), Uncached(trie, "a.x"));
  EXPECT_EQ(cache.Match("b.x").plain.size(), 2u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 6u);
}

TEST(MatchCacheTest, StaysWithinMaxEntries) {
  Trie trie;
  ASSERT_TRUE(trie.Insert("s.*", "", Ref(1)).ok());
  MatchCache cache(trie, 16);
  for (int i = 0; i < 1000; ++i) {
    const std::string subject = "s." + std::to_string(i);
    EXPECT_EQ(cache.Match(subject).plain, std::vector<SubRef>{Ref(1)});
    EXPECT_LE(cache.size(), 16u);
  }
  EXPECT_EQ(cache.misses(), 1000u);
  // Recent entries survive: the last one is still there.
  cache.Match("s.999");
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(MatchCacheTest, ZeroEntriesDisablesCaching) {
  Trie trie;
  ASSERT_TRUE(trie.Insert("foo", "", Ref(1)).ok());
  MatchCache cache(trie, 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cache.Match("foo").plain, std::vector<SubRef>{Ref(1)});
  }
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 3u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(MatchCacheTest, HitAllocatesNothing) {
  Trie trie;
  for (uint32_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(trie.Insert("foo.bar", i % 2 == 0 ? "" : "q", Ref(i)).ok());
  }
  ASSERT_TRUE(trie.Insert("foo.>", "", Ref(99)).ok());
  MatchCache cache(trie);
  const std::string subject = "foo.bar";
  cache.Match(subject);
  size_t members = 0;
  size_t allocations = 0;
  {
    testing::ScopedAllocationCounter counter;
    for (int i = 0; i < 100; ++i) {
      members += cache.Match(subject).queues.at(0).members.size();
    }
    allocations = counter.count();
  }
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(members, 100u * 25u);
  EXPECT_EQ(cache.hits(), 100u);
}

// 20,000 queue subscribers on `>` make every subject's result about 240 KB: without a byte
// bound, 4,096 distinct subjects would keep close to 1 GB in one cache.
constexpr uint32_t kQueueSubscribers = 20'000;
constexpr int kDistinctSubjects = 4096;

std::string OrderSubject(int i) {
  return "orders." + std::to_string(i);
}

void SubscribeQueueOnEverything(Trie* trie) {
  for (uint32_t i = 0; i < kQueueSubscribers; ++i) {
    ASSERT_TRUE(trie->Insert(">", "workers", Ref(i)).ok());
  }
}

void UnsubscribeQueueOnEverything(Trie* trie) {
  for (uint32_t i = 0; i < kQueueSubscribers; ++i) {
    ASSERT_TRUE(trie->Remove(">", "workers", Ref(i)));
  }
}

TEST(MatchCacheTest, LargeResultsStayWithinByteBoundAndTrimFreesThem) {
  Trie trie;
  SubscribeQueueOnEverything(&trie);
  MatchCache cache(trie);
  size_t peak = 0;
  for (int i = 0; i < kDistinctSubjects; ++i) {
    const MatchResult& result = cache.Match(OrderSubject(i));
    ASSERT_EQ(result.queues.size(), 1u);
    ASSERT_EQ(result.queues[0].members.size(), kQueueSubscribers);
    ASSERT_LE(cache.cached_bytes(), MatchCache::kDefaultMaxBytes) << i;
    peak = std::max(peak, cache.cached_bytes());
  }
  // They were cached, up to the bound, not refused.
  EXPECT_GT(peak, MatchCache::kDefaultMaxBytes / 2);
  EXPECT_EQ(cache.Match(OrderSubject(kDistinctSubjects - 1)).queues.at(0).members.size(),
            kQueueSubscribers);
  EXPECT_EQ(cache.hits(), 1u);

  UnsubscribeQueueOnEverything(&trie);
  // Without any of those subjects being published again.
  cache.Trim();
  EXPECT_EQ(cache.cached_bytes(), 0u);
  for (int i = 0; i < 16; ++i) {
    EXPECT_TRUE(cache.Match(OrderSubject(i)).empty());
  }
  // Empty results for short subjects hold no heap at all.
  EXPECT_EQ(cache.cached_bytes(), 0u);
}

TEST(MatchCacheTest, RefillingStaleEntriesFreesTheirLargeResults) {
  Trie trie;
  SubscribeQueueOnEverything(&trie);
  MatchCache cache(trie);
  constexpr int kSubjects = 64;  // more than fit in the byte bound
  for (int i = 0; i < kSubjects; ++i) {
    ASSERT_EQ(cache.Match(OrderSubject(i)).queues.size(), 1u);
  }
  ASSERT_GT(cache.cached_bytes(), MatchCache::kDefaultMaxBytes / 2);
  UnsubscribeQueueOnEverything(&trie);
  for (int i = 0; i < kSubjects; ++i) {
    ASSERT_TRUE(cache.Match(OrderSubject(i)).empty());
  }
  // At most an empty vector's worth per entry is kept for the next refill.
  EXPECT_LE(cache.cached_bytes(), cache.size() * 128);
}

TEST(MatchCacheTest, ResultsAboveTheEntryLimitAreReturnedButNotKept) {
  Trie trie;
  SubscribeQueueOnEverything(&trie);
  ASSERT_TRUE(trie.Insert("orders.*", "", Ref(kQueueSubscribers)).ok());
  constexpr size_t kMaxBytes = 64 << 10;  // so 16 KiB per entry, less than one result
  MatchCache cache(trie, 64, kMaxBytes);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 100; ++i) {
      const MatchResult& result = cache.Match(OrderSubject(i));
      ASSERT_EQ(result.plain, std::vector<SubRef>{Ref(kQueueSubscribers)});
      ASSERT_EQ(result.queues.at(0).members.size(), kQueueSubscribers);
      ASSERT_EQ(cache.cached_bytes(), 0u);
    }
  }
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.hits(), 0u);
  // Small results still are.
  UnsubscribeQueueOnEverything(&trie);
  ASSERT_TRUE(trie.Insert("small", "", Ref(1)).ok());
  cache.Match("small");
  cache.Match("small");
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_GT(cache.cached_bytes(), 0u);
}

TEST(MatchCacheTest, TrimKeepsCurrentEntries) {
  ASSERT_NE(BucketOf("svc"), BucketOf("_INBOX"));
  Trie trie;
  ASSERT_TRUE(trie.Insert("svc.echo", "", Ref(1)).ok());
  MatchCache cache(trie);
  cache.Match("svc.echo");
  const size_t bytes = cache.cached_bytes();
  EXPECT_GT(bytes, 0u);
  cache.Trim();
  ASSERT_TRUE(trie.Insert("_INBOX.x", "", Ref(2)).ok());  // another bucket changes
  cache.Trim();
  EXPECT_EQ(cache.cached_bytes(), bytes);
  EXPECT_EQ(cache.Match("svc.echo").plain, std::vector<SubRef>{Ref(1)});
  EXPECT_EQ(cache.hits(), 1u);
  ASSERT_TRUE(trie.Insert("svc.echo", "", Ref(3)).ok());  // its own bucket changes
  cache.Trim();
  EXPECT_EQ(cache.cached_bytes(), 0u);
  EXPECT_EQ(cache.Match("svc.echo").plain.size(), 2u);
}

TEST(MatchCacheTest, AgreesWithUncachedMatchAfterEveryChange) {
  std::mt19937 rng(42);
  auto uniform = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const char* kTokens[] = {"a", "b", "c", "*"};
  auto random_subject = [&](bool subscription) {
    std::string s;
    const int tokens = uniform(1, 3);
    for (int i = 0; i < tokens; ++i) {
      if (i > 0) {
        s += '.';
      }
      if (subscription && i == tokens - 1 && uniform(0, 5) == 0) {
        s += '>';
      } else {
        s += kTokens[uniform(0, subscription ? 3 : 2)];
      }
    }
    return s;
  };
  std::vector<std::string> probes;
  for (int i = 0; i < 40; ++i) {
    probes.push_back(random_subject(false));
  }
  probes.push_back("a.*");
  probes.push_back("b.>");

  Trie trie;
  testing::Oracle oracle;
  MatchCache big(trie);
  MatchCache tiny(trie, 4);               // constant eviction
  MatchCache small_bytes(trie, 64, 512);  // evicts and refuses by bytes
  MatchCache none(trie, 0);
  for (uint32_t op = 0; op < 1500; ++op) {
    if (oracle.size() == 0 || uniform(0, 2) != 0) {
      const std::string subject = random_subject(true);
      const std::string queue = uniform(0, 3) == 0 ? "q" : "";
      ASSERT_TRUE(trie.Insert(subject, queue, Ref(op)).ok());
      oracle.Insert(subject, queue, Ref(op));
    } else {
      const auto e = oracle.entries()[uniform(0, oracle.size() - 1)];
      ASSERT_TRUE(trie.Remove(e.subject, e.queue, e.ref));
      oracle.Remove(e.subject, e.queue, e.ref);
    }
    for (const std::string& probe : probes) {
      const Canonical expected = oracle.Match(probe);
      ASSERT_EQ(Uncached(trie, probe), expected) << probe;
      ASSERT_EQ(Canonicalize(big.Match(probe)), expected) << probe;
      ASSERT_EQ(Canonicalize(tiny.Match(probe)), expected) << probe;
      ASSERT_EQ(Canonicalize(small_bytes.Match(probe)), expected) << probe;
      ASSERT_LE(small_bytes.cached_bytes(), 512u);
      ASSERT_EQ(Canonicalize(none.Match(probe)), expected) << probe;
    }
    if (op % 100 == 0) {
      big.Trim();
      small_bytes.Trim();
    }
  }
  EXPECT_GT(big.hits(), 0u);
}

}  // namespace
}  // namespace ringnats::sublist
