// Password guessing: 500 connections in a row, each with a different wrong password (so no
// cache can absorb them), against a plaintext and a bcrypt (cost 4) password, while another
// pair of clients does request/reply. Every guess must get Authorization Violation, every
// round trip must succeed, and the broker's resident memory must not grow by more than a
// generous bound: a failed login must leave nothing behind.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "auth/auth_fixture.h"
#include "auth/credentials.h"
#include "auth/round_trips.h"

namespace ringnats::authtest {
namespace {

constexpr int kGuesses = 500;
constexpr int kWarmUpGuesses = 50;
constexpr long kMaxGrowthKb = 50 * 1024;

struct BruteCase {
  const char* name;
  std::string stored_password;  // as written in the config (quoted)
  std::string right_password;   // what a client sends to log in
};

void PrintTo(const BruteCase& c, std::ostream* os) {
  *os << c.name;
}

// VmRSS of `pid` in kB; -1 when unreadable.
long ResidentKb(pid_t pid) {
  std::ifstream status(absl::StrFormat("/proc/%d/status", pid));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

// `count` connections with wrong passwords; returns how many were not rejected exactly as
// expected, and the first such failure in `first_failure`.
int Guess(int port, int first, int count, std::string* first_failure) {
  int failures = 0;
  for (int i = first; i < first + count; ++i) {
    absl::StatusOr<std::unique_ptr<harness::RawClient>> client = harness::RawClient::Connect(port);
    ::testing::AssertionResult result = ::testing::AssertionFailure();
    if (!client.ok()) {
      result << client.status();
    } else if (::testing::AssertionResult info = (*client)->ReadInfo(); !info) {
      result = info;
    } else {
      result = IsRejected(**client, UserConnect("victim", absl::StrFormat("guess-%d", i)));
    }
    if (!result) {
      if (failures++ == 0) {
        *first_failure = absl::StrFormat("guess %d: %s", i, result.message());
      }
    }
  }
  return failures;
}

class BruteForceTest : public AuthTest, public ::testing::WithParamInterface<BruteCase> {};

TEST_P(BruteForceTest, ServerStaysResponsiveAndSmall) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer(absl::StrFormat("authorization {\n"
                                  "  users: [\n"
                                  "    {user: victim, password: \"%s\"}\n"
                                  "    {user: ops, password: \"Pw-ops-90\"}\n"
                                  "  ]\n"
                                  "}\n",
                                  GetParam().stored_password)));
  auto pair = RoundTripper::Create(port(), UserConnect("ops", "Pw-ops-90"), "brute.svc");
  ASSERT_TRUE(pair.ok()) << pair.status();

  std::string failure;
  ASSERT_EQ(Guess(port(), 0, kWarmUpGuesses, &failure), 0) << failure;
  const long baseline_kb = ResidentKb(server().pid());
  ASSERT_GT(baseline_kb, 0);

  std::atomic<bool> done{false};
  int rejected_wrongly = 0;
  std::thread attacker([&] {
    rejected_wrongly = Guess(port(), kWarmUpGuesses, kGuesses, &failure);
    done.store(true);
  });
  int round_trips = 0;
  ::testing::AssertionResult round_trip = ::testing::AssertionSuccess();
  // At least one round trip, and keep going for as long as the attack lasts.
  do {
    round_trip = (*pair)->RoundTrip(round_trips);
    if (!round_trip) {
      break;
    }
    ++round_trips;
  } while (!done.load());
  attacker.join();

  EXPECT_TRUE(round_trip) << "after " << round_trips << " round trips";
  EXPECT_EQ(rejected_wrongly, 0) << failure;
  const long after_kb = ResidentKb(server().pid());
  EXPECT_LT(after_kb - baseline_kb, kMaxGrowthKb)
      << "RSS " << baseline_kb << " kB -> " << after_kb << " kB";
  RecordProperty("round_trips", round_trips);
  RecordProperty("rss_growth_kb", static_cast<int>(after_kb - baseline_kb));
  // The right password still works.
  EXPECT_TRUE(Accepts(UserConnect("victim", GetParam().right_password)));
}

std::string CaseName(const ::testing::TestParamInfo<BruteCase>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Passwords, BruteForceTest,
                         ::testing::Values(BruteCase{"Plaintext", "Pw-victim-23", "Pw-victim-23"},
                                           BruteCase{"Bcrypt", std::string(kBruteHash),
                                                     std::string(kBrutePassword)}),
                         CaseName);

}  // namespace
}  // namespace ringnats::authtest
