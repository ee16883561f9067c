#include "ringnats/ring/event_loop.h"

#include <liburing.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "ringnats/util/check.h"
#include "ringnats/util/log.h"
#include "tls_layer.h"

namespace ringnats::ring {
namespace {

// user_data layout: tag in the top byte, connection generation (24 bits), slot (32 bits).
// Accepts carry the listener's index in the slot field.
enum class Tag : uint8_t {
  kAccept = 1,
  kRecv,
  kSend,
  kWakeEventfd,
  kDoorbell,
  kIgnore,  // a doorbell sent with CQE_SKIP_SUCCESS: only its failure comes back
  kHangup,
  kConnect,
  kConnectTimeout,
  kCancel,
};

uint64_t Pack(Tag tag, uint32_t slot = 0, uint32_t generation = 0) {
  return (uint64_t{static_cast<uint8_t>(tag)} << 56) | (uint64_t{generation & 0xffffff} << 32) |
         slot;
}
Tag TagOf(uint64_t data) {
  return static_cast<Tag>(data >> 56);
}
uint32_t SlotOf(uint64_t data) {
  return static_cast<uint32_t>(data);
}

constexpr unsigned kBufferGroup = 0;
// A group no buffer is ever given to: ProbeBurstLimit's receive fails with ENOBUFS there.
constexpr unsigned kProbeBufferGroup = 1;
// Receive buffer size without a streaming burst bound (LoopSettings::buffer_size).
constexpr unsigned kUnboundedStreamingBufferSize = 16 * 1024;
// The most entries a provided-buffer ring may have.
constexpr uint64_t kMaxProvidedBuffers = 32768;
constexpr size_t kMaxIovecs = 64;
// Ciphertext a TLS connection may have queued for its socket before more of its plaintext is
// encrypted: encryption keeps pace with the socket instead of running ahead of it.
constexpr size_t kTlsWireHighWater = 256 * 1024;

absl::Status ErrnoStatus(const char* what, int error) {
  return absl::ErrnoToStatus(error, absl::StrFormat("%s: %s", what, strerror(error)));
}

// The total a multishot receive may deliver before it ends without IORING_CQE_F_MORE.
// Newer headers call this field optlen; liburing 2.3's names it file_index.
void SetBurstLimit(io_uring_sqe* sqe, unsigned bytes) {
  sqe->file_index = bytes;
}

// Whether the kernel takes a total limit on a multishot receive (Linux 6.17+): older ones
// refuse it with EINVAL when the receive is prepared. Probed with a byte waiting in a
// socketpair and no buffer to put it in, so the receive ends at once either way.
absl::StatusOr<bool> ProbeBurstLimit(io_uring* ring) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return ErrnoStatus("socketpair", errno);
  }
  absl::Cleanup close_pair = [&pair] {
    for (int fd : pair) {
      if (::close(fd) != 0) log::Debug("close: %s", strerror(errno));
    }
  };
  if (::write(pair[1], "x", 1) != 1) {
    return ErrnoStatus("socketpair write", errno);
  }
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  RN_CHECK(sqe != nullptr);
  io_uring_prep_recv_multishot(sqe, pair[0], nullptr, 0, 0);
  SetBurstLimit(sqe, 1);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kProbeBufferGroup;
  io_uring_sqe_set_data64(sqe, 0);
  io_uring_cqe* cqe = nullptr;
  const int rc = io_uring_submit_and_wait(ring, 1);
  if (rc < 0) return ErrnoStatus("io_uring_enter", -rc);
  const int wait = io_uring_peek_cqe(ring, &cqe);
  if (wait < 0) return ErrnoStatus("io_uring_peek_cqe", -wait);
  const int res = cqe->res;
  const bool more = cqe->flags & IORING_CQE_F_MORE;
  io_uring_cqe_seen(ring, cqe);
  RN_CHECK(!more);
  return res != -EINVAL;
}

}  // namespace

void LoopHandler::OnConnected(ConnId /*id*/, uint64_t tag) {
  log::Error("connect %u finished, but the loop's handler does not take connections", tag);
  RN_CHECK(!"LoopHandler::OnConnected must be overridden by handlers that call Connect");
}

void LoopHandler::OnConnectFailed(uint64_t tag, int error) {
  log::Error("connect %u failed (%s), but the loop's handler does not take connections", tag,
             strerror(error));
  RN_CHECK(!"LoopHandler::OnConnectFailed must be overridden by handlers that call Connect");
}

int64_t MonotonicNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct Conn {
  explicit Conn(ChunkPool* pool) : out(pool) {}
  int fd = -1;
  uint32_t generation = 0;
  bool in_use = false;
  bool recv_armed = false;
  bool recv_paused = false;
  bool recv_one_shot = false;
  bool recv_burst_limited = false;  // the receive armed carries streaming_burst_bytes
  bool hangup_armed = false;  // a poll for the peer's FIN while reading is paused
  bool send_in_flight = false;
  uint32_t sending_index = 0;  // its place in Impl::sending while send_in_flight
  bool send_scheduled = false;
  bool closing = false;
  bool flush_before_close = false;
  bool shut_down = false;
  bool read_ended = false;  // a TLS connection's EOF arrived: the recv is not armed again
  // Set when output is dropped (close now) while a send is in flight: the kernel may still
  // be reading the chunks, so they are released when that send completes, not before.
  bool discard_output = false;
  // The flush under way: its size, bytes of it not yet sent, and when it began (write
  // deadline).
  size_t flush_size = 0;
  size_t flush_remaining = 0;
  int64_t flush_started_ns = 0;
  // Outbound connects: the slot exists from Connect on, the handler learns its id only at
  // OnConnected. The address and timeout are read by the kernel when the SQEs are submitted.
  bool connecting = false;
  bool connect_in_flight = false;
  bool connect_cancelled = false;
  uint64_t connect_tag = 0;
  sockaddr_storage connect_addr{};
  __kernel_timespec connect_timeout{};
  OutboundBuffer out;  // the socket's bytes (ciphertext under TLS)
  // TLS (StartTls): the handler then writes plaintext into tls->plain().
  std::unique_ptr<TlsLayer> tls;
  iovec iov[kMaxIovecs];
  msghdr msg{};
};

struct ListenerState {
  int fd = -1;  // -1 once closed
  uint32_t id = 0;
  bool armed = false;
  bool failed = false;  // the accept ended with an error; re-armed on the next tick
};

struct EventLoop::Impl {
  // Releases whatever Create got as far as setting up, so a Create that fails part way
  // leaks nothing (the listener it was given included).
  ~Impl();

