#pragma once
// One worker's io_uring event loop: multishot accept on the worker's own SO_REUSEPORT
// listener (and on further listeners, e.g. the cluster port, each with its own id), outbound
// connects (socket(2), then IORING_OP_CONNECT with a linked timeout), multishot recv into a
// provided-buffer ring, one sendmsg in flight per socket over the connection's outbound
// chunks, outbound flushed once per loop iteration, and two doorbells (MSG_RING from other
// worker rings, an eventfd for every other thread).
//
// TLS is a layer of the connection here, not of the protocol above: after StartTls the loop
// feeds what it receives to the connection's tls::Engine and hands the handler plaintext, and
// encrypts the handler's outbound bytes when it flushes them. A server handshake's
// private-key step runs on the shared handshake pool (LoopSettings), except a few cheap
// (ECDSA P-256, Ed25519) ones per iteration.
//
// Owned by one worker thread: create it on that thread and call everything except the
// members marked "any thread" only from there. Connection I/O state never leaves it.

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ringnats/ring/mailbox.h"
#include "ringnats/ring/outbound_buffer.h"
#include "ringnats/tls/engine.h"
#include "ringnats/tls/handshake_pool.h"
#include "ringnats/util/check.h"

// Debug builds abort when a per-connection method, or a worker's mailbox task, runs off the
// loop's own thread: ownership is checked, not only written down.
#define RN_DCHECK_ON_OWNER(loop) RN_DCHECK((loop).IsOnOwnerThread())

