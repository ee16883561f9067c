#include "harness/raw_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <regex>

#include "absl/strings/str_format.h"

namespace ringnats::harness {
namespace {

using Clock = std::chrono::steady_clock;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

constexpr std::string_view kPing = "PING\r\n";
constexpr std::string_view kPong = "PONG\r\n";

int MillisUntil(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawClient>> RawClient::Connect(int port, ClientOptions options) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrFormat("socket: %s", std::strerror(errno)));
  }
  std::unique_ptr<RawClient> client(new RawClient(fd, options));
  if (options.receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer, sizeof(options.receive_buffer));
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return absl::UnavailableError(
        absl::StrFormat("connect to 127.0.0.1:%d: %s", port, std::strerror(errno)));
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return client;
}

RawClient::~RawClient() { Close(); }

void RawClient::Close() {
  transport_.reset();
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

void RawClient::ShutdownWrite() {
  if (fd_ >= 0) {
    shutdown(fd_, SHUT_WR);
  }
}

void RawClient::Ingest(std::string_view bytes) {
  splitter_.Append(bytes);
  while (std::optional<std::string> frame = splitter_.Next()) {
    if (options_.answer_pings && *frame == kPing) {
      ++pings_answered_;
      if (sending_) {
        // A PONG written now would land inside the half-sent bytes of Send.
        ++pongs_owed_;
      } else {
        (void)RawSend(kPong.data(), kPong.size());
      }
      continue;
    }
    buffer_ += *frame;
    marks_.push_back({consumed_ + buffer_.size(), *frame == kPong});
  }
}

void RawClient::Consume(size_t n) {
  buffer_.erase(0, n);
  consumed_ += n;
  while (!marks_.empty() && marks_.front().end <= consumed_) {
    marks_.pop_front();
  }
}

bool RawClient::Fill(Clock::time_point deadline) {
  if (eof_) {
    return true;
  }
  if (fd_ < 0) {
    eof_ = true;
    eof_reason_ = "closed by the test";
    return true;
  }
  if (transport_ == nullptr || !transport_->HasPending()) {
    pollfd pfd = {fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, MillisUntil(deadline));
    if (ready == 0) {
      return false;
    }
    if (ready < 0) {
      return errno == EINTR;
    }
  }
  char chunk[65536];
  const ssize_t n = transport_ != nullptr ? transport_->Receive(chunk, sizeof(chunk))
                                          : recv(fd_, chunk, sizeof(chunk), 0);
  if (n > 0) {
    Ingest(std::string_view(chunk, static_cast<size_t>(n)));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    return true;
  }
  eof_ = true;
  eof_reason_ = transport_ != nullptr ? transport_->LastError()
                : n == 0              ? "EOF"
                                      : std::strerror(errno);
  // An incomplete frame before the close is still something the server sent.
  std::string rest = splitter_.TakeRest();
  if (!rest.empty()) {
    buffer_ += rest;
    marks_.push_back({consumed_ + buffer_.size(), false});
  }
  return true;
}

std::string RawClient::Describe() const {
  std::string text = absl::StrFormat("unconsumed bytes: \"%s\"", Escape(buffer_));
  if (eof_) {
    text += absl::StrFormat("; connection closed (%s)", eof_reason_);
  }
  return text;
}

std::string RawClient::TakeBuffered() {
  std::string out = buffer_;
  Consume(buffer_.size());
  return out;
}

AssertionResult RawClient::Send(std::string_view bytes, Duration timeout) {
  sending_ = true;
  AssertionResult sent = SendAll(bytes, timeout);
  sending_ = false;
  if (sent && pongs_owed_ > 0) {
    std::string pongs;
    for (; pongs_owed_ > 0; --pongs_owed_) pongs += kPong;
    sent = Send(pongs, timeout);  // PINGs that arrive meanwhile are owed again
  }
  return sent;
}

AssertionResult RawClient::SendAll(std::string_view bytes, Duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    if (fd_ < 0) {
      return AssertionFailure() << "send on a closed client";
    }
    const ssize_t n = RawSend(bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return AssertionFailure() << "send failed: "
                                << (transport_ != nullptr ? transport_->LastError()
                                                          : std::strerror(errno))
                                << " with " << bytes.size() << " bytes left";
    }
    // Keep reading while the server is not reading from us, so neither side can block the
    // other with full buffers.
    pollfd pfd = {fd_, static_cast<int16_t>(POLLOUT | (eof_ ? 0 : POLLIN)), 0};
    const int ready = poll(&pfd, 1, MillisUntil(deadline));
    if (ready == 0) {
      return AssertionFailure() << "send timed out with " << bytes.size() << " bytes left";
    }
    if (ready > 0 && (pfd.revents & POLLIN) != 0) {
      Fill(Clock::now());
    }
  }
  return AssertionSuccess();
}

