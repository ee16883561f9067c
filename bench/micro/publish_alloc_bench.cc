// Heap allocations per message on the publish -> delivery path, counted by replacing the
// global operator new. Drives the path's pieces as two workers use them: the publisher's
// MatchCache hit, local MSG lines into subscribers' OutboundBuffers, remote refs into a
// DeliveryBatch, the destination's ForEach into its own buffers, and a "sendmsg" that drains
// the buffers every 64 messages (FillIovecs + Consume) with warmed ChunkPools.
//
// The target is zero allocations per message after warm-up. Each case reports
// `allocs_per_msg`; the program exits 1 if any case allocated, so `meson test --benchmark`
// (and bench/run_results.sh) see a regression.

#include <benchmark/benchmark.h>
#include <sys/uio.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "ringnats/broker/delivery_batch.h"
#include "ringnats/broker/msg_frame.h"
#include "ringnats/ring/outbound_buffer.h"
#include "ringnats/sublist/trie.h"

namespace {

// Only allocations made while a message is in flight on this thread count: the benchmark
// framework's own bookkeeping between iterations is not the broker's.
thread_local bool counting = false;
std::atomic<uint64_t> counted_allocs{0};
std::atomic<uint64_t> counted_bytes{0};
// Counted allocations by size class (floor(log2(n))): says what is allocating.
constexpr int kSizeClasses = 48;
std::atomic<uint64_t> counted_by_class[kSizeClasses];

void* CountedAlloc(size_t n, size_t align) {
  if (counting) {
    counted_allocs.fetch_add(1, std::memory_order_relaxed);
    counted_bytes.fetch_add(n, std::memory_order_relaxed);
    const int size_class = n == 0 ? 0 : std::min(63 - __builtin_clzll(n), kSizeClasses - 1);
    counted_by_class[size_class].fetch_add(1, std::memory_order_relaxed);
  }
  if (n == 0) n = 1;
  void* p = align > alignof(std::max_align_t)
                ? std::aligned_alloc(align, (n + align - 1) / align * align)
                : std::malloc(n);
  return p;
}

// Out of line so the compiler does not pair a visible free() with an operator new call site
// and warn about a mismatch (-Wmismatched-new-delete); every operator new here is malloc.
[[gnu::noinline]] void CountedFree(void* p) noexcept {
  std::free(p);
}

}  // namespace