namespace ringnats::ring {

// Names a connection of one loop. `generation` tells a reused slot from its previous owner.
struct ConnId {
  uint32_t slot = 0;
  uint32_t generation = 0;
  friend bool operator==(const ConnId&, const ConnId&) = default;
};

enum class CloseMode : uint8_t {
  kAfterFlush,  // send what is queued (e.g. a final -ERR), then close
  kNow,         // drop what is queued and close
};

// How a connection's socket is read. Streaming keeps a multishot recv armed, which reads
// ahead of the protocol; one buffer at a time re-arms a single recv only after the last one
// was handed over, so a connection whose input is parked (waiting for a bcrypt verdict)
// holds at most one receive (LoopSettings::one_at_a_time_bytes) and TCP pushes back on the
// rest.
enum class ReceiveMode : uint8_t { kStreaming, kOneBufferAtATime };

// Why the peer side went away, for the close reason in logs.
enum class PeerGone : uint8_t { kClosedByPeer, kReadError };

// The id of the listener given in LoopSettings::listen_fd.
inline constexpr uint32_t kMainListenerId = 0;

// What the loop reports to the protocol layer. Called on the loop's thread only.
class LoopHandler {
 public:
  virtual ~LoopHandler() = default;
  // Reading starts when this returns, in the mode the handler chose (default streaming).
  virtual void OnAccepted(ConnId id, const sockaddr_storage& peer) = 0;
  // What the loop calls for every accepted connection; `listener_id` is kMainListenerId or
  // the id given to AddListener. Handlers with one listener need not override it.
  virtual void OnAcceptedFrom(ConnId id, const sockaddr_storage& peer, uint32_t /*listener_id*/) {
    OnAccepted(id, peer);
  }
  // A Connect finished: from here on the connection is like an accepted one (reading starts
  // when this returns). Handlers that call Connect must override this and OnConnectFailed:
  // the defaults stop the process (a connection nobody owns would leak).
  virtual void OnConnected(ConnId id, uint64_t tag);
  // A Connect did not produce a connection: `error` is an errno value (ECONNREFUSED,
  // ETIMEDOUT when the connect timeout ran out, ECANCELED after CancelConnect or stop, ...).
  // The tag is finished; no OnConnClosed follows.
  virtual void OnConnectFailed(uint64_t tag, int error);
  // `data` is valid during the call only.
  virtual void OnReceived(ConnId id, std::string_view data) = 0;
  // The peer closed or the socket failed; the loop closes the connection next.
  virtual void OnPeerGone(ConnId id, PeerGone why) = 0;
  // The peer shut down its side while a WatchForHangup was armed (reading may be paused, so
  // the recv would not see it). The connection stays open unless the handler closes it.
  virtual void OnPeerHangup(ConnId id) = 0;
  // The socket is closed and the id is dead; forget it.
  virtual void OnConnClosed(ConnId id) = 0;
  // Start of each iteration: drain inboxes from other threads.
  virtual void OnWake() = 0;
  // End of each iteration, before outbound is flushed: hand batches to other workers.
  virtual void OnIterationEnd() = 0;
  // TLS (after StartTls): the handshake finished; the engine (tls_engine) says with what.
  virtual void OnTlsEstablished(ConnId /*id*/) {}
  // TLS failed, during the handshake (`in_handshake`: a plaintext client, a bad certificate,
  // garbage, EOF) or after it (renegotiation, a bad record). The loop closes the connection
  // next, after sending the alert the engine produced; OnConnClosed follows.
  virtual void OnTlsFailed(ConnId /*id*/, std::string_view /*error*/, bool /*in_handshake*/) {}
  // About every tick interval: timers.
  virtual void OnTick(int64_t now_ns) = 0;
  // True if work is waiting that must not be slept through (checked after the loop has
  // announced it is going to sleep).
  virtual bool HasPendingWork() = 0;
};

struct LoopSettings {
  int listen_fd = -1;  // kMainListenerId; the loop's from Create() on, closed if Create fails
  // Provided receive buffers (a power of two of them). 64 KiB: a quarter of the receive
  // completions per byte of 16 KiB ones, for the same memory (bench/RESULTS-profile.md).
  // Without a streaming burst bound (below) buffers larger than 16 KiB are split into 16 KiB
  // ones, the same memory: the unbounded drain then takes four times fewer bytes.
  unsigned buffer_count = 128;
  unsigned buffer_size = 64 * 1024;
  // The most a streaming (multishot) receive delivers before it ends and is re-armed at the
  // end of the iteration. Without it the kernel drains a flooding socket into every free
  // buffer between two iterations: megabytes that one connection takes from the shared pool
  // and that arrive after its handler asked to pause. So this is also how far a pause can
  // overshoot. Needs Linux 6.17+ (Create probes; older kernels stream without it). 0: none.
  unsigned streaming_burst_bytes = 256 * 1024;
  // A receive in ReceiveMode::kOneBufferAtATime reads at most this much: what a connection
  // whose input is parked (waiting for a bcrypt verdict) can hold.
  unsigned one_at_a_time_bytes = 16 * 1024;
  int64_t tick_ns = 100'000'000;
  // How long a Connect may take before it fails with ETIMEDOUT (unless given per call).
  int64_t connect_timeout_ns = 2'000'000'000;
  // Where server handshakes sign (shared by every loop; must outlive them all). Null: on the
  // ring itself.
  tls::HandshakePool* handshake_pool = nullptr;
  // With a pool: how many cheap signing steps (ServerContext::cheap_signature, about 0.1-0.2
  // ms each with the key exchange) a loop iteration runs on the ring before the rest of that
  // iteration's go to the pool. One connect's signature inline saves two thread wake-ups; the
  // bound keeps an ECDSA connect storm from delaying the ring's other connections by more
  // than this many steps per iteration.
  unsigned cheap_signs_per_iteration = 2;
};

struct LoopStats {
  uint64_t iterations = 0;
  uint64_t accepts = 0;
  uint64_t connects_started = 0;
  uint64_t connects_failed = 0;
  uint64_t recv_enobufs = 0;
  uint64_t recv_bursts_ended = 0;  // streaming receives that reached streaming_burst_bytes
  uint64_t doorbells_sent = 0;
  uint64_t doorbells_skipped = 0;
  uint64_t tls_handshake_steps_offloaded = 0;
  uint64_t tls_handshake_signs_inline = 0;  // signing steps run on the ring itself
};

class EventLoop {
 public:
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(const LoopSettings& settings);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until RequestStop(); then closes the listener (its accept cancelled and completed,
  // so the port is free when Run returns) and every connection.
  void Run(LoopHandler& handler);

  // Any thread.
  void RequestStop();
  // Any thread except other ring threads (they use WakeFrom): wakes this loop via eventfd.
  void WakeFromForeignThread();
  // From another loop's thread: wakes this loop with MSG_RING from `from`'s ring, skipped
  // when this loop is not asleep.
  void WakeFrom(EventLoop& from);
  // Any thread: runs `task` on this loop's thread at the top of its next iteration.
  // `from` is the calling thread's own loop when it is a ring thread, else null.
  void Post(Mailbox::Task task, EventLoop* from);

  // Closes this loop's main listener (LoopSettings::listen_fd): no new clients (lame duck
  // mode). Listeners added with AddListener stay open.
  void StopAccepting();

  // Accepts on `fd` (a listening socket, owned by the loop once this returns OK) and reports
  // its connections through OnAcceptedFrom with `listener_id`. Before Run or on the loop's
  // thread. Fails if the id is taken (kMainListenerId is taken when LoopSettings has a
  // listener) or the loop is stopping; the fd then stays the caller's.
  absl::Status AddListener(int fd, uint32_t listener_id);
  // Cancels the listener's multishot accept and closes it. Run also closes every listener
  // when it stops.
  absl::Status CloseListener(uint32_t listener_id);

  // Starts a TCP connect to `peer` (an already resolved AF_INET or AF_INET6 address: name
  // resolution blocks, so it never happens here). Exactly one of OnConnected(id, tag) or
  // OnConnectFailed(tag, errno) follows, from a later iteration, unless this returns an error
  // (the socket could not be made, bad address, loop stopping). On the loop's thread (or
  // before Run).
  absl::Status Connect(const sockaddr_storage& peer, uint64_t tag);
  absl::Status Connect(const sockaddr_storage& peer, uint64_t tag, int64_t timeout_ns);
  // Abandons the pending connects with this tag: each reports OnConnectFailed(tag,
  // ECANCELED) from a later iteration, even one whose connect had already succeeded in the
  // kernel (its socket is closed). Returns how many were pending. Stop cancels them all.
  size_t CancelConnect(uint64_t tag);

  // Whether the caller is the loop's own thread (its creator, then the thread in Run).
  bool IsOnOwnerThread() const;

  bool IsLive(ConnId id) const;
  OutboundBuffer& outbound(ConnId id);
  // The connection's outbound buffer, its bytes queued for sending at the end of this
  // iteration: for writers that append right away.
  OutboundBuffer& OutboundToSend(ConnId id);
  void Close(ConnId id, CloseMode mode);
  // From here on the connection is TLS through `engine`: what is queued already is sent as it
  // is (NATS's plaintext INFO), everything written later is encrypted, everything received is
  // decrypted before OnReceived. outbound() is then the plaintext side; its pending_bytes()
  // counts what is not encrypted yet (at most max_buffered_ciphertext more is in flight).
  void StartTls(ConnId id, tls::Engine engine);
  // After StartTls: `ciphertext` is what OnReceived handed the handler before TLS started
  // (a TLS-first client's hello that arrived while the handler waited to see whether one
  // would); the engine takes it as if just received.
  void ReceiveAsTls(ConnId id, std::string_view ciphertext);
  // The connection's own address (getsockname); false once it is closed.
  bool LocalAddress(ConnId id, sockaddr_storage* address) const;
  // The connection's engine; null without TLS, or while its handshake step is on the pool.
  const tls::Engine* tls_engine(ConnId id) const;
  // Stop / restart reading this connection (TCP then pushes back on the peer). Data the
  // kernel had already read ahead may still be handed over after a pause.
  void PauseReceive(ConnId id);
  void ResumeReceive(ConnId id);
  void SetReceiveMode(ConnId id, ReceiveMode mode);
  // Reports (once) through OnPeerHangup when the peer shuts down its side, even while
  // reading is paused.
  void WatchForHangup(ConnId id);
  // Nanoseconds the current flush has been under way, or 0 if nothing is waiting to be sent.
  // A flush is the bytes queued when a send starts; partial sends continue it, so a reader
  // that takes a little at a time does not restart the clock (nats-server's write_deadline
  // covers one whole flush the same way).
  int64_t FlushUnderWayFor(ConnId id, int64_t now_ns) const;
  // Bytes of the current flush already sent (0 when none is under way).
  size_t FlushSentBytes(ConnId id) const;
  // Makes everything queued now a new flush whose clock starts now, if one is under way.
  void RestartFlush(ConnId id);
  // Sends submitted and not yet completed, over all connections of this loop.
  size_t sends_in_flight() const;
  // The connections with a send in flight (at most one each), into `out`.
  void ConnsSending(std::vector<ConnId>* out) const;

  const LoopStats& stats() const { return stats_; }
  // False if streaming_burst_bytes is 0 or the kernel does not take it (before Linux 6.17).
  bool streaming_bursts_limited() const;

 private:
  struct Impl;
  explicit EventLoop(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  LoopStats stats_;
  Mailbox mailbox_;
};

int64_t MonotonicNowNs();

}  // namespace ringnats::ring