ssize_t RawClient::RawSend(const char* data, size_t size) {
  return transport_ != nullptr ? transport_->Transmit(data, size)
                               : send(fd_, data, size, MSG_NOSIGNAL);
}

AssertionResult RawClient::ReadInfo(nlohmann::ordered_json* info, std::string* line,
                                    Duration timeout) {
  std::string raw;
  if (AssertionResult result = ReadThrough("\n", &raw, timeout); !result) {
    return result;
  }
  if (line != nullptr) {
    *line = raw;
  }
  constexpr std::string_view kPrefix = "INFO ";
  constexpr std::string_view kSuffix = " \r\n";
  if (!raw.starts_with(kPrefix) || !raw.ends_with(kSuffix)) {
    return AssertionFailure() << "not an `INFO <json> \\r\\n` line: \"" << Escape(raw) << "\"";
  }
  const std::string json = raw.substr(kPrefix.size(), raw.size() - kPrefix.size() - kSuffix.size());
  nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(json, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return AssertionFailure() << "INFO payload is not a JSON object: " << json;
  }
  if (info != nullptr) {
    *info = std::move(parsed);
  }
  return AssertionSuccess();
}

AssertionResult RawClient::Expect(std::string_view bytes, Duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    const size_t have = std::min(buffer_.size(), bytes.size());
    if (std::string_view(buffer_).substr(0, have) != bytes.substr(0, have)) {
      return AssertionFailure() << "expected \"" << Escape(bytes) << "\"; " << Describe();
    }
    if (have == bytes.size()) {
      Consume(bytes.size());
      return AssertionSuccess();
    }
    if (eof_ || !Fill(deadline)) {
      return AssertionFailure() << "expected \"" << Escape(bytes) << "\" "
                                << (eof_ ? "" : "(timed out) ") << "; " << Describe();
    }
  }
}

AssertionResult RawClient::ExpectLine(std::string_view regex, std::string* line, Duration timeout) {
  std::string raw;
  if (AssertionResult result = ReadThrough("\n", &raw, timeout); !result) {
    return result << " (expected a line matching /" << regex << "/)";
  }
  while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) {
    raw.pop_back();
  }
  if (line != nullptr) {
    *line = raw;
  }
  if (!std::regex_match(raw, std::regex(std::string(regex)))) {
    return AssertionFailure() << "line \"" << Escape(raw) << "\" does not match /" << regex << "/";
  }
  return AssertionSuccess();
}

AssertionResult RawClient::ReadBytes(size_t n, std::string* out, Duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (buffer_.size() < n) {
    if (eof_ || !Fill(deadline)) {
      return AssertionFailure() << "wanted " << n << " bytes" << (eof_ ? "" : " (timed out)")
                                << "; " << Describe();
    }
  }
  *out = buffer_.substr(0, n);
  Consume(n);
  return AssertionSuccess();
}

AssertionResult RawClient::ReadUntil(const std::function<bool(std::string_view)>& done,
                                     std::string* out, Duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!done(buffer_)) {
    if (eof_ || !Fill(deadline)) {
      return AssertionFailure() << "condition not reached" << (eof_ ? "" : " (timed out)") << "; "
                                << Describe();
    }
  }
  *out = TakeBuffered();
  return AssertionSuccess();
}

AssertionResult RawClient::ReadThrough(std::string_view needle, std::string* out,
                                       Duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  size_t found;
  while ((found = buffer_.find(needle)) == std::string::npos) {
    if (eof_ || !Fill(deadline)) {
      return AssertionFailure() << "no \"" << Escape(needle) << "\"" << (eof_ ? "" : " (timed out)")
                                << "; " << Describe();
    }
  }
  const size_t n = found + needle.size();
  *out = buffer_.substr(0, n);
  Consume(n);
  return AssertionSuccess();
}

AssertionResult RawClient::ReadMsg(Msg* msg, Duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (marks_.empty()) {
    if (eof_ || !Fill(deadline)) {
      return AssertionFailure() << "expected MSG/HMSG" << (eof_ ? "" : " (timed out)") << "; "
                                << Describe();
    }
  }
  const size_t frame_size = marks_.front().end - consumed_;
  std::optional<Msg> parsed = ParseMsg(std::string_view(buffer_).substr(0, frame_size));
  if (!parsed) {
    return AssertionFailure() << "expected MSG/HMSG, got \""
                              << Escape(std::string_view(buffer_).substr(0, frame_size)) << "\"";
  }
  *msg = std::move(*parsed);
  Consume(frame_size);
  return AssertionSuccess();
}