  io_uring ring{};
  bool ring_set_up = false;
  // The thread that created the loop, then the one that runs it: the only one that may call
  // the per-connection methods (checked in debug builds; atomic so a wrong-thread call is
  // reported by the check, not by TSan).
  std::atomic<std::thread::id> owner{std::this_thread::get_id()};
  // Indexed by the number in the accept's user_data; closed ones stay so indices never move.
  std::vector<ListenerState> listeners;
  int wake_fd = -1;
  uint64_t wake_counter = 0;
  LoopSettings settings;
  LoopStats* stats = nullptr;

  io_uring_buf_ring* buf_ring = nullptr;
  size_t buf_ring_bytes = 0;
  char* buffers = nullptr;
  unsigned buffers_out = 0;  // buffers handed to us and not yet returned
  // settings.streaming_burst_bytes, or 0 when the kernel refuses the limit (ProbeBurstLimit).
  unsigned burst_limit = 0;
  unsigned cheap_signs_left = 0;  // this iteration's (LoopSettings::cheap_signs_per_iteration)

  ChunkPool chunk_pool;
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<uint32_t> free_slots;
  std::vector<uint32_t> send_queue;   // slots with bytes to send this iteration
  std::vector<uint32_t> close_queue;  // slots waiting for their close to finish
  // Connections whose recv ended (a burst's end, ENOBUFS, a resume), re-armed at the end of
  // the iteration. With the generation: a slot closed and reused meanwhile (say by an
  // outbound connect, still connecting) is not the connection that was queued.
  std::vector<ConnId> rearm_queue;
  std::vector<ConnId> rearm_first_queue;  // those that got ENOBUFS: re-armed first
  std::vector<uint32_t> connecting;   // slots with a connect in flight
  std::vector<ConnId> tls_resume_queue;  // TLS connections with plaintext to hand over again
  std::string tls_plaintext;
  EventLoop* self = nullptr;
  LoopHandler* handler = nullptr;     // during Run
  bool running = false;               // Run has armed the listeners
  bool stopping = false;              // Run is closing everything
  size_t live_conns = 0;
  // Slots with a send submitted and not completed: the only ones a write deadline can pass
  // on, so a timer tick looks at these, not at every connection.
  std::vector<uint32_t> sending;

  std::atomic<bool> stop_requested{false};
  // Doorbell de-duplication, shared with the other workers: true while this loop is (about
  // to be) blocked in io_uring_enter. Senders clear it with an exchange and ring only if it
  // was set; the sleeper re-checks its inboxes after setting it (seq_cst on both sides).
  std::atomic<bool> sleeping{false};

