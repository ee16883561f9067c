// Auth micro-benchmarks: bcrypt verification per cost (what one CONNECT costs a pool thread),
// the constant-time plain-text comparison and keyed digest (what every plain-password or
// cache-key check costs), and a cache hit through the AuthPool (what a reconnect costs the
// worker). `--auth_bench_cost11` adds bcrypt at cost 11, nats' mkpasswd default (slow).

#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "ringnats/auth/auth_pool.h"
#include "ringnats/auth/bcrypt.h"
#include "ringnats/auth/secrets.h"

namespace ringnats::auth {
namespace {

constexpr char kPassword[] = "correct horse battery staple";

// One hash per cost, made on first use (benchmark threads may ask at the same time).
const std::string& HashAtCost(int cost) {
  static std::mutex mu;
  static std::map<int, std::string> hashes;
  std::lock_guard<std::mutex> lock(mu);
  auto it = hashes.find(cost);
  if (it == hashes.end()) {
    BcryptHasher hasher;
    absl::StatusOr<std::string> hash = hasher.Hash(kPassword, cost);
    it = hashes.emplace(cost, hash.ok() ? *hash : std::string()).first;
  }
  return it->second;
}

void BM_BcryptVerify(benchmark::State& state) {
  const int cost = static_cast<int>(state.range(0));
  const std::string& hash = HashAtCost(cost);
  if (hash.empty()) {
    state.SkipWithError("could not make a bcrypt hash");
    return;
  }
  BcryptHasher hasher;
  for (auto _ : state) {
    benchmark::DoNotOptimize(hasher.Verify(hash, kPassword));
  }
  state.counters["verifies/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BcryptVerify)
    ->ArgName("cost")
    ->Arg(4)
    ->Arg(6)
    ->Arg(8)
    ->Arg(10)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

std::string Secret(size_t length) {
  return std::string(length, 's');
}

void BM_SecretsEqual(benchmark::State& state) {
  const std::string stored = Secret(static_cast<size_t>(state.range(0)));
  std::string presented = stored;
  presented.back() = 'x';  // the usual case for a timing attack: all but the last byte right
  for (auto _ : state) {
    benchmark::DoNotOptimize(SecretsEqual(stored, presented));
  }
}
BENCHMARK(BM_SecretsEqual)->ArgName("len")->Arg(8)->Arg(64)->Arg(1024);

void BM_KeyedDigest(benchmark::State& state) {
  const std::string text = Secret(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(KeyedDigest(text));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_KeyedDigest)->ArgName("len")->Arg(8)->Arg(64)->Arg(1024);

// A pool whose cache already holds alice's verdict; shared by the benchmark's threads.
AuthPool& WarmPool() {
  static AuthPool* pool = [] {
    auto done = std::make_shared<absl::Notification>();
    AuthPoolSettings settings;
    settings.threads = 1;
    settings.cache_ttl = absl::Hours(1);
    auto* p = new AuthPool(settings, 1, [done](uint32_t) {
      if (!done->HasBeenNotified()) done->Notify();
    });
    HashCheck check;
    check.user = "alice";
    check.stored_hash = HashAtCost(4);
    check.secret = kPassword;
    if (p->Submit(std::move(check)) == AuthPool::Submitted::kQueued) {
      done->WaitForNotificationWithTimeout(absl::Seconds(30));
    }
    return p;
  }();
  return *pool;
}

void BM_AuthPoolCacheHit(benchmark::State& state) {
  AuthPool& pool = WarmPool();
  const std::string& hash = HashAtCost(4);
  size_t misses = 0;
  for (auto _ : state) {
    // What the worker does per CONNECT: copy the credentials into a check and submit it.
    HashCheck check;
    check.session = 1;
    check.user = "alice";
    check.stored_hash = hash;
    check.secret = kPassword;
    if (pool.Submit(std::move(check)) != AuthPool::Submitted::kCachedOk) ++misses;
  }
  if (misses > 0) state.SkipWithError("cache miss: the pool was not warm");
}
BENCHMARK(BM_AuthPoolCacheHit)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace ringnats::auth

int main(int argc, char** argv) {
  // Our own flag first: Google Benchmark rejects flags it does not know.
  bool cost11 = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--auth_bench_cost11") == 0) {
      cost11 = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (cost11) {
    benchmark::RegisterBenchmark("BM_BcryptVerify", ringnats::auth::BM_BcryptVerify)
        ->ArgName("cost")
        ->Arg(11)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