AssertionResult RawClient::ExpectClosed(std::string_view before, Duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    const bool prefix_ok = std::string_view(before).substr(0, buffer_.size()) == buffer_;
    if (!prefix_ok || buffer_.size() > before.size()) {
      return AssertionFailure() << "expected \"" << Escape(before) << "\" then close; "
                                << Describe();
    }
    if (eof_) {
      if (buffer_.size() != before.size()) {
        return AssertionFailure() << "expected \"" << Escape(before) << "\" then close; "
                                  << Describe();
      }
      Consume(buffer_.size());
      return AssertionSuccess();
    }
    if (!Fill(deadline)) {
      return AssertionFailure() << "connection still open after " << timeout.count()
                                << " ms (expected \"" << Escape(before) << "\" then close); "
                                << Describe();
    }
  }
}

AssertionResult RawClient::DrainUntilClosed(size_t* bytes_read, Duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  size_t total = 0;
  while (true) {
    total += buffer_.size();
    Consume(buffer_.size());
    if (eof_) {
      break;
    }
    if (!Fill(deadline)) {
      if (bytes_read != nullptr) {
        *bytes_read = total;
      }
      return AssertionFailure() << "connection still open after " << timeout.count() << " ms; "
                                << total << " bytes read";
    }
  }
  if (bytes_read != nullptr) {
    *bytes_read = total;
  }
  return AssertionSuccess();
}

AssertionResult RawClient::ExpectNothing(Duration how_long) {
  const Clock::time_point deadline = Clock::now() + how_long;
  while (buffer_.empty() && !eof_ && Clock::now() < deadline) {
    Fill(deadline);
  }
  if (!buffer_.empty() || eof_) {
    return AssertionFailure() << "expected silence; " << Describe();
  }
  return AssertionSuccess();
}

AssertionResult RawClient::PingCollect(std::string* before, bool* closed, Duration timeout,
                                       int earlier_pongs) {
  const Clock::time_point deadline = Clock::now() + timeout;
  // A failed send means the server already closed; reading tells the rest.
  (void)Send(kPing, timeout);
  while (true) {
    int pongs_seen = 0;
    for (const FrameMark& mark : marks_) {
      if (mark.is_pong && mark.end >= consumed_ + kPong.size() && pongs_seen++ == earlier_pongs) {
        const size_t pong_start = mark.end - kPong.size() - consumed_;
        *before = buffer_.substr(0, pong_start);
        *closed = false;
        Consume(mark.end - consumed_);
        return AssertionSuccess();
      }
    }
    if (eof_) {
      *before = TakeBuffered();
      *closed = true;
      return AssertionSuccess();
    }
    if (!Fill(deadline)) {
      return AssertionFailure() << "no PONG and no close within " << timeout.count() << " ms; "
                                << Describe();
    }
  }
}

AssertionResult RawClient::Sync(Duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  // Only a PONG that arrives after this call's PING can answer it.
  const size_t seen = consumed_ + buffer_.size();
  if (AssertionResult result = Send(kPing, timeout); !result) {
    return result;
  }
  while (true) {
    for (auto it = marks_.begin(); it != marks_.end(); ++it) {
      if (it->is_pong && it->end > seen) {
        const size_t pong_start = it->end - kPong.size() - consumed_;
        buffer_.erase(pong_start, kPong.size());
        for (auto later = it + 1; later != marks_.end(); ++later) {
          later->end -= kPong.size();
        }
        marks_.erase(it);
        return AssertionSuccess();
      }
    }
    if (eof_ || !Fill(deadline)) {
      return AssertionFailure() << "no PONG" << (eof_ ? "" : " (timed out)") << "; " << Describe();
    }
  }
}

AssertionResult RawClient::Ping(Duration timeout) {
  std::string before;
  bool closed = false;
  if (AssertionResult result = PingCollect(&before, &closed, timeout); !result) {
    return result;
  }
  if (closed || !before.empty()) {
    return AssertionFailure() << "expected only PONG, got \"" << Escape(before) << "\""
                              << (closed ? " and the connection closed" : "");
  }
  return AssertionSuccess();
}

absl::StatusOr<std::unique_ptr<RawClient>> ConnectAndHandshake(int port,
                                                               std::string_view connect_json,
                                                               ClientOptions options) {
  absl::StatusOr<std::unique_ptr<RawClient>> client = RawClient::Connect(port, options);
  if (!client.ok()) {
    return client;
  }
  RawClient& c = **client;
  if (AssertionResult result = c.ReadInfo(); !result) {
    return absl::InternalError(result.message());
  }
  if (AssertionResult result = c.Send(absl::StrFormat("CONNECT %s\r\n", connect_json)); !result) {
    return absl::InternalError(result.message());
  }
  std::string before;
  bool closed = false;
  if (AssertionResult result = c.PingCollect(&before, &closed); !result) {
    return absl::InternalError(result.message());
  }
  if (closed || (!before.empty() && before != "+OK\r\n")) {
    return absl::InternalError(absl::StrFormat("CONNECT %s answered with \"%s\"%s", connect_json,
                                               Escape(before), closed ? " and close" : ""));
  }
  return client;
}

}  // namespace ringnats::harness