  io_uring_sqe* GetSqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) {
      const int rc = io_uring_submit(&ring);
      if (rc < 0) log::Error("io_uring_submit: %s", strerror(-rc));
      sqe = io_uring_get_sqe(&ring);
      RN_CHECK(sqe != nullptr);
    }
    return sqe;
  }

  // Linked SQEs must go to the kernel in one submission: a chain cut by an early submit
  // would leave its head without its tail (a connect without its timeout).
  void ReserveSqes(unsigned n) {
    if (io_uring_sq_space_left(&ring) < n) {
      const int rc = io_uring_submit(&ring);
      if (rc < 0) log::Error("io_uring_submit: %s", strerror(-rc));
      RN_CHECK(io_uring_sq_space_left(&ring) >= n);
    }
  }

  void SubmitCancel(uint64_t user_data) {
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_cancel64(sqe, user_data, 0);
    io_uring_sqe_set_data64(sqe, Pack(Tag::kCancel));
  }

  void HandleCancel(const io_uring_cqe& cqe) {
    // ENOENT / EALREADY: the operation had completed or is completing; its own CQE follows.
    if (cqe.res < 0 && cqe.res != -ENOENT && cqe.res != -EALREADY) {
      log::Error("io_uring cancel: %s", strerror(-cqe.res));
    }
  }

  bool AnyAcceptArmed() const {
    for (const ListenerState& l : listeners) {
      if (l.armed) return true;
    }
    return false;
  }

  ListenerState* FindListener(uint32_t id) {
    for (ListenerState& l : listeners) {
      if (l.id == id && l.fd >= 0) return &l;
    }
    return nullptr;
  }

  Conn* Find(ConnId id) {
    if (id.slot >= conns.size()) return nullptr;
    Conn* conn = conns[id.slot].get();
    if (!conn->in_use || conn->generation != id.generation) return nullptr;
    return conn;
  }

  void ArmAccept(uint32_t index) {
    ListenerState& l = listeners[index];
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_multishot_accept(sqe, l.fd, nullptr, nullptr, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, Pack(Tag::kAccept, index));
    l.armed = true;
    l.failed = false;
  }

  // Ends the multishot accept and closes the listener. The accept holds its own reference
  // to the socket, so the port is only released (and leaves the SO_REUSEPORT group) once
  // the cancelled accept has completed; Run waits for that before returning.
  void CloseListener(uint32_t index) {
    ListenerState& l = listeners[index];
    if (l.fd < 0) return;
    if (l.armed) SubmitCancel(Pack(Tag::kAccept, index));
    // Leave the listening state now: no new connection is queued to a socket about to go.
    if (::shutdown(l.fd, SHUT_RD) != 0 && errno != ENOTCONN) {
      log::Debug("shutdown listener: %s", strerror(errno));
    }
    if (::close(l.fd) != 0) log::Error("close listener: %s", strerror(errno));
    l.fd = -1;
  }

  void CloseAllListeners() {
    for (uint32_t i = 0; i < listeners.size(); ++i) CloseListener(i);
  }

  void ArmWakeEventfd() {
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_poll_multishot(sqe, wake_fd, POLLIN);
    io_uring_sqe_set_data64(sqe, Pack(Tag::kWakeEventfd));
  }

  void ArmRecv(uint32_t slot) {
    Conn& conn = *conns[slot];
    io_uring_sqe* sqe = GetSqe();
    if (conn.recv_one_shot) {
      io_uring_prep_recv(sqe, conn.fd, nullptr,
                         std::min(settings.buffer_size, settings.one_at_a_time_bytes), 0);
    } else {
      io_uring_prep_recv_multishot(sqe, conn.fd, nullptr, 0, 0);
      SetBurstLimit(sqe, burst_limit);
    }
    conn.recv_burst_limited = !conn.recv_one_shot && burst_limit != 0;
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
    io_uring_sqe_set_data64(sqe, Pack(Tag::kRecv, slot, conn.generation));
    conn.recv_armed = true;
  }

  void CancelRecv(uint32_t slot) { SubmitCancel(Pack(Tag::kRecv, slot, conns[slot]->generation)); }

  void ArmHangupWatch(uint32_t slot) {
    Conn& conn = *conns[slot];
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_poll_add(sqe, conn.fd, POLLRDHUP);
    io_uring_sqe_set_data64(sqe, Pack(Tag::kHangup, slot, conn.generation));
    conn.hangup_armed = true;
  }

  void CancelHangupWatch(uint32_t slot) {
    SubmitCancel(Pack(Tag::kHangup, slot, conns[slot]->generation));
  }

  void HandleHangup(const io_uring_cqe& cqe, LoopHandler& handler) {
    const uint32_t slot = SlotOf(cqe.user_data);
    Conn& conn = *conns[slot];
    conn.hangup_armed = false;
    if (conn.closing) {
      AdvanceClose(slot, handler);
      return;
    }
    if (cqe.res > 0 && (cqe.res & (POLLRDHUP | POLLHUP | POLLERR))) {
      handler.OnPeerHangup(ConnId{slot, conn.generation});
    } else if (cqe.res < 0 && cqe.res != -ECANCELED) {
      log::Debug("hangup poll: %s", strerror(-cqe.res));
    }
  }

  void ReturnBuffer(unsigned bid) {
    io_uring_buf_ring_add(buf_ring, buffers + size_t{bid} * settings.buffer_size,
                          settings.buffer_size, bid, io_uring_buf_ring_mask(settings.buffer_count),
                          0);
    io_uring_buf_ring_advance(buf_ring, 1);
    --buffers_out;
  }

  uint32_t AllocSlot(int fd) {
    uint32_t slot;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else {
      slot = static_cast<uint32_t>(conns.size());
      conns.push_back(std::make_unique<Conn>(&chunk_pool));
    }
    Conn& conn = *conns[slot];
    conn.fd = fd;
    conn.generation = (conn.generation + 1) & 0xffffff;
    conn.in_use = true;
    conn.recv_armed = conn.recv_paused = conn.recv_one_shot = conn.hangup_armed = false;
    conn.send_in_flight = conn.send_scheduled = false;
    conn.closing = conn.flush_before_close = conn.shut_down = conn.discard_output = false;
    conn.read_ended = false;
    conn.flush_remaining = 0;
    conn.flush_started_ns = 0;
    conn.connecting = conn.connect_in_flight = conn.connect_cancelled = false;
    conn.connect_tag = 0;
    ++live_conns;
    return slot;
  }

  // The slot's socket is closed and no operation on it is in flight.
  void FreeSlot(uint32_t slot) {
    Conn& conn = *conns[slot];
    conn.fd = -1;
    conn.in_use = false;
    conn.out.Clear();
    conn.tls.reset();
    conn.discard_output = false;
    conn.flush_remaining = 0;
    conn.connecting = false;
    --live_conns;
    free_slots.push_back(slot);
  }

  absl::Status StartConnect(const sockaddr_storage& peer, uint64_t tag, int64_t timeout_ns) {
    if (stopping || stop_requested.load(std::memory_order_relaxed)) {
      return absl::FailedPreconditionError("the loop is stopping");
    }
    socklen_t len;
    if (peer.ss_family == AF_INET) {
      len = sizeof(sockaddr_in);
    } else if (peer.ss_family == AF_INET6) {
      len = sizeof(sockaddr_in6);
    } else {
      return absl::InvalidArgumentError("connect: address is neither IPv4 nor IPv6");
    }
    if (timeout_ns <= 0) return absl::InvalidArgumentError("connect: timeout must be positive");
    // socket(2) never blocks; IORING_OP_SOCKET would need fixed files to link the connect.
    // The socket is blocking like the accepted ones: io_uring polls it, and a connect it
    // hands to a worker thread is interrupted by the linked timeout.
    const int fd = ::socket(peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return ErrnoStatus("socket", errno);
    const uint32_t slot = AllocSlot(fd);
    Conn& conn = *conns[slot];
    conn.connecting = true;
    conn.connect_in_flight = true;
    conn.connect_tag = tag;
    conn.connect_addr = peer;
    conn.connect_timeout.tv_sec = timeout_ns / 1'000'000'000;
    conn.connect_timeout.tv_nsec = timeout_ns % 1'000'000'000;
    ReserveSqes(2);
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_connect(sqe, fd, reinterpret_cast<const sockaddr*>(&conn.connect_addr), len);
    sqe->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(sqe, Pack(Tag::kConnect, slot, conn.generation));
    sqe = GetSqe();
    io_uring_prep_link_timeout(sqe, &conn.connect_timeout, 0);
    io_uring_sqe_set_data64(sqe, Pack(Tag::kConnectTimeout, slot, conn.generation));
    connecting.push_back(slot);
    ++stats->connects_started;
    return absl::OkStatus();
  }

  void CancelConnectSlot(uint32_t slot) {
    Conn& conn = *conns[slot];
    if (conn.connect_cancelled) return;
    conn.connect_cancelled = true;
    SubmitCancel(Pack(Tag::kConnect, slot, conn.generation));
  }

  void HandleConnect(const io_uring_cqe& cqe, LoopHandler& handler) {
    const uint32_t slot = SlotOf(cqe.user_data);
    Conn& conn = *conns[slot];
    RN_CHECK(conn.in_use && conn.connecting && conn.connect_in_flight);
    conn.connect_in_flight = false;
    connecting.erase(std::find(connecting.begin(), connecting.end(), slot));
    const uint64_t tag = conn.connect_tag;
    if (cqe.res == 0 && !conn.connect_cancelled) {
      conn.connecting = false;
      const int one = 1;
      if (setsockopt(conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        log::Debug("TCP_NODELAY: %s", strerror(errno));
      }
      handler.OnConnected(ConnId{slot, conn.generation}, tag);
      if (!conn.closing && !conn.recv_paused) ArmRecv(slot);
      return;
    }
    int error = cqe.res < 0 ? -cqe.res : ECANCELED;
    if (conn.connect_cancelled) {
      error = ECANCELED;
    } else if (error == ECANCELED || error == EINTR) {
      // Nobody cancelled it but the linked timeout.
      error = ETIMEDOUT;
    }
    if (::close(conn.fd) != 0) log::Debug("close: %s", strerror(errno));
    FreeSlot(slot);
    ++stats->connects_failed;
    handler.OnConnectFailed(tag, error);
  }

  void HandleConnectTimeout(const io_uring_cqe& cqe) {
    // ETIME: it fired and cancelled the connect; ECANCELED: the connect finished first.
    if (cqe.res != -ETIME && cqe.res != -ECANCELED) {
      log::Error("connect timeout: %s", strerror(-cqe.res));
    }
  }

  void SubmitSend(uint32_t slot) {
    Conn& conn = *conns[slot];
    const size_t count = conn.out.FillIovecs(conn.iov, kMaxIovecs);
    if (count == 0) return;
    conn.msg = msghdr{};
    conn.msg.msg_iov = conn.iov;
    conn.msg.msg_iovlen = count;
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_sendmsg(sqe, conn.fd, &conn.msg, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, Pack(Tag::kSend, slot, conn.generation));
    conn.send_in_flight = true;
    conn.sending_index = static_cast<uint32_t>(sending.size());
    sending.push_back(slot);
    if (conn.flush_remaining == 0) {
      conn.flush_size = conn.flush_remaining = conn.out.pending_bytes();
      conn.flush_started_ns = MonotonicNowNs();
    }
  }

  // Drops what is queued for the socket. The chunks a send in flight points at stay alive
  // until its completion (io_uring rule: no buffer of a submitted SQE is freed before its
  // CQE).
  void DiscardOutput(Conn& conn) {
    if (conn.tls != nullptr) conn.tls->plain().Clear();
    if (conn.send_in_flight) {
      conn.discard_output = true;
    } else {
      conn.out.Clear();
    }
    conn.flush_remaining = 0;
  }

  // Moves a closing connection forward: shut the socket down once nothing is left to send,
  // free the slot once no operation is in flight.
  void AdvanceClose(uint32_t slot, LoopHandler& handler) {
    Conn& conn = *conns[slot];
    if (!conn.shut_down) {
      if (conn.flush_before_close && conn.tls != nullptr && !conn.send_in_flight) {
        PrepareTlsClose(conn);
      }
      const bool must_wait = conn.flush_before_close && (conn.send_in_flight || HasUnsent(conn));
      if (must_wait) {
        if (!conn.send_in_flight) SubmitSend(slot);
        return;
      }
      // shutdown() ends the multishot recv and any blocked send on this socket.
      if (::shutdown(conn.fd, SHUT_RDWR) != 0 && errno != ENOTCONN) {
        log::Debug("shutdown: %s", strerror(errno));
      }
      conn.shut_down = true;
      if (conn.recv_armed) CancelRecv(slot);
      if (conn.hangup_armed) CancelHangupWatch(slot);
    }
    if (conn.recv_armed || conn.send_in_flight || conn.hangup_armed) return;
    if (::close(conn.fd) != 0) log::Debug("close: %s", strerror(errno));
    FreeSlot(slot);
    handler.OnConnClosed(ConnId{slot, conn.generation});
  }

  void HandleAccept(const io_uring_cqe& cqe, LoopHandler& handler) {
    ListenerState& listener = listeners[SlotOf(cqe.user_data)];
    if (!(cqe.flags & IORING_CQE_F_MORE)) listener.armed = false;
    if (cqe.res < 0) {
      // After CloseListener the accept ends with ECANCELED or EINVAL: expected, not an error.
      if (cqe.res != -ECANCELED && listener.fd >= 0) {
        if (listener.id == kMainListenerId) {
          log::Error("Error accepting client connection: %s", strerror(-cqe.res));
        } else {
          log::Error("Error accepting connection on listener %u: %s", listener.id,
                     strerror(-cqe.res));
        }
        listener.failed = true;  // re-armed on the next tick, not in a tight loop
      }
      return;
    }
    const int fd = cqe.res;
    if (stop_requested.load(std::memory_order_relaxed)) {
      if (::close(fd) != 0) log::Debug("close: %s", strerror(errno));
      return;
    }
    const int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
      log::Debug("TCP_NODELAY: %s", strerror(errno));
    }
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) {
      // The peer is already gone.
      if (::close(fd) != 0) log::Debug("close: %s", strerror(errno));
      return;
    }
    ++stats->accepts;
    const uint32_t slot = AllocSlot(fd);
    handler.OnAcceptedFrom(ConnId{slot, conns[slot]->generation}, peer, listener.id);
    if (!conns[slot]->closing && !conns[slot]->recv_paused) ArmRecv(slot);
  }

  void HandleRecv(const io_uring_cqe& cqe, LoopHandler& handler) {
    const uint32_t slot = SlotOf(cqe.user_data);
    Conn& conn = *conns[slot];
    const bool more = cqe.flags & IORING_CQE_F_MORE;
    if (!more) {
      conn.recv_armed = false;
      if (cqe.res > 0 && conn.recv_burst_limited) ++stats->recv_bursts_ended;
    }
    const ConnId id{slot, conn.generation};
    if (cqe.res > 0) {
      RN_CHECK(cqe.flags & IORING_CQE_F_BUFFER);
      const unsigned bid = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
      ++buffers_out;
      if (!conn.closing) {
        const std::string_view data(buffers + size_t{bid} * settings.buffer_size,
                                    static_cast<size_t>(cqe.res));
        if (conn.tls != nullptr) {
          conn.tls->Receive(data);
          TlsProgress(slot);
        } else {
          handler.OnReceived(id, data);
        }
      }
      ReturnBuffer(bid);
    } else if (cqe.res == -ENOBUFS) {
      // Buffers come back as soon as this iteration's data is parsed; re-armed first, ahead
      // of the connections whose bursts ended, so that those cannot take every buffer again.
      ++stats->recv_enobufs;
    } else if (cqe.res == -ECANCELED) {
      // Paused or closing.
    } else if (cqe.res == 0 && conn.tls != nullptr && !conn.closing) {
      // The engine decides what the EOF means: a failed handshake, a truncated session, or
      // the end after the plaintext still to be read.
      conn.read_ended = true;
      conn.tls->ReceiveEof();
      TlsProgress(slot);
    } else if (!conn.closing) {
      // After an orderly EOF the replies to what the peer sent still go out (it may have only
      // shut down its writing side); after an error there is no one to send them to.
      handler.OnPeerGone(id, cqe.res == 0 ? PeerGone::kClosedByPeer : PeerGone::kReadError);
      RequestClose(slot, cqe.res == 0 ? CloseMode::kAfterFlush : CloseMode::kNow);
    }
    if (!conn.recv_armed) {
      if (conn.closing) {
        AdvanceClose(slot, handler);
      } else if (!conn.recv_paused) {
        (cqe.res == -ENOBUFS ? rearm_first_queue : rearm_queue).push_back(id);
      }
    }
  }

  void HandleSend(const io_uring_cqe& cqe, LoopHandler& handler) {
    const uint32_t slot = SlotOf(cqe.user_data);
    Conn& conn = *conns[slot];
    conn.send_in_flight = false;
    RN_DCHECK(conn.sending_index < sending.size() && sending[conn.sending_index] == slot);
    const uint32_t moved = sending.back();
    sending[conn.sending_index] = moved;
    conns[moved]->sending_index = conn.sending_index;
    sending.pop_back();
    if (conn.discard_output) {
      conn.discard_output = false;
      conn.out.Clear();
      conn.flush_remaining = 0;
    } else if (cqe.res < 0) {
      conn.out.Clear();
      conn.flush_remaining = 0;
      if (!conn.closing) {
        handler.OnPeerGone(ConnId{slot, conn.generation}, PeerGone::kReadError);
        RequestClose(slot, CloseMode::kNow);
      }
    } else {
      const size_t sent = static_cast<size_t>(cqe.res);
      conn.out.Consume(sent);
      conn.flush_remaining -= std::min(sent, conn.flush_remaining);
      if (conn.tls != nullptr && !conn.closing) conn.tls->Encrypt(conn.out, kTlsWireHighWater);
      if (!conn.out.empty() && !conn.shut_down) QueueSend(slot);
    }
    if (conn.closing) AdvanceClose(slot, handler);
  }

  void QueueSend(uint32_t slot) {
    Conn& conn = *conns[slot];
    if (conn.send_scheduled) return;
    conn.send_scheduled = true;
    send_queue.push_back(slot);
  }

  void RequestClose(uint32_t slot, CloseMode mode) {
    Conn& conn = *conns[slot];
    if (mode == CloseMode::kNow) {
      conn.flush_before_close = false;
      DiscardOutput(conn);
    }
    if (conn.closing) return;
    conn.closing = true;
    conn.flush_before_close = mode == CloseMode::kAfterFlush;
    close_queue.push_back(slot);
  }

  void DrainWakeEventfd() {
    uint64_t value;
    if (::read(wake_fd, &value, sizeof value) < 0 && errno != EAGAIN) {
      log::Error("eventfd read: %s", strerror(errno));
    }
  }

  void ProcessCompletions(LoopHandler& handler) {
    io_uring_cqe* cqe;
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      switch (TagOf(cqe->user_data)) {
        case Tag::kAccept: HandleAccept(*cqe, handler); break;
        case Tag::kRecv: HandleRecv(*cqe, handler); break;
        case Tag::kSend: HandleSend(*cqe, handler); break;
        case Tag::kHangup: HandleHangup(*cqe, handler); break;
        case Tag::kWakeEventfd:
          DrainWakeEventfd();
          if (!(cqe->flags & IORING_CQE_F_MORE)) ArmWakeEventfd();
          break;
        case Tag::kConnect: HandleConnect(*cqe, handler); break;
        case Tag::kConnectTimeout: HandleConnectTimeout(*cqe); break;
        case Tag::kCancel: HandleCancel(*cqe); break;
        case Tag::kIgnore:
          // Only a failed doorbell posts a CQE; the target then wakes on its tick instead.
          if (cqe->res < 0) log::Debug("doorbell: %s", strerror(-cqe->res));
          break;
        case Tag::kDoorbell: break;
      }
    }
    io_uring_cq_advance(&ring, seen);
  }

  void FlushSends() {
    for (uint32_t slot : send_queue) {
      Conn& conn = *conns[slot];
      conn.send_scheduled = false;
      if (!conn.in_use || conn.shut_down || conn.send_in_flight) continue;
      if (conn.tls != nullptr) conn.tls->Encrypt(conn.out, kTlsWireHighWater);
      SubmitSend(slot);
    }
    send_queue.clear();
  }

  void AdvanceCloses(LoopHandler& handler) {
    // AdvanceClose may finish a close; keep the ones still pending.
    std::vector<uint32_t> pending;
    pending.swap(close_queue);
    for (uint32_t slot : pending) {
      Conn& conn = *conns[slot];
      if (!conn.in_use || !conn.closing) continue;
      AdvanceClose(slot, handler);
      if (conn.in_use) close_queue.push_back(slot);
    }
  }

  void RearmReceives() {
    for (std::vector<ConnId>* queue : {&rearm_first_queue, &rearm_queue}) {
      for (ConnId id : *queue) {
        Conn& conn = *conns[id.slot];
        if (conn.in_use && conn.generation == id.generation && !conn.connecting && !conn.closing &&
            !conn.recv_paused && !conn.recv_armed && !conn.read_ended) {
          ArmRecv(id.slot);
        }
      }
      queue->clear();
    }
    if (tls_resume_queue.empty()) return;
    std::vector<ConnId> resumed;
    resumed.swap(tls_resume_queue);
    for (ConnId id : resumed) {
      Conn& conn = *conns[id.slot];
      if (conn.in_use && conn.generation == id.generation && !conn.closing && !conn.recv_paused &&
          conn.tls != nullptr && conn.tls->engine() != nullptr) {
        DeliverPlaintext(id.slot);
      }
    }
  }

  // --- TLS, the connection's layer -------------------------------------------------------

  bool HasUnsent(const Conn& conn) const {
    return !conn.out.empty() || (conn.tls != nullptr && conn.tls->CanSendMore());
  }

  // What the engine produced (a handshake flight, an alert, records) goes to the socket.
  void FlushTlsOutput(uint32_t slot) {
    Conn& conn = *conns[slot];
    conn.tls->TakeCiphertext(conn.out);
    if (!conn.out.empty() && !conn.shut_down) QueueSend(slot);
  }

  // Moves a connection's TLS forward as far as it goes without waiting: a handshake step (the
  // one that signs goes to the pool), then plaintext to the handler while it reads.
  void TlsProgress(uint32_t slot) {
    Conn& conn = *conns[slot];
    TlsLayer& layer = *conn.tls;
    tls::Engine* engine = layer.engine();
    if (engine == nullptr || conn.closing) return;
    if (engine->handshaking() && engine->HasInput()) {
      if (engine->WillSign() && settings.handshake_pool != nullptr &&
          !(engine->cheap_signature() && cheap_signs_left > 0)) {
        Offload(slot);
        return;
      }
      // One step takes every flight that has arrived.
      if (engine->Advance().signed_with_private_key) {
        ++stats->tls_handshake_signs_inline;
        // (A dialled route's client certificate signs here too, outside the budget.)
        if (settings.handshake_pool != nullptr && cheap_signs_left > 0) --cheap_signs_left;
      }
    }
    FlushTlsOutput(slot);
    if (engine->failed()) {
      TlsFailed(slot);
      return;
    }
    if (engine->handshaking()) return;
    if (!layer.established_reported) {
      layer.established_reported = true;
      handler->OnTlsEstablished(ConnId{slot, conn.generation});
      if (conn.closing) return;
      // What the handler wrote before the handshake ended can go now.
      if (!layer.plain().empty()) QueueSend(slot);
    }
    DeliverPlaintext(slot);
  }

  // Decrypted input to the handler, a buffer's worth at a time, while it keeps reading.
  void DeliverPlaintext(uint32_t slot) {
    Conn& conn = *conns[slot];
    TlsLayer& layer = *conn.tls;
    tls::Engine& engine = *layer.engine();
    const ConnId id{slot, conn.generation};
    layer.undelivered_input = false;
    while (!conn.closing && engine.established()) {
      if (conn.recv_paused) {
        layer.undelivered_input = true;
        break;
      }
      tls_plaintext.clear();
      if (engine.ReadPlaintext(&tls_plaintext, settings.buffer_size) == 0) break;
      handler->OnReceived(id, tls_plaintext);
    }
    if (conn.closing) return;
    FlushTlsOutput(slot);  // session tickets, KeyUpdate replies
    if (engine.failed()) {
      TlsFailed(slot);
    } else if (engine.peer_closed() && !layer.undelivered_input) {
      handler->OnPeerGone(id, PeerGone::kClosedByPeer);
      RequestClose(slot, CloseMode::kAfterFlush);
    }
  }

  void TlsFailed(uint32_t slot) {
    Conn& conn = *conns[slot];
    TlsLayer& layer = *conn.tls;
    FlushTlsOutput(slot);  // the alert that says why
    layer.plain().Clear();
    handler->OnTlsFailed(ConnId{slot, conn.generation}, layer.engine()->error(),
                         !layer.established_reported);
    RequestClose(slot, CloseMode::kAfterFlush);
  }

  // The engine goes to the handshake pool for its signing step and comes back through this
  // loop's mailbox; ciphertext that arrives meanwhile waits in the layer.
  void Offload(uint32_t slot) {
    Conn& conn = *conns[slot];
    ++stats->tls_handshake_steps_offloaded;
    settings.handshake_pool->Submit(
        [engine = conn.tls->Lend(), impl = this, slot, generation = conn.generation]() mutable {
          engine->Advance();
          impl->self->Post(
              [engine = std::move(engine), impl, slot, generation]() mutable {
                impl->TlsReturned(slot, generation, std::move(engine));
              },
              nullptr);
        });
  }

  void TlsReturned(uint32_t slot, uint32_t generation, std::unique_ptr<tls::Engine> engine) {
    Conn* conn = Find(ConnId{slot, generation});
    if (conn == nullptr || conn->tls == nullptr) return;  // closed meanwhile: the engine goes
    conn->tls->Return(std::move(engine));
    if (conn->closing) return;
    FlushTlsOutput(slot);  // the flight signed on the pool
    TlsProgress(slot);
  }

  // A closing TLS connection that flushes: encrypt what is left, then close_notify.
  void PrepareTlsClose(Conn& conn) {
    TlsLayer& layer = *conn.tls;
    tls::Engine* engine = layer.engine();
    if (engine == nullptr) return;
    layer.Encrypt(conn.out, kTlsWireHighWater);
    if (!layer.CanSendMore() && !layer.close_notify_queued &&
        (engine->established() || engine->peer_closed())) {
      layer.close_notify_queued = true;
      engine->Shutdown();
    }
    layer.TakeCiphertext(conn.out);
  }
};

