#pragma once
// A byte-level NATS client for protocol tests: it sends exactly the bytes a test gives it and
// lets the test assert on exactly the bytes the server returns.
//
// Synchronisation is by protocol round trip (PING → PONG), never by sleeping: every timeout
// here is a guard that turns a hang into a failure. All methods that wait take a deadline
// and use poll(2) on a non-blocking socket.
//
// Server PINGs: nats-server pings every client about 2 s after CONNECT, whatever the
// configuration. With `answer_pings` (the default) whole `PING\r\n` frames from the server
// are answered with PONG and hidden from the test, so slow machines do not make byte-exact
// expectations flaky. Tests of the keepalive itself turn it off.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "harness/server_frames.h"

namespace ringnats::harness {

inline constexpr std::chrono::milliseconds kIoTimeout{5000};

// What a RawClient reads and writes through once the connection was upgraded (TLS, see
// tls_client.h) instead of recv/send on fd(). Same contract as those on a non-blocking socket:
// > 0 bytes, 0 at the end of the stream, -1 with errno set (EAGAIN: wait for the socket).
class ByteTransport {
 public:
  virtual ~ByteTransport() = default;
  virtual ssize_t Receive(char* data, size_t size) = 0;
  virtual ssize_t Transmit(const char* data, size_t size) = 0;
  // Bytes already received and decoded: a read must not wait on the socket while there are.
  virtual bool HasPending() const = 0;
  // Why the last Receive/Transmit failed, for failure messages.
  virtual std::string LastError() const = 0;
};

struct ClientOptions {
  bool answer_pings = true;
  // SO_RCVBUF set before connect (0 = kernel default). A small value makes a client that
  // never reads become a slow consumer quickly.
  int receive_buffer = 0;
};

class RawClient {
 public:
  using Duration = std::chrono::milliseconds;

  static absl::StatusOr<std::unique_ptr<RawClient>> Connect(int port, ClientOptions options = {});

  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  ~RawClient();

  // Writes all of `bytes` (waiting for socket space up to `timeout`).
  ::testing::AssertionResult Send(std::string_view bytes, Duration timeout = kIoTimeout);

  // Reads the INFO line; checks `INFO <json> \r\n` (note the space) and that the JSON is an
  // object. Outputs are optional.
  ::testing::AssertionResult ReadInfo(nlohmann::ordered_json* info = nullptr,
                                      std::string* line = nullptr, Duration timeout = kIoTimeout);

  // The next bytes must be exactly `bytes`.
  ::testing::AssertionResult Expect(std::string_view bytes, Duration timeout = kIoTimeout);

  // The next line (up to LF, CRLF/LF stripped) must fully match `regex` (ECMAScript).
  ::testing::AssertionResult ExpectLine(std::string_view regex, std::string* line = nullptr,
                                        Duration timeout = kIoTimeout);

  // Reads exactly `n` bytes.
  ::testing::AssertionResult ReadBytes(size_t n, std::string* out, Duration timeout = kIoTimeout);

  // Reads until `done(all unconsumed bytes)` is true, then hands over all of them.
  ::testing::AssertionResult ReadUntil(const std::function<bool(std::string_view)>& done,
                                       std::string* out, Duration timeout = kIoTimeout);

  // Reads through the first occurrence of `needle`; `out` gets everything up to and
  // including it.
  ::testing::AssertionResult ReadThrough(std::string_view needle, std::string* out,
                                         Duration timeout = kIoTimeout);

  // The next frame must be a MSG or HMSG; it is parsed into `msg`.
  ::testing::AssertionResult ReadMsg(Msg* msg, Duration timeout = kIoTimeout);

  // The server must close the connection (EOF or ECONNRESET) after sending exactly `before`.
  ::testing::AssertionResult ExpectClosed(std::string_view before = "",
                                          Duration timeout = kIoTimeout);

  // Reads and discards everything until the server closes; `bytes_read` counts it all.
  ::testing::AssertionResult DrainUntilClosed(size_t* bytes_read, Duration timeout = kIoTimeout);

  // Nothing may arrive (and the connection must stay open) for `how_long`. Prefer Ping(),
  // which proves the same with a round trip instead of a wait.
  ::testing::AssertionResult ExpectNothing(Duration how_long);

  // Sends PING; the very next frame must be PONG. Proves that the server processed every
  // earlier byte from this client and had nothing else queued for it.
  ::testing::AssertionResult Ping(Duration timeout = kIoTimeout);

  // Sends PING and waits for its PONG. Unlike Ping(), bytes that arrive before the PONG are
  // fine: they stay buffered for later reads.
  ::testing::AssertionResult Sync(Duration timeout = kIoTimeout);

  // Sends PING and collects every byte the server sends before the PONG that answers it.
  // `earlier_pongs` is the number of PONG frames still due for PINGs the caller sent itself
  // (they stay in `before`). If the server closes first, `closed` is set and `before` holds
  // everything up to the close. Fails only on timeout.
  ::testing::AssertionResult PingCollect(std::string* before, bool* closed,
                                         Duration timeout = kIoTimeout, int earlier_pongs = 0);

  // Unconsumed bytes already received (does not wait).
  std::string TakeBuffered();

  // From now on every byte goes through `transport` (which works on fd()). Bytes received
  // and not yet consumed stay where they are.
  void Upgrade(std::unique_ptr<ByteTransport> transport) { transport_ = std::move(transport); }
  ByteTransport* transport() const { return transport_.get(); }

  // Half-close (FIN) and full close from the client side.
  void ShutdownWrite();
  void Close();

  bool eof() const { return eof_; }
  int pings_answered() const { return pings_answered_; }
  int fd() const { return fd_; }

 private:
  ::testing::AssertionResult SendAll(std::string_view bytes, Duration timeout);
  ssize_t RawSend(const char* data, size_t size);
  struct FrameMark {
    size_t end;  // absolute stream offset just past the frame
    bool is_pong;
  };

  explicit RawClient(int fd, ClientOptions options) : fd_(fd), options_(options) {}

  // Receives once. Returns false on timeout; true if bytes arrived or the stream ended.
  bool Fill(std::chrono::steady_clock::time_point deadline);
  void Ingest(std::string_view bytes);
  void Consume(size_t n);
  std::string Describe() const;

  int fd_ = -1;
  ClientOptions options_;
  std::unique_ptr<ByteTransport> transport_;
  FrameSplitter splitter_;
  std::string buffer_;   // received, unconsumed, frames already filtered
  size_t consumed_ = 0;  // absolute offset of buffer_[0] in the filtered stream
  std::deque<FrameMark> marks_;
  bool eof_ = false;
  std::string eof_reason_;
  int pings_answered_ = 0;
  bool sending_ = false;  // inside Send: answers to PINGs wait until the bytes are out
  int pongs_owed_ = 0;
};

// Connects, reads INFO, sends `connect_json` as CONNECT and checks the reply with a PING
// round trip (tolerating the +OK a verbose CONNECT produces). For the common setup step.
absl::StatusOr<std::unique_ptr<RawClient>> ConnectAndHandshake(
    int port, std::string_view connect_json = R"({"verbose":false,"pedantic":false})",
    ClientOptions options = {});

}  // namespace ringnats::harness
