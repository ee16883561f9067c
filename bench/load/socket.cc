#include "socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "clock.h"
#include "protocol.h"

namespace ringnats::load {
namespace {

absl::Status Errno(std::string_view what) {
  return absl::UnavailableError(absl::StrFormat("%s: %s", what, std::strerror(errno)));
}

// Collects the outcome of the handshake's frames.
struct HandshakeSink {
  bool got_info = false;
  bool got_pong = false;
  bool got_ping = false;
  std::string err;
  bool Stopped() const { return got_pong || !err.empty(); }
  void OnMsg(const MsgView&) { err = "unexpected MSG during setup"; }
  void OnPing() { got_ping = true; }
  void OnPong() { got_pong = true; }
  void OnOk() {}
  void OnErr(std::string_view text) { err = absl::StrFormat("-ERR '%s'", text); }
  void OnInfo(std::string_view) { got_info = true; }
};

absl::Status IoError(std::string_view what) {
  if (errno == EPROTO) return absl::UnavailableError(absl::StrFormat("TLS: %s", TlsError()));
  return Errno(what);
}

absl::Status WriteAll(int fd, SSL* ssl, std::string_view data, int64_t deadline) {
  while (!data.empty()) {
    ssize_t n = WriteSome(fd, ssl, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int64_t left = deadline - NowNs();
      if (left <= 0) return absl::DeadlineExceededError("write timed out");
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, static_cast<int>(left / kNsPerMs) + 1);
      continue;
    }
    return IoError("send");
  }
  return absl::OkStatus();
}

// Reads and parses until the sink stops; leftover bytes stay in `buf`.
absl::Status ReadUntil(int fd, SSL* ssl, HandshakeSink& sink, std::string& buf, int64_t deadline,
                       bool want_info) {
  char chunk[16384];
  while (true) {
    ParseResult r = ParseServerFrames(buf, sink);
    buf.erase(0, r.consumed);
    if (!sink.err.empty()) return absl::PermissionDeniedError(sink.err);
    if (r.error) return absl::DataLossError("protocol error from server");
    if (sink.got_ping) {
      sink.got_ping = false;
      if (absl::Status s = WriteAll(fd, ssl, "PONG\r\n", deadline); !s.ok()) return s;
    }
    if (want_info ? sink.got_info : sink.got_pong) return absl::OkStatus();
    int64_t left = deadline - NowNs();
    if (left <= 0) return absl::DeadlineExceededError("handshake timed out");
    if (!HasBufferedInput(ssl)) {
      pollfd p{fd, POLLIN, 0};
      int pr = ::poll(&p, 1, static_cast<int>(left / kNsPerMs) + 1);
      if (pr < 0 && errno != EINTR) return Errno("poll");
      if (pr <= 0) continue;
    }
    ssize_t n = ReadSome(fd, ssl, chunk, sizeof(chunk));
    if (n == 0) return absl::UnavailableError("connection closed by server");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return IoError("recv");
    }
    buf.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

absl::StatusOr<int> ConnectTcp(const std::string& host, uint16_t port, bool nonblocking,
                               const std::string& source_ip) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrFormat("not an IPv4 address: %s", host));
  }
  int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
  int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) return Errno("socket");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!source_ip.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, source_ip.c_str(), &local.sin_addr) != 1) {
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrFormat("not an IPv4 address: %s", source_ip));
    }
    // Without this, bind() would pick the port before the destination is known and one
    // source address could not exceed the ephemeral range across all destinations.
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      absl::Status s = Errno("bind");
      ::close(fd);
      return s;
    }
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
      !(nonblocking && errno == EINPROGRESS)) {
    absl::Status s = Errno("connect");
    ::close(fd);
    return s;
  }
  return fd;
}

absl::Status CheckConnected(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return Errno("getsockopt");
  if (err != 0) {
    return absl::UnavailableError(absl::StrFormat("connect: %s", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return Errno("fcntl");
  return absl::OkStatus();
}

absl::Status BlockingHandshake(int fd, const TlsContext* tls, SSL** ssl,
                               std::string_view connect_frame, std::string_view setup,
                               double timeout_s, std::string* leftover) {
  int64_t deadline = NowNs() + static_cast<int64_t>(timeout_s * kNsPerSec);
  std::string buf;
  HandshakeSink info_sink;
  if (absl::Status s = ReadUntil(fd, nullptr, info_sink, buf, deadline, true); !s.ok()) return s;
  if (tls != nullptr) {
    // The server sends nothing after INFO until the client's hello, so `buf` is empty here.
    *ssl = tls->NewSession(fd);
    if (*ssl == nullptr) return absl::InternalError("SSL_new: " + TlsError());
    ERR_clear_error();
    if (SSL_connect(*ssl) != 1) {  // the socket is still blocking
      return absl::UnavailableError(absl::StrFormat("TLS handshake: %s", TlsError()));
    }
  }
  SSL* session = tls != nullptr ? *ssl : nullptr;
  std::string out(connect_frame);
  out.append(setup);
  out.append("PING\r\n");
  if (absl::Status s = WriteAll(fd, session, out, deadline); !s.ok()) return s;
  HandshakeSink pong_sink;
  if (absl::Status s = ReadUntil(fd, session, pong_sink, buf, deadline, false); !s.ok()) {
    return s;
  }
  leftover->append(buf);
  return absl::OkStatus();
}

absl::Status BlockingPingPong(int fd, double timeout_s, std::string* leftover) {
  int64_t deadline = NowNs() + static_cast<int64_t>(timeout_s * kNsPerSec);
  if (absl::Status s = WriteAll(fd, nullptr, "PING\r\n", deadline); !s.ok()) return s;
  std::string buf = std::move(*leftover);
  leftover->clear();
  HandshakeSink sink;
  if (absl::Status s = ReadUntil(fd, nullptr, sink, buf, deadline, false); !s.ok()) return s;
  leftover->append(buf);
  return absl::OkStatus();
}

absl::StatusOr<Link> ConnectForRun(const Options& o, std::string_view name, std::string_view setup,
                                   double timeout_s, std::string* leftover) {
  absl::StatusOr<int> fd = ConnectTcp(o.host, o.port, false);
  if (!fd.ok()) return fd.status();
  Link link{*fd, nullptr};
  absl::Status s = BlockingHandshake(link.fd, TlsFor(o), &link.ssl,
                                     ConnectFrame(o.credentials, name), setup, timeout_s, leftover);
  if (s.ok()) s = SetNonBlocking(link.fd);
  if (!s.ok()) {
    SSL_free(link.ssl);
    ::close(link.fd);
    return absl::Status(s.code(), absl::StrFormat("%s: %s", name, s.message()));
  }
  return link;
}

}  // namespace ringnats::load
