// Subject trie micro-benchmarks with nats-like shapes: insert/remove, uncached Match of
// literal and wildcard subscriptions at 10 to 1,000,000 subscriptions, fan-out result
// building, and MatchCache hits and misses.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "ringnats/sublist/trie.h"

namespace ringnats::sublist {
namespace {

enum class Shape {
  kLiteral,   // foo.bar.<i>
  kWildcard,  // foo.*.<i>, plus one foo.>
  kFanOut,    // <n> subscribers on foo.bar
};

SubRef Ref(uint32_t i) {
  return SubRef{i % 8, i, 1};
}

std::string SubjectFor(Shape shape, uint32_t i) {
  switch (shape) {
    case Shape::kLiteral: return absl::StrFormat("foo.bar.%u", i);
    case Shape::kWildcard: return absl::StrFormat("foo.*.%u", i);
    case Shape::kFanOut: return "foo.bar";
  }
  return "";
}

// Building a million-subscription trie takes a while and Google Benchmark calls each function
// several times: keep the last one built.
Trie& SharedTrie(Shape shape, uint32_t count) {
  static std::unique_ptr<Trie> trie;
  static Shape built_shape;
  static uint32_t built_count = 0;
  if (trie == nullptr || built_shape != shape || built_count != count) {
    trie.reset();
    trie = std::make_unique<Trie>();
    for (uint32_t i = 0; i < count; ++i) {
      if (!trie->Insert(SubjectFor(shape, i), "", Ref(i)).ok()) {
        std::abort();
      }
    }
    if (shape == Shape::kWildcard && !trie->Insert("foo.>", "", Ref(count)).ok()) {
      std::abort();
    }
    built_shape = shape;
    built_count = count;
  }
  return *trie;
}

// Published subjects hitting random subscriptions, formatted up front.
std::vector<std::string> PublishSubjects(uint32_t count, size_t how_many) {
  std::mt19937 rng(1);
  std::vector<std::string> subjects;
  subjects.reserve(how_many);
  for (size_t i = 0; i < how_many; ++i) {
    subjects.push_back(absl::StrFormat("foo.bar.%u", static_cast<uint32_t>(rng() % count)));
  }
  return subjects;
}

void MatchArgs(benchmark::internal::Benchmark* b) {
  for (int64_t n : {10, 1000, 100000, 1000000}) {
    b->Arg(n);
  }
}

void BM_InsertRemove(benchmark::State& state) {
  const uint32_t count = static_cast<uint32_t>(state.range(0));
  Trie& trie = SharedTrie(Shape::kLiteral, count);
  const std::vector<std::string> subjects = PublishSubjects(count, 1024);
  uint32_t i = 0;
  for (auto _ : state) {
    // A second subscriber on an existing subject, and a new leaf next to existing ones.
    const std::string& existing = subjects[i % subjects.size()];
    const SubRef ref = Ref(count + 1 + i);
    benchmark::DoNotOptimize(trie.Insert(existing, "", ref));
    benchmark::DoNotOptimize(trie.Remove(existing, "", ref));
    ++i;
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_InsertRemove)->Apply(MatchArgs);

void BM_InsertRemoveNewLeaf(benchmark::State& state) {
  const uint32_t count = static_cast<uint32_t>(state.range(0));
  Trie& trie = SharedTrie(Shape::kLiteral, count);
  std::vector<std::string> subjects;
  for (uint32_t i = 0; i < 1024; ++i) {
    subjects.push_back(absl::StrFormat("foo.bar.new%u", i));
  }
  uint32_t i = 0;
  for (auto _ : state) {
    const std::string& subject = subjects[i % subjects.size()];
    benchmark::DoNotOptimize(trie.Insert(subject, "q", Ref(i)));
    benchmark::DoNotOptimize(trie.Remove(subject, "q", Ref(i)));
    ++i;
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_InsertRemoveNewLeaf)->Apply(MatchArgs);

void RunMatch(benchmark::State& state, Shape shape) {
  const uint32_t count = static_cast<uint32_t>(state.range(0));
  const Trie& trie = SharedTrie(shape, count);
  const std::vector<std::string> subjects = PublishSubjects(count, 4096);
  MatchResult result;
  size_t i = 0;
  size_t matched = 0;
  for (auto _ : state) {
    trie.Match(subjects[i++ % subjects.size()], &result);
    matched += result.plain.size();
  }
  if (shape != Shape::kFanOut && matched == 0) {
    state.SkipWithError("nothing matched");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MatchLiteral(benchmark::State& state) {
  RunMatch(state, Shape::kLiteral);
}
BENCHMARK(BM_MatchLiteral)->Apply(MatchArgs);

void BM_MatchWildcard(benchmark::State& state) {
  RunMatch(state, Shape::kWildcard);
}
BENCHMARK(BM_MatchWildcard)->Apply(MatchArgs);

void BM_MatchFanOut(benchmark::State& state) {
  const uint32_t count = static_cast<uint32_t>(state.range(0));
  const Trie& trie = SharedTrie(Shape::kFanOut, count);
  MatchResult result;
  for (auto _ : state) {
    trie.Match("foo.bar", &result);
    benchmark::DoNotOptimize(result.plain.data());
  }
  state.SetItemsProcessed(state.iterations() * count);  // refs copied
}
BENCHMARK(BM_MatchFanOut)->Apply(MatchArgs);

// Readers contending on the shared lock (uncached path) with 1 and 2 threads.
void BM_MatchLiteralThreads(benchmark::State& state) {
  const Trie& trie = SharedTrie(Shape::kLiteral, 1000);
  const std::vector<std::string> subjects = PublishSubjects(1000, 4096);
  MatchResult result;
  size_t i = static_cast<size_t>(state.thread_index()) * 977;
  for (auto _ : state) {
    trie.Match(subjects[i++ % subjects.size()], &result);
    benchmark::DoNotOptimize(result.plain.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchLiteralThreads)->Threads(1)->Threads(2);

// A worker publishing to a small set of subjects: every lookup after the first is a hit.
void BM_CacheHit(benchmark::State& state) {
  const uint32_t count = static_cast<uint32_t>(state.range(0));
  const Trie& trie = SharedTrie(Shape::kWildcard, count);
  const std::vector<std::string> subjects = PublishSubjects(count, 256);
  MatchCache cache(trie);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.Match(subjects[i++ % subjects.size()]).plain.data());
  }
  state.counters["hit_rate"] =
      static_cast<double>(cache.hits()) / static_cast<double>(cache.hits() + cache.misses());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheHit)->Apply(MatchArgs);

// High-cardinality publishing: far more distinct subjects than cache entries, so every
// lookup misses and replaces an entry.
void BM_CacheMiss(benchmark::State& state) {
  const uint32_t count = static_cast<uint32_t>(state.range(0));
  const Trie& trie = SharedTrie(Shape::kWildcard, count);
  std::vector<std::string> subjects;
  for (uint32_t i = 0; i < 65536; ++i) {
    subjects.push_back(absl::StrFormat("foo.bar.%u", i % count + (i / count) * count));
  }
  MatchCache cache(trie, 1024);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.Match(subjects[i++ % subjects.size()]).plain.data());
  }
  state.counters["hit_rate"] =
      static_cast<double>(cache.hits()) / static_cast<double>(cache.hits() + cache.misses());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheMiss)->Apply(MatchArgs);

// Request/reply churn: an inbox subscription comes and goes between lookups of a service
// subject; the service's cached entry survives (different first token).
void BM_CacheHitUnderInboxChurn(benchmark::State& state) {
  Trie trie;
  for (uint32_t i = 0; i < 100; ++i) {
    if (!trie.Insert(absl::StrFormat("svc.%u", i), "workers", Ref(i)).ok()) {
      std::abort();
    }
  }
  MatchCache cache(trie);
  uint32_t i = 0;
  for (auto _ : state) {
    const std::string inbox = absl::StrFormat("_INBOX.%u", i);
    benchmark::DoNotOptimize(trie.Insert(inbox, "", Ref(1000 + i)));
    benchmark::DoNotOptimize(cache.Match("svc.7").queues.data());
    benchmark::DoNotOptimize(trie.Remove(inbox, "", Ref(1000 + i)));
    ++i;
  }
  state.counters["hit_rate"] =
      static_cast<double>(cache.hits()) / static_cast<double>(cache.hits() + cache.misses());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheHitUnderInboxChurn);

}  // namespace
}  // namespace ringnats::sublist

BENCHMARK_MAIN();
