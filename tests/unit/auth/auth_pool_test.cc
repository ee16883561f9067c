#include "ringnats/auth/auth_pool.h"

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ringnats/auth/bcrypt.h"

namespace ringnats::auth {
namespace {

using Submitted = AuthPool::Submitted;

// Generous: the machine is shared; nothing here should take more than a few hashes' time.
constexpr absl::Duration kDeadline = absl::Seconds(60);

// Hashes made once for the whole suite.
const std::string& Cost4Hash() {
  static const std::string hash = [] {
    BcryptHasher hasher;
    absl::StatusOr<std::string> h = hasher.Hash("pw", 4);
    return h.ok() ? *h : std::string();
  }();
  return hash;
}

const std::string& Cost10Hash() {
  static const std::string hash = [] {
    BcryptHasher hasher;
    absl::StatusOr<std::string> h = hasher.Hash("pw", 10);
    return h.ok() ? *h : std::string();
  }();
  return hash;
}

// Plays the workers: the wake callback collects each worker's results. It can also hold the
// pool thread that wakes a given worker until released, which keeps checks queued or in
// flight for as long as a test needs, without relying on how long a hash takes.
class Collector {
 public:
  explicit Collector(size_t workers) : results_(workers), wakes_(workers, 0) {}

  std::function<void(uint32_t)> WakeFn() {
    return [this](uint32_t worker) { OnWake(worker); };
  }
  void Attach(AuthPool* pool) {
    absl::MutexLock lock(&mu_);
    pool_ = pool;
  }

  // The next wake of `worker` parks the waking pool thread until Release().
  void HoldNextWakeOf(uint32_t worker) {
    absl::MutexLock lock(&mu_);
    hold_worker_ = static_cast<int>(worker);
    held_ = false;
    released_ = false;
  }
  bool AwaitHeld() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&held_), kDeadline);
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }

  bool AwaitResults(uint32_t worker, size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, worker, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return results_[worker].size() >= count;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kDeadline);
  }
  std::vector<HashResult> results(uint32_t worker) {
    absl::MutexLock lock(&mu_);
    return results_[worker];
  }
  int wakes(uint32_t worker) {
    absl::MutexLock lock(&mu_);
    return wakes_[worker];
  }

 private:
  void OnWake(uint32_t worker) {
    AuthPool* pool;
    {
      absl::MutexLock lock(&mu_);
      pool = pool_;
      ++wakes_[worker];
    }
    std::vector<HashResult> taken;
    pool->TakeResults(worker, &taken);
    absl::MutexLock lock(&mu_);
    results_[worker].insert(results_[worker].end(), taken.begin(), taken.end());
    if (hold_worker_ == static_cast<int>(worker)) {
      hold_worker_ = -1;
      held_ = true;
      mu_.Await(absl::Condition(&released_));
    }
  }

  absl::Mutex mu_;
  AuthPool* pool_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::vector<std::vector<HashResult>> results_ ABSL_GUARDED_BY(mu_);
  std::vector<int> wakes_ ABSL_GUARDED_BY(mu_);
  int hold_worker_ ABSL_GUARDED_BY(mu_) = -1;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
};

HashCheck Check(uint32_t worker, uint64_t session, std::string user, std::string secret,
                const std::string& hash = Cost4Hash()) {
  return HashCheck{.worker = worker,
                   .session = session,
                   .user = std::move(user),
                   .stored_hash = hash,
                   .secret = std::move(secret)};
}

class AuthPoolTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(Cost4Hash().empty()); }

  void Start(AuthPoolSettings settings, size_t workers = 2) {
    collector_ = std::make_unique<Collector>(workers);
    pool_ = std::make_unique<AuthPool>(settings, workers, collector_->WakeFn());
    collector_->Attach(pool_.get());
  }

  void TearDown() override {
    // A failed assertion must not leave a pool thread parked: the pool joins its threads.
    if (collector_) collector_->Release();
    pool_.reset();
  }

  // Submits and waits for the one result it produces on `worker`.
  bool SubmitAndWait(HashCheck check) {
    const uint32_t worker = check.worker;
    const size_t before = collector_->results(worker).size();
    if (pool_->Submit(std::move(check)) != Submitted::kQueued) return false;
    return collector_->AwaitResults(worker, before + 1);
  }

  std::unique_ptr<Collector> collector_;
  std::unique_ptr<AuthPool> pool_;
};

AuthPoolSettings Settings(int threads = 2) {
  AuthPoolSettings settings;
  settings.threads = threads;
  return settings;
}

TEST_F(AuthPoolTest, VerifiesRightAndWrongPasswords) {
  Start(Settings());
  EXPECT_EQ(pool_->Submit(Check(0, 1, "alice", "pw")), Submitted::kQueued);
  EXPECT_EQ(pool_->Submit(Check(1, 2, "alice", "wrong")), Submitted::kQueued);
  ASSERT_TRUE(collector_->AwaitResults(0, 1));
  ASSERT_TRUE(collector_->AwaitResults(1, 1));
  const std::vector<HashResult> zero = collector_->results(0);
  const std::vector<HashResult> one = collector_->results(1);
  ASSERT_EQ(zero.size(), 1u);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(zero[0].session, 1u);
  EXPECT_TRUE(zero[0].ok);
  EXPECT_EQ(one[0].session, 2u);
  EXPECT_FALSE(one[0].ok);
  EXPECT_EQ(pool_->stats().hashes_computed, 2u);
}

TEST_F(AuthPoolTest, ResultsGoOnlyToTheWorkerThatAsked) {
  Start(Settings(), /*workers=*/3);
  EXPECT_EQ(pool_->Submit(Check(2, 7, "alice", "pw")), Submitted::kQueued);
  ASSERT_TRUE(collector_->AwaitResults(2, 1));
  EXPECT_EQ(collector_->wakes(2), 1);
  EXPECT_EQ(collector_->wakes(0), 0);
  EXPECT_EQ(collector_->wakes(1), 0);
  // Nothing is waiting for the others: TakeResults leaves `out` alone.
  std::vector<HashResult> none;
  pool_->TakeResults(0, &none);
  pool_->TakeResults(1, &none);
  pool_->TakeResults(2, &none);  // already taken by the wake
  EXPECT_TRUE(none.empty());
}

TEST_F(AuthPoolTest, ConcurrentIdenticalChecksCostOneHash) {
  ASSERT_FALSE(Cost10Hash().empty());
  Start(Settings());
  constexpr int kClients = 16;
  std::vector<Submitted> outcome(kClients);
  std::latch start(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      start.arrive_and_wait();
      outcome[i] = pool_->Submit(Check(static_cast<uint32_t>(i % 2), static_cast<uint64_t>(i),
                                       "alice", "pw", Cost10Hash()));
    });
  }
  for (std::thread& client : clients) client.join();

  // Each check was either joined to the one in flight or, once that finished, answered from
  // the cache: the switch from one to the other happens under the pool's lock.
  std::vector<uint64_t> queued_sessions;
  int cached = 0;
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(outcome[i] == Submitted::kQueued || outcome[i] == Submitted::kCachedOk) << i;
    if (outcome[i] == Submitted::kQueued) queued_sessions.push_back(static_cast<uint64_t>(i));
    if (outcome[i] == Submitted::kCachedOk) ++cached;
  }
  ASSERT_FALSE(queued_sessions.empty());  // the first one found nothing cached
  size_t on_zero = 0;
  for (uint64_t s : queued_sessions) on_zero += s % 2 == 0 ? 1 : 0;
  ASSERT_TRUE(collector_->AwaitResults(0, on_zero));
  ASSERT_TRUE(collector_->AwaitResults(1, queued_sessions.size() - on_zero));

  std::vector<uint64_t> answered;
  for (uint32_t worker : {0u, 1u}) {
    for (const HashResult& r : collector_->results(worker)) {
      EXPECT_TRUE(r.ok);
      EXPECT_EQ(r.session % 2, worker);
      answered.push_back(r.session);
    }
  }
  std::sort(answered.begin(), answered.end());
  EXPECT_EQ(answered, queued_sessions);

  const AuthPoolStats stats = pool_->stats();
  EXPECT_EQ(stats.hashes_computed, 1u);
  EXPECT_EQ(stats.coalesced, queued_sessions.size() - 1);
  EXPECT_EQ(stats.cache_hits, static_cast<uint64_t>(cached));

  // And the next login with the same credentials is answered at once.
  EXPECT_EQ(pool_->Submit(Check(0, 100, "alice", "pw", Cost10Hash())), Submitted::kCachedOk);
  EXPECT_EQ(pool_->stats().hashes_computed, 1u);
  EXPECT_EQ(pool_->stats().cache_hits, static_cast<uint64_t>(cached) + 1);
}

