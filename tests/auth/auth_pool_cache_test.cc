// ringnats' bcrypt pool: identical checks in flight are computed once (coalescing), and a
// verified credential is remembered (the cache, `auth_cache`), so a reconnect storm costs one
// bcrypt per distinct credential. Counted through the -D log line the pool writes for every
// computation; the line is written before any waiting connection is answered, so once every
// client of a wave has its answer the count is final.
//
// nats-server has neither (and rejects the auth_cache/auth_threads keys): these tests skip
// themselves there.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "auth/auth_fixture.h"
#include "auth/credentials.h"
#include "harness/server_spec.h"

namespace ringnats::authtest {
namespace {

constexpr int kWave = 20;
constexpr char kComputedLine[] = R"(\[DBG\] auth pool: bcrypt verification computed in \S+ )"
                                 R"(for \d+ waiting connection\(s\)$)";

std::string PoolConfig(std::string_view extra) {
  return absl::StrFormat(
      "%s\nauthorization {\n  users: [\n    {user: co, password: \"%s\"}\n  ]\n}\n", extra,
      kCoalesceHash);
}

class AuthPoolCacheTest : public AuthTest {
 protected:
  void SetUp() override {
    if (harness::IsNatsServer(spec())) {
      GTEST_SKIP() << "ringnats' auth pool and cache have no nats-server counterpart";
    }
  }

  // kWave clients read INFO first, then all send `connect_json` + PING at once, so every
  // CONNECT is in before the first bcrypt (cost 10) can finish. Each must be accepted or
  // rejected as `accepted` says.
  void Wave(const std::string& connect_json, bool accepted) {
    std::vector<std::unique_ptr<harness::RawClient>> clients;
    for (int i = 0; i < kWave; ++i) {
      clients.push_back(ConnectWithInfo());
      ASSERT_TRUE(clients.back());
    }
    const std::string bytes = absl::StrFormat("CONNECT %s\r\nPING\r\n", connect_json);
    for (auto& client : clients) {
      ASSERT_TRUE(client->Send(bytes));
    }
    for (int i = 0; i < kWave; ++i) {
      if (accepted) {
        EXPECT_TRUE(clients[i]->Expect("PONG\r\n")) << "client " << i;
      } else {
        EXPECT_TRUE(clients[i]->ExpectClosed(kAuthViolation)) << "client " << i;
      }
    }
  }

  int Computations() { return CountLogLines(kComputedLine); }
};

TEST_F(AuthPoolCacheTest, ConcurrentLoginsShareOneBcryptAndTheCacheAnswersTheNext) {
  ASSERT_NO_FATAL_FAILURE(StartServer(PoolConfig("auth_threads: 2"), {"-D"}));
  const std::string good = UserConnect("co", kCoalescePassword);
  ASSERT_NO_FATAL_FAILURE(Wave(good, /*accepted=*/true));
  EXPECT_EQ(Computations(), 1) << Log();
  ASSERT_NO_FATAL_FAILURE(Wave(good, /*accepted=*/true));
  EXPECT_EQ(Computations(), 1) << "the second wave should be answered from the cache\n" << Log();
}

TEST_F(AuthPoolCacheTest, CacheSettingsBlock) {
  ASSERT_NO_FATAL_FAILURE(StartServer(
      PoolConfig("auth_cache {\n  enabled: true\n  ttl: \"2m\"\n  max_entries: 100\n}"), {"-D"}));
  const std::string good = UserConnect("co", kCoalescePassword);
  ASSERT_NO_FATAL_FAILURE(Wave(good, /*accepted=*/true));
  ASSERT_NO_FATAL_FAILURE(Wave(good, /*accepted=*/true));
  EXPECT_EQ(Computations(), 1) << Log();
}

TEST_F(AuthPoolCacheTest, WithoutCacheEachWaveCostsOneBcrypt) {
  ASSERT_NO_FATAL_FAILURE(StartServer(PoolConfig("auth_cache: false"), {"-D"}));
  const std::string good = UserConnect("co", kCoalescePassword);
  ASSERT_NO_FATAL_FAILURE(Wave(good, /*accepted=*/true));
  EXPECT_EQ(Computations(), 1) << Log();
  ASSERT_NO_FATAL_FAILURE(Wave(good, /*accepted=*/true));
  EXPECT_EQ(Computations(), 2) << "coalescing still applies, the cache does not\n" << Log();
}

TEST_F(AuthPoolCacheTest, DistinctPasswordsAreNotConfused) {
  ASSERT_NO_FATAL_FAILURE(StartServer(PoolConfig(""), {"-D"}));
  ASSERT_NO_FATAL_FAILURE(Wave(UserConnect("co", kCoalescePassword), /*accepted=*/true));
  // A cached success must not vouch for another password, nor a cached failure against the
  // right one.
  ASSERT_NO_FATAL_FAILURE(Wave(UserConnect("co", "coalesce-pW"), /*accepted=*/false));
  ASSERT_NO_FATAL_FAILURE(Wave(UserConnect("co", kCoalescePassword), /*accepted=*/true));
  EXPECT_EQ(Computations(), 2) << Log();
}

TEST_F(AuthPoolCacheTest, RepeatedWrongPasswordCostsBoundedWork) {
  ASSERT_NO_FATAL_FAILURE(StartServer(PoolConfig(""), {"-D"}));
  const std::string bad = UserConnect("co", "not-the-password");
  ASSERT_NO_FATAL_FAILURE(Wave(bad, /*accepted=*/false));
  ASSERT_NO_FATAL_FAILURE(Wave(bad, /*accepted=*/false));
  // Failures are cached only briefly, so the second wave may or may not hash again; 40
  // attempts must not mean 40 hashes.
  const int computed = Computations();
  EXPECT_GE(computed, 1);
  EXPECT_LE(computed, 2) << Log();
  EXPECT_EQ(CountLogLines(R"(authentication error - User "co"$)"), 2 * kWave);
  EXPECT_TRUE(Accepts(UserConnect("co", kCoalescePassword)));
}

}  // namespace
}  // namespace ringnats::authtest