EventLoop::EventLoop(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->stats = &stats_;
  impl_->self = this;
}

// Before the loop's other members (its mailbox, its stats) go.
EventLoop::~EventLoop() {
  impl_.reset();
}

EventLoop::Impl::~Impl() {
  for (auto& conn : conns) {
    if (conn->in_use && conn->fd >= 0) ::close(conn->fd);
  }
  if (ring_set_up) io_uring_queue_exit(&ring);
  if (buf_ring != nullptr) munmap(buf_ring, buf_ring_bytes);
  free(buffers);
  for (const ListenerState& l : listeners) {
    if (l.fd >= 0) ::close(l.fd);
  }
  if (wake_fd >= 0) ::close(wake_fd);
}

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(const LoopSettings& settings) {
  auto impl = std::make_unique<Impl>();
  impl->settings = settings;
  if (settings.listen_fd >= 0) {
    impl->listeners.push_back(ListenerState{.fd = settings.listen_fd, .id = kMainListenerId});
  }

  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL |
                 IORING_SETUP_CQSIZE;
  params.cq_entries = 16384;
  int rc = io_uring_queue_init_params(1024, &impl->ring, &params);
  if (rc == -EINVAL) {
    // Kernels before 6.1 lack DEFER_TASKRUN; the plain ring still works.
    params = io_uring_params{};
    params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
    params.cq_entries = 16384;
    rc = io_uring_queue_init_params(1024, &impl->ring, &params);
  }
  if (rc < 0) {
    return absl::UnavailableError(absl::StrFormat(
        "io_uring_setup failed: %s (ENOMEM: raise RLIMIT_MEMLOCK, e.g. ulimit -l or "
        "LimitMEMLOCK=; EPERM/ENOSYS: io_uring is disabled by kernel.io_uring_disabled or a "
        "seccomp profile)",
        strerror(-rc)));
  }
  impl->ring_set_up = true;

  if (settings.streaming_burst_bytes != 0) {
    absl::StatusOr<bool> limited = ProbeBurstLimit(&impl->ring);
    if (limited.ok() && *limited) {
      impl->burst_limit = settings.streaming_burst_bytes;
    } else if (limited.ok()) {
      log::Debug("this kernel does not limit multishot receives (Linux 6.17+ does)");
    } else {
      log::Warn("probing for multishot receive limits failed, streaming without: %s",
                limited.status().message());
    }
  }
  // Without the bound a flooding socket is drained into every free buffer before its
  // connection can pause; smaller buffers make that drain smaller. Same memory, split only
  // into a power of two of pieces that the buffer ring can hold.
  const unsigned split = settings.buffer_size / kUnboundedStreamingBufferSize;
  if (impl->burst_limit == 0 && split > 1 &&
      settings.buffer_size % kUnboundedStreamingBufferSize == 0 && std::has_single_bit(split) &&
      uint64_t{settings.buffer_count} * split <= kMaxProvidedBuffers) {
    impl->settings.buffer_count = settings.buffer_count * split;
    impl->settings.buffer_size = kUnboundedStreamingBufferSize;
  }

  // Provided-buffer ring for multishot recv.
  const LoopSettings& buffers = impl->settings;
  const unsigned count = buffers.buffer_count;
  impl->buf_ring_bytes = sizeof(io_uring_buf) * count;
  void* ring_mem = mmap(nullptr, impl->buf_ring_bytes, PROT_READ | PROT_WRITE,
                        MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (ring_mem == MAP_FAILED) return absl::ResourceExhaustedError("mmap for buffer ring failed");
  impl->buf_ring = static_cast<io_uring_buf_ring*>(ring_mem);
  io_uring_buf_ring_init(impl->buf_ring);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(impl->buf_ring);
  reg.ring_entries = count;
  reg.bgid = kBufferGroup;
  rc = io_uring_register_buf_ring(&impl->ring, &reg, 0);
  if (rc < 0) {
    return absl::UnavailableError(
        absl::StrFormat("io_uring_register_buf_ring: %s (kernel 5.19+ needed)", strerror(-rc)));
  }
  impl->buffers = static_cast<char*>(aligned_alloc(4096, size_t{count} * buffers.buffer_size));
  RN_CHECK(impl->buffers != nullptr);
  for (unsigned bid = 0; bid < count; ++bid) {
    io_uring_buf_ring_add(impl->buf_ring, impl->buffers + size_t{bid} * buffers.buffer_size,
                          buffers.buffer_size, bid, io_uring_buf_ring_mask(count), bid);
  }
  io_uring_buf_ring_advance(impl->buf_ring, count);

  impl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->wake_fd < 0) return ErrnoStatus("eventfd", errno);
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(impl)));
}