TEST_F(AuthPoolTest, CacheKeyCoversUserStoredHashAndSecret) {
  Start(Settings());
  ASSERT_TRUE(SubmitAndWait(Check(0, 1, "alice", "pw")));
  EXPECT_EQ(pool_->Submit(Check(0, 2, "alice", "pw")), Submitted::kCachedOk);
  // Another user with the same hash and password is checked on its own.
  ASSERT_TRUE(SubmitAndWait(Check(0, 3, "bob", "pw")));
  // So is the same user against a different stored hash (a password change by reload).
  BcryptHasher hasher;
  absl::StatusOr<std::string> other_hash = hasher.Hash("pw", 4);
  ASSERT_TRUE(other_hash.ok());
  ASSERT_TRUE(SubmitAndWait(Check(0, 4, "alice", "pw", *other_hash)));
  // And a different secret.
  ASSERT_TRUE(SubmitAndWait(Check(0, 5, "alice", "pw2")));
  const AuthPoolStats stats = pool_->stats();
  EXPECT_EQ(stats.hashes_computed, 4u);
  EXPECT_EQ(stats.cache_hits, 1u);
  const std::vector<HashResult> results = collector_->results(0);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0].ok);
  EXPECT_TRUE(results[1].ok);
  EXPECT_TRUE(results[2].ok);
  EXPECT_FALSE(results[3].ok);
  EXPECT_EQ(pool_->Submit(Check(1, 6, "alice", "pw2")), Submitted::kCachedFailed);
}

