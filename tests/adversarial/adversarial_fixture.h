#pragma once
// What the adversarial tests share: a server under attack plus idle neighbour connections
// that a watcher thread keeps pinging during the attack (the worst PING -> PONG time is the
// liveness measure), the broker's memory from /proc, raw-socket floods from clients that
// never read, a throttled subscriber that reads at a bounded rate, and running the server
// binary as a plain command.
//
// Every bound here is a liveness or resource bound for a misbehaving client, never a
// performance expectation: the expected values come from nats-server 2.9.10, which the
// same tests run against (suite 'adversarial-reference').
//
// Threads: the test thread owns the fixture; NeighbourWatch and ThrottledSubscriber each run
// one thread of their own and only touch their own connections.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/raw_client.h"
#include "harness/server_frames.h"
#include "harness/server_process.h"
#include "harness/server_spec.h"

namespace ringnats::adversarial {

using Millis = std::chrono::milliseconds;

// Sanitizer builds (the test binary and the broker come from the same build) are several
// times slower and keep freed memory in quarantine, so their bounds are scaled.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

// The worst PING -> PONG time a neighbour may see while another client attacks.
inline constexpr Millis kLivenessBound{kSanitized ? 4000 : 2000};

// An RSS bound in MiB, widened for sanitizer builds (shadow memory plus ASan's 256 MiB
// quarantine of freed blocks).
constexpr int64_t RssBoundMib(int64_t plain) {
  return kSanitized ? plain * 3 + 256 : plain;
}

struct MemoryUsage {
  int64_t rss_kib = 0;  // VmRSS
  int64_t hwm_kib = 0;  // VmHWM: the peak RSS over the process' life
};

absl::StatusOr<MemoryUsage> ReadMemory(pid_t pid);

// Pings every neighbour in a loop on its own thread: one PING to each, then each PONG is
// awaited, and the time from that PING to the PONG's arrival is a sample.
class NeighbourWatch {
 public:
  NeighbourWatch(std::vector<harness::RawClient*> neighbours, pid_t server_pid);
  NeighbourWatch(const NeighbourWatch&) = delete;
  NeighbourWatch& operator=(const NeighbourWatch&) = delete;
  ~NeighbourWatch();

  // Joins the thread; idempotent.
  void Stop();

  Millis worst_rtt();
  int rounds();
  // The first failure (a neighbour closed, or no PONG within the hang guard); empty if none.
  std::string failure();
  // The largest VmRSS sampled once per round, in KiB.
  int64_t peak_rss_kib();

 private:
  void Run();

  std::vector<harness::RawClient*> neighbours_;
  pid_t server_pid_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  Millis worst_{0};
  int rounds_ = 0;
  std::string failure_;
  int64_t peak_rss_kib_ = 0;
  std::thread thread_;
};

// Frames a subscriber sees, split out of the byte stream without copying the whole stream
// (RawClient's buffer is for short exchanges; a 200 MB stream needs an offset parser).
class MsgStreamParser {
 public:
  struct Frame {
    bool is_msg = false;
    std::string_view line;     // control line without CRLF
    std::string_view payload;  // MSG only
  };

  void Append(const char* data, size_t n);
  // The next complete frame, or false until more bytes arrive. The views stay valid until
  // the next Append.
  bool Next(Frame* frame);
  // A frame that does not parse (a MSG whose size is not a number).
  bool broken() const { return broken_; }

 private:
  std::string buffer_;
  size_t offset_ = 0;
  bool broken_ = false;
};

// Reads `count` MSG frames from `client` (what it has buffered, then its socket), answering
// server PINGs on the way. For clients with answer_pings off: RawClient answers a PING
// while a Send is blocked, which can put the PONG in the middle of a half-sent command, so
// clients that send much turn answering off and read through this.
::testing::AssertionResult ReadMsgs(harness::RawClient& client, size_t count,
                                    std::vector<harness::Msg>* out, Millis timeout);

// A subscriber that reads at most `read_size` bytes and then pauses `pause`, so it always
// makes progress but slower than a publisher on loopback can produce. It answers server
// PINGs, hands every MSG payload to `on_msg` (which returns an error text to stop) and stops
// after `expected` messages, at EOF, or at the hang guard `timeout`.
class ThrottledSubscriber {
 public:
  struct Options {
    size_t read_size = 64 * 1024;
    std::chrono::microseconds pause{1000};
    uint64_t expected = 0;
    Millis timeout{60000};
    // Stop reading (and close the socket) after this many bytes; 0 = never.
    size_t close_after_bytes = 0;
  };
  using OnMsg = std::function<std::string(uint64_t index, std::string_view payload)>;

