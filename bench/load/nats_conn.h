#pragma once
// An established, non-blocking NATS client connection: buffered output, buffered input fed to
// the frame parser, over a plain socket or its TLS session. Server PINGs are answered here.
// Owned by one thread.

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "protocol.h"
#include "tls_client.h"

namespace ringnats::load {

enum class IoResult { kOk, kBlocked, kClosed };

class NatsConn {
 public:
  // Takes ownership of `fd` (already non-blocking) and of `ssl` (its TLS session, or null).
  // `initial_input` holds plaintext that arrived during the handshake.
  NatsConn(int fd, SSL* ssl, size_t read_capacity, std::string_view initial_input = {});
  ~NatsConn();
  NatsConn(const NatsConn&) = delete;
  NatsConn& operator=(const NatsConn&) = delete;

  int fd() const { return fd_; }
  bool closed() const { return fd_ < 0; }
  const std::string& error() const { return error_; }

  // Frames appended here go out on the next Flush().
  std::string& out() { return out_; }
  size_t pending() const { return out_.size() - out_offset_; }

  // Writes pending output: kOk when all of it went out, kBlocked when the socket is full.
  IoResult Flush();

  // Reads what the socket has (up to `max_reads` reads) and hands each frame to the sink
  // (see ParseServerFrames). kBlocked means "nothing more to read now".
  template <typename Sink>
  IoResult Receive(Sink& sink, int max_reads = 4);

  void Close();

 private:
  template <typename Sink>
  struct PingAnswering {
    NatsConn* conn;
    Sink* sink;
    bool Stopped() const { return false; }
    void OnMsg(const MsgView& m) { sink->OnMsg(m); }
    void OnPing() { conn->out_.append("PONG\r\n"); }
    void OnPong() { sink->OnPong(); }
    void OnOk() {}
    void OnErr(std::string_view text) { sink->OnErr(text); }
    void OnInfo(std::string_view) {}
  };

  // Parses buffered input; false on a protocol error.
  template <typename Sink>
  bool ParseBuffered(Sink& sink);
  void Fail(std::string error);

  int fd_;
  SSL* ssl_;
  std::string out_;
  size_t out_offset_ = 0;
  std::vector<char> in_;
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
  std::string error_;
};

template <typename Sink>
bool NatsConn::ParseBuffered(Sink& sink) {
  PingAnswering<Sink> wrapper{this, &sink};
  ParseResult r =
      ParseServerFrames(std::string_view(in_.data() + in_begin_, in_end_ - in_begin_), wrapper);
  in_begin_ += r.consumed;
  if (r.error) {
    Fail("protocol error from server");
    return false;
  }
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
  } else if (in_end_ == in_.size()) {
    // A partial frame sits at the end of the buffer: move it to the front, and grow the
    // buffer if the frame is larger than the whole buffer.
    size_t partial = in_end_ - in_begin_;
    if (in_begin_ > 0) {
      std::memmove(in_.data(), in_.data() + in_begin_, partial);
      in_begin_ = 0;
      in_end_ = partial;
    } else {
      in_.resize(in_.size() * 2);
    }
  }
  return true;
}

template <typename Sink>
IoResult NatsConn::Receive(Sink& sink, int max_reads) {
  if (fd_ < 0) return IoResult::kClosed;
  // Plaintext left inside the TLS session raises no epoll event: read it now.
  for (int i = 0; i < max_reads || HasBufferedInput(ssl_); ++i) {
    ssize_t n = ReadSome(fd_, ssl_, in_.data() + in_end_, in_.size() - in_end_);
    if (n > 0) {
      in_end_ += static_cast<size_t>(n);
      if (!ParseBuffered(sink)) return IoResult::kClosed;
      continue;
    }
    if (n == 0) {
      Fail("connection closed by server");
      return IoResult::kClosed;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult::kBlocked;
    Fail(errno == EPROTO ? "TLS: " + TlsError() : std::string("recv: ") + std::strerror(errno));
    return IoResult::kClosed;
  }
  return IoResult::kOk;
}

}  // namespace ringnats::load
