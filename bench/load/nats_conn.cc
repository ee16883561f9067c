#include "nats_conn.h"

#include <algorithm>

namespace ringnats::load {
namespace {

// Below this many already-written bytes the output buffer is not compacted.
constexpr size_t kCompactThreshold = 64 * 1024;

}  // namespace

NatsConn::NatsConn(int fd, SSL* ssl, size_t read_capacity, std::string_view initial_input)
    : fd_(fd), ssl_(ssl), in_(std::max(read_capacity, initial_input.size() + 1024)) {
  std::memcpy(in_.data(), initial_input.data(), initial_input.size());
  in_end_ = initial_input.size();
}

NatsConn::~NatsConn() {
  Close();
}

void NatsConn::Close() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void NatsConn::Fail(std::string error) {
  if (error_.empty()) error_ = std::move(error);
  Close();
}

IoResult NatsConn::Flush() {
  if (fd_ < 0) return IoResult::kClosed;
  while (out_offset_ < out_.size()) {
    ssize_t n = WriteSome(fd_, ssl_, out_.data() + out_offset_, out_.size() - out_offset_);
    if (n > 0) {
      out_offset_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (out_offset_ >= kCompactThreshold) {
        out_.erase(0, out_offset_);
        out_offset_ = 0;
      }
      return IoResult::kBlocked;
    }
    Fail(errno == EPROTO ? "TLS: " + TlsError() : std::string("send: ") + std::strerror(errno));
    return IoResult::kClosed;
  }
  out_.clear();
  out_offset_ = 0;
  return IoResult::kOk;
}

}  // namespace ringnats::load
