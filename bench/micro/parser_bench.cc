// Client protocol parser throughput (MB/s and ops/s) over pipelined streams of one shape,
// fed whole or in recv-sized chunks so that frames straddle buffers.

#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "ringnats/proto/parser.h"

namespace ringnats::proto {
namespace {

constexpr size_t kStreamBytes = 1 << 20;

std::string Repeat(std::string_view frame) {
  std::string s;
  while (s.size() + frame.size() <= kStreamBytes) {
    s.append(frame);
  }
  return s;
}

std::string StreamFor(int shape) {
  switch (shape) {
    case 0: return Repeat("PUB foo.bar.baz 16\r\n0123456789abcdef\r\n");
    case 1: return Repeat("PUB foo.bar.baz _INBOX.abc 1024\r\n" + std::string(1024, 'x') + "\r\n");
    case 2:
      return Repeat("HPUB foo.bar.baz 19 35\r\nNATS/1.0\r\nK: vv\r\n\r\n0123456789abcdef\r\n");
    case 3: return Repeat("SUB foo.bar.* q 123\r\nUNSUB 123\r\nSUB foo.> 124\r\nUNSUB 124 10\r\n");
    default: return Repeat("PING\r\n");
  }
}

// chunk == 0: the whole stream is one input; otherwise recv-sized inputs that frames straddle.
void BM_Parse(benchmark::State& state, int shape, size_t chunk) {
  const std::string stream = StreamFor(shape);
  int64_t ops = 0;
  for (auto _ : state) {
    Parser parser;
    const size_t step = chunk == 0 ? stream.size() : chunk;
    for (size_t pos = 0; pos < stream.size(); pos += step) {
      std::string_view in = std::string_view(stream).substr(pos, step);
      while (true) {
        ParseStep s = parser.Next(in);
        if (s.status != ParseStatus::kOp) {
          if (s.status == ParseStatus::kError) {
            state.SkipWithError("parse error");
            return;
          }
          break;
        }
        benchmark::DoNotOptimize(s.op.payload.data());
        benchmark::DoNotOptimize(s.op.subject.data());
        ++ops;
      }
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(ops);
}

BENCHMARK_CAPTURE(BM_Parse, pub16, 0, 0);
BENCHMARK_CAPTURE(BM_Parse, pub1k, 1, 0);
BENCHMARK_CAPTURE(BM_Parse, hpub16, 2, 0);
BENCHMARK_CAPTURE(BM_Parse, sub_unsub, 3, 0);
BENCHMARK_CAPTURE(BM_Parse, ping, 4, 0);
// 4 KiB inputs (a small recv buffer) and 1000-byte inputs (never aligned with frames).
BENCHMARK_CAPTURE(BM_Parse, pub16_split4096, 0, 4096);
BENCHMARK_CAPTURE(BM_Parse, pub1k_split4096, 1, 4096);
BENCHMARK_CAPTURE(BM_Parse, hpub16_split4096, 2, 4096);
BENCHMARK_CAPTURE(BM_Parse, sub_unsub_split4096, 3, 4096);
BENCHMARK_CAPTURE(BM_Parse, ping_split4096, 4, 4096);
BENCHMARK_CAPTURE(BM_Parse, pub16_split1000, 0, 1000);
BENCHMARK_CAPTURE(BM_Parse, pub1k_split1000, 1, 1000);

}  // namespace
}  // namespace ringnats::proto

BENCHMARK_MAIN();