TEST_F(AuthPoolTest, FailureIsCachedBrieflyThenCheckedAgain) {
  AuthPoolSettings settings = Settings();
  settings.failure_ttl = absl::Milliseconds(300);
  settings.cache_ttl = absl::Minutes(10);
  Start(settings);
  const absl::Time before_first = absl::Now();
  ASSERT_TRUE(SubmitAndWait(Check(0, 1, "alice", "wrong")));
  EXPECT_FALSE(collector_->results(0)[0].ok);
  ASSERT_TRUE(SubmitAndWait(Check(0, 2, "alice", "pw")));
  EXPECT_TRUE(collector_->results(0)[1].ok);
  EXPECT_EQ(pool_->stats().hashes_computed, 2u);

  // The failure was stored no earlier than `before_first`, so until failure_ttl after that
  // it must still be cached. (On a slow machine the window may have passed already.)
  const Submitted again = pool_->Submit(Check(0, 3, "alice", "wrong"));
  if (absl::Now() < before_first + settings.failure_ttl) {
    EXPECT_EQ(again, Submitted::kCachedFailed);
  }
  if (again == Submitted::kQueued) {
    ASSERT_TRUE(collector_->AwaitResults(0, 3));
  }

  // Poll until the failure has expired: the next check is hashed again.
  const absl::Time deadline = absl::Now() + kDeadline;
  Submitted later = Submitted::kCachedFailed;
  uint64_t session = 10;
  while (absl::Now() < deadline) {
    const size_t before = collector_->results(0).size();
    later = pool_->Submit(Check(0, session++, "alice", "wrong"));
    if (later == Submitted::kQueued) {
      ASSERT_TRUE(collector_->AwaitResults(0, before + 1));
      break;
    }
    ASSERT_EQ(later, Submitted::kCachedFailed);
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(later, Submitted::kQueued);
  EXPECT_FALSE(collector_->results(0).back().ok);
  EXPECT_EQ(pool_->stats().hashes_computed, again == Submitted::kQueued ? 4u : 3u);

  // The success, with its long TTL, is still cached.
  EXPECT_EQ(pool_->Submit(Check(1, 99, "alice", "pw")), Submitted::kCachedOk);
}

TEST_F(AuthPoolTest, FullQueueFailsFastButIdenticalChecksStillJoin) {
  AuthPoolSettings settings = Settings(/*threads=*/1);
  settings.queue_limit = 2;
  Start(settings);
  // Park the only pool thread (after it has hashed the first check), so nothing drains.
  collector_->HoldNextWakeOf(0);
  EXPECT_EQ(pool_->Submit(Check(0, 1, "blocker", "pw")), Submitted::kQueued);
  ASSERT_TRUE(collector_->AwaitHeld());

  EXPECT_EQ(pool_->Submit(Check(1, 10, "a", "pw")), Submitted::kQueued);
  EXPECT_EQ(pool_->Submit(Check(1, 11, "b", "pw")), Submitted::kQueued);
  EXPECT_EQ(pool_->Submit(Check(1, 12, "c", "pw")), Submitted::kQueueFull);
  EXPECT_EQ(pool_->Submit(Check(1, 13, "a", "pw")), Submitted::kQueued);  // joins a's check
  AuthPoolStats stats = pool_->stats();
  EXPECT_EQ(stats.rejected_queue_full, 1u);
  EXPECT_EQ(stats.coalesced, 1u);
  EXPECT_EQ(stats.hashes_computed, 1u);

  collector_->Release();
  ASSERT_TRUE(collector_->AwaitResults(1, 3));
  std::vector<uint64_t> sessions;
  for (const HashResult& r : collector_->results(1)) {
    EXPECT_TRUE(r.ok);
    sessions.push_back(r.session);
  }
  std::sort(sessions.begin(), sessions.end());
  EXPECT_EQ(sessions, (std::vector<uint64_t>{10, 11, 13}));
  EXPECT_EQ(pool_->stats().hashes_computed, 3u);
  // With room again, c gets its turn.
  EXPECT_EQ(pool_->Submit(Check(1, 14, "c", "pw")), Submitted::kQueued);
}

TEST_F(AuthPoolTest, WithoutCacheEveryCheckHashesButInFlightOnesStillJoin) {
  AuthPoolSettings settings = Settings(/*threads=*/1);
  settings.cache_enabled = false;
  Start(settings);
  collector_->HoldNextWakeOf(0);
  EXPECT_EQ(pool_->Submit(Check(0, 1, "blocker", "pw")), Submitted::kQueued);
  ASSERT_TRUE(collector_->AwaitHeld());

  constexpr uint64_t kSame = 5;
  for (uint64_t s = 1; s <= kSame; ++s) {
    EXPECT_EQ(pool_->Submit(Check(1, s, "alice", "pw")), Submitted::kQueued);
  }
  EXPECT_EQ(pool_->Submit(Check(1, 6, "alice", "wrong")), Submitted::kQueued);
  EXPECT_EQ(pool_->stats().coalesced, kSame - 1);

  collector_->Release();
  ASSERT_TRUE(collector_->AwaitResults(1, kSame + 1));
  for (const HashResult& r : collector_->results(1)) {
    EXPECT_EQ(r.ok, r.session != 6) << r.session;
  }
  EXPECT_EQ(pool_->stats().hashes_computed, 3u);  // blocker, alice/pw, alice/wrong

  // Done checks are not remembered.
  ASSERT_TRUE(SubmitAndWait(Check(1, 7, "alice", "pw")));
  ASSERT_TRUE(SubmitAndWait(Check(1, 8, "alice", "wrong")));
  const AuthPoolStats stats = pool_->stats();
  EXPECT_EQ(stats.hashes_computed, 5u);
  EXPECT_EQ(stats.cache_hits, 0u);
}

TEST_F(AuthPoolTest, ClearCacheForgetsVerdicts) {
  Start(Settings());
  ASSERT_TRUE(SubmitAndWait(Check(0, 1, "alice", "pw")));
  ASSERT_TRUE(SubmitAndWait(Check(0, 2, "alice", "wrong")));
  EXPECT_EQ(pool_->Submit(Check(0, 3, "alice", "pw")), Submitted::kCachedOk);
  EXPECT_EQ(pool_->Submit(Check(0, 4, "alice", "wrong")), Submitted::kCachedFailed);
  pool_->ClearCache();
  ASSERT_TRUE(SubmitAndWait(Check(0, 5, "alice", "pw")));
  ASSERT_TRUE(SubmitAndWait(Check(0, 6, "alice", "wrong")));
  EXPECT_EQ(pool_->stats().hashes_computed, 4u);
  EXPECT_TRUE(collector_->results(0)[2].ok);
  EXPECT_FALSE(collector_->results(0)[3].ok);
}

TEST_F(AuthPoolTest, ClearCacheStillAnswersChecksInFlight) {
  Start(Settings(/*threads=*/1));
  collector_->HoldNextWakeOf(0);
  EXPECT_EQ(pool_->Submit(Check(0, 1, "blocker", "pw")), Submitted::kQueued);
  ASSERT_TRUE(collector_->AwaitHeld());
  EXPECT_EQ(pool_->Submit(Check(1, 2, "alice", "pw")), Submitted::kQueued);
  pool_->ClearCache();
  collector_->Release();
  ASSERT_TRUE(collector_->AwaitResults(1, 1));
  EXPECT_EQ(collector_->results(1)[0].session, 2u);
  EXPECT_TRUE(collector_->results(1)[0].ok);
}

TEST_F(AuthPoolTest, CacheStaysWithinItsBound) {
  AuthPoolSettings settings = Settings(/*threads=*/1);
  settings.cache_max_entries = 4;
  Start(settings);
  constexpr int kUsers = 10;
  for (int i = 0; i < kUsers; ++i) {
    ASSERT_TRUE(SubmitAndWait(Check(0, static_cast<uint64_t>(i), absl::StrFormat("u%d", i), "pw")));
  }
  // Newest first: the last one stored is certainly still there. A hit on the way can only be
  // an entry from before this pass (those checked again in this pass come earlier), so no
  // more than the bound can hit.
  int hits = 0;
  for (int i = kUsers - 1; i >= 0; --i) {
    const Submitted s =
        pool_->Submit(Check(1, static_cast<uint64_t>(i), absl::StrFormat("u%d", i), "pw"));
    if (s == Submitted::kCachedOk) ++hits;
  }
  EXPECT_GE(hits, 1);
  EXPECT_LE(hits, 4);
}

TEST_F(AuthPoolTest, DestroyingWithWorkQueuedDoesNotHang) {
  Start(Settings(/*threads=*/1));
  for (uint64_t s = 0; s < 20; ++s) {
    pool_->Submit(Check(0, s, absl::StrFormat("u%d", s), "pw"));
  }
  pool_.reset();  // must return; queued checks are dropped with their secrets wiped
  SUCCEED();
}

}  // namespace
}  // namespace ringnats::auth
