#include "https_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "ringnats/tls/context.h"
#include "ringnats/tls/engine.h"
#include "ringnats/util/log.h"
#include "socket_io.h"

namespace ringnats::monitor {
namespace {

constexpr size_t kChunk = 16 * 1024;

// What Go's HTTP server writes, unencrypted, to a client that speaks plain HTTP to a TLS port
// (nats-server's https monitor does the same), when the first five bytes are one of these.
constexpr std::string_view kHttpOnHttpsAnswer =
    "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
bool LooksLikeHttp(std::string_view first_five) {
  return first_five == "GET /" || first_five == "HEAD " || first_five == "POST " ||
         first_five == "PUT /" || first_five == "OPTIO";
}

// One accepted socket and its engine, driven with blocking calls bounded by poll().
class TlsConnection {
 public:
  // `listening`: the server's listening socket, INVALID_SOCKET once Stop was called; a wait
  // for the peer to send ends then, so a silent peer does not hold Stop for a whole timeout
  // (a wait to send does not: Stop lets answers in flight finish).
  TlsConnection(int fd, tls::Engine engine, int read_millis, int write_millis,
                const std::atomic<socket_t>* listening)
      : fd_(fd),
        engine_(std::move(engine)),
        read_millis_(read_millis),
        write_millis_(write_millis),
        listening_(listening) {}

  tls::Engine& engine() { return engine_; }
  int fd() const { return fd_; }
  const std::string& first_bytes() const { return first_bytes_; }
  bool timed_out() const { return timed_out_; }
  bool stopping() const { return *listening_ == INVALID_SOCKET; }

  bool Wait(short events, int millis) { return WaitReady(fd_, events, millis, *listening_); }

  // Sends every byte of ciphertext the engine has (flights, alerts, records).
  bool Flush() {
    while (engine_.HasCiphertext()) {
      const size_t got = engine_.TakeCiphertext(out_, sizeof(out_));
      if (!SendAll(fd_, out_, got, write_millis_, *listening_)) return false;
    }
    return true;
  }

  // One recv into the engine (EOF included); false on a timeout or a socket error.
  bool Receive(int millis) {
    if (!Wait(POLLIN, millis)) {
      timed_out_ = true;
      return false;
    }
    while (true) {
      const ssize_t n = recv(fd_, in_, sizeof(in_), MSG_DONTWAIT);
      if (n > 0) {
        const std::string_view data(in_, static_cast<size_t>(n));
        if (first_bytes_.size() < 5) {
          first_bytes_.append(data.substr(0, 5 - first_bytes_.size()));
        }
        engine_.Feed(data);
        return true;
      }
      if (n == 0) {
        engine_.FeedEof();
        return true;
      }
      if (errno == EINTR) continue;
      // Readable but nothing there (spurious wake-up): the caller waits again.
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }

  // True once established; false when the engine failed, the peer went or a wait timed out.
  // The handshake as a whole gets a request's time: a ClientHello sent a byte at a time must
  // not hold the thread.
  bool Handshake() {
    RequestReadBudget budget;
    budget.Start();
    while (true) {
      engine_.Advance();
      if (!Flush()) return false;
      if (!engine_.handshaking()) return engine_.established();
      if (!Receive(budget.WaitMillis(read_millis_))) return false;
      if (engine_.failed()) {
        Flush();  // an alert, if the engine has one
        return false;
      }
    }
  }

  // Decrypted bytes ready to be read without waiting.
  bool HasPlaintext() const { return plain_offset_ < plain_.size(); }

  // Like recv(): >0 bytes, 0 at the peer's end, -1 on an error, a timeout or once `budget`
  // (the request's) is spent, also in the middle of a record.
  ssize_t Read(char* buffer, size_t size, const RequestReadBudget& budget) {
    while (true) {
      if (HasPlaintext()) {
        const size_t n = std::min(size, plain_.size() - plain_offset_);
        std::memcpy(buffer, plain_.data() + plain_offset_, n);
        plain_offset_ += n;
        if (plain_offset_ == plain_.size()) {
          plain_.clear();
          plain_offset_ = 0;
        }
        return static_cast<ssize_t>(n);
      }
      if (engine_.established()) {
        const size_t got = engine_.ReadPlaintext(&plain_);
        if (!Flush()) return -1;  // KeyUpdate replies, alerts
        if (got > 0) continue;
      }
      if (engine_.peer_closed()) return 0;
      if (!engine_.established()) return -1;
      if (!budget.Allows() || !Receive(budget.WaitMillis(read_millis_))) return -1;
    }
  }

  ssize_t Write(const char* data, size_t size) {
    size_t done = 0;
    while (done < size) {
      if (!engine_.established()) return -1;
      const size_t n = engine_.WritePlaintext(std::string_view(data + done, size - done));
      done += n;
      const bool had_ciphertext = engine_.HasCiphertext();
      if (!Flush()) return -1;
      if (n == 0 && !had_ciphertext) return -1;  // nothing taken and nothing to make room for
    }
    return static_cast<ssize_t>(size);
  }

 private:
  const int fd_;
  tls::Engine engine_;
  const int read_millis_;
  const int write_millis_;
  const std::atomic<socket_t>* const listening_;
  std::string first_bytes_;
  bool timed_out_ = false;
  std::string plain_;
  size_t plain_offset_ = 0;
  char in_[kChunk];
  char out_[kChunk];
};

class TlsStream final : public httplib::Stream {
 public:
  TlsStream(TlsConnection* connection, int read_millis, int write_millis)
      : connection_(connection), read_millis_(read_millis), write_millis_(write_millis) {}

