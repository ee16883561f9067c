// The hot path must not allocate: a frame that lies wholly inside the input comes back as
// views into it. Counts every operator new in this test binary.

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gtest/gtest.h"
#include "ringnats/proto/parser.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// GCC treats `new` as its builtin and, once these are inlined, flags the free() below.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace ringnats::proto {
namespace {

TEST(ParserAlloc, WholeFramesDoNotAllocate) {
  std::string stream;
  for (int i = 0; i < 200; ++i) {
    stream += "PUB foo.bar reply 16\r\n0123456789abcdef\r\n";
    stream += "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n";
    stream += "SUB foo.* q 1\r\nUNSUB 1 5\r\nPING\r\nPONG\r\n+OK\r\nCONNECT {}\r\n";
  }
  Parser parser;
  std::string_view in = stream;
  long ops = 0;
  const long before = g_allocations.load();
  while (true) {
    ParseStep step = parser.Next(in);
    if (step.status != ParseStatus::kOp) {
      ASSERT_EQ(step.status, ParseStatus::kNeedMore);
      break;
    }
    ++ops;
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_EQ(ops, 200 * 8);
}

TEST(ParserAlloc, SplitFramesReuseTheAssemblyBuffer) {
  const std::string frame = "PUB foo.bar reply 16\r\n0123456789abcdef\r\n";
  Parser parser;
  auto feed_split = [&] {
    for (size_t at : {5u, 25u}) {
      std::string_view a = std::string_view(frame).substr(0, at);
      std::string_view b = std::string_view(frame).substr(at);
      ASSERT_EQ(parser.Next(a).status, ParseStatus::kNeedMore);
      ASSERT_EQ(parser.Next(b).status, ParseStatus::kOp);
    }
  };
  feed_split();  // warms the assembly buffer up
  const long before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    feed_split();
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}

}  // namespace
}  // namespace ringnats::proto
