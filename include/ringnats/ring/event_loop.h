#pragma once
// One worker's io_uring event loop: multishot accept on the worker's own SO_REUSEPORT
// listener, multishot recv into a provided-buffer ring, one sendmsg in flight per socket
// over the connection's outbound chunks, outbound flushed once per loop iteration, and two
// doorbells (MSG_RING from other worker rings, an eventfd for every other thread).
//
// Owned by one worker thread: create it on that thread and call everything except the
// members marked "any thread" only from there. Connection I/O state never leaves it.

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "ringnats/ring/mailbox.h"
#include "ringnats/ring/outbound_buffer.h"

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
// holds at most one buffer and TCP pushes back on the rest.
enum class ReceiveMode : uint8_t { kStreaming, kOneBufferAtATime };

// Why the peer side went away, for the close reason in logs.
enum class PeerGone : uint8_t { kClosedByPeer, kReadError };

// What the loop reports to the protocol layer. Called on the loop's thread only.
class LoopHandler {
 public:
  virtual ~LoopHandler() = default;
  // Reading starts when this returns, in the mode the handler chose (default streaming).
  virtual void OnAccepted(ConnId id, const sockaddr_storage& peer) = 0;
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
  // About every tick interval: timers.
  virtual void OnTick(int64_t now_ns) = 0;
  // True if work is waiting that must not be slept through (checked after the loop has
  // announced it is going to sleep).
  virtual bool HasPendingWork() = 0;
};

struct LoopSettings {
  int listen_fd = -1;           // owned by the loop from Create() on
  unsigned buffer_count = 512;  // provided receive buffers (power of two)
  unsigned buffer_size = 16 * 1024;
  int64_t tick_ns = 100'000'000;
};

struct LoopStats {
  uint64_t iterations = 0;
  uint64_t accepts = 0;
  uint64_t recv_enobufs = 0;
  uint64_t doorbells_sent = 0;
  uint64_t doorbells_skipped = 0;
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

  // Closes this loop's listener: no new connections (lame duck mode).
  void StopAccepting();

  bool IsLive(ConnId id) const;
  OutboundBuffer& outbound(ConnId id);
  // The connection's outbound buffer, its bytes queued for sending at the end of this
  // iteration: for writers that append right away.
  OutboundBuffer& OutboundToSend(ConnId id);
  void Close(ConnId id, CloseMode mode);
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
  // Sends submitted and not yet completed, over all connections of this loop.
  size_t sends_in_flight() const;

  const LoopStats& stats() const { return stats_; }

 private:
  struct Impl;
  explicit EventLoop(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  LoopStats stats_;
  Mailbox mailbox_;
};

int64_t MonotonicNowNs();

}  // namespace ringnats::ring
