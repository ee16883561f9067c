// Micro-benchmarks of the pieces a message passes between parse and sendmsg: the SPSC queue
// that carries batches between rings (streaming and ping-pong across two threads), the
// outbound buffer (MSG line appends, iovec filling), and the cross-worker DeliveryBatch.
//
// The cross-thread cases spin on both sides, so on a loaded 2-core machine they measure the
// scheduler as much as the queue: read them as an upper bound on the hand-off cost.

#include <benchmark/benchmark.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "ringnats/broker/delivery_batch.h"
#include "ringnats/broker/msg_frame.h"
#include "ringnats/ring/outbound_buffer.h"
#include "ringnats/ring/spsc_queue.h"

namespace ringnats {
namespace {

struct Item {
  uint64_t sequence = 0;
};

// Spin briefly, then give the core away: with more runnable threads than cores the other
// side may be waiting for this very core, and pure spinning would burn its time slice.
class Backoff {
 public:
  void Wait() {
    if (++polls_ > 256) std::this_thread::yield();
  }
  void Reset() { polls_ = 0; }

 private:
  int polls_ = 0;
};

// The producer (benchmark thread) pushes as fast as the consumer thread pops; items/s is the
// queue's streaming rate between two cores.
void BM_SpscQueue_Stream(benchmark::State& state) {
  const size_t capacity = static_cast<size_t>(state.range(0));
  ring::SpscQueue<Item> queue(capacity);
  std::vector<Item> items(capacity);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> popped{0};
  std::thread consumer([&] {
    uint64_t count = 0;
    Backoff backoff;
    while (true) {
      Item* item = queue.TryPop();
      if (item != nullptr) {
        benchmark::DoNotOptimize(item->sequence);
        ++count;
        backoff.Reset();
        continue;
      }
      if (stop.load(std::memory_order_acquire) && queue.LooksEmpty()) break;
      backoff.Wait();
    }
    popped.store(count, std::memory_order_release);
  });
  uint64_t pushed = 0;
  for (auto _ : state) {
    Item* item = &items[pushed & (capacity - 1)];
    while (!queue.TryPush(item)) {
      // Full: the consumer is behind; let it run if it shares our core.
      std::this_thread::yield();
    }
    ++pushed;
  }
  stop.store(true, std::memory_order_release);
  consumer.join();
  if (popped.load() != pushed) state.SkipWithError("consumer lost items");
  state.SetItemsProcessed(static_cast<int64_t>(pushed));
}
BENCHMARK(BM_SpscQueue_Stream)->Arg(64)->Arg(1024)->UseRealTime();

// One item there, one back: the round trip of a hand-off between two rings when neither is
// asleep (no doorbell), the latency floor of a cross-worker delivery.
void BM_SpscQueue_PingPong(benchmark::State& state) {
  ring::SpscQueue<Item> there(64);
  ring::SpscQueue<Item> back(64);
  Item item;
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    Backoff backoff;
    while (!stop.load(std::memory_order_acquire)) {
      if (Item* got = there.TryPop(); got != nullptr) {
        while (!back.TryPush(got)) {
        }
        backoff.Reset();
      } else {
        backoff.Wait();
      }
    }
  });
  for (auto _ : state) {
    while (!there.TryPush(&item)) {
    }
    Item* reply = nullptr;
    Backoff backoff;
    while ((reply = back.TryPop()) == nullptr) backoff.Wait();
    benchmark::DoNotOptimize(reply);
  }
  stop.store(true, std::memory_order_release);
  echo.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpscQueue_PingPong)->UseRealTime();

// Writes every pending byte "to the socket": what a completed sendmsg does to the buffer.
void DrainAll(ring::OutboundBuffer& out) {
  iovec iov[16];
  while (!out.empty()) {
    const size_t n = out.FillIovecs(iov, 16);
    size_t bytes = 0;
    for (size_t i = 0; i < n; ++i) bytes += iov[i].iov_len;
    benchmark::DoNotOptimize(bytes);
    out.Consume(bytes);
  }
}

// One MSG line as DeliverLocal builds it (the message's MsgFrame around the subscriber's sid,
// then the payload), drained every 64 KiB as a sendmsg would: bytes/s of outbound encoding
// with a warmed chunk pool.
void BM_OutboundBuffer_AppendMsg(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::string payload(size, 'x');
  ring::ChunkPool pool;
  ring::OutboundBuffer out(&pool);
  char size_buf[24];
  const broker::Message message{"bench.subject", "", 0, payload,
                                broker::DecimalDigits(size, size_buf), ""};
  broker::MsgFrame frame;
  frame.Format(message);
  size_t bytes = 0;
  for (auto _ : state) {
    out.Append({frame.head, "1", frame.tail, payload, "\r\n"});
    if (out.pending_bytes() >= 64 * 1024) {
      bytes += out.pending_bytes();
      DrainAll(out);
    }
  }
  bytes += out.pending_bytes();
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OutboundBuffer_AppendMsg)->Arg(0)->Arg(16)->Arg(1024)->Arg(64 * 1024);

// FillIovecs over a backlog of `chunks` full chunks (a slow consumer's buffer): the cost of
// preparing one sendmsg, which takes at most 64 iovecs.
void BM_OutboundBuffer_FillIovecs(benchmark::State& state) {
  const size_t chunks = static_cast<size_t>(state.range(0));
  const std::string filler(ring::kOutboundChunkSize, 'y');
  ring::ChunkPool pool;
  ring::OutboundBuffer out(&pool);
  for (size_t i = 0; i < chunks; ++i) out.Append(filler);
  iovec iov[64];
  for (auto _ : state) {
    const size_t n = out.FillIovecs(iov, 64);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(iov[0].iov_base);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OutboundBuffer_FillIovecs)->Arg(1)->Arg(8)->Arg(64)->Arg(1024);

// A batch as a publisher's worker fills it for one destination (`refs` matching subscriptions
// there per message) and the destination walks it, 64 messages per loop iteration.
void BM_DeliveryBatch_AddForEach(benchmark::State& state) {
  const size_t refs_per_msg = static_cast<size_t>(state.range(0));
  const size_t size = static_cast<size_t>(state.range(1));
  constexpr size_t kMessagesPerBatch = 64;
  const std::string payload(size, 'z');
  std::vector<sublist::SubRef> refs;
  for (uint32_t i = 0; i < refs_per_msg; ++i) refs.push_back(sublist::SubRef{1, i, 1});
  char size_buf[24];
  broker::Message message{"bench.subject", "", 0, payload, broker::DecimalDigits(size, size_buf), ""};
  broker::DeliveryBatch batch;
  uint64_t visited = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kMessagesPerBatch; ++i) batch.Add(refs, message);
    batch.ForEach([&](std::span<const sublist::SubRef> got, const broker::Message& m) {
      visited += got.size();
      benchmark::DoNotOptimize(m.data.data());
    });
    batch.Reset();
  }
  if (visited != state.iterations() * kMessagesPerBatch * refs_per_msg) {
    state.SkipWithError("ForEach visited the wrong number of refs");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kMessagesPerBatch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kMessagesPerBatch * size));
}
BENCHMARK(BM_DeliveryBatch_AddForEach)
    ->Args({1, 16})
    ->Args({8, 16})
    ->Args({1, 1024})
    ->Args({64, 16})
    ->ArgNames({"refs", "size"});

}  // namespace
}  // namespace ringnats

BENCHMARK_MAIN();