bool EventLoop::IsOnOwnerThread() const {
  return impl_->owner.load(std::memory_order_relaxed) == std::this_thread::get_id();
}

void EventLoop::Run(LoopHandler& handler) {
  Impl& s = *impl_;
  s.owner.store(std::this_thread::get_id(), std::memory_order_relaxed);
  s.handler = &handler;
  for (uint32_t i = 0; i < s.listeners.size(); ++i) {
    if (s.listeners[i].fd >= 0) s.ArmAccept(i);
  }
  s.running = true;
  s.ArmWakeEventfd();
  int64_t next_tick = MonotonicNowNs() + s.settings.tick_ns;
  bool& stopping = s.stopping;
  while (true) {
    ++stats_.iterations;
    s.cheap_signs_left = s.settings.cheap_signs_per_iteration;
    handler.OnWake();
    s.ProcessCompletions(handler);
    mailbox_.RunAll();
    if (!stopping && s.stop_requested.load(std::memory_order_acquire)) {
      stopping = true;
      s.CloseAllListeners();
      for (uint32_t slot = 0; slot < s.conns.size(); ++slot) {
        if (!s.conns[slot]->in_use) continue;
        if (s.conns[slot]->connecting) {
          s.CancelConnectSlot(slot);
        } else {
          s.RequestClose(slot, CloseMode::kAfterFlush);
        }
      }
    }
    handler.OnIterationEnd();
    s.FlushSends();
    s.AdvanceCloses(handler);
    s.RearmReceives();
    const int64_t now = MonotonicNowNs();
    if (now >= next_tick) {
      handler.OnTick(now);
      for (uint32_t i = 0; i < s.listeners.size() && !stopping; ++i) {
        const ListenerState& l = s.listeners[i];
        if (l.failed && !l.armed && l.fd >= 0) s.ArmAccept(i);
      }
      next_tick = now + s.settings.tick_ns;
    }
    if (stopping && s.live_conns == 0 && !s.AnyAcceptArmed()) break;

    // Sleep unless something is already waiting.
    s.sleeping.store(true, std::memory_order_seq_cst);
    // Closes in progress wait for completions, so they do not count as work to spin on.
    // A receive resumed by OnTick is armed by the next iteration, not a tick later.
    const bool busy = handler.HasPendingWork() || mailbox_.HasTasks() || !s.send_queue.empty() ||
                      !s.rearm_queue.empty() || io_uring_cq_ready(&s.ring) > 0;
    int rc;
    if (busy) {
      s.sleeping.store(false, std::memory_order_relaxed);
      // With DEFER_TASKRUN completions are only posted when we ask for events.
      rc = io_uring_submit_and_get_events(&s.ring);
    } else {
      const int64_t wait_ns = stopping ? 10'000'000 : std::max<int64_t>(next_tick - now, 0);
      __kernel_timespec timeout{};
      timeout.tv_sec = wait_ns / 1'000'000'000;
      timeout.tv_nsec = wait_ns % 1'000'000'000;
      io_uring_cqe* cqe = nullptr;
      rc = io_uring_submit_and_wait_timeout(&s.ring, &cqe, 1, &timeout, nullptr);
      s.sleeping.store(false, std::memory_order_relaxed);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
      log::Error("io_uring_enter: %s", strerror(-rc));
    }
  }
  const int rc = io_uring_submit(&s.ring);
  if (rc < 0) log::Error("io_uring_submit: %s", strerror(-rc));
  s.running = false;
}