  bool is_readable() const override {
    return connection_->HasPlaintext() || connection_->engine().HasInput() ||
           connection_->Wait(POLLIN, read_millis_);
  }
  bool is_writable() const override { return connection_->Wait(POLLOUT, write_millis_); }
  ssize_t read(char* ptr, size_t size) override {
    if (!budget_.Allows()) return -1;
    const ssize_t n = connection_->Read(ptr, size, budget_);
    if (n > 0) budget_.Count(static_cast<size_t>(n));
    return n;
  }
  RequestReadBudget& budget() { return budget_; }
  ssize_t write(const char* ptr, size_t size) override { return connection_->Write(ptr, size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    SplitAddress(Address(connection_->fd(), true), ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    SplitAddress(Address(connection_->fd(), false), ip, port);
  }
  socket_t socket() const override { return connection_->fd(); }

 private:
  TlsConnection* const connection_;
  const int read_millis_;
  const int write_millis_;
  RequestReadBudget budget_;
};

}  // namespace

HttpsServer::HttpsServer(ContextSource source, std::shared_ptr<const tls::ServerContext> initial,
                         std::function<void()> on_connection)
    : source_(std::move(source)),
      initial_(std::move(initial)),
      on_connection_(std::move(on_connection)) {}

bool HttpsServer::process_and_close_socket(socket_t sock) {
  if (on_connection_) on_connection_();
  const int read_millis = Millis(read_timeout_sec_, read_timeout_usec_);
  const int write_millis = Millis(write_timeout_sec_, write_timeout_usec_);
  std::shared_ptr<const tls::ServerContext> context = source_ ? source_() : nullptr;
  if (context == nullptr) context = initial_;

  bool served = false;
  absl::StatusOr<tls::Engine> engine = tls::Engine::NewServer(std::move(context));
  if (!engine.ok()) {
    log::Error("monitoring: TLS handshake error from %s: %s", Address(sock, true),
               engine.status().message());
  } else {
    TlsConnection connection(sock, *std::move(engine), read_millis, write_millis, &svr_sock_);
    if (!connection.Handshake()) {
      const tls::Engine& failed = connection.engine();
      if (failed.error_kind() == tls::Engine::ErrorKind::kNotTls &&
          LooksLikeHttp(connection.first_bytes())) {
        (void)send(sock, kHttpOnHttpsAnswer.data(), kHttpOnHttpsAnswer.size(), MSG_NOSIGNAL);
      } else {
        // Go's http.Server logs every failed handshake this way; nats-server passes it on as
        // an error with its "monitoring: " prefix.
        const std::string why = failed.failed()          ? failed.error()
                                : connection.timed_out() ? std::string("i/o timeout")
                                                         : std::string("EOF");
        if (!connection.stopping()) {
          log::Error("monitoring: TLS handshake error from %s: %s", Address(sock, true), why);
        }
      }
    } else {
      TlsStream stream(&connection, read_millis, write_millis);
      // cpp-httplib's keep-alive loop, with the wait for the next request cut short by Stop.
      for (size_t count = keep_alive_max_count_; count > 0; --count) {
        const int wait_millis = NextRequestWaitMillis(count == keep_alive_max_count_,
                                                      keep_alive_timeout_sec_, read_millis);
        const bool ready = connection.HasPlaintext() || connection.engine().HasInput() ||
                           connection.Wait(POLLIN, wait_millis);
        if (!ready || svr_sock_ == INVALID_SOCKET) break;
        stream.budget().Start();
        bool connection_closed = false;
        served = process_request(stream, count == 1, connection_closed, [](httplib::Request&) {});
        if (!served || connection_closed) break;
      }
      if (served && connection.engine().established()) {
        connection.engine().Shutdown();
        connection.Flush();
      }
    }
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return served;
}

}  // namespace ringnats::monitor
