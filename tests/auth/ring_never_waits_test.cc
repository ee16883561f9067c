// "The ring never waits for bcrypt", shown by the order of events rather than by timing.
//
// One worker thread serves everything. Client A logs in with a password whose bcrypt hash
// has cost 14 (about a second of CPU); its CONNECT is followed by a PING, which is answered
// only once A is authenticated. While A waits, two plaintext clients on the same worker
// complete 1,000 request/reply round trips — each one needing the worker to run several
// times. Only then may A's PONG arrive. Had the worker hashed A's password itself, the
// round trips would have had to wait for it and A's answer would already be there.

#include <gtest/gtest.h>
#include <sys/ioctl.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "auth/auth_fixture.h"
#include "auth/credentials.h"
#include "auth/round_trips.h"
#include "harness/server_spec.h"

namespace ringnats::authtest {
namespace {

constexpr int kRoundTrips = 1000;
// A failure guard for a cost-14 bcrypt on a loaded machine, not an expectation.
constexpr std::chrono::milliseconds kSlowLoginGuard{60000};
constexpr char kComputedLine[] = "auth pool: bcrypt verification computed in";

// Bytes that reached `client`'s socket but were not read yet.
int Unread(const harness::RawClient& client) {
  int bytes = -1;
  if (ioctl(client.fd(), FIONREAD, &bytes) != 0) {
    return -1;
  }
  return bytes;
}

class RingNeverWaitsTest : public AuthTest {};

TEST_F(RingNeverWaitsTest, PlaintextClientsProgressWhileBcryptRuns) {
  const std::string config = absl::StrFormat(
      "authorization {\n"
      "  users: [\n"
      "    {user: slow, password: \"%s\"}\n"
      "    {user: fast, password: \"Pw-fast-55\"}\n"
      "  ]\n"
      "}\n",
      kSlowHash);
  std::vector<std::string> args = {"-D"};
  const bool ringnats = !harness::IsNatsServer(spec());
  if (ringnats) {
    // The last --workers wins: everything shares one ring.
    args.insert(args.end(), {"--workers", "1"});
  }
  ASSERT_NO_FATAL_FAILURE(StartServer(config, args));

  auto slow = ConnectWithInfo();
  ASSERT_TRUE(slow);
  ASSERT_TRUE(
      slow->Send(absl::StrFormat("CONNECT %s\r\nPING\r\n", UserConnect("slow", kSlowPassword))));

  auto pair = RoundTripper::Create(port(), UserConnect("fast", "Pw-fast-55"), "ring.svc");
  ASSERT_TRUE(pair.ok()) << pair.status();
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kRoundTrips; ++i) {
    ASSERT_TRUE((*pair)->RoundTrip(i));
  }
  // Not asserted on: reported so that a failure shows how the race was run.
  const auto round_trips_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count();
  RecordProperty("round_trips_ms", static_cast<int>(round_trips_ms));

  // All round trips are done and A has still received nothing.
  EXPECT_EQ(Unread(*slow), 0) << "A was answered before " << kRoundTrips
                              << " round trips finished (they took " << round_trips_ms
                              << " ms): " << harness::Escape(slow->TakeBuffered());
  EXPECT_FALSE(slow->eof());
  if (ringnats) {
    EXPECT_EQ(CountLogLines(kComputedLine), 0) << Log();
  }

  EXPECT_TRUE(slow->Expect("PONG\r\n", kSlowLoginGuard));
  if (ringnats) {
    EXPECT_EQ(CountLogLines(kComputedLine), 1) << Log();
  }
  // And A is a normal client now.
  ASSERT_TRUE(slow->Send("SUB a 1\r\nPUB a 2\r\nok\r\n"));
  EXPECT_TRUE(slow->Expect("MSG a 1 2\r\nok\r\n"));
}

}  // namespace
}  // namespace ringnats::authtest