void EventLoop::RequestStop() {
  impl_->stop_requested.store(true, std::memory_order_release);
  WakeFromForeignThread();
}

void EventLoop::WakeFromForeignThread() {
  const uint64_t one = 1;
  if (::write(impl_->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN) {
    log::Error("eventfd write: %s", strerror(errno));
  }
}

void EventLoop::WakeFrom(EventLoop& from) {
  if (!impl_->sleeping.exchange(false, std::memory_order_seq_cst)) {
    ++from.stats_.doorbells_skipped;
    return;
  }
  ++from.stats_.doorbells_sent;
  io_uring_sqe* sqe = from.impl_->GetSqe();
  io_uring_prep_msg_ring(sqe, impl_->ring.ring_fd, 0, Pack(Tag::kDoorbell), 0);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(sqe, Pack(Tag::kIgnore));
}

void EventLoop::StopAccepting() {
  Impl& s = *impl_;
  for (uint32_t i = 0; i < s.listeners.size(); ++i) {
    if (s.listeners[i].id == kMainListenerId) s.CloseListener(i);
  }
}

absl::Status EventLoop::AddListener(int fd, uint32_t listener_id) {
  Impl& s = *impl_;
  if (fd < 0) return absl::InvalidArgumentError("AddListener: no socket");
  if (s.stopping || s.stop_requested.load(std::memory_order_relaxed)) {
    return absl::FailedPreconditionError("AddListener: the loop is stopping");
  }
  if (s.FindListener(listener_id) != nullptr) {
    return absl::AlreadyExistsError(absl::StrFormat("listener id %u is in use", listener_id));
  }
  // Reuse the entry of a closed listener whose accept has ended, so listeners that come and
  // go (reloads) do not grow the table; an entry with an accept still ending keeps its index.
  uint32_t index = 0;
  while (index < s.listeners.size() && (s.listeners[index].fd >= 0 || s.listeners[index].armed)) {
    ++index;
  }
  if (index == s.listeners.size()) s.listeners.emplace_back();
  s.listeners[index] = ListenerState{.fd = fd, .id = listener_id};
  if (s.running) s.ArmAccept(index);
  return absl::OkStatus();
}

absl::Status EventLoop::CloseListener(uint32_t listener_id) {
  Impl& s = *impl_;
  for (uint32_t i = 0; i < s.listeners.size(); ++i) {
    if (s.listeners[i].id == listener_id && s.listeners[i].fd >= 0) {
      s.CloseListener(i);
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(absl::StrFormat("no open listener with id %u", listener_id));
}

absl::Status EventLoop::Connect(const sockaddr_storage& peer, uint64_t tag) {
  return impl_->StartConnect(peer, tag, impl_->settings.connect_timeout_ns);
}

absl::Status EventLoop::Connect(const sockaddr_storage& peer, uint64_t tag, int64_t timeout_ns) {
  RN_DCHECK_ON_OWNER(*this);
  return impl_->StartConnect(peer, tag, timeout_ns);
}

size_t EventLoop::CancelConnect(uint64_t tag) {
  RN_DCHECK_ON_OWNER(*this);
  Impl& s = *impl_;
  size_t count = 0;
  for (uint32_t slot : s.connecting) {
    Conn& conn = *s.conns[slot];
    if (conn.connect_tag == tag && !conn.connect_cancelled) {
      s.CancelConnectSlot(slot);
      ++count;
    }
  }
  return count;
}

void EventLoop::Post(Mailbox::Task task, EventLoop* from) {
  mailbox_.Post(std::move(task));
  if (from != nullptr) {
    WakeFrom(*from);
  } else {
    WakeFromForeignThread();
  }
}

bool EventLoop::IsLive(ConnId id) const {
  Conn* conn = impl_->Find(id);
  return conn != nullptr && !conn->closing;
}

OutboundBuffer& EventLoop::outbound(ConnId id) {
  RN_DCHECK_ON_OWNER(*this);
  Conn* conn = impl_->Find(id);
  RN_CHECK(conn != nullptr);
  return conn->tls != nullptr ? conn->tls->plain() : conn->out;
}

OutboundBuffer& EventLoop::OutboundToSend(ConnId id) {
  RN_DCHECK_ON_OWNER(*this);
  Conn* conn = impl_->Find(id);
  RN_CHECK(conn != nullptr);
  if (!conn->shut_down) impl_->QueueSend(id.slot);
  return conn->tls != nullptr ? conn->tls->plain() : conn->out;
}

void EventLoop::StartTls(ConnId id, tls::Engine engine) {
  RN_DCHECK_ON_OWNER(*this);
  Conn* conn = impl_->Find(id);
  if (conn == nullptr || conn->tls != nullptr || conn->closing) return;
  conn->tls = std::make_unique<TlsLayer>(std::move(engine), &impl_->chunk_pool);
  if (!conn->tls->engine()->is_server()) {
    // A client speaks first: its hello goes out with the next flush.
    conn->tls->engine()->Advance();
    impl_->FlushTlsOutput(id.slot);
  }
}

void EventLoop::ReceiveAsTls(ConnId id, std::string_view ciphertext) {
  RN_DCHECK_ON_OWNER(*this);
  Conn* conn = impl_->Find(id);
  if (conn == nullptr || conn->tls == nullptr || conn->closing || ciphertext.empty()) return;
  conn->tls->Receive(ciphertext);
  impl_->TlsProgress(id.slot);
}

bool EventLoop::LocalAddress(ConnId id, sockaddr_storage* address) const {
  Conn* conn = impl_->Find(id);
  if (conn == nullptr || conn->fd < 0) return false;
  socklen_t length = sizeof *address;
  return getsockname(conn->fd, reinterpret_cast<sockaddr*>(address), &length) == 0;
}

const tls::Engine* EventLoop::tls_engine(ConnId id) const {
  Conn* conn = impl_->Find(id);
  return conn != nullptr && conn->tls != nullptr ? conn->tls->engine() : nullptr;
}

void EventLoop::Close(ConnId id, CloseMode mode) {
  RN_DCHECK_ON_OWNER(*this);
  if (impl_->Find(id) == nullptr) return;
  impl_->RequestClose(id.slot, mode);
}

void EventLoop::PauseReceive(ConnId id) {
  RN_DCHECK_ON_OWNER(*this);
  Conn* conn = impl_->Find(id);
  if (conn == nullptr || conn->recv_paused || conn->closing) return;
  conn->recv_paused = true;
  if (conn->recv_armed) impl_->CancelRecv(id.slot);
}

void EventLoop::SetReceiveMode(ConnId id, ReceiveMode mode) {
  RN_DCHECK_ON_OWNER(*this);
  Conn* conn = impl_->Find(id);
  if (conn == nullptr) return;
  const bool one_shot = mode == ReceiveMode::kOneBufferAtATime;
  if (conn->recv_one_shot == one_shot) return;
  conn->recv_one_shot = one_shot;
  // A multishot recv keeps reading ahead until cancelled; its end re-arms in the new mode.
  // A one-shot recv in flight simply completes and the next one streams.
  if (one_shot && conn->recv_armed && !conn->closing) impl_->CancelRecv(id.slot);
}

void EventLoop::WatchForHangup(ConnId id) {
  RN_DCHECK_ON_OWNER(*this);
  Conn* conn = impl_->Find(id);
  if (conn == nullptr || conn->closing || conn->hangup_armed) return;
  impl_->ArmHangupWatch(id.slot);
}

void EventLoop::ResumeReceive(ConnId id) {
  RN_DCHECK_ON_OWNER(*this);
  Conn* conn = impl_->Find(id);
  if (conn == nullptr || !conn->recv_paused || conn->closing) return;
  conn->recv_paused = false;
  if (!conn->recv_armed) impl_->rearm_queue.push_back(id);
  if (conn->tls != nullptr && conn->tls->undelivered_input) {
    impl_->tls_resume_queue.push_back(id);
  }
}

bool EventLoop::streaming_bursts_limited() const {
  return impl_->burst_limit != 0;
}

size_t EventLoop::sends_in_flight() const {
  return impl_->sending.size();
}

void EventLoop::ConnsSending(std::vector<ConnId>* out) const {
  out->clear();
  for (uint32_t slot : impl_->sending) out->push_back(ConnId{slot, impl_->conns[slot]->generation});
}

int64_t EventLoop::FlushUnderWayFor(ConnId id, int64_t now_ns) const {
  Conn* conn = impl_->Find(id);
  if (conn == nullptr || conn->flush_remaining == 0) return 0;
  return now_ns - conn->flush_started_ns;
}

size_t EventLoop::FlushSentBytes(ConnId id) const {
  Conn* conn = impl_->Find(id);
  if (conn == nullptr || conn->flush_remaining == 0) return 0;
  return conn->flush_size - conn->flush_remaining;
}

void EventLoop::RestartFlush(ConnId id) {
  Conn* conn = impl_->Find(id);
  if (conn == nullptr || conn->flush_remaining == 0) return;
  conn->flush_size = conn->flush_remaining = conn->out.pending_bytes();
  conn->flush_started_ns = MonotonicNowNs();
}

}  // namespace ringnats::ring