  // Takes over `client` (after its INFO/CONNECT/SUB exchange; nothing may be buffered).
  ThrottledSubscriber(std::unique_ptr<harness::RawClient> client, Options options, OnMsg on_msg);
  ThrottledSubscriber(const ThrottledSubscriber&) = delete;
  ThrottledSubscriber& operator=(const ThrottledSubscriber&) = delete;
  ~ThrottledSubscriber();

  void Join();
  // Makes the reader give up soon (the producer failed; waiting out the hang guard is moot).
  void Cancel() { cancelled_ = true; }
  uint64_t received() const { return received_.load(); }
  bool closed_by_server() const { return closed_by_server_.load(); }
  // Why the reader stopped early (error, timeout, unexpected frame); empty when it got
  // `expected` messages or closed on purpose.
  const std::string& error() const { return error_; }
  // After Join(): the connection, for a final PING round trip (nullptr once closed).
  harness::RawClient* client() { return client_.get(); }

 private:
  void Run();

  std::unique_ptr<harness::RawClient> client_;
  Options options_;
  OnMsg on_msg_;
  std::atomic<uint64_t> received_{0};
  std::atomic<bool> closed_by_server_{false};
  std::atomic<bool> cancelled_{false};
  std::string error_;
  std::thread thread_;
};

// A client that writes and never reads.
enum class FloodEnd {
  kAllSent,         // every byte went out and the connection is still open
  kClosedByServer,  // reset or FIN while sending
  kStalled,         // the server stopped reading (no progress for `stall_timeout`)
};
struct FloodResult {
  FloodEnd end = FloodEnd::kAllSent;
  size_t bytes_sent = 0;
};
std::string Describe(const FloodResult& result);

// Sends `chunk` repeatedly on `fd` until `max_bytes` went out, the server closes, or no
// byte can be written for `stall_timeout`. Never reads from the socket.
FloodResult FloodWithoutReading(int fd, std::string_view chunk, size_t max_bytes,
                                Millis stall_timeout);

// Waits, without reading, for the server to close `fd` (FIN or reset).
bool WaitClosedWithoutReading(int fd, Millis timeout);

// A TCP connection to 127.0.0.1:port with a small receive buffer, nothing read or sent.
absl::StatusOr<std::unique_ptr<harness::RawClient>> ConnectSmallBuffer(int port,
                                                                       int receive_buffer = 4096);

struct CommandResult {
  int wait_status = -1;
  bool timed_out = false;
  std::string output;  // stdout and stderr together
};

// Runs `argv` (argv[0] is a path); kills it when it has not finished within `timeout`.
CommandResult RunCommand(const std::vector<std::string>& argv, Millis timeout);

// The exit code of a normal exit, else -1.
int ExitCode(int wait_status);

// Raises this process' open-file limit to its hard limit (the broker, started later,
// inherits it) and returns how many descriptors a test may use for its own clients.
int AvailableDescriptors();

class AdversarialTest : public ::testing::Test {
 protected:
  static constexpr int kNeighbours = 8;

  void TearDown() override;

  const harness::ServerSpec& spec() const { return spec_; }
  bool reference() const { return harness::IsNatsServer(spec_); }
  harness::ServerProcess& server() { return *server_; }
  int port() const { return server_->port(); }

  // Fatal failure when the server does not come up.
  void StartServer(const std::string& config, const std::vector<std::string>& extra_args = {});

  // Connects `count` idle clients with `connect_json` and checks each with a PING. With
  // SO_REUSEPORT the kernel spreads them over the workers; eight make it very likely that
  // every worker (at most four here) holds one.
  void OpenNeighbours(std::string_view connect_json = R"({"verbose":false,"pedantic":false})",
                      int count = kNeighbours);
  void StartWatch();
  // Stops the watcher and checks that every neighbour answered every PING within
  // kLivenessBound and is still connected (one more PING each).
  void FinishWatch();

  // VmHWM of the broker is below `bound_mib` (already scaled by the caller if needed).
  void ExpectPeakRssBelow(int64_t bound_mib);
  int64_t CurrentRssKib();

  // A fresh pair of clients can subscribe, publish and receive.
  ::testing::AssertionResult ServerStillWorks(
      std::string_view connect_json = R"({"verbose":false,"pedantic":false})");

  // The broker is alive, then exits with status 0 on SIGINT.
  void ExpectCleanStop();

  // A connected client; nullptr plus a failure on error.
  std::unique_ptr<harness::RawClient> Client(
      std::string_view connect_json = R"({"verbose":false,"pedantic":false})",
      harness::ClientOptions options = {});

  // Log lines matching `regex` so far.
  int CountLogLines(std::string_view regex);

  std::vector<std::unique_ptr<harness::RawClient>> neighbours_;

 private:
  harness::ServerSpec spec_ = harness::ServerUnderTest();
  std::unique_ptr<harness::ServerProcess> server_;
  std::unique_ptr<NeighbourWatch> watch_;
  int health_checks_ = 0;
};

}  // namespace ringnats::adversarial
