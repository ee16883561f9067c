// Readers matching through their own MatchCache while other threads insert and remove: once
// an Insert/Remove has returned and the writer has told a reader so, the reader's next Match
// must reflect it (the SUB-then-PONG guarantee), whatever it had cached or was computing.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "ringnats/sublist/trie.h"

namespace ringnats::sublist {
namespace {

constexpr int kReaders = 3;
constexpr int kRounds = 600;
constexpr uint32_t kWriterWorker = 1;
constexpr uint32_t kNoiseWorker = 9;

// Round k inserts one subscription (step 2k+1) and removes it (step 2k+2). Its shape cycles
// through a literal first token (bucket generation), a wildcard below it, and a wildcard first
// token (global generation); half are queue subscriptions.
struct Round {
  std::string sub_subject;
  std::string queue;
  std::string publish_subject;
  SubRef ref;
};

Round RoundOf(int k) {
  const std::string n = std::to_string(k % 8);
  Round r;
  switch (k % 3) {
    case 0: r.sub_subject = "round." + n; break;
    case 1: r.sub_subject = "round.*"; break;
    default: r.sub_subject = "*." + n; break;
  }
  r.queue = k % 2 == 0 ? "" : "g";
  r.publish_subject = "round." + n;
  r.ref = SubRef{kWriterWorker, static_cast<uint32_t>(k), 0};
  return r;
}

bool Contains(const MatchResult& result, SubRef ref) {
  if (std::find(result.plain.begin(), result.plain.end(), ref) != result.plain.end()) {
    return true;
  }
  for (const QueueGroupMatch& group : result.queues) {
    if (std::find(group.members.begin(), group.members.end(), ref) != group.members.end()) {
      return true;
    }
  }
  return false;
}

TEST(TrieConcurrencyTest, ChangeIsVisibleToEveryReaderOnceSignalled) {
  Trie trie;
  absl::Mutex mu;
  int published_step = 0;  // guarded by mu
  int acks = 0;            // guarded by mu
  std::atomic<bool> stop_noise{false};
  std::atomic<int> wrong[kReaders] = {};

  // Unrelated churn in the same and in other buckets, including global (wildcard-first) ones.
  std::thread noise([&] {
    const char* kSubjects[] = {"round.3", "round.>", "*.x", ">", "_INBOX.a", "other.b", "x"};
    std::mt19937 rng(7);
    uint32_t slot = 0;
    while (!stop_noise.load(std::memory_order_relaxed)) {
      const std::string subject = kSubjects[rng() % std::size(kSubjects)];
      const std::string queue = rng() % 2 == 0 ? "" : "g";
      const SubRef ref{kNoiseWorker, slot++, 0};
      ASSERT_TRUE(trie.Insert(subject, queue, ref).ok());
      std::this_thread::yield();
      ASSERT_TRUE(trie.Remove(subject, queue, ref));
    }
  });

  std::vector<std::thread> readers;
  for (int id = 0; id < kReaders; ++id) {
    readers.emplace_back([&, id] {
      MatchCache cache(trie, 64);
      for (int step = 1; step <= 2 * kRounds; ++step) {
        const Round round = RoundOf((step - 1) / 2);
        // Race the writer: this fill may run before, during or after its change.
        cache.Match(round.publish_subject);
        cache.Match("other.b");
        {
          absl::MutexLock lock(&mu);
          auto ready = [&] { return published_step >= step; };
          mu.Await(absl::Condition(&ready));
        }
        const bool expected = step % 2 == 1;  // odd steps insert, even steps remove
        if (Contains(cache.Match(round.publish_subject), round.ref) != expected) {
          wrong[id].fetch_add(1, std::memory_order_relaxed);
        }
        absl::MutexLock lock(&mu);
        ++acks;
      }
    });
  }

  for (int step = 1; step <= 2 * kRounds; ++step) {
    const Round round = RoundOf((step - 1) / 2);
    if (step % 2 == 1) {
      ASSERT_TRUE(trie.Insert(round.sub_subject, round.queue, round.ref).ok());
    } else {
      ASSERT_TRUE(trie.Remove(round.sub_subject, round.queue, round.ref));
    }
    absl::MutexLock lock(&mu);
    published_step = step;
    auto all_acked = [&] { return acks == kReaders * step; };
    mu.Await(absl::Condition(&all_acked));
  }
  for (std::thread& reader : readers) {
    reader.join();
  }
  stop_noise.store(true, std::memory_order_relaxed);
  noise.join();

  for (int id = 0; id < kReaders; ++id) {
    EXPECT_EQ(wrong[id].load(), 0) << "reader " << id;
  }
  EXPECT_EQ(trie.size(), 0u);
  EXPECT_EQ(trie.node_count(), 0u);
}

// Many threads matching and writing at once, checked for consistency rather than timing:
// each thread owns a subject of its own, so its view of that subject is exact.
TEST(TrieConcurrencyTest, EachThreadSeesItsOwnChangesImmediately) {
  constexpr int kThreads = 4;
  constexpr int kIterations = 2000;
  Trie trie;
  ASSERT_TRUE(trie.Insert("shared.>", "", SubRef{kNoiseWorker, 0, 0}).ok());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      MatchCache cache(trie, 32);
      const std::string own = "shared.t" + std::to_string(t);
      const std::string wildcard = "*.t" + std::to_string(t);
      for (int i = 0; i < kIterations; ++i) {
        const SubRef ref{static_cast<uint32_t>(t), static_cast<uint32_t>(i), 0};
        const std::string& subject = i % 4 == 0 ? wildcard : own;
        if (Contains(cache.Match(own), ref)) {
          wrong.fetch_add(1);
        }
        if (!trie.Insert(subject, i % 3 == 0 ? "q" : "", ref).ok()) {
          wrong.fetch_add(1);
        }
        const MatchResult& with = cache.Match(own);
        if (!Contains(with, ref) || !Contains(with, SubRef{kNoiseWorker, 0, 0})) {
          wrong.fetch_add(1);
        }
        if (!trie.Remove(subject, i % 3 == 0 ? "q" : "", ref)) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(trie.size(), 1u);
}

}  // namespace
}  // namespace ringnats::sublist