void* operator new(size_t n) {
  void* p = CountedAlloc(n, 0);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n) {
  void* p = CountedAlloc(n, 0);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new(size_t n, std::align_val_t a) {
  void* p = CountedAlloc(n, static_cast<size_t>(a));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n, std::align_val_t a) {
  void* p = CountedAlloc(n, static_cast<size_t>(a));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return CountedAlloc(n, 0);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return CountedAlloc(n, 0);
}
void operator delete(void* p) noexcept {
  CountedFree(p);
}
void operator delete[](void* p) noexcept {
  CountedFree(p);
}
void operator delete(void* p, size_t) noexcept {
  CountedFree(p);
}
void operator delete[](void* p, size_t) noexcept {
  CountedFree(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  CountedFree(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  CountedFree(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  CountedFree(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  CountedFree(p);
}

namespace ringnats {
namespace {

constexpr uint32_t kPublisherWorker = 0;
constexpr uint32_t kWorkers = 2;
constexpr int kDrainEvery = 64;       // messages per simulated loop iteration
// Enough messages to cycle every chunk pool and batch through its steady state.
constexpr size_t kWarmupBytes = 64u << 20;

std::atomic<bool> any_allocation{false};

enum class Shape {
  kPubSub,       // one subscriber on the publisher's worker
  kFanOut8,      // eight subscribers, four on each worker
  kWildcard10k,  // 10,000 `bench.<i>.*` plus one `bench.>`, publishes over 1,024 subjects
};

struct Subscriber {
  std::string sid;
  size_t connection = 0;  // index into its worker's connections
};

// What one worker owns: its subscribers' connections' buffers and its chunk pool.
struct WorkerSide {
  ring::ChunkPool pool;
  std::vector<std::unique_ptr<ring::OutboundBuffer>> connections;
  std::vector<Subscriber> subs;  // by SubRef::slot
};

// DeliverLocal's encoding of a MSG line.
void AppendMsg(WorkerSide& side, sublist::SubRef ref, const broker::Message& message,
               const broker::MsgFrame& frame) {
  const Subscriber& sub = side.subs[ref.slot];
  side.connections[sub.connection]->Append({frame.head, sub.sid, frame.tail, message.data, "\r\n"});
}

void Drain(WorkerSide& side) {
  iovec iov[64];
  for (auto& out : side.connections) {
    while (!out->empty()) {
      const size_t n = out->FillIovecs(iov, 64);
      size_t bytes = 0;
      for (size_t i = 0; i < n; ++i) bytes += iov[i].iov_len;
      out->Consume(bytes);
    }
  }
}

class PublishPath {
 public:
  PublishPath(Shape shape, size_t payload_size)
      : payload_(payload_size, 'p'), cache_(trie_), remote_refs_(kWorkers) {
    size_text_ = std::string(broker::DecimalDigits(payload_size, size_buf_));
    switch (shape) {
      case Shape::kPubSub:
        Subscribe("bench.ps", kPublisherWorker, 1);
        subjects_.push_back("bench.ps");
        break;
      case Shape::kFanOut8:
        for (uint32_t i = 0; i < 8; ++i) Subscribe("bench.fan", i % kWorkers, 4);
        subjects_.push_back("bench.fan");
        break;
      case Shape::kWildcard10k:
        for (uint32_t i = 0; i < 10'000; ++i) {
          Subscribe(absl::StrFormat("bench.%u.*", i), i % kWorkers, 8);
        }
        Subscribe("bench.>", 1, 1);
        for (uint32_t i = 0; i < 1024; ++i) subjects_.push_back(absl::StrFormat("bench.%u.x", i));
        break;
    }
  }

  size_t subject_count() const { return subjects_.size(); }

  // One publish and everything it causes on both workers.
  void Publish() {
    const std::string& subject = subjects_[next_subject_++ % subjects_.size()];
    const broker::Message message{subject, "", 0, payload_, size_text_, ""};
    const sublist::MatchResult& result = cache_.Match(subject);
    if (!result.plain.empty()) frame_.Format(message);
    for (const sublist::SubRef& ref : result.plain) {
      if (ref.worker == kPublisherWorker) {
        AppendMsg(workers_[kPublisherWorker], ref, message, frame_);
      } else {
        if (remote_refs_[ref.worker].empty()) touched_.push_back(ref.worker);
        remote_refs_[ref.worker].push_back(ref);
      }
    }
    for (uint32_t dst : touched_) {
      batches_[dst].Add(remote_refs_[dst], message);
      remote_refs_[dst].clear();
    }
    touched_.clear();
    if (++since_drain_ == kDrainEvery) {
      since_drain_ = 0;
      // End of the loop iteration: destinations take their batches, then the sends complete.
      for (uint32_t dst = 0; dst < kWorkers; ++dst) {
        batches_[dst].ForEach([&](std::span<const sublist::SubRef> refs, const broker::Message& m) {
          remote_frame_.Format(m);
          for (const sublist::SubRef& ref : refs) AppendMsg(workers_[dst], ref, m, remote_frame_);
        });
        batches_[dst].Reset();
      }
      for (WorkerSide& side : workers_) Drain(side);
    }
  }

 private:
  void Subscribe(const std::string& subject, uint32_t worker, size_t connections) {
    WorkerSide& side = workers_[worker];
    while (side.connections.size() < connections) {
      side.connections.push_back(std::make_unique<ring::OutboundBuffer>(&side.pool));
    }
    const auto slot = static_cast<uint32_t>(side.subs.size());
    side.subs.push_back(Subscriber{std::to_string(slot + 1), slot % connections});
    if (!trie_.Insert(subject, "", sublist::SubRef{worker, slot, 1}).ok()) std::abort();
  }

  std::string payload_;
  char size_buf_[24];
  std::string size_text_;
  sublist::Trie trie_;
  sublist::MatchCache cache_;
  WorkerSide workers_[kWorkers];
  broker::DeliveryBatch batches_[kWorkers];
  std::vector<std::vector<sublist::SubRef>> remote_refs_;
  std::vector<uint32_t> touched_;
  std::vector<std::string> subjects_;
  broker::MsgFrame frame_;         // the publishing worker's
  broker::MsgFrame remote_frame_;  // the destination workers'
  size_t next_subject_ = 0;
  int since_drain_ = 0;
};

void BM_PublishPathAllocations(benchmark::State& state) {
  const auto shape = static_cast<Shape>(state.range(0));
  const auto size = static_cast<size_t>(state.range(1));
  PublishPath path(shape, size);
  // Warm-up: fills the match cache, the vectors' capacity and the chunk pools.
  // Every subject at least twice, so each match cache entry exists before the clock starts.
  const size_t warmup = std::max({size_t{4} * kDrainEvery, kWarmupBytes / (size + 64),
                                  2 * path.subject_count()});
  for (size_t i = 0; i < warmup; ++i) path.Publish();

  for (auto& n : counted_by_class) n.store(0);
  const uint64_t allocs_before = counted_allocs.load();
  const uint64_t bytes_before = counted_bytes.load();
  for (auto _ : state) {
    counting = true;
    path.Publish();
    counting = false;
  }
  const uint64_t allocs = counted_allocs.load() - allocs_before;
  const uint64_t bytes = counted_bytes.load() - bytes_before;
  const double msgs = static_cast<double>(state.iterations());
  state.counters["allocs_per_msg"] = benchmark::Counter(static_cast<double>(allocs) / msgs);
  state.counters["alloc_bytes_per_msg"] = benchmark::Counter(static_cast<double>(bytes) / msgs);
  state.counters["allocs"] = benchmark::Counter(static_cast<double>(allocs));
  state.SetItemsProcessed(state.iterations());
  if (allocs > 0) {
    any_allocation.store(true);
    // The most frequent size class, as its lower bound: e.g. 512 = std::deque node blocks,
    // 32768 = outbound chunks.
    int top = 0;
    for (int c = 1; c < kSizeClasses; ++c) {
      if (counted_by_class[c].load() > counted_by_class[top].load()) top = c;
    }
    state.counters["common_alloc_size"] = benchmark::Counter(static_cast<double>(1ull << top));
    uint64_t large = 0;
    for (int c = 15; c < kSizeClasses; ++c) large += counted_by_class[c].load();
    state.counters["allocs_32k_up"] = benchmark::Counter(static_cast<double>(large));
  }
}
BENCHMARK(BM_PublishPathAllocations)
    ->ArgsProduct({{static_cast<int64_t>(Shape::kPubSub), static_cast<int64_t>(Shape::kFanOut8),
                    static_cast<int64_t>(Shape::kWildcard10k)},
                   {16, 1024, 65536}})
    ->ArgNames({"shape", "size"});

}  // namespace
}  // namespace ringnats

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (ringnats::any_allocation.load()) {
    std::fprintf(stderr,
                 "publish_alloc_bench: the publish/delivery path allocated (see allocs_per_msg; "
                 "shape 0 = pubsub, 1 = fan-out 1->8, 2 = 10k wildcard subscriptions)\n");
    return 1;
  }
  return 0;
}
